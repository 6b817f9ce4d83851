"""The agent inbox: ``/cases``, a case with the customer's 360° view, outcomes.

Each view builds the viewer from the session user (agents see their teams'
cases only), calls one service and renders; actions post back and redirect.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from esperia.act import customer_view, viewer_for_user
from esperia.act.access import Viewer
from esperia.act.auditcsv import audit_csv
from esperia.act.cases import (
    CONTACT_KINDS,
    STATUSES,
    TRANSITIONS,
    add_note,
    assign_case,
    change_status,
    get_case,
    list_cases,
    log_contact,
    request_followup,
)
from esperia.act.outcomes import recovery_comparison, recovery_outcomes
from esperia.act.plans import list_plans, root_causes
from esperia.act.rules import list_rules, parse_rules, rules_to_yaml, save_rules
from esperia.auth.audit import read_audit
from esperia.auth.teams import list_teams
from esperia.auth.users import User, list_users
from esperia.errors import EsperiaError, Forbidden
from esperia.store import Store
from esperia.web.rendering import flash, render
from esperia.web.security import (
    current_language,
    require_admin,
    require_user,
    verify_csrf,
)

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

CurrentUser = Annotated[User, Depends(require_user)]
AdminUser = Annotated[User, Depends(require_admin)]
FormText = Annotated[str, Form()]


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _viewer(request: Request, user: User) -> Viewer:
    return viewer_for_user(_store(request), user)


def _back(case_id: int) -> RedirectResponse:
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.get("/cases", response_class=HTMLResponse)
def inbox(
    request: Request,
    user: CurrentUser,
    scope: str = "team",
    status: str = "",
    team: str = "",
    reason: str = "",
    overdue: str = "",
) -> Response:
    viewer = _viewer(request, user)
    store = _store(request)
    cases = list_cases(
        store, viewer, scope=scope if scope in ("mine", "team", "all") else "team",
        status=status or None, team=team or None, reason=reason or None,
        overdue=overdue == "1", open_only=not status, limit=500,
    )  # fmt: skip
    teams = sorted(viewer.teams) if viewer.teams is not None else [
        t["team"] for t in list_teams(store)
    ]  # fmt: skip
    filters = {"scope": scope, "status": status, "team": team, "reason": reason,
               "overdue": overdue}  # fmt: skip
    context = {"cases": cases, "statuses": STATUSES, "teams": teams,
               "filters": filters, "viewer": viewer}  # fmt: skip
    return render(request, "act_inbox.html", context)


@router.get("/cases/outcomes", response_class=HTMLResponse)
def outcomes(request: Request, user: CurrentUser, by: str = "team") -> Response:
    store = _store(request)
    grouping = by if by in ("team", "reason", "rule_id", "priority") else "team"
    context: dict[str, Any] = {
        "rows": recovery_outcomes(store, by=grouping),
        "comparison": recovery_comparison(store),
        "causes": root_causes(store)[:20],
        "plans": list_plans(store),
        "by": grouping,
    }
    return render(request, "act_outcomes.html", context)


def _rules_page(
    request: Request, text: str, error: str | None = None, status_code: int = 200
) -> Response:
    store = _store(request)
    context = {"rules": list_rules(store), "text": text, "error": error}
    return render(request, "act_rules.html", context, status_code=status_code)


@router.get("/cases/rules", response_class=HTMLResponse)
def rules_page(request: Request, user: CurrentUser) -> Response:
    _require_analyst(user)
    rules = list_rules(_store(request))
    return _rules_page(request, rules_to_yaml(rules) if rules else "")


@router.post("/cases/rules", response_class=HTMLResponse)
def rules_save(request: Request, user: CurrentUser, rules: FormText = "") -> Response:
    _require_analyst(user)
    try:
        parsed = parse_rules(rules, source="rules")
        save_rules(_store(request), parsed, actor=user.email, replace=True)
    except EsperiaError as exc:
        return _rules_page(request, rules, exc.message, exc.status_code)
    flash(request, "act.saved")
    return RedirectResponse("/cases/rules", status_code=303)


def _require_analyst(user: User) -> None:
    if user.role not in ("admin", "analyst"):
        raise Forbidden("only admins and analysts edit rules")


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: int, user: CurrentUser) -> Response:
    store = _store(request)
    viewer = _viewer(request, user)
    case = get_case(store, viewer, case_id)
    view = customer_view(store, viewer, str(case["customer_id"]))
    best = _next_best(request, store, str(case["customer_id"]))
    members: list[str] = []
    for team in list_teams(store):
        if team["team"] == case["team"]:
            members = list(team["members"])
    if viewer.sees_all:
        members = sorted(
            set(members)
            | {u.email for u in list_users(store) if u.role in ("admin", "analyst")}
        )
    context = {
        "case": case,
        "view": view,
        "next_statuses": TRANSITIONS[str(case["status"])],
        "contacts": list(CONTACT_KINDS),
        "members": members,
        "viewer": viewer,
        "nba": best,
    }
    return render(request, "act_case.html", context)


def _next_best(request: Request, store: Store, customer_id: str) -> dict[str, Any]:
    """The customer's next best actions for the agent, in the page's language."""
    from esperia.nba import next_best_actions

    lang = current_language(request)
    return next_best_actions(
        store,
        request.app.state.settings,
        customer_id,
        lang if lang in ("it", "en") else "en",
    )


def _act(request: Request, case_id: int, action: Any) -> Response:
    try:
        action()
    except EsperiaError as exc:
        if exc.status_code in (403, 404):
            raise
        flash(request, "act.failed", reason=exc.message)
        return _back(case_id)
    flash(request, "act.saved")
    return _back(case_id)


@router.post("/cases/{case_id}/status")
def case_status(
    request: Request,
    case_id: int,
    user: CurrentUser,
    status: FormText = "",
    note: FormText = "",
    root_cause: FormText = "",
    resolution: FormText = "",
) -> Response:
    store, settings = _store(request), request.app.state.settings
    viewer = _viewer(request, user)
    return _act(request, case_id, lambda: change_status(
        store, settings, viewer, case_id, status, note=note or None,
        root_cause=root_cause or None, resolution=resolution or None,
    ))  # fmt: skip


@router.post("/cases/{case_id}/assign")
def case_assign(
    request: Request, case_id: int, user: CurrentUser, owner: FormText = ""
) -> Response:
    store, settings = _store(request), request.app.state.settings
    viewer = _viewer(request, user)
    return _act(request, case_id, lambda: assign_case(
        store, settings, viewer, case_id, owner or None
    ))  # fmt: skip


@router.post("/cases/{case_id}/note")
def case_note(
    request: Request, case_id: int, user: CurrentUser, note: FormText = ""
) -> Response:
    viewer = _viewer(request, user)
    return _act(
        request, case_id, lambda: add_note(_store(request), viewer, case_id, note)
    )


@router.post("/cases/{case_id}/contact")
def case_contact(
    request: Request,
    case_id: int,
    user: CurrentUser,
    kind: FormText = "callback",
    outcome: FormText = "answered",
    note: FormText = "",
) -> Response:
    viewer = _viewer(request, user)
    return _act(request, case_id, lambda: log_contact(
        _store(request), viewer, case_id, kind, outcome=outcome, note=note or None
    ))  # fmt: skip


@router.post("/cases/{case_id}/followup")
def case_followup(request: Request, case_id: int, user: CurrentUser) -> Response:
    store, settings = _store(request), request.app.state.settings
    viewer = _viewer(request, user)
    return _act(request, case_id, lambda: request_followup(
        store, settings, viewer, case_id
    ))  # fmt: skip


@router.get("/admin/audit.csv")
def audit_export(request: Request, admin: AdminUser) -> Response:
    entries = read_audit(_store(request), 100_000)
    return Response(
        audit_csv(entries),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
