"""Every user mistake is a 4xx whose body lists each problem with its location."""

from __future__ import annotations

import pytest

from tests.api.conftest import YAML

MALFORMED = [
    (b"name: [unclosed", "application/yaml", "malformed YAML at line 1"),
    (b'{"name": ', "application/json", "malformed JSON at line 1, column 10"),
    (b"   ", "application/json", "the request body is empty"),
    (b"\xff\xfe name: x", "application/yaml", "not UTF-8"),
    (b'{"x": NaN}', "application/json", "numbers must be finite"),
    (b"x: .inf", "application/yaml", "numbers must be finite"),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", "nested too deeply"),
]


@pytest.mark.parametrize(("body", "media", "message"), MALFORMED)
@pytest.mark.parametrize("route", ["/v1/plans", "/v1/scenarios/validate"])
def test_malformed_bodies_are_400(client, route, body, media, message):
    r = client.post(route, content=body, headers={"content-type": media})
    assert r.status_code == 400, r.text
    (problem,) = r.json()["problems"]
    assert problem["location"] == "body"
    assert message in problem["message"]


def test_yaml_alias_bombs_are_refused_before_validation(client):
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        bomb.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [{', '.join(['*' + prev] * 10)}]")
    r = client.post("/v1/plans", content="\n".join(bomb).encode(), headers=YAML)
    assert r.status_code == 400
    assert "more than 200,000 values" in r.json()["detail"]


def test_other_media_types_are_415(client, scenario_yaml):
    r = client.post("/v1/plans", content=scenario_yaml, headers={"content-type": "text/csv"})
    assert r.status_code == 415
    assert r.json()["problems"][0]["location"] == "content-type"


def test_format_mistakes_are_422_each_located(client, scenario_yaml):
    body = scenario_yaml.replace(b"per_rack: 12", b"per_rack: -1\n  colour: red")
    body = body.replace(b"count: 4", b"count: many")
    r = client.post("/v1/plans", content=body, headers=YAML)
    assert r.status_code == 422
    got = {p["location"]: p for p in r.json()["problems"]}
    assert set(got) == {"servers.per_rack", "servers.colour", "fabric.spine.count"}
    assert got["servers.per_rack"]["value"] == -1
    assert got["servers.colour"]["message"] == "unknown key 'colour'"
    assert got["fabric.spine.count"]["value"] == "many"
    assert r.json()["detail"] == "3 problems found"


def test_unknown_keys_that_look_like_type_names_are_located(client, scenario_yaml):
    r = client.post("/v1/plans", content=scenario_yaml + b"Rack: 1\n", headers=YAML)
    assert r.status_code == 422
    assert r.json()["problems"] == [
        {"location": "Rack", "message": "unknown key 'Rack'", "value": "Rack"}
    ]


@pytest.mark.parametrize(
    ("floor", "message"),
    [
        ("../../etc/passwd", "is a file path"),
        ("/etc/topo/hall.yaml", "is a file path"),
        ("hall.yaml", "is a file path"),
        ("no-such-hall", "unknown layout 'no-such-hall'"),
    ],
)
def test_a_scenario_may_only_name_shipped_layouts(client, scenario_yaml, floor, message):
    body = scenario_yaml.replace(b"floor: enterprise-hall", f"floor: {floor}".encode())
    r = client.post("/v1/plans", content=body, headers=YAML)
    assert r.status_code == 422
    (problem,) = r.json()["problems"]
    assert problem["location"] == "floor"
    assert problem["value"] == floor
    assert message in problem["message"]


def test_a_scenario_may_not_name_an_installed_plan_folder(client, scenario_yaml):
    r = client.post("/v1/plans", content=scenario_yaml + b"existing: gen1-plan/\n", headers=YAML)
    assert r.status_code == 422
    (problem,) = r.json()["problems"]
    assert problem["location"] == "existing"
    assert problem["value"] == "gen1-plan/"


def test_bad_query_parameters_are_422_located(client):
    r = client.get("/v1/plans?limit=0&offset=-1")
    assert r.status_code == 422
    assert {p["location"] for p in r.json()["problems"]} == {"query.limit", "query.offset"}


def test_unknown_routes_and_methods_answer_the_error_body(client):
    r = client.get("/v1/nothing")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not Found", "problems": []}
    r = client.put("/v1/plans")
    assert r.status_code == 405
    assert r.json()["detail"] == "Method Not Allowed"


def test_validate_reports_every_problem_without_planning(client, scenario_yaml):
    ok = client.post("/v1/scenarios/validate", content=scenario_yaml, headers=YAML)
    assert ok.status_code == 200
    assert ok.json() == {"valid": True, "problems": []}
    body = scenario_yaml.replace(b"sw-64x400g-1u", b"sw-nope")
    r = client.post("/v1/scenarios/validate", content=body, headers=YAML)
    assert r.status_code == 200
    assert r.json()["valid"] is False
    assert [p["location"] for p in r.json()["problems"]] == ["fabric.spine.model"]
    assert client.get("/v1/plans").json()["total"] == 0


def test_validate_lists_floor_geometry_problems(client, scenario_yaml):
    floor = client.get("/v1/layouts/enterprise-hall").json()["floor"]
    import yaml

    scenario = yaml.safe_load(scenario_yaml)
    floor["rows"][0]["origin"] = [-5.0, 1.8]  # row A now starts outside the room
    r = client.post("/v1/scenarios/validate", json={**scenario, "floor": floor})
    assert r.status_code == 200
    problems = r.json()["problems"]
    assert problems
    assert any("A01" in p["location"] or "A01" in p["message"] for p in problems)
    # and planning it is refused with the same problems
    plan = client.post("/v1/plans", json={**scenario, "floor": floor})
    assert plan.status_code == 422
    assert plan.json()["problems"] == problems
