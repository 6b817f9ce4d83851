"""Customer lifetime value: a purchase model for how many, Gamma-Gamma for how much.

The purchase model is BG/NBD (the default) or Pareto/NBD (``model``). ``fit_rfm``
fits it and Gamma-Gamma on a compressed summary; ``predict`` turns them
into per-customer figures (probability alive, expected purchases over a
horizon, expected spend, discounted CLV). Predictions are computed once per
unique (x, t_x, T) row and spread back to customers.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from esperia.errors import InvalidInput
from esperia.value.bgnbd import BetaGeo
from esperia.value.data import RFM, UNIT_DAYS, TimeUnit
from esperia.value.gamma_gamma import GammaGamma
from esperia.value.pareto_nbd import ParetoNBD

__all__ = [
    "DAYS_PER_MONTH",
    "MODELS",
    "ClvFit",
    "ClvOptions",
    "ModelName",
    "Predictions",
    "check_model",
    "fit_rfm",
    "predict",
]

ModelName = Literal["bg-nbd", "pareto-nbd"]
#: The purchase models, by the name the CLI, the API and the settings use.
MODELS: tuple[ModelName, ...] = ("bg-nbd", "pareto-nbd")
#: Each model's parameter names, in the order they are printed.
MODEL_PARAMS: dict[str, tuple[str, ...]] = {
    "bg-nbd": ("r", "alpha", "a", "b"),
    "pareto-nbd": ("r", "alpha", "s", "beta"),
}
MODEL_LABELS = {"bg-nbd": "BG/NBD", "pareto-nbd": "Pareto/NBD"}


def check_model(name: str) -> ModelName:
    """``name`` as a model name, or one :class:`InvalidInput` line."""
    if name not in MODELS:
        raise InvalidInput(f"model {name!r}: use {' or '.join(MODELS)}")
    return name


DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class ClvOptions:
    """How predictions turn into money."""

    horizon_months: int = 12
    annual_discount_rate: float = 0.10
    default_margin: float = 0.30

    def __post_init__(self) -> None:
        if not 1 <= self.horizon_months <= 120:
            raise InvalidInput("the CLV horizon must be between 1 and 120 months")
        if not 0 <= self.annual_discount_rate < 1:
            raise InvalidInput("the annual discount rate must be in [0, 1)")
        if not 0 <= self.default_margin <= 1:
            raise InvalidInput("the default margin must be a share between 0 and 1")


@dataclass
class ClvFit:
    """Both fitted models and what they were fitted on."""

    purchases: BetaGeo | ParetoNBD
    spend: GammaGamma | None
    time_unit: TimeUnit
    calibration_end: dt.date | None
    customers: int
    repeat_buyers: int
    unique_rows: int
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    spend_error: str | None = None

    @property
    def model(self) -> ModelName:
        return "pareto-nbd" if isinstance(self.purchases, ParetoNBD) else "bg-nbd"

    def to_dict(self) -> dict[str, Any]:
        fitted = self.purchases.params
        assert fitted is not None
        gg = self.spend.params if self.spend is not None else None
        names = MODEL_PARAMS[self.model]
        return {
            "model": self.model,
            **{k: float(v) for k, v in zip(names, fitted.as_array(), strict=True)},
            "log_likelihood": self.purchases.log_likelihood,
            "fit_info": self.purchases.info,
            "p": gg.p if gg else None,
            "q": gg.q if gg else None,
            "gamma": gg.gamma if gg else None,
            "spend_log_likelihood": self.spend.log_likelihood if self.spend else None,
            "spend_error": self.spend_error,
            "customers": self.customers,
            "repeat_buyers": self.repeat_buyers,
            "unique_rows": self.unique_rows,
            "time_unit": self.time_unit,
            "calibration_end": (
                self.calibration_end.isoformat() if self.calibration_end else None
            ),
            "seconds": round(self.seconds, 4),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


def fit_rfm(rfm: RFM, *, spend: bool = True, model: str = "bg-nbd") -> ClvFit:
    """Fit the purchase ``model`` and (when ``spend`` and the data allow)
    Gamma-Gamma."""
    started = time.perf_counter()
    name = check_model(model)
    bg: BetaGeo | ParetoNBD = (
        ParetoNBD().fit(rfm) if name == "pareto-nbd" else BetaGeo().fit(rfm)
    )
    gg: GammaGamma | None = None
    spend_error = None
    if spend:
        if len(rfm.spend_x) == 0:
            spend_error = "no spend values"
        else:
            try:
                gg = GammaGamma().fit(rfm)
            except InvalidInput as exc:
                spend_error = exc.message
    return ClvFit(
        purchases=bg, spend=gg, time_unit=rfm.time_unit,
        calibration_end=rfm.calibration_end, customers=rfm.customers,
        repeat_buyers=rfm.repeat_buyers, unique_rows=len(rfm.x),
        seconds=time.perf_counter() - started,
        timings={
            name.replace("-", ""): bg.seconds,
            "gamma_gamma": gg.seconds if gg else 0.0,
        },
        spend_error=spend_error,
    )  # fmt: skip


@dataclass
class Predictions:
    """Per-customer predictions, aligned with the summary they came from."""

    p_alive: np.ndarray
    expected_purchases: np.ndarray
    expected_spend: np.ndarray
    margin_rate: np.ndarray
    clv: np.ndarray
    horizon_months: int


def _monthly_rate(annual: float) -> float:
    return float((1.0 + annual) ** (1.0 / 12.0) - 1.0)


def predict(
    fit: ClvFit,
    x: np.ndarray,
    tx: np.ndarray,
    t: np.ndarray,
    m: np.ndarray,
    margin_rate: np.ndarray,
    options: ClvOptions,
) -> Predictions:
    """Probability alive, purchases and discounted CLV over ``horizon_months``.

    CLV = Σ_k ΔE[purchases in month k] · expected spend · margin / (1+d)^k,
    with d the monthly discount rate; customers without a repeat purchase get
    the population mean spend, so no prediction is NaN.
    """
    x, tx, t = (np.asarray(v, dtype=float) for v in (x, tx, t))
    if len(x) == 0:
        empty = np.empty(0)
        return Predictions(empty, empty, empty, empty, empty, options.horizon_months)
    stacked = np.column_stack([x, tx, t])
    unique, inverse = np.unique(stacked, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    ux, utx, ut = unique[:, 0], unique[:, 1], unique[:, 2]
    bg = fit.purchases
    month = DAYS_PER_MONTH / UNIT_DAYS[fit.time_unit]
    d = _monthly_rate(options.annual_discount_rate)
    previous = np.zeros(len(ux))
    discounted = np.zeros(len(ux))
    for k in range(1, options.horizon_months + 1):
        cumulative = bg.expected_purchases(k * month, ux, utx, ut)
        discounted += (cumulative - previous) / (1.0 + d) ** k
        previous = cumulative
    alive = bg.probability_alive(ux, utx, ut)
    if fit.spend is not None:
        spend = fit.spend.expected_spend(x, np.asarray(m, dtype=float))
    else:
        repeat = x > 0
        fallback = float(np.mean(m[repeat])) if repeat.any() else 0.0
        spend = np.where(repeat, m, fallback)
    margin = np.where(np.isfinite(margin_rate), margin_rate, options.default_margin)
    clv = discounted[inverse] * spend * margin
    for name, arr in (("CLV", clv), ("expected purchases", previous)):
        if not np.all(np.isfinite(arr)):
            raise InvalidInput(
                f"the fitted model gives undefined {name} for some customers; "
                "check the data (a very short observation period?)"
            )
    return Predictions(
        p_alive=alive[inverse],
        expected_purchases=previous[inverse],
        expected_spend=spend,
        margin_rate=margin,
        clv=clv,
        horizon_months=options.horizon_months,
    )


def is_close(a: float, b: float, digits: int = 3) -> bool:
    """Whether ``a`` and ``b`` agree to ``digits`` significant digits."""
    if a == b:
        return True
    scale = 10 ** (math.floor(math.log10(max(abs(a), abs(b)))) - digits + 1)
    return abs(a - b) < scale / 2 + 1e-12 or round(a / scale) == round(b / scale)
