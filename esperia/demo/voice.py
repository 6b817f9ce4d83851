"""The voice of the customer: surveys, reviews, social comments and care messages.

Scores come from one latent satisfaction per answer: the customer's baseline,
plus the experience being rated, plus the memory of earlier late deliveries,
unanswered complaints and author events, plus noise. Effort (CES) is driven
directly by how long the customer waited beyond the promise. What each text
talks about, and in which tone, follows the same numbers; the words themselves
are written later by :mod:`esperia.demo.texts`.
"""

from __future__ import annotations

import numpy as np

from esperia.demo.business import (
    ASPECTS,
    aspect_weights,
    persona_array,
    touchpoint_index,
)
from esperia.demo.cohort import Cohort, pick_rows
from esperia.demo.frames import (
    EVENT_TYPES,
    FEEDBACK_SCHEMA,
    OUTCOMES,
    REASONS,
    SOURCES,
    SURVEY_TOPICS,
    Frame,
    concat,
    new_frame,
)
from esperia.demo.texts import (
    NEG,
    NEU,
    PII_EMAIL_KIND,
    PII_NAME_KIND,
    PII_NONE,
    POS,
    STYLES,
)
from esperia.demo.timeline import Calendar

__all__ = [
    "CES_BASE",
    "HISTORY_EFFECTS",
    "NPS_SCALE",
    "REFERRAL_WEIGHTS",
    "anonymous_voice",
    "customer_voice",
    "nps_category",
]

_T = EVENT_TYPES.index
_O = OUTCOMES.index
_A = ASPECTS.index
_S = SURVEY_TOPICS.index
_SRC = SOURCES.index
_STYLE = STYLES.index
_ANY_ASPECT = aspect_weights()
_CARE_TYPES = (_T("call"), _T("chat"), _T("email"), _T("complaint"))
_ONLINE_TPS = (touchpoint_index("TP-WEB"), touchpoint_index("TP-APP"))
#: NPS = 7.3 + 1.5 * satisfaction, CSAT = 3.7 + 0.9 * satisfaction (rounded, clipped).
NPS_SCALE = (7.3, 1.5)
CSAT_SCALE = (3.7, 0.9)
#: CES = 5.6 + 0.25 * baseline - waiting penalty - 1 if unresolved (+ noise).
CES_BASE = 5.6
#: Satisfaction carried from earlier experiences (per late delivery, per
#: unanswered complaint, up to 3 and 2 of them; once for having attended events).
HISTORY_EFFECTS = {"late_delivery": -0.35, "unanswered_complaint": -0.7, "event": 0.3}
#: Relative chance that a new referred customer names an answer of each kind.
REFERRAL_WEIGHTS = {"promoter": 1.0, "passive": 0.2, "detractor": 0.04}
_INVITE = {
    "post_purchase": 0.3,
    "post_delivery": 0.4,
    "post_contact": 0.7,
    "post_event": 0.6,
    "post_return": 0.5,
}
_RELATIONSHIP_EVERY = 91.0


def nps_category(nps: np.ndarray) -> np.ndarray:
    """0 detractor (0-6), 1 passive (7-8), 2 promoter (9-10)."""
    return np.where(nps >= 9, 2, np.where(nps >= 7, 1, 0))


class _History:
    """Counts of a customer's earlier experiences, looked up by (customer, time)."""

    def __init__(self, local: np.ndarray, t: np.ndarray, span: float) -> None:
        self.span = span
        self.keys = np.sort(local * span + t)

    def before(self, local: np.ndarray, t: np.ndarray) -> np.ndarray:
        upto = np.searchsorted(self.keys, local * self.span + t, side="left")
        start = np.searchsorted(self.keys, local * self.span, side="left")
        return upto - start


def _scores(
    rng: np.random.Generator, satisfaction: np.ndarray, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    s = satisfaction + rng.normal(0.0, noise, len(satisfaction))
    nps = np.clip(np.round(NPS_SCALE[0] + NPS_SCALE[1] * s), 0, 10)
    csat = np.clip(np.round(CSAT_SCALE[0] + CSAT_SCALE[1] * s), 1, 5)
    return nps.astype(np.int8), csat.astype(np.int8)


def _second_aspect(
    rng: np.random.Generator, persona: np.ndarray, first: np.ndarray
) -> np.ndarray:
    second = pick_rows(rng, _ANY_ASPECT, persona)
    again = pick_rows(rng, _ANY_ASPECT, persona)
    second = np.where(second == first, again, second)
    return np.where(second == first, (first + 1) % len(ASPECTS), second)


def _text_plan(
    rng: np.random.Generator,
    tone: np.ndarray,
    persona: np.ndarray,
    aspect: np.ndarray,
    valence: np.ndarray,
    fallback: np.ndarray,
    p_second: float,
) -> dict[str, np.ndarray]:
    """Aspects and polarities for texts of a tone (0 pos, 1 neg, 2 mixed, 3 neu).

    The experience's own aspect leads when its valence agrees with the tone;
    otherwise ``fallback`` (what the customer remembers) does.
    """
    n = len(tone)
    agrees = np.where(tone == 0, valence >= 0, np.where(tone == 1, valence < 0, True))
    first = np.where(agrees, aspect, fallback)
    pol1 = np.select(
        [tone == 0, tone == 1, tone == 3],
        [POS, NEG, NEU],
        np.where(valence >= 0, POS, NEG),
    )
    second = _second_aspect(rng, persona, first)
    two = (tone == 2) | ((tone < 2) & (rng.random(n) < p_second))
    pol2 = np.where(tone == 2, np.where(pol1 == POS, NEG, POS), pol1)
    pol2 = np.where(two, pol2, -1)
    return {"aspect1": first, "polarity1": pol1, "aspect2": second, "polarity2": pol2}


def _experience_aspect(events: Frame, rows: np.ndarray) -> np.ndarray:
    """What a survey about a care contact is really about: waiting, or the help."""
    aspect = events["aspect"][rows].astype(np.int64)
    care = np.isin(events["type"][rows], _CARE_TYPES)
    waited = events["ces_penalty"][rows] > 0.3
    return np.where(care, np.where(waited, _A("wait"), _A("care")), aspect)


def customer_voice(
    rng: np.random.Generator,
    cal: Calendar,
    c: Cohort,
    events: Frame,
    event_offset: int,
    hi: np.ndarray,
) -> Frame:
    """Feedback of one cohort, linked to ``events`` (positions + ``event_offset``)."""
    local_all = events["cust"] - c.offset
    kind, outcome = events["type"], events["outcome"]
    span = float(cal.days + 10)
    late = _History(
        *_select(
            local_all, events["t"], (kind == _T("delivery")) & (outcome == _O("late"))
        ),
        span,
    )
    lost = _History(
        *_select(
            local_all,
            events["t"],
            (kind == _T("complaint")) & (outcome == _O("unanswered")),
        ),
        span,
    )
    met = _History(*_select(local_all, events["t"], kind == _T("event")), span)

    def history(local: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, ...]:
        n_late = np.minimum(late.before(local, t), 3)
        n_lost = np.minimum(lost.before(local, t), 2)
        n_met = met.before(local, t) > 0
        effect = (
            HISTORY_EFFECTS["late_delivery"] * n_late
            + HISTORY_EFFECTS["unanswered_complaint"] * n_lost
            + HISTORY_EFFECTS["event"] * n_met
        )
        return effect, n_late, n_lost

    def remembered(
        persona: np.ndarray, n_late: np.ndarray, n_lost: np.ndarray
    ) -> np.ndarray:
        pick = pick_rows(rng, _ANY_ASPECT, persona)
        return np.where(
            n_lost > 0, _A("care"), np.where(n_late > 0, _A("delivery"), pick)
        )

    frames = []
    # Transactional surveys after an interaction.
    topic = events["survey"]
    invite = np.zeros(len(topic))
    for name, chance in _INVITE.items():
        invite[topic == _S(name)] = chance
    invite[events["tp"] == touchpoint_index("TP-CAFE")] = 0.08
    persona_all = c.persona[local_all]
    respond = persona_array("survey_response")[persona_all] * np.where(
        np.abs(events["exp"]) >= 1.0, 1.5, 1.0
    )
    rows = np.flatnonzero(rng.random(len(topic)) < invite * respond)
    local = local_all[rows]
    t = events["t"][rows] + rng.uniform(0.05, 3.0, len(rows))
    keep = t < hi[local]
    rows, local, t = rows[keep], local[keep], t[keep]
    n = len(rows)
    p = c.persona[local]
    effect, n_late, n_lost = history(local, events["t"][rows])
    exp = events["exp"][rows].astype(np.float64)
    nps, csat = _scores(rng, c.satisfaction[local] + exp + effect, 0.6)
    ask_nps = rng.random(n) < 0.6
    wants_ces = np.isin(topic[rows], (_S("post_contact"), _S("post_return"))) | (
        np.isin(events["tp"][rows], _ONLINE_TPS) & (rng.random(n) < 0.5)
    )
    ces = CES_BASE + 0.25 * c.satisfaction[local] - events["ces_penalty"][rows]
    ces = ces - 1.0 * events["unresolved"][rows] + rng.normal(0, 0.7, n)
    ces = np.clip(np.round(ces), 1, 7).astype(np.int8)
    tone = np.where(csat >= 4, 0, np.where(csat <= 2, 1, 2))
    plan = _text_plan(
        rng, tone, p, _experience_aspect(events, rows), exp,
        remembered(p, n_late, n_lost), 0.35,
    )  # fmt: skip
    commented = rng.random(n) < np.where(csat <= 2, 0.65, 0.4)
    frames.append(
        new_frame(
            FEEDBACK_SCHEMA,
            n,
            cust=c.offset + local,
            t=t,
            source=_SRC("survey"),
            tp=events["tp"][rows],
            event=event_offset + rows,
            nps=np.where(ask_nps, nps, -1),
            csat=csat,
            ces=np.where(wants_ces, ces, -1),
            topic=topic[rows],
            english=c.english[local],
            style=np.where(commented, _STYLE("survey"), -1),
            emoji=rng.random(n) < 0.05,
            **plan,
        )
    )

    # Relationship NPS every quarter to customers who allow analytics contact.
    waves = np.arange(45.0, cal.days, _RELATIONSHIP_EVERY)
    for wave in waves:
        asked = np.flatnonzero((c.start <= wave) & (hi > wave) & c.consent_analytics)
        answer = (
            rng.random(len(asked)) < persona_array("survey_response")[c.persona[asked]]
        )
        local = asked[answer]
        t = wave + rng.exponential(3.0, len(local))
        local, t = local[t < hi[local]], t[t < hi[local]]
        n = len(local)
        p = c.persona[local]
        effect, n_late, n_lost = history(local, t)
        nps, _ = _scores(rng, c.satisfaction[local] + effect, 0.8)
        tone = np.where(nps >= 9, 0, np.where(nps <= 6, 1, 2))
        fallback = remembered(p, n_late, n_lost)
        valence = np.where(tone == 1, -1.0, 1.0)
        plan = _text_plan(rng, tone, p, fallback, valence, fallback, 0.35)
        commented = rng.random(n) < 0.35
        frames.append(
            new_frame(
                FEEDBACK_SCHEMA,
                n,
                cust=c.offset + local,
                t=t,
                source=_SRC("survey"),
                nps=nps,
                topic=_S("relationship"),
                english=c.english[local],
                style=np.where(commented, _STYLE("survey"), -1),
                **plan,
            )
        )

    # Reviews and social comments that are interactions of their own.
    for type_, source, style in (
        (_T("review"), "review", "review"),
        (_T("comment"), "social", "social"),
    ):
        rows = np.flatnonzero(kind == type_)
        local = local_all[rows]
        n = len(rows)
        p = c.persona[local]
        effect, n_late, n_lost = history(local, events["t"][rows])
        exp = events["exp"][rows].astype(np.float64)
        s = c.satisfaction[local] + exp + effect + rng.normal(0, 0.5, n)
        if source == "review":
            rating = np.clip(np.round(3.0 + 1.1 * s), 1, 5)
            tone = np.where(rating >= 4, 0, np.where(rating <= 2, 1, 2))
        else:
            rating = np.full(n, np.nan)
            tone = np.where(
                s > 0.7, 0, np.where(s < -0.4, 1, np.where(rng.random(n) < 0.6, 3, 2))
            )
        plan = _text_plan(
            rng, tone, p, events["aspect"][rows].astype(np.int64), exp,
            remembered(p, n_late, n_lost), 0.4 if source == "review" else 0.15,
        )  # fmt: skip
        pii = np.where((tone == 1) & (rng.random(n) < 0.04), PII_EMAIL_KIND, PII_NONE)
        frames.append(
            new_frame(
                FEEDBACK_SCHEMA,
                n,
                cust=c.offset + local,
                t=events["t"][rows],
                source=_SRC(source),
                tp=events["tp"][rows],
                event=event_offset + rows,
                rating=rating,
                english=c.english[local],
                style=_STYLE(style),
                emoji=rng.random(n) < (0.15 if source == "review" else 0.35),
                pii=pii + (rng.random(n) < 0.5) * (pii > 0),
                **plan,
            )
        )

    # What customers wrote to care by chat and e-mail.
    written = np.isin(kind, _CARE_TYPES) & np.isin(
        events["tp"],
        (touchpoint_index("TP-CARE-CHAT"), touchpoint_index("TP-CARE-EMAIL")),
    )
    rows = np.flatnonzero(written)
    local = local_all[rows]
    n = len(rows)
    complaint = events["reason"][rows] == REASONS.index("complaint")
    by_email = events["tp"][rows] == touchpoint_index("TP-CARE-EMAIL")
    tone = np.where(complaint, 1, 3)
    plan = _text_plan(
        rng, tone, c.persona[local], events["aspect"][rows].astype(np.int64),
        np.where(complaint, -1.0, 0.0), events["aspect"][rows].astype(np.int64), 0.2,
    )  # fmt: skip
    plan["polarity2"] = np.where(complaint, plan["polarity2"], -1)
    share = rng.random(n) < np.where(complaint, 0.25, 0.05)
    pii = np.where(share, PII_EMAIL_KIND + (rng.random(n) < 0.5), PII_NONE)
    pii = np.where(
        (pii == PII_NONE) & by_email & (rng.random(n) < 0.4), PII_NAME_KIND, pii
    )
    frames.append(
        new_frame(
            FEEDBACK_SCHEMA,
            n,
            cust=c.offset + local,
            t=events["t"][rows],
            source=np.where(by_email, _SRC("email"), _SRC("chat")),
            tp=events["tp"][rows],
            event=event_offset + rows,
            english=c.english[local],
            style=_STYLE("message"),
            emoji=~by_email & (rng.random(n) < 0.1),
            pii=pii,
            **plan,
        )
    )
    return concat(FEEDBACK_SCHEMA, frames)


def _select(
    local: np.ndarray, t: np.ndarray, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    return local[mask], t[mask]


def anonymous_voice(rng: np.random.Generator, cal: Calendar, n: int) -> Frame:
    """Reviews and social posts by people who are not (known) customers."""
    t = rng.uniform(0.0, cal.days, n)
    review = rng.random(n) < 0.6
    maps = rng.random(n) < 0.6
    insta = rng.random(n) < 0.6
    tp = np.where(
        review,
        np.where(
            maps,
            touchpoint_index("TP-REVIEWS-MAPS"),
            touchpoint_index("TP-REVIEWS-SHOP"),
        ),
        np.where(
            insta, touchpoint_index("TP-SOCIAL-IG"), touchpoint_index("TP-SOCIAL-FB")
        ),
    )
    s = rng.normal(0.3, 1.2, n)
    rating = np.where(review, np.clip(np.round(3.0 + 1.1 * s), 1, 5), np.nan)
    social_tone = np.where(s > 0.8, 0, np.where(s < -0.5, 1, 3))
    review_tone = np.where(rating >= 4, 0, np.where(rating <= 2, 1, 2))
    tone = np.where(review, review_tone, social_tone)
    persona = rng.choice(
        len(persona_array("share")),
        n,
        p=persona_array("share") / persona_array("share").sum(),
    )
    aspect = pick_rows(rng, _ANY_ASPECT, persona)
    plan = _text_plan(
        rng, tone, persona, aspect, np.where(tone == 1, -1.0, 1.0), aspect, 0.3
    )
    return new_frame(
        FEEDBACK_SCHEMA, n, t=t, tp=tp,
        source=np.where(review, _SRC("review"), _SRC("social")), rating=rating,
        english=rng.random(n) < 0.4,
        style=np.where(review, _STYLE("review"), _STYLE("social")),
        emoji=rng.random(n) < 0.25, **plan,
    )  # fmt: skip
