"""The HTML error page, drawn in the layout for logged-in and anonymous visitors."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import Response

from esperia.web.i18n import translate
from esperia.web.rendering import render
from esperia.web.security import current_language, session_user

__all__ = ["render_error_page"]

_log = logging.getLogger(__name__)


def render_error_page(request: Request, status_code: int, message: str) -> Response:
    """An error page with a title for ``status_code`` and ``message`` below it.

    It must work when things are already broken: if the user cannot be looked
    up (the database is down, say), the page is drawn as for an anonymous visitor.
    """
    try:
        session_user(request)
    except Exception:  # the page must still render; the cause is logged
        _log.warning("error page drawn without a user", exc_info=True)
        request.state.user = None
    lang = current_language(request)
    heading = translate(lang, f"error.{status_code}")
    if heading == f"error.{status_code}":
        heading = translate(lang, "error.title")
    context = {"status_code": status_code, "message": message, "heading": heading}
    return render(request, "error.html", context, status_code=status_code)
