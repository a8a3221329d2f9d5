"""Path diversity: redundant links on tray routes that share no segment.

Links whose ``Link.redundancy`` keys are equal and non-empty (the two uplinks of a
dual-homed server, two planes of a fabric) should not fail together when one tray is
cut. The router first routes them with every other cable, capacity-aware; then
:func:`keep_apart` separates the members of each set that share a segment:

1. **Take.** Each member takes one of the routes the optimizer gave its cables (the one
   sharing least with the set's earlier members) and is routed on its own from then on.
   Sets already apart stay where the optimizer put them.
2. **Move**, set by set in key order, each set lifted off the trays just before (its old
   routes stay open to it, so nothing overfills), under the optimizer's prices
   ``length + area * pi`` (``pi`` the tray duals of its linear program, 0 when the
   shortest routes fit)::

       member kept    [A01]==T-A==X-W==T-B==[B02]         its route as the optimizer chose
       member moved   [A01]==T-A========X-E==T-B==[B02]   cheapest route avoiding
                                                          the kept one's segments and
                                                          every segment without room

   Each member in turn is tried as the kept one; the others take the cheapest routes
   that avoid the segments the set already uses and every segment without room for one
   more of their cables. The trial adding the least cost wins.
3. **Exact for a shared end.** If no trial keeps the set apart and its members share a
   rack and a cross-section, one min-cost flow from that rack with one cable per
   segment (Suurballe's problem under the room left) finds a disjoint routing whenever
   one exists.
4. **Least shared.** Otherwise the members go one by one on the cheapest route where a
   segment the set already uses costs more than any detour, and a segment without room
   more than any sharing (or stay as they were if that overfills). The segments they
   share are reported.
5. **Make room.** If sets still share, they and the sets beside them (on the segments
   they use) are lifted together and put back, those that share first, counting room
   on the redundant links only: a segment the other cables fill costs more than any
   detour but stays open, and the router's repair then moves those cables aside. Kept
   if everything fits and fewer segments are shared; tried up to three times.

Sets with the same ends and cross-sections reuse one answer while the trays have room.

:func:`diverse_paths` gives the routes that share least on the trays' layout alone, not
their room (each link the shortest route where a segment an earlier link of its set
uses costs more than any detour): the segments no routing can keep apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from topo.routing.flows import FlowGraph, group_min_cost_flow, tree_paths
from topo.routing.problem import CableDemand, Pieces, Problem

__all__ = ["Apart", "diverse_paths", "keep_apart", "redundancy_sets"]


Fit = Callable[[list[Pieces], np.ndarray, np.ndarray], tuple[list[Pieces], np.ndarray]]
"""Repair: ``fit(pieces, load, fixed_load)`` moves the other cables off overfull
segments and returns their pieces and the new load."""


@dataclass(frozen=True, eq=False)
class Apart:
    """Redundant links once kept apart.

    Attributes:
        paths: kept-edge path (source first) of every member, by demand index.
        shared: the segment indices two or more members must share, by redundancy key
            (sets that are apart are absent).
        longer: whether keeping them apart lengthened any route.
    """

    paths: dict[int, np.ndarray]
    shared: dict[str, tuple[int, ...]]
    longer: bool


def redundancy_sets(demands: Sequence[CableDemand], pb: Problem) -> list[tuple[str, list[int]]]:
    """Redundancy keys with two or more routable links, sorted by key, and their demand
    indices (in demand order)."""
    sets: dict[str, list[int]] = {}
    for i, c in enumerate(demands):
        if c.redundancy and pb.routable[i]:
            sets.setdefault(c.redundancy, []).append(i)
    return sorted((k, v) for k, v in sets.items() if len(v) > 1)


def keep_apart(
    fg: FlowGraph,
    pb: Problem,
    sets: Sequence[tuple[str, list[int]]],
    sinks_of: list[dict[int, list[int]]],
    pieces: list[Pieces],
    load: np.ndarray,
    pi: np.ndarray,
    *,
    fit: Fit | None = None,
) -> Apart:
    """Route the members of each redundancy set on segment-disjoint routes where the
    trays have room; see the module docstring for the steps.

    Args:
        sets: from :func:`redundancy_sets`.
        sinks_of, pieces: the optimizer's assignment; the members are taken out of it
            (in place), so it keeps the other cables only.
        load: cable area on every segment, mm²; updated in place to the new routes.
        pi: the tray prices (per mm² of cross-section, per metre).
        fit: if given, sets that must share on the room left are tried again on the
            room the other cables could make, which ``fit`` then makes; kept if that
            fits and shares less.

    Returns:
        The members' routes, the segments they must share, whether routes got longer.
    """
    paths = _take(fg, pb, sets, sinks_of, pieces)
    first = dict(paths)
    made_room = False
    clashing = [(key, idx) for key, idx in sets if _shared(fg, paths, idx)]
    shared = _put_back(fg, paths, clashing, _Mover(fg, pb, load, pi))
    for _ in range(_ROOM_ROUNDS):
        if not shared or fit is None:
            break
        fewer = _make_room(fg, pb, sets, shared, paths, pieces, load, pi, fit)
        if fewer is None:
            break
        shared, made_room = fewer, True
    longer = made_room or any(fg.mm[p].sum() > fg.mm[first[i]].sum() for i, p in paths.items())
    return Apart(paths, shared, bool(longer))


def diverse_paths(
    fg: FlowGraph, members: Sequence[Sequence[tuple[int, int]]]
) -> list[tuple[list[np.ndarray], tuple[int, ...]]]:
    """Routes for each redundancy set that share least on the layout alone (room ignored).

    Args:
        members: for each set, its links' ``(source node, sink node)`` in link order.

    Returns:
        For each set, the kept-edge path of each link (source first) and the segment
        indices shared by two or more of its links (sorted).
    """
    big = float(fg.mm.sum()) + 1.0
    base = fg.mm.astype(np.float64)
    cache: dict[tuple[tuple[int, int], ...], tuple[list[np.ndarray], tuple[int, ...]]] = {}
    out = []
    for links in members:
        key = tuple(links)
        if key not in cache:
            used = np.zeros(len(fg.capacity), dtype=bool)
            shared: set[int] = set()
            paths = []
            for src, dst in links:
                w = base.copy()
                on = fg.seg >= 0
                w[on] += big * used[fg.seg[on]]
                _, pred = fg.dijkstra(w, [src])
                path = tree_paths(fg, pred[0], np.array([dst]))[0]
                segs = fg.seg[path]
                segs = segs[segs >= 0]
                shared.update(int(s) for s in segs if used[s])
                used[segs] = True
                paths.append(path)
            cache[key] = (paths, tuple(sorted(shared)))
        out.append(cache[key])
    return out


_ROOM_ROUNDS = 3
"""Times :func:`keep_apart` lifts every set to make room for those that must share."""


def _make_room(
    fg: FlowGraph,
    pb: Problem,
    sets: Sequence[tuple[str, list[int]]],
    shared: dict[str, tuple[int, ...]],
    paths: dict[int, np.ndarray],
    pieces: list[Pieces],
    load: np.ndarray,
    pi: np.ndarray,
    fit: Fit,
) -> dict[str, tuple[int, ...]] | None:
    """The sets that share, and the sets beside them, lifted and put back (those that
    share first) on the room the other cables could make (then made by ``fit``). The new
    shared segments if they are fewer and the trays fit (``paths``, ``pieces``, ``load``
    updated), else None (unchanged)."""
    stuck = [(key, idx) for key, idx in sets if key in shared]
    near = np.zeros(len(fg.capacity), dtype=bool)
    for _, idx in stuck:
        for i in idx:
            near[_segs(fg, paths[i])] = True
    rest = [
        (key, idx)
        for key, idx in sets
        if key not in shared and any(near[_segs(fg, paths[i])].any() for i in idx)
    ]
    saved = ([{t: list(v) for t, v in p.items()} for p in pieces], load.copy(), dict(paths))
    members = np.zeros(len(fg.capacity))
    for i, p in paths.items():
        np.add.at(members, _segs(fg, p), pb.area[i])
    again = _put_back(fg, paths, stuck + rest, _Mover(fg, pb, members, pi, busy=load), at_once=True)
    new_pieces, new_load = fit(pieces, load, members)
    if (
        sum(map(len, again.values())) < sum(map(len, shared.values()))
        and not (new_load > fg.capacity + 1e-6).any()
    ):
        pieces[:], load[:] = new_pieces, new_load
        return again
    pieces[:], load[:] = saved[0], saved[1]
    paths.clear()
    paths.update(saved[2])
    return None


def _put_back(
    fg: FlowGraph,
    paths: dict[int, np.ndarray],
    todo: Sequence[tuple[str, list[int]]],
    mover: _Mover,
    *,
    at_once: bool = False,
) -> dict[str, tuple[int, ...]]:
    """Put the sets ``todo`` back one by one (``paths`` updated), each lifted just
    before (its old routes stay open to it) or, with ``at_once``, all lifted first;
    the segments each must share."""
    for _, idx in todo if at_once else ():
        for i in idx:
            mover.lift(i, paths[i])
    shared: dict[str, tuple[int, ...]] = {}
    cache: dict[tuple[object, ...], list[np.ndarray]] = {}
    hopeless: set[tuple[object, ...]] = set()  # ends found no room apart: not searched again
    pb = mover.pb
    for key, idx in todo:
        for i in idx if not at_once else ():
            mover.lift(i, paths[i])
        sig = tuple((int(pb.src[i]), int(pb.sink[i]), float(pb.area[i])) for i in idx)
        new = cache.get(sig)
        if new is None or not mover.has_room(idx, new):
            new = mover.place(idx, [paths[i] for i in idx], hopeless=sig in hopeless)
            if _shared(fg, dict(zip(idx, new, strict=True)), idx):
                hopeless.add(sig)
            cache[sig] = new
        for i, p in zip(idx, new, strict=True):
            paths[i] = p
            mover.add(i, p)
        common = _shared(fg, paths, idx)
        if common:
            shared[key] = common
    return shared


def _segs(fg: FlowGraph, path: np.ndarray) -> np.ndarray:
    s = fg.seg[path]
    return s[s >= 0]


def _shared(fg: FlowGraph, paths: dict[int, np.ndarray], idx: Sequence[int]) -> tuple[int, ...]:
    """Segments used by two or more of the links ``idx`` (sorted)."""
    seen: set[int] = set()
    twice: set[int] = set()
    for i in idx:
        for s in _segs(fg, paths[i]).tolist():
            (twice if s in seen else seen).add(s)
    return tuple(sorted(twice))


def _path(fg: FlowGraph, pred: np.ndarray, dst: int) -> np.ndarray:
    """Kept-edge path from the root of the tree ``pred`` to ``dst`` (one path:
    :func:`topo.routing.flows.tree_paths` walks many at once)."""
    nodes = [dst]
    while pred[nodes[-1]] >= 0:
        nodes.append(int(pred[nodes[-1]]))
    if len(nodes) == 1:
        return np.empty(0, dtype=np.int64)
    nodes.reverse()
    return fg.edge_of(np.array(nodes[:-1]), np.array(nodes[1:]))


def _take(
    fg: FlowGraph,
    pb: Problem,
    sets: Sequence[tuple[str, list[int]]],
    sinks_of: list[dict[int, list[int]]],
    pieces: list[Pieces],
) -> dict[int, np.ndarray]:
    """Take the members out of the assignment, each with the route of its (group, sink)
    that shares least with the set's earlier members; cables without media (no area)
    take their shortest route."""
    out: dict[int, np.ndarray] = {}
    used = np.zeros(len(fg.capacity), dtype=bool)
    for _, idx in sets:
        used[:] = False
        for i in idx:
            if pb.area[i] <= 0:
                path = _path(fg, pb.pred0[pb.src[i]], int(pb.sink[i]))
            else:
                g, t = int(pb.group[i]), int(pb.sink[i])
                plist = pieces[g][t]
                k = min(
                    range(len(plist)),
                    key=lambda k: (int(used[_segs(fg, plist[k][0])].sum()), k),
                )
                path, cnt = plist[k]
                rest = plist[:k] + ([(path, cnt - 1)] if cnt > 1 else []) + plist[k + 1 :]
                sinks_of[g][t].remove(i)
                if sinks_of[g][t]:
                    pieces[g][t] = rest
                else:
                    del sinks_of[g][t], pieces[g][t]
            out[i] = path
            used[_segs(fg, path)] = True
    return out


class _Mover:
    """Cheapest routes for one set's members on the room left (see the module docstring).

    Room is counted on ``load``; with ``busy`` (a fuller load, the other cables'
    included), a segment without room there costs more than any detour but stays open.
    """

    def __init__(
        self,
        fg: FlowGraph,
        pb: Problem,
        load: np.ndarray,
        pi: np.ndarray,
        busy: np.ndarray | None = None,
    ) -> None:
        self.fg, self.pb, self.load, self.busy = fg, pb, load, busy
        self.on_seg = fg.seg >= 0
        self.price = np.where(self.on_seg, pi[np.maximum(fg.seg, 0)], 0.0) * 1000
        # any simple route costs less than `share`; one closed segment more than all sharing
        top = float(fg.mm.sum() + pb.area.max(initial=0.0) * self.price.sum()) + 1.0
        self.share = top
        self.full = top * (2 * len(fg.capacity) + 2)

    def lift(self, i: int, path: np.ndarray) -> None:
        """Take link ``i`` off ``path``."""
        self._shift(i, path, -1.0)

    def add(self, i: int, path: np.ndarray) -> None:
        """Put link ``i`` on ``path``."""
        self._shift(i, path, 1.0)

    def _shift(self, i: int, path: np.ndarray, sign: float) -> None:
        s = _segs(self.fg, path)
        np.add.at(self.load, s, sign * self.pb.area[i])
        if self.busy is not None:
            np.add.at(self.busy, s, sign * self.pb.area[i])

    def has_room(self, idx: Sequence[int], paths: Sequence[np.ndarray]) -> bool:
        """Whether the trays have room for ``paths`` of the links ``idx`` together."""
        need = np.zeros(len(self.fg.capacity))
        for i, p in zip(idx, paths, strict=True):
            np.add.at(need, _segs(self.fg, p), self.pb.area[i])
        on = need > 0
        return bool((self.load[on] + need[on] <= self.fg.capacity[on] + 1e-6).all())

    def _tight(self, a: float, extra: np.ndarray) -> np.ndarray:
        """Per kept edge: 1 on segments ``busy`` leaves no room for one more cable of
        area ``a`` (with ``extra`` taken), else 0."""
        out = np.zeros(self.fg.n_edges)
        if self.busy is not None:
            s = self.fg.seg[self.on_seg]
            out[self.on_seg] = self.fg.capacity[s] - self.busy[s] - extra[s] < a - 1e-6
        return out

    def place(
        self, idx: Sequence[int], prev: Sequence[np.ndarray], *, hopeless: bool = False
    ) -> list[np.ndarray]:
        """Routes for the links ``idx`` (currently on ``prev``, lifted off the trays);
        ``hopeless``: the room is known to keep them apart nowhere."""
        if not _shared(self.fg, dict(zip(idx, prev, strict=True)), idx) and self.has_room(
            idx, prev
        ):
            return list(prev)
        if not hopeless:
            best: tuple[float, list[np.ndarray]] | None = None
            for keep in range(len(idx)):
                trial = self._trial(idx, prev, keep)
                if trial is not None and (best is None or trial[0] < best[0] - 1e-9):
                    best = trial
            if best is not None:
                return best[1]
            exact = self._flow(idx)
            if exact is not None:
                return exact
        least = self._least_shared(idx)
        if not self.has_room(idx, least) and self.has_room(idx, prev):
            return list(prev)  # sharing as the optimizer had them beats overfilling
        return least

    def _weights(self, i: int, used: np.ndarray, extra: np.ndarray | None = None) -> np.ndarray:
        """Edge weights for link ``i``: priced length, and ``self.full`` on segments used
        by the set (``used``) or without room; ``extra`` adds to the room taken."""
        fg, a = self.fg, float(self.pb.area[i])
        w = fg.mm + a * self.price
        taken = self.load if extra is None else self.load + extra
        closed = self.on_seg.copy()
        s = fg.seg[self.on_seg]
        closed[self.on_seg] = used[s] | (fg.capacity[s] - taken[s] < a - 1e-6)
        w = w + self.share * self._tight(a, np.zeros(len(fg.capacity)) if extra is None else extra)
        return np.where(closed, self.full, w)

    def _route(self, i: int, w: np.ndarray) -> tuple[np.ndarray, float]:
        """Cheapest path of link ``i`` under ``w`` and its weight."""
        pb = self.pb
        src, dst = int(pb.src_nodes[pb.src[i]]), int(pb.sink[i])
        dist, pred = self.fg.dijkstra(w, [src])
        return _path(self.fg, pred[0], dst), float(dist[0, dst])

    def _cost(self, i: int, path: np.ndarray) -> float:
        return float((self.fg.mm[path] + self.pb.area[i] * self.price[path]).sum())

    def _trial(
        self, idx: Sequence[int], prev: Sequence[np.ndarray], keep: int
    ) -> tuple[float, list[np.ndarray]] | None:
        """Member ``keep`` stays on its route, the others avoid it and each other; the
        added cost, or None if the trays leave no such routes."""
        fg, pb = self.fg, self.pb
        n_seg = len(fg.capacity)
        used = np.zeros(n_seg, dtype=bool)
        extra = np.zeros(n_seg)
        kept = _segs(fg, prev[keep])
        if (fg.capacity[kept] - self.load[kept] < pb.area[idx[keep]] - 1e-6).any():
            return None
        used[kept] = True
        extra[kept] += pb.area[idx[keep]]
        out = list(prev)
        added = 0.0
        for k, i in enumerate(idx):
            if k == keep:
                continue
            path, dist = self._route(i, self._weights(i, used, extra))
            if dist >= self.full:
                return None
            s = _segs(fg, path)
            used[s] = True
            extra[s] += pb.area[i]
            added += dist - self._cost(i, prev[k])
            out[k] = path
        return added, out

    def _flow(self, idx: Sequence[int]) -> list[np.ndarray] | None:
        """Disjoint routes by one min-cost flow from a rack all the links ``idx`` end at,
        one cable per segment with room; None if they share no end rack or
        cross-section, or if no disjoint routing fits."""
        fg, pb = self.fg, self.pb
        ends = [(int(pb.src_nodes[pb.src[i]]), int(pb.sink[i])) for i in idx]
        common = set(ends[0]).intersection(*ends[1:])
        areas = {float(pb.area[i]) for i in idx}
        if not common or len(areas) != 1 or 0.0 in areas:
            return None
        hub, a = min(common), areas.pop()
        far = [e[1] if e[0] == hub else e[0] for e in ends]
        if hub in far:
            return None
        sinks = np.array(sorted(set(far)), dtype=np.int64)
        demand = np.array([far.count(t) for t in sinks.tolist()], dtype=np.int64)
        room = np.where(fg.capacity - self.load >= a - 1e-6, a, 0.0)
        tight = self._tight(a, np.zeros(len(fg.capacity)))
        cost = np.rint(fg.mm + a * self.price + min(self.share, 1e7) * tight).astype(np.int64)
        res, overflow = group_min_cost_flow(fg, hub, sinks, demand, a, room, cost=cost)
        if overflow:
            return None
        left = {
            t: [p for p, cnt in plist for _ in range(cnt)]
            for t, plist in zip(sinks.tolist(), res, strict=True)
        }
        out = []
        for (src, _), t in zip(ends, far, strict=True):
            p = left[t].pop(0)
            out.append(p if src == hub else p[::-1].copy())
        return out

    def _least_shared(self, idx: Sequence[int]) -> list[np.ndarray]:
        """The members one by one, sharing as little as the room left allows."""
        fg, pb = self.fg, self.pb
        n_seg = len(fg.capacity)
        uses = np.zeros(n_seg)
        extra = np.zeros(n_seg)
        out = []
        for i in idx:
            a = float(pb.area[i])
            s = fg.seg[self.on_seg]
            w = fg.mm + a * self.price
            w[self.on_seg] += self.share * uses[s]
            no_room = fg.capacity[s] - self.load[s] - extra[s] < a - 1e-6
            w[self.on_seg] += self.full * no_room
            w += self.share * self._tight(a, extra)
            path, _ = self._route(i, w)
            p_segs = _segs(fg, path)
            uses[p_segs] += 1
            extra[p_segs] += a
            out.append(path)
        return out
