"""The Plan: one immutable object holding everything topo decided for a scenario.

Every export (CSV, JSON, drawings, API answers) is a view of a :class:`Plan`. The
:attr:`Plan.summary` mapping is the contract other tools read from ``plan.json``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from layouts.model import Floor
from layouts.pathways import PathwayGraph, Segment
from topo.cables import Cable
from topo.catalog import Catalog
from topo.errors import Problem
from topo.model import Fabric, Placement
from topo.routing import SolverInfo
from topo.scenario import Scenario

__all__ = ["Plan", "SegmentFill", "tray_fill"]


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
    idx: list[int] = []
    weight: list[float] = []
    for c in cables:
        if c.segments:
            a = area_of[c.media] if c.media else 0.0
            idx.extend(c.segments)
            weight.extend([a] * len(c.segments))
    ix = np.asarray(idx, dtype=np.int64)
    counts = np.bincount(ix, minlength=n) if len(ix) else np.zeros(n, dtype=np.int64)
    areas = np.bincount(ix, weights=np.asarray(weight), minlength=n) if len(ix) else np.zeros(n)
    return tuple(
        SegmentFill(s, int(counts[s.index]), float(areas[s.index])) for s in graph.segments
    )


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

    @cached_property
    def total_length_mm(self) -> int:
        return sum(c.length_mm for c in self.cables if c.status == "ok")

    @cached_property
    def overflows(self) -> tuple[SegmentFill, ...]:
        return tuple(f for f in self.fills if f.over)

    @property
    def gap(self) -> float:
        if self.lower_bound_mm <= 0:
            return 0.0
        return (self.total_length_mm - self.lower_bound_mm) / self.lower_bound_mm

    @cached_property
    def switch_cost_cents(self) -> int:
        return sum(round(d.cost_usd * 100) for d in self.placement.devices if d.role != "server")

    @cached_property
    def summary(self) -> dict[str, Any]:
        """The figures other tools rely on (see the plan.json contract)."""
        devices = Counter(d.role for d in self.placement.devices)
        ok = [c for c in self.cables if c.status == "ok"]
        by_tier = Counter(c.tier for c in self.cables)
        by_media = Counter(c.media for c in ok)
        cable_cost = sum(c.cost_cents for c in ok)
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
            "solver": {
                "status": self.solver.status,
                "method": self.solver.method,
                "gap": round(self.gap, 6),
                "bound_source": self.solver.bound_source,
                "seconds": round(self.solver.seconds, 3),
            },
        }

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
        return out

    @cached_property
    def diagnostics(self) -> tuple[Problem, ...]:
        """Problems worth a user's attention: unroutable cables, overfull trays."""
        out = list(self.problems)
        for f in self.overflows:
            s = f.segment
            out.append(
                Problem(
                    f"trays.{s.id}",
                    f"tray segment {s.id!r} would be {f.fill:.0%} full, limit "
                    f"{s.fill_limit:.0%}: {f.cables} cables, {f.over_mm2:.0f} mm² over",
                    round(f.fill, 4),
                )
            )
        return tuple(out)
