"""Key management over the API (``admin`` scope): create, list, revoke."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from esperia.api.deps import AdminAccess, StoreDep
from esperia.api.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut, ErrorResponse
from esperia.auth.api_keys import create_key, list_keys, revoke_key

__all__ = ["router"]

router = APIRouter(prefix="/keys", tags=["keys"])

_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No API key, or a bad one."},
    403: {"model": ErrorResponse, "description": "The key lacks the `admin` scope."},
}


@router.get(
    "", response_model=list[ApiKeyOut], summary="List API keys", responses=_AUTH_ERRORS
)
def get_keys(_: AdminAccess, store: StoreDep) -> list[dict[str, Any]]:
    """Every key, revoked ones included; secrets are never shown."""
    return [key.to_dict() for key in list_keys(store)]


@router.post(
    "",
    status_code=201,
    response_model=ApiKeyCreated,
    summary="Create an API key",
    responses={
        **_AUTH_ERRORS,
        400: {"model": ErrorResponse, "description": "Unknown scope or empty name."},
    },
)
def post_key(
    body: ApiKeyCreate, principal: AdminAccess, store: StoreDep
) -> dict[str, Any]:
    """Create a key; its token is in this answer only, so store it right away."""
    key, token = create_key(store, body.name, body.scopes, actor=principal.actor)
    return {**key.to_dict(), "token": token}


@router.delete(
    "/{key_id}",
    response_model=ApiKeyOut,
    summary="Revoke an API key",
    responses={
        **_AUTH_ERRORS,
        404: {"model": ErrorResponse, "description": "No such key."},
    },
)
def delete_key(key_id: str, principal: AdminAccess, store: StoreDep) -> dict[str, Any]:
    """Revoke a key at once and for good; requests with it get 401 from now on."""
    return revoke_key(store, key_id, actor=principal.actor).to_dict()
