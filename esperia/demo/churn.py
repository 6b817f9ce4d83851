"""When customers leave: a proportional hazard moved by what happened to them.

Each customer's hazard is their persona's base rate, doubled during the first
90 days of a new relationship, multiplied by :data:`LATE_DELIVERY_HR` for every
late delivery and by :data:`UNANSWERED_COMPLAINT_HR` for every complaint nobody
answered, and by :data:`EVENT_HR` from their first author event on. The hazard
is piecewise constant between those experiences, so the churn time is found
exactly by inverting the cumulative hazard against an exponential draw, for
all customers at once.
"""

from __future__ import annotations

import numpy as np

from esperia.demo.business import persona_array
from esperia.demo.cohort import Cohort
from esperia.demo.journeys import Marks
from esperia.demo.timeline import DAYS_PER_MONTH

__all__ = [
    "EVENT_HR",
    "LATE_DELIVERY_HR",
    "ONBOARDING_DAYS",
    "ONBOARDING_HR",
    "UNANSWERED_COMPLAINT_HR",
    "churn_times",
]

LATE_DELIVERY_HR = 2.0
UNANSWERED_COMPLAINT_HR = 3.0
EVENT_HR = 0.5
ONBOARDING_HR = 2.0
ONBOARDING_DAYS = 90.0


def churn_times(
    rng: np.random.Generator, c: Cohort, marks: Marks, horizon: float
) -> np.ndarray:
    """Local day each customer churns; ``inf`` for those still active at ``horizon``."""
    n = c.n
    everyone = np.arange(n)
    new = np.flatnonzero(c.arrival >= 0)
    onboarding_end = c.arrival[new] + ONBOARDING_DAYS
    # Change points: (customer, time, change of log hazard, tie order).
    cust = np.concatenate(
        [everyone, marks.late[0], marks.unanswered[0], marks.event[0], new]
    )
    t = np.concatenate(
        [c.start, marks.late[1], marks.unanswered[1], marks.event[1], onboarding_end]
    )
    first_log = np.zeros(n)
    first_log[new] = np.log(ONBOARDING_HR)
    step = np.concatenate(
        [
            first_log,
            np.full(len(marks.late[0]), np.log(LATE_DELIVERY_HR)),
            np.full(len(marks.unanswered[0]), np.log(UNANSWERED_COMPLAINT_HR)),
            np.full(len(marks.event[0]), np.log(EVENT_HR)),
            np.full(len(new), -np.log(ONBOARDING_HR)),
        ]
    )
    opening = np.concatenate([np.zeros(n), np.ones(len(cust) - n)])
    order = np.lexsort((opening, t, cust))
    cust, t, step = cust[order], np.minimum(t[order], horizon), step[order]

    group_start = np.flatnonzero(np.r_[True, cust[1:] != cust[:-1]])
    group_end = np.r_[group_start[1:], len(cust)]  # exclusive
    log_mult = np.cumsum(step)
    log_mult -= np.repeat(
        log_mult[group_start] - step[group_start], group_end - group_start
    )
    base = persona_array("base_churn_monthly")[c.persona] / DAYS_PER_MONTH
    hazard = base[cust] * np.exp(log_mult)
    seg_end = np.r_[t[1:], horizon]
    last = np.zeros(len(cust), dtype=bool)
    last[group_end - 1] = True
    seg_end = np.where(last, horizon, seg_end)
    increment = hazard * np.maximum(seg_end - t, 0.0)
    cumulative = np.cumsum(increment)

    before = cumulative[group_start] - increment[group_start]
    target = before + rng.exponential(1.0, n)
    hit = np.searchsorted(cumulative, target, side="left")
    churned = hit < group_end
    hit = np.minimum(hit, len(cust) - 1)
    into = target - (cumulative[hit] - increment[hit])
    when = t[hit] + into / hazard[hit]
    return np.where(churned, np.minimum(when, horizon), np.inf)
