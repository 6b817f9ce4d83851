"""Batch ingestion over HTTP on both backends: all-or-nothing, partial, idempotent."""

from __future__ import annotations

import json
from typing import Any

import orjson
from api_support import Api, error_of

CUSTOMERS = [
    {"customer_id": "C1", "name": "Giulia", "city": "Bologna", "loyalty_card": "gold"},
    {"customer_id": "C2", "name": "Marco", "birth_year": 1984},
    {"customer_id": "C3", "name": "Anna", "consent_marketing": True},
]


def _post(api: Api, kind: str, items: Any, query: str = "") -> Any:
    return api.client.post(
        f"/api/v1/{kind}{query}",
        content=orjson.dumps(items),
        headers={**api.headers("ingest"), "Content-Type": "application/json"},
    )


def _interactions(n: int, customers: int = 3) -> list[dict[str, Any]]:
    return [
        {
            "interaction_id": f"I{i:05d}",
            "customer_id": f"C{i % customers + 1}",
            "touchpoint_id": "TP1",
            "occurred_at": f"2024-03-{i % 28 + 1:02d}T10:{i % 60:02d}:00+01:00",
            "type": "repair",
            "duration_s": 60 + i % 600,
            "value": round(10 + i % 90 * 1.5, 2),
            "mechanic": f"M{i % 4}",
        }
        for i in range(n)
    ]


def _seed(api: Api) -> None:
    assert _post(api, "customers", CUSTOMERS).status_code == 200
    touchpoint = {"touchpoint_id": "TP1", "name": "Workshop", "channel": "Store"}
    assert _post(api, "touchpoints", [touchpoint]).status_code == 200


def test_good_batch_is_stored_with_extra_fields(api: Api) -> None:
    response = _post(api, "customers", CUSTOMERS)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["kind"] == "customers"
    assert summary["read"] == summary["loaded"] == 3
    assert summary["duplicates"] == summary["rejected"] == 0
    assert summary["rejects"] == [] and isinstance(summary["import_id"], int)
    assert api.count("customers") == 3
    with api.store.connect() as conn:
        attributes = conn.scalar(
            "SELECT attributes FROM customers WHERE customer_id = 'C1'"
        )
    if isinstance(attributes, str):
        attributes = json.loads(attributes)
    assert attributes == {"loyalty_card": "gold"}
    imports = api.client.get("/api/v1/imports", headers=api.headers("read")).json()
    assert imports[0]["import_id"] == summary["import_id"]
    assert imports[0]["loaded_rows"] == 3
    assert imports[0]["source"] == "api:test-ingest"


def test_batch_with_bad_items_stores_nothing(api: Api) -> None:
    items = [
        CUSTOMERS[0],
        {"customer_id": "C9", "birth_year": "nineteen-eighty"},
        {"name": "no id"},
        CUSTOMERS[1],
    ]
    error = error_of(_post(api, "customers", items), 422)
    assert error["code"] == "batch_rejected"
    by_index = {d["index"]: d for d in error["details"]}
    assert set(by_index) == {1, 2}
    assert by_index[1]["field"] == "birth_year"
    assert by_index[1]["value"] == "nineteen-eighty"
    assert by_index[2]["field"] == "customer_id"
    assert api.count("customers") == 0
    assert api.count("imports") == 0


def test_partial_stores_the_valid_items_and_lists_the_rest(api: Api) -> None:
    _seed(api)
    items = [
        {"feedback_id": "F1", "received_at": "2024-03-03T09:00:00", "source": "survey",
         "customer_id": "C1", "nps": 9},
        {"feedback_id": "F2", "received_at": "2024-03-03T09:05:00", "source": "survey",
         "nps": 11},
        "not an object",
        {"feedback_id": "F4", "received_at": "2024-03-03T09:10:00", "source": "Review",
         "touchpoint_id": "TP1", "rating": 4.5, "text": "Ottimo servizio"},
        {"feedback_id": "F5", "received_at": "yesterday", "source": "survey"},
    ]  # fmt: skip
    response = _post(api, "feedback", items, "?partial=true")
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["read"] == 5
    assert summary["loaded"] == 2
    assert summary["rejected"] == 3
    rejected = {(r["index"], r["field"]) for r in summary["rejects"]}
    assert rejected == {(1, "nps"), (2, None), (4, "received_at")}
    with api.store.connect() as conn:
        stored = conn.fetchall("SELECT feedback_id, source FROM feedback ORDER BY 1")
    assert stored == [("F1", "survey"), ("F4", "review")]


def test_non_object_items_reject_the_whole_batch_by_default(api: Api) -> None:
    error = error_of(_post(api, "customers", [CUSTOMERS[0], 42, None]), 422)
    assert [d["index"] for d in error["details"]] == [1, 2]
    assert api.count("customers") == 0


def test_retried_batch_adds_nothing(api: Api) -> None:
    _seed(api)
    batch = _interactions(50)
    first = _post(api, "interactions", batch).json()
    assert first["loaded"] == 50 and first["duplicates"] == 0
    again = _post(api, "interactions", batch)
    assert again.status_code == 200
    assert again.json()["loaded"] == 0
    assert again.json()["duplicates"] == 50
    overlapping = _post(api, "interactions", _interactions(60)).json()
    assert overlapping["loaded"] == 10 and overlapping["duplicates"] == 50
    assert api.count("interactions") == 60


def test_update_replaces_stored_items(api: Api) -> None:
    _post(api, "customers", CUSTOMERS)
    renamed = [{"customer_id": "C1", "name": "Giulia Rossi"}]
    assert _post(api, "customers", renamed).json()["duplicates"] == 1
    summary = _post(api, "customers", renamed, "?update=true").json()
    assert summary["updated"] == 1 and summary["loaded"] == 0
    with api.store.connect() as conn:
        name = conn.scalar("SELECT name FROM customers WHERE customer_id = 'C1'")
    assert name == "Giulia Rossi"
    assert api.count("customers") == 3


def test_unknown_references_follow_the_query_parameter(api: Api) -> None:
    _seed(api)
    orphan = {"order_id": "O1", "customer_id": "C404", "ordered_at": "2024-03-05",
              "revenue": 99.5}  # fmt: skip
    error = error_of(_post(api, "orders", [orphan]), 422)
    assert error["details"][0]["field"] == "customer_id"
    summary = _post(api, "orders", [orphan], "?unknown_references=create").json()
    assert summary["loaded"] == 1 and summary["created_references"] == 1
    assert api.count("customers", "customer_id = 'C404'") == 1
    bad = api.client.post(
        "/api/v1/orders?unknown_references=maybe",
        content=orjson.dumps([orphan]),
        headers=api.headers("ingest"),
    )
    assert error_of(bad, 422)["details"][0]["field"] == "query.unknown_references"


def test_a_batch_of_a_thousand_interactions(api: Api) -> None:
    _seed(api)
    summary = _post(api, "interactions", _interactions(1000)).json()
    assert summary["loaded"] == 1000 and summary["rejected"] == 0
    assert api.count("interactions") == 1000
    assert api.count("interactions", "customer_id = 'C2'") == 333


def test_empty_batch_loads_nothing(api: Api) -> None:
    response = _post(api, "customers", [])
    assert response.status_code == 200
    assert response.json()["read"] == 0 and response.json()["loaded"] == 0
