"""Placement against tray fill: re-placing switches under the router's tray prices."""

from __future__ import annotations

import math

import numpy as np
import pytest

from layouts.model import Floor, RackRow, Tray
from layouts.pathways import pathways_from_floor
from tests.topo.ladder_hall import AOC_AREA, aoc_catalog, fabric, scenario
from topo.placement.naive import place_devices
from topo.placement.optimize import PlacementOptions, TrayPrices, optimize_placement
from topo.planner import plan_fabric

LEAVES = {"A02": 8, "A03": 8, "A04": 8, "A05": 8}
"""Four leaves of 8 uplinks, striped over two spines: 16 links to each spine."""


def row_with_two_ends(depth: float) -> Floor:
    """One row, a network rack at each end, one tray 50 mm wide::

        [A01 net][A02][A03][A04][A05][A06][A07 net]
        ==================== T-A ===================

    The leaves (A02..A05) are nearer A01, so a placement blind to the tray puts both
    spines there and all 32 uplinks cross the segment beside A01. With one spine at
    each end, every segment carries 16.
    """
    return Floor(
        outline=((0, 0), (6.5, 0), (6.5, 4), (0, 4)),
        rows=(RackRow(id="A", origin=(1, 1), count=7, roles={1: "network", 7: "network"}),),
        trays=(Tray(id="T-A", path=((0.5, 1.6), (6.0, 1.6)), width=0.05, depth=depth),),
    )


def plan_row(depth: float, **options: object):
    return plan_fabric(
        scenario(row_with_two_ends(depth), objective="length", **options),
        fabric(LEAVES, spines=2),
        catalog=aoc_catalog(),
    )


def spine_racks(p) -> dict[str, str]:
    return {d.id: d.rack for d in p.placement.devices if d.role == "spine"}


def test_capacity_blind_placement_stacks_the_spines_beside_the_leaves():
    fl = row_with_two_ends(0.01)
    fab = fabric(LEAVES, spines=2)
    cat = aoc_catalog()
    naive = place_devices(fab, fl, cat)
    placed, _ = optimize_placement(
        fab, fl, pathways_from_floor(fl), cat, naive, options=PlacementOptions(objective="length")
    )
    assert {d.rack for d in placed.devices if d.role == "spine"} == {"A01"}


def test_capacity_rows_alone_split_the_spines_in_one_placement():
    """No prices, only the trays' room: the stage keeps 16 uplinks (113 mm²) per
    200 mm² segment, so one spine goes to each end."""
    fl = row_with_two_ends(0.01)
    fab = fabric(LEAVES, spines=2)
    cat = aoc_catalog()
    graph = pathways_from_floor(fl)
    room = np.array([s.capacity_mm2 for s in graph.segments])
    prices = TrayPrices(np.zeros(len(room)), {100: AOC_AREA}, room)
    placed, report = optimize_placement(
        fab,
        fl,
        graph,
        cat,
        place_devices(fab, fl, cat),
        options=PlacementOptions(objective="length"),
        prices=prices,
    )
    assert report is not None and report.method == "optimized"
    assert sorted(d.rack for d in placed.devices if d.role == "spine") == ["A01", "A07"]
    assert report.chosen > _blind_length(fl, fab)  # spreading costs cable


def _blind_length(fl: Floor, fab) -> float:
    cat = aoc_catalog()
    _, report = optimize_placement(
        fab,
        fl,
        pathways_from_floor(fl),
        cat,
        place_devices(fab, fl, cat),
        options=PlacementOptions(objective="length"),
    )
    assert report is not None
    return report.chosen


def test_spines_spread_when_the_tray_beside_them_would_overflow():
    """Tray 50 x 10 mm: 500 mm², 200 mm² at the 40% limit. 32 AOCs (226 mm²) overflow,
    16 (113 mm²) fit."""
    p = plan_row(0.01)
    assert sorted(spine_racks(p).values()) == ["A01", "A07"]
    assert not p.overflows
    assert p.solver.status == "OPTIMAL"
    pl = p.summary["placement"]
    assert pl["rounds"] == 2
    assert pl["max_tray_fill_before"] == round(32 * AOC_AREA / 500, 4)  # 45.2%
    assert pl["max_tray_fill_after"] == round(16 * AOC_AREA / 500, 4)  # 22.6%
    assert p.summary["max_tray_fill"] == pl["max_tray_fill_after"]
    assert math.isclose(max(f.fill for f in p.fills), 16 * AOC_AREA / 500)


def test_same_seed_gives_the_same_placement_and_files():
    a, b = plan_row(0.01, seed=3), plan_row(0.01, seed=3)
    assert a.placement.devices == b.placement.devices
    assert [c.segments for c in a.cables] == [c.segments for c in b.cables]


def test_nothing_fits_keeps_the_plan_with_least_overflow():
    """Tray 50 x 4 mm: 80 mm² at the limit, under the 16 uplinks of one spine (113 mm²).

    Both spines in A01 overflow four segments by 146 + 90 + 33 + 0 = 269 mm²; one at each
    end overflows all six by 33 mm²: 198 mm². The plan keeps the smaller overflow and
    says the trays cannot hold the cables.
    """
    p = plan_row(0.004)
    assert sorted(spine_racks(p).values()) == ["A01", "A07"]
    per = 16 * AOC_AREA - 80
    assert p.summary["overflow_mm2"] == pytest.approx(6 * per, abs=0.2)
    assert p.solver.status == "INFEASIBLE"
    assert p.summary["placement"]["max_tray_fill_before"] == round(32 * AOC_AREA / 200, 4)


@pytest.mark.parametrize("leaves", [{"A02": 8, "A03": 8}, {"A03": 4, "A05": 4, "A06": 4}, LEAVES])
def test_wide_trays_place_once_and_never_worse_than_naive(leaves):
    """With 300 x 100 mm trays nothing is tight: one round, the capacity-blind
    placement, no more cable than the naive one."""
    fl = row_with_two_ends(0.1).model_copy(
        update={"trays": (Tray(id="T-A", path=((0.5, 1.6), (6.0, 1.6))),)}
    )
    plans = {
        how: plan_fabric(
            scenario(fl, objective="cost", placement=how),
            fabric(leaves, spines=2),
            catalog=aoc_catalog(),
        )
        for how in ("optimize", "naive")
    }
    opt, naive = plans["optimize"], plans["naive"]
    assert opt.summary["placement"]["rounds"] == 1
    assert not opt.overflows and opt.solver.status == "OPTIMAL"
    assert opt.cable_cost_cents <= naive.cable_cost_cents
    cat = aoc_catalog()
    fab = fabric(leaves, spines=2)
    blind, _ = optimize_placement(
        fab,
        fl,
        pathways_from_floor(fl),
        cat,
        place_devices(fab, fl, cat),
        options=PlacementOptions(objective="cost"),
    )
    assert opt.placement.devices == blind.devices


def test_large_fabric_routes_the_blind_placement_on_shortest_routes_first(monkeypatch):
    """Planned as a large fabric, the capacity-blind placement is routed on its shortest
    routes only (they overflow); the trays' room then spreads the spines, as above."""
    from topo import planner

    monkeypatch.setattr(planner, "_PROBE_MIN_LINKS", 0)
    p = plan_row(0.01)
    assert sorted(spine_racks(p).values()) == ["A01", "A07"]
    assert not p.overflows
    pl = p.summary["placement"]
    assert pl["rounds"] == 2
    assert pl["max_tray_fill_before"] == round(32 * AOC_AREA / 500, 4)
    assert pl["max_tray_fill_after"] == round(16 * AOC_AREA / 500, 4)


def test_every_placement_solve_is_recorded_and_a_failure_is_a_note(monkeypatch):
    import topo.placement.transport as transport

    fl = row_with_two_ends(0.01)
    fab = fabric(LEAVES, spines=2)
    cat = aoc_catalog()
    naive = place_devices(fab, fl, cat)
    graph = pathways_from_floor(fl)
    options = PlacementOptions(objective="length")
    _, report = optimize_placement(fab, fl, graph, cat, naive, options=options)
    assert report is not None and report.solver_log
    assert all("OPTIMAL" in line for line in report.solver_log), report.solver_log

    def refuse(*_args: object, log: list[str], **_kw: object) -> None:
        log.append("min-cost flow status 2")
        return None

    monkeypatch.setattr(transport, "_transport_mcf", refuse)
    monkeypatch.setattr(transport, "_transport_cpsat", refuse)
    placed, report = optimize_placement(fab, fl, graph, cat, naive, options=options)
    assert report is not None and report.method == "naive"
    assert placed.devices == naive.devices
    assert any("found no assignment" in n and "status 2" in n for n in placed.notes)
    assert any("status 2" in line for line in report.solver_log)
