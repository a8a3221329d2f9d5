"""Golden-file tests for the exports of the shipped default scenario.

The golden files are regenerated deliberately, and reviewed as diffs, with::

    TOPO_UPDATE_GOLDEN=1 python -m pytest tests/topo/outputs/test_exports.py
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import topo
from tests.conftest import assert_golden
from topo.outputs.exports import (
    BOM_COLUMNS,
    CABLES_COLUMNS,
    OUTPUT_FILES,
    TRAYS_COLUMNS,
    render_plan,
    write_plan,
)

GOLDEN = Path(__file__).resolve().parents[3] / "tests" / "golden" / "enterprise-hall"


@pytest.mark.parametrize("name", sorted(OUTPUT_FILES))
def test_exports_match_golden_files(default_plan, name):
    assert_golden(render_plan(default_plan)[name], GOLDEN / name)


def test_same_scenario_gives_identical_bytes(default_plan):
    from tests.conftest import DEFAULT_SCENARIO

    again = topo.plan(topo.load_scenario(DEFAULT_SCENARIO))
    a, b = render_plan(default_plan), render_plan(again)
    for name in a:
        assert a[name] == b[name], name


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_headers_are_the_documented_columns(default_plan):
    files = render_plan(default_plan)
    for name, cols in (
        ("cables.csv", CABLES_COLUMNS),
        ("bom.csv", BOM_COLUMNS),
        ("trays.csv", TRAYS_COLUMNS),
    ):
        header = files[name].decode().splitlines()[0]
        assert header == ",".join(cols)


def test_cables_csv_one_row_per_cable_sorted(default_plan):
    rows = _rows(render_plan(default_plan)["cables.csv"].decode())
    assert len(rows) == len(default_plan.cables) == default_plan.summary["cables"]
    ids = [r["cable_id"] for r in rows]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for r in rows:
        a, b = r["label"].split("/")
        assert a == f"{r['a_rack']}-{int(r['a_u']):02d}:{r['a_port']}"
        assert b == f"{r['b_rack']}-{int(r['b_u']):02d}:{r['b_port']}"
        assert float(r["stock_length_m"]) >= float(r["length_m"]) > 0
        if r["a_rack"] == r["b_rack"]:
            assert r["tray_route"] == "" and float(r["route_m"]) == 0
        else:
            assert r["tray_route"] != ""


def test_bom_total_matches_summary_cost(default_plan):
    rows = _rows(render_plan(default_plan)["bom.csv"].decode())
    total = rows[-1]
    assert total["category"] == "total"
    items = sum(float(r["total_cost_usd"]) for r in rows[:-1])
    assert float(total["total_cost_usd"]) == pytest.approx(items)
    assert float(total["total_cost_usd"]) == pytest.approx(default_plan.summary["cost_usd"])
    cables = sum(int(r["quantity"]) for r in rows if r["category"] == "cable")
    assert cables == default_plan.summary["cables"] - default_plan.summary["unrouted"]


def test_trays_csv_counts_match_cables(default_plan):
    rows = _rows(render_plan(default_plan)["trays.csv"].decode())
    assert len(rows) == len(default_plan.pathways.segments)
    passes = sum(len(c.segments) for c in default_plan.cables)
    assert sum(int(r["cables"]) for r in rows) == passes


def test_write_plan_writes_every_file_and_nothing_else(default_plan, tmp_path):
    written = write_plan(default_plan, tmp_path / "out")
    assert sorted(p.name for p in written) == sorted(OUTPUT_FILES)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(OUTPUT_FILES)


def test_write_plan_leaves_nothing_when_rendering_fails(default_plan, tmp_path, monkeypatch):
    import topo.outputs.exports as ex

    def boom(plan):
        raise RuntimeError("disk full")

    monkeypatch.setitem(ex.OUTPUT_FILES, "trays.csv", boom)
    with pytest.raises(RuntimeError):
        write_plan(default_plan, tmp_path / "out")
    leftovers = list((tmp_path / "out").iterdir()) if (tmp_path / "out").exists() else []
    assert leftovers == []


def test_plan_json_has_the_contract_fields(default_plan):
    doc = json.loads(render_plan(default_plan)["plan.json"])
    s = doc["summary"]
    for key in (
        "devices", "links", "cables", "cables_by_tier", "total_length_m",
        "lower_bound_length_m", "max_tray_fill", "unrouted", "cost_usd", "optics_power_w",
    ):  # fmt: skip
        assert key in s, key
    assert {"status", "gap"} <= set(s["solver"])
    assert "seconds" not in s["solver"]  # measured times stay out of plan files
    assert s["devices"] == {"leaf": 38, "server": 456, "spine": 4}
    assert s["cables_by_tier"] == {"leaf-spine": 38 * 8, "server-leaf": 456 * 2}
    assert s["lower_bound_length_m"] <= s["total_length_m"]
