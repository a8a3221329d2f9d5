"""Cuts around the racks free switches may stand in, and placements that keep within them.

The hall of these tests, seen from above (two rows of six racks, network racks at
positions 3 and 4, a cross tray every two racks)::

    X-1   X-2         X-3         X-4
     |  [A01][A02] | [A03][A04] | [A05][A06]  |
     ====== T-A =============================== row tray: junctions at the cross trays
     |            |            |             |
     ====== T-B ===============================
     |  [B01][B02] | [B03][B04] | [B05][B06]  |

Between the cross trays X-2 and X-3 the row tray is a chain: ``A03`` and ``A04`` drop
onto it, and everything their switches cable to the rest of the hall leaves through the
two segments at the chain's ends.
"""

from __future__ import annotations

import networkx as nx
import pytest

from layouts.generate import regular_hall
from layouts.pathways import pathways_from_floor
from tests.topo.placement.rail import rail_scenario
from topo.placement.cuts import drop_cuts, link_floor_areas, placement_cut
from topo.planner import plan

NETWORK = ["A03", "A04", "B03", "B04"]


def _hall(rows: int = 2, racks_per_row: int = 6):
    return regular_hall(
        name="T", rows=rows, racks_per_row=racks_per_row, network_positions=(3, 4),
        cross_every=2,
    )  # fmt: skip


def test_each_run_of_network_racks_is_a_cut_whatever_the_routes():
    """Checked on the pathway graph with networkx, sharing no code with drop_cuts:
    taking a cut's segments away leaves no path from a rack inside to any rack outside,
    while the racks inside stay joined to the rest through any one of them."""
    graph = pathways_from_floor(_hall())
    cuts = drop_cuts(graph, NETWORK)
    assert sorted(c.racks for c in cuts) == [
        ("A03",), ("A03", "A04"), ("A04",), ("B03",), ("B03", "B04"), ("B04",),
    ]  # fmt: skip
    g = nx.MultiGraph()
    for e in range(len(graph.edge_u)):
        g.add_edge(int(graph.edge_u[e]), int(graph.edge_v[e]), seg=int(graph.edge_segment[e]))
    node_of = {r: d.node for r, d in graph.drops.items()}
    for cut in cuts:
        assert len(cut.segments) == 2
        cut_off = g.copy()
        cut_off.remove_edges_from(
            [(u, v, k) for u, v, k, s in g.edges(keys=True, data="seg") if s in cut.segments]
        )
        reach = set().union(*(nx.node_connected_component(cut_off, node_of[r]) for r in cut.racks))
        outside = {node_of[r] for r in graph.drops if r not in cut.racks}
        assert not reach & outside, cut
        for s in cut.segments:  # each end segment is a way out on its own
            one = g.copy()
            one.remove_edges_from(
                [(u, v, k) for u, v, k, t in g.edges(keys=True, data="seg")
                 if t in cut.segments and t != s]
            )  # fmt: skip
            assert nx.node_connected_component(one, node_of[cut.racks[0]]) & outside


def test_the_pair_cut_is_narrower_than_each_racks_own():
    graph = pathways_from_floor(_hall())
    by_racks = {c.racks: set(c.segments) for c in drop_cuts(graph, NETWORK)}
    pair = by_racks[("A03", "A04")]
    # the segment between the two drops bounds each rack alone, not the pair
    between = by_racks[("A03",)] & by_racks[("A04",)]
    assert len(between) == 1 and not between & pair
    assert pair == (by_racks[("A03",)] | by_racks[("A04",)]) - between


def test_only_the_racks_named_are_inside_a_cut():
    """``A01`` stands alone between the wall end of its tray and cross tray X-2's
    junction (A02 drops between them too, but is no candidate)."""
    graph = pathways_from_floor(_hall())
    cuts = drop_cuts(graph, ["A01"])
    assert [c.racks for c in cuts] == [("A01",)]
    assert drop_cuts(graph, []) == []


def _separates(graph, racks, segment_ids) -> bool:
    """Whether taking the segments away leaves no path from ``racks`` to another rack."""
    g = nx.MultiGraph()
    ids = {s.id: i for i, s in enumerate(graph.segments)}
    gone = {ids[s] for s in segment_ids}
    for e in range(len(graph.edge_u)):
        if int(graph.edge_segment[e]) not in gone:
            g.add_edge(int(graph.edge_u[e]), int(graph.edge_v[e]))
    node_of = {r: d.node for r, d in graph.drops.items()}
    reach = set().union(*(nx.node_connected_component(g, node_of[r]) for r in racks))
    return not reach & {node_of[r] for r in graph.drops if r not in racks}


def test_a_placement_whose_racks_overfill_their_exits_is_proven_not_to_fit():
    """Narrow row trays (0.1 m) around the network racks: the naive placement's cable
    from A03 to the rest of the hall cannot pass the two row-tray segments beside it.
    The proof is checked here from the plan's own links and media: networkx finds no way
    out of its racks but its segments, and the least cross-section of the links leaving
    them, summed here, is more than those segments hold. The router, which knows nothing
    of the proof, overflows the trays too."""
    floor = regular_hall(
        name="T", rows=4, racks_per_row=8, network_positions=(3, 4), cross_every=2,
        tray_width=0.1, power_kw=50.0,
    )  # fmt: skip
    scenario = rail_scenario(floor, name="narrow", per_rack=4, su_nodes=16)
    naive = scenario.options.model_copy(update={"placement": "naive"})
    p = plan(scenario.model_copy(update={"options": naive}))
    where = {d.id: d.rack for d in p.placement.devices if d.rack is not None}
    cut = placement_cut(p.pathways, p.fabric, where, link_floor_areas(p.fabric, p.catalog))
    assert cut is not None and p.overflows
    assert _separates(p.pathways, cut.racks, cut.segments)
    thinnest = {
        s: min(m.area_mm2 for m in p.catalog.media if m.speed_gbps == s)
        for s in {link.speed_gbps for link in p.fabric.links}
    }
    inside = set(cut.racks)
    least = sum(
        thinnest[link.speed_gbps]
        for link in p.fabric.links
        if (where[link.a.device] in inside) != (where[link.b.device] in inside)
    )
    room = sum(s.capacity_mm2 for s in p.pathways.segments if s.id in cut.segments)
    assert least == pytest.approx(cut.least_mm2)
    assert room == pytest.approx(cut.capacity_mm2)
    assert least > room
    assert "A03" in cut.describe() and cut.over_mm2 == pytest.approx(least - room)
    # the same hall with 0.3 m row trays fits, and nothing is proven of its placement
    wide = rail_scenario(
        regular_hall(
            name="T", rows=4, racks_per_row=8, network_positions=(3, 4), cross_every=2,
            power_kw=50.0,
        ),
        name="wide", per_rack=4, su_nodes=16,
    )  # fmt: skip
    q = plan(wide.model_copy(update={"options": naive}))
    where = {d.id: d.rack for d in q.placement.devices if d.rack is not None}
    assert not q.overflows
    assert placement_cut(q.pathways, q.fabric, where, link_floor_areas(q.fabric, q.catalog)) is None


@pytest.mark.slow
def test_a_16k_gpu_hall_with_narrow_exits_fits_its_trays():
    """2,048 nodes on a rail-optimized NDR fabric in 32 rows, a cross tray every two racks:
    every row's two network racks reach the hall only through the two row-tray segments
    at their run's ends. Cores placed by cable cost alone crowd into the middle rows and
    overflow those segments (61.8 % fill); kept within the drop cuts they fit."""
    floor = regular_hall(
        name="BENCH", rows=32, racks_per_row=18, power_kw=50.0, cold_aisle=1.8, margin=2.4,
        network_positions=(9, 10), cross_every=2, backbone_width=0.9,
    )  # fmt: skip
    scenario = rail_scenario(floor, name="rail-16k-narrow", per_rack=4, su_nodes=32)
    p = plan(scenario)
    assert len(p.cables) == 49_152
    assert not p.overflows
    # the fill, summed here from the cables' routes and their media's cross-sections
    area = {m.id: m.area_mm2 for m in p.catalog.media}
    load: dict[int, float] = {}
    for c in p.cables:
        for s in c.segments:
            load[s] = load.get(s, 0.0) + area[c.media]
    assert load
    for s, mm2 in load.items():
        seg = p.pathways.segments[s]
        assert mm2 <= seg.capacity_mm2 + 1e-6, seg.id
