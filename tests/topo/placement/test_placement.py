"""Tests for the naive placement of devices in racks."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layouts.model import Floor, RackRow
from topo.catalog import builtin_catalog
from topo.errors import InfeasibleError
from topo.fabric.build import build_fabric
from topo.model import Device, Fabric, Placement
from topo.placement.naive import place_devices
from topo.scenario import LeafIntent, ServerIntent, SpineIntent, SpineLeafIntent

CATALOG = builtin_catalog()


def floor(*rows: RackRow) -> Floor:
    return Floor(outline=((0, 0), (40, 0), (40, 20), (0, 20)), rows=rows)


def row_a(count: int = 3, **kw) -> RackRow:
    """``[A01][A02]...[A0n=net]``: compute racks, the last one network (unless ``roles``)."""
    kw.setdefault("roles", {count: "network"})
    return RackRow(id="A", origin=(1, 1), count=count, **kw)


def row_n(count: int = 2, **kw) -> RackRow:
    """``[N01][N02]``: a row of network racks."""
    return RackRow(id="N", origin=(1, 5), count=count, role="network", **kw)


def fabric_for(fl: Floor, per_rack=16, *, model="srv-1u-2x25g", **kw) -> Fabric:
    leaf = LeafIntent(
        model=kw.pop("leaf", "tor-48x25g-8x100g"),
        placement=kw.pop("placement", "top-of-rack"),
        per_rack=kw.pop("leaves_per_rack", 1),
    )
    spine = SpineIntent(model=kw.pop("spine", "sw-32x100g-1u"), count=kw.pop("spines", None))
    intent = SpineLeafIntent(leaf=leaf, spine=spine, **kw)
    return build_fabric(intent, ServerIntent(model=model, per_rack=per_rack), fl, CATALOG)


def at(p: Placement) -> dict[str, tuple[str | None, int | None]]:
    return {d.id: (d.rack, d.u) for d in p.devices}


def assert_no_overlap(p: Placement, fl: Floor) -> None:
    """Every device inside its rack; no two devices share a unit."""
    taken: dict[str, set[int]] = defaultdict(set)
    for d in p.devices:
        assert d.rack is not None and d.u is not None
        units = set(range(d.u - d.height_u + 1, d.u + 1))
        assert min(units) >= 1 and max(units) <= fl.rack_index[d.rack].height_u
        assert not units & taken[d.rack], d.id
        taken[d.rack] |= units


def test_servers_fill_from_the_bottom_and_the_leaf_sits_on_top():
    fl = floor(row_a(3))
    p = place_devices(fabric_for(fl), fl, CATALOG)
    pos = at(p)
    assert [pos[f"srv-A01-{i:02d}"] for i in (1, 2, 16)] == [("A01", 1), ("A01", 2), ("A01", 16)]
    assert pos["leaf-A01"] == ("A01", 48) and pos["leaf-A02"] == ("A02", 48)
    # 8 spines (1U) stack down from the top of the network rack
    assert [pos[f"spine-{i:02d}"] for i in (1, 2, 8)] == [("A03", 48), ("A03", 47), ("A03", 41)]
    assert p.method == "naive"
    assert [d.id for d in p.devices] == sorted(d.id for d in p.devices)
    assert len(p.devices) == 16 * 2 + 2 + 8
    assert "8 spines placed in racks A03 (8)" in p.notes
    assert_no_overlap(p, fl)


def test_second_top_of_rack_leaf_goes_below_the_first():
    fl = floor(row_a(2))
    pos = at(place_devices(fabric_for(fl, leaves_per_rack=2), fl, CATALOG))
    assert pos["leaf-A01-1"] == ("A01", 48) and pos["leaf-A01-2"] == ("A01", 47)


def test_u_is_the_top_unit_of_tall_servers():
    fl = floor(row_a(2, power_kw=60))
    fab = fabric_for(fl, 4, model="gpu-8x400g-8u", leaf="ib-64x400g-1u", spine="ib-64x400g-1u")
    p = place_devices(fab, fl, CATALOG)
    pos = at(p)
    assert [pos[f"srv-A01-{i:02d}"][1] for i in range(1, 5)] == [8, 16, 24, 32]
    assert_no_overlap(p, fl)


def test_spines_move_to_the_next_rack_when_units_run_out():
    """8 x 1U spines in 4U network racks: N01 and N02 take 4 each, N03 stays empty."""
    fl = floor(row_a(2, roles={}), row_n(3, height_u=4))
    p = place_devices(fabric_for(fl), fl, CATALOG)
    pos = at(p)
    assert [pos[f"spine-{i:02d}"] for i in range(1, 9)] == [
        ("N01", 4), ("N01", 3), ("N01", 2), ("N01", 1),
        ("N02", 4), ("N02", 3), ("N02", 2), ("N02", 1),
    ]  # fmt: skip
    assert "8 spines placed in racks N01 (4), N02 (4)" in p.notes


def test_spines_move_to_the_next_rack_when_power_runs_out():
    """sw-32x100g-1u draws 450 W: two fit a 1 kW rack."""
    fl = floor(row_a(2, roles={}), row_n(4, power_kw=1.0))
    pos = at(place_devices(fabric_for(fl), fl, CATALOG))
    assert [pos[f"spine-{i:02d}"][0] for i in range(1, 9)] == [
        "N01", "N01", "N02", "N02", "N03", "N03", "N04", "N04",
    ]  # fmt: skip


def test_spine_racks_option_picks_the_racks_in_id_order():
    fl = floor(row_a(2, roles={}), row_n(3))
    p = place_devices(fabric_for(fl), fl, CATALOG, spine_racks=("N03", "N02"))
    assert {at(p)[f"spine-{i:02d}"][0] for i in range(1, 9)} == {"N02"}


def test_unknown_spine_rack_is_an_error():
    fl = floor(row_a(2))
    with pytest.raises(InfeasibleError, match=r"fabric\.spine\.racks: spine racks 'Z09' are not "
                       r"on floor 'DH1'"):  # fmt: skip
        place_devices(fabric_for(fl), fl, CATALOG, spine_racks=("A02", "Z09"))


def test_end_of_row_leaves_go_to_the_network_rack_nearest_a_row_end():
    """``[A01][A02=net][A03]..[A09][A10=net]``: A10 stands at a row end, A02 one rack in."""
    fl = floor(row_a(10, roles={2: "network", 10: "network"}))
    fab = fabric_for(fl, 20, placement="end-of-row")
    p = place_devices(fab, fl, CATALOG)
    pos = at(p)
    leaves = sorted(d.id for d in fab.devices if d.role == "leaf")
    assert leaves == [f"leaf-A-{k:02d}" for k in range(1, 8)]  # 8 x 20 x 2 ports / 48
    assert [pos[leaf] for leaf in leaves] == [("A10", 48 - k) for k in range(7)]
    # the spines then fill the network racks in id order: A02 first
    assert pos["spine-01"] == ("A02", 48)
    assert_no_overlap(p, fl)


def test_end_of_row_leaves_of_a_row_without_network_racks_go_to_the_spine_racks():
    fl = floor(row_a(2, roles={}), row_n(1))
    p = place_devices(fabric_for(fl, placement="end-of-row"), fl, CATALOG)
    assert at(p)["leaf-A-01"] == ("N01", 48)
    assert at(p)["leaf-A-02"] == ("N01", 47)
    assert at(p)["spine-01"] == ("N01", 46)
    assert any("row 'A' has no network rack" in n for n in p.notes)


def test_a_rack_short_of_units_is_named_with_what_it_needs():
    fl = floor(row_a(3, power_kw=30))
    fab = fabric_for(fl, 48, server_ports=1)
    with pytest.raises(InfeasibleError) as exc:
        place_devices(fab, fl, CATALOG)
    assert [str(p) for p in exc.value.problems] == [
        "floor.racks.A01: rack 'A01' needs 49U for 48 servers and 1 leaf, has 48U",
        "floor.racks.A02: rack 'A02' needs 49U for 48 servers and 1 leaf, has 48U",
    ]


def test_a_rack_short_of_power_is_named_with_what_it_needs():
    fl = floor(row_a(2, power_kw=5.0))
    with pytest.raises(InfeasibleError) as exc:
        place_devices(fabric_for(fl), fl, CATALOG)
    assert str(exc.value.problems[0]) == (
        "floor.racks.A01: rack 'A01' needs 8.4 kW for 16 servers and 1 leaf, has 5.0 kW"
    )


def test_spines_that_fit_nowhere_are_reported_with_the_shortfall():
    fl = floor(row_a(2, roles={}), row_n(1, height_u=4))
    with pytest.raises(InfeasibleError) as exc:
        place_devices(fabric_for(fl), fl, CATALOG)
    (problem,) = exc.value.problems
    assert problem.location == "fabric.spine.racks"
    assert problem.message == (
        "4 spines ('spine-05', 'spine-06', 'spine-07', ...) do not fit in racks 'N01': "
        "they need 4U and 1.8 kW, the racks have 0U and 18.2 kW free"
    )


def test_no_network_rack_for_the_spines():
    fl = floor(row_a(2, roles={}))
    with pytest.raises(InfeasibleError, match=r"fabric\.spine\.racks: floor 'DH1' has no rack "
                       r"with role 'network' to hold 8 spines"):  # fmt: skip
        place_devices(fabric_for(fl), fl, CATALOG)


def test_a_device_in_a_rack_not_on_the_floor():
    fl = floor(row_a(2))
    fab = Fabric("f", (Device("srv-Z01-01", "server", "srv-1u-2x25g", 1, 500.0, rack="Z01"),), ())
    with pytest.raises(InfeasibleError, match=r"device 'srv-Z01-01' is in rack 'Z01', which is "
                       r"not on floor 'DH1'"):  # fmt: skip
        place_devices(fab, fl, CATALOG)


def test_placement_keeps_every_other_field():
    fl = floor(row_a(2))
    fab = fabric_for(fl)
    p = place_devices(fab, fl, CATALOG)
    unplaced = {d.id: d for d in fab.devices}
    for d in p.devices:
        before = unplaced[d.id]
        assert (d.role, d.model, d.height_u, d.power_w, d.fabric, d.group) == (
            before.role, before.model, before.height_u, before.power_w, before.fabric,
            before.group,
        )  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(
    per_rack=st.integers(1, 24),
    leaves_per_rack=st.integers(1, 2),
    placement=st.sampled_from(["top-of-rack", "end-of-row"]),
    height_u=st.integers(8, 52),
    power_kw=st.sampled_from([5.0, 10.0, 20.0]),
    spines=st.one_of(st.none(), st.integers(1, 8)),
)
def test_placement_puts_every_device_inside_a_rack_without_overlap(
    per_rack, leaves_per_rack, placement, height_u, power_kw, spines
):
    fl = floor(
        row_a(4, height_u=height_u, power_kw=power_kw, roles={1: "network", 4: "network"}),
        row_n(2, height_u=height_u, power_kw=power_kw),
    )
    fab = fabric_for(
        fl, per_rack, leaves_per_rack=leaves_per_rack, placement=placement, spines=spines
    )  # 24 x 2 ports fit a ToR leaf, 8 uplinks fit up to 8 spines: always builds
    try:
        p = place_devices(fab, fl, CATALOG)
    except InfeasibleError as exc:
        assert all(pr.location and pr.message for pr in exc.problems)
        return
    assert sorted(d.id for d in p.devices) == sorted(d.id for d in fab.devices)
    assert_no_overlap(p, fl)
    for rack in fl.racks:
        watts = sum(d.power_w for d in p.devices if d.rack == rack.id)
        assert watts <= rack.power_kw * 1000
