"""Voice read queries: aspects by sentiment, modules, pyramid, emotions, filters."""

from __future__ import annotations

from datetime import date

import pytest
from support.voice import KeywordAnalyzer

from esperia.errors import InvalidInput
from esperia.ingest import import_records
from esperia.text.enrich import enrich_feedback
from esperia.text.voice import (
    VoiceFilters,
    aspect_summary,
    emotion_breakdown,
    example_comments,
    filter_choices,
    module_breakdown,
    pyramid_breakdown,
    voice_overview,
)


@pytest.fixture
def voiced(store, settings):
    """Two touchpoints (store/purchase, chat/service) and eight comments."""
    settings = settings.model_copy(update={"text_enrich_on_import": False})
    touchpoints = [
        {"touchpoint_id": "shop", "name": "Negozio", "channel": "store",
         "stage": "purchase"},
        {"touchpoint_id": "chat", "name": "Chat", "channel": "chat",
         "stage": "service"},
    ]  # fmt: skip
    texts = [
        ("shop", "2025-01-10", "Good price. Good staff"),
        ("shop", "2025-01-20", "Bad price"),
        ("shop", "2025-02-05", "Good price"),
        ("chat", "2025-02-10", "Bad wait. Bad wait"),
        ("chat", "2025-02-11", "Bad wait, mail me at x.y@example.org"),
        ("chat", "2025-03-01", "Good staff"),
        ("chat", "2025-03-02", "Nothing special"),
        (None, "2025-03-03", "Bad staff"),
    ]
    feedback = [
        {"feedback_id": f"v{i}", "received_at": f"{day}T12:00:00", "source":
         "survey" if tp == "shop" else "chat", "touchpoint_id": tp, "text": text}
        for i, (tp, day, text) in enumerate(texts)
    ]  # fmt: skip
    import_records(store, settings, "touchpoints", touchpoints)
    import_records(store, settings, "feedback", feedback)
    enrich_feedback(store, settings, KeywordAnalyzer())
    return store


def test_aspects_by_volume_and_sentiment(voiced):
    rows = aspect_summary(voiced, VoiceFilters())
    by = {r["aspect"]: r for r in rows}
    assert [r["aspect"] for r in rows] == ["price", "staff_courtesy", "waiting_time"]
    wait = by["waiting_time"]
    assert (wait["n"], wait["comments"], wait["negative"]) == (3, 2, 3)
    assert wait["sentiment"] == -0.5 and wait["sentiment_se"] == 0.0
    price = by["price"]
    assert (price["n"], price["positive"], price["negative"]) == (3, 2, 1)
    assert price["sentiment"] == pytest.approx(1 / 6, abs=1e-3)
    assert price["sentiment_low"] < price["sentiment"] < price["sentiment_high"]
    assert price["pyramid_level"] == "needs"


def test_filters_by_touchpoint_stage_channel_period_source(voiced):
    shop = aspect_summary(voiced, VoiceFilters(touchpoint="shop"))
    assert {r["aspect"] for r in shop} == {"price", "staff_courtesy"}
    assert aspect_summary(voiced, VoiceFilters(stage="purchase")) == shop
    assert aspect_summary(voiced, VoiceFilters(channel="store")) == shop
    service = aspect_summary(voiced, VoiceFilters(stage="service"))
    assert {r["aspect"]: r["n"] for r in service} == {
        "waiting_time": 3,
        "staff_courtesy": 1,
    }
    january = VoiceFilters(since=date(2025, 1, 1), until=date(2025, 1, 31))
    assert voice_overview(voiced, january)["comments"] == 2
    assert voice_overview(voiced, VoiceFilters(source="chat"))["comments"] == 5
    assert (
        voice_overview(voiced, VoiceFilters(until=date(2025, 1, 10)))["comments"] == 1
    )  # the last day is included
    assert voice_overview(voiced, VoiceFilters(language="fr"))["comments"] == 0


def test_overview_modules_pyramid_emotions(voiced):
    overview = voice_overview(voiced, VoiceFilters())
    assert overview["comments"] == 8
    assert (overview["negative"], overview["positive"], overview["neutral"]) == (
        4,
        3,
        1,
    )
    assert overview["not_analysed"] == 0
    modules = {m["module"]: m for m in module_breakdown(voiced, VoiceFilters())}
    assert set(modules) == {"think", "feel", "relate", "act"}
    assert [m["module"] for m in module_breakdown(voiced, VoiceFilters())] == [
        "feel",
        "think",
        "act",
        "relate",
    ]
    assert modules["act"]["n"] == 2 and modules["act"]["negative"] == 2
    pyramid = pyramid_breakdown(voiced, VoiceFilters())
    assert [p["pyramid_level"] for p in pyramid] == ["needs", "ease", "enjoyment"]
    assert [p["n"] for p in pyramid] == [3, 2, 2]
    emotions = emotion_breakdown(voiced, VoiceFilters())
    assert [(e["emotion"], e["n"]) for e in emotions] == [("anger", 4), ("joy", 3)]


def test_examples_are_redacted_newest_first(voiced):
    rows = example_comments(voiced, VoiceFilters(), aspect="waiting_time")
    assert [r["feedback_id"] for r in rows] == ["v4", "v3"]
    assert rows[0]["text"] == "Bad wait, mail me at [email]"
    assert rows[0]["touchpoint"] == "Chat"
    assert rows[0]["aspects"] == ["waiting_time"]
    negatives = example_comments(voiced, VoiceFilters(), polarity="negative", limit=2)
    assert [r["feedback_id"] for r in negatives] == ["v7", "v4"]
    with pytest.raises(InvalidInput):
        example_comments(voiced, VoiceFilters(), polarity="angry")


def test_filter_parsing_and_choices(voiced):
    parsed = VoiceFilters.parse(stage="Service", since="2025-02-01", language="")
    assert parsed == VoiceFilters(stage="service", since=date(2025, 2, 1))
    assert parsed.to_dict() == {"stage": "service", "since": "2025-02-01"}
    for bad in ({"stage": "nowhere"}, {"since": "01/02/2025"}, {"colour": "red"},
                {"since": "2025-03-01", "until": "2025-02-01"}):  # fmt: skip
        with pytest.raises(InvalidInput):
            VoiceFilters.parse(**bad)
    choices = filter_choices(voiced)
    assert choices["channels"] == ["chat", "store"]
    assert [t["id"] for t in choices["touchpoints"]] == ["chat", "shop"]
    assert choices["languages"] == ["en"]
    assert choices["sources"] == ["chat", "survey"]
