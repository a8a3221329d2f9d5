"""Tests for ``topo batch``: every variant planned as ``topo plan`` plans it, on local
processes and on Dask; failures isolated; ``--resume``; Ctrl-C; the command line."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing as mp
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import topo.batch.run
import topo.cli
from tests.topo.batch.test_sweep import small_base
from topo.batch.run import BatchProgress, run_batch
from topo.batch.sweep import SweepError, expand_sweep, parse_sweep
from topo.batch.workers import DaskRunner, LocalRunner
from topo.errors import FabricError, Problem
from topo.outputs.exports import OUTPUT_FILES
from topo.planner import plan

cli = CliRunner()
ROOT = Path(__file__).resolve().parents[3]
SWEEPS = sorted((ROOT / "examples").glob("sweep-*.yaml"))


def variants_of(axes: dict):
    return expand_sweep(parse_sweep({"name": "t", "base": small_base(), "axes": axes}))


def read_summary(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "summary.csv").read_text())))


def masked_plan_json(path: Path) -> dict:
    return json.loads(path.read_text())


def assert_same_as_topo_plan(variant_dir: Path, scenario_file: Path, tmp: Path) -> None:
    """The variant's files equal those of ``topo plan scenario_file``."""
    out = tmp / f"plain-{variant_dir.name}"
    result = cli.invoke(topo.cli.app, ["plan", str(scenario_file), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    for name in OUTPUT_FILES:
        if name == "plan.json":
            assert masked_plan_json(variant_dir / name) == masked_plan_json(out / name)
        else:
            assert (variant_dir / name).read_bytes() == (out / name).read_bytes(), name


# planners the workers import by name ----------------------------------------------------


def flaky_planner(scenario):
    """Fails in three ways, chosen by the number of servers per rack."""
    n = scenario.servers.per_rack
    if n == 1:
        raise FabricError(Problem("servers.per_rack", "one per rack is refused here", 1))
    if n == 2:
        raise RuntimeError("boom")
    if n == 3:
        time.sleep(3600)  # stopped by the batch timeout
    return plan(scenario)


def refusing_planner(scenario):
    raise RuntimeError(f"planned again: {scenario.servers.per_rack}")


# -- local processes and Dask give topo plan's bytes ------------------------------------------


def test_local_pool_plans_each_variant_as_topo_plan_does(tmp_path):
    axes = {"servers.per_rack": [2, 4], "fabric.oversubscription": [1, 3]}
    variants = variants_of(axes)
    out = tmp_path / "runs"
    result = run_batch(variants, out, workers=2)
    assert not result.interrupted and not result.failed
    assert [r.status for r in result.results] == ["ok"] * 4
    for v in variants:
        folder = out / v.name
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            [*OUTPUT_FILES, "scenario.json", "variant.json"]
        )
        # the same scenario written by hand, as a user would
        data = small_base()
        data["servers"]["per_rack"] = v.scenario.servers.per_rack
        data["fabric"]["oversubscription"] = v.scenario.fabric.oversubscription
        by_hand = tmp_path / f"{v.name}.yaml"
        by_hand.write_text(yaml.safe_dump(data))
        assert_same_as_topo_plan(folder, by_hand, tmp_path)
        marker = json.loads((folder / "variant.json").read_text())
        assert marker["status"] == "ok" and marker["scenario_sha256"] == v.sha256
    rows = read_summary(out)
    assert [r["variant"] for r in rows] == sorted(
        (r["variant"] for r in rows),
        key=lambda n: float(next(x for x in rows if x["variant"] == n)["cost_usd"]),
    )
    assert {"servers.per_rack", "fabric.oversubscription", "pareto", "cables.dac-25g"} <= set(
        rows[0]
    )
    assert any(r["pareto"] == "yes" for r in rows)
    assert (out / "compare.svg").read_text().startswith("<svg")
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_dask_cluster_plans_each_variant_as_topo_plan_does(tmp_path):
    distributed = pytest.importorskip("distributed")
    variants = variants_of({"fabric.oversubscription": [1, 3]})
    out = tmp_path / "runs"
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        DaskRunner(cluster.scheduler_address) as runner,
    ):
        assert runner.slots == 2
        result = run_batch(variants, out, runner=runner)
    assert [r.status for r in result.results] == ["ok", "ok"]
    for v in variants:
        assert_same_as_topo_plan(out / v.name, out / v.name / "scenario.json", tmp_path)
    assert len(read_summary(out)) == 2


def test_unreachable_dask_scheduler_is_a_clear_error():
    pytest.importorskip("distributed")
    with pytest.raises(
        Exception, match=r"cannot reach the Dask scheduler at 'tcp://127\.0\.0\.1:9'"
    ):
        DaskRunner("tcp://127.0.0.1:9", connect_timeout=0.5)


# -- failures -----------------------------------------------------------------------------


def test_failures_and_timeouts_are_recorded_and_the_rest_go_on(tmp_path):
    variants = variants_of({"servers.per_rack": [1, 2, 3, 4]})
    out = tmp_path / "runs"
    # the timeout leaves the one real plan (about a second) room on a loaded machine; the
    # sleeping variant is stopped by it, or this test would run for an hour
    result = run_batch(variants, out, workers=2, timeout=8, planner=flaky_planner)
    by = {r.values[0][1]: r for r in result.results}
    assert by["1"].status == "failed" and "one per rack is refused" in by["1"].error
    assert by["1"].problems[0]["location"] == "servers.per_rack"
    assert by["2"].status == "failed" and by["2"].error == "RuntimeError: boom"
    assert by["3"].status == "timeout" and "within 8 s" in by["3"].error
    assert by["4"].status == "ok"
    assert len(result.failed) == 3
    # a failed variant's folder holds its scenario and its error, no plan
    folder = out / "per_rack=2"
    assert sorted(p.name for p in folder.iterdir()) == ["scenario.json", "variant.json"]
    assert json.loads((folder / "variant.json").read_text())["error"] == "RuntimeError: boom"
    rows = {r["variant"]: r for r in read_summary(out)}
    assert rows["per_rack=4"]["status"] == "ok"
    assert rows["per_rack=3"]["status"] == "timeout" and rows["per_rack=3"]["cost_usd"] == ""
    assert next(iter(rows)) == "per_rack=4"  # planned variants first, failed ones after
    svg = (out / "compare.svg").read_text()
    assert "not planned (3)" in svg and "RuntimeError: boom" in svg


def test_invalid_variants_stop_the_batch_before_anything_is_planned(tmp_path):
    variants = variants_of({"fabric.spine.model": ["sw-32x100g-1u", "sw-nope"]})
    out = tmp_path / "runs"
    with pytest.raises(SweepError) as err:
        run_batch(variants, out, workers=2)
    problems = [str(p) for p in err.value.problems]
    assert len(problems) == 1
    assert problems[0].startswith("axes.fabric.spine.model: unknown switch model 'sw-nope'")
    assert list(out.iterdir()) == []


def test_unknown_metrics_are_refused(tmp_path):
    with pytest.raises(Exception, match="unknown metric 'speed'"):
        run_batch(variants_of({"servers.per_rack": [2]}), tmp_path, sort="speed")


# -- resume -------------------------------------------------------------------------------


def test_resume_keeps_complete_variants_and_replans_the_rest(tmp_path):
    variants = variants_of({"servers.per_rack": [2, 3, 4, 5]})
    out = tmp_path / "runs"
    run_batch(variants, out, workers=2)
    before = (out / "per_rack=2" / "cables.csv").read_bytes()
    (out / "per_rack=3" / "variant.json").unlink()  # interrupted before its marker
    (out / "per_rack=4" / "cables.csv").unlink()  # damaged since
    marker = out / "per_rack=5" / "variant.json"  # planned for another scenario
    doc = json.loads(marker.read_text())
    marker.write_text(json.dumps(doc | {"scenario_sha256": "0" * 64}))

    # every variant that is planned again fails, so the statuses tell which were kept
    result = run_batch(variants, out, workers=2, resume=True, planner=refusing_planner)
    status = {r.name: (r.status, r.resumed) for r in result.results}
    assert status == {
        "per_rack=2": ("ok", True),
        "per_rack=3": ("failed", False),
        "per_rack=4": ("failed", False),
        "per_rack=5": ("failed", False),
    }
    assert (out / "per_rack=2" / "cables.csv").read_bytes() == before
    rows = {r["variant"]: r for r in read_summary(out)}
    assert rows["per_rack=2"]["status"] == "ok" and rows["per_rack=2"]["cost_usd"]

    # without --resume everything is planned again
    result = run_batch(variants, out, workers=2, planner=refusing_planner)
    assert {r.status for r in result.results} == {"failed"}


# -- Ctrl-C -------------------------------------------------------------------------------


class _InterruptAfterFirst(BatchProgress):
    def __init__(self) -> None:
        self.planning = False

    def phase(self, label: str, total: int) -> None:
        self.planning = label == "planning"

    def update(self, *, done: int, running: int, failed: int) -> None:
        if self.planning and done >= 1:
            raise KeyboardInterrupt


def test_interrupt_stops_cleanly_and_keeps_what_finished(tmp_path):
    variants = variants_of({"servers.per_rack": [1, 2, 3, 4, 5, 6]})
    out = tmp_path / "runs"
    result = run_batch(variants, out, workers=1, progress=_InterruptAfterFirst())
    assert result.interrupted
    statuses = [r.status for r in result.results]
    assert statuses.count("ok") == 1 and statuses.count("cancelled") == 5
    done = next(r for r in result.results if r.status == "ok")
    assert sorted(p.name for p in (out / done.name).iterdir()) == sorted(
        [*OUTPUT_FILES, "scenario.json", "variant.json"]
    )
    # every other variant's folder is absent, no half-written folder is left
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["summary.csv", "compare.svg", done.name]
    )
    rows = read_summary(out)
    assert sorted(r["status"] for r in rows) == ["cancelled"] * 5 + ["ok"]
    assert mp.active_children() == []  # the workers were stopped


def test_local_runner_replaces_a_worker_that_dies(tmp_path):
    from topo.batch.workers import Job

    with LocalRunner(1) as runner:
        results = list(runner.run([Job("die", _exit_now, 3), Job("after", abs, -2)], timeout=None))
    assert results[0].status == "error" and "exit code 3" in results[0].value
    assert results[1].status == "ok" and results[1].value == 2


def _exit_now(code: int) -> None:
    import os

    os._exit(code)


# -- the command line ----------------------------------------------------------------------


@pytest.mark.parametrize("sweep", SWEEPS, ids=lambda p: p.name)
def test_every_shipped_sweep_runs(tmp_path, sweep):
    out = tmp_path / "runs"
    result = cli.invoke(topo.cli.app, ["batch", str(sweep), "-o", str(out), "-j", "2"])
    assert result.exit_code == 0, result.output
    rows = read_summary(out)
    sw = parse_sweep(yaml.safe_load(sweep.read_text()))
    n = 1
    for values in (sw.axes or {}).values():
        n *= len(values)
    assert len(rows) == (n if sw.axes else len(sw.variants or ()))
    assert all(r["status"] == "ok" for r in rows)
    assert "variants planned" in result.output and "summary.csv" in result.output
    first = out / rows[0]["variant"]
    assert_same_as_topo_plan(first, first / "scenario.json", tmp_path)


def _sweep_file(tmp_path: Path, **extra) -> Path:
    doc = {"name": "t", "base": small_base(), "axes": {"servers.per_rack": [2, 4]}, **extra}
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_cli_resume_and_chosen_metrics(tmp_path):
    sweep = _sweep_file(tmp_path)
    out = tmp_path / "runs"
    args = ["batch", str(sweep), "-o", str(out), "-j", "2", "--sort", "-cables"]
    assert cli.invoke(topo.cli.app, args).exit_code == 0
    rows = read_summary(out)
    assert [r["variant"] for r in rows] == ["per_rack=4", "per_rack=2"]
    result = cli.invoke(topo.cli.app, [*args, "--resume", "--pareto", "cables,max_tray_fill", "-q"])
    assert result.exit_code == 0, result.output
    assert result.output == ""
    svg = (out / "compare.svg").read_text()
    assert "cables against max tray fill (%)" in svg


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--sort", "speed"], "unknown metric 'speed'"),
        (["--pareto", "cost_usd"], "give two metrics"),
    ],
)
def test_cli_bad_options_exit_2_and_write_nothing(tmp_path, args, expected):
    sweep = _sweep_file(tmp_path)
    out = tmp_path / "runs"
    result = cli.invoke(topo.cli.app, ["batch", str(sweep), "-o", str(out), *args])
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert not out.exists()


def test_cli_runs_on_a_dask_scheduler(tmp_path):
    distributed = pytest.importorskip("distributed")
    sweep = _sweep_file(tmp_path)
    out = tmp_path / "runs"
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        args = ["batch", str(sweep), "-o", str(out), "--scheduler", cluster.scheduler_address]
        result = cli.invoke(topo.cli.app, args)
    assert result.exit_code == 0, result.output
    assert [r["status"] for r in read_summary(out)] == ["ok", "ok"]
    assert_same_as_topo_plan(out / "per_rack=2", out / "per_rack=2" / "scenario.json", tmp_path)


def test_cli_bad_sweep_names_every_problem(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "base": small_base(),
                "axes": {"fabric.leaf.modle": ["x"], "servers.per_rack": [2, -1]},
            }
        )
    )
    result = cli.invoke(topo.cli.app, ["batch", str(path), "-o", str(tmp_path / "runs")])
    assert result.exit_code == 2
    assert "axes.fabric.leaf.modle: no such field in the scenario" in result.output
    assert "Traceback" not in result.output


def test_cli_exits_1_when_a_variant_fails(tmp_path):
    """With ``catalog.replace`` the catalog has no 25G media: the plan (not the
    validation) fails for that variant only."""
    from topo.catalog import builtin_catalog

    cat = builtin_catalog()
    base = small_base()
    base["catalog"] = {
        "switches": [cat.switch_index["sw-32x100g-1u"].model_dump(mode="json")],
        "servers": [s.model_dump(mode="json") for s in cat.servers if s.id == "srv-1u-2x25g"],
        "media": [m.model_dump(mode="json") for m in cat.media if m.speed_gbps == 100],
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({"base": base, "axes": {"catalog.replace": [False, True]}}))
    out = tmp_path / "runs"
    result = cli.invoke(topo.cli.app, ["batch", str(path), "-o", str(out), "-j", "2"])
    assert result.exit_code == 1, result.output
    assert "replace=true: catalog.media: no media for 25G links" in result.output
    rows = {r["variant"]: r["status"] for r in read_summary(out)}
    assert rows == {"replace=false": "ok", "replace=true": "failed"}


def test_cli_ctrl_c_exits_130_without_traceback(tmp_path, monkeypatch):
    sweep = _sweep_file(tmp_path, axes={"servers.per_rack": [1, 2, 3, 4]})
    out = tmp_path / "runs"

    def interrupt(self, done, running, failed):
        if (
            done >= 1
            and self._task is not None
            and self._progress.tasks[-1].description == "planning"
        ):
            raise KeyboardInterrupt

    monkeypatch.setattr(topo.cli._BatchProgressBar, "_update", interrupt)
    result = cli.invoke(topo.cli.app, ["batch", str(sweep), "-o", str(out), "-j", "1"])
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.output and "Traceback" not in result.output
    statuses = sorted(r["status"] for r in read_summary(out))
    assert statuses == ["cancelled"] * 3 + ["ok"]


def test_cli_variants_have_a_time_limit_unless_given(tmp_path, monkeypatch):
    """`topo batch` without --timeout still stops a variant: after the named limit
    TOPO_VARIANT_TIME_LIMIT_S."""
    from layouts import limits

    seen: list[float | None] = []

    class Stop(Exception):
        pass

    def stub(variants, out, **options):
        seen.append(options["timeout"])
        raise Stop

    monkeypatch.setattr(topo.batch.run, "run_batch", stub)
    monkeypatch.setattr(limits, "LIMITS", limits.Limits(variant_time_limit_s=77))
    sweep = _sweep_file(tmp_path)
    for extra, expected in (([], 77), (["--timeout", "5"], 5)):
        result = cli.invoke(topo.cli.app, ["batch", str(sweep), "-o", str(tmp_path / "r"), *extra])
        assert isinstance(result.exception, Stop), result.output
        assert seen[-1] == expected
