"""The dashboard's pages. Each view reads the request, calls a service, renders.

Views are plain ``def`` functions: FastAPI runs them in its thread pool, so the
blocking database calls inside the services never stall the event loop.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from esperia.auth import audit
from esperia.auth.passwords import generate_password
from esperia.auth.users import (
    ROLES,
    User,
    authenticate,
    create_user,
    get_user_by_id,
    list_users,
    set_active,
)
from esperia.errors import EsperiaError, NotAuthenticated
from esperia.status import latest_feedback, recent_imports, workspace_status
from esperia.store import Store
from esperia.web.charts import horizontal_bars
from esperia.web.errorpage import render_error_page
from esperia.web.i18n import format_number, translate
from esperia.web.rendering import flash, render
from esperia.web.security import (
    current_language,
    log_in,
    log_out,
    require_admin,
    require_user,
    safe_next,
    session_user,
    set_language,
    verify_csrf,
)

__all__ = ["router"]

#: Every route of the dashboard; every POST must carry the CSRF token.
router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

CurrentUser = Annotated[User, Depends(require_user)]
AdminUser = Annotated[User, Depends(require_admin)]
FormText = Annotated[str, Form()]


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _redirect(url: str) -> RedirectResponse:
    # 303: the browser follows a POST's answer with a GET.
    return RedirectResponse(url, status_code=303)


# ----------------------------------------------------------------- sessions


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    if session_user(request) is not None:
        return _redirect(safe_next(next))
    return render(request, "login.html", {"next": safe_next(next), "email": ""})


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    email: FormText = "",
    password: FormText = "",
    next: FormText = "/",
) -> Response:
    try:
        user = authenticate(_store(request), email, password)
    except NotAuthenticated:
        # 200, not 401: this is the login form again, not a challenge, and a 401
        # here would only add a scary "failed to load resource" to the console.
        context = {"next": safe_next(next), "email": email, "error": "login.failed"}
        return render(request, "login.html", context)
    log_in(request, user)
    return _redirect(safe_next(next))


@router.post("/logout")
def logout(request: Request) -> Response:
    user = session_user(request)
    if user is not None:
        audit.record(_store(request), user.email, "logout", user.email)
    log_out(request)
    flash(request, "login.logged_out")
    return _redirect("/login")


@router.post("/language")
def choose_language(
    request: Request, lang: FormText = "it", next: FormText = "/"
) -> Response:
    set_language(request, lang)
    return _redirect(safe_next(next))


# -------------------------------------------------------------------- pages


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, user: CurrentUser) -> Response:
    store = _store(request)
    status = workspace_status(store)
    lang = current_language(request)
    kinds = [
        {"name": name, "label": translate(lang, f"kind.{name}"), **info}
        for name, info in status["tables"].items()
    ]
    chart = horizontal_bars(
        [(kind["label"], kind["count"]) for kind in kinds],
        title=translate(lang, "overview.chart_title"),
        description=translate(lang, "overview.chart_desc"),
        value_format=lambda value: format_number(value, lang),
    )
    context: dict[str, Any] = {
        "status": status,
        "kinds": kinds,
        "empty": all(kind["count"] == 0 for kind in kinds),
        "chart": chart,
        "feedback": latest_feedback(store, 10),
        "imports": recent_imports(store, 5),
    }
    return render(request, "overview.html", context)


@router.get("/imports", response_class=HTMLResponse)
def imports(request: Request, user: CurrentUser) -> Response:
    rows = recent_imports(_store(request), 200)
    return render(request, "imports.html", {"imports": rows})


# -------------------------------------------------------------------- admin


def _users_page(
    request: Request,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    created: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "users": list_users(_store(request)),
        "roles": ROLES,
        "form": form or {"email": "", "name": "", "role": "viewer"},
        "error": error,
        "created": created,
    }
    return render(request, "users.html", context, status_code=status_code)


@router.get("/admin/users", response_class=HTMLResponse)
def users(request: Request, admin: AdminUser) -> Response:
    return _users_page(request)


@router.post("/admin/users", response_class=HTMLResponse)
def users_create(
    request: Request,
    admin: AdminUser,
    email: FormText = "",
    name: FormText = "",
    role: FormText = "viewer",
    password: FormText = "",
) -> Response:
    generated = not password
    secret = generate_password() if generated else password
    try:
        user = create_user(
            _store(request), email, secret, role, name or None, actor=admin.email
        )
    except EsperiaError as exc:
        form = {"email": email, "name": name, "role": role}
        return _users_page(
            request, form=form, error=exc.message, status_code=exc.status_code
        )
    # Shown on this answer only, never stored: so no redirect-after-post here.
    created = {"email": user.email, "password": secret if generated else ""}
    return _users_page(request, created=created, status_code=201)


@router.post("/admin/users/{user_id}/active")
def users_set_active(
    request: Request, user_id: int, admin: AdminUser, active: FormText = "0"
) -> Response:
    store = _store(request)
    target = get_user_by_id(store, user_id)
    if target is None:
        return render_error_page(request, 404, f"no user with id {user_id}")
    enable = active == "1"
    try:
        set_active(store, target.email, enable, actor=admin.email)
    except EsperiaError as exc:
        return _users_page(request, error=exc.message, status_code=exc.status_code)
    message = "users.activated" if enable else "users.deactivated"
    flash(request, message, email=target.email)
    return _redirect("/admin/users")


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_log(request: Request, admin: AdminUser) -> Response:
    entries = audit.read_audit(_store(request), 200)
    return render(request, "audit.html", {"entries": entries})
