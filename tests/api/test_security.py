"""API keys and request size limits."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import api.deps
from api.main import create_app
from tests.api.conftest import YAML, make_settings


@pytest.fixture
def keyed(tmp_path):
    with TestClient(create_app(make_settings(tmp_path, api_keys="alpha, beta"))) as c:
        yield c


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/plans"),
        ("GET", "/v1/plans/x"),
        ("GET", "/v1/plans/x/cables.csv"),
        ("DELETE", "/v1/plans/x"),
        ("POST", "/v1/plans"),
        ("POST", "/v1/scenarios/validate"),
        ("GET", "/v1/layouts"),
        ("GET", "/v1/layouts/enterprise-hall"),
        ("GET", "/v1/catalog"),
        ("GET", "/docs"),
        ("GET", "/openapi.json"),
    ],
)
def test_every_route_needs_a_valid_key_when_keys_are_set(keyed, method, path):
    for headers in ({}, {"X-API-Key": "gamma"}, {"X-API-Key": "alph"}, {"X-API-Key": ""}):
        r = keyed.request(method, path, headers=headers, content=b"{}")
        assert r.status_code == 401, (headers, r.text)
        assert r.headers["www-authenticate"] == "APIKey"
        assert r.json()["problems"][0]["location"] == "X-API-Key"
    ok = keyed.request(method, path, headers={"X-API-Key": "beta"}, content=b"{}")
    assert ok.status_code != 401


def test_health_is_open_without_a_key(keyed):
    r = keyed.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_keys_are_compared_in_constant_time(keyed, monkeypatch):
    calls = []

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return a == b

    monkeypatch.setattr(api.deps.hmac, "compare_digest", spy)
    assert keyed.get("/v1/layouts", headers={"X-API-Key": "alpha"}).status_code == 200
    # every configured key is compared, even after a match
    assert calls == [(b"alpha", b"alpha"), (b"alpha", b"beta")]


def test_without_keys_no_key_is_needed(client):
    assert client.get("/v1/layouts").status_code == 200


def test_a_declared_length_over_the_limit_is_413_before_reading(tmp_path):
    with TestClient(create_app(make_settings(tmp_path, max_body_bytes=4096))) as client:
        r = client.post("/v1/plans", content=b"x" * 5000, headers=YAML)
        assert r.status_code == 413
        assert r.json()["problems"][0] == {
            "location": "body",
            "message": "request body of 5,000 bytes is over the limit of 4,096 bytes",
            "value": 5000,
        }


def test_a_streamed_body_over_the_limit_is_413(tmp_path):
    def chunks():
        for _ in range(10):
            yield b"# padding\n" * 100  # 1000 bytes a chunk, no Content-Length

    with TestClient(create_app(make_settings(tmp_path, max_body_bytes=4096))) as client:
        r = client.post("/v1/plans", content=chunks(), headers=YAML)
        assert "content-length" not in r.request.headers
        assert r.status_code == 413
        assert "over the limit of 4,096 bytes" in r.json()["detail"]


def test_a_body_exactly_at_the_limit_is_read(tmp_path, scenario_yaml):
    body = scenario_yaml + b"#" * (4095 - len(scenario_yaml)) + b"\n"
    assert len(body) == 4096
    with TestClient(create_app(make_settings(tmp_path, max_body_bytes=4096))) as client:
        assert client.post("/v1/plans", content=body, headers=YAML).status_code == 201

        def chunks():
            yield from (body[i : i + 1000] for i in range(0, len(body), 1000))

        r = client.post("/v1/plans?reuse=false", content=chunks(), headers=YAML)
        assert r.status_code == 201


def test_docs_page_works_offline(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        r = client.get(f"/docs/assets/{asset}")
        assert r.status_code == 200 and len(r.content) > 100, asset
        assert f"/docs/assets/{asset}" in page.text
    assert client.get("/docs/assets/..%2F..%2Fsetup.py").status_code == 404
    assert client.get("/docs/assets/index.html").status_code == 404
    assert client.get("/redoc").status_code == 404


def test_healthz_stays_open_with_keys(keyed):
    assert keyed.get("/healthz").status_code == 200


def test_a_wrong_method_lists_every_allowed_one(client):
    r = client.put("/v1/plans/abc")
    assert r.status_code == 405
    assert set(r.headers["allow"].replace(" ", "").split(",")) >= {"GET", "DELETE"}
    r = client.patch("/v1/plans")
    assert r.status_code == 405
    assert set(r.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_scenario_yaml_is_documented_as_a_scenario(client):
    doc = client.get("/openapi.json").json()
    op = doc["paths"]["/v1/plans/{plan_id}/scenario.yaml"]["get"]
    schema = op["responses"]["200"]["content"]["application/yaml"]["schema"]
    assert schema["$ref"].endswith("/Scenario")
