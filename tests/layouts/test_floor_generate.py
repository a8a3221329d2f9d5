"""Tests for the parametric hall generator."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Polygon

from layouts.generate import regular_hall, row_id
from layouts.library import floor_to_yaml
from layouts.model import Floor
from layouts.validate import validate_floor


def tray_network(floor: Floor) -> nx.Graph:
    """Trays as nodes, joined where their centre lines meet (within the tolerance)."""
    g = nx.Graph()
    lines = {t.id: LineString(t.path) for t in floor.trays}
    g.add_nodes_from(lines)
    ids = sorted(lines)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            if lines[a].distance(lines[b]) <= floor.junction_tolerance:
                g.add_edge(a, b)
    return g


def test_row_ids():
    assert [row_id(i) for i in range(3)] == ["A", "B", "C"]
    assert row_id(25) == "Z"
    assert row_id(26) == "AA"
    assert row_id(63) == "BL"
    assert row_id(26 + 26 * 26) == "AAA"
    with pytest.raises(ValueError, match="row index -1"):
        row_id(-1)


def test_default_hall():
    """Four rows of ten under row trays, with cross trays X-01 (west) and X-02 (east)::

    #==[D01]...[D10]==#
    #==[C01]...[C10]==#
    #==[B01]...[B10]==#
    #==[A01]...[A10]==#
    """
    floor = regular_hall()
    assert floor.name == "HALL"
    assert len(floor.racks) == 40
    assert [row.id for row in floor.rows] == ["A", "B", "C", "D"]
    assert sorted(t.id for t in floor.trays) == ["T-A", "T-B", "T-C", "T-D", "X-01", "X-02"]
    assert {t.width for t in floor.trays if t.id.startswith("T-")} == {0.3}
    assert {t.width for t in floor.trays if t.id.startswith("X-")} == {0.6}
    # 48U racks: top 2.23 m; trays at least 0.3 m higher, rounded up to 5 cm
    assert {t.elevation for t in floor.trays} == {2.55}
    assert floor.keepouts == ()
    assert all(r.role == "compute" for r in floor.racks)
    assert validate_floor(floor) == []
    assert nx.is_connected(tray_network(floor))


def test_aisles_alternate_hot_and_cold():
    floor = regular_hall(rows=4, hot_aisle=1.2, cold_aisle=1.8)
    ys = [row.origin[1] for row in floor.rows]
    gaps = [round(b - a - 1.2, 3) for a, b in itertools.pairwise(ys)]
    assert gaps == [1.2, 1.8, 1.2]


def test_network_positions_and_rows():
    floor = regular_hall(rows=3, racks_per_row=6, network_positions=(3, 4), network_rows=("B",))
    network = [r.id for r in floor.racks if r.role == "network"]
    assert network == ["A03", "A04", "B01", "B02", "B03", "B04", "B05", "B06", "C03", "C04"]


def test_cross_every_adds_backbones_between_racks():
    floor = regular_hall(rows=3, racks_per_row=10, cross_every=4)
    cross = sorted((t.id, t.path[0][0]) for t in floor.trays if t.id.startswith("X-"))
    # west end aisle, after racks 4 and 8, east end aisle
    assert cross == [("X-01", 0.9), ("X-02", 4.2), ("X-03", 6.6), ("X-04", 8.7)]
    assert nx.is_connected(tray_network(floor))
    assert validate_floor(floor) == []


def test_single_row_has_no_cross_trays():
    floor = regular_hall(rows=1, racks_per_row=5, cross_every=2, column_every=3.0)
    assert [t.id for t in floor.trays] == ["T-A"]
    assert floor.keepouts == ()
    assert validate_floor(floor) == []


def test_columns_stand_in_aisles_clear_of_trays():
    floor = regular_hall(rows=6, racks_per_row=20, cross_every=5, column_every=3.0)
    assert floor.keepouts
    assert {k.kind for k in floor.keepouts} == {"column"}
    racks = shapely.union_all([Polygon(r.corners) for r in floor.racks])
    for ko in floor.keepouts:
        col = Polygon(ko.outline)
        assert col.distance(racks) > 0
        for t in floor.trays:
            assert LineString(t.path).distance(col) > t.width / 2
    assert validate_floor(floor) == []


def test_columns_too_wide_for_aisle():
    with pytest.raises(ValueError, match=r"column_size 1\.2 m does not fit in a 1\.2 m aisle"):
        regular_hall(rows=3, column_every=6.0, column_size=1.2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rows": 0}, "rows is 0"),
        ({"racks_per_row": 100}, "racks_per_row is 100, must be in 1..99"),
        ({"hot_aisle": 0}, "must be positive"),
        ({"margin": 0.4}, "margin is 0.4 m, must be at least backbone_width 0.6 m"),
        ({"network_positions": (0, 11)}, r"network_positions \[0, 11\] are outside 1..10"),
        ({"network_rows": ("Q",)}, r"network_rows names rows \['Q'\]"),
        ({"network_rows": "A"}, "must be a sequence of row ids"),
        ({"cross_every": 0}, "cross_every is 0"),
        ({"column_every": -1.0}, "column_every is -1.0 m"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        regular_hall(**kwargs)


def test_deterministic():
    kwargs = {"rows": 7, "racks_per_row": 13, "cross_every": 3, "column_every": 4.5}
    assert regular_hall(**kwargs) == regular_hall(**kwargs)
    assert floor_to_yaml(regular_hall(**kwargs)) == floor_to_yaml(regular_hall(**kwargs))


def test_benchmark_size():
    floor = regular_hall(rows=64, racks_per_row=80, cross_every=8, column_every=9.6)
    assert len(floor.racks) == 5120
    assert floor.rows[-1].id == "BL"
    assert nx.is_connected(tray_network(floor))


@st.composite
def hall_kwargs(draw):
    hot = draw(st.sampled_from([0.9, 1.0, 1.2, 1.5, 1.8, 2.4]))
    cold = draw(st.sampled_from([0.9, 1.0, 1.2, 1.5, 1.8, 2.4]))
    rows = draw(st.integers(1, 12))
    racks = draw(st.integers(1, 30))
    kwargs = {
        "rows": rows,
        "racks_per_row": racks,
        "rack_width": draw(st.sampled_from([0.6, 0.7, 0.8])),
        "rack_depth": draw(st.sampled_from([1.0, 1.07, 1.2, 1.4])),
        "height_u": draw(st.integers(24, 58)),
        "hot_aisle": hot,
        "cold_aisle": cold,
        "margin": draw(st.sampled_from([0.6, 1.0, 1.8, 3.0])),
        "backbone_width": draw(st.sampled_from([0.3, 0.45, 0.6])),
        "tray_width": draw(st.sampled_from([0.15, 0.3, 0.45, 0.6])),
        "network_positions": draw(st.sets(st.integers(1, racks), max_size=3)),
        "network_rows": draw(st.sets(st.sampled_from([row_id(i) for i in range(rows)]))),
        "cross_every": draw(st.none() | st.integers(1, 12)),
        "column_every": draw(st.none() | st.sampled_from([2.0, 3.0, 4.5, 6.0, 9.6])),
    }
    aisle = min(hot, cold) if rows > 2 else hot
    kwargs["column_size"] = draw(st.sampled_from([s for s in (0.3, 0.5, 0.8) if s + 0.1 <= aisle]))
    return kwargs


@settings(max_examples=60, deadline=None)
@given(hall_kwargs())
def test_generated_halls_always_validate(kwargs):
    floor = regular_hall(**kwargs)
    assert validate_floor(floor) == []
    room = Polygon(floor.outline)
    keepouts = [Polygon(k.outline) for k in floor.keepouts]
    for rack in floor.racks:
        box = Polygon(rack.corners)
        assert room.covers(box)
        assert all(box.intersection(k).area == 0 for k in keepouts)
    for tray in floor.trays:
        assert room.covers(LineString(tray.path))
        assert tray.elevation >= max(r.height_m for r in floor.racks)
    assert nx.is_connected(tray_network(floor))
    assert len(floor.racks) == kwargs["rows"] * kwargs["racks_per_row"]
