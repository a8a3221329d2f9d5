"""A done plan's cables a piece at a time, for the viewer: by rack, by segment, by tier.

::

    GET /v1/plans/{id}/overview                 fabrics and tiers with their cable counts
    GET /v1/plans/{id}/racks/{rack}/cables      a rack's devices, cables and their routes
    GET /v1/plans/{id}/segments/{segment}       a tray segment's fill and its cables
    GET /v1/plans/{id}/cables?search=C00001     cables by id or label
    GET /v1/plans/{id}/tiers?fabric=&tier=      segments and racks a fabric's tier uses

Every answer comes from an index of the plan's stored ``cables.csv`` built on the first
request (:mod:`api.plan_index`), so a plan of 100,000 cables is read once, not per click.
Cable lists are cut at ``limit``; ``total`` says how many there are in all.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api.deps import StoreDep
from api.errors import NotFound, NotReady
from api.plan_index import PlanIndex, PlanIndexCache
from api.routes import error_responses
from api.store import PlanStore
from topo.errors import Problem

__all__ = [
    "CableList",
    "CablePublic",
    "DevicePublic",
    "PlanOverview",
    "RackCables",
    "SegmentCables",
    "TierUsage",
    "router",
]

router = APIRouter(prefix="/plans", tags=["plans"])

PlanId = Annotated[str, Path(description="The plan's id.", max_length=64)]
Fabric = Annotated[str | None, Query(description="Only cables of this fabric.", max_length=64)]
Tier = Annotated[str | None, Query(description="Only cables of this tier.", max_length=64)]
Limit = Annotated[int, Query(ge=0, le=5000, description="Most cables listed.")]

_ERRORS = error_responses(404, 409, 422)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class CablePublic(_Out):
    """One cable as ``cables.csv`` lists it (values as written there), with its route."""

    cable_id: str
    label: str
    status: str
    fabric: str
    tier: str
    speed_gbps: str
    a_rack: str
    a_device: str
    a_port: str
    b_rack: str
    b_device: str
    b_port: str
    media: str
    length_m: str
    cost_usd: str
    tray_route: str = Field(description="The route as cables.csv writes it: 'T-A.001..003'.")
    segments: list[str] = Field(description="Every tray segment of the route, in order.")


class DevicePublic(_Out):
    """A device of a rack, as the plan's ``plan.json`` lists it."""

    model_config = ConfigDict(frozen=True, extra="allow")

    id: str
    role: str
    model: str
    rack: str
    u: int | None
    height_u: int | None


class CableList(_Out):
    """Cables, cut at ``limit``: ``total`` says how many matched."""

    total: int
    cables: list[CablePublic]


class FabricTier(_Out):
    """How many cables one tier of one fabric has."""

    fabric: str
    tier: str
    cables: int


class PlanOverview(_Out):
    """A plan's fabrics and tiers, and what its cables use."""

    cables: int
    groups: list[FabricTier]
    racks: int = Field(description="Racks with a cable end in them.")
    segments: int = Field(description="Tray segments in the plan.")


class RackCables(CableList):
    """A rack's devices and cables (listed up to ``limit``, all counted)."""

    rack: str
    devices: list[DevicePublic]
    segments: dict[str, int] = Field(description="Cables of the rack per tray segment.")
    racks: list[str] = Field(description="Racks at the cables' ends, this one included.")


class SegmentCables(CableList):
    """A tray segment's fill (its row of ``trays.csv``) and the cables through it."""

    segment: str
    fill: dict[str, str] | None


class TierUsage(_Out):
    """What the cables of a fabric's tier use."""

    fabric: str | None
    tier: str | None
    total: int
    segments: dict[str, int] = Field(description="Cables per tray segment.")
    racks: list[str] = Field(description="Racks the cables end in.")


def _index(request: Request, store: PlanStore, plan_id: str) -> PlanIndex:
    record = store.get(plan_id)
    if record is None:
        raise NotFound(Problem("id", f"no plan {plan_id!r}", plan_id))
    if record.status != "done":
        raise NotReady(
            Problem("status", f"plan {plan_id!r} is {record.status}; it has no cables yet",
                    record.status)
        )  # fmt: skip
    cache: PlanIndexCache = request.app.state.plan_indexes

    def files(name: str) -> bytes | None:
        found = store.file(plan_id, name)
        return None if found is None else found.content

    try:
        return cache.get(plan_id, files)
    except ValueError as exc:
        raise NotFound(Problem("file", f"plan {plan_id!r}: {exc}", "cables.csv")) from None


def _listing(index: PlanIndex, positions: list[int], limit: int) -> dict[str, Any]:
    return {"total": len(positions), "cables": [index.cable(p) for p in positions[:limit]]}


@router.get(
    "/{plan_id}/overview",
    response_model=PlanOverview,
    summary="A plan's fabrics and tiers",
    responses=_ERRORS,
)
def plan_overview(plan_id: PlanId, request: Request, store: StoreDep) -> dict[str, Any]:
    """The plan's fabrics and tiers with their cable counts, and how many racks and tray
    segments its cables use."""
    index = _index(request, store, plan_id)
    groups = [
        {"fabric": fabric, "tier": tier, "cables": len(positions)}
        for (fabric, tier), positions in sorted(index.by_group.items())
    ]
    return {
        "cables": len(index.cables),
        "groups": groups,
        "racks": len(index.by_rack),
        "segments": len(index.segments) or len(index.by_segment),
    }


@router.get(
    "/{plan_id}/racks/{rack}/cables",
    response_model=RackCables,
    summary="A rack's devices and cables, with the segments their routes use",
    responses=_ERRORS,
)
def rack_cables(
    plan_id: PlanId,
    rack: Annotated[str, Path(description="The rack's id.", max_length=64)],
    request: Request,
    store: StoreDep,
    fabric: Fabric = None,
    tier: Tier = None,
    limit: Limit = 500,
) -> dict[str, Any]:
    """The rack's devices and every cable with an end in it: the first ``limit`` listed,
    all of them counted in ``segments`` (cables per tray segment) and ``racks`` (the racks
    at their ends)."""
    index = _index(request, store, plan_id)
    if rack not in index.by_rack and rack not in index.devices:
        raise NotFound(Problem("rack", f"plan {plan_id!r} has no rack {rack!r} with cables", rack))
    positions = index.select(index.by_rack.get(rack, []), fabric=fabric, tier=tier)
    return {
        "rack": rack,
        "devices": index.devices.get(rack, []),
        **_listing(index, positions, limit),
        "segments": index.segment_counts(positions),
        "racks": index.racks_of(positions),
    }


@router.get(
    "/{plan_id}/segments/{segment}",
    response_model=SegmentCables,
    summary="A tray segment's fill and the cables in it",
    responses=_ERRORS,
)
def segment_cables(
    plan_id: PlanId,
    segment: Annotated[str, Path(description="The segment's id.", max_length=64)],
    request: Request,
    store: StoreDep,
    fabric: Fabric = None,
    tier: Tier = None,
    limit: Limit = 500,
) -> dict[str, Any]:
    """The segment's row of ``trays.csv`` (fill, limit, status) and the cables routed
    through it."""
    index = _index(request, store, plan_id)
    if segment not in index.segments and segment not in index.by_segment:
        raise NotFound(Problem("segment", f"plan {plan_id!r} has no segment {segment!r}", segment))
    positions = index.select(index.by_segment.get(segment, []), fabric=fabric, tier=tier)
    return {
        "segment": segment,
        "fill": index.segments.get(segment),
        **_listing(index, positions, limit),
    }


@router.get(
    "/{plan_id}/cables",
    response_model=CableList,
    summary="Find cables by id or label",
    responses=_ERRORS,
)
def find_cables(
    plan_id: PlanId,
    request: Request,
    store: StoreDep,
    search: Annotated[
        str, Query(description="Part of a cable id or label.", min_length=1, max_length=200)
    ],
    fabric: Fabric = None,
    tier: Tier = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    """Cables whose id or label contains ``search`` (any case), an exact id first."""
    index = _index(request, store, plan_id)
    positions = index.select(index.search(search), fabric=fabric, tier=tier)
    return _listing(index, positions, limit)


@router.get(
    "/{plan_id}/tiers",
    response_model=TierUsage,
    summary="The segments and racks a fabric's tier uses",
    responses=_ERRORS,
)
def tier_usage(
    plan_id: PlanId, request: Request, store: StoreDep, fabric: Fabric = None, tier: Tier = None
) -> dict[str, Any]:
    """How many cables of the fabric and tier (None: any) run through each tray segment,
    and the racks they end in."""
    index = _index(request, store, plan_id)
    return {"fabric": fabric, "tier": tier, **index.usage(fabric=fabric, tier=tier)}
