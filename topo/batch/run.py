"""Batches: plan every variant of a sweep in parallel and compare them.

:func:`run_batch` takes the variants of :func:`topo.batch.sweep.expand_sweep` and an output
folder, and:

1. with ``resume``, keeps every variant whose folder is complete for the same scenario
   content (``variant.json`` holds the SHA-256 of ``scenario.json``);
2. runs :func:`topo.planner.validate_scenario` on every other variant, on the workers, and
   raises one :class:`~topo.batch.sweep.SweepError` naming every problem before anything is
   planned;
3. plans each variant exactly as ``topo plan`` does (:func:`topo.planner.plan`, then the
   files of :func:`topo.outputs.exports.render_plan`), on local worker processes or a Dask
   cluster (:mod:`topo.batch.workers`); a variant that fails or times out is recorded with its
   error and the others go on;
4. writes each variant's folder as it finishes, into a temporary folder renamed into place,
   so a folder is complete or absent; then ``summary.csv`` and ``compare.svg``
   (:mod:`topo.outputs.compare`), each written to a temporary file and renamed.

Interrupted (Ctrl-C), it stops the workers, marks the variants not yet finished
``cancelled`` and still writes the summary of what finished. The output folder::

    runs/
      summary.csv            one row per variant, sorted by the chosen metric
      compare.svg            the variants on two metrics, Pareto front highlighted
      <variant>/             every file `topo plan` writes (plan.json, cables.csv, ...),
                             scenario.json (the variant's scenario, floor inline:
                             `topo plan <variant>/scenario.json` plans it again),
                             variant.json (status, figures, error; written last)
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from layouts.errors import TopoError
from topo.batch.sweep import SweepError, Variant
from topo.batch.workers import Job, JobResult, LocalRunner, Runner
from topo.errors import Problem
from topo.outputs.compare import METRICS, VariantResult, compare_svg, summary_csv
from topo.outputs.exports import OUTPUT_FILES, render_plan
from topo.plan import Plan
from topo.planner import plan, validate_scenario
from topo.scenario import Scenario

__all__ = [
    "BatchProgress",
    "BatchResult",
    "check_metrics",
    "run_batch",
    "write_report",
]

VARIANT_FORMAT = "topo.variant/1"
SCENARIO_FILE = "scenario.json"
MARKER_FILE = "variant.json"

Planner = Callable[[Scenario], Plan]


class BatchProgress:
    """What a batch reports as it goes; the default does nothing.

    Methods are called from the thread that called :func:`run_batch`.
    """

    def phase(self, label: str, total: int) -> None:
        """A phase starts (``validating``, ``planning``) with ``total`` variants to do."""

    def update(self, *, done: int, running: int, failed: int) -> None:
        """Counts within the current phase changed."""


@dataclass(frozen=True)
class BatchResult:
    """What a batch did.

    Attributes:
        results: one per variant, in the sweep's order.
        interrupted: stopped by Ctrl-C; unfinished variants are ``cancelled``.
        files: the batch-level files written (``summary.csv``, ``compare.svg``).
        axes: the varied fields' dotted paths, as in summary.csv.
    """

    results: tuple[VariantResult, ...]
    interrupted: bool
    files: tuple[Path, ...]
    axes: tuple[str, ...] = ()

    @property
    def failed(self) -> tuple[VariantResult, ...]:
        return tuple(r for r in self.results if r.status in ("failed", "timeout"))


def check_metrics(sort: str, pareto: Sequence[str]) -> list[Problem]:
    """Problems with a sort metric and a pair of Pareto metrics (empty when all known)."""
    known = ", ".join([*METRICS, "seconds"])
    problems = []
    name = sort.lstrip("-")
    if name not in METRICS and name not in ("seconds", "variant"):
        problems.append(Problem("sort", f"unknown metric {sort!r}; known: variant, {known}", sort))
    if len(pareto) != 2:
        problems.append(Problem("pareto", f"give two metrics, got {len(pareto)}: {pareto!r}"))
    for m in pareto:
        if m not in METRICS and m != "seconds":
            problems.append(Problem("pareto", f"unknown metric {m!r}; known: {known}", m))
    if len(pareto) == 2 and pareto[0] == pareto[1]:
        problems.append(Problem("pareto", f"the two metrics are the same: {pareto[0]!r}"))
    return problems


# -- jobs (run on the workers) ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _PlanArg:
    scenario_json: str
    planner: Planner | None = None


def _validate_job(scenario_json: str) -> list[Problem]:
    return validate_scenario(Scenario.model_validate_json(scenario_json))


def _plan_job(arg: _PlanArg) -> dict[str, Any]:
    """Plan one variant and render its files; errors come back as data."""
    t0 = time.perf_counter()
    try:
        scenario = Scenario.model_validate_json(arg.scenario_json)
        result = (arg.planner or plan)(scenario)
        files = render_plan(result)
        summary = result.summary.to_json()
    except TopoError as exc:
        return {
            "status": "failed",
            "error": str(exc.problems[0])
            + (f" (and {len(exc.problems) - 1} more problems)" if len(exc.problems) > 1 else ""),
            "problems": [p.to_dict() for p in exc.problems],
            "seconds": time.perf_counter() - t0,
        }
    except Exception as exc:
        text = str(exc)
        return {
            "status": "failed",
            "error": f"{type(exc).__name__}: {text}" if text else type(exc).__name__,
            "problems": [],
            "seconds": time.perf_counter() - t0,
        }
    return {
        "status": "ok",
        "summary": summary,
        "files": files,
        "seconds": time.perf_counter() - t0,
    }


# -- variant folders ------------------------------------------------------------------------


def _tidy(out: Path) -> None:
    """Remove what an interrupted earlier run left half-done."""
    for entry in sorted(out.iterdir()):
        if entry.name.startswith(".partial-"):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(".") and entry.name.endswith(".tmp") and entry.is_file():
            entry.unlink(missing_ok=True)
        elif entry.name.startswith(".old-"):
            final = out / entry.name.removeprefix(".old-")
            if final.exists():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                os.replace(entry, final)


def _marker(variant: Variant, result: VariantResult, files: Sequence[str]) -> bytes:
    from topo import __version__

    doc = {
        "format": VARIANT_FORMAT,
        "variant": variant.name,
        "values": dict(variant.values),
        "status": result.status,
        "scenario_sha256": variant.sha256,
        "topo_version": __version__,
        "seconds": None if result.seconds is None else round(result.seconds, 3),
        "files": list(files),
        "summary": result.summary,
        "error": result.error,
        "problems": list(result.problems),
    }
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _write_variant(
    out: Path, variant: Variant, result: VariantResult, files: dict[str, bytes]
) -> None:
    """Write a variant's folder in full, then rename it into place."""
    tmp = out / f".partial-{variant.name}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    for name, data in files.items():
        (tmp / name).write_bytes(data)
    (tmp / SCENARIO_FILE).write_text(variant.scenario_json, encoding="utf-8")
    (tmp / MARKER_FILE).write_bytes(_marker(variant, result, list(files)))
    final = out / variant.name
    if final.exists():
        old = out / f".old-{variant.name}"
        if old.exists():
            shutil.rmtree(old)
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)


def _finished(out: Path, variant: Variant) -> VariantResult | None:
    """The variant's earlier result if its folder is complete for the same scenario."""
    folder = out / variant.name
    try:
        doc = json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != VARIANT_FORMAT:
        return None
    if doc.get("status") != "ok" or doc.get("scenario_sha256") != variant.sha256:
        return None
    names = doc.get("files") or []
    if set(OUTPUT_FILES) - set(names):
        return None
    if not all((folder / n).is_file() for n in [*names, SCENARIO_FILE]):
        return None
    return VariantResult(
        variant.name,
        variant.values,
        "ok",
        summary=doc.get("summary"),
        seconds=doc.get("seconds"),
        resumed=True,
    )


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_report(
    results: Sequence[VariantResult],
    out_dir: str | Path,
    *,
    axes: Sequence[str],
    sort: str = "cost_usd",
    pareto: tuple[str, str] = ("cost_usd", "optics_power_w"),
    title: str = "sweep",
) -> tuple[Path, ...]:
    """Write ``summary.csv`` and ``compare.svg`` into ``out_dir``, each atomically."""
    out = Path(out_dir)
    csv_path, svg_path = out / "summary.csv", out / "compare.svg"
    _atomic_write(csv_path, summary_csv(results, axes=axes, sort=sort, pareto=pareto))
    _atomic_write(svg_path, compare_svg(results, x=pareto[0], y=pareto[1], title=title))
    return (csv_path, svg_path)


# -- the batch ----------------------------------------------------------------------------


def _from_job(variant: Variant, job: JobResult) -> tuple[VariantResult, dict[str, bytes]]:
    if job.status == "timeout":
        return VariantResult(
            variant.name, variant.values, "timeout", seconds=job.seconds, error=job.value
        ), {}
    if job.status != "ok":
        return VariantResult(
            variant.name, variant.values, "failed", seconds=job.seconds, error=job.value
        ), {}
    v = job.value
    if v["status"] != "ok":
        return VariantResult(
            variant.name,
            variant.values,
            "failed",
            seconds=v["seconds"],
            error=v["error"],
            problems=tuple(v["problems"]),
        ), {}
    result = VariantResult(
        variant.name, variant.values, "ok", summary=v["summary"], seconds=v["seconds"]
    )
    return result, v["files"]


def _validate(
    runner: Runner,
    variants: Sequence[Variant],
    progress: BatchProgress,
    timeout: float | None,
) -> None:
    """Run validate_scenario on every variant; raise every problem found, located."""
    progress.phase("validating", len(variants))
    jobs = [Job(v.name, _validate_job, v.scenario_json) for v in variants]
    found: dict[str, list[Problem]] = {}
    done = 0

    def started(_key: str) -> None:
        progress.update(done=done, running=runner.running, failed=len(found))

    for job in runner.run(jobs, timeout=timeout, on_start=started):
        done += 1
        if job.status == "ok" and job.value:
            found[job.key] = list(job.value)
        elif job.status == "error":
            found[job.key] = [Problem("", f"validation failed: {job.value}")]
        progress.update(done=done, running=runner.running, failed=len(found))
    if not found:
        return
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for v in variants:
        for p in found.get(v.name, ()):
            located = v.locate(p)
            if (located.location, located.message) not in seen:
                seen.add((located.location, located.message))
                problems.append(located)
    raise SweepError(problems)


def run_batch(
    variants: Sequence[Variant],
    out_dir: str | Path,
    *,
    axes: Sequence[str] = (),
    runner: Runner | None = None,
    workers: int | None = None,
    timeout: float | None = None,
    resume: bool = False,
    sort: str = "cost_usd",
    pareto: tuple[str, str] = ("cost_usd", "optics_power_w"),
    title: str = "sweep",
    progress: BatchProgress | None = None,
    planner: Planner | None = None,
) -> BatchResult:
    """Plan every variant into ``out_dir`` and write the comparison.

    Args:
        variants: from :func:`topo.batch.sweep.expand_sweep`; names must be unique.
        out_dir: the batch folder (created if missing).
        axes: the varied fields' dotted paths (summary.csv columns); default every path
            the variants set.
        runner: where to run (:mod:`topo.batch.workers`); default a local pool of ``workers``
            processes, closed at the end. A runner passed in is left open.
        timeout: seconds a variant may take before it is recorded as timed out.
        resume: keep variants whose folders are complete for the same scenario content.
        sort: the metric summary.csv is sorted by (see :data:`topo.outputs.compare.METRICS`).
        pareto: the two metrics of the Pareto front.
        title: the chart's title (the sweep's name).
        progress: told of each phase and count.
        planner: the planning function (default :func:`topo.planner.plan`); it must be
            importable by name, as it runs on the workers.

    Returns:
        Every variant's result, in ``variants`` order.

    Raises:
        SweepError: a variant is not valid (every problem of every variant, located);
            nothing is planned.
        TopoError: ``sort`` or ``pareto`` names an unknown metric.

    Example:
        >>> from topo.batch.sweep import expand_sweep, parse_sweep     # doctest: +SKIP
        >>> sweep = parse_sweep({"base": "examples/enterprise-hall.yaml",  # doctest: +SKIP
        ...                      "axes": {"servers.per_rack": [8, 12]}})
        >>> run_batch(expand_sweep(sweep), "runs/", workers=2).failed  # doctest: +SKIP
        ()
    """
    problems = check_metrics(sort, pareto)
    if problems:
        raise TopoError(problems)
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise SweepError(Problem("variants", "variant names repeat"))
    if not axes:
        axes = list(dict.fromkeys(p for v in variants for p, _ in v.values))
    progress = progress or BatchProgress()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _tidy(out)

    results: dict[str, VariantResult] = {}
    if resume:
        for v in variants:
            kept = _finished(out, v)
            if kept is not None:
                results[v.name] = kept
    todo = [v for v in variants if v.name not in results]
    by_name = {v.name: v for v in variants}
    own = runner is None
    interrupted = False
    try:
        if todo:
            active = runner if runner is not None else LocalRunner(workers)
            try:
                _validate(active, todo, progress, timeout)
                _plan_all(active, todo, by_name, out, results, progress, timeout, planner)
            finally:
                if own:
                    active.close()
    except KeyboardInterrupt:
        interrupted = True
        _tidy(out)
    final = tuple(
        results.get(v.name) or VariantResult(v.name, v.values, "cancelled") for v in variants
    )
    files = write_report(final, out, axes=axes, sort=sort, pareto=pareto, title=title)
    return BatchResult(final, interrupted, files, tuple(axes))


def _plan_all(
    runner: Runner,
    todo: Sequence[Variant],
    by_name: dict[str, Variant],
    out: Path,
    results: dict[str, VariantResult],
    progress: BatchProgress,
    timeout: float | None,
    planner: Planner | None,
) -> None:
    progress.phase("planning", len(todo))
    jobs = [Job(v.name, _plan_job, _PlanArg(v.scenario_json, planner)) for v in todo]
    counts = {"done": 0, "failed": 0}

    def started(_key: str) -> None:
        progress.update(done=counts["done"], running=runner.running, failed=counts["failed"])

    for job in runner.run(jobs, timeout=timeout, on_start=started):
        variant = by_name[job.key]
        result, files = _from_job(variant, job)
        _write_variant(out, variant, result, files)
        results[variant.name] = result
        counts["done"] += 1
        counts["failed"] += result.status != "ok"
        progress.update(done=counts["done"], running=runner.running, failed=counts["failed"])
