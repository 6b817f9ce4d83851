"""The web dashboard: server-rendered pages on the same app as the API.

``install_web(app)`` adds the session middleware, the static assets and the
pages; ``render_error_page`` is how the app shows any error outside ``/api``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from esperia.web import assistant_views
from esperia.web.errorpage import render_error_page
from esperia.web.i18n import translate
from esperia.web.plots import PLOTLY_URL, plotly_js_path
from esperia.web.security import (
    CsrfError,
    LoginRequiredError,
    PageForbiddenError,
    current_language,
)

__all__ = ["SESSION_COOKIE", "install_web", "render_error_page"]

#: The name of the signed session cookie.
SESSION_COOKIE = "esperia_session"

_STATIC = Path(__file__).resolve().parent / "static"


def install_web(app: FastAPI) -> None:
    """Add the dashboard to ``app`` (whose state holds ``settings`` and ``store``)."""
    from esperia.web.act_views import router as act_router
    from esperia.web.journey_views import router as journey_router
    from esperia.web.metrics_views import router as metrics_router
    from esperia.web.personas_views import router as personas_router
    from esperia.web.privacy_views import router as privacy_router
    from esperia.web.surveys_views import router as surveys_router
    from esperia.web.value_views import router as value_router
    from esperia.web.views import router
    from esperia.web.voice_views import router as voice_router
    from esperia.workspace import secret_key

    settings = app.state.settings
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_s,
        same_site="lax",
        # Browsers only send a Secure cookie over HTTPS; set it behind a TLS proxy.
        https_only=bool(getattr(settings, "session_https_only", False)),
    )
    app.mount("/static", StaticFiles(directory=_STATIC), name="static")
    app.add_api_route(PLOTLY_URL, _plotly_js, methods=["GET"], include_in_schema=False)
    app.include_router(router)
    app.include_router(surveys_router)
    app.include_router(act_router)
    app.include_router(voice_router)
    app.include_router(value_router)
    app.include_router(metrics_router)
    app.include_router(assistant_views.router)
    app.include_router(journey_router)
    app.include_router(personas_router)
    app.include_router(privacy_router)
    app.add_exception_handler(LoginRequiredError, _login_required)
    app.add_exception_handler(PageForbiddenError, _forbidden)
    app.add_exception_handler(CsrfError, _csrf_failed)


def _plotly_js() -> Response:
    # Versioned by the installed package; a day of caching spares 4.8 MB a page.
    return FileResponse(
        plotly_js_path(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def _login_required(request: Request, exc: Exception) -> Response:
    target = request.url.path
    if request.url.query:
        target += f"?{request.url.query}"
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


def _forbidden(request: Request, exc: Exception) -> Response:
    key = exc.message_key if isinstance(exc, PageForbiddenError) else "error.403"
    message = translate(current_language(request), key)
    return render_error_page(request, 403, message)


def _csrf_failed(request: Request, exc: Exception) -> Response:
    message = translate(current_language(request), "error.csrf")
    return render_error_page(request, 403, message)
