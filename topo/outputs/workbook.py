"""The installer workbook: the cable schedule as a spreadsheet a crew pulls cables from.

``schedule.xlsx`` holds, in this order:

- ``Summary``: the scenario, counts, lengths, cost, and how to read the workbook;
- one sheet per tier (``server-leaf``, ``leaf-spine``, ...): every cable of the tier;
- one sheet per rack row (``Row A``, ...): every cable with an end in the row;
- ``Pull lists``: cables grouped by the tray run they are pulled into first (their first
  tray segment's tray, from the A end), with counts and total stock length per run;
- ``Labels``: one row per cable end, both ends' labels, ready to print on label stock.

Every table sheet has a frozen header row, an auto-filter and fixed column widths. Each
cable row gives both ends (rack, U, device, port, connector cage), the media, the
transceiver part at each end (optical media) and the cable part, the colour of its
tier (:data:`TIER_COLOURS`), needed and stock length in metres (and in feet with
``feet=True``), and the tray route. Ids from the scenario are written as text, never as
formulas. The same plan gives the same bytes: the workbook's creation date is fixed (and
with it the dates inside its zip).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import xlsxwriter

from layouts.pathways import compact_route
from topo.cables import Cable
from topo.plan import Plan

__all__ = ["TIER_COLOURS", "plan_to_xlsx"]

TIER_COLOURS: dict[str, str] = {
    "server-leaf": "blue",
    "leaf-spine": "yellow",
    "spine-core": "orange",
    "leaf-peer": "violet",
    "device-mgmt": "grey",
    "mgmt-agg": "green",
}
"""Cable jacket or label colour per tier (any other tier: white)."""

_FILLS = {
    "blue": "BDD7EE",
    "yellow": "FFF2CC",
    "orange": "F8CBAD",
    "violet": "E4DFEC",
    "grey": "EDEDED",
    "green": "E2EFDA",
    "white": "FFFFFF",
}
_FIXED_DATE = dt.datetime(2000, 1, 1)
_FT_PER_M = 1 / 0.3048
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name: no ``[]:*?/\\``, at most 31 characters."""
    base = _BAD_SHEET_CHARS.sub("-", name).strip("'") or "sheet"
    title = base[:31]
    k = 2
    while title.lower() in taken:
        suffix = f" ({k})"
        title = base[: 31 - len(suffix)] + suffix
        k += 1
    taken.add(title.lower())
    return title


def _text(value: Any) -> Any:
    """A cell value: numbers as numbers, everything else as text (never a formula)."""
    return value if isinstance(value, int | float) else str(value)


class _Parts:
    """Connector cage per device port, transceiver and cable part per media."""

    def __init__(self, plan: Plan) -> None:
        cat = plan.catalog
        self.media = cat.media_index
        self.cage: dict[tuple[str, int], str] = {}
        models = {d.id: d.model for d in plan.placement.devices}
        self._models = models
        self._switches = cat.switch_index

    def cage_of(self, device: str, port: str) -> str:
        sw = self._switches.get(self._models.get(device, ""))
        if sw is None or port == "mgmt":
            return "RJ45" if port == "mgmt" else ""
        n = int(port.split(".")[0])
        for g in sw.ports:
            if n <= g.count:
                return g.cage
            n -= g.count
        return ""

    def transceiver(self, media: str) -> str:
        m = self.media.get(media)
        return m.transceiver.sku if m is not None and m.transceiver is not None else ""

    def cable(self, media: str) -> str:
        m = self.media.get(media)
        return m.cable_sku if m is not None else ""


def _columns(feet: bool) -> list[str]:
    cols = [
        "cable_id", "label", "tier", "colour", "a_rack", "a_u", "a_device", "a_port",
        "a_connector", "a_transceiver", "b_rack", "b_u", "b_device", "b_port", "b_connector",
        "b_transceiver", "media", "cable_part", "length_m", "stock_length_m",
    ]  # fmt: skip
    if feet:
        cols += ["length_ft", "stock_length_ft"]
    return [*cols, "status", "tray_route"]


def _row(c: Cable, parts: _Parts, route: str, feet: bool) -> list[Any]:
    trx = parts.transceiver(c.media) if c.media else ""
    row: list[Any] = [
        c.id, c.label, c.tier, TIER_COLOURS.get(c.tier, "white"),
        c.a_rack, c.a_u, c.a_device, c.a_port, parts.cage_of(c.a_device, c.a_port), trx,
        c.b_rack, c.b_u, c.b_device, c.b_port, parts.cage_of(c.b_device, c.b_port), trx,
        c.media, parts.cable(c.media) if c.media else "",
        round(c.length_mm / 1000, 3), round(c.stock_mm / 1000, 3),
    ]  # fmt: skip
    if feet:
        row += [round(c.length_mm / 1000 * _FT_PER_M, 2), round(c.stock_mm / 1000 * _FT_PER_M, 2)]
    return [*row, c.status, route]


class _Book:
    """An XlsxWriter workbook with the formats every sheet uses."""

    def __init__(self, buf: io.BytesIO) -> None:
        self.wb = xlsxwriter.Workbook(
            buf,
            {
                "in_memory": True,
                "strings_to_formulas": False,  # an id like '=HYPERLINK(...)' stays text
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self.wb.set_properties({"creator": "topo", "created": _FIXED_DATE})
        self.bold = self.wb.add_format({"bold": True})
        self.fills = {n: self.wb.add_format({"bg_color": f"#{rgb}"}) for n, rgb in _FILLS.items()}

    def table(
        self,
        name: str,
        header: Sequence[str],
        rows: Sequence[Sequence[Any]],
        colour_col: int | None = None,
    ) -> None:
        """A table sheet: bold frozen header, auto-filter, column widths, tier colours."""
        ws = self.wb.add_worksheet(name)
        ws.write_row(0, 0, list(header), self.bold)
        for k, r in enumerate(rows, start=1):
            ws.write_row(k, 0, [_text(v) for v in r])
            if colour_col is not None:
                colour = str(r[colour_col])
                ws.write_string(k, colour_col, colour, self.fills[colour])
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(1, len(rows)), max(0, len(header) - 1))
        for i, head in enumerate(header):
            width = max([len(head), *(len(str(r[i])) for r in rows[:200])]) + 2
            ws.set_column(i, i, min(80, width))


def plan_to_xlsx(plan: Plan, *, feet: bool = False) -> dict[str, bytes]:
    """``schedule.xlsx``: the installer workbook (see the module docstring).

    Args:
        feet: add lengths in feet beside the metres.
    """
    parts = _Parts(plan)
    segs = plan.pathways.segments
    cables = sorted(plan.cables, key=lambda c: c.id)
    routes = {c.id: compact_route([segs[i] for i in c.segments]) for c in cables}
    header = _columns(feet)
    rows = {c.id: _row(c, parts, routes[c.id], feet) for c in cables}
    colour_col = header.index("colour")
    buf = io.BytesIO()
    book = _Book(buf)
    taken: set[str] = set()
    s = plan.summary
    facts: list[tuple[str, Any]] = [
        ("scenario", s.scenario),
        ("cables", s.cables),
        ("unrouted", s.unrouted),
        ("total length (m)", s.total_length_m),
        ("total stock length (m)", s.total_stock_length_m),
        ("cost (USD)", s.cost_usd),
        ("max tray fill", s.max_tray_fill),
        ("sheets", "one per tier, one per rack row, pull lists per tray run, labels"),
        ("label", "RACK-U:PORT/RACK-U:PORT, near (A) end first; U is the device's top unit"),
        ("tray_route", "tray segments from the A end: T-A.002..004 is segments 2-4 of T-A"),
        ("colours", ", ".join(f"{t} {c}" for t, c in TIER_COLOURS.items())),
    ]
    book.table(_sheet_title("Summary", taken), ["item", "value"], facts)

    by_tier: dict[str, list[list[Any]]] = defaultdict(list)
    by_row: dict[str, list[list[Any]]] = defaultdict(list)
    rack_row = {r.id: r.row for r in plan.floor.racks}
    for c in cables:
        by_tier[c.tier].append(rows[c.id])
        for row in sorted({rack_row.get(c.a_rack, ""), rack_row.get(c.b_rack, "")} - {""}):
            by_row[row].append(rows[c.id])
    for tier in sorted(by_tier):
        book.table(_sheet_title(tier, taken), header, by_tier[tier], colour_col)
    order = {r.id: k for k, r in enumerate(plan.floor.rows)}
    for row in sorted(by_row, key=lambda r: (order.get(r, len(order)), r)):
        book.table(_sheet_title(f"Row {row}", taken), header, by_row[row], colour_col)

    runs: dict[str, list[Cable]] = defaultdict(list)
    for c in cables:
        runs[segs[c.segments[0]].tray if c.segments else "(within a rack or no route)"].append(c)
    pull: list[list[Any]] = []
    for tray in sorted(runs):
        group = runs[tray]
        stock = sum(c.stock_mm for c in group) / 1000
        pull.append([tray, len(group), round(stock, 3), " ".join(c.id for c in group)])
    book.table(
        _sheet_title("Pull lists", taken),
        ["first_tray", "cables", "stock_length_m", "cable_ids"],
        pull,
    )

    labels: list[list[Any]] = []
    for c in cables:
        colour = TIER_COLOURS.get(c.tier, "white")
        a, b = c.label.split("/", 1) if "/" in c.label else (c.label, "")
        labels.append([c.id, "A", a, b, colour])
        labels.append([c.id, "B", b, a, colour])
    book.table(
        _sheet_title("Labels", taken),
        ["cable_id", "end", "this_end", "far_end", "colour"],
        labels,
        4,
    )
    book.wb.close()
    return {"schedule.xlsx": buf.getvalue()}
