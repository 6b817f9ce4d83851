"""Surveys in Chromium: a respondent on a phone, a staff member in the builder."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from esperia.surveys import (
    EXAMPLES,
    create_invitations,
    get_survey,
    import_examples,
    list_invitations,
    parse_survey,
    save_survey,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def invited(workspace_settings, workspace_store) -> str:
    from esperia.ingest import import_records

    rows = {
        "touchpoints": [{"touchpoint_id": "TP-CARE-CHAT", "name": "Chat",
                         "channel": "chat"}],
        "customers": [{"customer_id": "c7", "email": "c7@example.org",
                       "language": "it", "consent_marketing": True}],
        "interactions": [{"interaction_id": "i7", "customer_id": "c7",
                          "touchpoint_id": "TP-CARE-CHAT",
                          "occurred_at": "2025-06-20T10:00:00", "type": "chat"}],
    }  # fmt: skip
    for kind, records in rows.items():
        import_records(workspace_store, workspace_settings, kind, records)
    text = (EXAMPLES / "post-care.yaml").read_text().replace("sample: 0.3", "sample: 1")
    save_survey(workspace_store, parse_survey(text))
    now = datetime(2025, 6, 25, tzinfo=UTC)
    create_invitations(workspace_store, workspace_settings, "post-care", now=now)
    rows_ = list_invitations(workspace_store, workspace_settings, "post-care")
    return str(rows_[0]["token"])


def _fits(page) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"page is {widths[0]}px wide in {widths[1]}px"


def _next(page) -> None:
    page.click(".survey-actions button[type=submit]")
    page.wait_for_load_state("load")


def test_respondent_answers_on_a_phone_through_skip_logic(
    page, live_server, invited, console_errors, workspace_store
):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/s/{invited}")
    assert (
        page.locator("legend")
        .first.inner_text()
        .startswith("Il tuo problema è stato risolto?")
    )
    _fits(page)
    # Switch to English, and back to Italian: the answer flow continues.
    page.click(".lang-switch a[lang=en]")
    assert "Was your problem solved?" in page.locator("legend").first.inner_text()
    page.click("label.choice:has-text('Partly')")  # → the "what is missing" question
    _next(page)
    page.click(".scale-option:has(input[value='2'])")
    _next(page)
    page.click(".scale-option:has(input[value='3'])")  # csat
    _next(page)
    page.click(".scale-option:has(input[value='6'])")  # agent, 1-10
    _fits(page)
    _next(page)
    page.click("#q-expect_wait .scale-option:has(input[value='6'])")
    page.click("#q-perceive_wait .scale-option:has(input[value='2'])")
    _next(page)
    assert page.locator("legend").first.inner_text().startswith("What is still missing")
    page.fill("textarea", "The refund has not arrived yet")
    _next(page)
    # Go back one screen and forward again: the text is still there (kept).
    page.click("a:has-text('Back')")
    assert page.locator("textarea").input_value() == "The refund has not arrived yet"
    _next(page)
    assert page.locator(".survey-progress").inner_text().startswith("Step 7 of 7")
    page.click(".scale-option:has(input[value='4'])")  # nps
    _next(page)
    assert page.locator("h1").inner_text() == "Thank you!"
    _fits(page)
    page.goto(f"{live_server}/s/{invited}")
    assert page.locator("form.survey-form").count() == 0
    assert console_errors == []
    with workspace_store.connect() as conn:
        row = conn.fetchone(
            "SELECT nps, csat, ces, rating, text, language, customer_id, "
            "interaction_id FROM feedback"
        )
        items = dict(conn.fetchall(
            "SELECT item, coalesce(text_value, CAST(value AS TEXT)) FROM feedback_items"
        ))  # fmt: skip
    assert row == (4, 3, 2, 6.0, "The refund has not arrived yet", "en", "c7", "i7")
    assert items["post-care.solved"] == "partly"
    assert float(items["expectation.response_time"]) == 6
    assert float(items["perception.response_time"]) == 2


def test_staff_builds_a_survey_in_the_builder(
    page, live_server, workspace, workspace_store, console_errors
):
    page.goto(f"{live_server}/login?next=/surveys/new")
    page.fill("#email", workspace.admin_email)
    page.fill("#password", workspace.admin_password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_server}/surveys/new")
    page.fill("#id", "after-visit")
    page.fill("#title_it", "Com'è andata la visita?")
    page.fill("#title_en", "How was your visit?")
    for qtype in ("nps", "text", "single", "module"):
        page.click(f"button[value='add:{qtype}']")
    assert page.locator("fieldset.builder-question").count() == 4
    # Titles typed before the additions survive each round trip.
    assert page.input_value("#title_en") == "How was your visit?"
    page.fill("#q0_text_it", "Ci consiglieresti?")
    page.fill("#q0_text_en", "Would you recommend us?")
    page.fill("#q1_text_it", "Che cosa possiamo migliorare?")
    page.fill("#q1_text_en", "What could we improve?")
    page.fill("#q2_text_it", "Sei passato dal caffè?")
    page.fill("#q2_text_en", "Did you stop at the café?")
    page.fill("#q2_options", "yes | Sì | Yes\nno | No | No")
    page.fill("#q3_text_it", "Il negozio era bello da vedere.")
    page.fill("#q3_text_en", "The shop was pleasant to look at.")
    page.select_option("#q3_target", "sense")
    # Move the choice question above the free text, then drop the free text.
    page.click("button[value='up:2']")
    assert page.input_value("#q1_text_en") == "Did you stop at the café?"
    page.click("button[value='remove:2']")
    assert page.locator("fieldset.builder-question").count() == 3
    # Saving with a missing wording shows where.
    page.fill("#q2_text_en", "")
    page.click("#save")
    assert "questions[2].text.en" in page.locator("#builder-error").inner_text()
    page.fill("#q2_text_en", "The shop was pleasant to look at.")
    page.click("details:has(#q1_cond_question) > summary")
    page.select_option("#q1_cond_question", "q1")
    page.select_option("#q1_cond_op", "le")
    page.fill("#q1_cond_value", "6")
    page.click("#save")
    page.wait_for_url(f"{live_server}/surveys/after-visit")
    assert console_errors == []
    survey = get_survey(workspace_store, "after-visit")
    assert [q.type for q in survey.questions] == ["nps", "single", "module"]
    assert survey.questions[1].show_if[0].op == "le"
    assert survey.questions[2].item_name(survey.id) == "module.sense"
    assert survey.title["en"] == "How was your visit?"


def test_examples_import_from_the_page(page, live_server, workspace, workspace_store):
    import_examples(workspace_store)
    page.goto(f"{live_server}/login?next=/surveys")
    page.fill("#email", workspace.admin_email)
    page.fill("#password", workspace.admin_password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_server}/surveys")
    assert page.locator("tr[data-survey]").count() == 3
