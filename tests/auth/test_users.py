"""Users, passwords and the audit log, on DuckDB and PostgreSQL."""

from __future__ import annotations

import statistics
import time

import pytest
from argon2 import PasswordHasher

from esperia.auth import audit
from esperia.auth.passwords import (
    HASHER,
    generate_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from esperia.auth.users import (
    authenticate,
    create_user,
    ensure_admin,
    get_user,
    get_user_by_id,
    list_users,
    set_active,
    set_password,
)
from esperia.config import load_settings
from esperia.errors import Conflict, InvalidInput, NotAuthenticated, NotFound

PASSWORD = "correct horse battery"


# ---------------------------------------------------------------- passwords


def test_hashes_are_salted_argon2id_and_verify():
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("$argon2id$")
    assert first != second  # a fresh salt each time
    assert verify_password(first, PASSWORD)
    assert not verify_password(first, PASSWORD + "!")
    assert not verify_password("not a hash", PASSWORD)
    assert not needs_rehash(first)


def test_passwords_too_short_or_too_long_are_refused():
    with pytest.raises(InvalidInput, match="at least 8"):
        hash_password("short")
    with pytest.raises(InvalidInput, match="at most"):
        hash_password("x" * 2000)
    assert len(generate_password()) == 20
    assert generate_password() != generate_password()


def test_a_hash_with_weaker_parameters_needs_a_rehash():
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    old = weak.hash(PASSWORD)
    assert verify_password(old, PASSWORD)
    assert needs_rehash(old)
    assert needs_rehash("garbage")


# -------------------------------------------------------------------- users


def test_create_and_authenticate(store):
    user = create_user(store, "  Ada@Example.IT ", PASSWORD, "Analyst", "Ada")
    assert user.email == "ada@example.it"
    assert user.role == "analyst" and user.active and user.name == "Ada"
    assert user.last_login_at is None
    logged = authenticate(store, "ADA@example.it", PASSWORD)
    assert logged.user_id == user.user_id
    assert logged.last_login_at is not None
    assert get_user(store, "ada@example.it").last_login_at is not None
    assert get_user_by_id(store, user.user_id) == get_user(store, "ada@example.it")
    assert get_user_by_id(store, 9999) is None
    assert "password_hash" not in user.to_dict()


def test_wrong_password_and_unknown_email_say_the_same(store):
    create_user(store, "ada@example.it", PASSWORD, "viewer")
    with pytest.raises(NotAuthenticated) as wrong:
        authenticate(store, "ada@example.it", "wrong password")
    with pytest.raises(NotAuthenticated) as unknown:
        authenticate(store, "bob@example.it", PASSWORD)
    with pytest.raises(NotAuthenticated) as malformed:
        authenticate(store, "not an email", PASSWORD)
    assert str(wrong.value) == str(unknown.value) == str(malformed.value)
    assert "e-mail or password" in str(wrong.value)
    failed = audit.read_audit(store, 10, action="login_failed")
    assert [entry["subject"] for entry in failed][:2] == [
        "not an email",
        "bob@example.it",
    ]
    assert failed[-1]["details"] == {"reason": "refused"}


def test_an_unknown_email_costs_as_much_as_a_wrong_password(store):
    create_user(store, "ada@example.it", PASSWORD, "viewer")

    def median_seconds(email: str) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            with pytest.raises(NotAuthenticated):
                authenticate(store, email, "wrong password")
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    median_seconds("nobody@example.it")  # warm up (the decoy hash is made once)
    known = median_seconds("ada@example.it")
    unknown = median_seconds("nobody@example.it")
    # Without the decoy verification an unknown e-mail answers ~100x faster.
    assert unknown > 0.3 * known


def test_invalid_input_is_refused(store):
    with pytest.raises(InvalidInput, match="unknown role"):
        create_user(store, "ada@example.it", PASSWORD, "owner")
    with pytest.raises(InvalidInput, match="not an e-mail"):
        create_user(store, "ada at example", PASSWORD, "viewer")
    with pytest.raises(InvalidInput, match="at least 8"):
        create_user(store, "ada@example.it", "short", "viewer")
    create_user(store, "ada@example.it", PASSWORD, "viewer")
    with pytest.raises(Conflict, match="already exists"):
        create_user(store, "ADA@example.it", PASSWORD, "admin")
    assert [u.email for u in list_users(store)] == ["ada@example.it"]


def test_login_rehashes_a_hash_made_with_old_parameters(store):
    user = create_user(store, "ada@example.it", PASSWORD, "viewer")
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    with store.connect() as conn:
        conn.execute(
            "UPDATE users SET password_hash = ? WHERE user_id = ?",
            (weak.hash(PASSWORD), user.user_id),
        )
        stored = conn.scalar(
            "SELECT password_hash FROM users WHERE user_id = ?", (user.user_id,)
        )
    assert needs_rehash(stored)
    authenticate(store, "ada@example.it", PASSWORD)
    with store.connect() as conn:
        fresh = conn.scalar(
            "SELECT password_hash FROM users WHERE user_id = ?", (user.user_id,)
        )
    assert fresh != stored and not needs_rehash(fresh)
    assert f"m={HASHER.memory_cost}" in fresh
    assert authenticate(store, "ada@example.it", PASSWORD).user_id == user.user_id
    assert audit.read_audit(store, 5, action="login")[-1]["details"] == {
        "rehashed": True
    }


def test_set_password_replaces_the_old_one(store):
    before = create_user(store, "ada@example.it", PASSWORD, "viewer")
    after = set_password(store, "ada@example.it", "a whole new secret", actor="admin")
    assert after.credential_stamp != before.credential_stamp
    with pytest.raises(NotAuthenticated):
        authenticate(store, "ada@example.it", PASSWORD)
    authenticate(store, "ada@example.it", "a whole new secret")
    with pytest.raises(NotFound):
        set_password(store, "bob@example.it", "a whole new secret")


def test_disabled_users_cannot_log_in_and_the_last_admin_stays(store):
    create_user(store, "boss@example.it", PASSWORD, "admin")
    create_user(store, "ada@example.it", PASSWORD, "viewer")
    assert not set_active(store, "ada@example.it", False).active
    with pytest.raises(NotAuthenticated):
        authenticate(store, "ada@example.it", PASSWORD)
    assert set_active(store, "ada@example.it", True).active
    authenticate(store, "ada@example.it", PASSWORD)
    with pytest.raises(Conflict, match="last active admin"):
        set_active(store, "boss@example.it", False)
    create_user(store, "second@example.it", PASSWORD, "admin")
    assert not set_active(store, "boss@example.it", False).active


# -------------------------------------------------------------- first admin


def test_ensure_admin_uses_the_configured_password_once(store, settings):
    configured = load_settings(
        settings.workspace,
        database_url=settings.database_url,
        admin_email="Capo@Officina.IT",
        admin_password="from-the-settings",
    )
    created = ensure_admin(store, configured)
    assert created is not None
    assert created.email == "capo@officina.it"
    assert created.password == "from-the-settings"
    assert authenticate(store, "capo@officina.it", "from-the-settings").is_admin
    assert ensure_admin(store, configured) is None
    assert len(list_users(store)) == 1


def test_ensure_admin_generates_a_password_when_none_is_set(store, settings):
    assert settings.admin_password is None
    created = ensure_admin(store, settings)
    assert created is not None and created.email == settings.admin_email
    assert len(created.password) >= 16
    assert authenticate(store, created.email, created.password).role == "admin"
    assert ensure_admin(store, settings) is None


def test_ensure_admin_refuses_a_weak_configured_password(store, settings):
    weak = load_settings(
        settings.workspace, database_url=settings.database_url, admin_password="123"
    )
    with pytest.raises(InvalidInput):
        ensure_admin(store, weak)
    assert list_users(store) == []


# -------------------------------------------------------------------- audit


def test_audit_records_in_the_callers_transaction(store):
    audit.record(store, "ada", "export", "customers", {"rows": 3, "città": "Roma"})
    with store.connect() as conn:
        with pytest.raises(RuntimeError), conn.transaction():
            audit.record(conn, "ada", "rolled_back")
            raise RuntimeError("abort")
        with conn.transaction():
            audit.record(conn, "ada", "committed")
    entries = audit.read_audit(store, 10)
    assert [e["action"] for e in entries] == ["committed", "export"]
    assert entries[1]["details"] == {"rows": 3, "città": "Roma"}
    assert entries[1]["subject"] == "customers"
    assert entries[0]["details"] == {} and entries[0]["subject"] is None
    assert len(audit.read_audit(store, 1)) == 1


def test_user_changes_are_audited(store):
    create_user(store, "ada@example.it", PASSWORD, "viewer", actor="boss@example.it")
    set_password(store, "ada@example.it", "another secret", actor="boss@example.it")
    create_user(store, "boss@example.it", PASSWORD, "admin")
    set_active(store, "ada@example.it", False, actor="boss@example.it")
    authenticate(store, "boss@example.it", PASSWORD)
    entries = audit.read_audit(store, 10)
    assert [(e["actor"], e["action"], e["subject"]) for e in entries] == [
        ("boss@example.it", "login", "boss@example.it"),
        ("boss@example.it", "user_deactivated", "ada@example.it"),
        ("system", "user_created", "boss@example.it"),
        ("boss@example.it", "password_set", "ada@example.it"),
        ("boss@example.it", "user_created", "ada@example.it"),
    ]
    assert entries[-1]["details"] == {"role": "viewer"}
