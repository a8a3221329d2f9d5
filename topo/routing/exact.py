"""Exact routing of small halls with CP-SAT: effort ``exact``, and the reference the
optimizer is checked against.

Two models, each the whole problem as one integer program:

- :func:`route_exact` (effort ``exact``, what ``topo plan`` runs): cables counted on
  candidate tray routes, each route priced by the media its length leads to, so the
  optimum is proven for the plan's own cost or length (see its docstring).
- :func:`exact_routes` (the tests' reference): arc by arc (integer multicommodity flow,
  one commodity per group of :mod:`topo.routing.optimizer`, cross-sections fixed)::

    f[g, u->v] in 0..cables of g          cables of group g running from u to v
    sum_out f[g] - sum_in f[g] = supply    (+cables at g's source, -cables at each sink)
    sum_g area_g * (f[g, u->v] + f[g, v->u]) <= capacity      every tray segment
    minimise  sum length(u, v) * f[g, u->v]

Cross-sections and capacities are scaled to 1/10,000 mm², cross-sections rounded up
and capacities down, so an answer that fits here fits the trays. Both models grow with
the hall: they are meant for hand-made floors and small halls, not halls of thousands
of racks (:data:`MAX_CHOICES`). Variables are named ``f_{group}_{tail}_{head}`` and
``n_{class}_{route}``.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from ortools.sat.python import cp_model

from layouts.pathways import PathwayGraph
from topo.errors import Problem as UserProblem
from topo.errors import ScenarioError
from topo.media import MediaTable
from topo.model import RackRoute, SolverInfo
from topo.routing.diversity import diverse_paths
from topo.routing.flows import FlowGraph, decompose, tree_paths
from topo.routing.optimizer import RouteOptions, RoutingResult, route_optimized
from topo.routing.problem import CableDemand, Problem, setup_problem, size_assemblies

__all__ = ["MAX_CHOICES", "WORK_LIMIT", "ExactResult", "exact_routes", "route_exact"]

_STATUS = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
}
"""CP-SAT's answer codes by name (anything else is UNKNOWN)."""

_SCALE = 10_000
"""Cross-section units per mm² inside the model."""


@dataclass(frozen=True, eq=False)
class ExactResult:
    """The best routing CP-SAT found.

    Attributes:
        status: ``OPTIMAL``, ``FEASIBLE``, ``INFEASIBLE`` (nothing fits) or ``UNKNOWN``.
        route_mm: total route length (drops included) of every routable cable, or None
            without a solution.
        routes: route by link id (A end first); None for unroutable cables.
    """

    status: str
    route_mm: int | None
    routes: dict[str, RackRoute | None]


def exact_routes(
    graph: PathwayGraph,
    demands: Sequence[CableDemand],
    tables: Mapping[int, MediaTable],
    *,
    max_seconds: float = 30.0,
    workers: int = 1,
    seed: int = 0,
) -> ExactResult:
    """Route the cables optimally (see the module docstring).

    Cables are grouped and given cross-sections as :func:`topo.routing.optimizer.route_optimized`
    does (each from the media of its shortest route). Cables no media reaches carry no
    cross-section.
    """
    fg = FlowGraph.of(graph)
    pb = setup_problem(fg, demands, tables, None)
    groups: dict[int, dict[int, list[int]]] = {}
    for i in np.nonzero(pb.routable)[0].tolist():
        groups.setdefault(int(pb.group[i]), {}).setdefault(int(pb.sink[i]), []).append(i)
    model = cp_model.CpModel()
    tails = np.concatenate([fg.u, fg.v]).tolist()
    heads = np.concatenate([fg.v, fg.u]).tolist()
    ne = fg.n_edges
    flow: dict[int, list[cp_model.IntVar]] = {}
    objective = []
    seg_terms: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
    for g, by_sink in sorted(groups.items()):
        total = sum(len(v) for v in by_sink.values())
        f = [
            model.new_int_var(0, total, f"f_{g}_{t}_{h}") for t, h in zip(tails, heads, strict=True)
        ]
        flow[g] = f
        supply = [0] * fg.n
        supply[int(pb.src_nodes[pb.group_src[g]])] += total
        for t, idx in by_sink.items():
            supply[t] -= len(idx)
        out_arcs: list[list[int]] = [[] for _ in range(fg.n)]
        in_arcs: list[list[int]] = [[] for _ in range(fg.n)]
        for a, (t, h) in enumerate(zip(tails, heads, strict=True)):
            out_arcs[t].append(a)
            in_arcs[h].append(a)
        for node in range(fg.n):
            if out_arcs[node] or in_arcs[node]:
                model.add(
                    sum(f[a] for a in out_arcs[node]) - sum(f[a] for a in in_arcs[node])
                    == supply[node]
                )
        area_u = math.ceil(float(pb.group_area[g]) * _SCALE - 1e-9)
        for e in range(ne):
            objective.append(int(fg.mm[e]) * (f[e] + f[e + ne]))
            s = int(fg.seg[e])
            if s >= 0 and area_u > 0:
                seg_terms.setdefault(s, []).extend([(area_u, f[e]), (area_u, f[e + ne])])
    for s, terms in seg_terms.items():
        cap_u = math.floor(float(fg.capacity[s]) * _SCALE + 1e-9)
        model.add(sum(a * v for a, v in terms) <= cap_u)
    model.minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max_seconds
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    code = solver.solve(model)
    status = _STATUS.get(code, "UNKNOWN")
    routes: dict[str, RackRoute | None] = {c.link: None for c in demands}
    if status not in ("OPTIMAL", "FEASIBLE"):
        return ExactResult(status, None, routes)
    arc_edge = np.concatenate([np.arange(ne), np.arange(ne)])
    total_mm = 0
    for g, by_sink in sorted(groups.items()):
        values = np.array([solver.value(v) for v in flow[g]], dtype=np.int64)
        used = np.nonzero(values > 0)[0]
        sinks = np.array(sorted(by_sink), dtype=np.int64)
        dem = np.array([len(by_sink[t]) for t in sinks.tolist()], dtype=np.int64)
        src = int(pb.src_nodes[pb.group_src[g]])
        pieces = decompose(
            src,
            sinks,
            dem,
            np.asarray(tails)[used],
            np.asarray(heads)[used],
            values[used],
            arc_edge[used],
        )
        for t, plist in zip(sinks.tolist(), pieces, strict=True):
            cables = iter(by_sink[t])
            for path, cnt in plist:
                for _ in range(cnt):
                    i = next(cables)
                    total_mm += int(fg.mm[path].sum())
                    routes[demands[i].link] = _rack_route(fg, pb, demands, i, path)
    return ExactResult(status, total_mm, routes)


def _rack_route(
    fg: FlowGraph, pb: Problem, demands: Sequence[CableDemand], i: int, path: np.ndarray
) -> RackRoute:
    """Cable ``i``'s route along the edge ``path`` (source to sink), A end first."""
    src_rack = pb.sources[pb.src[i]]
    c = demands[i]
    dst_rack = c.a if pb.flip[i] else c.b
    drops = fg.graph.drops
    da, db = drops[src_rack].length_mm, drops[dst_rack].length_mm
    segs = fg.seg[path]
    total = int(fg.mm[path].sum())
    r = RackRoute(src_rack, dst_rack, total - da - db, da, db, tuple(segs[segs >= 0].tolist()))
    return r.reversed() if pb.flip[i] else r


# -- effort 'exact': the proven optimum for small halls -----------------------------------

MAX_CHOICES = 20_000
"""Largest model :func:`route_exact` builds, in (cable class, candidate route) pairs."""

WORK_LIMIT = 60.0
"""CP-SAT's deterministic time limit for each solve (its own work units, not seconds):
it, not the clock, stops the solver, so results repeat."""

_MAX_STEPS = 50 * MAX_CHOICES
"""Partial routes the route enumeration may extend before the hall counts as too big."""

_FIRST_MARGIN = {"length": 10_000, "cost": 10_000}
"""First widening of the candidate routes when the cheapest ones cannot fit (mm, cents)."""


@dataclass(frozen=True, slots=True)
class _Class:
    """Interchangeable cables: one source, one sink, one media table, one base length.

    ``least`` bounds one cable's objective value from below over every route.
    """

    cables: tuple[int, ...]
    src: int
    sink: int
    base: int
    table: MediaTable
    least: int
    slack_lb: int
    first: int  # media interval of the shortest route
    floor: int = 0  # breakout legs: their assembly's length on shortest routes (else 0)


@dataclass(frozen=True, slots=True)
class _Choice:
    """A candidate route of a class: the edge path, its length (drops included), and the
    cross-section, objective value and tie-break value (the other objective) of a cable
    of the class on it."""

    path: np.ndarray
    mm: int
    area_mm2: float
    value: int
    other: int


@dataclass(frozen=True, slots=True)
class _Solve:
    """One CP-SAT answer: cables by (class, choice), value and bound, whether the clock
    stopped it."""

    status: str
    counts: dict[tuple[int, int], int]
    value: int | None
    bound: float
    time_hit: bool


def route_exact(
    graph: PathwayGraph,
    demands: Sequence[CableDemand],
    tables: Mapping[int, MediaTable],
    *,
    options: RouteOptions,
    progress: Callable[[str], None] | None = None,
) -> RoutingResult:
    """Route every cable at the proven optimum of ``options.objective`` (effort ``exact``).

    A route-based CP-SAT model, exact cable by cable: each candidate route gives a cable
    the media :func:`~topo.media.choose_media` picks for its length, hence its
    cross-section, cost and slack. Interchangeable cables form a *class* ``k``; the
    model counts them on each candidate route ``r``::

        n[k, r] in 0..cables of k        sum_r n[k, r] = cables of k
        sum area(k, r) * n[k, r] <= capacity             every tray segment
        minimise  sum value(k, r) * n[k, r]              cents, or mm of cable

    The candidates are every simple tray route a cable could take in a better plan. A
    first solve over each class's cheapest routes (widened until something fits) gives
    a plan of value ``z``: no cable can take a route worth more than its least value
    plus ``z - sum of least values`` in a plan as good, so every route within that
    margin joins the final solve, whose optimum is the optimum over all routes (and
    whose bound, if the work limit stops it, holds over all routes).

    Links sharing a redundancy key share no tray segment, except those
    :func:`~topo.routing.diversity.diverse_paths` finds no route around::

        sum n[k, r] over the set's classes k and routes r through s <= 1

    so the optimum (and the bound) is over the plans that keep them apart. Cables no
    media reaches go on their shortest route without a cross-section, as in
    :func:`~topo.routing.optimizer.route_optimized`. When CP-SAT proves that nothing fits, or
    finds nothing within its work limit, the column-generation router (effort
    ``high``) answers, minimising the overflow, and the solver notes say so.

    Raises:
        ScenarioError: the model needs more than :data:`MAX_CHOICES` (class, route)
            pairs: the hall is too big for effort ``exact``.
    """
    t0 = time.perf_counter()
    say = progress or (lambda _m: None)
    fg = FlowGraph.of(graph)
    pb = setup_problem(fg, demands, tables, None)
    objective = options.objective
    modelled = pb.routable & (pb.area > 0)
    sets: dict[str, list[int]] = {}
    for i in np.nonzero(modelled)[0].tolist():
        if demands[i].redundancy:
            sets.setdefault(demands[i].redundancy, []).append(i)
    sets = {key: idx for key, idx in sorted(sets.items()) if len(idx) > 1}
    classes = _classes(pb, demands, sets, objective)
    if len(classes) > MAX_CHOICES:
        raise _too_big(f"{len(classes):,}")
    apart = _apart(fg, pb, classes, sets)
    least = sum(k.least * len(k.cables) for k in classes)
    routes = _Routes(fg)
    say(f"routing: exact (CP-SAT), {sum(len(k.cables) for k in classes)} cables")

    unit = "cents" if objective == "cost" else "mm"
    margin: float = 0
    cands = routes.candidates(classes, margin, objective)
    got = _solve(fg, classes, apart, cands, options, t0, {})
    solves = 1
    while got.status == "INFEASIBLE" and not routes.complete:
        margin = _FIRST_MARGIN[objective] if margin == 0 else 8 * margin
        say(f"routing: exact, routes within {margin:,.0f} {unit} of the cheapest")
        cands = routes.candidates(classes, margin, objective)
        got = _solve(fg, classes, apart, cands, options, t0, {})
        solves += 1
    if routes.complete:
        margin = math.inf
    if got.value is not None and got.value - least > margin:
        margin = got.value - least
        say(f"routing: exact, routes within {margin:,.0f} {unit} of the cheapest")
        wider = routes.candidates(classes, margin, objective)
        hint = {(k, cands[k][c].path.tobytes()): n for (k, c), n in got.counts.items()}
        again = _solve(fg, classes, apart, wider, options, t0, hint)
        solves += 1
        hit = got.time_hit or again.time_hit
        if again.value is not None and again.value <= got.value:
            got, cands = replace(again, time_hit=hit), wider
        else:
            got = replace(got, bound=min(got.bound, again.bound), time_hit=hit)
    if got.value is None:
        return _hand_over(graph, demands, tables, options, progress, got, solves, t0)
    say("routing: exact, the best of the plans of equal value")
    hint = {(k, cands[k][c].path.tobytes()): n for (k, c), n in got.counts.items()}
    tie = _solve(fg, classes, apart, cands, options, t0, hint, cap=got.value)
    solves += 1
    value = got.value
    if tie.value is not None:
        value, hit = tie.value, got.time_hit or tie.time_hit
        got = replace(got, counts=tie.counts, value=value, time_hit=hit)
    # a plan with a cable outside its candidates is worth more than least + margin
    bound = max(float(least), min(got.bound, least + margin))
    status = "OPTIMAL" if bound >= value else "FEASIBLE"
    notes = []
    if status == "FEASIBLE":
        notes.append(
            f"CP-SAT stopped before proving the optimum: best {value:,}, "
            f"bound {bound:,.0f} ({unit})"
        )
    if got.time_hit:
        notes.append(
            f"wall-clock safety net of {options.time_limit_s:g} s fired; results may differ "
            "from run to run"
        )
    solver = SolverInfo(
        status=status,
        method="cp-sat",
        bound_source="cp-sat",
        seconds=time.perf_counter() - t0,
        notes=tuple(notes),
        objective=objective,
        iterations=solves,
        time_limit_hit=got.time_hit,
    )
    result = _result(fg, pb, demands, classes, cands, got, bound, solver, sets)
    if _overfills(fg, pb, demands, result.routes):
        # the model gave breakout legs the least cross-section their assembly can have:
        # with the media their routes lead to, the trays overflow. Solve again with the
        # legs sized as they are when the other legs keep their shortest routes; the
        # first solve's bound stands.
        say("routing: exact, again with breakout assemblies sized")
        wide = margin
        sized = routes.candidates(classes, wide, objective, sized=True)
        again = _solve(fg, classes, apart, sized, options, t0, {})
        solves += 1
        while again.status == "INFEASIBLE" and not routes.complete:
            wide = _FIRST_MARGIN[objective] if wide == 0 else 8 * wide
            sized = routes.candidates(classes, wide, objective, sized=True)
            again = _solve(fg, classes, apart, sized, options, t0, {})
            solves += 1
        if again.value is not None:
            hit = got.time_hit or again.time_hit
            status = "OPTIMAL" if bound >= again.value else "FEASIBLE"
            notes = [n for n in notes if not n.startswith("CP-SAT stopped")]
            if status == "FEASIBLE":
                notes.insert(
                    0,
                    f"CP-SAT's best routing that fits once breakout media are sized: "
                    f"{again.value:,}, bound {bound:,.0f} ({unit})",
                )
            info = replace(
                solver,
                status=status,
                notes=tuple(notes),
                seconds=time.perf_counter() - t0,
                iterations=solves,
                time_limit_hit=hit,
            )
            got2 = replace(again, time_hit=hit)
            result = _result(fg, pb, demands, classes, sized, got2, bound, info, sets)
            if not _overfills(fg, pb, demands, result.routes):
                return result
        return _hand_over(
            graph, demands, tables, options, progress, replace(got, status="OVERFILLS"), solves, t0
        )
    return result


def _overfills(
    fg: FlowGraph,
    pb: Problem,
    demands: Sequence[CableDemand],
    routes: Mapping[str, RackRoute | None],
) -> bool:
    """Whether ``routes`` overfill a segment with the media they lead to (breakout legs
    sized to their assembly's longest leg)."""
    if not (pb.assembly >= 0).any():
        return False
    n = len(demands)
    total = np.zeros(n)
    has = np.zeros(n, dtype=bool)
    for i in np.nonzero(pb.routable & (pb.area > 0))[0].tolist():
        r = routes.get(demands[i].link)
        if r is not None:
            total[i], has[i] = r.total_mm, True
    sized = size_assemblies(pb.assembly, pb.assembly_floor, pb.base + total, has)
    load = np.zeros(len(fg.capacity))
    for i in np.nonzero(has)[0].tolist():
        t = pb.table[i]
        j = int(t.interval(int(sized[i])))
        r = routes[demands[i].link]
        assert r is not None
        if j < len(t.breaks) and r.segments:
            np.add.at(load, np.asarray(r.segments, dtype=np.int64), float(t.area_mm2[j]))
    return bool((load > fg.capacity + 1e-6).any())


def _too_big(size: str) -> ScenarioError:
    return ScenarioError(
        UserProblem(
            "options.effort",
            f"effort 'exact' is for small halls: this plan needs {size} cable route choices "
            f"(classes of interchangeable cables x candidate tray routes), the limit is "
            f"{MAX_CHOICES:,}; use effort 'high'",
            "exact",
        )
    )


def _classes(
    pb: Problem,
    demands: Sequence[CableDemand],
    sets: Mapping[str, Sequence[int]],
    objective: str,
) -> list[_Class]:
    """The classes of interchangeable cables with a media, in demand order (the members
    of a redundancy set in ``sets`` apart from other cables)."""
    members: dict[tuple[int, int, int, int, str, int], list[int]] = {}
    for i in np.nonzero(pb.routable & (pb.area > 0))[0].tolist():
        red = demands[i].redundancy if demands[i].redundancy in sets else ""
        floor = int(pb.sized_sp[i]) if pb.assembly[i] >= 0 else 0
        key = (int(pb.src[i]), int(pb.sink[i]), id(pb.table[i]), int(pb.base[i]), red, floor)
        members.setdefault(key, []).append(i)
    out = []
    for (src, sink, _, base, _, floor), idx in members.items():
        i = idx[0]
        t = pb.table[i]
        sp = int(pb.sp[i])
        first = int(t.interval(max(base + sp, floor)))
        slack_lb = int(pb.slack_lb[i])
        least = int(t.cost_cents[first:].min()) if objective == "cost" else base + sp + slack_lb
        node = int(pb.src_nodes[src])
        out.append(_Class(tuple(idx), node, sink, base, t, least, slack_lb, first, floor))
    return out


def _apart(
    fg: FlowGraph, pb: Problem, classes: Sequence[_Class], sets: Mapping[str, Sequence[int]]
) -> list[tuple[tuple[int, ...], frozenset[int]]]:
    """For each redundancy set: its classes, and the segments its links may share (those
    the diversity router finds no route around)."""
    if not sets:
        return []
    class_of = {i: k for k, cls in enumerate(classes) for i in cls.cables}
    members = [
        [(int(pb.src_nodes[pb.src[i]]), int(pb.sink[i])) for i in idx] for idx in sets.values()
    ]
    out = []
    for idx, (_, common) in zip(sets.values(), diverse_paths(fg, members), strict=True):
        out.append((tuple(sorted({class_of[i] for i in idx})), frozenset(common)))
    return out


class _Routes:
    """Simple tray routes between two nodes, by length, enumerated on demand."""

    def __init__(self, fg: FlowGraph) -> None:
        self.fg = fg
        adj: list[list[tuple[int, int, int]]] = [[] for _ in range(fg.n)]
        ends = zip(fg.u.tolist(), fg.v.tolist(), fg.mm.tolist(), strict=True)
        for e, (a, b, w) in enumerate(ends):
            adj[a].append((b, e, w))
            adj[b].append((a, e, w))
        self.adj = [sorted(x) for x in adj]
        self._to: dict[int, np.ndarray] = {}
        self._found: dict[tuple[int, int], tuple[float, list[tuple[int, np.ndarray]]]] = {}
        self.complete = False

    def candidates(
        self, classes: Sequence[_Class], margin: float, objective: str, *, sized: bool = False
    ) -> list[list[_Choice]]:
        """Every route of each class worth at most its least value plus ``margin``;
        :attr:`complete` tells whether that is every route some media reaches. A breakout
        leg's route carries the least cross-section its assembly can have, or with
        ``sized`` the one it has if the other legs keep their shortest routes."""
        out: list[list[_Choice]] = []
        total = 0
        self.complete = True
        for k in classes:
            t = k.table
            ceiling = k.least + margin
            reach = int(t.breaks[-1]) - k.base
            if objective == "cost":
                ok = np.nonzero(t.cost_cents[k.first :] <= ceiling)[0]
                limit = float(t.breaks[k.first + ok[-1]]) - k.base
            else:
                limit = min(float(reach), ceiling - k.base - k.slack_lb)
            self.complete &= limit >= reach
            choices = []
            for mm, path in self.paths(k.src, k.sink, limit):
                if k.floor:
                    # a breakout leg: its assembly is at least this long, and may run
                    # longer with another leg: the least area, cost and slack it can get
                    j = int(t.interval(max(k.base + mm, k.floor)))
                    slack = int(t.slack_mm[j:].min())
                    cents = int(t.cost_cents[j])
                    length = max(k.base + mm, k.floor) + 2 * slack
                    area = float(t.area_mm2[j] if sized else t.min_area_after[j])
                else:
                    j = int(t.interval(k.base + mm))
                    area = float(t.area_mm2[j])
                    cents, length = int(t.cost_cents[j]), k.base + mm + 2 * int(t.slack_mm[j])
                value, other = (cents, length) if objective == "cost" else (length, cents)
                if value <= ceiling:
                    choices.append(_Choice(path, mm, area, value, other))
            total += len(choices)
            if total > MAX_CHOICES:
                raise _too_big(f"more than {MAX_CHOICES:,}")
            out.append(choices)
        return out

    def paths(self, s: int, t: int, limit: float) -> list[tuple[int, np.ndarray]]:
        """Simple routes from node ``s`` to node ``t`` at most ``limit`` mm long, as
        (length, edge path), shortest first (ties by edges)."""
        known = self._found.get((s, t))
        if known is None or known[0] < limit:
            known = (limit, self._enumerate(s, t, limit))
            self._found[s, t] = known
        return [p for p in known[1] if p[0] <= limit]

    def _enumerate(self, s: int, t: int, limit: float) -> list[tuple[int, np.ndarray]]:
        if t not in self._to:
            self._to[t] = self.fg.dijkstra(self.fg.mm.astype(np.float64), [t])[0][0]
        to_t = self._to[t]
        out: list[tuple[int, list[int]]] = []
        on = [False] * self.fg.n
        on[s] = True
        stack = [(s, 0)]  # the route's nodes with their length so far
        edges: list[int] = []  # the route's edges
        tried = [0]  # neighbours of each node tried so far
        steps = 0
        while stack:
            node, length = stack[-1]
            if tried[-1] == len(self.adj[node]):
                on[node] = False
                stack.pop()
                tried.pop()
                if edges:
                    edges.pop()
                continue
            other, e, w = self.adj[node][tried[-1]]
            tried[-1] += 1
            if on[other] or length + w + to_t[other] > limit + 1e-6:
                continue
            steps += 1
            if steps > _MAX_STEPS or len(out) > MAX_CHOICES:
                raise _too_big(f"more than {MAX_CHOICES:,}")
            if other == t:
                out.append((length + w, [*edges, e]))
                continue
            on[other] = True
            stack.append((other, length + w))
            edges.append(e)
            tried.append(0)
        out.sort()
        return [(mm, np.array(p, dtype=np.int64)) for mm, p in out]


def _solve(
    fg: FlowGraph,
    classes: Sequence[_Class],
    apart: Sequence[tuple[tuple[int, ...], frozenset[int]]],
    cands: Sequence[Sequence[_Choice]],
    options: RouteOptions,
    t0: float,
    hint: Mapping[tuple[int, bytes], int],
    cap: int | None = None,
) -> _Solve:
    """Build the route model over the candidates, solve it, read the counts.

    With ``cap``, the objective may not exceed it and the other objective is minimised
    (the tie-break between plans of equal value).
    """
    model = cp_model.CpModel()
    n: dict[tuple[int, int], cp_model.IntVar] = {}
    load: dict[int, list[cp_model.LinearExprT]] = {}
    objective, other = [], []
    for k, (cls, choices) in enumerate(zip(classes, cands, strict=True)):
        size = len(cls.cables)
        for c, ch in enumerate(choices):
            v = n[k, c] = model.new_int_var(0, size, f"n_{k}_{c}")
            model.add_hint(v, hint.get((k, ch.path.tobytes()), 0))
            objective.append(ch.value * v)
            other.append(ch.other * v)
            area_u = math.ceil(ch.area_mm2 * _SCALE - 1e-9)
            segs = fg.seg[ch.path]
            for s in segs[segs >= 0].tolist():
                load.setdefault(s, []).append(area_u * v)
        model.add(sum(n[k, c] for c in range(len(choices))) == size)
    for s, terms in sorted(load.items()):
        model.add(sum(terms) <= math.floor(float(fg.capacity[s]) * _SCALE + 1e-9))
    for ks, shared in apart:
        through: dict[int, list[cp_model.IntVar]] = {}
        for k in ks:
            for c, ch in enumerate(cands[k]):
                segs = fg.seg[ch.path]
                for s in segs[segs >= 0].tolist():
                    if s not in shared:
                        through.setdefault(s, []).append(n[k, c])
        for _, vs in sorted(through.items()):
            model.add(sum(vs) <= 1)
    if cap is None:
        model.minimize(sum(objective))
    else:
        model.add(sum(objective) <= cap)
        model.minimize(sum(other))
    solver = cp_model.CpSolver()
    workers = max(1, options.threads)
    solver.parameters.num_workers = workers
    solver.parameters.interleave_search = workers > 1  # parallel, yet deterministic
    solver.parameters.random_seed = options.seed
    solver.parameters.max_deterministic_time = WORK_LIMIT
    wall = None
    if options.time_limit_s is not None:
        wall = max(0.01, options.time_limit_s - (time.perf_counter() - t0))
        solver.parameters.max_time_in_seconds = wall
    code = solver.solve(model)
    status = _STATUS.get(code, "UNKNOWN")
    proven = status in ("OPTIMAL", "INFEASIBLE")
    hit = not proven and wall is not None and solver.wall_time >= wall * 0.99
    if status not in ("OPTIMAL", "FEASIBLE"):
        bound = math.inf if status == "INFEASIBLE" else -math.inf
        return _Solve(status, {}, None, bound, hit)
    counts = {key: c for key, v in n.items() if (c := int(solver.value(v)))}
    value = sum(cands[k][c].value * cnt for (k, c), cnt in counts.items())
    bound = math.ceil(solver.best_objective_bound - 1e-6) if cap is None else -math.inf
    return _Solve(status, counts, value, float(bound), hit)


def _result(
    fg: FlowGraph,
    pb: Problem,
    demands: Sequence[CableDemand],
    classes: Sequence[_Class],
    cands: Sequence[Sequence[_Choice]],
    got: _Solve,
    bound: float,
    solver: SolverInfo,
    sets: Mapping[str, Sequence[int]],
) -> RoutingResult:
    """The routes of a solution, per-cable terms that add up to its proven bound, and
    the segments each redundancy set shares."""
    routes: dict[str, RackRoute | None] = {c.link: None for c in demands}
    area = pb.area.copy()
    value = np.zeros(len(demands))
    segments: dict[int, set[int]] = {}
    for k, (cls, choices) in enumerate(zip(classes, cands, strict=True)):
        cables = iter(cls.cables)
        for c, ch in enumerate(choices):
            for _ in range(got.counts.get((k, c), 0)):
                i = next(cables)
                r = routes[demands[i].link] = _rack_route(fg, pb, demands, i, ch.path)
                area[i], value[i], segments[i] = ch.area_mm2, ch.value, set(r.segments)
    for i in np.nonzero(pb.routable & (pb.area <= 0))[0].tolist():
        path = tree_paths(fg, pb.pred0[pb.src[i]], np.array([pb.sink[i]]))[0]
        routes[demands[i].link] = _rack_route(fg, pb, demands, i, path)
    modelled = pb.routable & (pb.area > 0)
    assert got.value is not None
    offset = bound - got.value
    length_lb = np.where(pb.routable, pb.base + pb.sp + pb.slack_lb, np.nan)
    shared = {}
    for key, idx in sets.items():
        used = Counter(s for i in idx for s in segments[i])
        common = tuple(sorted(s for s, n in used.items() if n > 1))
        if common:
            shared[key] = common
    if solver.objective == "cost":
        length_terms, offset_mm = length_lb, 0.0
        cost_terms, offset_cents = np.where(modelled, value, pb.cost_lb).astype(float), offset
    else:
        length_terms, offset_mm = np.where(modelled, value, length_lb), offset
        cost_terms, offset_cents = None, 0.0
    return RoutingResult(
        routes,
        solver,
        length_lb,
        length_terms,
        offset_mm,
        pb.cost_lb.copy(),
        area,
        pb.sp.copy(),
        shared,
        cost_priced_cents=cost_terms,
        cost_offset_cents=offset_cents,
    )


def _hand_over(
    graph: PathwayGraph,
    demands: Sequence[CableDemand],
    tables: Mapping[int, MediaTable],
    options: RouteOptions,
    progress: Callable[[str], None] | None,
    got: _Solve,
    solves: int,
    t0: float,
) -> RoutingResult:
    """No CP-SAT solution: the column-generation router answers, overflow minimised."""
    res = route_optimized(
        graph, demands, tables, options=replace(options, effort="high"), progress=progress
    )
    if got.status == "INFEASIBLE":
        status = "INFEASIBLE"
        note = "CP-SAT proved that no routing fits the trays"
    elif got.status == "OVERFILLS":
        status = res.solver.status
        note = "CP-SAT's routing overfills the trays once breakout media are sized"
    else:
        status = res.solver.status
        note = "CP-SAT found no routing within its work limit"
    info = replace(
        res.solver,
        status=status,
        method=f"cp-sat, then {res.solver.method}",
        seconds=time.perf_counter() - t0,
        notes=(
            f"{note}; the routes are the column-generation router's (effort 'high')",
            *res.solver.notes,
        ),
        iterations=res.solver.iterations + solves,
        time_limit_hit=res.solver.time_limit_hit or got.time_hit,
    )
    return replace(res, solver=info)
