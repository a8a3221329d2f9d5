"""Fabric: turn a network intent into devices and port-numbered links.

:func:`build_fabric` builds one data network over the servers of a scenario:

- ``spine-leaf``: a 2-tier leaf-spine (folded Clos). Leaves top-of-rack or end-of-row
  (see :mod:`topo.fabric.leaves`); spines one per leaf uplink (``m = 1`` link per leaf-spine
  pair) unless ``spine.count`` pins them, in which case ``m = uplinks // spines``.
- ``clos``: the same leaf layer, with the tiers above sized from the switch radix by
  :func:`topo.fabric.clos.size_tiers` (two tiers while they fit, then pods under a core layer),
  optionally in several independent ``planes``.
- ``rail-optimized``: GPU nodes in scalable units with one leaf per rail
  (:mod:`topo.fabric.rail`).

Steps, for spine-leaf and clos:

1. Resolve the catalog models; lay the servers out in their racks
   (:func:`topo.fabric.servers.layout_servers`) and pick the NIC ports this network uses.
2. Plan the leaf's ports (:func:`topo.fabric.ports.split_ports`): pinned groups as pinned, ``any``
   groups split by the oversubscription ``r``; a cage at a breakout speed yields one
   logical port per lane (``Endpoint(device, port, lane)``).
3. Choose the uplink speed: ``uplink_speed_gbps``, else the fastest speed a leaf uplink
   offers that the spine also offers (breakout included).
4. Size leaves and the tiers above; with ``leaf.peer_links``, the last uplinks of each
   leaf pair become ``leaf-peer`` links.
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

- devices: servers (racks in floor order, :func:`topo.fabric.building.floor_order`), then
  leaves, then spines (then cores), each in id order. Servers are ``srv-{rack}-{i:02d}``;
  leaves as in :mod:`topo.fabric.leaves`; spines ``spine-{i:02d}`` (or ``spine-{pod}-{i}`` in
  three tiers), cores ``core-{i}``; wider numbers when counts need them. Switch ids start
  with ``prefix`` (the fabric name when a scenario has several networks) and, with
  planes, ``p{j}-``.
- links: ``{fabric}-L{n:06d}`` numbered from 1: server-leaf links in server then NIC
  order, then leaf-peer, leaf-spine (leaf id then uplink order, uplink ``t`` to spine
  ``t mod S``: uplinks are striped across the spines), then spine-core; plane by plane.

Spines, cores and end-of-row leaves carry ``rack=None``; the placement stage chooses their
racks, among :attr:`~topo.model.Fabric.zones` where a device names a zone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from layouts.model import Floor
from topo.catalog import Catalog, Server, SwitchModel
from topo.errors import CatalogError, FabricError, Problem
from topo.fabric.building import LinkBuffer, centroid, nearest_racks, pinned_racks
from topo.fabric.clos import Tiering, emit_tiers, size_tiers
from topo.fabric.leaves import emit_leaves, emit_peer_links, leaf_count, tor_load
from topo.fabric.ports import (
    SwitchPorts,
    cages,
    choose_uplink_speed,
    fmt_speeds,
    slots,
    speeds,
    split_ports,
)
from topo.fabric.servers import (
    RackServers,
    attach_servers,
    layout_servers,
    planes_divide,
    server_models,
)
from topo.model import Device, Fabric, FabricInfo
from topo.scenario import ClosIntent, DataFabricIntent, RailIntent, ServerIntent, SpineLeafIntent

__all__ = ["build_fabric", "build_on_layout", "resolve_switches"]


def build_fabric(
    intent: DataFabricIntent,
    servers: ServerIntent | Sequence[ServerIntent],
    floor: Floor,
    catalog: Catalog,
    *,
    location: str = "fabric",
    prefix: str = "",
) -> Fabric:
    """Build the devices and links of one data network.

    Args:
        intent: the fabric intent (``spine-leaf``, ``clos`` or ``rail-optimized``).
        servers: the server group(s): model, servers per rack, racks.
        floor: the floor; servers fill the racks their groups name (default every rack
            with role ``compute``).
        catalog: switch and server models.
        location: where the intent sits in the scenario, for messages (``fabric``,
            ``fabrics.1``).
        prefix: put before every switch id.

    Returns:
        The fabric: devices (servers, leaves, spines, cores), links (``server-leaf``,
        ``leaf-peer``, ``leaf-spine``, ``spine-core``) and notes on the sizing decisions.
        Servers and top-of-rack leaves have ``rack`` set; every other switch has
        ``rack=None``. No device has ``u`` set.

    Raises:
        CatalogError: a server or switch model is not in the catalog.
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
    groups = (servers,) if isinstance(servers, ServerIntent) else tuple(servers)
    problems: list[Problem] = []
    try:
        models = server_models(groups, catalog)
    except CatalogError as exc:
        problems.extend(exc.problems)
        models = []
    try:
        resolve_switches(intent, catalog, location)
    except CatalogError as exc:
        problems.extend(exc.problems)
    if problems:
        raise CatalogError(problems)
    layout = layout_servers(groups, models, floor, problems)
    return build_on_layout(
        intent, layout, models, floor, catalog, location=location, prefix=prefix,
        problems=problems,
    )  # fmt: skip


def resolve_switches(
    intent: DataFabricIntent, catalog: Catalog, location: str
) -> dict[str, SwitchModel]:
    """The intent's switch models by role (``leaf``, ``spine``, ``core``).

    Raises:
        CatalogError: naming every unknown model.
    """
    problems: list[Problem] = []
    out: dict[str, SwitchModel] = {}
    wanted = [("leaf", intent.leaf.model), ("spine", intent.spine.model)]
    if not isinstance(intent, SpineLeafIntent) and intent.core.model is not None:
        wanted.append(("core", intent.core.model))
    for role, model in wanted:
        try:
            out[role] = catalog.switch(model, f"{location}.{role}.model")
        except CatalogError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CatalogError(problems)
    out.setdefault("core", out["spine"])
    return out


def build_on_layout(
    intent: DataFabricIntent,
    layout: Sequence[RackServers],
    models: Sequence[Server],
    floor: Floor,
    catalog: Catalog,
    *,
    location: str = "fabric",
    prefix: str = "",
    problems: list[Problem] | None = None,
    units: Mapping[str, int] | None = None,
) -> Fabric:
    """Build one data network over servers already laid out (see :func:`build_fabric`).

    ``problems`` found earlier (by the server layout) are raised together with the
    fabric's own. ``units``: a rail fabric's installed nodes' scalable units (see
    :func:`topo.fabric.rail.build_rail`); other kinds ignore it.
    """
    problems = [] if problems is None else problems
    switches = resolve_switches(intent, catalog, location)
    if isinstance(intent, RailIntent):
        from topo.fabric.rail import build_rail

        kept: dict[str, Server] = {}
        for k, a in enumerate(intent.appliances):
            try:
                kept[a.model] = catalog.server(a.model, f"{location}.appliances.{k}.model")
            except CatalogError as exc:
                problems.extend(exc.problems)
        return build_rail(
            intent, layout, models, floor, switches, location=location, prefix=prefix,
            problems=problems, appliances=kept, units=units,
        )  # fmt: skip
    return _build_clos(intent, layout, models, floor, switches, location, prefix, problems)


def _build_clos(
    intent: SpineLeafIntent | ClosIntent,
    layout: Sequence[RackServers],
    models: Sequence[Server],
    floor: Floor,
    switches: dict[str, SwitchModel],
    loc: str,
    prefix: str,
    problems: list[Problem],
) -> Fabric:
    """Spine-leaf and clos: the leaf layer, then the tiers above it."""
    leaf, spine, core = switches["leaf"], switches["spine"], switches["core"]
    legacy = isinstance(intent, SpineLeafIntent)
    clos = intent if isinstance(intent, ClosIntent) else None
    planes = clos.planes if clos is not None else 1
    att = attach_servers(
        layout, models, intent.nics, intent.server_ports, loc, problems, only=intent.server_models
    )
    p_all = len(att.ports) if att else 0
    if not planes_divide(att, planes, loc, problems):
        planes = 1
    p = p_all // planes
    s = att.speed if att else 0

    ports = split_ports(leaf, s, intent.oversubscription)
    down = slots(ports.down, s)
    if att and not down:
        offered = speeds(leaf.ports, roles=("down", "any"))
        problems.append(
            Problem(
                f"{loc}.leaf.model",
                f"leaf {leaf.id!r} has no down port at {s}G for server {att.model!r} "
                f"(its down ports run at {fmt_speeds(offered)})",
                leaf.id,
            )
        )
    eor = intent.leaf.placement == "end-of-row"
    per_rack = 1 if eor else intent.leaf.per_rack
    racks = att.racks if att else ()
    n_max = max((len(ids) for _, ids in racks), default=0)
    if not eor and down and p:
        need = max(tor_load(n_max, p, per_rack))
        if need > len(down):
            over = f" over {per_rack} leaves per rack" if per_rack > 1 else ""
            each = " per leaf" if per_rack > 1 else ""
            problems.append(
                Problem(
                    f"{loc}.leaf.model",
                    f"leaf {leaf.id!r} has {len(down)} down ports at {s}G; "
                    f"{n_max} servers x {p} ports{over} need {need}{each}",
                    leaf.id,
                )
            )
    leaves = leaf_count(racks, p, len(down), eor, per_rack) if down else 0
    peer_n = intent.leaf.peer_links or 0
    peer_n = peer_n if (per_rack > 1 and not eor) else 0

    up_speed = None
    if att:
        pinned = intent.uplink_speed_gbps
        up_speed = choose_uplink_speed(pinned, leaf, spine, ports, problems, loc)
    tiering: Tiering | None = None
    up: list = []
    if up_speed is not None:
        up = slots(ports.up, up_speed)
        if peer_n and peer_n >= len(up):
            problems.append(
                Problem(
                    f"{loc}.leaf.peer_links",
                    f"{peer_n} peer links leave no uplink: leaf {leaf.id!r} has {len(up)} "
                    f"uplinks at {up_speed}G",
                    peer_n,
                )
            )
            peer_n = 0
        if legacy:
            count, m = _size_spines(
                intent, spine, leaf, ports, up_speed, leaves, problems, loc, peer_n
            )
            spine_down = tuple(slots(cages(spine, roles=("down", "any")), up_speed))
            tiering = Tiering(2, up_speed, ((0, leaves),), count, m, spine_down)
        elif leaves and clos is not None:
            tiering = size_tiers(
                leaves=leaves,
                unit=per_rack,
                uplinks=len(up) - peer_n,
                speed=up_speed,
                spine=spine,
                core=core,
                tiers=clos.tiers,
                spine_count=clos.spine.count,
                core_count=clos.core.count,
                hosts=att.count if att else 0,
                hosts_per_unit=max(1, len(down) // max(1, p)) * per_rack,
                location=loc,
                problems=problems,
                pod_units=clos.pod_units,
                core_wiring=clos.core_wiring,
            )
    net = [r for r in floor.racks if r.role == "network"]
    spine_cands = pinned_racks(floor, intent.spine.racks, net, f"{loc}.spine.racks", problems)
    core_pin = clos.core.racks if clos is not None else None
    core_cands = pinned_racks(floor, core_pin, net, f"{loc}.core.racks", problems)
    if problems:
        raise FabricError(problems)
    assert att is not None and up_speed is not None and tiering is not None
    peers = up[len(up) - peer_n :] if peer_n else []
    up = up[: len(up) - peer_n]

    name = intent.name
    buf = LinkBuffer(name)
    zones: dict[str, tuple[str, ...]] = {}
    spine_zone = core_zone = ""
    if intent.spine.racks is not None:
        spine_zone = f"{name}:spines"
        zones[spine_zone] = tuple(r.id for r in spine_cands)
    if core_pin is not None:
        core_zone = f"{name}:cores"
        zones[core_zone] = tuple(r.id for r in core_cands)
    leaf_devices: list[Device] = []
    upper: list[Device] = []
    for j in range(planes):
        pre = prefix + (f"p{j + 1}-" if planes > 1 else "")
        layer = emit_leaves(
            buf, racks, att.ports[j::planes], s, leaf, down, eor=eor, per_rack=per_rack,
            prefix=pre, fabric=name, always_redundant=planes > 1, shift=att.shift,
        )  # fmt: skip
        leaf_devices.extend(layer.leaves)
        if peers:
            emit_peer_links(buf, layer.leaves, per_rack, peers, up_speed)
        pod_zones: list[str] = []
        if tiering.tiers == 3:
            for d, (first, count) in enumerate(tiering.pods):
                key = f"{name}:{pre}pod{d + 1:02d}"
                served = [r for rs in layer.racks[first : first + count] for r in rs]
                zones[key] = nearest_racks(spine_cands, centroid(served))
                pod_zones.append(key)
        upper.extend(
            emit_tiers(
                buf, tiering, [d.id for d in layer.leaves], up, spine, core, prefix=pre,
                fabric=name, plane_key=f"{name}:tiers" if planes > 1 else "",
                pod_zones=pod_zones, spine_zone=spine_zone, core_zone=core_zone,
            )
        )  # fmt: skip
    attached = {sid for _, ids in racks for sid in ids}
    servers = [d for rs in layout for d in rs.servers if d.id in attached]
    notes = _notes(intent, leaf, spine, tiering, att, len(down), len(up), leaves, eor,
                   per_rack, peer_n, ports, planes)  # fmt: skip
    shape = tiering.shape(math.ceil(leaves / per_rack)) if clos is not None else ()
    return Fabric(
        name=name,
        devices=(*servers, *leaf_devices, *upper),
        links=buf.links(),
        notes=notes,
        zones=tuple(sorted(zones.items())),
        parts=(FabricInfo(name, intent.kind, tiering.tiers, shape),),
    )


def _notes(
    intent: SpineLeafIntent | ClosIntent,
    leaf: SwitchModel,
    spine: SwitchModel,
    t: Tiering,
    att,
    n_down: int,
    n_up: int,
    leaves: int,
    eor: bool,
    per_rack: int,
    peers: int,
    ports: SwitchPorts,
    planes: int,
) -> tuple[str, ...]:
    """Human-readable sizing decisions, for the plan's notes."""
    used_up = t.m1 * t.spines
    where = "end-of-row" if eor else f"top-of-rack, {per_rack} per compute rack"
    links = "link" if t.m1 == 1 else "links"
    ratio = n_down * att.speed / (used_up * t.speed) if used_up else 0.0
    each = f" in each of {planes} planes" if planes > 1 else ""
    notes = [
        f"{leaves} leaves ({where}) and {t.spine_count} spines{each} for "
        f"{att.count} servers in {len(att.racks)} compute racks",
        f"{used_up} of {n_up + peers} leaf uplinks used at {t.speed}G: "
        f"{t.spines} spines x {t.m1} {links}" + (f", {peers} for peer links" if peers else ""),
        f"leaf {leaf.id!r}: {n_down} down ports at {att.speed}G, {used_up} up at "
        f"{t.speed}G: oversubscription {ratio:.2f}:1 with every down port in use",
    ]
    if t.tiers == 2 and isinstance(intent, SpineLeafIntent):
        notes.append(
            f"spine {spine.id!r}: {leaves * t.m1} of {len(t.spine_down)} ports used at {t.speed}G"
        )
    notes.extend(t.notes)
    if not ports.split and intent.oversubscription != 1.0:
        notes.append(
            f"oversubscription {intent.oversubscription:g} not applied: leaf {leaf.id!r} has "
            "its ports pinned to down and up"
        )
    if eor and intent.leaf.per_rack != 1:
        notes.append("fabric.leaf.per_rack ignored for end-of-row leaves")
    return tuple(notes)


# -- speeds and spine-leaf sizing --------------------------------------------------------


def _size_spines(
    intent: SpineLeafIntent | ClosIntent,
    spine: SwitchModel,
    leaf: SwitchModel,
    ports: SwitchPorts,
    speed: int,
    leaves: int,
    problems: list[Problem],
    loc: str,
    peers: int,
) -> tuple[int, int]:
    """``(spines, links per leaf-spine pair)``, recording a problem when they do not fit."""
    uplinks = len(slots(ports.up, speed)) - peers
    spine_ports = len(slots(cages(spine, roles=("down", "any")), speed))
    if uplinks <= 0:
        problems.append(
            Problem(
                f"{loc}.leaf.model",
                f"leaf {leaf.id!r} has no uplink port left at {speed}G",
                leaf.id,
            )
        )
        return 0, 0
    pinned = intent.spine.count
    if pinned is not None and pinned > uplinks:
        problems.append(
            Problem(
                f"{loc}.spine.count",
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
            hint = f"pin {loc}.spine.count to {uplinks // (fit + 1) + 1} or more, " + hint
        slower = _slower_fitting_speed(intent, spine, ports, speed, leaves, peers)
        if slower is not None:
            hint = f"set {loc}.uplink_speed_gbps to {slower} to break ports out, " + hint
        problems.append(
            Problem(
                f"{loc}.spine.model",
                f"spine {spine.id!r} has {spine_ports} ports at {speed}G; {leaves} leaves x "
                f"{m} link{'s' if m != 1 else ''} need {leaves * m} ({hint})",
                spine.id,
            )
        )
    return count, m


def _slower_fitting_speed(
    intent: SpineLeafIntent | ClosIntent,
    spine: SwitchModel,
    ports: SwitchPorts,
    speed: int,
    leaves: int,
    peers: int,
) -> int | None:
    """The fastest common speed below ``speed`` at which the leaves fit the spines (more,
    slower ports through breakout), or None. Only offered when the speed is not pinned."""
    if intent.uplink_speed_gbps is not None:
        return None
    spine_cages = cages(spine, roles=("down", "any"))
    common = speeds(c.group for c in ports.up) & speeds(c.group for c in spine_cages)
    for v in sorted((v for v in common if v < speed), reverse=True):
        uplinks = len(slots(ports.up, v)) - peers
        count = intent.spine.count or uplinks
        if 0 < count <= uplinks and leaves * (uplinks // count) <= len(slots(spine_cages, v)):
            return v
    return None
