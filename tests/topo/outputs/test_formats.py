"""`topo export`: every format from a plan folder, never planning again, all or nothing."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import topo.planner
from tests.conftest import EXAMPLE_NAMES
from topo.cli import app
from topo.outputs.formats import FORMATS, export_plan, zip_files

runner = CliRunner()
FORMAT_NAMES = sorted(FORMATS)


def test_every_registered_format_is_a_function():
    for spec in FORMATS.values():
        assert callable(spec.load()), spec.name


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_the_cli_writes_what_the_function_returns(
    example_plans, example_folders, tmp_path, fmt, name
):
    """Every format of every example from the CLI, read from the plan folder: the same
    files as the function gives for the plan in memory, or the same refusal."""
    from topo.errors import TopoError

    spec = FORMATS[fmt]
    out = tmp_path / (f"x{spec.suffix}" if spec.single else "x")
    result = runner.invoke(app, ["export", str(example_folders[name]), "--to", fmt, "-o", str(out)])
    try:
        files = export_plan(example_plans[name], fmt)
    except TopoError as exc:
        assert result.exit_code == 2, result.output
        assert exc.problems[0].message.split(":")[0] in result.output.replace("\n", " ")
        return
    assert result.exit_code == 0, result.output
    if spec.single:
        assert [out.read_bytes()] == list(files.values())
    else:
        written = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        assert written == files


@pytest.mark.parametrize("name", [n for n in EXAMPLE_NAMES if n != "ai-cluster-16k"])
@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_every_example_exports_or_says_why_not(example_plans, name, fmt):
    """Each format either gives files, the same bytes twice, or refuses with a reason
    (an AVD export of a plan with no Ethernet fabric)."""
    from topo.errors import TopoError

    try:
        first = export_plan(example_plans[name], fmt)
    except TopoError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return
    assert first and all(isinstance(v, bytes) and v for v in first.values())
    assert export_plan(example_plans[name], fmt) == first  # (16k: the CLI test runs it)


def test_export_never_plans(example_folders, tmp_path, monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("export planned")

    monkeypatch.setattr(topo.planner, "plan", refuse)
    monkeypatch.setattr(topo.planner, "_place_and_route", refuse)
    out = tmp_path / "lab.clab.yml"
    folder = example_folders["enterprise-hall"]
    result = runner.invoke(app, ["export", str(folder), "--to", "containerlab", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file()


def test_default_output_lands_in_the_plan_folder(example_folders, tmp_path):
    import shutil

    folder = shutil.copytree(example_folders["enterprise-hall"], tmp_path / "p")
    result = runner.invoke(app, ["export", str(folder), "--to", "avd", "-q"])
    assert result.exit_code == 0 and result.output == ""
    assert (Path(folder) / "avd" / "inventory.yml").is_file()


def test_unknown_format_and_wrong_places_are_named(example_folders, tmp_path):
    folder = example_folders["enterprise-hall"]
    r = runner.invoke(app, ["export", str(folder), "--to", "visio"])
    assert r.exit_code == 2 and "'visio'" in r.output and "containerlab" in r.output
    r = runner.invoke(app, ["export", str(tmp_path / "nope"), "--to", "avd", "-o", str(tmp_path)])
    assert r.exit_code == 2 and "not a folder" in r.output
    r = runner.invoke(app, ["export", str(folder), "--to", "containerlab", "-o", str(tmp_path)])
    assert r.exit_code == 2 and "is a folder" in r.output
    (tmp_path / "file").write_text("x")
    r = runner.invoke(app, ["export", str(folder), "--to", "avd", "-o", str(tmp_path / "file")])
    assert r.exit_code == 2 and "folder of files" in r.output
    r = runner.invoke(app, ["export", str(tmp_path), "--to", "avd", "-o", str(tmp_path / "a")])
    assert r.exit_code == 2 and "plan.json" in r.output
    assert not (tmp_path / "a").exists()


def test_a_refused_export_writes_nothing(tmp_path, example_folders):
    folder = example_folders["ai-cluster-16k"]  # InfiniBand only: no AVD fabric
    out = tmp_path / "avd"
    r = runner.invoke(app, ["export", str(folder), "--to", "avd", "-o", str(out)])
    if r.exit_code == 0:
        pytest.skip("the example has an Ethernet fabric")
    assert r.exit_code == 2 and "error" in r.output
    assert not out.exists() or not any(out.iterdir())


def test_zip_is_deterministic_and_complete():
    files = {"b/y.yml": b"2", "a.csv": b"1"}
    data = zip_files(files)
    assert data == zip_files(dict(reversed(list(files.items()))))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert sorted(z.namelist()) == ["a.csv", "b/y.yml"]
        assert z.read("b/y.yml") == b"2"


def test_exports_repeat_across_processes(example_folders, tmp_path):
    """Same plan, same bytes, whatever a process's string hash seed (set and dict order
    inside libraries must not leak into a file)."""
    import os
    import subprocess
    import sys

    folder = example_folders["enterprise-hall"]
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        for fmt in FORMAT_NAMES:
            spec = FORMATS[fmt]
            target = out / (f"{fmt}{spec.suffix}" if spec.single else fmt)
            subprocess.run(
                [sys.executable, "-m", "topo", "export", str(folder), "--to", fmt, "-o",
                 str(target), "-q"],
                check=True,
                env={**os.environ, "PYTHONHASHSEED": seed},
            )  # fmt: skip
        outs.append(
            {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        )
    assert outs[0] == outs[1]
