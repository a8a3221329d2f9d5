"""The master LP: warm-started solves give the LP's optimum, checked against HiGHS.

Each instance grows as column generation grows it (rows for segments that fill up, new
columns for every group) and is solved after every step. scipy's HiGHS solves the same
LP, written out here from the data, from scratch; its optimum must match. A round's
solve must also start from the last basis: it pivots far less than a solve from scratch.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from topo.routing.colgen import OVERFLOW_PRICE_M_PER_MM2, Master


def _instance(seed: int, groups: int = 30, segments: int = 40) -> dict:
    rng = np.random.default_rng(seed)
    areas = rng.choice([20.0, 35.0, 55.0], size=groups)
    cols = [
        [
            (
                float(rng.uniform(50, 400)),
                rng.integers(0, 6, size=segments) * (rng.random(segments) < 0.3),
            )
            for _ in range(6)
        ]
        for _ in range(groups)
    ]
    # room for about half of what the first columns put on each segment
    first = sum(a * c[0][1] for a, c in zip(areas, cols, strict=True))
    capacity = np.maximum(first * rng.uniform(0.3, 0.9, size=segments), 10.0)
    return {"areas": areas, "cols": cols, "capacity": capacity}


def _highs(inst: dict, rows: list[int], upto: int) -> float:
    """The LP over each group's first ``upto`` columns, solved by HiGHS from scratch."""
    areas, cols, cap = inst["areas"], inst["cols"], inst["capacity"]
    var = [(g, k) for g in range(len(cols)) for k in range(upto)]
    n = len(var) + len(rows)
    c = np.array([cols[g][k][0] for g, k in var] + [OVERFLOW_PRICE_M_PER_MM2] * len(rows))
    a_eq = np.zeros((len(cols), n))
    for i, (g, _) in enumerate(var):
        a_eq[g, i] = 1.0
    a_ub = np.zeros((len(rows), n))
    for r, s in enumerate(rows):
        for i, (g, k) in enumerate(var):
            a_ub[r, i] = areas[g] * cols[g][k][1][s]
        a_ub[r, len(var) + r] = -1.0
    res = linprog(c, A_ub=a_ub, b_ub=cap[rows], A_eq=a_eq, b_eq=np.ones(len(cols)), method="highs")
    assert res.status == 0
    return float(res.fun)


def _grow(inst: dict) -> list[tuple[list[int], int]]:
    """The steps: (rows, columns per group) after each; each step's rows hold the last's."""
    segs = len(inst["capacity"])
    return [
        ([], 1),
        (list(range(0, segs, 4)), 2),
        (list(range(0, segs, 2)), 4),
        (list(range(segs)), 6),
    ]


def _master(inst: dict) -> Master:
    names = [f"S{i}" for i in range(len(inst["capacity"]))]
    return Master(inst["areas"], inst["capacity"], names)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_every_warm_solve_is_the_lps_optimum(seed: int) -> None:
    inst = _instance(seed)
    master = _master(inst)
    have = 0
    for rows, upto in _grow(inst):
        master.add_rows(np.array(rows, dtype=np.int64))
        for g, cols in enumerate(inst["cols"]):
            for cost, counts in cols[have:upto]:
                master.add_column(g, cost, counts)
        have = upto
        got = master.solve()
        assert got.status == "OPTIMAL"
        assert got.objective_m == pytest.approx(_highs(inst, rows, upto), rel=1e-7)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_round_of_new_rows_and_columns_starts_from_the_last_basis(seed: int) -> None:
    """A few new rows and a column per group: the warm solve pivots far less than
    solving the grown LP from scratch (which the LP would do without a start basis)."""
    inst = _instance(seed, groups=80, segments=80)
    rows = np.arange(80)
    warm = _master(inst)
    warm.add_rows(rows[:-4])
    for g, cols in enumerate(inst["cols"]):
        for cost, counts in cols[:5]:
            warm.add_column(g, cost, counts)
    warm.solve()
    warm.add_rows(rows)
    for g, cols in enumerate(inst["cols"]):
        warm.add_column(g, *cols[5])
    got = warm.solve()
    cold = _master(inst)
    cold.add_rows(rows)
    for g, cols in enumerate(inst["cols"]):
        for cost, counts in cols:
            cold.add_column(g, cost, counts)
    once = cold.solve()
    assert got.objective_m == pytest.approx(once.objective_m, rel=1e-7)
    assert got.iterations < 0.75 * once.iterations


def test_duals_price_the_rows_and_other_costs_leave_the_columns_theirs() -> None:
    inst = _instance(7)
    master = _master(inst)
    rows = list(range(len(inst["capacity"])))
    master.add_rows(np.array(rows, dtype=np.int64))
    for g, cols in enumerate(inst["cols"]):
        for cost, counts in cols:
            master.add_column(g, cost, counts)
    sol = master.solve()
    # LP duality: the objective is sum mu - sum pi * capacity (pi >= 0 on every row)
    assert (sol.pi >= 0).all()
    dual = float(sol.mu.sum() - (sol.pi * inst["capacity"]).sum())
    assert dual == pytest.approx(sol.objective_m, rel=1e-6)
    # a length LP over the same columns, then the costs are the columns' own again
    metres = [[1.0] * len(cols) for cols in inst["cols"]]
    flat = master.solve_with_costs(metres)
    assert flat.objective_m < sol.objective_m
    again = master.solve()
    assert again.objective_m == pytest.approx(sol.objective_m, rel=1e-9)
