"""floor.geojson: the floor's layers as GeoJSON, checked with shapely and the CSVs."""

from __future__ import annotations

import csv
import io
import json

import pytest
from shapely.geometry import LineString, Polygon, shape

from tests.conftest import EXAMPLE_NAMES
from topo.outputs.geojson import plan_to_geojson


def _doc(plan) -> dict:
    return json.loads(plan_to_geojson(plan)["floor.geojson"])


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_layers_match_the_plan_files(example_plans, example_folders, name):
    plan = example_plans[name]
    doc = _doc(plan)
    assert doc["type"] == "FeatureCollection" and doc["topo:units"] == "m"
    by = {}
    for f in doc["features"]:
        by.setdefault(f["properties"]["layer"], []).append(f)
    room = shape(by["room"][0]["geometry"])
    assert room.is_valid and room.equals(Polygon(plan.floor.outline))
    racks = {f["properties"]["id"]: shape(f["geometry"]) for f in by["rack"]}
    assert set(racks) == {r.id for r in plan.floor.racks}
    for rid, poly in racks.items():
        assert poly.is_valid and room.buffer(1e-6).contains(poly), rid
    folder = example_folders[name]
    trays = list(csv.DictReader(io.StringIO((folder / "trays.csv").read_text())))
    features = {f["properties"]["id"]: f["properties"] for f in by["tray"]}
    assert len(features) == len(trays)
    for row in trays:
        seg = row["segment"]
        assert features[seg]["cables"] == int(row["cables"]), seg
    cables = list(csv.DictReader(io.StringIO((folder / "cables.csv").read_text())))
    routed = sum(1 for c in cables if c["tray_route"])
    assert sum(f["properties"]["cables"] for f in by.get("route", [])) == routed
    for f in by.get("route", []):
        assert LineString(f["geometry"]["coordinates"]).is_valid


def test_fill_bands_follow_the_fill_against_its_limit(example_plans):
    doc = _doc(example_plans["ai-hall-spine-leaf"])
    for f in doc["features"]:
        p = f["properties"]
        if p["layer"] != "tray":
            continue
        share = p["fill"] / p["limit"]
        lo, hi = {"0-25": (0, 0.25), "25-50": (0.25, 0.5), "50-75": (0.5, 0.75)}.get(
            p["band"], (0.75, 1.0) if p["band"] == "75-100" else (1.0, 99)
        )
        assert lo - 1e-3 <= share <= hi + 1e-3, p


def test_geojson_is_deterministic(example_plans):
    plan = example_plans["ai-pod"]
    assert plan_to_geojson(plan) == plan_to_geojson(plan)
