"""API keys on both backends: lifecycle, hashed storage, scopes, usage timestamps."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta

import pytest

from esperia.auth import api_keys
from esperia.auth.api_keys import (
    ApiKey,
    create_key,
    list_keys,
    parse_scopes,
    revoke_key,
    verify_token,
)
from esperia.auth.audit import read_audit
from esperia.errors import InvalidInput, NotAuthenticated, NotFound
from esperia.store import Store


def _stored(store: Store, key_id: str) -> dict[str, object]:
    with store.connect() as conn:
        rows = conn.fetch_dicts("SELECT * FROM api_keys WHERE key_id = ?", (key_id,))
    assert len(rows) == 1
    return rows[0]


def test_key_lifecycle(store: Store) -> None:
    key, token = create_key(store, "crm sync", ["ingest", "read"])
    assert token.startswith(f"esp_{key.key_id}_")
    assert key.scopes == {"ingest", "read"}
    assert key.active and key.last_used_at is None

    verified = verify_token(store, token)
    assert verified.key_id == key.key_id and verified.name == "crm sync"
    assert verified.allows("ingest") and verified.allows("read")
    assert not verified.allows("admin")

    other, _ = create_key(store, "dashboard", "read")
    assert [k.key_id for k in list_keys(store)] == [key.key_id, other.key_id]

    revoked = revoke_key(store, key.key_id, actor="tester")
    assert not revoked.active and revoked.revoked_at is not None
    with pytest.raises(NotAuthenticated, match="revoked"):
        verify_token(store, token)
    assert [k.key_id for k in list_keys(store, include_revoked=False)] == [other.key_id]
    # Revoking twice keeps the first time and writes no second audit entry.
    again = revoke_key(store, key.key_id)
    assert again.revoked_at == revoked.revoked_at
    actions = [(e["action"], e["subject"]) for e in read_audit(store)]
    assert actions.count(("api_key_revoked", key.key_id)) == 1
    assert ("api_key_created", key.key_id) in actions
    with pytest.raises(NotFound):
        revoke_key(store, "no-such-key")


def test_only_a_hash_of_the_secret_is_stored(store: Store) -> None:
    key, token = create_key(store, "hashed", ["ingest"])
    secret = token.split("_", 2)[2]
    row = _stored(store, key.key_id)
    assert row["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    with store.connect() as conn:
        dump = " ".join(
            str(v) for r in conn.fetchall("SELECT * FROM api_keys") for v in r
        )
        audit = " ".join(
            str(v) for r in conn.fetchall("SELECT * FROM audit_log") for v in r
        )
    assert secret not in dump and token not in dump
    assert secret not in audit


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # wrong secret
        lambda t: "esp_0000000000000000_" + t.split("_", 2)[2],  # unknown key id
        lambda t: t.replace("esp_", "key_", 1),  # wrong prefix
        lambda t: t.split("_", 2)[0] + "_" + t.split("_", 2)[1],  # no secret
        lambda t: "",
    ],
    ids=["wrong-secret", "unknown-id", "wrong-prefix", "no-secret", "empty"],
)
def test_bad_tokens_are_refused(store: Store, mangle: object) -> None:
    _, token = create_key(store, "target", ["admin"])
    assert callable(mangle)
    with pytest.raises(NotAuthenticated):
        verify_token(store, mangle(token))


def test_admin_implies_every_scope() -> None:
    key = ApiKey("k", "admin", frozenset({"admin"}), datetime.now(UTC))
    assert all(key.allows(s) for s in ("ingest", "read", "admin"))
    reader = ApiKey("r", "reader", frozenset({"read"}), datetime.now(UTC))
    assert reader.allows("read") and not reader.allows("ingest")


def test_scopes_and_names_are_validated(store: Store) -> None:
    assert parse_scopes("ingest, READ") == {"ingest", "read"}
    with pytest.raises(InvalidInput, match="unknown scope write"):
        create_key(store, "x", ["write"])
    with pytest.raises(InvalidInput, match="at least one scope"):
        create_key(store, "x", [])
    with pytest.raises(InvalidInput, match="name"):
        create_key(store, "   ", ["read"])
    assert list_keys(store) == []


def test_last_used_is_written_at_most_once_a_minute(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The timestamp is edited behind the server's back below: no cached keys.
    monkeypatch.setattr(api_keys, "VERIFIED_TTL_S", 0.0)
    key, token = create_key(store, "busy", ["ingest"])
    verify_token(store, token)
    first = _stored(store, key.key_id)["last_used_at"]
    assert isinstance(first, datetime)
    verify_token(store, token)
    assert _stored(store, key.key_id)["last_used_at"] == first

    stale = datetime.now(UTC) - timedelta(minutes=5)
    with store.connect() as conn:
        conn.execute(
            "UPDATE api_keys SET last_used_at = ? WHERE key_id = ?", (stale, key.key_id)
        )
    verify_token(store, token)
    refreshed = _stored(store, key.key_id)["last_used_at"]
    assert isinstance(refreshed, datetime)
    assert refreshed > stale + timedelta(minutes=4)


def test_verified_keys_are_cached_for_a_bounded_time(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api_keys, "VERIFIED_TTL_S", 0.3)
    key, token = create_key(store, "till", ["read"])
    assert api_keys.cached_key(store, token) is None  # never verified yet
    verify_token(store, token)
    cached = api_keys.cached_key(store, token)
    assert cached is not None and cached.key_id == key.key_id
    # The cache still checks the secret.
    assert api_keys.cached_key(store, token[:-2] + "xx") is None
    with pytest.raises(NotAuthenticated, match="invalid"):
        verify_token(store, token[:-2] + "xx")
    # A revocation written by another process is honoured once the entry ages out.
    with store.connect() as conn:
        conn.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE key_id = ?",
            (datetime.now(UTC), key.key_id),
        )
    assert verify_token(store, token).key_id == key.key_id  # within the bound
    time.sleep(0.35)
    assert api_keys.cached_key(store, token) is None
    with pytest.raises(NotAuthenticated, match="revoked"):
        verify_token(store, token)
