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
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model
from scipy import sparse

from layouts.model import Floor
from layouts.pathways import PathwayGraph
from topo.cables import inrack_mm
from topo.catalog import Catalog
from topo.costs import MediaTable, media_table
from topo.flows import FlowGraph
from topo.model import Device, Fabric, Placement

__all__ = ["PlacementReport", "optimize_placement"]

_ROLE_ORDER = {"leaf": 0, "spine": 1, "core": 2}
_UNREACHABLE = 10**9
"""Cost of a link whose racks share no tray path (mm or cents): to be avoided."""


@dataclass(frozen=True, slots=True)
class PlacementReport:
    """How the free devices were placed and what it saved against naive placement.

    ``naive`` and ``chosen`` score every link touching a free device, in metres of cable
    (objective ``length``) or US dollars (``cost``), on shortest tray routes.
    """

    method: str
    objective: str
    free_devices: int
    naive: float
    chosen: float
    seconds: float

    @property
    def saving(self) -> float:
        return self.naive - self.chosen

    @property
    def saving_pct(self) -> float:
        return 100.0 * self.saving / self.naive if self.naive > 0 else 0.0


def optimize_placement(
    fabric: Fabric,
    floor: Floor,
    graph: PathwayGraph,
    catalog: Catalog,
    naive: Placement,
    *,
    spine_racks: tuple[str, ...] | None = None,
    reserve_u: int = 0,
    objective: str = "cost",
    slack_m: float | None = None,
    dress_m: float = 0.3,
    threads: int = 1,
    seed: int = 0,
) -> tuple[Placement, PlacementReport | None]:
    """Choose racks for the fabric's free devices (see the module docstring).

    Args:
        naive: the naive placement of the same fabric (the yardstick and fallback).
        reserve_u: units kept free at the top of every rack (for management switches
            placed later), as in :func:`topo.placement.place_devices`.

    Returns:
        The placement (``method`` ``optimized`` or ``naive``) and a report, or None
        when no device was free to place.
    """
    t0 = time.perf_counter()
    free = [d for d in fabric.devices if d.rack is None]
    if not free:
        return naive, None
    placed = naive.device_index()
    racks = floor.rack_index
    cands = _candidates(free, floor, spine_racks, fabric.zone_index())
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
    if reach:
        dist[reach] = fg.dijkstra(fg.mm.astype(float), [nodes[i] for i in reach])[0]
    col = {r: i for i, r in enumerate(all_cands)}
    cand_names = np.array(all_cands)
    free_ids = {d.id for d in free}
    vec_cache: dict[tuple[str, int, int], np.ndarray] = {}

    def far_key(far_id: str, where: dict[str, str]) -> tuple[str, int]:
        """Rack and top U of a link's far end (a free one sits at the top of its rack)."""
        if far_id in where:
            r = where[far_id]
            return r, racks[r].height_u
        far = placed[far_id]
        assert far.rack is not None and far.u is not None
        return far.rack, far.u

    def cost_vec(rack: str, u: int, speed: int) -> np.ndarray:
        """Cost of one link from every candidate rack to a far end at ``rack``, ``u``."""
        key = (rack, u, speed)
        if key not in vec_cache:
            fr = racks[rack]
            base = inrack_mm(fr.height_u, u, dress) + dress
            if rack in graph.drops:
                route = dist[:, graph.drops[rack].node]
            else:
                route = np.full(len(all_cands), np.inf)
            route = np.where(cand_names == rack, 0.0, route)
            ok = np.isfinite(route)
            need = base + np.where(ok, route, 0).astype(np.int64)
            if objective == "length":
                val = need.astype(np.float64)
            else:
                val = tables[speed].cost(need).astype(np.float64)
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
    costs = np.zeros((max(1, len(key_index)), len(all_cands)))
    for key, k in key_index.items():
        costs[k] = cost_vec(*key)
    fixed_matrix = np.asarray(counts @ costs)
    free_row = {d.id: k for k, d in enumerate(free)}

    def device_row(d: Device, where: dict[str, str], skip: set[str]) -> np.ndarray:
        """Cost of ``d`` in each of all candidate racks, over links to placed far ends."""
        keys: dict[tuple[str, int, int], int] = defaultdict(int)
        for far_id, speed in links_of[d.id]:
            if far_id in free_ids and far_id not in skip:
                rack, u = far_key(far_id, where)
                keys[(rack, u, speed)] += 1
        row = fixed_matrix[free_row[d.id]]
        for (rack, u, speed), n in keys.items():
            row = row + n * cost_vec(rack, u, speed)
        return row

    def score(where: dict[str, str]) -> float:
        """Objective over every link touching a free device, both ends placed."""
        total = 0.0
        done: set[str] = set()
        for d in free:
            total += float(device_row(d, where, done)[col[where[d.id]]])
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

    choice: dict[str, str] = {}
    stages: dict[int, list[Device]] = defaultdict(list)
    for d in free:
        stages[_ROLE_ORDER.get(d.role, 3)].append(d)
    ok = True
    for _, devs in sorted(stages.items()):
        devs.sort(key=lambda d: d.id)
        later = free_ids - set(choice)
        rows = []
        for d in devs:
            full = device_row(d, choice, later)
            rows.append(full[[col[r] for r in cands[d.id]]])
        got = _solve_stage(devs, cands, rows, room_u, room_w, placed, threads, seed)
        if got is None:
            ok = False
            break
        for dev_id, r in got.items():
            choice[dev_id] = r
            dev = placed[dev_id]
            room_u[r] -= dev.height_u
            room_w[r] -= dev.power_w
    naive_where = {d.id: placed[d.id].rack for d in free}
    naive_score = score(naive_where)  # type: ignore[arg-type]
    chosen_score = score(choice) if ok else float("inf")
    seconds = time.perf_counter() - t0
    if not ok or chosen_score >= naive_score - 1e-9:
        return naive, PlacementReport(
            "naive", objective, len(free), naive_score, naive_score, seconds
        )
    # each free device takes the highest free run of units in its rack, role then id order
    moved: dict[str, Device] = {}
    for d in sorted(free, key=lambda d: (_ROLE_ORDER.get(d.role, 3), d.id)):
        rack_id = choice[d.id]
        top = _highest_run(taken[rack_id], d.height_u)
        if top is None:  # units fragmented: keep the naive placement
            return naive, PlacementReport(
                "naive", objective, len(free), naive_score, naive_score, seconds
            )
        taken[rack_id][top - d.height_u + 1 : top + 1] = b"\x01" * d.height_u
        moved[d.id] = replace(d, rack=rack_id, u=top)
    devices = tuple(sorted((moved.get(d.id, d) for d in naive.devices), key=lambda d: d.id))
    measure = "m" if objective == "length" else "USD"
    note = (
        f"optimized placement of {len(free)} switches: {chosen_score:,.1f} {measure} of cabling "
        f"on their links against {naive_score:,.1f} {measure} placed naively "
        f"({100 * (naive_score - chosen_score) / naive_score:.1f}% less)"
    )
    notes = (*(n for n in naive.notes if "placed in racks" not in n), note)
    report = PlacementReport("optimized", objective, len(free), naive_score, chosen_score, seconds)
    return Placement(devices=devices, method="optimized", notes=notes), report


def _highest_run(taken: bytearray, h: int) -> int | None:
    """Top unit of the highest run of ``h`` free units (index 0 is a sentinel)."""
    run = 0
    for unit in range(len(taken) - 1, 0, -1):
        run = run + 1 if not taken[unit] else 0
        if run == h:
            return unit + h - 1
    return None


def _candidates(
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
) -> dict[str, str] | None:
    """Assign ``devs`` to racks minimising the summed cost rows; None if it fails."""
    classes: dict[tuple[object, ...], list[int]] = {}
    for k, d in enumerate(devs):
        key = (d.height_u, d.power_w, cands[d.id], np.round(rows[k], 3).tobytes())
        classes.setdefault(key, []).append(k)
    racks = sorted({r for d in devs for r in cands[d.id]})
    one_size = len({(d.height_u, d.power_w) for d in devs}) == 1
    counts: dict[tuple[int, str], int]
    if one_size:
        got = _transport_mcf(devs, cands, rows, classes, racks, room_u, room_w)
    else:
        got = _transport_cpsat(
            devs, cands, rows, classes, racks, room_u, room_w, naive, threads, seed
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


def _transport_mcf(devs, cands, rows, classes, racks, room_u, room_w):  # type: ignore[no-untyped-def]
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
    if smcf.solve() != smcf.OPTIMAL:
        return None
    return {(c, r): smcf.flow(a) for a, c, r in arcs if smcf.flow(a) > 0}


def _transport_cpsat(devs, cands, rows, classes, racks, room_u, room_w, naive, threads, seed):  # type: ignore[no-untyped-def]
    model = cp_model.CpModel()
    keys = list(classes)
    x = {}
    for c, key in enumerate(keys):
        k0 = classes[key][0]
        for r in cands[devs[k0].id]:
            x[c, r] = model.new_int_var(0, len(classes[key]), f"n_{c}_{r}")
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
    model.minimize(sum(obj))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = max(1, threads)
    solver.parameters.random_seed = seed
    solver.parameters.max_deterministic_time = 10.0
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return {k: int(solver.value(v)) for k, v in x.items() if solver.value(v) > 0}
