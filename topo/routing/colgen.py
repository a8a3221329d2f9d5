"""The restricted master LP of capacity-aware routing, solved with GLOP.

Cables that leave one rack with one cross-section form a *group*; a group's routing is a
single-source flow, and every such flow is a convex combination of shortest-path trees.
The master LP (Dantzig-Wolfe) chooses, for every group ``g``, weights ``lam[g, k]`` over
the trees found so far::

    minimise    sum  length[g, k] * lam[g, k]  +  M * sum over[e]
    subject to  sum_k lam[g, k] = 1                                   (conv_g,  dual mu_g)
                sum  area_g * cables[g, k, e] * lam[g, k] - over[e]
                                          <= capacity[e] - fixed[e]     (cap_e,   dual -pi_e)
                lam, over >= 0

Only *active* segments (ever nearly full) get a capacity row; the caller adds rows as
they fill up. ``over`` keeps the LP feasible when nothing fits, at a price
``M`` per mm² that dwarfs any detour, so the LP then minimises overflow first.
Variables are named ``lam_{group}_{k}`` and ``over_{segment}`` for dumps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ortools.linear_solver import pywraplp

__all__ = ["Master", "MasterSolution"]

OVERFLOW_PRICE_M_PER_MM2 = 1e4
"""Objective price of one mm² of overflow, in metres of cable."""


@dataclass(frozen=True)
class MasterSolution:
    """One solve of the master: objective (m), weights, duals."""

    status: str
    objective_m: float
    lam: list[np.ndarray]  # per group, weight of each column
    mu: np.ndarray  # per group, dual of conv_g (m)
    pi: np.ndarray  # per segment (all segments, 0 where inactive), m per mm²
    overflow_mm2: float


@dataclass
class Master:
    """The restricted master LP; columns and rows are added as they are found."""

    areas: np.ndarray  # per group, mm²
    capacity: np.ndarray  # per segment, mm², after fixed cables
    names: list[str]  # segment ids, for variable names
    solver: pywraplp.Solver = field(init=False)
    columns: list[list[tuple[pywraplp.Variable, np.ndarray]]] = field(init=False)
    rows: dict[int, tuple[pywraplp.Constraint, pywraplp.Variable]] = field(init=False)

    def __post_init__(self) -> None:
        solver = pywraplp.Solver.CreateSolver("GLOP")
        if solver is None:  # pragma: no cover - GLOP ships with OR-Tools
            raise RuntimeError("OR-Tools GLOP is not available")
        self.solver = solver
        self.objective = solver.Objective()
        self.objective.SetMinimization()
        self.conv = [solver.Constraint(1.0, 1.0, f"conv_{g}") for g in range(len(self.areas))]
        self.columns = [[] for _ in range(len(self.areas))]
        self.rows = {}

    def add_rows(self, segments: np.ndarray) -> None:
        """Capacity rows for ``segments`` (ignored if present), with every column's loads."""
        for s in sorted(int(x) for x in segments):
            if s in self.rows:
                continue
            row = self.solver.Constraint(
                -self.solver.infinity(), float(self.capacity[s]), f"cap_{self.names[s]}"
            )
            over = self.solver.NumVar(0.0, self.solver.infinity(), f"over_{self.names[s]}")
            self.objective.SetCoefficient(over, OVERFLOW_PRICE_M_PER_MM2)
            row.SetCoefficient(over, -1.0)
            for g, cols in enumerate(self.columns):
                a = float(self.areas[g])
                for var, counts in cols:
                    if counts[s]:
                        row.SetCoefficient(var, a * float(counts[s]))
            self.rows[s] = (row, over)

    def add_column(self, g: int, length_m: float, counts: np.ndarray) -> None:
        """A tree for group ``g``: its total length and the cables it puts on each segment."""
        k = len(self.columns[g])
        var = self.solver.NumVar(0.0, self.solver.infinity(), f"lam_{g}_{k}")
        self.objective.SetCoefficient(var, float(length_m))
        self.conv[g].SetCoefficient(var, 1.0)
        a = float(self.areas[g])
        for s, (row, _over) in self.rows.items():
            if counts[s]:
                row.SetCoefficient(var, a * float(counts[s]))
        self.columns[g].append((var, counts))

    def solve(self) -> MasterSolution:
        status = self.solver.Solve()
        if status == pywraplp.Solver.ABNORMAL:
            # GLOP's presolve can fail on a degenerate master: solve once without it
            self.solver.SetSolverSpecificParametersAsString("use_preprocessing: false")
            status = self.solver.Solve()
            self.solver.SetSolverSpecificParametersAsString("")
        name = {
            pywraplp.Solver.OPTIMAL: "OPTIMAL",
            pywraplp.Solver.FEASIBLE: "FEASIBLE",
            pywraplp.Solver.INFEASIBLE: "INFEASIBLE",
        }.get(status, "UNKNOWN")
        n_seg = len(self.capacity)
        pi = np.zeros(n_seg, dtype=np.float64)
        over = 0.0
        if name in ("OPTIMAL", "FEASIBLE"):
            for s, (row, ov) in self.rows.items():
                pi[s] = max(0.0, -row.dual_value())
                over += ov.solution_value()
            lam = [np.array([v.solution_value() for v, _ in cols]) for cols in self.columns]
            mu = np.array([c.dual_value() for c in self.conv])
            obj = self.objective.Value()
        else:  # pragma: no cover - the overflow variables keep the LP feasible
            lam = [np.zeros(len(cols)) for cols in self.columns]
            mu = np.zeros(len(self.conv))
            obj = float("inf")
        return MasterSolution(name, obj, lam, mu, pi, over)

    def loads(self, lam: list[np.ndarray]) -> np.ndarray:
        """Cable area (mm²) the weighted columns put on every segment."""
        out = np.zeros(len(self.capacity), dtype=np.float64)
        for g, cols in enumerate(self.columns):
            for (_, counts), w in zip(cols, lam[g], strict=True):
                if w > 1e-12:
                    out += (w * float(self.areas[g])) * counts
        return out
