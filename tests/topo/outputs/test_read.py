"""Plans read back from their folders: the same plan, byte for byte, without planning."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import topo
from tests.conftest import EXAMPLE_NAMES
from topo.errors import TopoError
from topo.outputs import plan_from_files, read_plan, render_plan, write_plan


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_a_plan_read_back_writes_the_same_bytes(example_plans, example_folders, name):
    again = read_plan(example_folders[name])
    assert render_plan(again) == render_plan(example_plans[name])


def test_a_plan_read_back_keeps_its_records(example_plans, example_folders):
    original = example_plans["ai-hall-spine-leaf"]
    again = read_plan(example_folders["ai-hall-spine-leaf"])
    assert again.summary == original.summary
    assert again.diagnostics == original.diagnostics
    strip = [
        (d.id, d.role, d.model, d.rack, d.u, d.power_w, d.cost_usd) for d in again.placement.devices
    ]
    assert strip == [
        (d.id, d.role, d.model, d.rack, d.u, d.power_w, d.cost_usd)
        for d in original.placement.devices
    ]
    assert [(c.id, c.segments, c.length_mm, c.stock_mm) for c in again.cables] == [
        (c.id, c.segments, c.length_mm, c.stock_mm) for c in original.cables
    ]
    assert [f.cable_area_mm2 for f in again.fills] == pytest.approx(
        [f.cable_area_mm2 for f in original.fills]
    )


def test_reading_never_plans(example_folders, monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("read_plan planned")

    monkeypatch.setattr(topo.planner, "plan", refuse)
    monkeypatch.setattr(topo.planner, "_place_and_route", refuse)
    assert read_plan(example_folders["enterprise-hall"]).summary["cables"] > 0


def test_files_from_a_store_read_like_a_folder(example_folders):
    folder = example_folders["ai-pod"]
    files = {n: (folder / n).read_bytes() for n in ("scenario.yaml", "plan.json", "cables.csv")}
    assert render_plan(plan_from_files(files)) == render_plan(read_plan(folder))


def test_hostile_ids_survive_the_round_trip(tmp_path):
    """Tray ids a spreadsheet could run as formulas are written with an apostrophe in
    cables.csv and read back as they were."""
    from layouts.generate import regular_hall

    floor = regular_hall(rows=2, racks_per_row=4, network_positions=(1,))
    trays = tuple(t.model_copy(update={"id": f"=HYPERLINK({t.id})"}) for t in floor.trays)
    floor = floor.model_copy(update={"trays": trays})
    scenario = topo.parse_scenario(
        {
            "name": "hostile",
            "floor": floor.model_dump(mode="json"),
            "servers": {"model": "srv-1u-2x25g", "per_rack": 2},
            "fabric": {
                "kind": "spine-leaf",
                "name": "dc",
                "leaf": {"model": "tor-48x25g-8x100g", "placement": "top-of-rack"},
                "spine": {"model": "sw-64x400g-1u", "count": 2},
            },
        }
    )
    plan = topo.plan(scenario)
    write_plan(plan, tmp_path / "out")
    assert ",'=HYPERLINK(" in (tmp_path / "out" / "cables.csv").read_text()
    again = read_plan(tmp_path / "out")
    assert render_plan(again) == render_plan(plan)
    assert [c.segments for c in again.cables] == [c.segments for c in plan.cables]


def test_a_folder_without_a_plan_is_named(tmp_path):
    (tmp_path / "scenario.yaml").write_text("name: x\n")
    with pytest.raises(TopoError, match=r"plan\.json") as exc:
        read_plan(tmp_path)
    assert "cables.csv" in str(exc.value)


def test_a_route_through_a_missing_tray_names_the_cable(example_folders, tmp_path):
    import csv
    import io

    folder = shutil.copytree(example_folders["enterprise-hall"], tmp_path / "p")
    csv_path = Path(folder) / "cables.csv"
    reader = csv.DictReader(io.StringIO(csv_path.read_text()))
    rows = list(reader)
    k = next(i for i, r in enumerate(rows) if r["tray_route"])
    rows[k]["tray_route"] = "NOPE.001"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=reader.fieldnames or [], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    csv_path.write_text(buf.getvalue())
    cable = rows[k]["cable_id"]
    with pytest.raises(TopoError, match=rf"cables\.csv:{k + 2}.*{cable}.*'NOPE\.001'"):
        read_plan(folder)


def test_another_format_is_refused(example_folders, tmp_path):
    folder = shutil.copytree(example_folders["enterprise-hall"], tmp_path / "p")
    path = Path(folder) / "plan.json"
    path.write_text(path.read_text().replace('"topo.plan/1"', '"topo.plan/99"'))
    with pytest.raises(TopoError, match=r"topo\.plan/99"):
        read_plan(folder)
