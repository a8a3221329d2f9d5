"""Exports: the files a plan hands to installers, procurement and other tools.

Each ``plan_to_*`` function is a pure view of a :class:`~topo.plan.Plan` returning text;
:func:`render_plan` gathers them by file name and :func:`write_plan` writes them all or
nothing. Column orders are part of the contract and documented in ``CABLES_COLUMNS``,
``BOM_COLUMNS`` and ``TRAYS_COLUMNS``; rows are sorted as each function says.

Tray routes in ``cables.csv`` are written compactly: consecutive segments of one tray
become a range, ``T-A.002..017 > X.001 > T-B.010..004`` (a descending range means the
cable runs against the tray's direction).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from layouts.library import floor_to_yaml
from layouts.pathways import compact_route
from topo.outputs.drawing import plan_to_svg
from topo.plan import Plan
from topo.sourcing import UNKNOWN_ORIGIN, BomItem

__all__ = [
    "BOM_BY_ORIGIN_COLUMNS",
    "BOM_COLUMNS",
    "CABLES_COLUMNS",
    "CHANGES_COLUMNS",
    "CHANGE_FILES",
    "OUTPUT_FILES",
    "PLAN_FORMAT",
    "TRAYS_COLUMNS",
    "WORK_ORDERS_COLUMNS",
    "csv_text",
    "format_decimal",
    "output_files",
    "plan_to_bom_by_origin_csv",
    "plan_to_bom_csv",
    "plan_to_cables_csv",
    "plan_to_changes_csv",
    "plan_to_json",
    "plan_to_scenario_yaml",
    "plan_to_trays_csv",
    "plan_to_work_orders_csv",
    "render_plan",
    "spreadsheet_safe",
    "write_plan",
]

CABLES_COLUMNS = (
    "cable_id",  # C000001..., in link order
    "label",  # RACK-U:PORT/RACK-U:PORT, A end first
    "status",  # ok | unrouted | no-media
    "fabric",
    "tier",  # server-leaf, leaf-spine, ...
    "speed_gbps",
    "a_rack",
    "a_u",  # top rack unit of the A-end device
    "a_device",
    "a_port",
    "b_rack",
    "b_u",
    "b_device",
    "b_port",
    "media",  # catalog media id
    "media_kind",  # dac, acc, aoc, mmf, smf, copper
    "route_m",  # along trays (0 inside one rack)
    "length_m",  # needed: in-rack runs + drops + route + slack
    "stock_length_m",  # to pull
    "cost_usd",  # cable plus both transceivers
    "power_w",  # both ends
    "tray_route",  # compact segment list, A end to B end
    "a_interface",  # the A end's port as its device names it, e.g. Ethernet3/2, nic1
    "b_interface",
)
"""Columns of ``cables.csv``. Rows are sorted by ``cable_id``."""

BOM_COLUMNS = (
    "category",  # switch, appliance, optic, cable, total
    "sku",
    "description",
    "length_m",  # cables only
    "quantity",
    "unit_cost_usd",
    "total_cost_usd",
    "unit_power_w",
    "total_power_w",
    "manufacturer",  # the catalog's sourcing fields, empty where it gives none
    "part_number",
    "origin",  # ISO 3166 alpha-2 country
    "lead_time_days",
)
"""Columns of ``bom.csv``. Rows: switches, optics, cables, each by SKU (and length),
then one ``total`` row."""

BOM_BY_ORIGIN_COLUMNS = (
    "origin",  # ISO 3166 alpha-2, or 'unknown'
    "manufacturer",
    "category",  # switch, appliance, optic, cable, subtotal, total
    "sku",
    "part_number",
    "description",
    "length_m",
    "quantity",
    "total_cost_usd",
    "share_pct",  # of the bill of materials' total cost
    "lead_time_days",
)
"""Columns of ``bom_by_origin.csv``: the lines of ``bom.csv`` grouped by origin (A-Z,
``unknown`` last), then by manufacturer, then in ``bom.csv`` order; each origin closed by
a ``subtotal`` row (its cost, share and longest lead time), then one ``total`` row."""

TRAYS_COLUMNS = (
    "segment",
    "tray",
    "length_m",
    "cables",
    "cable_area_mm2",
    "area_mm2",
    "fill_pct",
    "limit_pct",
    "over_by_pct",  # percentage points over the limit, 0 if within it
    "status",  # ok | over
)
"""Columns of ``trays.csv``. Rows are sorted by tray id, then along the tray."""


def _m(mm: int | float) -> str:
    return f"{mm / 1000:.3f}".rstrip("0").rstrip(".") if mm else "0"


def _money(cents: int) -> str:
    return f"{cents / 100:.2f}"


def format_decimal(value: float, *, digits: int = 3) -> str:
    """A number in fixed-decimal notation, at most ``digits`` decimals, trailing zeros
    dropped: never scientific notation, never rounded to a few significant digits.

    >>> format_decimal(109652.8), format_decimal(1_000_000.0), format_decimal(0.2)
    ('109652.8', '1000000', '0.2')
    >>> format_decimal(0.1 + 0.2), format_decimal(-0.0)
    ('0.3', '0')
    """
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text: a text cell starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return (which a spreadsheet may run as a formula) gets
    a leading apostrophe; numbers, and text that reads as a number, are kept as they are.

    >>> spreadsheet_safe("=HYPERLINK(1)"), spreadsheet_safe("-1.5"), spreadsheet_safe("A01")
    ("'=HYPERLINK(1)", '-1.5', 'A01')
    >>> spreadsheet_safe("@SUM(A1)"), spreadsheet_safe(-3)
    ("'@SUM(A1)", -3)
    """
    if not isinstance(value, str) or not value or value[0] not in _FORMULA_START:
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value if value.strip() == value else "'" + value


_FORMULA_START = frozenset("=+-@\t\r")


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text (``\\n`` line ends) with every cell made :func:`spreadsheet_safe`."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([spreadsheet_safe(v) for v in header])
    w.writerows([spreadsheet_safe(v) for v in row] for row in rows)
    return buf.getvalue()


def _csv(header: tuple[str, ...], rows: list[list[Any]]) -> str:
    return csv_text(header, rows)


def _route(plan: Plan, segments: tuple[int, ...]) -> str:
    segs = plan.pathways.segments
    return compact_route([segs[i] for i in segments])


def plan_to_cables_csv(plan: Plan) -> str:
    """The cable schedule: one row a cable (see ``CABLES_COLUMNS``)."""
    rows = []
    model = {d.id: d.model for d in plan.placement.devices}
    name = plan.catalog.interface_name
    for c in sorted(plan.cables, key=lambda c: c.id):
        rows.append(
            [
                c.id, c.label, c.status, c.fabric, c.tier, c.speed_gbps,
                c.a_rack, c.a_u, c.a_device, c.a_port,
                c.b_rack, c.b_u, c.b_device, c.b_port,
                c.media, c.kind, _m(c.route_mm), _m(c.length_mm), _m(c.stock_mm),
                _money(c.cost_cents), format_decimal(c.power_w), _route(plan, c.segments),
                name(model.get(c.a_device, ""), c.a_port),
                name(model.get(c.b_device, ""), c.b_port),
            ]
        )  # fmt: skip
    return _csv(CABLES_COLUMNS, rows)


def plan_to_bom_csv(plan: Plan) -> str:
    """The bill of materials (see ``BOM_COLUMNS``): the lines of
    :func:`topo.sourcing.bom_items`, then a ``total`` row."""
    rows: list[list[Any]] = []
    total_cents = 0
    total_power = 0.0
    for it in plan.bom:
        total_cents += it.total_cents
        total_power += it.unit_power_w * it.quantity
        rows.append(
            [
                it.category,
                it.sku,
                it.description,
                _m(it.length_mm) if it.length_mm else "",
                it.quantity,
                _money(it.unit_cents),
                _money(it.total_cents),
                format_decimal(it.unit_power_w),
                format_decimal(it.unit_power_w * it.quantity),
                *it.sourcing.columns(),
            ]
        )
    total = ["total", "", "", "", "", "", _money(total_cents), "", format_decimal(total_power)]
    rows.append([*total, "", "", "", ""])
    return _csv(BOM_COLUMNS, rows)


def plan_to_bom_by_origin_csv(plan: Plan) -> str:
    """The bill of materials by origin and manufacturer (see ``BOM_BY_ORIGIN_COLUMNS``):
    what procurement orders from each country and supplier, and its share of the cost."""
    items = plan.bom
    total = sum(it.total_cents for it in items)

    def pct(cents: int) -> str:
        return f"{100 * cents / total:.2f}" if total else "0.00"

    def origin_key(origin: str) -> tuple[bool, str]:
        return (origin == UNKNOWN_ORIGIN, origin)

    groups: dict[str, list[tuple[int, BomItem]]] = defaultdict(list)
    for k, it in enumerate(items):
        groups[it.sourcing.origin or UNKNOWN_ORIGIN].append((k, it))
    rows: list[list[Any]] = []
    for origin in sorted(groups, key=origin_key):
        # by manufacturer, then in bom.csv order
        lines = [
            it
            for _, it in sorted(groups[origin], key=lambda ki: (ki[1].sourcing.manufacturer, ki[0]))
        ]
        for it in lines:
            lead = it.sourcing.lead_time_days
            rows.append(
                [
                    origin,
                    it.sourcing.manufacturer,
                    it.category,
                    it.sku,
                    it.sourcing.part_number,
                    it.description,
                    _m(it.length_mm) if it.length_mm else "",
                    it.quantity,
                    _money(it.total_cents),
                    pct(it.total_cents),
                    "" if lead is None else lead,
                ]
            )
        sub = sum(it.total_cents for it in lines)
        leads = [
            it.sourcing.lead_time_days for it in lines if it.sourcing.lead_time_days is not None
        ]
        rows.append(
            [
                origin,
                "",
                "subtotal",
                "",
                "",
                "",
                "",
                "",
                _money(sub),
                pct(sub),
                max(leads, default=""),
            ]
        )
    rows.append(
        ["", "", "total", "", "", "", "", "", _money(total), pct(total) if total else "", ""]
    )
    return _csv(BOM_BY_ORIGIN_COLUMNS, rows)


def plan_to_trays_csv(plan: Plan) -> str:
    """Tray fill per segment (see ``TRAYS_COLUMNS``)."""
    rows = []
    for f in sorted(plan.fills, key=lambda f: (f.segment.tray, f.segment.id)):
        s = f.segment
        over = max(0.0, f.fill - s.fill_limit)
        rows.append(
            [
                s.id,
                s.tray,
                _m(s.length_mm),
                f.cables,
                f"{f.cable_area_mm2:.1f}",
                s.area_mm2,
                f"{100 * f.fill:.2f}",
                f"{100 * s.fill_limit:.2f}",
                f"{100 * over:.2f}",
                "over" if f.over else "ok",
            ]
        )
    return _csv(TRAYS_COLUMNS, rows)


PLAN_FORMAT = "topo.plan/1"
"""The ``format`` field of ``plan.json``."""


def plan_to_json(plan: Plan) -> str:
    """``plan.json``: summary, diagnostics, notes and every placed device."""
    doc = {
        "format": PLAN_FORMAT,
        "summary": plan.summary.to_json(),
        "diagnostics": [p.to_dict() for p in plan.diagnostics],
        "notes": list(plan.notes),
        "devices": [
            {
                "id": d.id, "role": d.role, "model": d.model, "rack": d.rack, "u": d.u,
                "height_u": d.height_u, "fabric": d.fabric, "group": d.group,
            }
            for d in plan.placement.devices
        ],
    }  # fmt: skip
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def plan_to_scenario_yaml(plan: Plan) -> str:
    """``scenario.yaml``: the scenario the plan was made from, its floor written inline.

    Re-planning this file gives the same plan (same topo version), so a plan folder is
    self-contained: ``topo draw out/`` and ``topo plan out/scenario.yaml`` both read it.
    Keys the scenario left unset are left out, so defaults apply on reading as they did
    when planning.
    """
    sc = plan.scenario
    data = sc.model_dump(mode="json", exclude_unset=True)
    parts = [
        f"# Scenario {sc.name!r} as planned, floor inline; `topo draw <this folder>` and\n"
        "# `topo plan <this file>` re-plan it.\n"
    ]
    for key in type(sc).model_fields:
        if key == "floor":
            text = floor_to_yaml(plan.floor)
            parts.append(
                "floor:\n"
                + "".join(f"  {ln}" if ln.strip() else ln for ln in text.splitlines(keepends=True))
            )
        elif key in data:
            parts.append(
                yaml.safe_dump({key: data[key]}, sort_keys=False, allow_unicode=True, width=100)
            )
    return "".join(parts)


CHANGES_COLUMNS = (
    "cable_id",  # the installed id for keep, remove, reroute; new ids after the highest
    "action",  # keep | add | remove | reroute
    "phase",  # 0 nothing to do, 1 removal, 2 pull and terminate
    "label",  # RACK-U:PORT/RACK-U:PORT, A end first
    "a_rack",
    "a_u",
    "a_device",
    "a_port",
    "b_rack",
    "b_u",
    "b_device",
    "b_port",
    "media",  # catalog media id
    "stock_length_m",
    "tray_run",  # the first tray of the route ('' inside one rack)
    "row",  # row of the A-end rack
    "tray_route",  # the new route; the installed one for a removal
)
"""Columns of ``changes.csv``, one row a cable of either plan, sorted by cable id."""

WORK_ORDERS_COLUMNS = (
    "phase",  # 1 removals, 2 pulls, 3 terminations
    "step",  # remove | pull | terminate
    "tray_run",  # removals and pulls: the first tray of the route ('' inside one rack)
    "row",  # removals and pulls: the A-end rack's row; terminations: the rack's row
    "rack",  # terminations: the rack the ends are in ('' for other steps)
    "cables",  # how many cables (terminations: cables with an end in the rack)
    "cable_ids",  # space-separated, sorted
)
"""Columns of ``work_orders.csv``: one row a work item, in phase order."""


def plan_to_changes_csv(plan: Plan) -> str:
    """``changes.csv``: every cable of the installed plan and of this one, and what
    happens to it (see ``CHANGES_COLUMNS``); empty for a plan on nothing installed."""
    changes = plan.changes.cables if plan.changes is not None else ()
    rows = [
        [
            c.cable_id, c.action, c.phase, c.label,
            c.a_rack, c.a_u, c.a_device, c.a_port, c.b_rack, c.b_u, c.b_device, c.b_port,
            c.media, _m(c.stock_mm), c.tray_run, c.row, c.route,
        ]
        for c in sorted(changes, key=lambda c: (c.cable_id, c.action))
    ]  # fmt: skip
    return _csv(CHANGES_COLUMNS, rows)


def plan_to_work_orders_csv(plan: Plan) -> str:
    """``work_orders.csv``: the changes as work items (see ``WORK_ORDERS_COLUMNS``).

    Phase 1 takes the removed cables out, by tray run and row; phase 2 pulls the added
    and re-routed cables, by tray run and row; phase 3 terminates their ends, by rack.
    """
    changes = plan.changes.cables if plan.changes is not None else ()
    groups: dict[tuple[int, str, str, str, str], list[str]] = {}
    row_of = {r.id: r.row for r in plan.floor.racks}
    for c in changes:
        if c.action == "remove":
            groups.setdefault((1, "remove", c.tray_run, c.row, ""), []).append(c.cable_id)
        elif c.action in ("add", "reroute"):
            groups.setdefault((2, "pull", c.tray_run, c.row, ""), []).append(c.cable_id)
            for rack in sorted({c.a_rack, c.b_rack}):
                key = (3, "terminate", "", row_of.get(rack, ""), rack)
                groups.setdefault(key, []).append(c.cable_id)
    rows = [[*key, len(ids), " ".join(sorted(ids))] for key, ids in sorted(groups.items())]
    return _csv(WORK_ORDERS_COLUMNS, rows)


OUTPUT_FILES: dict[str, Callable[[Plan], str]] = {
    "plan.json": plan_to_json,
    "cables.csv": plan_to_cables_csv,
    "bom.csv": plan_to_bom_csv,
    "bom_by_origin.csv": plan_to_bom_by_origin_csv,
    "trays.csv": plan_to_trays_csv,
    "floor.svg": lambda plan: plan_to_svg(plan),
    "scenario.yaml": plan_to_scenario_yaml,
}
"""Every file ``topo plan`` writes, by name (and ``CHANGE_FILES`` for a plan that builds
on an installed one)."""

CHANGE_FILES: dict[str, Callable[[Plan], str]] = {
    "changes.csv": plan_to_changes_csv,
    "work_orders.csv": plan_to_work_orders_csv,
}
"""The files ``topo plan`` also writes for a plan with an installed plan (``existing``)."""


def output_files(plan: Plan) -> dict[str, Callable[[Plan], str]]:
    """The files ``topo plan`` writes for ``plan``, by name: ``OUTPUT_FILES``, then
    ``CHANGE_FILES`` if the plan builds on an installed one."""
    return OUTPUT_FILES if plan.changes is None else {**OUTPUT_FILES, **CHANGE_FILES}


def render_plan(plan: Plan) -> dict[str, bytes]:
    """Every output file's bytes, by file name."""
    return {name: fn(plan).encode("utf-8") for name, fn in output_files(plan).items()}


def write_plan(plan: Plan, out_dir: str | Path) -> list[Path]:
    """Write every output file into ``out_dir``, all or nothing.

    The files are rendered in memory, written to a temporary folder beside ``out_dir``
    and then moved in, so an error leaves no half-written output behind.
    """
    files = render_plan(plan)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".topo-", dir=out))
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        written = []
        for name in files:
            os.replace(tmp / name, out / name)
            written.append(out / name)
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
