"""Cables moved to thinner media where the trays are full (``RouteOptions.thin_media``).

The ladder hall with its east cross tray removed: every cable from A01 to the B row
has one route, over the west cross tray ``X-W``. Too many copper cables for it overflow
it whatever the routes; thinner media (an AOC instead of an ACC) make them fit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pytest

from layouts.pathways import pathways_from_floor
from tests.topo.ladder_hall import ladder
from topo.catalog import Media, builtin_catalog
from topo.media import media_table
from topo.routing import route_cables
from topo.routing.optimizer import CableDemand, RouteOptions, RoutingResult

CATALOG = builtin_catalog()
TABLES = {100: media_table(CATALOG.media_for(100), None)}


def cheapest_media(
    options: Iterable[Media], base_mm: int, most: float = math.inf
) -> tuple[str, int, float]:
    """The cheapest of ``options`` (id, cost in cents, mm²) no thicker than ``most``
    whose stock covers a base length, from the media's own figures."""
    best = None
    for m in options:
        if m.area_mm2 > most + 1e-6:
            continue
        stock = m.stock_length_mm(base_mm + 2 * round(m.slack_m * 1000))
        if stock is not None:
            key = (m.link_cost_cents(stock), m.id, m.area_mm2)
            best = key if best is None or key < best else best
    assert best is not None
    return best[1], best[0], best[2]


def media_at(need_mm: int, most: float = math.inf) -> tuple[str, int, float]:
    """The cheapest 100G media no thicker than ``most`` covering a base length."""
    return cheapest_media(CATALOG.media_for(100), need_mm, most)


def loads(result: RoutingResult, demands: list[CableDemand], n_segments: int) -> np.ndarray:
    """Cross-section on every segment, each cable at the cheapest media its limit and
    its route's length allow."""
    out = np.zeros(n_segments)
    for c in demands:
        r = result.routes[c.link]
        assert r is not None
        _, _, area = media_at(c.base_mm + r.total_mm, result.media_limits.get(c.link, math.inf))
        for s in r.segments:
            out[s] += area
    return out


def copper(n: int) -> list[CableDemand]:
    return [CableDemand(f"L{k:03d}", "A01", "B01", 100, 3_000) for k in range(n)]


@pytest.mark.parametrize("n", [70, 90, 110])
def test_too_much_copper_for_the_only_route_moves_just_enough_to_thinner_media(n):
    floor = ladder(west=0.05, depth=0.05, east_tray=False)
    graph = pathways_from_floor(floor)
    cap = np.array([s.capacity_mm2 for s in graph.segments])
    demands = copper(n)
    by_length = route_cables(graph, demands, TABLES, options=RouteOptions(thin_media=False))
    thinned = route_cables(graph, demands, TABLES)
    # the one route: every cable's media follows its length without the option
    r0 = by_length.routes[demands[0].link]
    assert r0 is not None
    media, _, thick = media_at(demands[0].base_mm + r0.total_mm)
    assert media == "acc-100g"  # copper: an ACC at this length
    _, _, thin = media_at(demands[0].base_mm + r0.total_mm, thick - 1e-3)
    assert not by_length.media_limits
    need = n * thick - float(cap[list(r0.segments)].min())
    assert need > 0  # it overflows
    assert by_length.solver.status in ("INFEASIBLE", "UNKNOWN")
    # with it, just enough cables (all alike: each frees thick - thin) move
    assert len(thinned.media_limits) == math.ceil(need / (thick - thin) - 1e-9)
    assert set(thinned.media_limits.values()) == {thin}
    assert (loads(thinned, demands, len(cap)) <= cap + 1e-6).all()
    assert thinned.solver.status in ("OPTIMAL", "FEASIBLE")


def test_no_cable_moves_where_the_trays_have_room():
    floor = ladder(west=0.3, depth=0.1, east_tray=False)
    result = route_cables(pathways_from_floor(floor), copper(40), TABLES)
    assert not result.media_limits


def test_a_tray_no_media_can_fill_few_enough_stays_infeasible():
    """Even at the thinnest media the cables overfill X-W: the prices prove it, no cable
    moves (the plan keeps the media that cost least) and the plan says nothing fits."""
    floor = ladder(west=0.02, depth=0.02, east_tray=False)
    graph = pathways_from_floor(floor)
    demands = copper(60)
    result = route_cables(graph, demands, TABLES)
    cap = np.array([s.capacity_mm2 for s in graph.segments])
    _, _, thinnest = media_at(50_000)
    route = result.routes[demands[0].link]
    assert route is not None
    assert 60 * thinnest > float(cap[list(route.segments)].min())
    assert result.solver.status == "INFEASIBLE"
    assert not result.media_limits


def test_thinner_media_repeat():
    floor = ladder(west=0.05, depth=0.05, east_tray=False)
    graph = pathways_from_floor(floor)
    a = route_cables(graph, copper(90), TABLES)
    b = route_cables(graph, copper(90), TABLES)
    assert a.media_limits == b.media_limits and a.routes == b.routes
