"""API keys: named tokens with scopes, for machines that call the REST API.

A token reads ``esp_<key_id>_<secret>``. The key id is public (it names the key
in lists and logs); the secret is shown once, when the key is created, and the
store keeps only its hash. Scopes: ``ingest`` (send data), ``read`` (status and
imports), ``admin`` (manage keys; implies every other scope).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

from esperia.auth import audit
from esperia.errors import InvalidInput, NotAuthenticated, NotFound
from esperia.store import Store

__all__ = [
    "SCOPES",
    "TOKEN_PREFIX",
    "ApiKey",
    "Scope",
    "cached_key",
    "create_key",
    "hash_secret",
    "list_keys",
    "parse_scopes",
    "revoke_key",
    "verify_token",
]

Scope = Literal["ingest", "read", "admin"]
#: Every scope a key may carry; ``admin`` implies the others.
SCOPES: tuple[str, ...] = get_args(Scope)
TOKEN_PREFIX = "esp_"

#: How stale ``last_used_at`` may get before a request refreshes it.
_TOUCH_EVERY = timedelta(minutes=1)
#: Only one request at a time refreshes a timestamp; the others skip (no waiting).
_touch_lock = threading.Lock()

_COLUMNS = "key_id, name, scopes, created_at, last_used_at, revoked_at"

#: How long a verified key is trusted without reading ``api_keys`` again. A
#: revocation through :func:`revoke_key` in this process takes effect at once;
#: one made by another process (a second server on the same PostgreSQL) takes
#: effect within this many seconds.
VERIFIED_TTL_S = 5.0
#: Verified keys: (store URL, key id) -> (secret hash, key, trusted until).
_verified: dict[tuple[str, str], tuple[str, ApiKey, float]] = {}
_verified_lock = threading.Lock()


@dataclass(frozen=True)
class ApiKey:
    """A stored key, without its secret."""

    key_id: str
    name: str
    scopes: frozenset[str]
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        """Whether the key may act in ``scope`` (``admin`` may do anything)."""
        return "admin" in self.scopes or scope in self.scopes

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, scopes in a stable order."""
        return {
            "key_id": self.key_id,
            "name": self.name,
            "scopes": [s for s in SCOPES if s in self.scopes],
            "created_at": _iso(self.created_at),
            "last_used_at": _iso(self.last_used_at),
            "revoked_at": _iso(self.revoked_at),
            "active": self.active,
        }


def hash_secret(secret: str) -> str:
    """The stored form of a secret: SHA-256, hex.

    A fast hash is the right tool here, unlike for passwords: the secret is 32
    random bytes (256 bits) from ``secrets``, so even a stolen table cannot be
    brute-forced or looked up in a dictionary, and a deliberately slow hash
    (argon2, bcrypt) would only add tens of milliseconds to every API request.
    """
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_scopes(
    scopes: str | list[str] | tuple[str, ...] | frozenset[str],
) -> frozenset[str]:
    """Validate scopes given as a list or as a comma/space separated string."""
    if isinstance(scopes, str):
        scopes = scopes.replace(",", " ").split()
    cleaned = frozenset(s.strip().lower() for s in scopes if s.strip())
    unknown = sorted(cleaned - set(SCOPES))
    if unknown:
        raise InvalidInput(
            f"unknown scope {', '.join(unknown)}: choose from {', '.join(SCOPES)}"
        )
    if not cleaned:
        raise InvalidInput(f"give a key at least one scope ({', '.join(SCOPES)})")
    return cleaned


def create_key(
    store: Store,
    name: str,
    scopes: str | list[str] | tuple[str, ...] | frozenset[str],
    *,
    actor: str = "system",
) -> tuple[ApiKey, str]:
    """Create a key; return it with its token, which is never available again."""
    name = name.strip()
    if not name:
        raise InvalidInput("an API key needs a name (who or what will use it)")
    if len(name) > 200:
        raise InvalidInput("an API key name must be at most 200 characters")
    wanted = parse_scopes(scopes)
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        key_id=key_id,
        name=name,
        scopes=wanted,
        created_at=datetime.now(UTC),
    )
    with store.connect() as conn, conn.transaction():
        conn.execute(
            "INSERT INTO api_keys (key_id, name, secret_hash, scopes, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (key_id, name, hash_secret(secret), _scopes_text(wanted), key.created_at),
        )
        audit.record(
            conn,
            actor,
            "api_key_created",
            key_id,
            {"name": name, "scopes": _scopes_text(wanted)},
        )
    return key, f"{TOKEN_PREFIX}{key_id}_{secret}"


def verify_token(store: Store, token: str) -> ApiKey:
    """The active key a token belongs to; :class:`NotAuthenticated` otherwise.

    A key verified in the last :data:`VERIFIED_TTL_S` seconds is answered from
    memory (the secret is still checked against its stored hash); otherwise
    one read of ``api_keys`` on the store's pooled connection.
    """
    found = cached_key(store, token)
    if found is not None:
        return found
    key_id, secret = _split_token(token)
    with store.pooled() as conn:
        row = conn.fetchone(
            f"SELECT {_COLUMNS}, secret_hash FROM api_keys WHERE key_id = ?",
            (key_id,),
        )
    # The key id is public; only the secret comparison must not leak timing.
    if row is None or not hmac.compare_digest(hash_secret(secret), str(row[6])):
        raise NotAuthenticated("invalid API key")
    key = _key_from_row(row[:6])
    if not key.active:
        _forget(key_id)
        raise NotAuthenticated(f"API key {key.key_id} has been revoked")
    key = _touch(store, key)
    with _verified_lock:
        _verified[(store.url, key_id)] = (
            str(row[6]),
            key,
            time.monotonic() + VERIFIED_TTL_S,
        )
    return key


def cached_key(store: Store, token: str) -> ApiKey | None:
    """The key of ``token`` if it was verified recently and needs no database
    work now (its use timestamp is fresh); ``None`` means: call
    :func:`verify_token`. Never blocks, so an async route may call it."""
    try:
        key_id, secret = _split_token(token)
    except NotAuthenticated:
        return None
    entry = _verified.get((store.url, key_id))
    if entry is None:
        return None
    stored_hash, key, until = entry
    if time.monotonic() >= until:
        return None
    if not hmac.compare_digest(hash_secret(secret), stored_hash):
        return None
    if key.last_used_at is None or datetime.now(UTC) - key.last_used_at >= _TOUCH_EVERY:
        return None
    return key


def list_keys(store: Store, *, include_revoked: bool = True) -> list[ApiKey]:
    """Every key, oldest first."""
    where = "" if include_revoked else " WHERE revoked_at IS NULL"
    with store.connect() as conn:
        rows = conn.fetchall(
            f"SELECT {_COLUMNS} FROM api_keys{where} ORDER BY created_at, key_id"
        )
    return [_key_from_row(row) for row in rows]


def revoke_key(store: Store, key_id: str, *, actor: str = "system") -> ApiKey:
    """Revoke a key for good; revoking it again keeps the first revocation time."""
    with store.connect() as conn, conn.transaction():
        row = conn.fetchone(
            f"SELECT {_COLUMNS} FROM api_keys WHERE key_id = ?", (key_id,)
        )
        if row is None:
            raise NotFound(f"no API key {key_id!r}")
        key = _key_from_row(row)
        if key.active:
            now = datetime.now(UTC)
            conn.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ?", (now, key_id)
            )
            audit.record(conn, actor, "api_key_revoked", key_id, {"name": key.name})
            key = replace(key, revoked_at=now)
    _forget(key_id)
    return key


# ------------------------------------------------------------------ helpers


def _forget(key_id: str) -> None:
    """Drop a key from the verified cache, whichever store verified it."""
    with _verified_lock:
        for entry in [e for e in _verified if e[1] == key_id]:
            del _verified[entry]


def _split_token(token: str) -> tuple[str, str]:
    token = token.strip()
    if not token.startswith(TOKEN_PREFIX):
        raise NotAuthenticated(f"an API key starts with {TOKEN_PREFIX!r}")
    key_id, sep, secret = token[len(TOKEN_PREFIX) :].partition("_")
    if not sep or not key_id or not secret or len(token) > 512:
        raise NotAuthenticated("malformed API key")
    return key_id, secret


def _touch(store: Store, key: ApiKey) -> ApiKey:
    """Record use at most once a minute, so authentication stays a single read.

    Concurrent requests skip the update rather than wait: a usage timestamp a
    few seconds old is fine, a slowed ingestion is not.
    """
    now = datetime.now(UTC)
    if key.last_used_at is not None and now - key.last_used_at < _TOUCH_EVERY:
        return key
    if not _touch_lock.acquire(blocking=False):
        return key
    try:
        with store.connect() as conn:
            conn.execute(
                "UPDATE api_keys SET last_used_at = ? WHERE key_id = ? "
                "AND (last_used_at IS NULL OR last_used_at < ?)",
                (now, key.key_id, now - _TOUCH_EVERY),
            )
    finally:
        _touch_lock.release()
    return replace(key, last_used_at=now)


def _scopes_text(scopes: frozenset[str]) -> str:
    return " ".join(s for s in SCOPES if s in scopes)


def _key_from_row(row: tuple[Any, ...]) -> ApiKey:
    key_id, name, scopes, created_at, last_used_at, revoked_at = row
    return ApiKey(
        key_id=key_id,
        name=name,
        scopes=frozenset(str(scopes).split()),
        created_at=created_at,
        last_used_at=last_used_at,
        revoked_at=revoked_at,
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
