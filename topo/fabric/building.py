"""Tools every fabric builder shares: a link buffer, switch devices, candidate racks.

Builders emit links as plain tuples into a :class:`LinkBuffer` and turn them into
:class:`~topo.model.Link` records once, at the end, when the total (and so the width of
the ids) is known: ``{fabric}-L{n:06d}``, numbered from 1 in emission order, so ids are
deterministic and sort as the links were emitted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from layouts.model import Floor, Rack
from topo.catalog import SwitchModel
from topo.errors import Problem
from topo.model import Device, Endpoint, Link

__all__ = [
    "LinkBuffer",
    "centroid",
    "divisor_at_least",
    "floor_order",
    "nearest_racks",
    "switch_device",
]


class LinkBuffer:
    """Links of one fabric, in emission order.

    Example:
        >>> buf = LinkBuffer("f")
        >>> buf.add("srv-A01-01", 1, 0, "leaf-A01", 3, 2, 100, "server-leaf")
        >>> [(x.id, x.b.port_name) for x in buf.links()]
        [('f-L000001', '03.2')]
    """

    __slots__ = ("fabric", "rows")

    def __init__(self, fabric: str) -> None:
        self.fabric = fabric
        self.rows: list[tuple[str, int, int, str, int, int, int, str, str]] = []

    def add(
        self,
        a: str,
        a_port: int,
        a_lane: int,
        b: str,
        b_port: int,
        b_lane: int,
        speed: int,
        tier: str,
        redundancy: str = "",
    ) -> None:
        """One link from ``a`` (the lower tier) to ``b``."""
        self.rows.append((a, a_port, a_lane, b, b_port, b_lane, speed, tier, redundancy))

    def __len__(self) -> int:
        return len(self.rows)

    def links(self) -> tuple[Link, ...]:
        """The links, with ids ``{fabric}-L{n}`` wide enough to sort as numbers do."""
        w = max(6, len(str(len(self.rows))))
        f = self.fabric
        return tuple(
            Link(f"{f}-L{k:0{w}d}", Endpoint(a, ap, al), Endpoint(b, bp, bl), v, t, f, r)
            for k, (a, ap, al, b, bp, bl, v, t, r) in enumerate(self.rows, start=1)
        )


def switch_device(
    did: str,
    role: str,
    model: SwitchModel,
    fabric: str,
    *,
    rack: str | None = None,
    group: str = "",
    zone: str = "",
) -> Device:
    """A switch of ``model`` with role ``role``, owned by ``fabric``."""
    return Device(
        did, role, model.id, model.height_u, model.power_w, model.cost_usd,
        rack=rack, fabric=fabric, group=group, zone=zone,
    )  # fmt: skip


def divisor_at_least(n: int, lower: int) -> int:
    """The smallest divisor of ``n`` that is at least ``lower`` (``n`` itself at worst).

    Example:
        >>> divisor_at_least(16, 3), divisor_at_least(32, 16), divisor_at_least(12, 5)
        (4, 16, 6)
    """
    for d in range(max(1, lower), n + 1):
        if n % d == 0:
            return d
    return n


def floor_order(floor: Floor) -> dict[str, int]:
    """Every rack's place on the floor: rows in the order the floor lists them (along the
    hall for a generated one), then racks by position in their row.

    Racks are grouped into units and pods in this order, not in id order: ids sort as
    strings (``A``, ``AA``, ``AB``, ..., ``B``; ``A100`` before ``A11``), which would put
    far-apart rows together.

    Example:
        >>> from layouts.generate import regular_hall
        >>> order = floor_order(regular_hall(rows=28, racks_per_row=1))
        >>> sorted(["AA01", "B01", "A01"], key=order.__getitem__)
        ['A01', 'B01', 'AA01']
    """
    return {r.id: k for k, r in enumerate(r for row in floor.rows for r in row.racks())}


def centroid(racks: Iterable[Rack]) -> tuple[float, float]:
    """Mean centre of the racks (0, 0 for none)."""
    xs, ys, n = 0.0, 0.0, 0
    for r in racks:
        xs, ys, n = xs + r.x, ys + r.y, n + 1
    return (xs / n, ys / n) if n else (0.0, 0.0)


def nearest_racks(candidates: Sequence[Rack], point: tuple[float, float]) -> tuple[str, ...]:
    """Candidate rack ids nearest ``point`` first (ties by id)."""
    x, y = point
    return tuple(
        r.id
        for r in sorted(candidates, key=lambda r: (round(math.hypot(r.x - x, r.y - y), 3), r.id))
    )


def pinned_racks(
    floor: Floor,
    pinned: tuple[str, ...] | None,
    default: list[Rack],
    location: str,
    problems: list[Problem],
) -> list[Rack]:
    """Candidate racks for switches without a rack: the pinned ones (sorted by id), else
    ``default``. Pinned ids not on the floor are added to ``problems`` at ``location``."""
    if pinned is None:
        return default
    racks = floor.rack_index
    unknown = sorted({r for r in pinned if r not in racks})
    if unknown:
        names = ", ".join(repr(r) for r in unknown)
        problems.append(
            Problem(location, f"racks {names} are not on floor {floor.name!r}", unknown[0])
        )
    return [racks[r] for r in sorted(set(pinned)) if r in racks]
