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


def _block_drawing(path: Path, *, units: int, duplicate: bool = False) -> None:
    """Racks as block references carrying an ID attribute, in ``units`` (4: mm)."""
    k = 1000.0 if units == 4 else 1.0
    doc = ezdxf.new("R2010")
    doc.header["$INSUNITS"] = units
    rack = doc.blocks.new("RACK600")
    rack.add_lwpolyline([(0, 0), (0.6 * k, 0), (0.6 * k, 1.2 * k), (0, 1.2 * k)], close=True)
    rack.add_attdef("ID", (0.1 * k, 0.5 * k), dxfattribs={"height": 0.1 * k})
    msp = doc.modelspace()
    msp.add_lwpolyline(
        [(0, 0), (10 * k, 0), (10 * k, 6 * k), (0, 6 * k)],
        close=True,
        dxfattribs={"layer": "TOPO-ROOM"},
    )
    for n in range(4):
        ref = msp.add_blockref(
            "RACK600", ((1 + n * 0.6) * k, 1 * k), dxfattribs={"layer": "TOPO-RACK"}
        )
        ref.add_auto_attribs({"ID": f"B{(1 if duplicate and n == 3 else n + 1):02d}"})
    msp.add_lwpolyline(
        [(0.5 * k, 2.5 * k), (9.5 * k, 2.5 * k)],
        dxfattribs={"layer": "TOPO-TRAY", "const_width": 0.45 * k},
    )
    doc.saveas(path)


@pytest.mark.parametrize("units", [4, 6])
def test_block_racks_with_id_attributes_in_millimetres_or_metres(tmp_path, units):
    path = tmp_path / "hall.dxf"
    _block_drawing(path, units=units)
    floor = floor_from_dxf(path).floor
    assert [r.id for r in floor.racks] == ["B01", "B02", "B03", "B04"]
    b02 = floor.rack_index["B02"]
    assert (b02.x, b02.y, b02.size_x, b02.size_y) == pytest.approx((1.9, 1.6, 0.6, 1.2))
    assert floor.outline[2] == pytest.approx((10.0, 6.0))
    assert floor.trays[0].width == pytest.approx(0.45)


def test_a_rack_drawn_twice_is_named_with_both_entities(tmp_path):
    path = tmp_path / "hall.dxf"
    _block_drawing(path, units=6, duplicate=True)
    with pytest.raises(LayoutError, match="rack 'B01' is drawn twice") as exc:
        floor_from_dxf(path)
    assert "INSERT" in str(exc.value)


def test_unknown_drawing_units_are_refused(tmp_path):
    path = tmp_path / "hall.dxf"
    _block_drawing(path, units=6)
    doc = ezdxf.readfile(path)
    doc.header["$INSUNITS"] = 14  # decimetres: not a unit facilities drawings use
    doc.saveas(path)
    with pytest.raises(LayoutError, match=r"drawing units 14"):
        floor_from_dxf(path)
