"""Proven bounds: priced (Lagrangian) lower bounds and infeasibility certificates.

For any prices ``p >= 0`` on the segments, every plan that fits satisfies::

    total route length >= sum over cables of  min over routes (length + area * p)
                          - sum over segments of  p * capacity

(add ``p * (load - capacity) <= 0`` to the length). Each term is one Dijkstra per
(source, cross-section).

A cable's media, and so its area, follows its route's length: a DAC pushed past its
reach becomes an ACC or AOC, far thinner. Its term is therefore the smaller of the
least ``length + area * p`` with its own area, and the least ``length + thin area * p``
over routes at least as long as the length ``T`` at which it turns thinner. The latter is
first bounded cheaply (the thin distance, and ``T`` plus the least toll); where that is
what binds, the simple routes themselves are taken cheapest first until one is long
enough (:func:`_long_route_terms`). Routes are simple paths: a cable never doubles back.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from topo.flows import FlowGraph
from topo.problem import Problem

__all__ = ["infeasible", "priced_bound"]


def priced_bound(fg: FlowGraph, pb: Problem, pi: np.ndarray) -> tuple[np.ndarray, float]:
    """Per-cable terms of the priced bound and its ``- sum p * capacity`` (mm)."""
    terms = np.where(pb.routable, pb.sp, np.nan)
    if not (pi > 0).any():
        return terms, 0.0
    price = np.where(fg.seg >= 0, pi[np.maximum(fg.seg, 0)], 0.0) * 1000
    idx = np.nonzero(pb.routable & (pb.area_sp > 0))[0]
    src, sink = pb.src[idx], pb.sink[idx]
    own_a, thin_a = pb.area_sp[idx], pb.area_min[idx]
    thin = thin_a < own_a
    # one Dijkstra row per (area, source) in use, under length + area * price
    areas, inv = np.unique(np.concatenate([own_a, thin_a[thin]]), return_inverse=True)
    srcs = np.concatenate([src, src[thin]])
    n_src = len(pb.src_nodes)
    combos, row = np.unique(inv * n_src + srcs, return_inverse=True)
    dist = np.empty((len(combos), fg.n))
    for k, a in enumerate(areas.tolist()):
        sel = np.nonzero(combos // n_src == k)[0]
        if len(sel):
            dist[sel] = fg.dijkstra(fg.mm + a * price, pb.src_nodes[combos[sel] % n_src])[0]
    own = dist[row[: len(idx)], sink]
    if thin.any():
        # a thinner media needs a route of length >= T: length + a_min * price is at
        # least the thin distance, and at least T plus a_min times the least toll
        t_src = np.unique(src[thin])
        tolls = fg.dijkstra(price, pb.src_nodes[t_src])[0]
        toll = tolls[np.searchsorted(t_src, src[thin]), sink[thin]]
        d_thin = dist[row[len(idx) :], sink[thin]]
        alt = np.maximum(d_thin, pb.thinner_at[idx[thin]] + thin_a[thin] * toll)
        # where that is what binds, look at the actual routes long enough to change media
        tight = np.nonzero(alt < own[thin] - 0.5)[0]
        if len(tight):
            c = np.nonzero(thin)[0][tight]
            alt[tight] = np.maximum(
                alt[tight],
                _long_route_terms(
                    fg, price, pb.src_nodes[src[c]], sink[c], pb.thinner_at[idx[c]], thin_a[c]
                ),
            )
        own[thin] = np.minimum(own[thin], alt)
    terms[idx] = own
    return terms, -float((pi * fg.capacity).sum()) * 1000


LONG_ROUTE_PATHS = 12
"""Routes looked at, cheapest first, per rack pair for the length a thinner media needs."""


def _long_route_terms(
    fg: FlowGraph,
    price: np.ndarray,
    sources: np.ndarray,
    sinks: np.ndarray,
    at_least: np.ndarray,
    areas: np.ndarray,
) -> np.ndarray:
    """For each cable, the least ``length + area * price`` over routes of length at least
    ``at_least`` (a lower bound on it where the routes run out).

    Simple routes are taken cheapest first (Yen's algorithm, networkx); a cable's term
    is the first with the length it needs. After :data:`LONG_ROUTE_PATHS` routes per rack
    pair without one, the cost of the last route seen bounds every later one.

    Example: a DAC at 2.4 m turning into an AOC from 3 m on. Its shortest route runs on a
    priced tray; the next route is a 10 m detour. The term is that detour's cost, not
    the 3 m a length-blind bound would allow.
    """
    out = np.zeros(len(sinks))
    keys: dict[tuple[int, int, float], list[int]] = {}
    for i, key in enumerate(zip(sources.tolist(), sinks.tolist(), areas.tolist(), strict=True)):
        keys.setdefault(key, []).append(i)
    graphs: dict[float, tuple[nx.Graph, np.ndarray]] = {}
    for (s, t, a), cables in sorted(keys.items()):
        if a not in graphs:
            wa = fg.mm + a * price
            g = nx.Graph()
            g.add_weighted_edges_from(
                zip(fg.u.tolist(), fg.v.tolist(), wa.tolist(), strict=True), weight="w"
            )
            graphs[a] = (g, wa)
        g, wa = graphs[a]
        need = {i: float(at_least[i]) for i in cables}
        cost = 0.0
        for k, path in enumerate(nx.shortest_simple_paths(g, s, t, weight="w")):
            e = fg.edge_of(np.array(path[:-1]), np.array(path[1:]))
            length, cost = float(fg.mm[e].sum()), float(wa[e].sum())
            for i in [i for i, n in need.items() if length >= n]:
                out[i] = cost
                del need[i]
            if not need or k + 1 >= LONG_ROUTE_PATHS:
                break
        for i in need:
            out[i] = cost
    return out


def infeasible(fg: FlowGraph, pb: Problem, pi: np.ndarray) -> bool:
    """Whether prices ``pi`` prove that no routing fits (a Farkas certificate).

    Every routing puts ``sum_c area_c * price(route_c)`` of priced load on the trays; if
    even the cheapest routes exceed ``sum p * capacity`` under the thinnest media each
    cable could get, the trays cannot hold the cables.
    """
    if not (pi > 0).any():
        return False
    price = np.where(fg.seg >= 0, pi[np.maximum(fg.seg, 0)], 0.0)
    eps = 1e-12
    m = pb.routable & (pb.area_min > 0)
    total = 0.0
    groups: dict[tuple[int, float], list[int]] = {}
    for i in np.nonzero(m)[0].tolist():
        groups.setdefault((int(pb.src[i]), float(pb.area_min[i])), []).append(i)
    srcs = sorted({k[0] for k in groups})
    if not srcs:
        return False
    dist, _ = fg.dijkstra(price + eps, pb.src_nodes[srcs])
    row = {s: r for r, s in enumerate(srcs)}
    slop = eps * float(fg.mm.sum())
    for (s, a), idx in groups.items():
        dd = np.maximum(dist[row[s], pb.sink[idx]] - slop, 0.0)
        total += a * float(dd.sum())
    return total > float((pi * fg.capacity).sum()) * (1 + 1e-9) + 1e-6
