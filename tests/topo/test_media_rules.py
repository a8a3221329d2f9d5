"""Media rules: a fabric or a catalog entry that forbids media kinds (no AOC here)."""

from __future__ import annotations

from collections import Counter

import pytest

from topo.catalog import builtin_catalog
from topo.errors import FabricError
from topo.planner import plan, validate_scenario
from topo.scenario import parse_scenario


def pod(media=None, **fabric) -> dict:
    """16 GPU nodes in racks A01-A04 of the ai-hall, one rail-optimized fabric."""
    f = {"kind": "rail-optimized", "su_nodes": 16, "leaf": {"model": "ib-64x400g-1u"},
         "spine": {"model": "ib-64x400g-1u"}, **fabric}  # fmt: skip
    if media is not None:
        f["media"] = media
    return {
        "floor": "ai-hall",
        "servers": {"model": "gpu-8x400g-8u", "per_rack": 4, "racks": ["A01", "A02", "A03", "A04"]},
        "fabric": f,
        "options": {"routing": "shortest", "placement": "naive"},
    }


def kinds(p) -> Counter:
    return Counter(c.kind for c in p.cables)


def test_a_fabric_without_aoc_takes_the_next_cheapest_media():
    free = plan(parse_scenario(pod()))
    assert kinds(free)["aoc"] > 0  # the cheapest at these lengths, so the rule matters
    ruled = plan(parse_scenario(pod({"exclude": ["aoc"]})))
    assert kinds(ruled)["aoc"] == 0
    assert all(c.status == "ok" for c in ruled.cables)
    assert len(ruled.cables) == len(free.cables)
    # the AOC links went to optics, the rest kept their media
    assert kinds(ruled)["dac"] == kinds(free)["dac"]
    assert ruled.summary["cost_usd"] >= free.summary["cost_usd"]


def test_allow_lists_the_kinds_a_link_may_use():
    p = plan(parse_scenario(pod({"allow": ["dac", "smf"]})))
    assert set(kinds(p)) <= {"dac", "smf"}


def test_a_switch_model_may_forbid_a_kind():
    ib = builtin_catalog().switch("ib-64x400g-1u").model_dump()
    ib["media"] = {"exclude": ["aoc"]}
    sc = pod()
    sc["catalog"] = {"switches": [ib]}
    assert kinds(plan(parse_scenario(sc)))["aoc"] == 0


def test_a_rule_no_media_satisfies_is_an_error_naming_the_link():
    sc = parse_scenario(pod({"allow": ["copper"]}))  # no 400G copper in the catalog
    with pytest.raises(FabricError, match=r"link 'fabric-L0+1' at 400G has no media") as exc:
        plan(sc)
    assert "fabric 'fabric': only copper" in str(exc.value)
    assert "400G media are acc, aoc, dac, mmf, smf" in str(exc.value)
    assert validate_scenario(sc)


def test_a_link_longer_than_every_allowed_media_is_flagged_with_its_length():
    p = plan(parse_scenario(pod({"allow": ["dac"]})))  # 2 m DAC cannot reach the spines
    bad = [d for d in p.diagnostics if "longest 400G media is 'dac-400g' at 2 m" in d.message]
    assert bad and all(" m before slack" in d.message for d in bad)
    assert {c.status for c in p.cables} == {"ok", "no-media"}
