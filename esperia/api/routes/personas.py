"""Persona routes: the versions, a version's cards, one persona's card."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from esperia.api.deps import ReadAccess, StoreDep
from esperia.api.schemas import ErrorResponse
from esperia.personas import list_versions, show_persona, show_version

__all__ = ["router"]

router = APIRouter(prefix="/personas", tags=["personas"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No API key, or a bad one."},
    403: {"model": ErrorResponse, "description": "The key lacks the scope."},
    404: {"model": ErrorResponse, "description": "No such version or persona."},
}


@router.get("", summary="Persona versions and the newest cards", responses=_ERRORS)
def personas(
    _: ReadAccess,
    store: StoreDep,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """The cards of ``version`` (default: the newest) and every stored version."""
    shown = show_version(store, version)
    shown["versions"] = list_versions(store)
    return shown


@router.get("/{version}/{persona}", summary="One persona's card", responses=_ERRORS)
def persona(
    _: ReadAccess,
    store: StoreDep,
    version: Annotated[int, Path(ge=1)],
    persona: Annotated[int, Path(ge=0)],
) -> dict[str, Any]:
    """Name, size, value, traits, channels, pain points and quotes of a persona."""
    return show_persona(store, version, persona)
