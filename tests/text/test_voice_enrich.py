"""Enrichment stores what the engine says, once, on both stores, and redacts."""

from __future__ import annotations

from support.voice import KeywordAnalyzer, feedback_rows

from esperia.ingest import import_records
from esperia.text.enrich import count_pending, enrich_feedback

TEXTS = [
    "Good price. Bad staff, write me at anna.rossi@example.com",
    "The wait was bad. Bad bad wait",
    "Nothing to say",
    None,
    "   ",
    "Good staff and good price",
]


def _load(store, settings, texts=TEXTS, **extra):
    settings = settings.model_copy(update={"text_enrich_on_import": False})
    summary = import_records(store, settings, "feedback", feedback_rows(texts, **extra))
    assert summary.loaded == len(texts)
    assert summary.enriched is None


def test_enrich_stores_every_table_once(store, settings):
    _load(store, settings)
    engine = KeywordAnalyzer()
    assert count_pending(store, engine.name) == 4  # no NULL, no blank text
    seen: list[tuple[int, int]] = []
    summary = enrich_feedback(
        store, settings, engine, batch_size=3, progress=lambda d, t: seen.append((d, t))
    )
    assert (summary.pending, summary.analyzed, summary.batches) == (4, 4, 2)
    assert seen == [(0, 4), (3, 4), (4, 4)]
    assert summary.redacted == 1
    with store.connect() as conn:
        rows = conn.fetch_dicts(
            "SELECT feedback_id, language, sentiment, polarity, aspects, modules, "
            "emotions, pyramid_level, sentences, analyzer, text_redacted "
            "FROM feedback_text ORDER BY feedback_id"
        )
        aspects = conn.fetchall(
            "SELECT feedback_id, sentence, aspect, sentiment, polarity, pyramid_level "
            "FROM feedback_aspects ORDER BY feedback_id, sentence, aspect"
        )
        modules = conn.fetchall(
            "SELECT feedback_id, module, sentiment FROM feedback_modules "
            "ORDER BY feedback_id, module"
        )
        emotions = conn.fetchall(
            "SELECT feedback_id, emotion, intensity FROM feedback_emotions "
            "ORDER BY feedback_id"
        )
        text = conn.scalar("SELECT text FROM feedback WHERE feedback_id = 'fb000'")
    assert [r["feedback_id"] for r in rows] == ["fb000", "fb001", "fb002", "fb005"]
    first = rows[0]
    assert first["aspects"] == "price;staff_courtesy"
    assert first["pyramid_level"] == "needs"
    assert first["sentences"] == 2
    assert first["analyzer"] == "keyword-test-1"
    assert first["text_redacted"] == "Good price. Bad staff, write me at [email]"
    assert rows[1]["sentiment"] == -1.0 and rows[1]["polarity"] == "negative"
    assert rows[2]["aspects"] is None and rows[2]["emotions"] is None
    assert rows[3]["emotions"] == "joy"
    assert aspects == [
        ("fb000", 0, "price", 0.5, "positive", "needs"),
        ("fb000", 1, "staff_courtesy", -0.5, "negative", "enjoyment"),
        ("fb001", 0, "waiting_time", -0.5, "negative", "ease"),
        ("fb001", 1, "waiting_time", -1.0, "negative", "ease"),
        ("fb005", 0, "price", 1.0, "positive", "needs"),
        ("fb005", 0, "staff_courtesy", 1.0, "positive", "enjoyment"),
    ]
    assert ("fb000", "think", 0.5) in modules and ("fb001", "act", -1.0) in modules
    assert emotions == [("fb001", "anger", 0.6), ("fb005", "joy", 0.8)]
    # text_keep_original is off by default: the stored original is redacted too.
    assert text == "Good price. Bad staff, write me at [EMAIL]"


def test_rerun_adds_nothing_and_force_replaces(store, settings):
    _load(store, settings)
    engine = KeywordAnalyzer()
    enrich_feedback(store, settings, engine)
    again = enrich_feedback(store, settings, engine)
    assert (again.pending, again.analyzed) == (0, 0)
    forced = enrich_feedback(store, settings, engine, mode="all")
    assert forced.analyzed == 4
    with store.connect() as conn:
        assert conn.scalar("SELECT count(*) FROM feedback_text") == 4
        assert conn.scalar("SELECT count(*) FROM feedback_aspects") == 6


def test_outdated_mode_reanalyses_other_engines_results(store, settings):
    _load(store, settings)
    old = KeywordAnalyzer()
    enrich_feedback(store, settings, old)
    new = KeywordAnalyzer()
    new.name = "keyword-test-2"
    assert count_pending(store, new.name) == 0
    assert count_pending(store, new.name, mode="outdated") == 4
    summary = enrich_feedback(store, settings, new, mode="outdated")
    assert summary.analyzed == 4
    with store.connect() as conn:
        names = conn.fetchall("SELECT DISTINCT analyzer FROM feedback_text")
    assert names == [("keyword-test-2",)]


def test_keep_original_leaves_feedback_text(store, settings):
    _load(store, settings)
    keep = settings.model_copy(update={"text_keep_original": True})
    summary = enrich_feedback(store, keep, KeywordAnalyzer())
    assert summary.redacted == 0
    with store.connect() as conn:
        text = conn.scalar("SELECT text FROM feedback WHERE feedback_id = 'fb000'")
        shown = conn.scalar(
            "SELECT text_redacted FROM feedback_text WHERE feedback_id = 'fb000'"
        )
    assert "anna.rossi@example.com" in text
    assert "anna.rossi@example.com" not in shown


def test_declared_language_skips_detection(store, settings):
    _load(store, settings, texts=["Bad wait", "Good price"], language="it")
    enrich_feedback(store, settings, KeywordAnalyzer())
    with store.connect() as conn:
        langs = conn.fetchall("SELECT DISTINCT language FROM feedback_text")
    assert langs == [("it",)]
