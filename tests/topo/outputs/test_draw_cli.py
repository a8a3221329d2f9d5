"""Tests for the drawing outputs of the CLI: floor.svg and scenario.yaml beside the plan's
CSVs, and ``topo draw`` on a plan folder or a scenario file."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from topo.cli import app
from topo.outputs.drawing import plan_to_svg, png_available
from topo.outputs.exports import OUTPUT_FILES, plan_to_scenario_yaml, render_plan
from topo.planner import plan
from topo.scenario import load_scenario, parse_scenario

EXAMPLE = Path(__file__).parents[3] / "examples" / "enterprise-hall.yaml"
NS = "{http://www.w3.org/2000/svg}"

runner = CliRunner()


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plan") / "out"
    result = runner.invoke(app, ["plan", str(EXAMPLE), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


def test_plan_writes_the_drawing_and_the_scenario_beside_the_csvs(planned: Path):
    assert {"floor.svg", "scenario.yaml"} <= set(OUTPUT_FILES)
    assert sorted(p.name for p in planned.iterdir()) == sorted(OUTPUT_FILES)
    root = ET.parse(planned / "floor.svg").getroot()
    assert root.tag == f"{NS}svg"
    assert (planned / "floor.svg").read_text(encoding="utf-8") == plan_to_svg(
        plan(load_scenario(EXAMPLE))
    )


def test_written_scenario_replans_to_the_same_plan(planned: Path):
    original = plan(load_scenario(EXAMPLE))
    text = (planned / "scenario.yaml").read_text(encoding="utf-8")
    assert text == plan_to_scenario_yaml(original)
    again = parse_scenario(yaml.safe_load(text))
    assert again == original.scenario
    files, files_again = render_plan(original), render_plan(plan(again))
    for name in ("cables.csv", "trays.csv", "bom.csv", "floor.svg", "scenario.yaml"):
        assert files[name] == files_again[name], name


def test_draw_a_plan_folder_with_a_cable_highlighted(planned: Path, tmp_path: Path):
    cable = "C000001"
    out = tmp_path / "one.svg"
    result = runner.invoke(app, ["draw", str(planned), "-o", str(out), "--cable", cable])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    root = ET.parse(out).getroot()
    routes = root.find(f".//{NS}g[@id='routes']")
    assert routes is not None
    assert [g.get("data-cable") for g in routes] == [cable]


def test_draw_a_scenario_file_with_rack_and_tier(tmp_path: Path):
    out = tmp_path / "rack.svg"
    args = ["draw", str(EXAMPLE), "-o", str(out), "--rack", "A01", "--tier", "server-leaf"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    routes = ET.parse(out).getroot().find(f".//{NS}g[@id='routes']")
    assert routes is not None and int(routes.get("data-cables", "0")) > 0


def test_draw_png(planned: Path, tmp_path: Path):
    if not png_available():
        pytest.skip("the png extra is not installed")
    out = tmp_path / "floor.png"
    result = runner.invoke(app, ["draw", str(planned), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rack", "Z99"], "no rack 'Z99'"),
        (["--cable", "C9"], "no cable 'C9'"),
        (["--tier", "core"], "no tier 'core'"),
    ],
)
def test_draw_refuses_unknown_options_and_writes_nothing(
    planned: Path, tmp_path: Path, args: list[str], message: str
):
    out = tmp_path / "x.svg"
    result = runner.invoke(app, ["draw", str(planned), "-o", str(out), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


def test_draw_refuses_other_formats_and_folders_without_a_scenario(tmp_path: Path):
    result = runner.invoke(app, ["draw", str(EXAMPLE), "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2 and ".svg or .png" in result.output
    result = runner.invoke(app, ["draw", str(tmp_path), "-o", str(tmp_path / "x.svg")])
    assert result.exit_code == 2 and "no plan.json" in result.output
    assert not (tmp_path / "x.svg").exists()


def test_draw_reads_the_folder_rather_than_planning_again(planned: Path, tmp_path: Path):
    """A plan folder is drawn as it was planned: an edited cable schedule shows in the
    drawing's panel, and a schedule that no longer parses is named."""
    folder = tmp_path / "edited"
    shutil.copytree(planned, folder)
    result = runner.invoke(app, ["draw", str(folder), "-o", str(tmp_path / "x.svg")])
    assert result.exit_code == 0, result.output
    (folder / "cables.csv").write_text("cable_id\n")
    result = runner.invoke(app, ["draw", str(folder), "-o", str(tmp_path / "y.svg")])
    assert result.exit_code == 2 and "lacks the columns" in result.output


def test_docs_images_script_draws_the_ai_hall(tmp_path: Path):
    import importlib.util

    path = Path(__file__).parents[3] / "docs" / "make_images.py"
    spec = importlib.util.spec_from_file_location("make_images", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.make_images(tmp_path)
    assert sorted(p.name for p in written) == sorted(module.IMAGES)
    for p in written:
        assert ET.parse(p).getroot().tag == f"{NS}svg"
        # the README shows what topo draws now
        committed = path.parent / p.name
        assert p.read_bytes() == committed.read_bytes(), (
            f"{committed} is stale: regenerate it with `python docs/make_images.py` and review it"
        )
