"""Checking a scenario without planning it."""

from __future__ import annotations

from fastapi import APIRouter

from api.body import JSON_TYPES, YAML_TYPES
from api.deps import DocumentDep
from api.routes import error_responses
from api.schemas import SCENARIO_REF, ProblemPublic, ValidationReport, scenario_examples
from topo.errors import Problem, TopoError
from topo.planner import validate_scenario
from topo.scenario import parse_scenario

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
    responses=error_responses(400, 415),
)
def validate(document: DocumentDep) -> ValidationReport:
    """Every problem found in a scenario (format, floor geometry, catalog references,
    fabric intent, rack space), each with its location, without planning it. A body that
    is not well-formed JSON or YAML is a 400; anything else is a report."""
    try:
        scenario = parse_scenario(document)
    except TopoError as exc:
        return _report(list(exc.problems))
    return _report(validate_scenario(scenario))
