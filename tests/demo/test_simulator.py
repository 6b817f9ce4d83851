"""The demo simulator: determinism, schema conformance, scale, and planted effects.

The effect tests use only simple statistics on the generated tables (the way a
first analysis would look at them) and compare them with the ground truth the
simulator returns.
"""

from __future__ import annotations

import json
import re
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from esperia.demo import DemoData, simulate
from esperia.demo.business import PERSONAS
from esperia.errors import InvalidInput
from esperia.store.schema import KINDS, ColumnType
from esperia.vocabulary import CONTACTS, FEEDBACK_SOURCES, MEDIUMS, STAGES

N = 6_000
SEED = 42
DAY = pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return simulate(N, seed=SEED)


@pytest.fixture(scope="module")
def frames(demo: DemoData) -> dict[str, pd.DataFrame]:
    out = {name: table.to_pandas() for name, table in demo.tables.items()}
    out["truth"] = demo.ground_truth_customers.to_pandas().set_index("customer_id")
    out["truth_feedback"] = demo.ground_truth_feedback.to_pandas()
    return out


def _window(frames: dict[str, pd.DataFrame]) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp("2024-01-01", tz="Europe/Rome")
    return start, start + pd.DateOffset(months=24)


# --- determinism ------------------------------------------------------------


def test_same_seed_gives_identical_data() -> None:
    a = simulate(1_500, seed=7)
    b = simulate(1_500, seed=7)
    for name in a.tables:
        assert a.tables[name].equals(b.tables[name]), name
    assert a.ground_truth_customers.equals(b.ground_truth_customers)
    assert a.ground_truth_feedback.equals(b.ground_truth_feedback)
    assert json.dumps(a.ground_truth) == json.dumps(b.ground_truth)


def test_another_seed_gives_other_data() -> None:
    a = simulate(1_500, seed=7)
    c = simulate(1_500, seed=8)
    assert not a.tables["interactions"].equals(c.tables["interactions"])
    assert a.tables["customers"]["email"] != c.tables["customers"]["email"]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(InvalidInput):
        simulate(0)
    with pytest.raises(InvalidInput):
        simulate(100, months=0)


def test_progress_is_reported() -> None:
    seen: list[tuple[str, float]] = []
    simulate(
        300,
        seed=1,
        start=date(2023, 3, 1),
        months=6,
        progress=lambda s, f: seen.append((s, f)),
    )
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0


# --- schema -----------------------------------------------------------------


def _is_text(t: pa.DataType) -> bool:
    """Plain or dictionary-encoded strings (the demo encodes repetitive text)."""
    return pa.types.is_string(t) or (
        pa.types.is_dictionary(t) and pa.types.is_string(t.value_type)
    )


_ARROW_CHECK = {
    ColumnType.TEXT: _is_text,
    ColumnType.INTEGER: pa.types.is_integer,
    ColumnType.DOUBLE: pa.types.is_floating,
    ColumnType.BOOLEAN: pa.types.is_boolean,
    ColumnType.TIMESTAMP: lambda t: pa.types.is_timestamp(t) and t.tz is not None,
}


def test_tables_follow_the_import_schema(demo: DemoData) -> None:
    assert set(demo.tables) == set(KINDS)
    for name, kind in KINDS.items():
        table = demo.tables[name]
        for column in kind.columns:
            assert column.name in table.column_names, (name, column.name)
            arrow_type = table.schema.field(column.name).type
            assert _ARROW_CHECK[column.type](arrow_type), (
                name,
                column.name,
                arrow_type,
            )
            values = table[column.name]
            if column.required:
                assert values.null_count == 0, (name, column.name)
            if column.choices:
                present = set(values.drop_null().to_pylist())
                assert present <= set(column.choices), (name, column.name, present)
            if column.minimum is not None and len(values.drop_null()):
                assert pa.compute.min(values).as_py() >= column.minimum, (
                    name,
                    column.name,
                )
            if column.maximum is not None and len(values.drop_null()):
                assert pa.compute.max(values).as_py() <= column.maximum, (
                    name,
                    column.name,
                )
        key = table[kind.key].to_pylist()
        assert len(set(key)) == len(key), f"{name}.{kind.key} not unique"


def test_ids_look_like_ids(frames: dict[str, pd.DataFrame]) -> None:
    patterns = {
        ("customers", "customer_id"): r"C\d{6,}",
        ("touchpoints", "touchpoint_id"): r"TP-[A-Z0-9-]+",
        ("interactions", "interaction_id"): r"I\d{8,}",
        ("orders", "order_id"): r"O\d{8,}",
        ("feedback", "feedback_id"): r"F\d{8,}",
    }
    for (table, column), pattern in patterns.items():
        assert frames[table][column].str.fullmatch(pattern).all(), (table, column)


def test_references_point_at_existing_rows(frames: dict[str, pd.DataFrame]) -> None:
    customers = set(frames["customers"].customer_id)
    touchpoints = set(frames["touchpoints"].touchpoint_id)
    inter = frames["interactions"]
    orders, feedback = frames["orders"], frames["feedback"]
    assert set(inter.customer_id) <= customers
    assert set(inter.touchpoint_id) <= touchpoints
    assert set(orders.customer_id) <= customers
    assert set(orders.touchpoint_id.dropna()) <= touchpoints
    assert set(inter.order_id.dropna()) <= set(orders.order_id)
    assert set(feedback.customer_id.dropna()) <= customers
    assert set(feedback.touchpoint_id.dropna()) <= touchpoints
    assert set(feedback.interaction_id.dropna()) <= set(inter.interaction_id)
    linked = feedback.dropna(subset=["interaction_id"]).merge(
        inter[["interaction_id", "customer_id", "touchpoint_id"]],
        on="interaction_id",
        suffixes=("", "_i"),
    )
    assert (linked.customer_id == linked.customer_id_i).all()
    assert (linked.touchpoint_id == linked.touchpoint_id_i).all()
    assert set(frames["truth"].index) == customers


def test_nobody_acts_before_arriving_or_after_churning(
    frames: dict[str, pd.DataFrame],
) -> None:
    start, end = _window(frames)
    seen = frames["customers"].set_index("customer_id").first_seen_at
    churned_at = frames["truth"].churned_at
    for table, column in (
        ("interactions", "occurred_at"),
        ("orders", "ordered_at"),
        ("feedback", "received_at"),
    ):
        df = frames[table].dropna(subset=["customer_id"])
        when = df[column]
        assert when.min() >= start and when.max() < end, table
        assert (when >= df.customer_id.map(seen)).all(), table
        churn = df.customer_id.map(churned_at)
        assert not (churn.notna() & (when >= churn)).any(), table


def test_referrals_point_back_in_time(frames: dict[str, pd.DataFrame]) -> None:
    c = frames["customers"].set_index("customer_id")
    referred = c[c.referred_by.notna()]
    assert len(referred) > 0.05 * len(c)
    assert (referred.referred_by.map(c.first_seen_at) < referred.first_seen_at).all()
    assert (referred.acquisition_channel == "passaparola").all()


def test_true_types_stay_out_of_the_data(demo: DemoData) -> None:
    codes = {p.code for p in PERSONAS}
    for table in demo.tables.values():
        for column in table.column_names:
            assert column not in {"persona", "type_true", "customer_type"}
            if _is_text(table.schema.field(column).type):
                assert not codes & set(table[column].unique().to_pylist()), column
    assert set(demo.ground_truth_customers["persona"].unique().to_pylist()) == codes


# --- scale and business shape ----------------------------------------------


def test_scale_matches_the_default_targets(demo: DemoData) -> None:
    rows = {name: t.num_rows for name, t in demo.tables.items()}
    # simulate(20_000) should give ~500k interactions and ~60k feedback rows.
    assert rows["customers"] == N
    assert 22 <= rows["interactions"] / N <= 30
    assert 5 <= rows["orders"] / N <= 9
    assert 2.5 <= rows["feedback"] / N <= 3.5
    assert 25 <= rows["touchpoints"] <= 40
    assert demo.ground_truth["rows"] == rows
    json.dumps(demo.ground_truth)  # JSON-serialisable as promised


def test_touchpoints_cover_the_journey(frames: dict[str, pd.DataFrame]) -> None:
    tp = frames["touchpoints"].set_index("touchpoint_id")
    assert set(tp.stage) == set(STAGES)
    assert set(tp.contact) == set(CONTACTS)
    assert set(tp.medium) == set(MEDIUMS)
    assert {"store_ops", "ecommerce", "logistics", "customer_care", "marketing",
            "events", "cafe"} <= set(tp.owner_team)  # fmt: skip
    promises = tp.dropna(subset=["promise_metric"])
    assert promises.loc[
        "TP-COURIER", ["promise_metric", "promise_target"]
    ].tolist() == [
        "delivery_hours",
        48.0,
    ]
    assert promises.loc["TP-CARE-PHONE"].promise_target == 120
    assert promises.loc["TP-CARE-CHAT"].promise_target == 60
    assert promises.loc["TP-CARE-EMAIL"].promise_target == 86_400
    # Every promise metric names a column the interactions carry.
    assert set(promises.promise_metric) <= set(frames["interactions"].columns)


def test_sources_types_and_outcomes(frames: dict[str, pd.DataFrame]) -> None:
    inter, fb = frames["interactions"], frames["feedback"]
    types = set(inter.type)
    assert {"visit", "purchase", "browse", "call", "chat", "email", "complaint",
            "delivery", "event", "review", "ad_view"} <= types  # fmt: skip
    assert {"ok", "failed", "unanswered", "late", "resolved"} <= set(inter.outcome)
    assert set(fb.source) <= set(FEEDBACK_SOURCES)
    assert {"survey", "review", "social", "chat", "email"} == set(fb.source)
    deliveries = inter[inter.type == "delivery"]
    promised = deliveries.touchpoint_id.map(
        frames["touchpoints"].set_index("touchpoint_id").promise_target
    )
    assert (deliveries.promised_hours == promised).all()
    late = deliveries.delivery_hours > promised
    assert ((deliveries.outcome == "late") == late).all()
    calls = inter[inter.touchpoint_id.isin(["TP-CARE-PHONE", "TP-CARE-CHAT"])]
    assert calls.wait_s.notna().all()
    surveys = fb[fb.source == "survey"]
    assert surveys.nps.notna().mean() > 0.3 and surveys.csat.notna().mean() > 0.3
    assert surveys.ces.notna().sum() > 200


def test_families_peak_at_christmas(frames: dict[str, pd.DataFrame]) -> None:
    orders = frames["orders"]
    persona = orders.customer_id.map(frames["truth"].persona)
    month = orders.ordered_at.dt.month
    family = month[persona == "famiglia"].value_counts(normalize=True)
    readers = month[persona == "lettore_forte"].value_counts(normalize=True)
    assert family[12] > 2.5 / 12 and family[12] > 1.5 * readers[12]


# --- free text ---------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_PHONE = re.compile(r"\+39 3\d{2} \d{7}")


def test_texts_are_varied_bilingual_and_carry_pii(
    frames: dict[str, pd.DataFrame],
) -> None:
    fb = frames["feedback"].dropna(subset=["text"])
    assert len(fb) > 0.5 * len(frames["feedback"])
    italian = (fb.language == "it").mean()
    assert 0.65 <= italian <= 0.88
    assert fb.text.nunique() > 0.8 * len(fb)
    text = fb.text
    assert text.str.contains("non è male|not bad", regex=True).any()
    assert text.str.contains(", ma |, but ", regex=True).any()
    assert text.str.contains("[😊📚👍😡👎☕]", regex=True).any()
    assert text.str.contains(_EMAIL).sum() > 20
    assert text.str.contains(_PHONE).sum() > 20
    # PII sits mostly in complaints, as in real inboxes.
    truth = frames["truth_feedback"].set_index("feedback_id")
    pii = fb[text.str.contains(_EMAIL) | text.str.contains(_PHONE)]
    tones = pii.feedback_id.map(truth.tone)
    assert (tones == "negative").mean() > 0.5


def test_text_tone_agrees_with_scores(frames: dict[str, pd.DataFrame]) -> None:
    fb = frames["feedback"].merge(frames["truth_feedback"], on="feedback_id")
    scored = fb.dropna(subset=["text", "csat"])
    by_tone = scored.groupby("tone").csat.mean()
    assert by_tone["positive"] > by_tone["mixed"] > by_tone["negative"]
    reviews = fb[(fb.source == "review") & fb.text.notna()]
    stars = reviews.groupby("tone").rating.mean()
    assert stars["positive"] >= 4 and stars["negative"] <= 2
    english = fb[(fb.language == "en") & fb.text.notna()].text
    assert english.str.contains(r"\b(?:the|and|I)\b", regex=True).mean() > 0.8


# --- planted effects ---------------------------------------------------------


def _churned_within(
    rows: pd.DataFrame, when: str, truth: pd.DataFrame, days: int
) -> pd.Series:
    churn = rows.customer_id.map(truth.churned_at)
    return (churn - rows[when]) < pd.Timedelta(days=days)


def test_late_deliveries_and_unanswered_complaints_drive_churn(
    frames: dict[str, pd.DataFrame], demo: DemoData
) -> None:
    _, end = _window(frames)
    inter, truth = frames["interactions"], frames["truth"]
    early = inter[inter.occurred_at < end - 90 * DAY]
    deliveries = early[early.type == "delivery"]
    soon = _churned_within(deliveries, "occurred_at", truth, 90)
    rate = soon.groupby(deliveries.outcome).mean()
    assert rate["late"] > 1.5 * rate["ok"]

    complaints = early[early.type == "complaint"]
    soon = _churned_within(complaints, "occurred_at", truth, 90)
    unanswered = complaints.outcome == "unanswered"
    assert soon[unanswered].mean() > 1.4 * soon[~unanswered].mean()

    effects = demo.ground_truth["effects"]
    assert effects["late_delivery_churn"]["hazard_ratio_per_late_delivery"] == 2.0
    assert (
        effects["unanswered_complaint_churn"]["hazard_ratio_per_unanswered_complaint"]
        == 3.0
    )
    counted = inter[(inter.type == "delivery") & (inter.outcome == "late")]
    assert truth.late_deliveries.sum() == len(counted)


def test_long_waits_lower_effort_scores(frames: dict[str, pd.DataFrame]) -> None:
    fb, inter = frames["feedback"], frames["interactions"]
    tp = frames["touchpoints"].set_index("touchpoint_id")
    care = fb.dropna(subset=["ces", "interaction_id"]).merge(
        inter[["interaction_id", "wait_s"]], on="interaction_id"
    )
    care = care[care.touchpoint_id.isin(["TP-CARE-PHONE", "TP-CARE-CHAT"])]
    extra_min = (care.wait_s - care.touchpoint_id.map(tp.promise_target)).clip(
        lower=0
    ) / 60
    bucket = pd.cut(extra_min, [-1, 0, 5, np.inf], labels=["kept", "+0-5", "+5"])
    ces = care.ces.groupby(bucket, observed=True).mean()
    assert ces["kept"] > ces["+0-5"] > ces["+5"]
    assert ces["kept"] - ces["+5"] > 1.0
    slope = np.polyfit(extra_min.clip(upper=15), care.ces, 1)[0] * 5
    assert -1.3 < slope < -0.5  # planted: -1 point per 5 minutes, blurred by rounding
    csat = care.csat.groupby(bucket, observed=True).mean()
    assert csat["kept"] > csat["+5"]


def test_promoters_bring_referrals(frames: dict[str, pd.DataFrame]) -> None:
    fb, customers = frames["feedback"], frames["customers"]
    answers = fb.dropna(subset=["nps", "customer_id"])
    promoters = set(answers[answers.nps >= 9].customer_id)
    others = set(answers.customer_id) - promoters
    made = customers.referred_by.value_counts()
    per_promoter = made.reindex(list(promoters)).fillna(0).mean()
    per_other = made.reindex(list(others)).fillna(0).mean()
    assert per_promoter > 3 * per_other
    referrers = customers.referred_by.dropna()
    assert referrers.isin(promoters).mean() > 0.6


def test_author_events_build_community_and_retention(
    frames: dict[str, pd.DataFrame],
) -> None:
    start, _ = _window(frames)
    inter, truth = frames["interactions"], frames["truth"]
    seen = frames["customers"].set_index("customer_id").first_seen_at
    landmark = start + 365 * DAY
    # Landmark comparison: customers still there after a year, by whether they
    # had already attended an event, churn over the next nine months.
    alive = truth[
        (seen < landmark - 90 * DAY)
        & (~truth.churned | (truth.churned_at > landmark))
        & truth.persona.isin(["lettore_forte", "famiglia", "studente"])
    ].copy()
    went = inter[(inter.type == "event") & (inter.occurred_at < landmark)].customer_id
    alive["attended"] = alive.index.isin(set(went))
    alive["left"] = alive.churned & (alive.churned_at < landmark + 270 * DAY)
    rates = alive.groupby(["persona", "attended"]).left.mean().unstack()
    weight = alive[alive.attended].persona.value_counts()
    standardised = (rates[False] * weight).sum() / weight.sum()
    assert (rates[True] * weight).sum() / weight.sum() < 0.8 * standardised

    fb = frames["feedback"].merge(frames["truth_feedback"], on="feedback_id")
    texts = fb.dropna(subset=["text"])
    at_events = texts.topic == "post_event"
    assert (texts[at_events].module == "relate").mean() > 0.8
    assert (texts[~at_events].module == "relate").mean() < 0.2


def test_customer_types_are_separable_by_channel_mix(
    frames: dict[str, pd.DataFrame],
) -> None:
    inter = frames["interactions"]
    channel = inter.touchpoint_id.map(
        frames["touchpoints"].set_index("touchpoint_id").channel
    )
    mix = pd.crosstab(inter.customer_id, channel, normalize="index")
    persona = frames["truth"].persona.reindex(mix.index)
    centroids = mix.groupby(persona).mean()
    distance = ((mix.values[:, None, :] - centroids.values[None]) ** 2).sum(axis=2)
    guess = centroids.index[distance.argmin(axis=1)]
    assert (guess == persona.values).mean() > 0.6
    assert centroids.loc["lettore_forte", "store"] > 0.5
    assert centroids.loc["digitale", ["web", "app"]].sum() > 0.4
    assert centroids["email"].idxmax() == "professionista"
    ages = frames["customers"].set_index("customer_id").birth_year
    age = ages.groupby(frames["truth"].persona).median()
    assert age["studente"] > age["lettore_forte"] + 15
