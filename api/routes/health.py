"""Liveness: open to everyone, even when the server has API keys."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.exc import SQLAlchemyError

import topo
from api.deps import StoreDep
from api.errors import Unavailable
from api.routes import error_responses
from api.schemas import Health

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get(
    "/healthz", response_model=Health, summary="Is the server up", responses=error_responses(503)
)
def healthz(store: StoreDep) -> Health:
    """200 when the server is up and its plan store answers."""
    try:
        store.ping()
    except SQLAlchemyError as exc:
        raise Unavailable(f"the plan store cannot be reached: {type(exc).__name__}") from None
    return Health(version=topo.__version__)
