"""The viewer's routes and index, without a browser (tests/browser drives the page)."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.plan_index import build_plan_index, expand_route
from api.routes.viewer import STATIC_DIR, import_plan_folder
from api.store import PlanStore
from tests.api.conftest import make_settings
from topo.outputs.exports import write_plan
from topo.plan import Plan


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory: pytest.TempPathFactory, default_plan: Plan) -> Path:
    folder = tmp_path_factory.mktemp("viewer") / "plan"
    write_plan(default_plan, folder)
    return folder


def _app_with_plan(tmp_path: Path, plan_dir: Path, **settings: object) -> tuple[TestClient, str]:
    config = make_settings(tmp_path, **settings)
    store = PlanStore(config.database_url_or_default())
    plan_id = import_plan_folder(store, plan_dir).id
    store.close()
    return TestClient(create_app(config)), plan_id


def test_expand_route_runs_both_ways() -> None:
    assert expand_route("") == ()
    assert expand_route("X-01.001") == ("X-01.001",)
    assert expand_route("T-A.008..010 > X-01.002..001") == (
        "T-A.008",
        "T-A.009",
        "T-A.010",
        "X-01.002",
        "X-01.001",
    )


def test_index_routes_match_the_plans_own_segments(default_plan: Plan, plan_dir: Path) -> None:
    index = build_plan_index(lambda name: (plan_dir / name).read_bytes())
    segs = default_plan.pathways.segments
    for cable in default_plan.cables:
        position = index.by_id[cable.id]
        assert index.routes[position] == tuple(segs[i].id for i in cable.segments)
    # every segment's cable count is trays.csv's
    trays = csv.DictReader(io.StringIO((plan_dir / "trays.csv").read_text()))
    for row in trays:
        assert len(index.by_segment.get(row["segment"], [])) == int(row["cables"]), row


def test_rack_segment_search_and_tier_routes(
    tmp_path: Path, plan_dir: Path, default_plan: Plan
) -> None:
    client, plan_id = _app_with_plan(tmp_path, plan_dir)
    base = f"/v1/plans/{plan_id}"
    with client:
        a01 = [c for c in default_plan.cables if "A01" in (c.a_rack, c.b_rack)]
        body = client.get(f"{base}/racks/A01/cables", params={"limit": 3}).json()
        assert body["total"] == len(a01) and len(body["cables"]) == 3
        assert {d["id"] for d in body["devices"]} >= {"leaf-A01", "srv-A01-01"}
        segs = default_plan.pathways.segments
        counted: dict[str, int] = {}
        for c in a01:
            for i in c.segments:
                counted[segs[i].id] = counted.get(segs[i].id, 0) + 1
        assert body["segments"] == counted
        spine = client.get(f"{base}/racks/A01/cables", params={"tier": "leaf-spine"}).json()
        assert spine["total"] == sum(c.tier == "leaf-spine" for c in a01)

        seg = client.get(f"{base}/segments/T-A.001").json()
        assert seg["fill"]["cables"] == str(seg["total"])

        found = client.get(f"{base}/cables", params={"search": "c000913"}).json()
        assert found["cables"][0]["cable_id"] == "C000913"
        by_label = client.get(f"{base}/cables", params={"search": "A01-48:49/"}).json()
        assert [c["cable_id"] for c in by_label["cables"]] == ["C000913"]

        tier = client.get(f"{base}/tiers", params={"tier": "server-leaf"}).json()
        assert tier["total"] == sum(c.tier == "server-leaf" for c in default_plan.cables)
        overview = client.get(f"{base}/overview").json()
        assert sum(g["cables"] for g in overview["groups"]) == len(default_plan.cables)


def test_unknown_things_are_404_with_their_location(tmp_path: Path, plan_dir: Path) -> None:
    client, plan_id = _app_with_plan(tmp_path, plan_dir)
    with client:
        r = client.get(f"/v1/plans/{plan_id}/racks/ZZ9/cables")
        assert r.status_code == 404 and r.json()["problems"][0]["location"] == "rack"
        r = client.get(f"/v1/plans/{plan_id}/segments/T-Q.999")
        assert r.status_code == 404 and r.json()["problems"][0]["location"] == "segment"
        assert client.get("/v1/plans/nope/overview").status_code == 404
        assert client.get("/v1/sweep").status_code == 404


def test_a_plan_not_done_has_no_index(tmp_path: Path) -> None:
    config = make_settings(tmp_path)
    store = PlanStore(config.database_url_or_default())
    queued = store.create(name="x", digest="ab" * 32, scenario={}, topo_version="0").id
    store.close()
    with TestClient(create_app(config)) as client:
        # the server marks plans an earlier server left queued as failed: still no cables
        assert client.get(f"/v1/plans/{queued}/overview").status_code == 409


def test_data_needs_the_key_but_the_page_does_not(tmp_path: Path, plan_dir: Path) -> None:
    client, plan_id = _app_with_plan(tmp_path, plan_dir, api_keys=("k",))
    with client:
        assert client.get(f"/v1/plans/{plan_id}/overview").status_code == 401
        ok = client.get(f"/v1/plans/{plan_id}/overview", headers={"X-API-Key": "k"})
        assert ok.status_code == 200
        page = client.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        js = client.get("/static/viewer.js")
        assert js.status_code == 200 and "javascript" in js.headers["content-type"]


def test_the_page_works_offline_and_without_inline_code() -> None:
    html = (STATIC_DIR / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # every script is a file
    assert "<style" not in html and "style=" not in html
    for asset in STATIC_DIR.iterdir():
        text = asset.read_text()
        assert not re.search(r"https?://", text), asset.name  # nothing fetched from elsewhere
        assert "innerHTML" not in text and "insertAdjacentHTML" not in text, asset.name


def test_topo_view_refuses_a_folder_that_is_no_plan(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "topo", "view", str(tmp_path)], capture_output=True, text=True
    )
    assert run.returncode == 2
    assert "not a plan folder: it has no plan.json, cables.csv" in run.stderr
    assert "Traceback" not in run.stderr
