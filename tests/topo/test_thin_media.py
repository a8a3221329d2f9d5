"""Plans that fit their trays by giving some cables thinner media than their length
calls for (``options.thin_media``), checked from the plan's cables and the catalog's
media alone.

The hall: four rows of eight racks, network racks at positions 3 and 4, a cross tray
every two racks, 0.15 m row trays. Its naive placement puts the leaves' copper to the
GPU nodes in the row trays beside the network racks, which they overfill.
"""

from __future__ import annotations

import math
from functools import cache

import pytest

from layouts.generate import regular_hall
from tests.topo.ladder_hall import assert_same_outputs
from tests.topo.placement.rail import rail_scenario
from tests.topo.routing.test_thin_media import cheapest_media
from topo.cables import Cable
from topo.catalog import Catalog
from topo.outputs.exports import render_plan
from topo.plan import Plan
from topo.planner import plan
from topo.scenario import Scenario


def _scenario(*, placement: str = "naive", thin: bool = True, width: float = 0.15) -> Scenario:
    floor = regular_hall(
        name="T", rows=4, racks_per_row=8, network_positions=(3, 4), cross_every=2,
        tray_width=width, power_kw=50.0,
    )  # fmt: skip
    s = rail_scenario(floor, name="thin", per_rack=4, su_nodes=16)
    options = s.options.model_copy(update={"placement": placement, "thin_media": thin})
    return s.model_copy(update={"options": options})


@cache
def _plan(placement: str = "naive", thin: bool = True, width: float = 0.15) -> Plan:
    return plan(_scenario(placement=placement, thin=thin, width=width))


def _cheapest(catalog: Catalog, c: Cable) -> tuple[str, int, float]:
    """The cheapest media (id, cost in cents, mm²) of the cable's speed whose stock covers
    its length, from the catalog's media alone."""
    base = c.length_mm - 2 * round(catalog.media_index[c.media].slack_m * 1000)
    return cheapest_media((m for m in catalog.media if m.speed_gbps == c.speed_gbps), base)


def _loads(p: Plan, area_of) -> dict[int, float]:
    out: dict[int, float] = {}
    for c in p.cables:
        for s in c.segments:
            out[s] = out.get(s, 0.0) + area_of(c)
    return out


def test_without_thinner_media_the_naive_placement_overflows():
    p = _plan(thin=False)
    assert p.overflows and not p.thinned
    for c in p.cables:
        if c.status == "ok" and c.a_rack != c.b_rack:
            assert c.media == _cheapest(p.catalog, c)[0]


def test_thinner_media_make_the_naive_placement_fit():
    p = _plan()
    area = {m.id: m.area_mm2 for m in p.catalog.media}
    # fits: the fill summed here from every cable's media
    for s, mm2 in _loads(p, lambda c: area[c.media]).items():
        assert mm2 <= p.pathways.segments[s].capacity_mm2 + 1e-6, p.pathways.segments[s].id
    assert not p.overflows and p.solver.status in ("OPTIMAL", "FEASIBLE")
    moved = [c for c in p.cables if c.link in p.thinned]
    assert moved
    extra = 0
    for c in p.cables:
        if c.status != "ok" or c.a_rack == c.b_rack:
            continue
        media, cents, mm2 = _cheapest(p.catalog, c)
        if c.link in p.thinned:
            # thinner and dearer than what its length calls for
            assert area[c.media] < mm2 and c.cost_cents > cents
            assert p.thinned[c.link] == (media, c.media, c.cost_cents - cents)
            extra += c.cost_cents - cents
        else:
            assert c.media == media
    # each moved cable was needed: with every moved cable back on the media its length
    # calls for, some segment on its route would overflow
    back = _loads(p, lambda c: _cheapest(p.catalog, c)[2])
    over = {s for s, mm2 in back.items() if mm2 > p.pathways.segments[s].capacity_mm2 + 1e-6}
    assert over
    for c in moved:
        assert over & set(c.segments), c.link
    summary = p.summary
    assert summary.thin_media is not None
    assert summary.thin_media.cables == len(moved)
    assert summary.thin_media.extra_cost_usd == pytest.approx(extra / 100)
    assert sum(summary.thin_media.by_media.values()) == len(moved)
    assert any(f"{len(moved):,} cables moved to thinner media" in n for n in p.notes)
    # every claim still holds: the bounds are below the plan
    assert p.lower_bound_cost_cents <= p.cable_cost_cents
    assert p.lower_bound_mm <= p.total_length_mm


def test_a_placement_that_fits_without_thinner_media_is_preferred():
    """Placed by the optimizer, the same hall fits with every cable on the media its
    length calls for: the plan that first fitted with thinner media is re-placed."""
    p = _plan(placement="optimize")
    assert not p.overflows and not p.thinned
    assert p.placement_report is not None and p.placement_report.rounds >= 2


def test_thinner_media_repeat_byte_for_byte():
    a, b = render_plan(plan(_scenario())), render_plan(plan(_scenario()))
    assert_same_outputs(a, b)


def test_no_cable_moves_on_trays_with_room():
    p = _plan(width=0.6)
    assert not p.overflows and not p.thinned and p.summary.thin_media is None
    assert math.isfinite(p.gap)
