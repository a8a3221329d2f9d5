"""Media as a function of length: what a cable of a given base length becomes.

:func:`choose_media` picks the cheapest media whose stock covers a need. As
the need grows, the choice only changes where some media's stock length (less its slack
at both ends) is passed, so it is a step function of the *base* length (everything but
the slack). A :class:`MediaTable` tabulates it once per speed::

    base (mm) ──> interval i = first breakpoint >= base ──> media, stock, cost, area
         ...  ( x[i-1] , x[i] ]  ...                        (constant on the interval)

The optimizer uses it to price a route (a detour past the DAC's reach costs an AOC or
optics), to know a cable's cross-section before its media is final, and to bound how
thin a cable could become if a detour changed its media.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from layouts.model import RACK_UNIT_M
from topo.catalog import Media

__all__ = ["RACK_UNIT_MM", "MediaTable", "choose_media", "inrack_mm", "media_table"]

RACK_UNIT_MM = RACK_UNIT_M * 1000
"""One rack unit (44.45 mm)."""


def inrack_mm(rack_height_u: int, device_u: int, dress_mm: int) -> int:
    """Run from a port on a device whose top unit is ``device_u`` up to the rack top."""
    return round(max(0, rack_height_u - device_u) * RACK_UNIT_MM) + dress_mm


def choose_media(
    options: Sequence[Media], base_mm: int, slack_mm: int | None
) -> tuple[Media, int, int] | None:
    """The cheapest media (then lowest power, then id) whose stock covers the need.

    Returns ``(media, needed_mm, stock_mm)`` or None when nothing reaches.
    """
    best: tuple[tuple[int, float, str], Media, int, int] | None = None
    for m in options:
        slack = slack_mm if slack_mm is not None else round(m.slack_m * 1000)
        need = base_mm + 2 * slack
        stock = m.stock_length_mm(need)
        if stock is None:
            continue
        key = (m.link_cost_cents(stock), m.link_power_w, m.id)
        if best is None or key < best[0]:
            best = (key, m, need, stock)
    return None if best is None else (best[1], best[2], best[3])


@dataclass(frozen=True, eq=False)
class MediaTable:
    """The media choice of one link speed as a step function of the base length.

    Interval ``i`` holds every base length in ``(breaks[i-1], breaks[i]]``; bases above
    ``breaks[-1]`` have no media. Arrays are parallel, one entry per interval.

    Attributes:
        breaks: right ends of the intervals, millimetres, ascending.
        media: index into :attr:`options` of the media chosen on the interval.
        cost_cents: link cost (cable and both transceivers) on the interval.
        area_mm2: the chosen media's cross-section.
        slack_mm: slack at each end of the chosen media.
        next_thinner: first later interval whose media is thinner than this one's
            (``len(breaks)`` if none).
        min_area_after: smallest cross-section on this interval or any later one.
        slack_override_mm: the slack at each end overriding every media's own, as
            tabulated (None: each media's own).
        full: the table of every media of the speed this one was narrowed from
            (:meth:`at_most`), or None for a table of every media.
    """

    speed_gbps: int
    options: tuple[Media, ...]
    breaks: np.ndarray
    media: np.ndarray
    cost_cents: np.ndarray
    area_mm2: np.ndarray
    slack_mm: np.ndarray
    next_thinner: np.ndarray
    min_area_after: np.ndarray
    slack_override_mm: int | None = None
    full: MediaTable | None = None
    _narrowed: dict[float, MediaTable] = field(default_factory=dict, repr=False)

    @property
    def every_media(self) -> MediaTable:
        """The table of every media of the speed (this one, unless narrowed)."""
        return self.full if self.full is not None else self

    def at_most(self, area_mm2: float) -> MediaTable:
        """The table of the media no thicker than ``area_mm2`` (made once per area).

        Example:
            >>> from topo.catalog import builtin_catalog
            >>> t = media_table(builtin_catalog().media_for(400), None)
            >>> thin = t.at_most(10.0)
            >>> [thin.options[m].kind for m in thin.media[thin.interval(np.array([1000]))]]
            ['aoc']
        """
        full = self.every_media
        key = round(float(area_mm2), 6)
        got = full._narrowed.get(key)
        if got is None:
            opts = [m for m in full.options if m.area_mm2 <= area_mm2 + 1e-6]
            got = replace(media_table(opts, full.slack_override_mm), full=full)
            full._narrowed[key] = got
        return got

    @cached_property
    def option_slack_mm(self) -> np.ndarray:
        """The slack at each end of every media of :attr:`every_media`, mm."""
        full = self.every_media
        return np.array(
            [
                full.slack_override_mm
                if full.slack_override_mm is not None
                else round(m.slack_m * 1000)
                for m in full.options
            ],
            dtype=np.int64,
        )

    def option_costs(self, base_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every media of the speed at each base length: its link cost in cents (one row
        per media of :attr:`every_media`, ``inf`` where its stock does not reach) and its
        cross-section (one per media). Whatever media a plan gives a cable of that base,
        it costs one of these, or more on a longer route."""
        opts = self.every_media.options
        base = np.asarray(base_mm, dtype=np.int64)
        cost = np.full((len(opts), len(base)), np.inf)
        for k, (m, slack) in enumerate(zip(opts, self.option_slack_mm.tolist(), strict=True)):
            reach = round(m.reach_m * 1000)
            stocks = np.array([x for x in m.stock_lengths_mm if x <= reach], dtype=np.int64)
            if not len(stocks):
                continue
            at = np.searchsorted(stocks, base + 2 * slack, side="left")
            ok = at < len(stocks)
            prices = np.array([m.link_cost_cents(int(x)) for x in stocks], dtype=np.float64)
            cost[k, ok] = prices[at[ok]]
        return cost, np.array([m.area_mm2 for m in opts], dtype=np.float64)

    def least_slack_mm(self, base_mm: np.ndarray) -> np.ndarray:
        """Per base length, the least slack at each end of any media of the speed whose
        stock covers it (int64 max where none does; the table has at least one media)."""
        reach = np.isfinite(self.option_costs(base_mm)[0])
        slack = np.where(reach, self.option_slack_mm[:, None], np.iinfo(np.int64).max)
        return slack.min(axis=0)

    def interval(self, base_mm: np.ndarray | int) -> np.ndarray:
        """Interval index of each base length (``len(breaks)`` where nothing reaches)."""
        return np.searchsorted(self.breaks, base_mm, side="left")

    def cost(self, base_mm: np.ndarray) -> np.ndarray:
        """Link cost in cents at each base length; a large sentinel where nothing reaches."""
        i = self.interval(base_mm)
        out = np.full(np.shape(i), _NO_MEDIA_CENTS, dtype=np.int64)
        ok = i < len(self.breaks)
        out[ok] = self.cost_cents[i[ok]]
        return out

    @cached_property
    def slope_cents_per_mm(self) -> np.ndarray:
        """Per interval, what a millimetre more costs with its media: the rise of the
        media's cost over its stock lengths, or, for a media with one price, the rise to
        the next interval (0 on the last).

        Example:
            >>> from topo.catalog import builtin_catalog
            >>> t = media_table(builtin_catalog().media_for(100), None)
            >>> float(t.slope_cents_per_mm[t.interval(2000)])  # DAC: $32 over 4 m
            0.8
        """
        x, c, m = self.breaks.astype(np.float64), self.cost_cents, self.media
        n = len(x)
        out = np.zeros(n)
        i = 0
        while i < n:
            k = i
            while k + 1 < n and m[k + 1] == m[i]:
                k += 1
            rise = (c[k] - c[i]) / (x[k] - x[i]) if k > i else 0.0
            if rise <= 0 and k + 1 < n:
                rise = (c[k + 1] - c[i]) / (x[k + 1] - x[i])
            out[i : k + 1] = rise
            i = k + 1
        return out

    @property
    def max_base_mm(self) -> int:
        """Longest base length any media covers."""
        return int(self.breaks[-1]) if len(self.breaks) else -1


_NO_MEDIA_CENTS = 10**12
"""Cost of a link no media reaches: dearer than any real plan."""


def media_table(options: Sequence[Media], slack_mm: int | None) -> MediaTable:
    """Tabulate :func:`~topo.media.choose_media` over every base length.

    Args:
        options: the media of one speed, in catalog order.
        slack_mm: slack at each end overriding every media's own, or None.

    Example:
        >>> from topo.catalog import builtin_catalog
        >>> t = media_table(builtin_catalog().media_for(100), None)
        >>> i = t.interval(np.array([2000, 6000, 30000]))
        >>> [t.options[m].kind for m in t.media[i]]
        ['dac', 'acc', 'aoc']
    """
    opts = tuple(options)
    speed = opts[0].speed_gbps if opts else 0
    xs: set[int] = set()
    for m in opts:
        slack = slack_mm if slack_mm is not None else round(m.slack_m * 1000)
        reach = round(m.reach_m * 1000)
        for s in m.stock_lengths_mm:
            if s <= reach and s - 2 * slack >= 0:
                xs.add(s - 2 * slack)
    breaks = np.array(sorted(xs), dtype=np.int64)
    index = {id(m): k for k, m in enumerate(opts)}
    media, cost, area, slack_arr = [], [], [], []
    for x in breaks.tolist():
        choice = choose_media(opts, x, slack_mm)
        assert choice is not None  # x is covered by construction
        m, need, stock = choice
        media.append(index[id(m)])
        cost.append(m.link_cost_cents(stock))
        area.append(m.area_mm2)
        slack_arr.append((need - x) // 2)
    area_a = np.asarray(area, dtype=np.float64)
    n = len(breaks)
    next_thinner = np.full(n, n, dtype=np.int64)
    stack: list[int] = []
    for i in range(n - 1, -1, -1):
        # nearest j > i with area[j] < area[i]
        while stack and area_a[stack[-1]] >= area_a[i]:
            stack.pop()
        next_thinner[i] = stack[-1] if stack else n
        stack.append(i)
    min_after = np.minimum.accumulate(area_a[::-1])[::-1] if n else area_a
    return MediaTable(
        speed_gbps=speed,
        options=opts,
        breaks=breaks,
        media=np.asarray(media, dtype=np.int64),
        cost_cents=np.asarray(cost, dtype=np.int64),
        area_mm2=area_a,
        slack_mm=np.asarray(slack_arr, dtype=np.int64),
        next_thinner=next_thinner,
        min_area_after=min_after,
        slack_override_mm=slack_mm,
    )
