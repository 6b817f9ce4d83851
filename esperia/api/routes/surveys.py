"""Survey routes: definitions (CRUD), invitations (trigger, list), responses, results.

Definitions are sent as JSON (the same fields as the YAML file) or as YAML
(``Content-Type: application/yaml``); both are validated the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from esperia.api.deps import (
    AdminAccess,
    IngestAccess,
    ReadAccess,
    SettingsDep,
    StoreDep,
)
from esperia.api.limits import read_body_limited
from esperia.api.schemas import ErrorResponse
from esperia.errors import InvalidInput
from esperia.surveys import (
    create_invitations,
    delete_survey,
    get_survey,
    list_invitations,
    list_responses,
    list_surveys,
    parse_survey,
    save_survey,
    survey_from_dict,
    survey_results,
    survey_to_dict,
)
from esperia.surveys.model import Survey

__all__ = ["router"]

router = APIRouter(prefix="/surveys", tags=["surveys"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Invalid definition or input."},
    401: {"model": ErrorResponse, "description": "No API key, or a bad one."},
    403: {"model": ErrorResponse, "description": "The key lacks the scope."},
    404: {"model": ErrorResponse, "description": "No such survey."},
}


async def _definition(request: Request, max_bytes: int) -> Survey:
    body = await read_body_limited(request, max_bytes)
    kind = request.headers.get("content-type", "")
    if "yaml" in kind:
        return parse_survey(body.decode("utf-8", "replace"), "request body")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the request body is not valid JSON: {exc}") from None
    return survey_from_dict(data, "request body")


@router.get("", summary="Every survey", responses=_ERRORS)
def surveys(_: ReadAccess, store: StoreDep) -> list[dict[str, Any]]:
    """Surveys with version, invitations, opened and completed counts."""
    return list_surveys(store)


@router.post(
    "", status_code=201, summary="Create or replace a survey", responses=_ERRORS
)
async def create(
    request: Request, principal: AdminAccess, store: StoreDep, settings: SettingsDep
) -> dict[str, Any]:
    """Store a definition (JSON or YAML body); a changed survey gets a new version."""
    survey = await _definition(request, settings.api_max_body_bytes)
    version = await run_in_threadpool(save_survey, store, survey, actor=principal.actor)
    return {"survey_id": survey.id, "version": version}


@router.get("/{survey_id}", summary="One survey's definition", responses=_ERRORS)
def show(survey_id: str, _: ReadAccess, store: StoreDep) -> dict[str, Any]:
    """The definition as JSON, with the same fields as the YAML file."""
    return survey_to_dict(get_survey(store, survey_id))


@router.put("/{survey_id}", summary="Replace a survey", responses=_ERRORS)
async def replace(
    survey_id: str,
    request: Request,
    principal: AdminAccess,
    store: StoreDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Replace the definition; its ``id`` must be the one in the path."""
    survey = await _definition(request, settings.api_max_body_bytes)
    if survey.id != survey_id:
        raise InvalidInput(f"the body's id {survey.id!r} is not {survey_id!r}")
    await run_in_threadpool(get_survey, store, survey_id)
    version = await run_in_threadpool(save_survey, store, survey, actor=principal.actor)
    return {"survey_id": survey.id, "version": version}


@router.delete(
    "/{survey_id}",
    status_code=204,
    summary="Delete an unused survey",
    responses=_ERRORS,
)
def delete(survey_id: str, principal: AdminAccess, store: StoreDep) -> Response:
    """Only a survey with no invitations or responses can go (409 otherwise)."""
    delete_survey(store, survey_id, actor=principal.actor)
    return Response(status_code=204)


@router.post(
    "/{survey_id}/invitations", summary="Run the survey's trigger", responses=_ERRORS
)
def invite(
    survey_id: str,
    _: IngestAccess,
    store: StoreDep,
    settings: SettingsDep,
    since: Annotated[datetime | None, Query(description="Interactions from.")] = None,
) -> dict[str, Any]:
    """Create the invitations the trigger calls for; running it again creates none."""
    return create_invitations(store, settings, survey_id, since=since).to_dict()


@router.get(
    "/{survey_id}/invitations", summary="A survey's invitations", responses=_ERRORS
)
def invitations(
    survey_id: str,
    _: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
    status: Annotated[
        str, Query(description="all, pending, unsent, completed")
    ] = "all",
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> list[dict[str, Any]]:
    """Invitations with token, link, customer, language and their dates."""
    return list_invitations(store, settings, survey_id, status=status, limit=limit)


@router.get("/{survey_id}/responses", summary="Completed responses", responses=_ERRORS)
def responses(
    survey_id: str,
    _: ReadAccess,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> list[dict[str, Any]]:
    """Each completed response with its feedback id and answers by question."""
    return list_responses(store, survey_id, limit=limit)


@router.get("/{survey_id}/results", summary="Reach and answers", responses=_ERRORS)
def results(survey_id: str, _: ReadAccess, store: StoreDep) -> dict[str, Any]:
    """Response rate, distributions per question and NPS/CSAT/CES counts."""
    return survey_results(store, survey_id)
