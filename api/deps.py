"""Dependencies of the routes, each declared once as an ``Annotated`` alias.

A route names what it needs by type::

    def get_plan(plan_id: str, store: StoreDep) -> PlanPublic: ...

and FastAPI supplies it: the settings, the plan store and runner built at start-up, the
scenario read from the request body. :data:`API_KEY` guards every router but health.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from api.body import parse_document
from api.config import Settings
from api.errors import Unauthorized
from api.jobs import PlanRunner
from api.store import PlanStore
from topo.errors import Problem
from topo.scenario import Scenario, parse_scenario

__all__ = [
    "API_KEY",
    "DocumentDep",
    "RunnerDep",
    "ScenarioDep",
    "SettingsDep",
    "StoreDep",
    "require_api_key",
]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _store(request: Request) -> PlanStore:
    store: PlanStore = request.app.state.store
    return store


def _runner(request: Request) -> PlanRunner:
    runner: PlanRunner = request.app.state.runner
    return runner


SettingsDep = Annotated[Settings, Depends(_settings)]
StoreDep = Annotated[PlanStore, Depends(_store)]
RunnerDep = Annotated[PlanRunner, Depends(_runner)]

_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="Needed when the server is configured with API keys (TOPO_API_KEYS).",
)


def require_api_key(
    settings: SettingsDep, key: Annotated[str | None, Security(_key_header)]
) -> None:
    """Refuse a missing or wrong ``X-API-Key`` when keys are configured (constant time)."""
    if not settings.api_keys:
        return
    if key is None:
        raise Unauthorized(Problem("X-API-Key", "this server needs an API key in X-API-Key"))
    given = key.encode("utf-8")
    matched = False
    for accepted in settings.api_keys:
        # every key is compared, so the time taken says nothing about which one is close
        matched |= hmac.compare_digest(given, accepted.get_secret_value().encode("utf-8"))
    if not matched:
        raise Unauthorized(Problem("X-API-Key", "the API key is not valid"))


API_KEY = Depends(require_api_key)
"""Router dependency: a valid API key, when the server has any."""


async def _document(request: Request) -> Any:
    body = await request.body()
    return parse_document(body, request.headers.get("content-type"))


DocumentDep = Annotated[Any, Depends(_document)]
"""The request body parsed as JSON or YAML (by content type), not yet a scenario."""


def _scenario(document: DocumentDep) -> Scenario:
    return parse_scenario(document)


ScenarioDep = Annotated[Scenario, Depends(_scenario)]
"""The request body as a scenario; every mismatch with the format is a 422."""
