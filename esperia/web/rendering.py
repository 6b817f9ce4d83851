"""Turning a template and a few values into a page, with the layout's shared bits.

Every page gets the user, the language and its ``t()`` lookup, the CSRF token,
the navigation and a one-shot flash message, plus headers that keep the page
from loading anything but its own assets.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from esperia import __version__
from esperia.auth.users import User
from esperia.web.i18n import (
    LANGUAGES,
    format_datetime,
    format_number,
    strings,
    translate,
)
from esperia.web.plots import plot_script
from esperia.web.security import (
    CSRF_FIELD,
    csrf_token,
    current_language,
    session_user,
)

__all__ = ["NAV", "SECURITY_HEADERS", "flash", "nav_items", "render"]

#: Only this site's own scripts, styles and images; no framing by other sites.
#: Inline *styles* are allowed because the chart library (plotly.js, served from
#: this site) positions its elements with them; inline *scripts* never are.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; "
        "style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_FLASH = "flash"


@pass_context
def _number(context: Context, value: Any) -> str:
    return format_number(value, context["lang"])


@pass_context
def _when(context: Context, value: Any) -> str:
    return format_datetime(value, context["lang"])


def _basename(value: Any) -> str:
    """The last part of a path or URL: the file name people recognise."""
    text = str(value).rstrip("/\\")
    return text.replace("\\", "/").rsplit("/", 1)[-1] or text


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("esperia.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = _number
    env.filters["when"] = _when
    env.filters["basename"] = _basename
    env.globals["plot_script"] = plot_script
    return env


_ENV = _environment()


#: The menu: (path, string key, admins only), in the order of the CX cycle:
#: listen and understand, then act; data and administration last.
NAV: tuple[tuple[str, str, bool], ...] = (
    ("/", "nav.overview", False),
    ("/voice", "nav.voice", False),
    ("/metrics", "nav.metrics", False),
    ("/journey", "nav.journey", False),
    ("/personas", "nav.personas", False),
    ("/value", "nav.value", False),
    ("/cases", "nav.cases", False),
    ("/surveys", "nav.surveys", False),
    ("/assistant", "nav.assistant", False),
    ("/imports", "nav.imports", False),
    ("/admin/users", "nav.users", True),
    ("/admin/privacy", "nav.privacy", True),
    ("/admin/audit", "nav.audit", True),
)


def nav_items(user: User | None, path: str) -> list[dict[str, Any]]:
    """The menu for this user, with the entry for ``path`` marked current."""
    if user is None:
        return []
    entries = [
        (href, label) for href, label, admin in NAV if user.is_admin or not admin
    ]
    return [
        {
            "href": href,
            "label": label,
            "current": path == href or (href != "/" and path.startswith(href + "/")),
        }
        for href, label in entries
    ]


def flash(request: Request, key: str, **values: Any) -> None:
    """Leave a message for the next page this browser shows (after a redirect)."""
    request.session[_FLASH] = {"key": key, "values": values}


def _pop_flash(request: Request) -> dict[str, Any] | None:
    if "session" not in request.scope:
        return None
    message = request.session.pop(_FLASH, None)
    return message if isinstance(message, dict) else None


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` in the layout of this request's user and language."""
    lang = current_language(request)
    the_user = session_user(request)
    message = _pop_flash(request)

    def t(key: str, **values: Any) -> str:
        return translate(lang, key, **values)

    def label(group: str, value: Any) -> str:
        # Vocabulary words (kinds, sources, roles); unknown ones show as they are.
        key = f"{group}.{value}"
        return strings(lang).get(key) or strings("en").get(key) or str(value)

    values: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "languages": LANGUAGES,
        "t": t,
        "label": label,
        "user": the_user,
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request),
        "nav": nav_items(the_user, request.url.path),
        "flash": t(message["key"], **message.get("values", {})) if message else None,
        "version": __version__,
        "here": _here(request),
    }
    values.update(context or {})
    html = _ENV.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def _here(request: Request) -> str:
    """This page's path and query: where the language switch comes back to."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")
