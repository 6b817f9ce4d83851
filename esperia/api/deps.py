"""Request dependencies: the store, the settings, and who is calling with what scopes.

Every data route depends on :func:`require_scope`; there is no anonymous access.
A machine presents an API key (``Authorization: Bearer esp_…`` or
``X-API-Key: esp_…``). A person logged in to the dashboard may use the read
routes with their session cookie; writes need a key, so a page on another site
cannot make a logged-in browser send data (no CSRF on the API).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPBearer

from esperia.auth.api_keys import Scope, cached_key, verify_token
from esperia.config import Settings
from esperia.errors import Forbidden, NotAuthenticated
from esperia.store import Store

__all__ = [
    "AdminAccess",
    "IngestAccess",
    "Principal",
    "ReadAccess",
    "SettingsDep",
    "StoreDep",
    "authenticate",
    "get_settings",
    "get_store",
    "presented_token",
    "require_scope",
]

# Declared only so OpenAPI documents both ways to send a key; the parsing below
# is ours, so a malformed header gets a precise message in the one error shape.
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="`Authorization: Bearer esp_<key_id>_<secret>`",
)
_api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="apiKey",
    description="`X-API-Key: esp_<key_id>_<secret>`",
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key or a logged-in dashboard user."""

    kind: Literal["api_key", "user"]
    id: str
    name: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"{self.kind}:{self.id}"


# The small dependencies are ``async``: FastAPI runs a plain ``def`` dependency
# in the thread pool, a hop that costs more than the work here.
async def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def presented_token(request: Request) -> str | None:
    """The API key in the request headers, if any; a malformed header is an error."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise NotAuthenticated(
                "the Authorization header must read 'Bearer <API key>'"
            )
        return value.strip()
    api_key = request.headers.get("x-api-key")
    if api_key is not None:
        if not api_key.strip():
            raise NotAuthenticated("the X-API-Key header is empty")
        return api_key.strip()
    return None


def _session_principal(request: Request) -> Principal | None:
    """A dashboard user logged in with a session cookie: read access only.

    The web's own check is reused, so a changed password or a disabled account
    ends API access through the cookie at the same moment as on the pages.
    """
    if "session" not in request.scope:
        return None
    from esperia.web.security import session_user

    user = session_user(request)
    if user is None:
        return None
    return Principal("user", str(user.user_id), user.email, frozenset({"read"}))


def authenticate(request: Request, store: Store) -> Principal:
    """Who is calling; :class:`NotAuthenticated` when nobody is."""
    token = presented_token(request)
    if token is not None:
        key = verify_token(store, token)
        return Principal("api_key", key.key_id, key.name, key.scopes)
    user = _session_principal(request)
    if user is not None:
        return user
    raise NotAuthenticated(
        "this route needs an API key: send 'Authorization: Bearer <API key>' "
        "(create one with `esperia keys create`)"
    )


def require_scope(scope: Scope) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting callers whose key carries ``scope`` (or admin)."""

    async def dependency(
        request: Request,
        store: StoreDep,
        _bearer_doc: Annotated[Any, Depends(_bearer)] = None,
        _key_doc: Annotated[Any, Depends(_api_key_header)] = None,
    ) -> Principal:
        # A key verified moments ago is answered without blocking; anything
        # that may touch the database (a key, a session user) goes to a thread.
        token = presented_token(request)
        key = cached_key(store, token) if token is not None else None
        if key is not None:
            principal = Principal("api_key", key.key_id, key.name, key.scopes)
        else:
            principal = await run_in_threadpool(authenticate, request, store)
        if not principal.allows(scope):
            raise Forbidden(
                f"this route needs the {scope!r} scope; "
                f"{'the key' if principal.kind == 'api_key' else 'the user'} "
                f"{principal.name!r} has: {', '.join(sorted(principal.scopes))}"
            )
        request.state.principal = principal
        return principal

    dependency.__name__ = f"require_{scope}"
    return dependency


IngestAccess = Annotated[Principal, Depends(require_scope("ingest"))]
ReadAccess = Annotated[Principal, Depends(require_scope("read"))]
AdminAccess = Annotated[Principal, Depends(require_scope("admin"))]
