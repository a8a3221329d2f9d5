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

:func:`priced_cost_bound` bounds cable cost the same way.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from topo.media import MediaTable
from topo.routing.flows import FlowGraph, tree_paths
from topo.routing.problem import Problem

__all__ = ["infeasible", "priced_bound", "priced_cost_bound"]


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
        # (not for a cable thin media may carry on any route: its term is the thin one)
        anywhere = pb.thinner_at[idx[thin]] <= pb.sp[idx[thin]]
        tight = np.nonzero((alt < own[thin] - 0.5) & ~anywhere)[0]
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

LONG_ROUTE_PAIRS = 200
"""Rack pairs (and cross-sections) whose long routes are looked at, those with most
cables first: each takes up to :data:`LONG_ROUTE_PATHS` runs of Yen's algorithm on the
whole pathway graph (20 s for 1,448 pairs on a 65,536-GPU hall); the others keep the
weaker term that needs no route."""


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
    pair without one, the cost of the last route seen bounds every later one. Only the
    :data:`LONG_ROUTE_PAIRS` rack pairs with most cables are looked at; the others'
    terms are 0.

    Example: a DAC at 2.4 m turning into an AOC from 3 m on. Its shortest route runs on a
    priced tray; the next route is a 10 m detour. The term is that detour's cost, not
    the 3 m a length-blind bound would allow.
    """
    out = np.zeros(len(sinks))
    keys: dict[tuple[int, int, float], list[int]] = {}
    for i, key in enumerate(zip(sources.tolist(), sinks.tolist(), areas.tolist(), strict=True)):
        keys.setdefault(key, []).append(i)
    graphs: dict[float, tuple[nx.Graph, np.ndarray]] = {}
    # the rack pairs with most cables first; past the budget a cable's term stays 0 here
    # (the caller keeps its other bound)
    chosen = sorted(keys.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:LONG_ROUTE_PAIRS]
    for (s, t, a), cables in sorted(chosen):
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


_EPS_SLOPE = 1e-6
"""Cents per mm of the flattest minorant: positive so that no Dijkstra weight is zero."""

_STEPS = 8
"""Media intervals past the shortest route's that the cost bound looks at."""


def _slope_levels(s: np.ndarray) -> np.ndarray:
    """``s`` rounded down to a power of two (at least :data:`_EPS_SLOPE`): any slope
    gives a valid bound, and few distinct ones keep the Dijkstras few."""
    s = np.maximum(np.asarray(s, dtype=np.float64), _EPS_SLOPE)
    return np.exp2(np.floor(np.log2(s)))


def priced_cost_bound(
    fg: FlowGraph, pb: Problem, pi_cents: np.ndarray, own_length: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Per-cable terms (cents) of the priced cost bound and its ``- sum p * capacity``.

    For prices ``p >= 0`` (cents per mm² of each segment), every plan that fits costs::

        cable cost >= sum over cables of  min over routes (cost(L) + area(L) * p(route))
                      - sum over segments of  p * capacity

    where ``L`` = base + route length, ``cost`` the media table's non-decreasing step
    function and ``area(L)`` the media's cross-section. Each cable's term is bounded from
    below mostly without enumerating routes. Let ``x[j]`` and ``c[j]`` be the right end and cost
    of media interval ``j``, ``j0`` the shortest route's interval. For a slope ``s >= 0``
    and a last interval ``J >= j0``, routes with ``L <= x[J]`` cost at least
    ``c0 + s * L`` with ``c0 = min(c[j] - s * x[j], j0 <= j <= J)``, and carry at least
    the shortest route's cross-section while ``J`` is before the first thinner interval
    (at least the thinnest later one, ``area_min``, otherwise); longer routes cost at
    least ``c[J + 1]`` and pay at least ``area_min`` times the least toll. So::

        term >= max over s, J of  min(c0 + s * base + D(s, area),
                                      c[J + 1] + area_min * toll)

    with ``D(s, a)`` the distance under ``s * length + a * p`` (one Dijkstra per source,
    cross-section and slope). Slopes: a nearly flat one, the media's cost per mm, the
    step to the next interval and a steep one (the cable's area times the dearest price
    over the room left in its interval), rounded down to powers of two. For the rack
    pairs whose shortest routes pay most toll, the cheapest simple routes are also priced
    one by one (:func:`_enumerated_terms`), when that could lift the bound past the
    shortest routes' cost. A term never falls below the cost on the shortest route, the
    bound with ``p = 0``. Cables without media on their shortest route keep a term of 0.

    A cable's media follow its base plus its route, as the media tables do; cables
    whose ``own_length`` is False (breakout legs, sized to their assembly's longest leg)
    keep the shortest route's cost as their term.
    """
    terms = np.where(pb.routable, pb.cost_lb, np.nan).astype(np.float64)
    pi = np.asarray(pi_cents, dtype=np.float64)
    if not (pi > 0).any():
        return terms, 0.0
    price = np.where(fg.seg >= 0, pi[np.maximum(fg.seg, 0)], 0.0)
    mask = pb.routable & (pb.area_sp > 0)
    if own_length is not None:
        mask &= own_length
    idx = np.nonzero(mask)[0]
    if not len(idx):
        return terms, -float((pi * fg.capacity).sum())
    src, sink, base = pb.src[idx], pb.sink[idx], pb.base[idx].astype(np.float64)
    a_sp, a_min = pb.area_sp[idx], pb.area_min[idx]
    j0 = np.zeros(len(idx), dtype=np.int64)
    slopes = np.zeros((len(idx), 4))
    top = float(pi.max())
    by_table: dict[int, list[int]] = {}
    for k, i in enumerate(idx.tolist()):
        by_table.setdefault(id(pb.table[i].every_media), []).append(k)
    for ks in by_table.values():
        kk = np.array(ks, dtype=np.int64)
        t = pb.table[int(idx[ks[0]])].every_media
        j = t.interval(base[kk].astype(np.int64) + pb.sp[idx[kk]].astype(np.int64))
        j0[kk] = j
        nxt = np.minimum(j + 1, len(t.breaks) - 1)
        step = np.where(
            nxt > j,
            (t.cost_cents[nxt] - t.cost_cents[j]) / np.maximum(t.breaks[nxt] - t.breaks[j], 1),
            0.0,
        )
        # steep enough that leaving the interval costs what the dearest toll saves
        room = np.maximum(t.breaks[j] - base[kk] - pb.sp[idx[kk]], 100.0)
        steep = a_sp[kk] * top / room
        slopes[kk] = np.stack([np.zeros(len(kk)), t.slope_cents_per_mm[j], step, steep], axis=1)
    slopes = _slope_levels(slopes)
    # distances D(s, a) at each cable's sink, one Dijkstra per (area, slope) over sources
    thin = a_min < a_sp
    d_sp = _priced_distances(fg, pb, price, src, sink, a_sp, slopes)
    d_min = d_sp.copy()
    if thin.any():
        d_min[thin] = _priced_distances(
            fg, pb, price, src[thin], sink[thin], a_min[thin], slopes[thin]
        )
    t_src = np.unique(src)
    toll = fg.dijkstra(price, pb.src_nodes[t_src])[0][np.searchsorted(t_src, src), sink]
    best = np.full(len(idx), -np.inf)
    for ks in by_table.values():
        kk = np.array(ks, dtype=np.int64)
        t = pb.table[int(idx[ks[0]])].every_media
        for r in range(slopes.shape[1]):
            val = _minorant_terms(
                t, j0[kk], base[kk], slopes[kk, r], d_sp[kk, r], d_min[kk, r], a_min[kk] * toll[kk]
            )
            best[kk] = np.maximum(best[kk], val)
    terms[idx] = np.maximum(terms[idx], best)
    offset = -float((pi * fg.capacity).sum())
    sel, sp_toll = _worth_enumerating(fg, pb, price, idx)
    # a term is at most the shortest route's cost and toll: enumerate only if that
    # could lift the bound past the shortest routes' cost
    gain = np.maximum(pb.cost_lb[sel] + pb.area_sp[sel] * sp_toll - terms[sel], 0.0)
    lifts = np.nansum(terms) + offset + gain.sum() > float(pb.cost_lb[pb.routable].sum())
    if len(sel) and lifts:
        at = np.searchsorted(idx, sel)
        enum = _enumerated_terms(fg, pb, price, sel, slopes[at, 1], a_min[at] * toll[at])
        terms[sel] = np.maximum(terms[sel], enum)
    if pb.thin:
        # any media may carry a cable on any route: it costs at least that media's price
        # at the shortest route's length and pays its area times the least toll
        for ks in by_table.values():
            kk = np.array(ks, dtype=np.int64)
            t = pb.table[int(idx[ks[0]])].every_media
            costs, areas = t.option_costs((base[kk] + pb.sp[idx[kk]]).astype(np.int64))
            slim = (costs + areas[:, None] * toll[kk][None, :]).min(axis=0)
            terms[idx[kk]] = np.minimum(terms[idx[kk]], slim)
    return terms, offset


def _minorant_terms(
    t: MediaTable,
    j0: np.ndarray,
    base: np.ndarray,
    s: np.ndarray,
    dist_own: np.ndarray,
    dist_thin: np.ndarray,
    least_toll: np.ndarray,
) -> np.ndarray:
    """``max over J of min(c0_J + s * base + D, c[J + 1] + least toll)`` for cables of
    one media table (see :func:`priced_cost_bound`); ``D`` is ``dist_own`` before the
    first thinner interval and ``dist_thin`` from it on."""
    n = len(t.breaks)
    x, c = t.breaks.astype(np.float64), t.cost_cents.astype(np.float64)
    nt = t.next_thinner[j0]
    best = np.full(len(j0), -np.inf)
    c0 = np.full(len(j0), np.inf)
    for d in range(_STEPS):
        jj = j0 + d
        live = jj < n
        if not live.any():
            break
        jc = np.minimum(jj, n - 1)
        c0 = np.where(live, np.minimum(c0, c[jc] - s * x[jc]), c0)
        first = c0 + s * base + np.where(jj < nt, dist_own, dist_thin)
        after = np.where(jj + 1 < n, c[np.minimum(jj + 1, n - 1)] + least_toll, np.inf)
        best = np.where(live, np.maximum(best, np.minimum(first, after)), best)
    return best


COST_ROUTE_PAIRS = 32
"""Rack pairs whose routes :func:`priced_cost_bound` enumerates (the most toll first)."""

COST_ROUTES = 6
"""Simple routes enumerated per rack pair, cheapest first."""


def _worth_enumerating(
    fg: FlowGraph, pb: Problem, price: np.ndarray, idx: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The cables (demand indices, ascending) of the :data:`COST_ROUTE_PAIRS` rack pairs
    whose shortest routes pay the most toll (area times price), and each one's price
    along its shortest route."""
    pairs: dict[tuple[int, int], list[int]] = {}
    for i in idx.tolist():
        pairs.setdefault((int(pb.src[i]), int(pb.sink[i])), []).append(i)
    by_src: dict[int, list[int]] = {}
    for s, t in pairs:
        by_src.setdefault(s, []).append(t)
    weight: list[tuple[float, int, int]] = []
    toll_of: dict[tuple[int, int], float] = {}
    for s, sinks in sorted(by_src.items()):
        sinks.sort()
        paths = tree_paths(fg, pb.pred0[s], np.array(sinks, dtype=np.int64))
        for t, path in zip(sinks, paths, strict=True):
            toll = float(price[path].sum())
            if toll > 0:
                w = toll * float(sum(pb.area_sp[i] for i in pairs[(s, t)]))
                weight.append((-w, s, t))
                toll_of[s, t] = toll
    chosen = sorted(weight)[:COST_ROUTE_PAIRS]
    sel = np.array(sorted(i for _, s, t in chosen for i in pairs[(s, t)]), dtype=np.int64)
    tolls = np.array([toll_of[int(pb.src[i]), int(pb.sink[i])] for i in sel.tolist()])
    return sel, tolls


def _enumerated_terms(
    fg: FlowGraph,
    pb: Problem,
    price: np.ndarray,
    sel: np.ndarray,
    slopes: np.ndarray,
    least_toll: np.ndarray,
) -> np.ndarray:
    """Cost terms of cables ``sel`` from their :data:`COST_ROUTES` cheapest simple routes.

    Routes come cheapest first under ``s * length + area_min * p`` (Yen's algorithm,
    networkx); each is priced exactly, the cable's cost from its media table at the
    route's length and its area that media's. Every
    route not reached weighs at least the last one's ``K``, so it costs at least the
    minorant term with ``D = K`` (:func:`_minorant_terms`); the term is the smaller of
    that and the best route seen (just the best, if the routes ran out).
    """
    out = np.zeros(len(sel))
    groups: dict[tuple[int, int, float, float], list[int]] = {}
    for k, i in enumerate(sel.tolist()):
        key = (int(pb.src[i]), int(pb.sink[i]), float(pb.area_min[i]), float(slopes[k]))
        groups.setdefault(key, []).append(k)
    graphs: dict[tuple[float, float], tuple[nx.Graph, np.ndarray]] = {}
    for (src, sink, a, s), ks in sorted(groups.items()):
        if (a, s) not in graphs:
            w = s * fg.mm + a * price
            g = nx.Graph()
            g.add_weighted_edges_from(
                zip(fg.u.tolist(), fg.v.tolist(), w.tolist(), strict=True), weight="w"
            )
            graphs[a, s] = (g, w)
        g, w = graphs[a, s]
        kk = np.array(ks, dtype=np.int64)
        ii = sel[kk]
        # the group's cables by media table, each table's cables priced at once
        by_table: dict[int, list[int]] = {}
        for p, i in enumerate(ii.tolist()):
            by_table.setdefault(id(pb.table[i].every_media), []).append(p)
        parts = [
            (pb.table[int(ii[ps[0]])].every_media, np.array(ps, dtype=np.int64))
            for ps in by_table.values()
        ]
        base = pb.base[ii].astype(np.int64)
        best = np.full(len(kk), np.inf)
        last, seen = 0.0, 0
        for path in nx.shortest_simple_paths(g, int(pb.src_nodes[src]), sink, weight="w"):
            e = fg.edge_of(np.array(path[:-1]), np.array(path[1:]))
            length, toll, last = float(fg.mm[e].sum()), float(price[e].sum()), float(w[e].sum())
            for t, ps in parts:
                j = t.interval(base[ps] + round(length))
                ok = j < len(t.breaks)
                v = t.cost_cents[j[ok]].astype(np.float64) + t.area_mm2[j[ok]] * toll
                best[ps[ok]] = np.minimum(best[ps[ok]], v)
            seen += 1
            if seen >= COST_ROUTES:
                break
        tail = np.full(len(kk), np.inf)
        if seen >= COST_ROUTES:
            for t, ps in parts:
                at = ii[ps]
                tail[ps] = _minorant_terms(
                    t,
                    t.interval((pb.base[at] + pb.sp[at]).astype(np.int64)),
                    pb.base[at].astype(np.float64),
                    np.full(len(ps), s),
                    np.full(len(ps), last),
                    np.full(len(ps), last),
                    least_toll[kk[ps]],
                )
        out[kk] = np.minimum(best, tail)
    return out


def _priced_distances(
    fg: FlowGraph,
    pb: Problem,
    price: np.ndarray,
    src: np.ndarray,
    sink: np.ndarray,
    area: np.ndarray,
    slopes: np.ndarray,
) -> np.ndarray:
    """``D(s, a)`` at each cable's sink for each of its slopes (columns of ``slopes``)."""
    flat_s = slopes.ravel()
    flat_a = np.repeat(area, slopes.shape[1])
    flat_src = np.repeat(src, slopes.shape[1])
    flat_sink = np.repeat(sink, slopes.shape[1])
    areas, ia = np.unique(flat_a, return_inverse=True)
    slope_values, js = np.unique(flat_s, return_inverse=True)
    code = ia.ravel() * len(slope_values) + js.ravel()
    order = np.argsort(code, kind="stable")
    starts = np.searchsorted(code[order], np.arange(len(areas) * len(slope_values) + 1))
    res = np.empty(len(flat_s))
    for c in range(len(starts) - 1):
        sel = order[starts[c] : starts[c + 1]]
        if not len(sel):
            continue
        a, sl = areas[c // len(slope_values)], slope_values[c % len(slope_values)]
        rows = np.unique(flat_src[sel])
        dist = fg.dijkstra(sl * fg.mm + a * price, pb.src_nodes[rows])[0]
        res[sel] = dist[np.searchsorted(rows, flat_src[sel]), flat_sink[sel]]
    return res.reshape(slopes.shape)


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
