"""Several networks over one set of servers: scenario format, management, plan summary,
breakout legs and rack room."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from topo.errors import FabricError, InfeasibleError, ScenarioError
from topo.outputs.exports import plan_to_json
from topo.planner import plan, validate_scenario
from topo.scenario import load_scenario, parse_scenario

EXAMPLES = sorted(
    p
    for p in (Path(__file__).parents[3] / "examples").glob("*.yaml")
    if not p.name.startswith("sweep-")  # sweeps, not scenarios: see test_batch.py
)

POD = {
    "name": "pod",
    "floor": "ai-hall",
    "servers": [
        {"model": "gpu-8x400g-8u", "per_rack": 4, "racks": ["A01", "A02", "A03", "A04"]},
        {"model": "stor-2u-2x400g", "per_rack": 4, "racks": ["A05"]},
    ],
    "fabrics": [
        {"name": "compute", "kind": "rail-optimized", "su_nodes": 16,
         "leaf": {"model": "ib-64x400g-1u"}, "spine": {"model": "ib-64x400g-1u"}},
        {"name": "storage", "kind": "clos", "nics": "storage",
         "leaf": {"model": "sw-64x400g-1u", "placement": "end-of-row"},
         "spine": {"model": "sw-64x800g-2u"}},
        {"name": "oob", "kind": "management", "switch": {"model": "mgmt-48x1g-4x10g"}},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def pod_plan():
    return plan(parse_scenario(POD))


def test_each_network_has_its_own_switches_and_cables(pod_plan, fabric_ok):
    s = pod_plan.summary
    assert list(s["fabrics"]) == ["compute", "storage", "oob"]
    compute, storage, oob = (s["fabrics"][n] for n in ("compute", "storage", "oob"))
    assert compute["devices"] == {"leaf": 8, "server": 16, "spine": 4}
    assert compute["cables_by_tier"] == {"leaf-spine": 256, "server-leaf": 128}
    # 16 GPU nodes x 2 + 4 storage servers x 2 = 40 ports -> 2 end-of-row leaves
    assert storage["devices"] == {"leaf": 2, "server": 20, "spine": 1}
    assert storage["cables_by_tier"]["server-leaf"] == 40
    # every placed device's management port: 20 servers + 15 switches
    assert oob["cables_by_tier"] == {"device-mgmt": 35}
    assert oob["devices"]["mgmt"] == 5 + 1  # one per rack with devices (A01-A05, A09)
    # the totals are the sums
    assert s["devices"]["leaf"] == 10 and s["devices"]["server"] == 20
    assert s["cables_by_tier"]["server-leaf"] == 168
    assert s["cables"] == sum(f["links"] for f in s["fabrics"].values())
    fabric_ok(pod_plan.fabric)
    # storage NICs are ports 9-10 of the GPU nodes, 1-2 of the storage servers
    ports = {(x.a.device, x.a.port) for x in pod_plan.fabric.links if x.fabric == "storage"}
    assert ("srv-A01-01", 9) in ports and ("srv-A05-01", 1) in ports
    # all networks share the trays: fill counts every cable that passes
    assert sum(f.cables for f in pod_plan.fills) >= sum(1 for c in pod_plan.cables if c.segments)


def test_switch_ids_carry_the_network_name(pod_plan):
    ids = {d.id for d in pod_plan.placement.devices}
    assert {"compute-su01-rail1", "storage-leaf-A-01", "oob-mgmt-A01"} <= ids
    mgmt = pod_plan.placement.device_index()["oob-mgmt-A01"]
    assert mgmt.rack == "A01" and mgmt.u == 48


def test_plan_json_reports_each_fabric_and_tier(pod_plan):
    doc = json.loads(plan_to_json(pod_plan))
    fabrics = doc["summary"]["fabrics"]
    assert fabrics["compute"]["kind"] == "rail-optimized" and fabrics["compute"]["tiers"] == 2
    # 16 nodes in one unit of 16: 8 rail leaves x 32 uplinks over 4 spines, 8 links a pair
    assert fabrics["compute"]["shape"] == {
        "units": 1, "pods": 1, "spines": 4, "leaf_spine_links_per_pair": 8,
    }  # fmt: skip
    assert fabrics["storage"]["shape"]["units"] == 2 and "shape" not in fabrics["oob"]
    assert set(doc["summary"]) >= {"devices", "cables_by_tier", "links", "cables"}


def test_breakout_legs_of_one_cage_share_media_and_length(pod_plan):
    """The 800G storage spine serves 400G leaf uplinks as 2 legs per cage."""
    legs: dict[tuple[str, str], set[tuple[str, int]]] = {}
    for c in pod_plan.cables:
        if c.b_device.startswith("storage-spine") and "." in c.b_port:
            legs.setdefault((c.b_device, c.b_port.split(".")[0]), set()).add((c.media, c.stock_mm))
    assert legs and all(len(v) == 1 for v in legs.values())


def test_single_fabric_key_still_works_and_both_keys_are_an_error():
    one = dict(POD, fabric=POD["fabrics"][0])
    del one["fabrics"]
    sc = parse_scenario(one)
    assert [n.name for n in sc.networks] == ["compute"]
    with pytest.raises(ScenarioError, match="either `fabric` or `fabrics`"):
        parse_scenario(dict(POD, fabric=POD["fabrics"][0]))
    with pytest.raises(ScenarioError, match=r"fabric names must differ; \['a'\]"):
        parse_scenario(dict(POD, fabrics=[dict(f, name="a") for f in POD["fabrics"][:2]]))


def test_two_networks_on_the_same_nic_ports_are_an_error():
    clash = dict(POD, fabrics=[POD["fabrics"][0], dict(POD["fabrics"][1], nics="compute")])
    with pytest.raises(FabricError):
        plan(parse_scenario(clash))


def test_a_rack_without_room_is_named_with_the_units_needed():
    """Five 8U nodes (40U) and a ToR leaf fit 48U; a sixth node does not."""
    sc = dict(POD, servers={"model": "gpu-8x400g-8u", "per_rack": 6, "racks": ["A01"]})
    sc["fabrics"] = [POD["fabrics"][0]]
    problems = validate_scenario(parse_scenario(sc))
    assert any(
        p.location == "floor.racks.A01"
        and "needs 61.2 kW" in p.message
        and "has 50.0 kW" in p.message
        for p in problems
    ), problems


def test_racks_that_cannot_hold_one_server_are_named():
    sc = dict(POD, servers={"model": "gpu-8x400g-8u", "racks": ["A01"]}, floor="enterprise-hall")
    sc["fabrics"] = [POD["fabrics"][0]]
    with pytest.raises(FabricError, match=r"rack 'A01' \(.*\) cannot hold one 'gpu-8x400g-8u'"):
        plan(parse_scenario(sc))


def test_ai_pod_example_is_a_rail_pod_with_three_networks():
    result = plan(load_scenario(Path(__file__).parents[3] / "examples" / "ai-pod.yaml"))
    s = result.summary
    assert set(s["fabrics"]) == {"compute", "storage", "oob"} and s["unrouted"] == 0
    assert s["fabrics"]["compute"]["devices"] == {"leaf": 32, "server": 128, "spine": 16}
    assert s["fabrics"]["compute"]["cables_by_tier"] == {"leaf-spine": 1024, "server-leaf": 1024}
    assert Counter(d.role for d in result.placement.devices)["mgmt"] > 30
    assert s["trays_over_limit"] == 0


def test_rail_leaves_pinned_to_a_full_rack_name_it_with_the_shortfall():
    """A05 holds 4 nodes (40.8 kW of 50 kW); of 16 rail leaves (750 W each) 12 fit."""
    leaf = {"model": "ib-64x400g-1u", "racks": ["A05"]}
    gpu = {"model": "gpu-8x400g-8u", "per_rack": 4, "racks": ["A01", "A02", "A03", "A04", "A05"]}
    sc = dict(POD, servers=[gpu], fabrics=[dict(POD["fabrics"][0], leaf=leaf)])
    with pytest.raises(InfeasibleError) as exc:
        plan(parse_scenario(sc))
    text = str(exc.value)
    assert (
        "do not fit in racks 'A05': they need 4U and 3.0 kW, the racks have 4U and 0.2 kW" in text
    )


def test_schema_stays_valid_and_accepts_both_scenario_shapes():
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    from topo.scenario import Scenario

    schema = Scenario.model_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in EXAMPLES:
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    kinds = schema["$defs"]["RailIntent"]["properties"]["kind"]
    assert kinds["const"] == "rail-optimized"


def test_an_appliance_on_four_rails_is_placed_cabled_and_in_the_bom():
    from topo.outputs.exports import plan_to_bom_csv

    sc = parse_scenario(
        {
            "floor": "ai-hall",
            "servers": {"model": "gpu-8x400g-8u", "per_rack": 4, "racks": ["A01", "A02"]},
            "fabric": {"kind": "rail-optimized", "su_nodes": 8,
                       "leaf": {"model": "ib-64x400g-1u"}, "spine": {"model": "ib-64x400g-1u"},
                       "appliances": [{"model": "ufm-1u-4x400g", "rails": [4, 5, 6, 7]}]},
            "options": {"routing": "shortest"},
        }
    )  # fmt: skip
    p = plan(sc)
    box = p.placement.device_index()["su01-appliance1"]
    assert box.rack is not None and box.u is not None
    cables = [c for c in p.cables if c.a_device == box.id]
    assert [c.b_device for c in cables] == [f"su01-rail{r}" for r in (5, 6, 7, 8)]
    assert all(c.status == "ok" for c in cables)
    assert "appliance,ufm-1u-4x400g," in plan_to_bom_csv(p)
