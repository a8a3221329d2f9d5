"""An index of one done plan for the viewer: cables by rack, by tray segment, by tier.

A plan's files are parsed once (``cables.csv``, ``trays.csv``, the devices of
``plan.json``) into lists and dictionaries the viewer's JSON routes answer from, so a
plan of 100,000 cables answers "every cable of rack A01" without reading its files again.
:class:`PlanIndexCache` keeps the few most recently used indexes; a done plan never
changes, so an index never goes stale (a deleted plan's index is dropped by its id).

A cable's route is stored in ``cables.csv`` as runs of one tray (:func:`expand_route`)::

    >>> expand_route("T-A.001 > X-01.001 > T-B.003..001")
    ('T-A.001', 'X-01.001', 'T-B.003', 'T-B.002', 'T-B.001')
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CABLE_FIELDS",
    "PlanIndex",
    "PlanIndexCache",
    "build_plan_index",
    "expand_route",
]

CABLE_FIELDS: tuple[str, ...] = (
    "cable_id",
    "label",
    "status",
    "fabric",
    "tier",
    "speed_gbps",
    "a_rack",
    "a_device",
    "a_port",
    "b_rack",
    "b_device",
    "b_port",
    "media",
    "length_m",
    "cost_usd",
    "tray_route",
)
"""The columns of ``cables.csv`` the viewer shows, in this order."""


def expand_route(route: str) -> tuple[str, ...]:
    """Every tray segment id of a compact route, in path order (see the module example)."""
    if not route:
        return ()
    out: list[str] = []
    for part in route.split(" > "):
        head, sep, last = part.partition("..")
        if not sep:
            out.append(head)
            continue
        tray, _, first = head.rpartition(".")
        if not (first.isdigit() and last.isdigit()):
            out.extend((head, f"{tray}.{last}"))
            continue
        width, lo, hi = len(first), int(first), int(last)
        step = 1 if hi >= lo else -1
        out.extend(f"{tray}.{k:0{width}d}" for k in range(lo, hi + step, step))
    return tuple(out)


@dataclass(slots=True)
class PlanIndex:
    """One plan's cables, devices and tray segments, indexed for the viewer.

    ``cables`` holds one tuple a cable (the :data:`CABLE_FIELDS`), in cable-id order;
    the other maps hold positions into it.
    """

    cables: list[tuple[str, ...]] = field(default_factory=list)
    routes: list[tuple[str, ...]] = field(default_factory=list)
    by_id: dict[str, int] = field(default_factory=dict)
    by_rack: dict[str, list[int]] = field(default_factory=dict)
    by_segment: dict[str, list[int]] = field(default_factory=dict)
    by_group: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    devices: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    segments: dict[str, dict[str, str]] = field(default_factory=dict)
    _usage: dict[tuple[str | None, str | None], dict[str, Any]] = field(default_factory=dict)

    def usage(self, *, fabric: str | None, tier: str | None) -> dict[str, Any]:
        """How many cables of ``fabric`` and ``tier`` (None: any) run through each segment,
        the racks they end in and how many they are; remembered per fabric and tier."""
        key = (fabric, tier)
        found = self._usage.get(key)
        if found is None:
            positions = [
                p
                for (f, t), group in sorted(self.by_group.items())
                if (fabric is None or f == fabric) and (tier is None or t == tier)
                for p in group
            ]
            found = {
                "total": len(positions),
                "segments": self.segment_counts(positions),
                "racks": self.racks_of(positions),
            }
            self._usage[key] = found
        return found

    def cable(self, position: int) -> dict[str, Any]:
        """One cable as a JSON object, with its route's segments."""
        data: dict[str, Any] = dict(zip(CABLE_FIELDS, self.cables[position], strict=True))
        data["segments"] = list(self.routes[position])
        return data

    def select(self, positions: list[int], *, fabric: str | None, tier: str | None) -> list[int]:
        """The positions of cables in ``fabric`` and ``tier`` (None: any)."""
        if fabric is None and tier is None:
            return positions
        fi, ti = CABLE_FIELDS.index("fabric"), CABLE_FIELDS.index("tier")
        return [
            p
            for p in positions
            if (fabric is None or self.cables[p][fi] == fabric)
            and (tier is None or self.cables[p][ti] == tier)
        ]

    def segment_counts(self, positions: list[int]) -> dict[str, int]:
        """How many of these cables run through each segment, by segment id (sorted)."""
        counts: dict[str, int] = {}
        for p in positions:
            for seg in self.routes[p]:
                counts[seg] = counts.get(seg, 0) + 1
        return dict(sorted(counts.items()))

    def racks_of(self, positions: list[int]) -> list[str]:
        """The racks at either end of these cables, sorted."""
        ai, bi = CABLE_FIELDS.index("a_rack"), CABLE_FIELDS.index("b_rack")
        racks = {self.cables[p][ai] for p in positions} | {self.cables[p][bi] for p in positions}
        racks.discard("")
        return sorted(racks)

    def search(self, text: str) -> list[int]:
        """Cables whose id or label contains ``text`` (case-insensitive), exact id first."""
        needle = text.strip().casefold()
        if not needle:
            return []
        exact = self.by_id.get(text.strip().upper())
        hits = [
            p
            for p, row in enumerate(self.cables)
            if needle in row[0].casefold() or needle in row[1].casefold()
        ]
        if exact is not None:
            hits = [exact, *(p for p in hits if p != exact)]
        return hits


def build_plan_index(files: Callable[[str], bytes | None]) -> PlanIndex:
    """Index a plan from its files, ``files(name)`` giving a file's bytes (None: missing).

    Raises:
        ValueError: ``cables.csv`` is missing or lacks a column the viewer needs.
    """
    raw = files("cables.csv")
    if raw is None:
        raise ValueError("the plan has no cables.csv")
    index = PlanIndex()
    reader = csv.reader(io.StringIO(raw.decode("utf-8")))
    header = next(reader, [])
    missing = [name for name in CABLE_FIELDS if name not in header]
    if missing:
        raise ValueError(f"cables.csv lacks the column(s) {', '.join(missing)}")
    columns = [header.index(name) for name in CABLE_FIELDS]
    route_col = header.index("tray_route")
    expanded: dict[str, tuple[str, ...]] = {}
    for row in reader:
        if not row:
            continue
        position = len(index.cables)
        cable = tuple(row[c] for c in columns)
        route = row[route_col]
        segs = expanded.get(route)
        if segs is None:
            segs = expanded[route] = expand_route(route)
        index.cables.append(cable)
        index.routes.append(segs)
        index.by_id[cable[0]] = position
        a_rack, b_rack = cable[6], cable[9]
        index.by_rack.setdefault(a_rack, []).append(position)
        if b_rack != a_rack:
            index.by_rack.setdefault(b_rack, []).append(position)
        index.by_group.setdefault((cable[3], cable[4]), []).append(position)
        for seg in segs:
            index.by_segment.setdefault(seg, []).append(position)
    plan_json = files("plan.json")
    if plan_json is not None:
        for device in json.loads(plan_json).get("devices", []):
            index.devices.setdefault(str(device.get("rack", "")), []).append(device)
    trays = files("trays.csv")
    if trays is not None:
        for tray_row in csv.DictReader(io.StringIO(trays.decode("utf-8"))):
            index.segments[tray_row["segment"]] = tray_row
    return index


class PlanIndexCache:
    """The indexes of the most recently used plans, at most ``size``; thread-safe.

    Two requests for one plan's index at once build it once: the second waits.
    """

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[str, PlanIndex] = OrderedDict()
        self._building: dict[str, threading.Lock] = {}

    def get(self, plan_id: str, files: Callable[[str], bytes | None]) -> PlanIndex:
        """The index of ``plan_id``, built from ``files`` when not cached."""
        with self._lock:
            found = self._items.get(plan_id)
            if found is not None:
                self._items.move_to_end(plan_id)
                return found
            building = self._building.setdefault(plan_id, threading.Lock())
        with building:
            with self._lock:
                found = self._items.get(plan_id)
            if found is not None:
                return found
            index = build_plan_index(files)
            with self._lock:
                self._items[plan_id] = index
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
                self._building.pop(plan_id, None)
            return index

    def drop(self, plan_id: str) -> None:
        """Forget the index of ``plan_id``."""
        with self._lock:
            self._items.pop(plan_id, None)
