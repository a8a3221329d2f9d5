"""Label placement: rack ids inside their racks, clear of the trays above them; row-end,
keep-out and tray labels where they collide with nothing.

A rack label goes, in order of preference: the rack's id in the largest part of the rack
no tray covers; its position number there (``07``), the row then being named by its first
and last rack ids at its ends; the id over the trays on a white halo when trays cover the
whole rack. A label smaller than ``MIN_FONT`` px is left out.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from topo.outputs.drawing.style import (
    CHAR_EM,
    MAX_RACK_FONT,
    MIN_FONT,
    View,
    svg_text,
    text_width,
)
from topo.outputs.svg import PX

if TYPE_CHECKING:
    from layouts.model import Rack
    from topo.plan import Plan

__all__ = ["Labels", "keepout_labels", "rack_labels", "tray_labels"]


class Labels:
    """Free labels placed first come, first served; a label that would overlap a rack,
    a keep-out or an earlier label is left out."""

    def __init__(self, obstacles: Sequence[tuple[float, float, float, float]]) -> None:
        self._obstacles = np.asarray(obstacles, dtype=np.float64).reshape(-1, 4)
        self._boxes: list[tuple[float, float, float, float]] = []

    def place(self, box: tuple[float, float, float, float]) -> bool:
        """Take the box (px) for a label if it is free; whether it was."""
        x0, y0, x1, y1 = box
        ob = self._obstacles
        if np.any((x0 < ob[:, 2]) & (ob[:, 0] < x1) & (y0 < ob[:, 3]) & (ob[:, 1] < y1)):
            return False
        for a0, b0, a1, b1 in self._boxes:
            if x0 < a1 and a0 < x1 and y0 < b1 and b0 < y1:
                return False
        self._boxes.append(box)
        return True


def rack_labels(
    plan: Plan,
    boxes: dict[str, tuple[float, float, float, float]],
    quads: np.ndarray,
    labels: Labels,
    view: View,
) -> list[str]:
    """Rack ids inside their racks, beside the trays that cross them; a row whose racks
    are too small for their ids gets its first and last rack ids at its ends instead.

    Args:
        boxes: every rack's box (px) by id.
        quads: every tray segment's corners (px), as from ``segment_quads``.
    """
    ids = list(boxes)
    origin = np.asarray([boxes[i] for i in ids], dtype=np.float64).reshape(-1, 4)
    # tray boxes over each rack, relative to the rack's corner (px, rounded to 1/1000)
    covers: dict[int, list[tuple[float, ...]]] = defaultdict(list)
    if len(quads) and ids:
        lo, hi = quads.min(axis=1), quads.max(axis=1)
        tree = shapely.STRtree(shapely.box(lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1]))
        rack_geoms = shapely.box(origin[:, 0], origin[:, 1], origin[:, 2], origin[:, 3])
        ri, si = tree.query(rack_geoms, predicate="intersects")
        bounds = np.column_stack([lo, hi])[si] - origin[ri][:, [0, 1, 0, 1]]
        for r, rel in zip(ri.tolist(), np.round(bounds, 3).tolist(), strict=True):
            covers[r].append(tuple(rel))
    sizes = np.round(origin[:, 2:] - origin[:, :2], 3).tolist()
    corners = origin[:, :2].tolist()

    racks = plan.floor.rack_index
    chosen: dict[str, _RackLabel] = {}
    # racks of a hall repeat a few shapes under their trays: place each shape once
    memo: dict[tuple[object, ...], _RackLabel | None] = {}
    for k, rid in enumerate(ids):
        x0, y0 = corners[k]
        short = f"{racks[rid].position:02d}"
        rel = tuple(sorted(covers[k]))
        key = (sizes[k][0], sizes[k][1], rel, len(rid), len(short))
        if key not in memo:
            memo[key] = _place_rack_label((0.0, 0.0, key[0], key[1]), list(rel), "R" * len(rid),
                                          "P" * len(short))  # fmt: skip
        found = memo[key]
        if found is not None:
            text = rid if found.text.startswith("R") else short
            chosen[rid] = _RackLabel(found.x + x0, found.y + y0, found.size, text, found.turned,
                                     found.halo)  # fmt: skip

    # one size per row (the common one), so a tray crossing one rack does not make its
    # neighbours' labels jump in size
    by_row: dict[str, list[float]] = defaultdict(list)
    for rid, lab in chosen.items():
        by_row[racks[rid].row].append(lab.size)
    row_size = {row: sorted(v)[len(v) // 2] for row, v in by_row.items()}

    out = []
    for rid in ids:
        if rid not in chosen:
            continue
        lab = chosen[rid]
        size = math.floor(2 * min(lab.size, row_size[racks[rid].row])) / 2
        cls = "rack-label halo" if lab.halo else "rack-label"
        out.append(
            svg_text(lab.x, lab.y, size, lab.text, cls=cls, turned=lab.turned, data_rack=rid)
        )
    for row in plan.floor.rows:
        members = [r for r in row.racks() if r.id in boxes]
        full = sum(r.id in chosen and chosen[r.id].text == r.id for r in members)
        if members and full * 2 <= len(members):
            out += _row_end_labels(view, row.direction, members, labels)
    return PX.group(out, id="rack-labels")


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
        if best is not None and best.size >= MIN_FONT:
            return best
    if bands:
        return None
    size, turned = _fit(box, len(rid))
    if size < MIN_FONT:
        return None
    return _RackLabel((box[0] + box[2]) / 2, (box[1] + box[3]) / 2, size, rid, turned, True)


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
    flat = min(MAX_RACK_FONT, 0.88 * w / (n * CHAR_EM), 0.72 * h)
    turned = min(MAX_RACK_FONT, 0.88 * h / (n * CHAR_EM), 0.72 * w)
    return (flat, False) if flat >= max(MIN_FONT, 0.75 * turned) else (turned, True)


def _row_end_labels(
    view: View, direction: str, members: Sequence[Rack], labels: Labels
) -> list[str]:
    out = []
    first, last = members[0], members[-1]
    depth = (first.size_y if direction == "x" else first.size_x) * view.s
    size = max(MIN_FONT, min(12.0, 0.8 * depth))
    for r, sign in ((first, -1), (last, 1)):
        w = text_width(r.id, size)
        gap = 3.0
        if direction == "x":
            edge = view.x(r.x + sign * r.size_x / 2)
            cx = edge + sign * (gap + w / 2)
            cy = view.y(r.y)
        else:
            edge = view.y(r.y + sign * r.size_y / 2)
            cx = view.x(r.x)
            cy = edge - sign * (gap + size / 2)
        box = (cx - w / 2, cy - size / 2, cx + w / 2, cy + size / 2)
        if labels.place(box):
            out.append(svg_text(cx, cy, size, r.id, cls="row-label halo", data_row_end=r.id))
    return out


def keepout_labels(plan: Plan, view: View, labels: Labels) -> list[str]:
    out = []
    for k in plan.floor.keepouts:
        x0, y0, x1, y1 = view.box(k.outline)
        size, turned = _fit((x0, y0, x1, y1), len(k.id))
        if size < MIN_FONT:
            continue
        size = math.floor(2 * min(size, 11.0)) / 2
        cls = "ko-label on-dark" if k.kind == "column" else "ko-label halo"
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        out.append(svg_text(cx, cy, size, k.id, cls=cls, turned=turned, data_keepout=k.id))
    return PX.group(out, id="keepout-labels")


def tray_labels(plan: Plan, view: View, labels: Labels) -> list[str]:
    """Each tray's id just beyond one of its ends, where it fits."""
    size = max(MIN_FONT, min(11.0, 0.25 * view.s))
    out = []
    for t in sorted(plan.floor.trays, key=lambda t: t.id):
        w = text_width(t.id, size)
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
                out.append(svg_text(cx, cy, size, t.id, cls="tray-label halo", data_tray=t.id))
                break
    return PX.group(out, id="tray-labels")
