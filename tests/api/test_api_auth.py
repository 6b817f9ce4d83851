"""Who may call what: API keys in two headers, scopes, revocation, web sessions."""

from __future__ import annotations

import re

import orjson
import pytest
from api_support import Api, error_of

from esperia.auth.users import create_user

BATCH = orjson.dumps([{"customer_id": "C1", "name": "Giulia"}])


def test_both_headers_carry_a_key(duck_api: Api) -> None:
    token = duck_api.tokens["read"]
    for headers in (
        {"Authorization": f"Bearer {token}"},
        {"authorization": f"bearer {token}"},
        {"X-API-Key": token},
    ):
        response = duck_api.client.get("/api/v1/status", headers=headers)
        assert response.status_code == 200, (headers, response.text)
        assert set(response.json()["tables"]) == {
            "customers",
            "touchpoints",
            "interactions",
            "orders",
            "feedback",
        }


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic dXNlcjpwdw=="},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer esp_nope"},
        {"Authorization": "Bearer esp_0123456789abcdef_wrongsecret"},
        {"X-API-Key": ""},
        {"X-API-Key": "not-a-key"},
    ],
    ids=["none", "basic", "empty-bearer", "malformed", "unknown", "empty", "garbage"],
)
def test_missing_or_bad_credentials_get_401(
    duck_api: Api, headers: dict[str, str]
) -> None:
    response = duck_api.client.get("/api/v1/status", headers=headers)
    error = error_of(response, 401)
    assert error["code"] == "not_authenticated"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_scopes_limit_what_a_key_may_do(duck_api: Api) -> None:
    client = duck_api.client

    def post(scope: str) -> int:
        return client.post(
            "/api/v1/customers", content=BATCH, headers=duck_api.headers(scope)
        ).status_code

    def get(path: str, scope: str) -> int:
        return client.get(path, headers=duck_api.headers(scope)).status_code

    # ingest: may send data, may not read it or manage keys
    assert post("ingest") == 200
    assert get("/api/v1/status", "ingest") == 403
    assert get("/api/v1/keys", "ingest") == 403
    # read: may read, may not send data or manage keys
    assert get("/api/v1/status", "read") == 200
    assert get("/api/v1/imports", "read") == 200
    assert post("read") == 403
    assert get("/api/v1/keys", "read") == 403
    # admin: everything
    assert post("admin") == 200
    assert get("/api/v1/status", "admin") == 200
    assert get("/api/v1/keys", "admin") == 200

    error = error_of(
        client.post("/api/v1/orders", content=BATCH, headers=duck_api.headers("read")),
        403,
    )
    assert error["code"] == "forbidden" and "'ingest'" in error["message"]
    assert duck_api.count("customers") == 1


def test_keys_are_managed_over_the_api(duck_api: Api) -> None:
    client, admin = duck_api.client, duck_api.headers("admin")
    created = client.post(
        "/api/v1/keys", json={"name": "pos-tills", "scopes": ["ingest"]}, headers=admin
    )
    assert created.status_code == 201, created.text
    key = created.json()
    assert key["scopes"] == ["ingest"] and key["active"] is True
    assert key["token"].startswith(f"esp_{key['key_id']}_")
    new = {"Authorization": f"Bearer {key['token']}"}
    assert (
        client.post("/api/v1/customers", content=BATCH, headers=new).status_code == 200
    )

    listed = client.get("/api/v1/keys", headers=admin).json()
    assert key["key_id"] in {k["key_id"] for k in listed}
    assert all("token" not in k and "secret_hash" not in k for k in listed)

    revoked = client.delete(f"/api/v1/keys/{key['key_id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    # health needs no key, so a revoked one does not matter there
    assert client.get("/api/v1/health", headers=new).status_code == 200
    refused = error_of(
        client.post("/api/v1/customers", content=BATCH, headers=new), 401
    )
    assert "revoked" in refused["message"]

    assert error_of(client.delete("/api/v1/keys/nope", headers=admin), 404)
    bad = client.post(
        "/api/v1/keys", json={"name": "x", "scopes": ["root"]}, headers=admin
    )
    assert "unknown scope" in error_of(bad, 400)["message"]
    missing = client.post("/api/v1/keys", json={"name": "x"}, headers=admin)
    fields = [d["field"] for d in error_of(missing, 422)["details"]]
    assert fields == ["body.scopes"]


def test_a_logged_in_user_may_read_but_not_write(duck_api: Api) -> None:
    create_user(duck_api.store, "ada@example.com", "a-long-password", "viewer")
    client = duck_api.client
    assert client.get("/api/v1/status").status_code == 401
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    login = client.post(
        "/login",
        data={
            "email": "ada@example.com",
            "password": "a-long-password",
            "csrf_token": token.group(1),
        },
        follow_redirects=False,
    )
    assert login.status_code == 303, login.text
    assert client.get("/api/v1/status").status_code == 200
    assert client.get("/api/v1/imports").status_code == 200
    assert error_of(client.post("/api/v1/customers", content=BATCH), 403)
    assert error_of(client.get("/api/v1/keys"), 403)
    assert duck_api.count("customers") == 0
