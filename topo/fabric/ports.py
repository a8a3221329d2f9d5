"""Switch ports: split a switch's cages into down and up, and list logical ports.

A switch model lists port groups (``64 x 800G OSFP, breakout 2 x 400G``). The fabric
builders need its *logical* ports at one speed: a cage run at a breakout speed yields
one logical port per lane, written ``(port, lane)`` with lanes from 1 (``lane == 0`` is a
whole port). Ports are numbered from 1 in group order.

:func:`split_ports` splits the cages by role: groups pinned ``down`` or ``up`` stay so;
a group with role ``any`` is split by the oversubscription ``r``: of its ``k`` cages,
``ceil(k / (r + 1))`` go up and the rest down (down cages first). A 64-port switch at
``r = 3`` thus has 48 cages down and 16 up: ``k*r/(r+1)`` and ``k/(r+1)``.

Example:
    >>> from topo.catalog import builtin_catalog
    >>> sw = builtin_catalog().switch("sw-64x800g-2u")
    >>> split = split_ports(sw, 400, 1.0)
    >>> len(slots(split.down, 400)), len(slots(split.up, 800)), slots(split.down, 400)[:3]
    (64, 32, [(1, 1), (1, 2), (2, 1)])
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from topo.catalog import PortGroup, SwitchModel
from topo.errors import Problem

__all__ = [
    "Cages",
    "Slot",
    "SwitchPorts",
    "cages",
    "choose_uplink_speed",
    "fmt_speeds",
    "lanes",
    "slots",
    "speeds",
    "split_ports",
]

Slot = tuple[int, int]
"""A logical port: ``(port, lane)``, lane 0 for a whole port."""


@dataclass(frozen=True, slots=True)
class Cages:
    """A run of physical cages of one port group, numbered ``first .. first + count - 1``."""

    group: PortGroup
    first: int
    count: int


@dataclass(frozen=True, slots=True)
class SwitchPorts:
    """A switch's cages split into down (toward servers or lower tiers) and up."""

    down: tuple[Cages, ...]
    up: tuple[Cages, ...]
    split: bool  # some group was split by the oversubscription ratio


def lanes(group: PortGroup, speed: int) -> int:
    """Logical ports one cage of ``group`` yields at ``speed`` (0 if it cannot run it)."""
    if group.speed_gbps == speed:
        return 1
    return group.breakout.get(speed, 0)


def cages(switch: SwitchModel, roles: tuple[str, ...]) -> tuple[Cages, ...]:
    """The switch's port groups with one of ``roles``, with physical port numbers."""
    out, first = [], 1
    for g in switch.ports:
        if g.role in roles:
            out.append(Cages(g, first, g.count))
        first += g.count
    return tuple(out)


def split_ports(switch: SwitchModel, speed: int, ratio: float) -> SwitchPorts:
    """Split the switch's cages into down and up (see the module docstring).

    An ``any`` group that cannot run the down ``speed`` goes up whole.
    """
    down: list[Cages] = []
    up: list[Cages] = []
    split = False
    first = 1
    for g in switch.ports:
        if g.role == "down":
            down.append(Cages(g, first, g.count))
        elif g.role == "up":
            up.append(Cages(g, first, g.count))
        elif lanes(g, speed):
            n_up = min(g.count, math.ceil(g.count / (ratio + 1) - 1e-9))
            n_down = g.count - n_up
            split = True
            if n_down:
                down.append(Cages(g, first, n_down))
            if n_up:
                up.append(Cages(g, first + n_down, n_up))
        else:
            up.append(Cages(g, first, g.count))
        first += g.count
    return SwitchPorts(tuple(down), tuple(up), split)


def slots(runs: Iterable[Cages], speed: int) -> list[Slot]:
    """Logical ports at ``speed`` in port then lane order (lane 0 for a whole port)."""
    out: list[Slot] = []
    for c in runs:
        n = lanes(c.group, speed)
        ports = range(c.first, c.first + c.count)
        if n == 1:
            out.extend((port, 0) for port in ports)
        elif n > 1:
            out.extend((port, lane) for port in ports for lane in range(1, n + 1))
    return out


def speeds(groups: Iterable[PortGroup], roles: tuple[str, ...] | None = None) -> set[int]:
    """Every speed the groups can run at, breakout included."""
    out: set[int] = set()
    for g in groups:
        if roles is None or g.role in roles:
            out.add(g.speed_gbps)
            out.update(g.breakout)
    return out


def fmt_speeds(values: Iterable[int]) -> str:
    """``{100, 25}`` -> ``'100G, 25G'`` (fastest first)."""
    ordered = sorted(values, reverse=True)
    return ", ".join(f"{v}G" for v in ordered) if ordered else "no speed"


def choose_uplink_speed(
    pinned: int | None,
    leaf: SwitchModel,
    spine: SwitchModel,
    ports: SwitchPorts,
    problems: list[Problem],
    loc: str,
) -> int | None:
    """The leaf-spine link speed, or None (with a problem recorded) when there is none:
    ``pinned`` if both switches offer it, else the fastest speed a leaf uplink offers that
    the spine's down ports also offer (breakout included)."""
    leaf_up = speeds(c.group for c in ports.up)
    spine_down = speeds(spine.ports, roles=("down", "any"))
    if pinned is not None:
        ok = True
        if pinned not in leaf_up:
            problems.append(
                Problem(
                    f"{loc}.uplink_speed_gbps",
                    f"leaf {leaf.id!r} has no uplink port at {pinned}G "
                    f"(its uplinks run at {fmt_speeds(leaf_up)})",
                    pinned,
                )
            )
            ok = False
        if pinned not in spine_down:
            problems.append(
                Problem(
                    f"{loc}.uplink_speed_gbps",
                    f"spine {spine.id!r} has no port at {pinned}G "
                    f"(its ports run at {fmt_speeds(spine_down)})",
                    pinned,
                )
            )
            ok = False
        return pinned if ok else None
    common = leaf_up & spine_down
    if not common:
        problems.append(
            Problem(
                f"{loc}.spine.model",
                f"no common uplink speed: leaf {leaf.id!r} uplinks run at "
                f"{fmt_speeds(leaf_up)}, spine {spine.id!r} ports at {fmt_speeds(spine_down)}",
                spine.id,
            )
        )
        return None
    return max(common)
