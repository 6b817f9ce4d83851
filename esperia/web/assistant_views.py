"""The assistant's pages: the agent view (conversations, handovers, intent
corrections) and the embeddable chat widget script."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from esperia.assistant import records
from esperia.auth.users import User
from esperia.store import Store
from esperia.web.errorpage import render_error_page
from esperia.web.rendering import flash, render
from esperia.web.security import require_user, verify_csrf

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

CurrentUser = Annotated[User, Depends(require_user)]
_WIDGET = Path(__file__).resolve().parent.parent / "assistant" / "widget.js"
#: Roles that may take handovers and correct intents.
_AGENT_ROLES = {"admin", "analyst", "agent"}


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


@router.get("/assistant/widget.js")
def widget_js() -> Response:
    """Public: any page may load the script; the chat API decides which sites
    may talk to it (CORS)."""
    return Response(
        _WIDGET.read_text(encoding="utf-8"),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=300",
                 "Cross-Origin-Resource-Policy": "cross-origin"},
    )  # fmt: skip


@router.get("/assistant", response_class=HTMLResponse)
def agent_view(request: Request, user: CurrentUser, conversation: str = "") -> Response:
    store = _store(request)
    context = {
        "handovers": records.handovers(store, "open", 50),
        "conversations": records.list_conversations(store, 50),
        "selected": records.conversation(store, conversation) if conversation else None,
        "messages": records.messages(store, conversation) if conversation else [],
        "intents": _intent_labels(request),
        "can_correct": user.role in _AGENT_ROLES,
    }
    return render(request, "assistant.html", context)


def _intent_labels(request: Request) -> list[str]:
    from esperia.assistant import assistant_for

    assistant = assistant_for(request.app.state.settings, _store(request))
    return sorted(set(assistant.training_examples()[1]))


@router.post("/assistant/conversations/{conversation_id}/messages/{seq}/intent")
def correct(
    request: Request,
    user: CurrentUser,
    conversation_id: str,
    seq: int,
    intent: Annotated[str, Form()] = "",
) -> Response:
    if user.role not in _AGENT_ROLES:
        return render_error_page(request, 403, "agents only")
    if intent not in _intent_labels(request):
        return render_error_page(request, 400, f"unknown intent {intent!r}")
    example = records.correct_intent(
        _store(request), conversation_id, seq, intent, user.email
    )
    if example is None:
        return render_error_page(request, 404, "no such customer message")
    flash(request, "assistant.corrected", intent=intent)
    return RedirectResponse(
        f"/assistant?conversation={conversation_id}", status_code=303
    )


@router.post("/assistant/handovers/{handover_id}/status")
def handover_status(
    request: Request,
    user: CurrentUser,
    handover_id: str,
    status: Annotated[str, Form()] = "taken",
) -> Response:
    if user.role not in _AGENT_ROLES or status not in records.HANDOVER_STATUSES:
        return render_error_page(request, 400, "not allowed")
    records.set_handover_status(_store(request), handover_id, status, user.email)
    return RedirectResponse("/assistant", status_code=303)


@router.post("/assistant/train")
def retrain(request: Request, user: CurrentUser) -> Response:
    """Refit the intent model so the corrections take effect."""
    from esperia.assistant import assistant_for

    if user.role not in _AGENT_ROLES:
        return render_error_page(request, 403, "agents only")
    model = assistant_for(request.app.state.settings, _store(request)).train()
    flash(request, "assistant.trained", intents=len(model.labels))
    return RedirectResponse("/assistant", status_code=303)
