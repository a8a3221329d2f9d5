"""The server's own limits: memory of a planning process, drawings bounded like plans,
drawings served inert."""

from __future__ import annotations

import contextlib
import multiprocessing
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

import api.worker
from api.main import create_app
from api.worker import plan_in_child
from tests.api.conftest import ROOT, YAML, make_settings


def _address_space() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmSize")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_a_plan_over_the_memory_limit_fails_saying_so(monkeypatch):
    data = yaml.safe_load((ROOT / "examples" / "enterprise-hall.yaml").read_text())
    limit = _address_space() + 64 * 2**20

    def greedy_plan(data, progress=None, installed=None):  # a plan that wants 1 GiB at once
        return "done", bytearray(2**30)

    monkeypatch.setattr(api.worker, "plan_outcome", greedy_plan)
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=plan_in_child, args=(sender, data, limit))
    child.start()
    sender.close()
    messages = []
    with contextlib.suppress(EOFError):
        while receiver.poll(120):
            messages.append(receiver.recv())
    child.join(30)
    assert messages, f"no answer (exit code {child.exitcode})"
    kind, reason = messages[-1]
    assert kind == "memory", (kind, str(reason)[-500:])
    assert f"limit of {limit // 2**20:,} MiB (TOPO_MEMORY_LIMIT_MB)" in reason


def test_the_memory_limit_reaches_the_planning_processes(tmp_path, scenario_yaml):
    settings = make_settings(tmp_path, memory_limit_mb=3000)
    with TestClient(create_app(settings)) as client:
        assert client.app.state.runner.memory_limit_bytes == 3000 * 2**20  # type: ignore[attr-defined]
        r = client.post("/v1/plans", content=scenario_yaml, headers=YAML)
        assert r.status_code == 201, r.text  # and a plan fits within it


def test_drawings_are_served_inert(client, scenario_yaml):
    r = client.post("/v1/plans", content=scenario_yaml, headers=YAML)
    assert r.status_code == 201, r.text
    url = r.json()["files"]["floor.svg"]
    for query in ("", "?rack=A05&tier=leaf-spine"):
        svg = client.get(url + query)
        assert svg.status_code == 200, svg.text
        assert svg.headers["x-content-type-options"] == "nosniff"
        csp = svg.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script" not in csp
        assert svg.content.startswith(b"<svg")
    highlighted = client.get(url + "?rack=A05").text
    assert 'data-cable="' in highlighted


def test_a_highlight_naming_no_cable_is_a_4xx(client, scenario_yaml):
    r = client.post("/v1/plans", content=scenario_yaml, headers=YAML)
    svg = client.get(r.json()["files"]["floor.svg"] + "?cable=C999999")
    assert svg.status_code == 422, svg.text
    assert "C999999" in svg.text


def test_validation_runs_where_plans_run_under_their_time_limit(tmp_path, scenario_yaml):
    """/v1/scenarios/validate checks in a planning process: a server whose plans may run
    a millisecond answers 503 naming that limit instead of validating in its own process;
    with the default limit the same request is answered from the worker."""
    settings = make_settings(tmp_path, solver_time_limit_s=0.001)
    with TestClient(create_app(settings)) as client:
        r = client.post("/v1/scenarios/validate", content=scenario_yaml, headers=YAML)
        assert r.status_code == 503, r.text
        assert "limit of 0.001 s" in r.text
    with TestClient(create_app(make_settings(tmp_path / "b"))) as client:
        r = client.post("/v1/scenarios/validate", content=scenario_yaml, headers=YAML)
        assert r.status_code == 200, r.text
        assert r.json() == {"valid": True, "problems": []}


def test_validation_reports_problems_from_the_worker(client, scenario_yaml):
    bad = scenario_yaml.replace(b"count: 4", b"count: 400")
    assert bad != scenario_yaml
    r = client.post("/v1/scenarios/validate", content=bad, headers=YAML)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["valid"] is False and report["problems"], report
