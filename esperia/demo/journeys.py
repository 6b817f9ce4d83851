"""Behaviour: the contacts each customer has with the shop, channel by channel.

Every stream is a Poisson process per customer whose intensity follows the
persona's season and the channel's weekly and daily rhythm. Streams that can
change a customer's fate (online orders and their deliveries, care contacts,
author events) are drawn first over the whole window; :mod:`churn` then turns
them into a churn time, and the remaining streams are drawn only while the
customer is still a customer.
"""

from __future__ import annotations

import numpy as np

from esperia.demo.business import (
    ASPECTS,
    CITIES,
    PERSONA_INDEX,
    PERSONAS,
    aspect_weights,
    persona_array,
    touchpoint_index,
)
from esperia.demo.cohort import Cohort, pick_rows
from esperia.demo.frames import (
    CATEGORIES,
    EVENT_SCHEMA,
    EVENT_TYPES,
    ORDER_SCHEMA,
    OUTCOMES,
    SURVEY_TOPICS,
    Frame,
    concat,
    new_frame,
)
from esperia.demo.timeline import Calendar, Rhythm, RhythmGrid

__all__ = [
    "CARE_PROMISE_S",
    "CES_POINT_S",
    "WAIT_SATISFACTION",
    "Marks",
    "StreamKit",
    "fateful_streams",
    "lognormal",
    "snap_hours",
]

_SEASONS = np.array([p.season for p in PERSONAS])
_RHYTHMS = {
    "store": Rhythm("shop", "shop"),
    "cafe": Rhythm("cafe", "cafe"),
    "online": Rhythm("online", "online"),
    "phone": Rhythm("phone", "phone", "care"),
    "chat": Rhythm("chat", "chat", "care"),
    "email": Rhythm("email", "email", "care"),
    "event": Rhythm("event", "event", "event"),
    "media": Rhythm("media", "media"),
    "newsletter": Rhythm("newsletter", "media"),
}
_TP = touchpoint_index
_T = EVENT_TYPES.index
_O = OUTCOMES.index
_A = ASPECTS.index
_S = SURVEY_TOPICS.index
_CARE_TP = np.array([_TP("TP-CARE-PHONE"), _TP("TP-CARE-CHAT"), _TP("TP-CARE-EMAIL")])
_CARE_TYPE = np.array([_T("call"), _T("chat"), _T("email")])
#: Promised answer time per care channel (phone, chat, email), in seconds.
CARE_PROMISE_S = np.array([120.0, 60.0, 86_400.0])
#: Waiting beyond the promise that costs one CES point (phone, chat, email).
CES_POINT_S = np.array([300.0, 300.0, 12 * 3600.0])
#: Satisfaction lost per CES point of waiting.
WAIT_SATISFACTION = 0.5
_EVENT_TP = np.array(
    [_TP("TP-EVENT-AUTHOR"), _TP("TP-EVENT-KIDS"), _TP("TP-EVENT-CLUB")]
)
_TRANSIT = np.array([c.transit for c in CITIES])
_CATEGORY_CUM = np.cumsum(
    np.array([[p.categories.get(c, 0.0) for c in CATEGORIES] for p in PERSONAS]),
    axis=1,
)
_CATEGORY_CUM /= _CATEGORY_CUM[:, -1:]
_ONLINE_ASPECTS = aspect_weights(("app", "price", "payment", "range", "gift"))
_ANY_ASPECT = aspect_weights()
_FAMILY = PERSONA_INDEX["famiglia"]
_BUSINESS = PERSONA_INDEX["professionista"]


def _rate(name: str) -> np.ndarray:
    return persona_array("rates", name)


class StreamKit:
    """Pre-computed intensity grids for one calendar."""

    def __init__(self, calendar: Calendar) -> None:
        self.cal = calendar
        self.grids = {k: RhythmGrid(calendar, r, _SEASONS) for k, r in _RHYTHMS.items()}

    def poisson(
        self,
        rng: np.random.Generator,
        stream: str,
        c: Cohort,
        rate: np.ndarray,
        hi: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Customer positions and times of one stream between start and ``hi``."""
        grid = self.grids[stream]
        lo = c.start
        lam = c.gamma * rate * grid.expected(c.persona, lo, np.maximum(hi, lo))
        idx = np.repeat(np.arange(c.n), rng.poisson(lam))
        t = grid.sample(rng, c.persona[idx], lo[idx], np.maximum(hi, lo)[idx])
        return idx, t


class Marks:
    """Times of the experiences that move the churn hazard, by customer position."""

    def __init__(self) -> None:
        self.late: tuple[np.ndarray, np.ndarray] = (np.empty(0, np.int64), np.empty(0))
        self.unanswered: tuple[np.ndarray, np.ndarray] = (
            np.empty(0, np.int64),
            np.empty(0),
        )
        self.event: tuple[np.ndarray, np.ndarray] = (np.empty(0, np.int64), np.empty(0))


def lognormal(
    rng: np.random.Generator, median: float, sigma: float, n: int
) -> np.ndarray:
    """Right-skewed positive draws (durations, waits, baskets) around ``median``."""
    return median * np.exp(rng.normal(0.0, sigma, n))


def _working_time(cal: Calendar, rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Move arrival instants into courier hours (Mon-Sat, 8-19)."""
    day = np.floor(t)
    hour = (t - day) * 24
    day = day + (hour >= 19)
    pushed = (hour >= 19) | (hour < 8)
    d = np.clip(day.astype(np.int64), 0, cal.days)
    day = day + (cal.weekday[d] == 6)
    new_hour = np.where(pushed, 8 + rng.random(len(t)) * 4, hour)
    return day + new_hour / 24


def snap_hours(
    cal: Calendar, rng: np.random.Generator, kit: StreamKit, stream: str, t: np.ndarray
) -> np.ndarray:
    """A time on the same or next day, at an hour typical of ``stream``.

    Phone care is closed on Sundays, so phone times move to Monday.
    """
    grid = kit.grids[stream]
    hour = np.searchsorted(grid.hour_cdf, rng.random(len(t)), side="right")
    snapped = np.floor(t) + (hour + rng.random(len(t))) / 24
    snapped = np.where(snapped < t, snapped + 1, snapped)
    d = np.clip(snapped.astype(np.int64), 0, cal.days)
    closed = cal.weekday[d] == 6 if stream == "phone" else np.zeros(len(t), bool)
    return snapped + closed


def _online_orders(
    rng: np.random.Generator, kit: StreamKit, c: Cohort, marks: Marks
) -> tuple[Frame, Frame]:
    cal = kit.cal
    horizon = np.full(c.n, float(cal.days))
    web_idx, web_t = kit.poisson(rng, "online", c, _rate("online")[c.persona], horizon)
    b2b_idx, b2b_t = kit.poisson(rng, "email", c, _rate("b2b")[c.persona], horizon)
    idx = np.concatenate([web_idx, b2b_idx])
    t = np.concatenate([web_t, b2b_t])
    b2b = np.arange(len(idx)) >= len(web_idx)
    n = len(idx)
    p = c.persona[idx]
    app = rng.random(n) < persona_array("app_share")[p]
    channel = np.where(b2b, _TP("TP-B2B"), np.where(app, _TP("TP-APP"), _TP("TP-WEB")))
    month = cal.month[np.clip(t.astype(np.int64), 0, cal.days)]
    # Professionals' basket is a bulk order; on the website they buy for themselves.
    basket = persona_array("basket_eur")[p] * np.where(b2b | (p != _BUSINESS), 1.0, 0.3)
    gift_peak = np.where((month == 11) & (p == _FAMILY), 1.3, 1.0)
    revenue = np.round(basket * gift_peak * np.exp(rng.normal(-0.125, 0.5, n)), 2)
    items = 1 + rng.poisson(np.maximum(persona_array("items")[p] - 1, 0.1))
    mix = np.array([p_.delivery_mix for p_ in PERSONAS])
    mode = pick_rows(rng, np.cumsum(mix, axis=1), p)
    mode = np.where((mode == 2) & (c.store[idx] < 0), 0, mode)
    mode = np.where(b2b, 0, mode)
    # Courier and locker transit; December and the south are slower, weekends
    # and evenings push the hand-over to the next working morning.
    transit = _TRANSIT[c.city[idx]] * np.where(month == 11, 1.3, 1.0)
    hours = np.where(
        mode == 1, lognormal(rng, 32, 0.35, n), lognormal(rng, 22, 0.35, n)
    )
    arrive = _working_time(cal, rng, t + hours * transit / 24)
    arrive = arrive + (rng.random(n) < 0.03) * 1.0  # a failed first attempt
    promised = np.where(mode == 1, 72.0, 48.0)
    pickup = t + rng.uniform(3, 24, n) / 24 + rng.exponential(1.5, n)
    pickup = snap_hours(cal, rng, kit, "store", pickup)
    done = np.where(mode == 2, pickup, arrive)
    delivery_hours = np.round((arrive - t) * 24, 1)
    late = (mode != 2) & (delivery_hours > promised)
    uid = np.arange(n)
    cust = c.offset + idx

    orders = new_frame(
        ORDER_SCHEMA, n, uid=uid, cust=cust, t=t, done=done, tp=channel,
        revenue=revenue, margin=np.round(revenue * rng.uniform(0.16, 0.28, n), 2),
        items=items, category=pick_rows(rng, _CATEGORY_CUM, p), mode=mode,
    )  # fmt: skip
    aspect = np.where(b2b, _A("invoice"), pick_rows(rng, _ONLINE_ASPECTS, p))
    purchase = new_frame(
        EVENT_SCHEMA, n, cust=cust, tp=channel, t=t, type=_T("purchase"),
        outcome=_O("ok"), duration=np.round(lognormal(rng, 420, 0.5, n)), value=revenue,
        order=uid, exp=rng.normal(0.1, 0.3, n), aspect=aspect,
        survey=_S("post_purchase"),
    )  # fmt: skip
    failed = (~b2b) & (rng.random(n) < 0.03)
    nf = int(failed.sum())
    tried = np.maximum(t[failed] - rng.uniform(2, 20, nf) / 1440, c.start[idx[failed]])
    failures = new_frame(
        EVENT_SCHEMA, nf, cust=cust[failed], tp=_TP("TP-CHECKOUT"), t=tried,
        type=_T("purchase"),
        outcome=_O("failed"), value=revenue[failed], order=uid[failed], exp=-1.0,
        aspect=_A("payment"),
    )  # fmt: skip
    shipped = mode != 2
    overdue = np.clip(delivery_hours - promised, 0, None)
    ns = int(shipped.sum())
    delivery = new_frame(
        EVENT_SCHEMA, ns, cust=cust[shipped],
        tp=np.where(mode[shipped] == 1, _TP("TP-LOCKER"), _TP("TP-COURIER")),
        t=arrive[shipped], type=_T("delivery"),
        outcome=np.where(late[shipped], _O("late"), _O("ok")),
        order=uid[shipped], delivery_hours=delivery_hours[shipped],
        promised_hours=promised[shipped],
        exp=np.where(late[shipped], -1.2 - np.minimum(overdue[shipped] * 0.02, 1.5),
                     0.3),
        aspect=_A("delivery"), survey=_S("post_delivery"),
    )  # fmt: skip
    collected = ~shipped
    npk = int(collected.sum())
    pickups = new_frame(
        EVENT_SCHEMA, npk, cust=cust[collected], tp=_TP("TP-PICKUP"),
        t=pickup[collected], type=_T("pickup"), outcome=_O("ok"),
        duration=np.round(lognormal(rng, 300, 0.4, npk)), order=uid[collected],
        exp=0.2, aspect=_A("staff"),
    )  # fmt: skip
    marks.late = (idx[late], arrive[late])
    return concat(EVENT_SCHEMA, [failures, purchase, delivery, pickups]), orders


def _care_contacts(
    rng: np.random.Generator, kit: StreamKit, c: Cohort, marks: Marks
) -> Frame:
    cal = kit.cal
    horizon = np.full(c.n, float(cal.days))
    mix = np.array([p.care_mix for p in PERSONAS])
    parts_idx, parts_t, parts_ch = [], [], []
    for channel, stream in enumerate(("phone", "chat", "email")):
        rate = _rate("care")[c.persona] * mix[c.persona, channel]
        idx, t = kit.poisson(rng, stream, c, rate, horizon)
        parts_idx.append(idx)
        parts_t.append(t)
        parts_ch.append(np.full(len(idx), channel))
    spontaneous = sum(len(i) for i in parts_idx)
    reasons = rng.choice(4, spontaneous, p=[0.45, 0.2, 0.15, 0.2])
    # A late parcel makes some customers complain, on their usual channel.
    late_idx, late_t = marks.late
    angry = rng.random(len(late_idx)) < 0.35
    a_idx = late_idx[angry]
    a_ch = pick_rows(rng, np.cumsum(mix, axis=1), c.persona[a_idx])
    a_t = late_t[angry] + rng.uniform(0.02, 2.0, len(a_idx))
    for channel, stream in enumerate(("phone", "chat", "email")):
        sel = a_ch == channel
        a_t[sel] = snap_hours(cal, rng, kit, stream, a_t[sel])
    idx = np.concatenate([*parts_idx, a_idx])
    t = np.concatenate([*parts_t, a_t])
    ch = np.concatenate([*parts_ch, a_ch]).astype(np.int64)
    reason = np.concatenate([reasons, np.full(len(a_idx), 2)])
    triggered = np.arange(len(idx)) >= spontaneous
    n = len(idx)
    p = c.persona[idx]

    d = np.clip(t.astype(np.int64), 0, cal.days)
    hour = (t - np.floor(t)) * 24
    load = 1 + 0.5 * (cal.month[d] == 11) + 0.3 * (cal.weekday[d] == 0)
    load = load + 0.25 * ((hour >= 10) & (hour < 12))
    wait = load * np.select(
        [ch == 0, ch == 1],
        [lognormal(rng, 120, 1.0, n), lognormal(rng, 45, 1.2, n)],
        lognormal(rng, 8 * 3600, 1.0, n),
    )
    # Callers hang up when their patience runs out; some lines drop at peaks.
    patience = np.where(
        ch == 0, lognormal(rng, 900, 0.6, n), lognormal(rng, 600, 0.6, n)
    )
    dropped = rng.random(n) < np.where(ch == 0, 0.05, 0.03) * load
    gave_up = np.where(ch == 2, rng.random(n) < 0.1, (wait > patience) | dropped)
    wait = np.where(
        ch == 2, np.where(gave_up, np.nan, wait), np.minimum(wait, patience)
    )
    wait = np.minimum(np.round(wait), 14 * 86_400.0)
    talk = np.select(
        [ch == 0, ch == 1], [lognormal(rng, 300, 0.5, n), lognormal(rng, 480, 0.5, n)],
        np.nan,
    )  # fmt: skip
    p_resolve = np.array([0.92, 0.85, 0.65, 0.8])[reason]
    resolved = rng.random(n) < p_resolve
    excess = np.where(
        gave_up, 0.0, np.clip(np.nan_to_num(wait) - CARE_PROMISE_S[ch], 0, None)
    )
    ces_penalty = excess / CES_POINT_S[ch]
    exp = np.where(
        gave_up, -2.0, np.where(resolved, 0.3, -1.0) - WAIT_SATISFACTION * ces_penalty
    )
    outcome = np.where(
        gave_up, _O("unanswered"), np.where(resolved, _O("resolved"), _O("unresolved"))
    )
    topic = np.select(
        [reason == 1, reason == 3, triggered],
        [_A("delivery"), _A("returns"), _A("delivery")],
        pick_rows(rng, _ANY_ASPECT, p),
    )
    complaint = reason == 2
    frame = new_frame(
        EVENT_SCHEMA, n, cust=c.offset + idx, tp=_CARE_TP[ch], t=t,
        type=np.where(complaint, _T("complaint"), _CARE_TYPE[ch]), outcome=outcome,
        duration=np.where(gave_up, 0.0, np.round(talk)), wait=wait, reason=reason,
        exp=exp, aspect=topic, survey=np.where(gave_up, -1, _S("post_contact")),
        ces_penalty=ces_penalty, unresolved=~gave_up & ~resolved,
    )  # fmt: skip
    lost = complaint & gave_up
    marks.unanswered = (idx[lost], t[lost])
    return frame


def _author_events(
    rng: np.random.Generator, kit: StreamKit, c: Cohort, marks: Marks
) -> Frame:
    horizon = np.full(c.n, float(kit.cal.days))
    rate = _rate("event")[c.persona] * (c.store >= 0)
    idx, t = kit.poisson(rng, "event", c, rate, horizon)
    n = len(idx)
    mix = np.cumsum(np.array([p.event_mix for p in PERSONAS]), axis=1)
    kind = pick_rows(rng, mix, c.persona[idx])
    good = rng.random(n) < 0.9
    frame = new_frame(
        EVENT_SCHEMA, n, cust=c.offset + idx, tp=_EVENT_TP[kind], t=t,
        type=_T("event"), outcome=_O("attended"),
        duration=np.round(lognormal(rng, 5400, 0.2, n)),
        exp=np.where(good, 1.2, -0.8), aspect=_A("events"), survey=_S("post_event"),
    )  # fmt: skip
    order = np.lexsort((t, idx))
    first = np.ones(n, dtype=bool)
    first[1:] = idx[order][1:] != idx[order][:-1]
    marks.event = (idx[order][first], t[order][first])
    return frame


def fateful_streams(
    rng: np.random.Generator, kit: StreamKit, c: Cohort
) -> tuple[Frame, Frame, Marks]:
    """Orders, deliveries, care contacts and events over the whole window.

    Returns the events, the orders and the marks the churn model needs. Rows
    after a customer's churn are removed later by the caller.
    """
    marks = Marks()
    online_events, orders = _online_orders(rng, kit, c, marks)
    care = _care_contacts(rng, kit, c, marks)
    events = _author_events(rng, kit, c, marks)
    return concat(EVENT_SCHEMA, [online_events, care, events]), orders, marks
