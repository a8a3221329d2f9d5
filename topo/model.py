"""Records that flow between the planner's stages: devices, ports, links, cables.

These are the bulk records of a plan (a 100,000-GPU cluster has hundreds of thousands
of links), so they are frozen, slotted dataclasses rather than validated pydantic
models: validation happens once, on the scenario; the stages then build these records
from validated data, and cheap construction keeps large plans fast.

Ports are numbered from 1 on each device. A breakout leg is ``(port, lane)`` with lanes
from 1; ``lane == 0`` means the whole port. A port renders as ``17`` or ``17.2``
(not ``17/2``: the slash separates the two ends of a cable label). Port 0 is a device's
out-of-band management port (a server's BMC, a switch's management Ethernet) and
renders as ``mgmt``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Device",
    "Endpoint",
    "Fabric",
    "FabricInfo",
    "Link",
    "Placement",
    "RackRoute",
    "SolverInfo",
    "format_port",
]


def format_port(port: int, lane: int = 0) -> str:
    """``17`` -> ``'17'``, ``(3, 2)`` -> ``'03.2'``: two digits, lane after a dot;
    port 0 (out-of-band management) -> ``'mgmt'``."""
    if port == 0:
        return "mgmt"
    return f"{port:02d}.{lane}" if lane else f"{port:02d}"


@dataclass(frozen=True, slots=True)
class Device:
    """A switch or a server.

    Attributes:
        id: unique, stable and sortable, e.g. ``leaf-A01``, ``spine-03``, ``srv-A01-07``.
        role: ``server``, ``leaf``, ``spine``, ``core``, ``mgmt``, ...
        model: catalog id of the switch or server model.
        rack: rack id, or None while the device is not placed yet.
        u: top rack unit the device occupies (1 = bottom), or None while not placed.
        fabric: name of the fabric that owns the device ('' for servers shared by fabrics).
        group: pod, plane or scalable unit the device belongs to, '' if none.
        zone: for a device built with ``rack=None``, the key of its candidate racks in
            :attr:`Fabric.zones` ('' = any rack of the placement's default pool).
    """

    id: str
    role: str
    model: str
    height_u: int
    power_w: float
    cost_usd: float = 0.0
    rack: str | None = None
    u: int | None = None
    fabric: str = ""
    group: str = ""
    zone: str = ""


@dataclass(frozen=True, slots=True)
class Endpoint:
    device: str
    port: int
    lane: int = 0

    @property
    def port_name(self) -> str:
        return format_port(self.port, self.lane)


@dataclass(frozen=True, slots=True)
class Link:
    """A logical connection between two device ports.

    ``a`` is the lower-tier end (server before leaf before spine before core), ``b`` the
    upper. Links whose ``redundancy`` key is equal and non-empty should not share a tray
    segment (the two uplinks of a dual-homed server, two planes of a fabric).
    """

    id: str
    a: Endpoint
    b: Endpoint
    speed_gbps: int
    tier: str
    fabric: str = ""
    redundancy: str = ""


@dataclass(frozen=True, slots=True)
class FabricInfo:
    """What one network of a merged :class:`Fabric` is: its name, intent kind and the
    number of tiers built (2 or 3; 1 for a management network without aggregation)."""

    name: str
    kind: str
    tiers: int = 2
    shape: tuple[tuple[str, int | str], ...] = ()
    """Sizing of a clos or rail fabric: units, pods, spines, cores, links per pair."""


@dataclass(frozen=True, slots=True)
class Fabric:
    """The logical topology: devices and links, plus notes on sizing decisions.

    A scenario with several networks (compute, storage, management, ...) is planned as one
    merged fabric: servers appear once (``fabric=''``), every switch and link names the
    network it belongs to, and :attr:`parts` lists the networks in scenario order.

    Attributes:
        zones: candidate racks for devices built without a rack, by zone key (see
            :attr:`Device.zone`), best first: e.g. the network racks nearest a scalable
            unit for its rail leaves. A placement fills them in order.
        parts: the networks merged into this fabric.
    """

    name: str
    devices: tuple[Device, ...]
    links: tuple[Link, ...]
    notes: tuple[str, ...] = ()
    zones: tuple[tuple[str, tuple[str, ...]], ...] = ()
    parts: tuple[FabricInfo, ...] = ()

    def device_index(self) -> dict[str, Device]:
        return {d.id: d for d in self.devices}

    def zone_index(self) -> dict[str, tuple[str, ...]]:
        return dict(self.zones)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where every device stands: a new tuple of devices with ``rack`` and ``u`` set.

    Attributes:
        devices: every device of the fabric, placed, sorted by id.
        method: how the free devices were placed (``naive``, ``optimized``, ...).
        notes: human-readable remarks (e.g. the saving against naive placement).
    """

    devices: tuple[Device, ...]
    method: str = "naive"
    notes: tuple[str, ...] = field(default=())

    def device_index(self) -> dict[str, Device]:
        return {d.id: d for d in self.devices}


@dataclass(frozen=True, slots=True)
class RackRoute:
    """A tray route from rack ``a`` to rack ``b``.

    Attributes:
        tray_mm: length along trays, risers and connectors, excluding both drops.
        drop_a_mm / drop_b_mm: drop from the tray to the top of rack ``a`` / ``b``.
        segments: indices of the tray segments passed, in order from ``a`` to ``b``.
    """

    a: str
    b: str
    tray_mm: int
    drop_a_mm: int
    drop_b_mm: int
    segments: tuple[int, ...]

    @property
    def total_mm(self) -> int:
        return self.tray_mm + self.drop_a_mm + self.drop_b_mm

    def reversed(self) -> RackRoute:
        return RackRoute(
            self.b, self.a, self.tray_mm, self.drop_b_mm, self.drop_a_mm, self.segments[::-1]
        )


@dataclass(frozen=True, slots=True)
class SolverInfo:
    """How the routes were found, and how good they are known to be.

    Attributes:
        status: ``OPTIMAL``, ``FEASIBLE``, ``INFEASIBLE`` (nothing fits: overflow
            minimised) or ``UNKNOWN``.
        method: the algorithm, e.g. ``shortest-path``, ``column-generation``.
        bound_source: what proves the lower bound, e.g. ``shortest-paths``.
        seconds: wall time spent routing.
        objective: what was minimised, ``cost`` or ``length``.
        iterations: rounds of the optimizer (0 when shortest paths sufficed).
        time_limit_hit: the wall-clock safety net stopped the solve (results may then
            differ from run to run).
    """

    status: str
    method: str
    bound_source: str
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())
    objective: str = "length"
    iterations: int = 0
    time_limit_hit: bool = False
