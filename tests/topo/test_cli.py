"""Tests for the ``topo`` command line: success paths and every user-mistake path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from topo.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "enterprise-hall.yaml"


def test_plan_default_scenario_writes_every_output(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["plan", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["plan.json", "cables.csv", "bom.csv", "bom_by_origin.csv", "trays.csv", "floor.svg",
         "scenario.yaml"]
    )  # fmt: skip
    assert "enterprise-hall" in result.output
    summary = json.loads((out / "plan.json").read_text())["summary"]
    assert summary["cables"] == 1216


def test_plan_example_file(tmp_path):
    result = runner.invoke(app, ["plan", str(EXAMPLE), "-o", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cables.csv").exists()


def test_validate_ok():
    result = runner.invoke(app, ["validate", str(EXAMPLE)])
    assert result.exit_code == 0
    assert "ok" in result.output


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(text)
    return p


BAD_CASES = {
    "malformed-yaml": ("name: x\nfloor: [unclosed\n", "malformed YAML at line"),
    "unknown-key": (EXAMPLE.read_text() + "colour: blue\n", "unknown key 'colour'"),
    "wrong-type": (
        EXAMPLE.read_text().replace("per_rack: 12", "per_rack: twelve"),
        "servers.per_rack",
    ),
    "unknown-layout": (
        EXAMPLE.read_text().replace("floor: enterprise-hall", "floor: no-such-hall"),
        "no-such-hall",
    ),
    "unknown-switch": (
        EXAMPLE.read_text().replace("model: sw-64x400g-1u", "model: sw-9000"),
        "sw-9000",
    ),
    "missing-floor-file": (
        EXAMPLE.read_text().replace("floor: enterprise-hall", "floor: ./nowhere.yaml"),
        "nowhere.yaml",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
@pytest.mark.parametrize("command", ["plan", "validate"])
def test_user_mistakes_exit_2_with_named_problem_and_no_output(tmp_path, case, command):
    text, expected = BAD_CASES[case]
    scenario = _write(tmp_path, text)
    out = tmp_path / "out"
    args = [command, str(scenario)] + (["-o", str(out)] if command == "plan" else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_every_problem_is_printed(tmp_path):
    text = EXAMPLE.read_text().replace("per_rack: 12", "per_rack: -1") + "colour: blue\n"
    result = runner.invoke(app, ["validate", str(_write(tmp_path, text))])
    assert result.exit_code == 2
    assert "servers.per_rack" in result.output and "colour" in result.output
    assert "2 problems found" in result.output


def test_missing_scenario_file(tmp_path):
    result = runner.invoke(app, ["plan", str(tmp_path / "nope.yaml"), "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "not found" in result.output


def test_layouts_lists_the_shipped_layouts():
    result = runner.invoke(app, ["layouts", "--json"])
    assert result.exit_code == 0
    names = [x["name"] for x in json.loads(result.output)]
    assert {"enterprise-hall", "ai-hall"} <= set(names)


def test_schema_is_json_schema_of_the_scenario():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["type"] == "object"
    assert {"floor", "servers"} <= set(schema["required"])
    assert {"fabric", "fabrics"} <= set(schema["properties"])  # one network, or several
    effort = schema["$defs"]["Options"]["properties"]["effort"]
    assert effort["enum"] == ["low", "normal", "high", "exact"]


def test_console_script_reports_without_traceback(tmp_path):
    """The real process: exit status 2, one line per problem, no traceback."""
    scenario = _write(tmp_path, "name: x\n")
    proc = subprocess.run(
        [sys.executable, "-m", "topo", "plan", str(scenario), "-o", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "missing required key 'floor'" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_layouts_new_writes_a_hall_that_validates_and_plans(tmp_path):
    hall = tmp_path / "halls" / "hall.yaml"
    result = runner.invoke(
        app,
        ["layouts", "new", "--rows", "30", "--racks-per-row", "6", "--network-position", "3",
         "--power-kw", "50", "--name", "DH9", "-o", str(hall)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "30 rows x 6 racks (180 racks, 30 network)" in result.output
    from layouts.library import read_floor
    from layouts.validate import validate_floor

    floor = read_floor(hall)
    assert floor.name == "DH9" and [r.id for r in floor.rows][-4:] == ["AA", "AB", "AC", "AD"]
    assert validate_floor(floor) == []
    scenario = tmp_path / "sc.yaml"
    scenario.write_text(
        "floor: halls/hall.yaml\n"
        "servers: {model: gpu-8x400g-8u, per_rack: 4, racks: [A01..A02, AD]}\n"
        "fabric: {kind: rail-optimized, su_nodes: 8, leaf: {model: ib-64x400g-1u},\n"
        "         spine: {model: ib-64x400g-1u}}\n"
        "options: {routing: shortest}\n"
    )
    result = runner.invoke(app, ["plan", str(scenario), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "cables.csv").exists()


def test_layouts_new_names_a_bad_argument_and_writes_nothing(tmp_path):
    out = tmp_path / "hall.yaml"
    result = runner.invoke(app, ["layouts", "new", "--racks-per-row", "120", "-o", str(out)])
    assert result.exit_code == 2
    assert "racks_per_row is 120, must be in 1..99" in result.output
    assert not out.exists()


def test_layouts_list_is_the_listing():
    a = runner.invoke(app, ["layouts", "--json"])
    b = runner.invoke(app, ["layouts", "list", "--json"])
    assert a.exit_code == b.exit_code == 0 and a.output == b.output
