"""Power and cooling: rack, row and hall IT power against the floor's budgets.

The hall (x east, y north; racks 0.6 x 1.2 m)::

    y=4  [B01][B02]              network row B (20 kW racks)
          ||==T-B==
          X
    y=1  [A01][A02][A03][A04]    compute row A (60 kW racks, unless a test says otherwise)
          ||====T-A====

GPU nodes (8U, 10.2 kW) fill row A: 5 a rack by power (60 kW), with a 1.3 kW top-of-rack
leaf each; two 1.3 kW spines stand in row B.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from topo.catalog import builtin_catalog
from topo.errors import InfeasibleError
from topo.fabric.network import build_network
from topo.outputs.exports import render_plan
from topo.planner import plan, validate_scenario
from topo.scenario import floor_of, parse_scenario

GPU_W = 10_200
SWITCH_W = 1_300


def hall(row_a=None, floor=None, servers=None, fabric=None) -> dict:
    """The scenario of the module docstring; ``row_a`` and ``floor`` add fields."""
    fl = {
        "name": "P",
        "outline": [[0, 0], [8, 0], [8, 7], [0, 7]],
        "rows": [
            {"id": "A", "origin": [1, 1], "count": 4, "power_kw": 60, **(row_a or {})},
            {"id": "B", "origin": [1, 4], "count": 2, "role": "network"},
        ],
        "trays": [
            {"id": "T-A", "path": [[0.8, 1.6], [3.8, 1.6]]},
            {"id": "X", "path": [[0.8, 1.6], [0.8, 4.6]]},
            {"id": "T-B", "path": [[0.8, 4.6], [3.8, 4.6]]},
        ],
        **(floor or {}),
    }
    return {
        "name": "power",
        "floor": fl,
        "servers": servers or {"model": "gpu-8x400g-8u"},
        "fabric": fabric
        or {
            "kind": "spine-leaf",
            "oversubscription": 3,
            "leaf": {"model": "sw-64x400g-1u", "placement": "top-of-rack"},
            "spine": {"model": "sw-64x400g-1u", "count": 2},
        },
        "options": {"routing": "shortest", "placement": "naive"},
    }


def independent_rows(p) -> dict[str, float]:
    """IT kW per row, counted from the plan's devices, catalog and cables directly."""
    cat = p.catalog
    row_of = {r.id: r.row for r in p.floor.racks}
    out: dict[str, float] = defaultdict(float)
    for d in p.placement.devices:
        model = cat.server_index.get(d.model) or cat.switch_index[d.model]
        out[row_of[d.rack]] += model.power_w / 1000
    for c in p.cables:
        if c.status == "ok":
            m = cat.media_index[c.media]
            end_w = m.end_power_w + (m.transceiver.power_w if m.transceiver else 0.0)
            out[row_of[c.a_rack]] += end_w / 1000
            out[row_of[c.b_rack]] += end_w / 1000
    return out


def test_the_summary_adds_up_servers_switches_and_optics_per_row_and_hall():
    p = plan(parse_scenario(hall()))
    power = p.summary["power"]
    want = independent_rows(p)
    for row in ("A", "B"):
        assert power["rows"][row]["it_kw"] == pytest.approx(want[row], abs=1e-3)
        assert power["rows"][row]["budget_kw"] is None
    assert power["rows"]["A"]["servers_kw"] == pytest.approx(20 * GPU_W / 1000)
    assert power["rows"]["B"]["switches_kw"] == pytest.approx(2 * SWITCH_W / 1000)
    assert power["it_kw"] == pytest.approx(sum(want.values()), abs=1e-3)
    assert power["optics_kw"] > 0 and power["budget_kw"] is None
    assert power["optics_kw"] == pytest.approx(p.summary["optics_power_w"] / 1000, abs=1e-3)
    # a floor without budgets or cooling draws no power layer
    assert b'id="row-power"' not in render_plan(p)["floor.svg"]


def test_a_row_budget_below_the_servers_and_leaves_is_an_error_naming_the_row():
    need = (20 * GPU_W + 4 * SWITCH_W) / 1000  # 209.2 kW: 20 nodes, 4 top-of-rack leaves
    sc = parse_scenario(hall({"power_budget_kw": 200}))
    with pytest.raises(InfeasibleError, match=r"row 'A' needs 209\.2 kW") as exc:
        plan(sc)
    assert "budget 200 kW: 9.2 kW over (within it with 1 fewer 'gpu-8x400g-8u'" in str(exc.value)
    assert [p.location for p in validate_scenario(sc)] == ["floor.rows.A.power_budget_kw"]
    assert need == pytest.approx(209.2)
    # the claim holds: one node fewer fits
    fewer = hall({"power_budget_kw": 200}, servers={"model": "gpu-8x400g-8u", "count": 19})
    assert plan(parse_scenario(fewer)).summary["power"]["rows"]["A"]["it_kw"] <= 200


def test_a_row_budget_that_holds_is_reported_and_drawn():
    p = plan(parse_scenario(hall({"power_budget_kw": 250})))
    row = p.summary["power"]["rows"]["A"]
    assert row["budget_kw"] == 250 and row["it_kw"] <= 250
    assert not [d for d in p.diagnostics if "power" in d.location]
    svg = render_plan(p)["floor.svg"].decode()
    bar = re.search(r'<g class="row-power" data-row="A" data-need-kw="([0-9.]+)" '
                    r'data-budget-kw="250">', svg)  # fmt: skip
    assert bar and float(bar.group(1)) == pytest.approx(row["it_kw"])
    assert "A 210.2 / 250 kW" in svg


def test_optics_that_push_a_row_over_its_budget_are_a_diagnostic():
    # servers and leaves need 209.2 kW, the optics about 1 kW more
    p = plan(parse_scenario(hall({"power_budget_kw": 209.5})))
    over = [d for d in p.diagnostics if d.location == "floor.rows.A.power_budget_kw"]
    assert len(over) == 1 and "as planned" in over[0].message
    assert p.summary["power"]["rows"]["A"]["it_kw"] > 209.5


def test_a_hall_budget_binds_on_all_rows_together():
    # the servers and top-of-rack leaves need 209.2 kW before any switch is placed
    sc = parse_scenario(hall(floor={"power_budget_kw": 205}))
    with pytest.raises(InfeasibleError, match=r"hall 'P' needs 209.2 kW .* budget 205 kW"):
        plan(sc)
    # the spines the placement adds need 2.6 kW: with 0.8 kW left they fit nowhere
    with pytest.raises(InfeasibleError) as err:
        plan(parse_scenario(hall(floor={"power_budget_kw": 210})))
    assert "they need 2U and 2.6 kW" in str(err.value)
    assert "hall power budget left: 0.8 kW" in str(err.value)
    # placed within the budget, the optics chosen after still put it over: a diagnostic
    p = plan(parse_scenario(hall(floor={"power_budget_kw": 212})))
    (over,) = [d for d in p.diagnostics if d.location == "floor.power_budget_kw"]
    assert over.message.startswith("hall 'P' needs 213.4 kW")
    assert "switches 7.8" in over.message and "budget 212 kW" in over.message
    p = plan(parse_scenario(hall(floor={"power_budget_kw": 220})))
    assert p.summary["power"]["budget_kw"] == 220
    assert p.summary["power"]["it_kw"] <= 220
    svg = render_plan(p)["floor.svg"].decode()
    assert f"hall P: {p.summary['power']['it_kw']:,.1f} / 220 kW IT</text>" in svg
    assert 'data-budget-kw=""' in svg  # rows without a budget: no frame, no budget


def test_an_air_cooled_row_takes_at_most_its_air_limit_per_rack():
    liquid = plan(parse_scenario(hall({"cooling": "liquid"})))
    air = plan(parse_scenario(hall({"cooling": "air"})))  # 40 kW a rack by default
    assert liquid.summary["devices"]["server"] == 20  # 5 a rack: the 60 kW budget binds
    assert air.summary["devices"]["server"] == 12  # 3 a rack: 40 kW of air binds
    assert air.summary["power"]["rows"]["A"]["rack_limit_kw"] == 40
    assert air.summary["power"]["rows"]["A"]["max_rack_kw"] <= 40
    tighter = plan(parse_scenario(hall({"cooling": "air", "cooling_kw": 25})))
    assert tighter.summary["devices"]["server"] == 8  # 2 a rack
    assert "A 0" not in render_plan(air)["floor.svg"].decode()  # drawn: cooling is set
    assert b'id="row-power"' in render_plan(air)["floor.svg"]


def test_servers_pinned_per_rack_over_the_air_limit_are_an_error_naming_the_rack():
    sc = parse_scenario(hall({"cooling": "air"}, servers={"model": "gpu-8x400g-8u", "per_rack": 4}))
    with pytest.raises(InfeasibleError) as exc:
        plan(sc)
    first = exc.value.problems[0]
    assert first.location == "floor.racks.A01"
    assert first.message == (
        "rack 'A01' needs 42.1 kW (servers 40.8, switches 1.3), but its air-cooled row "
        "'A' removes 40 kW per rack"
    )
    ok = hall({"cooling": "liquid"}, servers={"model": "gpu-8x400g-8u", "per_rack": 4})
    assert plan(parse_scenario(ok)).summary["devices"]["server"] == 16


def nvl72(cooling: str) -> dict:
    return hall(
        {"power_kw": 150, "cooling": cooling},
        servers={"model": "nvl72-gb300-rack"},
        fabric={"kind": "rail-optimized", "su_nodes": 4, "leaf": {"model": "ib-144x800g-4u"},
                "spine": {"model": "ib-144x800g-4u"}},
    )  # fmt: skip


def test_a_liquid_cooled_system_cannot_stand_in_an_air_cooled_row():
    assert builtin_catalog().server("nvl72-gb300-rack").cooling == "liquid"
    sc = parse_scenario(nvl72("air"))
    problems = validate_scenario(sc)
    assert [(p.location, p.message) for p in problems] == [
        (
            "floor.rows.A.cooling",
            "'nvl72-gb300-rack' needs liquid cooling; row 'A' (rack 'A01') is air-cooled",
        )
    ]
    liquid = parse_scenario(nvl72("liquid"))
    f = build_network(liquid, floor_of(liquid), builtin_catalog())
    assert sum(d.role == "server" for d in f.devices) == 4


def test_a_liquid_system_pinned_in_an_air_row_names_the_model():
    sc = nvl72("air")
    sc["servers"]["per_rack"] = 1
    sc = parse_scenario(sc)
    with pytest.raises(InfeasibleError, match="'nvl72-gb300-rack' in rack 'A01' needs liquid"):
        build_network(sc, floor_of(sc), builtin_catalog())


def test_a_rack_too_hot_for_even_one_server_names_its_cooling():
    sc = parse_scenario(hall({"cooling_kw": 8}))  # no cooling type: the limit alone
    problems = validate_scenario(sc)
    assert problems[0].message == (
        "rack 'A01' (48U, 60 kW, cooled to 8 kW) cannot hold one 'gpu-8x400g-8u' (8U, 10.2 kW)"
    )
    pinned = hall({"cooling_kw": 30}, servers={"model": "gpu-8x400g-8u", "per_rack": 3})
    with pytest.raises(
        InfeasibleError, match=r"rack 'A01' needs 31\.9 kW .* its row 'A' removes 30"
    ):
        plan(parse_scenario(pinned))


def test_switches_placed_over_a_racks_cooling_are_a_diagnostic():
    # the two spines (2.6 kW) and their optics land in B01; row B cools 3 kW a rack
    sc = hall()
    sc["floor"]["rows"][1].update(cooling="air", cooling_kw=3)
    p = plan(parse_scenario(sc))
    hot = [d for d in p.diagnostics if d.location.startswith("floor.racks.")]
    b01 = p.summary["power"]["rows"]["B"]
    assert (b01["max_rack"], b01["rack_limit_kw"]) == ("B01", 3)
    assert [d.location for d in hot] == ["floor.racks.B01"]
    assert hot[0].message.startswith(f"rack 'B01' needs {b01['max_rack_kw']:.1f} kW as planned")
    assert hot[0].message.endswith("its air-cooled row 'B' removes 3 kW per rack")
    sc["floor"]["rows"][1]["cooling_kw"] = 4
    assert not [d for d in plan(parse_scenario(sc)).diagnostics if "racks" in d.location]


def test_layouts_new_writes_a_hall_with_cooling_and_budgets(tmp_path):
    from typer.testing import CliRunner

    from layouts.library import read_floor
    from topo.cli import app

    out = tmp_path / "hall.yaml"
    args = ["layouts", "new", "-o", str(out), "--rows", "2", "--racks-per-row", "4",
            "--cooling", "air", "--cooling-kw", "35", "--row-budget-kw", "100",
            "--hall-budget-kw", "180"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    floor = read_floor(out)
    assert floor.power_budget_kw == 180
    assert {(r.cooling, r.cooling_kw, r.power_budget_kw) for r in floor.rows} == {("air", 35, 100)}
    bad = CliRunner().invoke(app, ["layouts", "new", "-o", str(out), "--cooling", "water"])
    assert bad.exit_code == 2 and "--cooling 'water': use 'air' or 'liquid'" in bad.output


def test_a_server_count_the_cooled_racks_cannot_hold_says_why():
    sc = hall({"cooling": "air"}, servers={"model": "gpu-8x400g-8u", "count": 16})
    (problem,) = validate_scenario(parse_scenario(sc))
    assert problem.message == (
        "servers 'gpu-8x400g-8u': count 16, but the group's 4 racks hold 12 "
        "(10.2 kW each; cooling takes 40 kW a rack)"
    )
    liquid = hall({"cooling": "liquid"}, servers={"model": "gpu-8x400g-8u", "count": 16})
    assert validate_scenario(parse_scenario(liquid)) == []


def test_sweeps_compare_variants_on_it_power():
    from topo.outputs.compare import VariantResult, metric_value, pareto_front

    def variant(name, cost, it_kw):
        summary = {"cost_usd": cost, **({"power": {"it_kw": it_kw}} if it_kw else {})}
        return VariantResult(name, (), "ok", summary)

    air, liquid, old = (
        variant("air", 1, 130.0),
        variant("liquid", 2, 210.0),
        variant("old", 0, None),
    )
    assert metric_value(liquid, "it_kw") == 210.0
    assert metric_value(old, "it_kw") is None  # a plan.json from before IT power
    assert [v.name for v in pareto_front([air, liquid, old], "cost_usd", "it_kw")] == ["air"]
