"""The cost objective of the router and its priced cost bound, on the ladder hall.

The reference is an exact solve over every simple tray route of every cable (CP-SAT,
one boolean per cable and route), with each cable's cost and cross-section taken from
its media table at the route's length.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from ortools.sat.python import cp_model

from layouts.pathways import pathways_from_floor
from tests.topo.ladder_hall import ladder
from topo.catalog import Catalog, Media, builtin_catalog
from topo.media import MediaTable, media_table
from topo.routing import route_cables
from topo.routing.flows import FlowGraph
from topo.routing.optimizer import CableDemand, RouteOptions, RoutingResult


def long_dac_catalog() -> Catalog:
    """100G media with a DAC reaching 10 m (stock up to 8 m), then ACC and AOC."""
    base = builtin_catalog()
    old = base.media_index["dac-100g"]
    # validated afresh: model_copy would keep the originals' cached lookups
    dac = Media.model_validate(
        {k: getattr(old, k) for k in Media.model_fields}
        | {"id": "dac-100g-10m", "reach_m": 10.0, "stock_lengths_m": (0.5, 1, 2, 3, 5, 8)}
    )
    keep = tuple(m for m in base.media if m.speed_gbps != 100 or m.kind in ("acc", "aoc"))
    fields = {k: getattr(base, k) for k in Catalog.model_fields}
    return Catalog.model_validate({**fields, "media": (dac, *keep)})


def tables() -> dict[int, MediaTable]:
    return {100: media_table(long_dac_catalog().media_for(100), None)}


def route(
    floor, demands, objective: str, effort: str = "normal", *, thin_media: bool = True
) -> RoutingResult:
    return route_cables(
        pathways_from_floor(floor),
        demands,
        tables(),
        options=RouteOptions(objective=objective, effort=effort, thin_media=thin_media),  # type: ignore[arg-type]
    )


def plan_cost(result: RoutingResult, demands: list[CableDemand]) -> tuple[int, int]:
    """Total cable cost (cents) and route length (mm) of the routed cables."""
    t = tables()[100]
    total = np.array([result.routes[c.link].total_mm for c in demands])  # type: ignore[union-attr]
    base = np.array([c.base_mm for c in demands])
    return int(t.cost(base + total).sum()), int(total.sum())


def cost_bound(result: RoutingResult) -> float:
    assert result.cost_priced_cents is not None
    return float(np.nansum(result.cost_priced_cents)) + result.cost_offset_cents


def any_media(need_mm: int) -> list[tuple[int, float]]:
    """(link cost in cents, cross-section) of every 100G media whose stock covers a base
    length, straight from the catalog's media (slack, stock lengths, reach, prices)."""
    out = []
    for m in long_dac_catalog().media_for(100):
        stock = m.stock_length_mm(need_mm + 2 * round(m.slack_m * 1000))
        if stock is not None:
            out.append((m.link_cost_cents(stock), m.area_mm2))
    return out


def exact_min_cost(floor, demands: list[CableDemand], *, thin: bool = False) -> int:
    """Least total cost (cents) over every assignment of simple routes that fits; each
    cable's media follow its length, or, with ``thin``, may be any media reaching it."""
    graph = pathways_from_floor(floor)
    fg = FlowGraph.of(graph)
    t = tables()[100]
    g = nx.MultiGraph()
    for e in range(fg.n_edges):
        g.add_edge(int(fg.u[e]), int(fg.v[e]), key=e)
    model = cp_model.CpModel()
    objective, load = [], {}
    for c in demands:
        a, b = graph.drops[c.a].node, graph.drops[c.b].node
        choices = []
        for path in nx.all_simple_edge_paths(g, a, b):
            edges = [k for _, _, k in path]
            need = c.base_mm + int(fg.mm[edges].sum())
            j = int(t.interval(need))
            if thin:
                media = any_media(need)
            elif j < len(t.breaks):
                media = [(int(t.cost_cents[j]), float(t.area_mm2[j]))]
            else:
                media = []
            for cents, mm2 in media:
                x = model.new_bool_var(f"x_{c.link}_{len(choices)}")
                choices.append(x)
                objective.append(cents * x)
                area = math.ceil(mm2 * 10_000)
                for s in {int(fg.seg[e]) for e in edges if fg.seg[e] >= 0}:
                    load.setdefault(s, []).append(area * x)
        model.add_exactly_one(choices)
    for s, terms in load.items():
        model.add(sum(terms) <= math.floor(float(fg.capacity[s]) * 10_000))
    model.minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 20
    assert solver.solve(model) == cp_model.OPTIMAL
    return round(solver.objective_value)


def dac_or_aoc() -> list[CableDemand]:
    """Two cables from A01 through X-W, which holds one of them (30 mm²)::

    B01 <- AOC, 10 m in-rack: +3.6 m via X-E, one stock step (+$15)
    B03 <- DAC, 0.2 m in-rack: +1.2 m via X-E, past the DAC's 7 m (an ACC, +$61)
    """
    return [
        CableDemand("aoc-B01", "A01", "B01", 100, 10_000),
        CableDemand("dac-B03", "A01", "B03", 100, 200),
    ]


def test_cost_objective_detours_the_cable_whose_detour_costs_least():
    floor = ladder(west=0.05, depth=0.0015)
    d = dac_or_aoc()
    t = tables()[100]
    by_length = route(floor, d, "length")
    by_cost = route(floor, d, "cost")
    seg_xw = next(i for i, s in enumerate(pathways_from_floor(floor).segments) if s.id == "X-W.001")

    def media(result: RoutingResult, c: CableDemand) -> str:
        r = result.routes[c.link]
        assert r is not None
        return t.options[t.media[t.interval(c.base_mm + r.total_mm)]].kind

    # length: the DAC cable's detour is the shorter one, so it leaves X-W and becomes an ACC
    assert seg_xw not in by_length.routes["dac-B03"].segments  # type: ignore[union-attr]
    assert media(by_length, d[1]) == "acc"
    # cost: the AOC takes the long way round for one stock step; the DAC stays a DAC
    assert seg_xw in by_cost.routes["dac-B03"].segments  # type: ignore[union-attr]
    assert seg_xw not in by_cost.routes["aoc-B01"].segments  # type: ignore[union-attr]
    assert media(by_cost, d[1]) == "dac"
    cost_c, len_c = plan_cost(by_cost, d)
    cost_l, len_l = plan_cost(by_length, d)
    # by hand: the AOC at 19.1 m needs the $345 stock (not $330), the DAC stays $109;
    # the length plan pays $330 for the AOC and $170 for an ACC instead of the DAC
    assert cost_c == exact_min_cost(floor, d) == 34_500 + 10_900
    assert cost_l == 33_000 + 17_000
    assert len_l < len_c
    assert cost_bound(by_cost) <= cost_c


def mixed(n: int) -> list[CableDemand]:
    """``n`` cables from A01 to each B rack, in-rack bases from 0.2 m to 12 m."""
    bases = [200, 1500, 4000, 7000, 12_000]
    return [
        CableDemand(f"L-{r}-{k}", "A01", r, 100, bases[(k + i) % len(bases)])
        for i, r in enumerate(("B01", "B02", "B03", "B04"))
        for k in range(n)
    ]


@pytest.mark.parametrize(
    ("west", "east", "n"),
    [(0.05, 0.05, 2), (0.06, 0.3, 3), (0.08, 0.08, 3)],
)
def test_cost_bound_never_exceeds_the_exact_minimum(west, east, n):
    floor = ladder(west=west, east=east, depth=0.003)
    d = mixed(n)
    best = exact_min_cost(floor, d)
    by_cost = route(floor, d, "cost")
    by_length = route(floor, d, "length")
    assert by_cost.solver.method == "column-generation"
    assert by_cost.solver.bound_source.startswith("lagrangian")
    bound = cost_bound(by_cost)
    assert bound <= best
    assert float(np.nansum(by_cost.cost_lb_cents)) <= best
    assert best <= plan_cost(by_cost, d)[0] <= plan_cost(by_length, d)[0]


def test_cost_bound_prices_the_tray_both_cables_want():
    """Shortest routes alone prove $439; the optimum is $454. X-W costs 212 cents per
    mm² (less 6,366 cents for its 30 mm²): the AOC pays $15 to leave it or 7.07 mm²
    to stay, the DAC $61 for an ACC or 26.4 mm² to stay."""
    floor = ladder(west=0.05, depth=0.0015)
    d = dac_or_aoc()
    # media follow length here, as in the optimum it is checked against
    result = route(floor, d, "cost", thin_media=False)
    shortest = float(np.nansum(result.cost_lb_cents))
    assert shortest == 33_000 + 10_900
    assert shortest + 700 < cost_bound(result) <= exact_min_cost(floor, d) == 45_400


@pytest.mark.parametrize(
    ("west", "depth"), [(0.05, 0.0015), (0.05, 0.05), (0.03, 0.0015), (0.06, 0.003)]
)
def test_cost_bound_holds_over_plans_with_thinner_media(west, depth):
    """Where thinner media may replace a DAC or ACC, the bound covers those plans too:
    it stays below the least cost of any plan giving each cable any media that reaches
    it, and below the plan's own cost."""
    floor = ladder(west=west, depth=depth)
    d = dac_or_aoc() + mixed(2)
    result = route(floor, d, "cost")
    bound = (
        cost_bound(result)
        if result.cost_priced_cents is not None
        else float(np.nansum(result.cost_lb_cents))
    )
    best_any = exact_min_cost(floor, d, thin=True)
    assert bound <= best_any + 1e-6
    assert best_any <= exact_min_cost(floor, d)
    # the plan's own cost: a cable moved to thinner media gets the cheapest no thicker
    own = 0
    for c in d:
        r = result.routes[c.link]
        assert r is not None
        most = result.media_limits.get(c.link, math.inf)
        own += min(cents for cents, mm2 in any_media(c.base_mm + r.total_mm) if mm2 <= most)
    assert bound <= own + 1e-6


def test_cost_objective_repeats():
    floor = ladder(west=0.06, east=0.3, depth=0.003)
    d = mixed(3)
    a, b = route(floor, d, "cost"), route(floor, d, "cost")
    assert a.routes == b.routes
    assert np.array_equal(a.cost_priced_cents, b.cost_priced_cents, equal_nan=True)  # type: ignore[arg-type]
    assert a.cost_offset_cents == b.cost_offset_cents


def test_trees_searched_under_smoothed_prices_still_improve_the_lp(monkeypatch):
    """Each round searches trees under smoothed prices, but a tree joins the master only
    if its reduced cost under the LP's own duals is negative: checked here from each
    tree's cost and the cables it puts on each segment, priced at the duals. A round
    whose smoothed search finds nothing prices again under the duals."""
    from layouts.generate import regular_hall
    from topo.routing import optimizer

    real = optimizer.price_trees
    calls: list[tuple[bool, int]] = []

    def price_trees(fg, tc, srcs, areas, dem, pi, mu, least, search_pi=None):
        found = real(fg, tc, srcs, areas, dem, pi, mu, least, search_pi=search_pi)
        if search_pi is not None:
            assert not np.array_equal(search_pi, pi)
            for f in found:
                toll = float(areas[f.group]) * float(f.counts @ pi)
                assert f.dollars + toll < mu[f.group]
        calls.append((search_pi is not None, len(found)))
        return found

    monkeypatch.setattr(optimizer, "price_trees", price_trees)
    floor = regular_hall(
        name="T", rows=4, racks_per_row=8, cross_every=2, tray_width=0.05, tray_depth=0.05,
        network_positions=(3, 4),
    )  # fmt: skip
    racks = sorted(pathways_from_floor(floor).drops)
    bases = [200, 1500, 4000, 7000, 12_000]
    sources = [r for r in racks if r.endswith(("03", "04"))]
    d = [
        CableDemand(f"L{i}-{k}-{n}", s, r, 100, bases[(i + k) % 5])
        for i, s in enumerate(sources)
        for k, r in enumerate(racks)
        if r != s
        for n in range(2)
    ]
    result = route(floor, d, "cost")
    assert result.solver.method == "column-generation"
    assert (True, 0) in calls  # a smoothed search found nothing ...
    after = calls[calls.index((True, 0)) + 1]
    assert after[0] is False  # ... and the round priced again under the duals
    assert any(smoothed and n for smoothed, n in calls)
