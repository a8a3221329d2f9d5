"""Tests for the built-in catalog and catalog overrides."""

from __future__ import annotations

import itertools

import pytest

from tests.conftest import EXAMPLE_NAMES
from topo.catalog import (
    Catalog,
    CatalogOverrides,
    Media,
    PortGroup,
    SwitchModel,
    builtin_catalog,
    merge_catalog,
)
from topo.errors import CatalogError

CATALOG = builtin_catalog()

REQUIRED_SWITCHES = {
    "sw-64x400g-1u",
    "sw-64x800g-2u",
    "tor-48x25g-8x100g",
    "sw-32x100g-1u",
    "ib-64x400g-1u",
    "mgmt-48x1g-4x10g",
    "sw-64x1600g-2u",
}
REQUIRED_SERVERS = {"srv-1u-2x25g", "srv-2u-2x100g", "gpu-8x400g-8u", "gpu-8x800g-10u"}
REQUIRED_MEDIA = {"dac-400g", "acc-400g", "aoc-400g", "sr4-400g", "dr4-400g", "fr4-400g"}

# a link length typical of each media kind, to compare prices (mm)
TYPICAL_MM = {"dac": 2000, "acc": 3000, "aoc": 10000, "mmf": 20000, "smf": 20000}


def test_builtin_catalog_has_the_documented_entries():
    assert set(CATALOG.switch_index) >= REQUIRED_SWITCHES
    assert set(CATALOG.server_index) >= REQUIRED_SERVERS
    assert set(CATALOG.media_index) >= REQUIRED_MEDIA
    assert any(s.id.startswith("stor-") for s in CATALOG.servers)


def test_ids_are_unique():
    for entries in (CATALOG.switches, CATALOG.servers, CATALOG.media):
        ids = [e.id for e in entries]
        assert len(ids) == len(set(ids))


@pytest.mark.parametrize("speed", [1, 10, 25, 100, 200, 400, 800])
def test_every_common_speed_has_copper_and_optics(speed):
    kinds = {m.kind for m in CATALOG.media_for(speed)}
    assert kinds & {"dac", "copper"}
    assert "smf" in kinds
    if speed >= 10:
        assert {"dac", "acc", "aoc", "mmf", "smf"} <= kinds


def test_every_speed_a_port_can_run_has_media():
    speeds = {s.nic_speed_gbps for s in CATALOG.servers}
    for sw in CATALOG.switches:
        for g in sw.ports:
            speeds |= {g.speed_gbps, *g.breakout}
    missing = sorted(v for v in speeds if not CATALOG.media_for(v))
    assert missing == []


@pytest.mark.parametrize("media", CATALOG.media, ids=lambda m: m.id)
def test_media_stock_lengths_increase_and_start_within_reach(media: Media):
    lengths = media.stock_lengths_m
    assert all(a < b for a, b in itertools.pairwise(lengths))
    assert media.reach_m >= lengths[0]
    assert media.max_length_mm > 0
    assert media.cable_sku


@pytest.mark.parametrize("media", CATALOG.media, ids=lambda m: m.id)
def test_optics_carry_transceivers_and_cables_carry_end_power(media: Media):
    if media.kind in ("mmf", "smf"):
        assert media.transceiver is not None
        assert media.transceiver.power_w > 0 and media.transceiver.cost_usd > 0
    if media.kind in ("dac", "acc", "aoc"):
        assert media.transceiver is None
        assert media.end_power_w > 0
    if media.kind == "dac":
        assert media.slack_m == 0.5
        assert media.end_power_w == pytest.approx(0.1)


@pytest.mark.parametrize("speed", [10, 25, 100, 200, 400, 800])
def test_relative_link_costs_follow_the_reference_figures(speed):
    """DAC 1, active copper ~2, AOC 4-6, multimode 8-10, single-mode 10-14."""
    cheapest: dict[str, float] = {}
    for m in CATALOG.media_for(speed):
        if m.kind not in TYPICAL_MM:
            continue
        stock = m.stock_length_mm(TYPICAL_MM[m.kind]) or m.max_length_mm
        cost = m.link_cost_cents(stock)
        cheapest[m.kind] = min(cost, cheapest.get(m.kind, cost))
    rel = {kind: cost / cheapest["dac"] for kind, cost in cheapest.items()}
    assert 1.5 <= rel["acc"] <= 2.5
    assert 4 <= rel["aoc"] <= 6
    assert 8 <= rel["mmf"] <= 10
    assert 10 <= rel["smf"] <= 14


def test_breakout_lanes_fit_in_their_cage():
    for sw in CATALOG.switches:
        for g in sw.ports:
            for speed, lanes in g.breakout.items():
                assert speed < g.speed_gbps and speed * lanes <= g.speed_gbps, (sw.id, speed)


def test_switch_port_counts_match_their_names():
    assert CATALOG.switch("sw-64x800g-2u").ports_at(400) == 128
    assert CATALOG.switch("sw-64x800g-2u").ports_at(200) == 256
    assert CATALOG.switch("sw-64x1600g-2u").ports_at(800) == 128
    assert CATALOG.switch("ib-64x400g-1u").ports_at(400) == 64
    tor = CATALOG.switch("tor-48x25g-8x100g")
    assert tor.ports_at(25, role="down") == 48
    assert tor.ports_at(100, role="up") == 8
    mgmt = CATALOG.switch("mgmt-48x1g-4x10g")
    assert (mgmt.ports_at(1, role="down"), mgmt.ports_at(10, role="up")) == (48, 4)


def test_gpu_nodes_match_the_reference_heights_and_power():
    h100, b300 = CATALOG.server("gpu-8x400g-8u"), CATALOG.server("gpu-8x800g-10u")
    assert (h100.height_u, h100.nic_ports, h100.nic_speed_gbps) == (8, 8, 400)
    assert h100.power_w == pytest.approx(10200)
    assert (b300.height_u, b300.nic_ports) == (10, 8)


def test_unknown_models_raise_catalog_errors_naming_the_field():
    with pytest.raises(CatalogError, match=r"fabric\.leaf\.model: unknown switch model 'nope'"):
        CATALOG.switch("nope", "fabric.leaf.model")
    with pytest.raises(CatalogError, match=r"servers\.model: unknown server model 'nope'"):
        CATALOG.server("nope", "servers.model")


def _switch(id_: str, count: int) -> SwitchModel:
    return SwitchModel(
        id=id_, name=id_, height_u=1, power_w=100, cost_usd=1,
        ports=(PortGroup(count=count, speed_gbps=100),),
    )  # fmt: skip


def test_overrides_replace_by_id_and_append_new_entries():
    dac = CATALOG.media_index["dac-400g"].model_copy(update={"reach_m": 3.0})
    merged = merge_catalog(
        CATALOG,
        CatalogOverrides(media=(dac,), switches=(_switch("sw-32x100g-1u", 16), _switch("x", 8))),
    )
    assert merged.media_index["dac-400g"].reach_m == 3.0
    assert [m.id for m in merged.media] == [m.id for m in CATALOG.media]  # order kept
    assert merged.switch("sw-32x100g-1u").ports_at(100) == 16
    assert [s.id for s in merged.switches][-1] == "x"
    assert merged.servers == CATALOG.servers
    assert builtin_catalog().switch("sw-32x100g-1u").ports_at(100) == 32  # not mutated


def test_overrides_can_replace_the_whole_catalog():
    merged = merge_catalog(CATALOG, CatalogOverrides(switches=(_switch("x", 8),), replace=True))
    assert merged == Catalog(switches=(_switch("x", 8),))
    assert merge_catalog(CATALOG, None) is CATALOG


def test_a_copy_with_other_media_does_not_answer_from_the_originals_lookups():
    base = builtin_catalog()
    assert "dac-400g" in base.media_index  # cached on the shared catalog
    aoc = base.media_index["aoc-100g"]
    only = base.model_copy(update={"media": (aoc,)})
    assert set(only.media_index) == {"aoc-100g"}
    longer = aoc.model_copy(update={"stock_lengths_m": (1.0, 99.0)})
    assert aoc.stock_lengths_mm != (1000, 99000)
    assert longer.stock_lengths_mm == (1000, 99000)


def test_current_generation_entries():
    """B200 / B300 nodes, NVL72 racks, the XDR switch and the 800G media ladder."""
    cat = builtin_catalog()
    b200, b300 = cat.server("gpu-8x400g-10u"), cat.server("gpu-8x800g-10u")
    assert (b200.height_u, b200.nic_ports, b200.nic_speed_gbps) == (10, 8, 400)
    assert (b300.height_u, b300.nic_ports, b300.nic_speed_gbps) == (10, 8, 800)
    for rack_id, speed in (("nvl72-gb200-rack", 400), ("nvl72-gb300-rack", 800)):
        nvl = cat.server(rack_id)
        assert nvl.nic_group("compute") == (1, 72, speed)
        assert 120_000 <= nvl.power_w <= 140_000 and 48 // nvl.height_u == 1
    xdr = cat.switch("ib-144x800g-4u")
    assert (xdr.height_u, xdr.ports_at(800)) == (4, 144)
    assert xdr.media is not None and not xdr.media.permits("aoc")
    assert cat.switch("sw-64x800g-2u").ports_at(800) == 64
    reach = {m.kind: m.reach_m for m in cat.media_for(800)}
    assert reach == {"dac": 2, "acc": 5, "aoc": 30, "mmf": 50, "smf": 2000}
    assert sorted(m.reach_m for m in cat.media_for(800) if m.kind == "smf") == [500, 2000]


def test_one_nvl72_system_per_rack_within_the_power_budget():
    from layouts.generate import regular_hall
    from topo.fabric.servers import layout_servers
    from topo.scenario import ServerIntent

    cat = builtin_catalog()
    nvl = cat.server("nvl72-gb200-rack")
    hall = regular_hall(rows=1, racks_per_row=3, power_kw=140)
    layout = layout_servers((ServerIntent(model=nvl.id),), [nvl], hall, [])
    assert [len(rs.servers) for rs in layout] == [1, 1, 1]
    problems: list = []
    layout_servers((ServerIntent(model=nvl.id),), [nvl], regular_hall(rows=1, racks_per_row=1,
                   power_kw=60), problems)  # fmt: skip
    assert problems and "cannot hold one 'nvl72-gb200-rack'" in problems[0].message


# ---------------------------------------------------------------- interface names


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_interface_names_are_unique_on_every_device(example_folders, name):
    """No device has two cables on one interface name, and cables.csv names them."""
    import csv
    import io

    rows = csv.DictReader(io.StringIO((example_folders[name] / "cables.csv").read_text()))
    seen: set[tuple[str, str]] = set()
    for r in rows:
        for end in ("a", "b"):
            key = (r[f"{end}_device"], r[f"{end}_interface"])
            assert key[1], key
            assert key not in seen, key
            seen.add(key)


def test_a_catalog_naming_renames_the_ports():
    from topo.catalog import InterfaceNames

    cat = builtin_catalog()
    sw = cat.switch("sw-64x400g-1u")
    assert sw.interface_name("03.2") == "Ethernet3/2"
    assert cat.switch("ib-64x400g-1u").interface_name("17") == "IB1/17"
    cumulus = sw.model_copy(
        update={"interface_names": InterfaceNames(port="swp{port}", lane="swp{port}s{lane0}")}
    )
    assert cumulus.interface_name("03.2") == "swp3s1"
    assert cumulus.interface_name("mgmt") == "Management1"
    assert cat.interface_name("unknown-model", "mgmt") == "bmc"


def test_a_naming_with_an_unknown_field_is_refused():
    from pydantic import ValidationError

    from topo.catalog import InterfaceNames

    with pytest.raises(ValidationError, match=r"\{slot\}"):
        InterfaceNames(port="Eth{slot}/{port}")
