"""Switch placement keeps rows and the hall within their power budgets.

Each check sums the placed devices' catalog power per row from the plan itself, not
from the placement's own bookkeeping.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from layouts.generate import regular_hall
from topo.errors import InfeasibleError
from topo.planner import plan
from topo.scenario import parse_scenario


def _scenario(floor, placement: str = "optimize"):
    return parse_scenario(
        {
            "name": "budgets",
            "floor": floor.model_dump(),
            "servers": {"model": "srv-1u-2x25g", "per_rack": 12},
            "fabric": {
                "kind": "spine-leaf",
                "name": "dc",
                "leaf": {"model": "tor-48x25g-8x100g", "placement": "top-of-rack"},
                "spine": {"model": "sw-64x400g-1u", "count": 6},
            },
            "options": {"placement": placement},
        }
    )


def _hall():
    return regular_hall(name="P", rows=2, racks_per_row=6, network_positions=(3,), power_kw=30)


def _row_power(p) -> dict[str, float]:
    racks = p.floor.rack_index
    out: dict[str, float] = defaultdict(float)
    for d in p.placement.devices:
        out[racks[d.rack].row] += d.power_w
    return out


def _with_row_budget(floor, row: str, kw: float):
    rows = tuple(
        r.model_copy(update={"power_budget_kw": kw}) if r.id == row else r for r in floor.rows
    )
    return floor.model_copy(update={"rows": rows})


@pytest.fixture(scope="module")
def unbounded():
    return plan(_scenario(_hall(), "naive"))


def _spine_w(p) -> float:
    return next(d.power_w for d in p.placement.devices if d.role == "spine")


@pytest.mark.parametrize("placement", ["naive", "optimize"])
def test_a_row_budget_holds_the_spines_it_has_room_for(unbounded, placement: str) -> None:
    racks = unbounded.floor.rack_index
    spines = [d for d in unbounded.placement.devices if d.role == "spine"]
    assert sum(racks[d.rack].row == "A" for d in spines) > 1  # unbounded, A takes several
    fixed_a = _row_power(unbounded)["A"] - sum(
        d.power_w for d in spines if racks[d.rack].row == "A"
    )
    budget_kw = (fixed_a + 1.5 * _spine_w(unbounded)) / 1000  # room for one spine
    floor = _with_row_budget(unbounded.floor, "A", budget_kw)
    p = plan(_scenario(floor, placement))
    placed = p.floor.rack_index
    in_a = [d for d in p.placement.devices if d.role == "spine" and placed[d.rack].row == "A"]
    assert len(in_a) <= 1
    assert _row_power(p)["A"] <= budget_kw * 1000 + 1e-6
    assert len([d for d in p.placement.devices if d.role == "spine"]) == len(spines)


def test_a_hall_budget_too_small_for_the_spines_is_an_error_naming_it(unbounded) -> None:
    spines = sum(d.power_w for d in unbounded.placement.devices if d.role == "spine")
    rest = sum(_row_power(unbounded).values()) - spines
    floor = unbounded.floor.model_copy(update={"power_budget_kw": (rest + spines / 2) / 1000})
    with pytest.raises(InfeasibleError) as err:
        plan(_scenario(floor, "naive"))
    text = str(err.value)
    assert "do not fit" in text and "hall power budget left" in text
