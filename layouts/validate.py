"""Floor validation: every geometric and naming problem of a floor, not just the first.

Steps:

1. The room outline and every keep-out must be valid simple polygons with an area; every
   keep-out must lie inside the room.
2. Ids must be unique among rows, racks, trays and keep-outs; a row's ``roles`` and
   ``skip`` may only name positions ``1..count``.
3. Every rack must stand inside the room, clear of every keep-out and of every other rack
   (racks touching edge to edge are fine).
4. Every tray must stay inside the room (running on the wall line is fine), clear of
   building columns (cooling units and doors do not block an overhead tray), and its
   bottom must be at or above the top of every rack it serves or passes over.
5. Every rack that is not ``empty`` must have a tray within ``floor.drop_reach`` of its
   centre, so its cables can drop into a pathway.

Geometry checks that need the room (inside-the-room tests) are skipped while the outline
itself is invalid; checks against a keep-out are skipped while that keep-out is invalid.
Both are reported, so fixing them reveals the rest. A rack is *served* by the nearest tray
within reach of its centre (ties go to the lower tray id), as in the pathway graph::

       T-A  ====================  elevation 2.55 m (tray bottom)
               |          |
            +-----+    +-----+    rack top 2.23 m: the tray must not be lower
            | A01 |    | A02 |
            +-----+    +-----+

Problems are sorted by location, then message. Every check is vectorised with shapely and
an STR-tree, so a floor of 5,000+ racks validates in a fraction of a second.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon

from layouts.errors import LayoutError, Problem
from layouts.model import Floor, Rack, Tray

__all__ = ["check_floor", "serving_tray", "serving_trays", "validate_floor"]

_TOL = 1e-6
"""Length tolerance, metres: geometry this close to a boundary counts as on it."""

_AREA_TOL = 1e-5
"""Overlaps smaller than this many square metres are rounding, not overlaps."""

_ZERO_AREA = 1e-12


def validate_floor(floor: Floor) -> list[Problem]:
    """Every problem of a floor, sorted by location then message.

    Args:
        floor: the floor to check.

    Returns:
        The problems found, empty when the floor is sound. Each names the offending
        object (``floor.racks.A01``, ``floor.trays.T-A``, ``floor.keepouts.C1``,
        ``floor.outline``, ``floor.rows.B.skip``), the value and the limit.

    Example:
        >>> from layouts.model import Floor, KeepOut, RackRow, Tray
        >>> floor = Floor(
        ...     outline=((0, 0), (6, 0), (6, 4), (0, 4)),
        ...     keepouts=(KeepOut(id="C1", outline=((2, 1), (2.4, 1), (2.4, 1.4), (2, 1.4))),),
        ...     rows=(RackRow(id="A", origin=(1, 1), count=3),),
        ...     trays=(Tray(id="T-A", path=((1, 1.6), (2.8, 1.6))),),
        ... )
        >>> for p in validate_floor(floor):
        ...     print(p)
        floor.racks.A02: rack 'A02' overlaps keep-out 'C1' (column) by 0.08 m²
        floor.racks.A03: rack 'A03' overlaps keep-out 'C1' (column) by 0.08 m²
    """
    problems: list[Problem] = []
    room, outline_problems = _polygon(floor.outline, "room outline", "floor.outline")
    problems += outline_problems
    keepouts: dict[int, Polygon] = {}
    for i, ko in enumerate(floor.keepouts):
        poly, ko_problems = _polygon(ko.outline, f"keep-out {ko.id!r}", f"floor.keepouts.{ko.id}")
        problems += ko_problems
        if poly is not None:
            keepouts[i] = poly
    problems += _id_problems(floor)
    problems += _row_position_problems(floor)

    racks = list(floor.racks)
    boxes = _rack_boxes(racks)
    lines = [LineString(t.path) for t in floor.trays]
    problems += _zero_length_trays(floor, lines)
    if room is not None:
        covering = room.buffer(_TOL, join_style="mitre")
        problems += _keepouts_outside(floor, room, covering, keepouts)
        problems += _racks_outside(racks, boxes, room, covering)
        problems += _trays_outside(floor, lines, room, covering)
    problems += _racks_on_keepouts(floor, racks, boxes, keepouts)
    problems += _racks_overlapping(racks, boxes)
    problems += _trays_on_columns(floor, lines, keepouts)
    served = _nearest_trays(floor, racks, lines, reach=floor.drop_reach)
    problems += _trays_too_low(floor, racks, boxes, lines, served)
    problems += _unserved_racks(floor, racks, lines, served)
    return sorted(problems, key=lambda p: (p.location, p.message))


def check_floor(floor: Floor) -> Floor:
    """Return the floor unchanged if it is sound, else raise every problem at once.

    Raises:
        LayoutError: carrying every problem :func:`validate_floor` found.

    Example:
        >>> from layouts.model import Floor, RackRow
        >>> floor = Floor(outline=((0, 0), (4, 0), (4, 4), (0, 4)),
        ...               rows=(RackRow(id="A", origin=(1, 1), count=1),))
        >>> try:
        ...     check_floor(floor)
        ... except LayoutError as exc:
        ...     print(exc.problems[0].message)
        rack 'A01' has no tray within 1.5 m (the floor has no trays)
    """
    problems = validate_floor(floor)
    if problems:
        raise LayoutError(problems)
    return floor


def serving_trays(floor: Floor) -> dict[str, tuple[Tray, float]]:
    """The tray serving each rack and the horizontal distance to it, metres.

    A rack is served by the nearest tray whose centre line passes within
    ``floor.drop_reach`` of the rack's centre; ties go to the lower tray id. Racks with
    no tray in reach are absent. Empty racks are included (they may get equipment later).

    Example:
        >>> from layouts.model import Floor, RackRow, Tray
        >>> floor = Floor(
        ...     outline=((0, 0), (6, 0), (6, 4), (0, 4)),
        ...     rows=(RackRow(id="A", origin=(1, 1), count=2),),
        ...     trays=(Tray(id="T-A", path=((1, 1.6), (2.2, 1.6))),),
        ... )
        >>> {rack: (tray.id, d) for rack, (tray, d) in serving_trays(floor).items()}
        {'A01': ('T-A', 0.0), 'A02': ('T-A', 0.0)}
    """
    racks = list(floor.racks)
    lines = [LineString(t.path) for t in floor.trays]
    found = _nearest_trays(floor, racks, lines, reach=floor.drop_reach)
    return {racks[r].id: (floor.trays[t], d) for r, (t, d) in sorted(found.items())}


def serving_tray(floor: Floor, rack: Rack | str) -> tuple[Tray, float] | None:
    """The tray serving one rack (see :func:`serving_trays`), or None if none is in reach.

    Args:
        floor: the floor the rack stands on.
        rack: the rack, or its id.

    Raises:
        KeyError: no rack of that id stands on the floor.

    Example:
        >>> from layouts.model import Floor, RackRow, Tray
        >>> floor = Floor(
        ...     outline=((0, 0), (6, 0), (6, 4), (0, 4)),
        ...     rows=(RackRow(id="A", origin=(1, 1), count=2),),
        ...     trays=(Tray(id="T-A", path=((1, 2.6), (2.2, 2.6))),),
        ... )
        >>> tray, distance = serving_tray(floor, "A02")
        >>> tray.id, round(distance, 2)
        ('T-A', 1.0)
    """
    r = floor.rack_index[rack] if isinstance(rack, str) else rack
    lines = [LineString(t.path) for t in floor.trays]
    found = _nearest_trays(floor, [r], lines, reach=floor.drop_reach)
    if 0 not in found:
        return None
    t, d = found[0]
    return floor.trays[t], d


# -- polygons and ids ------------------------------------------------------------------


def _polygon(
    points: Sequence[tuple[float, float]], what: str, location: str
) -> tuple[Polygon | None, list[Problem]]:
    """The polygon of ``points`` if it is valid and simple, else the problems with it."""
    if len(points) < 3:
        msg = f"{what} has {len(points)} points, needs at least 3"
        return None, [Problem(location, msg, len(points))]
    poly = Polygon(points)
    # a bow tie's signed areas cancel out: measure the area of its repaired form instead
    area = poly.area if poly.is_valid else shapely.make_valid(poly).area
    if area <= _ZERO_AREA:
        return None, [Problem(location, f"{what} has zero area", 0.0)]
    if not poly.is_valid:
        reason = shapely.is_valid_reason(poly)
        return None, [Problem(location, f"{what} is not a simple polygon: {reason}", reason)]
    return poly, []


def _duplicates(ids: Iterable[str]) -> list[tuple[str, int]]:
    return sorted((i, n) for i, n in Counter(ids).items() if n > 1)


def _id_problems(floor: Floor) -> list[Problem]:
    out: list[Problem] = []
    dup_rows = _duplicates(r.id for r in floor.rows)
    for rid, n in dup_rows:
        out.append(Problem(f"floor.rows.{rid}", f"row id {rid!r} is used {n} times", rid))
    doubled = {rid for rid, _ in dup_rows}
    # rack ids repeat whenever their row id does; report only the ones that do not
    for rid, n in _duplicates(r.id for r in floor.racks if r.row not in doubled):
        out.append(Problem(f"floor.racks.{rid}", f"rack id {rid!r} is used {n} times", rid))
    for tid, n in _duplicates(t.id for t in floor.trays):
        out.append(Problem(f"floor.trays.{tid}", f"tray id {tid!r} is used {n} times", tid))
    for kid, n in _duplicates(k.id for k in floor.keepouts):
        out.append(Problem(f"floor.keepouts.{kid}", f"keep-out id {kid!r} is used {n} times", kid))
    return out


def _row_position_problems(floor: Floor) -> list[Problem]:
    out: list[Problem] = []
    for row in floor.rows:
        for pos in sorted(p for p in row.roles if not 1 <= p <= row.count):
            out.append(
                Problem(
                    f"floor.rows.{row.id}.roles",
                    f"row {row.id!r} gives a role to position {pos}, outside 1..{row.count}",
                    pos,
                )
            )
        for pos in sorted({p for p in row.skip if not 1 <= p <= row.count}):
            out.append(
                Problem(
                    f"floor.rows.{row.id}.skip",
                    f"row {row.id!r} skips position {pos}, outside 1..{row.count}",
                    pos,
                )
            )
    return out


# -- geometry --------------------------------------------------------------------------


def _rack_boxes(racks: Sequence[Rack]) -> np.ndarray:
    if not racks:
        return np.empty(0, dtype=object)
    xy = np.array([(r.x, r.y, r.size_x / 2, r.size_y / 2) for r in racks], dtype=float)
    return shapely.box(
        xy[:, 0] - xy[:, 2], xy[:, 1] - xy[:, 3], xy[:, 0] + xy[:, 2], xy[:, 1] + xy[:, 3]
    )


def _area(value: float) -> str:
    return f"{value:.2f} m²" if value >= 0.005 else f"{value:.2g} m²"


def _zero_length_trays(floor: Floor, lines: Sequence[LineString]) -> list[Problem]:
    return [
        Problem(f"floor.trays.{t.id}", f"tray {t.id!r} has zero length", 0.0)
        for t, line in zip(floor.trays, lines, strict=True)
        if line.length <= _TOL
    ]


def _keepouts_outside(
    floor: Floor, room: Polygon, covering: Polygon, keepouts: dict[int, Polygon]
) -> list[Problem]:
    out: list[Problem] = []
    for i, poly in keepouts.items():
        if covering.covers(poly):
            continue
        outside = poly.difference(room).area
        if outside > _AREA_TOL:
            ko = floor.keepouts[i]
            out.append(
                Problem(
                    f"floor.keepouts.{ko.id}",
                    f"keep-out {ko.id!r} is not inside the room ({_area(outside)} outside)",
                    round(outside, 4),
                )
            )
    return out


def _racks_outside(
    racks: Sequence[Rack], boxes: np.ndarray, room: Polygon, covering: Polygon
) -> list[Problem]:
    if not racks:
        return []
    out: list[Problem] = []
    for i in np.flatnonzero(~shapely.covers(covering, boxes)).tolist():
        outside = boxes[i].difference(room).area
        if outside > _AREA_TOL:
            r = racks[i]
            out.append(
                Problem(
                    f"floor.racks.{r.id}",
                    f"rack {r.id!r} is not inside the room ({_area(outside)} outside)",
                    round(outside, 4),
                )
            )
    return out


def _trays_outside(
    floor: Floor, lines: Sequence[LineString], room: Polygon, covering: Polygon
) -> list[Problem]:
    out: list[Problem] = []
    for tray, line in zip(floor.trays, lines, strict=True):
        if covering.covers(line):
            continue
        outside = line.difference(room).length
        if outside > _TOL:
            out.append(
                Problem(
                    f"floor.trays.{tray.id}",
                    f"tray {tray.id!r} leaves the room for {outside:.2f} m",
                    round(outside, 4),
                )
            )
    return out


def _racks_on_keepouts(
    floor: Floor, racks: Sequence[Rack], boxes: np.ndarray, keepouts: dict[int, Polygon]
) -> list[Problem]:
    if not racks or not keepouts:
        return []
    kidx = sorted(keepouts)
    polys = np.array([keepouts[i] for i in kidx], dtype=object)
    tree = shapely.STRtree(polys)
    rack_i, ko_j = tree.query(boxes, predicate="intersects")
    areas = shapely.area(shapely.intersection(boxes[rack_i], polys[ko_j]))
    out: list[Problem] = []
    for r, k, a in zip(rack_i.tolist(), ko_j.tolist(), areas.tolist(), strict=True):
        if a <= _AREA_TOL:
            continue
        rack, ko = racks[r], floor.keepouts[kidx[k]]
        out.append(
            Problem(
                f"floor.racks.{rack.id}",
                f"rack {rack.id!r} overlaps keep-out {ko.id!r} ({ko.kind}) by {_area(a)}",
                round(a, 4),
            )
        )
    return out


def _racks_overlapping(racks: Sequence[Rack], boxes: np.ndarray) -> list[Problem]:
    if len(racks) < 2:
        return []
    tree = shapely.STRtree(boxes)
    a_i, b_i = tree.query(boxes, predicate="intersects")
    keep = a_i < b_i
    a_i, b_i = a_i[keep], b_i[keep]
    # racks are axis-aligned boxes: their overlap is the product of the interval overlaps
    bounds = shapely.bounds(boxes)
    lo = np.maximum(bounds[a_i, :2], bounds[b_i, :2])
    hi = np.minimum(bounds[a_i, 2:], bounds[b_i, 2:])
    areas = np.prod(np.clip(hi - lo, 0.0, None), axis=1)
    out: list[Problem] = []
    for a, b, area in zip(a_i.tolist(), b_i.tolist(), areas.tolist(), strict=True):
        if area <= _AREA_TOL:
            continue
        first, second = sorted((racks[a].id, racks[b].id))
        out.append(
            Problem(
                f"floor.racks.{first}",
                f"rack {first!r} overlaps rack {second!r} by {_area(area)}",
                round(area, 4),
            )
        )
    return out


def _trays_on_columns(
    floor: Floor, lines: Sequence[LineString], keepouts: dict[int, Polygon]
) -> list[Problem]:
    """Trays whose footprint (centre line widened by half the tray width) enters a column."""
    columns = sorted(i for i in keepouts if floor.keepouts[i].kind == "column")
    if not columns or not lines:
        return []
    polys = np.array([keepouts[i] for i in columns], dtype=object)
    tree = shapely.STRtree(polys)
    out: list[Problem] = []
    for tray, line in zip(floor.trays, lines, strict=True):
        half = tray.width / 2
        for j in tree.query(line, predicate="dwithin", distance=half).tolist():
            grown = polys[j].buffer(max(half - _TOL, 0.0), join_style="mitre")
            inside = line.intersection(grown).length
            if inside <= _TOL:
                continue
            ko = floor.keepouts[columns[j]]
            out.append(
                Problem(
                    f"floor.trays.{tray.id}",
                    f"tray {tray.id!r} (width {tray.width:.2f} m) crosses column {ko.id!r} "
                    f"for {inside:.2f} m",
                    round(inside, 4),
                )
            )
    return out


def _nearest_trays(
    floor: Floor, racks: Sequence[Rack], lines: Sequence[LineString], *, reach: float | None
) -> dict[int, tuple[int, float]]:
    """Rack index -> (index of its nearest tray, distance), ties to the lower tray id.

    With ``reach`` set, racks with no tray that close are absent.
    """
    if not racks or not lines:
        return {}
    geoms = np.array(lines, dtype=object)
    tree = shapely.STRtree(geoms)
    points = shapely.points(np.array([(r.x, r.y) for r in racks], dtype=float))
    if reach is None:
        idx = tree.query_nearest(points, all_matches=True)
    else:
        # every tray in reach, not just the nearest: distances that differ by float noise
        # only (0.8 vs 0.7999999999999998) must still tie and go to the lower tray id
        idx = tree.query(points, predicate="dwithin", distance=reach)
    dist = shapely.distance(points[idx[0]], geoms[idx[1]])
    best: dict[int, tuple[float, str, int]] = {}
    for (r, t), d in zip(idx.T.tolist(), dist.tolist(), strict=True):
        key = (round(d, 9), floor.trays[t].id, t)
        if r not in best or key < best[r]:
            best[r] = key
    return {r: (t, d) for r, (d, _, t) in best.items()}


def _trays_too_low(
    floor: Floor,
    racks: Sequence[Rack],
    boxes: np.ndarray,
    lines: Sequence[LineString],
    served: dict[int, tuple[int, float]],
) -> list[Problem]:
    """Trays whose bottom is below the top of a rack they serve or pass over."""
    if not racks or not lines:
        return []
    under: dict[int, set[int]] = {t: set() for t in range(len(lines))}
    for r, (t, _) in served.items():
        under[t].add(r)
    tree = shapely.STRtree(boxes)
    line_arr = np.array(lines, dtype=object)
    t_i, r_i = tree.query(line_arr, predicate="intersects")
    if len(t_i):
        # the line's interior must enter the rack's interior, not just run along an edge
        enters = shapely.relate_pattern(line_arr[t_i], boxes[r_i], "T********")
        for t, r in zip(t_i[enters].tolist(), r_i[enters].tolist(), strict=True):
            under[t].add(r)
    out: list[Problem] = []
    for t, rack_ids in under.items():
        tray = floor.trays[t]
        low = [racks[r] for r in rack_ids if racks[r].height_m > tray.elevation + _TOL]
        if not low:
            continue
        top = min(low, key=lambda r: (-r.height_m, r.id))
        more = f" and {len(low) - 1} more" if len(low) > 1 else ""
        out.append(
            Problem(
                f"floor.trays.{tray.id}",
                f"tray {tray.id!r} at elevation {tray.elevation:.2f} m is below the top of "
                f"rack {top.id!r} at {top.height_m:.2f} m{more}",
                tray.elevation,
            )
        )
    return out


def _unserved_racks(
    floor: Floor,
    racks: Sequence[Rack],
    lines: Sequence[LineString],
    served: dict[int, tuple[int, float]],
) -> list[Problem]:
    lonely = [i for i, r in enumerate(racks) if r.role != "empty" and i not in served]
    if not lonely:
        return []
    reach = floor.drop_reach
    nearest = _nearest_trays(floor, [racks[i] for i in lonely], lines, reach=None)
    out: list[Problem] = []
    for k, i in enumerate(lonely):
        rack = racks[i]
        if k in nearest:
            t, d = nearest[k]
            where = f"nearest {floor.trays[t].id!r} at {d:.2f} m"
        else:
            where, d = "the floor has no trays", float("inf")
        out.append(
            Problem(
                f"floor.racks.{rack.id}",
                f"rack {rack.id!r} has no tray within {reach:g} m ({where})",
                None if d == float("inf") else round(d, 4),
            )
        )
    return out
