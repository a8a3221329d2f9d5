"""Whatever device ids a plan holds, the AVD and containerlab exports name every switch
validly and uniquely, and keep every link."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import topo
from tests.topo.outputs.interop import renamed
from topo.outputs.avd import plan_to_avd
from topo.outputs.containerlab import plan_to_containerlab
from topo.plan import Plan

ROOT = Path(__file__).resolve().parents[3]
CLAB_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-._]*$")
HOSTNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return topo.plan(topo.load_scenario(ROOT / "examples" / "enterprise-hall.yaml"))


@settings(max_examples=15, deadline=None)
@given(new=st.lists(st.text(min_size=1, max_size=80), min_size=6, max_size=6, unique=True))
def test_any_ids_give_valid_unique_names_and_every_link(plan, new):
    switches = sorted(d.id for d in plan.placement.devices if d.role != "server")
    chosen = ["leaf-A01", "leaf-A02", "leaf-B01", "spine-01", "spine-02", "spine-04"]
    taken = set(switches) - set(chosen)
    names = {old: n for old, n in zip(chosen, new, strict=True) if n not in taken}
    assume(len({names.get(i, i) for i in switches}) == len(switches))
    odd = renamed(plan, names)

    lab = yaml.safe_load(plan_to_containerlab(odd)["lab.clab.yml"])
    nodes = lab["topology"]["nodes"]
    assert len(nodes) == len(switches)
    assert all(CLAB_NAME.match(n) and len(n) <= 63 for n in nodes)
    ends = [ep for x in lab["topology"]["links"] for ep in x["endpoints"]]
    assert len(ends) == 2 * 304 and len(set(ends)) == len(ends)
    assert {ep.rpartition(":")[0] for ep in ends} == set(nodes)

    files = plan_to_avd(odd)
    inventory = yaml.safe_load(files["inventory.yml"])["all"]["children"]["DC"]["children"]
    hosts = [h for group in inventory.values() for h in group["hosts"]]
    assert len(hosts) == len(set(hosts)) == len(switches)
    assert all(HOSTNAME.match(h) for h in hosts)
    leaf = yaml.safe_load(files["group_vars/DC.yml"])["l3leaf"]
    uplinks = sum(len(n["uplink_switch_interfaces"]) for n in leaf["nodes"])
    assert uplinks == 304
    spines = {h for h in inventory["DC_SPINES"]["hosts"]}
    assert set(leaf["defaults"].get("uplink_switches", [])) <= spines
    for n in leaf["nodes"]:
        assert set(n.get("uplink_switches", [])) <= spines
