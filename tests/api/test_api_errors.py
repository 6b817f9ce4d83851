"""One error shape everywhere under /api: walked over every route of the app."""

from __future__ import annotations

import re
from typing import Any

import fastapi.routing
import pytest
from api_support import Api, error_of
from fastapi.testclient import TestClient

from esperia.errors import StoreError

#: Routes open without a key (they hold no data).
OPEN = {
    "/api/v1/health",
    "/api/v1/openapi.json",
    "/api/v1/docs",
    # The customer chat: anonymous by nature, rate-limited (tests/assistant).
    "/api/v1/assistant/messages",
}


def _flat_routes(api: Api) -> list[Any]:
    """``app.routes`` with included routers opened up.

    FastAPI 0.13x+ keeps an included router as one lazy entry in ``app.routes``;
    ``iter_route_contexts`` (what FastAPI's OpenAPI builder walks) opens it.
    """
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    return list(flatten(api.app.routes)) if flatten else list(api.app.routes)


def _api_routes(api: Api) -> list[tuple[str, str]]:
    """Every (method, concrete path) the app serves under /api/v1."""
    found = []
    for route in _flat_routes(api):
        path = getattr(route, "path", "")
        if not path.startswith("/api/v1") or path in OPEN:
            continue
        concrete = re.sub(r"\{[^}]+\}", "x", path)
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            if method != "HEAD":
                found.append((method, concrete))
    return found


def test_every_data_route_needs_a_key(duck_api: Api) -> None:
    routes = _api_routes(duck_api)
    posts = {p for m, p in routes if m == "POST"}
    assert {
        "/api/v1/customers",
        "/api/v1/touchpoints",
        "/api/v1/interactions",
        "/api/v1/orders",
        "/api/v1/feedback",
        "/api/v1/keys",
    } <= posts
    assert ("GET", "/api/v1/status") in routes and (
        "DELETE",
        "/api/v1/keys/x",
    ) in routes
    for method, path in routes:
        response = duck_api.client.request(method, path)
        error = error_of(response, 401)
        assert error["code"] == "not_authenticated", (method, path)
    assert duck_api.client.get("/api/v1/health").json()["status"] == "ok"
    assert duck_api.client.get("/api/v1/openapi.json").status_code == 200


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b'{"customer_id": "C1"}', b'"text"', b"[1, 2"],
    ids=["broken", "empty", "object", "string", "truncated"],
)
def test_malformed_bodies_get_the_error_shape(duck_api: Api, body: bytes) -> None:
    # Every POST that reads a JSON body (actions such as a model fit read none).
    spec = duck_api.client.get("/api/v1/openapi.json").json()["paths"]
    with_body = {
        re.sub(r"\{[^}]+\}", "x", path)
        for path, ops in spec.items()
        if "requestBody" in ops.get("post", {})
    }
    posts = [p for m, p in _api_routes(duck_api) if m == "POST" and p in with_body]
    assert len(posts) >= 6  # the five kinds, keys, and any added since
    for path in posts:
        response = duck_api.client.post(
            path,
            content=body,
            headers={**duck_api.headers("admin"), "Content-Type": "application/json"},
        )
        # A route naming a resource ("x" here, which does not exist) may answer
        # 404 before it reads the body; every answer has the error shape.
        allowed = (400, 404, 422) if "/x" in path else (400, 422)
        assert response.status_code in allowed, (path, response.text)
        error_of(response, response.status_code)
    assert duck_api.count("customers") == 0


def test_http_errors_under_api_get_the_error_shape(duck_api: Api) -> None:
    client, admin = duck_api.client, duck_api.headers("admin")
    assert error_of(client.get("/api/v1/nothing", headers=admin), 404)["code"] == (
        "not_found"
    )
    assert error_of(client.get("/api/v2/status"), 404)
    wrong = client.put("/api/v1/status", headers=admin)
    assert error_of(wrong, 405)["code"] == "method_not_allowed"
    assert wrong.headers["allow"] == "GET"
    invalid = error_of(client.get("/api/v1/imports?limit=0", headers=admin), 422)
    assert invalid["code"] == "invalid_request"
    assert invalid["details"][0]["field"] == "query.limit"
    assert invalid["details"][0]["reason"]


def test_unexpected_and_store_errors_leak_no_traceback(duck_api: Api) -> None:
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    def store_down() -> None:
        raise StoreError("cannot reach PostgreSQL at postgresql://x@db/esperia")

    duck_api.app.add_api_route("/api/v1/_boom", boom)
    duck_api.app.add_api_route("/api/v1/_down", store_down)
    duck_api.app.add_api_route("/_boom_page", boom)
    client = TestClient(duck_api.app, raise_server_exceptions=False)
    response = client.get("/api/v1/_boom")
    error = error_of(response, 500)
    assert error["code"] == "internal_error"
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert error_of(client.get("/api/v1/_down"), 503)["code"] == "store_unavailable"
    page = client.get("/_boom_page")
    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "secret internal detail" not in page.text


def test_errors_outside_api_render_the_web_page(duck_api: Api) -> None:
    response = duck_api.client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_openapi_documents_each_batch_and_the_security(duck_api: Api) -> None:
    spec = duck_api.client.get("/api/v1/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == "bearer"
    assert schemes["apiKey"]["name"] == "X-API-Key"
    required = {
        "customers": ["customer_id"],
        "touchpoints": ["touchpoint_id", "name", "channel"],
        "interactions": [
            "interaction_id",
            "customer_id",
            "touchpoint_id",
            "occurred_at",
        ],
        "orders": ["order_id", "customer_id", "ordered_at", "revenue"],
        "feedback": ["feedback_id", "received_at", "source"],
    }
    for kind, columns in required.items():
        post = spec["paths"][f"/api/v1/{kind}"]["post"]
        schema = post["requestBody"]["content"]["application/json"]["schema"]
        assert schema["type"] == "array"
        assert schema["items"]["required"] == columns
        assert schema["items"]["additionalProperties"] is True
        assert {"401", "403", "413", "422"} <= set(post["responses"])
        params = {p["name"] for p in post["parameters"]}
        assert params == {"partial", "update", "unknown_references"}
    feedback = spec["paths"]["/api/v1/feedback"]["post"]["requestBody"]
    nps = feedback["content"]["application/json"]["schema"]["items"]["properties"]
    assert nps["nps"]["anyOf"][0]["maximum"] == 10
