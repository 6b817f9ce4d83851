"""Read routes: health (open to all, no data), workspace status, recent imports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from esperia import __version__
from esperia.api.deps import ReadAccess, StoreDep
from esperia.api.schemas import ErrorResponse, HealthOut, ImportOut
from esperia.status import recent_imports, workspace_status
from esperia.store.migrations import current_version

__all__ = ["router"]

router = APIRouter()

_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No API key, or a bad one."},
    403: {"model": ErrorResponse, "description": "The key lacks the `read` scope."},
}


@router.get(
    "/health",
    response_model=HealthOut,
    tags=["meta"],
    summary="Is the service up?",
    responses={503: {"model": ErrorResponse, "description": "Database unreachable."}},
)
def health(store: StoreDep) -> dict[str, Any]:
    """No authentication and no data: the status and the database schema version.

    It reads the schema version from the database, so a 200 also means the
    database answers.
    """
    return {
        "status": "ok",
        "schema_version": current_version(store),
        "version": __version__,
    }


@router.get(
    "/status",
    tags=["read"],
    summary="What the workspace holds",
    responses=_AUTH_ERRORS,
)
def status(_: ReadAccess, store: StoreDep) -> dict[str, Any]:
    """Rows per kind, the newest timestamp of each and when data last arrived."""
    return workspace_status(store)


@router.get(
    "/imports",
    response_model=list[ImportOut],
    tags=["read"],
    summary="The latest imports",
    responses=_AUTH_ERRORS,
)
def imports(
    _: ReadAccess,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many.")] = 20,
) -> list[dict[str, Any]]:
    """Files and API batches loaded, newest first, with their counts."""
    return recent_imports(store, limit)
