"""The installer workbook, read back with openpyxl."""

from __future__ import annotations

import io
from collections import Counter

import openpyxl
import pytest

import topo
from topo.outputs.workbook import TIER_COLOURS, plan_to_xlsx

NAMES = ["enterprise-hall", "ai-pod", "power-and-sourcing"]


def _book(plan, **kw):
    return openpyxl.load_workbook(io.BytesIO(plan_to_xlsx(plan, **kw)["schedule.xlsx"]))


def _rows(ws):
    values = list(ws.iter_rows(values_only=True))
    head = values[0]
    return [dict(zip(head, r, strict=True)) for r in values[1:]]


@pytest.mark.parametrize("name", NAMES)
def test_every_cable_on_its_tier_sheet_and_its_rows(example_plans, name):
    plan = example_plans[name]
    wb = _book(plan)
    cables = {c.id: c for c in plan.cables}
    rack_row = {r.id: r.row for r in plan.floor.racks}
    seen = Counter()
    for tier in {c.tier for c in plan.cables}:
        for r in _rows(wb[tier]):
            assert cables[r["cable_id"]].tier == tier
            assert r["colour"] == TIER_COLOURS.get(tier, "white")
            seen[r["cable_id"]] += 1
    assert seen == Counter({c: 1 for c in cables})
    for row in plan.floor.rows:
        title = f"Row {row.id}"
        want = {
            c.id for c in plan.cables if row.id in (rack_row.get(c.a_rack), rack_row.get(c.b_rack))
        }
        got = {r["cable_id"] for r in _rows(wb[title])} if title in wb.sheetnames else set()
        assert got == want, title
    for ws in wb.worksheets[1:]:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
        assert len(ws.title) <= 31 and not set(ws.title) & set("[]:*?/\\")


def test_pull_lists_add_up(example_plans):
    plan = example_plans["ai-pod"]
    pulls = _rows(_book(plan)["Pull lists"])
    assert sum(p["cables"] for p in pulls) == len(plan.cables)
    stock = {c.id: c.stock_mm for c in plan.cables}
    for p in pulls:
        ids = p["cable_ids"].split()
        assert len(ids) == p["cables"]
        assert p["stock_length_m"] == pytest.approx(sum(stock[i] for i in ids) / 1000)


def test_labels_give_both_ends_of_every_cable(example_plans):
    plan = example_plans["enterprise-hall"]
    labels = _rows(_book(plan)["Labels"])
    assert len(labels) == 2 * len(plan.cables)
    by_id = {c.id: c.label for c in plan.cables}
    for r in labels:
        assert f"{r['this_end']}/{r['far_end']}" in (
            by_id[r["cable_id"]],
            "/".join(reversed(by_id[r["cable_id"]].split("/", 1))),
        )


def test_feet_and_metres_agree(example_plans):
    rows = _rows(_book(example_plans["enterprise-hall"], feet=True)["leaf-spine"])
    for r in rows:
        assert r["stock_length_ft"] == pytest.approx(r["stock_length_m"] / 0.3048, abs=0.01)


def test_same_plan_same_bytes(example_plans):
    plan = example_plans["enterprise-hall"]
    assert plan_to_xlsx(plan) == plan_to_xlsx(plan)


def test_hostile_ids_stay_text(tmp_path):
    from layouts.generate import regular_hall

    floor = regular_hall(rows=2, racks_per_row=4, network_positions=(1,))
    trays = tuple(
        t.model_copy(update={"id": f'=HYPERLINK("http://x/{t.id}")'}) for t in floor.trays
    )
    scenario = topo.parse_scenario(
        {
            "name": "hostile",
            "floor": floor.model_copy(update={"trays": trays}).model_dump(mode="json"),
            "servers": {"model": "srv-1u-2x25g", "per_rack": 2},
            "fabric": {
                "kind": "spine-leaf",
                "name": "dc",
                "leaf": {"model": "tor-48x25g-8x100g", "placement": "top-of-rack"},
                "spine": {"model": "sw-64x400g-1u", "count": 2},
            },
        }
    )
    wb = _book(topo.plan(scenario))
    found = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    found += 1
    assert found > 0
