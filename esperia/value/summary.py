"""The per-customer purchase summary, computed in the engine.

One SQL text, written once for DuckDB and PostgreSQL, over any relation with
``customer_id, day, value, margin``: the store's orders or a transaction file
staged by :mod:`esperia.value.transactions`. Several transactions of one
customer on one day are one purchase (their values summed), as in the
literature. Only the small results reach Python: the compressed rows for a fit,
or one row per customer for predictions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from esperia.errors import InvalidInput
from esperia.value.data import RFM, UNIT_DAYS, TimeUnit

__all__ = [
    "ORDERS_SOURCE",
    "CustomerSummary",
    "compressed_sql",
    "customer_summary_sql",
    "date_literal",
    "fit_summary_sql",
    "period_bounds_sql",
    "rfm_from_rows",
]

#: The store's orders as a transaction source (dates in the workspace zone).
ORDERS_SOURCE = (
    "(SELECT customer_id, CAST(ordered_at AS DATE) AS day, revenue AS value, "
    "margin FROM orders)"
)


def _days_sql(source: str) -> str:
    return (
        "SELECT customer_id, day, sum(value) AS value, sum(margin) AS margin "
        f"FROM {source} src GROUP BY customer_id, day"
    )


def customer_summary_sql(
    source: str, calibration_end: dt.date, observation_end: dt.date,
    dialect: str = "duckdb",
) -> str:  # fmt: skip
    """Per customer: x, t_x and T in days, repeat spend, holdout purchases.

    The first day's value is
    taken with each engine's own "value at the minimum" aggregate, which is a
    single pass instead of a window over every purchase day.
    """
    first_value = _first_value(dialect)
    cal, obs = date_literal(calibration_end), date_literal(observation_end)
    return f"""
WITH d AS ({_days_sql(source)}),
c AS (
    SELECT customer_id,
           count(*) - 1 AS x,
           max(day) - min(day) AS tx_days,
           {cal} - min(day) AS t_days,
           sum(value) - {first_value} AS repeat_value,
           sum(value) AS total_value,
           sum(margin) AS total_margin,
           min(day) AS first_day,
           max(day) AS last_day
    FROM d WHERE day <= {cal} GROUP BY customer_id
),
h AS (
    SELECT customer_id, count(*) AS holdout_x, sum(value) AS holdout_value
    FROM d WHERE day > {cal} AND day <= {obs}
    GROUP BY customer_id
)
SELECT c.customer_id, c.x, c.tx_days, c.t_days, c.repeat_value, c.total_value,
       c.total_margin, c.first_day, c.last_day,
       coalesce(h.holdout_x, 0) AS holdout_x,
       coalesce(h.holdout_value, 0) AS holdout_value,
       {obs} - {cal} AS holdout_days
FROM c LEFT JOIN h ON h.customer_id = c.customer_id
"""


def date_literal(day: dt.date) -> str:
    """A SQL date literal both engines read (ISO text from a real date: safe)."""
    return f"DATE '{dt.date.fromordinal(day.toordinal()).isoformat()}'"


def _first_value(dialect: str) -> str:
    if dialect == "duckdb":
        return "arg_min(value, day)"
    return "(array_agg(value ORDER BY day))[1]"


def fit_summary_sql(
    source: str, calibration_end: dt.date, dialect: str = "duckdb"
) -> str:
    """Per customer, only what a fit needs: x, t_x, T (days) and repeat spend."""
    first_value = _first_value(dialect)
    cal = date_literal(calibration_end)
    return f"""
SELECT count(*) - 1 AS x,
       max(day) - min(day) AS tx_days,
       {cal} - min(day) AS t_days,
       sum(value) - {first_value} AS repeat_value
FROM ({_days_sql(source)}) d
WHERE day <= {cal}
GROUP BY customer_id
"""


def compressed_sql(summary: str) -> tuple[str, str]:
    """Over a per-customer relation: the unique (x, t_x, T) rows with counts, and
    the unique (x, m) rows of repeat buyers with counts."""
    triples = (
        f"SELECT x, tx_days, t_days, count(*) AS n FROM {summary} s GROUP BY 1, 2, 3"
    )
    spend = (
        f"SELECT x, repeat_value / x AS m, count(*) AS n FROM {summary} s "
        "WHERE x > 0 GROUP BY 1, 2"
    )
    return triples, spend


def period_bounds_sql(source: str) -> str:
    """First and last purchase day and the count of transactions in ``source``."""
    return (
        "SELECT min(day) AS first_day, max(day) AS last_day, count(*) AS n "
        f"FROM {source} src"
    )


@dataclass
class CustomerSummary:
    """One row per customer (calibration summary plus holdout purchases)."""

    customer_id: np.ndarray
    x: np.ndarray
    tx: np.ndarray
    t: np.ndarray
    m: np.ndarray
    total_value: np.ndarray
    total_margin: np.ndarray
    holdout_x: np.ndarray
    holdout_value: np.ndarray
    holdout: float
    first_day: np.ndarray
    last_day: np.ndarray
    time_unit: TimeUnit
    calibration_end: dt.date

    @classmethod
    def from_columns(
        cls, cols: dict[str, np.ndarray], time_unit: TimeUnit,
        calibration_end: dt.date,
    ) -> CustomerSummary:  # fmt: skip
        unit = UNIT_DAYS[time_unit]
        x = np.asarray(cols["x"], dtype=float)
        repeat_value = np.asarray(cols["repeat_value"], dtype=float)
        m = np.divide(repeat_value, x, out=np.zeros_like(x), where=x > 0)
        holdout_days = cols["holdout_days"]
        holdout = float(holdout_days[0]) / unit if len(holdout_days) else 0.0
        margin = np.asarray(
            [np.nan if v is None else float(v) for v in cols["total_margin"]],
            dtype=float,
        )
        return cls(
            customer_id=np.asarray(cols["customer_id"], dtype=object),
            x=x,
            tx=np.asarray(cols["tx_days"], dtype=float) / unit,
            t=np.asarray(cols["t_days"], dtype=float) / unit,
            m=m,
            total_value=np.asarray(cols["total_value"], dtype=float),
            total_margin=margin,
            holdout_x=np.asarray(cols["holdout_x"], dtype=float),
            holdout_value=np.asarray(cols["holdout_value"], dtype=float),
            holdout=holdout,
            first_day=_dates(cols["first_day"]),
            last_day=_dates(cols["last_day"]),
            time_unit=time_unit,
            calibration_end=calibration_end,
        )

    def __len__(self) -> int:
        return len(self.x)

    def rfm(self) -> RFM:
        return RFM.from_customers(
            self.x, self.tx, self.t, self.m,
            time_unit=self.time_unit, calibration_end=self.calibration_end,
        )  # fmt: skip


def _dates(values: np.ndarray) -> np.ndarray:
    """Dates as numpy datetime64[D] whichever engine returned them."""
    if values.dtype.kind == "M":
        return values.astype("datetime64[D]")
    return np.array(
        [
            np.datetime64(v, "D") if v is not None else np.datetime64("NaT")
            for v in values
        ],
        dtype="datetime64[D]",
    )


def _sorted(
    cols: dict[str, np.ndarray], keys: tuple[str, ...]
) -> dict[str, np.ndarray]:
    if not len(cols[keys[0]]):
        return cols
    order = np.lexsort([np.asarray(cols[k], dtype=float) for k in reversed(keys)])
    return {name: np.asarray(values)[order] for name, values in cols.items()}


def rfm_from_rows(
    triples: dict[str, np.ndarray],
    spend: dict[str, np.ndarray],
    time_unit: TimeUnit,
    calibration_end: dt.date,
) -> RFM:
    """An :class:`RFM` from the engine's already-compressed rows."""
    unit = UNIT_DAYS[time_unit]
    # Engines return groups in no fixed order; sort so fits are reproducible.
    triples = _sorted(triples, ("x", "tx_days", "t_days"))
    spend = _sorted(spend, ("x", "m"))
    x = np.asarray(triples["x"], dtype=float)
    if len(x) == 0:
        raise InvalidInput(
            f"no customer made a purchase on or before the calibration end "
            f"{calibration_end.isoformat()}"
        )
    return RFM(
        x=x,
        tx=np.asarray(triples["tx_days"], dtype=float) / unit,
        t=np.asarray(triples["t_days"], dtype=float) / unit,
        weight=np.asarray(triples["n"], dtype=float),
        spend_x=np.asarray(spend["x"], dtype=float),
        spend_m=np.asarray(spend["m"], dtype=float),
        spend_weight=np.asarray(spend["n"], dtype=float),
        time_unit=time_unit,
        calibration_end=calibration_end,
    )
