"""The floor plan drawing: :func:`plan_to_svg` and its layers, bottom to top: room,
keep-outs, racks, trays, over-limit frames, unrouted cables, highlighted routes, labels,
side panel."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from topo.outputs.drawing.labels import Labels, keepout_labels, rack_labels, tray_labels
from topo.outputs.drawing.panel import panel
from topo.outputs.drawing.power import row_power
from topo.outputs.drawing.selection import rack_contents, route_points, select_cables
from topo.outputs.drawing.style import (
    DEFS,
    MARGIN,
    MAX_DRAWN_ROUTES,
    PANEL_W,
    STYLE,
    TARGET_PX,
    View,
    pct,
    quad,
    segment_quads,
)
from topo.outputs.svg import PX

if TYPE_CHECKING:
    from layouts.model import Rack
    from topo.cables import Cable
    from topo.plan import Plan, SegmentFill

__all__ = ["plan_to_svg"]


def plan_to_svg(
    plan: Plan,
    *,
    cables: Sequence[str] = (),
    rack: str | None = None,
    tier: str | None = None,
    px_per_m: float | None = None,
) -> str:
    """The floor plan of a plan as a standalone SVG document.

    Args:
        plan: the plan to draw.
        cables: highlight the routes of these cable ids.
        rack: highlight the cables with an end in this rack (and outline the rack).
        tier: highlight the cables of this tier. Options combine: ``rack`` and ``tier``
            together highlight the rack's cables of that tier.
        px_per_m: drawing scale; default fits the longer side of the floor in 1600 px.

    Returns:
        SVG text (UTF-8, no XML declaration needed).

    Raises:
        DrawingError: an option names a cable, rack or tier the plan does not have.

    Example:
        >>> svg = plan_to_svg(plan, rack="A01", tier="leaf-spine")  # doctest: +SKIP
        >>> open("floor.svg", "w").write(svg)                      # doctest: +SKIP
    """
    selecting = bool(cables) or rack is not None or tier is not None
    picked = select_cables(plan, cables=cables, rack=rack, tier=tier)
    floor = plan.floor
    pts = [*floor.outline, *(p for t in floor.trays for p in t.path)]
    pts += [c for r in floor.racks for c in r.corners]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    minx, maxx, miny, maxy = min(xs), max(xs), min(ys), max(ys)
    w_m, h_m = max(maxx - minx, 1e-3), max(maxy - miny, 1e-3)
    s = px_per_m if px_per_m is not None else min(120.0, max(4.0, TARGET_PX / max(w_m, h_m)))
    view = View(minx, maxy, s, MARGIN, MARGIN)
    plan_w, plan_h = w_m * s, h_m * s

    body: list[str] = []
    body += _room(plan, view)
    rack_boxes = {r.id: view.box(r.corners) for r in floor.racks}
    body += _racks(plan, view, rack_boxes, rack)
    body += row_power(plan, view)
    quads = segment_quads(view, plan)
    body += _trays(plan, view, quads, dimmed=selecting)
    body += _unrouted(plan, view)
    if selecting:
        body += _routes(plan, view, picked)
    labels = Labels([*rack_boxes.values(), *(view.box(k.outline) for k in floor.keepouts)])
    body += rack_labels(plan, rack_boxes, quads, labels, view)
    body += keepout_labels(plan, view, labels)
    body += tray_labels(plan, view, labels)

    panel_x = MARGIN + plan_w + MARGIN
    side, side_h = panel(plan, view, panel_x, picked if selecting else None, cables, rack, tier)
    width = panel_x + PANEL_W + MARGIN
    height = max(plan_h, side_h) + 2 * MARGIN
    head = [
        PX.el("title", text=f"topo floor plan: {plan.scenario.name}"),
        PX.el("style", STYLE),
        DEFS,
        PX.el("rect", id="background", width=width, height=height, fill="#fff"),
    ]
    return PX.document(width, height, [*head, *body, *side])


def _room(plan: Plan, view: View) -> list[str]:
    floor = plan.floor
    room = PX.el("polygon", class_="room", data_floor=floor.name, points=view.points(floor.outline))
    keepouts = [
        PX.el("polygon", title=f"{k.id} ({k.kind})", class_=f"ko ko-{k.kind}", data_keepout=k.id,
              data_kind=k.kind, points=view.points(k.outline))
        for k in floor.keepouts
    ]  # fmt: skip
    return [PX.el("g", room, id="room"), *PX.group(keepouts, id="keepouts")]


_NOTHING: Counter[str] = Counter()


def _racks(
    plan: Plan, view: View, boxes: dict[str, tuple[float, float, float, float]], picked: str | None
) -> list[str]:
    contents = rack_contents(plan)
    short = min((min(r.size_x, r.size_y) for r in plan.floor.racks), default=1.0) * view.s
    stroke = 0.4 if short < 10 else 0.7 if short < 25 else 1.0
    out = []
    for r in plan.floor.racks:
        held = contents.get(r.id, _NOTHING)
        switches = sum(n for role, n in held.items() if role != "server")
        kind: str = "spare" if r.role == "network" and not switches else r.role
        cls = f"rack rack-{kind}" + (" rack-picked" if r.id == picked else "")
        what = ", ".join(f"{n} {role}" for role, n in sorted(held.items())) or "nothing placed"
        x0, y0, x1, y1 = boxes[r.id]
        out.append(PX.el("rect", title=f"{r.id} ({r.role}): {what}", class_=cls, data_rack=r.id,
                         data_role=r.role, data_switches=switches, x=x0, y=y0, width=x1 - x0,
                         height=y1 - y0))  # fmt: skip
    return PX.group(out, id="racks", stroke_width=stroke)


def _fill_class(f: SegmentFill) -> str:
    if f.over:
        return "over"
    if f.cables == 0:
        return "f0"
    ratio = f.fill / f.segment.fill_limit
    return f"f{min(4, max(1, math.ceil(ratio * 4 - 1e-9)))}"


def _trays(plan: Plan, view: View, quads: np.ndarray, *, dimmed: bool) -> list[str]:
    widths = {t.id: t.width for t in plan.floor.trays}
    drawn = PX.points_array(quads)
    limits = {f.segment.fill_limit: f"limit {pct(f.segment.fill_limit)}" for f in plan.fills}
    out = []
    rank = {"f0": 0, "f1": 1, "f2": 2, "f3": 3, "f4": 4, "over": 5}
    # fuller segments on top, so an overfull piece is never hidden under a crossing tray
    classes = [_fill_class(f) for f in plan.fills]
    order = sorted(range(len(plan.fills)), key=lambda i: (rank[classes[i]], i))
    for i in order:
        f, cls = plan.fills[i], classes[i]
        seg = f.segment
        tip = f"{seg.id}: {f.cables} cables, {pct(f.fill)} full ({limits[seg.fill_limit]})"
        out.append(PX.el("polygon", title=tip + (", OVER LIMIT" if f.over else ""),
                         class_=f"seg {cls}", data_segment=seg.id, data_tray=seg.tray,
                         data_cables=f.cables, data_fill=f"{f.fill:.4f}",
                         points=drawn[seg.index]))  # fmt: skip
    out = PX.group(out, id="trays", class_="dimmed" if dimmed else None)
    if plan.overflows:
        # a red frame a few px around every overfull segment, so a short one stands out
        pad = 5.0 / view.s
        marks = []
        for f in plan.overflows:
            seg = f.segment
            (x0, y0), (x1, y1) = seg.start, seg.end
            d = math.hypot(x1 - x0, y1 - y0) or 1.0
            ux, uy = (x1 - x0) / d * pad, (y1 - y0) / d * pad
            frame = quad(view, (x0 - ux, y0 - uy), (x1 + ux, y1 + uy), widths[seg.tray] + 2 * pad)
            marks.append(
                PX.el("polygon", class_="over-mark", data_segment=seg.id, points=PX.points(frame))
            )
        out += PX.group(marks, id="over-marks")
    return out


def _unrouted(plan: Plan, view: View) -> list[str]:
    """Cables with no tray route, as dashed straight lines between their racks."""
    pairs: Counter[tuple[str, str]] = Counter(
        (c.a_rack, c.b_rack) for c in plan.cables if c.status == "unrouted"
    )
    if not pairs:
        return []
    racks = plan.floor.rack_index
    out = []
    for (a, b), n in sorted(pairs.items()):
        ra, rb = racks[a], racks[b]
        out.append(PX.el("line", title=f"{n} unrouted cable{'s' if n != 1 else ''} {a} to {b}",
                         class_="unrouted", data_racks=f"{a} {b}", data_cables=n, x1=view.x(ra.x),
                         y1=view.y(ra.y), x2=view.x(rb.x), y2=view.y(rb.y)))  # fmt: skip
    return PX.group(out, id="unrouted")


def _routes(plan: Plan, view: View, picked: Sequence[Cable]) -> list[str]:
    racks = plan.floor.rack_index
    segs = plan.pathways.segments
    short = min((min(r.size_x, r.size_y) for r in plan.floor.racks), default=1.0) * view.s
    mark = min(12.0, max(5.0, short * 0.6))
    out = []
    if len(picked) <= MAX_DRAWN_ROUTES:
        for c in picked:
            ids = " ".join(segs[i].id for i in c.segments)
            line_cls = "route-line" if c.status != "unrouted" else "unrouted"
            route = [
                PX.el("polyline", class_=line_cls, points=view.points(route_points(plan, c))),
                *_end_marks(view, [racks[c.a_rack]], "a", mark),
                *_end_marks(view, [racks[c.b_rack]], "b", mark),
            ]
            tip = f"{c.id} {c.label} ({c.tier}, {c.status})"
            out += PX.group(route, title=tip, class_=f"route route-{c.status}", data_cable=c.id,
                            data_tier=c.tier, data_a_rack=c.a_rack, data_b_rack=c.b_rack,
                            data_segments=ids)  # fmt: skip
    else:
        use: Counter[int] = Counter(i for c in picked for i in c.segments)
        widths = {t.id: t.width for t in plan.floor.trays}
        top = max(use.values(), default=1)
        for i in sorted(use):
            s = segs[i]
            share = math.log1p(use[i]) / math.log1p(top)
            frame = quad(view, s.start, s.end, widths[s.tray])
            out.append(PX.el("polygon", class_="sel-seg", data_segment=s.id, data_cables=use[i],
                             stroke_width=1 + 2 * share, fill_opacity=0.15 + 0.6 * share,
                             points=PX.points(frame)))  # fmt: skip
        a_ends = sorted({c.a_rack for c in picked})
        b_ends = sorted({c.b_rack for c in picked})
        out += _end_marks(view, [racks[r] for r in a_ends], "a", mark)
        out += _end_marks(view, [racks[r] for r in b_ends], "b", mark)
    return PX.group(out, id="routes", data_cables=len(picked))


def _end_marks(view: View, racks: Iterable[Rack], end: str, size: float) -> list[str]:
    out = []
    for r in racks:
        x, y = view.x(r.x), view.y(r.y)
        if end == "a":
            out.append(PX.el("circle", class_="end end-a", data_end="a", data_rack=r.id, cx=x, cy=y,
                             r=size / 2))  # fmt: skip
        else:
            h = size * 0.42
            out.append(PX.el("rect", class_="end end-b", data_end="b", data_rack=r.id, x=x - h,
                             y=y - h, width=2 * h, height=2 * h))  # fmt: skip
    return out
