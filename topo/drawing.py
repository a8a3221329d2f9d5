"""Drawings: the floor plan of a plan as SVG, with tray fill and highlighted cable routes.

:func:`plan_to_svg` draws, in plan view and to scale:

1. the room outline and its keep-out zones (columns, cooling units, doors, other), each
   kind in its own style;
2. every rack, shaded by role (compute, network holding switches, spare network, empty)
   and labelled with its id where the label fits, else by the ids at the row ends;
3. every tray segment at its real width, coloured by fill on a sequential scale relative
   to its fill limit; a segment over its limit is red, hatched and outlined in dashes,
   and listed beside the plan;
4. optionally, the routes of chosen cables (by id, by rack, by tier): the drop from
   each end's rack to its tray, the tray segments in order, and both ends marked;
5. a side panel with the scenario name, key figures from the plan summary, a legend, the
   over-limit list, a scale bar and a north arrow.

Coordinates: the floor has ``x`` to the east and ``y`` to the north, in metres; the drawing
has north up, so SVG ``y`` (which grows downwards) is flipped::

    floor (m)                    drawing (px)
      y                            0 ------> X
      ^                            |  plan      | panel
      |   [A01][A02]               |  [A01][A02]|
      +-------> x                  v Y

Every element a user or a test may look for carries ids in data attributes:
``data-rack="A01"`` on racks, ``data-segment="T-A.003"`` on tray segments,
``data-cable="C000123"`` on a highlighted route (whose ``data-segments`` lists the segment
ids it passes, A end first). Output is deterministic: sorted iteration and fixed number
formatting, so the same plan always gives the same bytes.

:func:`svg_to_png` renders a drawing to PNG when the optional ``png`` extra (``resvg-py``)
is installed.
"""

from __future__ import annotations

import html
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from topo.errors import DrawingError, Problem

if TYPE_CHECKING:
    from layouts.model import Rack
    from topo.cables import Cable
    from topo.plan import Plan, SegmentFill

__all__ = [
    "FILL_COLOURS",
    "MAX_DRAWN_ROUTES",
    "plan_to_svg",
    "select_cables",
    "svg_to_png",
]

FILL_COLOURS = ("#cdcdcd", "#c6dbef", "#6baed6", "#2171b5", "#08306b")
"""Tray fill scale: no cables, then up to 25, 50, 75 and 100 % of the segment's limit."""
OVER_COLOUR = "#e31a1c"
ROUTE_COLOUR = "#d4007f"
MAX_DRAWN_ROUTES = 60
"""Above this many highlighted cables, the tray segments they use are outlined instead of
drawing every route; the ends are still marked."""

_FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
_CHAR_EM = 0.68  # width of an upper-case letter or digit, in em, for the widest font above
_MIN_FONT = 6.5  # px: smaller rack labels are left out (the row ends are labelled instead)
_MAX_RACK_FONT = 11.0
_PANEL_W = 380
_MARGIN = 24
_TARGET_PX = 1600  # the longer side of the floor, when no scale is given

_STYLE = f"""
text{{font-family:{_FONT};fill:#1a1a1a}}
.room{{fill:#fbfbf7;stroke:#222;stroke-width:1.6}}
.ko{{stroke-width:0.8}}
.ko-column{{fill:#5f5f5f;stroke:#2b2b2b}}
.ko-cooling{{fill:url(#hatch-cooling);stroke:#2c7fb8}}
.ko-door{{fill:#fff6e5;stroke:#d08000;stroke-dasharray:4 2}}
.ko-other{{fill:#d9d9d9;stroke:#777;stroke-dasharray:1 2}}
.rack{{stroke:#4d4d4d}}
.rack-compute{{fill:#ece5d6}}
.rack-network{{fill:#f2b33d}}
.rack-spare{{fill:url(#hatch-spare)}}
.rack-empty{{fill:#fff;stroke-dasharray:2 1.5}}
.rack-picked{{stroke:{ROUTE_COLOUR};stroke-width:2.5}}
.seg{{stroke:none}}
.f0{{fill:{FILL_COLOURS[0]}}}
.f1{{fill:{FILL_COLOURS[1]}}}
.f2{{fill:{FILL_COLOURS[2]}}}
.f3{{fill:{FILL_COLOURS[3]}}}
.f4{{fill:{FILL_COLOURS[4]}}}
.over{{fill:url(#hatch-over);stroke:#000;stroke-width:1;stroke-dasharray:3 2}}
.over-mark{{fill:none;stroke:{OVER_COLOUR};stroke-width:2}}
.dimmed{{opacity:0.45}}
.halo{{paint-order:stroke;stroke:#fff;stroke-width:2.6px;stroke-linejoin:round}}
.on-dark{{fill:#fff}}
.unrouted{{stroke:{OVER_COLOUR};stroke-width:1.5;stroke-dasharray:6 3;fill:none}}
.route-line{{fill:none;stroke:{ROUTE_COLOUR};stroke-width:2.5;stroke-linejoin:round;\
stroke-linecap:round;opacity:0.85}}
.sel-seg{{fill:none;stroke:{ROUTE_COLOUR};stroke-linejoin:round}}
.end-a{{fill:{ROUTE_COLOUR};stroke:#fff;stroke-width:1}}
.end-b{{fill:#fff;stroke:{ROUTE_COLOUR};stroke-width:2}}
.panel-title{{font-size:20px;font-weight:bold}}
.panel-head{{font-size:13px;font-weight:bold}}
.panel-text{{font-size:12px}}
.panel-small{{font-size:10.5px;fill:#444}}
.over-text{{fill:#b00}}
"""

_DEFS = f"""<defs>
<pattern id="hatch-over" width="6" height="6" patternUnits="userSpaceOnUse" \
patternTransform="rotate(45)"><rect width="6" height="6" fill="{OVER_COLOUR}"/>\
<rect width="2.2" height="6" fill="#7a0000"/></pattern>
<pattern id="hatch-cooling" width="5" height="5" patternUnits="userSpaceOnUse" \
patternTransform="rotate(-45)"><rect width="5" height="5" fill="#e3f1f9"/>\
<rect width="1.2" height="5" fill="#7fb6d8"/></pattern>
<pattern id="hatch-spare" width="5" height="5" patternUnits="userSpaceOnUse" \
patternTransform="rotate(45)"><rect width="5" height="5" fill="#fbe7bd"/>\
<rect width="1.2" height="5" fill="#e7ad3a"/></pattern>
</defs>"""


# -- selection -------------------------------------------------------------------------


def select_cables(
    plan: Plan,
    *,
    cables: Iterable[str] = (),
    rack: str | None = None,
    tier: str | None = None,
) -> tuple[Cable, ...]:
    """The cables a drawing highlights: those matching every option given, by cable id.

    Args:
        cables: cable ids (``C000123``); empty means any cable.
        rack: only cables with an end in this rack.
        tier: only cables of this tier (``server-leaf``, ``leaf-spine``, ...).

    Returns:
        The matching cables sorted by id; empty when no option is given or none matches.

    Raises:
        DrawingError: a cable id, rack or tier the plan does not have (every one is named).

    Example:
        >>> picked = select_cables(plan, rack="A01", tier="server-leaf")  # doctest: +SKIP
    """
    wanted = sorted(set(cables))
    if not wanted and rack is None and tier is None:
        return ()
    index = {c.id: c for c in plan.cables}
    problems = []
    for cid in wanted:
        if cid not in index:
            first, last = (plan.cables[0].id, plan.cables[-1].id) if plan.cables else ("", "")
            known = f"; its cables run {first}..{last}" if plan.cables else "; it has no cables"
            problems.append(
                Problem("cable", f"no cable {cid!r} in plan {plan.scenario.name!r}{known}", cid)
            )
    if rack is not None and rack not in plan.floor.rack_index:
        problems.append(Problem("rack", f"no rack {rack!r} on floor {plan.floor.name!r}", rack))
    tiers = sorted({c.tier for c in plan.cables})
    if tier is not None and tier not in tiers:
        problems.append(
            Problem(
                "tier",
                f"no tier {tier!r} in plan {plan.scenario.name!r}; "
                f"its tiers are {', '.join(tiers) or 'none'}",
                tier,
            )
        )
    if problems:
        raise DrawingError(problems)
    pool = [index[c] for c in wanted] if wanted else list(plan.cables)
    out = [
        c
        for c in pool
        if (rack is None or rack in (c.a_rack, c.b_rack)) and (tier is None or c.tier == tier)
    ]
    return tuple(sorted(out, key=lambda c: c.id))


# -- small helpers ---------------------------------------------------------------------


def _f(v: float) -> str:
    """A coordinate in px: two decimals at most, no trailing zeros, never ``-0``."""
    s = f"{round(v, 2) + 0.0:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}".rstrip("0").rstrip(".") + " %"


def _text_w(text: str, size: float) -> float:
    return len(text) * _CHAR_EM * size


def _clip(text: str, size: float, width: float) -> str:
    n = int(width / (_CHAR_EM * size * 0.88))  # panel text is mostly lower case
    return text if len(text) <= n else text[: max(1, n - 1)] + "…"


@dataclass(frozen=True, slots=True)
class _View:
    """Floor metres to drawing px: ``X = ox + (x - minx) s``, ``Y = oy + (maxy - y) s``."""

    minx: float
    maxy: float
    s: float
    ox: float
    oy: float

    def x(self, v: float) -> float:
        return self.ox + (v - self.minx) * self.s

    def y(self, v: float) -> float:
        return self.oy + (self.maxy - v) * self.s

    def pt(self, p: tuple[float, float]) -> str:
        return f"{_f(self.x(p[0]))},{_f(self.y(p[1]))}"


class _Labels:
    """Free labels placed first come, first served; a label that would overlap a rack,
    a keep-out or an earlier label is left out."""

    def __init__(self, obstacles: shapely.STRtree) -> None:
        self._tree = obstacles
        self._boxes: list[tuple[float, float, float, float]] = []

    def place(self, box: tuple[float, float, float, float]) -> bool:
        x0, y0, x1, y1 = box
        if len(self._tree.query(shapely.box(x0, y0, x1, y1), predicate="intersects")):
            return False
        for a0, b0, a1, b1 in self._boxes:
            if x0 < a1 and a0 < x1 and y0 < b1 and b0 < y1:
                return False
        self._boxes.append(box)
        return True


def _fill_class(f: SegmentFill) -> str:
    if f.over:
        return "over"
    if f.cables == 0:
        return "f0"
    ratio = f.fill / f.segment.fill_limit
    return f"f{min(4, max(1, math.ceil(ratio * 4 - 1e-9)))}"


def _quad(
    view: _View, start: tuple[float, float], end: tuple[float, float], width_m: float
) -> tuple[tuple[float, float], ...]:
    """Corners (px) of a straight tray piece of the given width."""
    (x0, y0), (x1, y1) = start, end
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    nx, ny = -(y1 - y0) / length * width_m / 2, (x1 - x0) / length * width_m / 2
    pts = ((x0 + nx, y0 + ny), (x1 + nx, y1 + ny), (x1 - nx, y1 - ny), (x0 - nx, y0 - ny))
    return tuple((view.x(x), view.y(y)) for x, y in pts)


def _points(pts: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{_f(x)},{_f(y)}" for x, y in pts)


# -- the drawing -----------------------------------------------------------------------


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
    s = px_per_m if px_per_m is not None else min(120.0, max(4.0, _TARGET_PX / max(w_m, h_m)))
    view = _View(minx, maxy, s, _MARGIN, _MARGIN)
    plan_w, plan_h = w_m * s, h_m * s

    body: list[str] = []
    body += _room(plan, view)
    rack_boxes = _rack_boxes(plan, view)
    body += _racks(plan, view, rack)
    body += _trays(plan, view, dimmed=selecting)
    body += _unrouted(plan, view)
    if selecting:
        body += _routes(plan, view, picked)
    obstacles = shapely.STRtree(
        [shapely.box(*b) for b in rack_boxes.values()] + _keepout_boxes(plan, view)
    )
    labels = _Labels(obstacles)
    body += _rack_labels(plan, view, rack_boxes, labels)
    body += _keepout_labels(plan, view, labels)
    body += _tray_labels(plan, view, labels)

    panel_x = _MARGIN + plan_w + _MARGIN
    panel, panel_h = _panel(plan, view, panel_x, picked if selecting else None, cables, rack, tier)
    width = panel_x + _PANEL_W + _MARGIN
    height = max(plan_h, panel_h) + 2 * _MARGIN
    title = f"topo floor plan: {plan.scenario.name}"
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(width)}" height="{_f(height)}" '
        f'viewBox="0 0 {_f(width)} {_f(height)}">',
        f"<title>{_esc(title)}</title>",
        f"<style>{_STYLE}</style>",
        _DEFS,
        f'<rect id="background" width="{_f(width)}" height="{_f(height)}" fill="#fff"/>',
    ]
    return "\n".join([*head, *body, *panel, "</svg>"]) + "\n"


def _room(plan: Plan, view: _View) -> list[str]:
    floor = plan.floor
    out = [
        f'<g id="room"><polygon class="room" data-floor="{_esc(floor.name)}" '
        f'points="{" ".join(view.pt(p) for p in floor.outline)}"/></g>',
        '<g id="keepouts">',
    ]
    for k in floor.keepouts:
        out.append(
            f'<polygon class="ko ko-{k.kind}" data-keepout="{_esc(k.id)}" data-kind="{k.kind}" '
            f'points="{" ".join(view.pt(p) for p in k.outline)}"><title>{_esc(k.id)} '
            f"({k.kind})</title></polygon>"
        )
    out.append("</g>")
    return out


def _keepout_boxes(plan: Plan, view: _View) -> list[shapely.Geometry]:
    out = []
    for k in plan.floor.keepouts:
        xs = [view.x(p[0]) for p in k.outline]
        ys = [view.y(p[1]) for p in k.outline]
        out.append(shapely.box(min(xs), min(ys), max(xs), max(ys)))
    return out


def _rack_boxes(plan: Plan, view: _View) -> dict[str, tuple[float, float, float, float]]:
    out = {}
    for r in plan.floor.racks:
        x0, x1 = view.x(r.x - r.size_x / 2), view.x(r.x + r.size_x / 2)
        y0, y1 = view.y(r.y + r.size_y / 2), view.y(r.y - r.size_y / 2)
        out[r.id] = (x0, y0, x1, y1)
    return out


def _rack_contents(plan: Plan) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for d in plan.placement.devices:
        if d.rack is not None:
            out[d.rack][d.role] += 1
    return out


def _racks(plan: Plan, view: _View, picked_rack: str | None) -> list[str]:
    contents = _rack_contents(plan)
    short = min((min(r.size_x, r.size_y) for r in plan.floor.racks), default=1.0) * view.s
    stroke = 0.4 if short < 10 else 0.7 if short < 25 else 1.0
    out = [f'<g id="racks" stroke-width="{_f(stroke)}">']
    for r in plan.floor.racks:
        held = contents.get(r.id, Counter())
        switches = sum(n for role, n in held.items() if role != "server")
        kind = r.role
        if r.role == "network" and not switches:
            kind = "spare"
        cls = f"rack rack-{kind}" + (" rack-picked" if r.id == picked_rack else "")
        what = ", ".join(f"{n} {role}" for role, n in sorted(held.items())) or "nothing placed"
        x0, x1 = view.x(r.x - r.size_x / 2), view.x(r.x + r.size_x / 2)
        y0, y1 = view.y(r.y + r.size_y / 2), view.y(r.y - r.size_y / 2)
        out.append(
            f'<rect class="{cls}" data-rack="{r.id}" data-role="{r.role}" '
            f'data-switches="{switches}" x="{_f(x0)}" y="{_f(y0)}" width="{_f(x1 - x0)}" '
            f'height="{_f(y1 - y0)}"><title>{r.id} ({r.role}): {what}</title></rect>'
        )
    out.append("</g>")
    return out


def _trays(plan: Plan, view: _View, *, dimmed: bool) -> list[str]:
    widths = {t.id: t.width for t in plan.floor.trays}
    out = ['<g id="trays" class="dimmed">' if dimmed else '<g id="trays">']
    rank = {"f0": 0, "f1": 1, "f2": 2, "f3": 3, "f4": 4, "over": 5}
    # fuller segments on top, so an overfull piece is never hidden under a crossing tray
    classes = [_fill_class(f) for f in plan.fills]
    order = sorted(range(len(plan.fills)), key=lambda i: (rank[classes[i]], i))
    for i in order:
        f, cls = plan.fills[i], classes[i]
        seg = f.segment
        limit = f"limit {_pct(seg.fill_limit)}"
        out.append(
            f'<polygon class="seg {cls}" data-segment="{_esc(seg.id)}" '
            f'data-tray="{_esc(seg.tray)}" data-cables="{f.cables}" data-fill="{f.fill:.4f}" '
            f'points="{_points(_quad(view, seg.start, seg.end, widths[seg.tray]))}">'
            f"<title>{_esc(seg.id)}: {f.cables} cables, {_pct(f.fill)} full ({limit})"
            f"{', OVER LIMIT' if f.over else ''}</title></polygon>"
        )
    out.append("</g>")
    if plan.overflows:
        # a red frame a few px around every overfull segment, so a short one stands out
        widths = {t.id: t.width for t in plan.floor.trays}
        pad = 5.0 / view.s
        out.append('<g id="over-marks">')
        for f in plan.overflows:
            seg = f.segment
            (x0, y0), (x1, y1) = seg.start, seg.end
            d = math.hypot(x1 - x0, y1 - y0) or 1.0
            ux, uy = (x1 - x0) / d * pad, (y1 - y0) / d * pad
            quad = _quad(view, (x0 - ux, y0 - uy), (x1 + ux, y1 + uy), widths[seg.tray] + 2 * pad)
            out.append(
                f'<polygon class="over-mark" data-segment="{_esc(seg.id)}" '
                f'points="{_points(quad)}"/>'
            )
        out.append("</g>")
    return out


def _unrouted(plan: Plan, view: _View) -> list[str]:
    """Cables with no tray route, as dashed straight lines between their racks."""
    pairs: Counter[tuple[str, str]] = Counter(
        (c.a_rack, c.b_rack) for c in plan.cables if c.status == "unrouted"
    )
    if not pairs:
        return []
    racks = plan.floor.rack_index
    out = ['<g id="unrouted">']
    for (a, b), n in sorted(pairs.items()):
        ra, rb = racks[a], racks[b]
        out.append(
            f'<line class="unrouted" data-racks="{a} {b}" data-cables="{n}" '
            f'x1="{_f(view.x(ra.x))}" y1="{_f(view.y(ra.y))}" x2="{_f(view.x(rb.x))}" '
            f'y2="{_f(view.y(rb.y))}"><title>{n} unrouted cable{"s" if n != 1 else ""} '
            f"{a} to {b}</title></line>"
        )
    out.append("</g>")
    return out


def _route_points(plan: Plan, cable: Cable) -> list[tuple[float, float]]:
    """Rack centre, drop point, every segment end in order, drop point, rack centre."""
    racks, drops, segs = plan.floor.rack_index, plan.pathways.drops, plan.pathways.segments
    a, b = racks[cable.a_rack], racks[cable.b_rack]
    pts: list[tuple[float, float]] = [(a.x, a.y)]
    if cable.segments and cable.a_rack in drops:
        pts.append(drops[cable.a_rack].point)
    for i in cable.segments:
        s = segs[i]
        here = pts[-1]
        near, far = (
            (s.start, s.end)
            if math.dist(here, s.start) <= math.dist(here, s.end)
            else (s.end, s.start)
        )
        pts += [near, far]
    if cable.segments and cable.b_rack in drops:
        pts.append(drops[cable.b_rack].point)
    pts.append((b.x, b.y))
    out = [pts[0]]
    for p in pts[1:]:
        if math.dist(p, out[-1]) > 1e-9:
            out.append(p)
    return out


def _end_marks(view: _View, racks: Iterable[Rack], end: str, size: float) -> list[str]:
    out = []
    for r in racks:
        x, y = view.x(r.x), view.y(r.y)
        if end == "a":
            out.append(
                f'<circle class="end end-a" data-end="a" data-rack="{r.id}" cx="{_f(x)}" '
                f'cy="{_f(y)}" r="{_f(size / 2)}"/>'
            )
        else:
            h = size * 0.42
            out.append(
                f'<rect class="end end-b" data-end="b" data-rack="{r.id}" x="{_f(x - h)}" '
                f'y="{_f(y - h)}" width="{_f(2 * h)}" height="{_f(2 * h)}"/>'
            )
    return out


def _routes(plan: Plan, view: _View, picked: Sequence[Cable]) -> list[str]:
    racks = plan.floor.rack_index
    segs = plan.pathways.segments
    short = min((min(r.size_x, r.size_y) for r in plan.floor.racks), default=1.0) * view.s
    mark = min(12.0, max(5.0, short * 0.6))
    out = [f'<g id="routes" data-cables="{len(picked)}">']
    if len(picked) <= MAX_DRAWN_ROUTES:
        for c in picked:
            ids = " ".join(segs[i].id for i in c.segments)
            line_cls = "route-line" if c.status != "unrouted" else "unrouted"
            out.append(
                f'<g class="route route-{c.status}" data-cable="{c.id}" '
                f'data-tier="{_esc(c.tier)}" data-a-rack="{c.a_rack}" '
                f'data-b-rack="{c.b_rack}" data-segments="{_esc(ids)}">'
                f"<title>{c.id} {_esc(c.label)} ({_esc(c.tier)}, {c.status})</title>"
            )
            points = " ".join(view.pt(p) for p in _route_points(plan, c))
            out.append(f'<polyline class="{line_cls}" points="{points}"/>')
            out += _end_marks(view, [racks[c.a_rack]], "a", mark)
            out += _end_marks(view, [racks[c.b_rack]], "b", mark)
            out.append("</g>")
    else:
        use: Counter[int] = Counter(i for c in picked for i in c.segments)
        widths = {t.id: t.width for t in plan.floor.trays}
        top = max(use.values(), default=1)
        for i in sorted(use):
            s = segs[i]
            sw = 1.0 + 3.0 * math.log1p(use[i]) / math.log1p(top)
            out.append(
                f'<polygon class="sel-seg" data-segment="{_esc(s.id)}" '
                f'data-cables="{use[i]}" stroke-width="{_f(sw)}" '
                f'points="{_points(_quad(view, s.start, s.end, widths[s.tray]))}"/>'
            )
        a_ends = sorted({c.a_rack for c in picked})
        b_ends = sorted({c.b_rack for c in picked})
        out += _end_marks(view, [racks[r] for r in a_ends], "a", mark)
        out += _end_marks(view, [racks[r] for r in b_ends], "b", mark)
    out.append("</g>")
    return out


# -- labels ----------------------------------------------------------------------------


def _free_boxes(
    box: tuple[float, float, float, float], covers: list[tuple[float, float, float, float]]
) -> list[tuple[float, float, float, float]]:
    """Every rectangle of a rack box (px) that no tray covers, on the grid the tray edges
    cut it into; empty when trays cover the whole rack.

    A rack crossed by its row tray gives three cells (two free); a rack under a crossing
    cross tray a few more. Each cell is free when no tray box covers its centre.
    """
    x0, y0, x1, y1 = box
    if not covers:
        return [box]
    xs = sorted({x0, x1, *(min(x1, max(x0, v)) for c in covers for v in (c[0], c[2]))})
    ys = sorted({y0, y1, *(min(y1, max(y0, v)) for c in covers for v in (c[1], c[3]))})
    free = [
        [
            not any(c[0] <= (xa + xb) / 2 <= c[2] and c[1] <= (ya + yb) / 2 <= c[3] for c in covers)
            for xa, xb in itertools.pairwise(xs)
        ]
        for ya, yb in itertools.pairwise(ys)
    ]
    nx, ny = len(xs) - 1, len(ys) - 1
    out = []
    for j0 in range(ny):
        for i0 in range(nx):
            if not free[j0][i0]:
                continue
            i_end = nx  # widest free run so far, narrowing as rows are added
            for j1 in range(j0, ny):
                i1 = i0
                while i1 < i_end and free[j1][i1]:
                    i1 += 1
                i_end = i1
                if i_end == i0:
                    break
                out.append((xs[i0], ys[j0], xs[i_end], ys[j1 + 1]))
    return out


def _fit(box: tuple[float, float, float, float], n: int) -> tuple[float, bool]:
    """Largest font (px) for an ``n``-character label in a box, and whether it is turned
    a quarter (reading upwards)."""
    w, h = box[2] - box[0], box[3] - box[1]
    flat = min(_MAX_RACK_FONT, 0.88 * w / (n * _CHAR_EM), 0.72 * h)
    turned = min(_MAX_RACK_FONT, 0.88 * h / (n * _CHAR_EM), 0.72 * w)
    return (flat, False) if flat >= max(_MIN_FONT, 0.75 * turned) else (turned, True)


def _text(x: float, y: float, size: float, text: str, *, cls: str = "", turned: bool = False,
          anchor: str = "middle", attrs: str = "") -> str:  # fmt: skip
    base = y + 0.36 * size  # cap height centred on y
    rot = f' transform="rotate(-90 {_f(x)} {_f(y)})"' if turned else ""
    c = f' class="{cls}"' if cls else ""
    return (
        f'<text{c}{attrs} x="{_f(x)}" y="{_f(base)}" font-size="{_f(size)}" '
        f'text-anchor="{anchor}"{rot}>{_esc(text)}</text>'
    )


def _rack_labels(
    plan: Plan,
    view: _View,
    boxes: dict[str, tuple[float, float, float, float]],
    labels: _Labels,
) -> list[str]:
    """Rack ids inside their racks, beside the trays that cross them; a row whose racks
    are too small for their ids gets its first and last rack ids at its ends instead."""
    widths = {t.id: t.width for t in plan.floor.trays}
    ids = list(boxes)
    covers: dict[str, list[tuple[float, float, float, float]]] = defaultdict(list)
    if plan.pathways.segments:
        quads = np.asarray(
            [_quad(view, s.start, s.end, widths[s.tray]) for s in plan.pathways.segments]
        )
        lo, hi = quads.min(axis=1), quads.max(axis=1)
        seg_bounds = np.column_stack([lo, hi]).tolist()
        tree = shapely.STRtree(shapely.box(lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1]))
        rack_geoms = [shapely.box(*boxes[r]) for r in ids]
        hits = tree.query(rack_geoms, predicate="intersects")
        for ri, si in zip(hits[0].tolist(), hits[1].tolist(), strict=True):
            covers[ids[ri]].append(tuple(seg_bounds[si]))

    racks = plan.floor.rack_index
    chosen: dict[str, _RackLabel] = {}
    for rid in ids:
        label = _place_rack_label(boxes[rid], covers[rid], rid, f"{racks[rid].position:02d}")
        if label is not None:
            chosen[rid] = label

    # one size per row (the common one), so a tray crossing one rack does not make its
    # neighbours' labels jump in size
    by_row: dict[str, list[float]] = defaultdict(list)
    for rid, lab in chosen.items():
        by_row[racks[rid].row].append(lab.size)
    row_size = {row: sorted(v)[len(v) // 2] for row, v in by_row.items()}

    out = ['<g id="rack-labels">']
    for rid in ids:
        if rid not in chosen:
            continue
        lab = chosen[rid]
        size = math.floor(2 * min(lab.size, row_size[racks[rid].row])) / 2
        cls = "rack-label halo" if lab.halo else "rack-label"
        out.append(
            _text(lab.x, lab.y, size, lab.text, cls=cls, turned=lab.turned,
                  attrs=f' data-rack="{rid}"')
        )  # fmt: skip
    for row in plan.floor.rows:
        members = [r for r in row.racks() if r.id in boxes]
        full = sum(r.id in chosen and chosen[r.id].text == r.id for r in members)
        if members and full * 2 <= len(members):
            out += _row_end_labels(view, row.direction, members, labels)
    out.append("</g>")
    return out


@dataclass(frozen=True, slots=True)
class _RackLabel:
    x: float
    y: float
    size: float
    text: str
    turned: bool
    halo: bool


def _place_rack_label(
    box: tuple[float, float, float, float],
    covers: list[tuple[float, float, float, float]],
    rid: str,
    short: str,
) -> _RackLabel | None:
    """Where a rack's label goes: its id in the largest part of the rack no tray covers;
    failing that its position number there (the row ends then name the row); failing
    that, when trays cover the whole rack, its id over them on a white halo."""
    bands = _free_boxes(box, covers)
    for text in (rid, short):
        best: _RackLabel | None = None
        for band in bands:
            size, turned = _fit(band, len(text))
            if best is None or size > best.size:
                cx, cy = (band[0] + band[2]) / 2, (band[1] + band[3]) / 2
                best = _RackLabel(cx, cy, size, text, turned, False)
        if best is not None and best.size >= _MIN_FONT:
            return best
    if bands:
        return None
    size, turned = _fit(box, len(rid))
    if size < _MIN_FONT:
        return None
    return _RackLabel((box[0] + box[2]) / 2, (box[1] + box[3]) / 2, size, rid, turned, True)


def _row_end_labels(
    view: _View, direction: str, members: Sequence[Rack], labels: _Labels
) -> list[str]:
    out = []
    first, last = members[0], members[-1]
    depth = (first.size_y if direction == "x" else first.size_x) * view.s
    size = max(_MIN_FONT, min(12.0, 0.8 * depth))
    for r, sign in ((first, -1), (last, 1)):
        w = _text_w(r.id, size)
        gap = 3.0
        if direction == "x":
            edge = view.x(r.x + sign * r.size_x / 2)
            cx = edge + sign * (gap + w / 2)
            cy = view.y(r.y)
            box = (cx - w / 2, cy - size / 2, cx + w / 2, cy + size / 2)
        else:
            edge = view.y(r.y + sign * r.size_y / 2)
            cx = view.x(r.x)
            cy = edge - sign * (gap + size / 2)
            box = (cx - w / 2, cy - size / 2, cx + w / 2, cy + size / 2)
        if labels.place(box):
            out.append(
                _text(cx, cy, size, r.id, cls="row-label halo", attrs=f' data-row-end="{r.id}"')
            )
    return out


def _keepout_labels(plan: Plan, view: _View, labels: _Labels) -> list[str]:
    out = ['<g id="keepout-labels">']
    for k in plan.floor.keepouts:
        xs = [view.x(p[0]) for p in k.outline]
        ys = [view.y(p[1]) for p in k.outline]
        size, turned = _fit((min(xs), min(ys), max(xs), max(ys)), len(k.id))
        if size < _MIN_FONT:
            continue
        size = math.floor(2 * min(size, 11.0)) / 2
        cls = "ko-label on-dark" if k.kind == "column" else "ko-label halo"
        cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
        out.append(
            _text(cx, cy, size, k.id, cls=cls, turned=turned, attrs=f' data-keepout="{k.id}"')
        )
    out.append("</g>")
    return out


def _tray_labels(plan: Plan, view: _View, labels: _Labels) -> list[str]:
    """Each tray's id just beyond one of its ends, where it fits."""
    size = max(_MIN_FONT, min(11.0, 0.25 * view.s))
    out = ['<g id="tray-labels">']
    for t in sorted(plan.floor.trays, key=lambda t: t.id):
        w = _text_w(t.id, size)
        for end, nxt in ((t.path[0], t.path[1]), (t.path[-1], t.path[-2])):
            ex, ey = view.x(end[0]), view.y(end[1])
            dx, dy = ex - view.x(nxt[0]), ey - view.y(nxt[1])
            d = math.hypot(dx, dy) or 1.0
            reach = t.width * view.s / 2 + 3
            # step out along the tray, far enough for the label's half extent that way
            half = abs(dx / d) * w / 2 + abs(dy / d) * size / 2
            cx, cy = ex + dx / d * (reach + half), ey + dy / d * (reach + half)
            box = (cx - w / 2, cy - size / 2, cx + w / 2, cy + size / 2)
            if labels.place(box):
                out.append(
                    _text(cx, cy, size, t.id, cls="tray-label halo", attrs=f' data-tray="{t.id}"')
                )
                break
    out.append("</g>")
    return out


# -- side panel ------------------------------------------------------------------------


def _nice_length(target_m: float) -> float:
    for step in (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
        if step >= target_m:
            return float(step)
    return 1000.0


def _panel(
    plan: Plan,
    view: _View,
    x0: float,
    picked: Sequence[Cable] | None,
    cables: Sequence[str],
    rack: str | None,
    tier: str | None,
) -> tuple[list[str], float]:
    """Title, key figures, selection, legend, over-limit list, scale bar and north arrow.
    Returns the elements and the panel's height in px."""
    s = plan.summary
    floor = plan.floor
    out = [f'<g id="panel" transform="translate({_f(x0)},{_f(_MARGIN)})">']
    y = 0.0
    width = _PANEL_W

    def line(text: str, cls: str = "panel-text", dy: float = 16.0, attrs: str = "") -> None:
        nonlocal y
        y += dy
        size = {"panel-title": 20, "panel-head": 13, "panel-small": 10.5}.get(cls, 12)
        out.append(
            f'<text class="{cls}"{attrs} x="0" y="{_f(y)}">{_esc(_clip(text, size, width))}</text>'
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
        f"{_f(max(ox) - min(ox))} x {_f(max(oy) - min(oy))} m",
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
        f"max tray fill: {_pct(s['max_tray_fill'])}, over limit: {over_n} segment"
        + ("s" if over_n != 1 else ""),
        attrs=' data-figure="max_tray_fill"',
    )
    line(f"unrouted cables: {s['unrouted']}", attrs=' data-figure="unrouted"')
    line(f"cost: ${s['cost_usd']:,.0f}, optics power {s['optics_power_w']:,.0f} W")

    if picked is not None:
        head("Highlighted")
        what = [f"cable {c}" for c in cables[:3]] + (["..."] if len(cables) > 3 else [])
        what += [f"rack {rack}"] if rack else []
        what += [f"tier {tier}"] if tier else []
        line(f"{', '.join(what)}: {len(picked)} cable" + ("s" if len(picked) != 1 else ""))
        if len(picked) > MAX_DRAWN_ROUTES:
            line("tray segments they use outlined, wider where more pass", "panel-small", 14)
        from topo.exports import compact_route

        for c in picked[:6]:
            line(f"{c.id} {c.label}", "panel-small", 14)
            line(f"   {compact_route(plan, c.segments) or 'no tray'}", "panel-small", 13)
        if len(picked) > 6:
            line(f"... and {len(picked) - 6} more", "panel-small", 14)

    head("Legend")
    contents = _rack_contents(plan)
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
        out.append(f'<rect class="{cls}" x="0" y="{_f(y - 11)}" width="22" height="13"/>')
        out.append(f'<text class="panel-text" x="30" y="{_f(y)}">{_esc(text)}</text>')

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
        steps.append((f"f{k}", f"{_pct(lo)} - {_pct(hi)}" + (" (limit)" if k == 4 else "")))
    steps.append(("over", "over the limit (listed below)"))
    for cls, text in steps:
        y += 18
        out.append(f'<rect class="seg {cls}" x="0" y="{_f(y - 11)}" width="34" height="12"/>')
        out.append(f'<text class="panel-text" x="42" y="{_f(y)}">{_esc(text)}</text>')
    if plan.summary["unrouted"]:
        y += 18
        out.append(f'<line class="unrouted" x1="0" y1="{_f(y - 5)}" x2="34" y2="{_f(y - 5)}"/>')
        out.append(f'<text class="panel-text" x="42" y="{_f(y)}">unrouted cables</text>')
    if picked is not None:
        y += 18
        out.append(f'<line class="route-line" x1="0" y1="{_f(y - 5)}" x2="34" y2="{_f(y - 5)}"/>')
        out.append(f'<text class="panel-text" x="42" y="{_f(y)}">highlighted route</text>')
        y += 18
        out.append(f'<circle class="end-a" cx="8" cy="{_f(y - 5)}" r="5"/>')
        out.append(f'<rect class="end-b" x="22" y="{_f(y - 9)}" width="8" height="8"/>')
        out.append(f'<text class="panel-text" x="42" y="{_f(y)}">A end, B end</text>')

    if plan.overflows:
        head(f"Over the fill limit ({len(plan.overflows)})")
        worst = sorted(plan.overflows, key=lambda f: (-f.fill, f.segment.id))
        for f in worst[:12]:
            line(
                f"{f.segment.id}: {_pct(f.fill)} (limit {_pct(f.segment.fill_limit)}), "
                f"{f.cables} cables",
                "panel-text over-text",
                15,
                attrs=f' data-segment="{_esc(f.segment.id)}"',
            )
        if len(worst) > 12:
            line(f"... and {len(worst) - 12} more: see trays.csv", "panel-small", 14)

    # scale bar and north arrow
    y += 30
    bar_m = _nice_length(150 / view.s)
    bar = bar_m * view.s
    out.append(f'<g id="scale-bar" data-metres="{_f(bar_m)}">')
    for i in range(4):
        fill = "#222" if i % 2 == 0 else "#fff"
        out.append(
            f'<rect x="{_f(i * bar / 4)}" y="{_f(y)}" width="{_f(bar / 4)}" height="6" '
            f'fill="{fill}" stroke="#222" stroke-width="0.8"/>'
        )
    out.append(f'<text class="panel-small" x="0" y="{_f(y + 20)}">0</text>')
    out.append(
        f'<text class="panel-small" x="{_f(bar)}" y="{_f(y + 20)}" text-anchor="middle">'
        f"{_f(bar_m)} m</text>"
    )
    out.append("</g>")
    ax = min(width - 30, bar + 60)
    out.append(
        f'<g id="north-arrow"><path d="M {_f(ax)} {_f(y - 18)} l 8 26 l -8 -7 l -8 7 z" '
        f'fill="#222"/><text class="panel-head" x="{_f(ax)}" y="{_f(y + 24)}" '
        f'text-anchor="middle">N</text></g>'
    )
    y += 30
    out.append("</g>")
    return out, y


# -- PNG -------------------------------------------------------------------------------


def svg_to_png(svg: str, *, zoom: float = 1.0) -> bytes:
    """Render a drawing to PNG with the optional ``resvg-py`` package.

    Args:
        zoom: pixels per drawing px (2.0 for a sharper print).

    Raises:
        DrawingError: ``resvg-py`` is not installed (install ``topo[png]``).
    """
    try:
        import resvg_py
    except ImportError:
        raise DrawingError(
            Problem(
                "output",
                "PNG output needs the optional resvg-py package: pip install 'topo[png]' "
                "(or write .svg)",
            )
        ) from None
    png = resvg_py.svg_to_bytes(
        svg_string=svg, zoom=zoom, background="#ffffff", sans_serif_family="DejaVu Sans"
    )
    return bytes(png)
