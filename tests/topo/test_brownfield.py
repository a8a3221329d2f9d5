"""Plans built on an installed plan (``existing:``): what stays, what goes, what is new.

The installed generation is examples/brownfield/gen1-plan/, the committed output of
``topo plan examples/brownfield/gen1.yaml`` (generation 2: examples/enterprise-gen2.yaml);
regenerate it, and review the diff, with::

    TOPO_UPDATE_GOLDEN=1 python -m pytest tests/topo/test_brownfield.py
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import topo
from tests.conftest import assert_golden
from topo.catalog import builtin_catalog
from topo.errors import ScenarioError
from topo.outputs import read_plan, render_plan, write_plan
from topo.outputs.exports import CHANGES_COLUMNS, OUTPUT_FILES, WORK_ORDERS_COLUMNS
from topo.plan import Plan
from topo.scenario import (
    ExistingPlan,
    Scenario,
    attach_installed,
    parse_scenario,
    resolve_existing,
)

ROOT = Path(__file__).resolve().parents[2]
GEN1 = ROOT / "examples" / "brownfield" / "gen1.yaml"
GEN1_PLAN = ROOT / "examples" / "brownfield" / "gen1-plan"
GEN2 = ROOT / "examples" / "enterprise-gen2.yaml"


def _rows(text: str | bytes) -> list[dict[str, str]]:
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _on(scenario: Scenario, folder: Path, **options: object) -> Scenario:
    """``scenario`` built on the plan in ``folder``, with ``options`` changed."""
    updated = scenario.model_copy(
        update={"existing": str(folder), "options": scenario.options.model_copy(update=options)}
    )
    return resolve_existing(updated, allow_paths=True)


@pytest.fixture(scope="module")
def gen1() -> Scenario:
    return topo.load_scenario(GEN1)


@pytest.fixture(scope="module")
def gen2_plan() -> Plan:
    return topo.plan(topo.load_scenario(GEN2))


def test_the_installed_example_is_what_topo_plans_today(gen1):
    files = render_plan(topo.plan(gen1))
    assert set(files) == set(OUTPUT_FILES)
    for name, data in files.items():
        assert_golden(data, GEN1_PLAN / name)


def test_planning_a_plan_on_itself_changes_nothing(gen1):
    again = topo.plan(_on(gen1, GEN1_PLAN))
    files = render_plan(again)
    assert files["cables.csv"] == (GEN1_PLAN / "cables.csv").read_bytes()
    changes = _rows(files["changes.csv"])
    installed = _rows((GEN1_PLAN / "cables.csv").read_bytes())
    assert {r["action"] for r in changes} == {"keep"}
    assert [r["cable_id"] for r in changes] == [r["cable_id"] for r in installed]
    summary = again.summary["changes"]
    assert (summary["keep"], summary["add"], summary["remove"], summary["reroute"]) == (
        len(installed),
        0,
        0,
        0,
    )
    assert summary["relative_to"] == "hall-gen1"
    assert _rows(files["work_orders.csv"]) == []


def test_gen2_keeps_every_installed_cable_byte_for_byte(gen2_plan):
    files = render_plan(gen2_plan)
    installed = (GEN1_PLAN / "cables.csv").read_text(encoding="utf-8").splitlines()
    now = files["cables.csv"].decode("utf-8").splitlines()
    assert installed[0] == now[0]
    assert set(installed[1:]) <= set(now[1:])  # same id, label, media, lengths, route
    top = max(int(line.split(",")[0][1:]) for line in installed[1:])
    new = [line.split(",")[0] for line in now[1:] if line not in set(installed)]
    assert new and all(len(c) == 7 and int(c[1:]) > top for c in new)
    # installed devices kept their rack and U
    before = {d.id: (d.rack, d.u) for d in read_plan(GEN1_PLAN).placement.devices}
    after = {d.id: (d.rack, d.u) for d in gen2_plan.placement.devices}
    assert {k: after[k] for k in before} == before
    counts = gen2_plan.summary["changes"]
    assert counts["keep"] == len(installed) - 1 and counts["remove"] == 0
    assert counts["add"] == len(now) - len(installed)


def test_gen2_writes_its_changes_and_work_orders(gen2_plan, tmp_path):
    files = render_plan(gen2_plan)
    changes = _rows(files["changes.csv"])
    assert list(changes[0]) == list(CHANGES_COLUMNS)
    assert [r["cable_id"] for r in changes] == sorted(r["cable_id"] for r in changes)
    added = {r["cable_id"] for r in changes if r["action"] == "add"}
    orders = _rows(files["work_orders.csv"])
    assert list(orders[0]) == list(WORK_ORDERS_COLUMNS)
    pulled = [c for o in orders if o["step"] == "pull" for c in o["cable_ids"].split()]
    assert sorted(pulled) == sorted(added)  # every new cable pulled once
    for o in orders:
        assert int(o["cables"]) == len(o["cable_ids"].split())
    terminated = {c for o in orders if o["step"] == "terminate" for c in o["cable_ids"].split()}
    assert terminated == added
    # the plan folder reads back with its changes
    write_plan(gen2_plan, tmp_path)
    assert render_plan(read_plan(tmp_path)) == files


def test_removed_servers_lose_their_cables_and_free_their_trays(gen1, tmp_path):
    racks = tuple(f"A{k:02d}" for k in range(1, 11)) + tuple(
        f"B{k:02d}" for k in range(1, 10) if k != 5
    )  # B10 emptied (B05 is a network rack)
    target = _on(
        gen1.model_copy(update={"servers": gen1.servers.model_copy(update={"racks": racks})}),
        GEN1_PLAN,
    )
    plan = topo.plan(target)
    write_plan(plan, tmp_path)
    changes = _rows((tmp_path / "changes.csv").read_bytes())
    removed = [r for r in changes if r["action"] == "remove"]
    assert removed and all("B10" in (r["a_rack"], r["b_rack"]) for r in removed)
    installed = _rows((GEN1_PLAN / "cables.csv").read_bytes())
    assert {r["cable_id"] for r in removed} == {
        r["cable_id"] for r in installed if "B10" in (r["a_rack"], r["b_rack"])
    }
    assert "leaf-B10" not in {d.id for d in plan.placement.devices}
    # every tray the removed cables ran on now carries fewer cables
    before = {r["segment"]: int(r["cables"]) for r in _rows((GEN1_PLAN / "trays.csv").read_bytes())}
    after = {r["segment"]: int(r["cables"]) for r in _rows((tmp_path / "trays.csv").read_bytes())}
    freed = {s for r in removed for s in _segments(r["tray_route"])}
    assert freed and all(after[s] < before[s] for s in freed)
    orders = _rows((tmp_path / "work_orders.csv").read_bytes())
    assert {o["phase"] for o in orders} == {"1"}


def test_an_emptied_rack_loses_its_cables_and_nothing_else(gen1, tmp_path):
    """A01 emptied: the fabric numbers the spine ports of every later leaf 8 lower, but
    each installed uplink keeps its ports; only A01's cables are removed."""
    racks = (*(f"A{k:02d}" for k in range(2, 11)), "B")
    servers = gen1.servers.model_copy(update={"racks": racks})
    installed = _rows((GEN1_PLAN / "cables.csv").read_bytes())
    in_a01 = {r["cable_id"] for r in installed if "A01" in (r["a_rack"], r["b_rack"])}
    assert len(in_a01) == 12 * 2 + 8
    for rewire in ("minimal", "none"):
        plan = topo.plan(
            _on(gen1.model_copy(update={"servers": servers}), GEN1_PLAN, rewire=rewire)
        )
        changes = _rows(render_plan(plan)["changes.csv"])
        actions = defaultdict(set)
        for r in changes:
            actions[r["action"]].add(r["cable_id"])
        assert actions["remove"] == in_a01, rewire
        assert set(actions) == {"keep", "remove"}, rewire
        now = {r["cable_id"]: r for r in _rows(render_plan(plan)["cables.csv"])}
        assert [r for r in installed if r["cable_id"] not in in_a01] == [
            now[r["cable_id"]] for r in installed if r["cable_id"] not in in_a01
        ]
        assert not [p for p in plan.diagnostics if "rewire 'none'" in p.message]


def test_a_new_link_takes_a_free_port_not_a_kept_one(gen1):
    """A01 emptied and row C added: the new leaves' uplinks take the spine ports A01's
    uplinks freed and the ports after the installed ones, never a kept cable's."""
    racks = (*(f"A{k:02d}" for k in range(2, 11)), "B", "C")
    servers = gen1.servers.model_copy(update={"racks": racks})
    plan = topo.plan(_on(gen1.model_copy(update={"servers": servers}), GEN1_PLAN))
    installed = {r["cable_id"]: r for r in _rows((GEN1_PLAN / "cables.csv").read_bytes())}
    a01_spine_ports = {
        (r["b_device"], r["b_port"])
        for r in installed.values()
        if r["a_rack"] == "A01" and r["tier"] == "leaf-spine"
    }
    changes = plan.changes
    assert changes is not None
    kept = {c.cable_id for c in changes.cables if c.action == "keep"}
    assert kept == {k for k, r in installed.items() if r["a_rack"] != "A01"}
    added = [c for c in changes.cables if c.action == "add"]
    assert added and all(c.a_rack.startswith("C") for c in added)
    ports: dict[tuple[str, str], str] = {}
    for c in plan.cables:  # every port used once
        for end in ((c.a_device, c.a_port), (c.b_device, c.b_port)):
            assert end not in ports, (end, c.id, ports.get(end))
            ports[end] = c.id
    new = {c.cable_id for c in added}
    new_spine_ports = {
        (c.b_device, c.b_port) for c in plan.cables if c.id in new and c.tier == "leaf-spine"
    }
    assert a01_spine_ports <= new_spine_ports  # the freed ports are taken again


def test_rewire_none_reports_links_whose_ports_are_taken(gen1):
    """A third spine: each leaf's 8 uplinks split 2-2-2 instead of 4-4; under none the
    installed uplinks to spines 1 and 2 stay and hold every leaf uplink port."""
    spine = gen1.fabric.spine.model_copy(update={"count": 3})
    fabric = gen1.fabric.model_copy(update={"spine": spine})
    plan = topo.plan(_on(gen1.model_copy(update={"fabric": fabric}), GEN1_PLAN, rewire="none"))
    blocked = [p for p in plan.diagnostics if "rewire 'none'" in p.message]
    assert blocked
    installed = {c.id: c for c in read_plan(GEN1_PLAN).cables}
    for p in blocked:
        assert p.value in installed
        assert p.location.startswith("links.")
    # installed cables between devices the plan keeps are all still there, untouched
    now = {c.id: c for c in plan.cables}
    devices = {d.id for d in plan.placement.devices}
    for c in installed.values():
        if c.a_device in devices and c.b_device in devices:
            assert now[c.id].label == c.label and now[c.id].stock_mm == c.stock_mm
    counts = plan.summary["changes"]
    assert counts["add"] == 0 and counts["reroute"] == 0
    # the same target under minimal re-wires them instead
    minimal = topo.plan(_on(gen1.model_copy(update={"fabric": fabric}), GEN1_PLAN))
    assert not [p for p in minimal.diagnostics if "rewire 'none'" in p.message]
    assert minimal.summary["changes"]["add"] > 0


def test_rewire_free_reports_the_full_difference(gen1):
    servers = gen1.servers.model_copy(update={"per_rack": 8})
    plan = topo.plan(_on(gen1.model_copy(update={"servers": servers}), GEN1_PLAN, rewire="free"))
    installed = read_plan(GEN1_PLAN)
    changes = plan.changes
    assert changes is not None
    by_action = defaultdict(set)
    for c in changes.cables:
        by_action[c.action].add(c.cable_id)
    # every cable of either plan is named once; the removed ones are gone from the plan
    assert by_action["keep"] | by_action["reroute"] | by_action["add"] == {
        c.id for c in plan.cables
    }
    assert by_action["remove"] | by_action["keep"] | by_action["reroute"] == {
        c.id for c in installed.cables
    }
    assert by_action["remove"] and not by_action["remove"] & {c.id for c in plan.cables}
    old = {c.id: c for c in installed.cables}
    for c in plan.cables:
        if c.id in by_action["keep"]:
            o = old[c.id]
            assert (c.label, c.media, c.stock_mm) == (o.label, o.media, o.stock_mm)


def _segments(route: str) -> list[str]:
    """Segment ids of a ``tray_route`` cell, read here without topo's parser."""
    out = []
    for run in filter(None, (r.strip() for r in route.split(">"))):
        m = re.fullmatch(r"(.+?)\.(\d+)(?:\.\.(\d+))?", run)
        assert m, run
        tray, lo, hi = m.group(1), int(m.group(2)), int(m.group(3) or m.group(2))
        step = 1 if hi >= lo else -1
        out += [f"{tray}.{k:03d}" for k in range(lo, hi + step, step)]
    return out


def test_kept_cables_count_in_the_tray_fill(gen1, tmp_path):
    """On trays tight enough that the kept cables matter, the new cables are routed
    around them: the fill summed from the written cables.csv stays within every limit."""
    floor = gen1.floor
    trays = tuple(t.model_copy(update={"depth": 0.015}) for t in floor.trays)
    tight = floor.model_copy(update={"trays": trays})
    first = topo.plan(gen1.model_copy(update={"floor": tight}))
    write_plan(first, tmp_path / "gen1")
    gen2 = topo.load_scenario(GEN2).model_copy(update={"floor": tight})
    plan = topo.plan(_on(gen2, tmp_path / "gen1"))
    write_plan(plan, tmp_path / "gen2")
    area = {m.id: m.area_mm2 for m in builtin_catalog().media}
    cables = _rows((tmp_path / "gen2" / "cables.csv").read_bytes())
    kept = {r["cable_id"] for r in _rows((tmp_path / "gen1" / "cables.csv").read_bytes())}
    load: dict[str, float] = defaultdict(float)
    kept_load: dict[str, float] = defaultdict(float)
    for r in cables:
        for s in _segments(r["tray_route"]):
            load[s] += area[r["media"]]
            if r["cable_id"] in kept:
                kept_load[s] += area[r["media"]]
    limits = {
        r["segment"]: float(r["area_mm2"]) * float(r["limit_pct"]) / 100
        for r in _rows((tmp_path / "gen2" / "trays.csv").read_bytes())
    }
    assert max(load[s] / limits[s] for s in load) > 0.9  # tight: the test means something
    assert all(load[s] <= limits[s] + 1e-6 for s in load)
    assert plan.summary["trays_over_limit"] == 0
    # the kept cables take a large share of the fullest trays
    full = [s for s in load if load[s] > 0.9 * limits[s]]
    assert any(kept_load[s] > 0.3 * load[s] for s in full)


def test_existing_needs_a_folder_read_from_the_scenario_file(tmp_path):
    data = {
        "name": "x",
        "floor": "enterprise-hall",
        "servers": {"model": "srv-1u-2x25g"},
        "fabric": {
            "kind": "spine-leaf",
            "leaf": {"model": "tor-48x25g-8x100g"},
            "spine": {"model": "sw-64x400g-1u"},
        },
    }
    scenario = parse_scenario({**data, "existing": "gen1-plan/"})
    with pytest.raises(ScenarioError, match="existing"):
        resolve_existing(scenario, base_dir=tmp_path, allow_paths=False)
    with pytest.raises(ScenarioError, match="not a folder"):
        resolve_existing(scenario, base_dir=tmp_path, allow_paths=True)
    with pytest.raises(ScenarioError, match="was not found"):
        topo.plan(scenario)
    assert "existing" in [p.location for p in topo.validate_scenario(scenario)]


def test_a_stored_plan_given_as_files_is_the_same_installed_plan(gen2_plan):
    """What the HTTP API does with ``existing: {plan: <id>}``: the stored plan's files,
    given with the scenario, plan exactly as its folder does."""
    stored = parse_scenario(
        {**topo.load_scenario(GEN2).model_dump(mode="json"), "existing": {"plan": "g1"}}
    )
    assert stored.existing == ExistingPlan(plan="g1")
    with pytest.raises(ScenarioError, match="stored by the topo HTTP API") as refused:
        topo.plan(stored)
    assert [p.location for p in refused.value.problems] == ["existing.plan"]
    with pytest.raises(ScenarioError, match="reads a plan folder"):
        resolve_existing(stored, allow_paths=True)
    assert resolve_existing(stored, allow_paths=False) is stored  # the API reads it
    files = {n: (GEN1_PLAN / n).read_bytes() for n in ("scenario.yaml", "plan.json", "cables.csv")}
    plan = topo.plan(attach_installed(stored, files))
    got, want = render_plan(plan), render_plan(gen2_plan)
    assert set(got) == set(want)
    assert {n for n in got if got[n] != want[n]} == {"scenario.yaml"}


def test_a_plan_on_an_installed_one_is_reproducible(gen2_plan):
    assert render_plan(topo.plan(topo.load_scenario(GEN2))) == render_plan(gen2_plan)


def test_a_breakout_assembly_that_gains_legs_is_one_cable_again(gen1, tmp_path):
    """With 4 spines, generation 1's last breakout cage of each spine has 2 of its 4
    legs used; generation 2 adds the other two: the assembly is planned again as a whole
    (its installed legs keep their ids), under none its new legs wait."""
    fabric = gen1.fabric.model_copy(
        update={"spine": gen1.fabric.spine.model_copy(update={"count": 4})}
    )
    first = topo.plan(gen1.model_copy(update={"fabric": fabric}))
    write_plan(first, tmp_path)
    gen2 = topo.load_scenario(GEN2)
    gen2 = gen2.model_copy(update={"fabric": fabric})
    plan = topo.plan(_on(gen2, tmp_path))
    changes = plan.changes
    assert changes is not None
    rerouted = {c.cable_id for c in changes.cables if c.action == "reroute"}
    assert rerouted and all(
        "." in c.a_port + c.b_port for c in changes.cables if c.cable_id in rerouted
    )
    # every cage's legs share one media and stock length
    cages: dict[tuple[str, str], set[tuple[str, int]]] = defaultdict(set)
    for c in plan.cables:
        for device, port in ((c.a_device, c.a_port), (c.b_device, c.b_port)):
            if "." in port:
                cages[(device, port.split(".")[0])].add((c.media, c.stock_mm))
    assert cages and all(len(v) == 1 for v in cages.values())
    # the other installed cables are kept byte for byte
    before = _rows((tmp_path / "cables.csv").read_bytes())
    after = {r["cable_id"]: r for r in _rows(render_plan(plan)["cables.csv"])}
    for r in before:
        if r["cable_id"] not in rerouted:
            assert after[r["cable_id"]] == r
    none = topo.plan(_on(gen2, tmp_path, rewire="none"))
    waiting = [p for p in none.diagnostics if "breakout assembly" in p.message]
    assert len(waiting) == len(rerouted)
    assert none.summary["changes"]["reroute"] == 0


_COMPUTE = tuple(f"A{k:02d}" for k in range(1, 11)) + tuple(
    f"B{k:02d}" for k in range(1, 11) if k != 5
)
"""Generation 1's compute racks (B05 is a network rack)."""


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    emptied=st.sets(st.sampled_from(_COMPUTE), min_size=1, max_size=5),
    grow=st.booleans(),
)
def test_installed_cables_of_kept_devices_stay_on_their_ports(gen1, emptied, grow):
    """Whatever racks are emptied (and whether row C is added), under minimal every
    installed cable whose two devices stay is kept as it is, the others are removed, and
    no port carries two cables."""
    racks = tuple(r for r in _COMPUTE if r not in emptied) + (("C",) if grow else ())
    servers = gen1.servers.model_copy(update={"racks": racks})
    plan = topo.plan(_on(gen1.model_copy(update={"servers": servers}), GEN1_PLAN))
    rows = _rows(render_plan(plan)["changes.csv"])
    gone = {r["cable_id"] for r in rows if r["action"] == "remove"}
    installed = _rows((GEN1_PLAN / "cables.csv").read_bytes())
    assert gone == {r["cable_id"] for r in installed if {r["a_rack"], r["b_rack"]} & emptied}
    assert not {r["action"] for r in rows} & {"reroute"}
    assert ({r["action"] for r in rows} >= {"add"}) == grow
    ports: set[tuple[str, str]] = set()
    for c in plan.cables:
        for end in ((c.a_device, c.a_port), (c.b_device, c.b_port)):
            assert end not in ports, end
            ports.add(end)
