"""Capacity-aware cable routing with a proven lower bound.

:func:`route_optimized` chooses a tray route for every cable between two racks so that no
tray segment goes past its fill limit, keeping total length (and the media cost a
route forces) low, and proves how far from the best possible the answer can be.

Steps:

1. **Orient and group.** Every cable runs from a *source* rack (a small cover of the rack
   pairs, network racks first) to a *sink* rack. Its cross-section is estimated from
   the media it gets on its shortest route (:class:`~topo.media.MediaTable`). Cables that
   leave one source with one cross-section form a *group*: one single-source flow.
2. **Shortest paths.** One batched Dijkstra per cross-section. If every group fits on
   its shortest-path tree, that is the answer, and it is optimal.
3. **Column generation.** Otherwise a master LP (:mod:`topo.routing.colgen`, GLOP) mixes
   shortest-path trees of each group; its tray duals ``pi`` price the segments and each
   group's next tree is a shortest-path tree under ``length + area * pi``. Every round
   also yields a Lagrangian lower bound (below). With the cost objective trees are
   searched under smoothed prices (half the last round's search prices, half the
   duals) and kept only where their reduced cost under the duals is negative. Stops
   when the LP is solved to the effort's tolerance, after the effort's rounds, or at
   the wall-clock safety net; a cost LP that still overflows stops after three rounds
   in a row within the tolerance (below effort high, within 1 %: such rounds trim
   overflow the repair trims faster; on 20,000 cables or more, a cost LP that fits
   within 0.5 %).
4. **Rounding and repair.** Each group's cables are split over its trees by the LP
   weights (largest remainder, sink by sink). Groups that still cross an overfull
   segment are re-routed one at a time by OR-Tools min-cost flow with hard residual
   capacities (overflow arcs at a prohibitive price, so it always answers and, if
   nothing fits, overflows as little as it can). When the LP's prices prove that no
   routing fits (:func:`topo.routing.bounds.infeasible`), the repair makes one pass
   over the groups with most load on overfull segments.
   With ``thin_media``, cables on segments still overfull move to thinner media than
   their length calls for, on their routes (:func:`_thin_where_full`: least extra cost
   per mm² freed first); when the LP itself overflows, before the repair and with the
   cables then routed afresh. Cables so moved go back to the media their length calls
   for wherever their routes have room (:func:`_widen_where_room`). The bounds and
   proofs then let every cable have any media reaching it
   (:func:`topo.routing.problem.setup_problem`).
5. **Redundancy.** Links sharing a redundancy key, routed with the others so far, are
   moved onto segment-disjoint routes where the trays have room, under the LP's prices
   (:mod:`topo.routing.diversity`); step 4 runs again if that left a segment overfull.
6. **Polish.** Cables move back to their shortest route wherever capacity allows; inside
   each rack pair the shortest routes go to the cables whose media or stock would cost
   most on a longer one (a detour past the DAC's reach costs optics).

The objective. With ``length`` the LP and the repairs minimise route length. With
``cost`` (the default) the LP's columns cost what their cables cost, each from its media
table at its base plus route length (:mod:`topo.routing.cost_objective`); new trees come from
Dijkstra under ``slope * length + area * pi`` for a few slopes (a flat one and multiples
of the media's cost per mm) and a mixed tree taking each sink's cheapest path; the
repairs read the LP's dollar prices at each group's media cost per mm. Either way,
inside each rack pair the shorter routes go to the cables whose media and stock would
cost most more on the longer ones. A cable whose route would call for another media
than its shortest route's is routed again with that cross-section (at most three times).

Breakout legs. The legs of one breakout assembly share one media and stock length,
sized for the assembly's longest leg (:mod:`topo.media`); every stage sees them so
(:func:`topo.routing.problem.size_assemblies`): the router routes a leg with the cross-section
its assembly gets on shortest routes, and the bounds give it the least cross-section
and cost its assembly can have on any routes.

The bound. For any prices ``p >= 0`` on the segments, the sum over cables of the least
``length + area * p`` of a route, less ``sum p * capacity``, is a lower bound on every
plan that fits (:mod:`topo.routing.bounds`, where cables whose media change with the route's
length are handled). With ``p = 0`` it is the sum of shortest routes, valid for any plan
(even one that overflows). The best prices found are reported. With the cost objective
the same argument bounds cable cost (:func:`topo.routing.bounds.priced_cost_bound`), priced with
the final cost LP's duals, and the length bound takes the duals of a length LP over the
cost LP's trees.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, NamedTuple

import numpy as np

from layouts.pathways import PathwayGraph
from topo.media import MediaTable
from topo.model import RackRoute, SolverInfo
from topo.routing.bounds import infeasible, priced_bound, priced_cost_bound
from topo.routing.colgen import Master, MasterSolution
from topo.routing.cost_objective import (
    TreeCosts,
    length_prices,
    price_trees,
    repair_price_scale,
    tree_costs,
)
from topo.routing.diversity import keep_apart, redundancy_sets
from topo.routing.flows import FlowGraph, segment_counts, tree_loads, tree_paths
from topo.routing.problem import (
    CableDemand,
    Pieces,
    Problem,
    merge_pieces,
    seg_area,
    setup_problem,
    size_assemblies,
)
from topo.routing.repair import polish_to_shortest, repair, reroute_greedy

__all__ = ["EFFORT", "CableDemand", "RouteOptions", "RoutingResult", "route_optimized"]

Objective = Literal["cost", "length"]
Effort = Literal["low", "normal", "high", "exact"]


@dataclass(frozen=True, slots=True)
class _Effort:
    rounds: int  # column-generation rounds
    tolerance: float  # relative LP gap at which column generation stops
    repairs: int  # repair passes over the groups


EFFORT: dict[str, _Effort] = {
    "low": _Effort(15, 1e-3, 1),
    "normal": _Effort(80, 1e-4, 3),
    "high": _Effort(400, 1e-7, 8),
    "exact": _Effort(400, 1e-7, 8),
}
"""Work limits by effort: they, not the clock, stop the solver, so results repeat.
Effort ``exact`` is solved by CP-SAT (:func:`topo.routing.exact.route_exact`); its limits are
``high``'s, for the ``shortest`` method and where CP-SAT hands over."""


@dataclass(frozen=True, slots=True)
class RouteOptions:
    """How hard to try and what to minimise (see :class:`topo.scenario.Options`)."""

    objective: Objective = "cost"
    effort: Effort = "normal"
    time_limit_s: float | None = 300.0
    seed: int = 0
    threads: int = 1
    thin_media: bool = True


@dataclass(frozen=True, eq=False)
class RoutingResult:
    """Routes by link, how they were found, and per-cable bounds.

    Attributes:
        routes: route by link id, A end first; None where no tray path joins the racks.
        solver: status, method, bound source, time.
        length_lb_mm: per demand (in the order given), a lower bound on its cable's
            needed length from shortest routes alone (valid for any plan); NaN if
            unrouted.
        lagrange_lb_mm: per demand, its term of the priced bound.
        lagrange_offset_mm: the priced bound's ``- sum p * capacity`` (0 if unused); the
            priced bound of a set of cables is the sum of their terms plus this.
        cost_lb_cents: per demand, the least its link can cost (shortest route).
        area_mm2: per demand, the cross-section the router assumed (0 if unrouted).
        sp_mm: per demand, its shortest route (drops included), mm; inf if unrouted.
        shared: segment indices that redundant links had to share, by redundancy key.
        cost_priced_cents: per demand, its term of a proven cost bound (None if the
            router proved none beyond ``cost_lb_cents``); with ``cost_offset_cents``
            added, as for the priced length bound.
        prices: per segment, the tray prices of the best priced bound (metres of route
            per mm² of cross-section; all 0 when nothing was priced). They tell the
            switch placement which trays are scarce.
        media_limits: the thickest media (mm²) of each cable moved to thinner media
            where the trays were full, by link id (see :func:`_thin_where_full`).
    """

    routes: dict[str, RackRoute | None]
    solver: SolverInfo
    length_lb_mm: np.ndarray
    lagrange_lb_mm: np.ndarray
    lagrange_offset_mm: float
    cost_lb_cents: np.ndarray
    area_mm2: np.ndarray
    sp_mm: np.ndarray
    shared: dict[str, tuple[int, ...]] = field(default_factory=dict)
    cost_priced_cents: np.ndarray | None = None
    cost_offset_cents: float = 0.0
    prices: np.ndarray = field(default_factory=lambda: np.zeros(0))
    media_limits: dict[str, float] = field(default_factory=dict)


# -- assignments: for each group, sink -> [(edge path, cables)] --------------------------


def _tree_columns(
    fg: FlowGraph, pred: np.ndarray, demand: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per tree: cables on each segment and total length (mm)."""
    load, edge, _ = tree_loads(fg, pred, demand)
    return segment_counts(fg, load, edge)


def _systematic_split(total: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split ``total[t]`` whole cables over columns in proportion to ``weights``.

    Cumulative (systematic) rounding along the sinks: column ``k`` gets the rounded
    running share of what the earlier columns left, so over any run of consecutive
    sinks (racks in id order: along a row, across neighbouring rows) each column is
    within about a cable of its fractional share. Per-sink rounding would let the
    errors of a row's racks add up on the row tray.

    Example:
        >>> _systematic_split(np.array([1, 1, 1, 1]), np.array([0.5, 0.5])).tolist()
        [[1, 0, 1, 0], [0, 1, 0, 1]]
    """
    w = np.clip(np.asarray(weights, dtype=np.float64), 0.0, None)
    w = w / w.sum()
    remaining = np.asarray(total, dtype=np.int64).copy()
    out = np.zeros((len(w), len(remaining)), dtype=np.int64)
    rest = 1.0
    for k in range(len(w) - 1):
        share = min(1.0, w[k] / rest) if rest > 1e-12 else 0.0
        cum = np.floor(share * np.cumsum(remaining) + 0.5).astype(np.int64)
        n = np.clip(np.diff(cum, prepend=0), 0, remaining)
        out[k] = n
        remaining = remaining - n
        rest -= w[k]
    out[-1] = remaining
    return out


# -- the router -------------------------------------------------------------------------


def route_optimized(
    graph: PathwayGraph,
    demands: Sequence[CableDemand],
    tables: Mapping[int, MediaTable],
    *,
    options: RouteOptions = RouteOptions(),
    method: Literal["optimize", "shortest"] = "optimize",
    area_override: Mapping[str, float] | None = None,
    progress: Callable[[str], None] | None = None,
) -> RoutingResult:
    """Route every cable with column generation, rounding and repair (every effort but
    ``exact``); :func:`topo.routing.route_cables` is the stage's entry point.

    Takes the arguments of :func:`topo.routing.route_cables`.
    """
    return _route(graph, demands, tables, options, method, area_override, progress, 0)


_SHORTEST = "shortest-path"
_COLGEN = "column-generation"
_LAGRANGIAN = "lagrangian (column-generation duals)"
"""The solver record's methods and the bound source of column generation's prices."""


def _route(
    graph: PathwayGraph,
    demands: Sequence[CableDemand],
    tables: Mapping[int, MediaTable],
    options: RouteOptions,
    method: Literal["optimize", "shortest"],
    area_override: Mapping[str, float] | None,
    progress: Callable[[str], None] | None,
    attempt: int,
) -> RoutingResult:
    """One routing attempt; ``attempt`` counts media re-checks (at most _RECHECKS).

    Builds the problem, solves it and extracts the routes; then, if the routes fit but
    lead some cables to media of another cross-section and those would overfill a
    segment, routes again with those cross-sections.
    """
    t0 = time.perf_counter()
    say = progress or (lambda _m: None)
    run = _Run(options, EFFORT[options.effort], t0, say)
    setup = _build_problem(graph, demands, tables, area_override, options.thin_media)

    thin = _Thinning(graph, tables, area_override, say)
    may_thin = method == "optimize" and options.thin_media
    setup, demands, solved = _solve_routing(setup, demands, method, run, thin if may_thin else None)
    result = _extract_result(setup, demands, solved, run)
    # every cable on its shortest route gets the media it was routed with
    moved = solved.method != _SHORTEST or bool(solved.fixed_paths) or bool(area_override)
    # routes that overflow with the cross-sections they were routed with would not fit
    # with the ones their media call for either: no re-check then
    fits = _over_mm2(setup.fg, solved.load) <= 0
    if method == "optimize" and fits and attempt < _RECHECKS and moved:
        changed = _changed_media(setup.fg, setup.pb, demands, result.routes)
        if changed:
            say(f"routing: {len(changed)} cables change media on their routes")
            merged = dict(area_override or {})
            merged.update(changed)
            again = _route(graph, demands, tables, options, method, merged, progress, attempt + 1)
            return replace(
                again,
                solver=replace(
                    again.solver,
                    seconds=time.perf_counter() - t0,
                    iterations=again.solver.iterations + result.solver.iterations,
                ),
            )
    return result


def _over_mm2(fg: FlowGraph, load: np.ndarray) -> float:
    """Cross-section over the segments' limits, summed (mm²; 0 within 1e-6 a segment)."""
    over = load - fg.capacity
    return float(over[over > 1e-6].sum())


class _Thinned(NamedTuple):
    """A routing after cables moved to other media on their routes: the problem with
    their media limits, the demands saying so, and the routing regrouped."""

    setup: _Setup
    demands: list[CableDemand]
    solved: _Solved


@dataclass(frozen=True)
class _Thinning:
    """Moves cables between media on their routes, keeping every route: to thinner media
    where the trays are full, back to the media their length calls for where there is
    room. Each answer is a problem rebuilt with the new limits (None if no cable
    moves)."""

    graph: PathwayGraph
    tables: Mapping[int, MediaTable]
    area_override: Mapping[str, float] | None
    say: Callable[[str], None]

    def thin(
        self, at: _Setup, now: Sequence[CableDemand], solved: _Solved, spare: float = 0.0
    ) -> _Thinned | None:
        """Cables to thinner media until no segment is overfull, each left ``spare`` of
        its room where that can be had (:func:`_thin_where_full`)."""
        caps = _thin_where_full(at, now, solved.pieces, solved.load, spare)
        if not caps:
            return None
        self.say(f"routing: {len(caps)} cables to thinner media where the trays are full")
        return self._limited(at, now, solved, caps)

    def widen(self, at: _Setup, now: Sequence[CableDemand], solved: _Solved) -> _Thinned | None:
        """Cables back to the media their length calls for where their routes have room
        (:func:`_widen_where_room`)."""
        back = _widen_where_room(at, now, solved.pieces, solved.load)
        if not back:
            return None
        self.say(f"routing: {len(back)} cables back to the media their length calls for")
        return self._limited(at, now, solved, dict.fromkeys(back, math.inf))

    def _limited(
        self,
        at: _Setup,
        now: Sequence[CableDemand],
        solved: _Solved,
        caps: Mapping[str, float],
    ) -> _Thinned:
        narrowed = [replace(c, max_area_mm2=caps[c.link]) if c.link in caps else c for c in now]
        new = _build_problem(self.graph, narrowed, self.tables, self.area_override, True)
        pieces = _regroup(at, new, solved.pieces)
        load = solved.fixed_load + seg_area(new.fg, pieces, new.pb.group_area)
        scale = None if solved.price_scale is None else repair_price_scale(new.pb)
        return _Thinned(new, narrowed, replace(solved, pieces=pieces, load=load, price_scale=scale))


def _on_paths(
    sinks_of: list[dict[int, list[int]]], pieces: list[Pieces]
) -> Iterator[tuple[int, int, np.ndarray, list[int]]]:
    """Every piece of ``pieces`` with its cables: (group, sink, path, the cables of
    ``sinks_of`` it carries, taken in order along the sink's pieces)."""
    for g, by_sink in enumerate(pieces):
        for t, plist in by_sink.items():
            cables, k = sinks_of[g][t], 0
            for path, cnt in plist:
                yield g, t, path, cables[k : k + cnt]
                k += cnt


def _regroup(old: _Setup, new: _Setup, pieces: list[Pieces]) -> list[Pieces]:
    """``pieces`` of ``old``'s groups as pieces of ``new``'s: the same cables (same
    sources and sinks; cables of one group may now have another cross-section) on the
    same paths, as many on each path from each sink."""
    out: list[Pieces] = [{} for _ in range(len(new.pb.group_src))]
    for _, t, path, cables in _on_paths(old.sinks_of, pieces):
        for i in cables:
            out[int(new.pb.group[i])].setdefault(t, []).append((path, 1))
    return [{t: merge_pieces(v) for t, v in by_sink.items()} for by_sink in out]


def _thin_where_full(
    setup: _Setup,
    demands: Sequence[CableDemand],
    pieces: list[Pieces],
    load: np.ndarray,
    spare: float = 0.0,
) -> dict[str, float]:
    """Cables to move to thinner media so that the routes fit, each overfull segment
    then filled to at most ``1 - spare`` of its room: the thickest media each cable may
    then get (mm²), by link id.

    Every free cable crossing an overfull segment whose speed has a thinner media
    reaching its length (not a breakout leg: its assembly shares one media) is a
    candidate, at the media that frees its cross-section for the least extra cost per
    mm². The cheapest per mm² are taken first, each while a segment on its route is
    still overfull, until no segment is (or no candidate is left).
    """
    fg, pb, sinks_of = setup
    over = load > fg.capacity + 1e-6
    if not over.any():
        return {}
    excess = np.where(over, load - fg.capacity * (1 - spare), 0.0)
    cand: list[int] = []
    seg_of: dict[int, np.ndarray] = {}
    length = np.zeros(len(demands), dtype=np.int64)
    for _, _, path, cables in _on_paths(sinks_of, pieces):
        segs = fg.seg[path]
        segs = segs[segs >= 0]
        if over[segs].any():
            route_mm = int(fg.mm[path].sum())
            for i in cables:
                if pb.assembly[i] < 0:
                    cand.append(i)
                    seg_of[i] = segs
                    length[i] = pb.base[i] + route_mm
    if not cand:
        return {}
    by_table: dict[int, list[int]] = {}
    for i in cand:
        by_table.setdefault(id(pb.table[i]), []).append(i)
    ratio = np.full(len(demands), np.inf)
    to_area = np.zeros(len(demands))
    for idx_list in by_table.values():
        idx = np.array(idx_list, dtype=np.int64)
        t = pb.table[idx_list[0]]
        now = t.cost(length[idx]).astype(np.float64)
        costs, areas = t.option_costs(length[idx])
        freed = pb.area[idx][None, :] - areas[:, None]
        ok = np.isfinite(costs) & (freed > 1e-9)
        per = np.where(ok, (costs - now[None, :]) / np.where(ok, freed, 1.0), np.inf)
        # least extra cost per mm² freed; among equals the thinnest
        best = np.lexsort((np.broadcast_to(areas[:, None], per.shape), per), axis=0)[0]
        ratio[idx] = per[best, np.arange(len(idx))]
        to_area[idx] = areas[best]
    pool = np.array(sorted(i for i in cand if np.isfinite(ratio[i])), dtype=np.int64)
    caps: dict[str, float] = {}
    for i in pool[np.argsort(ratio[pool], kind="stable")].tolist():
        segs = seg_of[i]
        if not (excess[segs] > 1e-6).any():
            continue
        excess[segs] -= pb.area[i] - to_area[i]
        caps[demands[i].link] = float(to_area[i])
        if not (excess > 1e-6).any():
            break
    return caps


def _widen_where_room(
    setup: _Setup, demands: Sequence[CableDemand], pieces: list[Pieces], load: np.ndarray
) -> list[str]:
    """Links of cables on media thinner than their length calls for that can go back to
    it: most saved first, each while every segment on its route has room for it."""
    fg, pb, sinks_of = setup
    room = fg.capacity - load
    cand: list[tuple[float, int, np.ndarray, float]] = []
    for _, _, path, cables in _on_paths(sinks_of, pieces):
        route_mm = int(fg.mm[path].sum())
        segs = fg.seg[path]
        segs = segs[segs >= 0]
        for i in cables:
            if demands[i].max_area_mm2 == math.inf:
                continue
            t = pb.table[i]
            full = t.every_media
            length = np.array([pb.base[i] + route_mm], dtype=np.int64)
            j = int(full.interval(length)[0])
            if j >= len(full.breaks):
                continue
            saved = float(t.cost(length)[0] - full.cost(length)[0])
            wider = float(full.area_mm2[j]) - float(pb.area[i])
            if saved > 0:
                cand.append((-saved, i, segs, max(wider, 0.0)))
    back: list[str] = []
    for _, i, segs, wider in sorted(cand, key=lambda c: (c[0], c[1])):
        if (room[segs] >= wider - 1e-6).all():
            room[segs] -= wider
            back.append(demands[i].link)
    return back


class _Setup(NamedTuple):
    """One attempt's problem.

    ``sinks_of`` lists, per group, the free cables (routable, with a cross-section) of
    each sink node; keeping redundant links apart takes them out of it in place.
    """

    fg: FlowGraph
    pb: Problem
    sinks_of: list[dict[int, list[int]]]


class _Run(NamedTuple):
    """What every step of one routing attempt works under."""

    options: RouteOptions
    effort: _Effort
    """The work limits of ``options.effort``."""
    t0: float
    """When the attempt started (``time.perf_counter``): the wall-clock safety net's
    and the solver record's start."""
    say: Callable[[str], None]
    """Where progress messages go."""


@dataclass(frozen=True, eq=False)
class _Solved:
    """A routing as each step of the solve leaves it, and what is known of it.

    The repairs move cables in ``pieces`` in place: a step's record replaces the one it
    was given, which is not read again.

    Attributes:
        pieces: every group's free cables split over paths, by sink.
        load: cross-section on every segment (mm²), fixed cables included.
        fixed_load: cross-section of the fixed cables (redundant links kept apart) on
            every segment (mm²).
        fixed_paths: path of every fixed cable, by demand index.
        shared: segments redundant links had to share, by redundancy key.
        method: ``shortest-path`` or ``column-generation``.
        status: ``OPTIMAL`` (before the extraction's check of the bound), ``FEASIBLE``,
            ``INFEASIBLE`` or ``UNKNOWN``.
        bound_source: what proves the length bound.
        iterations: column-generation rounds run.
        hit_clock: whether the wall-clock safety net stopped column generation.
        pi: the best tray prices found (dollars per mm² under the cost objective, else
            metres per mm²); zero if none.
        length_pi: metres per mm² where ``pi`` is in dollars, else None.
        price_scale: per group, what turns dollar prices into mm for the repairs.
        lagrange_terms, offset: per demand, its term of the priced length bound, and
            the bound's ``- sum p * capacity``.
        cost_terms, cost_offset: the same for a proven cost bound (None if none).
        notes: what a user should know of the solve.
    """

    pieces: list[Pieces]
    load: np.ndarray
    fixed_load: np.ndarray
    lagrange_terms: np.ndarray
    pi: np.ndarray
    fixed_paths: dict[int, np.ndarray] = field(default_factory=dict)
    shared: dict[str, tuple[int, ...]] = field(default_factory=dict)
    method: str = _SHORTEST
    status: str = "OPTIMAL"
    bound_source: str = "shortest-paths"
    iterations: int = 0
    hit_clock: bool = False
    length_pi: np.ndarray | None = None
    price_scale: np.ndarray | None = None
    offset: float = 0.0
    cost_terms: np.ndarray | None = None
    cost_offset: float = 0.0
    notes: tuple[str, ...] = ()


def _build_problem(
    graph: PathwayGraph,
    demands: Sequence[CableDemand],
    tables: Mapping[int, MediaTable],
    area_override: Mapping[str, float] | None,
    thin: bool,
) -> _Setup:
    """Step 1 of the module docstring: orient and group the cables
    (:func:`topo.routing.problem.setup_problem`) and list each group's free cables by
    sink."""
    fg = FlowGraph.of(graph)
    pb = setup_problem(fg, demands, tables, area_override, thin=thin)
    sinks_of: list[dict[int, list[int]]] = [{} for _ in range(len(pb.group_src))]
    free = pb.routable & (pb.area > 0)
    for i in np.nonzero(free)[0].tolist():
        sinks_of[pb.group[i]].setdefault(int(pb.sink[i]), []).append(i)
    return _Setup(fg, pb, sinks_of)


def _solve_routing(
    setup: _Setup,
    demands: Sequence[CableDemand],
    method: Literal["optimize", "shortest"],
    run: _Run,
    thin: _Thinning | None = None,
) -> tuple[_Setup, Sequence[CableDemand], _Solved]:
    """Steps 2 to 6 of the module docstring: shortest paths; then, with the method
    ``optimize``, column generation and repair where they overfill a segment (with
    ``thin``, cables moved to thinner media where they still do: the problem and
    demands then come back narrowed), redundant links kept apart, the polish and the
    proven bounds."""
    solved = _shortest(setup, run.say)
    over = solved.load > setup.fg.capacity + 1e-6
    if method == "shortest":
        if not over.any():
            return setup, demands, solved
        note = (
            f"shortest routes overfill {int(over.sum())} tray segments; the optimizer "
            "was not run (routing method 'shortest')"
        )
        return setup, demands, replace(solved, status="UNKNOWN", notes=(note,))
    if over.any():
        setup, demands, solved = _relax_and_fit(setup, demands, solved, run, thin)
    sets = redundancy_sets(demands, setup.pb)
    if sets:
        solved = _keep_apart(setup, solved, sets, run)
    return setup, demands, _settle(setup, demands, solved)


def _shortest(setup: _Setup, say: Callable[[str], None]) -> _Solved:
    """Step 2: every free cable on its shortest route, and their fill."""
    fg, pb, sinks_of = setup
    say("routing: shortest paths")
    pieces: list[Pieces] = []
    for g, by_sink in enumerate(sinks_of):
        sinks = np.array(sorted(by_sink), dtype=np.int64)
        paths = tree_paths(fg, pb.pred0[pb.group_src[g]], sinks) if len(sinks) else []
        pieces.append(
            {t: [(p, len(by_sink[t]))] for t, p in zip(sinks.tolist(), paths, strict=True)}
        )
    fixed_load = np.zeros(len(fg.capacity))
    return _Solved(
        pieces=pieces,
        load=fixed_load + seg_area(fg, pieces, pb.group_area),
        fixed_load=fixed_load,
        lagrange_terms=np.where(pb.routable, pb.sp, np.nan),
        pi=np.zeros(len(fg.capacity)),
    )


def _relax_and_fit(
    setup: _Setup,
    demands: Sequence[CableDemand],
    solved: _Solved,
    run: _Run,
    thin: _Thinning | None = None,
    *,
    again: bool = True,
) -> tuple[_Setup, Sequence[CableDemand], _Solved]:
    """Steps 3 and 4: column generation from the shortest-path trees and rounding
    (:func:`_optimize`), then the repair of segments still overfull.

    With ``thin``, cables on segments still overfull move to thinner media, unless the
    LP's prices prove that not even the thinnest media fit. When the LP itself
    overflows (no routing with these media fits), that happens right after
    the greedy moves and, with ``again``, the cables are routed afresh with those
    media (the LP's routes were chosen for the thicker ones, and the min-cost-flow
    repair takes longer than a routing); otherwise after the repair, on the routes."""
    fg, pb = setup.fg, setup.pb
    fixed_m = float(pb.sp[pb.routable & (pb.area <= 0)].sum()) / 1000
    relaxed = _optimize(setup, solved.fixed_load, fixed_m, solved.pieces, run)
    solved = replace(
        solved,
        pieces=relaxed.pieces,
        load=solved.fixed_load + seg_area(fg, relaxed.pieces, pb.group_area),
        method=_COLGEN,
        iterations=solved.iterations + relaxed.rounds,
        hit_clock=relaxed.hit_clock,
        pi=relaxed.prices,
        length_pi=relaxed.length_prices,
        # the cost LP's prices are dollars per mm²
        price_scale=repair_price_scale(pb) if relaxed.length_prices is not None else None,
        notes=(*solved.notes, *relaxed.notes),
    )
    if thin is not None and relaxed.lp_over_mm2 > 1e-6 and infeasible(fg, pb, solved.pi):
        thin = None  # not even the thinnest media fit: the plan keeps the ones it costs least
    if thin is not None and relaxed.lp_over_mm2 > 1e-6:
        pieces, load = _fit(
            setup, solved.fixed_load, solved.pieces, solved.load, solved.pi, run,
            price_scale=solved.price_scale, greedy_only=True,
        )  # fmt: skip
        solved = replace(solved, pieces=pieces, load=load)
        thinned = thin.thin(setup, demands, solved, _THIN_SPARE if again else 0.0)
        if thinned is not None and again:
            fresh = replace(
                _shortest(thinned.setup, run.say),
                iterations=solved.iterations,
                notes=solved.notes,
            )
            if _over_mm2(fg, fresh.load) <= 0:  # shortest routes fit: bound them by the LP's prices
                fresh = replace(
                    fresh,
                    method=_COLGEN,
                    pi=solved.pi,
                    length_pi=solved.length_pi,
                    price_scale=thinned.solved.price_scale,
                )
                widened = thin.widen(thinned.setup, thinned.demands, fresh)
                return widened if widened is not None else (thinned.setup, thinned.demands, fresh)
            return _relax_and_fit(thinned.setup, thinned.demands, fresh, run, thin, again=False)
        if thinned is not None:
            setup, demands, solved = thinned
    pieces, load = _fit(
        setup, solved.fixed_load, solved.pieces, solved.load, solved.pi, run,
        price_scale=solved.price_scale,
    )  # fmt: skip
    solved = replace(solved, pieces=pieces, load=load)
    if thin is not None:
        thinned = thin.thin(setup, demands, solved)
        if thinned is not None:
            setup, demands, solved = thinned
    if thin is not None and any(c.max_area_mm2 != math.inf for c in demands):
        widened = thin.widen(setup, demands, solved)
        if widened is not None:
            setup, demands, solved = widened
    return setup, demands, solved


def _keep_apart(
    setup: _Setup,
    solved: _Solved,
    sets: list[tuple[str, list[int]]],
    run: _Run,
) -> _Solved:
    """Step 5: links sharing a redundancy key moved onto segment-disjoint routes
    (:func:`topo.routing.diversity.keep_apart`), fixed there, and the others repaired
    around them."""
    fg, pb, sinks_of = setup
    run.say(f"routing: keeping {sum(len(v) for _, v in sets)} redundant links apart")

    def fit(
        pieces: list[Pieces], load: np.ndarray, fixed_load: np.ndarray
    ) -> tuple[list[Pieces], np.ndarray]:
        return _fit(setup, fixed_load, pieces, load, solved.pi, run, price_scale=solved.price_scale)

    prices = solved.pi if solved.length_pi is None else solved.length_pi
    apart = keep_apart(fg, pb, sets, sinks_of, solved.pieces, solved.load, prices, fit=fit)
    fixed_load = solved.fixed_load.copy()
    for i, p in apart.paths.items():
        np.add.at(fixed_load, fg.seg[p][fg.seg[p] >= 0], pb.area[i])
    pieces, load = fit(solved.pieces, solved.load, fixed_load)
    return replace(
        solved,
        pieces=pieces,
        load=load,
        fixed_load=fixed_load,
        fixed_paths=apart.paths,
        shared=apart.shared,
        # routes apart may be longer than the bound needs
        status="FEASIBLE" if apart.longer else solved.status,
    )


def _settle(setup: _Setup, demands: Sequence[CableDemand], solved: _Solved) -> _Solved:
    """Step 6 and the verdict: a routing that fits is polished and, if column generation
    ran, bounded with its prices; one that does not is INFEASIBLE when the prices prove
    that nothing fits, else UNKNOWN."""
    fg, pb, sinks_of = setup
    over = solved.load > fg.capacity + 1e-6
    if over.any():
        if infeasible(fg, pb, solved.pi):
            note = (
                f"the cables cannot fit the trays: {int(over.sum())} segments overflow "
                "(overflow reduced by re-routing the cables on overfull segments)"
            )
            return replace(solved, status="INFEASIBLE", notes=(*solved.notes, note))
        note = f"no routing that fits was found: {int(over.sum())} segments overflow"
        return replace(solved, status="UNKNOWN", notes=(*solved.notes, note))
    if solved.method != _COLGEN:
        return solved
    pieces, load = polish_to_shortest(fg, pb, sinks_of, solved.pieces, solved.load)
    solved = replace(solved, pieces=pieces, load=load, bound_source=_LAGRANGIAN)
    if solved.length_pi is not None:
        own = np.array([not c.breakout for c in demands], dtype=bool)
        cost_terms, cost_offset = priced_cost_bound(fg, pb, solved.pi * 100, own)
        lagrange_terms, offset = priced_bound(fg, pb, solved.length_pi)
        return replace(
            solved,
            cost_terms=cost_terms,
            cost_offset=cost_offset,
            lagrange_terms=lagrange_terms,
            offset=offset,
        )
    lagrange_terms, offset = priced_bound(fg, pb, solved.pi)
    return replace(solved, lagrange_terms=lagrange_terms, offset=offset)


def _extract_result(
    setup: _Setup,
    demands: Sequence[CableDemand],
    solved: _Solved,
    run: _Run,
) -> RoutingResult:
    """Each cable's route (:func:`_routes`), its bounds and the solver's record. A
    column-generation answer is FEASIBLE here: the planner calls it optimal if it meets
    its bound."""
    fg, pb, sinks_of = setup
    options = run.options
    routes = _routes(
        fg, pb, demands, sinks_of, solved.pieces, solved.fixed_paths, options.objective
    )
    length_lb = np.where(pb.routable, pb.base + pb.sp + pb.slack_lb, np.nan)
    lag_lb = np.where(pb.routable, pb.base + solved.lagrange_terms + pb.slack_lb, np.nan)
    status = solved.status
    if status == "OPTIMAL" and solved.method == _COLGEN:
        status = "FEASIBLE"
    seconds = time.perf_counter() - run.t0
    notes = solved.notes
    if solved.hit_clock:
        notes += (
            f"wall-clock safety net of {options.time_limit_s:g} s fired; results may differ "
            "from run to run",
        )
    info = SolverInfo(
        status=status,
        method=solved.method,
        bound_source=solved.bound_source,
        seconds=seconds,
        notes=notes,
        objective=options.objective,
        iterations=solved.iterations,
        time_limit_hit=solved.hit_clock,
    )
    return RoutingResult(
        routes,
        info,
        length_lb,
        lag_lb,
        solved.offset,
        pb.cost_lb.copy(),
        pb.area.copy(),
        pb.sp.copy(),
        solved.shared,
        prices=solved.pi if solved.length_pi is None else solved.length_pi,
        cost_priced_cents=solved.cost_terms,
        cost_offset_cents=solved.cost_offset,
        media_limits={c.link: c.max_area_mm2 for c in demands if c.max_area_mm2 != math.inf},
    )


def _fit(
    setup: _Setup,
    fixed_load: np.ndarray,
    pieces: list[Pieces],
    load: np.ndarray,
    pi: np.ndarray,
    run: _Run,
    *,
    price_scale: np.ndarray | None = None,
    greedy_only: bool = False,
) -> tuple[list[Pieces], np.ndarray]:
    """Move cables off overfull segments: greedy moves, then (unless ``greedy_only``)
    min-cost-flow repair (``price_scale``: see
    :func:`topo.routing.repair.reroute_greedy`). When the prices prove that no routing
    fits, the repair makes one pass over the groups with most load on overfull
    segments (a budget, see _PROVEN_REPAIRS): more trims little more overflow, at one
    min-cost flow per group (minutes a pass on the largest halls)."""
    fg, pb, sinks_of = setup
    effort, say = run.effort, run.say
    over = load > fg.capacity + 1e-6
    if over.any():
        say(f"routing: moving cables off {int(over.sum())} overfull segments")
        load = reroute_greedy(fg, pb, pieces, load, pi, effort.repairs, price_scale=price_scale)
        over = load > fg.capacity + 1e-6
    if over.any() and not greedy_only:
        proven = infeasible(fg, pb, pi)
        pieces = repair(
            fg,
            pb,
            sinks_of,
            fixed_load,
            pieces,
            1 if proven else effort.repairs,
            pi,
            say,
            price_scale=price_scale,
            most=_repair_budget(fg.n_edges, proven),
        )
        load = fixed_load + seg_area(fg, pieces, pb.group_area)
    return pieces, load


def _repair_budget(n_edges: int, proven: bool) -> int:
    """Groups a repair pass may re-route: a pass costs one min-cost flow per group, in
    time proportional to the graph's edges, so the budget shrinks as the graph grows
    (no cap in practice on halls of a few thousand edges)."""
    per_edge = _PROVEN_REPAIRS if proven else _REPAIRS
    return max(50 if proven else 200, per_edge // max(1, n_edges))


_REPAIRS = 1_600_000
"""When no proof says nothing fits, a repair pass re-routes up to this many groups
divided by the graph's edges, at least 200: every group on a 1,300-edge hall, about
200 on the 7,000-edge halls of 65,000 GPUs, whose passes otherwise took minutes."""

_OVERFLOW_STALL = 0.01
"""Below effort high, a cost LP that still overflows counts a round that improves it by
less than this (relative) as stalled; three in a row end column generation."""
_LARGE_STALL = 5e-3
"""Below effort high, on :data:`_LARGE_CABLES` cables or more, a cost LP that fits counts
a round that improves it by less than this (relative) as stalled: such rounds take
10-15 s there (a 65,536-GPU hall with ten cross trays: 0.06-0.4 % a round once the LP
fits, 0.5 % in the eight rounds after it first fits)."""
_LARGE_CABLES = 20_000
"""Cables from which :data:`_LARGE_STALL` applies."""
_OVERFLOW_STALL_FROM = 1e-4
"""Efforts whose tolerance is at least this (low, normal) use :data:`_OVERFLOW_STALL`."""

_SMOOTHING = 0.5
"""With the cost objective, each round searches new trees under ``pi~ = s * pi~' + (1 - s)
* pi`` (``pi~'`` the last round's search prices, ``pi`` the LP's duals; a tree joins the
master only if its reduced cost under ``pi`` is negative, and when none is found the
round prices again under ``pi``, so the stopping rule still rests on the LP's duals).
Unsmoothed duals swing between rounds: every tree flees the segments priced last round
and overfills others (a 65,536-GPU hall with ten cross trays: LP objective 4.2e9, then
8.5e10, 2.2e9, 3.6e10 ... and 21 rounds). Smoothed, that hall's LP fits from round 11 and
stops at 16, no dearer, and the rounded routes need no repair pass."""

_ROW_AT = 0.8
"""A segment gets a capacity row in the master LP once the LP fills it past this share of
its room, not only once it overflows: the next round's trees, priced with no row on it,
would pile cable on it and overflow it, and the LP then swings between such segments for
rounds (a 65,536-GPU hall with ten cross trays: zero overflow in 13 rounds, against
still overflowing after 33)."""

_PROVEN_REPAIRS = 400_000
"""When the prices prove that nothing fits, the repair re-routes this many groups
divided by the graph's edges (each min-cost flow takes time in proportion to them),
at least 50: about 300 groups on a 1,300-edge hall, 51 on a 7,800-edge one."""

_THIN_SPARE = 0.1
"""When the LP overflows, cables move to thinner media until each overfull segment is
filled to at most this much less than its room, before the cables are routed afresh:
the fresh LP spreads them differently."""

_RECHECKS = 3
"""Times the router re-routes with the cross-sections of the media the routes lead to."""


def _changed_media(
    fg: FlowGraph,
    pb: Problem,
    demands: Sequence[CableDemand],
    routes: Mapping[str, RackRoute | None],
) -> dict[str, float]:
    """Cables whose media on their routes (breakout legs sized to their assembly's
    longest leg) differ in cross-section from what they were routed with, if the routes
    overfill a segment with the media they lead to: their link ids and cross-sections."""
    if not (pb.may_thicken.any() or (pb.thinner_at < np.inf).any()):
        return {}
    rs = [routes.get(c.link) for c in demands]
    has = np.fromiter((r is not None for r in rs), dtype=bool, count=len(rs))
    has &= pb.routable & (pb.area > 0)
    total = np.fromiter((0 if r is None else r.total_mm for r in rs), np.float64, len(rs))
    sized = size_assemblies(pb.assembly, pb.assembly_floor, pb.base + total, has)
    actual = pb.area.copy()
    by_table: dict[int, list[int]] = {}
    for i in np.nonzero(has)[0].tolist():
        by_table.setdefault(id(pb.table[i]), []).append(i)
    for idx_list in by_table.values():
        idx = np.array(idx_list)
        t = pb.table[idx_list[0]]
        k = t.interval(sized[idx].astype(np.int64))
        ok = k < len(t.breaks)
        actual[idx] = np.where(ok, t.area_mm2[np.minimum(k, len(t.breaks) - 1)], actual[idx])
    moved = has & (np.abs(actual - pb.area) > 1e-9)
    if not moved.any():
        return {}
    chunks, weights = [], []
    for i in np.nonzero(has)[0].tolist():
        r = routes[demands[i].link]
        assert r is not None
        chunks.append(np.asarray(r.segments, dtype=np.int64))
        weights.append(np.full(len(r.segments), actual[i]))
    load = (
        np.bincount(
            np.concatenate(chunks), weights=np.concatenate(weights), minlength=len(fg.capacity)
        )
        if chunks
        else np.zeros(len(fg.capacity))
    )
    if not (load > fg.capacity + 1e-6).any():
        return {}
    return {demands[i].link: float(actual[i]) for i in np.nonzero(moved)[0].tolist()}


@dataclass(frozen=True)
class _Relaxed:
    """What column generation and rounding found.

    Attributes:
        pieces: every group's cables split over its trees, rounded to whole cables.
        prices: the best tray prices (LP duals) found, per segment.
        length_prices: prices of a length LP over the same trees (objective cost only).
        rounds: column-generation rounds run.
        hit_clock: the wall-clock safety net stopped it.
        notes: what a user should know of the solve.
        lp_over_mm2: the final LP's overflow (mm², summed over segments).
    """

    pieces: list[Pieces]
    prices: np.ndarray
    length_prices: np.ndarray | None
    rounds: int
    hit_clock: bool
    notes: list[str]
    lp_over_mm2: float = 0.0


def _optimize(
    setup: _Setup, fixed_load: np.ndarray, fixed_m: float, sp: list[Pieces], run: _Run
) -> _Relaxed:
    """Column generation, then rounding (see :class:`_Relaxed` for what it returns):
    the master LP over the shortest-path trees (:func:`_build_master`), pricing rounds
    (:func:`_generate_columns`), a final LP respecting every segment
    (:func:`_final_lp`) and its tree weights rounded to whole cables
    (:func:`_round_to_cables`)."""
    fg, pb, sinks_of = setup
    lp = _build_master(fg, pb, sinks_of, fixed_load, run.options.objective)
    gen = _generate_columns(fg, pb, lp, fixed_load, fixed_m, run)
    sol = _final_lp(lp.master, fixed_load, fg.capacity)
    pieces = _round_to_cables(fg, sinks_of, lp, sol, sp)
    best_pi, length_pi = gen.best_pi, None
    if lp.tc is not None:
        best_pi = sol.pi.copy()  # no per-round bound: the final LP's prices
        length_pi = length_prices(lp.master, lp.tree_m)
    return _Relaxed(pieces, best_pi, length_pi, gen.rounds, gen.hit_clock, [], sol.overflow_mm2)


@dataclass(frozen=True, eq=False)
class _ColumnLP:
    """The master LP of column generation and the trees behind its columns (the lists
    grow as columns are added).

    Attributes:
        master: the LP (:class:`topo.routing.colgen.Master`).
        groups: the LP's groups (those with free cables), ascending.
        index: each of those groups' row in the LP.
        areas: their cross-sections (mm²).
        dem: per LP group, the cables sinking at each node.
        preds: per LP group, its trees (the shortest-path tree first).
        tree_m: per LP group, each tree's metres.
        tc: the exact cable cost of trees (objective ``cost``), else None.
        least: per LP group, its shortest-path tree's cost: no tree of it costs less.
    """

    master: Master
    groups: list[int]
    index: dict[int, int]
    areas: np.ndarray
    dem: np.ndarray
    preds: list[list[np.ndarray]]
    tree_m: list[list[float]]
    tc: TreeCosts | None
    least: np.ndarray


def _build_master(
    fg: FlowGraph,
    pb: Problem,
    sinks_of: list[dict[int, list[int]]],
    fixed_load: np.ndarray,
    objective: Objective,
) -> _ColumnLP:
    """The master LP with each group's shortest-path tree as its first column, and a
    capacity row for every segment those trees overfill."""
    cap = fg.capacity
    lp_groups = [g for g in range(len(pb.group_src)) if sinks_of[g]]
    areas = pb.group_area[lp_groups]
    names = [s.id for s in fg.graph.segments]
    master = Master(areas, cap - fixed_load, names)
    dem = np.zeros((len(lp_groups), fg.n))
    for j, g in enumerate(lp_groups):
        for t, idx in sinks_of[g].items():
            dem[j, t] = len(idx)
    pred_sp = pb.pred0[pb.group_src[lp_groups]]
    counts, length = _tree_columns(fg, pred_sp, dem)
    sp_load = fixed_load + (counts * areas[:, None]).sum(axis=0)
    master.add_rows(np.nonzero(sp_load > cap + 1e-6)[0])
    tc = TreeCosts.of(pb, lp_groups, sinks_of) if objective == "cost" else None
    col_cost = (
        tree_costs(fg, tc, list(range(len(lp_groups))), pred_sp, dem)
        if tc is not None
        else (length / 1000).tolist()
    )
    lp = _ColumnLP(
        master=master,
        groups=lp_groups,
        index={g: j for j, g in enumerate(lp_groups)},
        areas=areas,
        dem=dem,
        preds=[[] for _ in lp_groups],
        tree_m=[[] for _ in lp_groups],
        tc=tc,
        least=np.array(col_cost),
    )
    for j in range(len(lp_groups)):
        master.add_column(j, col_cost[j], counts[j])
        lp.preds[j].append(pred_sp[j])
        lp.tree_m[j].append(float(length[j]) / 1000)
    return lp


class _BoundGroups(NamedTuple):
    """Every routable cable with a cross-section, as the Lagrangian bound counts them."""

    counts: np.ndarray
    """Per group, its cables sinking at each node."""
    classes: dict[float, list[int]]
    """The groups by cross-section (mm²)."""
    sp_no_area_m: float
    """Metres of the routable cables without a cross-section, on shortest routes."""


def _bound_groups(pb: Problem, n: int) -> _BoundGroups:
    """Every routable cable counts in the bound, grouped by (source, area)."""
    priced = pb.routable & (pb.area > 0)
    all_groups = np.unique(pb.group[priced])
    cnt_all = np.zeros((len(pb.group_src), n))
    np.add.at(cnt_all, (pb.group[priced], pb.sink[priced]), 1.0)
    no_area = pb.routable & (pb.area <= 0)
    classes: dict[float, list[int]] = {}
    for g in all_groups.tolist():
        classes.setdefault(float(pb.group_area[g]), []).append(g)
    return _BoundGroups(cnt_all, classes, float(pb.sp[no_area].sum()) / 1000)


class _Generated(NamedTuple):
    """What the pricing rounds found."""

    best_pi: np.ndarray
    """The prices of the best Lagrangian bound (objective ``length``)."""
    rounds: int
    hit_clock: bool


def _generate_columns(
    fg: FlowGraph,
    pb: Problem,
    lp: _ColumnLP,
    fixed_load: np.ndarray,
    fixed_m: float,
    run: _Run,
) -> _Generated:
    """Pricing rounds: each solves the master, prices new trees with its duals
    (:func:`_price_round`), adds them and the rows of segments the LP overfills; until
    the LP is solved to the effort's tolerance, pricing finds nothing, a cost LP stalls,
    the effort's rounds run out or the wall-clock safety net fires."""
    effort, time_limit_s, say = run.effort, run.options.time_limit_s, run.say
    cap = fg.capacity
    bound = _bound_groups(pb, fg.n)
    best_lb, best_pi = -np.inf, np.zeros(len(cap))
    hit_clock = False
    rounds = 0
    sol = lp.master.solve()
    last_obj = np.inf
    stalled = 0  # rounds in a row the cost LP moved by less than the tolerance
    smooth_pi: np.ndarray | None = None
    for rounds in range(1, effort.rounds + 1):
        # cost objective: trees are searched under smoothed prices (see _SMOOTHING)
        search_pi = None
        if lp.tc is not None and smooth_pi is not None:
            search_pi = _SMOOTHING * smooth_pi + (1 - _SMOOTHING) * sol.pi
        priced = _price_round(fg, pb, lp, sol, bound, search_pi)
        smooth_pi = search_pi if search_pi is not None else sol.pi
        if priced.lb > best_lb:
            best_lb, best_pi = priced.lb, sol.pi.copy()
        ub = sol.objective_m + fixed_m
        if lp.tc is None:
            gap = (ub - best_lb) / max(best_lb, 1e-9) if np.isfinite(best_lb) else np.inf
        else:
            # no per-round bound on cost: stop once a round improves the LP by less than
            # the tolerance (or when pricing finds no better tree)
            gap = (last_obj - sol.objective_m) / max(abs(sol.objective_m), 1e-9)
            last_obj = sol.objective_m
            # an LP that still overflows is stalled below a coarser tolerance (below
            # effort high): its rounds then trim overflow the repair trims faster
            still = effort.tolerance
            if sol.overflow_mm2 > 1e-6 and effort.tolerance >= _OVERFLOW_STALL_FROM:
                still = max(still, _OVERFLOW_STALL)
            elif len(pb.area) >= _LARGE_CABLES and effort.tolerance >= _OVERFLOW_STALL_FROM:
                still = max(still, _LARGE_STALL)
            stalled = stalled + 1 if gap <= still else 0
        # rows for segments the LP overfills but has no row for yet
        missing, overfull = _missing_rows(lp.master, sol, fixed_load, cap)
        _add_columns(fg, lp, priced)
        lp.master.add_rows(missing)
        if lp.tc is not None:
            say(
                f"routing: round {rounds}, LP {sol.objective_m:,.0f} ($ + overflow penalty), "
                f"{len(lp.master.rows)} trays priced"
            )
        else:
            say(
                f"routing: round {rounds}, LP {sol.objective_m:,.0f}, bound {best_lb:,.0f} "
                f"(m + overflow penalty), {len(lp.master.rows)} trays priced"
            )
        if not priced.trees and not overfull:
            break
        if not overfull and gap <= effort.tolerance and sol.overflow_mm2 <= 1e-6:
            break
        if stalled >= 3 and (not overfull or sol.overflow_mm2 > 1e-6):
            # the cost LP has stopped improving: an overflowing LP only overflows more
            # with rows for more segments (the final LP still gets every row it needs)
            break
        if time_limit_s is not None and time.perf_counter() - run.t0 > time_limit_s:
            hit_clock = True
            break
        sol = lp.master.solve()
    return _Generated(best_pi, rounds, hit_clock)


class _Priced(NamedTuple):
    """One pricing round's bound and new trees."""

    lb: float
    """The Lagrangian bound (m) of the round's prices (objective ``cost``: its
    ``- sum p * capacity`` term only)."""
    trees: list[tuple[int, np.ndarray]]
    """(LP group, tree) of every tree with a negative reduced cost."""
    dollars: list[float] | None
    """Objective ``cost``: each tree's cost (its column's cost)."""
    columns: list[tuple[np.ndarray, float]] | None
    """Objective ``cost``: each tree's cables per segment and length (mm)."""


def _price_round(
    fg: FlowGraph,
    pb: Problem,
    lp: _ColumnLP,
    sol: MasterSolution,
    bound: _BoundGroups,
    search_pi: np.ndarray | None = None,
) -> _Priced:
    """New trees under the LP's duals: with the cost objective, the priced trees of
    :func:`topo.routing.cost_objective.price_trees`; with length, each group's
    shortest-path tree under ``length + area * pi`` where its reduced cost is negative,
    found by one Dijkstra per cross-section that also sums the Lagrangian bound."""
    pi = sol.pi
    lb = bound.sp_no_area_m - float((pi * fg.capacity).sum())
    if lp.tc is not None:
        srcs = pb.src_nodes[pb.group_src[lp.groups]]
        found = price_trees(
            fg, lp.tc, srcs, lp.areas, lp.dem, pi, sol.mu, lp.least, search_pi=search_pi
        )
        if not found and search_pi is not None:  # only the LP's own prices prove none
            found = price_trees(fg, lp.tc, srcs, lp.areas, lp.dem, pi, sol.mu, lp.least)
        return _Priced(
            lb,
            [(f.group, f.pred) for f in found],
            [f.dollars for f in found],
            [(f.counts, f.length_mm) for f in found],
        )
    price = np.where(fg.seg >= 0, pi[np.maximum(fg.seg, 0)], 0.0) * 1000  # mm / mm²
    trees: list[tuple[int, np.ndarray]] = []
    cnt_all, dem = bound.counts, lp.dem
    for a, gs in sorted(bound.classes.items()):
        w = fg.mm + a * price
        dist, pred = fg.dijkstra(w, pb.src_nodes[pb.group_src[gs]])
        for r, g in enumerate(gs):
            lb += float((cnt_all[g] * np.where(cnt_all[g] > 0, dist[r], 0)).sum()) / 1000
            col = lp.index.get(g)
            if col is None:
                continue
            used = float((dem[col] * np.where(dem[col] > 0, dist[r], 0)).sum()) / 1000
            rc = used - sol.mu[col]
            if rc < -1e-7 * max(1.0, abs(sol.mu[col])):
                trees.append((col, pred[r]))
    return _Priced(lb, trees, None, None)


def _add_columns(fg: FlowGraph, lp: _ColumnLP, priced: _Priced) -> None:
    """Add a round's new trees to the master LP as columns."""
    if not priced.trees:
        return
    js = [j for j, _ in priced.trees]
    p = np.stack([pr for _, pr in priced.trees])
    if priced.columns is not None:  # priced trees come with their columns
        c = np.stack([fc for fc, _ in priced.columns])
        ln = np.array([fl for _, fl in priced.columns])
    else:
        c, ln = _tree_columns(fg, p, lp.dem[js])
    for k, j in enumerate(js):
        cost = priced.dollars[k] if priced.dollars is not None else ln[k] / 1000
        lp.master.add_column(j, cost, c[k])
        lp.preds[j].append(p[k])
        lp.tree_m[j].append(float(ln[k]) / 1000)


def _missing_rows(
    master: Master, sol: MasterSolution, fixed_load: np.ndarray, cap: np.ndarray
) -> tuple[np.ndarray, bool]:
    """Segments the LP's solution fills past :data:`_ROW_AT` of their room that have no
    capacity row yet, and whether it overfills any of them."""
    load = master.loads(sol.lam) + fixed_load
    unpriced = ~np.isin(np.arange(len(cap)), list(master.rows))
    near = np.nonzero((load > cap * _ROW_AT + 1e-6) & unpriced)[0]
    return near, bool(((load > cap + 1e-6) & unpriced).any())


def _final_lp(master: Master, fixed_load: np.ndarray, cap: np.ndarray) -> MasterSolution:
    """The master solved again until it respects every segment, not only the priced
    ones (at most 20 times)."""
    for _ in range(20):
        sol = master.solve()
        missing, overfull = _missing_rows(master, sol, fixed_load, cap)
        if not overfull:
            break
        master.add_rows(missing)
    return sol


def _round_to_cables(
    fg: FlowGraph,
    sinks_of: list[dict[int, list[int]]],
    lp: _ColumnLP,
    sol: MasterSolution,
    sp: list[Pieces],
) -> list[Pieces]:
    """Each group's cables split over its trees by the LP weights
    (:func:`_systematic_split`); a group on its shortest-path tree alone keeps ``sp``."""
    out: list[Pieces] = [dict(p) for p in sp]
    for j, g in enumerate(lp.groups):
        lam = sol.lam[j]
        use = np.nonzero(lam > 1e-9)[0]
        if len(use) == 1 and use[0] == 0:
            continue  # the shortest-path tree alone
        sinks = np.array(sorted(sinks_of[g]), dtype=np.int64)
        total = np.array([len(sinks_of[g][t]) for t in sinks.tolist()], dtype=np.int64)
        split = _systematic_split(total, lam[use])
        by_sink: Pieces = {int(t): [] for t in sinks.tolist()}
        for r, k in enumerate(use.tolist()):
            m = split[r] > 0
            if not m.any():
                continue
            paths = tree_paths(fg, lp.preds[j][k], sinks[m])
            for t, cnt, path in zip(sinks[m].tolist(), split[r][m].tolist(), paths, strict=True):
                by_sink[t].append((path, int(cnt)))
        out[g] = {t: merge_pieces(v) for t, v in by_sink.items()}
    return out


def _routes(
    fg: FlowGraph,
    pb: Problem,
    demands: Sequence[CableDemand],
    sinks_of: list[dict[int, list[int]]],
    pieces: list[Pieces],
    fixed_paths: dict[int, np.ndarray],
    objective: Objective,
) -> dict[str, RackRoute | None]:
    """Give each cable a route: inside a rack pair, short routes to cost-sensitive cables."""
    g = fg.graph
    out: dict[str, RackRoute | None] = {c.link: None for c in demands}
    made: dict[bytes, tuple[RackRoute, RackRoute]] = {}

    flips = pb.flip.tolist()
    links = [c.link for c in demands]

    def both(i: int, path: np.ndarray) -> tuple[RackRoute, RackRoute]:
        """The route along ``path`` from the source and back (made once per path)."""
        key = path.tobytes()
        if key not in made:
            src_rack = pb.sources[pb.src[i]]
            c = demands[i]
            dst_rack = c.a if pb.flip[i] else c.b
            da, db = g.drops[src_rack].length_mm, g.drops[dst_rack].length_mm
            segs = fg.seg[path]
            total = int(fg.mm[path].sum())
            r = RackRoute(
                src_rack, dst_rack, total - da - db, da, db, tuple(segs[segs >= 0].tolist())
            )
            made[key] = (r, r.reversed())
        return made[key]

    def route_of(i: int, path: np.ndarray) -> RackRoute:
        fwd, back = both(i, path)
        return back if flips[i] else fwd

    for i, path in fixed_paths.items():
        out[demands[i].link] = route_of(i, path)
    for i in np.nonzero(pb.routable & (pb.area <= 0))[0].tolist():
        if i not in fixed_paths:
            out[demands[i].link] = route_of(
                i, tree_paths(fg, pb.pred0[pb.src[i]], np.array([pb.sink[i]]))[0]
            )
    for grp, by_sink in enumerate(pieces):
        for t, plist in by_sink.items():
            cables = sinks_of[grp][t]
            if len(plist) == 1:
                fwd, back = both(cables[0], plist[0][0])
                for i in cables:
                    out[links[i]] = back if flips[i] else fwd
                continue
            paths = sorted(plist, key=lambda pc: (float(fg.mm[pc[0]].sum()), pc[0].tobytes()))
            lens = [float(fg.mm[p].sum()) for p, _ in paths]
            idx = np.array(cables, dtype=np.int64)
            t_ = pb.table[cables[0]]
            floor = np.where(pb.assembly[idx] >= 0, pb.sized_sp[idx], 0).astype(np.int64)
            short = t_.cost(np.maximum(pb.base[idx] + int(lens[0]), floor))
            long = t_.cost(np.maximum(pb.base[idx] + int(lens[-1]), floor))
            # most to lose first; then the longest in-rack runs (closest to a reach limit)
            order = np.lexsort((idx, -pb.base[idx], -(long - short)))
            k = 0
            for path, cnt in paths:
                for i in idx[order[k : k + cnt]].tolist():
                    out[demands[i].link] = route_of(i, path)
                k += cnt
    return out
