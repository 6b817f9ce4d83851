"""Survey pages: the respondents' public pages (/s/...) and the staff's (/surveys).

Respondents need no login: a one-time token in the link is their key. Their
pages work without JavaScript (one screen per form post), are limited per IP
address, and carry the session's CSRF token like every other form.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from esperia.auth.users import User
from esperia.errors import EsperiaError, Forbidden, InvalidInput
from esperia.store import Store
from esperia.surveys import (
    create_invitations,
    create_open_response,
    export_invitations_csv,
    get_survey,
    invitation_link,
    list_invitations,
    list_surveys,
    load_response,
    parse_survey,
    qr_svg,
    save_survey,
    submit_screen,
    survey_from_dict,
    survey_results,
    survey_to_yaml,
)
from esperia.surveys.builder import (
    apply_action,
    form_from_survey,
    form_to_dict,
    read_form,
)
from esperia.surveys.model import LANGS, QUESTION_TYPES
from esperia.surveys.ratelimit import RateLimiter
from esperia.surveys.responses import set_language
from esperia.web.i18n import translate
from esperia.web.plots import figure
from esperia.web.rendering import SECURITY_HEADERS, flash, render
from esperia.web.security import current_language, require_user, verify_csrf

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

CurrentUser = Annotated[User, Depends(require_user)]
_EDITORS = ("admin", "analyst")


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _limit(request: Request) -> None:
    """Count this request against its address's allowance for public pages."""
    limiter = getattr(request.app.state, "survey_limiter", None)
    if limiter is None:
        settings = request.app.state.settings
        limiter = RateLimiter(settings.survey_rate_limit_per_minute)
        request.app.state.survey_limiter = limiter
    limiter.hit(request.client.host if request.client else "unknown")


def _words(lang: str) -> Callable[..., str]:
    def t(key: str, **values: Any) -> str:
        return translate(lang, key, **values)

    return t


# --------------------------------------------------------------- respondents


def _respondent_page(
    request: Request,
    template: str,
    lang: str,
    context: dict[str, Any],
    status: int = 200,
) -> Response:
    # The respondent's language comes from the invitation, not the session.
    values = {"lang": lang, "t": _words(lang), "respondent": True, **context}
    return render(request, template, values, status_code=status)


@router.get("/s/{token}", response_class=HTMLResponse)
def respond(
    request: Request, token: str, step: int | None = None, lang: str = ""
) -> Response:
    _limit(request)
    store = _store(request)
    if lang in LANGS:
        set_language(store, token, lang)
        load_response(store, token)  # 404 for a bad token before redirecting
        return _redirect(f"/s/{token}" + (f"?step={step}" if step is not None else ""))
    response = load_response(store, token)
    return _screen(request, response, step, {})


def _screen(
    request: Request, response: Any, step: int | None, errors: dict[str, str],
    values: dict[str, Any] | None = None, status: int = 200,
) -> Response:  # fmt: skip
    survey = response.survey
    lang = response.language
    if response.completed:
        return _respondent_page(
            request, "surveys_thanks.html", lang, {"survey": survey}
        )
    current = response.current_step()
    steps = response.steps()
    if step is None or step not in steps or (current is not None and step > current):
        step = current if current is not None else steps[-1]
    screen = response.visible(survey.groups()[step])
    position = steps.index(step)
    context = {
        "survey": survey,
        "token": response.token,
        "step": step,
        "position": position + 1,
        "total": len(steps),
        "previous": steps[position - 1] if position > 0 else None,
        "questions": screen,
        "answers": {**response.answers, **(values or {})},
        "errors": errors,
        "last": position == len(steps) - 1,
    }
    return _respondent_page(request, "surveys_respond.html", lang, context, status)


@router.post("/s/{token}", response_class=HTMLResponse)
async def respond_submit(request: Request, token: str) -> Response:
    _limit(request)
    form = await request.form()
    try:
        step = int(str(form.get("step", "")))
    except ValueError:
        raise InvalidInput("the form lost its step: open the link again") from None
    values = {
        str(key): [str(v) for v in form.getlist(key)]
        for key in form
        if str(key).startswith("q_")
    }
    from starlette.concurrency import run_in_threadpool

    response, errors = await run_in_threadpool(
        submit_screen, _store(request), token, step, values
    )
    if errors:
        kinds = {q.id: q.type for q in response.survey.questions}
        shown = {
            k[2:]: v if kinds.get(k[2:]) == "multiple" else (v[0] if v else None)
            for k, v in values.items()
        }
        # 200, not 422: this is the form again with its messages, and an error
        # status would only add a "failed to load resource" to the console.
        return _screen(request, response, step, errors, shown)
    return _redirect(f"/s/{token}")


@router.get("/s/open/{survey_id}", response_class=HTMLResponse)
def open_link(request: Request, survey_id: str, lang: str = "") -> Response:
    _limit(request)
    survey = get_survey(_store(request), survey_id)
    if not survey.open_link:
        raise InvalidInput("this survey takes answers by invitation only")
    chosen = lang if lang in LANGS else survey.default_language
    return _respondent_page(request, "surveys_open.html", chosen, {"survey": survey})


@router.post("/s/open/{survey_id}")
async def open_link_start(request: Request, survey_id: str) -> Response:
    _limit(request)
    form = await request.form()
    lang = str(form.get("lang", ""))
    from starlette.concurrency import run_in_threadpool

    store = _store(request)
    survey = await run_in_threadpool(get_survey, store, survey_id)
    chosen = lang if lang in LANGS else survey.default_language
    token = await run_in_threadpool(create_open_response, store, survey, chosen)
    return _redirect(f"/s/{token}")


# --------------------------------------------------------------------- staff


def _editor(user: User) -> None:
    if user.role not in _EDITORS:
        raise Forbidden("only admins and analysts may change surveys")


@router.get("/surveys", response_class=HTMLResponse)
def surveys(request: Request, user: CurrentUser) -> Response:
    rows = list_surveys(_store(request))
    return render(request, "surveys.html", {"surveys": rows, "yaml": "", "error": None})


@router.post("/surveys/import", response_class=HTMLResponse)
async def surveys_import(request: Request) -> Response:
    user = require_user(request)
    _editor(user)
    form = await request.form()
    text = str(form.get("yaml", ""))
    store = _store(request)
    from starlette.concurrency import run_in_threadpool

    try:
        survey = parse_survey(text, "YAML")
        version = await run_in_threadpool(save_survey, store, survey, actor=user.email)
    except EsperiaError as exc:
        rows = await run_in_threadpool(list_surveys, store)
        context = {"surveys": rows, "yaml": text, "error": exc}
        return render(request, "surveys.html", context)  # the form again
    flash(request, "surveys.saved", survey=survey.id, version=version)
    return _redirect(f"/surveys/{survey.id}")


def _builder_page(
    request: Request, head: dict[str, str], questions: list[dict[str, str]],
    *, editing: bool, error: EsperiaError | None = None, status: int = 200,
) -> Response:  # fmt: skip
    ids = [q["id"] for q in questions]
    context = {
        "head": head,
        "questions": questions,
        "question_types": list(QUESTION_TYPES),
        "editing": editing,
        "error": error,
        "ids": ids,
    }
    return render(request, "surveys_builder.html", context, status_code=status)


@router.get("/surveys/new", response_class=HTMLResponse)
def builder_new(request: Request, user: CurrentUser) -> Response:
    _editor(user)
    head, questions = read_form(lambda _name: None)
    head["language"] = current_language(request)
    return _builder_page(request, head, questions, editing=False)


@router.get("/surveys/{survey_id}/edit", response_class=HTMLResponse)
def builder_edit(request: Request, survey_id: str, user: CurrentUser) -> Response:
    _editor(user)
    head, questions = form_from_survey(get_survey(_store(request), survey_id))
    return _builder_page(request, head, questions, editing=True)


@router.post("/surveys/builder", response_class=HTMLResponse)
async def builder_post(request: Request) -> Response:
    user = require_user(request)
    _editor(user)
    form = await request.form()

    def get(name: str) -> str | None:
        value = form.get(name)
        return None if value is None else str(value)

    head, questions = read_form(get)
    editing = get("editing") == "1"
    action = get("action") or "save"
    if action != "save":
        questions = apply_action(action, questions)
        return _builder_page(request, head, questions, editing=editing)
    from starlette.concurrency import run_in_threadpool

    try:
        survey = survey_from_dict(form_to_dict(head, questions), "builder")
        if not editing:
            exists = {
                r["survey_id"]
                for r in await run_in_threadpool(list_surveys, _store(request))
            }
            if survey.id in exists:
                raise InvalidInput(f"id: a survey {survey.id!r} exists already")
        version = await run_in_threadpool(
            save_survey, _store(request), survey, actor=user.email
        )
    except EsperiaError as exc:
        # The form again with the problems listed (200, like the login form).
        return _builder_page(request, head, questions, editing=editing, error=exc)
    flash(request, "surveys.saved", survey=survey.id, version=version)
    return _redirect(f"/surveys/{survey.id}")


def _bar(data: dict[str, Any], lang: str) -> Any:
    x = [str(d["value"]) for d in data["distribution"]]
    y = [d["count"] for d in data["distribution"]]
    caption = translate(
        lang, "surveys.chart_caption", question=data["id"], n=data["n"] or 0
    )
    return figure(
        [{"type": "bar", "x": x, "y": y, "marker": {"color": "#2f6f8f"}}],
        {"xaxis": {"type": "category"}, "yaxis": {"rangemode": "tozero"}},
        caption=caption, lang=lang, height=220,
    )  # fmt: skip


@router.get("/surveys/{survey_id}", response_class=HTMLResponse)
def survey_page(request: Request, survey_id: str, user: CurrentUser) -> Response:
    store = _store(request)
    survey = get_survey(store, survey_id)
    results = survey_results(store, survey_id)
    lang = current_language(request)
    charts = {
        q["id"]: _bar(q, lang) for q in results["questions"] if q["type"] != "text"
    }
    settings = request.app.state.settings
    open_url = (
        f"{settings.public_url.rstrip('/')}/s/open/{survey.id}"
        if survey.open_link
        else None
    )
    context = {
        "survey": survey,
        "results": results,
        "charts": charts,
        "open_url": open_url,
        "yaml": survey_to_yaml(survey),
        "can_edit": user.role in _EDITORS,
    }
    return render(request, "surveys_results.html", context)


@router.get("/surveys/{survey_id}/invitations", response_class=HTMLResponse)
def invitations_page(
    request: Request, survey_id: str, user: CurrentUser, status: str = "all"
) -> Response:
    store = _store(request)
    survey = get_survey(store, survey_id)
    settings = request.app.state.settings
    rows = list_invitations(store, settings, survey_id, status=status, limit=500)
    context = {"survey": survey, "rows": rows, "status": status,
               "can_edit": user.role in _EDITORS}  # fmt: skip
    return render(request, "surveys_invitations.html", context)


@router.post("/surveys/{survey_id}/invitations")
async def invitations_create(request: Request, survey_id: str) -> Response:
    user = require_user(request)
    _editor(user)
    from starlette.concurrency import run_in_threadpool

    result = await run_in_threadpool(
        create_invitations, _store(request), request.app.state.settings, survey_id
    )
    flash(
        request, "surveys.invited", created=result.created, candidates=result.candidates
    )
    return _redirect(f"/surveys/{survey_id}/invitations")


@router.get("/surveys/{survey_id}/invitations.csv")
def invitations_csv(request: Request, survey_id: str, user: CurrentUser) -> Response:
    out = io.StringIO()
    export_invitations_csv(
        _store(request), request.app.state.settings, survey_id, out, status="unsent"
    )
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f'attachment; filename="{survey_id}-invitations.csv"',
    }
    return Response(
        out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers
    )


def _svg(text: str) -> Response:
    return Response(text, media_type="image/svg+xml", headers=SECURITY_HEADERS)


@router.get("/surveys/{survey_id}/qr/{token}.svg")
def invitation_qr(
    request: Request, survey_id: str, token: str, user: CurrentUser
) -> Response:
    rows = list_invitations(
        _store(request), request.app.state.settings, survey_id, status="all"
    )
    if token not in {r["token"] for r in rows}:
        raise InvalidInput(f"no invitation {token!r} in survey {survey_id!r}")
    return _svg(qr_svg(invitation_link(request.app.state.settings, token)))


@router.get("/surveys/{survey_id}/open-qr.svg")
def open_qr(request: Request, survey_id: str, user: CurrentUser) -> Response:
    survey = get_survey(_store(request), survey_id)
    if not survey.open_link:
        raise InvalidInput("this survey has no open link")
    base = request.app.state.settings.public_url.rstrip("/")
    return _svg(qr_svg(f"{base}/s/open/{survey.id}"))


@router.get("/surveys/{survey_id}/survey.yaml")
def survey_yaml(request: Request, survey_id: str, user: CurrentUser) -> Response:
    text = survey_to_yaml(get_survey(_store(request), survey_id))
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f'attachment; filename="{survey_id}.yaml"',
    }
    return Response(text, media_type="application/yaml; charset=utf-8", headers=headers)
