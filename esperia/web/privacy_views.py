"""The "Customer data" admin page: data-subject requests without a shell.

A privacy officer looks a customer up (rows held per table, never the rows
themselves), downloads the export, and erases the customer after typing the id
again. The same services as ``esperia customers export|erase`` and the API,
audited with the admin's e-mail.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from esperia.auth.users import User
from esperia.customers import count_customer_rows, erase_customer, export_customer
from esperia.customers.personal_data import PERSONAL
from esperia.customers.privacy import export_filename
from esperia.errors import NotFound
from esperia.store import Store
from esperia.web.i18n import translate
from esperia.web.rendering import SECURITY_HEADERS, render
from esperia.web.security import current_language, require_admin, verify_csrf

__all__ = ["PAGE", "router"]

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

#: Where the page lives (admin entries of the menu are under /admin).
PAGE = "/admin/privacy"

AdminUser = Annotated[User, Depends(require_admin)]
_Id = Annotated[str, Query(max_length=200)]
_FormText = Annotated[str, Form(max_length=200)]


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _rows(counts: dict[str, int]) -> list[dict[str, Any]]:
    """One line per registered table, in registry order (the export's order)."""
    return [
        {"table": entry.table, "count": counts.get(entry.table, 0)}
        for entry in PERSONAL
    ]


def _page(
    request: Request,
    *,
    customer_id: str = "",
    counts: dict[str, int] | None = None,
    removed: dict[str, int] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "customer_id": customer_id,
        "rows": _rows(counts) if counts is not None else None,
        "total": sum(counts.values()) if counts is not None else 0,
        "removed": _rows(removed) if removed is not None else None,
        "removed_total": sum(removed.values()) if removed is not None else 0,
        "error": error,
        "page": PAGE,
    }
    return render(request, "privacy.html", context, status_code=status_code)


@router.get(PAGE, response_class=HTMLResponse)
def privacy(request: Request, admin: AdminUser, customer_id: _Id = "") -> Response:
    """The look-up form; with ``customer_id``, what is stored about them."""
    wanted = customer_id.strip()
    if not wanted:
        return _page(request)
    try:
        counts = count_customer_rows(_store(request), wanted, actor=admin.email)
    except NotFound:
        message = translate(current_language(request), "privacy.unknown", id=wanted)
        return _page(request, customer_id=wanted, error=message, status_code=404)
    return _page(request, customer_id=wanted, counts=counts)


@router.get(f"{PAGE}/export")
def privacy_export(request: Request, admin: AdminUser, customer_id: _Id) -> Response:
    """The export as a JSON file to save (the API's document)."""
    data = export_customer(_store(request), customer_id.strip(), actor=admin.email)
    body = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    filename = export_filename(customer_id.strip())
    return Response(
        body.encode("utf-8"),
        media_type="application/json",
        headers={
            **SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


@router.post(f"{PAGE}/erase", response_class=HTMLResponse)
def privacy_erase(
    request: Request,
    admin: AdminUser,
    customer_id: _FormText = "",
    confirm: _FormText = "",
) -> Response:
    """Erase after the id was typed again; the answer shows the rows removed."""
    store = _store(request)
    wanted = customer_id.strip()
    if confirm.strip() != wanted or not wanted:
        lang = current_language(request)
        message = translate(lang, "privacy.confirm_mismatch", id=wanted)
        try:
            counts = count_customer_rows(store, wanted)
        except NotFound:
            counts = None
        return _page(
            request, customer_id=wanted, counts=counts, error=message, status_code=400
        )
    removed = erase_customer(store, wanted, actor=admin.email)
    return _page(request, customer_id=wanted, removed=removed)
