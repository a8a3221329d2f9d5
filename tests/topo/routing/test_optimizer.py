"""Tests for capacity-aware routing: fit, bound, overflow, against an exact CP-SAT solve."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layouts.pathways import pathways_from_floor
from tests.topo.ladder_hall import AOC_AREA, aoc_tables, demands, ladder
from topo.routing import route_cables
from topo.routing.exact import exact_routes
from topo.routing.optimizer import RouteOptions, RoutingResult


def seg_loads(graph, result: RoutingResult, area: float = AOC_AREA) -> np.ndarray:
    load = np.zeros(len(graph.segments))
    for r in result.routes.values():
        if r is not None:
            np.add.at(load, list(r.segments), area)
    return load


def capacity(graph) -> np.ndarray:
    return np.array([s.capacity_mm2 for s in graph.segments])


def plan_length(result: RoutingResult, dem) -> int:
    """Needed length of every cable: base + route + slack (0.5 m each end)."""
    return sum(d.base_mm + result.routes[d.link].total_mm + 1000 for d in dem)


def bound(result: RoutingResult) -> float:
    sp = float(np.nansum(result.length_lb_mm))
    lag = float(np.nansum(result.lagrange_lb_mm)) + result.lagrange_offset_mm
    return max(sp, lag)


def test_shortest_routes_are_kept_when_they_fit():
    g = pathways_from_floor(ladder())
    dem = demands({"B01": 5, "B03": 5})
    res = route_cables(g, dem, aoc_tables(), options=RouteOptions(objective="length"))
    assert res.solver.status == "OPTIMAL"
    assert res.solver.method == "shortest-path"
    assert plan_length(res, dem) == pytest.approx(bound(res))
    assert all("X-W" in {g.segments[s].tray for s in res.routes[d.link].segments} for d in dem)


def test_overfull_shortest_routes_are_rerouted_within_capacity_at_the_exact_optimum():
    """X-W (50 x 50 mm at 40%: 1000 mm², 141 AOCs) cannot take all 200 cables to row B;
    the rest must go round by X-E. CP-SAT gives the optimum; the optimizer must fit,
    come within 1% of it, and its bound must not exceed it."""
    g = pathways_from_floor(ladder(west=0.05, depth=0.05))
    dem = demands({"B01": 50, "B02": 50, "B03": 50, "B04": 50})
    tables = aoc_tables()
    res = route_cables(g, dem, tables, options=RouteOptions(objective="length"))
    exact = exact_routes(g, dem, tables)
    assert exact.status == "OPTIMAL"
    assert (seg_loads(g, res) <= capacity(g) + 1e-6).all()
    assert res.solver.status in ("OPTIMAL", "FEASIBLE")
    assert res.solver.method == "column-generation"
    exact_total = exact.route_mm + sum(d.base_mm + 1000 for d in dem)
    assert bound(res) <= exact_total + 1e-6
    assert plan_length(res, dem) <= exact_total * 1.01
    assert plan_length(res, dem) >= bound(res) - 1e-6
    # the bound is capacity-aware: above the sum of shortest routes
    assert bound(res) > float(np.nansum(res.length_lb_mm))


def test_nothing_fits_overflow_is_minimised_and_no_cable_is_dropped():
    """Both cross trays are 50 x 50 mm: 282 AOCs at most; 400 must cross."""
    g = pathways_from_floor(ladder(west=0.05, east=0.05, depth=0.05))
    dem = demands({"B01": 100, "B02": 100, "B03": 100, "B04": 100})
    res = route_cables(g, dem, aoc_tables(), options=RouteOptions(objective="length"))
    assert res.solver.status == "INFEASIBLE"
    assert all(res.routes[d.link] is not None for d in dem)
    over = (seg_loads(g, res) - capacity(g)).clip(0)
    # every cable crosses X-W or X-E (one segment each, 1000 mm² allowed): the least
    # possible overflow is 400 cables' area less 2 x 1000 mm², all on the crosses
    crossing = [s.index for s in g.segments if s.tray in ("X-W", "X-E")]
    assert over.sum() == pytest.approx(400 * AOC_AREA - 2000, abs=1e-6)
    assert over[crossing].sum() == pytest.approx(over.sum())
    assert exact_routes(g, dem, aoc_tables()).status == "INFEASIBLE"


def test_routing_is_deterministic():
    g = pathways_from_floor(ladder(west=0.05, depth=0.05))
    dem = demands({"B01": 40, "B02": 40, "B03": 40, "B04": 40})
    opts = RouteOptions(objective="length", seed=3)
    a = route_cables(g, dem, aoc_tables(), options=opts)
    b = route_cables(g, dem, aoc_tables(), options=opts)
    assert a.routes == b.routes
    assert bound(a) == bound(b)


def test_shortest_method_ignores_capacity_and_says_so():
    g = pathways_from_floor(ladder(west=0.05, depth=0.05))
    dem = demands({"B01": 60, "B02": 60, "B03": 60})
    res = route_cables(g, dem, aoc_tables(), method="shortest")
    assert res.solver.status == "UNKNOWN"
    assert (seg_loads(g, res) > capacity(g) + 1e-6).any()
    assert "overfill" in res.solver.notes[0]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    counts=st.lists(st.integers(0, 70), min_size=4, max_size=4),
    west=st.sampled_from([0.03, 0.05, 0.08]),
    east=st.sampled_from([0.03, 0.05, 0.3]),
)
def test_fits_whenever_the_exact_solve_fits_and_bound_never_exceeds_the_optimum(counts, west, east):
    g = pathways_from_floor(ladder(west=west, east=east, depth=0.05))
    dem = demands({f"B0{i + 1}": n for i, n in enumerate(counts)})
    if not dem:
        return
    tables = aoc_tables()
    res = route_cables(g, dem, tables, options=RouteOptions(objective="length"))
    exact = exact_routes(g, dem, tables, max_seconds=20)
    assert exact.status in ("OPTIMAL", "INFEASIBLE")
    if exact.status == "OPTIMAL":
        assert (seg_loads(g, res) <= capacity(g) + 1e-6).all()
        exact_total = exact.route_mm + sum(d.base_mm + 1000 for d in dem)
        assert bound(res) <= exact_total + 1e-6
        assert plan_length(res, dem) >= bound(res) - 1e-6


def test_tree_loads_with_a_known_shape_match_the_loads_found_afresh():
    """The placement reuses each candidate tree's depths and edges (tree_shape)."""
    from topo.routing.flows import FlowGraph, tree_loads, tree_shape

    g = pathways_from_floor(ladder(west=0.05, depth=0.05))
    fg = FlowGraph.of(g)
    roots = [g.drops[r].node for r in ("A01", "A03", "B02", "B04")]
    _, pred = fg.dijkstra(fg.mm.astype(float), roots)
    rng = np.random.default_rng(1)
    demand = rng.integers(0, 5, size=pred.shape).astype(float)
    fresh = tree_loads(fg, pred, demand, lengths=True)
    known = tree_loads(fg, pred, demand, lengths=True, shape=tree_shape(fg, pred))
    for a, b in zip(fresh, known, strict=True):
        assert np.array_equal(a, b)
    assert fresh[0].sum() > 0


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), density=st.floats(0.02, 0.6))
def test_walking_up_from_the_sinks_gives_the_trees_loads_and_lengths(seed, density):
    """Pricing walks each sink's path up to its root (sink_loads); pushing loads up
    the whole tree level by level (tree_loads) must give the same loads on the sinks'
    paths, and the same path lengths at the sinks."""
    from topo.routing.flows import FlowGraph, sink_loads, tree_loads

    g = pathways_from_floor(ladder(west=0.05, depth=0.05))
    fg = FlowGraph.of(g)
    rng = np.random.default_rng(seed)
    roots = rng.choice(fg.n, size=5, replace=False)
    weight = fg.mm * rng.uniform(0.5, 3.0, size=fg.n_edges)
    _, pred = fg.dijkstra(weight, roots)
    demand = rng.integers(1, 6, size=pred.shape) * (rng.random(pred.shape) < density)
    demand[np.arange(5), roots] = 0  # a root sinks nothing
    load, edge, dist = tree_loads(fg, pred, demand.astype(float), lengths=True)
    s_load, s_edge, s_dist = sink_loads(fg, pred, demand.astype(float))
    assert np.array_equal(s_load, load)
    on = load > 0
    assert np.array_equal(s_edge[on], edge[on])
    assert (s_edge[~on] == -1).all()
    sinks = demand > 0
    assert np.array_equal(s_dist[sinks], dist[sinks])
    assert (s_dist[~sinks] == 0).all()
