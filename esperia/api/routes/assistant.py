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

__all__ = ["ChatCORS", "cors_headers", "router"]

#: The paths a widget on another site calls.
CHAT_PATHS = frozenset({"/api/v1/assistant/messages"})

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


class ChatCORS:
    """ASGI middleware: CORS headers on *every* chat response for an allowed
    origin, errors included (400, 422, 429, 500), so the widget on the
    company's site can read why a message failed. A plain ASGI wrapper (not
    ``BaseHTTPMiddleware``) that touches only the chat path, so other requests
    pay nothing."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] not in CHAT_PATHS:
            await self.app(scope, receive, send)
            return
        origin = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"origin"), None
        )
        extra = [
            (k.lower().encode("latin-1"), v.encode("latin-1"))
            for k, v in cors_headers(self.settings, origin).items()
        ]
        started = False

        async def send_with_cors(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if extra:
                    present = {k for k, _ in message.get("headers", [])}
                    message = {
                        **message,
                        "headers": [
                            *message.get("headers", []),
                            *(h for h in extra if h[0] not in present),
                        ],
                    }
            await send(message)

        try:
            await self.app(scope, receive, send_with_cors)
        except Exception:
            # A bug: answer the one error shape here, with the CORS headers,
            # then let the server log it.
            if not started:
                from fastapi.responses import JSONResponse

                from esperia.api.errors import error_body

                await JSONResponse(
                    error_body("internal_error", "the assistant failed"),
                    status_code=500,
                )(scope, receive, send_with_cors)
            raise


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
    # The CORS headers themselves come from ChatCORS, on errors too.
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
