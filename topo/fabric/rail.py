"""Rail-optimized GPU fabrics: one leaf per rail in every scalable unit.

GPU nodes have one NIC per GPU (``rails`` of them). Nodes are grouped, in server id
order, into scalable units (SU) of ``su_nodes`` nodes; NIC ``i`` of every node of an SU
goes to the SU's rail-``i`` leaf, on the leaf's down port ``q`` for the SU's ``q``-th node.
The rail leaves then meet under spines, and cores when two tiers do not reach, sized by
:func:`topo.fabric.clos.size_tiers` with an SU's leaves kept in one pod::

        spine-01  spine-02  ...  spine-S                 (every leaf to every spine)
          |  \\  ...
      su01-rail1 .. su01-rail8      su02-rail1 .. su02-rail8
        |             |               |
      node 1 NIC 1 .. NIC 8         node 33 NIC 1 ..     (SU 1 = nodes 1-32, ...)

With ``planes`` (say 2), each node has ``rails x planes`` ports; port index ``i`` (from 0)
serves rail ``i // planes`` of plane ``i mod planes``, and every plane is a full copy of
the fabric (ids start with ``p{j}-``); a node's links are marked with its id as their
redundancy key, and link ``n`` of every plane's upper tiers shares a key, so a router can
keep planes apart.

Rail leaves are ``{prefix}su{u:02d}-rail{r}`` with ``rack=None``, ``group`` = their SU and
a zone of candidate racks: the network racks nearest the SU (or ``leaf.racks``), nearest
first. A last SU with fewer nodes than ``su_nodes`` is built as it is, and a note says so.

On an installed plan (``units``), installed nodes keep their SU and the other nodes fill
the SUs' free slots in SU order before new SUs are opened, so emptying a rack moves no
node to another SU.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from layouts.model import Floor, Rack
from topo.catalog import Server, SwitchModel
from topo.errors import FabricError, Problem
from topo.fabric.building import LinkBuffer, centroid, nearest_racks, pinned_racks, switch_device
from topo.fabric.clos import Tiering, emit_tiers, size_tiers
from topo.fabric.ports import Slot, choose_uplink_speed, fmt_speeds, slots, speeds, split_ports
from topo.fabric.servers import Attached, RackServers, attach_servers, planes_divide
from topo.model import Device, Fabric, FabricInfo
from topo.scenario import RailApplianceIntent, RailIntent

__all__ = ["build_rail"]


def build_rail(
    intent: RailIntent,
    layout: Sequence[RackServers],
    models: Sequence[Server],
    floor: Floor,
    switches: dict[str, SwitchModel],
    *,
    location: str = "fabric",
    prefix: str = "",
    problems: list[Problem] | None = None,
    appliances: dict[str, Server] | None = None,
    units: Mapping[str, int] | None = None,
) -> Fabric:
    """Build a rail-optimized fabric over servers already laid out.

    Args:
        switches: the leaf, spine and core models by role.
        problems: problems found earlier, raised together with this fabric's own.
        appliances: the models of ``intent.appliances`` by id (a missing one was
            reported already).
        units: the scalable unit (from 0) of installed nodes, by server id: they stay in
            it, and the other nodes fill the units' free slots in unit order before new
            units are opened (see :func:`topo.brownfield.installed_units`).

    Raises:
        FabricError: the rails do not match the nodes' NICs, a scalable unit does not fit
            a rail leaf, the tiers cannot reach every leaf, ...; every problem at once.

    Example:
        >>> from layouts.generate import regular_hall
        >>> from topo.catalog import builtin_catalog
        >>> from topo.scenario import RailLeafIntent, ServerIntent, SpineIntent
        >>> from topo.fabric.servers import layout_servers
        >>> cat = builtin_catalog()
        >>> floor = regular_hall(rows=2, racks_per_row=10, power_kw=50, network_positions=(5,))
        >>> gpu = cat.server("gpu-8x400g-8u")
        >>> layout = layout_servers((ServerIntent(model=gpu.id),), [gpu], floor, [])
        >>> intent = RailIntent(su_nodes=32, leaf=RailLeafIntent(model="ib-64x400g-1u"),
        ...                     spine=SpineIntent(model="ib-64x400g-1u"))
        >>> sw = {r: cat.switch("ib-64x400g-1u") for r in ("leaf", "spine", "core")}
        >>> f = build_rail(intent, layout, [gpu], floor, sw)
        >>> from collections import Counter
        >>> Counter(d.role for d in f.devices)  # 72 nodes: SUs of 32, 32 and 8
        Counter({'server': 72, 'leaf': 24, 'spine': 16})
    """
    problems = [] if problems is None else problems
    shape = _size_rail(
        intent, layout, models, floor, switches, location, appliances, problems, units or {}
    )
    return _emit_rail(intent, layout, shape, switches, prefix)


@dataclass(frozen=True)
class _RailShape:
    """What sizing decided for a rail fabric: the nodes by scalable unit, the ports each
    tier uses, the tiers above the leaves and the candidate racks."""

    att: Attached
    rails: int
    planes: int
    speed: int
    down: list[Slot]
    up: list[Slot]
    up_speed: int
    nodes: list[tuple[str, Rack]]
    units: list[list[tuple[str, Rack]]]
    extra: dict[int, list[_Appliance]]
    tiering: Tiering
    leaf_cands: list[Rack]
    spine_cands: list[Rack]
    core_cands: list[Rack]


def _size_rail(
    intent: RailIntent,
    layout: Sequence[RackServers],
    models: Sequence[Server],
    floor: Floor,
    switches: dict[str, SwitchModel],
    location: str,
    appliances: dict[str, Server] | None,
    problems: list[Problem],
    installed: Mapping[str, int],
) -> _RailShape:
    """Check the intent against the servers and switches and size every tier; raise
    every problem found at once."""
    loc = location
    leaf, spine, core = switches["leaf"], switches["spine"], switches["core"]
    att = attach_servers(
        layout, models, intent.nics, intent.server_ports, loc, problems, only=intent.server_models
    )
    planes = intent.planes
    p_all = len(att.ports) if att else 0
    rails = p_all // planes
    even = planes_divide(att, planes, loc, problems)
    if even and att and intent.rails is not None and intent.rails != rails:
        group = f" {intent.nics!r}" if intent.nics else ""
        per = f" x {planes} planes" if planes > 1 else ""
        problems.append(
            Problem(
                f"{loc}.rails",
                f"{intent.rails} rails{per} need {intent.rails * planes} NIC ports per node, "
                f"but server {att.model!r} has {p_all}{group} NIC ports; "
                f"rails must be {rails}",
                intent.rails,
            )
        )
    s = att.speed if att else 0
    ports = split_ports(leaf, s, intent.oversubscription)
    down = slots(ports.down, s)
    su = intent.su_nodes
    if att and not down:
        offered = speeds(leaf.ports, roles=("down", "any"))
        problems.append(
            Problem(
                f"{loc}.leaf.model",
                f"rail leaf {leaf.id!r} has no down port at {s}G for server {att.model!r} "
                f"(its down ports run at {fmt_speeds(offered)})",
                leaf.id,
            )
        )
    elif att and su > len(down):
        problems.append(
            Problem(
                f"{loc}.su_nodes",
                f"{su} nodes per scalable unit, but rail leaf {leaf.id!r} has {len(down)} "
                f"down ports at {s}G at oversubscription {intent.oversubscription:g}; "
                f"at most {len(down)} nodes per unit",
                su,
            )
        )
    nodes: list[tuple[str, Rack]] = []
    if att:
        nodes = [(sid, rack) for rack, ids in att.racks for sid in ids]
    extra = _check_appliances(intent, appliances or {}, rails, s, loc, problems) if att else {}
    units = _units(nodes, su, extra, loc, problems, installed)
    n_su = len(units)
    up_speed = None
    if att and down:
        pinned = intent.uplink_speed_gbps
        up_speed = choose_uplink_speed(pinned, leaf, spine, ports, problems, loc)
    up = slots(ports.up, up_speed) if up_speed else []
    tiering = None
    if up_speed and n_su and rails and not problems:
        tiering = size_tiers(
            leaves=n_su * rails,
            unit=rails,
            uplinks=len(up),
            speed=up_speed,
            spine=spine,
            core=core,
            tiers=intent.tiers,
            spine_count=intent.spine.count,
            core_count=intent.core.count,
            hosts=len(nodes),
            hosts_per_unit=su,
            location=loc,
            problems=problems,
            pod_units=intent.pod_units,
            core_wiring=intent.core_wiring,
        )
    net = [r for r in floor.racks if r.role == "network"]
    leaf_cands = pinned_racks(floor, intent.leaf.racks, net, f"{loc}.leaf.racks", problems)
    spine_cands = pinned_racks(floor, intent.spine.racks, net, f"{loc}.spine.racks", problems)
    core_cands = pinned_racks(floor, intent.core.racks, net, f"{loc}.core.racks", problems)
    if problems:
        raise FabricError(problems)
    assert att is not None and tiering is not None and up_speed is not None

    return _RailShape(
        att, rails, planes, s, down, up, up_speed, nodes, units, extra, tiering,
        leaf_cands, spine_cands, core_cands,
    )  # fmt: skip


def _emit_rail(
    intent: RailIntent,
    layout: Sequence[RackServers],
    shape: _RailShape,
    switches: dict[str, SwitchModel],
    prefix: str,
) -> Fabric:
    """The devices, links, zones and notes of a sized rail fabric."""
    leaf, spine, core = switches["leaf"], switches["spine"], switches["core"]
    att, rails, planes, s = shape.att, shape.rails, shape.planes, shape.speed
    down, up, up_speed, tiering = shape.down, shape.up, shape.up_speed, shape.tiering
    nodes, units, extra = shape.nodes, shape.units, shape.extra
    leaf_cands, spine_cands = shape.leaf_cands, shape.spine_cands
    core_cands = shape.core_cands
    shift = att.shift
    su = intent.su_nodes
    n_su = len(units)
    name = intent.name
    buf = LinkBuffer(name)
    zones: dict[str, tuple[str, ...]] = {}
    sw = max(2, len(str(n_su)))
    rw = len(str(rails))
    su_names = [f"su{u + 1:0{sw}d}" for u in range(n_su)]
    for u, unit in enumerate(units):
        racks = list({id(r): r for _, r in unit}.values())
        zones[f"{name}:{su_names[u]}"] = nearest_racks(leaf_cands, centroid(racks))
    spine_zone = core_zone = ""
    if intent.spine.racks is not None and tiering.tiers == 2:
        spine_zone = f"{name}:spines"
        zones[spine_zone] = tuple(r.id for r in spine_cands)
    if intent.core.racks is not None:
        core_zone = f"{name}:cores"
        zones[core_zone] = tuple(r.id for r in core_cands)
    leaves: list[Device] = []
    upper: list[Device] = []
    add = buf.add
    for j in range(planes):
        pre = prefix + (f"p{j + 1}-" if planes > 1 else "")
        plane_leaves: list[str] = []
        for u, unit in enumerate(units):
            ids = [f"{pre}{su_names[u]}-rail{r + 1:0{rw}d}" for r in range(rails)]
            zone = f"{name}:{su_names[u]}"
            leaves.extend(
                switch_device(x, "leaf", leaf, name, group=su_names[u], zone=zone) for x in ids
            )
            plane_leaves.extend(ids)
            for q, (sid, rack) in enumerate(unit):
                port, lane = down[q]
                red = sid if planes > 1 else ""
                dx = shift.get(rack.id, 0)
                for r in range(rails):
                    nic = att.ports[r * planes + j] + dx
                    add(sid, nic, 0, ids[r], port, lane, s, "server-leaf", red)
            for k, (a, _, first) in enumerate(extra.get(u, ())):
                did = f"{prefix}{su_names[u]}-appliance{k + 1}"
                port, lane = down[len(unit) + k]
                for i, r in enumerate(a.rails):
                    add(did, first + i, 0, ids[r], port, lane, s, "server-leaf")
        pod_zones: list[str] = []
        if tiering.tiers == 3:
            for d, (first, count) in enumerate(tiering.pods):
                key = f"{name}:{pre}pod{d + 1:02d}"
                pod_units = range(first // rails, (first + count) // rails)
                racks = [r for u in pod_units for _, r in units[u]]
                zones[key] = nearest_racks(spine_cands, centroid(racks))
                pod_zones.append(key)
        upper.extend(
            emit_tiers(
                buf, tiering, plane_leaves, up, spine, core, prefix=pre, fabric=name,
                plane_key=f"{name}:tiers" if planes > 1 else "", pod_zones=pod_zones,
                spine_zone=spine_zone, core_zone=core_zone,
            )
        )  # fmt: skip
    attached = {sid for sid, _ in nodes}
    servers = [d for rs in layout for d in rs.servers if d.id in attached]
    servers += [
        Device(
            f"{prefix}{su_names[u]}-appliance{k + 1}", "appliance", model.id, model.height_u,
            model.power_w, model.cost_usd, fabric=name, group=su_names[u],
            zone=f"{name}:{su_names[u]}",
        )
        for u in sorted(extra)
        for k, (_, model, _) in enumerate(extra[u])
    ]  # fmt: skip
    notes = [
        f"{len(nodes)} nodes x {rails} rails at {s}G in {n_su} scalable units of up to {su} "
        f"nodes: {n_su * rails} rail leaves {leaf.id!r}"
        + (f" in each of {planes} planes" if planes > 1 else ""),
        f"rail leaf {leaf.id!r}: {min(su, len(nodes))} of {len(down)} down ports at {s}G, "
        f"{len(up)} up at {up_speed}G",
    ]
    for u in sorted(extra):
        kinds = ", ".join(f"{a.model!r} on rails {list(a.rails)}" for a, _, _ in extra[u])
        notes.append(f"scalable unit {su_names[u]!r} gives {len(extra[u])} node slots to {kinds}")
    last = n_su - 1
    if len(units[last]) + len(extra.get(last, ())) < su:
        notes.append(
            f"scalable unit {su_names[-1]!r} has {len(units[last])} of {su} nodes; its rail "
            "leaves have free down ports"
        )
    notes.extend(tiering.notes)
    return Fabric(
        name=name,
        devices=(*servers, *leaves, *upper),
        links=buf.links(),
        notes=tuple(notes),
        zones=tuple(sorted(zones.items())),
        parts=(FabricInfo(name, intent.kind, tiering.tiers, tiering.shape(n_su)),),
    )


_Appliance = tuple[RailApplianceIntent, Server, int]
"""An appliance placed in a unit: its intent, model and first fabric port."""


def _check_appliances(
    intent: RailIntent,
    models: dict[str, Server],
    rails: int,
    speed: int,
    loc: str,
    problems: list[Problem],
) -> dict[int, list[_Appliance]]:
    """The appliances of each unit (by 0-based unit index), checked against the rails."""
    out: dict[int, list[_Appliance]] = {}
    for k, a in enumerate(intent.appliances):
        at = f"{loc}.appliances.{k}"
        model = models.get(a.model)
        if model is None:
            continue
        if intent.planes > 1:
            problems.append(
                Problem(f"{at}", f"appliance {a.model!r} needs a single plane, not "
                        f"{intent.planes}", intent.planes)
            )  # fmt: skip
            continue
        bad = sorted({r for r in a.rails if not 0 <= r < rails})
        if bad:
            problems.append(
                Problem(
                    f"{at}.rails",
                    f"appliance {a.model!r} names rail {bad[0]}; the fabric has {rails} "
                    f"rails, numbered 0 to {rails - 1}",
                    bad[0],
                )
            )
            continue
        if len(set(a.rails)) != len(a.rails):
            problems.append(
                Problem(f"{at}.rails", f"appliance {a.model!r} names a rail twice: "
                        f"{list(a.rails)}", list(a.rails))
            )  # fmt: skip
            continue
        group = model.nic_group(intent.nics) or model.nic_group()
        assert group is not None  # a server model has at least one NIC group
        first, count, port_speed = group
        if count < len(a.rails) or port_speed != speed:
            problems.append(
                Problem(
                    f"{at}.rails",
                    f"appliance {a.model!r} has {count} ports at {port_speed}G; "
                    f"{len(a.rails)} rails at {speed}G need {len(a.rails)} at {speed}G",
                    a.model,
                )
            )
            continue
        out.setdefault(a.unit - 1, []).append((a, model, first))
    return out


def _units(
    nodes: list[tuple[str, Rack]],
    su: int,
    extra: dict[int, list[_Appliance]],
    loc: str,
    problems: list[Problem],
    installed: Mapping[str, int],
) -> list[list[tuple[str, Rack]]]:
    """Nodes in scalable units of ``su`` slots, an appliance taking one slot of its unit.

    Installed nodes stay in their unit (as many as it still has slots for) and the others
    fill the free slots in unit order; then come new units. An installed unit all of
    whose nodes are gone keeps its place (so later units keep their names) unless it was
    the last.
    """
    units: list[list[tuple[str, Rack]]] = []
    if installed:
        nodes = _fill_installed(nodes, su, extra, installed, units)
    i = 0
    while i < len(nodes) or not units:
        cap = su - len(extra.get(len(units), ()))
        if cap <= 0:
            problems.append(
                Problem(
                    f"{loc}.appliances",
                    f"scalable unit {len(units) + 1} has {su} node slots but "
                    f"{len(extra[len(units)])} appliances",
                    su,
                )
            )
            break
        units.append(nodes[i : i + cap])
        i += cap
    beyond = sorted(u for u in extra if u >= len(units))
    if beyond:
        problems.append(
            Problem(
                f"{loc}.appliances",
                f"an appliance takes a slot in scalable unit {beyond[0] + 1}, but the fabric "
                f"has {len(units)} scalable units",
                beyond[0] + 1,
            )
        )
    return units


def _fill_installed(
    nodes: list[tuple[str, Rack]],
    su: int,
    extra: dict[int, list[_Appliance]],
    installed: Mapping[str, int],
    units: list[list[tuple[str, Rack]]],
) -> list[tuple[str, Rack]]:
    """Put the installed nodes back in their units (appended to ``units``), fill the
    free slots with other nodes in order; return the nodes left for new units."""
    count = max((installed[sid] + 1 for sid, _ in nodes if sid in installed), default=0)
    units.extend([] for _ in range(count))
    rest: list[tuple[str, Rack]] = []
    for sid, rack in nodes:
        u = installed.get(sid)
        if u is not None and len(units[u]) < su - len(extra.get(u, ())):
            units[u].append((sid, rack))
        else:
            rest.append((sid, rack))
    for u, unit in enumerate(units):
        room = max(0, su - len(extra.get(u, ())) - len(unit))
        unit.extend(rest[:room])
        rest = rest[room:]
    return rest
