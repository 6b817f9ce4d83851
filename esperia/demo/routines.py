"""Everyday contacts, drawn only while a customer is still a customer.

Shop visits and till purchases, the café, browsing, newsletters, ads, social
pages, the loyalty card, returns of online orders, reviews triggered by strong
experiences, and the first touch that brought each new customer in.
"""

from __future__ import annotations

import numpy as np

from esperia.demo.business import (
    ASPECTS,
    CITIES,
    PERSONA_INDEX,
    PERSONAS,
    STORE_TOUCHPOINTS,
    aspect_weights,
    persona_array,
    touchpoint_index,
)
from esperia.demo.cohort import ACQUISITION, Cohort, pick_rows
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
    take,
)
from esperia.demo.journeys import StreamKit, lognormal, snap_hours

__all__ = ["daily_streams", "returns_and_reviews"]

_TP = touchpoint_index
_T = EVENT_TYPES.index
_O = OUTCOMES.index
_A = ASPECTS.index
_S = SURVEY_TOPICS.index
_STORE_TPS = STORE_TOUCHPOINTS[STORE_TOUCHPOINTS >= 0]
_STORE_CUM = np.cumsum([c.weight for c in CITIES if c.has_store])
_STORE_CUM = (_STORE_CUM / _STORE_CUM[-1])[None, :]
_CATEGORY_CUM = np.cumsum(
    np.array([[p.categories.get(c, 0.0) for c in CATEGORIES] for p in PERSONAS]),
    axis=1,
)
_CATEGORY_CUM /= _CATEGORY_CUM[:, -1:]
_STORE_ASPECTS = aspect_weights(
    ("staff", "range", "price", "wait", "atmosphere", "gift", "used")
)
_ANY_ASPECT = aspect_weights()
_FAMILY = PERSONA_INDEX["famiglia"]
_BUSINESS = PERSONA_INDEX["professionista"]
#: Personas who mostly meet the shop online (they review the web shop).
_ONLINE_PEOPLE = (PERSONA_INDEX["digitale"], _BUSINESS)
_YOUNG = (PERSONA_INDEX["digitale"], PERSONA_INDEX["studente"])
#: Where each persona meets ads: social ads, search ads, posters, the press.
_AD_TP = np.array(
    [_TP("TP-ADS-SOCIAL"), _TP("TP-ADS-SEARCH"), _TP("TP-ADS-PRINT"), _TP("TP-PRESS")]
)
_AD_CUM = np.cumsum(
    np.array(
        [
            [0.3, 0.1, 0.3, 0.3],
            [0.45, 0.45, 0.05, 0.05],
            [0.45, 0.2, 0.3, 0.05],
            [0.7, 0.2, 0.1, 0.0],
            [0.1, 0.5, 0.1, 0.3],
        ]
    ),
    axis=1,
)
_FIRST_TOUCH = {
    "negozio": (-1, "visit", "ok"),
    "ricerca": (_TP("TP-ADS-SEARCH"), "ad_view", "clicked"),
    "social": (_TP("TP-ADS-SOCIAL"), "ad_view", "clicked"),
    "stampa": (_TP("TP-PRESS"), "press_mention", "seen"),
    "affissioni": (_TP("TP-ADS-PRINT"), "ad_view", "seen"),
    "passaparola": (_TP("TP-WOM"), "referral", "ok"),
}


def _rate(name: str) -> np.ndarray:
    return persona_array("rates", name)


def _random_store(rng: np.random.Generator, n: int) -> np.ndarray:
    return _STORE_TPS[pick_rows(rng, _STORE_CUM, np.zeros(n, dtype=np.int64))]


def _shop(
    rng: np.random.Generator, kit: StreamKit, c: Cohort, hi: np.ndarray, uid0: int
) -> tuple[Frame, Frame]:
    cal = kit.cal
    local = c.store >= 0
    rate = _rate("store")[c.persona] * np.where(local, 1.0, 0.12)
    idx, t = kit.poisson(rng, "store", c, rate, hi)
    n = len(idx)
    p = c.persona[idx]
    away = (c.store[idx] < 0) | (rng.random(n) < 0.05)
    tp = np.where(away, _random_store(rng, n), c.store[idx])
    duration = np.round(lognormal(rng, 1200, 0.5, n))
    visits = new_frame(
        EVENT_SCHEMA, n, cust=c.offset + idx, tp=tp, t=t, type=_T("visit"),
        outcome=_O("ok"), duration=duration,
    )  # fmt: skip
    buy = rng.random(n) < persona_array("store_conversion")[p]
    b_idx, b_p, b_tp = idx[buy], p[buy], tp[buy]
    nb = len(b_idx)
    b_t = np.minimum(t[buy] + duration[buy] / 86_400 * 0.9, np.nextafter(hi[b_idx], 0))
    d = np.clip(b_t.astype(np.int64), 0, cal.days)
    busy = (cal.weekday[d] == 5) | (cal.month[d] == 11)
    wait = np.round(lognormal(rng, 70, 0.9, nb) * np.where(busy, 1.6, 1.0))
    basket = persona_array("basket_eur")[b_p] * np.where(b_p == _BUSINESS, 0.3, 1.0)
    revenue = np.round(basket * np.exp(rng.normal(-0.125, 0.5, nb)), 2)
    uid = uid0 + np.arange(nb)
    slow = wait > 300
    purchases = new_frame(
        EVENT_SCHEMA, nb, cust=c.offset + b_idx, tp=b_tp, t=b_t, type=_T("purchase"),
        outcome=_O("ok"), duration=np.round(lognormal(rng, 90, 0.4, nb)), wait=wait,
        value=revenue, order=uid, exp=rng.normal(0.3, 0.3, nb) - 0.6 * slow,
        aspect=np.where(slow, _A("wait"), pick_rows(rng, _STORE_ASPECTS, b_p)),
        survey=_S("post_purchase"),
    )  # fmt: skip
    orders = new_frame(
        ORDER_SCHEMA, nb, uid=uid, cust=c.offset + b_idx, t=b_t, done=b_t, tp=b_tp,
        revenue=revenue, margin=np.round(revenue * rng.uniform(0.26, 0.34, nb), 2),
        items=1 + rng.poisson(np.maximum(persona_array("items")[b_p] - 1, 0.1)),
        category=pick_rows(rng, _CATEGORY_CUM, b_p), mode=3,
    )  # fmt: skip
    return concat(EVENT_SCHEMA, [visits, purchases]), orders


def _cafe(
    rng: np.random.Generator, kit: StreamKit, c: Cohort, hi: np.ndarray, uid0: int
) -> tuple[Frame, Frame]:
    rate = _rate("cafe")[c.persona] * (c.store >= 0)
    idx, t = kit.poisson(rng, "cafe", c, rate, hi)
    n = len(idx)
    revenue = np.round(lognormal(rng, 6.0, 0.35, n), 2)
    wait = np.round(lognormal(rng, 90, 0.7, n))
    good = rng.random(n) < 0.9
    uid = uid0 + np.arange(n)
    events = new_frame(
        EVENT_SCHEMA, n, cust=c.offset + idx, tp=_TP("TP-CAFE"), t=t,
        type=_T("purchase"), outcome=_O("ok"),
        duration=np.round(lognormal(rng, 1800, 0.5, n)), wait=wait, value=revenue,
        order=uid, exp=np.where(good, 0.5, -0.8) - 0.5 * (wait > 180),
        aspect=_A("cafe"), survey=_S("post_purchase"),
    )  # fmt: skip
    orders = new_frame(
        ORDER_SCHEMA, n, uid=uid, cust=c.offset + idx, t=t, done=t,
        tp=_TP("TP-CAFE"), revenue=revenue, margin=np.round(revenue * 0.6, 2),
        items=1 + rng.poisson(0.4, n), category=CATEGORIES.index("caffetteria"), mode=3,
    )  # fmt: skip
    return events, orders


def _media(
    rng: np.random.Generator, kit: StreamKit, c: Cohort, hi: np.ndarray
) -> Frame:
    frames = []
    idx, t = kit.poisson(rng, "online", c, _rate("browse")[c.persona], hi)
    n = len(idx)
    app = rng.random(n) < persona_array("app_share")[c.persona[idx]]
    frames.append(
        new_frame(
            EVENT_SCHEMA,
            n,
            cust=c.offset + idx,
            t=t,
            type=_T("browse"),
            tp=np.where(app, _TP("TP-APP"), _TP("TP-WEB")),
            outcome=np.where(rng.random(n) < 0.12, _O("cart_abandoned"), _O("ok")),
            duration=np.round(lognormal(rng, 300, 0.8, n)),
        )
    )
    rate = _rate("newsletter")[c.persona] * c.consent_marketing
    idx, t = kit.poisson(rng, "newsletter", c, rate, hi)
    n = len(idx)
    frames.append(
        new_frame(
            EVENT_SCHEMA,
            n,
            cust=c.offset + idx,
            t=t,
            tp=_TP("TP-NEWSLETTER"),
            type=_T("newsletter_open"),
            outcome=np.where(rng.random(n) < 0.2, _O("clicked"), _O("opened")),
        )
    )
    idx, t = kit.poisson(rng, "media", c, _rate("ads")[c.persona], hi)
    n = len(idx)
    where = pick_rows(rng, _AD_CUM, c.persona[idx])
    press = where == 3
    frames.append(
        new_frame(
            EVENT_SCHEMA,
            n,
            cust=c.offset + idx,
            t=t,
            tp=_AD_TP[where],
            type=np.where(press, _T("press_mention"), _T("ad_view")),
            outcome=np.where(
                ~press & (rng.random(n) < 0.05), _O("clicked"), _O("seen")
            ),
        )
    )
    idx, t = kit.poisson(rng, "media", c, _rate("social")[c.persona], hi)
    n = len(idx)
    p = c.persona[idx]
    young = np.isin(p, _YOUNG)
    insta = rng.random(n) < np.where(young, 0.75, 0.4)
    comment = rng.random(n) < 0.15
    frames.append(
        new_frame(
            EVENT_SCHEMA,
            n,
            cust=c.offset + idx,
            t=t,
            tp=np.where(insta, _TP("TP-SOCIAL-IG"), _TP("TP-SOCIAL-FB")),
            type=np.where(comment, _T("comment"), _T("social_view")),
            outcome=np.where(comment, _O("published"), _O("ok")),
            exp=rng.normal(0, 0.5, n),
            aspect=pick_rows(rng, _ANY_ASPECT, p),
        )
    )
    rate = _rate("loyalty")[c.persona] * c.loyalty
    idx, t = kit.poisson(rng, "store", c, rate, hi)
    n = len(idx)
    frames.append(
        new_frame(
            EVENT_SCHEMA,
            n,
            cust=c.offset + idx,
            t=t,
            tp=_TP("TP-LOYALTY"),
            type=_T("loyalty_redeem"),
            outcome=_O("redeemed"),
            value=np.round(rng.choice([1.0, 2.0, 5.0, 10.0], n), 2),
        )
    )
    return concat(EVENT_SCHEMA, frames)


def _first_touch(rng: np.random.Generator, c: Cohort) -> Frame:
    """The contact that brought each customer who arrived inside the window."""
    new = np.flatnonzero(c.arrival >= 0)
    acq = c.acquisition[new]
    tp = np.zeros(len(new), dtype=np.int64)
    kind = np.zeros(len(new), dtype=np.int64)
    outcome = np.zeros(len(new), dtype=np.int64)
    for code, (touchpoint, type_, result) in _FIRST_TOUCH.items():
        sel = acq == ACQUISITION.index(code)
        tp[sel] = touchpoint
        kind[sel] = _T(type_)
        outcome[sel] = _O(result)
    walk_in = tp < 0
    home = c.store[new]
    tp = np.where(walk_in, np.where(home >= 0, home, _random_store(rng, len(new))), tp)
    return new_frame(
        EVENT_SCHEMA, len(new), cust=c.offset + new, tp=tp, t=c.arrival[new],
        type=kind, outcome=outcome,
    )  # fmt: skip


def daily_streams(
    rng: np.random.Generator, kit: StreamKit, c: Cohort, hi: np.ndarray, uid0: int
) -> tuple[Frame, Frame]:
    """Everyday events and till/café orders until ``hi`` (churn or window end)."""
    shop_events, shop_orders = _shop(rng, kit, c, hi, uid0)
    uid1 = uid0 + len(shop_orders["uid"])
    cafe_events, cafe_orders = _cafe(rng, kit, c, hi, uid1)
    events = concat(
        EVENT_SCHEMA,
        [_first_touch(rng, c), shop_events, cafe_events, _media(rng, kit, c, hi)],
    )
    return events, concat(ORDER_SCHEMA, [shop_orders, cafe_orders])


def returns_and_reviews(
    rng: np.random.Generator,
    kit: StreamKit,
    c: Cohort,
    hi: np.ndarray,
    events: Frame,
    orders: Frame,
) -> Frame:
    """Returns of delivered online orders and reviews after strong experiences.

    Marks returned orders in ``orders`` in place.
    """
    cal = kit.cal
    online = np.flatnonzero(orders["mode"] <= 2)
    o_local = orders["cust"][online] - c.offset
    p = c.persona[o_local]
    t_order = orders["t"][online]
    month = cal.month[np.clip(t_order.astype(np.int64), 0, cal.days)]
    p_return = np.where((p == _FAMILY) & ((month == 11) | (month == 0)), 0.09, 0.05)
    back = rng.random(len(online)) < p_return
    r_t = orders["done"][online] + rng.uniform(2, 20, len(online))
    r_t = snap_hours(cal, rng, kit, "online", r_t)
    back &= r_t < hi[o_local]
    orders["returned"][online[back]] = True
    nr = int(back.sum())
    ok = rng.random(nr) < 0.88
    returns = new_frame(
        EVENT_SCHEMA, nr, cust=orders["cust"][online[back]], tp=_TP("TP-RETURNS"),
        t=r_t[back], type=_T("return"),
        outcome=np.where(ok, _O("refunded"), _O("rejected")),
        value=-orders["revenue"][online[back]], order=orders["uid"][online[back]],
        exp=np.where(ok, -0.2, -1.3), aspect=_A("returns"), survey=_S("post_return"),
    )  # fmt: skip

    kind = events["type"]
    late = (kind == _T("delivery")) & (events["outcome"] == _O("late"))
    on_time = (kind == _T("delivery")) & (events["outcome"] == _O("ok"))
    lost = (kind == _T("complaint")) & (events["outcome"] == _O("unanswered"))
    met = (kind == _T("event")) & (events["exp"] > 0)
    bought = (kind == _T("purchase")) & np.isin(events["tp"], _STORE_TPS)
    chance = 0.07 * late + 0.01 * on_time + 0.15 * lost + 0.05 * met + 0.01 * bought
    pick = np.flatnonzero(rng.random(len(kind)) < chance)
    src = take(events, pick)
    local = src["cust"] - c.offset
    t = src["t"] + rng.uniform(0.1, 4.0, len(pick))
    keep = t < hi[local]
    digital_persona = np.isin(c.persona[local], _ONLINE_PEOPLE)
    shop_review = (
        np.isin(src["type"], (_T("delivery"), _T("purchase")))
        & ~np.isin(src["tp"], _STORE_TPS)
    ) | (lost[pick] & digital_persona)
    tp = np.where(shop_review, _TP("TP-REVIEWS-SHOP"), _TP("TP-REVIEWS-MAPS"))
    aspect = np.where(lost[pick], _A("care"), src["aspect"])
    reviews = new_frame(
        EVENT_SCHEMA, int(keep.sum()), cust=src["cust"][keep], tp=tp[keep], t=t[keep],
        type=_T("review"), outcome=_O("published"), exp=src["exp"][keep],
        aspect=aspect[keep],
    )  # fmt: skip
    return concat(EVENT_SCHEMA, [returns, reviews])
