"""The planted truth, written down: parameters of every effect and what came out.

The dict is JSON-serialisable (plain str, int, float, bool, list and dict), so
it can be stored next to the demo workspace and read back by tests or docs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from esperia.demo.business import (
    ASPECT_MODULES,
    ASPECTS,
    BUSINESS_NAME,
    CITIES,
    PERSONAS,
    TOUCHPOINTS,
)
from esperia.demo.churn import (
    EVENT_HR,
    LATE_DELIVERY_HR,
    ONBOARDING_DAYS,
    ONBOARDING_HR,
    UNANSWERED_COMPLAINT_HR,
)
from esperia.demo.frames import SURVEY_TOPICS, Frame
from esperia.demo.journeys import CARE_PROMISE_S, CES_POINT_S, WAIT_SATISFACTION
from esperia.demo.texts import phrase_count
from esperia.demo.timeline import Calendar
from esperia.demo.voice import (
    CES_BASE,
    CSAT_SCALE,
    HISTORY_EFFECTS,
    NPS_SCALE,
    REFERRAL_WEIGHTS,
)

__all__ = ["ground_truth"]


def _share(part: float, whole: float) -> float:
    return round(float(part) / float(whole), 4) if whole else 0.0


def _personas() -> list[dict[str, Any]]:
    return [
        {
            "code": p.code,
            "label_it": p.label_it,
            "label_en": p.label_en,
            "description": p.description,
            "share": p.share,
            "birth_years": list(p.birth_years),
            "english_share": p.english,
            "monthly_rates": dict(p.rates),
            "basket_eur": p.basket_eur,
            "care_mix": dict(zip(("phone", "chat", "email"), p.care_mix, strict=True)),
            "base_churn_monthly": p.base_churn_monthly,
            "cares_about": sorted(p.aspects, key=lambda a: -p.aspects[a])[:4],
        }
        for p in PERSONAS
    ]


def ground_truth(
    cal: Calendar,
    seed: int,
    tables: dict[str, pa.Table],
    feedback: Frame,
    fb_customer_row: np.ndarray,
    persona: np.ndarray,
    churned: np.ndarray,
    counts: dict[str, np.ndarray],
    referrals: np.ndarray,
    referred: np.ndarray,
    tone: np.ndarray,
) -> dict[str, Any]:
    """Everything a test needs to know about what was planted."""
    n = len(persona)
    answered = np.zeros(n, dtype=bool)
    promoter = np.zeros(n, dtype=bool)
    with_nps = (feedback["nps"] >= 0) & (fb_customer_row >= 0)
    answered[fb_customer_row[with_nps]] = True
    promoter[fb_customer_row[with_nps & (feedback["nps"] >= 9)]] = True
    others = answered & ~promoter
    attended = counts["events"] > 0
    has_text = feedback["style"] >= 0
    event_texts = has_text & (feedback["topic"] == SURVEY_TOPICS.index("post_event"))
    relate = event_texts & (feedback["aspect1"] == ASPECTS.index("events"))
    english = feedback["english"][has_text]
    return {
        "version": 1,
        "business": {
            "name": BUSINESS_NAME,
            "seed": seed,
            "start": cal.start.isoformat(),
            "end": cal.end.isoformat(),
            "timezone": "Europe/Rome",
            "customers": n,
            "stores": [c.name for c in CITIES if c.has_store],
            "touchpoints": len(TOUCHPOINTS),
        },
        "rows": {name: table.num_rows for name, table in tables.items()},
        "personas": _personas(),
        "customer_truth": (
            "DemoData.ground_truth_customers: customer_id, persona, churned, "
            "churned_at, late_deliveries, unanswered_complaints, events_attended, "
            "referrals_made"
        ),
        "feedback_truth": (
            "DemoData.ground_truth_feedback: feedback_id, tone, aspect, "
            "aspect_polarity, aspect2, aspect2_polarity, module"
        ),
        "effects": {
            "churn": {
                "model": "proportional hazard, piecewise constant between experiences",
                "base_monthly_hazard": {p.code: p.base_churn_monthly for p in PERSONAS},
                "onboarding_hazard_ratio": ONBOARDING_HR,
                "onboarding_days": ONBOARDING_DAYS,
                "churned_share": _share(churned.sum(), n),
                "churned_share_by_persona": {
                    p.code: _share(churned[persona == i].sum(), (persona == i).sum())
                    for i, p in enumerate(PERSONAS)
                },
                "after_churn": "no interactions, orders or feedback",
            },
            "late_delivery_churn": {
                "hazard_ratio_per_late_delivery": LATE_DELIVERY_HR,
                "late_definition": "delivery_hours > promised_hours, the "
                "touchpoint's promise_target (48 courier, 72 locker)",
                "late_share_of_deliveries": _share(
                    counts["late"].sum(), counts["deliveries"].sum()
                ),
                "late_complaint_probability": 0.35,
            },
            "unanswered_complaint_churn": {
                "hazard_ratio_per_unanswered_complaint": UNANSWERED_COMPLAINT_HR,
                "unanswered_share_of_complaints": _share(
                    counts["unanswered"].sum(), counts["complaints"].sum()
                ),
            },
            "event_retention": {
                "hazard_ratio_after_first_event": EVENT_HR,
                "attendees": int(attended.sum()),
                "churned_share_attendees": _share(
                    churned[attended].sum(), attended.sum()
                ),
                "churned_share_others": _share(
                    churned[~attended].sum(), (~attended).sum()
                ),
                "event_feedback_relate_share": _share(relate.sum(), event_texts.sum()),
                "relate_aspect": "events",
            },
            "wait_effort": {
                "promise_wait_s": dict(
                    zip(
                        ("phone", "chat", "email"), CARE_PROMISE_S.tolist(), strict=True
                    )
                ),
                "ces_points_per_extra_5_min": -1.0,
                "ces_point_seconds": dict(
                    zip(("phone", "chat", "email"), CES_POINT_S.tolist(), strict=True)
                ),
                "ces_formula": f"{CES_BASE} + 0.25*baseline - extra_wait/ces_point_s "
                "- 1 if unresolved + N(0, 0.7), rounded, clipped to 1..7",
                "ces_scale": "1 = very hard, 7 = very easy (higher is better)",
                "csat_points_per_extra_5_min": round(
                    -WAIT_SATISFACTION * CSAT_SCALE[1], 3
                ),
            },
            "referrals": {
                "weights_per_answer": dict(REFERRAL_WEIGHTS),
                "window_days": 90,
                "referred_customers": int(referred.sum()),
                "referrals_per_customer": {
                    "ever_promoter": _share(referrals[promoter].sum(), promoter.sum()),
                    "answered_never_promoter": _share(
                        referrals[others].sum(), others.sum()
                    ),
                    "never_answered": _share(
                        referrals[~answered].sum(), (~answered).sum()
                    ),
                },
            },
            "satisfaction": {
                "nps": f"{NPS_SCALE[0]} + {NPS_SCALE[1]} * satisfaction",
                "csat": f"{CSAT_SCALE[0]} + {CSAT_SCALE[1]} * satisfaction",
                "history_effects": dict(HISTORY_EFFECTS),
            },
        },
        "text": {
            "fragments": phrase_count(),
            "texts": int(has_text.sum()),
            "language_share": {
                "it": _share((~english).sum(), len(english)),
                "en": _share(english.sum(), len(english)),
            },
            "tone_share": {
                name: _share((tone == i).sum(), has_text.sum())
                for i, name in enumerate(("positive", "negative", "mixed", "neutral"))
            },
            "pii_share": _share((feedback["pii"][has_text] > 0).sum(), has_text.sum()),
            "aspect_modules": {a: m for a, m in ASPECT_MODULES.items()},
        },
    }
