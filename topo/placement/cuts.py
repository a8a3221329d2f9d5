"""Lines across the floor that no placement and no routing can carry.

A straight line across the hall (``x = c`` or ``y = c``) splits the racks in two. Every
route from a rack on one side to a rack on the other crosses it, and when the only
pathway edges crossing it are tray segments, every such cable lies in one of those
segments. So the segments' room at their fill limits bounds the cable the line can carry::

        row A  [][][][]    |    [][][][]        x = c: the cut
        tray   ============|============        segments crossing it carry
        row B  [][][][]    |    [][][][]        every cable from left to right

Which cables cross depends on where the free switches stand. Fixed devices (servers,
top-of-rack leaves, installed gear) have a side; a free switch may stand on either side
where it has a candidate rack. The least cable cross-section *any* placement lays across
the line is a minimum s-t cut of the fabric (fixed sides contracted to the two
terminals, each link weighted with the thinnest cross-section its speed's media have),
computed by OR-Tools max-flow. Rack space and power are ignored and breakout legs
counted as nothing, which can only lower it: when it still exceeds the line's room, no
placement and no routing of this fabric fits the floor's trays, and :class:`FloorCut`
says where and by how much.

Only lines where some placement already overflows are worth a max-flow: the placement
the planner routed is one placement, so a line it fits cannot be a proof.

:func:`drop_cuts` finds the other cuts every route crosses, the small ones around the
racks a free switch may stand in (a run of racks under one tray, between two
junctions); the placement's stages keep their switches' cable within them
(:mod:`topo.placement.optimize`). Once every device has a rack, the cable across each
such cut is known, and :func:`placement_cut` proves that a placement (the naive one,
say) cannot fit its trays whatever the routes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
from ortools.graph.python import max_flow

from layouts.pathways import PathwayGraph
from topo.cables import breakout_assemblies
from topo.catalog import Catalog
from topo.model import Fabric

__all__ = [
    "DropCut",
    "FloorCut",
    "PlacedCut",
    "drop_cuts",
    "floor_cuts",
    "link_floor_areas",
    "placement_cut",
]

_SCALE = 100
"""Max-flow capacities are integers: hundredths of a square millimetre, rounded down."""


class _Overload:
    """What a proven cut says: the least cable across it against its room (mm²)."""

    __slots__ = ()
    capacity_mm2: float
    least_mm2: float

    @property
    def over_mm2(self) -> float:
        """By how much the least load exceeds the room."""
        return self.least_mm2 - self.capacity_mm2

    @property
    def ratio(self) -> float:
        """Least load over room: the trays would need this much more room."""
        return self.least_mm2 / self.capacity_mm2 if self.capacity_mm2 > 0 else float("inf")


@dataclass(frozen=True, slots=True)
class FloorCut(_Overload):
    """A line across the floor that every placement overloads.

    Attributes:
        axis: ``x`` (a line ``x = at_m``, running across the rows) or ``y``.
        at_m: where the line is, floor metres.
        segments: the tray segments crossing it, by id.
        capacity_mm2: their cross-section at their fill limits, summed.
        least_mm2: the least cable cross-section any placement lays across the line.
    """

    axis: Literal["x", "y"]
    at_m: float
    segments: tuple[str, ...]
    capacity_mm2: float
    least_mm2: float

    def describe(self) -> str:
        """One sentence for a plan note."""
        return (
            f"no placement fits the trays: every placement lays at least "
            f"{self.least_mm2:,.0f} mm² of cable across the line {self.axis} = {self.at_m:g} m, "
            f"where the {len(self.segments)} tray segments crossing it "
            f"({_first(self.segments)}) hold {self.capacity_mm2:,.0f} mm² at their fill "
            f"limits: {self.over_mm2:,.0f} mm² over, {self.ratio:.2f}x their room"
        )


def _first(ids: Sequence[str], n: int = 4) -> str:
    shown = ", ".join(ids[:n])
    return shown + (f" and {len(ids) - n} more" if len(ids) > n else "")


def link_floor_areas(fabric: Fabric, catalog: Catalog) -> np.ndarray:
    """Each link's least cross-section on the floor, mm²: the thinnest media of its
    speed (0 for a breakout leg, whose assembly's area is not the leg's own, and for a
    speed with no media)."""
    thinnest: dict[int, float] = {}
    for link in fabric.links:
        s = link.speed_gbps
        if s not in thinnest:
            areas = [m.area_mm2 for m in catalog.media_for(s)]
            thinnest[s] = min(areas) if areas else 0.0
    legs = np.asarray(breakout_assemblies(fabric.links), dtype=np.int64) >= 0
    area = np.array([thinnest[link.speed_gbps] for link in fabric.links], dtype=np.float64)
    return np.where(legs, 0.0, area)


def floor_cuts(
    graph: PathwayGraph,
    fabric: Fabric,
    where: Mapping[str, str],
    candidates: Mapping[str, Sequence[str]],
    areas: np.ndarray,
    *,
    tries: int = 6,
) -> list[FloorCut]:
    """Lines across the floor that no placement of ``fabric`` can carry, worst first.

    Args:
        graph: the floor's pathways.
        fabric: the fabric; its links are weighted by ``areas`` (one per link, mm²).
        where: a placement of every device (device id -> rack), the one routed; only
            lines it overloads are examined, the most overloaded first.
        candidates: the racks each free device may use; a device not named is fixed
            in its rack of ``where``.
        areas: each link's least cross-section (see :func:`link_floor_areas`).
        tries: how many of those lines to bound (one max-flow each).

    Returns:
        The proven lines among those tried (least load over room), worst first; empty
        when none is proven, which proves nothing either way.
    """
    rack_xy = {r: graph.node_xy[d.node] * 1000.0 for r, d in graph.drops.items()}
    ids = [d.id for d in fabric.devices]
    col = {d: i for i, d in enumerate(ids)}
    la = np.array([col[link.a.device] for link in fabric.links], dtype=np.int64)
    lb = np.array([col[link.b.device] for link in fabric.links], dtype=np.int64)
    # each device's coordinate range: its rack (fixed) or its candidate racks (free)
    lo = np.full((len(ids), 2), np.nan)
    hi = np.full((len(ids), 2), np.nan)
    at = np.full((len(ids), 2), np.nan)
    for i, d in enumerate(ids):
        r = where.get(d)
        if r in rack_xy:
            at[i] = rack_xy[r]
        racks = [q for q in candidates.get(d, (r,)) if q in rack_xy]
        if racks:
            xy = np.array([rack_xy[q] for q in racks])
            lo[i], hi[i] = xy.min(axis=0), xy.max(axis=0)
    ok = (areas > 0) & ~np.isnan(at[la, 0]) & ~np.isnan(at[lb, 0])
    ok &= ~np.isnan(lo[la, 0]) & ~np.isnan(lo[lb, 0])
    la, lb, w = la[ok], lb[ok], np.floor(areas[ok] * _SCALE).astype(np.int64)
    if len(la) == 0:
        return []
    tried = []
    for k in (0, 1):
        a, b = at[la, k], at[lb, k]
        low, high = np.minimum(a, b), np.maximum(a, b)
        for c, segs, room in _lines(graph, k):
            here = float(w[(low < c) & (c <= high)].sum()) / _SCALE
            if here > room:
                tried.append((here / room, k, c, segs, room))
    tried.sort(key=lambda t: (-t[0], t[1], t[2]))
    out: list[FloorCut] = []
    for _, k, c, segs, room in tried[:tries]:
        side_lo = (lo[:, k] >= c).astype(np.int64)  # 1: every candidate on the far side
        side_hi = (hi[:, k] >= c).astype(np.int64)
        # figures to 0.1 mm² as written, rounded the way that keeps the claim true:
        # the least load down, the room up
        least = math.floor(_least_crossing(la, lb, w, side_lo, side_hi) / _SCALE * 10) / 10
        room = math.ceil(room * 10) / 10
        if least > room:
            names = tuple(graph.segments[s].id for s in segs)
            axis: Literal["x", "y"] = "x" if k == 0 else "y"
            out.append(FloorCut(axis, round(c / 1000, 3), names, room, least))
    out.sort(key=lambda f: (-f.ratio, f.axis, f.at_m))
    return out


def _lines(graph: PathwayGraph, k: int) -> list[tuple[float, list[int], float]]:
    """Lines ``coord k = c`` (mm) between consecutive node coordinates whose crossing
    edges are all tray segments: (c, crossing segment indices, their room in mm²)."""
    coord = graph.node_xy[:, k] * 1000.0
    values = np.unique(np.round(coord, 3))
    if len(values) < 2:
        return []
    mids = (values[:-1] + values[1:]) / 2
    cu, cv = coord[graph.edge_u], coord[graph.edge_v]
    lo, hi = np.minimum(cu, cv), np.maximum(cu, cv)
    order = np.argsort(lo, kind="stable")
    out = []
    for c in mids.tolist():
        crossing = order[: np.searchsorted(lo[order], c)]
        crossing = crossing[hi[crossing] > c]
        segs = graph.edge_segment[crossing]
        if len(crossing) == 0 or (segs < 0).any():
            continue  # nothing crosses, or something other than a tray (no proof)
        room = float(sum(graph.segments[s].capacity_mm2 for s in segs.tolist()))
        out.append((c, sorted(segs.tolist()), room))
    return out


def _least_crossing(
    la: np.ndarray, lb: np.ndarray, w: np.ndarray, side_lo: np.ndarray, side_hi: np.ndarray
) -> int:
    """The least weight of links any side assignment puts across the line: a min s-t cut.

    A device whose candidates lie on one side (``side_lo == side_hi``) is contracted
    into terminal 0 (near side) or 1 (far side); the others are max-flow nodes 2, 3, ...
    """
    free = side_lo != side_hi
    node = np.where(free, 0, side_lo)
    node[free] = 2 + np.arange(int(free.sum()))
    a, b = node[la], node[lb]
    keep = a != b
    a, b, w = a[keep], b[keep], w[keep]
    across = ((a <= 1) & (b <= 1)).astype(bool)
    fixed = int(w[across].sum())
    a, b, w = a[~across], b[~across], w[~across]
    if len(a) == 0:
        return fixed
    u, v = np.minimum(a, b), np.maximum(a, b)
    pairs, inverse = np.unique(u * (int(node.max()) + 1) + v, return_inverse=True)
    cap = np.bincount(inverse, weights=w).astype(np.int64)
    n = int(node.max()) + 1
    tail, head = pairs // n, pairs % n
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(
        np.concatenate([tail, head]).astype(np.int32),
        np.concatenate([head, tail]).astype(np.int32),
        np.concatenate([cap, cap]),
    )
    if flow.solve(0, 1) != flow.OPTIMAL:
        return fixed  # the links between fixed sides alone still bound it
    return fixed + int(flow.optimal_flow())


class DropCut(NamedTuple):
    """A run of candidate racks under one tray and the segments at its two ends."""

    segments: tuple[int, ...]
    """The segments (pathway graph order) every cable between a rack of the run and a
    rack outside it crosses."""
    racks: tuple[str, ...]
    """The candidate racks of the run."""


def drop_cuts(graph: PathwayGraph, racks: Sequence[str]) -> list[DropCut]:
    """Cuts around the drop points of ``racks`` (the candidate racks of free switches).

    Between two junctions a tray is a chain of tray nodes, each reached by the drops of
    the racks under it::

        junction ──s1── [A09] ──s2── [A10] ──s3── junction
                        drop         drop

    Every cable between a switch in ``A09`` and another rack crosses ``s1`` or ``s2``;
    every cable between ``A09``/``A10`` and a rack outside them crosses ``s1`` or ``s3``.
    So each run of consecutive candidate drop points of a chain is a cut, bounded by
    the segments at its two ends; the trays' room on those segments bounds the cable
    its switches can lay to the rest of the hall, whatever the routes. A drop point that
    is also a junction is in no cut. Runs are every one of up to :data:`_RUNS` candidate
    drop points, and the chain's whole run.
    """
    wanted = set(racks)
    rack_nodes = {d.node for d in graph.drops.values()}
    at_node: dict[int, list[str]] = defaultdict(list)
    for r in sorted(wanted & set(graph.drops)):
        at_node[graph.drops[r].tray_node].append(r)
    segs_at: dict[int, list[tuple[int, int]]] = defaultdict(list)  # node -> (segment, far)
    junction: set[int] = set()
    for u, v, s in zip(
        graph.edge_u.tolist(), graph.edge_v.tolist(), graph.edge_segment.tolist(), strict=True
    ):
        if s >= 0:
            segs_at[u].append((s, v))
            segs_at[v].append((s, u))
        else:  # a riser or connector joins trays there; a drop does not
            for a, b in ((u, v), (v, u)):
                if b not in rack_nodes:
                    junction.add(a)

    def chain_node(n: int) -> bool:
        return n not in junction and len(segs_at[n]) <= 2

    out: list[DropCut] = []
    done: set[int] = set()
    for start in sorted(at_node):
        if start in done or not chain_node(start):
            continue
        chain = _chain(start, segs_at, chain_node)
        done.update(n for n, _, _ in chain)
        stops = [(k, n) for k, (n, _, _) in enumerate(chain) if n in at_node]
        m = len(stops)
        runs = [(a, b) for a in range(m) for b in range(a, min(m, a + _RUNS))]
        if m > _RUNS:
            runs.append((0, m - 1))
        for a, b in runs:
            ends = (chain[stops[a][0]][1], chain[stops[b][0]][2])
            inside = tuple(r for _, n in stops[a : b + 1] for r in at_node[n])
            out.append(DropCut(tuple(s for s in ends if s >= 0), inside))
    return out


def _chain(
    start: int,
    segs_at: Mapping[int, list[tuple[int, int]]],
    chain_node: Callable[[int], bool],
) -> list[tuple[int, int, int]]:
    """The chain of tray nodes through ``start``, end to end: per node, the segment
    before it and after it (-1 past a dead end)."""
    # back to one end: the segment that leads out of the chain is its boundary
    node, came, seen = start, -1, {start}
    while True:
        out = [(s, f) for s, f in segs_at[node] if s != came]
        if not out:
            before = -1
            break
        s, f = out[0]
        if not chain_node(f) or f in seen:
            before = s
            break
        seen.add(f)
        node, came = f, s
    chain: list[tuple[int, int, int]] = []
    visited: set[int] = set()
    while True:
        visited.add(node)
        out = [(s, f) for s, f in segs_at[node] if s != before]
        after, far = out[0] if out else (-1, -1)
        chain.append((node, before, after))
        if after < 0 or not chain_node(far) or far in visited:
            return chain
        node, before = far, after


_RUNS = 8
"""Longest run of consecutive candidate drop points on a chain given its own cut (the
whole chain is one too): a row of network racks has 36 runs of up to 8 racks."""


@dataclass(frozen=True, slots=True)
class PlacedCut(_Overload):
    """A run of racks under one tray whose cable to the rest of the hall, at its least
    cross-section, overfills the segments at the run's two ends whatever the routes.

    Attributes:
        racks: the run's racks.
        segments: the segments at its ends, by id.
        capacity_mm2: their cross-section at their fill limits, summed.
        least_mm2: the least cross-section of the cables between a rack of the run and a
            rack outside it (each link at its speed's thinnest media).
    """

    racks: tuple[str, ...]
    segments: tuple[str, ...]
    capacity_mm2: float
    least_mm2: float

    def describe(self) -> str:
        """One clause for a plan note."""
        return (
            f"its cables from racks {_first(self.racks, 3)} to the rest of the hall, at "
            f"least {self.least_mm2:,.0f} mm², must cross tray segments "
            f"{_first(self.segments)}, which hold {self.capacity_mm2:,.0f} mm² at their fill "
            f"limits ({self.over_mm2:,.0f} mm² over)"
        )


def placement_cut(
    graph: PathwayGraph, fabric: Fabric, where: Mapping[str, str], areas: np.ndarray
) -> PlacedCut | None:
    """The drop cut (:func:`drop_cuts`, around every cabled rack) a placement overfills
    most whatever the routes, or None when it overfills none (which proves nothing).

    Args:
        where: each placed device's rack (device id -> rack id); links with an end not
            placed do not count, which can only lower the load.
        areas: each link's least cross-section (see :func:`link_floor_areas`).
    """
    ends = [(where.get(link.a.device), where.get(link.b.device)) for link in fabric.links]
    racks = sorted({r for pair in ends for r in pair if r is not None} & set(graph.drops))
    index = {r: i for i, r in enumerate(racks)}
    a = np.array([index.get(ra, -1) if ra else -1 for ra, _ in ends], dtype=np.int64)
    b = np.array([index.get(rb, -1) if rb else -1 for _, rb in ends], dtype=np.int64)
    keep = (a >= 0) & (b >= 0) & (a != b) & (np.asarray(areas) > 0)
    a, b, w = a[keep], b[keep], np.asarray(areas, dtype=np.float64)[keep]
    if not len(w):
        return None
    incident = np.bincount(a, weights=w, minlength=len(racks))
    incident += np.bincount(b, weights=w, minlength=len(racks))
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keys, at = np.unique(lo * len(racks) + hi, return_inverse=True)
    between = dict(zip(keys.tolist(), np.bincount(at, weights=w).tolist(), strict=True))
    room = np.array([s.capacity_mm2 for s in graph.segments], dtype=np.float64)
    worst: PlacedCut | None = None
    for cut in drop_cuts(graph, racks):
        ids = sorted(index[r] for r in cut.racks)
        inside = sum(
            between.get(i * len(racks) + j, 0.0) for k, i in enumerate(ids) for j in ids[k + 1 :]
        )
        least = float(incident[ids].sum()) - 2.0 * inside
        capacity = float(room[list(cut.segments)].sum())
        if least <= capacity * (1 + 1e-9) + 1e-6:
            continue
        names = tuple(graph.segments[s].id for s in cut.segments)
        placed = PlacedCut(cut.racks, names, capacity, least)
        if worst is None or placed.ratio > worst.ratio:
            worst = placed
    return worst
