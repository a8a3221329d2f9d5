"""Two data fabrics joined where the intent says so (``join`` on a fabric)."""

from __future__ import annotations

from collections import Counter

import pytest

from topo.catalog import builtin_catalog
from topo.errors import FabricError
from topo.planner import plan
from topo.scenario import parse_scenario


def _scenario(*, links: int = 8, spines: int = 32, other: str = "ib-64x400g-1u", name="compute"):
    return parse_scenario(
        {
            "name": "joined",
            "floor": "ai-hall",
            "servers": {"model": "gpu-8x400g-8u", "per_rack": 4, "racks": ["A", "B"]},
            "fabrics": [
                {
                    "name": "compute",
                    "kind": "rail-optimized",
                    "su_nodes": 32,
                    "leaf": {"model": "ib-64x400g-1u"},
                    "spine": {"model": "ib-64x400g-1u", "count": spines},
                },
                {
                    "name": "storage",
                    "kind": "clos",
                    "nics": "storage",
                    "leaf": {"model": other, "placement": "end-of-row"},
                    "spine": {"model": other, "count": 8},
                    "join": [{"fabric": name, "links": links}],
                },
            ],
        }
    )


@pytest.fixture(scope="module")
def joined():
    return plan(_scenario())


def test_join_links_run_between_the_two_top_tiers_on_free_ports(joined) -> None:
    devices = joined.placement.device_index()
    joins = [c for c in joined.cables if c.tier == "fabric-join"]
    assert len(joins) == 8 and all(c.status == "ok" for c in joins)
    assert {devices[c.a_device].fabric for c in joins} == {"storage"}
    assert {devices[c.b_device].fabric for c in joins} == {"compute"}
    assert {devices[c.a_device].role for c in joins} == {"spine"}
    assert {devices[c.b_device].role for c in joins} == {"spine"}
    # round robin: each storage spine once, eight different compute spines
    assert Counter(c.a_device for c in joins) == Counter(
        {f"storage-spine-{k:02d}": 1 for k in range(1, 9)}
    )
    assert len({c.b_device for c in joins}) == 8
    # no port carries two links, and every port exists on its switch
    ends = Counter((e.device, e.port) for link in joined.fabric.links for e in (link.a, link.b))
    assert max(ends.values()) == 1
    sw = builtin_catalog().switch_index
    for link in joined.fabric.links:
        if link.tier == "fabric-join":
            for e in (link.a, link.b):
                assert 1 <= e.port <= sum(g.count for g in sw[devices[e.device].model].ports)
    assert joined.summary["fabrics"]["storage"]["cables_by_tier"]["fabric-join"] == 8


def test_a_top_tier_without_spare_ports_is_named_with_the_way_out() -> None:
    with pytest.raises(FabricError) as err:
        plan(_scenario(spines=16))  # 16 spines take every leaf uplink: no port left
    text = str(err.value)
    assert "fabrics.1.join.0" in text and "'compute-spine-01', which has 0" in text
    assert "spine.count" in text


def test_a_join_names_another_data_fabric() -> None:
    with pytest.raises(FabricError, match=r"fabrics\.1\.join\.0\.fabric.*'nope'"):
        plan(_scenario(name="nope"))
    with pytest.raises(FabricError, match="not another data fabric"):
        plan(_scenario(name="storage"))


def test_infiniband_and_ethernet_are_not_cabled_together() -> None:
    with pytest.raises(FabricError, match="InfiniBand and 'storage' Ethernet"):
        plan(_scenario(other="sw-64x400g-1u"))


def test_avd_refuses_a_plan_with_joined_fabrics(joined) -> None:
    from topo.errors import ExportError
    from topo.outputs.avd import plan_to_avd

    with pytest.raises(ExportError, match="8 fabric-join links"):
        plan_to_avd(joined)


def test_a_new_join_on_an_installed_plan_keeps_every_installed_cable(tmp_path) -> None:
    import yaml

    from topo.outputs import write_plan
    from topo.scenario import load_scenario

    gen1 = _scenario().model_dump(mode="json", exclude_none=True)
    gen1["fabrics"][1].pop("join")
    gen1.update(name="gen1")
    (tmp_path / "gen1.yaml").write_text(yaml.safe_dump(gen1))
    write_plan(plan(load_scenario(tmp_path / "gen1.yaml")), tmp_path / "gen1-plan")
    gen2 = _scenario().model_dump(mode="json", exclude_none=True)
    gen2.update(name="gen2", existing="gen1-plan/")
    gen2["options"]["rewire"] = "minimal"
    (tmp_path / "gen2.yaml").write_text(yaml.safe_dump(gen2))
    p = plan(load_scenario(tmp_path / "gen2.yaml"))
    write_plan(p, tmp_path / "gen2-plan")
    before = (tmp_path / "gen1-plan" / "cables.csv").read_text().splitlines()
    after = set((tmp_path / "gen2-plan" / "cables.csv").read_text().splitlines())
    assert all(row in after for row in before)
    assert p.summary["changes"]["add"] == 8 and p.summary["changes"]["remove"] == 0
    ends = Counter((e.device, e.port) for link in p.fabric.links for e in (link.a, link.b))
    assert max(ends.values()) == 1
