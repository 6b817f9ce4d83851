"""People who log in to the dashboard: accounts, roles, passwords, the first admin.

Every change is written to the audit log in the same transaction. Log-in
failures never say whether the e-mail or the password was wrong, and take about
as long either way.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from esperia.auth import audit
from esperia.auth.passwords import (
    burn_verification,
    generate_password,
    hash_password,
    needs_rehash,
    validate_password,
    verify_password,
)
from esperia.errors import Conflict, InvalidInput, NotAuthenticated, NotFound

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Connection, Store

__all__ = [
    "ROLES",
    "AdminCreated",
    "User",
    "authenticate",
    "create_user",
    "ensure_admin",
    "get_user",
    "get_user_by_id",
    "list_users",
    "normalise_email",
    "set_active",
    "set_password",
]

#: Roles, most powerful first. Admins manage users; analysts explore and
#: configure analyses; agents handle customers and cases; viewers only read.
ROLES: tuple[str, ...] = ("admin", "analyst", "agent", "viewer")

_LOGIN_FAILED = "wrong e-mail or password, or the account is disabled"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_COLUMNS = (
    "user_id, email, name, role, password_hash, active, created_at, last_login_at"
)


@dataclass(frozen=True)
class User:
    """An account as the rest of Esperia sees it (no password hash)."""

    user_id: int
    email: str
    name: str | None
    role: str
    active: bool
    created_at: datetime
    last_login_at: datetime | None
    #: Changes whenever the password does: web sessions carry it, so changing a
    #: password logs out every other browser of that user.
    credential_stamp: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def to_dict(self) -> dict[str, Any]:
        """The account as JSON-ready data (timestamps as ISO 8601)."""
        data = asdict(self)
        del data["credential_stamp"]
        for key in ("created_at", "last_login_at"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data


@dataclass(frozen=True)
class AdminCreated:
    """The first admin account, with its password in clear to show it once."""

    email: str
    password: str


def normalise_email(email: str) -> str:
    """Trimmed and lower-cased, so ``Ada@X.it`` and ``ada@x.it`` are one login."""
    value = email.strip().lower()
    if not _EMAIL.match(value) or len(value) > 254:
        raise InvalidInput(f"not an e-mail address: {email!r}")
    return value


def _check_role(role: str) -> str:
    value = role.strip().lower()
    if value not in ROLES:
        raise InvalidInput(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    return value


def _stamp(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _user(row: dict[str, Any]) -> User:
    return User(
        user_id=int(row["user_id"]),
        email=row["email"],
        name=row["name"],
        role=row["role"],
        active=bool(row["active"]),
        created_at=row["created_at"],
        last_login_at=row["last_login_at"],
        credential_stamp=_stamp(row["password_hash"]),
    )


def _row_by_email(conn: Connection, email: str) -> dict[str, Any] | None:
    rows = conn.fetch_dicts(f"SELECT {_COLUMNS} FROM users WHERE email = ?", (email,))
    return rows[0] if rows else None


def create_user(
    store: Store,
    email: str,
    password: str,
    role: str,
    name: str | None = None,
    *,
    actor: str = "system",
) -> User:
    """Create an active account; :class:`Conflict` if the e-mail is taken."""
    address = normalise_email(email)
    the_role = _check_role(role)
    password_hash = hash_password(password)
    clean_name = (name or "").strip() or None
    with store.write_lock, store.connect() as conn, conn.transaction():
        if _row_by_email(conn, address) is not None:
            raise Conflict(f"a user with e-mail {address} already exists")
        user_id = int(conn.scalar("SELECT nextval('user_seq')"))
        try:
            conn.execute(
                "INSERT INTO users (user_id, email, name, role, password_hash, "
                "active, created_at) VALUES (?, ?, ?, ?, ?, TRUE, current_timestamp)",
                (user_id, address, clean_name, the_role, password_hash),
            )
        except Exception as exc:
            # Another process won the race between our check and our insert.
            if type(exc).__name__ in ("UniqueViolation", "ConstraintException"):
                raise Conflict(f"a user with e-mail {address} already exists") from None
            raise
        audit.record(conn, actor, "user_created", address, {"role": the_role})
        row = _row_by_email(conn, address)
    assert row is not None
    return _user(row)


def authenticate(store: Store, email: str, password: str) -> User:
    """The active account matching e-mail and password, else :class:`NotAuthenticated`.

    A hash made with older parameters is replaced by one with today's.
    """
    try:
        address = normalise_email(email)
    except InvalidInput:
        address = email.strip().lower()[:254]
    with store.connect() as conn:
        row = _row_by_email(conn, address)
    if row is None:
        burn_verification(password)
        ok = False
    else:
        ok = verify_password(row["password_hash"], password) and bool(row["active"])
    if not ok:
        reason = "unknown" if row is None else "refused"
        audit.record(store, address, "login_failed", address, {"reason": reason})
        raise NotAuthenticated(_LOGIN_FAILED)
    assert row is not None
    new_hash = hash_password(password) if needs_rehash(row["password_hash"]) else None
    with store.write_lock, store.connect() as conn, conn.transaction():
        if new_hash is not None:
            conn.execute(
                "UPDATE users SET password_hash = ? WHERE user_id = ?",
                (new_hash, row["user_id"]),
            )
        conn.execute(
            "UPDATE users SET last_login_at = current_timestamp WHERE user_id = ?",
            (row["user_id"],),
        )
        details = {"rehashed": True} if new_hash is not None else None
        audit.record(conn, address, "login", address, details)
        fresh = _row_by_email(conn, address)
    assert fresh is not None
    return _user(fresh)


def set_password(
    store: Store, email: str, password: str, *, actor: str = "system"
) -> User:
    """Give an account a new password (its other web sessions end)."""
    address = normalise_email(email)
    password_hash = hash_password(password)
    with store.write_lock, store.connect() as conn, conn.transaction():
        if _row_by_email(conn, address) is None:
            raise NotFound(f"no user with e-mail {address}")
        conn.execute(
            "UPDATE users SET password_hash = ? WHERE email = ?",
            (password_hash, address),
        )
        audit.record(conn, actor, "password_set", address)
        row = _row_by_email(conn, address)
    assert row is not None
    return _user(row)


def set_active(
    store: Store, email: str, active: bool, *, actor: str = "system"
) -> User:
    """Enable or disable an account; the last active admin cannot be disabled."""
    address = normalise_email(email)
    with store.write_lock, store.connect() as conn, conn.transaction():
        row = _row_by_email(conn, address)
        if row is None:
            raise NotFound(f"no user with e-mail {address}")
        if not active and row["role"] == "admin" and row["active"]:
            admins = conn.scalar(
                "SELECT count(*) FROM users WHERE role = 'admin' AND active"
            )
            if int(admins) <= 1:
                raise Conflict("the last active admin cannot be disabled")
        if bool(row["active"]) != active:
            conn.execute(
                "UPDATE users SET active = ? WHERE email = ?", (active, address)
            )
            action = "user_activated" if active else "user_deactivated"
            audit.record(conn, actor, action, address)
        row = _row_by_email(conn, address)
    assert row is not None
    return _user(row)


def list_users(store: Store) -> list[User]:
    """Every account, in the order they were created."""
    with store.connect() as conn:
        rows = conn.fetch_dicts(f"SELECT {_COLUMNS} FROM users ORDER BY user_id")
    return [_user(row) for row in rows]


def get_user(store: Store, email: str) -> User:
    """The account with this e-mail, else :class:`NotFound`."""
    address = normalise_email(email)
    with store.connect() as conn:
        row = _row_by_email(conn, address)
    if row is None:
        raise NotFound(f"no user with e-mail {address}")
    return _user(row)


def get_user_by_id(store: Store, user_id: int) -> User | None:
    """The account with this id, or None (a web session may outlive its user)."""
    with store.connect() as conn:
        rows = conn.fetch_dicts(
            f"SELECT {_COLUMNS} FROM users WHERE user_id = ?", (int(user_id),)
        )
    return _user(rows[0]) if rows else None


def ensure_admin(store: Store, settings: Settings) -> AdminCreated | None:
    """Create the first admin on a fresh workspace; None when an admin exists.

    The password comes from ``settings.admin_password`` or is generated; either
    way it is returned once so the caller can show it.
    """
    with store.write_lock:
        with store.connect() as conn:
            admins = conn.scalar("SELECT count(*) FROM users WHERE role = 'admin'")
        if int(admins):
            return None
        if settings.admin_password is not None:
            password = settings.admin_password.get_secret_value()
            validate_password(password)
        else:
            password = generate_password()
        user = create_user(
            store, settings.admin_email, password, "admin", "Admin", actor="setup"
        )
    return AdminCreated(email=user.email, password=password)
