"""AVD export: AVD's own code (pyavd) accepts the inputs and builds from them switch
configurations whose point-to-point links are exactly the plan's cables."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

import topo
from tests.topo.outputs.interop import assert_sample_of, readme_sample, renamed
from topo.errors import ExportError
from topo.outputs.avd import plan_to_avd
from topo.plan import Plan

pyavd = pytest.importorskip("pyavd")  # in the dev extra: CI always runs these tests

ROOT = Path(__file__).resolve().parents[3]
UPLINK_TIERS = {"leaf-spine", "spine-core"}
HOSTNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")


def _example(name: str) -> Plan:
    return topo.plan(topo.load_scenario(ROOT / "examples" / f"{name}.yaml"))


def _variant(fabric: dict[str, Any], **extra: Any) -> Plan:
    data = yaml.safe_load((ROOT / "examples" / "enterprise-hall.yaml").read_text())
    return topo.plan(topo.parse_scenario({**data, "fabric": fabric, **extra}))


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    k8 = {
        "id": "k8",
        "name": "8 x 100G",
        "height_u": 1,
        "power_w": 10,
        "cost_usd": 1,
        "ports": [{"count": 8, "speed_gbps": 100}],
    }
    node = {
        "id": "node",
        "name": "1 x 100G",
        "height_u": 1,
        "power_w": 100,
        "nic_ports": 1,
        "nic_speed_gbps": 100,
    }
    return {
        "enterprise-hall": _example("enterprise-hall"),
        "ai-hall-spine-leaf": _example("ai-hall-spine-leaf"),
        "ai-pod": _example("ai-pod"),
        # a 3-tier Clos (cores become AVD super spines): an 8-ary fat tree, 64 servers
        "clos-3-tier": _variant(
            {
                "kind": "clos",
                "name": "dc",
                "tiers": 3,
                "leaf": {"model": "k8"},
                "spine": {"model": "k8"},
            },
            catalog={"switches": [k8], "servers": [node]},
            servers={"model": "node", "per_rack": 4, "count": 64},
        ),
        # two leaves a rack joined by two peer links: MLAG pairs
        "mlag": _variant(
            {
                "kind": "spine-leaf",
                "name": "dc",
                "spine": {"model": "sw-64x400g-1u", "count": 2},
                "leaf": {"model": "tor-48x25g-8x100g", "per_rack": 2, "peer_links": 2},
            },
            servers={"model": "srv-1u-2x25g", "per_rack": 12, "count": 96},
        ),
    }


def hostvars(files: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """Each inventory host's variables as Ansible gives them to AVD: the group_vars files
    of its groups, outermost group first, each top-level key replacing the last."""
    inventory = yaml.safe_load(files["inventory.yml"])
    chains: dict[str, list[str]] = {}

    def walk(group: str, node: dict | None, chain: list[str]) -> None:
        chain = [*chain, group]
        for host in (node or {}).get("hosts") or {}:
            chains[host] = chain
        for child, sub in ((node or {}).get("children") or {}).items():
            walk(child, sub, chain)

    walk("all", inventory["all"], [])
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    groups = {
        name.removeprefix("group_vars/").removesuffix(".yml"): yaml.load(data, Loader=loader)
        for name, data in files.items()
        if name.startswith("group_vars/")
    }
    out = {}
    for host, chain in chains.items():
        merged: dict[str, Any] = {"inventory_hostname": host}
        for group in chain:
            merged.update(groups.get(group, {}))
        out[host] = merged
    return out


def validated(files: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """pyavd's validation of every host's inputs; fails on any violation."""
    out = {}
    for host, hv in hostvars(files).items():
        result = pyavd.validate_inputs(hv)
        problems = [
            f"{'.'.join(map(str, v.path))}: {v.message}"
            for v in result.validation_result.violations
        ]
        assert problems == [], host
        assert result.validated_data is not None
        out[host] = result.validated_data
    return out


def _eos(cable_port: str) -> str:
    """cables.csv's port ('49', '03.2') as its EOS interface name."""
    port, _, lane = cable_port.partition(".")
    return f"Ethernet{int(port)}/{int(lane)}" if lane else f"Ethernet{int(port)}"


def planned(plan: Plan, tiers: set[str]) -> Counter:
    """The plan's cables of ``tiers`` as unordered pairs of (device, EOS interface)."""
    return Counter(
        frozenset({(c.a_device, _eos(c.a_port)), (c.b_device, _eos(c.b_port))})
        for c in plan.cables
        if c.tier in tiers
    )


def _node(hv: dict[str, Any], host: str) -> dict[str, Any]:
    """A host's node settings with its node type's defaults and node group filled in."""
    settings = hv[{"spine": "spine", "l3leaf": "l3leaf", "super-spine": "super_spine"}[hv["type"]]]
    for group in settings.get("node_groups", []):
        for n in group["nodes"]:
            if n["name"] == host:
                return {
                    **settings["defaults"],
                    **{k: v for k, v in group.items() if k != "nodes"},
                    **n,
                }
    (n,) = [n for n in settings.get("nodes", []) if n["name"] == host]
    return {**settings["defaults"], **n}


@pytest.mark.parametrize("name", ["enterprise-hall", "ai-hall-spine-leaf", "ai-pod"])
def test_inputs_pass_pyavds_validation_and_uplinks_are_the_plans_cables(plans, name):
    plan = plans[name]
    files = plan_to_avd(plan)
    validated(files)
    hv = hostvars(files)
    got: Counter = Counter()
    for host, v in hv.items():
        node = _node(v, host)
        ups = [
            node.get(k, [])
            for k in ("uplink_interfaces", "uplink_switches", "uplink_switch_interfaces")
        ]
        assert len({len(u) for u in ups}) == 1, host
        for mine, peer, theirs in zip(*ups, strict=True):
            got[frozenset({(host, mine), (peer, theirs)})] += 1
    want = planned(plan, UPLINK_TIERS)
    if name == "ai-pod":  # the storage fabric only
        want = Counter({k: n for k, n in want.items() if all("storage" in d for d, _ in k)})
    assert got == want
    assert sum(got.values()) > 0


@pytest.mark.parametrize("name", ["enterprise-hall", "clos-3-tier", "mlag"])
def test_avd_builds_configurations_wired_as_planned(plans, name):
    """pyavd's facts and structured configurations: every routed point-to-point and MLAG
    interface AVD configures names the peer and peer interface of a planned cable."""
    plan = plans[name]
    inputs = validated(plan_to_avd(plan))
    facts = pyavd.get_avd_facts(inputs)
    got: Counter = Counter()
    for host in sorted(inputs):
        config = pyavd.get_device_structured_config(host, inputs[host], facts)._as_dict()
        for eth in config.get("ethernet_interfaces", []):
            meta = eth.get("metadata", {})
            if "peer_interface" in meta:
                got[frozenset({(host, eth["name"]), (meta["peer"], meta["peer_interface"])})] += 1
    # AVD writes each link at both ends
    assert got == Counter(
        {k: 2 * n for k, n in planned(plan, UPLINK_TIERS | {"leaf-peer"}).items()}
    )
    if name == "mlag":
        assert any(c.tier == "leaf-peer" for c in plan.cables)


def test_three_tiers_map_to_super_spines_and_spine_uplinks(plans):
    plan = plans["clos-3-tier"]
    files = plan_to_avd(plan)
    fabric = yaml.safe_load(files["group_vars/DC.yml"])
    cores = {d.id for d in plan.placement.devices if d.role == "core"}
    assert {n["name"] for n in fabric["super_spine"]["nodes"]} == cores
    assert yaml.safe_load(files["group_vars/DC_SUPER_SPINES.yml"]) == {"type": "super-spine"}
    # one AS a pod: the spines of a pod share it, no two pods do
    pod_of = {d.id: d.group for d in plan.placement.devices if d.role == "spine"}
    as_of = {n["name"]: n["bgp_as"] for n in fabric["spine"]["nodes"]}
    assert set(as_of) == set(pod_of)
    pairs = {(pod_of[s], as_of[s]) for s in as_of}
    assert len(pairs) == len({p for p, _ in pairs}) == len({a for _, a in pairs}) == 4


def test_mlag_pairs_are_node_groups_of_two(plans):
    plan = plans["mlag"]
    leaf = yaml.safe_load(plan_to_avd(plan)["group_vars/DC.yml"])["l3leaf"]
    peers = {frozenset({c.a_device, c.b_device}) for c in plan.cables if c.tier == "leaf-peer"}
    groups = leaf["node_groups"]
    assert {frozenset(n["name"] for n in g["nodes"]) for g in groups} == peers
    assert len({g["bgp_as"] for g in groups}) == len(groups)
    assert all(len(n["mlag_interfaces"]) == 2 for g in groups for n in g["nodes"])


def test_infiniband_and_management_networks_are_skipped_and_named(plans):
    files = plan_to_avd(plans["ai-pod"])
    assert sorted(files) == [
        "group_vars/STORAGE.yml",
        "group_vars/STORAGE_L3_LEAVES.yml",
        "group_vars/STORAGE_SPINES.yml",
        "inventory.yml",
    ]
    header = files["inventory.yml"].decode().split("---")[0]
    assert "'compute': InfiniBand switches (ib-64x400g-1u) run no EOS" in header
    assert "'oob': a management network" in header
    assert not any(h.startswith(("compute-", "oob-")) for h in hostvars(files))


def test_a_plan_without_ethernet_fabric_is_refused():
    data = yaml.safe_load((ROOT / "examples" / "ai-pod.yaml").read_text())
    data["fabrics"] = [f for f in data["fabrics"] if f["name"] != "storage"]
    plan = topo.plan(topo.parse_scenario(data))
    with pytest.raises(ExportError, match=r"'ai-pod'.*'compute': InfiniBand.*'oob'"):
        plan_to_avd(plan)


def test_same_plan_gives_identical_bytes_and_platform_is_written(plans):
    again = _example("ai-pod")
    assert plan_to_avd(again) == plan_to_avd(plans["ai-pod"])
    fabric = yaml.safe_load(plan_to_avd(again, platform="7060X5")["group_vars/STORAGE.yml"])
    assert fabric["spine"]["defaults"]["platform"] == "7060X5"
    assert fabric["l3leaf"]["defaults"]["platform"] == "7060X5"


def test_hostnames_are_made_valid_and_unique(plans):
    odd = renamed(plans["enterprise-hall"], {"leaf-A01": "leaf:A01", "leaf-A02": "leaf/A01"})
    files = plan_to_avd(odd)
    hosts = hostvars(files)
    assert all(HOSTNAME.match(h) for h in hosts)
    assert {"leaf-A01", "leaf-A01-2"} <= set(hosts)
    validated(files)


def test_readme_sample_is_the_enterprise_hall_output(plans):
    output = plan_to_avd(plans["enterprise-hall"])["group_vars/DC.yml"].decode()
    assert_sample_of(readme_sample("Arista AVD"), output)
