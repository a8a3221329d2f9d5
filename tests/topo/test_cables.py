"""Tests for media choice, cable lengths and labels."""

from __future__ import annotations

import pytest

from layouts.model import RACK_UNIT_M, Floor, RackRow, Tray
from topo.cables import make_cables, port_label
from topo.catalog import builtin_catalog
from topo.errors import CatalogError
from topo.media import choose_media, inrack_mm
from topo.model import Device, Endpoint, Link, RackRoute

CATALOG = builtin_catalog()


def test_port_label_follows_rack_u_port():
    assert port_label("B07", 42, "17") == "B07-42:17"
    assert port_label("A01", 4, "03.2") == "A01-04:03.2"


def test_inrack_run_from_device_to_rack_top():
    assert inrack_mm(48, 48, 300) == 300
    assert inrack_mm(48, 40, 300) == round(8 * RACK_UNIT_M * 1000) + 300


def test_media_by_reach_then_cost():
    options = CATALOG.media_for(400)
    short = choose_media(options, 1000, None)
    assert short is not None and short[0].kind == "dac"
    mid = choose_media(options, 20_000, None)
    assert mid is not None and mid[0].kind in ("aoc", "mmf")
    far = choose_media(options, 300_000, None)
    assert far is not None and far[0].kind == "smf"
    assert choose_media(options, 10_000_000, None) is None


def test_stock_length_is_the_shortest_that_covers_the_need():
    media, need, stock = choose_media(CATALOG.media_for(25), 1_234, 500)  # type: ignore[misc]
    assert need == 1_234 + 2 * 500
    assert stock == min(s for s in media.stock_lengths_mm if s >= need)


def _floor() -> Floor:
    """[A01][A02] ... [A09] under tray T-A."""
    return Floor(
        outline=((0, 0), (10, 0), (10, 4), (0, 4)),
        rows=(RackRow(id="A", origin=(1, 1), count=9),),
        trays=(Tray(id="T-A", path=((1, 1.6), (6.4, 1.6))),),
    )


def _devices() -> dict[str, Device]:
    return {
        "s1": Device("s1", "server", "srv-1u-2x25g", 1, 500, rack="A01", u=1),
        "l1": Device("l1", "leaf", "tor-48x25g-8x100g", 1, 400, rack="A01", u=48),
        "l9": Device("l9", "leaf", "tor-48x25g-8x100g", 1, 400, rack="A09", u=48),
    }


def test_cable_inside_one_rack_touches_no_tray():
    link = Link("L1", Endpoint("s1", 1), Endpoint("l1", 1), 25, "server-leaf")
    (cable,), problems = make_cables([link], _devices(), _floor(), {}, CATALOG)
    assert problems == ()
    assert cable.segments == () and cable.route_mm == 0
    assert cable.label == "A01-01:01/A01-48:01"
    expected = round(47 * RACK_UNIT_M * 1000) + 300 + 2 * 500
    assert cable.length_mm == expected
    assert cable.stock_mm >= cable.length_mm


def test_cable_between_racks_adds_drops_route_and_slack():
    link = Link("L1", Endpoint("l1", 50), Endpoint("l9", 50), 100, "leaf-leaf")
    route = RackRoute("A01", "A09", 4800, 466, 466, (1, 2, 3))
    (cable,), _ = make_cables([link], _devices(), _floor(), {"L1": route}, CATALOG, slack_m=1.0)
    assert cable.length_mm == 300 + 466 + 4800 + 466 + 300 + 2 * 1000
    assert cable.segments == (1, 2, 3)


def test_unrouted_link_stays_in_the_plan_flagged():
    link = Link("L1", Endpoint("l1", 50), Endpoint("l9", 50), 100, "leaf-leaf")
    (cable,), problems = make_cables([link], _devices(), _floor(), {"L1": None}, CATALOG)
    assert cable.status == "unrouted" and cable.media == ""
    assert len(problems) == 1 and "no tray path" in problems[0].message
    assert "'A01'" in problems[0].message and "'A09'" in problems[0].message


def test_link_beyond_every_reach_is_named():
    link = Link("L7", Endpoint("l1", 50), Endpoint("l9", 50), 100, "leaf-leaf")
    route = RackRoute("A01", "A09", 20_000_000, 466, 466, (1,))
    (cable,), problems = make_cables([link], _devices(), _floor(), {"L7": route}, CATALOG)
    assert cable.status == "no-media"
    (p,) = problems
    assert "'L7'" in p.message and "longest 100G media" in p.message


def test_speed_without_media_is_a_catalog_error():
    link = Link("L1", Endpoint("s1", 1), Endpoint("l1", 1), 3, "server-leaf")
    with pytest.raises(CatalogError, match="3G"):
        make_cables([link], _devices(), _floor(), {}, CATALOG)


def test_labels_can_carry_the_room(tmp_path):
    """With options.label_room each end of a label starts with the floor's name, so the
    labels of two halls never collide; the plan still reads back as written."""
    import topo
    from topo.outputs import read_plan, render_plan, write_plan

    base = topo.load_scenario("topo/data/scenarios/enterprise-hall.yaml")
    opts = base.options.model_copy(update={"label_room": True})
    plans = []
    for room in ("DH1", "DH2"):
        floor = base.floor.model_copy(update={"name": room})
        plans.append(topo.plan(base.model_copy(update={"floor": floor, "options": opts})))
    for room, p in zip(("DH1", "DH2"), plans, strict=True):
        for c in p.cables:
            a, b = c.label.split("/")
            assert a.startswith(f"{room}.{c.a_rack}-") and b.startswith(f"{room}.{c.b_rack}-")
    assert not {c.label for c in plans[0].cables} & {c.label for c in plans[1].cables}
    write_plan(plans[0], tmp_path / "p")
    assert render_plan(read_plan(tmp_path / "p")) == render_plan(plans[0])
