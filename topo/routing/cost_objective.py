"""The cost objective of capacity-aware routing: what a tree of routes costs in dollars.

With ``objective: cost`` the master LP (:mod:`topo.routing.colgen`) prices a group's
shortest-path tree at the cost of its cables, not their length. A cable's cost is a
step function of its length (:class:`~topo.media.MediaTable`), so:

1. **Exact column costs.** :class:`TreeCosts` adds up, for every cable of a group, the
   table cost at its base length plus its tree route (cables at one sink may have
   different bases, even different speeds), and a dollar per km of route so that trees
   of equal cost go by length.
2. **Heuristic pricing.** :func:`price_trees` runs one Dijkstra per group and slope under
   ``slope * length + area * pi`` for a few slopes: a nearly flat one (the detour that
   pays the least toll) and the cost per mm of the media the group's cables use, once
   and four times. Each sink then takes its path from the tree where its cables'
   exact cost plus toll is least (one *mixed* tree per group). Trees whose exact cost
   less their duals is negative become columns.
3. **Repairs.** :func:`repair_price_scale` turns the LP's prices (dollars per mm²) into
   millimetres for each group at its media's cost per mm, so the min-cost-flow and
   greedy repairs weigh detours against scarce trays as the LP did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from topo.media import MediaTable
from topo.routing.colgen import Master
from topo.routing.flows import FlowGraph, segment_counts, sink_loads
from topo.routing.problem import Problem

__all__ = [
    "PricedTree",
    "TreeCosts",
    "group_slopes",
    "length_prices",
    "price_trees",
    "repair_price_scale",
    "tree_costs",
]

FLAT_USD_PER_MM = 1e-6
"""Slope of the nearly flat pricing weight (a dollar per km): breaks ties towards short."""

MIN_USD_PER_MM = 1e-4
"""Least cost per mm a group is given for the repairs (ten cents a metre)."""

TIE_USD_PER_MM = FLAT_USD_PER_MM
"""Added to a column's cost per mm of its cables' routes: equal-cost trees go by length."""


def _by_table(pb: Problem, idx: np.ndarray) -> list[tuple[MediaTable, np.ndarray]]:
    """The cables ``idx`` split by media table: ``(table, positions in idx)``."""
    keys = np.array([id(pb.table[i]) for i in idx.tolist()], dtype=np.int64)
    out = []
    for k in np.unique(keys).tolist():
        pos = np.nonzero(keys == k)[0]
        out.append((pb.table[int(idx[pos[0]])], pos))
    return out


def group_slopes(pb: Problem) -> np.ndarray:
    """Per group, the median cost per mm (dollars) of its cables' media on their
    shortest routes, rounded down to a power of two (at least :data:`MIN_USD_PER_MM`)."""
    n_groups = len(pb.group_src)
    idx = np.nonzero(pb.group >= 0)[0]
    slope = np.zeros(len(idx))
    for t, pos in _by_table(pb, idx):
        if len(t.breaks):
            k = idx[pos]
            j = np.minimum(t.interval(pb.sized_sp[k].astype(np.int64)), len(t.breaks) - 1)
            slope[pos] = t.slope_cents_per_mm[j] / 100
    med = np.zeros(n_groups)
    grp = pb.group[idx]
    order = np.lexsort((slope, grp))
    starts = np.searchsorted(grp[order], np.arange(n_groups + 1))
    for g in range(n_groups):
        vals = slope[order[starts[g] : starts[g + 1]]]
        if len(vals):
            med[g] = float(np.median(vals))
    med = np.maximum(med, MIN_USD_PER_MM)
    return np.exp2(np.floor(np.log2(med)))


def repair_price_scale(pb: Problem) -> np.ndarray:
    """Per group, the factor that turns the router's ``pi * 1000`` edge prices into mm
    when ``pi`` is in dollars per mm²: ``1e-3 / (dollars per mm of the group's media)``."""
    return 1e-3 / group_slopes(pb)


def length_prices(master: Master, tree_m: list[list[float]]) -> np.ndarray:
    """Segment prices (metres per mm²) for the length bound: the duals of the length LP
    over the cost LP's trees and capacity rows (any prices ``>= 0`` prove a bound; these
    weigh the trays in metres, as the bound does)."""
    return master.solve_with_costs(tree_m).pi


@dataclass(frozen=True, eq=False)
class TreeCosts:
    """Exact cable cost (dollars) of a tree of each LP group.

    Attributes, per LP group:
        nodes: its sink nodes, ascending.
        dem: cables at each of those sinks.
        at: for each of its cables, the index of its sink in ``nodes``.
        base: each cable's base length (mm).
        floor: each cable's least sized length (mm): for a breakout leg, its assembly's
            on shortest routes (its media are sized for the longest leg); else 0.
        parts: its cables split by media table.
        slopes: the pricing slopes (dollars per mm).
    """

    nodes: list[np.ndarray]
    dem: list[np.ndarray]
    at: list[np.ndarray]
    base: list[np.ndarray]
    floor: list[np.ndarray]
    parts: list[list[tuple[MediaTable, np.ndarray]]]
    slopes: list[tuple[float, ...]]

    @classmethod
    def of(cls, pb: Problem, groups: list[int], sinks_of: list[dict[int, list[int]]]) -> TreeCosts:
        """The cables and pricing slopes of the LP ``groups``."""
        media = group_slopes(pb)
        nodes, dem, at, base, floor, parts, slopes = [], [], [], [], [], [], []
        for g in groups:
            idx = np.array(sorted(i for v in sinks_of[g].values() for i in v), dtype=np.int64)
            u, inv, cnt = np.unique(pb.sink[idx], return_inverse=True, return_counts=True)
            nodes.append(u)
            dem.append(cnt.astype(np.float64))
            at.append(inv.ravel())
            base.append(pb.base[idx])
            floor.append(np.where(pb.assembly[idx] >= 0, pb.sized_sp[idx], 0).astype(np.int64))
            parts.append(_by_table(pb, idx))
            m = float(media[g])
            slopes.append(tuple(sorted({FLAT_USD_PER_MM, *(m * f for f in _SLOPE_FACTORS)})))
        return cls(nodes, dem, at, base, floor, parts, slopes)

    def sink_costs(self, j: int, node_mm: np.ndarray) -> np.ndarray:
        """Dollars of group ``j``'s cables at each of its sinks, on a tree whose path
        lengths (mm, by node) are ``node_mm``, with :data:`TIE_USD_PER_MM` per mm; infinite
        where a cable's route is longer than any media reaches (never a column)."""
        route = node_mm[self.nodes[j]][self.at[j]]
        need = np.maximum(self.base[j] + np.rint(route).astype(np.int64), self.floor[j])
        usd = TIE_USD_PER_MM * route
        for t, pos in self.parts[j]:
            n = need[pos]
            usd[pos] += np.where(n > t.max_base_mm, np.inf, t.cost(n) / 100)
        return np.bincount(self.at[j], weights=usd, minlength=len(self.nodes[j]))


_SLOPE_FACTORS = (1.0, 4.0)
"""Pricing slopes as multiples of a group's media cost per mm."""


def tree_costs(
    fg: FlowGraph, tc: TreeCosts, js: list[int], preds: np.ndarray, dem: np.ndarray
) -> list[float]:
    """Dollars of tree ``preds[k]`` for LP group ``js[k]`` (``dem``: its sinks' cables)."""
    _, _, lens = sink_loads(fg, preds, dem)
    return [float(tc.sink_costs(j, lens[k]).sum()) for k, j in enumerate(js)]


@dataclass(frozen=True, eq=False)
class PricedTree:
    """A tree with negative reduced cost, ready to be a column of the master LP.

    Attributes:
        group: LP group index.
        pred: predecessor array of the tree.
        dollars: its cables' cost.
        counts: its cables on each segment.
        length_mm: its cables' total route length.
    """

    group: int
    pred: np.ndarray
    dollars: float
    counts: np.ndarray
    length_mm: float


def price_trees(
    fg: FlowGraph,
    tc: TreeCosts,
    src_nodes: np.ndarray,
    areas: np.ndarray,
    dem: np.ndarray,
    pi: np.ndarray,
    mu: np.ndarray,
    least: np.ndarray,
    search_pi: np.ndarray | None = None,
) -> list[PricedTree]:
    """Trees with negative reduced cost, by LP group.

    Args:
        src_nodes, areas: per LP group, its source node and cross-section.
        dem: per LP group, the cables each node sinks.
        pi: per segment, the LP's price (dollars per mm²).
        mu: per LP group, the dual of its convexity row (dollars).
        least: per LP group, the cost of its shortest-path tree. No tree costs less
            (cost does not fall with length) or pays a negative toll, so groups whose
            ``mu`` is not above it are skipped.
        search_pi: prices to search trees under instead of ``pi`` (smoothed duals);
            a tree's reduced cost is still taken under ``pi``.
    """
    price = np.where(fg.seg >= 0, pi[np.maximum(fg.seg, 0)], 0.0)
    search = price
    if search_pi is not None:
        search = np.where(fg.seg >= 0, search_pi[np.maximum(fg.seg, 0)], 0.0)
    batches: dict[tuple[float, float], list[int]] = {}
    for j, slopes in enumerate(tc.slopes):
        if not _improves(float(least[j]), float(mu[j])):
            continue
        for s in slopes:
            batches.setdefault((float(areas[j]), s), []).append(j)
    # per group, every slope's tree: (predecessors, cost by sink, cost + toll by sink,
    # cables on each edge, edges)
    # and its cost + toll under ``pi`` when searched under other prices
    Tree = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float | None]
    trees: dict[int, list[Tree]] = {}
    for (a, s), js in sorted(batches.items()):
        dist, pred = fg.dijkstra(s * fg.mm + a * search, src_nodes[js])
        load, edge, lens = sink_loads(fg, pred, dem[js])
        # the reduced cost under the LP's own prices
        true_toll = None if search_pi is None else a * _tolls(price, load, edge)
        for r, j in enumerate(js):
            nodes = tc.nodes[j]
            usd = tc.sink_costs(j, lens[r])
            toll = tc.dem[j] * (dist[r][nodes] - s * lens[r][nodes])
            rc = None if true_toll is None else float(usd.sum() + true_toll[r])
            trees.setdefault(j, []).append((pred[r], usd, usd + toll, load[r], edge[r], rc))
    found: list[tuple[int, np.ndarray, float, np.ndarray, np.ndarray]] = []
    mixed_js, mixed = [], []
    for j in sorted(trees):
        seen: set[bytes] = set()
        for pred, usd, score, ld, ed, rc in trees[j]:
            key = pred.tobytes()
            if key not in seen:
                seen.add(key)
                if _improves(float(score.sum()) if rc is None else rc, float(mu[j])):
                    found.append((j, pred, float(usd.sum()), ld, ed))
        pred = _mixed_tree([t[:3] for t in trees[j]], tc.nodes[j])
        if pred.tobytes() not in seen:
            mixed_js.append(j)
            mixed.append(pred)
    if mixed:
        preds = np.stack(mixed)
        load, edge, lens = sink_loads(fg, preds, dem[mixed_js])
        toll = _tolls(price, load, edge)
        for k, j in enumerate(mixed_js):
            dollars = float(tc.sink_costs(j, lens[k]).sum())
            if _improves(dollars + float(areas[j]) * toll[k], float(mu[j])):
                found.append((j, preds[k], dollars, load[k], edge[k]))
    found.sort(key=lambda f: f[0])
    if not found:
        return []
    counts, length = segment_counts(
        fg, np.stack([f[3] for f in found]), np.stack([f[4] for f in found])
    )
    return [
        PricedTree(j, pred, dollars, counts[k], float(length[k]))
        for k, (j, pred, dollars, _, _) in enumerate(found)
    ]


def _tolls(price: np.ndarray, load: np.ndarray, edge: np.ndarray) -> np.ndarray:
    """Per tree (from :func:`topo.routing.flows.sink_loads`): its cables' price (per mm²
    of cross-section) summed over the edges they cross."""
    return np.where(edge >= 0, load * price[np.maximum(edge, 0)], 0.0).sum(axis=1)


def _improves(value: float, mu: float) -> bool:
    """Whether a column of this cost plus toll has negative reduced cost."""
    return value - mu < -1e-7 * max(1.0, abs(mu))


def _mixed_tree(
    trees: list[tuple[np.ndarray, np.ndarray, np.ndarray]], nodes: np.ndarray
) -> np.ndarray:
    """One tree taking each sink's path from the tree where its cost + toll is least.

    Starts from the tree that wins most sinks and grafts each other sink's path from
    its tree, overwriting predecessors from the sink up to the root: every overwritten
    node then follows one tree to the root, so the result is a tree (a later graft may
    reroute an earlier sink; the column's cost is computed from the result).
    """
    best = np.argmin(np.stack([sc for _, _, sc in trees]), axis=0)
    base = int(np.argmax(np.bincount(best, minlength=len(trees))))
    pred = trees[base][0].copy()
    for t, k in zip(nodes.tolist(), best.tolist(), strict=True):
        if k == base:
            continue
        src_pred = trees[k][0]
        node = t
        while node >= 0 and src_pred[node] >= 0:
            pred[node] = src_pred[node]
            node = int(src_pred[node])
    return pred
