"""The row power layer of the floor plan: each row's IT power against its budget.

Drawn only when the floor sets a power budget or a cooling type (a floor without them
draws as before). Along the front edge of every row (its side with the smaller y for an
``x`` row, the smaller x for a ``y`` row) a thin bar spans the row's length: its frame is
the budget, its fill the need (servers, switches, optics, ``summary.power``), green up
to 80 % of the budget, amber to 100 %, red over; a row without a budget has no frame.
A label at the row's first rack gives ``A 64.2 / 80 kW`` and its cooling; with a hall
budget, the room's north-west corner gives the hall's need and budget::

    ┌─────────────────────────────┐
    │[A01][A02][A03][A04][A05]... │  racks
    ███████████████████░░░░░░░░░░░   need / budget
    A 64.2 / 80 kW, air
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from topo.outputs.drawing.style import View
from topo.outputs.svg import PX
from topo.power import power_summary

if TYPE_CHECKING:
    from topo.plan import Plan

__all__ = ["has_power_view", "row_power"]

_BAR_M = 0.12  # bar thickness, metres
_COLOURS = (("#2ca25f", 0.8), ("#fdae30", 1.0))
_OVER = "#e31a1c"


def has_power_view(plan: Plan) -> bool:
    """Whether the floor gives any power budget or cooling type to draw."""
    floor = plan.floor
    return floor.power_budget_kw is not None or any(
        r.power_budget_kw is not None or r.cooling is not None for r in floor.rows
    )


def _colour(ratio: float) -> str:
    for colour, upto in _COLOURS:
        if ratio <= upto + 1e-9:
            return colour
    return _OVER


def row_power(plan: Plan, view: View) -> list[str]:
    """SVG elements of the row power layer (empty when the floor sets no budgets)."""
    if not has_power_view(plan):
        return []
    summary = power_summary(plan.floor, plan.placement.devices, plan.cables)
    font = max(7.0, min(12.0, 0.35 * view.s))
    out: list[str] = []
    for row in plan.floor.rows:
        racks = row.racks()
        if not racks:
            continue
        fig = summary["rows"][row.id]
        need, budget = fig["it_kw"], fig["budget_kw"]
        first, last = racks[0], racks[-1]
        if row.direction == "x":
            x0, x1 = first.x - first.size_x / 2, last.x + last.size_x / 2
            y1 = first.y - first.size_y / 2
            y0 = y1 - _BAR_M
            span = x1 - x0
        else:
            y0, y1 = first.y - first.size_y / 2, last.y + last.size_y / 2
            x1 = first.x - first.size_x / 2
            x0 = x1 - _BAR_M
            span = y1 - y0
        ratio = need / budget if budget else 0.0
        share = min(1.0, ratio) if budget else 1.0
        if row.direction == "x":
            fx0, fx1, fy0, fy1 = x0, x0 + span * share, y0, y1
        else:
            fx0, fx1, fy0, fy1 = x0, x1, y0, y0 + span * share
        colour = _colour(ratio) if budget else "#777"
        text = f"{row.id} {need:,.1f}" + (f" / {budget:,g} kW" if budget else " kW")
        if row.cooling:
            text += f", {row.cooling}"
        title = (
            f"row {row.id}: {need:,.1f} kW IT (servers {fig['servers_kw']:,.1f}, switches "
            f"{fig['switches_kw']:,.1f}, optics {fig['optics_kw']:,.1f})"
            + (f", budget {budget:,g} kW" if budget else "")
            + f", per rack at most {fig['rack_limit_kw']:,g} kW"
        )
        bar = [PX.el("rect", x=view.x(fx0), y=view.y(fy1), width=(fx1 - fx0) * view.s,
                     height=(fy1 - fy0) * view.s, fill=colour, stroke="none")]  # fmt: skip
        if budget:
            bar.append(PX.el("rect", x=view.x(x0), y=view.y(y1), width=(x1 - x0) * view.s,
                             height=(y1 - y0) * view.s, fill="none", stroke="#333",
                             stroke_width="0.6"))  # fmt: skip
        bar.append(PX.el("text", text=text, class_="halo", x=view.x(x0), y=view.y(y0) + font + 1,
                         font_size=font))  # fmt: skip
        out += PX.group(bar, title=title, class_="row-power", data_row=row.id,
                        data_need_kw=f"{need:g}",
                        data_budget_kw="" if budget is None else f"{budget:g}")  # fmt: skip
    budget = plan.floor.power_budget_kw
    if budget is not None:
        need = summary["it_kw"]
        xs = [p[0] for p in plan.floor.outline]
        ys = [p[1] for p in plan.floor.outline]
        text = f"hall {plan.floor.name}: {need:,.1f} / {budget:,g} kW IT"
        out.append(PX.el("text", text=text, class_="halo", data_hall_need_kw=f"{need:g}",
                         data_hall_budget_kw=f"{budget:g}", x=view.x(min(xs)) + 6,
                         y=view.y(max(ys)) + font + 6, font_size=font, font_weight="bold",
                         fill=_OVER if need > budget else None))  # fmt: skip
    return PX.group(out, id="row-power")
