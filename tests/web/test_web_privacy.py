"""The "Customer data" page: admins only, counts not rows, export, typed erasure."""

from __future__ import annotations

import json
from typing import Any

import pytest

from esperia.auth.audit import read_audit
from esperia.auth.users import create_user
from esperia.customers import count_customer_rows
from esperia.customers.personal_data import PERSONAL
from esperia.web.i18n import LANGUAGES, strings

PAGE = "/admin/privacy"
PASSWORD = "staff-pass-123"
#: c3's feedback text in the ``seeded`` fixture.
SEED_TEXT = "Il meccanico <b>gentile</b> e veloce"


def _count(store: Any, table: str, where: str = "") -> int:
    with store.connect() as conn:
        sql = f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")
        return int(conn.scalar(sql))


def _cell(html: str, table: str) -> str:
    """The row count shown for ``table`` (the last cell of its row)."""
    start = html.index(f'<tr data-table="{table}"')
    row = html[start : html.index("</tr>", start)]
    return row.rsplit('<td class="num">', 1)[1].split("</td>", 1)[0]


@pytest.mark.parametrize("role", ["analyst", "agent", "viewer"])
def test_non_admins_get_the_forbidden_page(web, workspace_store, seeded, role) -> None:
    email = f"{role}@example.com"
    create_user(workspace_store, email, PASSWORD, role)
    assert web.login(email, PASSWORD).status_code == 303
    for path in (PAGE, f"{PAGE}?customer_id=c3", f"{PAGE}/export?customer_id=c3"):
        answer = web.client.get(path)
        assert answer.status_code == 403, path
        assert "riservata agli amministratori" in answer.text
        assert "attachment" not in answer.headers.get("content-disposition", "")
    refused = web.post_form(
        f"{PAGE}/erase", {"customer_id": "c3", "confirm": "c3"}, token_from="/"
    )
    assert refused.status_code == 403
    assert _count(workspace_store, "customers") == seeded["customers"]
    assert f'href="{PAGE}"' not in web.client.get("/").text  # no menu entry


def test_anonymous_visitors_are_sent_to_login(web) -> None:
    answer = web.client.get(PAGE, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")


def test_lookup_shows_counts_not_rows_and_is_audited(
    admin_web, workspace, workspace_store, seeded
) -> None:
    home = admin_web.client.get("/")
    assert f'href="{PAGE}">Dati dei clienti</a>' in home.text
    empty = admin_web.client.get(PAGE)
    assert empty.status_code == 200 and 'id="stored"' not in empty.text
    answer = admin_web.client.get(f"{PAGE}?customer_id=c3")
    assert answer.status_code == 200
    assert _cell(answer.text, "customers") == "1"
    assert _cell(answer.text, "feedback") == "1"
    assert _cell(answer.text, "orders") == "0"
    assert "gentile" not in answer.text  # the feedback text stays in the export
    assert answer.text.count("<tr data-table=") == len(PERSONAL)
    (entry,) = read_audit(workspace_store, 5, action="customer.lookup")
    assert (entry["actor"], entry["subject"]) == (workspace.admin_email, "c3")
    missing = admin_web.client.get(f"{PAGE}?customer_id=c99")
    assert missing.status_code == 404
    assert "Nessun cliente con codice c99." in missing.text
    assert 'id="erase-confirm"' not in missing.text


def test_export_is_a_json_download(admin_web, workspace, workspace_store, seeded):
    page = admin_web.client.get(f"{PAGE}?customer_id=c3")
    assert f'href="{PAGE}/export?customer_id=c3"' in page.text
    answer = admin_web.client.get(f"{PAGE}/export?customer_id=c3")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == (
        'attachment; filename="customer-c3-export.json"'
    )
    data = json.loads(answer.content)
    assert data["customer"]["customer_id"] == "c3"
    assert [f["text"] for f in data["feedback"]] == [SEED_TEXT]
    (entry,) = read_audit(workspace_store, 5, action="customer.export")
    assert (entry["actor"], entry["subject"]) == (workspace.admin_email, "c3")
    assert admin_web.client.get(f"{PAGE}/export?customer_id=c99").status_code == 404


def test_erasure_needs_the_id_typed_again(
    admin_web, workspace, workspace_store, seeded
) -> None:
    token_from = f"{PAGE}?customer_id=c3"
    before = count_customer_rows(workspace_store, "c3")
    assert before["feedback"] == 1 and sum(before.values()) > 2
    for typed in ("", "c2", "C3"):
        refused = admin_web.post_form(
            f"{PAGE}/erase", {"customer_id": "c3", "confirm": typed},
            token_from=token_from,
        )  # fmt: skip
        assert refused.status_code == 400, typed
        assert "Nulla è stato cancellato" in refused.text
        assert 'id="erase-confirm"' in refused.text  # the form is still there
    assert _count(workspace_store, "customers", "customer_id = 'c3'") == 1
    done = admin_web.post_form(
        f"{PAGE}/erase", {"customer_id": "c3", "confirm": "c3"}, token_from=token_from
    )
    assert done.status_code == 200
    total = sum(before.values())
    assert f"Il cliente c3 è stato cancellato: {total} righe rimosse." in done.text
    shown = done.text.count("<tr data-table=")
    assert shown == len([n for n in before.values() if n])  # tables touched only
    for table, count in before.items():
        if count:
            assert _cell(done.text, table) == str(count), table
    assert _count(workspace_store, "customers", "customer_id = 'c3'") == 0
    assert _count(workspace_store, "feedback", "customer_id = 'c3'") == 0
    assert _count(workspace_store, "customers") == seeded["customers"] - 1
    (entry,) = read_audit(workspace_store, 5, action="customer.erase")
    assert (entry["actor"], entry["subject"]) == (workspace.admin_email, "c3")
    assert entry["details"] == before
    again = admin_web.post_form(
        f"{PAGE}/erase", {"customer_id": "c3", "confirm": "c3"}, token_from=PAGE
    )
    assert again.status_code == 404


def test_erasure_without_the_csrf_token_is_refused(admin_web, workspace_store, seeded):
    forged = admin_web.client.post(
        f"{PAGE}/erase", data={"customer_id": "c3", "confirm": "c3"}
    )
    assert forged.status_code == 403
    assert _count(workspace_store, "customers", "customer_id = 'c3'") == 1


def test_every_registry_table_is_described_in_both_languages() -> None:
    for lang in LANGUAGES:
        words = strings(lang)
        missing = [e.table for e in PERSONAL if f"privacy.table.{e.table}" not in words]
        assert missing == [], lang
