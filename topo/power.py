"""Power and cooling: the IT power of every rack, row and the hall against the floor's budgets.

IT power is what the racks draw: servers, switches and appliances at their catalog
power, and the optics and active cables of every cable (half of a cable's power at
each end's rack). The floor may give three limits, each optional:

- ``rows[].cooling``: ``air`` or ``liquid``, with ``rows[].cooling_kw`` the heat the
  cooling removes from one rack (air default 40 kW); a rack takes at most
  ``min(power_kw, cooling_kw)``, and a ``cooling: liquid`` catalog model (an NVL72
  rack) stands only in a liquid-cooled row;
- ``rows[].power_budget_kw``: what the row's busway or PDUs supply to all its racks;
- ``floor.power_budget_kw``: what the hall supplies.

Steps:

1. :func:`rack_loads` adds up the IT power of every rack by kind (servers, switches,
   optics).
2. :func:`check_power` checks the devices the scenario dictates (servers, top-of-rack
   leaves, switches pinned to racks) before anything is routed: a device that needs
   liquid cooling in an air row, a rack over its cooling limit, a row or the hall over
   its budget. Each is an :class:`~topo.errors.InfeasibleError` problem naming the rack
   or row, the need and the capacity in kW. Server groups without ``per_rack`` already
   stop at the cooling limit (:mod:`topo.fabric.servers`).
3. :func:`power_summary` reports the plan's totals (``summary.power`` in ``plan.json``)
   and :func:`power_diagnostics` names a rack that the plan's placed switches and chosen
   optics push over its cooling, or a row or the hall over its budget (a diagnostic:
   the plan is still an answer).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from layouts.model import Floor
from topo.cables import Cable
from topo.catalog import Catalog
from topo.errors import InfeasibleError, Problem
from topo.model import Device

__all__ = ["RackLoad", "check_power", "power_diagnostics", "power_summary", "rack_loads"]


@dataclass(frozen=True, slots=True)
class RackLoad:
    """IT power drawn in one rack, watts, by kind."""

    servers_w: float = 0.0
    switches_w: float = 0.0
    optics_w: float = 0.0

    @property
    def total_w(self) -> float:
        return self.servers_w + self.switches_w + self.optics_w

    def __add__(self, other: RackLoad) -> RackLoad:
        return RackLoad(
            self.servers_w + other.servers_w,
            self.switches_w + other.switches_w,
            self.optics_w + other.optics_w,
        )


def rack_loads(devices: Iterable[Device], cables: Iterable[Cable] = ()) -> dict[str, RackLoad]:
    """IT power per rack id: devices with a rack, and half of each routed cable's power
    at each end's rack.

    Example:
        >>> d = [Device("srv-A01-01", "server", "n", 8, 10200.0, rack="A01"),
        ...      Device("leaf-A01", "leaf", "s", 1, 750.0, rack="A01")]
        >>> rack_loads(d)["A01"].total_w
        10950.0
    """
    servers: dict[str, float] = defaultdict(float)
    switches: dict[str, float] = defaultdict(float)
    optics: dict[str, float] = defaultdict(float)
    for d in devices:
        if d.rack is None:
            continue
        (servers if d.role == "server" else switches)[d.rack] += d.power_w
    for c in cables:
        if c.status != "ok" or not c.power_w:
            continue
        optics[c.a_rack] += c.power_w / 2
        optics[c.b_rack] += c.power_w / 2
    return {
        r: RackLoad(servers[r], switches[r], optics[r])
        for r in sorted(set(servers) | set(switches) | set(optics))
    }


def _kw(w: float) -> str:
    return f"{w / 1000:,.1f} kW"


def _parts(load: RackLoad) -> str:
    parts = [("servers", load.servers_w), ("switches", load.switches_w)]
    parts.append(("optics", load.optics_w))
    return ", ".join(f"{name} {w / 1000:,.1f}" for name, w in parts if w)


def _cooled(cooling: str | None) -> str:
    return f"{cooling}-cooled " if cooling else ""


def _needs_liquid(d: Device, catalog: Catalog) -> bool:
    model = catalog.server_index.get(d.model) or catalog.switch_index.get(d.model)
    return model is not None and model.cooling == "liquid"


def _budget_problems(
    floor: Floor,
    loads: dict[str, RackLoad],
    what: str,
    servers: Sequence[Device] = (),
) -> list[Problem]:
    """Rows and the hall whose ``loads`` exceed their budgets; ``what`` says which
    devices were counted. With ``servers``, each problem says how many of the most
    power-hungry server there would bring it within its budget."""
    out: list[Problem] = []
    racks = floor.rack_index
    by_row_servers: dict[str, list[Device]] = defaultdict(list)
    for d in servers:
        by_row_servers[racks[d.rack or ""].row].append(d)

    def fewer(over_w: float, row: str | None) -> str:
        mine = list(servers) if row is None else by_row_servers.get(row, [])
        if not mine or over_w <= 0:
            return ""
        top = max(mine, key=lambda d: (d.power_w, d.model))
        n = math.ceil(over_w / top.power_w - 1e-9) if top.power_w else 0
        if not n or n > sum(1 for d in mine if d.model == top.model):
            return ""
        return f" (within it with {n} fewer {top.model!r}, {top.power_w / 1000:g} kW each)"

    by_row: dict[str, RackLoad] = defaultdict(RackLoad)
    for rack_id, load in loads.items():
        by_row[racks[rack_id].row] += load
    hall = RackLoad()
    for row in floor.rows:
        load = by_row.get(row.id, RackLoad())
        hall += load
        budget = row.power_budget_kw
        if budget is not None and load.total_w > budget * 1000 + 1e-6:
            out.append(
                Problem(
                    f"floor.rows.{row.id}.power_budget_kw",
                    f"row {row.id!r} needs {_kw(load.total_w)} of IT power ({what}: "
                    f"{_parts(load)}), budget {budget:,g} kW: "
                    f"{_kw(load.total_w - budget * 1000)} over"
                    + fewer(load.total_w - budget * 1000, row.id),
                    round(load.total_w / 1000, 3),
                )
            )
    budget = floor.power_budget_kw
    if budget is not None and hall.total_w > budget * 1000 + 1e-6:
        out.append(
            Problem(
                "floor.power_budget_kw",
                f"hall {floor.name!r} needs {_kw(hall.total_w)} of IT power ({what}: "
                f"{_parts(hall)}), budget {budget:,g} kW: "
                f"{_kw(hall.total_w - budget * 1000)} over"
                + fewer(hall.total_w - budget * 1000, None),
                round(hall.total_w / 1000, 3),
            )
        )
    return out


def check_power(floor: Floor, devices: Sequence[Device], catalog: Catalog) -> None:
    """Check the devices already in racks against the floor's cooling and budgets.

    Raises:
        InfeasibleError: every problem at once (see the module docstring, step 2).

    Example:
        >>> from layouts.model import RackRow
        >>> from topo.catalog import builtin_catalog
        >>> floor = Floor(outline=((0, 0), (9, 0), (9, 4), (0, 4)),
        ...     rows=(RackRow(id="A", origin=(1, 1), count=2, power_kw=150, cooling="air"),))
        >>> d = [Device("srv-A01-01", "server", "nvl72-gb300-rack", 44, 140000.0, rack="A01")]
        >>> check_power(floor, d, builtin_catalog())
        Traceback (most recent call last):
        ...
        topo.errors.InfeasibleError: floor.rows.A.cooling: 'nvl72-gb300-rack' in rack 'A01' needs liquid cooling; row 'A' is air-cooled
    """  # noqa: E501
    problems: list[Problem] = []
    racks = floor.rack_index
    seen: set[tuple[str, str]] = set()
    too_warm: set[str] = set()  # air-cooled racks holding a liquid-cooled device
    for d in devices:
        if d.rack is None or d.rack not in racks:
            continue
        rack = racks[d.rack]
        if rack.cooling != "air" or not _needs_liquid(d, catalog):
            continue
        too_warm.add(rack.id)
        if (d.model, rack.row) not in seen:
            seen.add((d.model, rack.row))
            problems.append(
                Problem(
                    f"floor.rows.{rack.row}.cooling",
                    f"{d.model!r} in rack {rack.id!r} needs liquid cooling; row "
                    f"{rack.row!r} is air-cooled",
                    d.model,
                )
            )
    loads = rack_loads(d for d in devices if d.rack in racks)
    for rack_id, load in loads.items():
        rack = racks[rack_id]
        if rack.cooling_kw is None or load.total_w <= rack.cooling_kw * 1000 + 1e-6:
            continue
        if rack_id in too_warm:
            continue  # reported above
        problems.append(
            Problem(
                f"floor.racks.{rack_id}",
                f"rack {rack_id!r} needs {_kw(load.total_w)} ({_parts(load)}), but its "
                f"{_cooled(rack.cooling)}row {rack.row!r} removes {rack.cooling_kw:,g} kW "
                "per rack",
                round(load.total_w / 1000, 3),
            )
        )
    placed = [d for d in devices if d.role == "server" and d.rack in racks]
    problems.extend(_budget_problems(floor, loads, "servers and switches in fixed racks", placed))
    if problems:
        raise InfeasibleError(problems)


def power_diagnostics(
    floor: Floor, devices: Sequence[Device], cables: Sequence[Cable]
) -> list[Problem]:
    """Racks over their cooling, and rows and the hall over their budgets, with the
    plan's placed devices and chosen cables (see the module docstring, step 3)."""
    if floor.power_budget_kw is None and all(
        r.power_budget_kw is None and r.rack_cooling_kw is None for r in floor.rows
    ):
        return []
    racks = floor.rack_index
    loads = {k: v for k, v in rack_loads(devices, cables).items() if k in racks}
    out = [
        Problem(
            f"floor.racks.{rack_id}",
            f"rack {rack_id!r} needs {_kw(load.total_w)} as planned ({_parts(load)}), but "
            f"its {_cooled(racks[rack_id].cooling)}row {racks[rack_id].row!r} removes "
            f"{cooling_kw:,g} kW per rack",
            round(load.total_w / 1000, 3),
        )
        for rack_id, load in loads.items()
        if (cooling_kw := racks[rack_id].cooling_kw) is not None
        and load.total_w > cooling_kw * 1000 + 1e-6
    ]
    return out + _budget_problems(floor, loads, "as planned")


def power_summary(
    floor: Floor, devices: Sequence[Device], cables: Sequence[Cable]
) -> dict[str, Any]:
    """``summary.power``: the hall's and every row's IT power and budgets, kW.

    ``it_kw`` is servers + switches + optics; ``budget_kw`` is null where the floor sets
    none; each row also gives its ``cooling`` and ``rack_limit_kw`` (the most one rack
    takes: power budget capped by cooling) and its fullest rack.
    """
    racks = floor.rack_index
    loads = {k: v for k, v in rack_loads(devices, cables).items() if k in racks}
    by_row: dict[str, RackLoad] = defaultdict(RackLoad)
    peak: dict[str, tuple[float, str]] = {}
    for rack_id, load in loads.items():
        row_id = racks[rack_id].row
        by_row[row_id] += load
        if load.total_w > peak.get(row_id, (0.0, ""))[0]:
            peak[row_id] = (load.total_w, rack_id)
    rows: dict[str, Any] = {}
    hall = RackLoad()
    for row in floor.rows:
        load = by_row.get(row.id, RackLoad())
        hall += load
        limit = (
            row.power_kw if row.rack_cooling_kw is None else min(row.power_kw, row.rack_cooling_kw)
        )
        top_w, top_rack = peak.get(row.id, (0.0, ""))
        rows[row.id] = {
            **_figures(load),
            "budget_kw": row.power_budget_kw,
            "cooling": row.cooling,
            "rack_limit_kw": limit,
            "max_rack_kw": round(top_w / 1000, 3),
            "max_rack": top_rack,
        }
    return {**_figures(hall), "budget_kw": floor.power_budget_kw, "rows": rows}


def _figures(load: RackLoad) -> dict[str, float]:
    return {
        "it_kw": round(load.total_w / 1000, 3),
        "servers_kw": round(load.servers_w / 1000, 3),
        "switches_kw": round(load.switches_w / 1000, 3),
        "optics_kw": round(load.optics_w / 1000, 3),
    }
