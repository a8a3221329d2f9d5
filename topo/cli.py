"""The ``topo`` command line.

    topo plan [SCENARIO] [-o DIR]   plan a scenario (default: the shipped default scenario)
    topo draw PLAN_DIR|SCENARIO -o FILE.svg|FILE.png [--cable ID]... [--rack R] [--tier T]
                                    draw a plan's floor, highlighting chosen cables' routes
    topo validate SCENARIO          check a scenario, print every problem found
    topo layouts                    list the shipped floor layouts
    topo schema                     print the JSON Schema of the scenario format

A user's mistake (bad file, impossible floor, impossible intent) prints one line per
problem on standard error and exits with status 2; no traceback, no partial output.
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from layouts.errors import Problem, TopoError
from topo.scenario import Scenario, load_scenario

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


def _fail(exc: TopoError) -> typer.Exit:
    n = len(exc.problems)
    for p in exc.problems:
        err_console.print(f"[red]error[/red] {p}", markup=True, soft_wrap=True)
    err_console.print(f"{n} problem{'s' if n != 1 else ''} found", style="bold red")
    return typer.Exit(EXIT_USER_ERROR)


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
    from topo.exports import write_plan
    from topo.planner import plan

    try:
        sc = _load(scenario)
        if quiet:
            result = plan(sc)
        else:
            with err_console.status("planning") as status:
                result = plan(sc, progress=lambda msg: status.update(msg))
    except TopoError as exc:
        raise _fail(exc) from None
    written = write_plan(result, out)
    if quiet:
        return
    _print_summary(result.summary)
    for d in result.diagnostics[:20]:
        err_console.print(f"[yellow]warning[/yellow] {d}", soft_wrap=True)
    if len(result.diagnostics) > 20:
        err_console.print(f"[yellow]warning[/yellow] ... and {len(result.diagnostics) - 20} more")
    out_console.print(f"wrote {', '.join(str(p) for p in written)}")


def _scenario_for_drawing(source: Path) -> tuple[Scenario, Path | None]:
    """The scenario behind a plan folder (its ``scenario.yaml``) or a scenario file, and
    the folder when one was given."""
    if source.is_dir():
        inside = source / "scenario.yaml"
        if not inside.is_file():
            raise TopoError(
                Problem(
                    str(source),
                    "folder holds no scenario.yaml to re-plan; give a scenario file, or a "
                    "folder written by `topo plan`",
                    str(source),
                )
            )
        return load_scenario(inside), source
    return load_scenario(source), None


@app.command("draw")
def draw_cmd(
    source: Annotated[
        Path,
        typer.Argument(
            help="A plan folder written by `topo plan` (its scenario.yaml is re-planned) "
            "or a scenario file.",
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
    from topo.drawing import plan_to_svg, svg_to_png
    from topo.exports import plan_to_cables_csv
    from topo.planner import plan

    suffix = out.suffix.lower()
    try:
        if suffix not in (".svg", ".png"):
            raise TopoError(
                Problem("out", f"cannot write {out.name!r}: the drawing is .svg or .png", str(out))
            )
        sc, folder = _scenario_for_drawing(source)
        result = plan(sc)
        svg = plan_to_svg(result, cables=cable or (), rack=rack, tier=tier)
        data = svg_to_png(svg) if suffix == ".png" else svg.encode("utf-8")
    except TopoError as exc:
        raise _fail(exc) from None
    if folder is not None and (folder / "cables.csv").is_file():
        planned = (folder / "cables.csv").read_text(encoding="utf-8")
        if planned != plan_to_cables_csv(result):
            err_console.print(
                f"[yellow]warning[/yellow] re-planning {folder / 'scenario.yaml'} does not "
                f"reproduce {folder / 'cables.csv'} (made by another topo version, or edited); "
                "the drawing shows the plan as made now",
                soft_wrap=True,
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    if not quiet:
        out_console.print(f"wrote {out}")


def _print_summary(s: dict[str, object]) -> None:
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
    solver = s["solver"]
    assert isinstance(solver, dict)
    t.add_row("solver", f"{solver['method']} {solver['status']}, gap {solver['gap']:.2%}")
    out_console.print(t)


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


@app.command("layouts")
def layouts_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = (
        False
    ),
) -> None:
    """List the shipped floor layouts."""
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


@app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of the scenario format (for editor autocompletion)."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "topo scenario"
    sys.stdout.write(json.dumps(schema, indent=2, sort_keys=True) + "\n")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except TopoError as exc:  # a user's mistake raised outside a command's own handling
        for p in exc.problems:
            err_console.print(f"[red]error[/red] {p}", soft_wrap=True)
        sys.exit(EXIT_USER_ERROR)
