"""Clos fabrics sized from the switch radix: the textbook fat tree, the 2-tier bound,
pinned tiers and counts, planes and dual-homing."""

from __future__ import annotations

from collections import Counter

import pytest

from layouts.generate import row_id
from layouts.model import Floor, RackRow
from topo.catalog import (
    Catalog,
    CatalogOverrides,
    PortGroup,
    Server,
    SwitchModel,
    builtin_catalog,
    merge_catalog,
)
from topo.errors import FabricError
from topo.fabric.build import build_fabric
from topo.scenario import ClosIntent, CoreIntent, LeafIntent, ServerIntent, SpineIntent

NODE = Server(id="node", name="1 x 100G", height_u=1, power_w=100, nic_ports=1, nic_speed_gbps=100)
DUAL = Server(id="dual", name="2 x 100G", height_u=1, power_w=100, nic_ports=2, nic_speed_gbps=100)


def radix(k: int) -> Catalog:
    """The built-in catalog plus a ``k``-port 100G switch ``k{k}`` and 100G servers."""
    sw = SwitchModel(
        id=f"k{k}", name=f"{k} x 100G", height_u=1, power_w=100, cost_usd=1,
        ports=(PortGroup(count=k, speed_gbps=100),),
    )  # fmt: skip
    return merge_catalog(builtin_catalog(), CatalogOverrides(switches=(sw,), servers=(NODE, DUAL)))


def hall(racks: int) -> Floor:
    """``racks`` compute racks in rows of up to 50 (A01..A50, B01..), no network rack."""
    rows = []
    for i in range(0, racks, 50):
        rows.append(RackRow(id=row_id(i // 50), origin=(1, 1 + 3 * (i // 50)),
                            count=min(50, racks - i)))  # fmt: skip
    return Floor(outline=((0, 0), (40, 0), (40, 3 * len(rows) + 2), (0, 3 * len(rows) + 2)),
                 rows=tuple(rows))  # fmt: skip


def clos(k: int, **kw) -> ClosIntent:
    core = CoreIntent(count=kw.pop("cores", None))
    return ClosIntent(
        leaf=LeafIntent(model=f"k{k}", per_rack=kw.pop("per_rack", 1),
                        peer_links=kw.pop("peer_links", None)),
        spine=SpineIntent(model=f"k{k}", count=kw.pop("spines", None)),
        core=core,
        **kw,
    )  # fmt: skip


def roles(f) -> Counter[str]:
    return Counter(d.role for d in f.devices)


def tiers(f) -> Counter[str]:
    return Counter(x.tier for x in f.links)


@pytest.mark.parametrize("k", [4, 8, 16])
def test_k_ary_fat_tree_matches_the_textbook(k, fabric_ok):
    """k^3/4 hosts, k/2 per edge switch: k pods of k/2 edge and k/2 aggregation
    switches, (k/2)^2 cores, k^3/4 links at each of the three tiers."""
    hosts, half = k**3 // 4, k // 2
    floor = hall(hosts // half)
    f = build_fabric(clos(k), ServerIntent(model="node", per_rack=half), floor, radix(k))
    assert roles(f) == {"server": hosts, "leaf": k * half, "spine": k * half, "core": half**2}
    assert tiers(f) == {"server-leaf": hosts, "leaf-spine": hosts, "spine-core": hosts}
    pods = Counter(d.group for d in f.devices if d.role == "spine")
    assert len(pods) == k and set(pods.values()) == {half}
    assert f.parts[0].tiers == 3
    fabric_ok(f)


@pytest.mark.parametrize("k", [4, 8, 16])
def test_two_tiers_top_out_at_k_squared_over_two(k, fabric_ok):
    half = k // 2
    at_bound = build_fabric(clos(k), ServerIntent(model="node", per_rack=half), hall(k), radix(k))
    assert roles(at_bound) == {"server": k * k // 2, "leaf": k, "spine": half}
    assert at_bound.parts[0].tiers == 2
    fabric_ok(at_bound)
    # one more leaf of hosts needs three tiers; pinned to two it is an error saying so
    over = ServerIntent(model="node", per_rack=half)
    f3 = build_fabric(clos(k), over, hall(k + 1), radix(k))
    assert f3.parts[0].tiers == 3
    fabric_ok(f3)
    with pytest.raises(FabricError) as exc:
        build_fabric(clos(k, tiers=2), over, hall(k + 1), radix(k))
    (p,) = exc.value.problems
    assert p.location == "fabric.tiers"
    assert p.message.startswith(f"at radix {k} two tiers reach {k * k // 2} hosts")
    assert f"{(k + 1) * half} asked" in p.message and p.message.endswith("allow 3 tiers")


def test_radix_64_message_names_the_reach_and_the_way_out():
    cat = merge_catalog(
        radix(64),
        CatalogOverrides(servers=(NODE.model_copy(update={"id": "n32", "height_u": 1}),)),
    )
    with pytest.raises(FabricError, match=r"at radix 64 two tiers reach 2048 hosts.*"
                       r"3008 asked in 94 leaves; allow 3 tiers"):  # fmt: skip
        build_fabric(clos(64, tiers=2), ServerIntent(model="n32", per_rack=32), hall(94), cat)


def test_more_hosts_than_three_tiers_reach():
    """k=4: three tiers reach 16 hosts; 18 asked."""
    with pytest.raises(FabricError) as exc:
        build_fabric(clos(4), ServerIntent(model="node", per_rack=2), hall(9), radix(4))
    (p,) = exc.value.problems
    assert p.location == "fabric.spine.model"
    assert p.message.startswith("at radix 4 three tiers reach 16 hosts")
    assert "18 asked in 9 leaves" in p.message


def test_spines_round_up_to_keep_links_even_and_say_so(fabric_ok):
    """10 leaves x 32 uplinks need 5 spines of 64 ports; 5 does not divide 32 -> 8."""
    f = build_fabric(clos(64), ServerIntent(model="node", per_rack=32), hall(10), radix(64))
    assert roles(f)["spine"] == 8
    assert any("5 spines would have the ports" in n and "rounded up to 8" in n for n in f.notes)
    fabric_ok(f)


def test_pinned_spines_and_cores_are_checked(fabric_ok):
    cat, servers = radix(8), ServerIntent(model="node", per_rack=4)
    f = build_fabric(clos(8, spines=4, cores=16), servers, hall(32), cat)
    assert roles(f)["core"] == 16 and roles(f)["spine"] == 32
    fabric_ok(f)
    with pytest.raises(FabricError, match=r"fabric\.core\.count: 6 cores cannot be split "
                       r"evenly over the 4 spines of each pod; use a multiple of 4"):  # fmt: skip
        build_fabric(clos(8, cores=6), servers, hall(32), cat)
    with pytest.raises(FabricError, match=r"fabric\.core\.count: 8 cores \(2 per spine group\) "
                       r"do not fit.*use 16 cores"):  # fmt: skip
        build_fabric(clos(8, cores=8), servers, hall(32), cat)
    with pytest.raises(FabricError, match=r"fabric\.spine\.count: 5 spines per pod, but each "
                       r"leaf has 4 uplinks at 100G; at most 4"):  # fmt: skip
        build_fabric(clos(8, spines=5), servers, hall(32), cat)


def test_planes_are_independent_copies_kept_apart_by_redundancy_keys(fabric_ok):
    f = build_fabric(clos(8, planes=2), ServerIntent(model="dual", per_rack=4), hall(4), radix(8))
    leaves = sorted(d.id for d in f.devices if d.role == "leaf")
    assert leaves[:2] == ["p1-leaf-A01", "p1-leaf-A02"] and leaves[-1] == "p2-leaf-A04"
    down = [x for x in f.links if x.tier == "server-leaf"]
    srv = [x for x in down if x.a.device == "srv-A01-01"]
    assert [(x.a.port, x.b.device) for x in srv] == [(1, "p1-leaf-A01"), (2, "p2-leaf-A01")]
    assert {x.redundancy for x in srv} == {"srv-A01-01"}
    up = Counter(x.redundancy for x in f.links if x.tier == "leaf-spine")
    assert set(up.values()) == {2}  # link n of plane 1 and of plane 2 share a key
    fabric_ok(f)
    with pytest.raises(FabricError, match=r"fabric\.planes: 3 planes need the 2 NIC ports"):
        build_fabric(clos(8, planes=3), ServerIntent(model="dual", per_rack=4), hall(4), radix(8))


def test_dual_homed_servers_with_a_peer_link(fabric_ok):
    f = build_fabric(
        clos(16, per_rack=2, peer_links=2),
        ServerIntent(model="dual", per_rack=6),
        hall(3),
        radix(16),
    )
    peers = [x for x in f.links if x.tier == "leaf-peer"]
    assert [(x.a.device, x.b.device, x.a.port, x.b.port) for x in peers[:2]] == [
        ("leaf-A01-1", "leaf-A01-2", 15, 15),
        ("leaf-A01-1", "leaf-A01-2", 16, 16),
    ]
    assert len(peers) == 6
    srv = [x for x in f.links if x.a.device == "srv-A01-01"]
    assert {x.b.device for x in srv} == {"leaf-A01-1", "leaf-A01-2"}
    assert any("3 spines x 2 links, 2 for peer links" in n for n in f.notes)
    fabric_ok(f)


def test_leaf_lacking_the_server_speed():
    with pytest.raises(FabricError, match=r"fabric\.leaf\.model: leaf 'sw-64x800g-2u' has no "
                       r"down port at 25G"):  # fmt: skip
        build_fabric(
            ClosIntent(leaf=LeafIntent(model="sw-64x800g-2u"),
                       spine=SpineIntent(model="sw-64x800g-2u")),
            ServerIntent(model="srv-1u-2x25g", per_rack=4), hall(2), builtin_catalog(),
        )  # fmt: skip


def test_pinned_pod_size_and_an_oversized_core_mesh(fabric_ok):
    """k=8, 64 hosts on 16 leaves: three tiers, by default 4 pods of 4 leaves; pinned to
    pods of 2 leaves: 8 pods of 2 spines (2 links per leaf-spine pair), 2 core groups of
    4 cores. A full spine-core mesh would need 16 spines on 8-port cores: named."""
    floor = hall(16)
    node = ServerIntent(model="node", per_rack=4)
    default = dict(build_fabric(clos(8), node, floor, radix(8)).parts[0].shape)
    assert (default["units"], default["pods"]) == (16, 4)
    f = build_fabric(clos(8, pod_units=2), node, floor, radix(8))
    assert dict(f.parts[0].shape) == {
        "units": 16, "pods": 8, "spines": 16, "leaf_spine_links_per_pair": 2, "cores": 8,
        "core_wiring": "groups", "spine_core_links_per_pair": 1,
    }  # fmt: skip
    assert roles(f) == {"server": 64, "leaf": 16, "spine": 16, "core": 8}
    fabric_ok(f)
    with pytest.raises(FabricError, match="a core mesh of 4 cores does not fit: 16 spines"):
        build_fabric(clos(8, pod_units=2, core_wiring="mesh"), node, floor, radix(8))
