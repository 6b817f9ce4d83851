"""Experience to money: what a bad (or good) experience does to churn, in euros.

The engine follows each customer from their first activity until they left
(their last activity, when nothing followed for ``churn_inactivity_days``
before the data ends) or, for those who stayed, until ``churn_inactivity_days``
before the data ends (the last moment leaving can be seen). Follow-up is cut
only where a covariate changes (a day with an experience, a tenure band
boundary), so each spell has constant covariates: the running count of each
experience, the tenure band (weeks since the first contact) and controls for
who the customer is. Spells with the same covariates are summed in the engine
(days at risk, departures): the cells of a customer-day panel without its
rows. A piecewise-exponential proportional hazard model
(:mod:`esperia.value.hazard`) gives each experience's hazard ratio with its
confidence interval.

Money: with a monthly hazard h, a monthly discount d and hazard ratio HR, a
customer's remaining value scales as 1 / (h + d); one more incident moves it to
1 / (h * HR + d), so the expected CLV lost per incident is
CLV * (1 - (h + d) / (h * HR + d)) (a gain when HR < 1).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from esperia.config import Settings
from esperia.errors import InvalidInput, NotFound
from esperia.store.database import Store
from esperia.value.clv import DAYS_PER_MONTH, _monthly_rate
from esperia.value.engine import fetch_columns
from esperia.value.hazard import HazardFit, fit_poisson
from esperia.value.retention import month_index

__all__ = [
    "EXPERIENCES",
    "NEGATIVE_FEEDBACK",
    "NEGATIVE_SQL",
    "Experience",
    "ExperienceModel",
    "expected_loss_per_incident",
    "fit_experience_model",
    "revenue_at_risk",
]


@dataclass(frozen=True)
class Experience:
    """One kind of experience: how to find it, and whether it is counted."""

    name: str
    label: str
    #: SQL condition on an ``interactions`` row (alias-free column names).
    condition: str
    #: "count": every occurrence moves the hazard; "ever": from the first on.
    mode: str = "count"
    good: bool = False


EXPERIENCES: tuple[Experience, ...] = (
    Experience("late_delivery", "late delivery (broken promise)", "outcome = 'late'"),
    Experience(
        "unanswered_complaint",
        "unanswered complaint",
        "type = 'complaint' AND outcome = 'unanswered'",
    ),
    Experience(
        "unanswered_contact",
        "unanswered call, chat or e-mail",
        "type IN ('call', 'chat', 'email') AND outcome = 'unanswered'",
    ),
    Experience("failed", "failed outcome", "outcome = 'failed'"),
    Experience(
        "event",
        "attended an event",
        "type = 'event' AND outcome = 'attended'",
        mode="ever",
        good=True,
    ),
)
#: Negative feedback comes from the feedback table (detractor NPS, CSAT 1-2,
#: rating 1-2 stars, or negative text where text analysis ran).
NEGATIVE_FEEDBACK = Experience("negative_feedback", "negative feedback", "feedback")
#: SQL condition on a ``feedback`` row that makes it negative feedback.
NEGATIVE_SQL = (
    "nps <= 6 OR csat <= 2 OR rating <= 2 OR feedback_id IN "
    "(SELECT feedback_id FROM feedback_text WHERE polarity = 'negative')"
)
#: Tenure bands (weeks since the customer's first contact, ``first_seen_at``):
#: the baseline hazard is piecewise constant on the tenure scale, the first 13
#: weeks being the reference. New relationships are fragile, and a baseline
#: that cannot move with tenure credits that to whatever new customers meet.
TENURE_BANDS: tuple[tuple[str, int], ...] = (
    ("tenure_13_26w", 13),
    ("tenure_26_52w", 26),
    ("tenure_52_104w", 52),
    ("tenure_104w_plus", 104),
)
#: Channel preference stands in for who the customer is (the demo's personas
#: differ in base churn by 2.5x and in how many deliveries and events they
#: meet): the share of their contacts in shops, online (web and app) and by
#: e-mail, to one decimal. Deliveries and events are left out on purpose:
#: they are the experiences being measured, not who the customer is.
CHANNEL_SHARES: tuple[tuple[str, str], ...] = (
    ("shop_share", "t.channel = 'store'"),
    ("online_share", "t.channel IN ('web', 'app')"),
    ("email_share", "t.channel = 'email'"),
)
#: Controls: they stand in for tenure and for who the customer is, not for an
#: experience.
CONTROLS = (
    *(name for name, _ in TENURE_BANDS),
    *(name for name, _ in CHANNEL_SHARES),
    "under_30",
    "over_60",
)
CONTROL_LABELS = {
    "tenure_13_26w": "tenure 13-26 weeks, vs the first 13 (baseline)",
    "tenure_26_52w": "tenure 26-52 weeks (baseline)",
    "tenure_52_104w": "tenure 1-2 years (baseline)",
    "tenure_104w_plus": "tenure over 2 years (baseline)",
    "shop_share": "share of contacts in shops, 0 to 1 (control)",
    "online_share": "share of contacts on web and app, 0 to 1 (control)",
    "email_share": "share of contacts by e-mail, 0 to 1 (control)",
    "under_30": "under 30 (control)",
    "over_60": "over 60 (control)",
}


def day_index(column: str) -> str:
    """SQL for a timestamp's day (days since 1970-01-05) as one integer (both
    engines)."""
    return f"CAST(CAST({column} AS DATE) - DATE '1970-01-05' AS INTEGER)"


def _spells_sql(days: int) -> str:
    """Spells at risk with constant covariates, grouped into (exposure, events).

    A customer is at risk from their first activity (delayed entry: earlier
    days are not observed) to their last active day when they left, and
    otherwise to ``days`` before the data ends: only up to then can leaving be
    seen, so later days would add exposure in which no one can churn.
    Follow-up is cut only where a covariate changes: entry, each day with an
    experience (which counts from that day on) and each tenure band boundary.
    A spell runs to the next cut (or the day after exit), so its exposure is
    its length in days and the cells equal a customer-day panel's counts.
    """
    inter = EXPERIENCES
    names = [e.name for e in inter] + [NEGATIVE_FEEDBACK.name]
    flags = ",\n".join(
        f"sum(CASE WHEN {e.condition} THEN 1 ELSE 0 END) AS {e.name}" for e in inter
    )
    zeros = ", ".join(f"0 AS {e.name}" for e in inter)
    no_change = ", ".join("0" for _ in names)
    sums = ", ".join(f"sum(p.{n}) AS {n}" for n in names)
    cum = ",\n".join(f"sum(s.{n}) OVER w AS {n}" for n in names)
    ever = {e.name for e in inter if e.mode == "ever"}
    out = ", ".join(
        f"CASE WHEN {n} > 0 THEN 1 ELSE 0 END AS {n}" if n in ever else n for n in names
    )
    shares = ",\n".join(
        f"round(avg(CASE WHEN {cond} THEN 1.0 ELSE 0.0 END), 1) AS {name}"
        for name, cond in CHANNEL_SHARES
    )
    share_cols = [name for name, _ in CHANNEL_SHARES]
    cust_shares = ", ".join(f"coalesce(x.{n}, 0) AS {n}" for n in share_cols)
    bounds = "\n".join(
        f"UNION ALL SELECT customer_id, since_d + {weeks * 7}, {no_change} FROM cust"
        for _, weeks in TENURE_BANDS
    )
    tenure = ",\n".join(
        f"CASE WHEN d - since_d >= {weeks * 7} THEN 1 ELSE 0 END AS {name}"
        for name, weeks in TENURE_BANDS
    )
    person = ", ".join(f"c.{n}" for n in (*share_cols, "under_30", "over_60"))
    cutoff = f"r.data_end - INTERVAL '{days} days'"

    return f"""
WITH act AS (
    SELECT customer_id, occurred_at AS ts FROM interactions
    UNION ALL SELECT customer_id, ordered_at FROM orders
),
span AS (
    SELECT customer_id, min(ts) AS first_at, max(ts) AS last_at
    FROM act GROUP BY customer_id
),
ref AS (SELECT max(last_at) AS data_end FROM span),
mix AS (
    SELECT i.customer_id, {shares}
    FROM interactions i JOIN touchpoints t ON t.touchpoint_id = i.touchpoint_id
    GROUP BY 1
),
cust AS (
    SELECT s.customer_id, {cust_shares},
           CASE WHEN c.birth_year IS NOT NULL
                AND c.birth_year >= CAST(EXTRACT(YEAR FROM r.data_end) AS INTEGER) - 30
                THEN 1 ELSE 0 END AS under_30,
           CASE WHEN c.birth_year IS NOT NULL
                AND c.birth_year <= CAST(EXTRACT(YEAR FROM r.data_end) AS INTEGER) - 60
                THEN 1 ELSE 0 END AS over_60,
           {day_index("s.first_at")} AS entry_d,
           CASE WHEN s.last_at < {cutoff} THEN {day_index("s.last_at")}
                ELSE {day_index(cutoff)} END AS exit_d,
           {day_index("coalesce(c.first_seen_at, s.first_at)")} AS since_d,
           CASE WHEN s.last_at < {cutoff} THEN 1 ELSE 0 END AS churned
    FROM span s CROSS JOIN ref r
    LEFT JOIN customers c ON c.customer_id = s.customer_id
    LEFT JOIN mix x ON x.customer_id = s.customer_id
),
cuts AS (
    SELECT customer_id, {day_index("occurred_at")} AS d, {flags},
           0 AS {NEGATIVE_FEEDBACK.name}
    FROM interactions GROUP BY 1, 2
    UNION ALL
    SELECT customer_id, {day_index("received_at")} AS d, {zeros}, count(*)
    FROM feedback WHERE customer_id IS NOT NULL AND ({NEGATIVE_SQL})
    GROUP BY 1, 2
    UNION ALL SELECT customer_id, entry_d, {no_change} FROM cust
    {bounds}
),
steps AS (
    SELECT p.customer_id, p.d, {sums}
    FROM cuts p JOIN cust c ON c.customer_id = p.customer_id
    WHERE p.d >= c.entry_d AND p.d <= c.exit_d
    GROUP BY 1, 2
),
spells AS (
    SELECT s.d, c.since_d, {person}, {cum},
           coalesce(lead(s.d) OVER w, c.exit_d + 1) - s.d AS exposure,
           CASE WHEN c.churned = 1 AND lead(s.d) OVER w IS NULL
                THEN 1 ELSE 0 END AS y
    FROM steps s JOIN cust c ON c.customer_id = s.customer_id
    WINDOW w AS (PARTITION BY s.customer_id ORDER BY s.d
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT {out}, {tenure}, {", ".join(share_cols)}, under_30, over_60,
       sum(exposure) AS exposure, sum(y) AS events
FROM spells GROUP BY {", ".join(str(i + 1) for i in range(len(names) + len(CONTROLS)))}
"""


@dataclass
class ExperienceModel:
    fit: HazardFit
    covariates: list[str]
    monthly_hazard: float
    monthly_discount: float
    #: Days at risk, summed over customers (the exposure of the fit).
    customer_days: int
    churned: int
    seconds: float

    def hazard_ratio(self, name: str) -> float:
        return self.fit.hazard_ratio(name)

    def loss_fraction(self, name: str) -> float:
        return loss_fraction(
            self.hazard_ratio(name), self.monthly_hazard, self.monthly_discount
        )

    def to_dict(self) -> dict[str, Any]:
        labels = {e.name: e.label for e in (*EXPERIENCES, NEGATIVE_FEEDBACK)}
        labels.update(CONTROL_LABELS)
        effects = []
        for row in self.fit.table():
            name = str(row["covariate"])
            effects.append(
                {**row, "label": labels.get(name, name),
                 "loss_fraction": self.loss_fraction(name)}
            )  # fmt: skip
        return {
            "effects": effects,
            "monthly_hazard": self.monthly_hazard,
            "monthly_discount": self.monthly_discount,
            "customer_days": self.customer_days,
            "churned": self.churned,
            "seconds": round(self.seconds, 3),
        }


def loss_fraction(hazard_ratio: float, hazard: float, discount: float) -> float:
    """Share of remaining value lost when the hazard is multiplied by HR."""
    return 1.0 - (hazard + discount) / (hazard * hazard_ratio + discount)


def expected_loss_per_incident(
    clv: float | np.ndarray, hazard_ratio: float, monthly_hazard: float,
    monthly_discount: float,
) -> float | np.ndarray:  # fmt: skip
    """Expected CLV lost by one more incident (negative: a gain).

    For close-the-loop: rank recovery cases by what the incident puts at stake.
    """
    if monthly_hazard < 0 or hazard_ratio <= 0:
        raise InvalidInput("the hazard must be ≥ 0 and the hazard ratio > 0")
    return clv * loss_fraction(hazard_ratio, monthly_hazard, monthly_discount)


def fit_experience_model(store: Store, settings: Settings) -> ExperienceModel:
    """Build the spells at risk in the engine and fit the hazard model."""
    started = time.perf_counter()
    days = int(settings.churn_inactivity_days)
    if days < 1:
        raise InvalidInput("churn_inactivity_days must be at least 1")
    with store.connect() as conn:
        if not conn.scalar("SELECT count(*) FROM interactions"):
            raise NotFound("the workspace has no interactions: import them first")
        cols = fetch_columns(conn, _spells_sql(days))
    names = [e.name for e in EXPERIENCES] + [NEGATIVE_FEEDBACK.name, *CONTROLS]
    x = np.column_stack([np.asarray(cols[n], dtype=float) for n in names])
    exposure = np.asarray(cols["exposure"], dtype=float)
    events = np.asarray(cols["events"], dtype=float)
    varies = x.std(axis=0) > 0
    used = [n for n, v in zip(names, varies, strict=True) if v]
    fit = fit_poisson(used, x[:, varies], exposure, events)
    per_day = float(events.sum() / exposure.sum())
    return ExperienceModel(
        fit=fit, covariates=used, monthly_hazard=-math.expm1(-per_day * DAYS_PER_MONTH),
        monthly_discount=_monthly_rate(settings.clv_annual_discount_rate),
        customer_days=int(exposure.sum()), churned=int(events.sum()),
        seconds=time.perf_counter() - started,
    )  # fmt: skip


def revenue_at_risk(
    store: Store, settings: Settings, model: ExperienceModel, *, months: int = 12
) -> dict[str, Any]:
    """Expected CLV lost (or gained) per month and touchpoint from incidents.

    Each incident costs its customer's stored CLV times the incident kind's loss
    fraction; customers without a stored CLV count at the mean CLV.
    """
    # Only bad experiences whose harm is clear (95% CI above 1) put value at
    # risk; good ones and unclear ones are in the effects table instead.
    harmful = {
        str(r["covariate"]) for r in model.fit.table() if float(r["ci_low"]) > 1.0
    }
    kinds = [e for e in EXPERIENCES if not e.good and e.name in harmful]
    if not kinds:
        return {"months": months, "mean_clv": 0.0, "rows": [], "by_touchpoint": []}
    case = " ".join(f"WHEN {e.condition} THEN '{e.name}'" for e in kinds)
    with store.connect() as conn:
        mean_clv = conn.scalar("SELECT avg(clv) FROM customer_value")
        if mean_clv is None:
            raise NotFound("no CLV predictions yet: run `esperia clv predict`")
        top = conn.scalar(f"SELECT max({month_index('occurred_at')}) FROM interactions")
        rows = conn.fetch_dicts(
            f"""
            WITH inc AS (
                SELECT i.customer_id, i.touchpoint_id,
                       {month_index("i.occurred_at")} AS m, CASE {case} END AS kind
                FROM interactions i
                WHERE {month_index("i.occurred_at")} > ?
            )
            SELECT inc.m, inc.touchpoint_id, inc.kind, count(*) AS incidents,
                   sum(coalesce(v.clv, ?)) AS clv
            FROM inc LEFT JOIN customer_value v ON v.customer_id = inc.customer_id
            WHERE inc.kind IS NOT NULL
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            """,
            (int(top) - months, float(mean_clv)),
        )
    out = []
    for r in rows:
        m = int(r["m"])
        fraction = model.loss_fraction(str(r["kind"]))
        out.append(
            {
                "month": f"{m // 12:04d}-{m % 12 + 1:02d}",
                "touchpoint_id": r["touchpoint_id"],
                "experience": r["kind"],
                "incidents": int(r["incidents"]),
                "value_at_risk": float(r["clv"]) * fraction,
            }
        )
    by_tp: dict[str, float] = {}
    for r in out:
        by_tp[str(r["touchpoint_id"])] = by_tp.get(
            str(r["touchpoint_id"]), 0.0
        ) + float(r["value_at_risk"])
    ranked = sorted(by_tp.items(), key=lambda kv: -kv[1])
    return {
        "months": months,
        "mean_clv": float(mean_clv),
        "rows": out,
        "by_touchpoint": [
            {"touchpoint_id": tp, "value_at_risk": v, "per_month": v / months}
            for tp, v in ranked
        ],
    }
