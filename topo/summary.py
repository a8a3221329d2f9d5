"""The plan summary: the figures other tools read from ``plan.json``, as typed records.

:class:`PlanSummary` is the contract of ``plan.json``'s ``summary`` (DESIGN.md lists its
fields); ``topo schema --plan`` publishes its JSON Schema, and the API's plan resource
uses it. Each record also reads as a mapping (``summary["cables"]``,
``summary["solver"]["status"]``), so a script written against ``plan.json`` reads a
:class:`~topo.plan.Plan` the same way. :meth:`PlanSummary.to_json` is exactly what
``plan.json`` holds: fields that do not apply (the sourcing figures of a scenario that
sets no sourcing rules, a placement report's figures for the other objective) are left
out rather than written as null.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ChangesSummary",
    "FabricSummary",
    "HallPower",
    "PlacementSummary",
    "PlanSummary",
    "PowerFigures",
    "RowPower",
    "SolverSummary",
    "SourcingSummary",
    "plan_schema",
]


def _absent(description: str | None = None) -> Any:
    """A field left out of ``plan.json`` when it does not apply (None)."""
    return Field(None, description=description, exclude_if=lambda v: v is None)


class _Record(BaseModel):
    """A frozen record that also reads as a mapping of its (present) fields.

    Unknown keys are ignored on reading, so plans stored by an earlier topo (whose
    ``solver`` recorded its measured ``seconds``) still read."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    def __getitem__(self, key: str) -> Any:
        if key not in self:
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key: object) -> bool:
        return (
            isinstance(key, str)
            and key in type(self).model_fields
            and not (getattr(self, key) is None and type(self).model_fields[key].exclude_if)
        )

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self else default

    def keys(self) -> list[str]:
        return [k for k in type(self).model_fields if k in self]


class SolverSummary(_Record):
    """How the routes were found and how good they are known to be."""

    status: Literal["OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN"] = Field(
        description="OPTIMAL: proven best for this placement; FEASIBLE: fits, gap below; "
        "INFEASIBLE: the trays cannot hold the cables (overflow minimised); UNKNOWN."
    )
    method: str = Field(description="e.g. shortest-path, column-generation, cp-sat")
    objective: Literal["cost", "length"]
    gap: float = Field(description="(plan - bound) / bound of the objective minimised")
    length_gap: float
    cost_gap: float
    bound_source: str = Field(description="what proves the bound, e.g. shortest-paths")
    bound_scope: Literal["placement"] = Field(
        description="the bounds hold for every plan keeping this placement of the switches"
    )
    iterations: int
    time_limit_hit: bool


class PlacementSummary(_Record):
    """How the free switches were placed, against the naive placement, on the final
    routed and sized cables (metres for objective ``length``, dollars for ``cost``)."""

    method: str
    free_devices: int | None = _absent()
    naive_m: float | None = _absent()
    chosen_m: float | None = _absent()
    naive_usd: float | None = _absent()
    chosen_usd: float | None = _absent()
    saving_pct: float | None = _absent("100 * (naive - chosen) / naive")
    rounds: int | None = _absent()
    max_tray_fill_before: float | None = _absent()
    max_tray_fill_after: float | None = _absent()


class FabricSummary(_Record):
    """One network of the plan."""

    kind: str
    tiers: int
    devices: dict[str, int]
    links: int
    cables_by_tier: dict[str, int]
    shape: dict[str, int | str] | None = _absent(
        "units, pods, spines, cores, links per pair (clos and rail fabrics)"
    )


class PowerFigures(_Record):
    """IT power, kW: servers + switches + optics."""

    it_kw: float
    servers_kw: float
    switches_kw: float
    optics_kw: float


class RowPower(PowerFigures):
    budget_kw: float | None
    cooling: str | None
    rack_limit_kw: float
    max_rack_kw: float
    max_rack: str


class HallPower(PowerFigures):
    budget_kw: float | None
    rows: dict[str, RowPower]


class SourcingSummary(_Record):
    """Where the bill of materials comes from (``options.sourcing`` set)."""

    domestic: str | None
    relative_to: str
    total_usd: float
    domestic_usd: float
    domestic_share: float
    unknown_origin_usd: float
    by_origin_usd: dict[str, float]
    exclude_origins: list[str]
    min_domestic_share: float | None
    domestic_short_usd: float | None = _absent()


class ChangesSummary(_Record):
    """Cables by what happens to them, against the installed plan the plan builds on."""

    keep: int
    add: int
    remove: int
    reroute: int
    relative_to: str = Field(description="the installed plan's scenario name")


class FloorBound(_Record):
    """A line across the floor that no placement and no routing can carry."""

    axis: Literal["x", "y"] = Field(description="the line x = at_m or y = at_m")
    at_m: float
    segments: list[str] = Field(description="the tray segments crossing the line")
    capacity_mm2: float = Field(description="their cross-section at their fill limits")
    least_mm2: float = Field(
        description="the least cable cross-section any placement lays across the line"
    )
    over_mm2: float
    ratio: float = Field(description="least_mm2 / capacity_mm2")
    relative_to: str = Field(
        description="what the bound holds for: every placement of the switches in their "
        "candidate racks (rack space ignored), every routing, the thinnest media"
    )


class ThinMedia(_Record):
    """Cables moved to thinner media than their length calls for, where the trays were
    full."""

    cables: int
    extra_cost_usd: float = Field(description="what the thinner media add")
    by_media: dict[str, int] = Field(
        description="cables by change, 'media for the length to media given'"
    )
    relative_to: str = Field(description="what the extra cost is measured against")


class PlanSummary(_Record):
    """``plan.json``'s ``summary``: the figures other tools rely on."""

    scenario: str
    devices: dict[str, int] = Field(description="device count by role")
    links: int
    cables: int
    cables_by_tier: dict[str, int]
    cables_by_media: dict[str, int]
    total_length_m: float = Field(description="cables as needed, before rounding to stock")
    total_stock_length_m: float
    lower_bound_length_m: float = Field(
        description="no plan keeping this switch placement can be shorter"
    )
    max_tray_fill: float = Field(description="fullest tray segment, fraction of its area")
    trays_over_limit: int
    unrouted: int
    cost_usd: float = Field(description="cables, optics and switches")
    cable_cost_usd: float
    switch_cost_usd: float
    optics_power_w: float
    fabrics: dict[str, FabricSummary]
    lower_bound_cost_usd: float
    overflow_mm2: float
    solver: SolverSummary
    placement: PlacementSummary
    power: HallPower
    sourcing: SourcingSummary | None = _absent()
    changes: ChangesSummary | None = _absent(
        "cables by action against the installed plan (scenarios with `existing`)"
    )
    floor_bound: FloorBound | None = _absent(
        "a proof that no placement fits the trays (when the plan overflows and one is found)"
    )
    thin_media: ThinMedia | None = _absent(
        "cables moved to thinner media where the trays were full (option `thin_media`)"
    )

    def to_json(self) -> dict[str, Any]:
        """The summary exactly as ``plan.json`` writes it."""
        return self.model_dump(mode="json")


def plan_schema() -> dict[str, Any]:
    """JSON Schema of ``plan.json`` (``topo schema --plan``)."""
    summary = PlanSummary.model_json_schema(ref_template="#/$defs/{model}")
    defs = summary.pop("$defs", {})
    defs["PlanSummary"] = summary
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "topo plan.json",
        "type": "object",
        "required": ["format", "summary", "diagnostics", "notes", "devices"],
        "properties": {
            "format": {"const": "topo.plan/1"},
            "summary": {"$ref": "#/$defs/PlanSummary"},
            "diagnostics": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["location", "message"],
                    "properties": {
                        "location": {"type": "string"},
                        "message": {"type": "string"},
                        "value": {},
                    },
                },
            },
            "notes": {"type": "array", "items": {"type": "string"}},
            "devices": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "role", "model", "rack", "u", "height_u"],
                    "properties": {
                        "id": {"type": "string"},
                        "role": {"type": "string"},
                        "model": {"type": "string"},
                        "rack": {"type": ["string", "null"]},
                        "u": {"type": ["integer", "null"]},
                        "height_u": {"type": "integer"},
                        "fabric": {"type": "string"},
                        "group": {"type": "string"},
                    },
                },
            },
        },
        "$defs": defs,
    }
