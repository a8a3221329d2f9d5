"""The claims a plan makes (bounds, OPTIMAL, placement savings) checked on its final cables.

The hall: one row of twelve racks, A01 the network rack with eight 64 x 400G spines;
every leaf has eight 100G uplinks, one to each spine, on spine cages split 4 x 100G, so
one cage serves up to four neighbouring leaves and its legs are one assembly sized to
the longest (the cage of A06 to A09 is an AOC: A06's leg alone would be a thicker ACC)::

        +--------------------- T-2 (roomy detour) ----------------------+   y = 4.0
        |                                                               |
        |  [A01][A02][A03][A04][A05][A06][A07][A08][A09][A10][A11][A12] |
        |                                                               |
        +===================== T-1 (tight: width w) ====================+   y = 2.6
       x=1.0                 racks 0.6 m wide, 0.1 m apart             x=9.4

At ``w = 46 mm`` every cable fits T-1 on its shortest route once the assemblies are sized
as the cables are (sized leg by leg, they would not: topo used to detour cables and
prove length bounds up to 37 m above that plan); at ``w = 44 mm`` they do not fit and
some must take T-2.

Every figure here is summed from the plan's cables, not read from the solver.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from layouts.model import Floor, RackRow, Tray
from layouts.pathways import pathways_from_floor
from tests.topo.ladder_hall import ladder
from topo.catalog import builtin_catalog
from topo.media import media_table
from topo.plan import Plan
from topo.planner import plan
from topo.routing import route_cables
from topo.routing.optimizer import CableDemand
from topo.routing.problem import size_assemblies
from topo.scenario import Scenario

GAP = 0.1
X = 1.0 + 12 * (0.6 + GAP)
FITS = 0.046
TIGHT = 0.044

MODES: dict[str, dict[str, object]] = {
    "default": {},
    "length": {"objective": "length"},
    "cost": {"objective": "cost"},
    "low": {"effort": "low"},
    "normal": {"effort": "normal"},
    "high": {"effort": "high"},
    "exact": {"effort": "exact"},
    "shortest": {"routing": "shortest"},
}


def row_hall(width: float) -> Floor:
    return Floor(
        outline=((0, 0), (11, 0), (11, 5), (0, 5)),
        rows=(RackRow(id="A", origin=(1, 1), count=12, gap=GAP, roles={1: "network"}),),
        trays=(
            Tray(id="T-1", path=((1.0, 2.6), (X, 2.6)), width=width, depth=0.05),
            Tray(
                id="T-2",
                path=((1.0, 2.6), (1.0, 4.0), (X, 4.0), (X, 2.6)),
                width=0.3,
                depth=0.1,
            ),
        ),
    )


def row_scenario(width: float, **options: object) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "row",
            "floor": row_hall(width),
            "servers": {"model": "srv-1u-2x25g", "per_rack": 4},
            "fabric": {
                "kind": "spine-leaf",
                "leaf": {"model": "tor-48x25g-8x100g"},
                "spine": {"model": "sw-64x400g-1u", "count": 8},
            },
            "options": options,
        }
    )


@cache
def planned(width: float, mode: str) -> Plan:
    return plan(row_scenario(width, **MODES[mode]))


def fits(p: Plan) -> bool:
    """Every tray segment within its limit, from the cables' media and segments."""
    area = {m.id: m.area_mm2 for m in p.catalog.media}
    load = [0.0] * len(p.pathways.segments)
    for c in p.cables:
        if c.status == "ok":
            for s in c.segments:
                load[s] += area[c.media]
    limits = [s.capacity_mm2 for s in p.pathways.segments]
    return all(x <= cap + 1e-6 for x, cap in zip(load, limits, strict=True))


def cost_cents(p: Plan) -> int:
    return sum(c.cost_cents for c in p.cables if c.status == "ok")


def length_mm(p: Plan) -> int:
    return sum(c.length_mm for c in p.cables if c.status == "ok")


def test_the_hall_uses_breakout_assemblies_of_mixed_lengths():
    p = planned(FITS, "shortest")
    legs = [c for c in p.cables if c.tier == "leaf-spine"]
    assert legs and all("." in c.b_port for c in legs)  # spine ports split into lanes
    cage = [c for c in legs if c.b_device == legs[0].b_device and c.b_port.startswith("02.")]
    assert sorted(c.a_rack for c in cage) == ["A06", "A07", "A08", "A09"]
    assert {c.media for c in cage} == {"aoc-100g"}
    assert len({c.route_mm for c in cage}) == 4


@pytest.mark.parametrize("width", [FITS, TIGHT])
def test_no_bound_exceeds_a_fitting_plan(width):
    plans = {m: planned(width, m) for m in MODES}
    fitting = [p for p in plans.values() if fits(p)]
    assert fitting
    best_cost = min(cost_cents(p) for p in fitting)
    best_length = min(length_mm(p) for p in fitting)
    for mode, p in plans.items():
        assert p.lower_bound_cost_cents <= best_cost, (mode, p.lower_bound_cost_cents, best_cost)
        assert p.lower_bound_mm <= best_length, (mode, p.lower_bound_mm, best_length)
        assert p.summary["solver"]["bound_scope"] == "placement"


@pytest.mark.parametrize("width", [FITS, TIGHT])
def test_optimal_plans_meet_their_bounds(width):
    for mode in MODES:
        p = planned(width, mode)
        s = p.summary["solver"]
        if s["status"] == "OPTIMAL":
            assert fits(p), mode
            if s["objective"] == "cost":
                assert cost_cents(p) <= p.lower_bound_cost_cents, mode
            else:
                assert length_mm(p) <= p.lower_bound_mm, mode
            assert s["gap"] == 0


def test_cables_stay_on_shortest_routes_when_those_fit():
    shortest = planned(FITS, "shortest")
    assert fits(shortest)
    routes = {c.link: c.segments for c in shortest.cables}
    for mode in MODES:
        p = planned(FITS, mode)
        moved = [c.link for c in p.cables if c.segments != routes[c.link]]
        assert not moved, (mode, len(moved))
        assert cost_cents(p) == cost_cents(shortest), mode


def test_a_fitting_shortest_route_plan_is_optimal():
    p = planned(FITS, "shortest")
    assert fits(p)
    s = p.summary
    assert s["solver"]["status"] == "OPTIMAL"
    assert s["solver"]["gap"] == 0
    assert p.lower_bound_cost_cents == cost_cents(p)


def test_shortest_routes_that_overflow_are_not_optimal():
    p = planned(TIGHT, "shortest")
    assert not fits(p)
    assert p.summary["solver"]["status"] == "UNKNOWN"


@pytest.mark.parametrize("width", [FITS, TIGHT])
@pytest.mark.parametrize("objective", ["cost", "length"])
def test_optimized_placement_is_never_worse_than_naive(width, objective):
    value = cost_cents if objective == "cost" else length_mm
    chosen = plan(row_scenario(width, objective=objective))
    naive = plan(row_scenario(width, objective=objective, placement="naive"))
    assert fits(chosen) or not fits(naive)
    if fits(chosen) == fits(naive):
        assert value(chosen) <= value(naive)
    got = chosen.summary["placement"]
    unit, scale = ("usd", 100) if objective == "cost" else ("m", 1000)
    assert got[f"naive_{unit}"] == pytest.approx(value(naive) / scale, abs=0.01)
    assert got[f"chosen_{unit}"] == pytest.approx(value(chosen) / scale, abs=0.01)
    pct = 100 * (value(naive) - value(chosen)) / value(naive)
    assert got["saving_pct"] == pytest.approx(pct, abs=0.001)
    if value(chosen) == value(naive):
        assert chosen.placement.devices == naive.placement.devices


def test_legs_of_one_assembly_are_sized_to_the_longest():
    got = size_assemblies(
        np.array([0, 0, 1, -1, 1]),
        np.array([0, 0, 9000, 0, 9000]),
        np.array([5000.0, 7000.0, 3000.0, 2000.0, 4000.0]),
        np.array([True, True, True, True, False]),
    )
    # legs 0 and 1 take 7 m; leg 2 its assembly's in-rack floor; the plain link and the
    # unrouted leg keep their own
    assert got.tolist() == [7000.0, 7000.0, 9000.0, 2000.0, 4000.0]


def test_a_recheck_may_make_a_cross_section_smaller():
    tables = {100: media_table(builtin_catalog().media_for(100), None)}
    demands = [CableDemand("L1", "A01", "B01", 100, 1000)]
    graph = pathways_from_floor(ladder())
    own = route_cables(graph, demands, tables).area_mm2[0]
    thinner = route_cables(graph, demands, tables, area_override={"L1": own / 2})
    assert thinner.area_mm2[0] == own / 2
