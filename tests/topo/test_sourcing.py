"""Sourcing: manufacturer, part number, origin and lead time in the BOM; domestic share,
excluded origins and a minimum domestic share (``options.sourcing``).

The hall is the power tests' one (tests/topo/test_power.py): 20 GPU nodes in row A under
four top-of-rack leaves, two spines in row B; its 400G links take passive and active
copper (DAC, ACC) and AOC. Here the switches come from the US, the copper from Mexico and
the AOC from Taiwan.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections import defaultdict
from pathlib import Path

import pytest

from tests.topo.test_power import hall
from topo import sourcing
from topo.catalog import builtin_catalog
from topo.errors import CatalogError, FabricError
from topo.outputs.exports import BOM_COLUMNS, plan_to_bom_by_origin_csv, plan_to_bom_csv
from topo.planner import plan, validate_scenario
from topo.scenario import parse_scenario

CAT = builtin_catalog()
ORIGINS = {"dac-400g": "MX", "acc-400g": "MX", "aoc-400g": "TW"}


def sourced(**rules) -> dict:
    """The hall with sourcing data in its catalog and ``rules`` as options.sourcing."""
    sw = CAT.switch("sw-64x400g-1u").model_dump()
    sw.update(manufacturer="Acme Networks", part_number="AN-6400", origin="US", lead_time_days=90)
    media = []
    for mid, origin in ORIGINS.items():
        m = CAT.media_index[mid].model_dump()
        m.update(origin=origin, manufacturer=f"Cables {origin}", lead_time_days=30)
        media.append(m)
    sc = hall()
    sc["catalog"] = {"switches": [sw], "media": media}
    if rules:
        sc["options"]["sourcing"] = rules
    return sc


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_bom_carries_sourcing_columns_at_the_end():
    p = plan(parse_scenario(sourced()))
    text = plan_to_bom_csv(p)
    assert text.splitlines()[0].endswith(",manufacturer,part_number,origin,lead_time_days")
    assert BOM_COLUMNS[-4:] == ("manufacturer", "part_number", "origin", "lead_time_days")
    by_sku = {r["sku"]: r for r in rows(text)}
    sw = by_sku["sw-64x400g-1u"]
    assert (sw["manufacturer"], sw["part_number"], sw["origin"], sw["lead_time_days"]) == (
        "Acme Networks", "AN-6400", "US", "90",
    )  # fmt: skip
    cable_origins = {r["origin"] for r in rows(text) if r["category"] == "cable"}
    assert cable_origins == {"MX", "TW"}


def test_bom_by_origin_groups_every_bom_line_under_its_origin():
    p = plan(parse_scenario(sourced()))
    bom = [r for r in rows(plan_to_bom_csv(p)) if r["category"] != "total"]
    grouped = rows(plan_to_bom_by_origin_csv(p))
    lines = [r for r in grouped if r["category"] not in ("subtotal", "total")]
    # the same lines, the same money
    key = ("sku", "quantity", "total_cost_usd")
    assert sorted(tuple(r[k] for k in key) for r in lines) == sorted(
        tuple(r[k] for k in key) for r in bom
    )
    subtotals = {r["origin"]: r for r in grouped if r["category"] == "subtotal"}
    assert list(subtotals) == ["MX", "TW", "US"]
    for origin, sub in subtotals.items():
        want = sum(float(r["total_cost_usd"]) for r in bom if r["origin"] == origin)
        assert float(sub["total_cost_usd"]) == pytest.approx(want)
    (total,) = [r for r in grouped if r["category"] == "total"]
    bom_total = next(r for r in rows(plan_to_bom_csv(p)) if r["category"] == "total")
    assert total["total_cost_usd"] == bom_total["total_cost_usd"]
    assert subtotals["US"]["lead_time_days"] == "90"


def test_the_domestic_share_is_relative_to_the_bom_total():
    p = plan(parse_scenario(sourced(domestic="US")))
    s = p.summary["sourcing"]
    bom = rows(plan_to_bom_csv(p))
    by_origin: dict[str, float] = defaultdict(float)
    for r in bom:
        if r["category"] != "total":
            by_origin[r["origin"] or "unknown"] += float(r["total_cost_usd"])
    total = float(bom[-1]["total_cost_usd"])
    assert s["total_usd"] == pytest.approx(total)
    assert s["domestic_usd"] == pytest.approx(by_origin["US"])
    assert s["domestic_share"] == pytest.approx(by_origin["US"] / total, abs=1e-4)
    assert s["by_origin_usd"] == pytest.approx(dict(by_origin))
    assert "bom.csv" in s["relative_to"]
    # no sourcing options, no sourcing summary
    assert "sourcing" not in plan(parse_scenario(sourced())).summary


def test_excluded_origins_keep_their_media_out_of_the_plan():
    free = plan(parse_scenario(sourced()))
    assert free.summary["cables_by_media"].get("aoc-400g", 0) > 0  # the rule matters
    p = plan(parse_scenario(sourced(exclude_origins=["TW"])))
    assert "aoc-400g" not in p.summary["cables_by_media"]
    assert all(c.status == "ok" for c in p.cables)
    assert len(p.cables) == len(free.cables)
    origins = {r["origin"] for r in rows(plan_to_bom_csv(p))}
    assert "TW" not in origins


def test_a_switch_model_of_an_excluded_origin_is_an_error_naming_it():
    sc = parse_scenario(sourced(exclude_origins=["US"]))
    with pytest.raises(
        CatalogError, match=r"model 'sw-64x400g-1u' \(device '.+'\) comes from 'US'"
    ):
        plan(sc)
    assert [p.location for p in validate_scenario(sc)] == ["options.sourcing.exclude_origins"]


def test_excluding_every_media_of_a_speed_is_an_error_naming_a_link():
    sc = sourced(exclude_origins=["CN"])
    for m in CAT.media_for(400):
        if m.id not in ORIGINS:
            entry = m.model_dump()
            sc["catalog"]["media"].append(entry)
    sc["catalog"]["media"] = [
        {**m, "origin": "CN"} if m["speed_gbps"] == 400 else m for m in sc["catalog"]["media"]
    ]
    with pytest.raises(FabricError, match="at 400G has no media outside the excluded origins CN"):
        plan(parse_scenario(sc))


def test_a_minimum_domestic_share_not_met_says_by_how_much():
    low = plan(parse_scenario(sourced(domestic="MX", min_domestic_share=0.5)))
    s = low.summary["sourcing"]
    assert s["domestic_share"] < 0.5
    (d,) = [d for d in low.diagnostics if d.location == "options.sourcing.min_domestic_share"]
    short = 0.5 * s["total_usd"] - s["domestic_usd"]
    assert s["domestic_short_usd"] == pytest.approx(short, abs=0.01)
    assert f"${short:,.2f} short" in d.message and "below the minimum 50.0%" in d.message
    met = plan(parse_scenario(sourced(domestic="US", min_domestic_share=0.5)))
    assert met.summary["sourcing"]["domestic_share"] >= 0.5
    assert met.summary["sourcing"]["domestic_short_usd"] == 0
    assert not [d for d in met.diagnostics if d.location.startswith("options.sourcing")]


def test_sourcing_options_reject_a_share_without_a_domestic_country():
    with pytest.raises(Exception, match="min_domestic_share needs `domestic`"):
        parse_scenario(sourced(min_domestic_share=0.5))


def test_catalog_sourcing_sets_fields_on_entries_by_id_and_transceiver_sku():
    from topo.catalog import CatalogOverrides, merge_catalog

    over = CatalogOverrides(
        sourcing={
            "sw-64x400g-1u": {"origin": "US", "lead_time_days": 120},
            "QSFPDD-400G-SR4": {"manufacturer": "Example Optics", "origin": "MY"},
        }
    )
    cat = merge_catalog(CAT, over)
    sw = cat.switch("sw-64x400g-1u")
    assert (sw.origin, sw.lead_time_days, sw.manufacturer) == ("US", 120, None)
    assert sw.model_copy(update={"origin": None, "lead_time_days": None}) == CAT.switch(
        "sw-64x400g-1u"
    )  # nothing else changed
    sr4 = cat.media_index["sr4-400g"]
    assert sr4.transceiver.origin == "MY" and sr4.origin is None
    assert sourcing.sourcing_of(sr4.transceiver, sr4).manufacturer == "Example Optics"


def test_catalog_sourcing_for_an_unknown_id_is_an_error_naming_it():
    sc = hall()
    sc["catalog"] = {"sourcing": {"sw-nope": {"origin": "US"}}}
    problems = validate_scenario(parse_scenario(sc))
    assert [(p.location, p.message) for p in problems] == [
        (
            "catalog.sourcing.sw-nope",
            "no switch, server, media or transceiver 'sw-nope' in the catalog",
        )
    ]


def test_the_example_prints_its_power_and_domestic_share(tmp_path):
    from pathlib import Path

    from typer.testing import CliRunner

    from topo.cli import app

    example = Path(__file__).resolve().parents[2] / "examples" / "power-and-sourcing.yaml"
    result = CliRunner().invoke(app, ["plan", str(example), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "515.3 kW of 520 kW; fullest row B 315.3 of 320 kW" in result.output
    assert "73.6% US (minimum 60%)" in result.output
    grouped = rows((tmp_path / "bom_by_origin.csv").read_text())
    assert "TW" not in {r["origin"] for r in grouped}  # the AOC's origin is excluded


def test_a_minimum_domestic_share_moves_the_cheapest_cables_to_domestic_media():
    """SR4 optics from MY, DR4 optics and fibre made in the US: the share is raised to
    the minimum by moving SR4 links to DR4, no thicker, and no more than needed."""
    import yaml

    root = Path(__file__).parents[2] / "examples"
    doc = yaml.safe_load((root / "power-and-sourcing.yaml").read_text())
    doc["catalog"]["sourcing"]["dr4-400g"] = {"origin": "US"}
    doc["catalog"]["sourcing"]["QSFPDD-400G-DR4"] = {"origin": "US"}
    before = plan(parse_scenario(doc))
    doc["options"]["sourcing"]["min_domestic_share"] = 0.8
    p = plan(parse_scenario(doc))

    def share(bom: list[dict[str, str]]) -> float:
        us = sum(float(r["total_cost_usd"]) for r in bom[:-1] if r["origin"] == "US")
        return us / float(bom[-1]["total_cost_usd"])

    bom = rows(plan_to_bom_csv(p))
    assert share(rows(plan_to_bom_csv(before))) < 0.8 <= share(bom)
    moved = [(a, b) for a, b in zip(before.cables, p.cables, strict=True) if a.media != b.media]
    assert moved and all(a.media == "sr4-400g" and b.media == "dr4-400g" for a, b in moved)
    assert all(a.segments == b.segments and a.id == b.id for a, b in moved)
    # no more than needed: undoing any one move drops the share below the minimum
    sr4 = sum(1 for c in before.cables if c.media == "sr4-400g")
    assert len(moved) < sr4
    undo = {b.id: a for a, b in moved[-1:]}
    fewer = dataclasses.replace(p, cables=tuple(undo.get(c.id, c) for c in p.cables))
    assert share(rows(plan_to_bom_csv(fewer))) < 0.8
    assert p.summary["max_tray_fill"] <= before.summary["max_tray_fill"]
    assert any(f"{len(moved)} cables moved to US media" in n for n in p.notes)
    assert not [d for d in p.diagnostics if "domestic" in d.location]
    # the bound is still the cheapest media's: the plan costs more, so it is not OPTIMAL
    assert p.lower_bound_cost_cents == before.lower_bound_cost_cents
    assert p.summary["solver"]["status"] == "FEASIBLE"
