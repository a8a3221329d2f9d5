"""Plans as resources: post, follow, list, download, delete, reuse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.jobs import media_type_of
from api.main import create_app
from tests.api.conftest import DEFAULT_SCENARIO, YAML, make_settings, wait_finished
from topo.cli import app as cli
from topo.outputs.exports import OUTPUT_FILES
from topo.planner import plan
from topo.scenario import load_scenario


@pytest.fixture(scope="module")
def stages() -> int:
    """How many progress messages the planner sends for the default scenario."""
    said: list[str] = []
    plan(load_scenario(DEFAULT_SCENARIO), progress=said.append)
    assert said
    return len(said)


def _mask_seconds(plan_json: bytes) -> dict:
    doc = json.loads(plan_json)
    assert "seconds" not in doc["summary"]["solver"]  # no measured time in a plan file
    return doc


def test_post_yaml_answers_201_with_summary_and_location(client, scenario_yaml, stages):
    r = client.post("/v1/plans", content=scenario_yaml, headers=YAML)
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/v1/plans/{body['id']}"
    assert body["status"] == "done"
    assert body["scenario"] == "enterprise-hall"
    assert body["summary"]["devices"] == {"leaf": 38, "server": 456, "spine": 4}
    assert body["summary"]["unrouted"] == 0
    assert body["progress"] == {"stage": "done", "stages_done": stages}
    assert body["finished_at"] >= body["started_at"] >= body["created_at"]
    assert set(body["files"]) == set(OUTPUT_FILES)
    assert client.get(r.headers["location"]).json() == body


def test_downloads_are_the_bytes_the_cli_writes(client, scenario_yaml, tmp_path: Path):
    body = client.post("/v1/plans", content=scenario_yaml, headers=YAML).json()
    result = CliRunner().invoke(cli, ["plan", str(DEFAULT_SCENARIO), "-o", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    for name in OUTPUT_FILES:
        r = client.get(f"/v1/plans/{body['id']}/{name}")
        assert r.status_code == 200
        assert r.headers["content-disposition"] == f'attachment; filename="{name}"'
        cli_bytes = (tmp_path / name).read_bytes()
        assert r.headers["content-type"] == media_type_of(name)
        if name == "plan.json":
            assert _mask_seconds(r.content) == _mask_seconds(cli_bytes)
            assert r.json()["summary"] == body["summary"]
        else:
            assert r.content == cli_bytes, name
    # served again, byte for byte the stored run (seconds included)
    first = client.get(f"/v1/plans/{body['id']}/plan.json").content
    assert client.get(f"/v1/plans/{body['id']}/plan.json").content == first


def test_json_and_yaml_bodies_are_the_same_scenario(client, scenario_yaml):
    as_json = json.dumps(yaml.safe_load(scenario_yaml), sort_keys=True).encode()
    a = client.post("/v1/plans", content=scenario_yaml, headers=YAML)
    b = client.post("/v1/plans", content=as_json, headers={"content-type": "application/json"})
    assert a.status_code == 201
    assert b.status_code == 200  # answered from the stored plan
    assert b.json()["id"] == a.json()["id"]
    assert b.headers["location"] == a.headers["location"]
    c = client.post("/v1/plans?reuse=false", content=as_json)
    assert c.status_code == 201
    assert c.json()["id"] != a.json()["id"]
    assert c.json()["scenario_hash"] == a.json()["scenario_hash"]
    assert c.json()["summary"]["cables"] == a.json()["summary"]["cables"]


def test_a_changed_scenario_is_planned_again(client, scenario_yaml):
    a = client.post("/v1/plans", content=scenario_yaml, headers=YAML).json()
    changed = scenario_yaml.replace(b"per_rack: 12", b"per_rack: 10")
    b = client.post("/v1/plans", content=changed, headers=YAML)
    assert b.status_code == 201
    assert b.json()["scenario_hash"] != a["scenario_hash"]
    assert b.json()["summary"]["devices"]["server"] == 380


def test_inline_floor_from_the_layouts_route_plans_like_the_named_one(client, scenario_yaml):
    floor = client.get("/v1/layouts/enterprise-hall").json()["floor"]
    scenario = yaml.safe_load(scenario_yaml)
    named = client.post("/v1/plans", json=scenario).json()
    inline = client.post("/v1/plans", json={**scenario, "floor": floor}).json()
    assert inline["id"] != named["id"]
    assert inline["summary"] == named["summary"] | {"solver": inline["summary"]["solver"]}


def test_slow_plans_are_accepted_and_run_in_the_background(tmp_path, scenario_yaml, stages):
    with TestClient(create_app(make_settings(tmp_path, sync_budget_s=0))) as client:
        r = client.post("/v1/plans", content=scenario_yaml, headers=YAML)
        assert r.status_code == 202
        assert r.json()["status"] in ("queued", "running")
        assert r.json()["summary"] is None
        # an identical scenario on its way is not planned twice
        again = client.post("/v1/plans", content=scenario_yaml, headers=YAML)
        assert again.status_code in (200, 202)
        assert again.json()["id"] == r.json()["id"]
        done = wait_finished(client, r.json()["id"], 30)
        assert done["status"] == "done"
        assert done["summary"]["cables"] == 1216
        assert done["progress"]["stages_done"] == stages


def test_failure_in_the_background_keeps_every_problem(tmp_path, scenario_yaml):
    wrong = scenario_yaml.replace(b"sw-64x400g-1u", b"sw-nope")
    with TestClient(create_app(make_settings(tmp_path, sync_budget_s=0))) as client:
        r = client.post("/v1/plans", content=wrong, headers=YAML)
        assert r.status_code == 202
        failed = wait_finished(client, r.json()["id"], 30)
        assert failed["status"] == "failed"
        assert failed["failure"] == "invalid"
        assert failed["problems"][0]["location"] == "fabric.spine.model"
        assert failed["problems"][0]["value"] == "sw-nope"
        assert failed["files"] == {}
        r = client.get(f"/v1/plans/{failed['id']}/cables.csv")
        assert r.status_code == 409
        assert "failed" in r.json()["detail"]


def test_failure_within_the_budget_is_a_422_and_leaves_no_plan(client, scenario_yaml):
    wrong = scenario_yaml.replace(b"sw-64x400g-1u", b"sw-nope")
    r = client.post("/v1/plans", content=wrong, headers=YAML)
    assert r.status_code == 422
    (problem,) = r.json()["problems"]
    assert problem["location"] == "fabric.spine.model"
    assert "unknown switch model 'sw-nope'" in problem["message"]
    assert client.get("/v1/plans").json()["total"] == 0


def test_a_plan_over_the_time_limit_fails_with_the_reason(tmp_path, scenario_yaml):
    settings = make_settings(tmp_path, solver_time_limit_s=0.001, sync_budget_s=30)
    with TestClient(create_app(settings)) as client:
        r = client.post("/v1/plans", content=scenario_yaml, headers=YAML)
        assert r.status_code == 201
        assert r.json()["status"] == "failed"
        assert r.json()["failure"] == "time-limit"
        assert "limit of 0.001 s" in r.json()["reason"]
        # a failed plan is not reused
        again = client.post("/v1/plans", content=scenario_yaml, headers=YAML)
        assert again.json()["id"] != r.json()["id"]


def test_list_is_paged_newest_first(client, scenario_yaml):
    ids = []
    for per_rack in (8, 9, 10):
        body = scenario_yaml.replace(b"per_rack: 12", f"per_rack: {per_rack}".encode())
        ids.append(client.post("/v1/plans", content=body, headers=YAML).json()["id"])
    page = client.get("/v1/plans?limit=2").json()
    assert [p["id"] for p in page["items"]] == [ids[2], ids[1]]
    assert page["total"] == 3
    assert page["next"] == "/v1/plans?limit=2&offset=2"
    last = client.get(page["next"]).json()
    assert [p["id"] for p in last["items"]] == [ids[0]]
    assert last["next"] is None
    assert client.get("/v1/plans?offset=5").json()["items"] == []


def test_delete_removes_the_plan_and_its_files(client, scenario_yaml):
    plan_id = client.post("/v1/plans", content=scenario_yaml, headers=YAML).json()["id"]
    assert client.delete(f"/v1/plans/{plan_id}").status_code == 204
    assert client.get(f"/v1/plans/{plan_id}").status_code == 404
    assert client.get(f"/v1/plans/{plan_id}/cables.csv").status_code == 404
    assert client.delete(f"/v1/plans/{plan_id}").status_code == 404
    # deleted plans are not reused
    assert client.post("/v1/plans", content=scenario_yaml, headers=YAML).status_code == 201


def test_files_of_an_unfinished_plan_are_not_ready(client):
    store = client.app.state.store  # a queued plan no worker has taken
    record = store.create(name="hall", digest="0" * 64, scenario={}, topo_version="0")
    r = client.get(f"/v1/plans/{record.id}/bom.csv")
    assert r.status_code == 409
    assert r.json()["problems"][0] == {
        "location": "status",
        "message": f"plan {record.id!r} is queued; it has no files yet",
        "value": "queued",
    }
    assert client.get(f"/v1/plans/{record.id}").json()["progress"] == {
        "stage": None,
        "stages_done": 0,
    }


@pytest.mark.parametrize("path", ["/v1/plans/nope", "/v1/plans/nope/plan.json"])
def test_unknown_plans_are_404_with_the_id(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert r.json()["problems"] == [
        {"location": "id", "message": "no plan 'nope'", "value": "nope"}
    ]


def test_floor_svg_takes_the_draw_options(client, scenario_yaml, tmp_path: Path):
    """`?cable=&rack=&tier=` give the bytes `topo draw` writes with the same options."""
    body = client.post("/v1/plans", content=scenario_yaml, headers=YAML).json()
    url = f"/v1/plans/{body['id']}/floor.svg"
    plain = client.get(url)
    assert plain.status_code == 200 and b"data-cable=" not in plain.content
    out = tmp_path / "hl.svg"
    args = ["draw", str(DEFAULT_SCENARIO), "-o", str(out), "--cable", "C000949", "--tier",
            "leaf-spine", "--rack", "A05"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    r = client.get(url, params={"cable": "C000949", "tier": "leaf-spine", "rack": "A05"})
    assert r.status_code == 200
    assert r.headers["content-type"] == media_type_of("floor.svg")
    assert b'data-cable="C000949"' in r.content
    assert r.content == out.read_bytes()
    bad = client.get(url, params={"cable": "C999999"})
    assert bad.status_code == 422
    assert "C999999" in bad.text
