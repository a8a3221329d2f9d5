"""Layouts, catalog, health and the OpenAPI document."""

from __future__ import annotations

from api.routes.plans import DOWNLOADS
from layouts.library import list_layouts, load_layout
from topo.catalog import builtin_catalog


def test_layouts_lists_the_shipped_layouts(client):
    r = client.get("/v1/layouts")
    assert r.status_code == 200
    assert r.json() == [i.model_dump() for i in list_layouts()]


def test_a_layout_comes_with_its_floor(client):
    r = client.get("/v1/layouts/ai-hall")
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "ai-hall"
    assert body["racks"] == 180
    assert body["floor"] == load_layout("ai-hall").model_dump(mode="json")


def test_an_unknown_layout_is_404_naming_the_known_ones(client):
    r = client.get("/v1/layouts/..")
    assert r.status_code == 404
    r = client.get("/v1/layouts/moon-base")
    assert r.status_code == 404
    assert "known layouts: 'ai-hall', 'enterprise-hall'" in r.json()["detail"]


def test_catalog_is_the_builtin_catalog(client):
    r = client.get("/v1/catalog")
    assert r.status_code == 200
    assert r.json() == builtin_catalog().model_dump(mode="json")


def test_health(client):
    assert client.get("/healthz").json() == {"status": "ok", "version": "0.1.0"}


def test_openapi_documents_every_operation(client):
    doc = client.get("/openapi.json").json()
    assert client.get("/docs").status_code == 200
    schemas = doc["components"]["schemas"]
    assert {"Scenario", "Catalog", "Floor", "PlanPublic", "ErrorBody"} <= set(schemas)
    operations = [(p, m, op) for p, ops in doc["paths"].items() for m, op in ops.items()]
    # plus one download route per file, and the viewer's five plan routes and two sweep routes
    assert len(operations) == 10 + len(DOWNLOADS) + 7  # + the export route
    for path, method, op in operations:
        codes = set(op["responses"])
        if path != "/healthz":
            assert {"401", "413"} <= codes, (path, method)
        if op.get("parameters"):
            assert "422" in codes, (path, method)
        if "requestBody" in op:
            content = op["requestBody"]["content"]
            assert {"application/json", "application/yaml", "application/x-yaml"} <= set(content)
            for media in content.values():
                assert media["schema"] == {"$ref": "#/components/schemas/Scenario"}
                assert media["examples"], (path, method)
            assert {"400", "415", "422"} <= codes
    assert "HTTPValidationError" not in schemas  # every 422 uses the common error body


def test_request_body_examples_are_valid_scenarios(client):
    doc = client.get("/openapi.json").json()
    examples = doc["paths"]["/v1/plans"]["post"]["requestBody"]["content"]["application/json"][
        "examples"
    ]
    for name, example in examples.items():
        r = client.post("/v1/scenarios/validate", json=example["value"])
        assert r.json() == {"valid": True, "problems": []}, name
