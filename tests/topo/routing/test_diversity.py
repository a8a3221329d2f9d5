"""Redundant links kept apart by the capacity-aware router (topo.routing.diversity)."""

from __future__ import annotations

import itertools
from collections import Counter

import networkx as nx
import numpy as np
import pytest

from layouts.model import Floor, Tray
from layouts.pathways import PathwayGraph, pathways_from_floor
from tests.topo.ladder_hall import AOC_AREA, aoc_tables, two_rows
from topo.routing import route_cables
from topo.routing.flows import FlowGraph
from topo.routing.optimizer import CableDemand, RoutingResult


def three_crosses(west: int, middle: int, east: int | None) -> Floor:
    """Two rows joined by cross trays that hold ``west``/``middle``/``east`` AOCs (no
    east cross if None); A01 is the network rack::

        X-W            X-M            X-E
         +=====T-B======+=============+      y = 4.6
         |  [B01] [B02] | [B03] [B04] |
         |              |             |
         |  [A01] [A02] |[A03] [A04]  |
         +=====T-A======+=============+      y = 1.6
        x=0.5          x=2.5         x=3.9

    From A01 one route heads west (X-W), the others east (X-M or X-E): two links from
    A01 are apart only if one takes X-W.
    """

    def cross(tray_id: str, x: float, cables: int) -> Tray:
        side = {0: 0.002, 1: 0.003, 2: 0.004, 3: 0.005}[cables]  # 4, 9, 16, 25 mm²
        return Tray(id=tray_id, path=((x, 1.6), (x, 4.6)), width=side, depth=side, fill_limit=1)

    trays = [
        Tray(id="T-A", path=((0.5, 1.6), (3.9, 1.6))),
        Tray(id="T-B", path=((0.5, 4.6), (3.9, 4.6))),
        cross("X-W", 0.5, west),
        cross("X-M", 2.5, middle),
    ]
    if east is not None:
        trays.append(cross("X-E", 3.9, east))
    return two_rows(trays)


def pairs(*racks: str, plain: tuple[str, ...] = ()) -> list[CableDemand]:
    """Two redundant links A01 -> r for every rack in ``racks``, one plain link to each
    rack in ``plain``."""
    out = [
        CableDemand(f"L-{r}-{k}", "A01", r, 100, 1000, f"pair-{r}") for r in racks for k in (0, 1)
    ]
    out += [CableDemand(f"P-{r}-{n}", "A01", r, 100, 1000) for n, r in enumerate(plain)]
    return out


def route(floor: Floor, demands: list[CableDemand]) -> tuple[PathwayGraph, RoutingResult]:
    g = pathways_from_floor(floor)
    return g, route_cables(g, demands, aoc_tables())


def loads(g: PathwayGraph, res: RoutingResult) -> np.ndarray:
    out = np.zeros(len(g.segments))
    for r in res.routes.values():
        assert r is not None
        np.add.at(out, list(r.segments), AOC_AREA)
    return out


def fits(g: PathwayGraph, res: RoutingResult) -> bool:
    cap = np.array([s.capacity_mm2 for s in g.segments])
    return bool((loads(g, res) <= cap + 1e-6).all())


def by_set(demands: list[CableDemand], res: RoutingResult) -> dict[str, list[set[int]]]:
    out: dict[str, list[set[int]]] = {}
    for c in demands:
        r = res.routes[c.link]
        assert r is not None
        if c.redundancy:
            out.setdefault(c.redundancy, []).append(set(r.segments))
    return out


def all_apart(demands: list[CableDemand], res: RoutingResult) -> bool:
    return all(
        not (a & b) for s in by_set(demands, res).values() for a, b in itertools.combinations(s, 2)
    )


def simple_routes(g: PathwayGraph, a: str, b: str) -> list[frozenset[int]]:
    """The segment sets of every simple tray route between racks ``a`` and ``b``."""
    fg = FlowGraph.of(g)
    nxg = g.to_networkx()
    out = set()
    for nodes in nx.all_simple_paths(nxg, g.drops[a].node, g.drops[b].node):
        e = fg.edge_of(np.array(nodes[:-1]), np.array(nodes[1:]))
        s = fg.seg[e]
        out.add(frozenset(s[s >= 0].tolist()))
    return sorted(out, key=sorted)


def least_sharing(g: PathwayGraph, demands: list[CableDemand]) -> int | None:
    """Exact, by enumeration: the fewest segments shared inside the redundancy sets over
    every routing that fits the trays (None if none fits)."""
    cap = np.array([s.capacity_mm2 for s in g.segments])
    options = [simple_routes(g, c.a, c.b) for c in demands]
    best = None
    for choice in itertools.product(*options):
        load = np.zeros(len(cap))
        for segs in choice:
            np.add.at(load, list(segs), AOC_AREA)
        if (load > cap + 1e-6).any():
            continue
        sets: dict[str, list[frozenset[int]]] = {}
        for c, segs in zip(demands, choice, strict=True):
            if c.redundancy:
                sets.setdefault(c.redundancy, []).append(segs)
        count = 0
        for members in sets.values():
            used = Counter(s for m in members for s in m)
            count += sum(1 for n in used.values() if n > 1)
        best = count if best is None else min(best, count)
    return best


def test_joint_routing_fits_where_fixing_the_redundant_routes_first_overflows():
    """Routed first and fixed, both pairs take X-W and the nearer X-M, which holds one
    cable; routed with the trays in view, one pair goes by X-E."""
    demands = pairs("B01", "B02")
    g, res = route(three_crosses(west=2, middle=1, east=2), demands)
    assert fits(g, res)
    assert all_apart(demands, res)
    assert res.shared == {}
    assert res.solver.status == "FEASIBLE"
    crosses = Counter(g.segments[s].tray for r in res.routes.values() if r for s in r.segments)
    assert (crosses["X-W"], crosses["X-M"], crosses["X-E"]) == (2, 1, 1)


@pytest.mark.parametrize(
    ("west", "middle", "east", "racks", "plain"),
    [
        (2, 1, 2, ("B01", "B02"), ()),
        (2, 2, 1, ("B02", "B04"), ("B01",)),
        (3, 1, 1, ("B01", "B03"), ("B04",)),
        (1, 3, 3, ("B01", "B02"), ()),
        (3, 2, None, ("B01", "B02"), ("B04",)),
        (3, 2, None, ("B03",), ("B01", "B02")),
    ],
)
def test_sets_are_apart_whenever_a_fitting_routing_keeps_them_apart(
    west, middle, east, racks, plain
):
    demands = pairs(*racks, plain=plain)
    floor = three_crosses(west, middle, east)
    g, res = route(floor, demands)
    best = least_sharing(g, demands)
    assert best is not None  # every instance here has a routing that fits
    assert fits(g, res)
    if best == 0:
        assert all_apart(demands, res) and res.shared == {}
    else:
        assert not all_apart(demands, res)


def test_shared_segments_listed_are_exactly_those_the_members_share():
    """Without X-E both links to B04 reach row B west of it and run east along T-B: the
    T-B segments between X-M and B04 are shared, and only those."""
    demands = pairs("B04")
    g, res = route(three_crosses(west=2, middle=2, east=None), demands)
    a, b = by_set(demands, res)["pair-B04"]
    assert set(res.shared) == {"pair-B04"}
    assert set(res.shared["pair-B04"]) == a & b
    assert [g.segments[s].id for s in res.shared["pair-B04"]] == ["T-B.004"]
    assert least_sharing(g, demands) == 1


def test_shared_segments_where_the_trays_leave_no_room_apart():
    """X-W is too narrow for one cable: both links to B04 head east from A01 (one by
    X-M, one by X-E, the plain link to B01 beside the first) and share T-A up to X-M."""
    demands = pairs("B04", plain=("B01",))
    g, res = route(three_crosses(west=0, middle=2, east=1), demands)
    assert fits(g, res)
    a, b = by_set(demands, res)["pair-B04"]
    assert set(res.shared["pair-B04"]) == a & b
    assert [g.segments[s].id for s in res.shared["pair-B04"]] == ["T-A.002", "T-A.003"]
    assert least_sharing(g, demands) == 2


def test_same_demands_give_the_same_routes():
    demands = pairs("B01", "B02", "B04", plain=("B03", "B01"))
    floor = three_crosses(west=2, middle=1, east=3)
    _, first = route(floor, demands)
    _, again = route(floor, demands)
    assert first.routes == again.routes
    assert first.shared == again.shared


def test_sample_of_small_halls_keeps_sets_apart_whenever_a_fitting_routing_does():
    """Every 23rd of 864 small instances (cross capacities, two pairs, plain links),
    against the exact answer by enumeration."""
    racks = ("B01", "B02", "B03", "B04")
    combos = itertools.product(
        (0, 1, 2, 3),
        (1, 2, 3),
        (None, 1, 2),
        itertools.combinations(racks, 2),
        ((), ("B01",), ("B04",), ("B02", "B03")),
    )
    checked = 0
    for west, middle, east, two, plain in list(combos)[::23]:
        demands = pairs(*two, plain=plain)
        g, res = route(three_crosses(west, middle, east), demands)
        best = least_sharing(g, demands)
        if best is None:
            continue
        case = (west, middle, east, two, plain)
        assert fits(g, res), case
        assert all_apart(demands, res) == (best == 0), case
        checked += 1
    assert checked >= 15


def test_routes_already_apart_keep_the_plan_optimal():
    """One link west to B01 by X-W, its partner east along T-A to A04: the shortest
    routes share no segment, so nothing moves and the plan stays optimal."""
    demands = [
        CableDemand("L-0", "A01", "B01", 100, 1000, "pair"),
        CableDemand("L-1", "A01", "A04", 100, 1000, "pair"),
    ]
    _, res = route(three_crosses(west=2, middle=2, east=2), demands)
    assert all_apart(demands, res) and res.shared == {}
    assert res.solver.status == "OPTIMAL"
    assert [r.total_mm for r in res.routes.values()] == res.sp_mm.tolist()
