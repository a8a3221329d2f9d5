"""The optimizer inside ``plan``: redundancy, overflow reports, placement, determinism."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from layouts.model import Floor, RackRow, Tray
from layouts.pathways import pathways_from_floor
from tests.topo.ladder_hall import aoc_catalog, assert_same_outputs, fabric, ladder, scenario
from topo.catalog import builtin_catalog
from topo.outputs.exports import render_plan
from topo.placement.naive import place_devices
from topo.placement.optimize import PlacementOptions, optimize_placement
from topo.planner import plan_fabric


def plan_ladder(floor: Floor, per_rack: dict[str, int], **kw):
    redundant = kw.pop("redundant", False)
    fab = fabric(per_rack, redundant=redundant)
    return plan_fabric(scenario(floor, **kw), fab, catalog=aoc_catalog())


def test_redundant_links_share_no_tray_segment_where_trays_allow():
    p = plan_ladder(ladder(), {"B04": 2, "B02": 2}, redundant=True)
    b04 = [c for c in p.cables if c.a_rack == "B04"]
    assert len(b04) == 2 and b04[0].redundancy == b04[1].redundancy == "pair-B04"
    assert not set(b04[0].segments) & set(b04[1].segments)
    assert not [d for d in p.diagnostics if d.location.startswith("redundancy.")]


def test_redundant_links_that_must_share_are_listed():
    """Without X-E every route from row B to A01 crosses X-W."""
    p = plan_ladder(ladder(east_tray=False), {"B04": 2}, redundant=True)
    shared = [d for d in p.diagnostics if d.location == "redundancy.pair-B04"]
    assert len(shared) == 1
    assert "'X-W.001'" in shared[0].message
    assert "share tray segments" in shared[0].message


def test_overflow_is_reported_with_the_widening_that_fixes_it():
    """400 AOCs must cross to row B through two 50 x 50 mm crosses (1000 mm² each)."""
    p = plan_ladder(
        ladder(west=0.05, east=0.05, depth=0.05),
        {"B01": 100, "B02": 100, "B03": 100, "B04": 100},
        objective="length",  # equal routes by length: the overflow splits over both crosses
    )
    s = p.summary
    assert s["solver"]["status"] == "INFEASIBLE"
    assert s["cables"] == 400 and s["unrouted"] == 0
    assert s["overflow_mm2"] > 0
    messages = [d.message for d in p.diagnostics]
    assert any(m.startswith("widen 'X-W' from 50 mm to 150 mm") for m in messages)
    assert any(m.startswith("widen 'X-E' from 50 mm to 150 mm") for m in messages)
    assert any("cables too many" in m and "'X-W.001'" in m for m in messages)


def test_feasible_congested_plan_fits_and_reports_bound_and_gap():
    p = plan_ladder(
        ladder(west=0.05, depth=0.05),
        {"B01": 50, "B02": 50, "B03": 50, "B04": 50},
        objective="length",
    )
    s = p.summary
    assert s["trays_over_limit"] == 0
    assert s["solver"]["status"] in ("OPTIMAL", "FEASIBLE")
    assert s["solver"]["bound_source"].startswith("lagrangian")
    assert s["lower_bound_length_m"] <= s["total_length_m"]
    assert 0 <= s["solver"]["gap"] < 0.02
    assert s["lower_bound_cost_usd"] <= s["cable_cost_usd"]


def test_shortest_routing_option_overfills_and_is_not_optimal():
    p = plan_ladder(
        ladder(west=0.05, depth=0.05), {"B01": 60, "B02": 60, "B03": 60}, routing="shortest"
    )
    assert p.summary["solver"]["method"] == "shortest-path"
    assert p.summary["solver"]["status"] == "UNKNOWN"
    assert p.summary["trays_over_limit"] > 0


def test_same_scenario_and_seed_give_identical_files():
    args = (ladder(west=0.05, depth=0.05), {"B01": 50, "B02": 50, "B03": 50, "B04": 50})
    a = render_plan(plan_ladder(*args, seed=7))
    b = render_plan(plan_ladder(*args, seed=7))
    assert_same_outputs(a, b)


def two_network_racks() -> Floor:
    """Network racks at A04 (far end of row A) and B01; leaves in row B::

        [A01][A02][A03][A04 net]
        =========T-A============+
                                |X
        =========T-B============+
        [B01 net][B02][B03][B04]

    Naive placement fills A04 first (id order); B01 is nearer every leaf but B04.
    """
    return Floor(
        outline=((0, 0), (6, 0), (6, 7), (0, 7)),
        rows=(
            RackRow(id="A", origin=(1, 1), count=4, roles={4: "network"}),
            RackRow(id="B", origin=(1, 4), count=4, roles={1: "network"}),
        ),
        trays=(
            Tray(id="T-A", path=((0.5, 1.6), (3.9, 1.6))),
            Tray(id="T-B", path=((0.5, 4.6), (3.9, 4.6))),
            Tray(id="X", path=((3.9, 1.6), (3.9, 4.6))),
        ),
    )


def test_placement_puts_spines_near_their_leaves_and_reports_the_saving():
    fl = two_network_racks()
    p = plan_fabric(
        scenario(fl, objective="length"),
        fabric({"B02": 4, "B03": 4}, spines=2),
        catalog=aoc_catalog(),
    )
    spines = {d.id: d.rack for d in p.placement.devices if d.role == "spine"}
    assert spines == {"spine-01": "B01", "spine-02": "B01"}
    pl = p.summary["placement"]
    assert pl["method"] == "optimized"
    assert pl["chosen_m"] < pl["naive_m"] and pl["saving_pct"] > 0
    naive = plan_fabric(
        scenario(fl, objective="length", placement="naive"),
        fabric({"B02": 4, "B03": 4}, spines=2),
        catalog=aoc_catalog(),
    )
    assert {d.rack for d in naive.placement.devices if d.role == "spine"} == {"A04"}
    assert p.total_length_mm < naive.total_length_mm


@settings(max_examples=20, deadline=None)
@given(
    leaves=st.lists(
        st.sampled_from(["A01", "A02", "A03", "B02", "B03", "B04"]),
        min_size=1,
        max_size=6,
        unique=True,
    ),
    uplinks=st.integers(1, 4),
    spines=st.integers(1, 4),
    objective=st.sampled_from(["cost", "length"]),
)
def test_optimized_placement_is_never_worse_than_naive(leaves, uplinks, spines, objective):
    fl = two_network_racks()
    fab = fabric(dict.fromkeys(leaves, uplinks), spines=spines)
    cat = builtin_catalog()
    naive = place_devices(fab, fl, cat)
    placed, report = optimize_placement(
        fab, fl, pathways_from_floor(fl), cat, naive, options=PlacementOptions(objective=objective)
    )
    assert report is not None
    assert report.chosen <= report.naive + 1e-9
    assert {d.id for d in placed.devices} == {d.id for d in naive.devices}
    for d in placed.devices:
        assert d.rack is not None and d.u is not None
