"""Floors in DXF: written by topo's drawings, read from a facilities team's CAD drawing.

The layer convention (plan view; the drawing's ``$INSUNITS``: millimetres,
centimetres, metres, inches or feet, unitless read as metres):

=========================  ==========================================================
layer                      what topo reads
=========================  ==========================================================
``TOPO-ROOM``              the room outline: one closed polyline
``TOPO-KEEPOUT[-<KIND>]``  keep-outs: closed polylines; KIND is COLUMN, COOLING, DOOR or
                           OTHER (default COLUMN)
``TOPO-RACK[-<ROLE>]``     racks: closed four-corner polylines, or block references
                           (INSERT) whose extents are the footprint; ROLE is COMPUTE,
                           NETWORK or EMPTY (default COMPUTE)
``TOPO-RACK-ID``           rack ids (``A01``): a TEXT or MTEXT inside each rack (a
                           block reference may carry its id as an ``ID`` attribute)
``TOPO-TRAY``              tray centre lines: polylines or lines; the polyline's
                           constant width is the tray's width (default 0.3 m)
=========================  ==========================================================

Racks with the same row letters form a row; their positions come from the ids, the
row's direction, rack width and depth, gap and origin from the rectangles. Extended data
of application ``TOPO`` (which topo writes) carries what a drawing cannot show: ids of
trays and keep-outs, tray depth, elevation and fill limit, each row's rack height and
power, the room's name and defaults. Without it the defaults of :mod:`layouts.model`
apply and trays and keep-outs are numbered. Entities on other layers are skipped and
listed; an entity on a ``TOPO`` layer that cannot be used (an open rack outline, a rack
without an id, two racks with one id, two rooms) is an error naming its handle and layer.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import ezdxf
from ezdxf import bbox
from ezdxf.document import Drawing
from pydantic import ValidationError

from layouts.errors import LayoutError, Problem, problems_from_validation
from layouts.model import Floor, KeepOut, RackRow, Tray

__all__ = ["APP", "DxfFloor", "floor_from_dxf", "write_floor"]

APP = "TOPO"
"""Application name of topo's extended data."""

_ROW_KEYS = ("direction", "height_u", "height_m", "power_kw", "role", "power_budget_kw",
             "cooling", "cooling_kw", "count")  # fmt: skip
_FLOOR_KEYS = ("name", "fill_limit", "drop_reach", "junction_tolerance", "power_budget_kw")


def _xdata(entity: Any, values: dict[str, Any]) -> None:
    tags = [(1000, f"{k}={json.dumps(v)}") for k, v in values.items()]
    entity.set_xdata(APP, tags)


def _read_xdata(entity: Any) -> dict[str, Any]:
    if not entity.has_xdata(APP):
        return {}
    out = {}
    for code, value in entity.get_xdata(APP):
        if code == 1000 and "=" in value:
            k, _, v = value.partition("=")
            try:
                out[k] = json.loads(v)
            except ValueError:
                continue
    return out


def write_floor(doc: Drawing, floor: Floor) -> None:
    """Draw ``floor`` into ``doc``'s model space on the layers above, with extended data."""
    doc.units = ezdxf.units.M
    if APP not in doc.appids:
        doc.appids.add(APP)
    msp = doc.modelspace()
    for name, colour in (("TOPO-ROOM", 7), ("TOPO-RACK-ID", 7), ("TOPO-TRAY", 4)):
        doc.layers.add(name, color=colour)
    room = msp.add_lwpolyline(floor.outline, close=True, dxfattribs={"layer": "TOPO-ROOM"})
    _xdata(room, {k: getattr(floor, k) for k in _FLOOR_KEYS})
    for k in floor.keepouts:
        layer = f"TOPO-KEEPOUT-{k.kind.upper()}"
        if layer not in doc.layers:
            doc.layers.add(layer, color=8)
        e = msp.add_lwpolyline(k.outline, close=True, dxfattribs={"layer": layer})
        _xdata(e, {"id": k.id})
    rows = {r.id: r for r in floor.rows}
    for rack in floor.racks:
        layer = f"TOPO-RACK-{rack.role.upper()}"
        if layer not in doc.layers:
            doc.layers.add(layer, color={"NETWORK": 1, "EMPTY": 9}.get(rack.role.upper(), 5))
        e = msp.add_lwpolyline(rack.corners, close=True, dxfattribs={"layer": layer})
        row = rows[rack.row]
        _xdata(e, {"id": rack.id, **{k: getattr(row, k) for k in _ROW_KEYS}})
        text = msp.add_text(
            rack.id, height=min(rack.size_x, rack.size_y) / 4, dxfattribs={"layer": "TOPO-RACK-ID"}
        )
        text.set_placement((rack.x, rack.y), align=ezdxf.enums.TextEntityAlignment.MIDDLE_CENTER)
    for t in floor.trays:
        e = msp.add_lwpolyline(t.path, dxfattribs={"layer": "TOPO-TRAY", "const_width": t.width})
        _xdata(
            e,
            {"id": t.id, "width": t.width, "depth": t.depth, "elevation": t.elevation,
             "fill_limit": t.fill_limit},
        )  # fmt: skip


@dataclass(frozen=True)
class DxfFloor:
    """A floor read from a DXF drawing, and what was left out of it.

    Attributes:
        skipped: one entry per layer outside the convention: its entity count.
    """

    floor: Floor
    skipped: tuple[Problem, ...]


_UNITS = {0: 1.0, 1: 0.0254, 2: 0.3048, 4: 0.001, 5: 0.01, 6: 1.0}
"""Metres per drawing unit by ``$INSUNITS`` code: unitless, inches, feet, mm, cm, m."""


def _points(e: Any, scale: float = 1.0) -> tuple[list[tuple[float, float]], bool] | None:
    """A polyline's or line's points in metres and whether it is closed; a block
    reference's extents as a closed rectangle; None for anything else."""
    kind = e.dxftype()
    if kind == "LWPOLYLINE":
        pts = [(float(x), float(y)) for x, y, *_ in e.get_points()]
        closed = bool(e.closed)
    elif kind == "POLYLINE":
        pts = [(float(v.dxf.location.x), float(v.dxf.location.y)) for v in e.vertices]
        closed = bool(e.is_closed)
    elif kind == "LINE":
        pts, closed = [(e.dxf.start.x, e.dxf.start.y), (e.dxf.end.x, e.dxf.end.y)], False
    elif kind == "INSERT":
        box = bbox.extents([e])
        if not box.has_data:
            return None
        (x0, y0, _), (x1, y1, _) = box.extmin, box.extmax
        pts, closed = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)], True
    else:
        return None
    if scale == 1.0:
        return [(float(x), float(y)) for x, y in pts], closed
    return [(round(x * scale, 6), round(y * scale, 6)) for x, y in pts], closed


def _attrib_id(e: Any) -> str | None:
    """The ``ID`` attribute of a block reference, if it has one."""
    if e.dxftype() != "INSERT":
        return None
    return next((a.dxf.text.strip() for a in e.attribs if a.dxf.tag.upper() == "ID"), None)


def _where(e: Any) -> str:
    return f"entity {e.dxf.handle} ({e.dxftype()}) on layer {e.dxf.layer!r}"


def floor_from_dxf(source: str | os.PathLike[str]) -> DxfFloor:
    """Read a floor from a DXF file by the layer convention of this module.

    Raises:
        LayoutError: the file is not DXF, or entities on ``TOPO`` layers cannot make a
            floor; every problem at once, each naming the entity's handle and layer.
    """
    try:
        doc = ezdxf.readfile(os.fspath(source))
    except (OSError, ezdxf.DXFError) as exc:
        raise LayoutError(Problem("dxf", f"cannot read {os.fspath(source)!r}: {exc}")) from None
    problems: list[Problem] = []
    units = int(doc.header.get("$INSUNITS", 0))
    if units not in _UNITS:
        raise LayoutError(
            Problem(
                "dxf.$INSUNITS",
                f"drawing units {units} are not millimetres (4), centimetres (5), metres (6), "
                "inches (1), feet (2) or unitless (0)",
                units,
            )
        )
    scale = _UNITS[units]
    skipped: dict[str, int] = defaultdict(int)
    outlines: list[tuple[Any, list[tuple[float, float]]]] = []
    keepouts: list[KeepOut] = []
    rack_shapes: list[tuple[Any, list[tuple[float, float]], str]] = []
    labels: list[tuple[str, tuple[float, float]]] = []
    trays: list[Tray] = []
    for e in doc.modelspace():
        layer = e.dxf.layer.upper()
        if not layer.startswith("TOPO-") or layer.startswith(("TOPO-TRAY-FILL", "TOPO-ROUTE")):
            if not layer.startswith(("TOPO-TRAY-FILL", "TOPO-ROUTE")):
                skipped[e.dxf.layer] += 1
            continue
        if layer == "TOPO-RACK-ID":
            if e.dxftype() in ("TEXT", "MTEXT"):
                text = e.plain_text() if e.dxftype() == "MTEXT" else e.dxf.text  # type: ignore[attr-defined]
                p = e.dxf.align_point if e.dxftype() == "TEXT" and e.dxf.halign else e.dxf.insert
                labels.append((text.strip(), (p.x * scale, p.y * scale)))
            else:
                problems.append(Problem(f"dxf.{e.dxf.handle}", f"{_where(e)}: not a text"))
            continue
        pts = _points(e, scale)
        if pts is None:
            problems.append(Problem(f"dxf.{e.dxf.handle}", f"{_where(e)}: not a polyline"))
            continue
        points, closed = pts
        data = _read_xdata(e)
        if layer == "TOPO-ROOM":
            outlines.append((e, points)) if closed else problems.append(
                Problem(f"dxf.{e.dxf.handle}", f"{_where(e)}: the room outline is not closed")
            )
        elif layer.startswith("TOPO-KEEPOUT"):
            kind = layer.removeprefix("TOPO-KEEPOUT").strip("-").lower() or "column"
            if not closed or kind not in ("column", "cooling", "door", "other"):
                problems.append(
                    Problem(
                        f"dxf.{e.dxf.handle}",
                        f"{_where(e)}: a keep-out is a closed polyline on TOPO-KEEPOUT-"
                        "COLUMN, COOLING, DOOR or OTHER",
                    )
                )
                continue
            keepouts.append(
                KeepOut(
                    id=str(data.get("id", f"K{len(keepouts) + 1:02d}")),
                    kind=kind,  # type: ignore[arg-type]
                    outline=tuple(points),
                )
            )
        elif layer.startswith("TOPO-RACK"):
            role = layer.removeprefix("TOPO-RACK").strip("-").lower() or "compute"
            if not closed or len(points) != 4 or role not in ("compute", "network", "empty"):
                problems.append(
                    Problem(
                        f"dxf.{e.dxf.handle}",
                        f"{_where(e)}: a rack is a closed four-corner polyline on "
                        "TOPO-RACK-COMPUTE, NETWORK or EMPTY",
                    )
                )
                continue
            rack_shapes.append((e, points, role))
        elif layer == "TOPO-TRAY":
            width = data.get("width") or (
                e.dxf.const_width * scale
                if e.dxftype() == "LWPOLYLINE" and e.dxf.const_width
                else 0.3
            )
            trays.append(
                Tray(
                    id=str(data.get("id", f"T{len(trays) + 1:02d}")),
                    path=tuple(points),
                    width=width,
                    depth=data.get("depth", 0.1),
                    elevation=data.get("elevation", 2.7),
                    fill_limit=data.get("fill_limit"),
                )
            )
        else:
            problems.append(Problem(f"dxf.{e.dxf.handle}", f"{_where(e)}: unknown TOPO layer"))
    if len(outlines) != 1:
        problems.append(
            Problem("dxf.TOPO-ROOM", f"the drawing has {len(outlines)} room outlines, needs one")
        )
    rows = _rows(rack_shapes, labels, problems)
    if problems:
        raise LayoutError(problems)
    room, outline = outlines[0]
    meta = {k: v for k, v in _read_xdata(room).items() if k in _FLOOR_KEYS and v is not None}
    try:
        floor = Floor(
            outline=tuple(outline),
            keepouts=tuple(keepouts),
            rows=tuple(rows),
            trays=tuple(trays),
            **meta,
        )
    except ValidationError as exc:
        raise LayoutError(problems_from_validation(exc, prefix="dxf")) from None
    notes = tuple(
        Problem(
            f"dxf.layer.{name}", f"layer {name!r}: {n} entities outside the convention, skipped"
        )
        for name, n in sorted(skipped.items())
    )
    return DxfFloor(floor, notes)


def _rows(
    shapes: Iterable[tuple[Any, list[tuple[float, float]], str]],
    labels: list[tuple[str, tuple[float, float]]],
    problems: list[Problem],
) -> list[RackRow]:
    """Rows from rack rectangles, their ids (extended data, else a text inside)."""
    by_row: dict[str, list[tuple[int, tuple[float, float, float, float], str, dict]]] = defaultdict(
        list
    )
    seen: dict[str, str] = {}
    for e, pts, role in shapes:
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        box = (min(xs), min(ys), max(xs), max(ys))
        data = _read_xdata(e)
        rid = (
            data.get("id")
            or _attrib_id(e)
            or next(
                (t for t, (x, y) in labels if box[0] <= x <= box[2] and box[1] <= y <= box[3]),
                None,
            )
        )
        m = re.fullmatch(r"([A-Z]{1,3})(\d{2})", str(rid or ""))
        if m is None:
            problems.append(
                Problem(
                    f"dxf.{e.dxf.handle}",
                    f"{_where(e)}: rack has no id like 'A01' (extended data or a text inside)",
                    rid,
                )
            )
            continue
        if rid in seen:
            problems.append(
                Problem(
                    f"dxf.{e.dxf.handle}",
                    f"{_where(e)}: rack {rid!r} is drawn twice (also entity {seen[rid]})",
                    rid,
                )
            )
            continue
        seen[str(rid)] = e.dxf.handle
        by_row[m.group(1)].append((int(m.group(2)), box, role, data))
    rows = []
    for row_id in sorted(by_row, key=lambda r: (len(r), r)):
        racks = sorted(by_row[row_id], key=lambda r: r[0])
        data = racks[0][3]
        first_pos, (x0, y0, x1, y1), _, _ = racks[0]
        direction = data.get("direction")
        if direction is None:
            if len(racks) > 1:
                bx = racks[-1][1]
                direction = "x" if abs(bx[0] - x0) >= abs(bx[1] - y0) else "y"
            else:
                direction = "x"
        along = (x1 - x0) if direction == "x" else (y1 - y0)
        across = (y1 - y0) if direction == "x" else (x1 - x0)
        if len(racks) > 1:
            (p_last, b_last, _, _) = racks[-1]
            span = (b_last[0] - x0) if direction == "x" else (b_last[1] - y0)
            pitch = span / (p_last - first_pos)
        else:
            pitch = along
        gap = max(0.0, round(pitch - along, 6))
        shift = (first_pos - 1) * pitch
        origin = (x0 - shift, y0) if direction == "x" else (x0, y0 - shift)
        count = int(data.get("count") or racks[-1][0])
        present = {p for p, *_ in racks}
        roles_seen = {p: role for p, _, role, _ in racks}
        default = data.get("role") or max(
            sorted(set(roles_seen.values())), key=lambda r: list(roles_seen.values()).count(r)
        )
        extra = {
            k: data[k] for k in _ROW_KEYS if k in data and k not in ("direction", "role", "count")
        }
        try:
            rows.append(
                RackRow(
                    id=row_id,
                    origin=(round(origin[0], 6), round(origin[1], 6)),
                    direction=direction,
                    count=count,
                    width=round(along, 6),
                    depth=round(across, 6),
                    gap=gap,
                    role=default,
                    roles={p: r for p, r in sorted(roles_seen.items()) if r != default},
                    skip=tuple(p for p in range(1, count + 1) if p not in present),
                    **{k: v for k, v in extra.items() if v is not None},
                )
            )
        except ValidationError as exc:
            problems.extend(problems_from_validation(exc, prefix=f"dxf.rows.{row_id}"))
        for pos, box, _, _ in racks:
            want = origin[0 if direction == "x" else 1] + (pos - 1) * pitch
            got = box[0] if direction == "x" else box[1]
            if not math.isclose(want, got, abs_tol=1e-3):
                problems.append(
                    Problem(
                        f"dxf.rows.{row_id}",
                        f"rack {row_id}{pos:02d} stands at {got:.3f} m, not in line with its "
                        f"row's spacing ({want:.3f} m expected)",
                        round(got, 3),
                    )
                )
    return rows
