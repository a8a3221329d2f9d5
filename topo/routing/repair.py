"""Making a rounded routing fit: greedy moves, min-cost-flow repair, polish.

After the LP's weights are rounded to whole cables a few segments may overflow.
:func:`reroute_greedy` moves cables a few at a time onto priced routes with room;
:func:`repair` re-routes whole groups by min-cost flow on residual capacity; once
everything fits, :func:`polish_to_shortest` moves cables back to their shortest routes
wherever the trays have room.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from topo.routing.flows import FlowGraph, group_min_cost_flow, tree_paths
from topo.routing.problem import Pieces, Problem, merge_pieces, seg_area

__all__ = ["polish_to_shortest", "repair", "reroute_greedy"]


def reroute_greedy(
    fg: FlowGraph,
    pb: Problem,
    pieces: list[Pieces],
    load: np.ndarray,
    pi: np.ndarray,
    rounds: int,
    *,
    price_scale: np.ndarray | None = None,
) -> np.ndarray:
    """Move cables off overfull segments, a few at a time, onto priced shortest routes
    through segments with room (hard residual capacities). Cheap; fixes rounding.

    For each group crossing an overfull segment, one Dijkstra from its source under
    ``length + area * pi`` with the segments that cannot take one more of its cables
    closed; then, sink by sink, as many cables as the new route has room for move over
    until the overfull segments are within their limits. Updates ``pieces`` and returns
    the new loads. ``price_scale`` (per group) multiplies the prices when ``pi`` is not
    in metres per mm² (see :func:`topo.routing.cost_objective.repair_price_scale`).
    """
    cap = fg.capacity
    price = np.where(fg.seg >= 0, pi[np.maximum(fg.seg, 0)], 0.0) * 1000
    closed_w = float(fg.mm.sum()) * 1e3
    on_seg = fg.seg >= 0
    for _ in range(rounds):
        over = load > cap + 1e-6
        if not over.any():
            break
        # groups and sinks with cables on overfull segments
        hits: dict[int, list[int]] = {}
        for g, by_sink in enumerate(pieces):
            if pb.group_area[g] <= 0:
                continue
            for t, plist in by_sink.items():
                if any(over[fg.seg[p][fg.seg[p] >= 0]].any() for p, _ in plist):
                    hits.setdefault(g, []).append(t)
        if not hits:
            break
        # most area freed per unit of detour first (per dollar per mm with a scale)
        gain = pb.group_area if price_scale is None else pb.group_area * price_scale
        for g in sorted(hits, key=lambda g: (-gain[g], g)):
            over = load > cap + 1e-6
            if not over.any():
                break
            a = float(pb.group_area[g])
            w = fg.mm + a * (price if price_scale is None else price * price_scale[g])
            full = on_seg.copy()
            full[on_seg] = (cap - load)[fg.seg[on_seg]] < a - 1e-6
            w = np.where(full, closed_w, w)
            _, pred = fg.dijkstra(w, [int(pb.src_nodes[pb.group_src[g]])])
            sinks = np.array(hits[g], dtype=np.int64)
            alts = tree_paths(fg, pred[0], sinks)
            for t, alt in zip(sinks.tolist(), alts, strict=True):
                s_alt = fg.seg[alt]
                s_alt = s_alt[s_alt >= 0]
                if len(s_alt) and (cap[s_alt] - load[s_alt] < a - 1e-6).any():
                    continue  # no room on the best open route
                kept: list[tuple[np.ndarray, int]] = []
                moved = 0
                for path, cnt in pieces[g][t]:
                    s_p = fg.seg[path]
                    s_p = s_p[s_p >= 0]
                    excess = load[s_p] - cap[s_p]
                    if (excess <= 1e-6).all() or np.array_equal(path, alt):
                        kept.append((path, cnt))
                        continue
                    need = int(np.ceil((excess.max() - 1e-6) / a))
                    room = (cap[s_alt] - load[s_alt]).min() if len(s_alt) else np.inf
                    k = int(min(cnt, need, np.floor((room + 1e-6) / a)))
                    if k > 0:
                        np.subtract.at(load, s_p, a * k)
                        np.add.at(load, s_alt, a * k)
                        moved += k
                    if cnt - k:
                        kept.append((path, cnt - k))
                if moved:
                    kept.append((alt, moved))
                    pieces[g][t] = merge_pieces(kept)
    return load


def repair(
    fg: FlowGraph,
    pb: Problem,
    sinks_of: list[dict[int, list[int]]],
    fixed_load: np.ndarray,
    pieces: list[Pieces],
    passes: int,
    pi: np.ndarray,
    say: Callable[[str], None],
    *,
    price_scale: np.ndarray | None = None,
    most: int | None = None,
) -> list[Pieces]:
    """Re-route groups by min-cost flow on residual capacity until nothing overflows.

    ``most`` caps the groups a pass re-routes (those with most load on the segments it
    targets first); None re-routes every one.

    Each pass re-routes the groups on overfull segments and, from the second pass on,
    also those on full segments the LP priced (``pi > 0``), which often must make room:
    those first, so they vacate what the overfull ones need. Unit costs are the LP's
    ``length + area * pi``, so groups yield the segments the LP found scarce;
    ``price_scale`` as in :func:`reroute_greedy`.
    """
    cap = fg.capacity
    load = fixed_load + seg_area(fg, pieces, pb.group_area)
    price = np.where(fg.seg >= 0, pi[np.maximum(fg.seg, 0)], 0.0) * 1000
    a_max = float(pb.group_area.max()) if len(pb.group_area) else 0.0
    for p in range(passes):
        over = load > cap + 1e-6
        if not over.any():
            break
        hot = over | ((pi > 0) & (load > cap - a_max - 1e-6)) if p else over
        say(f"routing: repair pass {p + 1}, {int(over.sum())} segments over")
        order = []
        for g, by_sink in enumerate(pieces):
            a = pb.group_area[g]
            if a <= 0 or not by_sink:
                continue
            on_hot = on_over = 0.0
            for plist in by_sink.values():
                for path, cnt in plist:
                    s = fg.seg[path]
                    s = s[s >= 0]
                    on_hot += a * cnt * float(hot[s].sum())
                    on_over += a * cnt * float(over[s].sum())
            if on_hot > 0:
                order.append((on_over > 0, -on_hot, g))
        for _, _, g in sorted(order)[:most]:
            if not (load > cap + 1e-6).any():
                break
            mine = seg_area(fg, [pieces[g]], pb.group_area[[g]])
            residual = cap - (load - mine)
            sinks = np.array(sorted(sinks_of[g]), dtype=np.int64)
            dem = np.array([len(sinks_of[g][t]) for t in sinks.tolist()], dtype=np.int64)
            src = int(pb.src_nodes[pb.group_src[g]])
            a = float(pb.group_area[g])
            unit = price if price_scale is None else price * price_scale[g]
            cost = np.rint(fg.mm + a * unit).astype(np.int64)
            res, _ = group_min_cost_flow(fg, src, sinks, dem, a, residual, cost=cost)
            pieces[g] = {t: merge_pieces(v) for t, v in zip(sinks.tolist(), res, strict=True)}
            load = load - mine + seg_area(fg, [pieces[g]], pb.group_area[[g]])
    return pieces


def polish_to_shortest(
    fg: FlowGraph,
    pb: Problem,
    sinks_of: list[dict[int, list[int]]],
    pieces: list[Pieces],
    load: np.ndarray,
) -> tuple[list[Pieces], np.ndarray]:
    """Move cables back to their shortest route wherever the trays have room."""
    cap = fg.capacity
    for g, by_sink in enumerate(pieces):
        a = float(pb.group_area[g])
        todo = [
            t
            for t, plist in by_sink.items()
            if len(plist) > 1
            or (plist and fg.mm[plist[0][0]].sum() > pb.sp[sinks_of[g][t][0]] + 0.5)
        ]
        if not todo:
            continue
        sps = tree_paths(fg, pb.pred0[pb.group_src[g]], np.array(todo, dtype=np.int64))
        for t, spath in zip(todo, sps, strict=True):
            s_sp = fg.seg[spath]
            s_sp = s_sp[s_sp >= 0]
            plist = sorted(by_sink[t], key=lambda pc: -float(fg.mm[pc[0]].sum()))
            sp_len = float(fg.mm[spath].sum())
            kept: list[tuple[np.ndarray, int]] = []
            moved = 0
            for path, cnt in plist:
                if float(fg.mm[path].sum()) <= sp_len + 0.5:
                    kept.append((path, cnt))
                    continue
                s_p = fg.seg[path]
                s_p = s_p[s_p >= 0]
                # room on the shortest route once these cables leave their own
                trial = load.copy()
                np.subtract.at(trial, s_p, a * cnt)
                room = cap[s_sp] - trial[s_sp] + 1e-6
                k = int(min(cnt, np.floor(room.min() / a))) if len(s_sp) else cnt
                k = max(k, 0)
                if k:
                    np.subtract.at(load, s_p, a * k)
                    np.add.at(load, s_sp, a * k)
                    moved += k
                if cnt - k:
                    kept.append((path, cnt - k))
            if moved:
                kept.append((spath, moved))
            by_sink[t] = merge_pieces(kept)
    return pieces, load
