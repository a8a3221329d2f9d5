"""Fuzz every endpoint against the app's own OpenAPI document with schemathesis.

Requests are generated from the schema (bodies from the scenario JSON Schema, parameters
from their declarations, plus the examples); every answer must be a declared status with
a declared content type, headers and body schema, and never a 500. The run is bounded
and derandomized so that it is fast and repeats.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.main import create_app
from tests.api.conftest import make_settings

KEY = "fuzz-key"

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


# The coverage phase walks every boundary of the (large, nested) scenario schema: thousands
# of requests for the two operations that take a scenario. They get examples and bounded
# fuzzing instead; every other operation gets all phases.
CONFIG = SchemathesisConfig.from_dict(
    {"operations": [{"include-method": "POST", "phases": {"coverage": {"enabled": False}}}]}
)


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    app = create_app(
        make_settings(tmp_path_factory.mktemp("fuzz"), api_keys=KEY, sync_budget_s=5.0)
    )
    yield schemathesis.openapi.from_asgi(
        "/openapi.json", app, config=CONFIG, headers={"X-API-Key": KEY}
    )
    from schemathesis.python.asgi import shutdown_lifespans

    shutdown_lifespans()


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"X-API-Key": KEY}, checks=CHECKS)
