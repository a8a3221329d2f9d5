"""Fabric: turn a spine-leaf intent into devices and port-numbered links.

:func:`build_fabric` builds a 2-tier leaf-spine (folded Clos) fabric in five steps:

1. Resolve the catalog models of the servers, the leaf and the spine.
2. Plan the leaf's ports. Port groups pinned to a role are used as pinned; a group with
   role ``any`` is split by the oversubscription ``r``: of its ``k`` cages,
   ``ceil(k / (r + 1))`` go up and the rest down. Ports are numbered from 1 in catalog
   group order and, inside a split group, down cages come first; a cage running at a
   breakout speed yields one logical port per lane (``Endpoint(device, port, lane)``).
3. Choose the uplink speed: ``intent.uplink_speed_gbps``, else the fastest speed a leaf
   uplink offers that the spine also offers (breakout included, e.g. an 800G spine cage
   serving 2 x 400G).
4. Size the fabric: leaves top-of-rack (``per_rack`` in each compute rack) or end-of-row
   (``ceil(server ports in the row / leaf down ports)`` per row); spines one per leaf
   uplink (``m = 1`` link per leaf-spine pair) unless ``intent.spine.count`` pins them, in
   which case ``m = uplinks // spines``. Every leaf reaches every spine with ``m`` links.
5. Emit the devices and links; every problem found on the way is collected and raised
   together as one :class:`~topo.errors.FabricError`.

The result, for two racks of two servers with one NIC port each::

           spine-01 ......... spine-02           tier 'leaf-spine':
            |      \\         /     |              a = leaf uplink, b = spine port
            |       \\       /      |              (leaf index * m + k + 1)
          leaf-A01         leaf-A02              leaf ports: down first, then up
           |    |           |    |
        srv-A01-01 -02   srv-A02-01 -02          tier 'server-leaf':
                                                 a = server NIC, b = leaf down port

Order and naming (stable, so the same intent always gives the same bytes):

- devices: servers, then leaves, then spines, each in id order. Servers are
  ``srv-{rack}-{i:02d}`` (``i`` from 1), top-of-rack leaves ``leaf-{rack}`` or
  ``leaf-{rack}-{k}`` (``k`` from 1 when ``per_rack > 1``), end-of-row leaves
  ``leaf-{row}-{k:02d}``, spines ``spine-{i:02d}``; wider numbers when counts need them.
- links: ``{fabric}-L{n:06d}`` numbered from 1, first every server-leaf link in server
  id then NIC order, then every leaf-spine link in leaf id then uplink order (uplink
  ``t`` goes to spine ``t mod S``: uplinks are striped across the spines).

Server NIC ``i`` (from 0) of a top-of-rack server goes to leaf ``i mod per_rack``
(rails), or, when the server has fewer NIC ports than its rack has leaves, to leaf
``(server index x ports + i) mod per_rack``; a server whose links reach two or more
leaves marks them with ``Link.redundancy = server id``. End-of-row leaves are filled in
server then NIC order and carry ``rack=None`` with ``group`` set to their row: the
placement stage puts them in that row's network racks. Spines carry ``rack=None`` too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from layouts.model import Floor, Rack
from topo.catalog import Catalog, PortGroup, Server, SwitchModel
from topo.errors import CatalogError, FabricError, Problem
from topo.model import Device, Endpoint, Fabric, Link
from topo.scenario import ServerIntent, SpineLeafIntent

__all__ = ["build_fabric"]

_Slot = tuple[int, int]
"""A logical port: ``(port, lane)``, lane 0 for a whole port."""


@dataclass(frozen=True, slots=True)
class _Cages:
    """A run of physical cages of one port group, numbered ``first .. first + count - 1``."""

    group: PortGroup
    first: int
    count: int


@dataclass(frozen=True, slots=True)
class _LeafPorts:
    """The leaf's cages split into down (toward servers) and up (toward spines)."""

    down: tuple[_Cages, ...]
    up: tuple[_Cages, ...]
    split: bool  # some group was split by the oversubscription ratio


def build_fabric(
    intent: SpineLeafIntent, servers: ServerIntent, floor: Floor, catalog: Catalog
) -> Fabric:
    """Build the devices and links of a 2-tier spine-leaf fabric.

    Args:
        intent: the fabric intent (leaf and spine models, placement, ratios).
        servers: the server model and how many servers stand in each compute rack.
        floor: the floor; every rack with role ``compute`` is filled with servers.
        catalog: switch and server models.

    Returns:
        The fabric: devices (servers, leaves, spines), links (``server-leaf`` then
        ``leaf-spine``) and notes on the sizing decisions. Servers and top-of-rack leaves
        have ``rack`` set; spines and end-of-row leaves have ``rack=None``. No device
        has ``u`` set.

    Raises:
        CatalogError: the server, leaf or spine model is not in the catalog.
        FabricError: the intent cannot be built; every problem is listed, each naming
            the field (``fabric.leaf.model``, ``fabric.spine.count``, ...), the value
            and the limit.

    Example:
        >>> from layouts.model import Floor, RackRow
        >>> from topo.catalog import builtin_catalog
        >>> from topo.scenario import LeafIntent, SpineIntent
        >>> floor = Floor(
        ...     outline=((0, 0), (10, 0), (10, 5), (0, 5)),
        ...     rows=(RackRow(id="A", origin=(1, 1), count=4, roles={4: "network"}),),
        ... )
        >>> intent = SpineLeafIntent(
        ...     leaf=LeafIntent(model="tor-48x25g-8x100g"),
        ...     spine=SpineIntent(model="sw-32x100g-1u"),
        ... )
        >>> fabric = build_fabric(
        ...     intent, ServerIntent(model="srv-1u-2x25g", per_rack=16), floor,
        ...     builtin_catalog(),
        ... )
        >>> from collections import Counter
        >>> Counter(d.role for d in fabric.devices)
        Counter({'server': 48, 'spine': 8, 'leaf': 3})
        >>> len(fabric.links)  # 3 racks x 16 servers x 2 NICs + 3 leaves x 8 uplinks
        120
        >>> link = fabric.links[0]
        >>> link.id, link.a.device, link.b.device, link.b.port_name, link.tier
        ('fabric-L000001', 'srv-A01-01', 'leaf-A01', '01', 'server-leaf')
    """
    server, leaf, spine = _resolve_models(intent, servers, catalog)
    size = _size(intent, servers, floor, server, leaf, spine)
    shape = _Shape(
        intent.name, server, leaf, servers.per_rack, size.p, size.speed, size.per_rack,
        size.down,
    )  # fmt: skip
    n_links = len(size.compute) * servers.per_rack * size.p
    n_links += size.leaves * size.m * size.spines
    ids = _link_ids(intent.name, n_links)
    links: list[Link] = []
    server_devices: list[Device] = []
    leaf_devices: list[Device] = []
    emit = _emit_eor if size.eor else _emit_tor
    emit(shape, size.compute, ids, links, server_devices, leaf_devices)
    w = max(2, len(str(size.spines)))
    spine_ids = [f"spine-{i:0{w}d}" for i in range(1, size.spines + 1)]
    leaf_ids = [d.id for d in leaf_devices]
    _emit_uplinks(intent.name, leaf_ids, spine_ids, size, ids, links)
    spine_devices = [
        Device(sid, "spine", spine.id, spine.height_u, spine.power_w, spine.cost_usd,
               fabric=intent.name)
        for sid in spine_ids
    ]  # fmt: skip
    return Fabric(
        name=intent.name,
        devices=(*server_devices, *leaf_devices, *spine_devices),
        links=tuple(links),
        notes=_notes(intent, servers, leaf, spine, size),
    )


@dataclass(frozen=True, slots=True)
class _Sizing:
    """The checked shape of the fabric (see :func:`_size`)."""

    compute: tuple[Rack, ...]  # racks that get servers, in id order
    eor: bool  # end-of-row leaves
    per_rack: int  # top-of-rack leaves per compute rack (1 for end-of-row)
    p: int  # NIC ports used per server
    speed: int  # server NIC speed, Gb/s
    split: bool  # some leaf port group was split by the oversubscription ratio
    down: tuple[_Slot, ...]  # leaf down ports, in fill order
    up: tuple[_Slot, ...]  # leaf uplinks at up_speed, in striping order
    spine_ports: tuple[_Slot, ...]  # spine ports at up_speed, in fill order
    up_speed: int
    leaves: int
    spines: int
    m: int  # links between every leaf and every spine


def _size(
    intent: SpineLeafIntent,
    servers: ServerIntent,
    floor: Floor,
    server: Server,
    leaf: SwitchModel,
    spine: SwitchModel,
) -> _Sizing:
    """Check the intent against the floor and the models; size leaves and spines.

    Raises:
        FabricError: with every problem found.
    """
    problems: list[Problem] = []
    compute = tuple(r for r in floor.racks if r.role == "compute")
    if not compute:
        problems.append(
            Problem(
                "floor.rows",
                f"floor {floor.name!r} has no rack with role 'compute'; need at least 1",
                floor.name,
            )
        )
    n = servers.per_rack
    if n == 0:
        problems.append(
            Problem("servers.per_rack", "0 servers per rack leaves nothing to connect; need 1", 0)
        )
    p = intent.server_ports or server.nic_ports
    if p > server.nic_ports:
        problems.append(
            Problem(
                "fabric.server_ports",
                f"{p} ports per server, but server {server.id!r} has {server.nic_ports} NIC ports",
                p,
            )
        )
        p = server.nic_ports
    s = server.nic_speed_gbps

    # leaf ports
    ports = _plan_leaf_ports(leaf, s, intent.oversubscription)
    down = _slots(ports.down, s)
    if not down:
        offered = _speeds(leaf.ports, roles=("down", "any"))
        problems.append(
            Problem(
                "fabric.leaf.model",
                f"leaf {leaf.id!r} has no down port at {s}G for server {server.id!r} "
                f"(its down ports run at {_fmt_speeds(offered)})",
                leaf.id,
            )
        )

    # leaves
    eor = intent.leaf.placement == "end-of-row"
    per_rack = 1 if eor else intent.leaf.per_rack
    leaves = 0
    if eor:
        if down:
            rows = _rows_of(compute)
            leaves = sum(math.ceil(len(racks) * n * p / len(down)) for racks in rows.values())
    else:
        leaves = len(compute) * per_rack
        need = max(_tor_load(n, p, per_rack))
        if down and need > len(down):
            over = f" over {per_rack} leaves per rack" if per_rack > 1 else ""
            each = " per leaf" if per_rack > 1 else ""
            problems.append(
                Problem(
                    "fabric.leaf.model",
                    f"leaf {leaf.id!r} has {len(down)} down ports at {s}G; "
                    f"{n} servers x {p} ports{over} need {need}{each}",
                    leaf.id,
                )
            )

    # uplink speed and spines
    up_speed = _uplink_speed(intent, leaf, spine, ports, problems)
    up: list[_Slot] = []
    spine_ports: list[_Slot] = []
    spines = m = 0
    if up_speed is not None:
        up = _slots(ports.up, up_speed)
        spine_ports = _slots(_cages(spine, roles=("down", "any")), up_speed)
        spines, m = _size_spines(intent, spine, leaf, ports, up_speed, leaves, problems)

    if problems:
        raise FabricError(problems)
    assert up_speed is not None
    return _Sizing(
        compute, eor, per_rack, p, s, ports.split, tuple(down), tuple(up), tuple(spine_ports),
        up_speed, leaves, spines, m,
    )  # fmt: skip


def _notes(
    intent: SpineLeafIntent,
    servers: ServerIntent,
    leaf: SwitchModel,
    spine: SwitchModel,
    size: _Sizing,
) -> tuple[str, ...]:
    """Human-readable sizing decisions, for the plan's notes."""
    used_up = size.m * size.spines
    where = "end-of-row" if size.eor else f"top-of-rack, {size.per_rack} per compute rack"
    links = "link" if size.m == 1 else "links"
    ratio = len(size.down) * size.speed / (used_up * size.up_speed)
    notes = [
        f"{size.leaves} leaves ({where}) and {size.spines} spines for "
        f"{len(size.compute) * servers.per_rack} servers in {len(size.compute)} compute racks",
        f"{used_up} of {len(size.up)} leaf uplinks used at {size.up_speed}G: "
        f"{size.spines} spines x {size.m} {links}",
        f"leaf {leaf.id!r}: {len(size.down)} down ports at {size.speed}G, {used_up} up at "
        f"{size.up_speed}G: oversubscription {ratio:.2f}:1 with every down port in use",
        f"spine {spine.id!r}: {size.leaves * size.m} of {len(size.spine_ports)} ports used "
        f"at {size.up_speed}G",
    ]
    if not size.split and intent.oversubscription != 1.0:
        notes.append(
            f"oversubscription {intent.oversubscription:g} not applied: leaf {leaf.id!r} has "
            "its ports pinned to down and up"
        )
    if size.eor and intent.leaf.per_rack != 1:
        notes.append("fabric.leaf.per_rack ignored for end-of-row leaves")
    return tuple(notes)


# -- models and ports -------------------------------------------------------------------


def _resolve_models(
    intent: SpineLeafIntent, servers: ServerIntent, catalog: Catalog
) -> tuple[Server, SwitchModel, SwitchModel]:
    """Look up the three models, reporting every unknown one at once."""
    problems: list[Problem] = []
    found: list[object] = []
    lookups = (
        (catalog.server, servers.model, "servers.model"),
        (catalog.switch, intent.leaf.model, "fabric.leaf.model"),
        (catalog.switch, intent.spine.model, "fabric.spine.model"),
    )
    for lookup, model, location in lookups:
        try:
            found.append(lookup(model, location))
        except CatalogError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CatalogError(problems)
    server, leaf, spine = found
    assert isinstance(server, Server)
    assert isinstance(leaf, SwitchModel) and isinstance(spine, SwitchModel)
    return server, leaf, spine


def _lanes(group: PortGroup, speed: int) -> int:
    """Logical ports one cage of ``group`` yields at ``speed`` (0 if it cannot run it)."""
    if group.speed_gbps == speed:
        return 1
    return group.breakout.get(speed, 0)


def _cages(switch: SwitchModel, roles: tuple[str, ...]) -> tuple[_Cages, ...]:
    """The switch's port groups with one of ``roles``, with physical port numbers."""
    out, first = [], 1
    for g in switch.ports:
        if g.role in roles:
            out.append(_Cages(g, first, g.count))
        first += g.count
    return tuple(out)


def _plan_leaf_ports(leaf: SwitchModel, speed: int, ratio: float) -> _LeafPorts:
    """Split the leaf's cages into down and up (see the module docstring, step 2)."""
    down: list[_Cages] = []
    up: list[_Cages] = []
    split = False
    first = 1
    for g in leaf.ports:
        if g.role == "down":
            down.append(_Cages(g, first, g.count))
        elif g.role == "up":
            up.append(_Cages(g, first, g.count))
        elif _lanes(g, speed):
            n_up = min(g.count, math.ceil(g.count / (ratio + 1) - 1e-9))
            n_down = g.count - n_up
            split = True
            if n_down:
                down.append(_Cages(g, first, n_down))
            if n_up:
                up.append(_Cages(g, first + n_down, n_up))
        else:  # an 'any' group that cannot serve the servers: all of it goes up
            up.append(_Cages(g, first, g.count))
        first += g.count
    return _LeafPorts(tuple(down), tuple(up), split)


def _slots(cages: Iterable[_Cages], speed: int) -> list[_Slot]:
    """Logical ports at ``speed`` in port then lane order (lane 0 for a whole port)."""
    out: list[_Slot] = []
    for c in cages:
        lanes = _lanes(c.group, speed)
        ports = range(c.first, c.first + c.count)
        if lanes == 1:
            out.extend((port, 0) for port in ports)
        elif lanes > 1:
            out.extend((port, lane) for port in ports for lane in range(1, lanes + 1))
    return out


def _speeds(groups: Iterable[PortGroup], roles: tuple[str, ...] | None = None) -> set[int]:
    """Every speed the groups can run at, breakout included."""
    out: set[int] = set()
    for g in groups:
        if roles is None or g.role in roles:
            out.add(g.speed_gbps)
            out.update(g.breakout)
    return out


def _fmt_speeds(speeds: Iterable[int]) -> str:
    ordered = sorted(speeds, reverse=True)
    return ", ".join(f"{v}G" for v in ordered) if ordered else "no speed"


def _uplink_speed(
    intent: SpineLeafIntent,
    leaf: SwitchModel,
    spine: SwitchModel,
    ports: _LeafPorts,
    problems: list[Problem],
) -> int | None:
    """The leaf-spine link speed, or None (with a problem recorded) when there is none."""
    leaf_up = _speeds(c.group for c in ports.up)
    spine_down = _speeds(spine.ports, roles=("down", "any"))
    pinned = intent.uplink_speed_gbps
    if pinned is not None:
        ok = True
        if pinned not in leaf_up:
            problems.append(
                Problem(
                    "fabric.uplink_speed_gbps",
                    f"leaf {leaf.id!r} has no uplink port at {pinned}G "
                    f"(its uplinks run at {_fmt_speeds(leaf_up)})",
                    pinned,
                )
            )
            ok = False
        if pinned not in spine_down:
            problems.append(
                Problem(
                    "fabric.uplink_speed_gbps",
                    f"spine {spine.id!r} has no port at {pinned}G "
                    f"(its ports run at {_fmt_speeds(spine_down)})",
                    pinned,
                )
            )
            ok = False
        return pinned if ok else None
    common = leaf_up & spine_down
    if not common:
        problems.append(
            Problem(
                "fabric.spine.model",
                f"no common uplink speed: leaf {leaf.id!r} uplinks run at "
                f"{_fmt_speeds(leaf_up)}, spine {spine.id!r} ports at {_fmt_speeds(spine_down)}",
                spine.id,
            )
        )
        return None
    return max(common)


def _size_spines(
    intent: SpineLeafIntent,
    spine: SwitchModel,
    leaf: SwitchModel,
    ports: _LeafPorts,
    speed: int,
    leaves: int,
    problems: list[Problem],
) -> tuple[int, int]:
    """``(spines, links per leaf-spine pair)``, recording a problem when they do not fit."""
    uplinks = len(_slots(ports.up, speed))
    spine_ports = len(_slots(_cages(spine, roles=("down", "any")), speed))
    if uplinks == 0:
        problems.append(
            Problem(
                "fabric.leaf.model",
                f"leaf {leaf.id!r} has no uplink port left at {speed}G",
                leaf.id,
            )
        )
        return 0, 0
    pinned = intent.spine.count
    if pinned is not None and pinned > uplinks:
        problems.append(
            Problem(
                "fabric.spine.count",
                f"{pinned} spines, but each leaf has {uplinks} uplinks at {speed}G; "
                f"at most {uplinks}",
                pinned,
            )
        )
        return 0, 0
    count = pinned if pinned is not None else uplinks
    m = uplinks // count
    if leaves * m > spine_ports:
        hint = "use a larger spine or allow 3 tiers"
        fit = spine_ports // leaves if leaves else 0
        if pinned is not None and 1 <= fit < m:
            hint = f"pin fabric.spine.count to {uplinks // (fit + 1) + 1} or more, " + hint
        slower = _slower_fitting_speed(intent, spine, ports, speed, leaves)
        if slower is not None:
            hint = f"set fabric.uplink_speed_gbps to {slower} to break ports out, " + hint
        problems.append(
            Problem(
                "fabric.spine.model",
                f"spine {spine.id!r} has {spine_ports} ports at {speed}G; {leaves} leaves x "
                f"{m} link{'s' if m != 1 else ''} need {leaves * m} ({hint})",
                spine.id,
            )
        )
    return count, m


def _slower_fitting_speed(
    intent: SpineLeafIntent, spine: SwitchModel, ports: _LeafPorts, speed: int, leaves: int
) -> int | None:
    """The fastest common speed below ``speed`` at which the leaves fit the spines (more,
    slower ports through breakout), or None. Only offered when the speed is not pinned."""
    if intent.uplink_speed_gbps is not None:
        return None
    spine_cages = _cages(spine, roles=("down", "any"))
    common = _speeds(c.group for c in ports.up) & _speeds(c.group for c in spine_cages)
    for v in sorted((v for v in common if v < speed), reverse=True):
        uplinks = len(_slots(ports.up, v))
        count = intent.spine.count or uplinks
        if 0 < count <= uplinks and leaves * (uplinks // count) <= len(_slots(spine_cages, v)):
            return v
    return None


# -- sizing helpers ---------------------------------------------------------------------


def _rows_of(racks: Sequence[Rack]) -> dict[str, list[Rack]]:
    """Compute racks by row, rows and racks in id order."""
    rows: dict[str, list[Rack]] = {}
    for r in sorted(racks, key=lambda r: r.id):
        rows.setdefault(r.row, []).append(r)
    return dict(sorted(rows.items()))


def _tor_leaf_of(j: int, i: int, p: int, per_rack: int) -> int:
    """Which of a rack's leaves NIC ``i`` of server ``j`` goes to (all from 0)."""
    if per_rack == 1:
        return 0
    return i % per_rack if p >= per_rack else (j * p + i) % per_rack


def _tor_load(n: int, p: int, per_rack: int) -> list[int]:
    """Down ports each of a rack's leaves needs for ``n`` servers of ``p`` ports."""
    load = [0] * per_rack
    for j in range(n):
        for i in range(p):
            load[_tor_leaf_of(j, i, p, per_rack)] += 1
    return load


# -- emitting ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Shape:
    """What every compute rack holds and how its servers reach the leaves."""

    fabric: str
    server: Server
    leaf: SwitchModel
    n: int  # servers per rack
    p: int  # NIC ports used per server
    speed: int  # server NIC speed, Gb/s
    per_rack: int  # top-of-rack leaves per rack (1 for end-of-row)
    down: tuple[_Slot, ...]  # the leaf's down ports, in the order they are filled

    def server_device(self, sid: str, rack: str) -> Device:
        s = self.server
        return Device(sid, "server", s.id, s.height_u, s.power_w, s.cost_usd, rack=rack)

    def leaf_device(self, lid: str, rack: str | None, group: str = "") -> Device:
        lf = self.leaf
        return Device(
            lid, "leaf", lf.id, lf.height_u, lf.power_w, lf.cost_usd,
            rack=rack, fabric=self.fabric, group=group,
        )  # fmt: skip


def _link_ids(fabric: str, total: int) -> Iterator[str]:
    """``{fabric}-L000001``, ... wide enough for ``total`` to sort as numbers do."""
    w = max(6, len(str(total)))
    return iter([f"{fabric}-L{k:0{w}d}" for k in range(1, total + 1)])


def _emit_tor(
    shape: _Shape,
    racks: Sequence[Rack],
    ids: Iterator[str],
    links: list[Link],
    servers: list[Device],
    leaves: list[Device],
) -> None:
    """Top-of-rack: each rack's servers go to that rack's ``per_rack`` leaves."""
    n, p, per_rack, fabric, speed = shape.n, shape.p, shape.per_rack, shape.fabric, shape.speed
    w = max(2, len(str(n)))
    # the NIC -> (leaf, port, lane) pattern is the same in every rack
    pattern: list[list[tuple[int, int, int, int]]] = []
    used = [0] * per_rack
    for j in range(n):
        nics = []
        for i in range(p):
            q = _tor_leaf_of(j, i, p, per_rack)
            port, lane = shape.down[used[q]]
            used[q] += 1
            nics.append((i + 1, q, port, lane))
        pattern.append(nics)
    dual = per_rack > 1 and p > 1
    append = links.append
    for rack in racks:
        if per_rack == 1:
            leaf_ids = [f"leaf-{rack.id}"]
        else:
            leaf_ids = [f"leaf-{rack.id}-{k}" for k in range(1, per_rack + 1)]
        leaves.extend(shape.leaf_device(lid, rack.id) for lid in leaf_ids)
        for j in range(n):
            sid = f"srv-{rack.id}-{j + 1:0{w}d}"
            servers.append(shape.server_device(sid, rack.id))
            red = sid if dual else ""
            for nic, q, port, lane in pattern[j]:
                a, b = Endpoint(sid, nic), Endpoint(leaf_ids[q], port, lane)
                append(Link(next(ids), a, b, speed, "server-leaf", fabric, red))


def _emit_eor(
    shape: _Shape,
    racks: Sequence[Rack],
    ids: Iterator[str],
    links: list[Link],
    servers: list[Device],
    leaves: list[Device],
) -> None:
    """End-of-row: a row's server NICs fill the row's leaves in server then NIC order."""
    n, p, fabric, speed, down = shape.n, shape.p, shape.fabric, shape.speed, shape.down
    w = max(2, len(str(n)))
    d = len(down)
    append = links.append
    for row, row_racks in _rows_of(racks).items():
        count = math.ceil(len(row_racks) * n * p / d)
        lw = max(2, len(str(count)))
        leaf_ids = [f"leaf-{row}-{k:0{lw}d}" for k in range(1, count + 1)]
        leaves.extend(shape.leaf_device(lid, None, group=row) for lid in leaf_ids)
        t = 0
        for rack in row_racks:
            for j in range(n):
                sid = f"srv-{rack.id}-{j + 1:0{w}d}"
                servers.append(shape.server_device(sid, rack.id))
                for i in range(p):
                    port, lane = down[t % d]
                    a, b = Endpoint(sid, i + 1), Endpoint(leaf_ids[t // d], port, lane)
                    append(Link(next(ids), a, b, speed, "server-leaf", fabric))
                    t += 1


def _emit_uplinks(
    fabric: str,
    leaf_ids: Sequence[str],
    spine_ids: Sequence[str],
    size: _Sizing,
    ids: Iterator[str],
    links: list[Link],
) -> None:
    """Leaf uplink ``t`` -> spine ``t mod S``, link ``k = t // S`` of that pair, on spine
    logical port ``leaf index * m + k`` (0-based; port ``+ 1`` without breakout)."""
    s_count, m, speed = len(spine_ids), size.m, size.up_speed
    up, spine_ports = size.up, size.spine_ports
    append = links.append
    for li, lid in enumerate(leaf_ids):
        base = li * m
        for t in range(m * s_count):
            k, si = divmod(t, s_count)
            uport, ulane = up[t]
            sport, slane = spine_ports[base + k]
            a, b = Endpoint(lid, uport, ulane), Endpoint(spine_ids[si], sport, slane)
            append(Link(next(ids), a, b, speed, "leaf-spine", fabric))
