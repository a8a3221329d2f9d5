"""One stage of the switch placement as a transportation problem.

A stage (:func:`topo.placement.optimize_placement` places the free switches role by
role) assigns its devices to racks, minimising the sum of each device's cost in the
rack it gets. :func:`solve_stage`:

1. Devices of one size and power, with the same candidate racks and cost row (and,
   under capacity rows, the same tray loads) form one *class*, a supply of that many
   devices; each rack offers its free units and power.
2. With the tray loads of the devices and the room left on the trays, segments and
   cuts the stage could overfill get soft capacity rows: GLOP spreads the classes
   fractionally within them, then CP-SAT rounds the spread, each (class, rack) count
   between the LP's rounded down and up, overflow priced above any device's cost (a
   cut's :data:`CUT_WEIGHT` times more). Asked to (``widen``), a stage whose spread
   overfills a cut gives up instead, so that it is offered more racks.
3. Otherwise, or if that fails: one size and power, OR-Tools min-cost flow (exact);
   mixed sizes, CP-SAT with units and power as knapsack rows, the naive placement as a
   hint and a deterministic time limit.
4. The (class, rack) counts go back to the devices, each class's members in order
   over the racks in id order.

Every solver run appends its status to the stage's log: ``GLOP OPTIMAL``,
``min-cost flow OPTIMAL``, ``CP-SAT FEASIBLE``...
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from topo.model import Device

__all__ = ["UNREACHABLE", "solve_stage"]

UNREACHABLE = 10**9
"""Cost of a link whose racks share no tray path (mm or cents): to be avoided."""

_Counts = dict[tuple[int, str], int]
"""Devices of each class (by index) in each rack."""
_Bounds = dict[tuple[int, str], tuple[int, int]]
"""Least and most devices of each class in each rack."""
_CapRows = dict[int, tuple[int, int, dict[int, np.ndarray]]]
"""Row -> (spare mm², weight of its overflow, class -> its load from each of its candidate
racks, mm²)."""

CUT_WEIGHT = 1000
"""Overflow of a cut every route crosses (``exact_from`` in :func:`solve_stage`) weighs
this many times that of a segment on shortest routes, which routing may still avoid."""

_LP_STATUS = {
    pywraplp.Solver.OPTIMAL: "OPTIMAL",
    pywraplp.Solver.FEASIBLE: "FEASIBLE",
    pywraplp.Solver.INFEASIBLE: "INFEASIBLE",
    pywraplp.Solver.UNBOUNDED: "UNBOUNDED",
    pywraplp.Solver.ABNORMAL: "ABNORMAL",
    pywraplp.Solver.NOT_SOLVED: "NOT_SOLVED",
}
"""GLOP's statuses by name."""


@dataclass(frozen=True, eq=False)
class _Transport:
    """A stage's devices in classes, and the racks they may use.

    Attributes:
        devs: the devices.
        cands: each device's candidate racks.
        rows: each device's cost in each of its candidate racks.
        classes: the classes, each the indices of its devices in ``devs`` (a class is
            numbered by its position here).
        racks: every rack a device may use, sorted.
        room_u, room_w: free units and power (W) of each rack.
        groups: power budgets racks share that this stage could exceed: name -> (power
            left (W), the racks it feeds).
    """

    devs: list[Device]
    cands: Mapping[str, tuple[str, ...]]
    rows: list[np.ndarray]
    classes: dict[tuple[object, ...], list[int]]
    racks: list[str]
    room_u: Mapping[str, int]
    room_w: Mapping[str, float]
    groups: Mapping[str, tuple[float, tuple[str, ...]]] = field(default_factory=dict)


def solve_stage(
    devs: list[Device],
    cands: Mapping[str, tuple[str, ...]],
    rows: list[np.ndarray],
    room_u: Mapping[str, int],
    room_w: Mapping[str, float],
    naive: Mapping[str, Device],
    *,
    threads: int,
    seed: int,
    loads: list[np.ndarray] | None = None,
    spare: np.ndarray | None = None,
    exact_from: int | None = None,
    widen: bool = False,
    log: list[str] | None = None,
    power_groups: Mapping[str, tuple[float, tuple[str, ...]]] | None = None,
) -> dict[str, str] | None:
    """Assign ``devs`` to racks minimising the summed cost rows; None if it fails.

    Args:
        devs: the stage's devices.
        cands: each device's candidate racks.
        rows: per device, its cost in each of its candidate racks (in that order).
        room_u, room_w: free units and power (W) of every candidate rack.
        naive: the naive placement's devices by id (CP-SAT's hint).
        threads, seed: CP-SAT's workers and random seed.
        loads: per device, its segment loads from each candidate (mm²); with ``spare``
            (per segment) segments the stage could overfill get soft capacity rows.
        exact_from: columns of ``loads`` from this one on are cuts that every route
            crosses, not segments on shortest routes: their overflow weighs
            :data:`CUT_WEIGHT` times more.
        widen: give up (None) when the stage's linear program overfills those cuts, so
            that the caller offers more racks, rather than round it.
        log: every solver run appends its status to it.
        power_groups: power budgets racks share (a row's busway, the hall): name ->
            (power left (W), the racks it feeds); one the stage could exceed becomes a
            knapsack row (CP-SAT, and GLOP's spread).

    Returns:
        The rack of each device by id, or None if no solver assigned them.
    """
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
    need = sum(d.power_w for d in devs)
    offered = set(racks)
    groups = {
        name: (room, tuple(r for r in fed if r in offered))
        for name, (room, fed) in sorted((power_groups or {}).items())
        if need > room + 1e-6 and offered.intersection(fed)
    }
    t = _Transport(devs, cands, rows, classes, racks, room_u, room_w, groups)
    # a shared budget couples racks: min-cost flow cannot hold it, CP-SAT can
    one_size = len({(d.height_u, d.power_w) for d in devs}) == 1 and not groups
    got = None
    if loads is not None and spare is not None:
        cap_rows = _capacity_rows(classes, loads, spare, exact_from)
        lp = _spread_lp(t, cap_rows, log=log) if cap_rows else None
        if lp is not None and widen and lp[1] > 1e-6:
            log.append("cuts overflow: more racks offered")
            return None
        if lp is not None:
            got = _transport_cpsat(
                t, naive, threads=threads, seed=seed, log=log, bounds=lp[0], cap_rows=cap_rows
            )
    if got is None and one_size:
        got = _transport_mcf(t, log=log)
    elif got is None:
        got = _transport_cpsat(t, naive, threads=threads, seed=seed, log=log)
    if got is None:
        return None
    return _assign(t, got)


def _assign(t: _Transport, counts: _Counts) -> dict[str, str]:
    """Each class's devices, in order, over the racks in id order as ``counts`` says."""
    out: dict[str, str] = {}
    for c, members in enumerate(t.classes.values()):
        pos = 0
        for r in t.racks:
            n = counts.get((c, r), 0)
            for k in members[pos : pos + n]:
                out[t.devs[k].id] = r
            pos += n
    return out


def _capacity_rows(
    classes: dict[tuple[object, ...], list[int]],
    loads: list[np.ndarray],
    spare: np.ndarray,
    exact_from: int | None = None,
) -> _CapRows:
    """Segments the stage could overfill: segment -> (spare mm², class -> load from each
    candidate, mm²); a segment no choice can overfill gets no row."""
    worst = np.zeros_like(spare)
    for members in classes.values():
        worst += len(members) * loads[members[0]].max(axis=0)
    out: _CapRows = {}
    for seg in np.nonzero(worst > spare + 1e-6)[0].tolist():
        terms = {
            c: np.rint(loads[members[0]][:, seg]).astype(np.int64)
            for c, members in enumerate(classes.values())
            if loads[members[0]][:, seg].any()
        }
        weight = CUT_WEIGHT if exact_from is not None and seg >= exact_from else 1
        out[seg] = (int(np.floor(spare[seg])), weight, terms)
    return out


def _spread_lp(
    t: _Transport, cap_rows: _CapRows, *, log: list[str]
) -> tuple[_Bounds, float] | None:
    """The stage as a linear program with soft capacity rows (overflow priced above any
    device's cost, costs scaled to at most 1); per (class, rack) the LP's count rounded
    down and up, and the LP's overflow of cuts (rows weighing more than one); None if
    GLOP does not solve it."""
    devs, cands, rows, classes = t.devs, t.cands, t.rows, t.classes
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:  # pragma: no cover - GLOP ships with OR-Tools
        return None
    keys = list(classes)
    scale = max((float(v[v < UNREACHABLE].max(initial=0)) for v in rows), default=0.0) or 1.0
    x: dict[tuple[int, str], pywraplp.Variable] = {}
    objective = solver.Objective()
    for c, key in enumerate(keys):
        k0 = classes[key][0]
        conv = solver.Constraint(len(classes[key]), len(classes[key]), f"n_{c}")
        for j, r in enumerate(cands[devs[k0].id]):
            x[c, r] = solver.NumVar(0, len(classes[key]), f"x_{c}_{r}")
            conv.SetCoefficient(x[c, r], 1)
            objective.SetCoefficient(x[c, r], min(float(rows[k0][j]), UNREACHABLE) / scale)
    for r in t.racks:
        units = solver.Constraint(-solver.infinity(), t.room_u[r], f"u_{r}")
        power = solver.Constraint(-solver.infinity(), max(0.0, t.room_w[r]), f"w_{r}")
        for c, key in enumerate(keys):
            if (c, r) in x:
                d = devs[classes[key][0]]
                units.SetCoefficient(x[c, r], d.height_u)
                power.SetCoefficient(x[c, r], d.power_w)
    for name, (room, fed) in t.groups.items():
        budget = solver.Constraint(-solver.infinity(), max(0.0, room), f"g_{name}")
        for r in fed:
            for c, key in enumerate(keys):
                if (c, r) in x:
                    budget.SetCoefficient(x[c, r], devs[classes[key][0]].power_w)
    cut_over = []
    for seg, (room, weight, terms) in sorted(cap_rows.items()):
        over = solver.NumVar(0, solver.infinity(), f"over_{seg}")
        if weight > 1:
            cut_over.append(over)
        objective.SetCoefficient(over, float(weight))
        row = solver.Constraint(-solver.infinity(), room, f"cap_{seg}")
        row.SetCoefficient(over, -1)
        for c, terms_c in terms.items():
            for j, r in enumerate(cands[devs[classes[keys[c]][0]].id]):
                if terms_c[j]:
                    row.SetCoefficient(x[c, r], float(terms_c[j]))
    objective.SetMinimization()
    status = solver.Solve()
    log.append(f"GLOP {_LP_STATUS.get(status, str(status))}")
    if status != pywraplp.Solver.OPTIMAL:
        return None
    out = {}
    for k, v in x.items():
        val = v.solution_value()
        out[k] = (int(np.floor(val + 1e-6)), int(np.ceil(val - 1e-6)))
    return out, float(sum(v.solution_value() for v in cut_over))


def _transport_mcf(t: _Transport, *, log: list[str]) -> _Counts | None:
    """The stage as a min-cost flow (every device of one size and power): classes ->
    racks (as many as each rack's units and power hold) -> sink."""
    devs, cands, rows, classes, racks = t.devs, t.cands, t.rows, t.classes, t.racks
    d0 = devs[0]
    h, p = d0.height_u, d0.power_w
    slots = {
        r: max(
            0,
            min(t.room_u[r] // h, int((t.room_w[r] + 1e-6) // p) if p > 0 else t.room_u[r] // h),
        )
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


def _transport_cpsat(
    t: _Transport,
    naive: Mapping[str, Device],
    *,
    threads: int,
    seed: int,
    log: list[str],
    bounds: _Bounds | None = None,
    cap_rows: _CapRows | None = None,
) -> _Counts | None:
    """The stage in CP-SAT: a count per (class, rack) (within ``bounds`` if given),
    units and power as knapsack rows, overflow of ``cap_rows`` priced, the naive
    placement as a hint, a deterministic time limit."""
    devs, cands, rows, classes, racks = t.devs, t.cands, t.rows, t.classes, t.racks
    model = cp_model.CpModel()
    keys = list(classes)
    x: dict[tuple[int, str], Any] = {}
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
        model.add(sum(hh * x[c, r] for hh, (c, _) in zip(h, terms, strict=True)) <= t.room_u[r])
        model.add(
            sum(ww * x[c, r] for ww, (c, _) in zip(w, terms, strict=True)) <= int(t.room_w[r])
        )
    for room, fed in t.groups.values():
        model.add(
            sum(
                math.ceil(devs[classes[key][0]].power_w) * x[c, r]
                for r in fed
                for c, key in enumerate(keys)
                if (c, r) in x
            )
            <= max(0, int(room))
        )
    obj = []
    for c, key in enumerate(keys):
        k0 = classes[key][0]
        for j, r in enumerate(cands[devs[k0].id]):
            obj.append(int(np.rint(rows[k0][j])) * x[c, r])
    # a mm² of overflow costs more than any one device anywhere it can go
    penalty = int(max((float(v[v < UNREACHABLE].max(initial=0)) for v in rows), default=0)) + 1
    for seg, (room, weight, seg_terms) in sorted((cap_rows or {}).items()):
        load = sum(
            int(tc[j]) * x[c, r]
            for c, tc in seg_terms.items()
            for j, r in enumerate(cands[devs[classes[keys[c]][0]].id])
            if tc[j]
        )
        most = sum(int(tc.max()) * len(classes[keys[c]]) for c, tc in seg_terms.items())
        over = model.new_int_var(0, max(0, most - room), f"over_{seg}")
        model.add(load - over <= room)
        obj.append(penalty * weight * over)
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
