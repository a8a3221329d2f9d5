"""Drawing primitives: the style sheet, the floor-to-px view, tray quads, text.

Elements, escaping and px numbers are written by :data:`topo.outputs.svg.PX`."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from topo.outputs.svg import PX

if TYPE_CHECKING:
    from topo.plan import Plan

__all__ = [
    "CHAR_EM",
    "DEFS",
    "FILL_COLOURS",
    "MARGIN",
    "MAX_DRAWN_ROUTES",
    "MAX_RACK_FONT",
    "MIN_FONT",
    "OVER_COLOUR",
    "PANEL_W",
    "ROUTE_COLOUR",
    "STYLE",
    "TARGET_PX",
    "View",
    "clip",
    "pct",
    "quad",
    "segment_quads",
    "svg_text",
    "text_width",
]

FILL_COLOURS = ("#cdcdcd", "#c6dbef", "#6baed6", "#2171b5", "#08306b")
"""Tray fill scale: no cables, then up to 25, 50, 75 and 100 % of the segment's limit."""
OVER_COLOUR = "#e31a1c"
ROUTE_COLOUR = "#d4007f"
MAX_DRAWN_ROUTES = 60
"""Above this many highlighted cables, the tray segments they use are outlined instead of
drawing every route; the ends are still marked."""

FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
CHAR_EM = 0.68  # width of an upper-case letter or digit, in em, for the widest font above
MIN_FONT = 6.5  # px: smaller rack labels are left out (the row ends are labelled instead)
MAX_RACK_FONT = 14.0
PANEL_W = 380
MARGIN = 24
TARGET_PX = 1600  # the longer side of the floor, when no scale is given

STYLE = f"""
text{{font-family:{FONT};fill:#1a1a1a}}
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
.sel-seg{{fill:{ROUTE_COLOUR};stroke:{ROUTE_COLOUR};stroke-linejoin:round}}
.end-a{{fill:{ROUTE_COLOUR};stroke:#fff;stroke-width:1}}
.end-b{{fill:#fff;stroke:{ROUTE_COLOUR};stroke-width:2}}
.panel-title{{font-size:20px;font-weight:bold}}
.panel-head{{font-size:13px;font-weight:bold}}
.panel-text{{font-size:12px}}
.panel-small{{font-size:10.5px;fill:#444}}
.over-text{{fill:#b00}}
"""

DEFS = f"""<defs>
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


def segment_quads(view: View, plan: Plan) -> np.ndarray:
    """Corners (px) of every tray segment of a plan drawn at its tray's width, in segment
    order, as an ``(n, 4, 2)`` array (the same corners as :func:`quad`)."""
    segs = plan.pathways.segments
    if not segs:
        return np.zeros((0, 4, 2))
    widths = {t.id: t.width for t in plan.floor.trays}
    a = np.array([s.start for s in segs], dtype=np.float64)
    b = np.array([s.end for s in segs], dtype=np.float64)
    w = np.array([widths[s.tray] for s in segs], dtype=np.float64)
    d = b - a
    length = np.hypot(d[:, 0], d[:, 1])
    length[length == 0] = 1.0
    n = np.column_stack([-d[:, 1], d[:, 0]]) / length[:, None] * (w / 2)[:, None]
    corners = np.stack([a + n, b + n, b - n, a - n], axis=1)
    px = np.empty_like(corners)
    px[..., 0] = view.ox + (corners[..., 0] - view.minx) * view.s
    px[..., 1] = view.oy + (view.maxy - corners[..., 1]) * view.s
    return px


def pct(x: float) -> str:
    return f"{100 * x:.1f}".rstrip("0").rstrip(".") + " %"


def text_width(text: str, size: float) -> float:
    return len(text) * CHAR_EM * size


def clip(text: str, size: float, width: float) -> str:
    n = int(width / (CHAR_EM * size * 0.88))  # panel text is mostly lower case
    return text if len(text) <= n else text[: max(1, n - 1)] + "…"


@dataclass(frozen=True, slots=True)
class View:
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

    def points(self, pts: Iterable[tuple[float, float]]) -> str:
        """A ``points`` attribute (px) for floor points (m)."""
        return PX.points((self.x(x), self.y(y)) for x, y in pts)

    def box(self, pts: Iterable[tuple[float, float]]) -> tuple[float, float, float, float]:
        """The bounding box (px: left, top, right, bottom) of floor points (m)."""
        xs, ys = zip(*((self.x(x), self.y(y)) for x, y in pts), strict=True)
        return min(xs), min(ys), max(xs), max(ys)


def quad(
    view: View, start: tuple[float, float], end: tuple[float, float], width_m: float
) -> tuple[tuple[float, float], ...]:
    """Corners (px) of a straight tray piece of the given width."""
    (x0, y0), (x1, y1) = start, end
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    nx, ny = -(y1 - y0) / length * width_m / 2, (x1 - x0) / length * width_m / 2
    pts = ((x0 + nx, y0 + ny), (x1 + nx, y1 + ny), (x1 - nx, y1 - ny), (x0 - nx, y0 - ny))
    return tuple((view.x(x), view.y(y)) for x, y in pts)


def svg_text(x: float, y: float, size: float, text: str, *, cls: str = "", turned: bool = False,
          anchor: str = "middle", **attrs: str) -> str:  # fmt: skip
    """A line of text (px) whose capitals are centred on ``(x, y)``, turned a quarter to
    read upwards if ``turned``; ``attrs`` go between its class and its position."""
    rot = f"rotate(-90 {PX.num(x)} {PX.num(y)})" if turned else None
    return PX.el("text", text=text, class_=cls or None, **attrs, x=x, y=y + 0.36 * size,
                 font_size=size, text_anchor=anchor, transform=rot)  # fmt: skip
