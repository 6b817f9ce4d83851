"""The agent inbox: team isolation on the web and the API, actions, the browser."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from support.act_data import seed_world

from esperia.act import system_viewer
from esperia.act.cases import create_case
from esperia.auth.teams import add_member
from esperia.auth.users import create_user

PASSWORD = "agent-password-1"


@pytest.fixture
def two_teams(workspace_settings, workspace_store):
    store, settings = workspace_store, workspace_settings
    seed_world(store, settings)
    admin = system_viewer("setup")
    late = create_case(store, settings, admin, customer_id="C-LATE",
                       reason="late_delivery", touchpoint_id="TP-COURIER")  # fmt: skip
    shop = create_case(store, settings, admin, customer_id="C-NPS",
                       reason="low_nps", touchpoint_id="TP-SHOP")  # fmt: skip
    create_user(store, "luca@example.it", PASSWORD, "agent", "Luca")
    create_user(store, "sara@example.it", PASSWORD, "agent", "Sara")
    add_member(store, "logistics", "luca@example.it")
    add_member(store, "store_ops", "sara@example.it")
    return {"late": late["case_id"], "shop": shop["case_id"]}


def test_an_agent_cannot_read_another_teams_case_or_customer(web, two_teams):
    assert web.login("luca@example.it", PASSWORD).status_code == 303
    inbox = web.client.get("/cases")
    assert inbox.status_code == 200
    assert f'data-case="{two_teams["late"]}"' in inbox.text
    assert f'data-case="{two_teams["shop"]}"' not in inbox.text
    assert web.client.get(f"/cases/{two_teams['late']}").status_code == 200
    page = web.client.get(f"/cases/{two_teams['shop']}")
    assert page.status_code == 403 and "Nino Voto" not in page.text
    # The same session on the API.
    api = web.client.get(f"/api/v1/cases/{two_teams['shop']}")
    assert api.status_code == 403 and api.json()["error"]["code"] == "forbidden"
    customer = web.client.get(f"/api/v1/cases/{two_teams['shop']}/customer")
    assert customer.status_code == 403 and "Nino" not in customer.text
    mine = web.client.get("/api/v1/cases").json()
    assert [c["case_id"] for c in mine] == [two_teams["late"]]
    own = web.client.get(f"/api/v1/cases/{two_teams['late']}/customer").json()
    assert own["customer"]["name"] == "Lia Tardi"
    # Writes through the session are refused: the API changes cases with keys.
    refused = web.client.post(f"/api/v1/cases/{two_teams['late']}/notes",
                              json={"note": "x"})  # fmt: skip
    assert refused.status_code == 403


def test_actions_change_the_case_and_the_journey(web, two_teams, workspace_store):
    web.login("luca@example.it", PASSWORD)
    case = two_teams["late"]
    path = f"/cases/{case}"
    answer = web.post_form(f"{path}/status", {"status": "in_progress"}, token_from=path)
    assert answer.status_code == 303
    web.post_form(f"{path}/contact", {"kind": "callback", "outcome": "answered",
                                      "note": "scuse"}, token_from=path)  # fmt: skip
    bad = web.post_form(f"{path}/status", {"status": "closed"}, token_from=path)
    assert bad.status_code == 303
    page = web.client.get(path).text
    assert "Non salvato" in page  # the refused move is explained
    assert "In lavorazione" in page
    assert 'data-interaction="case-' in page
    with workspace_store.connect() as conn:
        kinds = conn.fetchall(
            "SELECT type, outcome FROM interactions WHERE customer_id = 'C-LATE' "
            "AND interaction_id LIKE 'case-%'"
        )
        audit = conn.fetchall(
            "SELECT action FROM audit_log WHERE actor = 'luca@example.it'"
        )
    assert kinds == [("callback", "answered")]
    actions = {a[0] for a in audit}
    assert {"case_viewed", "customer_viewed", "case_status", "case_contact"} <= actions


def test_admins_export_the_audit_log_as_csv(admin_web, web, two_teams):
    export = admin_web.client.get("/admin/audit.csv")
    assert export.status_code == 200
    assert (
        export.text.splitlines()[0]
        == "audit_id,occurred_at,actor,action,subject,details"
    )
    assert "case_created" in export.text


def test_agents_cannot_export_the_audit_log(new_client, two_teams):
    agent = new_client()
    agent.login("luca@example.it", PASSWORD)
    assert agent.client.get("/admin/audit.csv").status_code == 403


@pytest.mark.browser
def test_inbox_in_the_browser(page, live_server, two_teams, console_errors):
    page.goto(f"{live_server}/login")
    page.fill("#email", "luca@example.it")
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.click("nav a[href='/cases']")
    page.wait_for_url(f"{live_server}/cases")
    rows = page.locator("table.cases tbody tr")
    assert rows.count() == 1
    page.click(f"a[href='/cases/{two_teams['late']}']")
    page.wait_for_url(f"{live_server}/cases/{two_teams['late']}")
    page.select_option("#new-status", "in_progress")
    page.click("#status-form button[type=submit]")
    page.wait_for_url(f"{live_server}/cases/{two_teams['late']}")
    assert page.locator("#case-status").inner_text() == "In lavorazione"
    page.select_option("#owner", "luca@example.it")
    page.click("#assign-form button[type=submit]")
    assert page.locator("#case-owner").inner_text() == "luca@example.it"
    page.select_option("#contact-kind", "callback")
    page.click("#contact-form button[type=submit]")
    first = page.locator("#timeline li").first
    assert first.get_attribute("data-interaction").startswith("case-")
    page.fill("#resolution", "voucher sent")
    page.select_option("#new-status", "resolved")
    page.click("#status-form button[type=submit]")
    page.click("#followup-form button[type=submit]")
    assert page.locator("#followup").is_visible()
    page.goto(f"{live_server}/cases/{two_teams['shop']}")
    assert "Nino Voto" not in page.content()
    page.goto(f"{live_server}/cases/outcomes")
    assert page.locator("table.outcomes tbody tr").count() >= 1
    assert urlsplit(page.url).path == "/cases/outcomes"
    # The only console error is the refused page of the other team (a 403).
    assert len(console_errors) == 1 and "403" in console_errors[0]


def test_rules_are_edited_in_the_web_with_clear_errors(admin_web, web, two_teams):
    path = "/cases/rules"
    bad = admin_web.post_form(
        path, {"rules": "- {id: x, on: feedback, when: {nps_at_most: 12}}"},
        token_from=path,
    )  # fmt: skip
    assert bad.status_code == 400
    assert "rule 1 (id &#39;x&#39;), field when.nps_at_most" in bad.text
    good = admin_web.post_form(
        path, {"rules": "- {id: low, on: feedback, when: {nps_at_most: 6}}"},
        token_from=path,
    )  # fmt: skip
    assert good.status_code == 303
    assert 'data-rule="low"' in admin_web.client.get(path).text


def test_agents_cannot_edit_rules(new_client, two_teams):
    agent = new_client()
    agent.login("luca@example.it", PASSWORD)
    assert agent.client.get("/cases/rules").status_code == 403
