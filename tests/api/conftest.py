"""Fixtures for the HTTP API tests: an app on a fresh SQLite file, a client, scenarios."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.config import Settings
from api.main import create_app

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCENARIO = ROOT / "topo" / "data" / "scenarios" / "enterprise-hall.yaml"
YAML = {"content-type": "application/yaml"}


@pytest.fixture(scope="session")
def scenario_yaml() -> bytes:
    """The shipped default scenario, as posted by curl --data-binary."""
    return DEFAULT_SCENARIO.read_bytes()


def wait_finished(client: TestClient, plan_id: str, timeout_s: float) -> dict:
    """The plan resource once the plan is done or failed (an assertion after ``timeout_s``)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = client.get(f"/v1/plans/{plan_id}").json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"plan {plan_id} still {body['status']} after {timeout_s} s")


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings for a test: a SQLite file under ``tmp_path``, one worker."""
    values: dict[str, object] = {"db_path": tmp_path / "plans.db", "workers": 1}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """A client of an app with default settings on a fresh database."""
    with TestClient(create_app(make_settings(tmp_path))) as c:
        yield c
