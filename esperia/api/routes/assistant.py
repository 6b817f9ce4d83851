"""The chat API: customers' messages (open, rate-limited, CORS for allowed sites)
and the agent reads (conversations, handovers) behind an API key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from esperia.api.deps import ReadAccess, SettingsDep, StoreDep
from esperia.api.schemas import ErrorResponse
from esperia.assistant import assistant_for
from esperia.assistant.records import handovers, list_conversations, messages
from esperia.config import Settings
from esperia.errors import Forbidden, NotFound

__all__ = ["cors_headers", "router"]

router = APIRouter(prefix="/assistant", tags=["assistant"])


class MessageIn(BaseModel):
    message: str = Field(description="What the customer wrote (up to 1000 characters).")
    conversation_id: str | None = Field(
        default=None, description="The id from the previous reply; omit to start."
    )


class CitationOut(BaseModel):
    entry_id: str
    title: str
    source: str


class ReplyOut(BaseModel):
    conversation_id: str
    reply: str
    language: str
    intent: str | None
    confidence: float
    out_of_scope: bool
    citations: list[CitationOut]
    actions: list[str]
    handover_id: str | None
    ended: bool


def cors_headers(settings: Settings, origin: str | None) -> dict[str, str]:
    """CORS headers for an allowed ``origin``; none for any other site."""
    if not origin or origin.rstrip("/") not in {
        o.rstrip("/") for o in settings.assistant_allowed_origins
    }:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


@router.options("/messages", include_in_schema=False)
def preflight(request: Request, settings: SettingsDep) -> Response:
    headers = cors_headers(settings, request.headers.get("origin"))
    if not headers:
        raise Forbidden(
            "this site is not allowed to use the chat (assistant_allowed_origins)"
        )
    return Response(status_code=204, headers=headers)


@router.post(
    "/messages",
    response_model=ReplyOut,
    summary="Send a customer message to the assistant",
    responses={
        400: {"model": ErrorResponse, "description": "Empty or too long message."},
        429: {"model": ErrorResponse, "description": "Too many messages."},
    },
)
def post_message(
    body: MessageIn,
    request: Request,
    response: Response,
    settings: SettingsDep,
    store: StoreDep,
) -> dict[str, Any]:
    """Open to anonymous customers (the chat widget): no API key, but rate-limited
    per conversation and per client address; personal data is shown only after
    the customer proves who they are inside the conversation."""
    origin = request.headers.get("origin")
    headers = cors_headers(settings, origin)
    if origin and not headers and origin != str(request.base_url).rstrip("/"):
        raise Forbidden(
            "this site is not allowed to use the chat (assistant_allowed_origins)"
        )
    response.headers.update(headers)
    client = request.client.host if request.client else None
    reply = assistant_for(settings, store).ask(
        body.message,
        conversation_id=body.conversation_id,
        client=client,
        channel="widget" if origin else "api",
    )
    return reply.to_dict()


@router.get("/conversations", summary="Recent conversations")
def get_conversations(
    _: ReadAccess, store: StoreDep, limit: int = 50
) -> list[dict[str, Any]]:
    return list_conversations(store, limit)


@router.get("/conversations/{conversation_id}", summary="One conversation's messages")
def get_conversation(
    _: ReadAccess, store: StoreDep, conversation_id: str
) -> dict[str, Any]:
    found = messages(store, conversation_id)
    if not found:
        raise NotFound(f"no conversation {conversation_id!r}")
    return {"conversation_id": conversation_id, "messages": found}


@router.get("/handovers", summary="Conversations waiting for a person")
def get_handovers(
    _: ReadAccess, store: StoreDep, status: str | None = "open", limit: int = 100
) -> list[dict[str, Any]]:
    """The agent inbox: ``open`` handovers (complaints, requests for a person,
    unsure answers) with the redacted transcript and the customer's context."""
    return handovers(store, status, limit)
