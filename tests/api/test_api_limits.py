"""Body limits: 413 in the error shape by declared length, streamed bytes, items."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from api_support import Api, error_of


def _customers(n: int) -> list[dict[str, Any]]:
    return [{"customer_id": f"C{i:04d}", "name": f"Cliente {i}"} for i in range(n)]


def test_body_over_the_limit_is_refused_by_its_length(duck_api: Api) -> None:
    duck_api.limit(api_max_body_bytes=2_000)
    body = orjson.dumps(_customers(100))
    assert len(body) > 2_000
    response = duck_api.client.post(
        "/api/v1/customers", content=body, headers=duck_api.headers("ingest")
    )
    error = error_of(response, 413)
    assert error["code"] == "payload_too_large"
    assert "2,000 bytes" in error["message"]
    assert duck_api.count("customers") == 0

    small = orjson.dumps(_customers(10))
    assert len(small) < 2_000
    ok = duck_api.client.post(
        "/api/v1/customers", content=small, headers=duck_api.headers("ingest")
    )
    assert ok.status_code == 200 and ok.json()["loaded"] == 10


def test_chunked_body_is_measured_while_it_streams(duck_api: Api) -> None:
    duck_api.limit(api_max_body_bytes=2_000)
    body = orjson.dumps(_customers(100))

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 500):
            yield body[start : start + 500]

    response = duck_api.client.post(
        "/api/v1/customers", content=chunks(), headers=duck_api.headers("ingest")
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert error_of(response, 413)["code"] == "payload_too_large"
    assert duck_api.count("customers") == 0


def test_too_many_items_are_refused(duck_api: Api) -> None:
    duck_api.limit(api_max_items=25)
    response = duck_api.client.post(
        "/api/v1/customers",
        content=orjson.dumps(_customers(26)),
        headers=duck_api.headers("ingest"),
    )
    error = error_of(response, 413)
    assert "26 items" in error["message"] and "25" in error["message"]
    assert duck_api.count("customers") == 0
    at_limit = duck_api.client.post(
        "/api/v1/customers",
        content=orjson.dumps(_customers(25)),
        headers=duck_api.headers("ingest"),
    )
    assert at_limit.status_code == 200 and at_limit.json()["loaded"] == 25


def test_body_that_is_not_an_array_gets_a_clear_400(duck_api: Api) -> None:
    cases = {
        b'{"customer_id": "C1"}': "not a JSON object",
        b"": "empty",
        b"[{]": "not valid JSON",
        b"12": "not a JSON number",
    }
    for body, words in cases.items():
        response = duck_api.client.post(
            "/api/v1/customers", content=body, headers=duck_api.headers("ingest")
        )
        assert words in error_of(response, 400)["message"], body


def test_limits_are_checked_only_after_authentication(duck_api: Api) -> None:
    duck_api.limit(api_max_body_bytes=10)
    response = duck_api.client.post(
        "/api/v1/customers", content=orjson.dumps(_customers(5))
    )
    assert error_of(response, 401)["code"] == "not_authenticated"
