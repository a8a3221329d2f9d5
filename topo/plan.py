"""The Plan: one immutable object holding everything topo decided for a scenario.

Every export (CSV, JSON, drawings, API answers) is a view of a :class:`Plan`. The
:attr:`Plan.summary` mapping is the contract other tools read from ``plan.json``.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from layouts.model import Floor
from layouts.pathways import PathwayGraph, Segment
from topo.cables import Cable
from topo.catalog import Catalog
from topo.errors import Problem
from topo.model import Fabric, Placement, SolverInfo
from topo.placement.cuts import FloorCut
from topo.placement.optimize import PlacementReport
from topo.power import power_diagnostics, power_summary
from topo.scenario import Scenario
from topo.sourcing import BomItem, bom_items, sourcing_diagnostics, sourcing_summary
from topo.summary import PlanSummary

__all__ = [
    "CHANGE_ACTIONS",
    "TRAY_WIDTHS_MM",
    "CableChange",
    "Changes",
    "Plan",
    "SegmentFill",
    "tray_fill",
    "widening_problems",
]

CHANGE_ACTIONS = ("keep", "add", "remove", "reroute")
"""What happens to a cable of either plan when a plan builds on an installed one."""


@dataclass(frozen=True, slots=True)
class CableChange:
    """One cable of the installed plan or of the new one, and what happens to it.

    Attributes:
        action: ``keep`` (installed, stays as it is), ``add`` (new cable), ``remove``
            (installed, taken out), ``reroute`` (installed ends, new route or media).
        phase: work phase: 0 nothing to do (kept), 1 removal, 2 pull (then terminate).
        route: tray route as ``cables.csv`` writes it (the new plan's, the installed one's
            for a removal).
        tray_run: the first tray of the route ('' inside one rack).
        row: the row of the A-end rack.
    """

    cable_id: str
    action: str
    phase: int
    label: str
    a_rack: str
    a_u: int
    a_device: str
    a_port: str
    b_rack: str
    b_u: int
    b_device: str
    b_port: str
    media: str
    stock_mm: int
    tray_run: str
    row: str
    route: str


@dataclass(frozen=True, slots=True)
class Changes:
    """How a plan differs from the installed plan it builds on.

    Attributes:
        relative_to: the installed plan's scenario name.
        cables: every cable of either plan, sorted by cable id.
    """

    relative_to: str
    cables: tuple[CableChange, ...]

    def counts(self) -> dict[str, int]:
        """Cables by action, every action named."""
        by = Counter(c.action for c in self.cables)
        return {a: by.get(a, 0) for a in CHANGE_ACTIONS}


@dataclass(frozen=True, slots=True)
class SegmentFill:
    """How full one tray segment is."""

    segment: Segment
    cables: int
    cable_area_mm2: float

    @property
    def fill(self) -> float:
        return self.cable_area_mm2 / self.segment.area_mm2

    @property
    def over_mm2(self) -> float:
        """Cable area beyond the fill limit (0 when within it)."""
        return max(0.0, self.cable_area_mm2 - self.segment.capacity_mm2)

    @property
    def over(self) -> bool:
        return self.cable_area_mm2 > self.segment.capacity_mm2 + 1e-9


def tray_fill(
    graph: PathwayGraph, cables: Sequence[Cable], area_of: dict[str, float]
) -> tuple[SegmentFill, ...]:
    """Fill of every tray segment from the cables routed through it.

    Args:
        area_of: cable cross-section in mm² by media id.
    """
    n = len(graph.segments)
    routed = [c for c in cables if c.segments]
    # every segment of every cable, in cable order, with the cable's cross-section
    lens = np.fromiter((len(c.segments) for c in routed), dtype=np.int64, count=len(routed))
    total = int(lens.sum())
    ix = np.fromiter(
        itertools.chain.from_iterable(c.segments for c in routed), dtype=np.int64, count=total
    )
    area = np.fromiter(
        (area_of[c.media] if c.media else 0.0 for c in routed),
        dtype=np.float64,
        count=len(routed),
    )
    weight = np.repeat(area, lens)
    counts = np.bincount(ix, minlength=n) if len(ix) else np.zeros(n, dtype=np.int64)
    areas = np.bincount(ix, weights=weight, minlength=n) if len(ix) else np.zeros(n)
    return tuple(
        SegmentFill(s, int(counts[s.index]), float(areas[s.index])) for s in graph.segments
    )


FLOOR_BOUND_SCOPE = (
    "every placement of the switches in their candidate racks (rack space ignored), "
    "every routing, each link in the thinnest media of its speed"
)

THIN_MEDIA_SCOPE = (
    "each moved cable against the cheapest media for its length, on the same route, "
    "before any domestic-share change"
)


def thin_media_summary(thinned: Mapping[str, tuple[str, str, int]]) -> dict[str, Any]:
    """``summary.thin_media`` of the links moved to thinner media (see ``Plan.thinned``):
    how many, what they add, and how many by change of media."""
    by = Counter(f"{was} to {got}" for was, got, _ in thinned.values())
    return {
        "cables": len(thinned),
        "extra_cost_usd": round(sum(c for _, _, c in thinned.values()) / 100, 2),
        "by_media": dict(sorted(by.items())),
        "relative_to": THIN_MEDIA_SCOPE,
    }


@dataclass(frozen=True, eq=False)
class Plan:
    """A complete cabling plan.

    Attributes:
        placement: every device with its rack and U.
        cables: one per link, in link order; unrouted cables included and flagged.
        fills: fill of every tray segment.
        lower_bound_mm: total cable length no plan on this floor can beat.
        problems: cables that could not be routed or given media, tray overflows.
        notes: sizing and placement decisions worth knowing.
    """

    scenario: Scenario
    floor: Floor
    catalog: Catalog
    pathways: PathwayGraph
    fabric: Fabric
    placement: Placement
    cables: tuple[Cable, ...]
    fills: tuple[SegmentFill, ...]
    solver: SolverInfo
    lower_bound_mm: int
    problems: tuple[Problem, ...]
    notes: tuple[str, ...] = ()
    lower_bound_cost_cents: int = 0
    placement_report: PlacementReport | None = None
    shared_segments: dict[str, tuple[int, ...]] = field(default_factory=dict)
    changes: Changes | None = None
    floor_cut: FloorCut | None = None
    """A line across the floor no placement can carry (see :mod:`topo.placement.cuts`)."""
    thinned: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    """Links moved to thinner media where the trays were full: the media their length
    calls for, the media they got, and what that adds (cents)."""

    @cached_property
    def total_length_mm(self) -> int:
        return sum(c.length_mm for c in self.cables if c.status == "ok")

    @cached_property
    def overflows(self) -> tuple[SegmentFill, ...]:
        return tuple(f for f in self.fills if f.over)

    @property
    def length_gap(self) -> float:
        """(total length - bound) / bound."""
        if self.lower_bound_mm <= 0:
            return 0.0
        return (self.total_length_mm - self.lower_bound_mm) / self.lower_bound_mm

    @cached_property
    def cable_cost_cents(self) -> int:
        return sum(c.cost_cents for c in self.cables if c.status == "ok")

    @property
    def cost_gap(self) -> float:
        """(cable cost - cost bound) / cost bound."""
        if self.lower_bound_cost_cents <= 0:
            return 0.0
        b = self.lower_bound_cost_cents
        return (self.cable_cost_cents - b) / b

    @property
    def gap(self) -> float:
        """Relative gap of the objective the solver minimised (cost or length)."""
        return self.cost_gap if self.solver.objective == "cost" else self.length_gap

    @cached_property
    def switch_cost_cents(self) -> int:
        return sum(round(d.cost_usd * 100) for d in self.placement.devices if d.role != "server")

    @cached_property
    def bom(self) -> tuple[BomItem, ...]:
        """The network bill of materials, in ``bom.csv`` order."""
        return tuple(bom_items(self.catalog, self.placement.devices, self.cables))

    @cached_property
    def summary(self) -> PlanSummary:
        """The figures other tools rely on: ``plan.json``'s ``summary``."""
        return PlanSummary.model_validate(self._summary_data())

    def _summary_data(self) -> dict[str, Any]:
        devices = Counter(d.role for d in self.placement.devices)
        ok = [c for c in self.cables if c.status == "ok"]
        by_tier = Counter(c.tier for c in self.cables)
        by_media = Counter(c.media for c in ok)
        cable_cost = self.cable_cost_cents
        return {
            "scenario": self.scenario.name,
            "devices": dict(sorted(devices.items())),
            "links": len(self.fabric.links),
            "cables": len(self.cables),
            "cables_by_tier": dict(sorted(by_tier.items())),
            "cables_by_media": dict(sorted(by_media.items())),
            "total_length_m": round(self.total_length_mm / 1000, 3),
            "total_stock_length_m": round(sum(c.stock_mm for c in ok) / 1000, 3),
            "lower_bound_length_m": round(self.lower_bound_mm / 1000, 3),
            "max_tray_fill": round(max((f.fill for f in self.fills), default=0.0), 4),
            "trays_over_limit": len(self.overflows),
            "unrouted": sum(1 for c in self.cables if c.status != "ok"),
            "cost_usd": round((cable_cost + self.switch_cost_cents) / 100, 2),
            "cable_cost_usd": round(cable_cost / 100, 2),
            "switch_cost_usd": round(self.switch_cost_cents / 100, 2),
            "optics_power_w": round(sum(c.power_w for c in ok), 1),
            "fabrics": self._by_fabric(),
            "lower_bound_cost_usd": round(self.lower_bound_cost_cents / 100, 2),
            "overflow_mm2": round(sum(f.over_mm2 for f in self.overflows), 1),
            "solver": {
                "status": self.solver.status,
                "method": self.solver.method,
                "objective": self.solver.objective,
                "gap": round(self.gap, 6),
                "length_gap": round(self.length_gap, 6),
                "cost_gap": round(self.cost_gap, 6),
                "bound_source": self.solver.bound_source,
                "bound_scope": "placement",
                "iterations": self.solver.iterations,
                "time_limit_hit": self.solver.time_limit_hit,
            },
            "placement": self._placement_summary(),
            "power": power_summary(self.floor, self.placement.devices, self.cables),
            **(
                {"sourcing": sourcing}
                if (sourcing := sourcing_summary(self.scenario.options.sourcing, self.bom))
                else {}
            ),
            **(
                {"changes": {**self.changes.counts(), "relative_to": self.changes.relative_to}}
                if self.changes is not None
                else {}
            ),
            **({"floor_bound": self._floor_bound()} if self.floor_cut is not None else {}),
            **({"thin_media": self._thin_media()} if self.thinned else {}),
        }

    def _thin_media(self) -> dict[str, Any]:
        return thin_media_summary(self.thinned)

    def _floor_bound(self) -> dict[str, Any]:
        cut = self.floor_cut
        assert cut is not None
        return {
            "axis": cut.axis,
            "at_m": cut.at_m,
            "segments": list(cut.segments),
            "capacity_mm2": round(cut.capacity_mm2, 1),
            "least_mm2": round(cut.least_mm2, 1),
            "over_mm2": round(cut.over_mm2, 1),
            "ratio": round(cut.ratio, 4),
            "relative_to": FLOOR_BOUND_SCOPE,
        }

    def _sourcing(self) -> dict[str, Any] | None:
        return sourcing_summary(self.scenario.options.sourcing, self.bom)

    def _by_fabric(self) -> dict[str, Any]:
        """Per network: kind, tiers, devices by role (servers it connects included),
        links and cables by tier."""
        infos = self.fabric.parts or ()
        names = [i.name for i in infos] or [self.fabric.name]
        out: dict[str, Any] = {}
        roles: dict[str, Counter[str]] = {n: Counter() for n in names}
        for d in self.placement.devices:
            if d.fabric in roles:
                roles[d.fabric][d.role] += 1
        servers: dict[str, set[str]] = {n: set() for n in names}
        links: Counter[str] = Counter()
        index = self.placement.device_index()
        for link in self.fabric.links:
            links[link.fabric] += 1
            dev = index.get(link.a.device)
            if dev is not None and dev.role == "server" and link.fabric in servers:
                servers[link.fabric].add(dev.id)
        tiers: dict[str, Counter[str]] = {n: Counter() for n in names}
        for c in self.cables:
            if c.fabric in tiers:
                tiers[c.fabric][c.tier] += 1
        kinds = {i.name: (i.kind, i.tiers) for i in infos}
        shapes = {i.name: i.shape for i in infos}
        for n in names:
            devices = roles[n]
            if servers[n]:
                devices["server"] = len(servers[n])
            kind, n_tiers = kinds.get(n, ("", 0))
            out[n] = {
                "kind": kind,
                "tiers": n_tiers,
                "devices": dict(sorted(devices.items())),
                "links": links[n],
                "cables_by_tier": dict(sorted(tiers[n].items())),
            }
            if shapes.get(n):
                out[n]["shape"] = dict(shapes[n])
        return out

    def _placement_summary(self) -> dict[str, Any]:
        r = self.placement_report
        out: dict[str, Any] = {"method": self.placement.method}
        if r is not None:
            unit = "m" if r.objective == "length" else "usd"
            out.update(
                {
                    "free_devices": r.free_devices,
                    f"naive_{unit}": round(r.naive, 2),
                    f"chosen_{unit}": round(r.chosen, 2),
                    "saving_pct": round(r.saving_pct, 3),
                    "rounds": r.rounds,
                }
            )
            if r.fill_before is not None and r.fill_after is not None:
                out["max_tray_fill_before"] = round(r.fill_before, 4)
                out["max_tray_fill_after"] = round(r.fill_after, 4)
        return out

    @cached_property
    def diagnostics(self) -> tuple[Problem, ...]:
        """Problems worth a user's attention: unroutable cables, overfull trays."""
        out = list(self.problems)
        for f in self.overflows:
            s = f.segment
            mean = f.cable_area_mm2 / f.cables if f.cables else 0.0
            extra = math.ceil(f.over_mm2 / mean - 1e-9) if mean else 0
            out.append(
                Problem(
                    f"trays.{s.id}",
                    f"tray segment {s.id!r} would be {f.fill:.0%} full, limit "
                    f"{s.fill_limit:.0%}: {f.cables} cables, {f.over_mm2:.0f} mm² over "
                    f"(about {extra} cables too many)",
                    round(f.fill, 4),
                )
            )
        out.extend(widening_problems(self.floor, self.overflows))
        out.extend(power_diagnostics(self.floor, self.placement.devices, self.cables))
        out.extend(sourcing_diagnostics(self.scenario.options.sourcing, self.bom))
        segs = self.pathways.segments
        for key, shared in sorted(self.shared_segments.items()):
            names = ", ".join(repr(segs[i].id) for i in shared[:8])
            more = f" and {len(shared) - 8} more" if len(shared) > 8 else ""
            out.append(
                Problem(
                    f"redundancy.{key}",
                    f"redundant links {key!r} share tray segments {names}{more}: "
                    "no route keeps them apart",
                    len(shared),
                )
            )
        return tuple(out)


TRAY_WIDTHS_MM = (150, 300, 450, 600, 750, 900)
"""Standard tray widths a widening suggestion picks from."""


def widening_problems(floor: Floor, overflows: Sequence[SegmentFill]) -> list[Problem]:
    """One suggestion per overflowing tray: the standard width that would hold its worst
    segment at the same depth and fill limit (or how much area is missing past 900 mm).

    Example:
        >>> from layouts.model import Floor, Tray
        >>> from layouts.pathways import Segment
        >>> t = Tray(id="T-B", path=((0, 0), (5, 0)), width=0.3, depth=0.1)
        >>> fl = Floor(outline=((0, 0), (6, 0), (6, 1), (0, 1)), trays=(t,))
        >>> s = Segment("T-B.001", 0, "T-B", 0, 5000, t.area_mm2, 0.4, (0, 0), (5, 0), 2.7)
        >>> [p.message for p in widening_problems(fl, [SegmentFill(s, 2000, 14000.0)])]
        ["widen 'T-B' from 300 mm to 450 mm: its fullest segment 'T-B.001' holds 14000 mm² of cable, 12000 mm² allowed"]
    """  # noqa: E501
    trays = {t.id: t for t in floor.trays}
    worst: dict[str, SegmentFill] = {}
    for f in overflows:
        cur = worst.get(f.segment.tray)
        if cur is None or f.cable_area_mm2 > cur.cable_area_mm2:
            worst[f.segment.tray] = f
    out = []
    for tray_id, f in sorted(worst.items()):
        t = trays[tray_id]
        s = f.segment
        width = round(t.width * 1000)
        need_mm = f.cable_area_mm2 / (s.fill_limit * t.depth * 1000)
        fits = [w for w in TRAY_WIDTHS_MM if w >= need_mm - 1e-9 and w > width]
        head = (
            f"widen {tray_id!r} from {width} mm to {fits[0]} mm"
            if fits
            else f"{tray_id!r} needs {need_mm:.0f} mm of width at {round(t.depth * 1000)} mm "
            f"depth, more than a {TRAY_WIDTHS_MM[-1]} mm tray: add a parallel tray"
        )
        out.append(
            Problem(
                f"trays.{tray_id}",
                f"{head}: its fullest segment {s.id!r} holds {f.cable_area_mm2:.0f} mm² of "
                f"cable, {s.capacity_mm2:.0f} mm² allowed",
                fits[0] if fits else round(need_mm),
            )
        )
    return out
