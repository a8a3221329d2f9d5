"""The routing problem as arrays: every cable's source, sink, shortest route and media.

:func:`setup_problem` orients each cable from a *source* rack (a small cover of the rack
pairs, network racks first) to a *sink* rack, measures its shortest route, estimates its
cross-section from the media that route gives it (:class:`~topo.media.MediaTable`), and
groups the cables that leave one source with one cross-section: one single-source flow.

An assignment (:data:`Pieces`) gives, for each group, each sink's cables as
``[(edge path, count)]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from topo.media import MediaTable
from topo.routing.flows import FlowGraph
from topo.routing.shortest import cover_sources

__all__ = [
    "CableDemand",
    "Pieces",
    "Problem",
    "merge_pieces",
    "seg_area",
    "setup_problem",
    "size_assemblies",
]


@dataclass(frozen=True, slots=True)
class CableDemand:
    """A cable to route between two racks.

    Attributes:
        link: the link id.
        a, b: its racks (different).
        base_mm: the length that does not depend on the route: both in-rack runs with
            their dressing allowance (not the drops, the route or the slack).
        redundancy: the link's redundancy key ('' for none).
        breakout: a leg of a breakout cable, whose media are sized for the longest leg
            of its assembly: its length may exceed its base plus its route.
        assembly: the legs of one breakout assembly share this number (-1: not a leg).
        assembly_floor_mm: the least length the assembly is sized to whatever the routes
            (its legs inside one rack), 0 if none.
        max_area_mm2: the thickest media the cable may get (a cable moved to thinner
            media where the trays are full); unlimited by default.
    """

    link: str
    a: str
    b: str
    speed_gbps: int
    base_mm: int
    redundancy: str = ""
    breakout: bool = False
    assembly: int = -1
    assembly_floor_mm: int = 0
    max_area_mm2: float = math.inf


@dataclass(eq=False)
class Problem:
    """Every routable cable as parallel arrays (index = demand index)."""

    fg: FlowGraph
    sources: list[str]  # source racks
    src_nodes: np.ndarray  # node of each source
    routable: np.ndarray  # bool: has a tray path
    flip: np.ndarray  # bool: the cable's A end is the sink
    src: np.ndarray  # source index
    sink: np.ndarray  # sink node
    sp: np.ndarray  # shortest route length, mm (inf if none)
    area: np.ndarray  # cross-section routed with, mm² (0 for no media)
    area_sp: np.ndarray  # cross-section on the shortest route, every media (the bounds')
    area_min: np.ndarray  # thinnest any plan could give it (longer route or thin media)
    may_thicken: np.ndarray  # bool: a longer route could give it a thicker media
    thinner_at: np.ndarray  # route length from which it may be thinner (inf if never)
    slack_lb: np.ndarray  # least total slack (both ends), mm
    cost_lb: np.ndarray  # least link cost (its speed's cheapest media, shortest route), cents
    base: np.ndarray
    table: list[MediaTable]  # per demand
    pred0: np.ndarray  # shortest-path trees by source
    group: np.ndarray  # group index (-1 if not routable)
    group_src: np.ndarray  # per group: source index
    group_area: np.ndarray  # per group: cross-section
    assembly: np.ndarray  # breakout assembly of each demand (-1: not a leg)
    assembly_floor: np.ndarray  # least length its assembly is sized to, mm
    sized_sp: np.ndarray  # length its media are sized for on shortest routes, mm
    thin: bool = False  # plans may give cables thinner media than their length calls for


def size_assemblies(
    assembly: np.ndarray, floor: np.ndarray, length: np.ndarray, live: np.ndarray
) -> np.ndarray:
    """Each length, with the legs of a breakout assembly raised to the longest ``live``
    leg of the assembly (and its floor): the length their shared media are sized for, as
    :func:`topo.cables.make_cables` sizes them.

    Example:
        >>> size_assemblies(
        ...     np.array([0, 0, -1]), np.zeros(3), np.array([5.0, 9.0, 2.0]), np.ones(3, bool)
        ... ).tolist()
        [9.0, 9.0, 2.0]
    """
    out = np.array(length, dtype=np.float64, copy=True)
    legs = np.nonzero((assembly >= 0) & live)[0]
    if not len(legs):
        return out
    ids, inv = np.unique(assembly[legs], return_inverse=True)
    top = np.full(len(ids), -np.inf)
    np.maximum.at(top, inv, out[legs])
    np.maximum.at(top, inv, floor[legs].astype(np.float64))
    out[legs] = top[inv]
    return out


def setup_problem(
    fg: FlowGraph,
    demands: Sequence[CableDemand],
    tables: Mapping[int, MediaTable],
    area_override: Mapping[str, float] | None,
    *,
    thin: bool = False,
) -> Problem:
    """The routing problem of ``demands`` (see the module docstring).

    Each cable is routed with the media of its speed's table (narrowed to
    ``max_area_mm2`` where the cable has one); what bounds every plan (``area_sp``,
    ``area_min``, ``cost_lb``, ``slack_lb``, ``thinner_at``) comes from the table of
    every media of the speed. With ``thin``, plans may give a cable any media that
    reaches it, not only the one its length calls for: its thinnest such media is then
    within reach on any route (``thinner_at`` its shortest route), so the bounds and
    the proofs that nothing fits allow for it.
    """
    g = fg.graph
    d = len(demands)
    servable = [c.a in g.drops and c.b in g.drops for c in demands]
    pairs = sorted({(c.a, c.b) for c, ok in zip(demands, servable, strict=True) if ok})
    sources = cover_sources(pairs) if pairs else []
    row_of = {r: i for i, r in enumerate(sources)}
    src_nodes = np.array([g.drops[r].node for r in sources], dtype=np.int64)
    if len(src_nodes):
        dist0, pred0 = fg.dijkstra(fg.mm.astype(np.float64), src_nodes)
    else:
        dist0, pred0 = np.zeros((0, fg.n)), np.zeros((0, fg.n), dtype=np.int32)
    flip = np.zeros(d, dtype=bool)
    src = np.full(d, -1, dtype=np.int64)
    sink = np.full(d, -1, dtype=np.int64)
    for i, (c, ok) in enumerate(zip(demands, servable, strict=True)):
        if not ok:
            continue
        if c.a in row_of:
            src[i], sink[i] = row_of[c.a], g.drops[c.b].node
        else:
            src[i], sink[i], flip[i] = row_of[c.b], g.drops[c.a].node, True
    sp = np.full(d, np.inf)
    has = src >= 0
    sp[has] = dist0[src[has], sink[has]]
    routable = np.isfinite(sp)
    base = np.array([c.base_mm for c in demands], dtype=np.int64)
    area = np.zeros(d)
    area_min = np.zeros(d)
    thinner = np.full(d, np.inf)
    thicken = np.zeros(d, dtype=bool)
    slack_lb = np.zeros(d)
    cost_lb = np.zeros(d, dtype=np.int64)
    table = [
        tables[c.speed_gbps]
        if c.max_area_mm2 == math.inf
        else tables[c.speed_gbps].at_most(c.max_area_mm2)
        for c in demands
    ]
    area_sp = np.zeros(d)
    assembly = np.array([c.assembly for c in demands], dtype=np.int64)
    a_floor = np.array([c.assembly_floor_mm for c in demands], dtype=np.int64)
    # the media of a breakout leg are sized for its assembly's longest leg
    sized = size_assemblies(assembly, a_floor, np.where(routable, base + sp, 0.0), routable)
    sized = np.where(routable, sized, np.inf)
    leg = assembly >= 0
    by_table: dict[int, list[int]] = {}
    for i in np.nonzero(routable)[0].tolist():
        by_table.setdefault(id(table[i]), []).append(i)
    for idx_list in by_table.values():
        idx = np.array(idx_list, dtype=np.int64)
        t = table[idx_list[0]]
        need = sized[idx].astype(np.int64)
        # routed with the cable's own media (a narrowed table for a thinned cable)
        n_int = len(t.breaks)
        j = t.interval(need)
        fits = j < n_int
        j = np.minimum(j, max(n_int - 1, 0))
        if n_int:
            area[idx] = np.where(fits, t.area_mm2[j], 0.0)
            max_after = np.maximum.accumulate(t.area_mm2[::-1])[::-1]
            thicken[idx] = fits & (max_after[j] > t.area_mm2[j] + 1e-9)
            nt = t.next_thinner[j]
            at = np.where(nt < n_int, t.breaks[np.maximum(nt - 1, 0)] + 1 - base[idx], np.inf)
            # a leg turns thinner when any leg of its assembly runs long: on any route
            at = np.where(leg[idx] & (nt < n_int), sp[idx], at)
            thinner[idx] = np.where(fits, at, np.inf)
        # what bounds every plan: the table of every media of the speed
        full = t.every_media
        n_full = len(full.breaks)
        jf = full.interval(need)
        reach = jf < n_full
        jf = np.minimum(jf, max(n_full - 1, 0))
        if not n_full:
            continue
        slack_suffix = np.minimum.accumulate(full.slack_mm[::-1])[::-1]
        area_sp[idx] = np.where(reach, full.area_mm2[jf], 0.0)
        area_min[idx] = np.where(reach, full.min_area_after[jf], 0.0)
        slack_lb[idx] = np.where(reach, 2 * slack_suffix[jf], 0)
        cost_lb[idx] = np.where(reach, full.cost_cents[jf], 0)
        if thin:
            # any media reaching the cable's need may carry it, on any route
            costs, areas = full.option_costs(need)
            reaching = np.isfinite(costs)
            thinnest = np.where(reaching, areas[:, None], np.inf).min(axis=0)
            slimmer = reach & ~leg[idx] & (thinnest < area_sp[idx] - 1e-9)
            area_min[idx] = np.where(slimmer, np.minimum(area_min[idx], thinnest), area_min[idx])
            thinner[idx] = np.where(slimmer, np.minimum(thinner[idx], sp[idx]), thinner[idx])
            least_slack = 2.0 * full.least_slack_mm(need)
            slack_lb[idx] = np.where(slimmer, np.minimum(slack_lb[idx], least_slack), slack_lb[idx])
    if area_override:
        for i, c in enumerate(demands):
            if routable[i] and c.link in area_override and area[i] > 0:
                area[i] = area_override[c.link]
    # groups: one source, one cross-section (no-media cables carry no area: group 0 area)
    keys = sorted({(int(src[i]), float(area[i])) for i in np.nonzero(routable)[0].tolist()})
    gid = {k: n for n, k in enumerate(keys)}
    group = np.full(d, -1, dtype=np.int64)
    for i in np.nonzero(routable)[0].tolist():
        group[i] = gid[(int(src[i]), float(area[i]))]
    return Problem(
        fg,
        sources,
        src_nodes,
        routable,
        flip,
        src,
        sink,
        sp,
        area,
        area_sp,
        area_min,
        thicken,
        thinner,
        slack_lb,
        cost_lb,
        base,
        table,
        pred0,
        group,
        np.array([k[0] for k in keys], dtype=np.int64),
        np.array([k[1] for k in keys], dtype=np.float64),
        assembly,
        a_floor,
        sized,
        thin,
    )


Pieces = dict[int, list[tuple[np.ndarray, int]]]


def seg_area(fg: FlowGraph, pieces: Sequence[Pieces], areas: np.ndarray) -> np.ndarray:
    """Cable area on every segment from every group's pieces."""
    chunks, weights = [], []
    for g, by_sink in enumerate(pieces):
        a = float(areas[g])
        if a <= 0:
            continue
        for plist in by_sink.values():
            for edges, cnt in plist:
                s = fg.seg[edges]
                s = s[s >= 0]
                chunks.append(s)
                weights.append(np.full(len(s), a * cnt))
    out = np.zeros(len(fg.capacity))
    if chunks:
        out += np.bincount(
            np.concatenate(chunks), weights=np.concatenate(weights), minlength=len(fg.capacity)
        )
    return out


def merge_pieces(pieces: list[tuple[np.ndarray, int]]) -> list[tuple[np.ndarray, int]]:
    """Join pieces that follow the same path."""
    seen: dict[bytes, int] = {}
    out: list[tuple[np.ndarray, int]] = []
    for path, cnt in pieces:
        key = path.tobytes()
        if key in seen:
            k = seen[key]
            out[k] = (out[k][0], out[k][1] + cnt)
        else:
            seen[key] = len(out)
            out.append((path, cnt))
    return out
