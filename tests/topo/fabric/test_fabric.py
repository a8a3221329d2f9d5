"""Tests for building a spine-leaf fabric from an intent."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layouts.model import Floor, RackRow
from topo.catalog import CatalogOverrides, Server, builtin_catalog, merge_catalog
from topo.errors import CatalogError, FabricError
from topo.fabric.build import build_fabric
from topo.model import Fabric
from topo.scenario import LeafIntent, ServerIntent, SpineIntent, SpineLeafIntent

CATALOG = builtin_catalog()


def hall(compute: int = 3, rows: tuple[str, ...] = ("A",), network: bool = True) -> Floor:
    """``compute`` compute racks per row, then (optionally) one network rack::

    [A01][A02][A03][A04=net]
    [B01][B02][B03][B04=net]     (with rows=("A", "B"))
    """
    count = compute + (1 if network else 0)
    roles = {count: "network"} if network else {}
    return Floor(
        outline=((0, 0), (60, 0), (60, 3 * len(rows) + 2), (0, 3 * len(rows) + 2)),
        rows=tuple(
            RackRow(id=r, origin=(1, 1 + 3 * i), count=count, roles=roles)
            for i, r in enumerate(rows)
        ),
    )


def intent(leaf="tor-48x25g-8x100g", spine="sw-32x100g-1u", **kw) -> SpineLeafIntent:
    placement = kw.pop("placement", "top-of-rack")
    per_rack = kw.pop("leaves_per_rack", 1)
    count = kw.pop("spines", None)
    return SpineLeafIntent(
        leaf=LeafIntent(model=leaf, placement=placement, per_rack=per_rack),
        spine=SpineIntent(model=spine, count=count),
        **kw,
    )


def servers(model="srv-1u-2x25g", per_rack=16) -> ServerIntent:
    return ServerIntent(model=model, per_rack=per_rack)


def by_role(fabric: Fabric) -> Counter[str]:
    return Counter(d.role for d in fabric.devices)


def by_tier(fabric: Fabric) -> Counter[str]:
    return Counter(link.tier for link in fabric.links)


def pair_counts(fabric: Fabric) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = defaultdict(int)
    for link in fabric.links:
        if link.tier == "leaf-spine":
            out[link.a.device, link.b.device] += 1
    return out


# -- sizing ----------------------------------------------------------------------------


def test_top_of_rack_fabric_counts_and_numbering():
    """3 racks x 16 servers x 2 x 25G -> 3 ToR leaves; 8 uplinks -> 8 spines, 1 link each."""
    f = build_fabric(intent(), servers(), hall(3), CATALOG)
    assert by_role(f) == {"server": 48, "leaf": 3, "spine": 8}
    assert by_tier(f) == {"server-leaf": 96, "leaf-spine": 24}
    ids = [link.id for link in f.links]
    assert ids[0] == "fabric-L000001" and ids == sorted(ids) and len(set(ids)) == 120

    first, second = f.links[0], f.links[1]
    assert (first.a.device, first.a.port, first.b.device, first.b.port) == (
        "srv-A01-01", 1, "leaf-A01", 1,
    )  # fmt: skip
    assert (second.a.port, second.b.port) == (2, 2)
    assert first.redundancy == "" and first.fabric == "fabric" and first.speed_gbps == 25

    uplinks = [link for link in f.links if link.tier == "leaf-spine"]
    # leaf ports: 48 down first, then 8 up; striped across spines; spine port = leaf index + 1
    assert [(u.a.port, u.b.device, u.b.port) for u in uplinks[:2]] == [
        (49, "spine-01", 1),
        (50, "spine-02", 1),
    ]
    assert {(u.b.device, u.b.port) for u in uplinks if u.a.device == "leaf-A03"} == {
        (f"spine-{i:02d}", 3) for i in range(1, 9)
    }
    assert all(u.speed_gbps == 100 for u in uplinks)
    devices = f.device_index()
    assert devices["leaf-A02"].rack == "A02" and devices["srv-A02-16"].rack == "A02"
    assert devices["spine-01"].rack is None and devices["srv-A01-01"].u is None
    assert "8 of 8 leaf uplinks used at 100G: 8 spines x 1 link" in f.notes


def test_pinned_spine_count_gives_several_links_per_pair():
    f = build_fabric(intent(spines=3), servers(), hall(2), CATALOG)
    assert by_role(f)["spine"] == 3
    assert set(pair_counts(f).values()) == {2}
    assert "6 of 8 leaf uplinks used at 100G: 3 spines x 2 links" in f.notes
    # spine port = leaf index * m + k + 1
    ports = sorted(
        (link.a.device, link.b.port)
        for link in f.links
        if link.tier == "leaf-spine" and link.b.device == "spine-02"
    )
    assert ports == [("leaf-A01", 1), ("leaf-A01", 2), ("leaf-A02", 3), ("leaf-A02", 4)]


def test_dual_homed_servers_alternate_leaves_and_form_redundancy_groups():
    f = build_fabric(intent(leaves_per_rack=2), servers(), hall(1), CATALOG)
    assert sorted(d.id for d in f.devices if d.role == "leaf") == ["leaf-A01-1", "leaf-A01-2"]
    down = [link for link in f.links if link.tier == "server-leaf"]
    assert [(link.a.port, link.b.device) for link in down[:2]] == [
        (1, "leaf-A01-1"),
        (2, "leaf-A01-2"),
    ]
    assert Counter(link.b.device for link in down) == {"leaf-A01-1": 16, "leaf-A01-2": 16}
    assert {link.redundancy for link in down[:2]} == {"srv-A01-01"}
    groups = Counter(link.redundancy for link in down)
    assert len(groups) == 16 and set(groups.values()) == {2}


def test_single_nic_servers_alternate_between_two_leaves_without_redundancy():
    f = build_fabric(intent(leaves_per_rack=2, server_ports=1), servers(), hall(1), CATALOG)
    down = [link for link in f.links if link.tier == "server-leaf"]
    assert [link.b.device for link in down[:3]] == ["leaf-A01-1", "leaf-A01-2", "leaf-A01-1"]
    assert all(link.redundancy == "" for link in down)


def test_any_ports_split_by_oversubscription_with_breakout_on_both_tiers():
    """64 x 400G at 3:1 -> 48 cages down (4 x 100G each), 16 up at 400G; the 800G spine
    serves 400G as 2 lanes per cage."""
    f = build_fabric(
        intent(leaf="sw-64x400g-1u", spine="sw-64x800g-2u", oversubscription=3),
        servers("srv-2u-2x100g", 16),
        hall(2),
        CATALOG,
    )
    assert by_role(f) == {"server": 32, "leaf": 2, "spine": 16}
    down = [link for link in f.links if link.tier == "server-leaf"]
    assert [(link.b.port, link.b.lane) for link in down[:5]] == [
        (1, 1), (1, 2), (1, 3), (1, 4), (2, 1),
    ]  # fmt: skip
    assert down[0].b.port_name == "01.1"
    up = [link for link in f.links if link.tier == "leaf-spine"]
    assert {link.a.port for link in up} == set(range(49, 65))
    assert all(link.a.lane == 0 and link.speed_gbps == 400 for link in up)
    a02 = [link.b for link in up if link.a.device == "leaf-A02"]
    assert {(e.port, e.lane) for e in a02} == {(1, 2)}  # leaf index 1 -> cage 1, lane 2
    assert any("oversubscription 3.00:1" in n for n in f.notes)


def test_uplink_speed_defaults_to_the_fastest_common_speed():
    f = build_fabric(
        intent(leaf="sw-64x800g-2u", spine="sw-64x1600g-2u"),
        servers("gpu-8x400g-8u", 4),
        hall(2),
        CATALOG,
    )
    up = [link for link in f.links if link.tier == "leaf-spine"]
    assert {link.speed_gbps for link in up} == {800}
    assert {link.b.lane for link in up} == {1, 2}


def test_pinned_uplink_speed_uses_breakout_on_the_spine():
    f = build_fabric(
        intent(spine="sw-64x800g-2u", uplink_speed_gbps=100), servers(), hall(2), CATALOG
    )
    up = [link for link in f.links if link.tier == "leaf-spine"]
    assert {link.speed_gbps for link in up} == {100}
    assert {(link.b.port, link.b.lane) for link in up if link.a.device == "leaf-A02"} == {(1, 2)}


def test_end_of_row_leaves_serve_their_row():
    """Two rows of 4 compute racks x 20 servers x 2 ports = 160 ports -> 4 leaves a row."""
    f = build_fabric(
        intent(placement="end-of-row"), servers(per_rack=20), hall(4, rows=("A", "B")), CATALOG
    )
    leaves = [d for d in f.devices if d.role == "leaf"]
    assert [d.id for d in leaves] == [f"leaf-{r}-{k:02d}" for r in "AB" for k in range(1, 5)]
    assert all(d.rack is None for d in leaves)
    assert [d.group for d in leaves] == ["A"] * 4 + ["B"] * 4
    served = defaultdict(set)
    for link in f.links:
        if link.tier == "server-leaf":
            served[link.b.device].add(f.device_index()[link.a.device].rack[0])
    assert all(rows == {leaf[5]} for leaf, rows in served.items())
    assert Counter(link.b.device for link in f.links if link.tier == "server-leaf") == {
        "leaf-A-01": 48, "leaf-A-02": 48, "leaf-A-03": 48, "leaf-A-04": 16,
        "leaf-B-01": 48, "leaf-B-02": 48, "leaf-B-03": 48, "leaf-B-04": 16,
    }  # fmt: skip


def test_same_intent_gives_the_same_fabric():
    args = (intent(spines=4), servers(), hall(3, rows=("A", "B")), CATALOG)
    assert build_fabric(*args) == build_fabric(*args)


# -- failures ----------------------------------------------------------------------------


def _four_port_catalog():
    quad = Server(
        id="srv-4x25g", name="4 x 25G", height_u=1, power_w=500, nic_ports=4, nic_speed_gbps=25
    )
    return merge_catalog(CATALOG, CatalogOverrides(servers=(quad,)))


def test_too_few_leaf_down_ports():
    with pytest.raises(FabricError) as exc:
        build_fabric(intent(), servers("srv-4x25g", 16), hall(1), _four_port_catalog())
    (problem,) = exc.value.problems
    assert problem.location == "fabric.leaf.model"
    assert problem.message == (
        "leaf 'tor-48x25g-8x100g' has 48 down ports at 25G; 16 servers x 4 ports need 64"
    )


def test_too_few_leaf_down_ports_per_leaf_when_dual_homed():
    with pytest.raises(FabricError, match="over 2 leaves per rack need 64 per leaf"):
        build_fabric(intent(leaves_per_rack=2), servers(per_rack=64), hall(1), CATALOG)


def test_server_speed_not_offered_by_the_leaf():
    with pytest.raises(FabricError, match=r"fabric\.leaf\.model: leaf 'sw-64x800g-2u' has no "
                       r"down port at 25G for server 'srv-1u-2x25g'"):  # fmt: skip
        build_fabric(intent(leaf="sw-64x800g-2u", spine="sw-64x800g-2u"), servers(), hall(),
                     CATALOG)  # fmt: skip


def test_too_few_spine_ports():
    with pytest.raises(FabricError) as exc:
        build_fabric(intent(uplink_speed_gbps=100), servers(), hall(40), CATALOG)
    (problem,) = exc.value.problems
    assert problem.location == "fabric.spine.model"
    assert problem.message == (
        "spine 'sw-32x100g-1u' has 32 ports at 100G; 40 leaves x 1 link need 40 "
        "(use a larger spine or allow 3 tiers)"
    )


def test_too_few_spine_ports_suggests_a_slower_uplink_speed_that_fits():
    """The 64 x 800G spine fits 64 leaves at 800G, 128 at 400G (2 x 400G per cage)."""
    gpu = servers("gpu-8x400g-8u", 4)
    with pytest.raises(FabricError, match=r"has 64 ports at 800G; 100 leaves x 1 link need 100 "
                       r"\(set fabric\.uplink_speed_gbps to 400 to break ports out"):  # fmt: skip
        build_fabric(
            intent("sw-64x800g-2u", "sw-64x800g-2u"), gpu, hall(50, rows=("A", "B")), CATALOG
        )
    pinned = intent("sw-64x800g-2u", "sw-64x800g-2u", uplink_speed_gbps=400)
    f = build_fabric(pinned, gpu, hall(50, rows=("A", "B")), CATALOG)
    assert by_role(f) == {"server": 400, "leaf": 100, "spine": 64}


def test_too_few_spine_ports_with_pinned_count_suggests_more_spines():
    with pytest.raises(FabricError, match=r"20 leaves x 2 links need 40 \(pin "
                       r"fabric\.spine\.count to 5 or more"):  # fmt: skip
        build_fabric(intent(spines=4), servers(), hall(20), CATALOG)


def test_no_common_uplink_speed():
    with pytest.raises(FabricError, match=r"fabric\.spine\.model: no common uplink speed: leaf "
                       r"'tor-48x25g-8x100g' uplinks run at 100G, 25G, spine 'ib-64x400g-1u' "
                       r"ports at 400G, 200G"):  # fmt: skip
        build_fabric(intent(spine="ib-64x400g-1u"), servers(), hall(), CATALOG)


def test_pinned_uplink_speed_missing_on_leaf_and_spine():
    with pytest.raises(FabricError) as exc:
        build_fabric(intent(uplink_speed_gbps=800), servers(), hall(), CATALOG)
    locations = [p.location for p in exc.value.problems]
    assert locations == ["fabric.uplink_speed_gbps"] * 2
    assert "leaf 'tor-48x25g-8x100g' has no uplink port at 800G" in str(exc.value)
    assert "spine 'sw-32x100g-1u' has no port at 800G" in str(exc.value)


def test_no_compute_racks():
    with pytest.raises(FabricError, match=r"floor\.rows: floor 'DH1' has no rack with role "
                       r"'compute'"):  # fmt: skip
        build_fabric(intent(), servers(), hall(0), CATALOG)


def test_more_spines_than_uplinks():
    with pytest.raises(FabricError) as exc:
        build_fabric(intent(spines=9), servers(), hall(), CATALOG)
    (problem,) = exc.value.problems
    assert problem.location == "fabric.spine.count" and problem.value == 9
    assert problem.message == "9 spines, but each leaf has 8 uplinks at 100G; at most 8"


def test_more_server_ports_than_the_server_has():
    with pytest.raises(FabricError, match=r"fabric\.server_ports: 3 ports per server, but "
                       r"server 'srv-1u-2x25g' has 2 NIC ports"):  # fmt: skip
        build_fabric(intent(server_ports=3), servers(), hall(), CATALOG)


def test_every_problem_is_reported_at_once():
    with pytest.raises(FabricError) as exc:
        build_fabric(intent(spines=9, server_ports=3), servers(per_rack=0), hall(0), CATALOG)
    assert [p.location for p in exc.value.problems] == [
        "floor.rows",
        "servers.per_rack",
        "fabric.server_ports",
        "fabric.spine.count",
    ]


def test_unknown_models_are_catalog_errors_naming_each_field():
    with pytest.raises(CatalogError) as exc:
        build_fabric(intent(leaf="nope", spine="nada"), servers("zilch"), hall(), CATALOG)
    assert [p.location for p in exc.value.problems] == [
        "servers.model",
        "fabric.leaf.model",
        "fabric.spine.model",
    ]
    assert "unknown switch model 'nada'" in str(exc.value)


# -- invariants ----------------------------------------------------------------------------

SWITCHES = [
    "tor-48x25g-8x100g",
    "sw-32x100g-1u",
    "sw-64x400g-1u",
    "sw-64x800g-2u",
    "ib-64x400g-1u",
]
SERVERS = ["srv-1u-2x25g", "srv-2u-2x100g", "gpu-8x400g-8u"]
# (server, leaf, spine) combinations that build, so that most examples get past the checks
COMBOS = [
    ("srv-1u-2x25g", "tor-48x25g-8x100g", "sw-32x100g-1u"),
    ("srv-1u-2x25g", "tor-48x25g-8x100g", "sw-64x800g-2u"),
    ("srv-1u-2x25g", "sw-32x100g-1u", "sw-32x100g-1u"),
    ("srv-2u-2x100g", "sw-64x400g-1u", "sw-64x800g-2u"),
    ("srv-2u-2x100g", "sw-32x100g-1u", "sw-64x400g-1u"),
    ("gpu-8x400g-8u", "ib-64x400g-1u", "ib-64x400g-1u"),
    ("gpu-8x400g-8u", "sw-64x800g-2u", "sw-64x1600g-2u"),
    ("gpu-8x800g-10u", "sw-64x1600g-2u", "sw-64x1600g-2u"),
]


def _check_invariants(f: Fabric, spec: ServerIntent, floor: Floor) -> None:
    devices = f.device_index()
    assert len(devices) == len(f.devices)
    # every port (or breakout lane) is used at most once, never both whole and split
    used = Counter((e.device, e.port, e.lane) for link in f.links for e in (link.a, link.b))
    assert max(used.values()) == 1
    whole = {(d, p) for d, p, lane in used if lane == 0}
    split = {(d, p) for d, p, lane in used if lane > 0}
    assert not whole & split
    # ports exist on the device and lanes on its breakout
    for (dev, port, lane), _ in used.items():
        d = devices[dev]
        if d.role == "server":
            assert 1 <= port <= CATALOG.server(d.model).nic_ports and lane == 0
        else:
            groups = CATALOG.switch(d.model).ports
            assert 1 <= port <= sum(g.count for g in groups)
            assert lane <= max(max(g.breakout.values(), default=1) for g in groups)
    # a = lower tier
    rank = {"server": 0, "leaf": 1, "spine": 2}
    for link in f.links:
        assert rank[devices[link.a.device].role] < rank[devices[link.b.device].role]
    # every leaf reaches every spine with the same number of links
    leaves = [d.id for d in f.devices if d.role == "leaf"]
    spines = [d.id for d in f.devices if d.role == "spine"]
    pairs = pair_counts(f)
    assert set(pairs) == {(leaf, spine) for leaf in leaves for spine in spines}
    assert len(set(pairs.values())) == 1
    ids = [link.id for link in f.links]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    compute = sum(r.role == "compute" for r in floor.racks)
    assert sum(d.role == "server" for d in f.devices) == spec.per_rack * compute
    ports = CATALOG.server(spec.model).nic_ports
    assert sum(link.tier == "server-leaf" for link in f.links) <= spec.per_rack * compute * ports


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    compute=st.integers(1, 4),
    two_rows=st.booleans(),
    models=st.one_of(
        st.sampled_from(COMBOS),
        st.tuples(st.sampled_from(SERVERS), st.sampled_from(SWITCHES), st.sampled_from(SWITCHES)),
    ),
    per_rack=st.integers(1, 12),
    placement=st.sampled_from(["top-of-rack", "end-of-row"]),
    leaves_per_rack=st.integers(1, 3),
    ratio=st.sampled_from([0.5, 1.0, 2.0, 3.0]),
    spines=st.one_of(st.none(), st.integers(1, 12)),
    server_ports=st.one_of(st.none(), st.integers(1, 2)),
)
def test_fabric_invariants(
    compute, two_rows, models, per_rack, placement, leaves_per_rack, ratio, spines,
    server_ports,
):  # fmt: skip
    server, leaf, spine = models
    spec = servers(server, per_rack)
    fabric_intent = intent(
        leaf, spine, placement=placement, leaves_per_rack=leaves_per_rack,
        oversubscription=ratio, spines=spines, server_ports=server_ports,
    )  # fmt: skip
    floor = hall(compute, rows=("A", "B") if two_rows else ("A",))
    try:
        f = build_fabric(fabric_intent, spec, floor, CATALOG)
    except FabricError as exc:
        assert all(p.location and p.message for p in exc.problems)
        return
    _check_invariants(f, spec, floor)
