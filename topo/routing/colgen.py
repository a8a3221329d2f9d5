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

Warm starts. The LP is built with OR-Tools MathOpt and solved incrementally: every solve
after the first starts from the last optimal basis, extended to a basis of the grown LP
(new columns at zero; a new row's slack basic, or its ``over`` if the last solution
overfills it, so the start stays primal feasible). Between pricing rounds the simplex
then moves a few hundred pivots instead of solving the whole LP again (GLOP cannot warm
start when rows and columns are added together, and presolve would discard the basis,
so presolve is off; a solve that ends abnormally is repeated cold, with presolve).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from ortools.math_opt.python import mathopt

__all__ = ["Master", "MasterSolution"]

OVERFLOW_PRICE_M_PER_MM2 = 1e4
"""Objective price of one mm² of overflow, in metres of cable."""

_SOLVED = {
    mathopt.TerminationReason.OPTIMAL: "OPTIMAL",
    mathopt.TerminationReason.FEASIBLE: "FEASIBLE",
}
_WARM = mathopt.SolveParameters(presolve=mathopt.Emphasis.OFF)
_COLD = mathopt.SolveParameters()


@dataclass(frozen=True)
class MasterSolution:
    """One solve of the master: objective (m), weights, duals."""

    status: str
    objective_m: float
    lam: list[np.ndarray]  # per group, weight of each column
    mu: np.ndarray  # per group, dual of conv_g (m)
    pi: np.ndarray  # per segment (all segments, 0 where inactive), m per mm²
    overflow_mm2: float
    iterations: int = 0  # simplex pivots this solve took


@dataclass
class Master:
    """The restricted master LP; columns and rows are added as they are found."""

    areas: np.ndarray  # per group, mm²
    capacity: np.ndarray  # per segment, mm², after fixed cables
    names: list[str]  # segment ids, for variable names
    model: mathopt.Model = field(init=False)
    columns: list[list[tuple[mathopt.Variable, np.ndarray]]] = field(init=False)
    rows: dict[int, tuple[mathopt.LinearConstraint, mathopt.Variable]] = field(init=False)

    def __post_init__(self) -> None:
        self.model = mathopt.Model(name="routing_master")
        self.conv = [
            self.model.add_linear_constraint(lb=1.0, ub=1.0, name=f"conv_{g}")
            for g in range(len(self.areas))
        ]
        self.columns = [[] for _ in range(len(self.areas))]
        self.rows = {}
        self._solver: mathopt.IncrementalSolver | None = None
        # the last optimal basis, its loads, and the rows added since
        self._basis: mathopt.Basis | None = None
        self._load = np.zeros(len(self.capacity))
        self._new_rows: list[int] = []

    def add_rows(self, segments: np.ndarray) -> None:
        """Capacity rows for ``segments`` (ignored if present), with every column's loads."""
        for s in sorted(int(x) for x in segments):
            if s in self.rows:
                continue
            row = self.model.add_linear_constraint(
                ub=float(self.capacity[s]), name=f"cap_{self.names[s]}"
            )
            over = self.model.add_variable(lb=0.0, name=f"over_{self.names[s]}")
            self.model.objective.set_linear_coefficient(over, OVERFLOW_PRICE_M_PER_MM2)
            row.set_coefficient(over, -1.0)
            for g, cols in enumerate(self.columns):
                a = float(self.areas[g])
                for var, counts in cols:
                    if counts[s]:
                        row.set_coefficient(var, a * float(counts[s]))
            self.rows[s] = (row, over)
            self._new_rows.append(s)

    def add_column(self, g: int, length_m: float, counts: np.ndarray) -> None:
        """A tree for group ``g``: its total length and the cables it puts on each segment."""
        k = len(self.columns[g])
        var = self.model.add_variable(lb=0.0, name=f"lam_{g}_{k}")
        self.model.objective.set_linear_coefficient(var, float(length_m))
        self.conv[g].set_coefficient(var, 1.0)
        a = float(self.areas[g])
        for s in np.flatnonzero(counts).tolist():
            if s in self.rows:
                self.rows[s][0].set_coefficient(var, a * float(counts[s]))
        self.columns[g].append((var, counts))

    def solve(self) -> MasterSolution:
        """Solve from the last optimal basis (see the module's note on warm starts)."""
        if self._solver is None:
            self._solver = mathopt.IncrementalSolver(self.model, mathopt.SolverType.GLOP)
        res = self._solver.solve(params=_WARM, model_params=self._start())
        iterations = res.solve_stats.simplex_iterations
        if res.termination.reason not in _SOLVED:
            res = mathopt.solve(self.model, mathopt.SolverType.GLOP, params=_COLD)
            iterations += res.solve_stats.simplex_iterations
        self._new_rows = []
        return replace(self._read(res), iterations=iterations)

    def solve_with_costs(self, costs: list[list[float]]) -> MasterSolution:
        """The LP with other column costs (per group, per column), solved from the
        current basis (it stays feasible: only the objective changes); the columns'
        own costs are restored afterwards."""
        objective = self.model.objective
        own = [
            (var, objective.get_linear_coefficient(var)) for cols in self.columns for var, _ in cols
        ]
        for cols, cs in zip(self.columns, costs, strict=True):
            for (var, _), c in zip(cols, cs, strict=True):
                objective.set_linear_coefficient(var, float(c))
        try:
            return self.solve()
        finally:
            for var, c in own:
                objective.set_linear_coefficient(var, c)

    def _start(self) -> mathopt.ModelSolveParameters | None:
        """The last optimal basis, extended to the LP's new columns and rows."""
        if self._basis is None:
            return None
        status = mathopt.BasisStatus
        var_status = dict(self._basis.variable_status)
        row_status = dict(self._basis.constraint_status)
        for cols in self.columns:
            for var, _ in cols:
                var_status.setdefault(var, status.AT_LOWER_BOUND)
        for s in self._new_rows:
            row, over = self.rows[s]
            if self._load[s] > self.capacity[s]:
                row_status[row], var_status[over] = status.AT_UPPER_BOUND, status.BASIC
            else:
                row_status[row], var_status[over] = status.BASIC, status.AT_LOWER_BOUND
        return mathopt.ModelSolveParameters(
            initial_basis=mathopt.Basis(variable_status=var_status, constraint_status=row_status)
        )

    def _read(self, res: mathopt.SolveResult) -> MasterSolution:
        name = _SOLVED.get(res.termination.reason, "UNKNOWN")
        pi = np.zeros(len(self.capacity), dtype=np.float64)
        if name == "UNKNOWN":  # pragma: no cover - the overflow variables keep the LP feasible
            self._basis = None
            lam = [np.zeros(len(cols)) for cols in self.columns]
            return MasterSolution(name, float("inf"), lam, np.zeros(len(self.conv)), pi, 0.0)
        segs = list(self.rows)
        rows = [self.rows[s][0] for s in segs]
        overs = [self.rows[s][1] for s in segs]
        if segs:
            pi[segs] = np.maximum(0.0, -np.array(res.dual_values(rows)))
        over = float(sum(res.variable_values(overs))) if segs else 0.0
        lam = [
            np.array(res.variable_values([v for v, _ in cols]), dtype=np.float64)
            for cols in self.columns
        ]
        mu = np.array(res.dual_values(self.conv), dtype=np.float64)
        solution = res.solutions[0] if res.solutions else None
        self._basis = solution.basis if solution is not None else None
        self._load = self.loads(lam)
        return MasterSolution(name, res.objective_value(), lam, mu, pi, over)

    def loads(self, lam: list[np.ndarray]) -> np.ndarray:
        """Cable area (mm²) the weighted columns put on every segment."""
        out = np.zeros(len(self.capacity), dtype=np.float64)
        for g, cols in enumerate(self.columns):
            for (_, counts), w in zip(cols, lam[g], strict=True):
                if w > 1e-12:
                    out += (w * float(self.areas[g])) * counts
        return out
