"""Server groups: racks named singly, as ranges within a row and as whole rows; totals."""

from __future__ import annotations

import pytest

from layouts.generate import regular_hall
from topo.catalog import builtin_catalog
from topo.fabric.servers import layout_servers
from topo.scenario import ServerIntent

GPU = builtin_catalog().server("gpu-8x400g-8u")


def hall():
    """Rows A..AB of 6 racks (4 GPU nodes each at 50 kW), position 3 a network rack."""
    return regular_hall(rows=28, racks_per_row=6, power_kw=50, network_positions=(3,))


def lay(*groups: ServerIntent, problems: list | None = None):
    out = [] if problems is None else problems
    return layout_servers(groups, [GPU] * len(groups), hall(), out)


def test_ranges_and_rows_take_their_compute_racks_in_floor_order():
    layout = lay(ServerIntent(model=GPU.id, racks=("B", "A02..A05", "AA01..AA02")))
    # A03 is a network rack; row AA comes after row B on the floor
    assert [rs.rack.id for rs in layout] == [
        "A02", "A04", "A05", "B01", "B02", "B04", "B05", "B06", "AA01", "AA02",
    ]  # fmt: skip


def test_count_fills_racks_in_floor_order():
    layout = lay(ServerIntent(model=GPU.id, racks=("AA", "A", "B"), count=47))
    counts = [(rs.rack.id, len(rs.servers)) for rs in layout]
    # rows A and B (10 compute racks x 4) first, then 7 more in row AA
    full = [f"{row}{p:02d}" for row in ("A", "B") for p in (1, 2, 4, 5, 6)]
    assert counts == [(r, 4) for r in full] + [("AA01", 4), ("AA02", 3)]


def test_count_over_capacity_names_the_group_count_and_room():
    problems: list = []
    lay(ServerIntent(model=GPU.id, racks=("A01..A02",), count=9), problems=problems)
    assert len(problems) == 1
    p = problems[0]
    assert p.location == "servers.count" and p.value == 9
    assert "count 9, but the group's 2 racks hold 8" in p.message


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("A01..A99", "range 'A01..A99': no rack 'A99'"),
        ("A01..B02", "must run forward within one row"),
        ("A05..A01", "must run forward within one row"),
    ],
)
def test_bad_ranges_are_named(name, match):
    problems: list = []
    lay(ServerIntent(model=GPU.id, racks=(name,)), problems=problems)
    assert problems and match in problems[0].message
