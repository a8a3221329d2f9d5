"""Tests for the sweep format: reading, checking every path, expanding and naming variants."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from layouts import limits
from layouts.generate import regular_hall
from topo.batch.sweep import SweepError, check_path, expand_sweep, load_sweep, parse_sweep
from topo.scenario import parse_scenario

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "enterprise-hall.yaml"


def small_base() -> dict:
    """Two rows of four racks, network rack at position 1 of each row::

    [A01*][A02][A03][A04]   * network
    ==== T-A ==========
    [B01*][B02][B03][B04]
    """
    floor = regular_hall(rows=2, racks_per_row=4, network_positions=(1,))
    return {
        "name": "small",
        "floor": floor.model_dump(mode="json"),
        "servers": {"model": "srv-1u-2x25g", "per_rack": 4},
        "fabric": {
            "kind": "spine-leaf",
            "leaf": {"model": "sw-32x100g-1u"},
            "spine": {"model": "sw-32x100g-1u"},
        },
    }


def expand(data: dict, base_dir: Path = ROOT / "examples"):
    return expand_sweep(parse_sweep(data), base_dir=base_dir)


def problems_of(data: dict, base_dir: Path = ROOT / "examples") -> list[str]:
    with pytest.raises(SweepError) as err:
        expand(data, base_dir)
    return [str(p) for p in err.value.problems]


# -- expansion ---------------------------------------------------------------------------


def test_product_of_axes_in_order_with_stable_names():
    variants = expand(
        {
            "base": small_base(),
            "axes": {
                "fabric.leaf.placement": ["top-of-rack", "end-of-row"],
                "servers.per_rack": [2, 4],
            },
        }
    )
    assert [v.name for v in variants] == [
        "placement=top-of-rack,per_rack=2",
        "placement=top-of-rack,per_rack=4",
        "placement=end-of-row,per_rack=2",
        "placement=end-of-row,per_rack=4",
    ]
    v = variants[2]
    assert v.scenario.fabric.leaf.placement == "end-of-row"
    assert v.scenario.servers.per_rack == 2
    assert v.values == (("fabric.leaf.placement", "end-of-row"), ("servers.per_rack", "2"))


def test_adding_an_axis_value_keeps_every_other_name_and_hash():
    one = expand({"base": small_base(), "axes": {"servers.per_rack": [2, 4]}})
    two = expand({"base": small_base(), "axes": {"servers.per_rack": [2, 3, 4]}})
    kept = {(v.name, v.sha256) for v in one}
    assert kept <= {(v.name, v.sha256) for v in two}


def test_short_keys_tell_same_named_fields_apart():
    variants = expand(
        {
            "base": small_base(),
            "axes": {
                "fabric.leaf.model": ["sw-32x100g-1u"],
                "fabric.spine.model": ["sw-32x100g-1u", "sw-64x400g-1u"],
            },
        }
    )
    assert variants[1].name == "leaf.model=sw-32x100g-1u,spine.model=sw-64x400g-1u"


def test_canonical_json_round_trips_and_hashes():
    (v,) = expand({"base": small_base(), "axes": {"fabric.oversubscription": [3]}})
    assert v.sha256 == hashlib.sha256(v.scenario_json.encode()).hexdigest()
    assert parse_scenario(json.loads(v.scenario_json)) == v.scenario
    assert v.scenario_json.endswith("\n") and not isinstance(
        json.loads(v.scenario_json)["floor"], str
    )


def test_explicit_variants_and_sweep_wide_set():
    variants = expand(
        {
            "base": small_base(),
            "set": {"fabric.oversubscription": 3},
            "variants": [
                {"name": "eor", "set": {"fabric.leaf.placement": "end-of-row"}},
                {"set": {"servers.per_rack": 2, "fabric.spine.count": 2}},
            ],
        }
    )
    assert [v.name for v in variants] == ["eor", "per_rack=2,count=2"]
    assert all(v.scenario.fabric.oversubscription == 3 for v in variants)
    assert variants[1].scenario.fabric.spine.count == 2
    assert variants[0].scenario.fabric.leaf.placement == "end-of-row"


def test_paths_reach_into_a_shipped_layout_by_index_id_and_star():
    base = yaml.safe_load(EXAMPLE.read_text())  # floor: enterprise-hall (a name)
    variants = expand(
        {
            "base": base,
            "variants": [
                {"name": "all", "set": {"floor.trays.*.width": 0.45}},
                {"name": "one", "set": {"floor.trays.T-B.width": 0.6}},
                {"name": "idx", "set": {"floor.trays.0.depth": 0.15}},
            ],
        }
    )
    all_, one, idx = (v.scenario.floor for v in variants)
    assert {t.width for t in all_.trays} == {0.45}
    assert {t.id: t.width for t in one.trays}["T-B"] == 0.6
    assert {t.id: t.width for t in one.trays}["T-A"] == 0.3
    assert idx.trays[0].depth == 0.15


def test_list_elements_are_selected_by_name():
    base = small_base()
    fabric = base.pop("fabric")
    base["fabrics"] = [fabric | {"name": "compute"}]
    (v,) = expand({"base": base, "axes": {"fabrics.compute.oversubscription": [3]}})
    assert v.name == "oversubscription=3"
    assert v.scenario.fabrics[0].oversubscription == 3


def test_floor_axis_takes_layout_names(tmp_path):
    variants = expand(
        {"base": yaml.safe_load(EXAMPLE.read_text()), "axes": {"floor": ["enterprise-hall"]}}
    )
    assert variants[0].name == "floor=enterprise-hall"
    assert len(variants[0].scenario.floor.racks) == 40


def test_base_file_and_its_floor_file_are_read_relative_to_their_folders(tmp_path):
    (tmp_path / "halls").mkdir()
    floor = regular_hall(rows=1, racks_per_row=4, network_positions=(1,))
    (tmp_path / "halls" / "hall.yaml").write_text(yaml.safe_dump(floor.model_dump(mode="json")))
    base = small_base() | {"floor": "hall.yaml"}
    (tmp_path / "halls" / "base.yaml").write_text(yaml.safe_dump(base))
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(yaml.safe_dump({"base": "halls/base.yaml", "axes": {"servers.per_rack": [1]}}))
    (v,) = expand_sweep(load_sweep(sweep), base_dir=tmp_path)
    assert len(v.scenario.floor.racks) == 4


def test_long_names_are_cut_with_a_digest():
    values = ["x" * 70, "y" * 70]
    variants = expand({"base": small_base(), "axes": {"description": values}})
    names = [v.name for v in variants]
    assert all(len(n) <= 120 for n in names) and len(set(names)) == 2


# -- every problem named -----------------------------------------------------------------


def test_unknown_field_paths_are_named_with_the_fields_that_exist():
    problems = problems_of(
        {
            "base": small_base(),
            "axes": {
                "fabric.leaf.modle": ["a"],
                "servers.total": [1],
                "fabric.oversubscription.x": [1],
            },
        }
    )
    assert problems[0].startswith(
        "axes.fabric.leaf.modle: no such field in the scenario "
        "(fabric.leaf has: model, placement, per_rack"
    )
    assert problems[1].startswith("axes.servers.total: no such field")
    assert "fabric.oversubscription is a single value" in problems[2]
    assert len(problems) == 3


def test_bad_values_are_located_at_their_axis():
    problems = problems_of(
        {
            "base": small_base(),
            "axes": {
                "servers.per_rack": [4, -1],
                "fabric.leaf.placement": ["top-of-rack", "middle"],
            },
        }
    )
    assert any(p.startswith("axes.servers.per_rack:") and "-1" in p for p in problems)
    assert any(p.startswith("axes.fabric.leaf.placement:") and "middle" in p for p in problems)
    assert len(problems) == 2  # each reported once, not once per variant


def test_missing_list_elements_and_unknown_layouts_are_named():
    base = yaml.safe_load(EXAMPLE.read_text())
    problems = problems_of(
        {
            "base": base,
            "axes": {"floor.trays.T-Z.width": [0.6], "floor": ["enterprise-hall", "nohall"]},
        }
    )
    assert any(p.startswith("axes.floor.trays.T-Z.width:") and "'T-Z'" in p for p in problems)
    assert any(p.startswith("axes.floor:") and "nohall" in p for p in problems)


def test_explicit_variant_problems_name_the_variant():
    problems = problems_of(
        {
            "base": small_base(),
            "variants": [
                {"name": "ok", "set": {"servers.per_rack": 2}},
                {"name": "bad", "set": {"servers.per_rack": "many"}},
                {"name": "ok", "set": {"servers.per_rack": 3}},
            ],
        }
    )
    assert any(p.startswith("variants.bad.set.servers.per_rack:") for p in problems)
    assert any("both named 'ok'" in p for p in problems)


def test_repeated_axis_values_are_refused():
    problems = problems_of({"base": small_base(), "axes": {"servers.per_rack": [2, 2]}})
    assert problems == ["axes.servers.per_rack: values repeat: 2"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"axes": {"servers.per_rack": [1]}}, "missing required key 'base'"),
        ({"base": {}, "axes": {"servers.per_rack": []}}, "axes.servers.per_rack"),
        ({"base": {}, "axes": {}}, "at least one axis"),
        ({"base": {}}, "needs 'axes' or 'variants'"),
        ({"base": {}, "axes": {"a": [1]}, "variants": [{"set": {"a": 1}}]}, "not both"),
        ({"base": {}, "axes": {"a": [1]}, "colour": 1}, "unknown key 'colour'"),
        ({"base": {}, "variants": [{"name": "../up", "set": {"a": 1}}]}, "variants.0.name"),
        ({"base": {}, "variants": [{"name": "x", "sett": {"a": 1}}]}, "unknown key 'sett'"),
    ],
)
def test_malformed_sweeps_are_refused_with_the_key_named(data, expected):
    with pytest.raises(SweepError) as err:
        parse_sweep(data)
    assert expected in str(err.value)


def test_sweep_file_errors(tmp_path, monkeypatch):
    with pytest.raises(SweepError, match=r"sweep file '.*none\.yaml' not found"):
        load_sweep(tmp_path / "none.yaml")
    big = tmp_path / "big.yaml"
    big.write_text("base: {}\n" + "#" * 100 + "\n")
    base = tmp_path / "b.yaml"
    base.write_text("axes: {servers.per_rack: [1]}\nbase: big.yaml\n")
    monkeypatch.setattr(limits, "LIMITS", limits.Limits(max_file_bytes=50))
    with pytest.raises(SweepError, match=r"more than the limit 50 \(TOPO_MAX_FILE_BYTES\)"):
        load_sweep(big)
    with pytest.raises(SweepError, match=r"base: base scenario .* more than the limit 50"):
        expand_sweep(load_sweep(base), base_dir=tmp_path)
    monkeypatch.undo()
    with pytest.raises(SweepError, match="not a regular file"):
        load_sweep("/dev/zero")
    bad = tmp_path / "bad.yaml"
    bad.write_text("base: [unclosed\n")
    with pytest.raises(SweepError, match="malformed YAML at line"):
        load_sweep(bad)
    missing_base = tmp_path / "s.yaml"
    missing_base.write_text("base: nowhere.yaml\naxes: {servers.per_rack: [1]}\n")
    with pytest.raises(SweepError, match=r"nowhere\.yaml"):
        expand_sweep(load_sweep(missing_base), base_dir=tmp_path)


def test_check_path_accepts_every_kind_of_step():
    for path in (
        "fabric.leaf.model",
        "floor",
        "floor.trays.*.width",
        "floor.trays.T-A.width",
        "floor.rows.0.roles.5",
        "catalog.switches.sw-x.cost_usd",
        "options.seed",
        "fabrics.compute.oversubscription",
    ):
        assert check_path(path) is None, path
    assert check_path("floor..x") is not None
    assert check_path("floor.rows.0.origin.7") is not None
