"""Switch placement that minimises cable length or cost, never worse than naive.

Devices whose rack the intent does not dictate (``rack=None`` out of the fabric stage:
spines, end-of-row leaves, core switches) may stand in any of their candidate racks:
an end-of-row leaf in its row's network racks (the spine racks if its row has none),
every other one in the spine racks. :func:`optimize_placement` chooses among them:

1. Start from the naive placement (:func:`topo.placement.place_devices`): it checks the
   fixed devices and is the yardstick.
2. Place free devices role by role (leaves, then spines, then the rest), each stage
   with every far end already fixed: the cost of device ``d`` in rack ``r`` is the sum,
   over its links to placed devices, of the link's length on the shortest tray route
   (objective ``length``) or of its cheapest media at that length (``cost``).
3. A stage is a transportation problem: devices with identical cost rows form one
   supply; racks offer their free units and power. With one device size it is solved
   exactly by OR-Tools min-cost flow; with mixed sizes by CP-SAT (units and power as
   knapsack rows, the naive placement as a hint, a deterministic time limit)
   (:mod:`topo.placement.transport`).
4. Devices go top-down into the room left below the rack's fixed switches, in id order.
5. Both placements are scored on every link touching a free device; the optimized one
   is kept only if it scores lower, so it is never worse than naive.

Tray prices (:class:`TrayPrices`, from the router's segment duals) make step 2 capacity
aware: a link's route is then the cheapest under ``length + area * price`` and its cost
grows by the toll it pays, so switches move away from scarce trays (a Lagrangian
relaxation of placing and routing together; the planner iterates it, see
:func:`topo.planner.plan`).

With the trays' spare room, each stage also gets soft capacity rows:

- segments, loaded by the stage's links on their shortest routes (routing may still
  detour around them);
- *drop cuts* (:func:`topo.placement.cuts.drop_cuts`): a run of candidate racks under
  one tray between two junctions, and the two segments at its ends, which every cable
  from its switches to the rest of the hall crosses, whatever the routes. Their
  overflow weighs :data:`~topo.placement.transport.CUT_WEIGHT` times more, and a stage
  whose linear program overfills them is offered more racks. A link counts at its
  media's cross-section for its shortest route; a link to a switch of a later stage is
  reserved now, at its thinnest media, on the cuts around this end, and settled when
  that switch is placed, so the leaves and spines leave room for the cores.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from typing import Literal, NamedTuple

import numpy as np
from scipy import sparse

from layouts.model import Floor, Rack
from layouts.pathways import Drop, PathwayGraph
from topo.catalog import Catalog
from topo.media import MediaTable, inrack_mm, media_table
from topo.model import Device, Fabric, Placement
from topo.placement.cuts import drop_cuts
from topo.placement.transport import UNREACHABLE, solve_stage
from topo.routing.flows import FlowGraph, tree_loads, tree_shape

__all__ = [
    "PlacementOptions",
    "PlacementReport",
    "TrayPrices",
    "candidate_racks",
    "optimize_placement",
]

_ROLE_ORDER = {"leaf": 0, "spine": 1, "core": 2}


@dataclass(frozen=True, slots=True)
class PlacementReport:
    """How the free devices were placed and what it saved against naive placement.

    ``naive`` and ``chosen`` score every link touching a free device, in metres of cable
    (objective ``length``) or US dollars (``cost``), on shortest tray routes; the planner
    replaces them with the cable length or cost of the two final plans (routed, media and
    breakout assemblies sized), which is what ``plan.json`` reports.
    """

    method: str
    objective: str
    free_devices: int
    naive: float
    chosen: float
    seconds: float
    rounds: int = 1
    """Placements tried (1: capacity-blind only; more: re-placed under tray prices)."""
    fill_before: float | None = None
    """Max tray fill of the capacity-blind placement once routed (None if not routed)."""
    fill_after: float | None = None
    """Max tray fill of the placement kept, routed."""
    solver_log: tuple[str, ...] = ()
    """Every solver run of every stage and its status, e.g. ``spine (4): CP-SAT OPTIMAL``."""

    @property
    def saving(self) -> float:
        return self.naive - self.chosen

    @property
    def saving_pct(self) -> float:
        return 100.0 * self.saving / self.naive if self.naive > 0 else 0.0


@dataclass(frozen=True, eq=False)
class TrayPrices:
    """Prices on tray segments, charged to a placement's links as if they were length.

    Attributes:
        mm_per_mm2: per segment (pathway graph order), millimetres of route charged for
            each mm² of cable cross-section crossing it (>= 0).
        area_mm2: the cross-section assumed for a link of each speed.
        spare_mm2: per segment, the fill limit less the cables that do not touch a free
            device (mm²); given, each stage also keeps the load of its links on their
            shortest routes within it where it can (soft capacity rows).
    """

    mm_per_mm2: np.ndarray
    area_mm2: Mapping[int, float]
    spare_mm2: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class PlacementOptions:
    """How :func:`optimize_placement` places the free devices.

    Attributes:
        objective: what a link's cabling is scored in: ``cost`` (cents) or ``length``.
        spine_racks: racks the spines may stand in (None: the network racks).
        reserve_u: units kept free at the top of every rack (for management switches
            placed later), as in :func:`topo.placement.place_devices`.
        slack_m: slack at each cable end overriding every media's own.
        dress_m: dressing allowance inside a rack.
        threads, seed: CP-SAT's workers and random seed.
    """

    objective: Literal["cost", "length"] = "cost"
    spine_racks: tuple[str, ...] | None = None
    reserve_u: int = 0
    slack_m: float | None = None
    dress_m: float = 0.3
    threads: int = 1
    seed: int = 0


_DEFAULT_OPTIONS = PlacementOptions()


def optimize_placement(
    fabric: Fabric,
    floor: Floor,
    graph: PathwayGraph,
    catalog: Catalog,
    naive: Placement,
    *,
    options: PlacementOptions = _DEFAULT_OPTIONS,
    prices: TrayPrices | None = None,
) -> tuple[Placement, PlacementReport | None]:
    """Choose racks for the fabric's free devices (see the module docstring).

    Args:
        naive: the naive placement of the same fabric (the yardstick and fallback).
        options: objective, candidate spine racks, reserved units, slack, CP-SAT.
        prices: tray prices to steer by; the cost of a link then includes its toll (for
            the objective ``cost`` converted at the speed's mean cost per millimetre).
            The report still scores plain cabling.

    Returns:
        The placement (``method`` ``optimized`` or ``naive``) and a report, or None
        when no device was free to place.
    """
    t0 = time.perf_counter()
    free = [d for d in fabric.devices if d.rack is None]
    if not free:
        return naive, None
    model = _build_model(fabric, floor, graph, catalog, naive, free, options, prices)
    chosen = _solve_stages(model, options)
    out = _extract_placement(model, chosen, naive, options.objective, prices is not None, t0)
    return out.placement, out.report


# -- the model: what each free device's links cost from each rack, and the room left --


@dataclass(frozen=True, eq=False)
class _LinkCosts:
    """What free devices' links cost from every candidate rack, on shortest tray routes:
    millimetres of cable (objective ``length``) or cents (``cost``), plus each route's
    toll under the tray prices where asked.

    A cost row has one column per candidate rack of any free device (``racks``, sorted);
    a far end with no tray path to a rack costs UNREACHABLE there. The caches fill as
    rows are asked for: ``cents_per_mm`` (a speed's mean cost per mm, which converts its
    tolls to cents) is taken from the first row of each speed.

    Attributes:
        objective: what a link is scored in.
        free: the free devices, in fabric order.
        links_of: per device id, its links as (far end's id, speed in Gb/s).
        placed: the naive placement's devices by id (where the fixed far ends stand).
        floor_racks: the floor's racks by id.
        graph: the pathway graph (drop points and their lengths).
        racks: every candidate rack, sorted: the columns.
        col: each candidate rack's column.
        dist: shortest route (mm) from each candidate rack's drop point to every node.
        tables: the media table of each link speed.
        dress: dressing allowance inside a rack, mm.
        toll_of: per speed, the tolls from every candidate rack to every node (None:
            nothing is priced).
        fixed: per ``priced``, each free device's cost row over its links to devices
            whose rack never changes (filled by :func:`_link_costs`).
        free_ids, row_of, names: derived: the free devices' ids, each one's row in
            ``fixed``, and ``racks`` as an array.
        vec_cache, area_cache, cents_per_mm: the caches (a link's cost row by far end,
            speed and ``priced``; its cross-section row by far end and speed; a speed's
            mean cost per mm).
    """

    objective: Literal["cost", "length"]
    free: tuple[Device, ...]
    links_of: Mapping[str, list[tuple[str, int]]]
    placed: dict[str, Device]
    floor_racks: Mapping[str, Rack]
    graph: PathwayGraph
    racks: tuple[str, ...]
    col: Mapping[str, int]
    dist: np.ndarray
    tables: Mapping[int, MediaTable]
    dress: int
    toll_of: Callable[[int], np.ndarray] | None
    fixed: dict[bool, np.ndarray] = field(default_factory=dict)
    free_ids: frozenset[str] = field(init=False)
    row_of: dict[str, int] = field(init=False)
    names: np.ndarray = field(init=False)
    vec_cache: dict[tuple[str, int, int, bool], np.ndarray] = field(default_factory=dict)
    area_cache: dict[tuple[str, int, int, None], np.ndarray] = field(default_factory=dict)
    cents_per_mm: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "free_ids", frozenset(d.id for d in self.free))
        object.__setattr__(self, "row_of", {d.id: k for k, d in enumerate(self.free)})
        object.__setattr__(self, "names", np.array(self.racks))

    @property
    def priced(self) -> bool:
        """Whether tray prices add tolls to the rows asked for with ``priced``."""
        return self.toll_of is not None

    def far_key(self, far_id: str, where: Mapping[str, str]) -> tuple[str, int]:
        """Rack and top U of a link's far end (a free one sits at the top of its rack)."""
        if far_id in where:
            r = where[far_id]
            return r, self.floor_racks[r].height_u
        far = self.placed[far_id]
        assert far.rack is not None and far.u is not None
        return far.rack, far.u

    def _lengths(self, rack: str, u: int) -> tuple[np.ndarray, np.ndarray, int]:
        """From every candidate rack to a far end at ``rack``, ``u``: the link's length
        without slack (mm, its shortest route; 0 for the route within the far end's own
        rack), whether a tray route joins them, and the far end's drop node (-1 if
        none)."""
        fr = self.floor_racks[rack]
        base = inrack_mm(fr.height_u, u, self.dress) + self.dress
        drops = self.graph.drops
        node = drops[rack].node if rack in drops else -1
        route = self.dist[:, node] if node >= 0 else np.full(len(self.racks), np.inf)
        route = np.where(self.names == rack, 0.0, route)
        ok = np.isfinite(route)
        return base + np.where(ok, route, 0).astype(np.int64), ok, node

    def cost_vec(self, rack: str, u: int, speed: int, priced: bool) -> np.ndarray:
        """Cost of one link from every candidate rack to a far end at ``rack``, ``u``
        (with its toll under the tray prices if ``priced``)."""
        key = (rack, u, speed, priced)
        if key not in self.vec_cache:
            need, ok, node = self._lengths(rack, u)
            here = self.names == rack
            if self.objective == "length":
                val = need.astype(np.float64)
            else:
                val = self.tables[speed].cost(need).astype(np.float64)
                if speed not in self.cents_per_mm and ok.any():
                    self.cents_per_mm[speed] = float(val[ok].sum() / need[ok].sum())
            if priced and self.toll_of is not None and node >= 0:
                toll = np.where(here | ~ok, 0.0, self.toll_of(speed)[:, node])
                per_mm = 1.0 if self.objective == "length" else self.cents_per_mm[speed]
                val = val + toll * per_mm
            self.vec_cache[key] = np.where(ok, val, UNREACHABLE)
        return self.vec_cache[key]

    def area_vec(self, rack: str, u: int, speed: int) -> np.ndarray:
        """Cross-section (mm²) of one link from every candidate rack to a far end at
        ``rack``, ``u``: its media's at the length of its shortest route (the longest
        media's beyond every reach)."""
        key = (rack, u, speed, None)
        if key not in self.area_cache:
            need, _, _ = self._lengths(rack, u)
            table = self.tables[speed]
            k = np.minimum(table.interval(need), len(table.breaks) - 1)
            self.area_cache[key] = table.area_mm2[k].astype(np.float64)
        return self.area_cache[key]

    def thinnest(self, speed: int) -> float:
        """The least cross-section of a link of ``speed`` (mm²)."""
        table = self.tables[speed]
        return float(table.area_mm2.min()) if len(table.area_mm2) else 0.0

    def device_row(
        self, d: Device, where: Mapping[str, str], skip: Set[str], priced: bool
    ) -> np.ndarray:
        """Cost of ``d`` in each of all candidate racks, over its links to placed far
        ends: the fixed ones, and the free ones in ``where`` unless in ``skip``."""
        keys: dict[tuple[str, int, int], int] = defaultdict(int)
        for far_id, speed in self.links_of[d.id]:
            if far_id in self.free_ids and far_id not in skip:
                rack, u = self.far_key(far_id, where)
                keys[(rack, u, speed)] += 1
        row = self.fixed[priced][self.row_of[d.id]]
        for (rack, u, speed), n in keys.items():
            row = row + n * self.cost_vec(rack, u, speed, priced)
        return row

    def score(self, where: Mapping[str, str]) -> float:
        """Cabling over every link touching a free device, both ends placed (metres or
        US dollars)."""
        total = 0.0
        done: set[str] = set()
        for d in self.free:
            total += float(self.device_row(d, where, done, False)[self.col[where[d.id]]])
            done.add(d.id)  # a link between two free devices counts once
        return total / 1000 if self.objective == "length" else total / 100


@dataclass(frozen=True)
class _Room:
    """Room in each candidate rack once the fixed devices stand where the naive
    placement put them and the reserved top units stay free.

    Attributes:
        taken: per rack, 1 for each unit taken (index 0 is a sentinel, always taken).
        units: per rack, its free units.
        power_w: per rack, its power left (W): its budget capped by its cooling.
    """

    taken: Mapping[str, bytearray]
    units: Mapping[str, int]
    power_w: Mapping[str, float]
    groups: Mapping[str, tuple[float, tuple[str, ...]]] = field(default_factory=dict)
    """Power budgets racks share (a row's busway, the hall): name -> (power left (W),
    the candidate racks it feeds)."""


@dataclass(frozen=True, eq=False)
class _TrayLoads:
    """Load (mm²) that free devices' links put on the tray segments, on shortest routes,
    and on the cuts around candidate racks' drop points (the segments at the ends of a
    run of racks under one tray, which every cable of their switches to a rack outside
    the run crosses; see :func:`topo.placement.cuts.drop_cuts`).

    Attributes:
        spare: room left per segment, then per drop cut (mm²).
        inside: (candidate racks, drop cuts), 1 where the rack is inside the cut.
        fg: the flow graph of the pathways.
        drops: the pathway graph's drop points by rack.
        area_mm2: the cross-section of a link of each speed.
        costs: the link costs (links, naive placement, candidate columns).
        pred: each candidate rack's shortest-path tree.
        tree_depth, tree_edge: those trees' depths and edges
            (:func:`topo.routing.flows.tree_shape`).
    """

    spare: np.ndarray
    inside: np.ndarray
    fg: FlowGraph
    drops: dict[str, Drop]
    area_mm2: Mapping[int, float]
    costs: _LinkCosts
    pred: np.ndarray
    tree_depth: np.ndarray
    tree_edge: np.ndarray
    cache: dict[tuple[object, ...], np.ndarray] = field(default_factory=dict)

    @property
    def n_segments(self) -> int:
        """The columns of a load that are segments (the drop cuts follow)."""
        return len(self.fg.capacity)

    def device_loads(
        self,
        d: Device,
        where: Mapping[str, str],
        skip: Set[str],
        options: tuple[str, ...],
        ahead: Set[str] = frozenset(),
    ) -> np.ndarray:
        """Load (mm²) that ``d``'s links put on every segment and drop cut from each of
        its candidate racks (``options``): ``(options, segments + drop cuts)``. A link's
        cross-section is its media's at the length of its shortest route.

        A segment carries the links to placed far ends, on shortest routes. A link
        crosses a drop cut when one of its racks is inside and the other is not; a link
        to a device of a later stage (``ahead``, a subset of ``skip``, the devices not
        placed yet) is charged now, at its speed's thinnest media, to every cut around
        ``d``'s rack, as if its far end will stand outside; when that end is placed,
        the charge is settled to what the link really lays across each cut.
        """
        costs = self.costs
        fixed: dict[tuple[str, int, int], int] = defaultdict(int)  # far ends that never move
        placed: dict[tuple[str, int, int], int] = defaultdict(int)  # free ones placed earlier
        later = 0.0
        for far_id, speed in costs.links_of[d.id]:
            if far_id in skip:
                later += costs.thinnest(speed) if far_id in ahead else 0.0
                continue
            rack, u = costs.far_key(far_id, where)
            (placed if far_id in where else fixed)[(rack, u, speed)] += 1
        key = (options, tuple(sorted(fixed.items())), tuple(sorted(placed.items())), later)
        if key not in self.cache:
            rows_of = [costs.col[r] for r in options]
            demand = np.zeros((len(rows_of), self.fg.n))
            mine = self.inside[rows_of]
            cut = later * mine
            for (rack, u, speed), n in [*fixed.items(), *placed.items()]:
                a = n * costs.area_vec(rack, u, speed)[rows_of]
                if rack in self.drops:
                    demand[:, self.drops[rack].node] += a
                theirs = self.inside[costs.col[rack]] if rack in costs.col else 0.0
                # across a cut: one end inside, the other not
                cut += a[:, None] * (mine + theirs - 2.0 * mine * theirs)
                if (rack, u, speed) in placed:  # its end reserved this much already
                    cut -= n * costs.thinnest(speed) * theirs
            shape = (self.tree_depth[rows_of], self.tree_edge[rows_of])
            seg = _segment_loads(self.fg, self.pred[rows_of], demand, shape)
            self.cache[key] = np.hstack([seg, cut])
        return self.cache[key]


@dataclass(frozen=True, eq=False)
class _Model:
    """Everything the stages are solved over.

    Attributes:
        free: the free devices, in fabric order.
        cands: the racks each free device may use.
        costs: what their links cost from each candidate rack.
        room: the room the fixed devices leave in each candidate rack.
        loads: the tray loads of their links (None unless the prices say how much room
            the trays have left).
    """

    free: tuple[Device, ...]
    cands: dict[str, tuple[str, ...]]
    costs: _LinkCosts
    room: _Room
    loads: _TrayLoads | None


def _build_model(
    fabric: Fabric,
    floor: Floor,
    graph: PathwayGraph,
    catalog: Catalog,
    naive: Placement,
    free: list[Device],
    options: PlacementOptions,
    prices: TrayPrices | None,
) -> _Model:
    """Build what the stages are solved over (step 2 of the module docstring): the free
    devices' candidate racks, the shortest routes from each, the costs of their links,
    the room the fixed devices leave and, given the trays' spare room, the loads their
    links put on the trays."""
    cands = candidate_racks(free, floor, options.spine_racks, fabric.zone_index())
    reach = _reach(graph, sorted({r for c in cands.values() for r in c}), prices)
    costs = _link_costs(fabric, floor, catalog, naive, free, reach, options)
    room = _free_room(floor, naive, reach.racks, costs.free_ids, options.reserve_u)
    loads = _tray_loads(reach, prices, costs)
    return _Model(tuple(free), cands, costs, room, loads)


class _Reach(NamedTuple):
    """Shortest tray routes from every candidate rack's drop point."""

    racks: list[str]
    """The candidate racks, sorted."""
    fg: FlowGraph
    """The pathways' flow graph."""
    dist: np.ndarray
    """(rack, node): the shortest route (mm); infinite where none, or no drop point."""
    pred: np.ndarray
    """(rack, node): each rack's shortest-path tree."""
    toll_of: Callable[[int], np.ndarray] | None
    """Per link speed, the toll from each rack to each node under the tray prices
    (None: nothing is priced); see :func:`_tolls`."""


def _reach(graph: PathwayGraph, racks: list[str], prices: TrayPrices | None) -> _Reach:
    """One batched Dijkstra from the drop points of ``racks`` (sorted), and the tolls."""
    fg = FlowGraph.of(graph)
    nodes = [graph.drops[r].node if r in graph.drops else -1 for r in racks]
    reach = [i for i, nd in enumerate(nodes) if nd >= 0]
    dist = np.full((len(racks), fg.n), np.inf)
    pred = np.full((len(racks), fg.n), -9999, dtype=np.int32)
    if reach:
        dist[reach], pred[reach] = fg.dijkstra(fg.mm.astype(float), [nodes[i] for i in reach])
    toll_of = _tolls(fg, prices, dist, [nodes[i] for i in reach], reach)
    return _Reach(racks, fg, dist, pred, toll_of)


def _tray_loads(reach: _Reach, prices: TrayPrices | None, costs: _LinkCosts) -> _TrayLoads | None:
    """The tray loads model, given the trays' spare room (else None): capacity left per
    segment, then per cut around candidate racks' drop points
    (:func:`topo.placement.cuts.drop_cuts`)."""
    if prices is None or prices.spare_mm2 is None:
        return None
    fg, graph = reach.fg, reach.fg.graph
    cuts = drop_cuts(graph, reach.racks)
    col = {r: i for i, r in enumerate(reach.racks)}
    inside = np.zeros((len(reach.racks), len(cuts)))
    for c, cut in enumerate(cuts):
        inside[[col[r] for r in cut.racks], c] = 1.0
    cut_spare = [float(prices.spare_mm2[list(cut.segments)].sum()) for cut in cuts]
    spare = np.concatenate([prices.spare_mm2, np.array(cut_spare)])
    tree_depth, tree_edge = tree_shape(fg, reach.pred)
    return _TrayLoads(
        spare, inside, fg, graph.drops, prices.area_mm2, costs, reach.pred, tree_depth,
        tree_edge,
    )  # fmt: skip


def _link_costs(
    fabric: Fabric,
    floor: Floor,
    catalog: Catalog,
    naive: Placement,
    free: list[Device],
    reach: _Reach,
    options: PlacementOptions,
) -> _LinkCosts:
    """The cost model of the free devices' links, with the rows of their links to
    devices whose rack never changes computed once: a sparse (device x far end) count
    matrix times the (far end x candidate) cost matrix, plain and, if tolls are
    charged, priced."""
    all_cands = reach.racks
    slack = None if options.slack_m is None else round(options.slack_m * 1000)
    tables: dict[int, MediaTable] = {}
    links_of: dict[str, list[tuple[str, int]]] = defaultdict(list)  # device -> (far, speed)
    for link in fabric.links:
        links_of[link.a.device].append((link.b.device, link.speed_gbps))
        links_of[link.b.device].append((link.a.device, link.speed_gbps))
        if link.speed_gbps not in tables:
            tables[link.speed_gbps] = media_table(catalog.media_for(link.speed_gbps), slack)
    costs = _LinkCosts(
        objective=options.objective,
        free=tuple(free),
        links_of=links_of,
        placed=naive.device_index(),
        floor_racks=floor.rack_index,
        graph=reach.fg.graph,
        racks=tuple(all_cands),
        col={r: i for i, r in enumerate(all_cands)},
        dist=reach.dist,
        tables=tables,
        dress=round(options.dress_m * 1000),
        toll_of=reach.toll_of,
    )
    key_index: dict[tuple[str, int, int], int] = {}
    rows_i: list[int] = []
    cols_i: list[int] = []
    for k, d in enumerate(free):
        for far_id, speed in links_of[d.id]:
            if far_id not in costs.free_ids:
                rack, u = costs.far_key(far_id, {})
                rows_i.append(k)
                cols_i.append(key_index.setdefault((rack, u, speed), len(key_index)))
    counts = sparse.csr_matrix(
        (np.ones(len(rows_i)), (rows_i, cols_i)), shape=(len(free), max(1, len(key_index)))
    )
    for priced in sorted({False, costs.priced}):
        far_costs = np.zeros((max(1, len(key_index)), len(all_cands)))
        for key, k in key_index.items():
            far_costs[k] = costs.cost_vec(*key, priced)
        costs.fixed[priced] = np.asarray(counts @ far_costs)
    return costs


def _free_room(
    floor: Floor,
    naive: Placement,
    racks: list[str],
    free_ids: Set[str],
    reserve_u: int,
) -> _Room:
    """Free units and power per rack of ``racks`` once the devices not in ``free_ids``
    stand where the naive placement put them (``reserve_u`` top units kept free)."""
    on_floor = floor.rack_index
    taken: dict[str, bytearray] = {}
    room_w: dict[str, float] = {}
    for r in racks:
        h = on_floor[r].height_u
        taken[r] = bytearray(h + 1)
        taken[r][0] = 1
        for unit in range(max(1, h - reserve_u + 1), h + 1):
            taken[r][unit] = 1
        room_w[r] = on_floor[r].limit_kw * 1000
    for d in naive.devices:
        if d.id in free_ids or d.rack not in taken:
            continue
        assert d.u is not None
        for unit in range(max(1, d.u - d.height_u + 1), d.u + 1):
            taken[d.rack][unit] = 1
        room_w[d.rack] -= d.power_w
    return _Room(
        taken,
        {r: t.count(0) for r, t in taken.items()},
        room_w,
        _budgets(floor, naive, racks, free_ids),
    )


def _budgets(
    floor: Floor, naive: Placement, racks: list[str], free_ids: Set[str]
) -> dict[str, tuple[float, tuple[str, ...]]]:
    """The row and hall power budgets that feed candidate racks, less the power of the
    devices that stay where the naive placement put them (W)."""
    on_floor = floor.rack_index
    used: dict[str, float] = defaultdict(float)
    for d in naive.devices:
        if d.id not in free_ids and d.rack in on_floor:
            used[on_floor[d.rack].row] += d.power_w
    out: dict[str, tuple[float, tuple[str, ...]]] = {}
    for row in floor.rows:
        fed = tuple(r for r in racks if on_floor[r].row == row.id)
        if row.power_budget_kw is not None and fed:
            out[f"row {row.id}"] = (row.power_budget_kw * 1000 - used[row.id], fed)
    if floor.power_budget_kw is not None and racks:
        out["hall"] = (floor.power_budget_kw * 1000 - sum(used.values()), tuple(racks))
    return out


# -- solving: one stage per role, each a transportation problem ---------------------------


@dataclass(frozen=True)
class _Choice:
    """The racks the stages chose.

    Attributes:
        racks: rack by free device id (only the stages before a failed one).
        solver_log: every solver run of every stage and its status.
        failed: the note saying which stage found no assignment ("" if none failed).
    """

    racks: Mapping[str, str]
    solver_log: tuple[str, ...]
    failed: str = ""


class _Stage(NamedTuple):
    """One stage's assignment and what it was solved over."""

    racks: dict[str, str] | None
    """Rack by device id; None if no solver assigned them."""
    offered: dict[str, tuple[str, ...]]
    """The candidate racks each device was offered in the last try."""
    loads: list[np.ndarray] | None
    """Per device, its tray loads from each offered rack (None: no capacity rows)."""
    log: tuple[str, ...]
    """Every solver run and its status."""


def _solve_stages(model: _Model, options: PlacementOptions) -> _Choice:
    """Steps 2 and 3 of the module docstring: place the free devices role by role, each
    stage with the far ends of earlier stages fixed, each taking the room it used from
    the racks (and its links' loads from the trays)."""
    left = _Left(
        dict(model.room.units),
        dict(model.room.power_w),
        None if model.loads is None else model.loads.spare.copy(),
        dict(model.room.groups),
    )
    choice: dict[str, str] = {}
    solver_log: list[str] = []
    for devs in _stages(model.free):
        stage = _place_stage(model, devs, choice, left, options)
        roles = ", ".join(sorted({d.role for d in devs}))
        solver_log.append(f"{roles} ({len(devs)}): {'; '.join(stage.log)}")
        if stage.racks is None:
            failed = (
                f"placing {len(devs)} {roles} switches found no assignment "
                f"({'; '.join(stage.log)}): naive placement kept"
            )
            return _Choice(choice, tuple(solver_log), failed)
        for k, d in enumerate(devs):
            r = stage.racks[d.id]
            choice[d.id] = r
            left.units[r] -= d.height_u
            left.power_w[r] -= d.power_w
            for name, (room, fed) in left.groups.items():
                if r in fed:
                    left.groups[name] = (room - d.power_w, fed)
            if stage.loads is not None and left.spare is not None:
                load = stage.loads[k][stage.offered[d.id].index(r)]
                np.subtract(left.spare, load, out=left.spare)
    return _Choice(choice, tuple(solver_log))


@dataclass(frozen=True, eq=False)
class _Left:
    """What the racks and trays have left for the stages to come (updated in place as
    each stage takes its share).

    Attributes:
        units: free units per candidate rack.
        power_w: power budget left per candidate rack (W).
        spare: room left per segment, then per drop cut (mm²); None without capacity
            rows.
    """

    units: dict[str, int]
    power_w: dict[str, float]
    spare: np.ndarray | None
    groups: dict[str, tuple[float, tuple[str, ...]]] = field(default_factory=dict)
    """Row and hall power left (W) and the racks each feeds."""


def _stages(free: Sequence[Device]) -> list[list[Device]]:
    """The free devices by stage (leaves, spines, cores, the rest), each in id order."""
    stages: dict[int, list[Device]] = defaultdict(list)
    for d in free:
        stages[_ROLE_ORDER.get(d.role, 3)].append(d)
    return [sorted(devs, key=lambda d: d.id) for _, devs in sorted(stages.items())]


def _place_stage(
    model: _Model,
    devs: list[Device],
    choice: Mapping[str, str],
    left: _Left,
    options: PlacementOptions,
) -> _Stage:
    """One stage: each device's cost in each of its candidate racks given the far ends
    placed so far (``choice``), then the stage solved
    (:func:`~topo.placement.transport.solve_stage`) offering each device its cheapest
    racks first, twice as many (at most all of them) while they cannot hold the stage or
    the stage's linear program overfills the drop cuts around them."""
    costs = model.costs
    later = costs.free_ids - set(choice)
    ahead = later - {d.id for d in devs}
    full_rows = []
    for d in devs:
        full = costs.device_row(d, choice, later, costs.priced)
        full_rows.append(full[[costs.col[r] for r in model.cands[d.id]]])
    stage_log: list[str] = []
    widest = max(len(model.cands[d.id]) for d in devs)
    tries = sorted({min(_NEAREST << k, widest) for k in range(widest.bit_length() + 1)})
    offered: dict[str, tuple[str, ...]] = {}
    loads: list[np.ndarray] | None = None
    got = None
    for most in tries:
        offered, rows = _nearest(devs, model.cands, full_rows, most)
        loads = (
            None
            if model.loads is None
            else [model.loads.device_loads(d, choice, later, offered[d.id], ahead) for d in devs]
        )
        got = solve_stage(
            devs, offered, rows, left.units, left.power_w, costs.placed,
            threads=options.threads, seed=options.seed, loads=loads, spare=left.spare,
            exact_from=model.loads.n_segments if model.loads is not None else None,
            widen=most < widest, log=stage_log, power_groups=left.groups,
        )  # fmt: skip
        if got is not None:
            break
    return _Stage(got, offered, loads, tuple(stage_log))


# -- extracting the placement ------------------------------------------------------------


class _Outcome(NamedTuple):
    """The placement kept and its report."""

    placement: Placement
    report: PlacementReport


def _extract_placement(
    model: _Model,
    chosen: _Choice,
    naive: Placement,
    objective: Literal["cost", "length"],
    steered: bool,
    t0: float,
) -> _Outcome:
    """Steps 4 and 5 of the module docstring: score both placements, keep the naive one
    unless the stages' is better (``steered`` by tray prices: whenever they all found an
    assignment, the planner compares the routed plans instead), and stack the chosen
    racks' devices into their units."""
    free = model.free
    naive_where = {d.id: model.costs.placed[d.id].rack for d in free}
    naive_score = model.costs.score(naive_where)  # type: ignore[arg-type]
    ok = not chosen.failed
    chosen_score = model.costs.score(chosen.racks) if ok else float("inf")
    better = ok and (steered or chosen_score < naive_score - 1e-9)
    seconds = time.perf_counter() - t0
    as_naive = PlacementReport(
        "naive", objective, len(free), naive_score, naive_score, seconds,
        solver_log=chosen.solver_log,
    )  # fmt: skip
    if not better:
        kept = naive if ok else replace(naive, notes=(*naive.notes, chosen.failed))
        return _Outcome(kept, as_naive)
    moved = _stack_units(free, chosen.racks, model.room.taken)
    if moved is None:  # units fragmented: keep the naive placement
        return _Outcome(naive, as_naive)
    devices = tuple(sorted((moved.get(d.id, d) for d in naive.devices), key=lambda d: d.id))
    measure = "m" if objective == "length" else "USD"
    change = 100 * (naive_score - chosen_score) / naive_score if naive_score > 0 else 0.0
    note = (
        f"optimized placement of {len(free)} switches: {chosen_score:,.1f} {measure} of cabling "
        f"on their links against {naive_score:,.1f} {measure} placed naively "
        + (f"({change:.1f}% less)" if change >= 0 else f"({-change:.1f}% more)")
        + (", spread to relieve full trays" if steered else "")
    )
    notes = (*(n for n in naive.notes if "placed in racks" not in n), note)
    report = PlacementReport(
        "optimized", objective, len(free), naive_score, chosen_score, seconds,
        solver_log=chosen.solver_log,
    )  # fmt: skip
    return _Outcome(Placement(devices=devices, method="optimized", notes=notes), report)


def _stack_units(
    free: Sequence[Device], racks: Mapping[str, str], taken: Mapping[str, bytearray]
) -> dict[str, Device] | None:
    """Each free device in its chosen rack at the top of the highest free run of units
    there, in role then id order (``taken`` is left as it is); None if a rack's free
    units are too fragmented to hold its devices."""
    taken = {r: bytearray(t) for r, t in taken.items()}
    moved: dict[str, Device] = {}
    for d in sorted(free, key=lambda d: (_ROLE_ORDER.get(d.role, 3), d.id)):
        rack_id = racks[d.id]
        top = _highest_run(taken[rack_id], d.height_u)
        if top is None:
            return None
        taken[rack_id][top - d.height_u + 1 : top + 1] = b"\x01" * d.height_u
        moved[d.id] = replace(d, rack=rack_id, u=top)
    return moved


_NEAREST = 24
"""Candidate racks a free device is first placed among: its cheapest ones (a rail
cluster's spine has every network rack of the hall as a candidate; the far ones only
make the stage's programs larger). Doubled while the racks cannot hold the stage, or
while its linear program overfills the drop cuts."""


def _nearest(
    devs: list[Device],
    cands: dict[str, tuple[str, ...]],
    rows: list[np.ndarray],
    most: int,
) -> tuple[dict[str, tuple[str, ...]], list[np.ndarray]]:
    """Each device's ``most`` cheapest candidate racks (ties in candidate order), in
    candidate order, and its cost row over them."""
    options: dict[str, tuple[str, ...]] = {}
    out: list[np.ndarray] = []
    for d, row in zip(devs, rows, strict=True):
        keep = np.sort(np.argsort(row, kind="stable")[:most])
        options[d.id] = tuple(cands[d.id][i] for i in keep.tolist())
        out.append(row[keep])
    return options, out


def _segment_loads(
    fg: FlowGraph,
    pred: np.ndarray,
    demand: np.ndarray,
    shape: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Per tree, the demand (mm² sinking at each node) summed on every segment
    (``shape``: the trees' :func:`topo.routing.flows.tree_shape`, if known)."""
    load, edge, _ = tree_loads(fg, pred, demand, shape=shape)
    s = fg.seg[np.maximum(edge, 0)]
    m = (edge >= 0) & (s >= 0) & (load > 0)
    rows = np.broadcast_to(np.arange(len(pred))[:, None], load.shape)
    out = np.zeros((len(pred), len(fg.capacity)))
    np.add.at(out, (rows[m], s[m]), load[m])
    return out


def _tolls(
    fg: FlowGraph,
    prices: TrayPrices | None,
    dist: np.ndarray,
    sources: list[int],
    reach: list[int],
) -> Callable[[int], np.ndarray] | None:
    """The toll of the cheapest priced route from every candidate rack to every node,
    by link speed (``length + area * price`` less the shortest length, mm); None when
    nothing is priced.

    A segment's toll is capped at the longest shortest route from a candidate rack: a
    price that high only says the segment overflowed (the router's overflow price),
    which the stages' capacity rows weigh instead."""
    if prices is None or not (prices.mm_per_mm2 > 0).any() or not sources:
        return None
    edge_price = np.where(fg.seg >= 0, prices.mm_per_mm2[np.maximum(fg.seg, 0)], 0.0)
    finite = dist[np.isfinite(dist)]
    longest = float(finite.max()) if len(finite) else 0.0
    cache: dict[float, np.ndarray] = {}

    def toll(speed: int) -> np.ndarray:
        area = float(prices.area_mm2.get(speed, 0.0))
        if area not in cache:
            out = np.zeros_like(dist)
            if area > 0:
                tolls = np.minimum(area * edge_price, longest)
                priced = fg.dijkstra(fg.mm + tolls, sources)[0]
                plain = dist[reach]
                out[reach] = np.where(np.isfinite(plain), priced - plain, 0.0)
            cache[area] = out
        return cache[area]

    return toll


def _highest_run(taken: bytearray, h: int) -> int | None:
    """Top unit of the highest run of ``h`` free units (index 0 is a sentinel)."""
    run = 0
    for unit in range(len(taken) - 1, 0, -1):
        run = run + 1 if not taken[unit] else 0
        if run == h:
            return unit + h - 1
    return None


def candidate_racks(
    free: list[Device],
    floor: Floor,
    spine_racks: tuple[str, ...] | None,
    zones: dict[str, tuple[str, ...]],
) -> dict[str, tuple[str, ...]]:
    """Racks each free device may use, as the naive placement would consider them: its
    zone's racks, an end-of-row leaf's row network racks, else the spine racks."""
    on_floor = floor.rack_index
    if spine_racks is None:
        pool = tuple(r.id for r in floor.racks if r.role == "network")
    else:
        pool = tuple(sorted(set(spine_racks)))
    row_ids = {row.id for row in floor.rows}
    out = {}
    for d in free:
        own: tuple[str, ...] = ()
        if d.zone and d.zone in zones:
            out[d.id] = tuple(r for r in zones[d.zone] if r in on_floor)
            continue
        if d.role == "leaf" and d.group in row_ids:
            own = tuple(r.id for r in floor.racks if r.row == d.group and r.role == "network")
        out[d.id] = own or pool
    return out
