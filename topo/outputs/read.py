"""Reading a plan folder back into a :class:`~topo.plan.Plan`, without re-planning.

A folder written by ``topo plan`` holds everything a plan decided:

- ``scenario.yaml``: the scenario, floor inline (so the catalog and the pathway graph
  are rebuilt exactly as they were);
- ``plan.json``: the summary (solver status, bounds, placement report, fabric shapes),
  the diagnostics and notes, and every placed device (rack, U);
- ``cables.csv``: every cable, both ends, media, lengths, cost, power and tray route.

:func:`read_plan` rebuilds the plan from those three files: devices take their power and
cost from the catalog, links are the cables' ends, tray fill is recomputed from the
routes. Writing the plan read back gives the same bytes as the files it was read from
(the suite checks this on every example), so drawings, exports and the API read a plan
instead of planning it again.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from layouts.errors import Problem, TopoError
from layouts.limits import read_limited_text
from layouts.model import Floor
from layouts.pathways import parse_route, pathways_from_floor
from topo.cables import Cable
from topo.catalog import Catalog, builtin_catalog, merge_catalog
from topo.errors import ScenarioError
from topo.model import Device, Endpoint, Fabric, FabricInfo, Link, Placement, SolverInfo
from topo.outputs.exports import CABLES_COLUMNS, CHANGES_COLUMNS, PLAN_FORMAT
from topo.placement.cuts import FloorCut
from topo.placement.optimize import PlacementReport
from topo.plan import CableChange, Changes, Plan, tray_fill
from topo.scenario import Scenario, parse_scenario, read_data, resolve_floor

__all__ = ["PLAN_FILES", "plan_from_files", "plan_from_records", "read_plan"]

PLAN_FILES = ("scenario.yaml", "plan.json", "cables.csv")
"""The files of a plan folder :func:`read_plan` needs."""


def read_plan(folder: str | Path) -> Plan:
    """The plan a ``topo plan`` output folder holds.

    Args:
        folder: a folder written by ``topo plan`` (or :func:`topo.outputs.write_plan`).

    Raises:
        TopoError: a file is missing, of another format, or does not match the scenario
            (a tray segment the floor does not have); every problem is named with its
            file and line.
    """
    root = Path(folder)
    missing = [name for name in PLAN_FILES if not (root / name).is_file()]
    if missing:
        raise TopoError(
            [
                Problem(name, f"{str(root / name)!r} is missing: not a plan folder", str(root))
                for name in missing
            ]
        )
    # changes.csv: only beside a plan that builds on an installed one
    names = [*PLAN_FILES, *(n for n in ("changes.csv",) if (root / n).is_file())]
    return plan_from_files(
        {name: read_limited_text(root / name, what=name) for name in names},
        base_dir=root,
    )


def plan_from_files(files: Mapping[str, str | bytes], *, base_dir: Path | None = None) -> Plan:
    """The plan held by the texts of its ``scenario.yaml``, ``plan.json`` and
    ``cables.csv`` (the API reads its stored plans with this).

    Raises:
        TopoError: as :func:`read_plan`.
    """
    text = {k: v.decode("utf-8") if isinstance(v, bytes) else v for k, v in files.items()}
    missing = [name for name in PLAN_FILES if name not in text]
    if missing:
        raise TopoError([Problem(name, f"the plan has no {name!r}") for name in missing])
    scenario = resolve_floor(
        parse_scenario(read_data(text["scenario.yaml"], "scenario.yaml")),
        base_dir=base_dir,
        allow_paths=base_dir is not None,
    )
    doc = _json(text["plan.json"])
    plan = plan_from_records(scenario, doc, _csv_rows(text["cables.csv"]))
    recorded = doc["summary"].get("changes")
    if "changes.csv" not in text or not isinstance(recorded, dict):
        return plan
    changes = Changes(str(recorded.get("relative_to", "")), _changes(text["changes.csv"]))
    return Plan(**{**_fields(plan), "changes": changes})


def _changes(text: str) -> tuple[CableChange, ...]:
    """The rows of ``changes.csv``."""
    reader = csv.DictReader(io.StringIO(text))
    lost = [c for c in CHANGES_COLUMNS if c not in (reader.fieldnames or ())]
    if lost:
        raise ScenarioError(
            Problem("changes.csv", f"changes.csv lacks the columns {', '.join(lost)}", lost)
        )
    out = []
    for row in reader:
        r = {k: _unsafe(v) for k, v in row.items()}
        out.append(
            CableChange(
                cable_id=r["cable_id"],
                action=r["action"],
                phase=int(r["phase"]),
                label=r["label"],
                a_rack=r["a_rack"],
                a_u=int(r["a_u"]),
                a_device=r["a_device"],
                a_port=r["a_port"],
                b_rack=r["b_rack"],
                b_u=int(r["b_u"]),
                b_device=r["b_device"],
                b_port=r["b_port"],
                media=r["media"],
                stock_mm=_mm(r["stock_length_m"]),
                tray_run=r["tray_run"],
                row=r["row"],
                route=r["tray_route"],
            )
        )
    return tuple(out)


def plan_from_records(scenario: Scenario, doc: dict[str, Any], rows: list[dict[str, str]]) -> Plan:
    """A plan from its scenario (floor resolved), ``plan.json`` and ``cables.csv`` rows.

    The API keeps a plan's files in its store and reads them back with this.
    """
    if doc.get("format") != PLAN_FORMAT:
        raise TopoError(
            Problem(
                "plan.json.format",
                f"plan.json is of format {doc.get('format')!r}, topo reads {PLAN_FORMAT!r}",
                doc.get("format"),
            )
        )
    floor = scenario.floor
    assert isinstance(floor, Floor)
    catalog = merge_catalog(builtin_catalog(), scenario.catalog)
    graph = pathways_from_floor(floor)
    summary = doc["summary"]
    devices = _devices(doc["devices"], catalog)
    cables = _cables(rows, graph)
    links = tuple(
        Link(
            c.link,
            _endpoint(c.a_device, c.a_port),
            _endpoint(c.b_device, c.b_port),
            c.speed_gbps,
            c.tier,
            c.fabric,
        )
        for c in cables
    )
    fabrics = summary.get("fabrics", {})
    parts = tuple(
        FabricInfo(
            name, f["kind"], f["tiers"], tuple((str(k), v) for k, v in f.get("shape", {}).items())
        )
        for name, f in fabrics.items()
        if f.get("kind")
    )
    fabric = Fabric(
        next(iter(fabrics), scenario.name), devices, links, tuple(doc["notes"]), (), parts
    )
    placed = summary["placement"]
    placement = Placement(devices, placed["method"])
    solver = summary["solver"]
    area = {m.id: m.area_mm2 for m in catalog.media}
    plan = Plan(
        scenario=scenario,
        floor=floor,
        catalog=catalog,
        pathways=graph,
        fabric=fabric,
        placement=placement,
        cables=cables,
        fills=tray_fill(graph, cables, area),
        solver=SolverInfo(
            status=solver["status"],
            method=solver["method"],
            bound_source=solver["bound_source"],
            objective=solver["objective"],
            iterations=solver["iterations"],
            time_limit_hit=solver["time_limit_hit"],
        ),
        lower_bound_mm=round(summary["lower_bound_length_m"] * 1000),
        problems=(),
        notes=tuple(doc["notes"]),
        lower_bound_cost_cents=round(summary["lower_bound_cost_usd"] * 100),
        placement_report=_report(placed),
        floor_cut=_floor_cut(summary.get("floor_bound")),
    )
    recorded = [Problem(p["location"], p["message"], p.get("value")) for p in doc["diagnostics"]]
    derived = {(p.location, p.message) for p in plan.diagnostics}
    own = tuple(p for p in recorded if (p.location, p.message) not in derived)
    return Plan(**{**_fields(plan), "problems": own})


def _fields(plan: Plan) -> dict[str, Any]:
    return {f.name: getattr(plan, f.name) for f in dataclasses.fields(plan)}


def _json(text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            Problem("plan.json", f"plan.json is not JSON: line {exc.lineno}: {exc.msg}")
        ) from None
    if not isinstance(doc, dict):
        raise ScenarioError(Problem("plan.json", "plan.json is not a plan (not a mapping)"))
    return doc


def _csv_rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    lost = [c for c in CABLES_COLUMNS if c not in header]
    if lost:
        raise ScenarioError(
            Problem("cables.csv", f"cables.csv lacks the columns {', '.join(lost)}", lost)
        )
    return [{k: _unsafe(v) for k, v in row.items()} for row in reader]


def _unsafe(cell: str) -> str:
    """Undo :func:`topo.outputs.exports.spreadsheet_safe` (the apostrophe before text
    that a spreadsheet could run as a formula)."""
    return cell[1:] if len(cell) > 1 and cell[0] == "'" and cell[1] in "=+-@\t\r" else cell


def _devices(rows: list[dict[str, Any]], catalog: Catalog) -> tuple[Device, ...]:
    out = []
    for d in rows:
        model = catalog.switch_index.get(d["model"]) or catalog.server_index.get(d["model"])
        out.append(
            Device(
                d["id"],
                d["role"],
                d["model"],
                d["height_u"],
                model.power_w if model else 0.0,
                model.cost_usd if model else 0.0,
                rack=d["rack"],
                u=d["u"],
                fabric=d["fabric"],
                group=d["group"],
            )
        )
    return tuple(out)


def _mm(text: str) -> int:
    return round(float(text) * 1000) if text else 0


def _cables(rows: list[dict[str, str]], graph: Any) -> tuple[Cable, ...]:
    out = []
    problems = []
    for line, r in enumerate(rows, start=2):
        try:
            segments = parse_route(graph, r["tray_route"])
        except ValueError as exc:
            problems.append(Problem(f"cables.csv:{line}", f"cable {r['cable_id']!r}: {exc}"))
            continue
        out.append(
            Cable(
                id=r["cable_id"],
                link=r["cable_id"],
                label=r["label"],
                tier=r["tier"],
                fabric=r["fabric"],
                speed_gbps=int(r["speed_gbps"]),
                a_rack=r["a_rack"],
                a_u=int(r["a_u"]),
                a_device=r["a_device"],
                a_port=r["a_port"],
                b_rack=r["b_rack"],
                b_u=int(r["b_u"]),
                b_device=r["b_device"],
                b_port=r["b_port"],
                media=r["media"],
                kind=r["media_kind"],
                route_mm=_mm(r["route_m"]),
                length_mm=_mm(r["length_m"]),
                stock_mm=_mm(r["stock_length_m"]),
                segments=segments,
                cost_cents=round(float(r["cost_usd"]) * 100) if r["cost_usd"] else 0,
                power_w=float(r["power_w"]) if r["power_w"] else 0.0,
                status=r["status"],
            )
        )
    if problems:
        raise TopoError(problems)
    return tuple(out)


def _endpoint(device: str, port: str) -> Endpoint:
    if port == "mgmt":
        return Endpoint(device, 0)
    head, _, lane = port.partition(".")
    return Endpoint(device, int(head), int(lane) if lane else 0)


def _floor_cut(bound: dict[str, Any] | None) -> FloorCut | None:
    if bound is None:
        return None
    return FloorCut(
        axis=bound["axis"],
        at_m=bound["at_m"],
        segments=tuple(bound["segments"]),
        capacity_mm2=bound["capacity_mm2"],
        least_mm2=bound["least_mm2"],
    )


def _report(placed: dict[str, Any]) -> PlacementReport | None:
    if "free_devices" not in placed:
        return None
    unit = "m" if "naive_m" in placed else "usd"
    return PlacementReport(
        method=placed["method"],
        objective="length" if unit == "m" else "cost",
        free_devices=placed["free_devices"],
        naive=placed[f"naive_{unit}"],
        chosen=placed[f"chosen_{unit}"],
        seconds=0.0,
        rounds=placed["rounds"],
        fill_before=placed.get("max_tray_fill_before"),
        fill_after=placed.get("max_tray_fill_after"),
    )
