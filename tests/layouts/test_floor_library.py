"""Tests for shipped layouts and for reading and writing floor files."""

from __future__ import annotations

import doctest
import json

import pytest
from pydantic import ValidationError
from shapely.geometry import LineString, Polygon

import layouts
from layouts import generate, library, validate
from layouts.errors import LayoutError, ScenarioError
from layouts.generate import regular_hall
from layouts.library import (
    LayoutInfo,
    floor_from_data,
    floor_to_yaml,
    list_layouts,
    load_layout,
    read_floor,
)
from layouts.model import Floor
from layouts.validate import validate_floor

SHIPPED = ["ai-hall", "enterprise-hall"]


def test_list_layouts():
    infos = list_layouts()
    assert [i.name for i in infos] == SHIPPED
    by_name = {i.name: i for i in infos}
    assert by_name["enterprise-hall"] == LayoutInfo(
        name="enterprise-hall",
        description=by_name["enterprise-hall"].description,
        racks=40,
        network_racks=2,
        trays=6,
    )
    assert by_name["ai-hall"].racks == 180
    assert by_name["ai-hall"].network_racks == 20
    assert all(i.description for i in infos)
    with pytest.raises(ValidationError):
        infos[0].racks = 1  # frozen


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_layout_validates_cleanly(name):
    floor = load_layout(name)
    assert validate_floor(floor) == []
    assert floor.racks
    assert any(r.role == "network" for r in floor.racks)


def test_enterprise_hall_is_not_a_rectangle():
    floor = load_layout("enterprise-hall")
    room = Polygon(floor.outline)
    assert len(floor.outline) > 4
    assert room.area < room.envelope.area
    assert {k.kind for k in floor.keepouts} >= {"column", "cooling"}
    assert [r.id for r in floor.racks if r.role == "network"] == ["B05", "C05"]
    assert {(r.size_x, r.size_y, r.height_u) for r in floor.racks} == {(0.6, 1.2, 48)}


def test_ai_hall_has_columns_in_aisles_and_wide_backbones():
    floor = load_layout("ai-hall")
    assert 8 <= len(floor.rows) <= 12
    assert all(16 <= row.count <= 20 for row in floor.rows)
    assert all(40 <= r.power_kw <= 60 for r in floor.racks)
    columns = [Polygon(k.outline) for k in floor.keepouts if k.kind == "column"]
    assert len(columns) >= 4
    racks = [Polygon(r.corners) for r in floor.racks]
    assert all(c.intersection(r).area == 0 for c in columns for r in racks)
    widths = {t.id: t.width for t in floor.trays}
    assert {w for t, w in widths.items() if t.startswith("T-")} == {0.3}
    assert {w for t, w in widths.items() if t.startswith("X-")} == {0.6}
    # the middle backbone runs over the network racks in the middle of every row
    middle = LineString(next(t.path for t in floor.trays if t.id == "X-02"))
    network = [r for r in floor.racks if r.role == "network"]
    assert all(middle.distance(Polygon(r.corners)) == 0 for r in network)


def test_load_unknown_layout_lists_known_ones():
    with pytest.raises(LayoutError, match="unknown layout 'tiny'") as info:
        load_layout("tiny")
    assert "'ai-hall', 'enterprise-hall'" in str(info.value)
    assert info.value.problems[0].value == "tiny"
    with pytest.raises(LayoutError, match="unknown layout"):
        load_layout("../data/ai-hall")


def test_public_names_exported():
    for name in ("validate_floor", "check_floor", "regular_hall", "load_layout", "read_floor"):
        assert name in layouts.__all__
        assert callable(getattr(layouts, name))


# -- read_floor ------------------------------------------------------------------------

HALL = """\
description: A two-rack test hall.
name: T1
outline: [[0, 0], [6, 0], [6, 4], [0, 4]]
rows:
  - {id: A, origin: [1, 1], count: 2, roles: {2: network}}
trays:
  - {id: T-A, path: [[1, 1.6], [2.2, 1.6]]}
"""


def test_read_yaml(tmp_path):
    p = tmp_path / "hall.yaml"
    p.write_text(HALL)
    floor = read_floor(p)
    assert floor.name == "T1"
    assert [(r.id, r.role) for r in floor.racks] == [("A01", "compute"), ("A02", "network")]
    assert read_floor(str(p)) == floor


def test_read_json(tmp_path):
    data = {
        "name": "T1",
        "outline": [[0, 0], [6, 0], [6, 4], [0, 4]],
        "rows": [{"id": "A", "origin": [1, 1], "count": 2, "roles": {"2": "network"}}],
        "trays": [{"id": "T-A", "path": [[1, 1.6], [2.2, 1.6]]}],
    }
    p = tmp_path / "hall.json"
    p.write_text(json.dumps(data))
    assert read_floor(p) == read_floor_text(tmp_path, HALL)


def read_floor_text(tmp_path, text: str, suffix: str = ".yaml") -> Floor:
    p = tmp_path / f"floor{suffix}"
    p.write_text(text)
    return read_floor(p)


def test_read_missing_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError, match="not found") as info:
        read_floor(missing)
    assert info.value.problems[0].location == str(missing)


def test_read_directory(tmp_path):
    with pytest.raises(ScenarioError, match="is a directory"):
        read_floor(tmp_path)


def test_read_malformed_yaml_gives_line_and_column(tmp_path):
    text = "name: T1\noutline: [[0, 0], [6, 0]\nrows: []\n"
    with pytest.raises(ScenarioError, match=r"malformed YAML at line 3, column \d+"):
        read_floor_text(tmp_path, text)


def test_read_malformed_json_gives_line_and_column(tmp_path):
    with pytest.raises(ScenarioError, match="malformed JSON at line 2, column 1"):
        read_floor_text(tmp_path, '{"name": "T1",\n}', suffix=".json")


def test_read_duplicate_key(tmp_path):
    with pytest.raises(
        ScenarioError,
        match=r"line 8, column 1: found duplicate key 'name' \(first given at line 2\)",
    ):
        read_floor_text(tmp_path, HALL + "name: T2\n")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "the floor file is empty"),
        ("- 1\n- 2\n", "a floor must be a mapping of keys, got a list"),
        ("just text", "a floor must be a mapping of keys, got a str"),
    ],
)
def test_read_not_a_mapping(tmp_path, text, match):
    with pytest.raises(ScenarioError, match=match):
        read_floor_text(tmp_path, text)


def test_read_unknown_keys_and_wrong_types_all_reported(tmp_path):
    text = HALL.replace("count: 2", "count: many, colour: red") + "fill_limit: 2\nspeed: 9\n"
    with pytest.raises(ScenarioError) as info:
        read_floor_text(tmp_path, text)
    got = {(p.location, p.message) for p in info.value.problems}
    assert got == {
        (
            "floor.rows.0.count",
            "Input should be a valid integer, unable to parse string as an integer (got 'many')",
        ),
        ("floor.rows.0.colour", "unknown key 'colour'"),
        ("floor.fill_limit", "Input should be less than or equal to 1 (got 2)"),
        ("floor.speed", "unknown key 'speed'"),
    }


def test_read_missing_outline_and_bad_role(tmp_path):
    text = "rows:\n  - {id: A, origin: [1, 1], count: 2, roles: {2: netwrk}}\n"
    with pytest.raises(ScenarioError) as info:
        read_floor_text(tmp_path, text)
    got = [(p.location, p.message) for p in info.value.problems]
    assert ("floor.outline", "missing required key 'outline'") in got
    assert any(loc == "floor.rows.0.roles.2" and "netwrk" in msg for loc, msg in got)


def test_read_description_must_be_text(tmp_path):
    with pytest.raises(ScenarioError, match=r"floor\.description: description must be a string"):
        read_floor_text(
            tmp_path, HALL.replace("description: A two-rack test hall.", "description: [1]")
        )


def test_floor_from_data_strips_description():
    floor = floor_from_data({"description": "x", "outline": [[0, 0], [4, 0], [4, 3]]})
    assert floor.outline == ((0, 0), (4, 0), (4, 3))


# -- floor_to_yaml ---------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_layouts_round_trip(tmp_path, name):
    floor = load_layout(name)
    assert read_floor_text(tmp_path, floor_to_yaml(floor, description="again")) == floor


def test_generated_hall_round_trips(tmp_path):
    floor = regular_hall(
        rows=5, racks_per_row=12, network_positions=(6,), column_every=4.0, cross_every=4
    )
    text = floor_to_yaml(floor, description="line one\nline two\n")
    assert text.startswith("description: |\n  line one\n  line two\n")
    assert read_floor_text(tmp_path, text) == floor


def test_doctests():
    for module in (validate, generate, library):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__
