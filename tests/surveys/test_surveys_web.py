"""Survey pages over HTTP: respondents without login, staff with it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from esperia.surveys import (
    EXAMPLES,
    create_invitations,
    import_examples,
    list_invitations,
)

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def surveys_app(workspace_settings, workspace_store) -> Any:
    from esperia.api import create_app
    from esperia.ingest import import_records

    rows = {
        "touchpoints": [{"touchpoint_id": "TP-COURIER", "name": "Corriere",
                         "channel": "delivery"}],
        "customers": [{"customer_id": "c1", "email": "c1@example.org",
                       "language": "en", "consent_marketing": True}],
        "interactions": [{"interaction_id": "i1", "customer_id": "c1",
                          "touchpoint_id": "TP-COURIER",
                          "occurred_at": "2025-06-20T10:00:00", "type": "delivery"}],
    }  # fmt: skip
    for kind, records in rows.items():
        import_records(workspace_store, workspace_settings, kind, records)
    import_examples(workspace_store)
    return create_app(workspace_settings, workspace_store)


def _token(store, settings) -> str:
    from datetime import UTC, datetime

    text = (
        (EXAMPLES / "post-delivery.yaml")
        .read_text()
        .replace("sample: 0.5", "sample: 1")
    )
    from esperia.surveys import parse_survey, save_survey

    save_survey(store, parse_survey(text))
    now = datetime(2025, 6, 25, tzinfo=UTC)
    assert create_invitations(store, settings, "post-delivery", now=now).created == 1
    return str(list_invitations(store, settings, "post-delivery")[0]["token"])


def _post(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    page = client.get(path)
    token = _CSRF.search(page.text)
    assert token, page.text
    return client.post(
        path, data={**data, "csrf_token": token.group(1)}, follow_redirects=False
    )


def test_respondent_pages_without_login(
    surveys_app, workspace_store, workspace_settings
):
    token = _token(workspace_store, workspace_settings)
    with TestClient(surveys_app) as client:
        first = client.get(f"/s/{token}")
        assert first.status_code == 200
        assert "How likely are you to recommend" in first.text  # customer's language
        assert 'name="q_nps"' in first.text
        switched = client.get(f"/s/{token}?lang=it", follow_redirects=True)
        assert "Quanto consiglieresti" in switched.text
        # No CSRF token: refused.
        refused = client.post(f"/s/{token}", data={"step": "0", "q_nps": "9"})
        assert refused.status_code == 403
        missing = _post(client, f"/s/{token}", {"step": "0"})
        assert missing.status_code == 200
        assert "Serve una risposta" in missing.text
        for step, data in enumerate(
            [{"q_nps": "9"}, {"q_ces": "6"},
             {"q_expect_speed": "5", "q_perceive_speed": "6"},
             {"q_needs": "7", "q_ease": "6"}]
        ):  # fmt: skip
            done = _post(client, f"/s/{token}", {"step": str(step), **data})
            assert done.status_code == 303, done.text
        last = _post(client, f"/s/{token}", {"step": "5", "q_comment": "Tutto bene"})
        assert last.status_code == 303
        thanks = client.get(f"/s/{token}")
        assert "Grazie!" in thanks.text
        assert 'name="q_' not in thanks.text
        csrf = _CSRF.search(first.text)
        assert csrf
        again = client.post(
            f"/s/{token}", data={"step": "0", "q_nps": "1", "csrf_token": csrf.group(1)}
        )
        assert again.status_code == 409
        assert client.get("/s/no-such-token").status_code == 404
    with workspace_store.connect() as conn:
        row = conn.fetchone("SELECT nps, ces, text, customer_id FROM feedback")
    assert row == (9, 6, "Tutto bene", "c1")


def test_rate_limit_per_address(surveys_app, workspace_settings):
    surveys_app.state.settings = workspace_settings.model_copy(
        update={"survey_rate_limit_per_minute": 3}
    )
    with TestClient(surveys_app) as client:
        codes = [client.get("/s/open/post-event").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_open_link_starts_an_anonymous_response(surveys_app):
    with TestClient(surveys_app) as client:
        start = _post(client, "/s/open/post-event", {"lang": "en"})
        assert start.status_code == 303
        page = client.get(start.headers["location"])
        assert "How satisfied are you with the event?" in page.text
        closed = client.get("/s/open/post-delivery")
        assert closed.status_code == 400


def test_staff_pages(surveys_app, workspace, workspace_store, workspace_settings):
    token = _token(workspace_store, workspace_settings)
    with TestClient(surveys_app) as client:
        assert client.get("/surveys", follow_redirects=False).status_code == 303
        creds = {"email": workspace.admin_email, "password": workspace.admin_password}
        login = _post(client, "/login", creds)
        assert login.status_code == 303
        listing = client.get("/surveys")
        assert listing.status_code == 200
        assert 'data-survey="post-care"' in listing.text
        results = client.get("/surveys/post-delivery")
        assert results.status_code == 200 and "data-figure" in results.text
        invitations = client.get("/surveys/post-delivery/invitations")
        assert token in invitations.text
        qr = client.get(f"/surveys/post-delivery/qr/{token}.svg")
        assert qr.headers["content-type"].startswith("image/svg+xml")
        assert qr.text.lstrip().startswith("<svg")
        csv = client.get("/surveys/post-delivery/invitations.csv")
        assert "c1@example.org" in csv.text and token in csv.text
        assert client.get("/surveys/post-event/open-qr.svg").status_code == 200
        bad = _post(client, "/surveys/import", {"yaml": "id: x\ntitle: {it: a}\n"})
        assert bad.status_code == 200
        assert "YAML:2: title.en" in bad.text
