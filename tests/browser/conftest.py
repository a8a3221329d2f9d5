"""Fixtures for the viewer's browser tests: a real server on loopback and a headless Chromium.

The server holds the shipped default scenario's plan (as ``topo view`` stores a folder)
and a small batch, and needs the API key ``KEY``.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from api.config import Settings
from api.main import create_app
from api.routes.viewer import import_plan_folder, import_sweep_folder
from api.store import PlanStore
from tests.browser.cdp import Browser
from topo.outputs.exports import write_plan
from topo.plan import Plan

ROOT = Path(__file__).resolve().parents[2]
KEY = "viewer-test-key"
STRICT_CSP = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"


@dataclass(frozen=True)
class Served:
    url: str
    plan_id: str
    plan_dir: Path
    plan: Plan


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory, default_plan: Plan) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("viewer")
    plan_dir = tmp / "plan"
    write_plan(default_plan, plan_dir)
    runs = tmp / "runs"
    sweep_file = ROOT / "examples" / "sweep-leaf-placement.yaml"
    subprocess.run(
        [sys.executable, "-m", "topo", "batch", str(sweep_file), "-o", str(runs), "-j", "1", "-q"],
        check=True,
    )
    settings = Settings(db_path=tmp / "plans.db", workers=1, sync_budget_s=0.0, api_keys=(KEY,))  # type: ignore[arg-type]
    store = PlanStore(settings.database_url_or_default())
    plan_id = import_plan_folder(store, plan_dir).id
    sweep = import_sweep_folder(store, runs)
    store.close()
    app = create_app(settings)
    app.state.viewer_sweep = sweep

    @app.middleware("http")
    async def strict_csp(request, call_next):  # type: ignore[no-untyped-def]
        # the page must work under the strictest policy a server may send
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = STRICT_CSP
        return response

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", plan_id, plan_dir, default_plan)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with Browser(tmp_path_factory.mktemp("chromium-profile")) as b:
        yield b
