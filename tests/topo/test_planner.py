"""End-to-end tests of ``topo.plan`` and the invariants every plan must keep."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Polygon

import topo
from layouts.generate import regular_hall
from topo.errors import CatalogError, FabricError, LayoutError
from topo.placement.cuts import link_floor_areas, placement_cut
from topo.plan import Plan
from topo.scenario import parse_scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _scenario(
    floor, *, per_rack=8, spine_count=None, leaf="tor-48x25g-8x100g", spine="sw-64x400g-1u", **extra
):
    data = {
        "name": "t",
        "floor": floor.model_dump(mode="json") if not isinstance(floor, str) else floor,
        "servers": {"model": "srv-1u-2x25g", "per_rack": per_rack},
        "fabric": {
            "kind": "spine-leaf",
            "leaf": {"model": leaf},
            "spine": {"model": spine, **({"count": spine_count} if spine_count else {})},
        },
        **extra,
    }
    return parse_scenario(data)


# -- invariants --------------------------------------------------------------------------


def check_invariants(plan: Plan) -> None:
    """What no plan may ever break."""
    floor = plan.floor
    room = Polygon(floor.outline).buffer(1e-6)
    columns = [Polygon(k.outline) for k in floor.keepouts if k.kind == "column"]
    racks = floor.rack_index
    segs = plan.pathways.segments
    devices = plan.placement.device_index()

    ports: Counter[tuple[str, int, int]] = Counter()
    for link in plan.fabric.links:
        for end in (link.a, link.b):
            ports[(end.device, end.port, end.lane)] += 1
    assert max(ports.values()) == 1, "a port is used twice"
    # a whole port and one of its breakout lanes are never both used
    whole = {(d, p) for (d, p, lane) in ports if lane == 0}
    assert not any((d, p) in whole for (d, p, lane) in ports if lane)

    assert len(plan.cables) == len(plan.fabric.links)
    for c in plan.cables:
        # routes stay inside the room and off the columns
        for i in c.segments:
            line = LineString([segs[i].start, segs[i].end])
            assert room.contains(line), f"{c.id} leaves the room on {segs[i].id}"
            assert not any(line.crosses(col) or line.within(col) for col in columns)
        # consecutive segments touch: a route is one connected path
        for i, j in zip(c.segments, c.segments[1:], strict=False):
            a, b = segs[i], segs[j]
            ends_a, ends_b = {a.start, a.end}, {b.start, b.end}
            near = min(math.dist(p, q) for p in ends_a for q in ends_b)
            assert near <= floor.junction_tolerance + 1e-6, f"{c.id}: {a.id} -> {b.id}"
        if c.status != "ok":
            continue
        assert c.stock_mm >= c.length_mm
        if c.a_rack != c.b_rack:
            ra, rb = racks[c.a_rack], racks[c.b_rack]
            straight = math.dist((ra.x, ra.y), (rb.x, rb.y)) * 1000
            drops = (
                plan.pathways.drops[c.a_rack].length_mm + plan.pathways.drops[c.b_rack].length_mm
            )
            assert c.length_mm >= straight + drops - 2, c.id  # mm rounding per piece
        assert devices[c.a_device].rack == c.a_rack and devices[c.b_device].rack == c.b_rack

    # fill figures add up
    area = {m.id: m.area_mm2 for m in plan.catalog.media}
    per_seg = Counter(i for c in plan.cables for i in c.segments)
    for f in plan.fills:
        assert f.cables == per_seg.get(f.segment.index, 0)
        expect = sum(area[c.media] for c in plan.cables if f.segment.index in c.segments)
        assert f.cable_area_mm2 == pytest.approx(expect)
    assert plan.summary["max_tray_fill"] == pytest.approx(
        max((f.fill for f in plan.fills), default=0.0), abs=1e-4
    )
    assert plan.lower_bound_mm <= plan.total_length_mm
    # a placement whose plan fits is never proven not to fit
    if not plan.overflows:
        where = {d.id: d.rack for d in plan.placement.devices if d.rack is not None}
        areas = link_floor_areas(plan.fabric, plan.catalog)
        assert placement_cut(plan.pathways, plan.fabric, where, areas) is None


def test_default_scenario_keeps_every_invariant(default_plan):
    check_invariants(default_plan)
    assert default_plan.summary["unrouted"] == 0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.integers(1, 4),
    racks=st.integers(3, 12),
    per_rack=st.integers(1, 16),
    columns=st.booleans(),
    spines=st.sampled_from([None, 2, 4]),
)
def test_generated_halls_keep_every_invariant(rows, racks, per_rack, columns, spines):
    floor = regular_hall(
        rows=rows,
        racks_per_row=racks,
        network_positions=(1,),
        column_every=4.0 if columns else None,
    )
    plan = topo.plan(_scenario(floor, per_rack=per_rack, spine_count=spines))
    check_invariants(plan)


# -- behaviour ---------------------------------------------------------------------------


def test_overfull_tray_is_reported_not_raised():
    floor = regular_hall(rows=2, racks_per_row=6, network_positions=(1,), tray_width=0.05)
    floor = floor.model_copy(update={"fill_limit": 0.05})
    plan = topo.plan(_scenario(floor, per_rack=16))
    assert plan.summary["trays_over_limit"] > 0
    over = [d for d in plan.diagnostics if d.location.startswith("trays.")]
    assert over and "limit 5%" in over[0].message
    assert plan.summary["solver"]["status"] != "OPTIMAL"


def test_disconnected_rack_is_unrouted_not_dropped():
    """Row B's tray does not join the others: its leaves cannot reach the spines."""
    floor = regular_hall(rows=2, racks_per_row=4, network_positions=(1,))
    trays = tuple(t for t in floor.trays if not t.id.startswith("X-"))
    plan = topo.plan(_scenario(floor.model_copy(update={"trays": trays}), per_rack=2))
    assert plan.summary["unrouted"] > 0
    assert plan.summary["cables"] == len(plan.fabric.links)
    unrouted = [c for c in plan.cables if c.status == "unrouted"]
    assert unrouted and all(c.tier == "leaf-spine" for c in unrouted)


def test_impossible_floor_raises_with_every_problem():
    floor = regular_hall(rows=2, racks_per_row=4, network_positions=(1,))
    bad = floor.model_copy(update={"outline": ((0, 0), (1, 0), (1, 1), (0, 1))})
    with pytest.raises(LayoutError) as err:
        topo.plan(_scenario(bad))
    assert len(err.value.problems) >= 8  # every rack outside the room, each named
    assert any("A01" in str(p) for p in err.value.problems)


def test_unknown_switch_model_is_named():
    floor = regular_hall(rows=1, racks_per_row=4, network_positions=(1,))
    with pytest.raises(CatalogError, match="nope-9000"):
        topo.plan(_scenario(floor, spine="nope-9000"))


def test_too_few_ports_says_needed_and_available():
    floor = regular_hall(rows=1, racks_per_row=4, network_positions=(1,))
    with pytest.raises(FabricError, match=r"48.*64|64.*48"):
        topo.plan(_scenario(floor, per_rack=32))


def test_validate_scenario_collects_problems_from_every_stage():
    floor = regular_hall(rows=1, racks_per_row=4, network_positions=(1,))
    bad = floor.model_copy(update={"outline": ((0, 0), (1, 0), (1, 1), (0, 1))})
    problems = topo.validate_scenario(_scenario(bad, spine="nope-9000"))
    text = "\n".join(map(str, problems))
    assert "nope-9000" in text and "A01" in text


SCENARIO_EXAMPLES = sorted(p for p in EXAMPLES.glob("*.yaml") if not p.name.startswith("sweep-"))


SHORTEST_IN_SUITE = {"ai-cluster-16k.yaml"}
"""Examples the suite plans with ``routing: shortest``: 49,152 cables take minutes to
route within the tray fill limits, seconds on their shortest routes."""


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(p, marks=pytest.mark.slow) if p.name in SHORTEST_IN_SUITE else p
        for p in SCENARIO_EXAMPLES
    ],
    ids=lambda p: p.name,
)
def test_every_example_plans(path):
    scenario = topo.load_scenario(path)
    if path.name in SHORTEST_IN_SUITE:
        options = scenario.options.model_copy(update={"routing": "shortest"})
        scenario = scenario.model_copy(update={"options": options})
    plan = topo.plan(scenario)
    check_invariants(plan)


def test_default_scenario_copy_in_examples_is_identical():
    from tests.conftest import DEFAULT_SCENARIO

    assert (EXAMPLES / "enterprise-hall.yaml").read_bytes() == DEFAULT_SCENARIO.read_bytes()


def test_naive_yardstick_routed_in_a_child_process_gives_the_same_plan(monkeypatch):
    """ai-pod's optimized placement differs from naive, so the naive plan is routed as a
    yardstick: in a forked child by default, in line when the fabric is deemed small."""
    from topo import planner

    scenario = topo.load_scenario(EXAMPLES / "ai-pod.yaml")
    forked = topo.plan(scenario)
    monkeypatch.setattr(planner, "_PARALLEL_MIN_LINKS", 10**9)
    inline = topo.plan(scenario)
    naive = topo.plan(
        scenario.model_copy(
            update={"options": scenario.options.model_copy(update={"placement": "naive"})}
        )
    )

    assert forked.summary["placement"]["method"] == "optimized"
    assert forked.summary == inline.summary
    assert forked.cables == inline.cables
    assert forked.summary["placement"]["naive_usd"] == naive.cable_cost_cents / 100


def test_large_fabric_naive_figures_from_shortest_routes_bound_the_saving(monkeypatch):
    """ai-hall-spine-leaf planned as a large fabric is (placements first routed on their
    shortest routes): its naive placement overflows on those, the optimized plan fits
    for less, so the naive figures are the shortest-route plan's, never above what any
    routing of the naive placement costs."""
    from topo import planner

    monkeypatch.setattr(planner, "_PROBE_MIN_LINKS", 0)
    scenario = topo.load_scenario(EXAMPLES / "ai-hall-spine-leaf.yaml")

    def with_options(**options: object):
        return scenario.model_copy(update={"options": scenario.options.model_copy(update=options)})

    chosen = topo.plan(scenario)
    short = topo.plan(with_options(placement="naive", routing="shortest"))
    routed = topo.plan(with_options(placement="naive"))
    got = chosen.summary["placement"]
    assert got["method"] == "optimized" and not chosen.overflows
    assert short.overflows and short.cable_cost_cents <= routed.cable_cost_cents
    assert got["naive_usd"] == short.cable_cost_cents / 100
    assert got["chosen_usd"] == chosen.cable_cost_cents / 100 < got["naive_usd"]
    pct = 100 * (short.cable_cost_cents - chosen.cable_cost_cents) / short.cable_cost_cents
    assert got["saving_pct"] == pytest.approx(pct, abs=0.001)
    assert any("saving is at least" in n for n in chosen.notes)


def test_a_naive_placement_proven_not_to_fit_is_not_waited_for():
    """The naive yardstick's shortest routes overflow and cost less than the optimized
    plan: once a run of racks proves that no routing of the naive placement fits, the
    optimized plan (which fits) is kept at once, with the naive figures from those
    shortest routes and a note giving the proof; without a proof the yardstick's full
    routing is awaited."""
    from topo import planner
    from topo.placement.cuts import PlacedCut

    scenario = topo.load_scenario(EXAMPLES / "ai-hall-spine-leaf.yaml")
    best = topo.plan(scenario)
    naive_options = scenario.options.model_copy(
        update={"placement": "naive", "routing": "shortest"}
    )
    naive = topo.plan(scenario.model_copy(update={"options": naive_options})).placement
    assert not best.overflows and best.placement.devices != naive.devices
    cheap = planner._Ranked((0, True, 50.0, 1), 1.0, fits=False, shortest=True)
    routed = planner._Ranked((0, True, 20.0, 2), 2.0, fits=False, shortest=False)

    class Yardstick:
        def __init__(self) -> None:
            self.given = [cheap, routed]

        def next(self):
            return self.given.pop(0)

    def attempt(*_args):
        raise AssertionError("the naive placement is not routed in line")

    cut = PlacedCut(("A03", "A04"), ("T-A.004", "T-A.007"), 4000.0, 5000.0)
    ys = Yardstick()
    kept = planner._against_naive(
        best, best.placement, naive, attempt, best, 2, ys, naive_cut=lambda: cut
    )
    assert ys.given == [routed]  # the full routing was not awaited
    assert kept.summary["placement"]["method"] == "optimized"
    assert kept.summary["placement"]["naive_usd"] == 1.0
    assert kept.notes[-1].startswith("the naive placement cannot fit the trays whatever")
    assert "A03, A04" in kept.notes[-1] and "1,000 mm² over" in kept.notes[-1]

    ys = Yardstick()
    waited = planner._against_naive(
        best, best.placement, naive, attempt, best, 2, ys, naive_cut=lambda: None
    )
    assert ys.given == []
    assert waited.summary["placement"]["naive_usd"] == 2.0
    assert not any("cannot fit the trays" in n for n in waited.notes)
