"""Errors the HTTP API answers with, and the one table that turns them into status codes.

Every error body has the same shape, whatever went wrong::

    {"detail": "2 problems found",
     "problems": [{"location": "fabric.spine.model", "value": "sw-nope",
                   "message": "unknown switch model 'sw-nope'; known: ..."}, ...]}

topo's own errors (:class:`~topo.errors.TopoError` and its subclasses) carry their
problems; the few errors only the API can meet (no such plan, body too large, wrong key)
are subclasses of :class:`ApiError`, itself a ``TopoError`` so that one handler and one
table (:data:`STATUS_BY_ERROR`) serve them all. A 500 is a bug in topo, never a user's
mistake.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from topo.errors import (
    CatalogError,
    FabricError,
    InfeasibleError,
    LayoutError,
    Problem,
    ScenarioError,
    TopoError,
)

__all__ = [
    "STATUS_BY_ERROR",
    "ApiError",
    "BodyTooLarge",
    "MalformedBody",
    "NotFound",
    "NotReady",
    "Unauthorized",
    "Unavailable",
    "UnsupportedMediaType",
    "error_body",
    "install_error_handlers",
    "response_for",
    "status_for",
]

log = logging.getLogger("topo.api")


class ApiError(TopoError):
    """An error only the HTTP API can meet."""


class NotFound(ApiError):
    """No plan, layout or file by that name."""


class NotReady(ApiError):
    """The plan exists but has no outputs (yet): it is queued, running or failed."""


class Unauthorized(ApiError):
    """A missing or wrong API key."""


class BodyTooLarge(ApiError):
    """A request body over the configured size limit."""


class UnsupportedMediaType(ApiError):
    """A body in a format other than JSON or YAML."""


class Unavailable(ApiError):
    """The server cannot serve now (its database cannot be reached)."""


class MalformedBody(ScenarioError):
    """A body that is not well-formed JSON or YAML (or not UTF-8 text)."""


STATUS_BY_ERROR: tuple[tuple[type[TopoError], int], ...] = (
    (MalformedBody, 400),
    (Unauthorized, 401),
    (NotFound, 404),
    (NotReady, 409),
    (BodyTooLarge, 413),
    (UnsupportedMediaType, 415),
    (Unavailable, 503),
    (ScenarioError, 422),
    (LayoutError, 422),
    (CatalogError, 422),
    (FabricError, 422),
    (InfeasibleError, 422),
    (TopoError, 422),
)
"""HTTP status of each error class; the first matching row wins (subclasses first)."""

_HEADERS: dict[int, dict[str, str]] = {401: {"WWW-Authenticate": "APIKey"}}


def status_for(exc: TopoError) -> int:
    """The HTTP status answering ``exc``.

    Example:
        >>> status_for(NotFound("no plan 'x'"))
        404
        >>> status_for(FabricError("leaf has too few ports"))
        422
    """
    for cls, status in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return 422  # pragma: no cover - TopoError is the last row


def error_body(detail: str, problems: list[Problem] | tuple[Problem, ...] = ()) -> dict[str, Any]:
    """The JSON body of every error answer."""
    return {"detail": detail, "problems": [p.to_dict() for p in problems]}


def _detail(problems: tuple[Problem, ...]) -> str:
    if len(problems) == 1:
        return str(problems[0])
    return f"{len(problems)} problems found"


def response_for(exc: TopoError) -> JSONResponse:
    """The answer to a topo or API error: its status and every problem it carries."""
    status = status_for(exc)
    return JSONResponse(
        error_body(_detail(exc.problems), exc.problems),
        status_code=status,
        headers=_HEADERS.get(status),
    )


def _topo_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TopoError)
    return response_for(exc)


def _request_validation(_request: Request, exc: Exception) -> JSONResponse:
    # parameters in the path or query string (limit=-1, a malformed plan id)
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors():
        location = ".".join(str(p) for p in err.get("loc", ()))
        value = err.get("input")
        shown = value if isinstance(value, str | int | float | bool) else None
        problems.append(Problem(location, str(err.get("msg", "invalid value")), shown))
    if not problems:  # pragma: no cover - pydantic always lists at least one error
        problems.append(Problem("", "invalid request"))
    return JSONResponse(error_body(_detail(tuple(problems)), problems), status_code=422)


def _http_error(request: Request, exc: Exception, app: FastAPI | None = None) -> JSONResponse:
    # routing errors raised by Starlette itself: unknown path (404), wrong method (405)
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405 and app is not None:
        allowed = _allowed_methods(request.url.path, app.openapi().get("paths", {}))
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    return JSONResponse(error_body(str(exc.detail)), status_code=exc.status_code, headers=headers)


def _allowed_methods(path: str, paths: dict[str, Any]) -> list[str]:
    """Every method the API documents at ``path`` (Starlette names only the first
    matching route's).

    Example:
        >>> _allowed_methods("/v1/plans/x", {"/v1/plans/{id}": {"get": {}, "delete": {}}})
        ['DELETE', 'GET', 'HEAD']
    """
    methods: set[str] = set()
    for template, operations in paths.items():
        pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            methods |= {m.upper() for m in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def _server_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body("internal server error"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error with the common JSON body (see the module docstring)."""
    app.add_exception_handler(TopoError, _topo_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, lambda r, e: _http_error(r, e, app))
    app.add_exception_handler(Exception, _server_error)
