"""Checking a scenario without planning it."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from api.body import JSON_TYPES, YAML_TYPES, canonical
from api.deps import RunnerDep, ScenarioDep, StoreDep
from api.errors import Unavailable
from api.installed import installed_files
from api.routes import error_responses
from api.schemas import SCENARIO_REF, ProblemPublic, ValidationReport, scenario_examples
from api.worker import validate_problems
from topo.errors import Problem, TopoError

__all__ = ["router"]

router = APIRouter(prefix="/scenarios", tags=["scenarios"])
log = logging.getLogger("topo.api")

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
    responses=error_responses(400, 415, 422, 503),
)
def validate(scenario: ScenarioDep, runner: RunnerDep, store: StoreDep) -> ValidationReport:
    """Every problem found in a scenario without planning it: floor geometry, catalog
    references, fabric intent, rack space, each with its location.

    A body that does not match the scenario format at all (unknown keys, wrong types) is
    answered 422 listing every mismatch, as POST /v1/plans would; one that does is
    answered 200 with the report. The checks run in a worker process under the same time
    and memory limits as a plan (503 when they run past them). A stored plan named as
    `existing: {plan: <id>}` that cannot be built on (not stored, not done) is one of the
    problems; a path as `existing` is, too.
    """
    try:
        installed, unusable = installed_files(store, scenario), []
    except TopoError as exc:
        installed, unusable = None, list(exc.problems)
    data = canonical(scenario)[0]
    kind, payload = runner.run_in_child(validate_problems, data, installed, what="validation")
    if kind == "done":
        found = [Problem(**p) for p in payload]
        if unusable:  # the planning process could not read it either: say why once
            found = [p for p in found if p.location.split(".")[0] != "existing"]
        return _report(unusable + found)
    if kind in ("time-limit", "memory"):
        raise Unavailable(Problem("scenario", str(payload)))
    log.error("validation failed:\n%s", payload)
    raise RuntimeError("validation failed")
