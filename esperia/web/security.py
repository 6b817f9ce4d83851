"""Who is looking at the page: the session, the logged-in user, CSRF tokens.

The session is a signed cookie (Starlette's ``SessionMiddleware``) holding the
user id, a stamp of the user's password hash (so a password change or a
disabled account ends every session at once), the CSRF token and the language.
"""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request

from esperia.auth.users import User, get_user_by_id
from esperia.web.i18n import DEFAULT_LANGUAGE, LANGUAGES

if TYPE_CHECKING:
    from esperia.store import Store

__all__ = [
    "CSRF_FIELD",
    "CsrfError",
    "LoginRequiredError",
    "PageForbiddenError",
    "csrf_token",
    "current_language",
    "log_in",
    "log_out",
    "require_admin",
    "require_user",
    "safe_next",
    "session_user",
    "verify_csrf",
]

#: The hidden form field every POST form carries.
CSRF_FIELD = "csrf_token"

_UID = "uid"
_STAMP = "stamp"
_CSRF = "csrf"
_LANG = "lang"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LoginRequiredError(Exception):
    """Raised by a page that needs a user; answered with a redirect to /login."""


class PageForbiddenError(Exception):
    """The user is logged in but their role may not see this page."""

    def __init__(self, message_key: str) -> None:
        super().__init__(message_key)
        self.message_key = message_key


class CsrfError(Exception):
    """A form arrived without the session's CSRF token."""


def _session(request: Request) -> dict[str, Any] | None:
    # Error pages may be drawn for requests that never went through the session
    # middleware (an error raised outside it): treat them as anonymous.
    if "session" not in request.scope:
        return None
    session: dict[str, Any] = request.session
    return session


def current_language(request: Request) -> str:
    """The language chosen in this session, else Italian."""
    session = _session(request)
    lang = session.get(_LANG) if session is not None else None
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def set_language(request: Request, lang: str) -> None:
    """Remember the language for this browser (ignored when unknown)."""
    session = _session(request)
    if session is not None and lang in LANGUAGES:
        session[_LANG] = lang


def csrf_token(request: Request) -> str:
    """This session's CSRF token, made on first use."""
    session = _session(request)
    if session is None:
        return ""
    token = session.get(_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[_CSRF] = token
    return token


async def verify_csrf(request: Request) -> None:
    """Refuse any state-changing request whose form lacks the session's token."""
    if request.method not in _UNSAFE_METHODS:
        return
    session = _session(request)
    expected = session.get(_CSRF) if session is not None else None
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not (
        isinstance(expected, str)
        and expected
        and isinstance(sent, str)
        and hmac.compare_digest(expected.encode(), sent.encode())
    ):
        raise CsrfError("missing or wrong CSRF token")


def session_user(request: Request) -> User | None:
    """The logged-in user, or None; drops a session whose user changed or left."""
    if hasattr(request.state, "user"):
        cached: User | None = request.state.user
        return cached
    session = _session(request)
    user: User | None = None
    if session is not None and isinstance(session.get(_UID), int):
        store: Store = request.app.state.store
        found = get_user_by_id(store, session[_UID])
        if found and found.active and found.credential_stamp == session.get(_STAMP):
            user = found
        else:
            _forget_user(session)
    request.state.user = user
    return user


def require_user(request: Request) -> User:
    """Dependency: the logged-in user, else a redirect to the login page."""
    user = session_user(request)
    if user is None:
        raise LoginRequiredError()
    return user


def require_admin(user: User = Depends(require_user)) -> User:  # noqa: B008
    """Dependency: the logged-in user if an admin, else a 403 page."""
    if not user.is_admin:
        raise PageForbiddenError("error.admin_only")
    return user


def log_in(request: Request, user: User) -> None:
    """Start a fresh session for ``user`` (new CSRF token: no session fixation)."""
    session = request.session
    lang = session.get(_LANG)
    session.clear()
    if lang in LANGUAGES:
        session[_LANG] = lang
    session[_UID] = user.user_id
    session[_STAMP] = user.credential_stamp
    session[_CSRF] = secrets.token_urlsafe(32)
    request.state.user = user


def log_out(request: Request) -> None:
    """End the session, keeping only the chosen language."""
    session = request.session
    lang = session.get(_LANG)
    session.clear()
    if lang in LANGUAGES:
        session[_LANG] = lang
    request.state.user = None


def _forget_user(session: dict[str, Any]) -> None:
    session.pop(_UID, None)
    session.pop(_STAMP, None)


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to after login; anything else becomes ``default``.

    Only paths on this site are followed, so a crafted link cannot send a user
    who just logged in to another site (an open redirect).
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
