"""Flow primitives on the pathway graph, vectorised for halls of thousands of racks.

The optimizer thinks in *shortest-path trees*: a group of cables leaving one rack is
routed, under some edge weights, along the tree of shortest paths from that rack. This
module builds the pieces once per graph and keeps them in numpy arrays:

- :class:`FlowGraph`: the graph's CSR matrix with a map from each stored entry to its
  edge, so new weights (length + area x price) cost one gather, not a rebuild; batched
  Dijkstra (``scipy.sparse.csgraph``) from many sources at once.
- :func:`tree_loads`: how many cables cross each edge of each tree, from the sink
  demands, by pushing loads up the tree level by level (every tree at once).
- :func:`sink_loads`: the same loads and each sink's path length, walking up from the
  sinks only: far less work where a tree spans the hall but its cables reach a few
  dozen racks (the trees column generation prices).
- :func:`tree_paths`: the edge list of the tree path to each sink.
- :func:`group_min_cost_flow`: one group's cables routed by OR-Tools min-cost flow
  under hard residual tray capacities, with expensive overflow arcs so that it always
  answers, then split into paths.

Edges are the graph's undirected edges (shortest of parallel ones); a tree is given by
its predecessor array (``-9999`` for the root and unreached nodes, scipy's convention).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy import sparse
from scipy.sparse import csgraph

from layouts.pathways import PathwayGraph

__all__ = [
    "FlowGraph",
    "decompose",
    "group_min_cost_flow",
    "segment_counts",
    "sink_loads",
    "tree_loads",
    "tree_paths",
    "tree_shape",
]

NO_PRED = -9999


@dataclass(frozen=True, eq=False)
class FlowGraph:
    """A pathway graph prepared for repeated shortest-path and flow computations.

    Attributes:
        n: nodes.
        edges: graph edge index of each kept edge (parallel edges: the shortest).
        u, v, mm: ends and length (mm) of each kept edge.
        seg: tray segment index of each kept edge, -1 for drops, risers, connectors.
        capacity: fill limit of each segment, mm² (``segment.capacity_mm2``).
    """

    graph: PathwayGraph
    n: int
    edges: np.ndarray
    u: np.ndarray
    v: np.ndarray
    mm: np.ndarray
    seg: np.ndarray
    capacity: np.ndarray
    _csr: sparse.csr_matrix
    _entry: np.ndarray  # kept-edge index of each stored CSR entry
    _keys: np.ndarray  # sorted min*n+max keys of kept edges
    _key_edge: np.ndarray  # kept-edge index for each sorted key

    @classmethod
    def of(cls, graph: PathwayGraph) -> FlowGraph:
        """Prepare ``graph``.

        Example:
            >>> from layouts.model import Floor, RackRow, Tray
            >>> from layouts.pathways import pathways_from_floor
            >>> floor = Floor(outline=((0, 0), (6, 0), (6, 4), (0, 4)),
            ...     rows=(RackRow(id="A", origin=(1, 1), count=3),),
            ...     trays=(Tray(id="T1", path=((1, 1.6), (2.8, 1.6))),))
            >>> fg = FlowGraph.of(pathways_from_floor(floor))
            >>> a, b = fg.graph.drops["A01"].node, fg.graph.drops["A03"].node
            >>> int(fg.dijkstra(fg.mm.astype(float), [a])[0][0, b])  # mm, 1.2 m of it along T1
            2132
        """
        n = graph.n_nodes
        keep = np.fromiter(sorted(graph.edge_lookup.values()), dtype=np.int64)
        u, v = graph.edge_u[keep], graph.edge_v[keep]
        mm = graph.edge_mm[keep].astype(np.int64)
        seg = graph.edge_segment[keep].astype(np.int64)
        k = len(keep)
        rows = np.concatenate([u, v])
        cols = np.concatenate([v, u])
        tag = np.arange(1, 2 * k + 1, dtype=np.float64)
        csr = sparse.csr_matrix((tag, (rows, cols)), shape=(n, n))
        entry = np.concatenate([np.arange(k), np.arange(k)])[csr.data.astype(np.int64) - 1]
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        keys = lo * n + hi
        order = np.argsort(keys, kind="stable")
        cap = np.array([s.capacity_mm2 for s in graph.segments], dtype=np.float64)
        return cls(
            graph, n, keep, u, v, mm, seg, cap, csr, entry, keys[order], order.astype(np.int64)
        )

    @property
    def n_edges(self) -> int:
        return len(self.edges)

    @cached_property
    def seg_edge(self) -> np.ndarray:
        """Kept-edge index of each segment (-1 if the segment's edge was a dropped parallel)."""
        out = np.full(len(self.graph.segments), -1, dtype=np.int64)
        m = self.seg >= 0
        out[self.seg[m]] = np.nonzero(m)[0]
        return out

    def dijkstra(
        self, weight: np.ndarray, sources: np.ndarray | list[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Distances and predecessors from each source under per-edge ``weight`` (> 0)."""
        m = self._csr.copy()
        m.data = np.asarray(weight, dtype=np.float64)[self._entry]
        src = np.asarray(sources, dtype=np.int64)
        dist, pred = csgraph.dijkstra(m, directed=True, indices=src, return_predecessors=True)
        return np.atleast_2d(dist), np.atleast_2d(pred).astype(np.int32)

    def edge_of(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Kept-edge index joining nodes ``a[i]`` and ``b[i]`` (they must be adjacent)."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        key = np.minimum(a, b) * self.n + np.maximum(a, b)
        return self._key_edge[np.searchsorted(self._keys, key)]


def _depths(flat_pred: np.ndarray) -> np.ndarray:
    """Hops from each node to its root, by pointer jumping (log depth passes).

    Each pass works on the nodes whose jump has not reached a root yet; the right-hand
    sides are gathered before the writes, so every pass reads the previous pass's values.
    """
    depth = (flat_pred >= 0).astype(np.int32)
    jump = flat_pred.copy()
    act = np.nonzero(jump >= 0)[0]
    while len(act):
        j = jump[act]
        depth[act] += depth[j]
        jump[act] = jump[j]
        act = act[jump[act] >= 0]
    return depth


def tree_shape(fg: FlowGraph, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per tree of ``pred`` (``(k, n)``): each node's depth (hops to its root) and the
    kept edge up to its predecessor (-1 at roots and unreached nodes), each ``(k, n)``;
    :func:`tree_loads` takes them as ``shape`` for trees it sees again."""
    k, n = pred.shape
    p = pred.astype(np.int64)
    flat = np.where(p >= 0, p + (np.arange(k, dtype=np.int64) * n)[:, None], -1).ravel()
    edge = np.full(k * n, -1, dtype=np.int64)
    hi = np.nonzero(flat >= 0)[0]
    edge[hi] = fg.edge_of(hi % n, flat[hi] % n)
    return _depths(flat).reshape(k, n), edge.reshape(k, n)


def tree_loads(
    fg: FlowGraph,
    pred: np.ndarray,
    demand: np.ndarray,
    *,
    lengths: bool = False,
    shape: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Cables on each edge of each tree, given the cables each node sinks.

    Args:
        pred: ``(k, n)`` predecessor arrays of ``k`` trees.
        demand: ``(k, n)`` cables ending at each node of each tree.
        lengths: also return each node's path length from its root (mm).
        shape: the trees' :func:`tree_shape`, if known (saves finding it again).

    Returns:
        ``(edge_load, edge_index, dist)``: ``edge_load[k, i]`` cables on the edge from
        node ``i`` to its predecessor in tree ``k`` and ``edge_index[k, i]`` that edge
        (-1 where ``i`` has no predecessor); ``dist`` the path lengths, or None.
    """
    k, n = pred.shape
    p = pred.astype(np.int64)
    has = p >= 0
    offs = (np.arange(k, dtype=np.int64) * n)[:, None]
    flat = np.where(has, p + offs, -1).ravel()
    depth = _depths(flat) if shape is None else shape[0].ravel()
    load = np.asarray(demand, dtype=np.float64).ravel().copy()
    # stable sort of small integers: numpy uses a radix sort for 16-bit keys
    key = depth.astype(np.int16) if len(depth) and int(depth.max()) < 2**15 else depth
    order = np.argsort(key, kind="stable")
    d_sorted = depth[order]
    bounds = np.searchsorted(d_sorted, np.arange(int(d_sorted[-1]) + 2 if len(d_sorted) else 1))
    for level in range(len(bounds) - 2, 0, -1):
        idx = order[bounds[level] : bounds[level + 1]]
        np.add.at(load, flat[idx], load[idx])
    if shape is None:
        edge = np.full(k * n, -1, dtype=np.int64)
        hi = np.nonzero(flat >= 0)[0]
        edge[hi] = fg.edge_of(hi % n, flat[hi] % n)
    else:
        edge = shape[1].ravel()
    dist = None
    if lengths:
        dist = np.zeros(k * n, dtype=np.float64)
        for level in range(1, len(bounds) - 1):
            idx = order[bounds[level] : bounds[level + 1]]
            dist[idx] = dist[flat[idx]] + fg.mm[edge[idx]]
        dist = dist.reshape(k, n)
    load[~(flat >= 0)] = 0.0
    return load.reshape(k, n), edge.reshape(k, n), dist


def sink_loads(
    fg: FlowGraph, pred: np.ndarray, demand: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`tree_loads` with ``lengths``, found by walking every sink's path up to its
    root (all trees' sinks at once, one hop a step), so the work is the sinks' path
    lengths, not the trees' sizes.

    Returns:
        ``(edge_load, edge_index, dist)`` as :func:`tree_loads` gives them on the sinks'
        paths; off them ``edge_load`` is 0 and ``edge_index`` -1, and ``dist`` (mm from
        the root) is given at the sinks only (0 elsewhere).
    """
    k, n = pred.shape
    up = pred.astype(np.int64).ravel()
    rows, cols = np.nonzero(demand > 0)
    sink = rows * n + cols
    load = np.zeros(k * n, dtype=np.float64)
    edge = np.full(k * n, -1, dtype=np.int64)
    dist = np.zeros(k * n, dtype=np.float64)
    walked = np.zeros(len(sink), dtype=np.float64)
    cur, who = sink, np.arange(len(sink))
    cables = np.asarray(demand, dtype=np.float64)[rows, cols]
    while len(cur):
        nxt = up[cur]
        live = nxt >= 0
        if not live.all():
            cur, nxt, who, cables = cur[live], nxt[live], who[live], cables[live]
            if not len(cur):
                break
        e = edge[cur]
        new = e < 0
        if new.any():
            e[new] = fg.edge_of(cur[new] % n, nxt[new])
            edge[cur[new]] = e[new]
        np.add.at(load, cur, cables)
        walked[who] += fg.mm[e]
        cur = cur - cur % n + nxt
    dist[sink] = walked
    return load.reshape(k, n), edge.reshape(k, n), dist.reshape(k, n)


def segment_counts(
    fg: FlowGraph, load: np.ndarray, edge: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per tree (from :func:`tree_loads`): cables on each segment and total length (mm)."""
    k, _ = load.shape
    n_seg = len(fg.capacity)
    tree, node = np.nonzero((load > 0) & (edge >= 0))
    e = edge[tree, node]
    cables = load[tree, node]
    # integral loads times integral lengths: the sums are exact in any order
    length = np.bincount(tree, weights=cables * fg.mm[e], minlength=k).astype(np.float64)
    s = fg.seg[e]
    m = s >= 0
    counts = np.bincount(tree[m] * n_seg + s[m], weights=cables[m], minlength=k * n_seg)
    return np.rint(counts.reshape(k, n_seg)).astype(np.int32), length


def tree_paths(fg: FlowGraph, pred: np.ndarray, sinks: np.ndarray) -> list[np.ndarray]:
    """Kept-edge indices of the tree path from the root to each sink, root first."""
    pred = np.asarray(pred, dtype=np.int64)
    cur = np.asarray(sinks, dtype=np.int64).copy()
    if not len(cur):
        return []
    # the edge from every node up to its predecessor, found once for the whole tree
    up = np.full(fg.n, -1, dtype=np.int64)
    has = np.nonzero(pred >= 0)[0]
    up[has] = fg.edge_of(has, pred[has])
    steps: list[np.ndarray] = []
    while True:
        safe = np.maximum(cur, 0)
        e = np.where(cur >= 0, up[safe], -1)
        if not (e >= 0).any():
            break
        steps.append(e)
        cur = np.where(e >= 0, pred[safe], -1)
    if not steps:
        return [np.empty(0, dtype=np.int64) for _ in range(len(cur))]
    mat = np.stack(steps[::-1], axis=1)  # sinks x hops, root side first, -1 padding first
    hops = (mat >= 0).sum(axis=1)
    flat = mat[mat >= 0]
    return np.split(flat, np.cumsum(hops)[:-1])


_OVERFLOW_COST = 10**9
"""Cost of one cable crossing a full segment, per mm² of its cross-section, mm-equivalent:
dearer than any detour, so overflow is used only where nothing else fits."""


def group_min_cost_flow(
    fg: FlowGraph,
    source: int,
    sinks: np.ndarray,
    demand: np.ndarray,
    area_mm2: float,
    residual_mm2: np.ndarray,
    *,
    cost: np.ndarray | None = None,
) -> tuple[list[list[tuple[np.ndarray, int]]], int]:
    """Route one group (one source, one cross-section) under hard residual capacities.

    Each segment edge can take ``floor(residual / area)`` more cables in either direction;
    a parallel overflow arc carries the rest at a prohibitive cost, so the answer always
    exists and overflows as little as possible.

    Args:
        sinks, demand: sink nodes and the cables each needs.
        residual_mm2: spare capacity of each segment, mm² (may be negative).
        cost: per kept edge unit cost (default the length in mm).

    Returns:
        For each sink, its ``(edge path, cables)`` pieces, and the cables routed over a
        full segment (counted once per overflowing segment they cross).
    """
    total = int(demand.sum())
    ne = fg.n_edges
    unit = fg.mm if cost is None else np.asarray(cost, dtype=np.int64)
    cap = np.full(ne, total, dtype=np.int64)
    on_seg = fg.seg >= 0
    room = np.floor((residual_mm2[fg.seg[on_seg]] + 1e-6) / area_mm2)
    cap[on_seg] = np.clip(room, 0, total).astype(np.int64)
    tails = np.concatenate([fg.u, fg.v])
    heads = np.concatenate([fg.v, fg.u])
    caps = np.concatenate([cap, cap])
    costs = np.concatenate([unit, unit])
    ov_edges = np.nonzero(on_seg & (cap < total))[0]
    ov_cost = unit[ov_edges] + int(_OVERFLOW_COST * max(area_mm2, 1e-3))
    tails = np.concatenate([tails, fg.u[ov_edges], fg.v[ov_edges]])
    heads = np.concatenate([heads, fg.v[ov_edges], fg.u[ov_edges]])
    caps = np.concatenate([caps, np.full(2 * len(ov_edges), total, dtype=np.int64)])
    costs = np.concatenate([costs, ov_cost, ov_cost])
    arc_edge = np.concatenate([np.arange(ne), np.arange(ne), ov_edges, ov_edges])
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supply = np.zeros(fg.n, dtype=np.int64)
    supply[source] += total
    np.subtract.at(supply, np.asarray(sinks, dtype=np.int64), np.asarray(demand, np.int64))
    smcf.set_nodes_supplies(np.arange(fg.n), supply)
    status = smcf.solve()
    if status != smcf.OPTIMAL:  # pragma: no cover - the overflow arcs make it feasible
        raise RuntimeError(f"min-cost flow failed with status {status}")
    flow = smcf.flows(np.arange(len(tails)))
    used = np.nonzero(flow > 0)[0]
    overflow = int(flow[2 * ne :].sum())
    return decompose(
        source, sinks, demand, tails[used], heads[used], flow[used], arc_edge[used]
    ), overflow


def decompose(
    source: int,
    sinks: np.ndarray,
    demand: np.ndarray,
    tails: np.ndarray,
    heads: np.ndarray,
    flow: np.ndarray,
    arc_edge: np.ndarray,
) -> list[list[tuple[np.ndarray, int]]]:
    """Split a single-source acyclic flow into paths, sink by sink (in the order given)."""
    incoming: dict[int, list[list[int]]] = {}
    for t, h, f, e in zip(
        tails.tolist(), heads.tolist(), flow.tolist(), arc_edge.tolist(), strict=True
    ):
        incoming.setdefault(h, []).append([t, f, e])
    out: list[list[tuple[np.ndarray, int]]] = []
    for sink, need in zip(np.asarray(sinks).tolist(), np.asarray(demand).tolist(), strict=True):
        pieces: list[tuple[np.ndarray, int]] = []
        while need > 0:
            node, arcs, amount = sink, [], need
            while node != source:
                arc = next(a for a in incoming[node] if a[1] > 0)
                arcs.append(arc)
                amount = min(amount, arc[1])
                node = arc[0]
            for arc in arcs:
                arc[1] -= amount
            pieces.append((np.array([a[2] for a in reversed(arcs)], dtype=np.int64), amount))
            need -= amount
        out.append(pieces)
    return out
