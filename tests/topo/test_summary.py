"""The typed plan summary: plan.json's contract, its published schema, mapping reads."""

from __future__ import annotations

import json

import jsonschema
import pytest
from typer.testing import CliRunner

from tests.conftest import EXAMPLE_NAMES
from topo.cli import app
from topo.summary import PlanSummary, plan_schema


def test_the_cli_prints_the_plan_schema():
    result = CliRunner().invoke(app, ["schema", "--plan"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema == plan_schema()
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_plan_json_matches_the_schema(example_folders, name):
    doc = json.loads((example_folders[name] / "plan.json").read_text())
    jsonschema.Draft202012Validator(plan_schema()).validate(doc)


def test_the_schema_refuses_a_wrong_plan(example_folders):
    doc = json.loads((example_folders["enterprise-hall"] / "plan.json").read_text())
    doc["summary"]["solver"]["status"] = "GREAT"
    with pytest.raises(jsonschema.ValidationError, match="GREAT"):
        jsonschema.Draft202012Validator(plan_schema()).validate(doc)
    del doc["summary"]["cables"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(plan_schema()).validate(doc)


def test_summary_is_typed_and_reads_as_a_mapping(example_plans):
    s = example_plans["power-and-sourcing"].summary
    assert isinstance(s, PlanSummary)
    assert s["cables"] == s.cables and s["solver"]["status"] == s.solver.status
    assert s.sourcing is not None and "sourcing" in s
    placement = s["placement"]
    unit = "usd" if s.solver.objective == "cost" else "m"
    assert f"naive_{unit}" in placement
    assert ("naive_m" in placement) == (unit == "m")
    assert s.to_json() == json.loads(json.dumps(s.to_json()))
    assert PlanSummary.model_validate(s.to_json()) == s


def test_a_plan_without_sourcing_rules_writes_no_sourcing(example_plans):
    s = example_plans["enterprise-hall"].summary
    assert s.sourcing is None and "sourcing" not in s.to_json()
    with pytest.raises(KeyError):
        s["sourcing"]


def test_a_summary_stored_by_an_earlier_topo_still_reads(example_plans):
    old = example_plans["enterprise-hall"].summary.to_json()
    old["solver"] = {**old["solver"], "seconds": 1.25}
    assert (
        PlanSummary.model_validate(old).to_json()
        == example_plans["enterprise-hall"].summary.to_json()
    )
