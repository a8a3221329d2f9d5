"""DXF drawing of a plan: the floor, racks by role, trays by fill, routes by tier.

``floor.dxf`` (AutoCAD 2010 format, units metres, plan view at z = 0) has a layer per kind
of object, named as :mod:`layouts.dxf` reads them back:

=========================  ==========================================================
layer                      entities
=========================  ==========================================================
``TOPO-ROOM``              the room outline (closed polyline)
``TOPO-KEEPOUT-<KIND>``    columns, cooling units, doors (closed polylines)
``TOPO-RACK-<ROLE>``       racks by role: COMPUTE, NETWORK, EMPTY (closed polylines)
``TOPO-RACK-ID``           each rack's id (text at its centre)
``TOPO-TRAY``              each tray's centre line, its width as the polyline's width
``TOPO-TRAY-FILL-<BAND>``  each tray segment by fill against its limit: 0-25, 25-50,
                           50-75, 75-100, OVER (lines; colour by band)
``TOPO-ROUTE-<TIER>``      one polyline per distinct route of each tier
=========================  ==========================================================

Rooms, racks and trays carry their non-geometric attributes (ids, tray depth, elevation
and fill limit, each row's rack height and power) as extended data of application
``TOPO``, so :func:`layouts.dxf.floor_from_dxf` reads the floor back whole. The same
plan gives the same bytes: the drawing's dates and GUIDs are fixed.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict

import ezdxf

from layouts.dxf import write_floor
from layouts.pathways import route_polyline
from topo.outputs.geojson import fill_band
from topo.plan import Plan

__all__ = ["BAND_COLOURS", "plan_to_dxf"]

BAND_COLOURS = {"0-25": 3, "25-50": 2, "50-75": 30, "75-100": 6, "over": 1}
"""AutoCAD colour index of each fill band: green, yellow, orange, magenta, red."""

_TIER_COLOURS = {
    "server-leaf": 5,
    "leaf-spine": 2,
    "spine-core": 30,
    "leaf-peer": 6,
    "device-mgmt": 8,
    "mgmt-agg": 3,
}


def plan_to_dxf(plan: Plan) -> dict[str, bytes]:
    """``floor.dxf``: the floor and the plan on layers (see the module docstring)."""
    doc = ezdxf.new("R2010", setup=False)
    msp = doc.modelspace()
    write_floor(doc, plan.floor)
    for band, colour in BAND_COLOURS.items():
        doc.layers.add(f"TOPO-TRAY-FILL-{band.upper()}", color=colour)
    for f in plan.fills:
        s = f.segment
        layer = f"TOPO-TRAY-FILL-{fill_band(f.fill, s.fill_limit).upper()}"
        msp.add_line(s.start, s.end, dxfattribs={"layer": layer})
    routes: dict[tuple[str, tuple[int, ...]], int] = defaultdict(int)
    for c in plan.cables:
        if c.segments:
            routes[(c.tier, c.segments)] += 1
    segs = plan.pathways.segments
    made: set[str] = set()
    for (tier, path), _count in sorted(routes.items()):
        layer = "TOPO-ROUTE-" + re.sub(r"[^A-Za-z0-9_-]+", "-", tier).upper()
        if layer not in made:
            doc.layers.add(layer, color=_TIER_COLOURS.get(tier, 7))
            made.add(layer)
        points = route_polyline([(segs[i].start, segs[i].end) for i in path])
        msp.add_lwpolyline(points, dxfattribs={"layer": layer})
    # ezdxf adds its CLASS definitions in an order that varies from run to run: add them
    # now and sort them, so writing adds none and the bytes repeat
    doc.classes.add_required_classes(doc.dxfversion)
    doc.classes.classes = dict(sorted(doc.classes.classes.items()))
    buf = io.StringIO()
    doc.write(buf)
    return {"floor.dxf": _fixed(buf.getvalue()).encode("utf-8")}


_FIXED_HEADER = {
    "$TDCREATE": "2451545.0",
    "$TDUCREATE": "2451545.0",
    "$TDUPDATE": "2451545.0",
    "$TDUUPDATE": "2451545.0",
    "$FINGERPRINTGUID": "{00000000-0000-4000-8000-000000000001}",
    "$VERSIONGUID": "{00000000-0000-4000-8000-000000000002}",
}


def _fixed(text: str) -> str:
    """The DXF text with its creation dates, GUIDs and writer timestamps fixed."""
    lines = text.split("\n")
    for i, line in enumerate(lines[:-3]):
        value = _FIXED_HEADER.get(line.strip())
        if value is not None and lines[i - 1].strip() == "9":
            lines[i + 2] = value
    out = "\n".join(lines)
    return re.sub(r" @ \d{4}-\d\d-\d\dT[0-9:.+-]+", " @ 2000-01-01T00:00:00+00:00", out)
