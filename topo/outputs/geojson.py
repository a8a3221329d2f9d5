"""GeoJSON of a plan's floor: room, keep-outs, racks, tray segments by fill, routes.

One ``FeatureCollection`` in ``floor.geojson``, a feature per object, each with a
``layer`` property (the same layer names as the DXF export) and its ids and figures:

=================  ===========  ====================================================
layer              geometry     properties
=================  ===========  ====================================================
``room``           Polygon      ``floor``
``keepout``        Polygon      ``id``, ``kind``
``rack``           Polygon      ``id``, ``row``, ``role``, ``devices``
``tray``           LineString   ``id`` (segment), ``tray``, ``fill``, ``limit``,
                                ``band``, ``cables``, ``width_m``, ``elevation_m``
``route``          LineString   ``tier``, ``cables`` (count), ``cable_ids`` (first 50)
=================  ===========  ====================================================

Coordinates are the floor's own, in metres from its origin (x east, y north), not
longitude and latitude: RFC 7946 assumes WGS 84, so a GIS should read the file as a
local metric plane (``"crs"`` is left out, as RFC 7946 asks; the collection's
``topo:units`` says ``m``). Routes that share their tray segments are one feature, so a
hall of 100,000 cables draws a few thousand lines. Output is deterministic: features in
a fixed order, numbers rounded to the millimetre.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from layouts.pathways import route_polyline
from topo.plan import Plan

__all__ = ["FILL_BANDS", "fill_band", "plan_to_geojson"]

FILL_BANDS = ((0.25, "0-25"), (0.5, "25-50"), (0.75, "50-75"), (1.0, "75-100"))
"""Fill bands, as fractions of a segment's fill limit; above the limit: ``over``."""


def fill_band(fill: float, limit: float) -> str:
    """The band of a segment's fill relative to its limit.

    >>> fill_band(0.1, 0.4), fill_band(0.39, 0.4), fill_band(0.41, 0.4)
    ('0-25', '75-100', 'over')
    """
    share = fill / limit if limit else 0.0
    if share > 1.0 + 1e-9:
        return "over"
    return next(name for top, name in FILL_BANDS if share <= top + 1e-9)


def _pt(p: tuple[float, float]) -> list[float]:
    return [round(float(p[0]), 3), round(float(p[1]), 3)]


def _xy(p: tuple[float, float]) -> tuple[float, float]:
    return round(float(p[0]), 3), round(float(p[1]), 3)


def _ring(points: Any) -> list[list[float]]:
    ring = [_pt(p) for p in points]
    return [*ring, ring[0]]


def _feature(layer: str, geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"layer": layer, **props}, "geometry": geometry}


def plan_to_geojson(plan: Plan) -> dict[str, bytes]:
    """``floor.geojson``: the floor, racks, trays by fill and routes by tier."""
    floor = plan.floor
    feats: list[dict[str, Any]] = [
        _feature(
            "room",
            {"type": "Polygon", "coordinates": [_ring(floor.outline)]},
            floor=floor.name,
        )
    ]
    for k in sorted(floor.keepouts, key=lambda k: k.id):
        feats.append(
            _feature(
                "keepout",
                {"type": "Polygon", "coordinates": [_ring(k.outline)]},
                id=k.id,
                kind=k.kind,
            )
        )
    devices: dict[str, int] = defaultdict(int)
    for d in plan.placement.devices:
        if d.rack:
            devices[d.rack] += 1
    for r in floor.racks:
        feats.append(
            _feature(
                "rack",
                {"type": "Polygon", "coordinates": [_ring(r.corners)]},
                id=r.id,
                row=r.row,
                role=r.role,
                devices=devices.get(r.id, 0),
            )
        )
    trays = {t.id: t for t in floor.trays}
    for f in plan.fills:
        s = f.segment
        feats.append(
            _feature(
                "tray",
                {"type": "LineString", "coordinates": [_pt(s.start), _pt(s.end)]},
                id=s.id,
                tray=s.tray,
                fill=round(f.fill, 4),
                limit=s.fill_limit,
                band=fill_band(f.fill, s.fill_limit),
                cables=f.cables,
                width_m=trays[s.tray].width,
                elevation_m=s.elevation,
            )
        )
    routes: dict[tuple[str, tuple[int, ...]], list[str]] = defaultdict(list)
    for c in plan.cables:
        if c.segments:
            routes[(c.tier, c.segments)].append(c.id)
    segs = plan.pathways.segments
    for (tier, path), ids in sorted(routes.items()):
        line = [
            list(p) for p in route_polyline([(_xy(segs[i].start), _xy(segs[i].end)) for i in path])
        ]
        ids = sorted(ids)
        feats.append(
            _feature(
                "route",
                {"type": "LineString", "coordinates": line},
                tier=tier,
                cables=len(ids),
                cable_ids=ids[:50],
            )
        )
    doc = {
        "type": "FeatureCollection",
        "name": plan.scenario.name,
        "topo:units": "m",
        "topo:note": "floor coordinates in metres from the floor's origin, not WGS 84",
        "features": feats,
    }
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return {"floor.geojson": (text + "\n").encode("utf-8")}
