"""Problems from pydantic validation errors keep the offending key, whatever its name."""

from __future__ import annotations

import pytest

from topo.errors import ScenarioError
from topo.scenario import parse_scenario

BASE = {
    "floor": "enterprise-hall",
    "servers": {"model": "srv-1u-2x25g", "per_rack": 12},
    "fabric": {"kind": "spine-leaf", "leaf": {"model": "m"}, "spine": {"model": "m"}},
}


@pytest.mark.parametrize("key", ["Rack", "my key", "str", "0"])
def test_unknown_keys_are_named_even_when_they_look_like_markers(key):
    with pytest.raises(ScenarioError) as info:
        parse_scenario({**BASE, "servers": {**BASE["servers"], key: 1}})
    (problem,) = info.value.problems
    assert problem.location == f"servers.{key}"
    assert problem.message == f"unknown key {key!r}"
