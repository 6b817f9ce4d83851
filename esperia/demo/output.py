"""Turning the simulated frames into Arrow tables and a ground-truth record.

Customers are numbered by first contact; interactions, orders and feedback by
time. Cross references are remapped with integer lookups. Text columns with
few distinct values (touchpoint, type, outcome, city, a customer reference...)
are dictionary-encoded: still text to every reader, but an index per row
instead of a copy of the string, which keeps a million-customer demo in a few
gigabytes. Columns are built one at a time and their numpy sources dropped as
soon as they are rendered, for the same reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from esperia.demo.business import (
    ASPECT_MODULES,
    ASPECTS,
    CITIES,
    PERSONAS,
    TOUCHPOINTS,
    touchpoints_table,
)
from esperia.demo.cohort import ACQUISITION, Cohort
from esperia.demo.frames import (
    CATEGORIES,
    DELIVERY_MODES,
    EVENT_TYPES,
    FEEDBACK_SCHEMA,
    ORDER_SCHEMA,
    OUTCOMES,
    REASONS,
    SOURCES,
    SURVEY_TOPICS,
    Frame,
    concat,
)
from esperia.demo.people import People, fixed_ids, invent_people
from esperia.demo.texts import (
    LANGUAGES,
    PII_EMAIL_KIND,
    PII_NAME_KIND,
    PII_NONE,
    PII_PHONE_KIND,
    TextRequest,
    compose,
    tone_of,
)
from esperia.demo.timeline import Calendar
from esperia.demo.truth import ground_truth
from esperia.demo.voice import anonymous_voice

__all__ = ["Assembled", "Run", "assemble"]

TIMESTAMP = pa.timestamp("us", tz="Europe/Rome")
_TP_IDS = [tp.touchpoint_id for tp in TOUCHPOINTS]


@dataclass
class Run:
    """One cohort's simulated life: its events, orders, feedback and churn."""

    cohort: Cohort
    events: Frame
    orders: Frame
    feedback: Frame
    churn: np.ndarray


@dataclass
class Assembled:
    tables: dict[str, pa.Table]
    ground_truth: dict[str, Any]
    customers: pa.Table
    feedback: pa.Table


def _width(n: int, minimum: int) -> int:
    return max(minimum, len(str(max(n, 1))))


def _index_type(size: int) -> pa.DataType:
    if size < 2**7:
        return pa.int8()
    return pa.int16() if size < 2**15 else pa.int32()


def _labels(names: Sequence[str] | pa.Array, codes: np.ndarray) -> pa.Array:
    """Dictionary-encoded text for integer codes into ``names``; -1 is null.

    ``names`` may repeat (regions of cities): the dictionary keeps each once.
    """
    codes = np.asarray(codes)
    if isinstance(names, pa.Array):
        dictionary = names
    else:
        unique = list(dict.fromkeys(names))
        position = np.array([unique.index(x) for x in names] + [-1])
        codes = position[np.where(codes < 0, -1, codes)]
        dictionary = pa.array(unique, type=pa.string())
    index_type = _index_type(len(dictionary))
    missing = codes < 0
    indices = pa.array(
        np.where(missing, 0, codes).astype(index_type.to_pandas_dtype()),
        mask=missing if missing.any() else None,
        type=index_type,
    )
    return pa.DictionaryArray.from_arrays(indices, dictionary)


def _floats(x: np.ndarray) -> pa.Array:
    return pa.array(
        np.asarray(x, dtype=np.float64), type=pa.float64(), from_pandas=True
    )


def _ints(x: np.ndarray) -> pa.Array:
    x = np.asarray(x, dtype=np.int64)
    return pa.array(x, mask=x < 0, type=pa.int64())


def _times(cal: Calendar, t: np.ndarray, *, ceil: bool = False) -> pa.Array:
    t = np.asarray(t, dtype=np.float64)
    missing = ~np.isfinite(t)
    us = cal.to_utc_us(np.where(missing, 0.0, t), ceil=ceil)
    return pa.array(us, mask=missing if missing.any() else None, type=pa.int64()).cast(
        TIMESTAMP
    )


def _refs(ids: pa.Array, positions: np.ndarray) -> pa.Array:
    """Plain strings ``ids[positions]``, -1 as null."""
    positions = np.asarray(positions, dtype=np.int64)
    return ids.take(pa.array(np.maximum(positions, 0), mask=positions < 0))


def _rank(order: np.ndarray) -> np.ndarray:
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _cohort_column(runs: Sequence[Run], name: str) -> np.ndarray:
    return np.concatenate([getattr(r.cohort, name) for r in runs])


def _take_out(runs: Sequence[Run], name: str, order: np.ndarray) -> np.ndarray:
    """One events column over all runs, in ``order``; the runs let go of it."""
    column = np.concatenate([r.events.pop(name) for r in runs])
    return column[order]


def _customers(
    rng: np.random.Generator, cal: Calendar, runs: Sequence[Run], ids: pa.Array,
    by_arrival: np.ndarray, rank: np.ndarray,
) -> tuple[pa.Table, People, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    n = len(by_arrival)

    def column(name: str) -> np.ndarray:
        return _cohort_column(runs, name)[by_arrival]

    english = column("english")
    work = column("work")
    people = invent_people(rng, english, work)
    referrer = column("referrer")
    referrer_row = np.where(referrer >= 0, rank[np.maximum(referrer, 0)], -1)
    city = column("city")
    # Real customer files have gaps.
    no_email = rng.random(n) < 0.06
    no_phone = rng.random(n) < 0.3
    birth = np.where(rng.random(n) < 0.1, -1, column("birth_year"))
    no_gender = rng.random(n) < 0.03
    none = pa.scalar(None, pa.string())
    table = pa.table(
        {
            "customer_id": ids,
            "name": people.name,
            "email": pc.if_else(pa.array(no_email), none, people.email),
            "phone": pc.if_else(pa.array(no_phone), none, people.phone),
            "birth_year": _ints(birth),
            "gender": _labels(("F", "M"), np.where(no_gender, -1, people.male)),
            "city": _labels([c.name for c in CITIES], city),
            "region": _labels([c.region for c in CITIES], city),
            "country": _labels(("IT",), np.zeros(n, dtype=np.int8)),
            "language": _labels(LANGUAGES, english.astype(np.int8)),
            "first_seen_at": _times(cal, column("arrival")),
            "consent_marketing": pa.array(column("consent_marketing")),
            "consent_analytics": pa.array(column("consent_analytics")),
            "segment": _labels(("privato", "azienda"), work.astype(np.int8)),
            "referred_by": _refs(ids, referrer_row),
            "acquisition_channel": _labels(ACQUISITION, column("acquisition")),
            "loyalty_card": pa.array(column("loyalty")),
        }
    )
    return table, people, no_email, no_phone, referrer_row


def _orders(
    cal: Calendar, runs: Sequence[Run], ids: pa.Array, rank: np.ndarray
) -> tuple[pa.Table, np.ndarray]:
    """The orders table and, per order uid, its row (-1: never happened)."""
    orders = concat(ORDER_SCHEMA, [r.orders for r in runs])
    for run in runs:
        run.orders = {}
    by_time = np.argsort(orders["t"], kind="stable")
    orders = {k: v[by_time] for k, v in orders.items()}
    n = len(by_time)
    order_ids = fixed_ids("O", np.arange(1, n + 1), _width(n, 8))
    row_of_uid = np.full(int(orders["uid"].max(initial=-1)) + 1, -1, dtype=np.int64)
    row_of_uid[orders["uid"]] = np.arange(n)
    table = pa.table(
        {
            "order_id": order_ids,
            "customer_id": _labels(ids, rank[orders["cust"]]),
            "ordered_at": _times(cal, orders["t"]),
            "revenue": _floats(orders["revenue"]),
            "margin": _floats(orders["margin"]),
            "currency": _labels(("EUR",), np.zeros(n, dtype=np.int8)),
            "touchpoint_id": _labels(_TP_IDS, orders["tp"]),
            "items": _ints(orders["items"]),
            "category": _labels(CATEGORIES, orders["category"]),
            "delivery_mode": _labels(DELIVERY_MODES, orders["mode"]),
            "returned": pa.array(orders["returned"]),
        }
    )
    return table, row_of_uid


def _interactions(
    cal: Calendar, runs: Sequence[Run], ids: pa.Array, rank: np.ndarray,
    order_ids: pa.Array, order_row: np.ndarray,
) -> tuple[pa.Table, np.ndarray, dict[str, np.ndarray]]:  # fmt: skip
    """The interactions table, each event's row, and experience counts."""
    t = np.concatenate([r.events.pop("t") for r in runs])
    by_time = np.argsort(t, kind="stable")
    n = len(by_time)
    occurred = _times(cal, t[by_time])
    del t
    event_row = np.empty(n, dtype=np.int64)
    event_row[by_time] = np.arange(n)
    cust = rank[_take_out(runs, "cust", by_time)]
    kind = _take_out(runs, "type", by_time)
    outcome = _take_out(runs, "outcome", by_time)
    counts = _experience_counts(kind, outcome, cust, len(rank))
    columns: dict[str, pa.Array] = {
        "interaction_id": fixed_ids("I", np.arange(1, n + 1), _width(n, 8)),
        "customer_id": _labels(ids, cust),
        "touchpoint_id": _labels(_TP_IDS, _take_out(runs, "tp", by_time)),
        "occurred_at": occurred,
        "type": _labels(EVENT_TYPES, kind),
        "outcome": _labels(OUTCOMES, outcome),
    }
    del cust, kind, outcome
    for name, source in (
        ("duration_s", "duration"),
        ("wait_s", "wait"),
        ("value", "value"),
    ):
        columns[name] = _floats(_take_out(runs, source, by_time))
    order = _take_out(runs, "order", by_time)
    columns["order_id"] = _refs(order_ids, np.where(order >= 0, order_row[order], -1))
    del order
    columns["delivery_hours"] = _floats(_take_out(runs, "delivery_hours", by_time))
    promised = _take_out(runs, "promised_hours", by_time)
    columns["promised_hours"] = pa.array(promised, mask=promised < 0, type=pa.int16())
    columns["reason"] = _labels(REASONS, _take_out(runs, "reason", by_time))
    for run in runs:
        run.events = {}
    return pa.table(columns), event_row, counts


def assemble(
    rng: np.random.Generator,
    cal: Calendar,
    runs: Sequence[Run],
    anonymous: int,
    *,
    seed: int,
    report: Callable[[str, float], None],
) -> Assembled:
    """All tables and the ground truth from the cohorts' runs.

    The runs' event and order frames are emptied on the way (memory).
    """
    report("tables", 0.82)
    by_arrival = np.argsort(_cohort_column(runs, "arrival"), kind="stable")
    rank = _rank(by_arrival)  # global customer position -> row in customers
    n = len(rank)
    ids = fixed_ids("C", np.arange(1, n + 1), _width(n, 6))
    customers, people, no_email, no_phone, referrer_row = _customers(
        rng, cal, runs, ids, by_arrival, rank
    )
    report("tables", 0.85)
    orders, order_row = _orders(cal, runs, ids, rank)
    report("tables", 0.88)
    interactions, event_row, counts = _interactions(
        cal, runs, ids, rank, orders["order_id"].combine_chunks(), order_row
    )

    report("voice", 0.93)
    feedback = concat(
        FEEDBACK_SCHEMA,
        [*(r.feedback for r in runs), anonymous_voice(rng, cal, anonymous)],
    )
    by_time = np.argsort(feedback["t"], kind="stable")
    feedback = {k: v[by_time] for k, v in feedback.items()}
    n_fb = len(by_time)
    feedback_ids = fixed_ids("F", np.arange(1, n_fb + 1), _width(n_fb, 8))
    fb_row = np.where(feedback["cust"] >= 0, rank[np.maximum(feedback["cust"], 0)], -1)
    event = feedback["event"]
    fb_table = pa.table(
        {
            "feedback_id": feedback_ids,
            "received_at": _times(cal, feedback["t"]),
            "source": _labels(SOURCES, feedback["source"]),
            "customer_id": _labels(ids, fb_row),
            "touchpoint_id": _labels(_TP_IDS, feedback["tp"]),
            "interaction_id": _refs(
                interactions["interaction_id"].combine_chunks(),
                np.where(event >= 0, event_row[np.maximum(event, 0)], -1),
            ),
            "nps": _ints(feedback["nps"]),
            "csat": _ints(feedback["csat"]),
            "ces": _ints(feedback["ces"]),
            "rating": _floats(feedback["rating"]),
            "text": _texts(rng, feedback, fb_row, people, no_email, no_phone),
            "language": _labels(LANGUAGES, feedback["english"].astype(np.int8)),
            "topic": _labels(SURVEY_TOPICS, feedback["topic"]),
        }
    )
    del event_row

    report("ground truth", 0.97)
    has_text = feedback["style"] >= 0
    tone = np.where(has_text, tone_of(feedback["polarity1"], feedback["polarity2"]), -1)
    second = has_text & (feedback["polarity2"] >= 0)
    polarity = ("positive", "negative", "neutral")
    module_names = sorted({m for m in ASPECT_MODULES.values() if m})
    module_of = np.array(
        [module_names.index(m) if m else -1 for m in ASPECT_MODULES.values()]
    )
    gt_feedback = pa.table(
        {
            "feedback_id": feedback_ids,
            "tone": _labels(("positive", "negative", "mixed", "neutral"), tone),
            "aspect": _labels(ASPECTS, np.where(has_text, feedback["aspect1"], -1)),
            "aspect_polarity": _labels(
                polarity, np.where(has_text, feedback["polarity1"], -1)
            ),
            "aspect2": _labels(ASPECTS, np.where(second, feedback["aspect2"], -1)),
            "aspect2_polarity": _labels(
                polarity, np.where(second, feedback["polarity2"], -1)
            ),
            "module": _labels(
                module_names, np.where(has_text, module_of[feedback["aspect1"]], -1)
            ),
        }
    )
    persona = _cohort_column(runs, "persona")[by_arrival]
    churn = np.concatenate([r.churn for r in runs])[by_arrival]
    referrals = np.bincount(referrer_row[referrer_row >= 0], minlength=n)
    churned = np.isfinite(churn) & (churn < cal.days)
    gt_customers = pa.table(
        {
            "customer_id": ids,
            "persona": pa.array([p.code for p in PERSONAS]).take(pa.array(persona)),
            "churned": pa.array(churned),
            "churned_at": _times(cal, np.where(churned, churn, np.nan), ceil=True),
            "late_deliveries": pa.array(counts["late"]),
            "unanswered_complaints": pa.array(counts["unanswered"]),
            "events_attended": pa.array(counts["events"]),
            "referrals_made": pa.array(referrals),
        }
    )
    tables = {
        "customers": customers,
        "touchpoints": touchpoints_table(),
        "interactions": interactions,
        "orders": orders,
        "feedback": fb_table,
    }
    truth = ground_truth(
        cal, seed, tables, feedback, fb_row, persona, churned, counts, referrals,
        referrer_row >= 0, tone,
    )  # fmt: skip
    return Assembled(tables, truth, gt_customers, gt_feedback)


def _texts(
    rng: np.random.Generator,
    feedback: Frame,
    row: np.ndarray,
    people: People,
    no_email: np.ndarray,
    no_phone: np.ndarray,
) -> pa.Array:
    """Free text for feedback rows that have a style; null elsewhere.

    A customer can only quote the e-mail or phone the shop has on file.
    """
    has = np.flatnonzero(feedback["style"] >= 0)
    r = row[has]
    pii = feedback["pii"][has].astype(np.int64)
    known = r >= 0
    safe = np.maximum(r, 0)
    email_ok = known & ~no_email[safe]
    phone_ok = known & ~no_phone[safe]
    pii = np.where((pii == PII_EMAIL_KIND) & ~email_ok, PII_PHONE_KIND, pii)
    pii = np.where((pii == PII_PHONE_KIND) & ~phone_ok, PII_NONE, pii)
    pii = np.where((pii == PII_NAME_KIND) & ~known, PII_NONE, pii)
    index = pa.array(safe)
    value = pc.if_else(
        pa.array(pii == PII_EMAIL_KIND),
        people.email.take(index),
        pc.if_else(
            pa.array(pii == PII_PHONE_KIND),
            people.phone.take(index),
            people.name.take(index),
        ),
    )
    request = TextRequest(
        style=feedback["style"][has],
        language=feedback["english"][has].astype(np.int64),
        aspect1=feedback["aspect1"][has],
        polarity1=feedback["polarity1"][has].astype(np.int64),
        aspect2=feedback["aspect2"][has],
        polarity2=feedback["polarity2"][has].astype(np.int64),
        emoji=feedback["emoji"][has],
        pii_kind=pii,
        pii_value=value,
    )
    written = compose(rng, request)
    full = np.full(len(feedback["style"]), -1, dtype=np.int64)
    full[has] = np.arange(len(has))
    return written.take(pa.array(np.maximum(full, 0), mask=full < 0))


def _experience_counts(
    kind: np.ndarray, outcome: np.ndarray, row: np.ndarray, n: int
) -> dict[str, np.ndarray]:
    """Per customer row: deliveries (late), complaints (unanswered), events."""

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(row[mask], minlength=n)

    delivery = kind == EVENT_TYPES.index("delivery")
    complaint = kind == EVENT_TYPES.index("complaint")
    return {
        "late": count(delivery & (outcome == OUTCOMES.index("late"))),
        "deliveries": count(delivery),
        "unanswered": count(complaint & (outcome == OUTCOMES.index("unanswered"))),
        "complaints": count(complaint),
        "events": count(kind == EVENT_TYPES.index("event")),
    }
