"""DXF: the plan drawn on layers, and floors read back from DXF drawings."""

from __future__ import annotations

from pathlib import Path

import ezdxf
import pytest
from typer.testing import CliRunner

from layouts.dxf import floor_from_dxf
from layouts.errors import LayoutError
from layouts.library import read_floor
from tests.conftest import EXAMPLE_NAMES
from topo.cli import app
from topo.outputs.dxf import plan_to_dxf


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_a_floor_written_by_topo_reads_back_equal(example_plans, tmp_path, name):
    plan = example_plans[name]
    path = tmp_path / "floor.dxf"
    path.write_bytes(plan_to_dxf(plan)["floor.dxf"])
    got = floor_from_dxf(path)
    assert got.floor == plan.floor
    assert got.skipped == ()


def test_layers_hold_what_the_plan_has(example_plans, tmp_path):
    plan = example_plans["ai-hall-spine-leaf"]
    path = tmp_path / "floor.dxf"
    path.write_bytes(plan_to_dxf(plan)["floor.dxf"])
    doc = ezdxf.readfile(path)
    assert doc.units == ezdxf.units.M
    msp = doc.modelspace()
    fills = [e for e in msp if e.dxf.layer.startswith("TOPO-TRAY-FILL-")]
    assert len(fills) == len(plan.fills)
    racks = [e for e in msp if e.dxf.layer in ("TOPO-RACK-COMPUTE", "TOPO-RACK-NETWORK")]
    assert len(racks) == len([r for r in plan.floor.racks if r.role != "empty"])
    routes = {e.dxf.layer for e in msp if e.dxf.layer.startswith("TOPO-ROUTE-")}
    assert routes == {
        f"TOPO-ROUTE-{t.upper()}" for t in {c.tier for c in plan.cables if c.segments}
    }


def test_same_plan_same_bytes(example_plans):
    plan = example_plans["ai-pod"]
    assert plan_to_dxf(plan) == plan_to_dxf(plan)


def _plain_drawing(path: Path, *, bad: bool = False) -> None:
    """A facilities drawing: rectangles, texts, a tray line; no extended data."""
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    msp.add_lwpolyline(
        [(0, 0), (10, 0), (10, 6), (0, 6)], close=True, dxfattribs={"layer": "TOPO-ROOM"}
    )
    for k in range(4):
        x = 1 + k * 0.6
        layer = "TOPO-RACK-NETWORK" if k == 3 else "TOPO-RACK"
        msp.add_lwpolyline(
            [(x, 1), (x + 0.6, 1), (x + 0.6, 2.2), (x, 2.2)],
            close=True,
            dxfattribs={"layer": layer},
        )
        msp.add_text(
            f"A{k + 1:02d}", dxfattribs={"layer": "TOPO-RACK-ID", "insert": (x + 0.2, 1.5)}
        )
    msp.add_line((0.5, 2.5), (9.5, 2.5), dxfattribs={"layer": "TOPO-TRAY"})
    msp.add_circle((5, 5), 1, dxfattribs={"layer": "FURNITURE"})
    if bad:
        msp.add_lwpolyline([(6, 1), (7, 1), (7, 2)], dxfattribs={"layer": "TOPO-RACK"})
    doc.saveas(path)


def test_a_plain_drawing_reads_racks_rows_and_trays(tmp_path):
    path = tmp_path / "hall.dxf"
    _plain_drawing(path)
    got = floor_from_dxf(path)
    floor = got.floor
    assert [r.id for r in floor.racks] == ["A01", "A02", "A03", "A04"]
    assert {r.id: r.role for r in floor.racks}["A04"] == "network"
    a01 = floor.rack_index["A01"]
    assert (a01.x, a01.y) == pytest.approx((1.3, 1.6))
    assert [t.id for t in floor.trays] == ["T01"]
    assert [p.location for p in got.skipped] == ["dxf.layer.FURNITURE"]


def test_entities_that_cannot_be_placed_are_named(tmp_path):
    path = tmp_path / "hall.dxf"
    _plain_drawing(path, bad=True)
    with pytest.raises(LayoutError, match="four-corner") as exc:
        floor_from_dxf(path)
    assert "TOPO-RACK" in str(exc.value)


def test_not_a_dxf_is_named(tmp_path):
    path = tmp_path / "x.dxf"
    path.write_text("hello")
    with pytest.raises(LayoutError, match="cannot read"):
        floor_from_dxf(path)


def test_the_cli_imports_a_drawing(example_plans, tmp_path):
    plan = example_plans["enterprise-hall"]
    dxf = tmp_path / "floor.dxf"
    dxf.write_bytes(plan_to_dxf(plan)["floor.dxf"])
    out = tmp_path / "floor.yaml"
    result = CliRunner().invoke(app, ["layouts", "import", str(dxf), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "40 racks" in result.output
    assert read_floor(out) == plan.floor
    result = CliRunner().invoke(
        app, ["layouts", "import", str(tmp_path / "no.dxf"), "-o", str(out)]
    )
    assert result.exit_code == 2 and "no such file" in result.output
