"""Every network of a scenario, over one set of servers, merged into one fabric.

A scenario gives one network (``fabric:``) or several (``fabrics: [...]``: compute,
storage, front-end, management). Steps:

1. :func:`build_network`: lay the servers out once (:func:`topo.fabric.servers.layout_servers`);
   build every data network over them (:func:`topo.fabric.build_on_layout`), each taking
   the NIC group it names; merge them (:func:`merge_fabrics`). With several networks every
   switch id starts with its network's name (``storage-leaf-A01``); a lone network keeps
   bare ids. Problems of every network are raised together.
2. The caller places the merged fabric.
3. :func:`add_management`: build each management network over the *placed* devices
   (:func:`topo.fabric.mgmt.build_management`) and merge it in; the caller places the new
   switches around the devices already placed (they keep their units).

:func:`restrict_media` turns the media rules of the data networks (``media:`` on a fabric
intent, on a switch or server model) into the catalog the cables are chosen from: at
every link speed, only the media kinds every rule on a link of that speed permits.

Servers appear once in the merged fabric (``fabric=''``); every switch and link names its
network; :attr:`~topo.model.Fabric.parts` lists the networks in scenario order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence, Set
from dataclasses import replace

import layouts.limits as limits
from layouts.model import Floor
from topo.catalog import Catalog, MediaRule
from topo.errors import CatalogError, FabricError, Problem, TopoError
from topo.fabric.build import build_on_layout, resolve_switches
from topo.fabric.mgmt import build_management
from topo.fabric.servers import layout_servers, server_models
from topo.model import Device, Endpoint, Fabric, FabricInfo, Link
from topo.power import check_power
from topo.scenario import DataFabricIntent, JoinIntent, ManagementIntent, Scenario
from topo.sourcing import restrict_origins

__all__ = ["add_management", "build_network", "join_fabrics", "merge_fabrics", "restrict_media"]


def _where(scenario: Scenario, i: int) -> tuple[str, str]:
    """``(location, id prefix)`` of network ``i``."""
    if scenario.fabric is not None:
        return "fabric", ""
    net = scenario.fabrics[i]
    return f"fabrics.{i}", f"{net.name}-" if len(scenario.fabrics) > 1 else ""


def build_network(
    scenario: Scenario,
    floor: Floor,
    catalog: Catalog,
    *,
    units: Mapping[str, Mapping[str, int]] | None = None,
) -> Fabric:
    """Build every data network of ``scenario`` and merge them (management comes later,
    from the placement: see :func:`add_management`).

    ``units``: by fabric name, the scalable unit of each installed node of a rail fabric
    (nodes stay in their unit when others come and go; see
    :func:`topo.brownfield.installed_units`).

    Raises:
        CatalogError: unknown server or switch models, every one at once.
        FabricError: networks that cannot be built, every problem of every network.
        InfeasibleError: servers and fixed switches over the floor's cooling or power
            budgets (:func:`topo.power.check_power`).

    Example:
        >>> from topo.scenario import parse_scenario
        >>> from topo.catalog import builtin_catalog
        >>> from layouts.library import load_layout
        >>> sc = parse_scenario({"floor": "ai-hall",
        ...     "servers": {"model": "gpu-8x400g-8u", "per_rack": 4, "racks": ["A"]},
        ...     "fabrics": [
        ...         {"name": "compute", "kind": "rail-optimized", "su_nodes": 32,
        ...          "leaf": {"model": "ib-64x400g-1u"}, "spine": {"model": "ib-64x400g-1u"}},
        ...         {"name": "storage", "kind": "clos", "nics": "storage",
        ...          "leaf": {"model": "sw-64x400g-1u", "placement": "end-of-row"},
        ...          "spine": {"model": "sw-64x400g-1u"}},
        ...     ]})
        >>> f = build_network(sc, load_layout("ai-hall"), builtin_catalog())
        >>> [p.name for p in f.parts], [d.id for d in f.devices[-3:]]
        (['compute', 'storage'], ['storage-leaf-A-04', 'storage-spine-01', 'storage-spine-02'])
    """
    groups = scenario.server_groups
    problems: list[Problem] = []
    try:
        models = server_models(groups, catalog)
    except CatalogError as exc:
        problems.extend(exc.problems)
        models = []
    data = [
        (i, net) for i, net in enumerate(scenario.networks) if not isinstance(net, ManagementIntent)
    ]
    for i, net in data:
        try:
            resolve_switches(net, catalog, _where(scenario, i)[0])
        except CatalogError as exc:
            problems.extend(exc.problems)
    for i, mnet in enumerate(scenario.networks):
        if isinstance(mnet, ManagementIntent):
            loc = _where(scenario, i)[0]
            for model, key in ((mnet.switch.model, "switch"),) + (
                ((mnet.aggregation.model, "aggregation"),) if mnet.aggregation else ()
            ):
                try:
                    catalog.switch(model, f"{loc}.{key}.model")
                except CatalogError as exc:
                    problems.extend(exc.problems)
    if problems:
        raise CatalogError(problems)
    layout = layout_servers(groups, models, floor, problems)
    servers = [d for rs in layout for d in rs.servers]
    _check_size("servers", len(servers), "max_devices")
    fabrics: list[Fabric] = []
    built = (len(servers), 0)
    for k, (i, net) in enumerate(data):
        loc, prefix = _where(scenario, i)
        own = problems if k == 0 else []  # layout problems are raised once
        try:
            fabrics.append(
                build_on_layout(
                    net,
                    layout,
                    models,
                    floor,
                    catalog,
                    location=loc,
                    prefix=prefix,
                    problems=own,
                    units=(units or {}).get(net.name),
                )
            )
        except FabricError as exc:
            if k:
                problems.extend(exc.problems)
            else:
                problems[:] = list(exc.problems)
        else:
            built = _count_built(fabrics[-1], built)
    if problems:
        raise FabricError(problems)
    fabrics = join_fabrics(fabrics, [(_where(scenario, i)[0], net) for i, net in data], catalog)
    if len(fabrics) == 1 and len(scenario.networks) == 1:
        merged = fabrics[0]
    else:
        merged = merge_fabrics(
            scenario.name, fabrics, servers=servers, label=len(scenario.networks) > 1
        )
    check_power(floor, merged.devices, catalog)
    return merged


def _check_size(what: str, count: int, limit: str) -> None:
    """Refuse a fabric larger than a named limit (see :mod:`layouts.limits`)."""
    if count > getattr(limits.LIMITS, limit):
        raise FabricError(Problem("fabric", limits.too_many(what, count, limit), count))


def _count_built(fabric: Fabric, built: tuple[int, int]) -> tuple[int, int]:
    """Devices and links so far, with one more network built: refused over the limits."""
    devices = built[0] + sum(1 for d in fabric.devices if d.role != "server")
    links = built[1] + len(fabric.links)
    _check_size("devices", devices, "max_devices")
    _check_size("links", links, "max_cables")
    return devices, links


def merge_fabrics(
    name: str, parts: Sequence[Fabric], *, servers: Sequence[Device] = (), label: bool = True
) -> Fabric:
    """One fabric of several networks: ``servers`` first, then each part's devices that
    are not servers (and any server not yet listed), links and notes in order; with
    ``label``, each note starts with its network's name.

    Raises:
        FabricError: two networks build a switch with the same id.
    """
    devices: list[Device] = list(servers)
    seen = {d.id: "" for d in servers}
    problems: list[Problem] = []
    links: list[Link] = []
    nic_owner: dict[tuple[str, int], str] = {}
    clashes: set[tuple[str, str]] = set()
    notes: list[str] = []
    zones: list[tuple[str, tuple[str, ...]]] = []
    infos: list[FabricInfo] = []
    for f in parts:
        for d in f.devices:
            if d.id in seen:
                if d.role != "server":
                    problems.append(
                        Problem(
                            f"fabrics.{f.name}",
                            f"device id {d.id!r} is built by networks {seen[d.id]!r} and "
                            f"{f.name!r}; give the networks distinct names",
                            d.id,
                        )
                    )
                continue
            seen[d.id] = f.name
            devices.append(d)
        links.extend(f.links)
        for x in f.links:
            if x.tier == "server-leaf":
                key = (x.a.device, x.a.port)
                other = nic_owner.setdefault(key, f.name)
                if other != f.name and (other, f.name) not in clashes:
                    clashes.add((other, f.name))
                    problems.append(
                        Problem(
                            f"fabrics.{f.name}.nics",
                            f"networks {other!r} and {f.name!r} both use NIC port "
                            f"{x.a.port} of server {x.a.device!r}; give each network its own "
                            "NIC group (nics) or fewer server_ports",
                            x.a.device,
                        )
                    )
        notes.extend(f"{f.name}: {n}" if label else n for n in f.notes)
        zones.extend(f.zones)
        infos.extend(f.parts)
    if problems:
        raise FabricError(problems)
    return Fabric(
        name=name,
        devices=tuple(devices),
        links=tuple(links),
        notes=tuple(notes),
        zones=tuple(sorted(zones)),
        parts=tuple(infos),
    )


def add_management(
    scenario: Scenario, fabric: Fabric, placed: Sequence[Device], floor: Floor, catalog: Catalog
) -> Fabric:
    """``fabric`` with every management network of ``scenario`` built over the placed
    devices and merged in; the devices already placed keep their rack and unit.

    Returns ``fabric`` itself when the scenario has no management network.

    Raises:
        CatalogError, FabricError: a management network that cannot be built.
    """
    mgmt = [
        (i, net) for i, net in enumerate(scenario.networks) if isinstance(net, ManagementIntent)
    ]
    if not mgmt:
        return fabric
    problems: list[Problem] = []
    parts: list[Fabric] = []
    for i, net in mgmt:
        loc, prefix = _where(scenario, i)
        try:
            parts.append(build_management(net, placed, floor, catalog, location=loc, prefix=prefix))
        except TopoError as exc:
            problems.extend(exc.problems)
    if problems:
        raise FabricError(problems)
    devices = [*placed, *(d for p in parts for d in p.devices)]
    ids = {d.id for d in placed}
    clash = sorted(d.id for p in parts for d in p.devices if d.id in ids)
    if clash:
        raise FabricError(
            Problem("fabrics", f"device id {clash[0]!r} is built twice; rename the networks")
        )
    return Fabric(
        name=fabric.name if len(scenario.networks) == 1 else scenario.name,
        devices=tuple(devices),
        links=(*fabric.links, *(x for p in parts for x in p.links)),
        notes=(*fabric.notes, *(f"{p.name}: {n}" for p in parts for n in p.notes)),
        zones=tuple(sorted((*fabric.zones, *(z for p in parts for z in p.zones)))),
        parts=(*fabric.parts, *(x for p in parts for x in p.parts)),
    )


def restrict_media(scenario: Scenario, fabric: Fabric, catalog: Catalog) -> Catalog:
    """The catalog with the media the data networks' rules forbid taken out.

    A rule comes from a fabric intent (``media: {exclude: [aoc]}`` on the fabric) or from
    the catalog entry of a device at either end of a link (a switch model that takes no
    AOC). Media are chosen per link speed, so a rule on any link of a speed applies to
    every link of that speed in the plan (management links excepted). Media of other
    speeds are untouched.

    Raises:
        FabricError: a speed whose links the rules leave no media at all, naming the
            rule, a link of that speed and the media kinds the catalog has there.

    Example:
        >>> from topo.catalog import builtin_catalog
        >>> from topo.model import Endpoint
        >>> from topo.scenario import parse_scenario
        >>> sc = parse_scenario({"floor": "ai-hall", "servers": {"model": "gpu-8x400g-8u"},
        ...     "fabric": {"kind": "rail-optimized", "su_nodes": 32,
        ...                "leaf": {"model": "ib-64x400g-1u"},
        ...                "spine": {"model": "ib-64x400g-1u"},
        ...                "media": {"exclude": ["aoc"]}}})
        >>> link = Link("fabric-L1", Endpoint("s", 1), Endpoint("l", 1), 400, "server-leaf",
        ...             "fabric")
        >>> f = Fabric("f", (), (link,))
        >>> cat = restrict_media(sc, f, builtin_catalog())
        >>> sorted({m.kind for m in cat.media_for(400)})
        ['acc', 'dac', 'mmf', 'smf']

    Media of an origin the scenario excludes (``options.sourcing.exclude_origins``) are
    taken out first (:func:`topo.sourcing.restrict_origins`).
    """
    catalog = restrict_origins(scenario, fabric, catalog)
    rules: dict[str, MediaRule] = {
        net.name: net.media
        for net in scenario.networks
        if not isinstance(net, ManagementIntent) and net.media is not None
    }
    managed = {net.name for net in scenario.networks if isinstance(net, ManagementIntent)}
    model_rules: dict[str, MediaRule] = {}
    for sw in catalog.switches:
        if sw.media is not None:
            model_rules[sw.id] = sw.media
    for srv in catalog.servers:
        if srv.media is not None:
            model_rules[srv.id] = srv.media
    if not rules and not model_rules:
        return catalog
    rule_of_device: dict[str, tuple[str, MediaRule]] = {}
    if model_rules:
        for d in fabric.devices:
            if d.model in model_rules:
                rule_of_device[d.id] = (f"model {d.model!r}", model_rules[d.model])
    # per speed: the rules that apply and a link each applies to (for messages)
    by_speed: dict[int, dict[str, tuple[MediaRule, str]]] = {}
    for link in fabric.links:
        if link.fabric in managed:
            continue
        found: list[tuple[str, MediaRule]] = []
        if link.fabric in rules:
            found.append((f"fabric {link.fabric!r}", rules[link.fabric]))
        for end in (link.a.device, link.b.device):
            if end in rule_of_device:
                found.append(rule_of_device[end])
        if found:
            seen = by_speed.setdefault(link.speed_gbps, {})
            for who, rule in found:
                seen.setdefault(who, (rule, link.id))
    if not by_speed:
        return catalog
    problems: list[Problem] = []
    drop: set[str] = set()
    for speed in sorted(by_speed):
        offered = catalog.media_for(speed)
        kept = list(offered)
        for _who, (rule, _) in sorted(by_speed[speed].items()):
            kept = [m for m in kept if rule.permits(m.kind)]
        if offered and not kept:
            who, (rule, link_id) = sorted(by_speed[speed].items())[0]
            kinds = ", ".join(sorted({m.kind for m in offered}))
            rules_said = "; ".join(
                f"{w}: {r.describe()}" for w, (r, _) in sorted(by_speed[speed].items())
            )
            problems.append(
                Problem(
                    f"links.{link_id}",
                    f"link {link_id!r} at {speed}G has no media its rules permit "
                    f"({rules_said}); the catalog's {speed}G media are {kinds}",
                    speed,
                )
            )
        drop.update(m.id for m in offered if m not in kept)
    if problems:
        raise FabricError(problems)
    if not drop:
        return catalog
    return catalog.model_copy(update={"media": tuple(m for m in catalog.media if m.id not in drop)})


_TOP = ("core", "spine", "leaf")
"""Roles from the top tier down: a fabric's top tier is the first it has."""


def join_fabrics(
    fabrics: Sequence[Fabric],
    intents: Sequence[tuple[str, DataFabricIntent]],
    catalog: Catalog,
) -> list[Fabric]:
    """The fabrics with the links each intent's ``join`` asks for added to its fabric.

    Link ``k`` of a join from fabric A to fabric B joins A's top-tier switch
    ``k mod |A|`` to B's ``k mod |B|`` (each tier in id order), each end on the lowest
    free port of its switch at least as fast as the link; ids ``{A}-{B}-J0001``, tier
    ``fabric-join``. ``intents`` pairs each fabric (in order) with its location.

    Raises:
        FabricError: a join names no other data fabric, or a switch has too few free
            ports: each problem names the join, the switch, the ports it needs and has.
    """
    by_name = {f.name: k for k, f in enumerate(fabrics)}
    out = list(fabrics)
    problems: list[Problem] = []
    for k, (loc, net) in enumerate(intents):
        for j, join in enumerate(net.join):
            where = f"{loc}.join.{j}"
            other = by_name.get(join.fabric)
            if other is None or other == k:
                names = ", ".join(repr(n) for n in by_name if n != out[k].name) or "none"
                problems.append(
                    Problem(
                        f"{where}.fabric",
                        f"fabric {out[k].name!r} joins {join.fabric!r}, which is not another "
                        f"data fabric of the scenario (others: {names})",
                        join.fabric,
                    )
                )
                continue
            links, trouble = _join_links(out[k], out[other], join, catalog, where)
            problems.extend(trouble)
            out[k] = replace(out[k], links=out[k].links + tuple(links))
    if problems:
        raise FabricError(problems)
    return out


def _top(fabric: Fabric) -> list[Device]:
    for role in _TOP:
        tier = sorted((d for d in fabric.devices if d.role == role), key=lambda d: d.id)
        if tier:
            return tier
    return []


def _free_ports(device: Device, used: Set[int], catalog: Catalog) -> list[tuple[int, int]]:
    """``(port, speed)`` of every port of ``device`` not in ``used``, in order."""
    model = catalog.switch_index.get(device.model)
    out, port = [], 0
    for group in model.ports if model is not None else ():
        for _ in range(group.count):
            port += 1
            if port not in used:
                out.append((port, group.speed_gbps))
    return out


def _join_links(
    a: Fabric, b: Fabric, join: JoinIntent, catalog: Catalog, where: str
) -> tuple[list[Link], list[Problem]]:
    """The links of one join, or the problems that stop it."""
    top_a, top_b = _top(a), _top(b)
    if not top_a or not top_b:
        empty = a.name if not top_a else b.name
        return [], [Problem(where, f"fabric {empty!r} has no switches to join", empty)]
    kinds = {
        f.name: {m.infiniband for d in tier if (m := catalog.switch_index.get(d.model))}
        for f, tier in ((a, top_a), (b, top_b))
    }
    if kinds[a.name] != kinds[b.name]:
        ib = a.name if True in kinds[a.name] else b.name
        eth = b.name if ib == a.name else a.name
        return [], [
            Problem(
                where,
                f"fabric {ib!r} is InfiniBand and {eth!r} Ethernet: their switches cannot be "
                "cabled to each other (that takes a gateway)",
                join.fabric,
            )
        ]
    used: dict[str, set[int]] = defaultdict(set)  # ports the two fabrics' links take
    for link in (*a.links, *b.links):
        used[link.a.device].add(link.a.port)
        used[link.b.device].add(link.b.port)
    free = {d.id: _free_ports(d, used[d.id], catalog) for d in top_a + top_b}
    fastest = [max((s for d in tier for _, s in free[d.id]), default=0) for tier in (top_a, top_b)]
    speed = join.speed_gbps or min(fastest)
    need: dict[str, int] = defaultdict(int)
    for n in range(join.links):
        need[top_a[n % len(top_a)].id] += 1
        need[top_b[n % len(top_b)].id] += 1
    problems = []
    ports: dict[str, list[int]] = {}
    for dev, count in sorted(need.items()):
        fit = [p for p, s in free[dev] if s >= speed > 0]
        if len(fit) < count:
            problems.append(
                Problem(
                    where,
                    f"joining {a.name!r} to {b.name!r} with {join.links} links needs {count} "
                    f"free ports{f' of {speed}G or faster' if speed else ''} on {dev!r}, "
                    f"which has {len(fit)}: give its tier spare ports (more spines: "
                    "spine.count) or ask for fewer links",
                    count,
                )
            )
        ports[dev] = fit
    if problems:
        return [], problems
    taken: dict[str, int] = defaultdict(int)
    links = []
    for n in range(join.links):
        da, db = top_a[n % len(top_a)].id, top_b[n % len(top_b)].id
        pa, pb = ports[da][taken[da]], ports[db][taken[db]]
        taken[da] += 1
        taken[db] += 1
        links.append(
            Link(
                f"{a.name}-{b.name}-J{n + 1:04d}",
                Endpoint(da, pa),
                Endpoint(db, pb),
                speed,
                "fabric-join",
                a.name,
            )
        )
    return links, []
