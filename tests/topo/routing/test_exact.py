"""Effort ``exact``: CP-SAT's proven optimum, inside the router and the plan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from api.main import create_app
from layouts.pathways import pathways_from_floor
from tests.api.conftest import YAML, make_settings
from tests.topo.ladder_hall import (
    aoc_catalog,
    aoc_tables,
    assert_same_outputs,
    demands,
    fabric,
    ladder,
    scenario,
)
from topo.catalog import builtin_catalog
from topo.cli import app
from topo.outputs.exports import render_plan
from topo.planner import plan_fabric
from topo.routing import exact, route_cables
from topo.routing.exact import exact_routes
from topo.routing.optimizer import RouteOptions

ROOT = Path(__file__).resolve().parents[3]
CONGESTED = {"B01": 50, "B02": 50, "B03": 50, "B04": 50}
"""200 AOCs from A01 to row B; X-W (1000 mm²) takes 141 of them, the rest go round."""


def route_mm(result, dem) -> int:
    return sum(result.routes[d.link].total_mm for d in dem)


def plan_ladder(per_rack, floor=None, catalog=None, redundant=False, **options):
    floor = floor or ladder(west=0.05, depth=0.05)
    fab = fabric(per_rack, redundant=redundant)
    return plan_fabric(scenario(floor, **options), fab, catalog=catalog or aoc_catalog())


def test_exact_effort_reaches_the_arc_flow_optimum_and_never_loses_to_the_optimizer():
    g = pathways_from_floor(ladder(west=0.05, depth=0.05))
    dem = demands(CONGESTED)
    tables = aoc_tables()
    res = route_cables(g, dem, tables, options=RouteOptions(objective="length", effort="exact"))
    normal = route_cables(g, dem, tables, options=RouteOptions(objective="length"))
    reference = exact_routes(g, dem, tables)
    assert reference.status == "OPTIMAL"
    assert res.solver.status == "OPTIMAL"
    assert (res.solver.method, res.solver.bound_source) == ("cp-sat", "cp-sat")
    assert route_mm(res, dem) == reference.route_mm
    assert route_mm(res, dem) <= route_mm(normal, dem)
    load = np.zeros(len(g.segments))
    for d in dem:
        np.add.at(load, list(res.routes[d.link].segments), res.area_mm2[0])
    assert (load <= np.array([s.capacity_mm2 for s in g.segments]) + 1e-6).all()
    # the priced terms add up to the proven optimum: base + route + 0.5 m slack each end
    proven = float(np.sum(res.lagrange_lb_mm)) + res.lagrange_offset_mm
    assert proven == reference.route_mm + sum(d.base_mm + 1000 for d in dem)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    counts=st.lists(st.integers(0, 70), min_size=4, max_size=4),
    west=st.sampled_from([0.03, 0.05, 0.08]),
    east=st.sampled_from([0.03, 0.05, 0.3]),
)
def test_exact_effort_agrees_with_the_arc_flow_model(counts, west, east):
    """Two independent models (routes counted per class, arcs per group) must agree on
    whether anything fits and on the optimum."""
    g = pathways_from_floor(ladder(west=west, east=east, depth=0.05))
    dem = demands({f"B0{i + 1}": n for i, n in enumerate(counts)})
    if not dem:
        return
    tables = aoc_tables()
    res = route_cables(g, dem, tables, options=RouteOptions(objective="length", effort="exact"))
    reference = exact_routes(g, dem, tables, max_seconds=20)
    assert res.solver.status == reference.status
    if reference.status == "OPTIMAL":
        assert route_mm(res, dem) == reference.route_mm


def test_no_answer_within_the_work_limit_hands_over_and_says_so(monkeypatch):
    monkeypatch.setattr(exact, "WORK_LIMIT", 0.0)
    g = pathways_from_floor(ladder(west=0.05, depth=0.05))
    dem = demands(CONGESTED)
    res = route_cables(g, dem, aoc_tables(), options=RouteOptions(effort="exact"))
    assert res.solver.method == "cp-sat, then column-generation"
    assert res.solver.notes[0].startswith("CP-SAT found no routing within its work limit")
    assert all(res.routes[d.link] is not None for d in dem)


def test_plan_with_effort_exact_is_optimal_with_zero_gap():
    p = plan_ladder(CONGESTED, objective="length", effort="exact")
    normal = plan_ladder(CONGESTED, objective="length")
    s = p.summary
    assert s["solver"]["status"] == "OPTIMAL"
    assert s["solver"]["gap"] == 0.0
    assert s["solver"]["bound_source"] == "cp-sat"
    assert s["trays_over_limit"] == 0
    assert s["total_length_m"] == s["lower_bound_length_m"]
    assert s["total_length_m"] <= normal.summary["total_length_m"]


def test_cost_objective_is_proven_on_the_media_the_routes_lead_to():
    """With every media, a detour can turn a DAC into an AOC: CP-SAT prices each route
    by the media it gives (a path's cost depends on its length) and proves the cost."""
    per_rack = {"B01": 20, "B02": 20, "B03": 20, "B04": 20}
    floor = ladder(west=0.03, depth=0.05)
    cat = builtin_catalog()
    p = plan_ladder(per_rack, floor, cat, objective="cost", effort="exact")
    normal = plan_ladder(per_rack, floor, cat, objective="cost", effort="high")
    s = p.summary
    assert s["solver"]["status"] == "OPTIMAL", s["solver"]
    assert s["solver"]["cost_gap"] == 0.0
    assert s["cable_cost_usd"] == s["lower_bound_cost_usd"]
    assert s["trays_over_limit"] == 0
    assert s["cable_cost_usd"] <= normal.summary["cable_cost_usd"]


def test_nothing_fits_is_proven_and_the_overflow_is_minimised_and_reported():
    p = plan_ladder(
        {"B01": 100, "B02": 100, "B03": 100, "B04": 100},
        ladder(west=0.05, east=0.05, depth=0.05),
        objective="length",
        effort="exact",
    )
    s = p.summary
    assert s["solver"]["status"] == "INFEASIBLE"
    assert s["solver"]["method"] == "cp-sat, then column-generation"
    assert "CP-SAT proved that no routing fits the trays" in p.solver.notes[0]
    assert s["unrouted"] == 0 and s["overflow_mm2"] > 0
    assert any(m.startswith("widen 'X-W'") for m in (d.message for d in p.diagnostics))


def test_redundant_links_are_kept_apart_at_the_optimum():
    """Two uplinks each from B02 and B04 to A01. B04's routes by X-W and by X-E tie;
    B02's second uplink must go round by X-E, where without the rule both would take
    X-W."""
    p = plan_ladder({"B04": 2, "B02": 2}, ladder(), redundant=True, effort="exact")
    assert p.summary["solver"]["status"] == "OPTIMAL"
    for rack in ("B02", "B04"):
        pair = [c for c in p.cables if c.a_rack == rack]
        assert len(pair) == 2 and not set(pair[0].segments) & set(pair[1].segments)
    assert not [d for d in p.diagnostics if d.location.startswith("redundancy.")]


def test_redundant_links_that_must_share_are_listed():
    """Without X-E every route from row B to A01 crosses X-W."""
    p = plan_ladder({"B04": 2}, ladder(east_tray=False), redundant=True, effort="exact")
    assert p.summary["solver"]["status"] == "OPTIMAL"
    shared = [d for d in p.diagnostics if d.location == "redundancy.pair-B04"]
    assert len(shared) == 1
    assert "'X-W.001'" in shared[0].message


@pytest.mark.parametrize("threads", [1, 2])
def test_same_scenario_and_seed_give_identical_files(threads):
    a = render_plan(plan_ladder(CONGESTED, effort="exact", seed=3, threads=threads))
    b = render_plan(plan_ladder(CONGESTED, effort="exact", seed=3, threads=threads))
    assert_same_outputs(a, b)


def test_a_hall_too_big_for_exact_is_one_named_problem_on_the_cli(tmp_path, monkeypatch):
    """The enterprise hall has 152 classes of interchangeable cables."""
    monkeypatch.setattr(exact, "MAX_CHOICES", 100)
    text = (ROOT / "examples" / "enterprise-hall.yaml").read_text()
    scenario_file = tmp_path / "s.yaml"
    scenario_file.write_text(text.replace("seed: 0", "seed: 0\n  effort: exact"))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["plan", str(scenario_file), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert (
        "options.effort: effort 'exact' is for small halls: this plan needs 152 cable route "
        "choices" in result.output
    )
    assert "the limit is 100; use effort 'high'" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_hall_too_big_for_exact_is_a_422_from_the_api(tmp_path):
    """The shipped AI hall: 10,240 links over 160 racks."""
    text = (ROOT / "examples" / "ai-hall-spine-leaf.yaml").read_bytes()
    body = text + b"options: {effort: exact, placement: naive}\n"
    with TestClient(create_app(make_settings(tmp_path, sync_budget_s=60))) as client:
        r = client.post("/v1/plans", content=body, headers=YAML)
    assert r.status_code == 422, r.text
    (problem,) = r.json()["problems"]
    assert problem["location"] == "options.effort"
    assert "the limit is 20,000; use effort 'high'" in problem["message"]


def test_breakout_legs_are_sized_together_and_the_proof_covers_them():
    """Two legs of one spine cage to B01 and B04: the near leg is sized to the far one's
    length. The plan's bound sizes legs the same way, so OPTIMAL means gap 0."""
    from topo.model import Device, Endpoint, Fabric, Link

    spine = Device("spine-01", "spine", "sw-32x100g-1u", 1, 450.0, 18000.0)
    leaves = [
        Device(f"leaf-{r}", "leaf", "sw-32x100g-1u", 1, 450.0, 18000.0, rack=r)
        for r in ("B01", "B04")
    ]
    links = tuple(
        Link(f"L-{k}", Endpoint(leaf.id, 1), Endpoint("spine-01", 1, k + 1), 100, "leaf-spine", "f")
        for k, leaf in enumerate(leaves)
    )
    fab = Fabric("f", (spine, *leaves), links)
    plan = plan_fabric(scenario(ladder(), effort="exact"), fab, catalog=aoc_catalog())
    solver = plan.summary["solver"]
    legs = {c.link: c for c in plan.cables}
    assert legs["L-0"].route_mm < legs["L-1"].route_mm
    assert legs["L-0"].length_mm == legs["L-1"].length_mm  # legs of one assembly
    assert solver["status"] == "OPTIMAL"
    assert plan.summary["total_length_m"] == plan.summary["lower_bound_length_m"]


def test_a_plan_above_its_bound_is_not_called_optimal_whatever_the_router_said():
    from topo.model import SolverInfo
    from topo.planner import _final_status

    said = SolverInfo(
        status="OPTIMAL", method="cp-sat", bound_source="cp-sat", seconds=0.0, objective="length"
    )
    cables = plan_ladder({"B01": 2}).cables
    total = sum(c.length_mm for c in cables)
    assert _final_status(said, cables, (), total, 0).status == "OPTIMAL"
    assert _final_status(said, cables, (), total - 1, 0).status == "FEASIBLE"


def test_exact_says_its_optimum_is_over_media_that_follow_length():
    """Thinner media where the trays are full are not considered at effort exact: the
    plan says its optimum is over plans whose media follow their lengths, unless thin
    media were turned off."""
    from topo.routing.route import EXACT_MEDIA_NOTE

    g = pathways_from_floor(ladder(west=0.05, depth=0.05))
    dem = demands({"B01": 3, "B02": 2})
    on = route_cables(g, dem, aoc_tables(), options=RouteOptions(effort="exact"))
    off = route_cables(g, dem, aoc_tables(), options=RouteOptions(effort="exact", thin_media=False))
    assert on.solver.notes[-1] == EXACT_MEDIA_NOTE
    assert EXACT_MEDIA_NOTE not in off.solver.notes
    assert on.routes == off.routes
