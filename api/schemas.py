"""What the HTTP API says: request and response schemas, kept apart from topo's models.

topo's own models (the scenario, the catalog, a floor) are served as they are; their JSON
Schemas are generated once from pydantic (:func:`topo_components`) and referenced from
the OpenAPI document, so the API and ``topo schema`` can never disagree. Everything else
here is the API's own vocabulary: a plan as a resource (:class:`PlanPublic`), a page of
plans, a validation report, an error body.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.json_schema import models_json_schema

from layouts.model import Floor
from topo.catalog import Catalog
from topo.scenario import Scenario
from topo.summary import PlanSummary

__all__ = [
    "CATALOG_REF",
    "FLOOR_REF",
    "SCENARIO_REF",
    "ErrorBody",
    "Health",
    "LayoutDetail",
    "LayoutPublic",
    "PlanPage",
    "PlanProgress",
    "PlanPublic",
    "ProblemPublic",
    "ValidationReport",
    "scenario_examples",
    "topo_components",
]

_COMPONENTS = "#/components/schemas/{model}"
SCENARIO_REF = _COMPONENTS.format(model="Scenario")
CATALOG_REF = _COMPONENTS.format(model="Catalog")
FLOOR_REF = _COMPONENTS.format(model="Floor")


@cache
def topo_components() -> dict[str, Any]:
    """JSON Schemas of the topo models the API reads and serves, by component name."""
    keys, schema = models_json_schema(
        [(Scenario, "validation"), (Catalog, "serialization"), (Floor, "serialization")],
        ref_template=_COMPONENTS,
    )
    assert [v["$ref"] for v in keys.values()] == [SCENARIO_REF, CATALOG_REF, FLOOR_REF]
    defs: dict[str, Any] = schema["$defs"]
    # the server never opens a file named in a request
    defs["Scenario"]["properties"]["floor"]["description"] = (
        "Inline floor geometry, or the name of a shipped layout (see GET /v1/layouts). "
        "File paths are refused."
    )
    return defs


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ProblemPublic(_Out):
    """One thing wrong with a request, located in the scenario."""

    location: str = Field(
        description="Dotted path of the offending field or object, e.g. 'fabric.spine.model'; "
        "empty for the whole input.",
        examples=["fabric.spine.model"],
    )
    message: str = Field(description="What is wrong: the object, the value and the limit.")
    value: str | int | float | bool | None = Field(
        None, description="The offending value, where there is one."
    )


class ErrorBody(_Out):
    """The body of every error answer."""

    detail: str = Field(description="One line saying what went wrong.")
    problems: list[ProblemPublic] = Field(description="Every problem found, each located.")


class PlanProgress(_Out):
    """How far a plan has got."""

    stage: str | None = Field(
        None, description="The planner stage running now ('routing cables'), or 'done'."
    )
    stages_done: int = Field(0, ge=0, description="Planner stages started so far.")


PlanStatus = Literal["queued", "running", "done", "failed"]


class PlanPublic(_Out):
    """A plan as a resource: its status, and when done its summary and diagnostics."""

    id: str = Field(description="The plan's id.", examples=["3f0c9a1e5b7d4c2a9e8f1b6d0a4c7e21"])
    status: PlanStatus
    scenario: str = Field(description="The scenario's name.")
    scenario_hash: str = Field(
        description="SHA-256 of the canonical scenario JSON; identical scenarios share it."
    )
    topo_version: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    progress: PlanProgress
    summary: PlanSummary | None = Field(
        None, description="The plan.json summary (devices, cables, lengths, fill, cost, solver)."
    )
    diagnostics: list[ProblemPublic] = Field(
        default_factory=list,
        description="A done plan's warnings: unroutable cables, overfull trays.",
    )
    notes: list[str] = Field(default_factory=list, description="Sizing and placement notes.")
    failure: Literal["invalid", "time-limit", "memory-limit", "interrupted", "internal"] | None = (
        Field(None, description="Why a failed plan failed.")
    )
    reason: str | None = Field(None, description="A failed plan's reason, in words.")
    problems: list[ProblemPublic] = Field(
        default_factory=list, description="An invalid plan's problems, each located."
    )
    files: dict[str, str] = Field(
        default_factory=dict,
        description="A done plan's output files: name -> URL path (with "
        "changes.csv and work_orders.csv for a plan built on an installed one).",
    )


class PlanPage(_Out):
    """One page of plans, newest first."""

    items: list[PlanPublic]
    total: int = Field(ge=0, description="Plans stored in all.")
    limit: int
    offset: int
    next: str | None = Field(None, description="URL path of the next page, if any.")


class ValidationReport(_Out):
    """Every problem found in a scenario, without planning it."""

    valid: bool = Field(description="True when the scenario can be planned.")
    problems: list[ProblemPublic]


class LayoutPublic(_Out):
    """A shipped floor layout, in one line."""

    name: str
    description: str
    racks: int
    network_racks: int
    trays: int


class LayoutDetail(LayoutPublic):
    """A shipped floor layout with its geometry, usable inline as a scenario's floor."""

    # allOf: pydantic resolves a bare $ref itself, and this one lives in the OpenAPI document
    floor: Annotated[dict[str, Any], WithJsonSchema({"allOf": [{"$ref": FLOOR_REF}]})]


class Health(_Out):
    status: Literal["ok"] = "ok"
    version: str = Field(description="topo's version.")


# -- request body examples ----------------------------------------------------------------

_SMALL_ROW = {
    "name": "one-row",
    "description": "Eight racks in one row under a single tray, the floor given inline.",
    "floor": {
        "name": "LAB",
        "outline": [[0, 0], [8, 0], [8, 5], [0, 5]],
        "rows": [{"id": "A", "origin": [1, 1.5], "count": 8, "roles": {"4": "network"}}],
        "trays": [{"id": "T-A", "path": [[0.8, 2.1], [6.0, 2.1]]}],
    },
    "servers": {"model": "srv-1u-2x25g", "per_rack": 8},
    "fabric": {
        "kind": "spine-leaf",
        "leaf": {"model": "tor-48x25g-8x100g"},
        "spine": {"model": "sw-32x100g-1u", "count": 2},
    },
}


@cache
def _default_scenario() -> dict[str, Any]:
    text = resources.files("topo").joinpath("data/scenarios/enterprise-hall.yaml").read_text()
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def scenario_examples(*, with_mistakes: bool = False) -> dict[str, Any]:
    """OpenAPI examples of a scenario body: the shipped default, an inline floor, and
    (``with_mistakes``) one with problems to find."""
    out: dict[str, Any] = {
        "enterprise-hall": {
            "summary": "The shipped default scenario (a shipped layout by name)",
            "value": _default_scenario(),
        },
        "one-row": {"summary": "A small hall given inline", "value": _SMALL_ROW},
    }
    if with_mistakes:
        wrong = dict(_default_scenario())
        wrong["servers"] = {"model": "srv-1u-2x25g", "per_rack": -1}
        wrong["fabric"] = {**wrong["fabric"], "spine": {"model": "sw-nope", "count": 4}}
        out["mistakes"] = {"summary": "A scenario with two mistakes", "value": wrong}
    return out
