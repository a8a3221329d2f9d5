"""containerlab export: the lab file is valid for containerlab's own JSON Schema and holds
exactly the plan's switch-to-switch cables (InfiniBand and management ports aside)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
import yaml

import topo
from tests.topo.outputs.interop import assert_sample_of, readme_sample, renamed
from topo.errors import ExportError
from topo.outputs.containerlab import plan_to_containerlab
from topo.plan import Plan

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((Path(__file__).parent / "data" / "clab.schema.json").read_text())
# not jsonschema.validate: it checks the schema's own patterns first, and a few (unused by
# topo's labs) are written for Go's regexp (\p{N}), which Python's re does not read
CLAB = jsonschema.Draft7Validator(SCHEMA)
NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-._]*$")  # node names: schema pattern, no '|'
CEOS_PORT = re.compile(r"^eth(\d+)(?:_(\d+))?$")


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {
        name: topo.plan(topo.load_scenario(ROOT / "examples" / f"{name}.yaml"))
        for name in ("enterprise-hall", "ai-pod")
    }


def _lab(plan: Plan, **kw) -> tuple[dict, str]:
    files = plan_to_containerlab(plan, **kw)
    assert list(files) == ["lab.clab.yml"]
    text = files["lab.clab.yml"].decode()
    return yaml.safe_load(text), text


def _port(cable_port: str) -> tuple[int, int]:
    """cables.csv's port ('49', '03.2') as (port, lane)."""
    port, _, lane = cable_port.partition(".")
    return int(port), int(lane or 0)


def _expected_links(plan: Plan) -> Counter:
    """The plan's cables between two non-InfiniBand switches, management ports aside,
    as unordered pairs of (device, port, lane) ends."""
    devices = plan.placement.device_index()

    def switch(d: str) -> bool:
        return devices[d].role not in ("server", "appliance") and not devices[d].model.startswith(
            "ib-"
        )

    return Counter(
        frozenset({(c.a_device, *_port(c.a_port)), (c.b_device, *_port(c.b_port))})
        for c in plan.cables
        if switch(c.a_device) and switch(c.b_device) and "mgmt" not in (c.a_port, c.b_port)
    )


def _lab_links(lab: dict) -> Counter:
    out: Counter = Counter()
    for link in lab["topology"].get("links", []):
        ends = []
        for ep in link["endpoints"]:
            node, _, iface = ep.partition(":")
            m = CEOS_PORT.match(iface)
            assert m, ep
            ends.append((node, int(m[1]), int(m[2] or 0)))
        out[frozenset(ends)] += 1
    return out


@pytest.mark.parametrize("name", ["enterprise-hall", "ai-pod"])
def test_lab_is_valid_for_containerlabs_schema(plans, name):
    lab, _ = _lab(plans[name])
    CLAB.validate(lab)
    assert lab["name"] == name
    assert all(NAME.match(n) for n in lab["topology"]["nodes"])


@pytest.mark.parametrize("name", ["enterprise-hall", "ai-pod"])
def test_links_are_the_plans_switch_cables(plans, name):
    plan = plans[name]
    lab, _ = _lab(plan)
    got = _lab_links(lab)
    assert got == _expected_links(plan)
    assert sum(got.values()) > 0
    nodes = lab["topology"]["nodes"]
    ends = [ep for link in lab["topology"]["links"] for ep in link["endpoints"]]
    assert {ep.partition(":")[0] for ep in ends} <= set(nodes)
    assert len(ends) == len(set(ends)), "an interface is used twice"


def test_every_switch_but_infiniband_is_a_ceos_node(plans):
    plan = plans["ai-pod"]
    lab, text = _lab(plan)
    nodes = lab["topology"]["nodes"]
    switches = {d.id for d in plan.placement.devices if d.role not in ("server", "appliance")}
    ib = {d for d in switches if d.startswith("compute-")}
    assert len(ib) == 48
    assert set(nodes) == switches - ib
    assert {n["kind"] for n in nodes.values()} == {"arista_ceos"}
    assert lab["topology"]["kinds"]["arista_ceos"]["image"]
    # the header says what was left out and why
    assert "InfiniBand switches (48 of network 'compute')" in text
    assert "links to management ports" in text


def test_servers_join_as_linux_nodes_on_request(plans):
    plan = plans["ai-pod"]
    lab, text = _lab(plan, servers=True)
    CLAB.validate(lab)
    nodes = lab["topology"]["nodes"]
    hosts = {d.id for d in plan.placement.devices if d.role in ("server", "appliance")}
    assert {n for n, v in nodes.items() if v["kind"] == "linux"} == hosts
    # server NIC links to the Ethernet (storage) leaves are wired; to InfiniBand ones not
    devices = plan.placement.device_index()
    storage = [
        c
        for c in plan.cables
        if c.fabric == "storage" and devices[c.a_device].role in ("server", "appliance")
    ]
    got = {tuple(x["endpoints"]) for x in lab["topology"]["links"]}
    for c in storage:
        a, (p, lane) = c.a_device, _port(c.a_port)
        assert lane == 0
        assert any(e[0] == f"{a}:eth{p}" for e in got), c.label
    assert not any("compute-" in e for x in got for e in x)
    assert "Servers are left out" not in text


def test_a_plan_of_infiniband_switches_only_is_refused():
    data = yaml.safe_load((ROOT / "examples" / "ai-pod.yaml").read_text())
    data["fabrics"] = [f for f in data["fabrics"] if f["name"] == "compute"]
    plan = topo.plan(topo.parse_scenario(data))
    with pytest.raises(ExportError, match=r"'ai-pod'.*48 InfiniBand switches"):
        plan_to_containerlab(plan)


def test_same_plan_gives_identical_bytes(plans):
    again = topo.plan(topo.load_scenario(ROOT / "examples" / "ai-pod.yaml"))
    assert plan_to_containerlab(again) == plan_to_containerlab(plans["ai-pod"])


def test_node_names_are_made_valid_unique_and_stable(plans):
    odd = renamed(plans["enterprise-hall"], {"leaf-A01": "leaf:A01", "leaf-A02": "leaf/A01"})
    lab, _ = _lab(odd)
    CLAB.validate(lab)
    nodes = lab["topology"]["nodes"]
    assert "leaf-A01" in nodes and "leaf-A01-2" in nodes  # 'leaf/A01' sorts first
    assert nodes["leaf-A01"]["labels"]["topo.rack"] == "A02"
    used = Counter(ep.partition(":")[0] for x in lab["topology"]["links"] for ep in x["endpoints"])
    assert used["leaf-A01"] == used["leaf-A01-2"] == 8
    assert plan_to_containerlab(odd) == plan_to_containerlab(odd)


def test_readme_sample_is_the_enterprise_hall_output(plans):
    _, text = _lab(plans["enterprise-hall"])
    assert_sample_of(readme_sample("containerlab"), text)


def test_kind_and_interface_names_follow_the_manufacturer():
    """NVIDIA spines become Cumulus VX nodes (``swp1s0`` is lane 1 of port 1), the
    leaves with no manufacturer stay cEOS."""
    data = yaml.safe_load((ROOT / "examples" / "enterprise-hall.yaml").read_text())
    data["catalog"] = {"sourcing": {"sw-64x400g-1u": {"manufacturer": "NVIDIA"}}}
    plan = topo.plan(topo.parse_scenario(data))
    lab, _ = _lab(plan)
    CLAB.validate(lab)
    nodes = lab["topology"]["nodes"]
    assert {n: v["kind"] for n, v in nodes.items() if n.startswith("spine")} == {
        f"spine-0{i}": "nvidia_cumulusvx" for i in range(1, 5)
    }
    assert nodes["leaf-A01"]["kind"] == "arista_ceos"
    assert set(lab["topology"]["kinds"]) == {"arista_ceos", "nvidia_cumulusvx"}
    ends = {ep for x in lab["topology"]["links"] for ep in x["endpoints"]}
    assert "spine-01:swp1s0" in ends and "spine-01:swp1s3" in ends
    assert "leaf-A01:eth49" in ends
    first = next(c for c in plan.cables if c.a_device == "leaf-A01" and c.b_device == "spine-01")
    assert (first.a_port, first.b_port) == ("49", "01.1")
    assert ["leaf-A01:eth49", "spine-01:swp1s0"] in [
        x["endpoints"] for x in lab["topology"]["links"]
    ]
