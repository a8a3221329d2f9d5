"""A real server: `topo serve` in a subprocess on a free loopback port, over HTTP.

Every wait is bounded and every server started is stopped, whatever the test does.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.main import INTERRUPTED
from api.store import PlanStore
from tests.api.conftest import ROOT, YAML
from topo.cli import app as cli

HOST = "127.0.0.1"
START_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(db: Path, log: Path, **env: str) -> Iterator[tuple[httpx.Client, subprocess.Popen]]:
    """``topo serve`` on a free loopback port, with a client for it; always stopped."""
    port = _free_port()
    environ = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TOPO_DB_PATH": str(db),
        "TOPO_WORKERS": "1",
        **env,
    }
    cmd = [sys.executable, "-m", "topo", "serve", "--host", HOST, "--port", str(port)]
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, env=environ, stdout=out, stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=30) as client:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                assert proc.poll() is None, f"server exited: {log.read_text()}"
                assert time.monotonic() < deadline, f"server not up: {log.read_text()}"
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            yield client, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


def test_a_restarted_server_keeps_its_plans(tmp_path, scenario_yaml):
    db, log = tmp_path / "plans.db", tmp_path / "server.log"
    with serve(db, log) as (client, proc):
        r = client.post("/v1/plans", content=scenario_yaml, headers=YAML)
        assert r.status_code == 201, r.text
        plan = r.json()
        assert r.headers["location"] == f"/v1/plans/{plan['id']}"
        files = {name: client.get(url).content for name, url in plan["files"].items()}
        assert files["cables.csv"].startswith(b"cable_id,label,status,")
        proc.send_signal(signal.SIGTERM)  # a graceful stop
        proc.wait(timeout=15)  # uvicorn re-raises the signal once shut down: status -15
        assert "Application shutdown complete" in log.read_text()
    with serve(db, log) as (client, _):
        assert client.get(f"/v1/plans/{plan['id']}").json() == plan
        for name, url in plan["files"].items():
            assert client.get(url).content == files[name]
        again = client.post("/v1/plans", content=scenario_yaml, headers=YAML)
        assert again.status_code == 200
        assert again.json()["id"] == plan["id"]


def test_a_killed_server_loses_no_finished_plan(tmp_path, scenario_yaml):
    db, log = tmp_path / "plans.db", tmp_path / "server.log"
    with serve(db, log, TOPO_API_KEYS="k1") as (client, proc):
        assert client.get("/v1/plans").status_code == 401
        r = client.post("/v1/plans", content=scenario_yaml, headers={**YAML, "X-API-Key": "k1"})
        assert r.status_code == 201
        done = r.json()
        proc.kill()  # no shut-down at all
        proc.wait(timeout=15)
    # what a plan caught mid-run looks like in the store when its server dies
    store = PlanStore(f"sqlite:///{db}")
    caught = store.create(name="caught", digest="f" * 64, scenario={}, topo_version="0")
    assert store.mark_running(caught.id)
    store.close()
    with serve(db, log, TOPO_API_KEYS="k1") as (client, _):
        key = {"X-API-Key": "k1"}
        assert client.get(f"/v1/plans/{done['id']}", headers=key).json() == done
        failed = client.get(f"/v1/plans/{caught.id}", headers=key).json()
        assert (failed["status"], failed["failure"], failed["reason"]) == (
            "failed",
            "interrupted",
            INTERRUPTED,
        )
        page = client.get("/v1/plans", headers=key).json()
        assert [p["id"] for p in page["items"]] == [caught.id, done["id"]]


def test_serve_refuses_bad_settings_without_a_traceback():
    result = CliRunner().invoke(cli, ["serve"], env={"TOPO_WORKERS": "many"})
    assert result.exit_code == 2
    assert "TOPO_WORKERS" in result.output
    assert "Traceback" not in result.output


def test_a_second_server_on_the_same_store_refuses_to_start(tmp_path):
    from fastapi.testclient import TestClient

    from api.main import ServerBusy, create_app
    from tests.api.conftest import make_settings

    settings = make_settings(tmp_path)
    with TestClient(create_app(settings)) as first:
        second = TestClient(create_app(settings))
        with pytest.raises(ServerBusy, match=r"another topo server .* is using the plan store"):
            second.__enter__()
        assert first.get("/healthz").status_code == 200
    with TestClient(create_app(settings)) as again:  # the lease is freed at shut-down
        assert again.get("/healthz").status_code == 200


def test_topo_serve_on_a_store_in_use_exits_2_naming_the_other_server(tmp_path):
    db, log = tmp_path / "plans.db", tmp_path / "server.log"
    with serve(db, log) as (_client, proc):
        result = CliRunner().invoke(cli, ["serve"], env={"TOPO_DB_PATH": str(db)})
        assert result.exit_code == 2, result.output
        assert f"pid {proc.pid}" in result.output.replace("\n", " ")
        assert "is using the plan store" in result.output.replace("\n", " ")
