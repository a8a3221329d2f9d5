"""The HTTP API application: :func:`create_app` builds it, :data:`app` is one for uvicorn.

::

    topo serve --port 8080          # or: uvicorn api.main:app --port 8080

Start-up opens the plan store (creating its tables), takes its lease (one server per
store: a second one refuses to start, as it would fail the first one's running plans),
marks failed every plan an earlier server left queued or running, and starts the plan
workers; shut-down stops them, marks their unfinished plans failed and frees the lease.
Settings come from the environment (:mod:`api.config`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response

import topo
from api.config import Settings
from api.deps import API_KEY
from api.errors import NotFound, install_error_handlers
from api.jobs import PlanRunner
from api.limits import BodySizeLimit
from api.routes import catalog, error_responses, health, layouts, plans, scenarios, viewer
from api.schemas import topo_components
from api.store import PlanStore
from topo.errors import Problem

__all__ = ["ServerBusy", "app", "busy_message", "create_app"]

log = logging.getLogger("topo.api")

INTERRUPTED = "the server stopped while this plan was queued or running; post it again"

_DESCRIPTION = """\
Plan data-centre cabling over HTTP: post a scenario (floor layout + network intent, as
JSON or YAML), get back a plan with its cable schedule, bill of materials and tray-fill
report. Plans are stored; identical scenarios are answered from the stored plan.

Every error answer lists each problem with its location in the scenario
(`fabric.spine.model`), the offending value and a message.
"""

_TAGS = [
    {"name": "plans", "description": "Plans as resources, with their output files."},
    {"name": "scenarios", "description": "Checking a scenario without planning it."},
    {"name": "layouts", "description": "Shipped floor layouts a scenario may name."},
    {"name": "catalog", "description": "Switches, servers and media a scenario may name."},
    {"name": "health", "description": "Liveness, open without an API key."},
]


LEASE_RENEW_S = 5.0
"""How often a running server renews its hold on the plan store, seconds."""
LEASE_STALE_S = 30.0
"""A lease not renewed for this long is free: its server has stopped."""


class ServerBusy(RuntimeError):
    """Another server holds the plan store: two would fail each other's running plans."""


def _process_gone(holder: str) -> bool:
    """Whether the server named ``holder`` ran on this host and its process has ended."""
    parts = holder.split(" ")
    if len(parts) < 3 or parts[0] != socket.gethostname() or not parts[2].isdigit():
        return False
    try:
        os.kill(int(parts[2]), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def busy_message(settings: Settings) -> str | None:
    """Why a server with ``settings`` cannot start because another holds its plan store,
    or None when the store is free (checked by taking the lease and giving it back)."""
    store = PlanStore(settings.database_url_or_default())
    try:
        holder = f"{socket.gethostname()} pid {os.getpid()} check"
        other = store.acquire_lease(holder, stale_after_s=LEASE_STALE_S, gone=_process_gone)
        if other is None:
            store.release_lease(holder)
            return None
        return _busy(other, settings)
    finally:
        store.close()


def _busy(other: str, settings: Settings) -> str:
    return (
        f"another topo server ({other}) is using the plan store "
        f"{settings.database_url_or_default()!r}; stop it, or give this one its own "
        f"TOPO_DB_PATH or TOPO_DATABASE_URL (its lease lapses {LEASE_STALE_S:g} s after it "
        "stops renewing)"
    )


def _renew_lease(store: PlanStore, holder: str, stop: threading.Event) -> None:
    while not stop.wait(LEASE_RENEW_S):
        try:
            if not store.renew_lease(holder):
                log.error("the plan store's lease was taken by another server")
        except Exception:  # a database hiccup: try again at the next renewal
            log.exception("could not renew the plan store's lease")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API application, configured by ``settings`` (default: from the environment).

    Example:
        >>> from fastapi.testclient import TestClient
        >>> app = create_app(Settings(db_path="/tmp/topo-doctest.db"))
        >>> with TestClient(app) as client:                       # doctest: +SKIP
        ...     client.get("/v1/layouts").json()[0]["name"]
        'ai-hall'
    """
    settings = settings if settings is not None else Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = PlanStore(settings.database_url_or_default())
        holder = f"{socket.gethostname()} pid {os.getpid()} {uuid.uuid4().hex[:8]}"
        other = store.acquire_lease(holder, stale_after_s=LEASE_STALE_S, gone=_process_gone)
        if other is not None:
            store.close()
            raise ServerBusy(_busy(other, settings))
        stop = threading.Event()
        renewer = threading.Thread(
            target=_renew_lease, args=(store, holder, stop), name="topo-lease", daemon=True
        )
        renewer.start()
        stale = store.fail_unfinished(INTERRUPTED)
        if stale:
            log.warning("marked %d unfinished plan(s) of an earlier server failed", stale)
        runner = PlanRunner(
            store,
            workers=settings.workers,
            time_limit_s=settings.solver_time_limit_s,
            memory_limit_bytes=settings.memory_limit_mb * 2**20,
        )
        runner.warm_up()
        app.state.store, app.state.runner = store, runner
        try:
            yield
        finally:
            runner.shutdown(INTERRUPTED)
            stop.set()
            renewer.join()
            store.release_lease(holder)
            store.close()

    app = FastAPI(
        title="topo",
        version=topo.__version__,
        summary="Cable and network topology planning for data centres.",
        description=_DESCRIPTION,
        openapi_tags=_TAGS,
        lifespan=lifespan,
        # served below: behind the API key, with the docs page's files shipped, not a CDN's
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.include_router(health.router)
    for module in (plans, scenarios, layouts, catalog):
        app.include_router(
            module.router,
            prefix="/v1",
            dependencies=[API_KEY],
            responses=error_responses(401, 413),
        )
    viewer.install(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            clash = set(components) & set(topo_components())
            assert not clash, f"API schema names clash with topo's: {sorted(clash)}"
            components.update(topo_components())
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    _add_docs(app)
    return app


_DOCS_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
"""The files of the docs page, from the swagger-ui-bundle package (Swagger UI, Apache-2.0)."""


def _add_docs(app: FastAPI) -> None:
    """``/openapi.json`` and ``/docs`` (Swagger UI), both needing the API key when the
    server has keys; the page's script and style are served from ``/docs/assets``, so the
    docs work without internet access."""

    @app.get("/openapi.json", include_in_schema=False, dependencies=[API_KEY])
    def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=[API_KEY])
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
        )

    @app.get("/docs/assets/{name}", include_in_schema=False)
    def docs_asset(name: str) -> Response:
        media = _DOCS_ASSETS.get(name)
        if media is None:
            raise NotFound(Problem("name", f"no docs asset {name!r}", name))
        from swagger_ui_bundle import swagger_ui_path

        content = (Path(swagger_ui_path) / name).read_bytes()
        return Response(
            content, media_type=media, headers={"Cache-Control": "public, max-age=86400"}
        )


app = create_app()
"""The application configured from the environment, for ``uvicorn api.main:app``."""
