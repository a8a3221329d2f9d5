"""Comparing a batch's variants: the summary table, the Pareto front and the chart.

Every function here is a pure view of a list of :class:`VariantResult`:

- :func:`summary_table` gives ``summary.csv``'s header and rows (see ``SUMMARY_COLUMNS``),
  sorted by one metric, failed variants last;
- :func:`pareto_front` names the variants no other variant beats on two metrics at once
  (both are minimised: lower cost, lower power);
- :func:`compare_svg` draws every planned variant on those two metrics, the front
  highlighted, connected and labelled, and lists the variants that failed::

      optics power (W)
        |  o        o          o  a variant
        |   *                  *  on the Pareto front
        |    `*---*    o
        |          `*-----*
        +-------------------- cost (USD)

The chart's numbers are written with one decimal (:class:`topo.outputs.svg.Svg`), so the
same results give the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from topo.outputs.exports import csv_text
from topo.outputs.svg import Svg

__all__ = [
    "METRICS",
    "SUMMARY_COLUMNS",
    "Metric",
    "VariantResult",
    "compare_svg",
    "metric_value",
    "pareto_front",
    "summary_csv",
    "summary_table",
]

Status = Literal["ok", "failed", "timeout", "cancelled"]


@dataclass(frozen=True, slots=True)
class VariantResult:
    """How one variant of a batch ended.

    Attributes:
        name: the variant's name (its folder under the batch's output folder).
        values: the varied fields' values, by dotted path, in display form.
        status: ``ok`` (planned), ``failed`` (an error; see ``error``), ``timeout``, or
            ``cancelled`` (the batch was interrupted first).
        summary: the plan's summary (``plan.json``'s ``summary``) when planned.
        seconds: wall time to plan and render it, in its worker.
        error: what went wrong, one line.
        problems: the error's problems (``location``, ``message``, ``value``), if any.
        resumed: planned by an earlier run and kept (``--resume``).
    """

    name: str
    values: tuple[tuple[str, str], ...]
    status: Status
    summary: dict[str, Any] | None = None
    seconds: float | None = None
    error: str = ""
    problems: tuple[dict[str, Any], ...] = field(default=())
    resumed: bool = False


@dataclass(frozen=True, slots=True)
class Metric:
    """A figure variants are compared on; all are better when lower."""

    label: str
    unit: str
    get: Callable[[dict[str, Any]], float | None]
    kind: Literal["money", "percent", "number"] = "number"


METRICS: dict[str, Metric] = {
    "cost_usd": Metric("cost", "USD", lambda s: s["cost_usd"], "money"),
    "optics_power_w": Metric("optics power", "W", lambda s: s["optics_power_w"]),
    "total_length_m": Metric("total cable length", "m", lambda s: s["total_length_m"]),
    "lower_bound_length_m": Metric("cable length bound", "m", lambda s: s["lower_bound_length_m"]),
    "gap": Metric("gap to bound", "%", lambda s: s["solver"]["gap"], "percent"),
    "max_tray_fill": Metric("max tray fill", "%", lambda s: s["max_tray_fill"], "percent"),
    "cables": Metric("cables", "", lambda s: s["cables"]),
    "unrouted": Metric("unrouted cables", "", lambda s: s["unrouted"]),
    "devices": Metric("devices", "", lambda s: sum(s["devices"].values())),
    "switches": Metric(
        "switches", "", lambda s: sum(v for k, v in s["devices"].items() if k != "server")
    ),
    # None for a plan.json written before topo reported IT power
    "it_kw": Metric("IT power", "kW", lambda s: s.get("power", {}).get("it_kw")),
}
"""The metrics ``--sort`` and ``--pareto`` accept, by name (the ``summary.csv`` column)."""

SUMMARY_COLUMNS = (
    "variant",
    # then one column per varied field, named by its dotted path
    "status",  # ok | failed | timeout | cancelled
    "pareto",  # "yes" on the Pareto front of the two chosen metrics
    "cost_usd",
    "total_length_m",
    "lower_bound_length_m",
    "gap",  # (total - bound) / bound
    "max_tray_fill",  # fraction of the fullest tray segment's cross-section
    "cables",
    "unrouted",
    # then one column per media seen, "cables.<media id>"
    "optics_power_w",
    "devices",
    "switches",
    "seconds",  # wall time to plan and render the variant
    "error",
)
"""Columns of ``summary.csv``; figures are those of each variant's ``plan.json`` summary."""


def metric_value(result: VariantResult, metric: str) -> float | None:
    """A planned variant's value of ``metric``; None if it was not planned."""
    if result.status != "ok" or result.summary is None:
        return None
    if metric == "seconds":
        return result.seconds
    value = METRICS[metric].get(result.summary)
    return None if value is None else float(value)


def pareto_front(results: Sequence[VariantResult], x: str, y: str) -> list[VariantResult]:
    """The planned variants no other planned variant beats on both ``x`` and ``y``.

    Both metrics are minimised. A variant is on the front unless another is at least as
    good on both and strictly better on one. Returned sorted by ``x``, then ``y``.

    Example:
        >>> def r(n, c, w):
        ...     s = {"cost_usd": c, "optics_power_w": w}
        ...     return VariantResult(n, (), "ok", s)
        >>> [v.name for v in pareto_front([r("a", 1, 9), r("b", 2, 5), r("c", 3, 6)],
        ...                               "cost_usd", "optics_power_w")]
        ['a', 'b']
    """
    pts = []
    for r in results:
        vx, vy = metric_value(r, x), metric_value(r, y)
        if vx is not None and vy is not None:
            pts.append((vx, vy, r.name, r))
    pts.sort(key=lambda p: (p[0], p[1], p[2]))
    front = []
    best_y = math.inf
    for vx, vy, _name, r in pts:
        if vy < best_y:
            front.append(r)
            best_y = vy
        elif vy == best_y and front and metric_value(front[-1], x) == vx:
            front.append(r)  # a tie on both metrics: neither beats the other
    return front


def _fmt(v: float | None, digits: int = 3) -> str:
    if v is None:
        return ""
    if float(v).is_integer():
        return str(int(v))
    return f"{v:.{digits}f}".rstrip("0").rstrip(".")


def _sort_key(metric: str) -> Callable[[VariantResult], tuple[Any, ...]]:
    desc = metric.startswith("-")
    name = metric.lstrip("-")

    def key(r: VariantResult) -> tuple[Any, ...]:
        if name == "variant":
            return (0, 0.0, r.name)
        v = metric_value(r, name)
        if v is None:
            return (1, 0.0, r.name)
        return (0, -v if desc else v, r.name)

    return key


def summary_table(
    results: Sequence[VariantResult],
    *,
    axes: Sequence[str],
    sort: str = "cost_usd",
    pareto: tuple[str, str] = ("cost_usd", "optics_power_w"),
) -> tuple[list[str], list[list[str]]]:
    """``summary.csv``'s header and rows (see ``SUMMARY_COLUMNS``).

    Args:
        axes: the varied fields' dotted paths, one column each after ``variant``.
        sort: the metric rows are sorted by, ascending (``-metric`` for descending,
            ``variant`` for by name); variants with no value come last, by name.
        pareto: the two metrics whose Pareto front the ``pareto`` column marks.
    """
    media = sorted(
        {m for r in results if r.status == "ok" and r.summary for m in r.summary["cables_by_media"]}
    )
    front = {r.name for r in pareto_front(results, *pareto)}
    cols = list(SUMMARY_COLUMNS)
    at = cols.index("unrouted") + 1
    header = ["variant", *axes, *cols[1:at], *(f"cables.{m}" for m in media), *cols[at:]]
    rows = []
    for r in sorted(results, key=_sort_key(sort)):
        values = dict(r.values)
        row = [r.name, *(values.get(a, "") for a in axes), r.status]
        row.append("yes" if r.name in front else "")
        s = r.summary if r.status == "ok" else None
        if s is not None:
            row += [_fmt(metric_value(r, m)) for m in cols[3:at]]
            row += [str(s["cables_by_media"].get(m, 0)) for m in media]
            row += [_fmt(metric_value(r, m)) for m in ("optics_power_w", "devices", "switches")]
        else:
            row += [""] * (at - 3 + len(media) + 3)
        row.append("" if r.seconds is None else f"{r.seconds:.2f}")
        row.append(r.error)
        rows.append(row)
    return header, rows


def summary_csv(
    results: Sequence[VariantResult],
    *,
    axes: Sequence[str],
    sort: str = "cost_usd",
    pareto: tuple[str, str] = ("cost_usd", "optics_power_w"),
) -> str:
    """``summary.csv``: one row per variant (see :func:`summary_table`)."""
    header, rows = summary_table(results, axes=axes, sort=sort, pareto=pareto)
    return csv_text(header, rows)


# -- the chart ----------------------------------------------------------------------------

_W, _H = 820, 540
_LEFT, _RIGHT, _TOP, _BOTTOM = 96, 40, 70, 80
_CHAR_W = 6.2  # average advance of an 11 px sans-serif character
_SVG = Svg(decimals=1, trim=False)
_ON_FRONT = {"r": "5.5", "fill": "#d9480f", "stroke": "#7c2d12", "stroke_width": "1"}
_OFF_FRONT = {"r": "4.5", "fill": "#9aa5b1", "fill_opacity": "0.8", "stroke": "#52606d",
              "stroke_width": "0.6"}  # fmt: skip


def _nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """Round tick values covering ``[lo, hi]``: steps of 1, 2 or 5 times a power of ten."""
    if hi <= lo:
        lo, hi = lo - (abs(lo) or 1) * 0.1, hi + (abs(hi) or 1) * 0.1
    raw = (hi - lo) / max(1, count - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    v = start
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    if ticks[-1] < hi:
        ticks.append(round(v, 10))
    return ticks


def _tick_label(v: float, kind: str, step: float) -> str:
    if kind == "percent":
        digits = max(0, -math.floor(math.log10(step * 100))) if step > 0 else 0
        return f"{v * 100:.{digits}f}%"
    if kind == "money":
        a = abs(v)
        for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if a >= div:
                digits = max(0, -math.floor(math.log10(step / div))) if step > 0 else 0
                return f"${v / div:,.{min(digits, 3)}f}{suffix}"
        return f"${v:,.0f}"
    digits = max(0, -math.floor(math.log10(step))) if step > 0 else 0
    return f"{v:,.{min(digits, 6)}f}"


def _value_label(v: float, kind: str) -> str:
    if kind == "percent":
        return f"{v * 100:.1f}%"
    if kind == "money":
        return f"${v:,.0f}"
    return f"{v:,.1f}".rstrip("0").rstrip(".")


def _axis_title(metric: str) -> str:
    m = METRICS.get(metric)
    if m is None:
        return "seconds (s)" if metric == "seconds" else metric
    return f"{m.label} ({m.unit})" if m.unit else m.label


def _kind(metric: str) -> str:
    m = METRICS.get(metric)
    return m.kind if m else "number"


def _short(text: str, limit: int = 44) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compare_svg(
    results: Sequence[VariantResult],
    *,
    x: str = "cost_usd",
    y: str = "optics_power_w",
    title: str = "sweep",
) -> str:
    """A scatter chart of every planned variant on ``x`` against ``y``, as SVG text.

    The Pareto front (lower is better on both) is drawn in colour, joined by a line and
    labelled with the variants' names; every point carries a tooltip with its figures.
    Variants that did not plan are listed under the chart with their errors.
    """
    points = []
    for r in results:
        vx, vy = metric_value(r, x), metric_value(r, y)
        if vx is not None and vy is not None:
            points.append((vx, vy, r))
    front = pareto_front(results, x, y)
    front_names = {r.name for r in front}
    failed = [r for r in results if r.status != "ok"]
    shown_failed = failed[:8]
    height = _H + (18 * (len(shown_failed) + (len(failed) > 8) + 1) if failed else 0)
    pw, ph = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    xs = [p[0] for p in points] or [0.0, 1.0]
    ys = [p[1] for p in points] or [0.0, 1.0]
    xt, yt = _nice_ticks(min(xs), max(xs)), _nice_ticks(min(ys), max(ys))
    x0, x1, y0, y1 = xt[0], xt[-1], yt[0], yt[-1]

    def px(v: float) -> float:
        return _LEFT + (v - x0) / (x1 - x0) * pw

    def py(v: float) -> float:
        return _TOP + ph - (v - y0) / (y1 - y0) * ph

    el = _SVG.el
    planned = len(points)
    sub = (
        f"{planned} variant{'s' if planned != 1 else ''} planned, {len(front)} on the "
        f"Pareto front (lower is better on both axes)"
    ) + (f", {len(failed)} not planned" if failed else "")
    out = [
        el("rect", width=_W, height=height, fill="#ffffff"),
        el("text", text=f"{title}: {_axis_title(x)} against {_axis_title(y)}", x=_LEFT, y=26,
           font_size=16, font_weight="bold", fill="#1f2933"),
        el("text", text=sub, x=_LEFT, y=46, fill="#52606d"),
    ]  # fmt: skip

    # grid and axes
    xstep = xt[1] - xt[0] if len(xt) > 1 else 1.0
    ystep = yt[1] - yt[0] if len(yt) > 1 else 1.0
    for v in xt:
        X = px(v)
        out.append(el("line", x1=X, y1=_TOP, x2=X, y2=_TOP + ph, stroke="#e4e7eb"))
        out.append(el("text", text=_tick_label(v, _kind(x), xstep), x=X, y=_TOP + ph + 16,
                      text_anchor="middle", fill="#3e4c59"))  # fmt: skip
    for v in yt:
        Y = py(v)
        out.append(el("line", x1=_LEFT, y1=Y, x2=_LEFT + pw, y2=Y, stroke="#e4e7eb"))
        out.append(el("text", text=_tick_label(v, _kind(y), ystep), x=_LEFT - 8, y=Y + 4,
                      text_anchor="end", fill="#3e4c59"))  # fmt: skip
    out.append(el("rect", x=_LEFT, y=_TOP, width=pw, height=ph, fill="none", stroke="#7b8794"))
    cx, cy = _LEFT + pw / 2, _TOP + ph / 2
    out.append(el("text", text=_axis_title(x), x=cx, y=_TOP + ph + 40, text_anchor="middle",
                  font_size=12, fill="#1f2933"))  # fmt: skip
    out.append(el("text", text=_axis_title(y), x=22, y=cy, text_anchor="middle", font_size=12,
                  fill="#1f2933", transform=f"rotate(-90 22 {_SVG.num(cy)})"))  # fmt: skip
    if not points:
        out.append(el("text", text="no variant was planned", x=cx, y=cy, text_anchor="middle",
                      font_size=14, fill="#9aa5b1"))  # fmt: skip

    # the front, then every point, then the labels on top
    if len(front) > 1:
        path = _SVG.points(
            (px(metric_value(r, x) or 0), py(metric_value(r, y) or 0)) for r in front
        )
        out.append(el("polyline", points=path, fill="none", stroke="#d9480f", stroke_width="2"))
    for vx, vy, r in sorted(points, key=lambda p: (p[2].name in front_names, p[2].name)):
        tip = f"{r.name}\n{_axis_title(x)}: {_value_label(vx, _kind(x))}\n"
        tip += f"{_axis_title(y)}: {_value_label(vy, _kind(y))}"
        style = _ON_FRONT if r.name in front_names else _OFF_FRONT
        out.append(el("circle", title=tip, cx=px(vx), cy=py(vy), **style))
    # labels: every front point; the others too when there are few, where they fit
    boxes: list[tuple[float, float, float, float]] = [
        (px(vx) - 6, py(vy) - 6, 12, 12) for vx, vy, _r in points
    ]
    others = [p[2] for p in points if p[2].name not in front_names] if len(points) <= 12 else []
    for r in [*front, *others]:
        X, Y = px(metric_value(r, x) or 0), py(metric_value(r, y) or 0)
        text = _short(r.name)
        on = r.name in front_names
        spot = _label_spot(X, Y, len(text) * _CHAR_W, boxes, pw, ph, force=on)
        if spot is None:
            continue
        boxes.append(spot)
        colour = "#7c2d12" if on else "#616e7c"
        out.append(el("text", text=text, x=float(spot[0]), y=spot[1] + 11, fill=colour))

    # legend
    lx = _LEFT + pw - 190
    out += [
        el("circle", cx=lx, cy=_TOP - 14, r="5", fill="#d9480f", stroke="#7c2d12"),
        el("text", text="Pareto front", x=lx + 9, y=_TOP - 10, fill="#3e4c59"),
        el("circle", cx=lx + 100, cy=_TOP - 14, r="4.5", fill="#9aa5b1", stroke="#52606d"),
        el("text", text="other variants", x=lx + 109, y=_TOP - 10, fill="#3e4c59"),
    ]
    if failed:
        out += _not_planned(failed, shown_failed)
    font = "Helvetica, Arial, sans-serif"
    return _SVG.document(_W, height, out, font_family=font, font_size=11)


def _not_planned(failed: list[VariantResult], shown: list[VariantResult]) -> list[str]:
    """The variants that were not planned, under the chart, with their errors."""
    ty = _H + 4
    red = "#a61b1b"
    out = [_SVG.el("text", text=f"not planned ({len(failed)}):", x=_LEFT, y=ty,
                   font_weight="bold", fill=red)]  # fmt: skip
    for r in shown:
        ty += 18
        why = _short(r.error or r.status, 90)
        out.append(_SVG.el("text", text=f"{r.name} [{r.status}]: {why}", x=_LEFT + 10, y=ty,
                           fill=red))  # fmt: skip
    if len(failed) > len(shown):
        more = len(failed) - len(shown)
        out.append(_SVG.el("text", text=f"... and {more} more", x=_LEFT + 10, y=ty + 18, fill=red))
    return out


def _label_spot(
    X: float,
    Y: float,
    w: float,
    boxes: list[tuple[float, float, float, float]],
    pw: float,
    ph: float,
    *,
    force: bool,
) -> tuple[float, float, float, float] | None:
    """Top-left corner and size of a label beside point (X, Y) that overlaps no other;
    with ``force``, the first place inside the plot when none is clear, else None."""
    h = 13.0
    # right then left of the point, just above or below it, then a line further out
    rings = ((Y - h - 4, Y + 4), (Y - 2 * h - 6, Y + h + 6))
    candidates = [(bx, by) for ys in rings for bx in (X + 8, X - w - 8) for by in ys]

    def fits(bx: float, by: float) -> bool:
        inside = _LEFT <= bx <= _LEFT + pw - w and _TOP <= by <= _TOP + ph - h
        clear = all(
            bx + w <= ox or ox + ow <= bx or by + h <= oy or oy + oh <= by
            for ox, oy, ow, oh in boxes
        )
        return inside and clear

    for bx, by in candidates:
        if fits(bx, by):
            return (bx, by, w, h)
    if not force:
        return None
    bx, by = candidates[0]
    bx = min(max(bx, _LEFT), _LEFT + pw - w)
    return (bx, by, w, h)
