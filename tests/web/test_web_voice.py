"""The voice page and API: numbers, filters, both languages, redacted text only."""

from __future__ import annotations

import pytest
from support.voice import PII, KeywordAnalyzer, seed_voice

from esperia.ingest import import_records
from esperia.text.enrich import enrich_feedback


@pytest.fixture
def voiced(workspace_settings, workspace_store):
    seed_voice(workspace_store, workspace_settings)
    return workspace_store


def test_voice_page_shows_aspects_and_redacted_examples(admin_web, voiced):
    page = admin_web.client.get("/voice")
    assert page.status_code == 200
    html = page.text
    assert "Voce del cliente" in html
    assert 'data-aspect="waiting_time"' in html and "Tempi di attesa" in html
    assert html.count('data-figure="') >= 4
    assert PII not in html
    assert "[email]" in html


def test_voice_page_filters_and_english(admin_web, voiced):
    page = admin_web.client.get("/voice?stage=purchase")
    assert 'data-aspect="price"' in page.text
    assert 'data-aspect="waiting_time"' not in page.text
    bad = admin_web.client.get("/voice?since=yesterday")
    assert bad.status_code == 400
    assert "since" in bad.text
    admin_web.post_form("/language", {"lang": "en", "next": "/voice"})
    english = admin_web.client.get("/voice?channel=chat")
    assert "Voice of the customer" in english.text
    assert "Waiting time" in english.text
    assert 'data-aspect="price"' not in english.text


def test_overview_lists_redacted_text(admin_web, workspace_settings, voiced):
    keep = workspace_settings.model_copy(update={"text_keep_original": True})
    import_records(
        voiced, keep.model_copy(update={"text_enrich_on_import": False}), "feedback",
        [{"feedback_id": "late", "received_at": "2025-12-01T10:00:00",
          "source": "chat", "text": f"Bad wait, mail {PII}"}],
    )  # fmt: skip
    enrich_feedback(voiced, keep, KeywordAnalyzer())
    with voiced.connect() as conn:
        stored = conn.scalar("SELECT text FROM feedback WHERE feedback_id = 'late'")
    assert PII in stored  # kept, as asked
    page = admin_web.client.get("/")
    assert "Bad wait, mail [EMAIL]" in page.text
    assert PII not in page.text


def test_voice_page_needs_login(web):
    answer = web.client.get("/voice", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")


def test_voice_page_on_a_workspace_without_comments(admin_web):
    """No comment yet: the empty state, not a server error, in both languages
    and with a filter."""
    for path in ("/voice", "/voice?lang=en", "/voice?channel=store"):
        response = admin_web.client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        assert 'id="voice-empty"' in response.text
