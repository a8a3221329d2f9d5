"""Plans on top of a stored plan over HTTP: ``existing: {plan: <id>}``.

Generation 1 (examples/brownfield/gen1.yaml) is planned over the API, then generation 2
(examples/enterprise-gen2.yaml, ``rewire: minimal``) on it by its id. The CLI plans the same
two scenarios, generation 2 on generation 1's folder: every file the API serves for
generation 2 but its ``scenario.yaml`` (which names the installed plan differently) is
the file the CLI wrote.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.main import INTERRUPTED, create_app
from tests.api.conftest import YAML, make_settings, wait_finished
from topo.cli import app as cli
from topo.outputs.exports import CHANGE_FILES, OUTPUT_FILES

ROOT = Path(__file__).resolve().parents[2]
GEN1 = ROOT / "examples" / "brownfield" / "gen1.yaml"
GEN2 = ROOT / "examples" / "enterprise-gen2.yaml"


def _gen2(existing: Any) -> dict[str, Any]:
    """Generation 2's scenario with ``existing`` set to ``existing``."""
    data = yaml.safe_load(GEN2.read_text(encoding="utf-8"))
    assert data["options"]["rewire"] == "minimal"
    return {**data, "existing": existing}


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def _files(client: TestClient, plan: dict) -> dict[str, bytes]:
    out = {}
    for name, url in plan["files"].items():
        r = client.get(url)
        assert r.status_code == 200, (name, r.text)
        out[name] = r.content
    return out


@pytest.fixture(scope="module")
def cli_plans(tmp_path_factory) -> dict[str, dict[str, bytes]]:
    """The files ``topo plan`` writes for generation 1, and for generation 2 on them."""
    root = tmp_path_factory.mktemp("cli")
    (root / "gen2.yaml").write_text(yaml.safe_dump(_gen2("gen1/")), encoding="utf-8")
    out = {}
    for name, scenario in (("gen1", GEN1), ("gen2", root / "gen2.yaml")):
        result = CliRunner().invoke(cli, ["plan", str(scenario), "-o", str(root / name)])
        assert result.exit_code == 0, result.output
        out[name] = {p.name: p.read_bytes() for p in (root / name).iterdir() if p.is_file()}
    assert set(out["gen2"]) == set(OUTPUT_FILES) | set(CHANGE_FILES)
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Any:
    settings = make_settings(tmp_path_factory.mktemp("api"), sync_budget_s=120)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def gen1(server) -> dict:
    r = server.post("/v1/plans", content=GEN1.read_bytes(), headers=YAML)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture(scope="module")
def gen2(server, gen1) -> dict:
    r = server.post("/v1/plans", json=_gen2({"plan": gen1["id"]}))
    assert r.status_code == 201, r.text
    return r.json()


def test_a_plan_on_a_stored_plan_is_the_cli_plan_on_its_folder(server, gen1, gen2, cli_plans):
    assert _files(server, gen1) == cli_plans["gen1"]
    assert gen2["status"] == "done"
    assert set(gen2["files"]) == set(OUTPUT_FILES) | set(CHANGE_FILES)
    files = _files(server, gen2)
    for name, data in cli_plans["gen2"].items():
        if name != "scenario.yaml":
            assert files[name] == data, f"{name} differs from the CLI's"
    stored = yaml.safe_load(files["scenario.yaml"])
    assert stored["existing"] == {"plan": gen1["id"]}
    assert stored["options"]["rewire"] == "minimal"
    changes = gen2["summary"]["changes"]
    assert changes["relative_to"] == "hall-gen1"
    assert changes["keep"] == len(_rows(cli_plans["gen1"]["cables.csv"]))
    assert changes["add"] > 0 and changes["remove"] == changes["reroute"] == 0


def test_every_installed_cable_is_kept_byte_for_byte(server, gen1, gen2):
    installed = server.get(gen1["files"]["cables.csv"]).content.decode().splitlines()
    planned = server.get(gen2["files"]["cables.csv"]).content.decode().splitlines()
    assert installed[0] == planned[0]  # the same columns
    assert set(installed[1:]) <= set(planned[1:])
    assert len(planned) > len(installed)
    changes = _rows(server.get(gen2["files"]["changes.csv"]).content)
    by_id = {r["cable_id"]: r["action"] for r in changes}
    installed_ids = [line.split(",", 1)[0] for line in installed[1:]]
    assert {by_id[i] for i in installed_ids} == {"keep"}
    new = [r for r in changes if r["cable_id"] not in set(installed_ids)]
    assert new and {r["action"] for r in new} == {"add"}
    assert min(r["cable_id"] for r in new) > max(installed_ids)  # numbered after them


def test_change_files_are_downloads(server, gen1, gen2):
    for name in ("changes.csv", "work_orders.csv"):
        r = server.get(f"/v1/plans/{gen2['id']}/{name}")
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/csv; charset=utf-8"
        assert r.headers["content-disposition"] == f'attachment; filename="{name}"'
        assert r.content.startswith(b"cable_id," if name == "changes.csv" else b"phase,")
        # a plan on nothing installed has none
        missing = server.get(f"/v1/plans/{gen1['id']}/{name}")
        assert missing.status_code == 404
        assert missing.json()["problems"][0] == {
            "location": "file",
            "message": missing.json()["problems"][0]["message"],
            "value": name,
        }
    paths = server.get("/openapi.json").json()["paths"]
    for name in CHANGE_FILES:
        op = paths[f"/v1/plans/{{plan_id}}/{name}"]["get"]
        assert "text/csv" in op["responses"]["200"]["content"]


def test_a_plan_on_a_stored_plan_is_itself_a_plan_to_build_on(server, gen2):
    """Generation 2 planned on itself (a stored plan that has changes.csv): nothing
    changes."""
    r = server.post("/v1/plans", json=_gen2({"plan": gen2["id"]}))
    assert r.status_code == 201, r.text
    again = r.json()
    assert server.get(again["files"]["cables.csv"]).content == (
        server.get(gen2["files"]["cables.csv"]).content
    )
    changes = _rows(server.get(again["files"]["changes.csv"]).content)
    assert changes and {c["action"] for c in changes} == {"keep"}
    assert again["summary"]["changes"]["keep"] == gen2["summary"]["cables"]


def test_a_stored_plan_outside_the_api_is_refused(tmp_path, gen1):
    scenario = tmp_path / "gen2.yaml"
    scenario.write_text(yaml.safe_dump(_gen2({"plan": gen1["id"]})), encoding="utf-8")
    result = CliRunner().invoke(cli, ["plan", str(scenario), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "existing.plan" in result.output and gen1["id"] in result.output
    assert "plan folder" in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def _refusal(client: TestClient, existing: Any) -> dict:
    before = client.get("/v1/plans").json()["total"]
    r = client.post("/v1/plans", json=_gen2(existing))
    assert r.status_code == 422, r.text
    assert client.get("/v1/plans").json()["total"] == before  # nothing stored
    (problem,) = r.json()["problems"]
    return problem


def test_an_unknown_or_unfinished_stored_plan_is_a_422_naming_it(server, gen1):
    problem = _refusal(server, {"plan": "0" * 32})
    assert problem["location"] == "existing.plan"
    assert problem["value"] == "0" * 32
    assert "no such plan" in problem["message"]
    store = server.app.state.store
    queued = store.create(name="q", digest="1" * 64, scenario={}, topo_version="0")
    problem = _refusal(server, {"plan": queued.id})
    assert (problem["location"], problem["value"]) == ("existing.plan", queued.id)
    assert "queued" in problem["message"]
    assert store.mark_running(queued.id)
    assert "running" in _refusal(server, {"plan": queued.id})["message"]
    store.fail(queued.id, failure="time-limit", reason="it took too long")
    problem = _refusal(server, {"plan": queued.id})
    assert "failed (it took too long)" in problem["message"]
    store.delete(queued.id)


def test_a_path_as_existing_is_a_422_the_api_opens_no_path(server, gen1):
    for path in ("brownfield/gen1-plan/", "/etc", str(GEN1.parent / "gen1-plan")):
        problem = _refusal(server, path)
        assert (problem["location"], problem["value"]) == ("existing", path)
        assert "existing: {plan: <id>}" in problem["message"]


def test_an_id_that_is_not_an_id_is_a_422(server):
    for bad in ({"plan": "../gen1"}, {"plan": ""}, {"id": "x"}, {"plan": "a", "x": 1}):
        r = server.post("/v1/plans", json=_gen2(bad))
        assert r.status_code == 422, (bad, r.text)
        assert all(p["location"].startswith("existing") for p in r.json()["problems"]), bad


def test_validate_reports_a_stored_plan_it_cannot_build_on(server, gen1):
    r = server.post("/v1/scenarios/validate", json=_gen2({"plan": gen1["id"]}))
    assert r.json() == {"valid": True, "problems": []}
    r = server.post("/v1/scenarios/validate", json=_gen2({"plan": "f" * 32}))
    assert r.status_code == 200
    (problem,) = r.json()["problems"]
    assert (problem["location"], problem["value"]) == ("existing.plan", "f" * 32)
    r = server.post("/v1/scenarios/validate", json=_gen2("gen1-plan/"))
    assert [p["location"] for p in r.json()["problems"]] == ["existing"]


def test_a_plan_queued_on_a_stored_plan_survives_a_restart(tmp_path, cli_plans):
    """The server stops while generation 2 waits behind another plan: it is failed as
    interrupted, and posted again after the restart it plans on the stored generation 1."""
    settings = make_settings(tmp_path, sync_budget_s=0, workers=1)
    with TestClient(create_app(settings)) as client:
        first = client.post("/v1/plans", content=GEN1.read_bytes(), headers=YAML).json()
        assert wait_finished(client, first["id"], 120)["status"] == "done"
        busy = client.post("/v1/plans", content=GEN1.read_bytes(), headers=YAML,
                           params={"reuse": "false"})  # fmt: skip
        assert busy.status_code == 202
        queued = client.post("/v1/plans", json=_gen2({"plan": first["id"]}))
        assert queued.status_code == 202, queued.text
    with TestClient(create_app(settings)) as client:
        body = client.get(f"/v1/plans/{queued.json()['id']}").json()
        if body["status"] == "failed":  # (done only if the machine planned both meanwhile)
            assert (body["failure"], body["reason"]) == ("interrupted", INTERRUPTED)
        else:
            assert body["status"] == "done"
        again = client.post("/v1/plans", json=_gen2({"plan": first["id"]}))
        assert again.status_code in (200, 202), again.text
        done = wait_finished(client, again.json()["id"], 120)
        assert done["status"] == "done", done
        files = _files(client, done)
    for name in ("cables.csv", "changes.csv", "work_orders.csv", "trays.csv"):
        assert files[name] == cli_plans["gen2"][name], name
