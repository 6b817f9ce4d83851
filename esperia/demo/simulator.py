"""The demo business simulator: Libreria Esperia, a multi-channel bookshop chain.

``simulate`` invents customers, their contacts with the shop over a window of
months, their orders and their feedback, with a handful of cause-and-effect
relations planted on purpose (see docs/demo.md). The tables follow the
canonical import schema; the planted truth is returned alongside so tests can
check that analyses recover it:

- ``DemoData.ground_truth`` — a JSON-serialisable dict: the business, the
  personas, every planted effect with its parameters and realised figures;
- ``DemoData.ground_truth_customers`` — one row per customer: true type
  (persona), churned flag and date, counts of the experiences that drove churn;
- ``DemoData.ground_truth_feedback`` — one row per feedback: tone, aspects and
  the experiential module the text was written to express.

Everything is vectorised over customers and rows; the only Python loops run
over cohorts, calendar months and channels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa

from esperia.demo.business import PERSONAS, persona_array
from esperia.demo.churn import churn_times
from esperia.demo.cohort import Cohort, draw_cohort
from esperia.demo.frames import (
    EVENT_OUTPUT,
    EVENT_SCHEMA,
    ORDER_SCHEMA,
    concat,
    slim,
    take,
)
from esperia.demo.journeys import StreamKit, fateful_streams
from esperia.demo.output import Run, assemble
from esperia.demo.routines import daily_streams, returns_and_reviews
from esperia.demo.timeline import Calendar
from esperia.demo.voice import REFERRAL_WEIGHTS, customer_voice, nps_category
from esperia.errors import InvalidInput

__all__ = ["DemoData", "simulate"]

Progress = Callable[[str, float], None]

#: Share of customers who were already customers before the window starts.
EXISTING_SHARE = 0.45
#: Share of customers who arrive through a referral (when a referrer exists).
REFERRED_SHARE = 0.1
#: Referrals name an answer given in the previous ``REFERRAL_WINDOW_DAYS``.
REFERRAL_WINDOW_DAYS = 90.0
#: Anonymous reviews and social posts per customer.
ANONYMOUS_PER_CUSTOMER = 0.08
_BATCH = 200_000
_MAX_CUSTOMERS = 5_000_000


@dataclass
class DemoData:
    """The generated tables (canonical import schema) and the planted truth."""

    tables: dict[str, pa.Table]
    ground_truth: dict[str, Any]
    ground_truth_customers: pa.Table
    ground_truth_feedback: pa.Table = field(repr=False)


class _Simulation:
    def __init__(self, rng: np.random.Generator, cal: Calendar) -> None:
        self.rng = rng
        self.cal = cal
        self.kit = StreamKit(cal)
        self.runs: list[Run] = []
        self.customers = 0
        self.events = 0
        self.orders = 0

    def run(self, cohort: Cohort) -> Run:
        rng, kit = self.rng, self.kit
        horizon = float(self.cal.days)
        fateful, orders, marks = fateful_streams(rng, kit, cohort)
        churn = churn_times(rng, cohort, marks, horizon)
        alive = np.minimum(churn, horizon)
        orders["uid"] += self.orders
        fateful["order"] = np.where(
            fateful["order"] >= 0, fateful["order"] + self.orders, -1
        )
        uid_next = self.orders + len(orders["uid"])
        # Only orders handed over before churn (and the window end) happened.
        kept = orders["done"] < alive[orders["cust"] - cohort.offset]
        orders = take(orders, kept)
        linked = fateful["order"] >= 0
        alive_row = fateful["t"] < alive[fateful["cust"] - cohort.offset]
        order_ok = np.isin(fateful["order"], orders["uid"])
        fateful = take(fateful, np.where(linked, order_ok, alive_row))
        daily, daily_orders = daily_streams(rng, kit, cohort, alive, uid_next)
        orders = concat(ORDER_SCHEMA, [orders, daily_orders])
        events = concat(EVENT_SCHEMA, [fateful, daily])
        extra = returns_and_reviews(rng, kit, cohort, alive, events, orders)
        events = concat(EVENT_SCHEMA, [events, extra])
        feedback = customer_voice(rng, self.cal, cohort, events, self.events, alive)
        events = slim(events, EVENT_OUTPUT)
        self.orders = uid_next + len(daily_orders["uid"])
        self.events += len(events["t"])
        self.customers += cohort.n
        run = Run(cohort, events, orders, feedback, churn)
        self.runs.append(run)
        return run


def _validate(customers: int, months: int) -> None:
    if not 1 <= customers <= _MAX_CUSTOMERS:
        raise InvalidInput(f"customers must be between 1 and {_MAX_CUSTOMERS:,}")
    if not 1 <= months <= 120:
        raise InvalidInput("months must be between 1 and 120")


def _organic_arrivals(
    rng: np.random.Generator, kit: StreamKit, persona: np.ndarray
) -> np.ndarray:
    n = len(persona)
    existing = rng.random(n) < EXISTING_SHARE
    lo = np.zeros(n)
    hi = np.full(n, float(kit.cal.days))
    new = kit.grids["media"].sample(rng, persona.astype(np.int64), lo, hi)
    return np.where(existing, -rng.uniform(1.0, 3 * 365.0, n), new)


def _month_starts(cal: Calendar) -> np.ndarray:
    change = np.flatnonzero(np.diff(cal.month.astype(np.int64)) != 0) + 1
    return np.r_[0.0, change.astype(np.float64), float(cal.days)]


def _choose_referrers(
    rng: np.random.Generator, sim: _Simulation, arrival: np.ndarray
) -> np.ndarray:
    """A referrer per arrival, drawn among recent NPS answers by category weight."""
    cust, t, nps = [], [], []
    lo, hi = arrival.min() - REFERRAL_WINDOW_DAYS, arrival.max()
    for run in sim.runs:
        fb = run.feedback
        sel = (fb["nps"] >= 0) & (fb["t"] >= lo) & (fb["t"] < hi)
        cust.append(fb["cust"][sel])
        t.append(fb["t"][sel])
        nps.append(fb["nps"][sel])
    pool_c, pool_t, pool_n = (np.concatenate(x) for x in (cust, t, nps))
    order = np.argsort(pool_t, kind="stable")
    pool_c, pool_t, pool_n = pool_c[order], pool_t[order], pool_n[order]
    weights = np.array(
        [
            REFERRAL_WEIGHTS["detractor"],
            REFERRAL_WEIGHTS["passive"],
            REFERRAL_WEIGHTS["promoter"],
        ]
    )[nps_category(pool_n)]
    cum = np.r_[0.0, np.cumsum(weights)]
    a = np.searchsorted(pool_t, arrival - REFERRAL_WINDOW_DAYS, side="left")
    b = np.searchsorted(pool_t, arrival, side="left")
    total = cum[b] - cum[a]
    u = cum[a] + rng.random(len(arrival)) * total
    j = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, max(len(pool_c) - 1, 0))
    if len(pool_c) == 0:
        return np.full(len(arrival), -1, dtype=np.int64)
    return np.where(total > 0, pool_c[j], -1)


def _referred_cohorts(
    rng: np.random.Generator, sim: _Simulation, n: int, progress: Progress
) -> None:
    """Customers brought by others, month by month so referrers are known."""
    cal = sim.cal
    shares = persona_array("share")
    base = rng.choice(len(PERSONAS), n, p=shares / shares.sum())
    lo = np.full(n, min(30.0, cal.days / 2))
    arrival = sim.kit.grids["media"].sample(rng, base, lo, np.full(n, float(cal.days)))
    order = np.argsort(arrival, kind="stable")
    arrival, base = arrival[order], base[order]
    bounds = _month_starts(cal)
    persona_of = np.concatenate([r.cohort.persona for r in sim.runs])
    city_of = np.concatenate([r.cohort.city for r in sim.runs])
    for k in range(len(bounds) - 1):
        sel = (arrival >= bounds[k]) & (arrival < bounds[k + 1])
        if not sel.any():
            continue
        when = arrival[sel]
        referrer = _choose_referrers(rng, sim, when)
        has = referrer >= 0
        safe = np.where(has, referrer, 0)
        persona = np.where(
            has & (rng.random(len(when)) < 0.5), persona_of[safe], base[sel]
        )
        city = np.where(has & (rng.random(len(when)) < 0.7), city_of[safe], -1)
        cohort = draw_cohort(
            rng, sim.customers, when, persona=persona, city=city, referrer=referrer
        )
        sim.run(cohort)
        persona_of = np.concatenate([persona_of, cohort.persona])
        city_of = np.concatenate([city_of, cohort.city])
        progress("referrals", 0.55 + 0.25 * (k + 1) / (len(bounds) - 1))


def simulate(
    customers: int = 20_000,
    seed: int = 42,
    *,
    start: date = date(2024, 1, 1),
    months: int = 24,
    progress: Callable[[str, float], None] | None = None,
) -> DemoData:
    """Simulate Libreria Esperia: ``customers`` customers over ``months`` months.

    The same seed gives identical tables. ``progress(stage, fraction)`` is
    called as the work advances.
    """
    _validate(customers, months)
    report: Progress = progress or (lambda stage, fraction: None)
    rng = np.random.default_rng(seed)
    cal = Calendar(start, months)
    sim = _Simulation(rng, cal)
    report("customers", 0.0)
    referred = round(customers * REFERRED_SHARE) if customers >= 50 else 0
    organic = customers - referred
    shares = persona_array("share")
    for first in range(0, organic, _BATCH):
        size = min(_BATCH, organic - first)
        persona = rng.choice(len(PERSONAS), size, p=shares / shares.sum())
        arrival = _organic_arrivals(rng, sim.kit, persona)
        sim.run(draw_cohort(rng, sim.customers, arrival, persona=persona))
        report("journeys", 0.05 + 0.5 * (first + size) / organic)
    if referred:
        _referred_cohorts(rng, sim, referred, report)
    anonymous = round(customers * ANONYMOUS_PER_CUSTOMER)
    out = assemble(rng, sim.cal, sim.runs, anonymous, seed=seed, report=report)
    report("done", 1.0)
    return DemoData(out.tables, out.ground_truth, out.customers, out.feedback)
