"""Close-the-loop routes: cases, rules, action plans, webhooks, outcomes, audit.

Reads take the ``read`` scope (or a dashboard session, filtered to the user's
teams for agents); changes take an API key with the ``admin`` scope.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from esperia.act import customer_view, viewer_for_key, viewer_for_user
from esperia.act.access import Viewer
from esperia.act.auditcsv import audit_csv
from esperia.act.cases import (
    add_note,
    assign_case,
    change_status,
    create_case,
    get_case,
    list_cases,
)
from esperia.act.notify import create_webhook, delete_webhook, list_webhooks
from esperia.act.outcomes import recovery_comparison, recovery_outcomes
from esperia.act.plans import (
    create_plan,
    list_plans,
    mark_fixed,
    plan_effect,
    root_causes,
)
from esperia.act.rules import list_rules, parse_rules, run_rules, save_rules
from esperia.api.deps import AdminAccess, Principal, ReadAccess, SettingsDep, StoreDep
from esperia.auth.audit import read_audit
from esperia.auth.users import get_user_by_id
from esperia.errors import NotAuthenticated
from esperia.store import Store

__all__ = ["router"]

router = APIRouter(tags=["act"])


def _viewer(store: Store, principal: Principal) -> Viewer:
    if principal.kind == "user":
        user = get_user_by_id(store, int(principal.id))
        if user is None:
            raise NotAuthenticated("the session's user no longer exists")
        return viewer_for_user(store, user)
    return viewer_for_key(principal.name, principal.scopes)


# -------------------------------------------------------------------- cases


class CaseIn(BaseModel):
    customer_id: str
    reason: str
    detail: str | None = None
    touchpoint_id: str | None = None
    feedback_id: str | None = None
    interaction_id: str | None = None
    team: str | None = None
    priority: Literal["high", "medium", "low"] | None = None


class StatusIn(BaseModel):
    status: str
    note: str | None = None
    root_cause: str | None = None
    resolution: str | None = None


class AssignIn(BaseModel):
    owner: str | None = None
    team: str | None = None


class NoteIn(BaseModel):
    note: str = Field(min_length=1)


@router.get("/cases", summary="Cases the caller may see, overdue first")
def cases_index(
    principal: ReadAccess,
    store: StoreDep,
    scope: Literal["mine", "team", "all"] = "all",
    status: str | None = None,
    team: str | None = None,
    reason: str | None = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> list[dict[str, Any]]:
    return list_cases(
        store, _viewer(store, principal), scope=scope, status=status, team=team,
        reason=reason, overdue=overdue, limit=limit,
    )  # fmt: skip


@router.get("/cases/{case_id}", summary="One case with its history")
def cases_show(principal: ReadAccess, store: StoreDep, case_id: int) -> dict[str, Any]:
    return get_case(store, _viewer(store, principal), case_id)


@router.get("/cases/{case_id}/customer", summary="The case customer's 360° view")
def cases_customer(
    principal: ReadAccess, store: StoreDep, case_id: int
) -> dict[str, Any]:
    viewer = _viewer(store, principal)
    case = get_case(store, viewer, case_id)
    return customer_view(store, viewer, str(case["customer_id"]))


@router.post("/cases", status_code=201, summary="Open a case by hand")
def cases_create(
    principal: AdminAccess, store: StoreDep, settings: SettingsDep, body: CaseIn
) -> dict[str, Any]:
    return create_case(store, settings, _viewer(store, principal), **body.model_dump())


@router.post("/cases/{case_id}/status", summary="Move a case along the flow")
def cases_status(
    principal: AdminAccess,
    store: StoreDep,
    settings: SettingsDep,
    case_id: int,
    body: StatusIn,
) -> dict[str, Any]:
    return change_status(
        store, settings, _viewer(store, principal), case_id, body.status,
        note=body.note, root_cause=body.root_cause, resolution=body.resolution,
    )  # fmt: skip


@router.post("/cases/{case_id}/assign", summary="Assign a case to a user or team")
def cases_assign(
    principal: AdminAccess,
    store: StoreDep,
    settings: SettingsDep,
    case_id: int,
    body: AssignIn,
) -> dict[str, Any]:
    return assign_case(
        store, settings, _viewer(store, principal), case_id, body.owner,
        team=body.team,
    )  # fmt: skip


@router.post("/cases/{case_id}/notes", status_code=201, summary="Add a note")
def cases_note(
    principal: AdminAccess, store: StoreDep, case_id: int, body: NoteIn
) -> dict[str, Any]:
    add_note(store, _viewer(store, principal), case_id, body.note)
    return {"case_id": case_id, "note": body.note}


# -------------------------------------------------------------------- rules


@router.get("/rules", summary="The stored rules")
def rules_index(_: ReadAccess, store: StoreDep) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in list_rules(store)]


@router.put("/rules", summary="Store rules from YAML (validated)")
def rules_put(
    principal: AdminAccess,
    store: StoreDep,
    body: Annotated[str, Body(media_type="application/yaml")],
    replace: bool = False,
) -> dict[str, int]:
    rules = parse_rules(body, source="request body")
    return save_rules(store, rules, actor=principal.actor, replace=replace)


@router.post("/rules/run", summary="Evaluate the enabled rules now")
def rules_run(
    principal: AdminAccess, store: StoreDep, settings: SettingsDep
) -> dict[str, Any]:
    return run_rules(store, settings, started_by=principal.actor).to_dict()


# ------------------------------------------------------- outcomes and plans


@router.get("/outcomes", summary="Recovery outcomes by team, reason, rule")
def outcomes(
    _: ReadAccess,
    store: StoreDep,
    by: Literal["team", "reason", "rule_id", "priority"] = "team",
    horizon_days: Annotated[int, Query(ge=1, le=730)] = 90,
) -> dict[str, Any]:
    return {
        "rows": recovery_outcomes(store, by=by, horizon_days=horizon_days),
        "comparison": recovery_comparison(store, horizon_days=horizon_days),
    }


@router.get("/root-causes", summary="Cases by touchpoint and root cause")
def causes(_: ReadAccess, store: StoreDep) -> list[dict[str, Any]]:
    return root_causes(store)


class PlanIn(BaseModel):
    touchpoint_id: str
    root_cause: str
    title: str
    metric: Literal["nps", "csat", "promise_kept", "failure_rate"]
    owner: str | None = None
    due_at: datetime | None = None
    expected_effect: str | None = None


class FixedIn(BaseModel):
    fixed_at: datetime


@router.get("/action-plans", summary="Action plans on touchpoints")
def plans_index(_: ReadAccess, store: StoreDep) -> list[dict[str, Any]]:
    return list_plans(store)


@router.post("/action-plans", status_code=201, summary="Create an action plan")
def plans_create(
    principal: AdminAccess, store: StoreDep, body: PlanIn
) -> dict[str, Any]:
    return create_plan(store, actor=principal.actor, **body.model_dump())


@router.post("/action-plans/{plan_id}/fixed", summary="Record when the fix went live")
def plans_fixed(
    principal: AdminAccess, store: StoreDep, plan_id: int, body: FixedIn
) -> dict[str, Any]:
    return mark_fixed(store, plan_id, body.fixed_at, actor=principal.actor)


@router.get("/action-plans/{plan_id}/effect", summary="Before/after with a test")
def plans_effect(
    _: ReadAccess,
    store: StoreDep,
    plan_id: int,
    window_days: Annotated[int, Query(ge=7, le=365)] = 60,
) -> dict[str, Any]:
    return plan_effect(store, plan_id, window_days=window_days)


# ----------------------------------------------------------------- webhooks


class WebhookIn(BaseModel):
    url: str
    events: list[str] = Field(default_factory=lambda: ["*"])


@router.get("/webhooks", summary="Webhook subscriptions (no secrets)")
def webhooks_index(_: AdminAccess, store: StoreDep) -> list[dict[str, Any]]:
    return list_webhooks(store)


@router.post("/webhooks", status_code=201, summary="Subscribe a URL")
def webhooks_create(
    principal: AdminAccess, store: StoreDep, body: WebhookIn
) -> dict[str, Any]:
    """The answer holds the signing secret; it is not shown again."""
    return create_webhook(store, body.url, body.events, actor=principal.actor)


@router.delete("/webhooks/{webhook_id}", status_code=204, summary="Unsubscribe")
def webhooks_delete(
    principal: AdminAccess, store: StoreDep, webhook_id: int
) -> Response:
    delete_webhook(store, webhook_id, actor=principal.actor)
    return Response(status_code=204)


# -------------------------------------------------------------------- audit


@router.get("/audit", summary="The audit log (admins); CSV with format=csv")
def audit(
    principal: AdminAccess,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
    action: str | None = None,
    format: Literal["json", "csv"] = "json",
) -> Any:
    entries = read_audit(store, limit, action=action)
    if format == "json":
        return entries
    return Response(audit_csv(entries), media_type="text/csv; charset=utf-8")
