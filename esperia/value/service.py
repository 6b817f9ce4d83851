"""CLV on the workspace: fit on the orders, predict per customer, store, read back."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from esperia.config import Settings
from esperia.errors import InvalidInput, NotFound
from esperia.store.database import Store
from esperia.value.clv import (
    ClvFit,
    ClvOptions,
    Predictions,
    check_model,
    fit_rfm,
    predict,
)
from esperia.value.data import TimeUnit
from esperia.value.fitting import check_time_unit, summarise_source
from esperia.value.summary import ORDERS_SOURCE, CustomerSummary

__all__ = [
    "ClvRun",
    "clv_histogram",
    "clv_options",
    "customer_values",
    "evaluate_workspace",
    "fit_workspace",
    "holdout_calibration_end",
    "latest_fit",
    "predict_workspace",
    "saved_at_risk",
    "saved_comparison",
    "saved_evaluation",
    "value_at_risk_report",
]


def clv_options(settings: Settings, horizon_months: int | None = None) -> ClvOptions:
    return ClvOptions(
        horizon_months=horizon_months or settings.clv_horizon_months,
        annual_discount_rate=settings.clv_annual_discount_rate,
        default_margin=settings.clv_default_margin,
    )


def _unit(settings: Settings, time_unit: str | None) -> TimeUnit:
    return check_time_unit(time_unit or settings.clv_time_unit)


def _model(settings: Settings, model: str | None) -> str:
    return check_model(model or settings.clv_model)


def workspace_summary(
    store: Store,
    settings: Settings,
    *,
    calibration_end: dt.date | None = None,
    time_unit: str | None = None,
) -> CustomerSummary:
    """One row per customer with orders, computed in the store's engine."""
    with store.connect() as conn:
        if not conn.scalar("SELECT count(*) FROM orders"):
            raise NotFound("the workspace has no orders: import orders first")
        return summarise_source(
            conn, ORDERS_SOURCE, calibration_end=calibration_end,
            time_unit=_unit(settings, time_unit),
        )  # fmt: skip


def fit_workspace(
    store: Store,
    settings: Settings,
    *,
    calibration_end: dt.date | None = None,
    time_unit: str | None = None,
    model: str | None = None,
) -> tuple[ClvFit, CustomerSummary]:
    """Fit the purchase model (default: the ``clv_model`` setting) and
    Gamma-Gamma on the workspace's orders."""
    started = time.perf_counter()
    name = _model(settings, model)
    summary = workspace_summary(
        store, settings, calibration_end=calibration_end, time_unit=time_unit
    )
    summary_s = time.perf_counter() - started
    fit = fit_rfm(summary.rfm(), model=name)
    fit.timings["summary"] = summary_s
    fit.seconds = time.perf_counter() - started
    return fit, summary


def holdout_calibration_end(store: Store, holdout_days: int) -> dt.date:
    """The calibration end that leaves ``holdout_days`` of orders for a holdout."""
    if holdout_days < 1:
        raise InvalidInput("the holdout must be at least one day")
    with store.connect() as conn:
        last = conn.scalar(f"SELECT max(day) FROM {ORDERS_SOURCE} o")
    if last is None:
        raise NotFound("the workspace has no orders: import orders first")
    if isinstance(last, dt.datetime):
        last = last.date()
    return last - dt.timedelta(days=holdout_days)


def margin_rates(summary: CustomerSummary, default: float) -> np.ndarray:
    """Each customer's margin share of revenue; the workspace's, then the default,
    where orders carry no margin."""
    total, margin = summary.total_value, summary.total_margin
    known = np.isfinite(margin) & (total > 0)
    overall = (
        float(margin[known].sum() / total[known].sum()) if known.any() else default
    )
    rate = np.full(len(total), overall)
    rate[known] = margin[known] / total[known]
    return np.clip(rate, 0.0, 1.0)


@dataclass
class ClvRun:
    fit_id: str
    fit: ClvFit
    predictions: Predictions
    summary: CustomerSummary

    def to_dict(self) -> dict[str, Any]:
        p = self.predictions
        clv = p.clv
        return {
            "fit_id": self.fit_id,
            **self.fit.to_dict(),
            "horizon_months": p.horizon_months,
            "total_clv": float(clv.sum()),
            "mean_clv": float(clv.mean()) if len(clv) else 0.0,
            "median_clv": float(np.median(clv)) if len(clv) else 0.0,
            "mean_p_alive": float(p.p_alive.mean()) if len(clv) else 0.0,
            "expected_purchases": float(p.expected_purchases.sum()),
        }


def predict_workspace(
    store: Store,
    settings: Settings,
    *,
    calibration_end: dt.date | None = None,
    time_unit: str | None = None,
    horizon_months: int | None = None,
    model: str | None = None,
) -> ClvRun:
    """Fit, predict every customer, and replace the stored predictions."""
    options = clv_options(settings, horizon_months)
    fit, summary = fit_workspace(
        store, settings, calibration_end=calibration_end, time_unit=time_unit,
        model=model,
    )  # fmt: skip
    rates = margin_rates(summary, options.default_margin)
    pred = predict(fit, summary.x, summary.tx, summary.t, summary.m, rates, options)
    fit_id = uuid.uuid4().hex[:12]
    _store_run(store, fit_id, fit, summary, pred, options)
    return ClvRun(fit_id, fit, pred, summary)


def _store_run(
    store: Store,
    fit_id: str,
    fit: ClvFit,
    summary: CustomerSummary,
    pred: Predictions,
    options: ClvOptions,
) -> None:
    table = pa.table(
        {
            "customer_id": pa.array(summary.customer_id.astype(str), pa.string()),
            "frequency": pa.array(summary.x.astype(np.int64)),
            "recency": pa.array(summary.tx),
            "age": pa.array(summary.t),
            "mean_spend": pa.array(summary.m),
            "revenue": pa.array(summary.total_value),
            "margin_rate": pa.array(pred.margin_rate),
            "p_alive": pa.array(pred.p_alive),
            "expected_purchases": pa.array(pred.expected_purchases),
            "expected_spend": pa.array(pred.expected_spend),
            "clv": pa.array(pred.clv),
            "first_purchase": pa.array(summary.first_day, pa.date32()),
            "last_purchase": pa.array(summary.last_day, pa.date32()),
        }
    )
    cols = ", ".join(table.column_names)
    with store.write_lock, store.connect() as conn, conn.transaction():
        conn.load_arrow("_clv_in", table)
        conn.execute("DELETE FROM customer_value")
        conn.execute(
            f"INSERT INTO customer_value ({cols}, fit_id, computed_at) "
            f"SELECT {cols}, ?, current_timestamp FROM _clv_in",
            (fit_id,),
        )
        conn.execute("DROP TABLE _clv_in")
        conn.execute(
            "INSERT INTO clv_fits (fit_id, fitted_at, calibration_end, time_unit, "
            "horizon_months, annual_discount_rate, customers, params, model) "
            "VALUES (?, current_timestamp, ?, ?, ?, ?, ?, ?, ?)",
            (
                fit_id, fit.calibration_end, fit.time_unit, options.horizon_months,
                options.annual_discount_rate, fit.customers,
                json.dumps(fit.to_dict()), fit.model,
            ),
        )  # fmt: skip


def latest_fit(store: Store) -> dict[str, Any]:
    """The newest stored fit's parameters (NotFound before `esperia clv predict`)."""
    with store.connect() as conn:
        rows = conn.fetch_dicts(
            "SELECT fit_id, fitted_at, horizon_months, annual_discount_rate, params, "
            "model FROM clv_fits ORDER BY fitted_at DESC LIMIT 1"
        )
    if not rows:
        raise NotFound("no CLV predictions yet: run `esperia clv predict`")
    row = rows[0]
    params = row["params"]
    data: dict[str, Any] = json.loads(params) if isinstance(params, str) else params
    data.update(
        fit_id=row["fit_id"], fitted_at=row["fitted_at"],
        horizon_months=row["horizon_months"],
        annual_discount_rate=row["annual_discount_rate"],
        model=row["model"] or "bg-nbd",
    )  # fmt: skip
    return data


_ORDERS = {
    "clv": "clv DESC",
    "p_alive": "p_alive ASC",
    "at_risk": "(1 - p_alive) * clv DESC",
}


def customer_values(
    store: Store, *, order: str = "clv", limit: int = 50, customer_id: str | None = None
) -> list[dict[str, Any]]:
    """Stored predictions, best first (or the least alive, or most value at risk)."""
    if order not in _ORDERS:
        raise InvalidInput(f"order {order!r}: use {', '.join(_ORDERS)}")
    if not 1 <= limit <= 100_000:
        raise InvalidInput("limit must be between 1 and 100,000")
    where, params = "", []
    if customer_id is not None:
        where, params = "WHERE customer_id = ?", [customer_id]
    with store.connect() as conn:
        return conn.fetch_dicts(
            "SELECT customer_id, frequency, recency, age, mean_spend, revenue, "
            "margin_rate, p_alive, expected_purchases, expected_spend, clv, "
            "first_purchase, last_purchase FROM customer_value "
            f"{where} ORDER BY {_ORDERS[order]}, customer_id LIMIT {int(limit)}",
            params,
        )


def value_at_risk_report(
    store: Store, settings: Settings, *, months: int = 12
) -> dict[str, Any]:
    """The experience model, the CLV lost per incident, value at risk by touchpoint.

    Fits CLV first when the workspace has no predictions yet.
    """
    from esperia.value.experience import fit_experience_model, revenue_at_risk

    if not 1 <= months <= 60:
        raise InvalidInput("months must be between 1 and 60")
    with store.connect() as conn:
        has_clv = conn.scalar("SELECT count(*) FROM customer_value")
    if not has_clv:
        predict_workspace(store, settings)
    model = fit_experience_model(store, settings)
    at_risk = revenue_at_risk(store, settings, model, months=months)
    with store.connect() as conn:
        mean_clv = float(conn.scalar("SELECT avg(clv) FROM customer_value") or 0.0)
    data = model.to_dict()
    for effect in data["effects"]:
        effect["loss_per_incident"] = effect["loss_fraction"] * mean_clv
    report = {"model": data, "at_risk": at_risk}
    _save_report(store, "at_risk", report)
    return report


def _save_report(store: Store, name: str, report: dict[str, Any]) -> None:
    with store.write_lock, store.connect() as conn, conn.transaction():
        conn.execute("DELETE FROM value_reports WHERE name = ?", (name,))
        conn.execute(
            "INSERT INTO value_reports VALUES (?, current_timestamp, ?)",
            (name, json.dumps(report, default=str)),
        )


def _saved_report(store: Store, name: str) -> dict[str, Any] | None:
    with store.connect() as conn:
        body = conn.scalar("SELECT body FROM value_reports WHERE name = ?", (name,))
    if body is None:
        return None
    data: dict[str, Any] = json.loads(body) if isinstance(body, str) else body
    return data


def saved_at_risk(store: Store) -> dict[str, Any] | None:
    """The last value-at-risk report, or None before the first."""
    return _saved_report(store, "at_risk")


def evaluate_workspace(
    store: Store,
    settings: Settings,
    *,
    holdout_days: int = 180,
    calibration_end: dt.date | None = None,
    time_unit: str | None = None,
    model: str | None = None,
) -> dict[str, Any]:
    """Calibration/holdout check on the orders; saved for the Value page.

    ``model`` is a purchase model (default: the ``clv_model`` setting) or
    ``all``: every model on the same split, side by side (saved apart, as
    ``clv_comparison``).
    """
    from esperia.value.evaluate import compare_models, evaluate_summary

    name = model or settings.clv_model
    if name != "all":
        name = check_model(name)
    cal = calibration_end or holdout_calibration_end(store, holdout_days)
    summary = workspace_summary(
        store, settings, calibration_end=cal, time_unit=time_unit
    )
    if name == "all":
        report = compare_models(summary)
        _save_report(store, "clv_comparison", report)
        return report
    report = evaluate_summary(summary, name).to_dict()
    _save_report(store, "clv_evaluation", report)
    return report


def saved_comparison(store: Store) -> dict[str, Any] | None:
    """The last side-by-side check of every model, or None before the first."""
    return _saved_report(store, "clv_comparison")


def saved_evaluation(store: Store) -> dict[str, Any] | None:
    """The last calibration/holdout check, or None before the first."""
    return _saved_report(store, "clv_evaluation")


def clv_histogram(store: Store, bins: int = 30) -> dict[str, Any]:
    """CLV distribution binned in the engine (bin edges and counts)."""
    with store.connect() as conn:
        row = conn.fetch_dicts(
            "SELECT min(clv) AS lo, max(clv) AS hi, count(*) AS n, "
            "sum(clv) AS total FROM customer_value"
        )[0]
        if not row["n"]:
            raise NotFound("no CLV predictions yet: run `esperia clv predict`")
        lo, hi = float(row["lo"]), float(row["hi"])
        width = (hi - lo) / bins if hi > lo else 1.0
        counts = conn.fetch_dicts(
            "SELECT CAST(floor((clv - ?) / ?) AS INTEGER) AS bin, count(*) AS n "
            "FROM customer_value GROUP BY 1 ORDER BY 1",
            (lo, width),
        )
    per_bin = [0] * bins
    for r in counts:
        per_bin[min(int(r["bin"]), bins - 1)] += int(r["n"])
    return {
        "edges": [lo + i * width for i in range(bins + 1)],
        "counts": per_bin,
        "customers": int(row["n"]),
        "total": float(row["total"]),
    }
