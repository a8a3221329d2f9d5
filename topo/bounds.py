"""Proven bounds: priced (Lagrangian) lower bounds and infeasibility certificates.

For any prices ``p >= 0`` on the segments, every plan that fits satisfies::

    total route length >= sum over cables of  min over routes (length + area * p)
                          - sum over segments of  p * capacity

(add ``p * (load - capacity) <= 0`` to the length). Each term is one Dijkstra per
(source, cross-section). See :func:`priced_bound` for cables whose media changes with
the route's length.
"""

from __future__ import annotations

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
        own[thin] = np.minimum(own[thin], alt)
    terms[idx] = own
    return terms, -float((pi * fg.capacity).sum()) * 1000


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
