"""Password hashing with Argon2id, and the rules a password must follow.

Hashes carry their own parameters, so raising the cost later only needs a new
:data:`HASHER`: :func:`needs_rehash` tells the login path to store a fresh hash.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from esperia.errors import InvalidInput

__all__ = [
    "HASHER",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "burn_verification",
    "generate_password",
    "hash_password",
    "needs_rehash",
    "validate_password",
    "verify_password",
]

#: The hasher in force (argon2-cffi's defaults: RFC 9106 low-memory profile).
HASHER = PasswordHasher()

MIN_PASSWORD_LENGTH = 8
#: Hashing a megabyte-long "password" is a cheap way to burn a server's CPU.
MAX_PASSWORD_LENGTH = 1024

_dummy_hash: str | None = None


def validate_password(password: str) -> None:
    """Refuse passwords too short to resist guessing, or absurdly long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"the password must have at most {MAX_PASSWORD_LENGTH} characters"
        )


def hash_password(password: str) -> str:
    """The Argon2id hash of a valid password (salted; encodes its parameters)."""
    validate_password(password)
    return HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; never raises on a mismatch."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than :data:`HASHER`'s."""
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def burn_verification(password: str) -> None:
    """Spend the time of one verification, so an unknown login looks like a known one.

    Without it, "no such user" would answer in microseconds and "wrong password"
    in a tenth of a second, telling an attacker which e-mail addresses exist.
    """
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = HASHER.hash(secrets.token_urlsafe(16))
    verify_password(_dummy_hash, password[:MAX_PASSWORD_LENGTH])


def generate_password() -> str:
    """A random password of 20 URL-safe characters (about 120 bits)."""
    return secrets.token_urlsafe(15)
