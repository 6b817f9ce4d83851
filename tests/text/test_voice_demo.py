"""On the simulated bookshop, the voice analysis recovers what was planted."""

from __future__ import annotations

import re

import pyarrow.compute as pc
import pytest

from esperia.demo import simulate
from esperia.ingest import ImportOptions, import_arrow
from esperia.text.voice import (
    VoiceFilters,
    aspect_summary,
    module_breakdown,
    voice_overview,
)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture
def bookshop(store, settings):
    """3,000 simulated customers, imported with enrichment on arrival."""
    data = simulate(3_000, seed=11)
    summaries = {
        kind: import_arrow(
            store,
            settings,
            kind,
            data.tables[kind],
            source="demo",
            options=ImportOptions(unknown_references="keep"),
        )
        for kind in ("customers", "touchpoints", "feedback")
    }
    return data, summaries


def test_imported_feedback_is_enriched_and_redacted(store, bookshop):
    data, summaries = bookshop
    texts = data.tables["feedback"].column("text")
    with_text = int(pc.sum(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(
        texts)), 0)).as_py())  # fmt: skip
    assert summaries["feedback"].enriched == with_text
    assert voice_overview(store, VoiceFilters())["comments"] == with_text
    planted = sum(1 for t in texts.to_pylist() if t and _EMAIL.search(t))
    assert planted > 10  # the simulator writes e-mail addresses into complaints
    with store.connect() as conn:
        stored = [r[0] for r in conn.fetchall("SELECT text FROM feedback")]
    assert not [t for t in stored if t and _EMAIL.search(t)]


def test_events_speak_of_belonging(store, bookshop):
    """Planted effect 4: feedback after an event is about community (relate)."""
    everything = {m["module"]: m["n"] for m in module_breakdown(store, VoiceFilters())}
    events = {
        m["module"]: m["n"]
        for m in module_breakdown(store, VoiceFilters(channel="event"))
    }
    n_all = voice_overview(store, VoiceFilters())["comments"]
    n_events = voice_overview(store, VoiceFilters(channel="event"))["comments"]
    assert max(events, key=events.__getitem__) == "relate"
    assert events["relate"] / n_events > 0.6
    assert events["relate"] / n_events > 1.5 * everything["relate"] / n_all
    top = aspect_summary(store, VoiceFilters(channel="event"))[0]
    assert top["aspect"] == "events_community"


def test_delivery_comments_are_about_delivery_and_tone_follows(store, bookshop):
    data, _ = bookshop
    top = aspect_summary(store, VoiceFilters(stage="delivery"))[0]
    assert top["aspect"] == "delivery"
    truth = dict(
        zip(
            data.ground_truth_feedback.column("feedback_id").to_pylist(),
            data.ground_truth_feedback.column("tone").to_pylist(),
            strict=True,
        )
    )
    with store.connect() as conn:
        scores = conn.fetchall("SELECT feedback_id, sentiment FROM feedback_text")
    by_tone: dict[str, list[float]] = {}
    for feedback_id, sentiment in scores:
        by_tone.setdefault(truth.get(feedback_id) or "none", []).append(sentiment)
    mean = {tone: sum(v) / len(v) for tone, v in by_tone.items()}
    assert mean["negative"] < 0 < mean["positive"]
    assert mean["negative"] < mean["neutral"] < mean["positive"]
