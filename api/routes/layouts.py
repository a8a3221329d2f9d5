"""The shipped floor layouts a scenario may name."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.errors import NotFound
from api.routes import error_responses
from api.schemas import LayoutDetail, LayoutPublic
from layouts.library import list_layouts, load_layout
from topo.errors import Problem

__all__ = ["router"]

router = APIRouter(prefix="/layouts", tags=["layouts"])


@router.get("", response_model=list[LayoutPublic], summary="List the shipped floor layouts")
def get_layouts() -> list[LayoutPublic]:
    """Every shipped layout, by name: a scenario's `floor` may name any of them."""
    return [LayoutPublic.model_validate(i.model_dump()) for i in list_layouts()]


@router.get(
    "/{name}",
    response_model=LayoutDetail,
    summary="A shipped floor layout with its geometry",
    responses=error_responses(404, 422),
)
def get_layout(
    name: Annotated[str, Path(description="Layout name, e.g. 'enterprise-hall'.", max_length=100)],
) -> LayoutDetail:
    """A shipped layout: its one-line summary and the full floor, which can be copied
    into a scenario as an inline `floor` and edited."""
    infos = {i.name: i for i in list_layouts()}
    if name not in infos:
        known = ", ".join(repr(n) for n in sorted(infos))
        raise NotFound(Problem("name", f"unknown layout {name!r}; known layouts: {known}", name))
    floor = load_layout(name)
    return LayoutDetail.model_validate(
        {**infos[name].model_dump(), "floor": floor.model_dump(mode="json")}
    )
