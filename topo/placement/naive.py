"""Placement: give every device of a fabric a rack and a rack unit.

:func:`place_devices` is the naive placement an optimizer is measured against:

1. Devices the fabric already put in a rack (servers, top-of-rack leaves) stay there.
   A device that already has a unit (``u``, from an earlier placement) keeps it. Servers
   fill the rest of the rack from U1 upward in id order; every other device (the rack's
   leaves, its management switch) stacks from the top down in id order, so
   ``leaf-A01-1`` is at the top.
2. Devices without a rack that name a zone (:attr:`~topo.model.Fabric.zones`: the rail
   leaves of a scalable unit, the spines of a pod, pinned spine racks) fill the zone's
   candidate racks in order, best first. End-of-row leaves (``rack=None``, ``group`` = their
   row) go to the network racks of their row, the rack nearest a row end first; a row
   without a network rack sends them to the spine racks instead (with a note).
3. Spines and any other device without a rack go to the spine racks (``spine_racks``,
   else every rack with role ``network``) in rack-id order, each rack filled from the top
   down; the next rack is used when the U or the power of the current one runs out.
4. Every rack is checked: the heights of its devices must fit ``rack.height_u`` and
   their power ``rack.power_kw``. Every overfull rack and every device that fits nowhere
   is reported, together, in one :class:`~topo.errors.InfeasibleError`.

A device's ``u`` is the TOP unit it occupies (U1 is the bottom)::

    U48 | leaf-A01          |  top-down: u = 48
    U47 | (free)            |
     .. |                   |
    U02 | srv-A01-02  (1U)  |  bottom-up: u = 2
    U01 | srv-A01-01  (1U)  |  u = 1 (an 8U server at the bottom has u = 8)
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence, Set
from typing import NamedTuple

from layouts.model import Floor, Rack
from topo.catalog import Catalog
from topo.errors import InfeasibleError, Problem
from topo.model import Device, Fabric, Placement

__all__ = ["place_devices"]

_ROLE_ORDER = {"server": 0, "leaf": 1, "spine": 2, "core": 3, "mgmt": 4, "mgmt-agg": 5}
_PLURAL = {"leaf": "leaves", "switch": "switches", "mgmt": "mgmt switches"}


class _Budgets:
    """Power budgets racks share: each row's (busway, PDUs) and the hall's, in W left;
    rows without a budget and a hall without one are unlimited."""

    __slots__ = ("hall_w", "row_w")

    def __init__(self, floor: Floor) -> None:
        self.row_w = {
            row.id: row.power_budget_kw * 1000
            for row in floor.rows
            if row.power_budget_kw is not None
        }
        self.hall_w = math.inf if floor.power_budget_kw is None else floor.power_budget_kw * 1000

    def room(self, row: str) -> float:
        return min(self.row_w.get(row, math.inf), self.hall_w)

    def take(self, row: str, w: float) -> None:
        if row in self.row_w:
            self.row_w[row] -= w
        self.hall_w -= w


class _RackFill:
    """What a rack holds so far: which units are taken, and the power drawn.

    ``used_u`` also counts devices that found no free units (so an overfull rack can say
    how many units it would need)."""

    __slots__ = ("budgets", "counts", "power_w", "rack", "taken", "used_u")

    def __init__(self, rack: Rack, budgets: _Budgets) -> None:
        self.rack = rack
        self.budgets = budgets
        self.taken = bytearray(rack.height_u + 2)  # index 1..height; 1 = taken
        self.taken[0] = self.taken[-1] = 1
        self.power_w = 0.0
        self.used_u = 0
        self.counts: Counter[str] = Counter()

    @property
    def limit_w(self) -> float:
        return self.rack.limit_kw * 1000

    @property
    def free_u(self) -> int:
        return self.taken.count(0)

    def _lowest(self, h: int) -> int | None:
        """Top unit of the lowest free run of ``h`` units."""
        run = 0
        for u in range(1, self.rack.height_u + 1):
            run = run + 1 if not self.taken[u] else 0
            if run == h:
                return u
        return None

    def _highest(self, h: int) -> int | None:
        """Top unit of the highest free run of ``h`` units."""
        run = 0
        for u in range(self.rack.height_u, 0, -1):
            run = run + 1 if not self.taken[u] else 0
            if run == h:
                return u + h - 1
        return None

    def fits(self, d: Device) -> bool:
        if self.power_w + d.power_w > self.limit_w:
            return False
        if d.power_w > self.budgets.room(self.rack.row) + 1e-6:
            return False
        return self._highest(d.height_u) is not None

    def take(self, d: Device, top: int) -> bool:
        """Reserve the units of ``d`` with its top at ``top``; False if any is taken."""
        lo = top - d.height_u + 1
        if lo < 1 or top > self.rack.height_u or any(self.taken[lo : top + 1]):
            return False
        self.taken[lo : top + 1] = b"\x01" * d.height_u
        self._count(d)
        return True

    def put_bottom(self, d: Device) -> int | None:
        u = self._lowest(d.height_u)
        return self._put(d, u)

    def put_top(self, d: Device) -> int | None:
        u = self._highest(d.height_u)
        return self._put(d, u)

    def _put(self, d: Device, u: int | None) -> int | None:
        if u is None:
            self.used_u += d.height_u  # does not fit: counted for the message
            self.power_w += d.power_w
            self.budgets.take(self.rack.row, d.power_w)
            self.counts[d.role] += 1
            return None
        self.take(d, u)
        return u

    def _count(self, d: Device) -> None:
        self.power_w += d.power_w
        self.budgets.take(self.rack.row, d.power_w)
        self.used_u += d.height_u
        self.counts[d.role] += 1


def place_devices(
    fabric: Fabric,
    floor: Floor,
    catalog: Catalog,
    *,
    spine_racks: tuple[str, ...] | None = None,
    reserve_u: int = 0,
) -> Placement:
    """Place every device of ``fabric`` in a rack, at a rack unit.

    Args:
        fabric: the logical topology; devices with ``rack`` set stay in that rack.
        floor: the racks, with their height (U), power budget and role.
        catalog: the catalog the fabric was built from (heights and power are read from
            the devices themselves; kept for the optimizing placements to come).
        spine_racks: racks the spines may use; default every rack with role ``network``.
        reserve_u: units kept free at the top of every rack for devices placed later
            (the management switch of each rack).

    Returns:
        A :class:`~topo.model.Placement` with every device placed, sorted by id, method
        ``naive``, and notes saying where the free devices went.

    Raises:
        InfeasibleError: a rack cannot hold its devices (U or power), a device names a
            rack that is not on the floor, or devices without a rack fit nowhere. Every
            problem is listed, each naming the rack, what it needs and what it has.

    Example:
        >>> from layouts.model import Floor, RackRow
        >>> from topo.model import Device, Fabric
        >>> floor = Floor(
        ...     outline=((0, 0), (10, 0), (10, 5), (0, 5)),
        ...     rows=(RackRow(id="A", origin=(1, 1), count=2, roles={2: "network"}),),
        ... )
        >>> fabric = Fabric("f", (
        ...     Device("srv-A01-01", "server", "srv-1u-2x25g", 1, 500.0, rack="A01"),
        ...     Device("srv-A01-02", "server", "srv-1u-2x25g", 1, 500.0, rack="A01"),
        ...     Device("leaf-A01", "leaf", "tor-48x25g-8x100g", 1, 400.0, rack="A01"),
        ...     Device("spine-01", "spine", "sw-32x100g-1u", 1, 450.0),
        ... ), ())
        >>> placed = place_devices(fabric, floor, Catalog())
        >>> [(d.id, d.rack, d.u) for d in placed.devices]  # doctest: +NORMALIZE_WHITESPACE
        [('leaf-A01', 'A01', 48), ('spine-01', 'A02', 48),
         ('srv-A01-01', 'A01', 1), ('srv-A01-02', 'A01', 2)]
    """
    del catalog  # heights and power travel on the devices
    problems: list[Problem] = []
    notes: list[str] = []
    fills = _empty_racks(floor, reserve_u)
    split = _split_by_rack(fabric, floor, fills, problems)
    placed: list[Device] = []
    for rack_id in sorted(split.fixed):
        placed.extend(_place_in_rack(fills[rack_id], split.fixed[rack_id], problems))
    placed.extend(_place_free(fabric, floor, split.free, fills, spine_racks, problems, notes))
    if problems:
        raise InfeasibleError(problems)
    placed.sort(key=lambda d: d.id)
    return Placement(devices=tuple(placed), method="naive", notes=tuple(notes))


# -- steps ------------------------------------------------------------------------------


def _empty_racks(floor: Floor, reserve_u: int) -> dict[str, _RackFill]:
    """Every rack of the floor, empty but for its ``reserve_u`` top units, by id."""
    budgets = _Budgets(floor)
    fills = {r.id: _RackFill(r, budgets) for r in floor.racks}
    if reserve_u:
        for fill in fills.values():
            top = fill.rack.height_u
            fill.taken[max(1, top - reserve_u + 1) : top + 1] = b"\x01" * min(reserve_u, top)
    return fills


class _Split(NamedTuple):
    """The fabric's devices by where the intent puts them."""

    fixed: dict[str, list[Device]]
    """Devices in a rack on the floor, by rack id (in fabric order)."""
    free: list[Device]
    """Devices without a rack (in fabric order)."""


def _split_by_rack(
    fabric: Fabric, floor: Floor, fills: Mapping[str, _RackFill], problems: list[Problem]
) -> _Split:
    """The devices with a rack and those without; a device whose rack is not on the
    floor is a problem."""
    fixed: dict[str, list[Device]] = {}
    free: list[Device] = []
    for d in fabric.devices:
        if d.rack is None:
            free.append(d)
        elif d.rack in fills:
            fixed.setdefault(d.rack, []).append(d)
        else:
            problems.append(
                Problem(
                    f"floor.racks.{d.rack}",
                    f"device {d.id!r} is in rack {d.rack!r}, which is not on floor {floor.name!r}",
                    d.rack,
                )
            )
    return _Split(fixed, free)


def _place_in_rack(
    fill: _RackFill, devices: Sequence[Device], problems: list[Problem]
) -> list[Device]:
    """Step 1 for one rack: devices already at a unit keep it, then servers bottom-up
    and the rest top-down, both in id order; the rack's overlaps and overflows are
    problems."""
    rack_id = fill.rack.id
    devices = sorted(devices, key=lambda d: d.id)
    placed: list[Device] = []
    for d in devices:
        if d.u is not None:
            if fill.take(d, d.u):
                placed.append(d)
            else:
                problems.append(
                    Problem(
                        f"floor.racks.{rack_id}",
                        f"device {d.id!r} at U{d.u} ({d.height_u}U) overlaps another "
                        f"device or leaves rack {rack_id!r} ({fill.rack.height_u}U)",
                        d.u,
                    )
                )
    for d in devices:
        if d.u is None and d.role == "server":
            u = fill.put_bottom(d)
            if u is not None:
                placed.append(_at(d, rack_id, u))
    for d in devices:
        if d.u is None and d.role != "server":
            u = fill.put_top(d)
            if u is not None:
                placed.append(_at(d, rack_id, u))
    problems.extend(_capacity_problems(fill))
    return placed


class _FreeGroups(NamedTuple):
    """Devices without a rack by where they go, each list in role then id order."""

    by_zone: dict[str, list[Device]]
    """Devices naming a zone of the fabric, by zone."""
    by_row: dict[str, list[Device]]
    """End-of-row leaves, by row."""
    rest: list[Device]
    """Everything else: to the spine racks."""


def _group_free(free: Sequence[Device], zones: Mapping[str, object], rows: Set[str]) -> _FreeGroups:
    """Zoned devices, end-of-row leaves (their group is one of ``rows``), the rest."""
    groups = _FreeGroups({}, {}, [])
    for d in sorted(free, key=lambda d: (_ROLE_ORDER.get(d.role, 9), d.id)):
        if d.zone and d.zone in zones:
            groups.by_zone.setdefault(d.zone, []).append(d)
        elif d.role == "leaf" and d.group in rows:
            groups.by_row.setdefault(d.group, []).append(d)
        else:
            groups.rest.append(d)
    return groups


def _place_free(
    fabric: Fabric,
    floor: Floor,
    free: Sequence[Device],
    fills: dict[str, _RackFill],
    spine_racks: tuple[str, ...] | None,
    problems: list[Problem],
    notes: list[str],
) -> list[Device]:
    """Steps 2 and 3: zoned devices to their candidate racks, end-of-row leaves to their
    row's network racks (the spine racks if it has none), the rest to the pool."""
    pool, pool_problem = _pool(floor, spine_racks, fills)
    zones = fabric.zone_index()
    groups = _group_free(free, zones, {row.id for row in floor.rows})
    placed: list[Device] = []
    for zone, devices in groups.by_zone.items():
        racks = [fills[r] for r in zones[zone] if r in fills]
        if not racks:
            problems.append(
                Problem(
                    zone, f"no candidate rack for {_describe(Counter(d.role for d in devices))}"
                )
            )
            continue
        placed.extend(_fill_racks(devices, racks, f"zone {zone!r}", zone, problems, notes))
    orphans: list[Device] = []  # end-of-row leaves of rows without a network rack
    for row, devices in sorted(groups.by_row.items()):
        racks = _row_network_racks(floor, row, fills)
        if not racks:
            notes.append(
                f"row {row!r} has no network rack; its {len(devices)} end-of-row "
                f"{_plural('leaf', len(devices))} go to the spine racks"
            )
            orphans.extend(devices)
            continue
        placed.extend(
            _fill_racks(devices, racks, f"row {row!r}", "fabric.leaf.placement", problems, notes)
        )
    rest = orphans + groups.rest
    if pool_problem is not None:
        problems.append(pool_problem)
    elif rest:
        if not pool:
            problems.append(_no_pool_problem(floor, rest, spine_racks))
        else:
            placed.extend(_fill_racks(rest, pool, "", "fabric.spine.racks", problems, notes))
    return placed


# -- helpers ----------------------------------------------------------------------------


def _at(d: Device, rack: str, u: int) -> Device:
    return Device(
        d.id, d.role, d.model, d.height_u, d.power_w, d.cost_usd, rack, u, d.fabric, d.group,
        d.zone,
    )  # fmt: skip


def _plural(role: str, n: int) -> str:
    if n == 1:
        return role
    return _PLURAL.get(role, role + "s")


def _describe(counts: Counter[str]) -> str:
    """``Counter(server=16, leaf=1)`` -> ``'16 servers and 1 leaf'``.

    >>> _describe(Counter(server=16, leaf=1)), _describe(Counter())
    ('16 servers and 1 leaf', 'no devices')
    """
    roles = sorted((r for r in counts if counts[r]), key=lambda r: (_ROLE_ORDER.get(r, 9), r))
    parts = [f"{counts[r]} {_plural(r, counts[r])}" for r in roles]
    if not parts:
        return "no devices"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _kw(watts: float) -> str:
    return f"{watts / 1000:.1f} kW"


def _capacity_problems(fill: _RackFill) -> list[Problem]:
    rack, what = fill.rack, _describe(fill.counts)
    out = []
    if fill.used_u > rack.height_u:
        out.append(
            Problem(
                f"floor.racks.{rack.id}",
                f"rack {rack.id!r} needs {fill.used_u}U for {what}, has {rack.height_u}U",
                fill.used_u,
            )
        )
    if fill.power_w > fill.limit_w + 1e-6:
        out.append(
            Problem(
                f"floor.racks.{rack.id}",
                f"rack {rack.id!r} needs {_kw(fill.power_w)} for {what}, has {_kw(fill.limit_w)}",
                round(fill.power_w / 1000, 3),
            )
        )
    return out


def _pool(
    floor: Floor, spine_racks: tuple[str, ...] | None, fills: dict[str, _RackFill]
) -> tuple[list[_RackFill], Problem | None]:
    """The racks free devices go to, in id order, and a problem if some are unknown."""
    if spine_racks is None:
        return [fills[r.id] for r in floor.racks if r.role == "network"], None
    unknown = sorted(r for r in set(spine_racks) if r not in fills)
    if unknown:
        names = ", ".join(repr(r) for r in unknown)
        return [], Problem(
            "fabric.spine.racks",
            f"spine racks {names} are not on floor {floor.name!r}",
            unknown[0],
        )
    return [fills[r] for r in sorted(set(spine_racks))], None


def _no_pool_problem(
    floor: Floor, devices: Sequence[Device], spine_racks: tuple[str, ...] | None
) -> Problem:
    what = _describe(Counter(d.role for d in devices))
    if spine_racks is not None:
        return Problem("fabric.spine.racks", f"no spine racks given for {what}", None)
    return Problem(
        "fabric.spine.racks",
        f"floor {floor.name!r} has no rack with role 'network' to hold {what}",
        floor.name,
    )


def _row_network_racks(floor: Floor, row: str, fills: dict[str, _RackFill]) -> list[_RackFill]:
    """A row's network racks, the one nearest a row end first (then by id)."""
    spec = next(r for r in floor.rows if r.id == row)
    racks = [r for r in floor.racks if r.row == row and r.role == "network"]
    racks.sort(key=lambda r: (min(r.position - 1, spec.count - r.position), r.id))
    return [fills[r.id] for r in racks]


def _fill_racks(
    devices: Sequence[Device],
    racks: Sequence[_RackFill],
    scope: str,
    location: str,
    problems: list[Problem],
    notes: list[str],
) -> list[Device]:
    """Stack ``devices`` top-down into ``racks`` in order, moving on when one is full."""
    out: list[Device] = []
    used: Counter[str] = Counter()
    i = 0
    left: list[Device] = []
    for d in devices:
        while i < len(racks) and not racks[i].fits(d):
            i += 1
        if i == len(racks):
            left.append(d)
            continue
        fill = racks[i]
        u = fill.put_top(d)
        assert u is not None  # fits() said so
        out.append(_at(d, fill.rack.id, u))
        used[fill.rack.id] += 1
    if out:
        where = ", ".join(f"{r} ({n})" for r, n in used.items())
        what = _describe(Counter(d.role for d in out))
        notes.append(f"{what}{f' of {scope}' if scope else ''} placed in racks {where}")
    if left:
        problems.append(_overflow_problem(left, racks, scope, location))
    return out


def _overflow_problem(
    left: Sequence[Device], racks: Iterable[_RackFill], scope: str, location: str
) -> Problem:
    racks = list(racks)
    names = ", ".join(repr(f.rack.id) for f in racks)
    free_u = sum(f.free_u for f in racks)
    by_row: dict[str, float] = defaultdict(float)
    for f in racks:
        by_row[f.rack.row] += max(0.0, f.limit_w - f.power_w)
    budgets = racks[0].budgets if racks else None
    shared = ""
    if budgets is not None:
        capped = {
            row: min(w, max(0.0, budgets.row_w[row]))
            for row, w in by_row.items()
            if row in budgets.row_w
        }
        by_row.update(capped)
        if capped:
            shared = "; row power budgets left: " + ", ".join(
                f"{row} {_kw(max(0.0, budgets.row_w[row]))}" for row in sorted(capped)
            )
        if budgets.hall_w < math.inf:
            shared += f"; hall power budget left: {_kw(max(0.0, budgets.hall_w))}"
    free_w = sum(by_row.values())
    if budgets is not None:
        free_w = min(free_w, max(0.0, budgets.hall_w))
    ids = ", ".join(repr(d.id) for d in left[:3]) + (", ..." if len(left) > 3 else "")
    what = _describe(Counter(d.role for d in left))
    need_u = sum(d.height_u for d in left)
    need_w = sum(d.power_w for d in left)
    return Problem(
        location,
        f"{what}{f' of {scope}' if scope else ''} ({ids}) {'does' if len(left) == 1 else 'do'} "
        f"not fit in racks {names}: "
        f"they need {need_u}U and {_kw(need_w)}, the racks have {free_u}U and "
        f"{_kw(free_w)} free{shared}",
        left[0].id,
    )
