"""Brownfield: planning on top of an installed plan.

A scenario that names ``existing:`` (a folder written by ``topo plan``) is planned on what
that folder says is installed; ``options.rewire`` says how much may change:

- ``minimal`` (default): every device of the target that is installed keeps its rack and
  U (:func:`pin_devices`, before placement; placement keeps them and puts nothing else on
  those units); installed devices the target no longer has are removed. A link of the
  target between two devices an installed cable joins takes that cable's ports
  (:func:`keep_ports`): the fabric's own numbering shifts when a rack is emptied, the
  installed connections do not; new links take ports no kept cable holds. In a rail
  fabric installed nodes keep their scalable unit (:func:`installed_units`), and the
  installed management devices hold their units while the data devices are placed
  (:func:`held_devices`). Every installed cable whose two ends (device and port, both
  ends) are a link of the target is kept as it is: same id, label, media, stock length
  and tray route. The kept cables are not routed again: the other links are routed on
  trays whose capacity is reduced by the kept cables' cross-sections
  (:func:`reduced_pathways`), then the kept cables are merged back
  (:func:`merge_cables`), so tray fill counts every cable. New cables are numbered after
  the highest installed id. Installed cables no target link needs are removed. A
  breakout assembly (the legs of one cage: one cable) that gains legs is planned again
  as a whole, its installed legs keeping their ids (``keep`` if nothing changed, else
  ``reroute``), so all its legs share one media and stock length.
- ``none``: as ``minimal``, but no installed cable between devices the target keeps is
  touched: one that is not a target link stays (its link is added to the plan) and a
  target link that needs one of its ports, or a new leg of an installed breakout
  assembly, is not built; each such link is reported as a diagnostic. Cables of removed
  devices go with them.
- ``free``: the target is planned from scratch; a new cable with the ends of an installed
  one takes its id (``keep`` if nothing physical changed, else ``reroute``), and the
  whole difference is reported.

Under ``minimal`` a cable whose ends stay but whose devices moved would be a ``reroute``;
installed devices are pinned, so this happens only when the installed cable was not
routed (``unrouted`` or ``no-media``) and is planned again.

:func:`cable_changes` lists every cable of either plan with its action; the outputs write
it as ``changes.csv`` and ``work_orders.csv``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from layouts.model import Floor
from layouts.pathways import PathwayGraph, compact_route
from topo.cables import Cable, breakout_assemblies
from topo.errors import Problem, ScenarioError
from topo.model import Device, Endpoint, Fabric, Link
from topo.outputs.read import plan_from_files, read_plan
from topo.plan import CableChange, Changes, Plan
from topo.scenario import ExistingPlan, Scenario, existing_files, existing_folder

__all__ = [
    "Installed",
    "Reuse",
    "cable_changes",
    "held_devices",
    "installed_units",
    "keep_ports",
    "load_installed",
    "merge_cables",
    "pin_devices",
    "reduced_pathways",
    "reuse_cables",
]

_ID = re.compile(r"^([A-Za-z]*)(\d+)$")


@dataclass(frozen=True)
class Installed:
    """The installed plan a scenario builds on, and how much may change (``rewire``)."""

    plan: Plan
    rewire: str

    @property
    def pinned(self) -> bool:
        """Whether installed devices keep their place (every mode but ``free``)."""
        return self.rewire != "free"


@dataclass(frozen=True)
class Reuse:
    """What is kept of the installed cables.

    Attributes:
        fabric: the links to build: the target's, less the links ``none`` cannot build,
            plus (under ``none``) the installed cables no target link needs.
        kept: installed cables kept as they are, by the id of the link they serve
            (segments renumbered on the new pathway graph).
        problems: target links that cannot be built (``none``), one each.
    """

    fabric: Fabric
    kept: dict[str, Cable]
    problems: tuple[Problem, ...]


def load_installed(scenario: Scenario) -> Installed | None:
    """The installed plan of a scenario with ``existing``; None without.

    A plan folder is read once :func:`topo.scenario.resolve_existing` found it; a plan
    stored by the API (``existing: {plan: <id>}``) from the files the API gave with
    :func:`topo.scenario.attach_installed`.

    Raises:
        ScenarioError: ``existing`` was not resolved (a folder named in a scenario that
            did not come from a file, or a stored plan outside the API), or what it names
            is not a plan.
    """
    ref = scenario.existing
    if ref is None:
        return None
    files = existing_files(scenario)
    if files is not None:
        return Installed(plan_from_files(files), scenario.options.rewire)
    folder = existing_folder(scenario)
    if isinstance(ref, ExistingPlan) or folder is None:
        raise ScenarioError(_unresolved(ref))
    return Installed(read_plan(folder), scenario.options.rewire)


def _unresolved(ref: str | ExistingPlan) -> Problem:
    if isinstance(ref, ExistingPlan):
        return Problem(
            "existing.plan",
            f"existing plan {ref.plan!r} is stored by the topo HTTP API: post the scenario "
            "to it (`topo plan` reads a plan folder)",
            ref.plan,
        )
    return Problem(
        "existing",
        f"existing plan {ref!r} was not found: plan the scenario from its file (`topo "
        "plan`) so the folder is read relative to it",
        ref,
    )


_UNIT = re.compile(r"^su(\d+)$")


def installed_units(installed: Installed | None) -> dict[str, dict[str, int]]:
    """By rail fabric name, the scalable unit (from 0) of every installed node: the
    unit (``group`` ``su03``: 2) of the rail leaves its installed cables go to. Empty
    under ``free`` or without an installed plan (nodes then fall into units in id
    order, as a new fabric's do).

    A rail fabric groups its nodes into units in server id order, so emptying a rack of
    one unit would move the first nodes of every later unit into the one before, and
    their rail cables to that unit's leaves; with their installed units they stay.
    """
    if installed is None or not installed.pinned:
        return {}
    devices = {d.id: d for d in installed.plan.placement.devices}
    out: dict[str, dict[str, int]] = {}
    for c in installed.plan.cables:
        leaf = devices.get(c.b_device)
        node = devices.get(c.a_device)
        if c.tier != "server-leaf" or leaf is None or node is None or leaf.role != "leaf":
            continue
        m = _UNIT.match(leaf.group)
        if m and node.role == "server":
            out.setdefault(c.fabric, {})[node.id] = int(m.group(1)) - 1
    return out


def pin_devices(fabric: Fabric, installed: Installed | None) -> Fabric:
    """The fabric with every installed device at its installed rack and U (unchanged
    under ``free`` or without an installed plan)."""
    if installed is None or not installed.pinned:
        return fabric
    at = {d.id: d for d in installed.plan.placement.devices}
    devices = tuple(
        dataclasses.replace(d, rack=at[d.id].rack, u=at[d.id].u) if d.id in at else d
        for d in fabric.devices
    )
    return dataclasses.replace(fabric, devices=devices)


Port = tuple[int, int]
"""A device port as ``(port, lane)``, lane 0 for a whole port (see :class:`Endpoint`)."""


def _port_of(name: str) -> Port:
    """``'03.2'`` -> ``(3, 2)``, ``'17'`` -> ``(17, 0)``, ``'mgmt'`` -> ``(0, 0)``."""
    e = _endpoint("", name)
    return e.port, e.lane


def _pair_key(device_a: str, port_a: Port, device_b: str, port_b: Port, speed: int) -> tuple:
    """What a link and an installed cable must share to be the same connection: the two
    devices, the speed, and at each device whether the end is a breakout lane."""
    ends = sorted(((device_a, port_a[1] > 0), (device_b, port_b[1] > 0)))
    return (*ends, speed)


def keep_ports(fabric: Fabric, installed: Installed | None) -> Fabric:
    """The fabric with every installed connection on its installed ports.

    The fabric builders number ports from the devices they are given: with a rack emptied,
    the spine ports of every later leaf shift. Under ``minimal`` and ``none`` a link
    between two devices that an installed cable joins (the same two devices, the same
    speed, a breakout lane at the same ends) takes that cable's ports instead; a pair
    joined by several links and cables matches the links already on a cable's ports
    first, then the rest in port order. Every other link keeps its own port on a device
    where no kept cable holds it, else takes the lowest port of the same speed (and lane
    or whole) that the fabric uses on that device and no kept cable holds: a new link
    takes a free port, never a kept one. Under ``none`` the installed cables between the
    devices the fabric keeps all hold their ports (a link left without a free port keeps
    its own and is reported by :func:`reuse_cables`). Unchanged under ``free`` or without
    an installed plan.

    Example: a leaf's uplinks on spine ports 3-4 while rack A01 (spine ports 1-2) is
    emptied stay on 3-4; the next new leaf takes 1-2.
    """
    if installed is None or not installed.pinned:
        return fabric
    names = {d.id for d in fabric.devices}
    old = [
        c
        for c in installed.plan.cables
        if c.status == "ok" and c.a_device in names and c.b_device in names
    ]
    dropped: set[str] = set()  # cables whose match would leave a new link no port
    while True:
        match = _match_cables(fabric.links, [c for c in old if c.id not in dropped])
        links, clash = _renumber(fabric.links, match, old, none=installed.rewire == "none")
        if not clash:
            return dataclasses.replace(fabric, links=links)
        dropped |= clash


def _match_cables(links: Sequence[Link], cables: Sequence[Cable]) -> dict[str, Cable]:
    """The installed cable each link takes the ports of, by link id."""
    by_key: dict[tuple, list[Cable]] = {}
    for c in cables:
        key = _pair_key(
            c.a_device, _port_of(c.a_port), c.b_device, _port_of(c.b_port), c.speed_gbps
        )
        by_key.setdefault(key, []).append(c)
    want: dict[tuple, list[Link]] = {}
    for link in links:
        key = _pair_key(
            link.a.device,
            (link.a.port, link.a.lane),
            link.b.device,
            (link.b.port, link.b.lane),
            link.speed_gbps,
        )
        if key in by_key:
            want.setdefault(key, []).append(link)
    match: dict[str, Cable] = {}
    for key, group in want.items():
        free = sorted(by_key[key], key=_cable_order)
        exact: dict[frozenset[tuple[str, str]], Cable] = {_cable_ends(c): c for c in free}
        rest: list[Link] = []
        for link in group:
            same = exact.pop(_link_ends(link), None)
            if same is None:
                rest.append(link)
            else:
                match[link.id] = same
        taken = {c.id for c in match.values()}
        free = [c for c in free if c.id not in taken]
        rest.sort(key=_link_order)
        for link, c in zip(rest, free, strict=False):
            match[link.id] = c
    return match


def _cable_order(c: Cable) -> tuple:
    return tuple(sorted(((c.a_device, _port_of(c.a_port)), (c.b_device, _port_of(c.b_port)))))


def _link_order(link: Link) -> tuple:
    return tuple(
        sorted(
            (
                (link.a.device, (link.a.port, link.a.lane)),
                (link.b.device, (link.b.port, link.b.lane)),
            )
        )
    )


def _renumber(
    links: Sequence[Link], match: Mapping[str, Cable], old: Sequence[Cable], *, none: bool
) -> tuple[tuple[Link, ...], set[str]]:
    """The links on their new ports, and the installed cables whose ports a link had to
    keep anyway (no free port of its kind): to be matched no more."""
    held: dict[str, dict[Port, str]] = {}  # device -> port -> id of the cable holding it
    matched = {c.id for c in match.values()}
    for c in old:
        if c.id in matched or none:
            for device, port in ((c.a_device, c.a_port), (c.b_device, c.b_port)):
                held.setdefault(device, {})[_port_of(port)] = c.id
    # the ports of each kind (speed, lane or whole) the fabric uses on each device
    used: dict[tuple[str, int, bool], set[Port]] = {}
    for link in links:
        for e in (link.a, link.b):
            used.setdefault((e.device, link.speed_gbps, e.lane > 0), set()).add((e.port, e.lane))
    given: dict[str, set[Port]] = {}
    ends: dict[tuple[str, str], Port] = {}
    waiting: list[tuple[Link, Endpoint]] = []
    for link in links:
        cable = match.get(link.id)
        for e in (link.a, link.b):
            if cable is not None:
                name = cable.a_port if cable.a_device == e.device else cable.b_port
                ends[(link.id, e.device)] = _port_of(name)
            elif (e.port, e.lane) not in held.get(e.device, {}):
                ends[(link.id, e.device)] = (e.port, e.lane)
                given.setdefault(e.device, set()).add((e.port, e.lane))
            else:
                waiting.append((link, e))
    clash: set[str] = set()
    for link, e in waiting:
        taken = held.get(e.device, {})
        mine = given.setdefault(e.device, set())
        pool = sorted(used[(e.device, link.speed_gbps, e.lane > 0)] - taken.keys() - mine)
        free = pool[0] if pool else (e.port, e.lane)
        if not pool and taken[free] in matched:
            clash.add(taken[free])
        mine.add(free)
        ends[(link.id, e.device)] = free
    out = tuple(
        dataclasses.replace(
            link,
            a=Endpoint(link.a.device, *ends[(link.id, link.a.device)]),
            b=Endpoint(link.b.device, *ends[(link.id, link.b.device)]),
        )
        for link in links
    )
    return out, clash


def held_devices(installed: Installed | None, networks: Collection[str]) -> tuple[Device, ...]:
    """The installed devices of the management networks named ``networks``, where they
    stand (none under ``free`` or without an installed plan).

    The management networks are built after the data devices are placed, around them;
    placing the data devices with these among them (pinned, with no link) keeps their
    units free for them, so that a new spine does not take the unit of an installed
    aggregation switch.
    """
    if installed is None or not installed.pinned:
        return ()
    return tuple(d for d in installed.plan.placement.devices if d.fabric in networks)


def _ends(device_a: str, port_a: str, device_b: str, port_b: str) -> frozenset[tuple[str, str]]:
    return frozenset({(device_a, port_a), (device_b, port_b)})


def _cable_ends(c: Cable) -> frozenset[tuple[str, str]]:
    return _ends(c.a_device, c.a_port, c.b_device, c.b_port)


def _link_ends(link: Link) -> frozenset[tuple[str, str]]:
    return _ends(link.a.device, link.a.port_name, link.b.device, link.b.port_name)


def _segments_on(graph: PathwayGraph, installed: Plan, cable: Cable) -> tuple[int, ...]:
    """The cable's tray segments as indices of ``graph`` (matched by segment id)."""
    index = {s.id: s.index for s in graph.segments}
    old = installed.pathways.segments
    missing = [old[i].id for i in cable.segments if old[i].id not in index]
    if missing:
        raise ScenarioError(
            Problem(
                f"existing.cables.{cable.id}",
                f"installed cable {cable.id!r} runs on tray segment {missing[0]!r}, which "
                "the floor does not have",
                missing[0],
            )
        )
    return tuple(index[old[i].id] for i in cable.segments)


def reuse_cables(
    fabric: Fabric,
    devices: Mapping[str, Device],
    graph: PathwayGraph,
    installed: Installed | None,
) -> Reuse:
    """Which installed cables stay, and the links left to build (see the module
    docstring for each ``rewire`` mode)."""
    if installed is None or not installed.pinned:
        return Reuse(fabric, {}, ())
    fabric = keep_ports(fabric, installed)
    old = [c for c in installed.plan.cables if c.status == "ok"]
    by_ends = {_cable_ends(c): c for c in old}
    kept: dict[str, Cable] = {}
    for link in fabric.links:
        c = by_ends.get(_link_ends(link))
        if c is None:
            continue
        da, db = devices.get(c.a_device), devices.get(c.b_device)
        if da is None or db is None:
            continue
        if (da.rack, da.u, db.rack, db.u) != (c.a_rack, c.a_u, c.b_rack, c.b_u):
            continue  # its devices moved: routed again (a reroute)
        kept[link.id] = dataclasses.replace(
            c, link=link.id, segments=_segments_on(graph, installed.plan, c)
        )
    # a breakout assembly is one cable: one that gains legs is pulled again as a whole
    # (minimal), or its new legs wait (none)
    split: dict[int, list[Link]] = {}
    for link, root in zip(fabric.links, breakout_assemblies(fabric.links), strict=True):
        if root >= 0:
            split.setdefault(root, []).append(link)
    waiting: dict[str, Cable] = {}
    for legs in split.values():
        held = [kept[leg.id] for leg in legs if leg.id in kept]
        if held and len(held) < len(legs):
            for leg in legs:
                if installed.rewire == "none" and leg.id not in kept:
                    waiting[leg.id] = held[0]
                elif installed.rewire != "none":
                    kept.pop(leg.id, None)
    if installed.rewire != "none":
        return Reuse(fabric, kept, ())
    # none: installed cables no target link needs stay; a link needing their ports waits
    used = {c.id for c in kept.values()}
    stay = [c for c in old if c.id not in used and c.a_device in devices and c.b_device in devices]
    port_of: dict[tuple[str, str], Cable] = {
        (d, p): c for c in stay for d, p in ((c.a_device, c.a_port), (c.b_device, c.b_port))
    }
    links: list[Link] = []
    problems: list[Problem] = []
    for link in fabric.links:
        if link.id in waiting:
            c = waiting[link.id]
            problems.append(
                Problem(
                    f"links.{link.id}",
                    f"link {link.id!r} is a new leg of the installed breakout assembly of "
                    f"cable {c.id!r} ({c.label}); rewire 'none' leaves installed cables: "
                    "not built",
                    c.id,
                )
            )
            continue
        if link.id not in kept:
            blocker = next((port_of[e] for e in sorted(_link_ends(link)) if e in port_of), None)
            if blocker is not None:
                problems.append(
                    Problem(
                        f"links.{link.id}",
                        f"link {link.id!r} needs port {_port_text(link, blocker)} held by "
                        f"installed cable {blocker.id!r} ({blocker.label}); rewire 'none' "
                        "leaves installed cables: not built",
                        blocker.id,
                    )
                )
                continue
        links.append(link)
    for c in stay:
        link = Link(
            f"installed-{c.id}",
            _endpoint(c.a_device, c.a_port),
            _endpoint(c.b_device, c.b_port),
            c.speed_gbps,
            c.tier,
            c.fabric,
            c.redundancy,
        )
        links.append(link)
        kept[link.id] = dataclasses.replace(
            c, link=link.id, segments=_segments_on(graph, installed.plan, c)
        )
    return Reuse(dataclasses.replace(fabric, links=tuple(links)), kept, tuple(problems))


def _port_text(link: Link, blocker: Cable) -> str:
    ends = _link_ends(link) & {
        (blocker.a_device, blocker.a_port),
        (blocker.b_device, blocker.b_port),
    }
    device, port = sorted(ends)[0]
    return f"{device}:{port}"


def _endpoint(device: str, port: str) -> Endpoint:
    if port == "mgmt":
        return Endpoint(device, 0)
    head, _, lane = port.partition(".")
    return Endpoint(device, int(head), int(lane) if lane else 0)


def reduced_pathways(
    graph: PathwayGraph, kept: Sequence[Cable], area_of: Mapping[str, float]
) -> PathwayGraph:
    """The pathway graph with each tray segment's capacity less the cross-sections of
    the kept cables that run on it (never below zero), for routing the other links."""
    if not kept:
        return graph
    used = [0.0] * len(graph.segments)
    for c in kept:
        for i in c.segments:
            used[i] += area_of.get(c.media, 0.0)
    segments = tuple(
        dataclasses.replace(s, fill_limit=max(0.0, (s.capacity_mm2 - used[s.index]) / s.area_mm2))
        if used[s.index] and s.area_mm2 > 0
        else s
        for s in graph.segments
    )
    return dataclasses.replace(graph, segments=segments)


def _numbering(cables: Sequence[Cable]) -> tuple[str, int, int]:
    """(prefix, highest number, digits) of installed cable ids like ``C000123``."""
    prefix, top, width = "C", 0, 6
    for c in cables:
        m = _ID.match(c.id)
        if m and int(m.group(2)) >= top:
            prefix, top, width = m.group(1), int(m.group(2)), max(width, len(m.group(2)))
    return prefix, top, width


def merge_cables(
    links: Sequence[Link],
    new: Sequence[Cable],
    kept: Mapping[str, Cable],
    installed: Installed | None,
) -> tuple[Cable, ...]:
    """One cable a link, in link order: the kept installed cable where there is one,
    else the new cable. New cables keep the id of an installed cable with the same ends
    (``free``, or one planned again) or are numbered after the highest installed id."""
    if installed is None:
        return tuple(new)
    by_link = {c.link: c for c in new}
    old_by_ends = {_cable_ends(c): c for c in installed.plan.cables}
    prefix, top, width = _numbering(installed.plan.cables)
    taken = {c.id for c in kept.values()}
    out = []
    for link in links:
        if link.id in kept:
            out.append(kept[link.id])
            continue
        c = by_link[link.id]
        same = old_by_ends.get(_cable_ends(c))
        if same is not None and same.id not in taken:
            cid = same.id
        else:
            top += 1
            cid = f"{prefix}{top:0{width}d}"
        taken.add(cid)
        out.append(dataclasses.replace(c, id=cid))
    return tuple(out)


def _change(
    c: Cable, action: str, phase: int, route: str, tray_run: str, floor: Floor
) -> CableChange:
    rack = floor.rack_index.get(c.a_rack)
    row = rack.row if rack is not None else ""
    return CableChange(
        cable_id=c.id,
        action=action,
        phase=phase,
        label=c.label,
        a_rack=c.a_rack,
        a_u=c.a_u,
        a_device=c.a_device,
        a_port=c.a_port,
        b_rack=c.b_rack,
        b_u=c.b_u,
        b_device=c.b_device,
        b_port=c.b_port,
        media=c.media,
        stock_mm=c.stock_mm,
        tray_run=tray_run,
        row=row,
        route=route,
    )


def _route_of(graph: PathwayGraph, c: Cable) -> tuple[str, str]:
    """(route text, first tray) of a cable on its plan's pathway graph."""
    segs = [graph.segments[i] for i in c.segments]
    return compact_route(segs), (segs[0].tray if segs else "")


def cable_changes(
    graph: PathwayGraph, floor: Floor, cables: Sequence[Cable], installed: Installed
) -> Changes:
    """Every cable of the installed plan and of the new one (``cables``, on ``graph``),
    with what happens to it, sorted by cable id.

    An installed cable is ``keep`` when the new plan has a cable of its id with the same
    ends, label, media, stock length and tray route; ``reroute`` when that cable has the
    same ends but differs; ``remove`` otherwise. A new cable with no installed id is
    ``add``.
    """
    old = installed.plan
    old_by_id = {c.id: c for c in old.cables}
    out: list[CableChange] = []
    seen: set[str] = set()
    for c in cables:
        route, run = _route_of(graph, c)
        prev = old_by_id.get(c.id)
        if prev is None or _cable_ends(prev) != _cable_ends(c):
            out.append(_change(c, "add", 2, route, run, floor))
            continue
        seen.add(c.id)
        before, _ = _route_of(old.pathways, prev)
        same = (prev.label, prev.media, prev.stock_mm, prev.status) == (
            c.label,
            c.media,
            c.stock_mm,
            c.status,
        ) and before == route
        out.append(_change(c, "keep" if same else "reroute", 0 if same else 2, route, run, floor))
    for c in old.cables:
        if c.id not in seen:
            route, run = _route_of(old.pathways, c)
            out.append(_change(c, "remove", 1, route, run, old.floor))
    out.sort(key=lambda ch: (ch.cable_id, ch.action))
    return Changes(old.scenario.name, tuple(out))
