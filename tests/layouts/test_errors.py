"""Problems keep the offending key, whatever its name, and always serialise to JSON."""

from __future__ import annotations

import json

import pytest

from layouts.errors import Problem
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


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (float("inf"), "inf"),
        (float("-inf"), "-inf"),
        (float("nan"), "nan"),
        (2.5, 2.5),
        (3, 3),
        ("A01", "A01"),
        (None, None),
        ((1, 2), "(1, 2)"),
    ],
)
def test_problem_values_are_json_safe(value, expected):
    d = Problem("floor.trays.0", "tray '0' leaves the room", value).to_dict()
    assert d["value"] == expected
    json.dumps(d, allow_nan=False)
