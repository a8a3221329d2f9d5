"""Exact routing of small halls with CP-SAT: the reference the optimizer is checked against.

The whole problem as one integer program, arc by arc (integer multicommodity flow, one
commodity per group of :mod:`topo.optimizer`)::

    f[g, u->v] in 0..cables of g          cables of group g running from u to v
    sum_out f[g] - sum_in f[g] = supply    (+cables at g's source, -cables at each sink)
    sum_g area_g * (f[g, u->v] + f[g, v->u]) <= capacity      every tray segment
    minimise  sum length(u, v) * f[g, u->v]

Cross-sections and capacities are scaled to 1/10,000 mm², cross-sections rounded up
and capacities down, so an answer that fits here fits the trays. The model grows with
groups x edges: meant for hand-made floors and small halls (tests, checks), not halls
of thousands of racks. Variables are named ``f_{group}_{tail}_{head}``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from layouts.pathways import PathwayGraph
from topo.costs import MediaTable
from topo.flows import FlowGraph, _decompose
from topo.optimizer import CableDemand
from topo.problem import setup_problem
from topo.routing import RackRoute

__all__ = ["ExactResult", "exact_routes"]

_SCALE = 10_000
"""Cross-section units per mm² inside the model."""


@dataclass(frozen=True, eq=False)
class ExactResult:
    """The best routing CP-SAT found.

    Attributes:
        status: ``OPTIMAL``, ``FEASIBLE``, ``INFEASIBLE`` (nothing fits) or ``UNKNOWN``.
        route_mm: total route length (drops included) of every routable cable, or None
            without a solution.
        routes: route by link id (A end first); None for unroutable cables.
    """

    status: str
    route_mm: int | None
    routes: dict[str, RackRoute | None]


def exact_routes(
    graph: PathwayGraph,
    demands: Sequence[CableDemand],
    tables: Mapping[int, MediaTable],
    *,
    max_seconds: float = 30.0,
    workers: int = 1,
    seed: int = 0,
) -> ExactResult:
    """Route the cables optimally (see the module docstring).

    Cables are grouped and given cross-sections as :func:`topo.optimizer.route_cables`
    does (each from the media of its shortest route). Cables no media reaches carry no
    cross-section.
    """
    fg = FlowGraph.of(graph)
    pb = setup_problem(fg, demands, tables, None)
    groups: dict[int, dict[int, list[int]]] = {}
    for i in np.nonzero(pb.routable)[0].tolist():
        groups.setdefault(int(pb.group[i]), {}).setdefault(int(pb.sink[i]), []).append(i)
    model = cp_model.CpModel()
    tails = np.concatenate([fg.u, fg.v]).tolist()
    heads = np.concatenate([fg.v, fg.u]).tolist()
    ne = fg.n_edges
    flow: dict[int, list[cp_model.IntVar]] = {}
    objective = []
    seg_terms: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
    for g, by_sink in sorted(groups.items()):
        total = sum(len(v) for v in by_sink.values())
        f = [
            model.new_int_var(0, total, f"f_{g}_{t}_{h}") for t, h in zip(tails, heads, strict=True)
        ]
        flow[g] = f
        supply = [0] * fg.n
        supply[int(pb.src_nodes[pb.group_src[g]])] += total
        for t, idx in by_sink.items():
            supply[t] -= len(idx)
        out_arcs: list[list[int]] = [[] for _ in range(fg.n)]
        in_arcs: list[list[int]] = [[] for _ in range(fg.n)]
        for a, (t, h) in enumerate(zip(tails, heads, strict=True)):
            out_arcs[t].append(a)
            in_arcs[h].append(a)
        for node in range(fg.n):
            if out_arcs[node] or in_arcs[node]:
                model.add(
                    sum(f[a] for a in out_arcs[node]) - sum(f[a] for a in in_arcs[node])
                    == supply[node]
                )
        area_u = math.ceil(float(pb.group_area[g]) * _SCALE - 1e-9)
        for e in range(ne):
            objective.append(int(fg.mm[e]) * (f[e] + f[e + ne]))
            s = int(fg.seg[e])
            if s >= 0 and area_u > 0:
                seg_terms.setdefault(s, []).extend([(area_u, f[e]), (area_u, f[e + ne])])
    for s, terms in seg_terms.items():
        cap_u = math.floor(float(fg.capacity[s]) * _SCALE + 1e-9)
        model.add(sum(a * v for a, v in terms) <= cap_u)
    model.minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max_seconds
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    code = solver.solve(model)
    status = {
        cp_model.OPTIMAL: "OPTIMAL",
        cp_model.FEASIBLE: "FEASIBLE",
        cp_model.INFEASIBLE: "INFEASIBLE",
    }.get(code, "UNKNOWN")
    routes: dict[str, RackRoute | None] = {c.link: None for c in demands}
    if status not in ("OPTIMAL", "FEASIBLE"):
        return ExactResult(status, None, routes)
    g_ = fg.graph
    arc_edge = np.concatenate([np.arange(ne), np.arange(ne)])
    total_mm = 0
    for g, by_sink in sorted(groups.items()):
        values = np.array([solver.value(v) for v in flow[g]], dtype=np.int64)
        used = np.nonzero(values > 0)[0]
        sinks = np.array(sorted(by_sink), dtype=np.int64)
        dem = np.array([len(by_sink[t]) for t in sinks.tolist()], dtype=np.int64)
        src = int(pb.src_nodes[pb.group_src[g]])
        pieces = _decompose(
            src,
            sinks,
            dem,
            np.asarray(tails)[used],
            np.asarray(heads)[used],
            values[used],
            arc_edge[used],
        )
        for t, plist in zip(sinks.tolist(), pieces, strict=True):
            cables = iter(by_sink[t])
            for path, cnt in plist:
                for _ in range(cnt):
                    i = next(cables)
                    c = demands[i]
                    src_rack = pb.sources[pb.src[i]]
                    dst_rack = c.a if pb.flip[i] else c.b
                    da, db = g_.drops[src_rack].length_mm, g_.drops[dst_rack].length_mm
                    segs = fg.seg[path]
                    length = int(fg.mm[path].sum())
                    total_mm += length
                    r = RackRoute(
                        src_rack,
                        dst_rack,
                        length - da - db,
                        da,
                        db,
                        tuple(segs[segs >= 0].tolist()),
                    )
                    routes[c.link] = r.reversed() if pb.flip[i] else r
    return ExactResult(status, total_mm, routes)
