"""Tests for the pathway graph."""

from __future__ import annotations

import math

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layouts.model import Floor, RackRow, Tray
from layouts.pathways import pathways_from_floor


def two_rows(**tray_x) -> Floor:
    """Two rows joined by a cross tray X at x=4 (one level up)::

    [B01][B02][B03][B04][B05]
    ==========T-B==========+
                           X
    ==========T-A==========+
    [A01][A02][A03][A04][A05]
    """
    return Floor(
        outline=((0, 0), (10, 0), (10, 8), (0, 8)),
        rows=(
            RackRow(id="A", origin=(1, 1), count=5),
            RackRow(id="B", origin=(1, 4), count=5),
        ),
        trays=(
            Tray(id="T-A", path=((1, 1.6), (4, 1.6))),
            Tray(id="T-B", path=((1, 4.6), (4, 4.6))),
            Tray(id="X", path=((4, 1.6), (4, 4.6)), width=0.6, **tray_x),
        ),
    )


def test_segments_split_at_drop_points_and_junctions():
    g = pathways_from_floor(two_rows())
    ids = [s.id for s in g.segments]
    assert ids[:6] == [f"T-A.{k:03d}" for k in range(1, 7)]
    assert "X.001" in ids
    # every rack of row A drops onto T-A at its centre line x
    for k, r in enumerate(("A01", "A02", "A03", "A04", "A05")):
        drop = g.drops[r]
        assert drop.tray == "T-A"
        assert drop.point == pytest.approx((1.3 + 0.6 * k, 1.6))
    # segment lengths add up to the tray lengths
    for tray in ("T-A", "T-B", "X"):
        total = sum(s.length_mm for s in g.segments if s.tray == tray)
        assert total == 3000


def test_drop_length_is_fall_plus_offset():
    g = pathways_from_floor(two_rows())
    # rack top 48 x 44.45 mm + 0.1 m = 2.2336 m; tray at 2.7 m; tray over the centre
    assert g.drops["A01"].length_mm == round((2.7 - 2.2336) * 1000)


def test_same_elevation_crossing_shares_a_node():
    g = pathways_from_floor(two_rows(elevation=2.7))
    assert "riser" not in g.edge_kind


def test_different_elevation_crossing_gets_a_riser():
    g = pathways_from_floor(two_rows(elevation=3.0))
    risers = [e for e, k in enumerate(g.edge_kind) if k == "riser"]
    assert len(risers) == 2
    assert all(g.edge_mm[e] == 300 for e in risers)


def test_rack_without_tray_in_reach_is_unserved():
    floor = Floor(
        outline=((0, 0), (10, 0), (10, 8), (0, 8)),
        rows=(RackRow(id="A", origin=(1, 1), count=2), RackRow(id="C", origin=(1, 6), count=1)),
        trays=(Tray(id="T-A", path=((1, 1.6), (3, 1.6))),),
    )
    g = pathways_from_floor(floor)
    assert g.unserved == ("C01",)
    assert "C01" not in g.drops


def test_empty_racks_get_no_drop():
    floor = Floor(
        outline=((0, 0), (10, 0), (10, 8), (0, 8)),
        rows=(RackRow(id="A", origin=(1, 1), count=3, roles={2: "empty"}),),
        trays=(Tray(id="T-A", path=((1, 1.6), (3, 1.6))),),
    )
    g = pathways_from_floor(floor)
    assert sorted(g.drops) == ["A01", "A03"]


def test_t_junction_within_tolerance_is_connected():
    """A spur tray ends 3 cm short of the main tray; it must still join it."""
    floor = Floor(
        outline=((0, 0), (10, 0), (10, 8), (0, 8)),
        rows=(RackRow(id="A", origin=(1, 1), count=2), RackRow(id="B", origin=(1, 5), count=2)),
        trays=(
            Tray(id="MAIN", path=((1, 1.6), (3, 1.6))),
            Tray(id="SPUR", path=((1.5, 1.63), (1.5, 5.6), (2.3, 5.6))),
        ),
    )
    g = pathways_from_floor(floor)
    kinds = set(g.edge_kind)
    assert "connector" in kinds
    nxg = g.to_networkx()
    assert nx.has_path(nxg, g.drops["A01"].node, g.drops["B02"].node)


def test_graph_is_deterministic():
    a, b = pathways_from_floor(two_rows()), pathways_from_floor(two_rows())
    assert a.segments == b.segments
    assert (a.edge_mm == b.edge_mm).all() and (a.edge_u == b.edge_u).all()


@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(1, 5),
    racks=st.integers(1, 12),
    dz=st.sampled_from([0.0, 0.3]),
)
def test_shortest_paths_match_networkx_and_geometry(rows, racks, dz):
    """scipy's distances equal networkx's, and no rack-to-rack path is shorter than
    the straight line between the drop points plus both drops."""
    from scipy.sparse import csgraph

    row_models = tuple(
        RackRow(id=chr(ord("A") + i), origin=(1, 1 + 3 * i), count=racks) for i in range(rows)
    )
    length = racks * 0.6
    trays = [
        Tray(id=f"T-{r.id}", path=((1, r.origin[1] + 0.6), (1 + length, r.origin[1] + 0.6)))
        for r in row_models
    ]
    trays.append(
        Tray(
            id="X",
            path=((1 + length, 1.6), (1 + length, 1.6 + 3 * (rows - 1) + 0.001)),
            elevation=2.7 + dz,
        )
    )
    floor = Floor(
        outline=((0, 0), (2 + length + 1, 0), (2 + length + 1, 3 * rows + 2), (0, 3 * rows + 2)),
        rows=row_models,
        trays=tuple(trays),
    )
    g = pathways_from_floor(floor)
    nxg = g.to_networkx()
    src = g.drops[floor.racks[0].id].node
    d = csgraph.dijkstra(g.csr, indices=[src])[0]
    ref = nx.single_source_dijkstra_path_length(nxg, src, weight="mm")
    for node, mm in ref.items():
        assert d[node] == mm
    a = g.drops[floor.racks[0].id]
    for r in floor.racks:
        b = g.drops[r.id]
        if b.node == a.node:
            continue
        straight = math.dist(a.point, b.point) * 1000
        assert d[b.node] + 2 >= straight + a.length_mm + b.length_mm
