"""Tests for the shortest-path router."""

from __future__ import annotations

import networkx as nx

from layouts.model import Floor, RackRow, Tray
from layouts.pathways import pathways_from_floor
from topo.routing.shortest import cover_sources, shortest_routes


def hall() -> Floor:
    """Three rows on a ladder of trays; row C's tray is not connected::

    [C01][C02]           (T-C: an island)
    ===T-C===

    [B01][B02][B03]
    =====T-B=====+
                 X
    =====T-A=====+
    [A01][A02][A03]
    """
    return Floor(
        outline=((0, 0), (10, 0), (10, 12), (0, 12)),
        rows=(
            RackRow(id="A", origin=(1, 1), count=3),
            RackRow(id="B", origin=(1, 4), count=3),
            RackRow(id="C", origin=(1, 8), count=2),
        ),
        trays=(
            Tray(id="T-A", path=((1, 1.6), (3.5, 1.6))),
            Tray(id="T-B", path=((1, 4.6), (3.5, 4.6))),
            Tray(id="X", path=((3.5, 1.6), (3.5, 4.6))),
            Tray(id="T-C", path=((1, 8.6), (2.2, 8.6))),
        ),
    )


def test_route_follows_the_trays_and_reports_drops():
    g = pathways_from_floor(hall())
    r = shortest_routes(g, [("A01", "B03")])[("A01", "B03")]
    assert r is not None
    trays = [g.segments[s].tray for s in r.segments]
    assert trays[0] == "T-A" and trays[-1] == "T-B" and "X" in trays
    # A01 drop at x=1.3 -> end of T-A at 3.5 (2.2 m), X (3 m), T-B end back to B03 at 2.5 (1 m)
    assert r.tray_mm == 2200 + 3000 + 1000
    assert r.drop_a_mm == g.drops["A01"].length_mm
    assert r.drop_b_mm == g.drops["B03"].length_mm


def test_reverse_pair_gets_reversed_route():
    g = pathways_from_floor(hall())
    out = shortest_routes(g, [("A01", "B03"), ("B03", "A01")])
    fwd, back = out[("A01", "B03")], out[("B03", "A01")]
    assert fwd is not None and back is not None
    assert back.segments == fwd.segments[::-1]
    assert back.total_mm == fwd.total_mm


def test_disconnected_racks_have_no_route():
    g = pathways_from_floor(hall())
    out = shortest_routes(g, [("A01", "C01"), ("C01", "C02")])
    assert out[("A01", "C01")] is None
    assert out[("C01", "C02")] is not None


def test_same_rack_pair_is_not_routed():
    g = pathways_from_floor(hall())
    assert shortest_routes(g, [("A01", "A01")]) == {}


def test_lengths_match_networkx():
    g = pathways_from_floor(hall())
    nxg = g.to_networkx()
    racks = ["A01", "A02", "A03", "B01", "B02", "B03"]
    pairs = [(a, b) for a in racks for b in racks if a != b]
    out = shortest_routes(g, pairs)
    for (a, b), r in out.items():
        assert r is not None
        ref = nx.shortest_path_length(nxg, g.drops[a].node, g.drops[b].node, weight="mm")
        assert r.total_mm == ref


def testcover_sources_covers_every_pair():
    """Network racks N01 and N02 serve many racks each; they alone cover every pair."""
    pairs = [(f"A{i:02d}", "N01") for i in range(1, 6)] + [("B01", "N02"), ("B02", "N02")]
    chosen = cover_sources(pairs)
    assert all(a in chosen or b in chosen for a, b in pairs)
    assert chosen == ["N01", "N02"]
