"""Lines across the floor that no placement can carry (topo.placement.cuts).

The bound is checked by code that shares nothing with it: the least crossing by brute
force over every side assignment, or as networkx's minimum cut; the line argument by
removing the named tray segments from the pathway graph and finding no path across.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import networkx as nx
import pytest

from layouts.generate import regular_hall
from tests.topo.placement.rail import rail_scenario
from topo.outputs import write_plan
from topo.outputs.read import read_plan
from topo.placement.cuts import FloorCut, floor_cuts, link_floor_areas
from topo.placement.optimize import candidate_racks
from topo.planner import plan


def _rail_scenario(backbone_width: float):
    """A 4-row hall whose rows meet only through the cross trays at its two ends."""
    floor = regular_hall(
        name="T", rows=4, racks_per_row=8, power_kw=50.0, network_positions=(4, 5),
        backbone_width=backbone_width, tray_width=0.6,
    )  # fmt: skip
    return rail_scenario(floor, name="thin-backbone", per_rack=2, su_nodes=8)


@pytest.fixture(scope="module")
def thin():
    return plan(_rail_scenario(0.005))


def _line_side(plan_, cut: FloorCut):
    """Each rack's side of the cut's line, from the floor's rack centres."""
    k = 0 if cut.axis == "x" else 1
    return {r.id: (r.x, r.y)[k] >= cut.at_m for r in plan_.floor.racks}


def _min_cut(plan_, cut: FloorCut, areas) -> float:
    """networkx's minimum cut of the fabric across the line (free switches free)."""
    side = _line_side(plan_, cut)
    free = {d.id for d in plan_.fabric.devices if d.rack is None}
    cands = candidate_racks(
        [d for d in plan_.fabric.devices if d.id in free], plan_.floor, None, {}
    )
    at = plan_.placement.device_index()
    g = nx.DiGraph()
    g.add_nodes_from(["S", "T"])

    def node(dev: str) -> str:
        if dev in free:
            sides = {side[r] for r in cands[dev]}
            if len(sides) == 2:
                return dev
            return "T" if sides.pop() else "S"
        return "T" if side[at[dev].rack] else "S"

    for link, area in zip(plan_.fabric.links, areas, strict=True):
        a, b = node(link.a.device), node(link.b.device)
        if a == b or area <= 0:
            continue
        for u, v in ((a, b), (b, a)):
            w = g.get_edge_data(u, v, {"capacity": 0})["capacity"]
            g.add_edge(u, v, capacity=w + int(area * 100))
    return nx.minimum_cut_value(g, "S", "T") / 100


def test_thin_backbone_is_proven_not_to_fit(thin, tmp_path: Path) -> None:
    s = thin.summary
    assert s["trays_over_limit"] > 0
    bound = s["floor_bound"]
    assert bound is not None and bound["axis"] == "y" and bound["ratio"] > 1
    cut = thin.floor_cut
    assert cut is not None and cut.least_mm2 > cut.capacity_mm2
    # the room is the named segments' at their fill limits
    segs = thin.pathways.segment_index
    assert cut.capacity_mm2 == pytest.approx(sum(segs[i].capacity_mm2 for i in cut.segments))
    # the least load is networkx's minimum cut over every side assignment
    areas = link_floor_areas(thin.fabric, thin.catalog)
    assert cut.least_mm2 == pytest.approx(_min_cut(thin, cut, areas), abs=0.1)
    # and this plan (one placement) lays at least that much on the named segments
    on = {f.segment.id: f.cable_area_mm2 for f in thin.fills}
    assert sum(on[i] for i in cut.segments) >= cut.least_mm2
    # the line argument: without those segments no rack reaches the other side
    g = thin.pathways.to_networkx()
    dead = [(u, v) for u, v, e in g.edges(data=True) if e.get("segment") in cut.segments]
    assert dead
    g.remove_edges_from(dead)
    side = _line_side(thin, cut)
    near = [thin.pathways.drops[r].node for r, far in side.items() if not far]
    far = {thin.pathways.drops[r].node for r, f in side.items() if f}
    reach = set().union(*(nx.node_connected_component(g, n) for n in near))
    assert not reach & far
    assert any(
        "no placement fits the trays" in n and f"y = {cut.at_m:g} m" in n for n in thin.notes
    )
    # the proof survives writing the plan and reading it back
    write_plan(thin, tmp_path)
    again = read_plan(tmp_path)
    assert again.floor_cut == cut
    assert again.summary["floor_bound"] == bound


def test_no_proof_where_a_placement_carries_the_line() -> None:
    """Wider cross trays: the min cut fits under every line, so no proof is claimed
    (the plan may still overflow: the placement heuristic is not the bound)."""
    p = plan(_rail_scenario(0.05))
    assert p.floor_cut is None
    assert "floor_bound" not in p.summary.to_json()


def test_a_placement_is_proven_not_to_fit_by_the_cable_it_lays_across_a_line(thin) -> None:
    """With every device where a placement puts it, the cable across a line is that
    placement's own: the planner skips routing a re-placement so proven once a plan
    fits. Checked by summing here the thinnest cross-section of every link whose racks
    lie on two sides of the line."""
    from topo.planner import _placed_proof

    areas = link_floor_areas(thin.fabric, thin.catalog)
    assert _placed_proof(thin.pathways, thin.fabric, thin.placement, areas)
    cut = thin.floor_cut
    assert cut is not None
    side = _line_side(thin, cut)
    at = {d.id: d.rack for d in thin.placement.devices}
    across = sum(
        float(a)
        for link, a in zip(thin.fabric.links, areas, strict=True)
        if side[at[link.a.device]] != side[at[link.b.device]]
    )
    assert across > cut.capacity_mm2
    wide = plan(_rail_scenario(0.6))
    assert not wide.overflows
    wide_areas = link_floor_areas(wide.fabric, wide.catalog)
    assert not _placed_proof(wide.pathways, wide.fabric, wide.placement, wide_areas)


def test_least_crossing_equals_brute_force(thin) -> None:
    """Eight switches left free (the others fixed where the plan put them): every
    assignment of them to a side, enumerated, gives the least crossing the max-flow
    finds, on every line it proves."""
    fabric, racks = thin.fabric, thin.floor.rack_index
    where = {d.id: d.rack for d in thin.placement.devices}
    movable = [d for d in fabric.devices if d.rack is None][::10][:8]
    cands = candidate_racks(movable, thin.floor, None, fabric.zone_index())
    areas = link_floor_areas(fabric, thin.catalog)
    cuts = floor_cuts(thin.pathways, fabric, where, cands, areas, tries=50)
    assert cuts
    for cut in cuts:
        k = 0 if cut.axis == "x" else 1

        def far(rack: str, k: int = k, at: float = cut.at_m) -> bool:
            return (racks[rack].x, racks[rack].y)[k] >= at

        fixed = {d.id: far(where[d.id]) for d in fabric.devices if d.id not in cands}
        options = [sorted({far(r) for r in cands[d.id]}) for d in movable]
        best = float("inf")
        for choice in itertools.product(*options):
            side = {**fixed, **{d.id: s for d, s in zip(movable, choice, strict=True)}}
            total = sum(
                a
                for link, a in zip(fabric.links, areas, strict=True)
                if side[link.a.device] != side[link.b.device]
            )
            best = min(best, total)
        # integer hundredths of a mm² per link inside the max-flow: within 0.01 a link
        assert best - 0.01 * len(fabric.links) <= cut.least_mm2 <= best + 1e-6
        assert cut.least_mm2 > cut.capacity_mm2


def test_the_cli_says_no_placement_fits(tmp_path) -> None:
    import yaml
    from typer.testing import CliRunner

    from topo.cli import app

    doc = _rail_scenario(0.005).model_dump(mode="json", exclude_none=True)
    (tmp_path / "thin.yaml").write_text(yaml.safe_dump(doc))
    result = CliRunner().invoke(
        app, ["plan", str(tmp_path / "thin.yaml"), "-o", str(tmp_path / "out")]
    )
    text = " ".join(result.output.split())
    assert "no placement fits" in text and "line y = 6 m" in text and "(3.39x)" in text
