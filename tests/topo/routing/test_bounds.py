"""The priced bound when a cable's media, and so its cross-section, depends on its route.

A 100G cable is a DAC or ACC on a short route and an AOC (far thinner) past the ACC's
reach. The bound must hold whatever media the routes lead to, without giving away what
it can prove: a detour long enough to change the media costs its whole length.

The ladder hall has exactly two simple routes from A01 to a row-B rack (round by X-W
or by X-E), so the optimum is found by trying every split of the cables over them.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layouts.pathways import pathways_from_floor
from tests.topo.ladder_hall import ladder
from topo.catalog import builtin_catalog
from topo.media import media_table
from topo.routing import route_cables
from topo.routing.flows import FlowGraph
from topo.routing.optimizer import CableDemand, RouteOptions, RoutingResult

TABLES = {100: media_table(builtin_catalog().media_for(100), None)}


def bound(result: RoutingResult) -> float:
    sp = float(np.nansum(result.length_lb_mm))
    lag = float(np.nansum(result.lagrange_lb_mm)) + result.lagrange_offset_mm
    return max(sp, lag)


def two_routes(fg: FlowGraph, a: str, b: str) -> list[tuple[int, np.ndarray]]:
    """Both simple routes between two racks: (length mm, segment indices)."""
    import networkx as nx

    g = nx.Graph()
    g.add_edges_from(zip(fg.u.tolist(), fg.v.tolist(), strict=True))
    drops = fg.graph.drops
    out = []
    for path in nx.all_simple_paths(g, drops[a].node, drops[b].node):
        e = fg.edge_of(np.array(path[:-1]), np.array(path[1:]))
        s = fg.seg[e]
        out.append((int(fg.mm[e].sum()), s[s >= 0]))
    assert len(out) == 2
    return sorted(out, key=lambda r: r[0])


def optimum(fg: FlowGraph, classes: list[tuple[str, int, int]]) -> float | None:
    """Least total needed length (base + route + slack) over every split that fits.

    ``classes``: (sink rack, base mm, cables). Media follow each cable's length.
    """
    t = TABLES[100]
    opts = []
    for sink, base, n in classes:
        routes = []
        for length, segs in two_routes(fg, "A01", sink):
            k = int(t.interval(base + length))
            routes.append((base + length + 2 * int(t.slack_mm[k]), float(t.area_mm2[k]), segs))
        opts.append((routes, n))
    best = None
    for split in itertools.product(*[range(n + 1) for _, n in opts]):
        load = np.zeros(len(fg.capacity))
        total = 0
        for (routes, n), k in zip(opts, split, strict=True):
            for (need, area, segs), m in zip(routes, (k, n - k), strict=True):
                np.add.at(load, segs, area * m)
                total += need * m
        if (load <= fg.capacity + 1e-6).all() and (best is None or total < best):
            best = total
    return best


def demands_of(classes: list[tuple[str, int, int]]) -> list[CableDemand]:
    return [
        CableDemand(f"L-{sink}-{base}-{k:03d}", "A01", sink, 100, base)
        for sink, base, n in classes
        for k in range(n)
    ]


def test_a_detour_that_turns_an_acc_into_an_aoc_costs_its_whole_length():
    """80 ACCs to B01; X-W holds 62 of them. The other 18 go round by X-E, where they
    become AOCs. A bound that let them turn thin at 8 m (the AOC's threshold) would fall
    to the sum of shortest routes; the detour is 10.7 m, and the bound proves it."""
    fg = FlowGraph.of(pathways_from_floor(ladder(west=0.05, depth=0.05)))
    classes = [("B01", 1000, 80)]
    # media follow length here (no thinner media where the tray is full): the bound
    # is over such plans, as the optimum is
    res = route_cables(
        fg.graph,
        demands_of(classes),
        TABLES,
        options=RouteOptions(objective="length", thin_media=False),
    )
    best = optimum(fg, classes)
    assert best is not None
    sp_sum = float(np.nansum(res.length_lb_mm))
    assert bound(res) <= best + 1e-6
    # the LP may split one cable over both routes: the bound is within one detour
    (short, _), (long, _) = two_routes(fg, "A01", "B01")
    assert bound(res) >= best - (long - short)
    assert bound(res) - sp_sum > 17 * (long - short)  # 17 detours and more are proven


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n1=st.integers(0, 40),
    n2=st.integers(0, 40),
    base1=st.sampled_from([200, 1000, 2500, 4000]),
    base2=st.sampled_from([200, 1000, 2500, 4000]),
    west=st.sampled_from([0.03, 0.05]),
    east=st.sampled_from([0.03, 0.05, 0.3]),
)
def test_bound_never_exceeds_the_optimum_whatever_media_the_routes_lead_to(
    n1, n2, base1, base2, west, east
):
    classes = [c for c in [("B01", base1, n1), ("B03", base2, n2)] if c[2]]
    if not classes:
        return
    fg = FlowGraph.of(pathways_from_floor(ladder(west=west, east=east, depth=0.05)))
    res = route_cables(
        fg.graph, demands_of(classes), TABLES, options=RouteOptions(objective="length")
    )
    best = optimum(fg, classes)
    if best is None:
        return  # nothing fits: the bound only has to hold for plans that fit
    assert bound(res) <= best + 1e-6
    # and the plan, measured with the media its routes lead to, is no better than it
    t = TABLES[100]
    total = 0
    for d in demands_of(classes):
        r = res.routes[d.link]
        k = int(t.interval(d.base_mm + r.total_mm))
        total += d.base_mm + r.total_mm + 2 * int(t.slack_mm[k])
    assert total >= bound(res) - 1e-6


def test_long_route_terms_fall_back_to_the_last_route_seen(monkeypatch):
    """With too few routes looked at, the term is the cost of the last one: still a
    bound (routes come cheapest first), never more than the true term."""
    import topo.routing.bounds as bounds

    fg = FlowGraph.of(pathways_from_floor(ladder(west=0.05, depth=0.05)))
    classes = [("B01", 1000, 80)]
    full = bound(route_cables(fg.graph, demands_of(classes), TABLES))
    monkeypatch.setattr(bounds, "LONG_ROUTE_PATHS", 1)
    capped = bound(route_cables(fg.graph, demands_of(classes), TABLES))
    assert capped <= full + 1e-6
    assert capped == pytest.approx(full, rel=0.2)


def test_long_route_terms_past_the_pair_budget_keep_the_routeless_term(monkeypatch):
    """Rack pairs past the budget are not looked at: the bound is weaker, never above
    the one that looks, and still below the optimum."""
    import topo.routing.bounds as bounds

    fg = FlowGraph.of(pathways_from_floor(ladder(west=0.05, depth=0.05)))
    classes = [("B01", 1000, 80)]
    by_length = RouteOptions(thin_media=False)  # media follow length, as in optimum()
    full = bound(route_cables(fg.graph, demands_of(classes), TABLES, options=by_length))
    monkeypatch.setattr(bounds, "LONG_ROUTE_PAIRS", 0)
    none = bound(route_cables(fg.graph, demands_of(classes), TABLES, options=by_length))
    assert none < full - 1e-6  # looking at the long routes proves more here
    best = optimum(fg, classes)
    assert best is not None and none <= best + 1e-6
