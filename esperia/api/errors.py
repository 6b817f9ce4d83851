"""The one error shape of the API, and the hand-off to the dashboard's error page.

Every failure under ``/api/`` answers ``{"error": {"code", "message", "details"?}}``
whatever raised it: our own errors, FastAPI's request validation, Starlette's
HTTP errors (unknown route, wrong method) and bugs (500, no traceback). Other
paths belong to the web dashboard, which renders a page instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from esperia.errors import EsperiaError

__all__ = ["error_body", "install_error_handlers", "is_api_request"]

log = logging.getLogger("esperia.api")

API_PREFIX = "/api/"

#: Codes for the HTTP errors Starlette raises itself.
_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def is_api_request(request: Request) -> bool:
    path = request.url.path
    return path.startswith(API_PREFIX) or path == API_PREFIX.rstrip("/")


def error_body(
    code: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """``{"error": {...}}``, with ``details`` only when there are some."""
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return {"error": body}


def _json(
    status_code: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    headers = dict(headers or {})
    if status_code == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="esperia"')
    return JSONResponse(body, status_code=status_code, headers=headers)


def _page(request: Request, status_code: int, message: str) -> Response:
    from esperia.web import render_error_page

    return render_error_page(request, status_code, message)


async def _esperia_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EsperiaError)
    if exc.status_code >= 500:
        log.error("%s %s: %s", request.method, request.url.path, exc.message)
    if is_api_request(request):
        return _json(exc.status_code, exc.to_dict())
    return _page(request, exc.status_code, exc.message)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    """A location as a path: ``("body", 3, "name")`` → ``body[3].name``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"field": _field(err.get("loc", ())), "reason": str(err.get("msg", "invalid"))}
        for err in exc.errors()
    ]
    message = "the request is not valid: " + "; ".join(
        f"{d['field']}: {d['reason']}" for d in details[:3]
    )
    if is_api_request(request):
        return _json(422, error_body("invalid_request", message, details))
    return _page(request, 422, message)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = str(exc.detail) if exc.detail else "error"
    if is_api_request(request):
        if exc.status_code == 404 and message == "Not Found":
            message = f"no API route {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return _json(exc.status_code, error_body(code, message), exc.headers)
    return _page(request, exc.status_code, message)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    # Starlette re-raises the exception after this answer, so the server logs
    # the traceback; the client only learns that something went wrong.
    message = "an unexpected error occurred; the server log has the details"
    if is_api_request(request):
        return _json(500, error_body("internal_error", message))
    return _page(request, 500, message)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that translate every failure into the one shape."""
    app.add_exception_handler(EsperiaError, _esperia_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
