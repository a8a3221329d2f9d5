"""One router per resource: plans, scenarios, layouts, catalog, health."""

from __future__ import annotations

from typing import Any

from api.schemas import ErrorBody

__all__ = ["error_responses"]

_MEANING = {
    400: "The body is not well-formed JSON or YAML (or not UTF-8 text).",
    401: "A missing or wrong X-API-Key, when the server has API keys.",
    404: "Nothing by that id or name.",
    409: "The plan has no outputs: it is queued, running or failed.",
    413: "The request body is over the server's size limit.",
    415: "The body is neither JSON nor YAML.",
    422: "The scenario or a parameter is invalid; every problem is listed with its location.",
    503: "The plan store cannot be reached.",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error answers, all with the common error body."""
    return {code: {"model": ErrorBody, "description": _MEANING[code]} for code in codes}
