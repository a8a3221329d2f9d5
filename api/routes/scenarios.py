"""Checking a scenario without planning it."""

from __future__ import annotations

from fastapi import APIRouter

from api.body import JSON_TYPES, YAML_TYPES
from api.deps import ScenarioDep
from api.routes import error_responses
from api.schemas import SCENARIO_REF, ProblemPublic, ValidationReport, scenario_examples
from topo.errors import Problem
from topo.planner import validate_scenario

__all__ = ["router"]

router = APIRouter(prefix="/scenarios", tags=["scenarios"])

_BODY = {
    "required": True,
    "description": "A scenario, as JSON or as YAML (by Content-Type).",
    "content": {
        media: {"schema": {"$ref": SCENARIO_REF}, "examples": scenario_examples(with_mistakes=True)}
        for media in JSON_TYPES + YAML_TYPES
    },
}


def _report(problems: list[Problem]) -> ValidationReport:
    return ValidationReport(
        valid=not problems,
        problems=[ProblemPublic.model_validate(p.to_dict()) for p in problems],
    )


@router.post(
    "/validate",
    response_model=ValidationReport,
    summary="Find every problem in a scenario",
    openapi_extra={"requestBody": _BODY},
    responses=error_responses(400, 415, 422),
)
def validate(scenario: ScenarioDep) -> ValidationReport:
    """Every problem found in a scenario without planning it: floor geometry, catalog
    references, fabric intent, rack space, each with its location.

    A body that does not match the scenario format at all (unknown keys, wrong types) is
    answered 422 listing every mismatch, as POST /v1/plans would; one that does is
    answered 200 with the report.
    """
    return _report(validate_scenario(scenario))
