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
   knapsack rows, the naive placement as a hint, a deterministic time limit).
4. Devices go top-down into the room left below the rack's fixed switches, in id order.
5. Both placements are scored on every link touching a free device; the optimized one
   is kept only if it scores lower, so it is never worse than naive.

Tray prices (:class:`TrayPrices`, from the router's segment duals) make step 2 capacity
aware: a link's route is then the cheapest under ``length + area * price`` and its cost
grows by the toll it pays, so switches move away from scarce trays (a Lagrangian
relaxation of placing and routing together; the planner iterates it, see
:func:`topo.planner.plan`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model
from scipy import sparse

from layouts.model import Floor
from layouts.pathways import PathwayGraph
from topo.catalog import Catalog
from topo.media import MediaTable, inrack_mm, media_table
from topo.model import Device, Fabric, Placement
from topo.routing.flows import FlowGraph, tree_loads, tree_shape

__all__ = [
    "PlacementOptions",
    "PlacementReport",
    "TrayPrices",
    "candidate_racks",
    "optimize_placement",
]

_ROLE_ORDER = {"leaf": 0, "spine": 1, "core": 2}
_UNREACHABLE = 10**9
"""Cost of a link whose racks share no tray path (mm or cents): to be avoided."""


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
    objective, spine_racks, reserve_u = options.objective, options.spine_racks, options.reserve_u
    slack_m, dress_m, threads, seed = (
        options.slack_m,
        options.dress_m,
        options.threads,
        options.seed,
    )
    free = [d for d in fabric.devices if d.rack is None]
    if not free:
        return naive, None
    placed = naive.device_index()
    racks = floor.rack_index
    cands = candidate_racks(free, floor, spine_racks, fabric.zone_index())
    fg = FlowGraph.of(graph)
    dress = round(dress_m * 1000)
    slack = None if slack_m is None else round(slack_m * 1000)
    tables: dict[int, MediaTable] = {}
    links_of: dict[str, list[tuple[str, int]]] = defaultdict(list)  # device -> (far, speed)
    for link in fabric.links:
        links_of[link.a.device].append((link.b.device, link.speed_gbps))
        links_of[link.b.device].append((link.a.device, link.speed_gbps))
        if link.speed_gbps not in tables:
            tables[link.speed_gbps] = media_table(catalog.media_for(link.speed_gbps), slack)
    all_cands = sorted({r for c in cands.values() for r in c})
    nodes = [graph.drops[r].node if r in graph.drops else -1 for r in all_cands]
    reach = [i for i, nd in enumerate(nodes) if nd >= 0]
    dist = np.full((len(all_cands), fg.n), np.inf)
    pred = np.full((len(all_cands), fg.n), -9999, dtype=np.int32)
    if reach:
        dist[reach], pred[reach] = fg.dijkstra(fg.mm.astype(float), [nodes[i] for i in reach])
    toll_of = _tolls(fg, prices, dist, [nodes[i] for i in reach], reach)
    col = {r: i for i, r in enumerate(all_cands)}
    cand_names = np.array(all_cands)
    free_ids = {d.id for d in free}
    vec_cache: dict[tuple[str, int, int, bool], np.ndarray] = {}
    cents_per_mm: dict[int, float] = {}

    def far_key(far_id: str, where: dict[str, str]) -> tuple[str, int]:
        """Rack and top U of a link's far end (a free one sits at the top of its rack)."""
        if far_id in where:
            r = where[far_id]
            return r, racks[r].height_u
        far = placed[far_id]
        assert far.rack is not None and far.u is not None
        return far.rack, far.u

    def cost_vec(rack: str, u: int, speed: int, priced: bool) -> np.ndarray:
        """Cost of one link from every candidate rack to a far end at ``rack``, ``u``
        (with its toll under the tray prices if ``priced``)."""
        key = (rack, u, speed, priced)
        if key not in vec_cache:
            fr = racks[rack]
            base = inrack_mm(fr.height_u, u, dress) + dress
            node = graph.drops[rack].node if rack in graph.drops else -1
            route = dist[:, node] if node >= 0 else np.full(len(all_cands), np.inf)
            here = cand_names == rack
            route = np.where(here, 0.0, route)
            ok = np.isfinite(route)
            need = base + np.where(ok, route, 0).astype(np.int64)
            if objective == "length":
                val = need.astype(np.float64)
            else:
                val = tables[speed].cost(need).astype(np.float64)
                if speed not in cents_per_mm and ok.any():
                    cents_per_mm[speed] = float(val[ok].sum() / need[ok].sum())
            if priced and toll_of is not None and node >= 0:
                toll = np.where(here | ~ok, 0.0, toll_of(speed)[:, node])
                val = val + toll * (1.0 if objective == "length" else cents_per_mm[speed])
            vec_cache[key] = np.where(ok, val, _UNREACHABLE)
        return vec_cache[key]

    # every free device's links to devices whose rack never changes, as one sparse
    # (device x far end) count matrix times the (far end x candidate) cost matrix
    key_index: dict[tuple[str, int, int], int] = {}
    rows_i: list[int] = []
    cols_i: list[int] = []
    for k, d in enumerate(free):
        for far_id, speed in links_of[d.id]:
            if far_id not in free_ids:
                rack, u = far_key(far_id, {})
                rows_i.append(k)
                cols_i.append(key_index.setdefault((rack, u, speed), len(key_index)))
    counts = sparse.csr_matrix(
        (np.ones(len(rows_i)), (rows_i, cols_i)), shape=(len(free), max(1, len(key_index)))
    )
    fixed_matrix: dict[bool, np.ndarray] = {}
    for priced in sorted({False, toll_of is not None}):
        costs = np.zeros((max(1, len(key_index)), len(all_cands)))
        for key, k in key_index.items():
            costs[k] = cost_vec(*key, priced)
        fixed_matrix[priced] = np.asarray(counts @ costs)
    free_row = {d.id: k for k, d in enumerate(free)}

    def device_row(d: Device, where: dict[str, str], skip: set[str], priced: bool) -> np.ndarray:
        """Cost of ``d`` in each of all candidate racks, over links to placed far ends."""
        keys: dict[tuple[str, int, int], int] = defaultdict(int)
        for far_id, speed in links_of[d.id]:
            if far_id in free_ids and far_id not in skip:
                rack, u = far_key(far_id, where)
                keys[(rack, u, speed)] += 1
        row = fixed_matrix[priced][free_row[d.id]]
        for (rack, u, speed), n in keys.items():
            row = row + n * cost_vec(rack, u, speed, priced)
        return row

    def score(where: dict[str, str]) -> float:
        """Cabling over every link touching a free device, both ends placed."""
        total = 0.0
        done: set[str] = set()
        for d in free:
            total += float(device_row(d, where, done, False)[col[where[d.id]]])
            done.add(d.id)  # a link between two free devices counts once
        return total / 1000 if objective == "length" else total / 100

    # free units and power per candidate rack once the fixed devices stand where the
    # naive placement put them (and the reserved top units stay free)
    taken: dict[str, bytearray] = {}
    room_w: dict[str, float] = {}
    for r in all_cands:
        h = racks[r].height_u
        taken[r] = bytearray(h + 1)
        taken[r][0] = 1
        for unit in range(max(1, h - reserve_u + 1), h + 1):
            taken[r][unit] = 1
        room_w[r] = racks[r].power_kw * 1000
    for d in naive.devices:
        if d.id in free_ids or d.rack not in taken:
            continue
        assert d.u is not None
        for unit in range(max(1, d.u - d.height_u + 1), d.u + 1):
            taken[d.rack][unit] = 1
        room_w[d.rack] -= d.power_w
    room_u = {r: t.count(0) for r, t in taken.items()}

    # capacity left per segment, then per candidate rack the room left on the segments
    # around its drop point (a cut every cable of the rack's switches crosses)
    spare = None
    if prices is not None and prices.spare_mm2 is not None:
        spare = np.concatenate([prices.spare_mm2, _drop_room(fg, graph, all_cands, prices)])
    load_cache: dict[tuple[object, ...], np.ndarray] = {}
    # every candidate's shortest-path tree, its depths and edges found once
    tree_depth, tree_edge = tree_shape(fg, pred) if spare is not None else (pred, pred)

    def device_loads(
        d: Device, where: dict[str, str], skip: set[str], options: tuple[str, ...]
    ) -> np.ndarray:
        """Load (mm²) that ``d``'s links to placed far ends put on every segment, on
        shortest routes, from each of its candidate racks (``options``), then the load
        all its links put on each candidate's drop cut: ``(options, segments + all
        candidates)``."""
        assert prices is not None
        ends: dict[int, float] = defaultdict(float)
        need = 0.0
        for far_id, speed in links_of[d.id]:
            area = prices.area_mm2.get(speed, 0.0)
            need += area
            if far_id in skip:
                continue
            rack = where[far_id] if far_id in where else placed[far_id].rack
            if rack in graph.drops:
                ends[graph.drops[rack].node] += area
        key = (options, tuple(sorted(ends.items())), need)
        if key not in load_cache:
            rows_of = [col[r] for r in options]
            demand = np.zeros((len(rows_of), fg.n))
            for node, a in ends.items():
                demand[:, node] = a
            cut = np.zeros((len(rows_of), len(all_cands)))
            cut[np.arange(len(rows_of)), rows_of] = need
            shape = (tree_depth[rows_of], tree_edge[rows_of])
            load_cache[key] = np.hstack([_segment_loads(fg, pred[rows_of], demand, shape), cut])
        return load_cache[key]

    choice: dict[str, str] = {}
    solver_log: list[str] = []
    failed = ""
    stages: dict[int, list[Device]] = defaultdict(list)
    for d in free:
        stages[_ROLE_ORDER.get(d.role, 3)].append(d)
    ok = True
    for _, devs in sorted(stages.items()):
        devs.sort(key=lambda d: d.id)
        later = free_ids - set(choice)
        full_rows = []
        for d in devs:
            full = device_row(d, choice, later, toll_of is not None)
            full_rows.append(full[[col[r] for r in cands[d.id]]])
        got = None
        stage_log: list[str] = []
        # each device's cheapest racks first, twice as many while they cannot hold the
        # stage (at most all of them)
        widest = max(len(cands[d.id]) for d in devs)
        tries = sorted({min(_NEAREST << k, widest) for k in range(widest.bit_length() + 1)})
        for most in tries:
            offered, rows = _nearest(devs, cands, full_rows, most)
            loads = (
                None
                if spare is None
                else [device_loads(d, choice, later, offered[d.id]) for d in devs]
            )
            got = _solve_stage(
                devs, offered, rows, room_u, room_w, placed, threads, seed, loads, spare,
                stage_log,
            )  # fmt: skip
            if got is not None:
                break
        roles = ", ".join(sorted({d.role for d in devs}))
        solver_log.append(f"{roles} ({len(devs)}): {'; '.join(stage_log)}")
        if got is None:
            ok = False
            failed = (
                f"placing {len(devs)} {roles} switches found no assignment "
                f"({'; '.join(stage_log)}): naive placement kept"
            )
            break
        for k, d in enumerate(devs):
            r = got[d.id]
            choice[d.id] = r
            room_u[r] -= d.height_u
            room_w[r] -= d.power_w
            if loads is not None and spare is not None:
                spare -= loads[k][offered[d.id].index(r)]
    naive_where: dict[str, str] = {d.id: placed[d.id].rack for d in free}  # type: ignore[misc]
    naive_score = score(naive_where)
    chosen_score = score(choice) if ok else float("inf")
    # steered by prices, the planner compares the routed plans instead
    steered = prices is not None
    better = ok and (steered or chosen_score < naive_score - 1e-9)
    seconds = time.perf_counter() - t0
    if not better:
        kept = naive if not failed else replace(naive, notes=(*naive.notes, failed))
        return kept, PlacementReport(
            "naive", objective, len(free), naive_score, naive_score, seconds,
            solver_log=tuple(solver_log),
        )  # fmt: skip
    # each free device takes the highest free run of units in its rack, role then id order
    moved: dict[str, Device] = {}
    for d in sorted(free, key=lambda d: (_ROLE_ORDER.get(d.role, 3), d.id)):
        rack_id = choice[d.id]
        top = _highest_run(taken[rack_id], d.height_u)
        if top is None:  # units fragmented: keep the naive placement
            return naive, PlacementReport(
                "naive", objective, len(free), naive_score, naive_score, seconds,
                solver_log=tuple(solver_log),
            )  # fmt: skip
        taken[rack_id][top - d.height_u + 1 : top + 1] = b"\x01" * d.height_u
        moved[d.id] = replace(d, rack=rack_id, u=top)
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
        solver_log=tuple(solver_log),
    )  # fmt: skip
    return Placement(devices=devices, method="optimized", notes=notes), report


_LP_STATUS = {
    pywraplp.Solver.OPTIMAL: "OPTIMAL",
    pywraplp.Solver.FEASIBLE: "FEASIBLE",
    pywraplp.Solver.INFEASIBLE: "INFEASIBLE",
    pywraplp.Solver.UNBOUNDED: "UNBOUNDED",
    pywraplp.Solver.ABNORMAL: "ABNORMAL",
    pywraplp.Solver.NOT_SOLVED: "NOT_SOLVED",
}
"""GLOP's statuses by name."""

_NEAREST = 24
"""Candidate racks a free device is first placed among: its cheapest ones (a rail
cluster's spine has every network rack of the hall as a candidate; the far ones only
make the stage's programs larger). Doubled while the racks cannot hold the stage."""


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


def _drop_room(
    fg: FlowGraph, graph: PathwayGraph, racks: list[str], prices: TrayPrices
) -> np.ndarray:
    """Per rack, the spare capacity of the tray segments at its drop point (mm²): every
    cable between a switch there and another rack crosses one of them. Infinite where
    the cut is not one (the drop point is also a junction) or the rack has no drop."""
    assert prices.spare_mm2 is not None
    rack_nodes = {d.node for d in graph.drops.values()}
    out = np.full(len(racks), np.inf)
    for i, r in enumerate(racks):
        if r not in graph.drops:
            continue
        t = graph.drops[r].tray_node
        at = (fg.u == t) | (fg.v == t)
        far = np.where(fg.u == t, fg.v, fg.u)
        other = at & (fg.seg < 0) & ~np.isin(far, list(rack_nodes))
        if not other.any():
            out[i] = float(prices.spare_mm2[np.unique(fg.seg[at & (fg.seg >= 0)])].sum())
    return out


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


def _solve_stage(
    devs: list[Device],
    cands: dict[str, tuple[str, ...]],
    rows: list[np.ndarray],
    room_u: dict[str, int],
    room_w: dict[str, float],
    naive: dict[str, Device],
    threads: int,
    seed: int,
    loads: list[np.ndarray] | None = None,
    spare: np.ndarray | None = None,
    log: list[str] | None = None,
) -> dict[str, str] | None:
    """Assign ``devs`` to racks minimising the summed cost rows; None if it fails.
    Every solver run appends its status to ``log``.

    With ``loads`` (per device, its segment loads from each candidate) and ``spare``
    (per segment), segments the stage could overfill get a soft capacity row: a linear
    program (GLOP) spreads the devices fractionally within them, then CP-SAT rounds it,
    each (class, rack) count between the LP's rounded down and up, overflow priced."""
    log = [] if log is None else log
    classes: dict[tuple[object, ...], list[int]] = {}
    for k, d in enumerate(devs):
        key: tuple[object, ...] = (
            d.height_u,
            d.power_w,
            cands[d.id],
            np.round(rows[k], 3).tobytes(),
        )
        if loads is not None:  # devices with the same far ends share one array
            key = (*key, id(loads[k]))
        classes.setdefault(key, []).append(k)
    racks = sorted({r for d in devs for r in cands[d.id]})
    one_size = len({(d.height_u, d.power_w) for d in devs}) == 1
    counts: dict[tuple[int, str], int]
    got = None
    if loads is not None and spare is not None:
        cap_rows = _capacity_rows(classes, loads, spare)
        lp = None
        if cap_rows:
            lp = _spread_lp(devs, cands, rows, classes, racks, room_u, room_w, cap_rows, log)
        if lp is not None:
            got = _transport_cpsat(
                devs, cands, rows, classes, racks, room_u, room_w, naive, threads, seed, log,
                lp, cap_rows,
            )  # fmt: skip
    if got is None and one_size:
        got = _transport_mcf(devs, cands, rows, classes, racks, room_u, room_w, log)
    elif got is None:
        got = _transport_cpsat(
            devs, cands, rows, classes, racks, room_u, room_w, naive, threads, seed, log
        )
    if got is None:
        return None
    counts = got
    out: dict[str, str] = {}
    for c, members in enumerate(classes.values()):
        pos = 0
        for r in racks:
            n = counts.get((c, r), 0)
            for k in members[pos : pos + n]:
                out[devs[k].id] = r
            pos += n
    return out


def _spread_lp(  # type: ignore[no-untyped-def]
    devs, cands, rows, classes, racks, room_u, room_w, cap_rows, log
) -> dict[tuple[int, str], tuple[int, int]] | None:
    """The stage as a linear program with soft capacity rows (overflow priced above any
    device's cost, costs scaled to at most 1); per (class, rack) the LP's count rounded
    down and up, or None if GLOP does not solve it."""
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:  # pragma: no cover - GLOP ships with OR-Tools
        return None
    keys = list(classes)
    scale = max((float(v[v < _UNREACHABLE].max(initial=0)) for v in rows), default=0.0) or 1.0
    x: dict[tuple[int, str], pywraplp.Variable] = {}
    objective = solver.Objective()
    for c, key in enumerate(keys):
        k0 = classes[key][0]
        conv = solver.Constraint(len(classes[key]), len(classes[key]), f"n_{c}")
        for j, r in enumerate(cands[devs[k0].id]):
            x[c, r] = solver.NumVar(0, len(classes[key]), f"x_{c}_{r}")
            conv.SetCoefficient(x[c, r], 1)
            objective.SetCoefficient(x[c, r], min(float(rows[k0][j]), _UNREACHABLE) / scale)
    for r in racks:
        units = solver.Constraint(-solver.infinity(), room_u[r], f"u_{r}")
        power = solver.Constraint(-solver.infinity(), max(0.0, room_w[r]), f"w_{r}")
        for c, key in enumerate(keys):
            if (c, r) in x:
                d = devs[classes[key][0]]
                units.SetCoefficient(x[c, r], d.height_u)
                power.SetCoefficient(x[c, r], d.power_w)
    for seg, (room, terms) in sorted(cap_rows.items()):
        over = solver.NumVar(0, solver.infinity(), f"over_{seg}")
        objective.SetCoefficient(over, 1.0)
        row = solver.Constraint(-solver.infinity(), room, f"cap_{seg}")
        row.SetCoefficient(over, -1)
        for c, t in terms.items():
            for j, r in enumerate(cands[devs[classes[keys[c]][0]].id]):
                if t[j]:
                    row.SetCoefficient(x[c, r], float(t[j]))
    objective.SetMinimization()
    status = solver.Solve()
    log.append(f"GLOP {_LP_STATUS.get(status, str(status))}")
    if status != pywraplp.Solver.OPTIMAL:
        return None
    out = {}
    for k, v in x.items():
        val = v.solution_value()
        out[k] = (int(np.floor(val + 1e-6)), int(np.ceil(val - 1e-6)))
    return out


def _transport_mcf(devs, cands, rows, classes, racks, room_u, room_w, log):  # type: ignore[no-untyped-def]
    d0 = devs[0]
    h, p = d0.height_u, d0.power_w
    slots = {
        r: max(0, min(room_u[r] // h, int((room_w[r] + 1e-6) // p) if p > 0 else room_u[r] // h))
        for r in racks
    }
    keys = list(classes)
    nc = len(keys)
    sink = nc + len(racks)
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = []
    for c, key in enumerate(keys):
        k0 = classes[key][0]
        cr = cands[devs[k0].id]
        for j, r in enumerate(cr):
            cost = int(np.rint(rows[k0][j]))
            a = smcf.add_arc_with_capacity_and_unit_cost(
                c, nc + racks.index(r), len(classes[key]), cost
            )
            arcs.append((a, c, r))
    for i, r in enumerate(racks):
        smcf.add_arc_with_capacity_and_unit_cost(nc + i, sink, slots[r], 0)
    for c, key in enumerate(keys):
        smcf.set_node_supply(c, len(classes[key]))
    smcf.set_node_supply(sink, -len(devs))
    status = smcf.solve()
    log.append("min-cost flow " + ("OPTIMAL" if status == smcf.OPTIMAL else f"status {status}"))
    if status != smcf.OPTIMAL:
        return None
    return {(c, r): smcf.flow(a) for a, c, r in arcs if smcf.flow(a) > 0}


def _capacity_rows(
    classes: dict[tuple[object, ...], list[int]], loads: list[np.ndarray], spare: np.ndarray
) -> dict[int, tuple[int, dict[int, np.ndarray]]]:
    """Segments the stage could overfill: segment -> (spare mm², class -> load from each
    candidate, mm²); a segment no choice can overfill gets no row."""
    worst = np.zeros_like(spare)
    for members in classes.values():
        worst += len(members) * loads[members[0]].max(axis=0)
    out: dict[int, tuple[int, dict[int, np.ndarray]]] = {}
    for seg in np.nonzero(worst > spare + 1e-6)[0].tolist():
        terms = {
            c: np.rint(loads[members[0]][:, seg]).astype(np.int64)
            for c, members in enumerate(classes.values())
            if loads[members[0]][:, seg].any()
        }
        out[seg] = (int(np.floor(spare[seg])), terms)
    return out


def _transport_cpsat(
    devs, cands, rows, classes, racks, room_u, room_w, naive, threads, seed, log,
    bounds=None, cap_rows=None,
):  # type: ignore[no-untyped-def]  # fmt: skip
    model = cp_model.CpModel()
    keys = list(classes)
    x = {}
    for c, key in enumerate(keys):
        k0 = classes[key][0]
        for r in cands[devs[k0].id]:
            lo, hi = (0, len(classes[key])) if bounds is None else bounds[c, r]
            x[c, r] = model.new_int_var(lo, hi, f"n_{c}_{r}")
            hint = sum(1 for k in classes[key] if naive[devs[k].id].rack == r)
            model.add_hint(x[c, r], hint)
        model.add(sum(x[c, r] for r in cands[devs[k0].id]) == len(classes[key]))
    for r in racks:
        terms = [(c, key) for c, key in enumerate(keys) if (c, r) in x]
        if not terms:
            continue
        h = [devs[classes[key][0]].height_u for _, key in terms]
        w = [round(devs[classes[key][0]].power_w) for _, key in terms]
        model.add(sum(hh * x[c, r] for hh, (c, _) in zip(h, terms, strict=True)) <= room_u[r])
        model.add(sum(ww * x[c, r] for ww, (c, _) in zip(w, terms, strict=True)) <= int(room_w[r]))
    obj = []
    for c, key in enumerate(keys):
        k0 = classes[key][0]
        for j, r in enumerate(cands[devs[k0].id]):
            obj.append(int(np.rint(rows[k0][j])) * x[c, r])
    # a mm² of overflow costs more than any one device anywhere it can go
    penalty = int(max((float(v[v < _UNREACHABLE].max(initial=0)) for v in rows), default=0)) + 1
    for seg, (room, terms) in sorted((cap_rows or {}).items()):
        load = sum(
            int(t[j]) * x[c, r]
            for c, t in terms.items()
            for j, r in enumerate(cands[devs[classes[keys[c]][0]].id])
            if t[j]
        )
        most = sum(int(t.max()) * len(classes[keys[c]]) for c, t in terms.items())
        over = model.new_int_var(0, max(0, most - room), f"over_{seg}")
        model.add(load - over <= room)
        obj.append(penalty * over)
    model.minimize(sum(obj))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = max(1, threads)
    solver.parameters.random_seed = seed
    solver.parameters.max_deterministic_time = 10.0
    status = solver.solve(model)
    log.append(f"CP-SAT {solver.status_name(status)}")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return {k: int(solver.value(v)) for k, v in x.items() if solver.value(v) > 0}
