"""The ``topo`` command line.

    topo plan [SCENARIO] [-o DIR]   plan a scenario (default: the shipped default scenario)
    topo draw PLAN_DIR|SCENARIO -o FILE.svg|FILE.png [--cable ID]... [--rack R] [--tier T]
                                    draw a plan's floor, highlighting chosen cables' routes
    topo batch SWEEP [-o DIR]       plan every variant of a sweep in parallel and compare them
    topo validate SCENARIO          check a scenario, print every problem found
    topo layouts [list]             list the shipped floor layouts
    topo layouts new -o FILE [--rows N --racks-per-row N ...]
                                    write a regular hall as a floor file
    topo schema                     print the JSON Schema of the scenario format
    topo serve [--host H] [--port P]   serve the HTTP API (settings from TOPO_* variables)
    topo view PLAN_DIR [--port P]      open a plan (or a batch's runs folder) in the browser

A user's mistake (bad file, impossible floor, impossible intent) prints one line per
problem on standard error and exits with status 2; no traceback, no partial output.
``topo batch`` exits with status 1 when some variant failed or timed out, and 130 when
interrupted (Ctrl-C), after writing the summary of what finished.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from layouts.errors import Problem, TopoError
from topo.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    from topo.plan import Plan

__all__ = ["app", "main"]

DEFAULT_SCENARIO = "enterprise-hall"

app = typer.Typer(
    name="topo",
    help="Plan data-centre cabling: from a floor layout and a network intent to a cable "
    "schedule, bill of materials and tray-fill report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out_console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

EXIT_USER_ERROR = 2
EXIT_SOME_FAILED = 1
EXIT_INTERRUPTED = 130


def _fail(exc: TopoError) -> typer.Exit:
    n = len(exc.problems)
    for p in exc.problems:
        err_console.print(f"[red]error[/red] {p}", markup=True, soft_wrap=True)
    err_console.print(f"{n} problem{'s' if n != 1 else ''} found", style="bold red")
    return typer.Exit(EXIT_USER_ERROR)


def _check_output_folder(folder: Path, *, option: str = "out") -> None:
    """Refuse, before any work, an output folder that cannot be made or written: a file in
    the way, or a folder (its own or its nearest existing parent) this user cannot write."""
    path = folder.absolute()
    probe = path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        why = f"{str(probe)!r} is a file"
    else:
        try:  # the real test: os.access says yes to root even where nothing can be written
            fd, name = tempfile.mkstemp(dir=probe, prefix=".topo-check-")
            os.close(fd)
            os.unlink(name)
            return
        except OSError as exc:
            why = f"{str(probe)!r} is not writable ({exc.strerror})"
    raise TopoError(Problem(option, f"cannot write into {str(folder)!r}: {why}", str(probe)))


def _limits() -> Any:
    """The input limits in force (:data:`layouts.limits.LIMITS`, read when called)."""
    from layouts import limits

    return limits.LIMITS


def _check_sweep_size(sw: Any) -> None:
    """Refuse a sweep of more variants than the limit before any is built."""
    from layouts.limits import LIMITS, too_many

    if sw.axes is not None:
        count = math.prod(len(values) for values in sw.axes.values())
    else:
        count = len(sw.variants or ())
    if count > LIMITS.max_variants:
        where = "axes" if sw.axes is not None else "variants"
        raise TopoError(Problem(where, too_many("variants", count, "max_variants"), count))


def _builtin_scenario(name: str) -> Path:
    ref = resources.files("topo").joinpath(f"data/scenarios/{name}.yaml")
    return Path(str(ref))


def _load(path: Path | None) -> Scenario:
    if path is None:
        return load_scenario(_builtin_scenario(DEFAULT_SCENARIO))
    return load_scenario(path)


ScenarioArg = Annotated[
    Path | None,
    typer.Argument(
        help="Scenario file (YAML or JSON). Default: the shipped enterprise-hall scenario.",
        show_default=False,
    ),
]


@app.command("plan")
def plan_cmd(
    scenario: ScenarioArg = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")] = Path("out"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = (
        False
    ),
) -> None:
    """Plan a scenario and write plan.json, cables.csv, bom.csv, trays.csv, floor.svg and
    scenario.yaml (the scenario as planned, floor inline, for `topo draw`)."""
    from topo.outputs.exports import write_plan
    from topo.planner import plan

    try:
        _check_output_folder(out)
        sc = _load(scenario)
        started = time.perf_counter()
        if quiet:
            result = plan(sc)
        else:
            with err_console.status("planning") as status:
                result = plan(sc, progress=lambda msg: status.update(msg))
    except TopoError as exc:
        raise _fail(exc) from None
    seconds = time.perf_counter() - started
    written = write_plan(result, out)
    if quiet:
        return
    _print_summary(result.summary.to_json(), seconds=seconds)
    for d in result.diagnostics[:20]:
        err_console.print(f"[yellow]warning[/yellow] {d}", soft_wrap=True)
    if len(result.diagnostics) > 20:
        err_console.print(f"[yellow]warning[/yellow] ... and {len(result.diagnostics) - 20} more")
    out_console.print(f"wrote {', '.join(str(p) for p in written)}")


def _plan_for_drawing(source: Path) -> Plan:
    """The plan a folder written by ``topo plan`` holds (read, not planned again), or the
    plan of a scenario file."""
    from topo.outputs.read import read_plan
    from topo.planner import plan

    if source.is_dir():
        if not (source / "plan.json").is_file():
            raise TopoError(
                Problem(
                    str(source),
                    "folder holds no plan.json: give a folder written by `topo plan`, or a "
                    "scenario file",
                    str(source),
                )
            )
        return read_plan(source)
    return plan(load_scenario(source))


@app.command("export")
def export_cmd(
    source: Annotated[
        Path,
        typer.Argument(help="A plan folder written by `topo plan`.", show_default=False),
    ],
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="Format: netbox, avd, containerlab, xlsx, dxf, geojson.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="File (containerlab, xlsx, dxf, geojson) or folder (netbox, avd) to write. "
            "Default: in the plan folder, named after the format.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = (
        False
    ),
) -> None:
    """Export a plan for the tools it goes to next: NetBox, Arista AVD, containerlab, an
    installer workbook, CAD (DXF) or GeoJSON. The plan is read from its folder, never
    planned again."""
    from topo.outputs.formats import FORMATS, export_plan, write_export

    try:
        fmt = FORMATS.get(to)
        if fmt is None:
            known = ", ".join(sorted(FORMATS))
            raise TopoError(Problem("to", f"no export format {to!r}; topo exports {known}", to))
        target = out if out is not None else source / (f"{to}{fmt.suffix}" if fmt.single else to)
        if fmt.single and target.is_dir():
            raise TopoError(
                Problem(
                    "out", f"cannot write {str(target)!r}: it is a folder; name a file", str(target)
                )
            )
        if not fmt.single and target.exists() and not target.is_dir():
            raise TopoError(
                Problem(
                    "out", f"cannot write {str(target)!r}: {to} is a folder of files", str(target)
                )
            )
        _check_output_folder(target.parent if fmt.single else target)
        files = export_plan(_plan_for_drawing(_plan_folder(source)), to)
    except TopoError as exc:
        raise _fail(exc) from None
    written = write_export(files, target, single=fmt.single)
    if not quiet:
        shown = str(target) if fmt.single else f"{target} ({len(written)} files)"
        out_console.print(f"wrote {shown}")


def _plan_folder(source: Path) -> Path:
    if not source.is_dir():
        raise TopoError(
            Problem(
                str(source),
                "not a folder: `topo export` reads a plan folder written by `topo plan`",
                str(source),
            )
        )
    return source


@app.command("draw")
def draw_cmd(
    source: Annotated[
        Path,
        typer.Argument(
            help="A plan folder written by `topo plan` (read back, not planned again) "
            "or a scenario file (planned).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Drawing to write: .svg, or .png (needs the png extra)."),
    ] = Path("floor.svg"),
    cable: Annotated[
        list[str] | None,
        typer.Option("--cable", "-c", help="Highlight this cable's route (repeatable)."),
    ] = None,
    rack: Annotated[
        str | None, typer.Option("--rack", "-r", help="Highlight the cables of this rack.")
    ] = None,
    tier: Annotated[
        str | None,
        typer.Option("--tier", "-t", help="Highlight the cables of this tier, e.g. leaf-spine."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = (
        False
    ),
) -> None:
    """Draw a plan's floor: racks, trays coloured by fill, and highlighted cable routes.

    Options combine: --rack A01 --tier leaf-spine highlights A01's leaf-spine cables.
    """
    from topo.outputs.drawing import plan_to_svg, svg_to_png

    suffix = out.suffix.lower()
    try:
        if suffix not in (".svg", ".png"):
            raise TopoError(
                Problem("out", f"cannot write {out.name!r}: the drawing is .svg or .png", str(out))
            )
        if out.is_dir():
            raise TopoError(Problem("out", f"cannot write {str(out)!r}: it is a folder", str(out)))
        _check_output_folder(out.parent)
        result = _plan_for_drawing(source)
        svg = plan_to_svg(result, cables=cable or (), rack=rack, tier=tier)
        data = svg_to_png(svg) if suffix == ".png" else svg.encode("utf-8")
    except TopoError as exc:
        raise _fail(exc) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    if not quiet:
        out_console.print(f"wrote {out}")


def _budget_rows(s: dict[str, object]) -> list[tuple[str, str]]:
    """Table rows for the power budgets and the domestic share, when the plan has them."""
    out = []
    power = s.get("power")
    if isinstance(power, dict):
        rows = {k: r for k, r in power["rows"].items() if r["budget_kw"]}
        if power["budget_kw"] is not None or rows:
            text = f"{power['it_kw']:,.1f} kW"
            if power["budget_kw"] is not None:
                text += f" of {power['budget_kw']:,g} kW"
            if rows:
                row, r = max(rows.items(), key=lambda kv: kv[1]["it_kw"] / kv[1]["budget_kw"])
                text += f"; fullest row {row} {r['it_kw']:,.1f} of {r['budget_kw']:,g} kW"
            out.append(("IT power", text))
    sourcing = s.get("sourcing")
    if isinstance(sourcing, dict) and sourcing.get("domestic"):
        text = f"{sourcing['domestic_share']:.1%} {sourcing['domestic']}"
        if sourcing.get("min_domestic_share") is not None:
            text += f" (minimum {sourcing['min_domestic_share']:.0%})"
        out.append(("domestic share", text))
    changes = s.get("changes")
    if isinstance(changes, dict):
        counts = ", ".join(f"{k} {changes[k]}" for k in ("keep", "add", "remove", "reroute"))
        out.append(("changes", f"{counts} (on {changes['relative_to']})"))
    return out


def _print_summary(s: dict[str, object], *, seconds: float | None = None) -> None:
    t = Table(title=f"plan: {s['scenario']}", show_header=False, title_justify="left")
    t.add_column(style="bold")
    t.add_column()
    devices = s["devices"]
    assert isinstance(devices, dict)
    t.add_row("devices", ", ".join(f"{v} {k}" for k, v in devices.items()))
    t.add_row("links / cables", f"{s['links']} / {s['cables']}")
    by_tier = s["cables_by_tier"]
    assert isinstance(by_tier, dict)
    t.add_row("cables by tier", ", ".join(f"{k} {v}" for k, v in by_tier.items()))
    fabrics = s.get("fabrics")
    if isinstance(fabrics, dict) and len(fabrics) > 1:
        for name, f in fabrics.items():
            tiers = ", ".join(f"{k} {v}" for k, v in f["cables_by_tier"].items())
            t.add_row(f"  {name}", f"{f['kind']}, {f['tiers']} tiers: {tiers}")
    by_media = s["cables_by_media"]
    assert isinstance(by_media, dict)
    t.add_row("cables by media", ", ".join(f"{k} {v}" for k, v in by_media.items()))
    t.add_row("total length", f"{s['total_length_m']:,} m (bound {s['lower_bound_length_m']:,} m)")
    t.add_row("max tray fill", f"{float(s['max_tray_fill']):.1%}")  # type: ignore[arg-type]
    t.add_row("unrouted", str(s["unrouted"]))
    t.add_row("cost", f"${s['cost_usd']:,.2f}")
    t.add_row("optics power", f"{s['optics_power_w']:,} W")
    for key, value in _budget_rows(s):
        t.add_row(key, value)
    solver = s["solver"]
    assert isinstance(solver, dict)
    t.add_row(
        "solver",
        f"{solver['method']} {solver['status']}, {solver['objective']} gap {solver['gap']:.2%} "
        f"(bound: {solver['bound_source']})",
    )
    if seconds is not None:
        t.add_row("time", f"{seconds:.1f} s")
    if s.get("trays_over_limit"):
        t.add_row("trays over limit", f"{s['trays_over_limit']} ({s['overflow_mm2']:,} mm² over)")
    thin = s.get("thin_media")
    if isinstance(thin, dict):
        t.add_row(
            "thinner media",
            f"{thin['cables']:,} cables where the trays are full "
            f"({escape(', '.join(thin['by_media']))}): ${thin['extra_cost_usd']:,.2f} more",
        )
    bound = s.get("floor_bound")
    if isinstance(bound, dict):
        t.add_row(
            "no placement fits",
            f"line {bound['axis']} = {bound['at_m']:g} m: any placement lays "
            f"{bound['least_mm2']:,.0f} mm² across it, its trays hold "
            f"{bound['capacity_mm2']:,.0f} mm² ({bound['ratio']:.2f}x)",
        )
    placement = s.get("placement")
    if isinstance(placement, dict) and "saving_pct" in placement:
        saving = float(placement["saving_pct"])
        text = (
            (
                f"optimized, {saving:.1f}% less cabling than naive"
                if saving >= 0
                else f"optimized, {-saving:.1f}% more cabling than naive"
            )
            if placement["method"] == "optimized"
            else "naive (the optimized placement is no better once routed)"
        )
        rounds = int(placement.get("rounds", 1))
        if rounds > 1:
            text += (
                f"; {rounds} rounds against tray fill, max fill "
                f"{float(placement['max_tray_fill_before']):.1%} -> "
                f"{float(placement['max_tray_fill_after']):.1%}"
            )
        t.add_row("placement", text)
    out_console.print(t)


@app.command("batch")
def batch_cmd(
    sweep: Annotated[Path, typer.Argument(help="Sweep file (YAML or JSON).", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")] = Path(
        "runs"
    ),
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-j", min=1, help="Local worker processes. Default: CPUs."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler", help="Run on the Dask cluster of this scheduler (tcp://HOST:8786)."
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=0.001,
            help="Seconds a variant may take. Default: TOPO_VARIANT_TIME_LIMIT_S (3600).",
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Keep variants already planned for the same scenario.")
    ] = False,
    sort: Annotated[
        str | None,
        typer.Option("--sort", help="Metric to sort by ('-metric' descending). Default: cost_usd."),
    ] = None,
    pareto: Annotated[
        str | None,
        typer.Option(
            "--pareto", help="Two metrics for the Pareto front. Default: cost_usd,optics_power_w."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = (
        False
    ),
) -> None:
    """Plan every variant of a sweep in parallel; write summary.csv and compare.svg."""
    from topo.batch.run import check_metrics, run_batch
    from topo.batch.sweep import expand_sweep, load_sweep

    try:
        try:
            _check_output_folder(out)
            sw = load_sweep(sweep)
            _check_sweep_size(sw)
            sort_by = sort or sw.sort
            names = [m.strip() for m in pareto.split(",")] if pareto else list(sw.pareto)
            problems = check_metrics(sort_by, names)
            if problems:
                raise TopoError(problems)
            pair = (names[0], names[1])
            variants = expand_sweep(sw, base_dir=sweep.parent)
            axes = list(sw.axes) if sw.axes is not None else None
            runner = _batch_runner(scheduler, workers)
        except TopoError as exc:
            raise _fail(exc) from None
        try:
            with _BatchProgressBar(quiet, len(variants)) as bar:
                result = run_batch(
                    variants,
                    out,
                    axes=axes or (),
                    runner=runner,
                    timeout=timeout if timeout is not None else _limits().variant_time_limit_s,
                    resume=resume,
                    sort=sort_by,
                    pareto=pair,
                    title=sw.name,
                    progress=bar,
                )
        except TopoError as exc:
            raise _fail(exc) from None
        finally:
            runner.close()
    except KeyboardInterrupt:
        err_console.print("interrupted", style="bold red")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    if not quiet:
        _print_batch(result, sort_by, pair, names=sw.variants is not None)
    failed = result.failed
    for r in failed[:20]:
        err_console.print(f"[red]{r.status}[/red] {r.name}: {r.error}", soft_wrap=True)
    if len(failed) > 20:
        err_console.print(f"[red]failed[/red] ... and {len(failed) - 20} more")
    if not quiet:
        out_console.print(f"wrote {', '.join(str(p) for p in result.files)}")
    if result.interrupted:
        err_console.print("interrupted: the summary lists what finished", style="bold red")
        raise typer.Exit(EXIT_INTERRUPTED)
    if failed:
        raise typer.Exit(EXIT_SOME_FAILED)


def _batch_runner(scheduler: str | None, workers: int | None):  # type: ignore[no-untyped-def]
    from topo.batch.workers import dask_runner, local_runner

    if scheduler:
        return dask_runner(scheduler)
    return local_runner(workers)


class _BatchProgressBar:
    """A rich progress bar on standard error: done, running, failed, time left."""

    def __init__(self, quiet: bool, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskID,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        from topo.batch.run import BatchProgress

        self._progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("running {task.fields[running]}"),
            TextColumn("[red]failed {task.fields[failed]}"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=err_console,
            disable=quiet,
        )
        self._task: TaskID | None = None
        outer = self

        class _Progress(BatchProgress):
            def phase(self, label: str, total: int) -> None:
                outer._phase(label, total)

            def update(self, *, done: int, running: int, failed: int) -> None:
                outer._update(done, running, failed)

        self.reporter = _Progress()

    def __enter__(self):  # type: ignore[no-untyped-def]
        self._progress.__enter__()
        return self.reporter

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(None, None, None)

    def _phase(self, label: str, total: int) -> None:
        self._task = self._progress.add_task(label, total=total, running=0, failed=0)

    def _update(self, done: int, running: int, failed: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=done, running=running, failed=failed)


def _print_batch(result, sort: str, pareto: tuple[str, str], *, names: bool) -> None:  # type: ignore[no-untyped-def]
    from topo.outputs.compare import summary_table

    axes = list(result.axes)
    header, rows = summary_table(result.results, axes=axes, sort=sort, pareto=pareto)
    keep = [*(["variant"] if names or not axes else []), *axes, "status", "pareto", "cost_usd",
            "total_length_m", "max_tray_fill", "cables", "optics_power_w", "seconds"]  # fmt: skip
    idx = [header.index(c) for c in keep]
    n_ok = sum(r.status == "ok" for r in result.results)
    resumed = sum(r.resumed for r in result.results)
    title = f"{n_ok} of {len(result.results)} variants planned"
    if resumed:
        title += f" ({resumed} kept from an earlier run)"
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    labels = {"pareto": "front", "cost_usd": "cost $", "total_length_m": "length m",
              "max_tray_fill": "max fill", "optics_power_w": "optics W"}  # fmt: skip
    shown = [[_cell(c, row[i]) for c, i in zip(keep, idx, strict=True)] for row in rows]
    heads = [labels.get(c, c.rsplit(".", 1)[-1] if c in axes else c) for c in keep]
    words = [max(len(w) for w in h.split()) for h in heads]
    widths = [max([words[k], *(len(r[k]) for r in shown)]) + 3 for k in range(len(keep))]
    dropped: set[int] = set()
    for c in ("seconds", "total_length_m", "cables", "max_tray_fill"):
        if sum(w for k, w in enumerate(widths) if k not in dropped) < out_console.width:
            break
        dropped.add(keep.index(c))
    cols = [k for k in range(len(keep)) if k not in dropped]
    fits = sum(widths[k] for k in cols) < out_console.width
    for k in cols:
        numeric = keep[k] not in ("variant", "status", "pareto", *axes)
        t.add_column(
            heads[k],
            justify="right" if numeric else "left",
            overflow="fold",
            no_wrap=numeric and fits,
            min_width=None if numeric or not fits else min(widths[k] - 3, 16),
        )
    for row, cells in zip(rows, shown, strict=True):
        style = None if row[header.index("status")] == "ok" else "red"
        t.add_row(*(cells[k] for k in cols), style=style)
    out_console.print(t)


def _cell(column: str, value: str) -> str:
    if not value:
        return value
    if column == "pareto":
        return "*"
    if column == "cost_usd":
        return f"{float(value):,.0f}"
    if column == "max_tray_fill":
        return f"{float(value):.1%}"
    if column in ("total_length_m", "optics_power_w"):
        return f"{float(value):,.1f}"
    return value


@app.command("validate")
def validate_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML or JSON).")],
) -> None:
    """Check a scenario and print every problem found (exit status 2 if any)."""
    from topo.planner import validate_scenario

    try:
        sc = load_scenario(scenario)
    except TopoError as exc:
        raise _fail(exc) from None
    problems = validate_scenario(sc)
    if problems:
        raise _fail(TopoError(problems))
    out_console.print(f"{scenario}: ok")


layouts_app = typer.Typer(
    help="List the shipped floor layouts, or write a new regular hall (layouts new).",
    no_args_is_help=False,
)
app.add_typer(layouts_app, name="layouts")


@layouts_app.callback(invoke_without_command=True)
def layouts_cmd(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = (
        False
    ),
) -> None:
    """List the shipped floor layouts (``topo layouts new`` writes a new hall)."""
    if ctx.invoked_subcommand is not None:
        return
    _list_layouts(as_json)


@layouts_app.command("list")
def layouts_list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = (
        False
    ),
) -> None:
    """List the shipped floor layouts."""
    _list_layouts(as_json)


def _list_layouts(as_json: bool) -> None:
    from layouts.library import list_layouts

    infos = list_layouts()
    if as_json:
        out_console.print_json(json.dumps([i.model_dump() for i in infos]))
        return
    t = Table(title="shipped floor layouts", title_justify="left")
    for col in ("name", "racks", "network racks", "trays", "description"):
        t.add_column(col)
    for i in infos:
        t.add_row(i.name, str(i.racks), str(i.network_racks), str(i.trays), i.description)
    out_console.print(t)


@layouts_app.command("new")
def layouts_new_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="Floor file to write (YAML).")],
    rows: Annotated[int, typer.Option(help="Rows, named A..Z, AA, AB, ...")] = 4,
    racks_per_row: Annotated[int, typer.Option(help="Racks in every row, 1..99.")] = 10,
    rack_width: Annotated[float, typer.Option(help="Rack width along the row, metres.")] = 0.6,
    rack_depth: Annotated[float, typer.Option(help="Rack depth, metres.")] = 1.2,
    height_u: Annotated[int, typer.Option(help="Rack height, U.")] = 48,
    power_kw: Annotated[float, typer.Option(help="Power budget of every rack, kW.")] = 20.0,
    network_position: Annotated[
        list[int] | None,
        typer.Option(help="Position (from 1) of a network rack in every row; repeatable."),
    ] = None,
    network_row: Annotated[
        list[str] | None, typer.Option(help="A row of network racks only; repeatable.")
    ] = None,
    tray_width: Annotated[float, typer.Option(help="Row tray width, metres.")] = 0.3,
    backbone_width: Annotated[float, typer.Option(help="Cross tray width, metres.")] = 0.6,
    cross_every: Annotated[
        int | None, typer.Option(help="A cross tray between racks every this many positions.")
    ] = None,
    column_every: Annotated[
        float | None, typer.Option(help="Building-column grid spacing, metres.")
    ] = None,
    cooling: Annotated[
        str | None, typer.Option(help="How every row is cooled: air or liquid.")
    ] = None,
    cooling_kw: Annotated[
        float | None, typer.Option(help="Heat the cooling removes from one rack, kW.", min=0)
    ] = None,
    row_budget_kw: Annotated[
        float | None, typer.Option(help="IT power budget of every row, kW.", min=0)
    ] = None,
    hall_budget_kw: Annotated[
        float | None, typer.Option(help="IT power budget of the hall, kW.", min=0)
    ] = None,
    name: Annotated[str, typer.Option(help="Room name, used in cabinet labels.")] = "HALL",
    description: Annotated[str | None, typer.Option(help="A line describing the hall.")] = None,
) -> None:
    """Write a regular hall (identical rows, row trays, cross trays) as a floor file."""
    from layouts.generate import regular_hall
    from layouts.library import floor_to_yaml

    if cooling not in (None, "air", "liquid"):
        problem = Problem("layouts new", f"--cooling {cooling!r}: use 'air' or 'liquid'", cooling)
        raise _fail(TopoError([problem]))
    try:
        floor = regular_hall(
            name=name, rows=rows, racks_per_row=racks_per_row, rack_width=rack_width,
            rack_depth=rack_depth, height_u=height_u, power_kw=power_kw,
            network_positions=tuple(network_position or ()),
            network_rows=tuple(network_row or ()), tray_width=tray_width,
            backbone_width=backbone_width, cross_every=cross_every, column_every=column_every,
            cooling=cooling, cooling_kw=cooling_kw, row_budget_kw=row_budget_kw,  # type: ignore[arg-type]
            hall_budget_kw=hall_budget_kw,
        )  # fmt: skip
    except ValueError as exc:
        raise _fail(TopoError([Problem("layouts new", str(exc))])) from None
    text = floor_to_yaml(floor, description=description)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(output.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(output)
    except OSError as exc:
        raise _fail(TopoError([Problem(str(output), f"cannot write floor file: {exc}")])) from None
    n = len(floor.racks)
    net = sum(1 for r in floor.racks if r.role == "network")
    out_console.print(
        f"wrote {output}: {rows} rows x {racks_per_row} racks ({n} racks, {net} network), "
        f"{len(floor.trays)} trays"
    )


@layouts_app.command("import")
def layouts_import_cmd(
    drawing: Annotated[
        Path,
        typer.Argument(help="A DXF drawing on topo's layers (see README).", show_default=False),
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Floor file to write (YAML).")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = (
        False
    ),
) -> None:
    """Read a floor from a CAD drawing (DXF) and write it as a floor file."""
    from layouts.dxf import floor_from_dxf
    from layouts.library import floor_to_yaml
    from layouts.validate import validate_floor

    try:
        if not drawing.is_file():
            raise TopoError(Problem(str(drawing), "no such file", str(drawing)))
        result = floor_from_dxf(drawing)
        _check_output_folder(output.parent)
    except TopoError as exc:
        raise _fail(exc) from None
    text = floor_to_yaml(result.floor, description=f"imported from {drawing.name}")
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(output)
    if quiet:
        return
    for p in [*result.skipped, *validate_floor(result.floor)]:
        err_console.print(f"[yellow]warning[/yellow] {p}", soft_wrap=True)
    f = result.floor
    out_console.print(
        f"wrote {output}: {len(f.rows)} rows, {len(f.racks)} racks, {len(f.trays)} trays, "
        f"{len(f.keepouts)} keep-outs"
    )


@app.command("schema")
def schema_cmd(
    plan: Annotated[
        bool, typer.Option("--plan", help="The schema of plan.json instead of the scenario's.")
    ] = False,
) -> None:
    """Print the JSON Schema of the scenario format (for editor autocompletion), or with
    --plan of plan.json (for tools that read plans)."""
    if plan:
        from topo.summary import plan_schema

        schema = plan_schema()
    else:
        schema = Scenario.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = "topo scenario"
    sys.stdout.write(json.dumps(schema, indent=2, sort_keys=True) + "\n")


def _add_plugin_commands() -> None:
    """Add the commands other installed packages offer in the ``topo.commands`` entry-point
    group (the HTTP API's ``serve`` and ``view``): topo itself never imports them."""
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group="topo.commands"), key=lambda e: e.name):
        try:
            command = ep.load()
        except (ImportError, AttributeError):  # installed without what it needs: left out
            continue
        app.command(ep.name)(command)


_add_plugin_commands()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except TopoError as exc:  # a user's mistake raised outside a command's own handling
        for p in exc.problems:
            err_console.print(f"[red]error[/red] {p}", soft_wrap=True)
        sys.exit(EXIT_USER_ERROR)
