"""Export and erase one customer over the API: admin only, confirmed, audited."""

from __future__ import annotations

import json

import pytest
from api_support import Api, error_of
from support.nba_data import seed_world
from support.privacy_data import PEOPLE, seed_people

from esperia.auth.api_keys import list_keys
from esperia.auth.audit import read_audit
from esperia.config import Settings
from esperia.customers.personal_data import PERSONAL
from esperia.customers.privacy import export_filename, rows_about
from esperia.nba import score_customers

ERASE, KEEP = "C-ERASE", "C-KEEP"


def _actor(api: Api, scope: str) -> str:
    (key,) = [k for k in list_keys(api.store) if k.name == f"test-{scope}"]
    return f"api_key:{key.key_id}"


def _about(api: Api, customer_id: str) -> dict[str, int]:
    counts = {}
    with api.store.connect() as conn:
        for entry in PERSONAL:
            where, params = rows_about(entry, customer_id)
            sql = f"SELECT count(*) FROM {entry.table} WHERE {where}"
            counts[entry.table] = int(conn.scalar(sql, params))
    return counts


def test_export_is_a_json_download_audited_with_the_key(
    api: Api, settings: Settings
) -> None:
    seed_people(api.store, settings)
    answer = api.client.get(
        f"/api/v1/customers/{ERASE}/export", headers=api.headers("admin")
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="customer-{ERASE}-export.json"'
    )
    data = json.loads(answer.content)
    assert data["customer_id"] == ERASE
    assert data["customer"]["email"] == PEOPLE[ERASE]
    counts = _about(api, ERASE)
    for table, count in counts.items():
        exported = 1 if table == "customers" else len(data[table])
        assert exported == count, table
    assert all(row["customer_id"] == ERASE for row in data["orders"])
    (entry,) = read_audit(api.store, 5, action="customer.export")
    assert (entry["actor"], entry["subject"]) == (_actor(api, "admin"), ERASE)


def test_erasure_needs_the_id_again_then_removes_and_audits(
    api: Api, settings: Settings
) -> None:
    seed_people(api.store, settings)
    admin = api.headers("admin")
    before, kept = _about(api, ERASE), _about(api, KEEP)
    for query, said in (("", "no confirm"), (f"?confirm={KEEP}", repr(KEEP))):
        refused = api.client.delete(f"/api/v1/customers/{ERASE}{query}", headers=admin)
        error = error_of(refused, 400)
        assert error["code"] == "invalid_input"
        assert f"?confirm={ERASE}" in error["message"] and said in error["message"]
    assert _about(api, ERASE) == before  # nothing happened
    answer = api.client.delete(
        f"/api/v1/customers/{ERASE}?confirm={ERASE}", headers=admin
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["customer_id"] == ERASE
    assert body["removed"] == before
    assert body["total"] == sum(before.values()) and body["total"] > 30
    assert set(_about(api, ERASE).values()) == {0}
    assert _about(api, KEEP) == kept
    (entry,) = read_audit(api.store, 5, action="customer.erase")
    assert (entry["actor"], entry["subject"]) == (_actor(api, "admin"), ERASE)
    assert entry["details"] == before
    for path, call in (
        (f"/api/v1/customers/{ERASE}?confirm={ERASE}", api.client.delete),
        (f"/api/v1/customers/{ERASE}/export", api.client.get),
    ):
        assert ERASE in error_of(call(path, headers=admin), 404)["message"]


def test_unknown_customer_is_404_in_the_error_shape(api: Api) -> None:
    admin = api.headers("admin")
    for answer in (
        api.client.get("/api/v1/customers/C-NOBODY/export", headers=admin),
        api.client.delete("/api/v1/customers/C-NOBODY?confirm=C-NOBODY", headers=admin),
    ):
        error = error_of(answer, 404)
        assert error["code"] == "not_found" and "C-NOBODY" in error["message"]


def test_only_admin_keys_may_export_or_erase(duck_api: Api) -> None:
    api = duck_api
    export, erase = "/api/v1/customers/C-X/export", "/api/v1/customers/C-X?confirm=C-X"
    assert error_of(api.client.get(export), 401)["code"] == "not_authenticated"
    assert error_of(api.client.delete(erase), 401)["code"] == "not_authenticated"
    for scope in ("read", "ingest"):
        headers = api.headers(scope)
        for answer in (
            api.client.get(export, headers=headers),
            api.client.delete(erase, headers=headers),
        ):
            error = error_of(answer, 403)
            assert "'admin' scope" in error["message"]


def test_context_routes_still_answer_after_an_erasure(
    api: Api, settings: Settings
) -> None:
    """``DELETE /customers/{id}`` shadows neither the context nor the actions."""
    seed_world(api.store, settings)
    score_customers(api.store, settings.model_copy(update={"nba_holdout_share": 0.0}))
    read, admin = api.headers("read"), api.headers("admin")
    erased = api.client.delete("/api/v1/customers/C-NEW?confirm=C-NEW", headers=admin)
    assert erased.status_code == 200, erased.text
    assert erased.json()["removed"]["nba_context"] == 1
    for path in ("context", "next-best-action"):
        other = api.client.get(f"/api/v1/customers/C-ANGRY/{path}", headers=read)
        assert other.status_code == 200, other.text
        assert other.json()["customer_id"] == "C-ANGRY"
        gone = api.client.get(f"/api/v1/customers/C-NEW/{path}", headers=read)
        assert "C-NEW" in error_of(gone, 404)["message"]
    # A GET on the erasure path is a wrong method, not a context read.
    assert error_of(api.client.get("/api/v1/customers/C-ANGRY", headers=read), 405)[
        "code"
    ] == ("method_not_allowed")


@pytest.mark.parametrize(
    ("customer_id", "name"),
    [
        ("C-1", "customer-C-1-export.json"),
        ('a "b"; c', "customer-a_b_c-export.json"),
        ("città/42", "customer-citt_42-export.json"),
    ],
)
def test_export_filename_is_safe_in_a_header(customer_id: str, name: str) -> None:
    assert export_filename(customer_id) == name
