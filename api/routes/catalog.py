"""The built-in catalog: switches, servers and media a scenario may name."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.schemas import CATALOG_REF
from topo.catalog import builtin_catalog

__all__ = ["router"]

router = APIRouter(prefix="/catalog", tags=["catalog"])


@router.get(
    "",
    summary="The built-in catalog",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "Switch models, server models and media, with ports, reach, "
            "diameters, cost and power.",
            "content": {"application/json": {"schema": {"$ref": CATALOG_REF}}},
        }
    },
)
def get_catalog() -> JSONResponse:
    """The catalog topo plans with; a scenario's `catalog` section adds or replaces
    entries by id."""
    return JSONResponse(builtin_catalog().model_dump(mode="json"))
