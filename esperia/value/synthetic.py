"""Transactions simulated from known BG/NBD and Gamma-Gamma parameters.

For tests that check parameter recovery and for the benchmark's large
histories. Vectorised: purchase times are uniform order statistics of a
Poisson count, cut at a geometric number of repeat purchases (the dropout).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from esperia.value.data import UNIT_DAYS, TimeUnit

__all__ = ["SyntheticTruth", "simulate_transactions"]


@dataclass(frozen=True)
class SyntheticTruth:
    """The parameters a history was drawn from (rates per ``time_unit``)."""

    r: float = 0.243
    alpha: float = 4.414
    a: float = 0.793
    b: float = 2.426
    p: float = 6.25
    q: float = 3.74
    gamma: float = 15.44
    time_unit: TimeUnit = "weeks"


def simulate_transactions(
    customers: int,
    *,
    seed: int = 0,
    truth: SyntheticTruth | None = None,
    start: dt.date = dt.date(2023, 1, 1),
    cohort_days: int = 84,
    observation_days: int = 546,
) -> tuple[pa.Table, dt.date]:
    """A transaction table (customer_id, date, value) and the observation end.

    Customers make their first purchase on a uniform day of the first
    ``cohort_days``; the history ends ``observation_days`` after ``start``.
    """
    truth = truth or SyntheticTruth()
    rng = np.random.default_rng(seed)
    unit = UNIT_DAYS[truth.time_unit]
    birth = rng.integers(0, cohort_days, customers).astype(float)
    span = observation_days - birth  # days each customer is observed
    lam = rng.gamma(truth.r, 1.0 / truth.alpha, customers) / unit  # per day
    drop = rng.beta(truth.a, truth.b, customers)
    # Repeat purchases before dropping out: geometric on 1, 2, ...
    capacity = rng.geometric(np.clip(drop, 1e-12, 1.0))
    count = rng.poisson(lam * span)
    x = np.minimum(count, capacity)
    # Draw all `count` uniform times, keep each customer's first `x`.
    owner = np.repeat(np.arange(customers), count)
    times = rng.random(len(owner)) * span[owner]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    starts = np.r_[0, np.cumsum(count)[:-1]]
    rank = np.arange(len(owner)) - starts[owner]
    keep = rank < x[owner]
    owner, times = owner[keep], times[keep]
    nu = rng.gamma(truth.q, 1.0 / truth.gamma, customers)
    all_owner = np.concatenate([np.arange(customers), owner])
    day = np.concatenate([birth, birth[owner] + np.floor(times)]).astype(np.int64)
    value = rng.gamma(truth.p, 1.0 / nu[all_owner])
    order = np.lexsort((day, all_owner))
    epoch = np.datetime64(start, "D")
    table = pa.table(
        {
            "customer_id": pa.array(all_owner[order] + 1, type=pa.int64()),
            "date": pa.array((epoch + day[order]).astype("datetime64[D]")),
            "value": pa.array(np.round(value[order], 2)),
        }
    )
    return table, start + dt.timedelta(days=observation_days - 1)
