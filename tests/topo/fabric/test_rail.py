"""Rail-optimized GPU fabrics against hand-worked examples, and their bad inputs."""

from __future__ import annotations

from collections import Counter

import pytest

from layouts.generate import regular_hall
from topo.catalog import builtin_catalog
from topo.errors import CatalogError, FabricError
from topo.fabric.build import build_fabric
from topo.scenario import CoreIntent, RailIntent, RailLeafIntent, ServerIntent, SpineIntent

CATALOG = builtin_catalog()
IB = "ib-64x400g-1u"


def hall(rows: int = 2, per_row: int = 10):
    """Rows of ``per_row`` 50 kW racks, position 5 a network rack: 4 GPU nodes a rack."""
    return regular_hall(rows=rows, racks_per_row=per_row, power_kw=50, network_positions=(5,))


def rail(su: int = 32, **kw) -> RailIntent:
    return RailIntent(
        su_nodes=su,
        leaf=RailLeafIntent(model=kw.pop("leaf", IB)),
        spine=SpineIntent(model=kw.pop("spine", IB), count=kw.pop("spines", None)),
        core=CoreIntent(model=kw.pop("core", None)),
        **kw,
    )


GPU = ServerIntent(model="gpu-8x400g-8u", per_rack=4)


def test_four_scalable_units_under_sixteen_spines(fabric_ok):
    """128 nodes (4 SU x 32) x 8 rails: 32 rail leaves of 32 down + 32 up ports; 32
    leaves x 32 uplinks over 64-port spines: 16 spines, 2 links per pair (by hand)."""
    f = build_fabric(rail(), GPU, hall(4, 9), CATALOG)  # 4 rows x 8 compute racks x 4
    assert Counter(d.role for d in f.devices) == {"server": 128, "leaf": 32, "spine": 16}
    assert Counter(x.tier for x in f.links) == {"server-leaf": 1024, "leaf-spine": 1024}
    # NIC i of node q of SU u -> rail-i leaf of SU u, down port q
    node = [x for x in f.links if x.a.device == "srv-A01-01"]
    assert [(x.a.port, x.b.device, x.b.port) for x in node] == [
        (i, f"su01-rail{i}", 1) for i in range(1, 9)
    ]
    su2 = [x for x in f.links if x.a.device == "srv-B01-01"]  # node 33: first of SU 2
    assert {x.b.device for x in su2} == {f"su02-rail{i}" for i in range(1, 9)}
    leaves = [d for d in f.devices if d.role == "leaf"]
    assert all(d.rack is None and d.zone == f"fabric:{d.group}" for d in leaves)
    zones = f.zone_index()
    assert zones["fabric:su01"][0] == "A05" and zones["fabric:su04"][0] == "D05"
    assert any("16 spines" in n and "2 links per leaf-spine pair" in n for n in f.notes)
    fabric_ok(f)


def test_partial_last_unit_and_three_tiers(fabric_ok):
    """40 SUs of 16 nodes (8U, 4 a rack): 320 rail leaves > 64 spine ports -> 3 tiers;
    pods of 32 leaves = 4 SUs (spines split 32 down / 32 up), 10 pods."""
    floor = regular_hall(rows=17, racks_per_row=11, power_kw=50, network_positions=(6,))
    f = build_fabric(rail(16), ServerIntent(model="gpu-8x400g-8u", per_rack=4), floor, CATALOG)
    roles = Counter(d.role for d in f.devices)
    nodes = 17 * 10 * 4
    assert roles["server"] == nodes and roles["leaf"] == 43 * 8
    assert f.parts[0].tiers == 3
    pods = Counter(d.group for d in f.devices if d.role == "spine")
    assert len(pods) == 11
    assert any("has 8 of 16 nodes" in n for n in f.notes)
    fabric_ok(f)


def test_rails_must_match_the_nic_count():
    with pytest.raises(FabricError) as exc:
        build_fabric(rail(rails=4), GPU, hall(), CATALOG)
    (p,) = exc.value.problems
    assert p.location == "fabric.rails" and p.value == 4
    assert "server 'gpu-8x400g-8u' has 8 NIC ports; rails must be 8" in p.message


def test_scalable_unit_larger_than_a_rail_leaf():
    with pytest.raises(FabricError, match=r"fabric\.su_nodes: 40 nodes per scalable unit, but "
                       r"rail leaf 'ib-64x400g-1u' has 32 down ports at 400G at "
                       r"oversubscription 1; at most 32"):  # fmt: skip
        build_fabric(rail(40), GPU, hall(), CATALOG)


def test_rail_leaf_lacking_the_nic_speed():
    with pytest.raises(FabricError, match=r"fabric\.leaf\.model: rail leaf "
                       r"'tor-48x25g-8x100g' has no down port at 400G"):  # fmt: skip
        build_fabric(rail(leaf="tor-48x25g-8x100g"), GPU, hall(), CATALOG)


def test_unknown_nic_group_names_the_groups():
    with pytest.raises(FabricError, match=r"fabric\.nics: no server has a NIC group 'backend'; "
                       r"the servers have 'compute', 'frontend', 'storage'"):  # fmt: skip
        build_fabric(rail(nics="backend"), GPU, hall(), CATALOG)


def test_two_planes_split_each_node_across_copies(fabric_ok):
    """A 16-port node in 2 planes of 8 rails: port 2r+1 to plane 1, 2r+2 to plane 2."""
    intent = rail(16, planes=2, nics="compute", server_ports=None)
    over = ServerIntent(model="gpu16", per_rack=4)
    from topo.catalog import CatalogOverrides, NicGroup, Server, merge_catalog

    gpu16 = Server(id="gpu16", name="16 x 400G", height_u=8, power_w=10200,
                   nics=(NicGroup(name="compute", count=16, speed_gbps=400),))  # fmt: skip
    cat = merge_catalog(CATALOG, CatalogOverrides(servers=(gpu16,)))
    f = build_fabric(intent, over, hall(1), cat)
    node = [x for x in f.links if x.a.device == "srv-A01-01"]
    assert [(x.a.port, x.b.device) for x in node[:3]] == [
        (1, "p1-su01-rail1"), (3, "p1-su01-rail2"), (5, "p1-su01-rail3"),
    ]  # fmt: skip
    assert ("p2-su01-rail1", 2) in {(x.b.device, x.a.port) for x in node}
    assert {x.redundancy for x in node} == {"srv-A01-01"}
    fabric_ok(f)


def test_units_and_pods_take_neighbouring_rows_in_a_32_row_hall(fabric_ok):
    """32 rows A..Z, AA..AF of 8 GPU racks (32 nodes a row): with 32-node units every unit
    is one row and every pod of 4 units four neighbouring rows on the floor, never 'A'
    with 'AA' (which sort together as strings)."""
    floor = regular_hall(rows=32, racks_per_row=9, power_kw=50, network_positions=(5,))
    f = build_fabric(rail(), GPU, floor, CATALOG)
    assert f.parts[0].tiers == 3
    place = {row.id: k for k, row in enumerate(floor.rows)}  # along the hall
    racks = floor.rack_index
    rack_of = {d.id: d.rack for d in f.devices if d.role == "server"}
    unit_of_leaf = {d.id: d.group for d in f.devices if d.role == "leaf"}
    unit_rows: dict[str, set[int]] = {}
    for x in f.links:
        if x.tier == "server-leaf":
            unit = unit_of_leaf[x.b.device]
            unit_rows.setdefault(unit, set()).add(place[racks[rack_of[x.a.device]].row])
    assert len(unit_rows) == 32
    for u, rows in unit_rows.items():
        assert len(rows) == 1, (u, rows)
    ordered = [unit_rows[u].pop() for u in sorted(unit_rows)]
    assert ordered == list(range(32))  # su01 is row A, su27 is row AA
    pod_of_spine = {d.id: d.group for d in f.devices if d.role == "spine"}
    pod_units: dict[str, set[int]] = {}
    for x in f.links:
        if x.tier == "leaf-spine":
            unit = int(unit_of_leaf[x.a.device].removeprefix("su"))
            pod_units.setdefault(pod_of_spine[x.b.device], set()).add(ordered[unit - 1])
    assert len(pod_units) == 8
    for pod, rows in pod_units.items():
        assert rows == set(range(min(rows), min(rows) + 4)), (pod, rows)
    fabric_ok(f)


UFM = "ufm-1u-4x400g"


def test_a_four_port_appliance_takes_a_node_slot_on_four_of_eight_rails(fabric_ok):
    """SuperPOD style: 64 nodes in units of 32 slots, unit 1 gives one slot to a 4-port
    appliance on rails 0-3: unit 1 holds 31 nodes, the appliance is on down port 32 of
    rail leaves 1-4 only; the 64th node spills into a third unit."""
    intent = rail(appliances=[{"model": UFM, "rails": [0, 1, 2, 3]}])
    f = build_fabric(intent, GPU, hall(2, 9), CATALOG)  # 2 rows x 8 racks x 4 = 64 nodes
    roles = Counter(d.role for d in f.devices)
    assert roles["appliance"] == 1 and roles["server"] == 64 and roles["leaf"] == 3 * 8
    app = [x for x in f.links if x.a.device == "su01-appliance1"]
    assert [(x.a.port, x.b.device, x.b.port) for x in app] == [
        (i + 1, f"su01-rail{i + 1}", 32) for i in range(4)
    ]
    su1 = {x.a.device for x in f.links if x.b.device == "su01-rail8"}
    assert len(su1) == 31 and "su01-appliance1" not in su1
    assert any("gives 1 node slots to 'ufm-1u-4x400g' on rails [0, 1, 2, 3]" in n for n in f.notes)
    fabric_ok(f)


@pytest.mark.parametrize(
    ("appliance", "match"),
    [
        (
            {"model": UFM, "rails": [0, 1, 2, 8]},
            "names rail 8; the fabric has 8 rails, numbered 0 to 7",
        ),
        ({"model": UFM, "rails": [0, 1, 2, 3, 4]}, "has 4 ports at 400G; 5 rails at 400G"),
        ({"model": UFM, "rails": [0], "unit": 9}, "scalable unit 9, but the fabric has 3"),
        ({"model": "no-such-box", "rails": [0]}, "unknown server model 'no-such-box'"),
    ],
)
def test_bad_appliances_are_named(appliance, match):
    with pytest.raises((FabricError, CatalogError), match=match):
        build_fabric(rail(appliances=[appliance]), GPU, hall(), CATALOG)


def test_pinned_pod_size_and_core_mesh_are_built_and_reported(fabric_ok):
    """32 units of 32 nodes on the 32-row hall: by default pods of 4 units (32 rail
    leaves fill a spine's 32 down ports), cores in groups; summary shape says so. Then
    40 nodes in 5 units of 8, three tiers, pods of one unit with 8 spines each (4 links
    per leaf-spine pair) and a core mesh: each of the 40 spines to each of 32 cores."""
    floor = regular_hall(rows=32, racks_per_row=9, power_kw=50, network_positions=(5,))
    default = dict(build_fabric(rail(), GPU, floor, CATALOG).parts[0].shape)
    assert (default["units"], default["pods"], default["core_wiring"]) == (32, 8, "groups")
    intent = rail(8, tiers=3, spines=8, pod_units=1, core_wiring="mesh")
    f = build_fabric(intent, GPU, hall(1, 11), CATALOG)
    shape = dict(f.parts[0].shape)
    assert shape == {
        "units": 5, "pods": 5, "spines": 40, "leaf_spine_links_per_pair": 4, "cores": 32,
        "core_wiring": "mesh", "spine_core_links_per_pair": 1,
    }  # fmt: skip
    spines = [d.id for d in f.devices if d.role == "spine"]
    cores = [d.id for d in f.devices if d.role == "core"]
    assert (len(spines), len(cores)) == (40, 32)
    pairs = Counter((x.a.device, x.b.device) for x in f.links if x.tier == "spine-core")
    assert set(pairs) == {(s, c) for s in spines for c in cores}  # a full mesh
    assert set(pairs.values()) == {1}
    fabric_ok(f)


def test_a_pod_larger_than_a_spine_takes_is_named():
    floor = regular_hall(rows=32, racks_per_row=9, power_kw=50, network_positions=(5,))
    with pytest.raises(FabricError, match="at most 4 units per pod") as exc:
        build_fabric(rail(pod_units=5), GPU, floor, CATALOG)
    assert exc.value.problems[0].location == "fabric.pod_units"


def test_the_100k_gpu_bench_scenario_builds_its_xdr_fabric():
    """bench/scenarios/ai-cluster-100k.yaml (planned by bench/rail_cluster.py): 12,672
    B300-class nodes in 176 units of 72 under 144-port XDR switches, three tiers."""
    from pathlib import Path

    from topo.fabric.network import build_network
    from topo.scenario import floor_of, load_scenario

    path = Path(__file__).parents[3] / "bench" / "scenarios" / "ai-cluster-100k.yaml"
    sc = load_scenario(path)
    f = build_network(sc, floor_of(sc), CATALOG)
    roles = Counter(d.role for d in f.devices)
    assert 8 * roles["server"] == 101_376 and roles["leaf"] == 176 * 8
    shape = dict(f.parts[0].shape)
    assert (shape["units"], shape["pods"], f.parts[0].tiers) == (176, 20, 3)
    assert {d.model for d in f.devices if d.role != "server"} == {"ib-144x800g-4u"}


def test_nvl72_racks_join_a_rail_fabric_like_nodes(fabric_ok):
    """Two rows of 4 GB300 NVL72 racks (one system a 140 kW rack): GPU i of every rack is
    on rail i, so a unit of 4 racks has 72 rail leaves, each with 4 down links."""
    floor = regular_hall(rows=2, racks_per_row=5, power_kw=140, network_positions=(5,))
    xdr = "ib-144x800g-4u"
    nvl = ServerIntent(model="nvl72-gb300-rack")
    f = build_fabric(rail(4, leaf=xdr, spine=xdr), nvl, floor, CATALOG)
    roles = Counter(d.role for d in f.devices)
    assert roles["server"] == 8 and roles["leaf"] == 2 * 72
    down = Counter(x.b.device for x in f.links if x.tier == "server-leaf")
    assert set(down.values()) == {4} and "su02-rail72" in down
    fabric_ok(f)
