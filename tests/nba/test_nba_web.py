"""The customer 360 of a case shows the persona and the next best actions."""

from __future__ import annotations

import pytest
from support.nba_data import seed_world

from esperia.act import system_viewer
from esperia.act.cases import create_case
from esperia.nba import score_customers


@pytest.fixture
def angry_case(workspace_settings, workspace_store) -> int:
    store, settings = workspace_store, workspace_settings
    seed_world(store, settings)
    with store.connect() as conn:
        conn.execute(
            "INSERT INTO persona_versions VALUES (1, current_timestamp, 1, 1, "
            "'test', 6, '[]', NULL, NULL)"
        )
        conn.execute(
            "INSERT INTO personas VALUES (1, 0, 'Lettore forte', 'Avid reader', "
            "6, 1.0, NULL, '{}')"
        )
        conn.execute(
            "INSERT INTO persona_members (version, customer_id, persona) "
            "VALUES (1, 'C-ANGRY', 0)"
        )
    score_customers(store, settings)
    case = create_case(store, settings, system_viewer("setup"),
                       customer_id="C-ANGRY", reason="late_delivery",
                       touchpoint_id="TP-COURIER")  # fmt: skip
    return int(case["case_id"])


@pytest.mark.browser
def test_case_page_shows_persona_and_next_best_action(
    page, live_server, workspace, angry_case, console_errors
) -> None:
    page.goto(f"{live_server}/login")
    page.fill("#email", workspace.admin_email)
    page.fill("#password", workspace.admin_password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/cases/{angry_case}")
    assert "Lettore forte" in page.locator("#persona").inner_text()
    # The default holdout seed keeps C-ANGRY out of the holdout.
    assert page.locator("#nba-holdout").count() == 0
    first = page.locator("#nba li").first
    assert first.get_attribute("data-action") == "service_recovery_call"
    assert "Chiamata di recupero" in first.inner_text()
    assert console_errors == []
