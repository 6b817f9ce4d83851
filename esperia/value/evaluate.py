"""Calibration/holdout check: predicted against actual purchases after the cut.

Fit on purchases up to the calibration end, predict each customer's purchases
over the holdout period, and compare by number of calibration repeat purchases
(0, 1, …, 7+), as Fader, Hardie & Lee show for CDNOW. ``compare_models`` runs
the check for every purchase model on the same split, side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from esperia.errors import InvalidInput
from esperia.value.clv import MODELS, ClvFit, check_model, fit_rfm
from esperia.value.summary import CustomerSummary

__all__ = ["Evaluation", "compare_models", "evaluate_summary"]

#: Frequency groups: 0 … TOP-1 repeat purchases each, then TOP or more.
TOP = 7


@dataclass
class Evaluation:
    fit: ClvFit
    holdout: float
    groups: list[dict[str, Any]] = field(default_factory=list)
    actual_total: float = 0.0
    predicted_total: float = 0.0
    mae: float = 0.0
    correlation: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.fit.model,
            "calibration_end": (
                self.fit.calibration_end.isoformat()
                if self.fit.calibration_end
                else None
            ),
            "holdout": self.holdout,
            "time_unit": self.fit.time_unit,
            "customers": self.fit.customers,
            "actual_total": self.actual_total,
            "predicted_total": self.predicted_total,
            "error_total_pct": (
                100.0 * (self.predicted_total - self.actual_total) / self.actual_total
                if self.actual_total
                else None
            ),
            "mae_per_customer": self.mae,
            "correlation": self.correlation,
            "groups": self.groups,
            "params": self.fit.to_dict(),
        }


def evaluate_summary(summary: CustomerSummary, model: str = "bg-nbd") -> Evaluation:
    """Fit ``model`` on the calibration part of ``summary`` and score the holdout."""
    name = check_model(model)
    if summary.holdout <= 0:
        raise InvalidInput(
            "no holdout period: choose a calibration end before the last purchase"
        )
    fit = fit_rfm(summary.rfm(), spend=False, model=name)
    predicted = fit.purchases.expected_purchases(
        summary.holdout, summary.x, summary.tx, summary.t
    )
    actual = summary.holdout_x
    group = np.minimum(summary.x, TOP).astype(int)
    groups = []
    for g in range(TOP + 1):
        mask = group == g
        if not mask.any():
            continue
        groups.append(
            {
                "frequency": f"{g}+" if g == TOP else str(g),
                "customers": int(mask.sum()),
                "actual": float(actual[mask].mean()),
                "predicted": float(predicted[mask].mean()),
            }
        )
    corr = (
        float(np.corrcoef(actual, predicted)[0, 1])
        if len(actual) > 1 and actual.std() > 0 and predicted.std() > 0
        else 0.0
    )
    return Evaluation(
        fit=fit,
        holdout=summary.holdout,
        groups=groups,
        actual_total=float(actual.sum()),
        predicted_total=float(predicted.sum()),
        mae=float(np.abs(actual - predicted).mean()),
        correlation=corr,
    )


def compare_models(summary: CustomerSummary) -> dict[str, Any]:
    """Every purchase model on the same calibration/holdout split.

    ``models`` holds each model's full evaluation; ``table`` the figures that
    tell them apart (holdout MAE per customer, correlation of predicted and
    actual purchases, error of the total, log-likelihood, fit seconds).
    """
    reports = {name: evaluate_summary(summary, name).to_dict() for name in MODELS}
    first = reports[MODELS[0]]
    table = [
        {
            "model": name,
            "mae_per_customer": r["mae_per_customer"],
            "correlation": r["correlation"],
            "predicted_total": r["predicted_total"],
            "actual_total": r["actual_total"],
            "error_total_pct": r["error_total_pct"],
            "log_likelihood": r["params"]["log_likelihood"],
            "seconds": r["params"]["seconds"],
        }
        for name, r in reports.items()
    ]
    return {
        "model": "all",
        "calibration_end": first["calibration_end"],
        "holdout": first["holdout"],
        "time_unit": first["time_unit"],
        "customers": first["customers"],
        "table": table,
        "models": reports,
    }
