"""The plan store: plans survive restarts; nothing is left running forever."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.main import INTERRUPTED, create_app
from api.store import PlanStore
from tests.api.conftest import YAML, make_settings


def test_a_restarted_server_keeps_finished_plans(tmp_path, scenario_yaml):
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings)) as client:
        plan = client.post("/v1/plans", content=scenario_yaml, headers=YAML).json()
        files = {n: client.get(u).content for n, u in plan["files"].items()}
    with TestClient(create_app(settings)) as client:
        assert client.get(f"/v1/plans/{plan['id']}").json() == plan
        assert {n: client.get(u).content for n, u in plan["files"].items()} == files
        # and the stored plan still answers an identical scenario
        again = client.post("/v1/plans", content=scenario_yaml, headers=YAML)
        assert again.status_code == 200
        assert again.json()["id"] == plan["id"]


def test_plans_left_unfinished_by_a_killed_server_are_failed_at_start(tmp_path):
    settings = make_settings(tmp_path)
    store = PlanStore(settings.database_url_or_default())
    queued = store.create(name="a", digest="1" * 64, scenario={}, topo_version="0")
    running = store.create(name="b", digest="2" * 64, scenario={}, topo_version="0")
    assert store.mark_running(running.id)
    store.close()
    with TestClient(create_app(settings)) as client:
        for plan_id in (queued.id, running.id):
            body = client.get(f"/v1/plans/{plan_id}").json()
            assert body["status"] == "failed"
            assert body["failure"] == "interrupted"
            assert body["reason"] == INTERRUPTED


def test_stopping_the_server_leaves_no_plan_queued_or_running(tmp_path, scenario_yaml):
    settings = make_settings(tmp_path, sync_budget_s=0, workers=1)
    with TestClient(create_app(settings)) as client:
        ids = [
            client.post(
                "/v1/plans",
                content=scenario_yaml.replace(b"per_rack: 12", f"per_rack: {n}".encode()),
                headers=YAML,
            ).json()["id"]
            for n in (5, 6, 7)
        ]
    store = PlanStore(settings.database_url_or_default())
    statuses = {store.get(i).status for i in ids}  # type: ignore[union-attr]
    store.close()
    assert statuses <= {"done", "failed"}
