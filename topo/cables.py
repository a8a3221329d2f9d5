"""Cables: one physical cable per link, with its media, length and label.

Steps, for each link:

1. Length needed: in-rack run at each end (from the port up to the rack top, plus a
   dressing allowance), the two drops and the tray route, plus the media's slack at each
   end. A link inside one rack runs from port to port inside the rack::

        length = inrack(A) + drop(A) + route + drop(B) + inrack(B) + 2 x slack
        inrack(end) = (rack height in U - device top U) x 44.45 mm + dress

2. Media: among the catalog's media for the link speed, those with a stock length that
   covers the need and lies within reach; the cheapest link wins (ties: less power, then
   media id). The stock length is the shortest that covers the need. The legs of one
   breakout cage (an 800G cage serving 2 x 400G: links on ``(port, lane)`` with lanes 1,
   2, ... of one device port, and every leg joined to them through another shared cage)
   are one cable assembly: media and stock length are chosen for the longest leg and used
   for all of them.
3. Label: both ends, near (A) end first, as ``RACK-U:PORT/RACK-U:PORT``.

A link with no route (its racks share no tray path) becomes an ``unrouted`` cable; a link
longer than every media's reach becomes a ``no-media`` cable. Both stay in the plan,
flagged, so nothing is dropped; :func:`make_cables` also returns them as problems.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from layouts.model import Floor
from topo.catalog import Catalog, Media
from topo.errors import CatalogError, Problem
from topo.media import RACK_UNIT_MM, choose_media, inrack_mm
from topo.model import Device, Endpoint, Link, RackRoute

__all__ = [
    "Cable",
    "breakout_assemblies",
    "breakout_lengths",
    "make_cables",
    "port_label",
]


@dataclass(frozen=True, slots=True)
class Cable:
    """One cable of the plan. Lengths in millimetres, cost in cents.

    Attributes:
        status: ``ok``; ``unrouted`` (no tray path between its racks); ``no-media`` (longer
            than every media's reach).
        length_mm: length needed, before rounding to stock.
        stock_mm: the stock length to pull (0 if none fits).
        route_mm: length along trays, risers and connectors (0 inside one rack).
        segments: tray segment indices passed, from the A end to the B end.
    """

    id: str
    link: str
    label: str
    tier: str
    fabric: str
    speed_gbps: int
    a_rack: str
    a_u: int
    a_device: str
    a_port: str
    b_rack: str
    b_u: int
    b_device: str
    b_port: str
    media: str
    kind: str
    route_mm: int
    length_mm: int
    stock_mm: int
    segments: tuple[int, ...]
    cost_cents: int
    power_w: float
    status: str = "ok"
    redundancy: str = ""


def port_label(rack: str, u: int, port: str, *, room: str = "") -> str:
    """One end of a cable label: ``RACK-U:PORT``, after ``ROOM.`` when a room is given.

    >>> port_label("B07", 42, "17"), port_label("B07", 42, "17", room="DH1")
    ('B07-42:17', 'DH1.B07-42:17')
    """
    return f"{room}.{rack}-{u:02d}:{port}" if room else f"{rack}-{u:02d}:{port}"


def make_cables(
    links: Sequence[Link],
    devices: Mapping[str, Device],
    floor: Floor,
    routes: Mapping[str, RackRoute | None],
    catalog: Catalog,
    *,
    slack_m: float | None = None,
    dress_m: float = 0.3,
    label_room: bool = False,
    media_limits: Mapping[str, float] | None = None,
) -> tuple[tuple[Cable, ...], tuple[Problem, ...]]:
    """Turn placed, routed links into cables.

    Args:
        links: the fabric's links, in the order cables are numbered.
        devices: placed devices by id (``rack`` and ``u`` set).
        routes: route by link id for links between racks; a link between racks that is
            missing or ``None`` here is unrouted.
        slack_m: slack at each end overriding every media's own.
        label_room: start each end's label with the floor's name.
        media_limits: the thickest media (mm²) of links the router moved to thinner
            media where the trays were full, by link id: their media are the cheapest
            no thicker.

    Returns:
        The cables, one per link, and a problem for each cable that is not ``ok``.

    Raises:
        CatalogError: the catalog has no media at all for a link's speed.
    """
    racks = floor.rack_index
    dress = round(dress_m * 1000)
    slack = None if slack_m is None else round(slack_m * 1000)
    media_by_speed: dict[int, tuple[Media, ...]] = {}
    cables: list[Cable] = []
    problems: list[Problem] = []
    width = max(6, len(str(len(links))))

    # per device: the device, its in-rack run and its label prefix (computed once)
    dev_info: dict[str, tuple[Device, int, str]] = {}
    port_names: dict[tuple[int, int], str] = {}

    def info(device_id: str) -> tuple[Device, int, str]:
        got = dev_info.get(device_id)
        if got is None:
            d = devices[device_id]
            assert d.rack is not None and d.u is not None, d.id
            run = inrack_mm(racks[d.rack].height_u, d.u, dress)
            room = floor.name if label_room else ""
            got = dev_info[device_id] = (d, run, port_label(d.rack, d.u, "", room=room))
        return got

    def port_of(e: Endpoint) -> str:
        key = (e.port, e.lane)
        name = port_names.get(key)
        if name is None:
            name = port_names[key] = e.port_name
        return name

    # pass 1: the length each link needs before slack
    measured: list[tuple[str, int, tuple[int, ...], int]] = []
    get_route = routes.get
    for link in links:
        (da, run_a, _), (db, run_b, _) = info(link.a.device), info(link.b.device)
        assert da.u is not None and db.u is not None
        if da.rack == db.rack:
            measured.append(("ok", 0, (), round(abs(da.u - db.u) * RACK_UNIT_MM) + dress))
            continue
        route = get_route(link.id)
        if route is None:
            measured.append(("unrouted", 0, (), 0))
        else:
            base_mm = run_a + run_b + route.total_mm
            measured.append(("ok", route.tray_mm, route.segments, base_mm))
    sized = breakout_lengths(links, measured)

    # media choice by (speed, length, thickest): (media id, kind, need, stock, cost, power)
    picked: dict[tuple[int, int, float], tuple[str, str, int, int, int, float] | None] = {}
    limits = media_limits or {}

    def pick(speed: int, base_mm: int, most: float) -> tuple[str, str, int, int, int, float] | None:
        key = (speed, base_mm, most)
        if key not in picked:
            options = media_by_speed[speed]
            if most != math.inf:
                options = tuple(m for m in options if m.area_mm2 <= most + 1e-6)
            choice = choose_media(options, base_mm, slack)
            if choice is None:
                picked[key] = None
            else:
                m, need, stock = choice
                picked[key] = (
                    m.id, m.kind, need, stock, m.link_cost_cents(stock), m.link_power_w
                )  # fmt: skip
        return picked[key]

    # pass 2: media, stock length and label
    append = cables.append
    for n, link in enumerate(links, start=1):
        (da, _, pre_a), (db, _, pre_b) = info(link.a.device), info(link.b.device)
        a_rack, b_rack, a_u, b_u = da.rack, db.rack, da.u, db.u
        assert a_rack is not None and a_u is not None and b_rack is not None and b_u is not None
        speed = link.speed_gbps
        if speed not in media_by_speed:
            media_by_speed[speed] = catalog.media_for(speed)
            if not media_by_speed[speed]:
                raise CatalogError(
                    Problem("catalog.media", f"no media for {speed}G links (link {link.id!r})")
                )
        status, route_mm, segs, base_mm = measured[n - 1]
        a_port, b_port = port_of(link.a), port_of(link.b)
        a_lab = pre_a + a_port
        b_lab = pre_b + b_port
        choice = None
        if status == "ok":
            choice = pick(speed, sized[n - 1], limits.get(link.id, math.inf))
            if choice is None:
                status = "no-media"
                longest = max(media_by_speed[speed], key=lambda m: (m.max_length_mm, m.id))
                problems.append(
                    Problem(
                        f"links.{link.id}",
                        f"link {link.id!r} ({a_lab} to {b_lab}) needs {base_mm / 1000:.1f} m "
                        f"before slack; the longest {speed}G media is {longest.id!r} at "
                        f"{longest.max_length_mm / 1000:g} m",
                        base_mm / 1000,
                    )
                )
        else:
            problems.append(
                Problem(
                    f"links.{link.id}",
                    f"link {link.id!r} ({a_lab} to {b_lab}): no tray path between racks "
                    f"{a_rack!r} and {b_rack!r}",
                )
            )
        if choice is not None:
            m_id, kind, need, stock, cost, power = choice
        else:
            m_id, kind, need, stock, cost, power = "", "", base_mm, 0, 0, 0.0
        # positional, in field order (see Cable): this loop runs once per link
        append(
            Cable(
                f"C{n:0{width}d}", link.id, f"{a_lab}/{b_lab}", link.tier, link.fabric, speed,
                a_rack, a_u, da.id, a_port, b_rack, b_u, db.id, b_port, m_id, kind, route_mm,
                need, stock, segs, cost, power, status, link.redundancy,
            )
        )  # fmt: skip
    return tuple(cables), tuple(problems)


def breakout_assemblies(links: Sequence[Link]) -> list[int]:
    """Per link, the index of the first leg of its breakout assembly (the legs of one
    cage, and every leg joined to them through another shared cage), or -1 for a link
    that is no breakout leg.

    Example: two legs of one cage and a plain link -> ``[0, 0, -1]``.
    """
    parent: dict[int, int] = {}

    def find(i: int) -> int:
        root = i
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(i, i) != root:
            parent[i], i = root, parent[i]
        return root

    first_leg: dict[tuple[str, int], int] = {}
    legs: list[int] = []
    for i, link in enumerate(links):
        if not (link.a.lane or link.b.lane):
            continue
        legs.append(i)
        for e in (link.a, link.b):
            if e.lane:
                j = first_leg.setdefault((e.device, e.port), i)
                if j != i:
                    ri, rj = find(i), find(j)
                    if ri != rj:
                        parent[max(ri, rj)] = min(ri, rj)
    out = [-1] * len(links)
    for i in legs:
        out[i] = find(i)
    return out


def breakout_lengths(
    links: Sequence[Link], measured: Sequence[tuple[str, int, tuple[int, ...], int]]
) -> list[int]:
    """The length to size each link's media for: its own, or for the legs of a breakout
    cage, the longest routed leg of the cage's assembly (legs joined through shared cages).
    """
    sized = [m[3] for m in measured]
    root = breakout_assemblies(links)
    longest: dict[int, int] = {}
    for i, r in enumerate(root):
        if r >= 0 and measured[i][0] == "ok":
            longest[r] = max(longest.get(r, 0), sized[i])
    for i, r in enumerate(root):
        if r in longest and measured[i][0] == "ok":
            sized[i] = longest[r]
    return sized
