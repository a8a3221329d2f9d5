"""The side panel: title, key figures, highlighted cables, legend, over-limit list, scale
bar and north arrow."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from layouts.pathways import compact_route
from topo.outputs.drawing.selection import rack_contents
from topo.outputs.drawing.style import MARGIN, MAX_DRAWN_ROUTES, PANEL_W, View, clip, pct
from topo.outputs.svg import PX

if TYPE_CHECKING:
    from topo.cables import Cable
    from topo.plan import Plan

__all__ = ["panel"]


def panel(
    plan: Plan,
    view: View,
    x0: float,
    picked: Sequence[Cable] | None,
    cables: Sequence[str],
    rack: str | None,
    tier: str | None,
) -> tuple[list[str], float]:
    """Title, key figures, selection, legend, over-limit list, scale bar and north arrow,
    top to bottom from ``(x0, MARGIN)``. Returns the elements and the panel's height in px."""
    col = _Column()
    _title(col, plan)
    _figures(col, plan)
    if picked is not None:
        _highlighted(col, plan, picked, cables=cables, rack=rack, tier=tier)
    _legend(col, plan, highlighted=picked is not None)
    if plan.overflows:
        _overflows(col, plan)
    _scale_bar_and_north(col, view)
    return PX.group(col.out, id="panel", transform=f"translate({PX.num(x0)},{MARGIN})"), col.y


@dataclass(slots=True)
class _Column:
    """The panel's elements so far and the baseline ``y`` (px) of its last line; each
    step below adds its lines under the last."""

    out: list[str] = field(default_factory=list)
    y: float = 0.0

    def line(self, text: str, cls: str = "panel-text", dy: float = 16.0, **attrs: str) -> None:
        """A line of text ``dy`` below the last, clipped to the panel's width."""
        self.y += dy
        size = {"panel-title": 20, "panel-head": 13, "panel-small": 10.5}.get(cls, 12)
        text = clip(text, size, PANEL_W)
        self.out.append(PX.el("text", text=text, class_=cls, **attrs, x=0, y=self.y))

    def head(self, text: str) -> None:
        self.y += 8
        self.line(text, "panel-head", 16)

    def key(self, text: str, x: float, *shapes: str) -> None:
        """A legend entry on the current baseline: its shapes, then its text from ``x``."""
        self.out += [*shapes, PX.el("text", text=text, class_="panel-text", x=x, y=self.y)]


def _title(col: _Column, plan: Plan) -> None:
    floor = plan.floor
    col.line(str(plan.summary.to_json()["scenario"]), "panel-title", 20)
    ox, oy = [p[0] for p in floor.outline], [p[1] for p in floor.outline]
    size = f"{PX.num(max(ox) - min(ox))} x {PX.num(max(oy) - min(oy))} m"
    col.line(f"floor {floor.name}: {len(floor.racks)} racks, {size}", "panel-text", 18)
    roles = Counter(r.role for r in floor.racks)
    text = ", ".join(f"{roles[k]} {k}" for k in ("compute", "network", "empty") if roles[k])
    col.line(text, "panel-small", 14)


def _figures(col: _Column, plan: Plan) -> None:
    s = plan.summary.to_json()
    col.head("Plan")
    col.line("devices: " + ", ".join(f"{n} {role}" for role, n in s["devices"].items()))
    tiers = ", ".join(f"{k} {v}" for k, v in s["cables_by_tier"].items())
    col.line(f"cables: {s['cables']}" + (f" ({tiers})" if tiers else ""))
    col.line(f"length: {s['total_length_m']:,.0f} m (bound {s['lower_bound_length_m']:,.0f} m)")
    over_n = s["trays_over_limit"]
    col.line(
        f"max tray fill: {pct(s['max_tray_fill'])}, over limit: {over_n} segment"
        + ("s" if over_n != 1 else ""),
        data_figure="max_tray_fill",
    )
    col.line(f"unrouted cables: {s['unrouted']}", data_figure="unrouted")
    col.line(f"cost: ${s['cost_usd']:,.0f}, optics power {s['optics_power_w']:,.0f} W")


def _highlighted(col: _Column, plan: Plan, picked: Sequence[Cable], *, cables: Sequence[str],
                 rack: str | None, tier: str | None) -> None:  # fmt: skip
    """What was asked for (``cable C000001, rack A01: 3 cables``) and the first routes."""
    col.head("Highlighted")
    ids = sorted(set(cables))
    what = [f"cable {c}" for c in ids[:3]] + (["..."] if len(ids) > 3 else [])
    what += [f"rack {rack}"] if rack else []
    what += [f"tier {tier}"] if tier else []
    col.line(f"{', '.join(what)}: {len(picked)} cable" + ("s" if len(picked) != 1 else ""))
    inside = sum(1 for c in picked if c.a_rack == c.b_rack)
    if inside:
        col.line(f"{inside} of them within one rack (marked at the rack)", "panel-small", 14)
    if len(picked) > MAX_DRAWN_ROUTES:
        col.line("trays they use shaded, darker where more pass", "panel-small", 14)
        return
    # cables between racks first: their routes are what the drawing shows
    shown = sorted(picked, key=lambda c: (c.a_rack == c.b_rack, c.id))
    for c in shown[:6]:
        col.line(f"{c.id} {c.label}", "panel-small", 14)
        route = compact_route([plan.pathways.segments[i] for i in c.segments]) or (
            "within the rack" if c.a_rack == c.b_rack else f"no tray route ({c.status})"
        )
        col.line(f"   {route}", "panel-small", 13)
    if len(picked) > 6:
        col.line(f"... and {len(picked) - 6} more: see cables.csv", "panel-small", 14)


def _legend(col: _Column, plan: Plan, *, highlighted: bool) -> None:
    """Rack and keep-out swatches, the tray fill scale, and the line styles drawn."""
    floor = plan.floor
    col.head("Legend")
    contents = rack_contents(plan)
    spare = any(
        r.role == "network" and not any(k != "server" for k in contents.get(r.id, ()))
        for r in floor.racks
    )
    roles = Counter(r.role for r in floor.racks)
    swatches = [
        ("rack rack-compute", "compute rack"),
        ("rack rack-network", "network rack holding switches"),
    ]
    swatches += [("rack rack-spare", "network rack, no switch placed")] if spare else []
    swatches += [("rack rack-empty", "empty position")] if roles["empty"] else []
    kinds = sorted({k.kind for k in floor.keepouts})
    swatches += [(f"ko ko-{k}", {"cooling": "cooling unit"}.get(k, k)) for k in kinds]
    for cls, text in swatches:
        col.y += 18
        col.key(text, 30, PX.el("rect", class_=cls, x=0, y=col.y - 11, width=22, height=13))

    limits = {f.segment.fill_limit for f in plan.fills}
    col.y += 8
    col.line(
        "tray fill (cable / tray cross-section):"
        if len(limits) == 1
        else "tray fill, share of each tray's limit:"
    )
    lim = next(iter(limits)) if len(limits) == 1 else 1.0
    steps = [("f0", "no cables")]
    for k in range(1, 5):
        lo, hi = lim * (k - 1) / 4, lim * k / 4
        steps.append((f"f{k}", f"{pct(lo)} - {pct(hi)}" + (" (limit)" if k == 4 else "")))
    steps.append(("over", "over the limit (listed below)"))
    for cls, text in steps:
        col.y += 18
        col.key(
            text, 42, PX.el("rect", class_=f"seg {cls}", x=0, y=col.y - 11, width=34, height=12)
        )
    lines = [("unrouted", "unrouted cables")] if plan.summary["unrouted"] else []
    lines += [("route-line", "highlighted route")] if highlighted else []
    for cls, text in lines:
        col.y += 18
        col.key(text, 42, PX.el("line", class_=cls, x1=0, y1=col.y - 5, x2=34, y2=col.y - 5))
    if highlighted:
        col.y += 18
        y = col.y
        col.key("A end, B end", 42, PX.el("circle", class_="end-a", cx=8, cy=y - 5, r=5),
                PX.el("rect", class_="end-b", x=22, y=y - 9, width=8, height=8))  # fmt: skip


def _overflows(col: _Column, plan: Plan) -> None:
    """The fullest over-limit segments, worst first."""
    col.head(f"Over the fill limit ({len(plan.overflows)})")
    worst = sorted(plan.overflows, key=lambda f: (-f.fill, f.segment.id))
    for f in worst[:12]:
        col.line(
            f"{f.segment.id}: {pct(f.fill)} (limit {pct(f.segment.fill_limit)}), {f.cables} cables",
            "panel-text over-text",
            15,
            data_segment=f.segment.id,
        )
    if len(worst) > 12:
        col.line(f"... and {len(worst) - 12} more: see trays.csv", "panel-small", 14)


def _scale_bar_and_north(col: _Column, view: View) -> None:
    col.y += 30
    y = col.y
    bar_m = _nice_length(150 / view.s)
    bar = bar_m * view.s
    bar_parts = [
        PX.el("rect", x=i * bar / 4, y=y, width=bar / 4, height=6,
              fill="#222" if i % 2 == 0 else "#fff", stroke="#222", stroke_width="0.8")
        for i in range(4)
    ]  # fmt: skip
    bar_parts.append(PX.el("text", text="0", class_="panel-small", x=0, y=y + 20))
    bar_parts.append(PX.el("text", text=f"{PX.num(bar_m)} m", class_="panel-small", x=bar,
                           y=y + 20, text_anchor="middle"))  # fmt: skip
    col.out += PX.group(bar_parts, id="scale-bar", data_metres=bar_m)
    ax = min(PANEL_W - 30, bar + 60)
    arrow = PX.el("path", d=f"M {PX.num(ax)} {PX.num(y - 18)} l 8 26 l -8 -7 l -8 7 z", fill="#222")
    north = PX.el("text", text="N", class_="panel-head", x=ax, y=y + 24, text_anchor="middle")
    col.out.append(PX.el("g", arrow, north, id="north-arrow"))
    col.y += 30


def _nice_length(target_m: float) -> float:
    for step in (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
        if step >= target_m:
            return float(step)
    return 1000.0
