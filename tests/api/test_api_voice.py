"""Voice over HTTP: feedback enriched on arrival, the voice routes, ad-hoc analysis."""

from __future__ import annotations

from api_support import error_of

PII = "mario.verdi@example.it"
BATCH = [
    {"feedback_id": "a1", "received_at": "2025-04-01T10:00:00", "source": "review",
     "text": "Il corriere è arrivato in ritardo di tre giorni, pessimo servizio."},
    {"feedback_id": "a2", "received_at": "2025-04-02T10:00:00", "source": "review",
     "text": "Il personale è stato gentilissimo e molto preparato, grazie. "
             f"Scrivetemi a {PII}"},
    {"feedback_id": "a3", "received_at": "2025-04-03T10:00:00", "source": "chat",
     "text": "The delivery was late and nobody answered the phone."},
    {"feedback_id": "a4", "received_at": "2025-04-04T10:00:00", "source": "survey",
     "nps": 9},
]  # fmt: skip


def test_api_batch_arrives_enriched_and_redacted(api):
    answer = api.client.post(
        "/api/v1/feedback", json=BATCH, headers=api.headers("ingest")
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["enriched"] == 3  # the row without text is not analysed
    assert api.count("feedback_text") == 3
    assert api.count("feedback_aspects", "aspect = 'delivery'") >= 2
    with api.store.connect() as conn:
        stored = conn.scalar("SELECT text FROM feedback WHERE feedback_id = 'a2'")
        langs = dict(conn.fetchall("SELECT feedback_id, language FROM feedback_text"))
    assert PII not in stored and "[EMAIL]" in stored
    assert langs == {"a1": "it", "a2": "it", "a3": "en"}

    report = api.client.get("/api/v1/voice", headers=api.headers("read")).json()
    assert report["overview"]["comments"] == 3
    assert report["overview"]["negative"] >= 2
    assert PII not in str(report)
    delivery = [a for a in report["aspects"] if a["aspect"] == "delivery"]
    assert delivery and delivery[0]["sentiment"] < 0

    english = api.client.get(
        "/api/v1/voice/examples", params={"language": "en"}, headers=api.headers("read")
    ).json()
    assert [e["feedback_id"] for e in english] == ["a3"]
    for path in ("aspects", "modules", "pyramid", "emotions", "topics", "filters"):
        answer = api.client.get(f"/api/v1/voice/{path}", headers=api.headers("read"))
        assert answer.status_code == 200, (path, answer.text)


def test_enrichment_on_import_can_be_off(api):
    api.limit(text_enrich_on_import=False)
    answer = api.client.post(
        "/api/v1/feedback", json=BATCH, headers=api.headers("ingest")
    )
    assert answer.json()["enriched"] is None
    assert api.count("feedback_text") == 0
    overview = api.client.get("/api/v1/voice", headers=api.headers("read")).json()
    assert overview["overview"]["not_analysed"] == 3


def test_voice_routes_check_filters_and_scope(duck_api):
    api = duck_api
    error = error_of(
        api.client.get(
            "/api/v1/voice/aspects",
            params={"stage": "moon"},
            headers=api.headers("read"),
        ),
        400,
    )
    assert "moon" in error["message"]
    error_of(api.client.get("/api/v1/voice"), 401)
    error_of(api.client.get("/api/v1/voice", headers=api.headers("ingest")), 403)


def test_analyze_texts_ad_hoc(duck_api):
    api = duck_api
    answer = api.client.post(
        "/api/v1/text/analyze",
        json={"texts": ["Non è male, ma la coda era lunghissima.", f"Mail {PII}"]},
        headers=api.headers("read"),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["analyzer"]
    first, second = body["results"]
    assert first["language"] == "it"
    assert any(a["aspect"] == "waiting_time" for a in first["aspects"])
    assert PII not in answer.text and "[EMAIL]" in second["text_redacted"]
    assert api.count("feedback_text") == 0  # nothing stored

    api.limit(text_analyze_max_texts=2, text_analyze_max_chars=50)
    too_many = api.client.post(
        "/api/v1/text/analyze", json={"texts": ["a", "b", "c"]},
        headers=api.headers("read"),
    )  # fmt: skip
    assert "text_analyze_max_texts" in error_of(too_many, 413)["message"]
    too_long = api.client.post(
        "/api/v1/text/analyze", json={"texts": ["x" * 51]}, headers=api.headers("read")
    )
    assert "texts[0]" in error_of(too_long, 413)["message"]
    for body in ({"texts": "one"}, {"texts": [1]}, {"texts": ["a"], "language": "fr"}):
        error_of(
            api.client.post(
                "/api/v1/text/analyze", json=body, headers=api.headers("read")
            ),
            400,
        )
