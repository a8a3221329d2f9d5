"""Out-of-band management: every device's management port to a 1G copper switch nearby.

Management cabling follows the placement (a spine's management port goes to the switch of
the rack it ended up in), so :func:`build_management` runs on *placed* devices:

1. Pick the managed devices: every placed device, or the servers only.
2. ``per: rack``: each rack with managed devices gets ``ceil(devices / down ports)``
   management switches ``mgmt-{rack}`` (``mgmt-{rack}-{k}``), in that rack;
   ``per: row``: each row gets them, ``mgmt-{row}-{k:02d}``, with ``rack=None`` and a zone of
   candidate racks: the row's network racks nearest its middle (any network rack when
   the row has none).
3. Link the management port (port 0) of every managed device, in rack then id order, to
   the next free down port (tier ``device-mgmt``).
4. With ``aggregation``, the uplinks of every management switch are striped over the
   aggregation switches ``mgmt-agg-{i}`` (tier ``mgmt-agg``), the same number to each.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from layouts.model import Floor
from topo.catalog import Catalog, SwitchModel
from topo.errors import FabricError, Problem
from topo.fabric.building import LinkBuffer, centroid, nearest_racks, switch_device
from topo.fabric.ports import SwitchPorts, cages, choose_uplink_speed, slots, split_ports
from topo.model import Device, Fabric, FabricInfo
from topo.scenario import ManagementIntent

__all__ = ["build_management"]

_MGMT_SPEED = 1
"""Speed of a switch's management port, Gb/s (servers say theirs in the catalog)."""


def build_management(
    intent: ManagementIntent,
    devices: Sequence[Device],
    floor: Floor,
    catalog: Catalog,
    *,
    location: str = "fabric",
    prefix: str = "",
) -> Fabric:
    """Build the management network of placed ``devices`` (see the module docstring).

    Args:
        devices: placed devices (``rack`` set) of the scenario's data networks.
        location: where the intent sits in the scenario, for messages.
        prefix: put before every switch id.

    Returns:
        A fabric of the management switches (without the managed devices) and their
        links; per-rack switches have ``rack`` set, the others ``rack=None`` and a zone.

    Raises:
        CatalogError: an unknown switch model.
        FabricError: the switch has no port at the management speed, or the aggregation
            switches lack the ports for every management switch.

    Example:
        >>> from layouts.generate import regular_hall
        >>> from topo.catalog import builtin_catalog
        >>> from topo.scenario import MgmtSwitchIntent
        >>> floor = regular_hall(rows=1, racks_per_row=2)
        >>> placed = [Device(f"srv-A01-{i:02d}", "server", "srv-1u-2x25g", 1, 500.0,
        ...                  rack="A01", u=i) for i in range(1, 51)]
        >>> intent = ManagementIntent(switch=MgmtSwitchIntent(model="mgmt-48x1g-4x10g"))
        >>> f = build_management(intent, placed, floor, builtin_catalog())
        >>> [d.id for d in f.devices], len(f.links), f.links[0].b.port_name
        (['mgmt-A01-1', 'mgmt-A01-2'], 50, '01')
    """
    problems: list[Problem] = []
    loc = location
    switch = catalog.switch(intent.switch.model, f"{loc}.switch.model")
    agg = None
    if intent.aggregation is not None:
        agg = catalog.switch(intent.aggregation.model, f"{loc}.aggregation.model")
    managed = [d for d in devices if d.rack is not None]
    if intent.devices == "servers":
        managed = [d for d in managed if d.role == "server"]
    speeds_of = {}
    for d in managed:
        if d.role == "server" and d.model not in speeds_of:
            speeds_of[d.model] = catalog.server(d.model).mgmt_speed_gbps
    speed = _MGMT_SPEED
    odd = sorted({v for v in speeds_of.values() if v != speed})
    if odd:
        problems.append(
            Problem(
                f"{loc}.switch.model",
                f"servers with {odd[0]}G management ports; the management network runs at {speed}G",
                odd[0],
            )
        )
    ports = split_ports(switch, speed, 8.0)
    down = slots(ports.down, speed)
    if not down:
        problems.append(
            Problem(
                f"{loc}.switch.model",
                f"management switch {switch.id!r} has no port at {speed}G",
                switch.id,
            )
        )
    if problems:
        raise FabricError(problems)

    name = intent.name
    racks = floor.rack_index
    groups: dict[str, list[Device]] = {}
    key_of = (lambda d: d.rack) if intent.switch.per == "rack" else (lambda d: racks[d.rack].row)
    for d in sorted(managed, key=lambda d: (d.rack, d.id)):
        groups.setdefault(key_of(d), []).append(d)
    buf = LinkBuffer(name)
    switches: list[Device] = []
    zones: dict[str, tuple[str, ...]] = {}
    net = [r for r in floor.racks if r.role == "network"]
    for key in sorted(groups):
        members = groups[key]
        count = math.ceil(len(members) / len(down))
        if intent.switch.per == "rack":
            ids = [f"{prefix}mgmt-{key}"] if count == 1 else [
                f"{prefix}mgmt-{key}-{k}" for k in range(1, count + 1)
            ]  # fmt: skip
            switches.extend(switch_device(x, "mgmt", switch, name, rack=key) for x in ids)
        else:
            ids = [f"{prefix}mgmt-{key}-{k:02d}" for k in range(1, count + 1)]
            zone = f"{name}:row-{key}"
            row_racks = [r for r in floor.racks if r.row == key]
            own = [r for r in row_racks if r.role == "network"]
            zones[zone] = nearest_racks(own or net, centroid(row_racks))
            switches.extend(
                switch_device(x, "mgmt", switch, name, group=key, zone=zone) for x in ids
            )
        for t, d in enumerate(members):
            port, lane = down[t % len(down)]
            buf.add(d.id, 0, 0, ids[t // len(down)], port, lane, speed, "device-mgmt")
    tiers = 1
    aggs: list[Device] = []
    notes = [
        f"{len(managed)} devices managed through {len(switches)} management switches "
        f"{switch.id!r}, one per {intent.switch.per}"
        + (" (or more where one has too few ports)" if len(switches) > len(groups) else "")
    ]
    if agg is not None and intent.aggregation is not None:
        tiers = 2
        aggs, agg_notes = _aggregate(
            buf, intent, switch, agg, ports, switches, loc, prefix, zones, floor
        )
        notes.extend(agg_notes)
    return Fabric(
        name=name,
        devices=(*switches, *aggs),
        links=buf.links(),
        notes=tuple(notes),
        zones=tuple(sorted(zones.items())),
        parts=(FabricInfo(name, intent.kind, tiers),),
    )


def _aggregate(
    buf: LinkBuffer,
    intent: ManagementIntent,
    switch: SwitchModel,
    agg: SwitchModel,
    ports: SwitchPorts,
    switches: list[Device],
    loc: str,
    prefix: str,
    zones: dict[str, tuple[str, ...]],
    floor: Floor,
) -> tuple[list[Device], list[str]]:
    """Stripe every management switch's uplinks over the aggregation switches."""
    assert intent.aggregation is not None
    problems: list[Problem] = []
    speed = choose_uplink_speed(None, switch, agg, ports, problems, f"{loc}.aggregation")
    a = intent.aggregation.count
    up = slots(ports.up, speed) if speed else []
    agg_ports = slots(cages(agg, ("down", "any")), speed) if speed else []
    m = len(up) // a if up else 0
    if speed and m == 0:
        problems.append(
            Problem(
                f"{loc}.aggregation.count",
                f"{a} aggregation switches, but management switch {switch.id!r} has "
                f"{len(up)} uplinks at {speed}G; at most {len(up)}",
                a,
            )
        )
    elif speed and len(switches) * m > len(agg_ports):
        problems.append(
            Problem(
                f"{loc}.aggregation.model",
                f"aggregation switch {agg.id!r} has {len(agg_ports)} ports at {speed}G; "
                f"{len(switches)} management switches x {m} links need {len(switches) * m}",
                agg.id,
            )
        )
    zone = ""
    if intent.aggregation.racks is not None:
        rack_index = floor.rack_index
        unknown = sorted(r for r in set(intent.aggregation.racks) if r not in rack_index)
        if unknown:
            problems.append(
                Problem(
                    f"{loc}.aggregation.racks",
                    f"racks {', '.join(map(repr, unknown))} are not on floor {floor.name!r}",
                    unknown[0],
                )
            )
        zone = f"{intent.name}:aggregation"
        zones[zone] = tuple(sorted(set(intent.aggregation.racks) - set(unknown)))
    if problems:
        raise FabricError(problems)
    assert speed is not None
    ids = [f"{prefix}mgmt-agg-{i}" for i in range(1, a + 1)]
    devices = [switch_device(x, "mgmt-agg", agg, intent.name, zone=zone) for x in ids]
    for si, sw in enumerate(switches):
        for t in range(m * a):
            k, ai = divmod(t, a)
            uport, ulane = up[t]
            aport, alane = agg_ports[si * m + k]
            buf.add(sw.id, uport, ulane, ids[ai], aport, alane, speed, "mgmt-agg")
    note = (
        f"{len(switches)} management switches x {m} uplink{'s' if m > 1 else ''} to each of "
        f"{a} aggregation switches {agg.id!r} at {speed}G"
    )
    return devices, [note]
