"""The side panel: title, key figures, highlighted cables, legend, over-limit list, scale
bar and north arrow."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from layouts.pathways import compact_route
from topo.outputs.drawing.selection import rack_contents
from topo.outputs.drawing.style import MARGIN, MAX_DRAWN_ROUTES, PANEL_W, View, clip, esc, num, pct

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
    """Title, key figures, selection, legend, over-limit list, scale bar and north arrow.
    Returns the elements and the panel's height in px."""
    s = plan.summary.to_json()
    floor = plan.floor
    out = [f'<g id="panel" transform="translate({num(x0)},{num(MARGIN)})">']
    y = 0.0
    width = PANEL_W

    def line(text: str, cls: str = "panel-text", dy: float = 16.0, attrs: str = "") -> None:
        nonlocal y
        y += dy
        size = {"panel-title": 20, "panel-head": 13, "panel-small": 10.5}.get(cls, 12)
        out.append(
            f'<text class="{cls}"{attrs} x="0" y="{num(y)}">{esc(clip(text, size, width))}</text>'
        )

    def head(text: str) -> None:
        nonlocal y
        y += 8
        line(text, "panel-head", 16)

    line(str(s["scenario"]), "panel-title", 20)
    roles = Counter(r.role for r in floor.racks)
    ox = [p[0] for p in floor.outline]
    oy = [p[1] for p in floor.outline]
    line(
        f"floor {floor.name}: {len(floor.racks)} racks, "
        f"{num(max(ox) - min(ox))} x {num(max(oy) - min(oy))} m",
        "panel-text",
        18,
    )
    line(
        ", ".join(f"{roles[k]} {k}" for k in ("compute", "network", "empty") if roles[k]),
        "panel-small",
        14,
    )

    head("Plan")
    devices = s["devices"]
    line("devices: " + ", ".join(f"{n} {role}" for role, n in devices.items()))
    tiers = ", ".join(f"{k} {v}" for k, v in s["cables_by_tier"].items())
    line(f"cables: {s['cables']}" + (f" ({tiers})" if tiers else ""))
    line(f"length: {s['total_length_m']:,.0f} m (bound {s['lower_bound_length_m']:,.0f} m)")
    over_n = s["trays_over_limit"]
    line(
        f"max tray fill: {pct(s['max_tray_fill'])}, over limit: {over_n} segment"
        + ("s" if over_n != 1 else ""),
        attrs=' data-figure="max_tray_fill"',
    )
    line(f"unrouted cables: {s['unrouted']}", attrs=' data-figure="unrouted"')
    line(f"cost: ${s['cost_usd']:,.0f}, optics power {s['optics_power_w']:,.0f} W")

    if picked is not None:
        head("Highlighted")
        ids = sorted(set(cables))
        what = [f"cable {c}" for c in ids[:3]] + (["..."] if len(ids) > 3 else [])
        what += [f"rack {rack}"] if rack else []
        what += [f"tier {tier}"] if tier else []
        line(f"{', '.join(what)}: {len(picked)} cable" + ("s" if len(picked) != 1 else ""))
        inside = sum(1 for c in picked if c.a_rack == c.b_rack)
        if inside:
            line(f"{inside} of them within one rack (marked at the rack)", "panel-small", 14)
        if len(picked) > MAX_DRAWN_ROUTES:
            line("trays they use shaded, darker where more pass", "panel-small", 14)
        else:
            # cables between racks first: their routes are what the drawing shows
            shown = sorted(picked, key=lambda c: (c.a_rack == c.b_rack, c.id))
            for c in shown[:6]:
                line(f"{c.id} {c.label}", "panel-small", 14)
                route = compact_route([plan.pathways.segments[i] for i in c.segments]) or (
                    "within the rack" if c.a_rack == c.b_rack else f"no tray route ({c.status})"
                )
                line(f"   {route}", "panel-small", 13)
            if len(picked) > 6:
                line(f"... and {len(picked) - 6} more: see cables.csv", "panel-small", 14)

    head("Legend")
    contents = rack_contents(plan)
    spare = any(
        r.role == "network" and not any(k != "server" for k in contents.get(r.id, ()))
        for r in floor.racks
    )
    swatches = [
        ("rack rack-compute", "compute rack"),
        ("rack rack-network", "network rack holding switches"),
    ]
    swatches += [("rack rack-spare", "network rack, no switch placed")] if spare else []
    swatches += [("rack rack-empty", "empty position")] if roles["empty"] else []
    kinds = sorted({k.kind for k in floor.keepouts})
    swatches += [(f"ko ko-{k}", {"cooling": "cooling unit"}.get(k, k)) for k in kinds]
    for cls, text in swatches:
        y += 18
        out.append(f'<rect class="{cls}" x="0" y="{num(y - 11)}" width="22" height="13"/>')
        out.append(f'<text class="panel-text" x="30" y="{num(y)}">{esc(text)}</text>')

    limits = {f.segment.fill_limit for f in plan.fills}
    y += 8
    line(
        "tray fill (cable / tray cross-section):"
        if len(limits) == 1
        else "tray fill, share of each tray's limit:",
        "panel-text",
        16,
    )
    lim = next(iter(limits)) if len(limits) == 1 else 1.0
    steps = [("f0", "no cables")]
    for k in range(1, 5):
        lo, hi = lim * (k - 1) / 4, lim * k / 4
        steps.append((f"f{k}", f"{pct(lo)} - {pct(hi)}" + (" (limit)" if k == 4 else "")))
    steps.append(("over", "over the limit (listed below)"))
    for cls, text in steps:
        y += 18
        out.append(f'<rect class="seg {cls}" x="0" y="{num(y - 11)}" width="34" height="12"/>')
        out.append(f'<text class="panel-text" x="42" y="{num(y)}">{esc(text)}</text>')
    if plan.summary["unrouted"]:
        y += 18
        out.append(f'<line class="unrouted" x1="0" y1="{num(y - 5)}" x2="34" y2="{num(y - 5)}"/>')
        out.append(f'<text class="panel-text" x="42" y="{num(y)}">unrouted cables</text>')
    if picked is not None:
        y += 18
        out.append(f'<line class="route-line" x1="0" y1="{num(y - 5)}" x2="34" y2="{num(y - 5)}"/>')
        out.append(f'<text class="panel-text" x="42" y="{num(y)}">highlighted route</text>')
        y += 18
        out.append(f'<circle class="end-a" cx="8" cy="{num(y - 5)}" r="5"/>')
        out.append(f'<rect class="end-b" x="22" y="{num(y - 9)}" width="8" height="8"/>')
        out.append(f'<text class="panel-text" x="42" y="{num(y)}">A end, B end</text>')

    if plan.overflows:
        head(f"Over the fill limit ({len(plan.overflows)})")
        worst = sorted(plan.overflows, key=lambda f: (-f.fill, f.segment.id))
        for f in worst[:12]:
            line(
                f"{f.segment.id}: {pct(f.fill)} (limit {pct(f.segment.fill_limit)}), "
                f"{f.cables} cables",
                "panel-text over-text",
                15,
                attrs=f' data-segment="{esc(f.segment.id)}"',
            )
        if len(worst) > 12:
            line(f"... and {len(worst) - 12} more: see trays.csv", "panel-small", 14)

    # scale bar and north arrow
    y += 30
    bar_m = _nice_length(150 / view.s)
    bar = bar_m * view.s
    out.append(f'<g id="scale-bar" data-metres="{num(bar_m)}">')
    for i in range(4):
        fill = "#222" if i % 2 == 0 else "#fff"
        out.append(
            f'<rect x="{num(i * bar / 4)}" y="{num(y)}" width="{num(bar / 4)}" height="6" '
            f'fill="{fill}" stroke="#222" stroke-width="0.8"/>'
        )
    out.append(f'<text class="panel-small" x="0" y="{num(y + 20)}">0</text>')
    out.append(
        f'<text class="panel-small" x="{num(bar)}" y="{num(y + 20)}" text-anchor="middle">'
        f"{num(bar_m)} m</text>"
    )
    out.append("</g>")
    ax = min(width - 30, bar + 60)
    out.append(
        f'<g id="north-arrow"><path d="M {num(ax)} {num(y - 18)} l 8 26 l -8 -7 l -8 7 z" '
        f'fill="#222"/><text class="panel-head" x="{num(ax)}" y="{num(y + 24)}" '
        f'text-anchor="middle">N</text></g>'
    )
    y += 30
    out.append("</g>")
    return out, y


def _nice_length(target_m: float) -> float:
    for step in (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
        if step >= target_m:
            return float(step)
    return 1000.0
