"""Servers: which racks hold which servers, and which NIC ports each network uses.

Servers are shared by every network of a scenario, so they are laid out once:

1. :func:`layout_servers` gives each server group (``servers:`` in the scenario) its racks:
   the racks and rows it names, or every compute rack no other group names. A group
   without ``per_rack`` puts as many servers in each rack as its height and power budget
   allow; with ``count``, racks fill in floor order until the group has that many.
   A group names racks (``A01``), ranges within a row (``A01..A16``) and whole rows
   (``B``); ranges and rows take their compute racks. Servers are
   ``srv-{rack}-{i:02d}``, ``i`` from 1, racks in floor order (rows as the floor lists
   them, then position in the row: :func:`topo.fabric.building.floor_order`).
2. :func:`attach_servers` picks, for one network, the servers that have the NIC group it
   connects (``nics: storage``) and the port numbers of that group on each server.

A server model numbers its NIC ports from 1 across its groups in the order it lists them;
port 0 is its BMC (out-of-band management) port::

    gpu-8x400g-8u   ports 1-8   compute  (8 x 400G, one per GPU rail)
                    ports 9-10  storage  (2 x 400G)
                    ports 11-12 frontend (2 x 100G)
                    port  0     BMC      (1G copper, management network)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from layouts.model import Floor, Rack
from topo.catalog import Catalog, Server
from topo.errors import CatalogError, Problem
from topo.fabric.building import floor_order
from topo.model import Device
from topo.scenario import ServerIntent

__all__ = ["Attached", "RackServers", "attach_servers", "layout_servers", "server_models"]


@dataclass(frozen=True, slots=True)
class RackServers:
    """The servers standing in one rack (all of one model)."""

    rack: Rack
    model: Server
    servers: tuple[Device, ...]


@dataclass(frozen=True, slots=True)
class Attached:
    """The servers one network connects, rack by rack, and the NIC ports it uses.

    Attributes:
        racks: ``(rack, server ids)`` for every rack with at least one attached server, in
            floor order; server ids in id order.
        ports: NIC port numbers the servers of the first model attached use, in NIC order.
        speed: their speed, Gb/s.
        model: the first server model attached, for messages.
        shift: by rack id, what to add to ``ports`` for the servers of that rack (models
            may list the group at different places: ports 9-10 on one, 1-2 on another).
    """

    racks: tuple[tuple[Rack, tuple[str, ...]], ...]
    ports: tuple[int, ...]
    speed: int
    model: str
    shift: dict[str, int]

    @property
    def count(self) -> int:
        return sum(len(ids) for _, ids in self.racks)


def _location(groups: Sequence[ServerIntent], i: int, key: str) -> str:
    return f"servers.{key}" if len(groups) == 1 else f"servers.{i}.{key}"


def server_models(groups: Sequence[ServerIntent], catalog: Catalog) -> list[Server]:
    """The catalog model of every group, in order.

    Raises:
        CatalogError: naming every unknown model.
    """
    problems: list[Problem] = []
    out: list[Server] = []
    for i, g in enumerate(groups):
        try:
            out.append(catalog.server(g.model, _location(groups, i, "model")))
        except CatalogError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CatalogError(problems)
    return out


def layout_servers(
    groups: Sequence[ServerIntent],
    models: Sequence[Server],
    floor: Floor,
    problems: list[Problem],
) -> tuple[RackServers, ...]:
    """Put every server group in its racks (see the module docstring, step 1).

    Problems (unknown racks, a rack named twice, a rack too small for even one server) are
    appended to ``problems``; the layout of what could be laid out is returned.

    Example:
        >>> from layouts.model import RackRow
        >>> from topo.catalog import builtin_catalog
        >>> floor = Floor(outline=((0, 0), (9, 0), (9, 4), (0, 4)),
        ...               rows=(RackRow(id="A", origin=(1, 1), count=2, power_kw=50),))
        >>> groups = (ServerIntent(model="gpu-8x400g-8u"),)
        >>> models = [builtin_catalog().server("gpu-8x400g-8u")]
        >>> [(r.rack.id, len(r.servers)) for r in layout_servers(groups, models, floor, [])]
        [('A01', 4), ('A02', 4)]
    """
    racks = floor.rack_index
    rows: dict[str, list[Rack]] = {}
    for r in floor.racks:
        rows.setdefault(r.row, []).append(r)
    owner: dict[str, int] = {}
    chosen: list[list[Rack]] = [[] for _ in groups]
    for i, g in enumerate(groups):
        if g.racks is None:
            continue
        loc = _location(groups, i, "racks")
        for name in g.racks:
            if ".." in name:
                picked = _rack_range(name, floor, loc, problems)
            elif name in racks:
                picked = [racks[name]]
                if picked[0].role != "compute":
                    problems.append(
                        Problem(
                            loc,
                            f"rack {name!r} has role {picked[0].role!r}; servers go in "
                            "compute racks",
                            name,
                        )
                    )
                    continue
            elif name in rows:
                picked = [r for r in rows[name] if r.role == "compute"]
            else:
                problems.append(
                    Problem(loc, f"no rack or row {name!r} on floor {floor.name!r}", name)
                )
                continue
            for r in picked:
                if r.id in owner:
                    problems.append(
                        Problem(loc, f"rack {r.id!r} is named by two server groups", r.id)
                    )
                    continue
                owner[r.id] = i
                chosen[i].append(r)
    for i, g in enumerate(groups):
        if g.racks is None:
            chosen[i] = [r for r in floor.racks if r.role == "compute" and r.id not in owner]
            if not chosen[i] and not any(r.role == "compute" for r in floor.racks):
                problems.append(
                    Problem(
                        "floor.rows",
                        f"floor {floor.name!r} has no rack with role 'compute'; need at least 1",
                        floor.name,
                    )
                )
        if g.per_rack == 0:
            problems.append(
                Problem(
                    _location(groups, i, "per_rack"),
                    "0 servers per rack leaves nothing to connect; need 1",
                    0,
                )
            )
    order = floor_order(floor)
    out: list[RackServers] = []
    cooled: set[tuple[int, str]] = set()  # (group, row) told it needs liquid cooling
    for i, g in enumerate(groups):
        model = models[i]
        left = g.count
        if left is not None:
            chosen[i].sort(key=lambda r: order[r.id])
            room = sum(g.per_rack if g.per_rack is not None else _fit(r, model) for r in chosen[i])
            if room < left:
                cooled_to = sorted({r.limit_kw for r in chosen[i] if r.limit_kw < r.power_kw})
                why = (
                    f" ({model.power_w / 1000:g} kW each; cooling takes "
                    f"{', '.join(f'{kw:g}' for kw in cooled_to)} kW a rack)"
                    if cooled_to and g.per_rack is None
                    else ""
                )
                problems.append(
                    Problem(
                        _location(groups, i, "count"),
                        f"servers {model.id!r}: count {left}, but the group's "
                        f"{len(chosen[i])} racks hold {room}{why}",
                        left,
                    )
                )
        for rack in chosen[i]:
            n = g.per_rack if g.per_rack is not None else _fit(rack, model)
            if left is not None:
                if left == 0:
                    break
                n = min(n, left)
                left -= n
            if n == 0 and g.per_rack is None:
                if model.cooling == "liquid" and rack.cooling == "air":
                    if (i, rack.row) not in cooled:
                        cooled.add((i, rack.row))
                        problems.append(
                            Problem(
                                f"floor.rows.{rack.row}.cooling",
                                f"{model.id!r} needs liquid cooling; row {rack.row!r} "
                                f"(rack {rack.id!r}) is air-cooled",
                                model.id,
                            )
                        )
                    continue
                cap = f"{rack.power_kw:g} kW"
                if rack.limit_kw < rack.power_kw:
                    cap += f", cooled to {rack.limit_kw:g} kW"
                problems.append(
                    Problem(
                        f"floor.racks.{rack.id}",
                        f"rack {rack.id!r} ({rack.height_u}U, {cap}) cannot "
                        f"hold one {model.id!r} ({model.height_u}U, "
                        f"{model.power_w / 1000:g} kW)",
                        rack.id,
                    )
                )
                continue
            w = max(2, len(str(n)))
            devices = tuple(
                Device(
                    f"srv-{rack.id}-{j:0{w}d}",
                    "server",
                    model.id,
                    model.height_u,
                    model.power_w,
                    model.cost_usd,
                    rack=rack.id,
                )
                for j in range(1, n + 1)
            )
            if devices:
                out.append(RackServers(rack, model, devices))
    out.sort(key=lambda rs: order[rs.rack.id])
    return tuple(out)


def _rack_range(name: str, floor: Floor, loc: str, problems: list[Problem]) -> list[Rack]:
    """The compute racks of a range ``A01..A16`` (both ends included, one row)."""
    racks = floor.rack_index
    lo, _, hi = name.partition("..")
    ends = [racks.get(lo.strip()), racks.get(hi.strip())]
    if ends[0] is None or ends[1] is None:
        bad = lo.strip() if ends[0] is None else hi.strip()
        problems.append(
            Problem(loc, f"range {name!r}: no rack {bad!r} on floor {floor.name!r}", name)
        )
        return []
    first, last = ends[0], ends[1]
    if first.row != last.row or first.position > last.position:
        problems.append(
            Problem(
                loc,
                f"range {name!r} must run forward within one row (like 'A01..A16'); "
                f"it goes from row {first.row!r} position {first.position} to row "
                f"{last.row!r} position {last.position}",
                name,
            )
        )
        return []
    return [
        r
        for r in floor.racks
        if r.row == first.row
        and first.position <= r.position <= last.position
        and r.role == "compute"
    ]


def _fit(rack: Rack, model: Server) -> int:
    """Servers of ``model`` the rack's height, power budget and cooling allow (none of
    a liquid-cooled model in an air-cooled rack)."""
    if model.cooling == "liquid" and rack.cooling == "air":
        return 0
    by_u = rack.height_u // model.height_u
    by_power = int(rack.limit_kw * 1000 // model.power_w) if model.power_w else by_u
    return max(0, min(by_u, by_power))


def attach_servers(
    layout: Sequence[RackServers],
    models: Sequence[Server],
    nics: str | None,
    server_ports: int | None,
    location: str,
    problems: list[Problem],
    *,
    only: Sequence[str] | None = None,
) -> Attached | None:
    """The servers a network connects and the NIC ports it uses on each.

    Args:
        layout: every rack's servers (from :func:`layout_servers`).
        models: the server groups' models (checked even when no rack holds them).
        nics: NIC group name; None for the first group of the first server model (servers
            of other models join when they have a group of that name).
        server_ports: use only the first this many ports of the group.
        location: the network's location for messages, e.g. ``fabrics.1``.
        only: the server models the network connects (``server_models``); None for all.

    Returns:
        The attachment (possibly with no rack), or None (with a problem recorded) when no
        server model has the group, the models disagree on its ports or speed, or
        ``only`` names a model no server group has.
    """
    if only is not None:
        have = [m.id for m in dict.fromkeys(models)]
        unknown = [m for m in only if m not in have]
        for m in unknown:
            problems.append(
                Problem(
                    f"{location}.server_models",
                    f"server model {m!r} is in no server group; the groups use "
                    f"{', '.join(repr(h) for h in have)}",
                    m,
                )
            )
        if unknown:
            return None
        models = [m for m in models if m.id in only]
        layout = [rs for rs in layout if rs.model.id in only]
    shape: tuple[int, int] | None = None  # count, speed
    first_port: dict[str, int] = {}
    first_model: Server | None = None
    wanted = nics if nics is not None or not models else models[0].nics[0].name
    for model in dict.fromkeys(models):
        found = model.nic_group(wanted)
        if found is None:
            continue
        first, count, speed = found
        first_port[model.id] = first
        if server_ports is not None and server_ports > count:
            what = f"{count} NIC ports" if nics is None else f"{count} {nics!r} NIC ports"
            problems.append(
                Problem(
                    f"{location}.server_ports",
                    f"{server_ports} ports per server, but server {model.id!r} has {what}",
                    server_ports,
                )
            )
        elif server_ports is not None:
            count = server_ports
        if shape is None:
            shape, first_model = (count, speed), model
        elif shape != (count, speed):
            assert first_model is not None
            problems.append(
                Problem(
                    f"{location}.nics",
                    f"servers {first_model.id!r} and {model.id!r} differ on this network: "
                    f"{shape[0]} x {shape[1]}G against {count} x {speed}G NIC ports",
                    model.id,
                )
            )
            return None
    if shape is None or first_model is None:
        known = sorted({g.name for m in models for g in m.nics})
        problems.append(
            Problem(
                f"{location}.nics",
                f"no server has a NIC group {nics!r}; the servers have "
                f"{', '.join(repr(k) for k in known)}",
                nics,
            )
        )
        return None
    kept = tuple(
        (rs.rack, tuple(d.id for d in rs.servers)) for rs in layout if rs.model.id in first_port
    )
    base = first_port[first_model.id]
    shift = {
        rs.rack.id: first_port[rs.model.id] - base for rs in layout if rs.model.id in first_port
    }
    count, speed = shape
    return Attached(kept, tuple(range(base, base + count)), speed, first_model.id, shift)


def planes_divide(
    att: Attached | None, planes: int, location: str, problems: list[Problem]
) -> bool:
    """Whether the attached NIC ports split evenly over ``planes``; a problem if not."""
    if att is None or not len(att.ports) % planes:
        return True
    p_all = len(att.ports)
    problems.append(
        Problem(
            f"{location}.planes",
            f"{planes} planes need the {p_all} NIC ports of server {att.model!r} to split "
            f"evenly; use a divisor of {p_all}",
            planes,
        )
    )
    return False
