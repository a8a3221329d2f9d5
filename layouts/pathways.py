"""The pathway graph: where a cable can run, as a weighted graph in integer millimetres.

Steps:

1. Each rack is served by the nearest tray within ``floor.drop_reach`` of its centre (ties
   go to the lower tray id). The rack's *drop point* is its centre projected on that tray.
2. Every tray is split at its own vertices, at its crossings with other trays, where
   another tray's end touches it (within ``floor.junction_tolerance``) and at the drop
   points of the racks it serves. Each piece between two split points is a *segment*: an
   edge that knows its tray, length, cross-section and fill limit.
3. Crossing trays at the same elevation share a junction node; at different elevations
   they are joined by a vertical *riser* edge. A tray end near another tray is joined by a
   short *connector* edge. Risers and connectors carry no fill limit.
4. Each rack gets a node of its own, joined to its drop point by a *drop* edge whose length
   is the horizontal offset plus the fall from the tray bottom to the rack top::

        tray  ==========o==========o=======   o drop point on the tray centre line
                        |          |
                        | drop     | drop       drop = (elevation - rack top) + offset
                     +-----+    +-----+
                     | A01 |    | A02 |         the in-rack run to a port is added later,
                     +-----+    +-----+         by the planner, per device

Nodes and edges are numbered deterministically (nodes by coordinates, segments by tray id
and distance along the tray), so the same floor always gives the same graph.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import numpy as np
import shapely
from scipy import sparse
from shapely.geometry import LineString, Point

from layouts.model import Floor, Rack, Tray
from layouts.validate import serving_trays

__all__ = [
    "Drop",
    "PathwayGraph",
    "Segment",
    "compact_route",
    "parse_route",
    "pathways_from_floor",
    "route_polyline",
]

EdgeKind = str  # "tray", "riser", "connector", "drop"


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of one tray between two adjacent junctions or drop points.

    Attributes:
        id: ``{tray}.{k:03d}``, k counting from 1 along the tray's path.
        index: position in :attr:`PathwayGraph.segments`.
        edge: index of the graph edge that carries it.
        area_mm2: tray cross-section available to cables.
        fill_limit: fraction of ``area_mm2`` cables may fill.
    """

    id: str
    index: int
    tray: str
    edge: int
    length_mm: int
    area_mm2: int
    fill_limit: float
    start: tuple[float, float]
    end: tuple[float, float]
    elevation: float

    @property
    def capacity_mm2(self) -> float:
        return self.area_mm2 * self.fill_limit


@dataclass(frozen=True, slots=True)
class Drop:
    """How a rack reaches its tray: the drop point and the drop's length."""

    rack: str
    node: int
    tray_node: int
    tray: str
    point: tuple[float, float]
    length_mm: int


@dataclass(frozen=True, eq=False)
class PathwayGraph:
    """An undirected graph of tray segments, risers, connectors and rack drops.

    Edge ``e`` joins nodes ``edge_u[e]`` and ``edge_v[e]`` with length ``edge_mm[e]``
    millimetres; ``edge_segment[e]`` is the index of its tray segment, or -1 for a riser,
    connector or drop.
    """

    node_xy: np.ndarray
    node_z: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_mm: np.ndarray
    edge_segment: np.ndarray
    edge_kind: tuple[EdgeKind, ...]
    segments: tuple[Segment, ...]
    drops: dict[str, Drop]
    unserved: tuple[str, ...]

    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)

    @property
    def n_edges(self) -> int:
        return len(self.edge_u)

    @cached_property
    def segment_index(self) -> dict[str, Segment]:
        return {s.id: s for s in self.segments}

    @cached_property
    def csr(self) -> sparse.csr_matrix:
        """Symmetric adjacency in millimetres, for scipy.sparse.csgraph."""
        n = self.n_nodes
        # parallel edges would be summed by the constructor: keep the shortest of each
        keep = np.fromiter(sorted(self.edge_lookup.values()), dtype=np.int64)
        u, v, mm = self.edge_u[keep], self.edge_v[keep], self.edge_mm[keep]
        rows = np.concatenate([u, v])
        cols = np.concatenate([v, u])
        data = np.concatenate([mm, mm]).astype(np.float64)
        return sparse.csr_matrix((data, (rows, cols)), shape=(n, n))

    @cached_property
    def edge_lookup(self) -> dict[tuple[int, int], int]:
        """Edge index by (smaller node, larger node); the shortest edge if parallel."""
        out: dict[tuple[int, int], int] = {}
        for e, (u, v, mm) in enumerate(
            zip(self.edge_u.tolist(), self.edge_v.tolist(), self.edge_mm.tolist(), strict=True)
        ):
            key = (u, v) if u < v else (v, u)
            if key not in out or mm < self.edge_mm[out[key]]:
                out[key] = e
        return out

    def to_networkx(self) -> nx.Graph:
        """The same graph as networkx: nodes are ints, edges carry ``mm``, ``edge`` and
        ``segment`` (the segment id or None)."""
        g = nx.Graph()
        g.add_nodes_from(range(self.n_nodes))
        for e, key in sorted((e, k) for k, e in self.edge_lookup.items()):
            seg = int(self.edge_segment[e])
            g.add_edge(
                key[0],
                key[1],
                mm=int(self.edge_mm[e]),
                edge=e,
                segment=self.segments[seg].id if seg >= 0 else None,
            )
        return g


def pathways_from_floor(floor: Floor) -> PathwayGraph:
    """Build the pathway graph of a floor.

    Racks with role ``empty`` get no drop. Racks with no tray in reach are listed in
    :attr:`PathwayGraph.unserved` (floor validation reports them as problems).

    Example:
        >>> from layouts.model import Floor, RackRow, Tray
        >>> floor = Floor(
        ...     outline=((0, 0), (6, 0), (6, 4), (0, 4)),
        ...     rows=(RackRow(id="A", origin=(1, 1), count=3),),
        ...     trays=(Tray(id="T1", path=((1, 1.6), (2.8, 1.6))),),
        ... )
        >>> g = pathways_from_floor(floor)
        >>> [s.id for s in g.segments]
        ['T1.001', 'T1.002', 'T1.003', 'T1.004']
        >>> g.drops["A02"].point
        (1.9, 1.6)
    """
    racks = [r for r in floor.racks if r.role != "empty"]
    serving = serving_trays(floor)
    trays = sorted(floor.trays, key=lambda t: t.id)
    splits = _Splits({t.id: LineString(t.path) for t in trays})
    for t in trays:
        splits.add_vertices(t)
    risers, connectors = _tray_joins(trays, splits, floor.junction_tolerance)
    drop_at: dict[str, tuple[str, int, float]] = {}
    for r in racks:
        if r.id in serving:
            tray, dist = serving[r.id]
            drop_at[r.id] = (tray.id, splits.add(tray.id, (r.x, r.y)), dist)
    return _graph(floor, trays, racks, splits, risers, connectors, drop_at)


Join = tuple[tuple[str, int], tuple[str, int], int]
"""Two split points ``(tray, mm along it)`` joined by a riser or connector of ``mm``."""


class _Splits:
    """Split points along each tray: millimetres along the tray -> ``(x, y)``."""

    def __init__(self, lines: dict[str, LineString]) -> None:
        self.lines = lines
        self.at: dict[str, dict[int, tuple[float, float]]] = defaultdict(dict)

    def add(self, tray: str, xy: tuple[float, float]) -> int:
        """Split ``tray`` at the point nearest ``xy``; its position along the tray, mm."""
        t_mm = round(self.lines[tray].project(Point(xy)) * 1000)
        p = self.lines[tray].interpolate(t_mm / 1000)
        self.at[tray].setdefault(t_mm, (round(p.x, 6), round(p.y, 6)))
        return t_mm

    def add_vertices(self, t: Tray) -> None:
        """Split a tray at every vertex of its path and at its end."""
        acc = 0.0
        prev = t.path[0]
        for vertex in t.path:
            acc += math.dist(prev, vertex)
            prev = vertex
            self.at[t.id].setdefault(round(acc * 1000), (float(vertex[0]), float(vertex[1])))
        last = t.path[-1]
        end_mm = round(self.lines[t.id].length * 1000)
        self.at[t.id].setdefault(end_mm, (float(last[0]), float(last[1])))


def _tray_joins(
    trays: Sequence[Tray], splits: _Splits, tol: float
) -> tuple[list[Join], list[Join]]:
    """Risers where trays cross or overlap, connectors where a tray end lies within
    ``tol`` of another tray (a T-junction without crossing); both split the trays."""
    lines = splits.lines
    risers: list[Join] = []
    connectors: list[Join] = []
    tree = shapely.STRtree([lines[t.id] for t in trays])
    for i, t in enumerate(trays):
        cand = tree.query(lines[t.id].buffer(tol))
        for j in sorted(int(c) for c in cand):
            if j <= i:
                continue
            o = trays[j]
            inter = lines[t.id].intersection(lines[o.id])
            pts: list[tuple[float, float]] = []
            for g in getattr(inter, "geoms", [inter]):
                if g.is_empty:
                    continue
                if g.geom_type == "Point":
                    pts.append((g.x, g.y))
                else:  # overlapping trays: join at the ends of the shared piece
                    coords = list(g.coords) if hasattr(g, "coords") else []
                    pts.extend([coords[0], coords[-1]] if coords else [])
            for pt in pts:
                ta, tb = splits.add(t.id, pt), splits.add(o.id, pt)
                dz = round(abs(t.elevation - o.elevation) * 1000)
                risers.append(((t.id, ta), (o.id, tb), dz))
            joined = bool(pts)
            for src, dst in ((t, o), (o, t)):
                for end in (src.path[0], src.path[-1]):
                    d = lines[dst.id].distance(Point(end))
                    if d <= tol and not (joined and d < 1e-9):
                        ts = splits.add(src.id, end)
                        td = splits.add(dst.id, end)
                        rise = abs(src.elevation - dst.elevation)
                        mm = max(1, round(math.hypot(d, rise) * 1000))
                        connectors.append(((src.id, ts), (dst.id, td), mm))
    return risers, connectors


def _graph(
    floor: Floor,
    trays: Sequence[Tray],
    racks: Sequence[Rack],
    splits: _Splits,
    risers: list[Join],
    connectors: list[Join],
    drop_at: dict[str, tuple[str, int, float]],
) -> PathwayGraph:
    """The graph: one node per split point (merged across trays where they coincide in
    plan and elevation) and per served rack; tray segments, risers, connectors, drops."""
    key_of: dict[tuple[str, int], tuple[int, int, int]] = {}
    elev = {t.id: t.elevation for t in trays}
    for tid, pts_ in splits.at.items():
        z = round(elev[tid] * 1000)
        for t_mm, (x, y) in pts_.items():
            key_of[(tid, t_mm)] = (round(x * 1000), round(y * 1000), z)
    node_keys = sorted(set(key_of.values()))
    node_id = {k: i for i, k in enumerate(node_keys)}
    xy = [(k[0] / 1000, k[1] / 1000) for k in node_keys]
    zz = [k[2] / 1000 for k in node_keys]

    edge_u: list[int] = []
    edge_v: list[int] = []
    edge_mm: list[int] = []
    edge_seg: list[int] = []
    kinds: list[str] = []
    segments: list[Segment] = []

    def add_edge(u: int, v: int, mm: int, kind: str, seg: int = -1) -> int:
        edge_u.append(u)
        edge_v.append(v)
        edge_mm.append(max(1, mm))
        edge_seg.append(seg)
        kinds.append(kind)
        return len(edge_u) - 1

    for t in trays:
        fill = floor.tray_fill_limit(t)
        k = 0
        for (t0, p0), (t1, p1) in itertools.pairwise(sorted(splits.at[t.id].items())):
            u, v = node_id[key_of[(t.id, t0)]], node_id[key_of[(t.id, t1)]]
            if u == v:
                continue
            k += 1
            e = add_edge(u, v, t1 - t0, "tray", len(segments))
            segments.append(
                Segment(
                    id=f"{t.id}.{k:03d}",
                    index=len(segments),
                    tray=t.id,
                    edge=e,
                    length_mm=max(1, t1 - t0),
                    area_mm2=t.area_mm2,
                    fill_limit=fill,
                    start=p0,
                    end=p1,
                    elevation=t.elevation,
                )
            )
    for kind, joins in (("riser", risers), ("connector", connectors)):
        for end_a, end_b, join_mm in sorted(joins):
            u, v = node_id[key_of[end_a]], node_id[key_of[end_b]]
            if u != v:
                add_edge(u, v, join_mm, kind)

    drops: dict[str, Drop] = {}
    for r in racks:
        if r.id not in drop_at:
            continue
        tid, t_mm, dist = drop_at[r.id]
        rack_node = len(xy)
        xy.append((r.x, r.y))
        zz.append(r.height_m)
        tray_node = node_id[key_of[(tid, t_mm)]]
        fall = abs(elev[tid] - r.height_m)
        mm = round((fall + dist) * 1000)
        add_edge(rack_node, tray_node, mm, "drop")
        drops[r.id] = Drop(
            rack=r.id,
            node=rack_node,
            tray_node=tray_node,
            tray=tid,
            point=splits.at[tid][t_mm],
            length_mm=max(1, mm),
        )

    return PathwayGraph(
        node_xy=np.asarray(xy, dtype=np.float64).reshape(-1, 2),
        node_z=np.asarray(zz, dtype=np.float64),
        edge_u=np.asarray(edge_u, dtype=np.int64),
        edge_v=np.asarray(edge_v, dtype=np.int64),
        edge_mm=np.asarray(edge_mm, dtype=np.int64),
        edge_segment=np.asarray(edge_seg, dtype=np.int64),
        edge_kind=tuple(kinds),
        segments=tuple(segments),
        drops=drops,
        unserved=tuple(r.id for r in racks if r.id not in drop_at),
    )


def compact_route(segments: Sequence[Segment]) -> str:
    """A route's segments, in order, as ``cables.csv`` writes them.

    Consecutive segments of one tray collapse to a run: ``T-A.002..004`` is segments 2 to
    4 of tray ``T-A`` (in that order; ``T-A.004..002`` runs the other way), and runs are
    joined with ``" > "``. A run names only its ends, so a tray's segments must be
    consecutive along a route, as they are on any route through the pathway graph.

    Example:
        >>> seg = lambda sid: Segment(sid, 0, sid.split(".")[0], 0, 0, 1.0, 0.4, (0, 0), (0, 0), 0.0)
        >>> compact_route([seg("T-A.002"), seg("T-A.003"), seg("T-A.004"), seg("X.001")])
        'T-A.002..004 > X.001'
    """  # noqa: E501
    runs: list[list[str]] = []
    prev_tray = None
    for s in segments:
        k = s.id.rsplit(".", 1)[1]
        if s.tray == prev_tray:
            runs[-1].append(k)
        else:
            runs.append([s.tray, k])
            prev_tray = s.tray
    parts = []
    for run in runs:
        tray, first, last = run[0], run[1], run[-1]
        parts.append(f"{tray}.{first}" if len(run) == 2 else f"{tray}.{first}..{last}")
    return " > ".join(parts)


def parse_route(graph: PathwayGraph, text: str) -> tuple[int, ...]:
    """Segment indices of a route written by :func:`compact_route`.

    Raises:
        ValueError: a run names a segment the graph does not have.
    """
    out: list[int] = []
    index = graph.segment_index
    for part in filter(None, (p.strip() for p in text.split(" > "))):
        head, _, last = part.partition("..")
        tray, _, first = head.rpartition(".")
        if not tray or not first.isdigit() or (last and not last.isdigit()):
            raise ValueError(f"route part {part!r} is not TRAY.NNN or TRAY.NNN..NNN")
        lo, hi = int(first), int(last or first)
        step = 1 if hi >= lo else -1
        width = len(first)
        for k in range(lo, hi + step, step):
            sid = f"{tray}.{k:0{width}d}"
            seg = index.get(sid)
            if seg is None:
                raise ValueError(f"route part {part!r}: no tray segment {sid!r}")
            out.append(seg.index)
    return tuple(out)


XY = tuple[float, float]


def route_polyline(pieces: Sequence[tuple[XY, XY]]) -> list[XY]:
    """One polyline through tray segments given in route order (start, end), each turned
    to run on from the end nearest the last point (a route may walk a segment end to
    start); the first is turned towards the second.

    Example:
        >>> route_polyline([((0, 0), (1, 0)), ((1, 1), (1, 0))])
        [(0, 0), (1, 0), (1, 1)]
    """

    def d2(p: XY, q: XY) -> float:
        return (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2

    line: list[XY] = []
    for k, (a, b) in enumerate(pieces):
        if line:
            if d2(line[-1], b) < d2(line[-1], a):
                a, b = b, a
        elif k + 1 < len(pieces):
            na, nb = pieces[k + 1]
            if min(d2(a, na), d2(a, nb)) < min(d2(b, na), d2(b, nb)):
                a, b = b, a
        if not line or line[-1] != a:
            line.append(a)
        line.append(b)
    return line
