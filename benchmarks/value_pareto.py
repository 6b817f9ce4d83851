"""Pareto/NBD benchmark: Esperia next to `lifetimes.ParetoNBDFitter`.

Both tools get the same calibration summary (frequency, recency, T) and
predict the same holdout, each in its own child process: fit time, predict
time (probability alive and expected holdout purchases for every customer),
and holdout accuracy (mean absolute error per customer, correlation of
predicted and actual purchases, error of the total). Esperia's BG/NBD on the
same split is listed too, for the choice between the two models. Data: the
CDNOW sample (published Pareto/NBD estimates to reproduce) and customers drawn
from a known Pareto/NBD.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "PUBLISHED_PARETO",
    "esperia_task",
    "lifetimes_task",
    "pareto_table",
    "run_pareto_benchmark",
    "simulate_pareto_summary",
]

CDNOW = Path("/work/shared/data/cdnow_bgnbd/CDNOW_sample.txt")
#: Fader & Hardie's Pareto/NBD estimates on the CDNOW sample (weeks, 1997-09-30
#: calibration end), from their note on the model (2005) and its spreadsheet.
PUBLISHED_PARETO = {"r": 0.553, "alpha": 10.58, "s": 0.606, "beta": 11.67}
TRUTH = {"r": 0.55, "alpha": 10.6, "s": 0.6, "beta": 11.7}
PARAMS = ("r", "alpha", "s", "beta")


def simulate_pareto_summary(
    customers: int, seed: int, holdout: float = 39.0
) -> dict[str, np.ndarray]:
    """Customers from :data:`TRUTH` (rates per week), in whole days as real
    orders are: first purchase on one of the first 84 days of a 273-day (39
    weeks) calibration, then ``holdout`` weeks more."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUTH["r"], 1 / TRUTH["alpha"], customers)
    mu = rng.gamma(TRUTH["s"], 1 / TRUTH["beta"], customers)
    t = (273 - rng.integers(0, 84, customers)) / 7.0
    death = rng.exponential(1 / mu)
    alive_until = np.minimum(death, t)
    x = rng.poisson(lam * alive_until).astype(float)
    # The last of x uniform purchase times, cut to its day.
    last = alive_until * rng.random(customers) ** (1 / np.maximum(x, 1))
    tx = np.where(x > 0, np.floor(last * 7.0) / 7.0, 0.0)
    later = rng.poisson(lam * np.clip(death - t, 0.0, holdout)).astype(float)
    return {"x": x, "tx": tx, "t": t, "holdout_x": later, "holdout": np.array(holdout)}


def _cdnow_summary() -> dict[str, np.ndarray]:
    from esperia.value.fitting import file_connection, summarise_source
    from esperia.value.transactions import TransactionColumns, load_transactions

    con = file_connection()
    try:
        load_transactions(con, CDNOW, TransactionColumns("1", "3", "5"))
        s = summarise_source(
            con, "_tx", calibration_end=dt.date(1997, 9, 30), time_unit="weeks"
        )
    finally:
        con.close()
    return {"x": s.x, "tx": s.tx, "t": s.t, "holdout_x": s.holdout_x,
            "holdout": np.array(s.holdout)}  # fmt: skip


def _accuracy(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    return {
        "mae": float(np.abs(predicted - actual).mean()),
        "correlation": float(np.corrcoef(predicted, actual)[0, 1]),
        "predicted_total": float(predicted.sum()),
        "actual_total": float(actual.sum()),
        "error_pct": float(100 * (predicted.sum() - actual.sum()) / actual.sum()),
    }


def esperia_task(params: dict[str, Any]) -> dict[str, Any]:
    """Child task: Esperia's model from the summary arrays to the holdout."""
    from esperia.value.clv import check_model, fit_rfm
    from esperia.value.data import RFM

    data = np.load(params["path"])
    x, tx, t = data["x"], data["tx"], data["t"]
    started = time.perf_counter()
    fit = fit_rfm(
        RFM.from_customers(x, tx, t, time_unit="weeks"),
        spend=False,
        model=check_model(params["model"]),
    )
    fitted = time.perf_counter()
    alive = fit.purchases.probability_alive(x, tx, t)
    predicted = fit.purchases.expected_purchases(float(data["holdout"]), x, tx, t)
    done = time.perf_counter()
    out = fit.to_dict()
    return {
        **{k: out[k] for k in (*PARAMS, "a", "b") if k in out},
        "log_likelihood": out["log_likelihood"],
        "fit_s": fitted - started,
        "predict_s": done - fitted,
        "mean_p_alive": float(alive.mean()),
        **_accuracy(predicted, data["holdout_x"]),
    }


def lifetimes_task(params: dict[str, Any]) -> dict[str, Any]:
    """Child task: `lifetimes.ParetoNBDFitter` on the same arrays."""
    import pandas as pd
    from lifetimes import ParetoNBDFitter

    from esperia.value.pareto_nbd import ParetoNBDParams, log_likelihood

    data = np.load(params["path"])
    frame = pd.DataFrame(
        {"frequency": data["x"], "recency": data["tx"], "T": data["t"]}
    )
    started = time.perf_counter()
    model = ParetoNBDFitter()
    model.fit(frame["frequency"], frame["recency"], frame["T"])
    fitted = time.perf_counter()
    alive = model.conditional_probability_alive(
        frame["frequency"], frame["recency"], frame["T"]
    )
    predicted = model.conditional_expected_number_of_purchases_up_to_time(
        float(data["holdout"]), frame["frequency"], frame["recency"], frame["T"]
    )
    done = time.perf_counter()
    fitted_params = {k: float(model.params_[k]) for k in PARAMS}
    # lifetimes reports a penalised, rescaled objective: score its parameters
    # with the full log-likelihood instead, so the two columns compare.
    ll = log_likelihood(
        ParetoNBDParams(**fitted_params), data["x"], data["tx"], data["t"]
    )
    return {
        **fitted_params,
        "log_likelihood": float(ll.sum()),
        "fit_s": fitted - started,
        "predict_s": done - fitted,
        "mean_p_alive": float(np.asarray(alive, dtype=float).mean()),
        **_accuracy(np.asarray(predicted, dtype=float), data["holdout_x"]),
    }


def run_pareto_benchmark(
    customers: int, data_dir: Path, timeout: float, log: Callable[[str], None]
) -> dict[str, Any]:
    """CDNOW (when present) and a simulated set; three runs on each."""
    from benchmarks.child import run_child

    data_dir.mkdir(parents=True, exist_ok=True)
    sets: dict[str, dict[str, np.ndarray]] = {}
    if CDNOW.is_file():
        sets["cdnow"] = _cdnow_summary()
    else:
        log(f"{CDNOW} not found: skipping the CDNOW comparison")
    sets[f"simulated-{customers}"] = simulate_pareto_summary(customers, seed=2024)
    runs: dict[str, Any] = {}
    for name, arrays in sets.items():
        path = data_dir / f"pareto-{name}.npz"
        np.savez(path, **arrays)
        runs[name] = {"customers": len(arrays["x"])}
        for label, task, model in (
            ("Esperia Pareto/NBD", "value_pareto:esperia_task", "pareto-nbd"),
            ("lifetimes ParetoNBDFitter", "value_pareto:lifetimes_task", ""),
            ("Esperia BG/NBD", "value_pareto:esperia_task", "bg-nbd"),
        ):
            log(f"{name}: {label} …")
            child = run_child(task, {"path": str(path), "model": model}, timeout)
            res = child.result
            res["peak_rss_mb"] = round(child.peak_rss_mb, 1)
            runs[name][label] = res
            if "error" in res:
                log(f"  failed: {res['error'].splitlines()[-1]}")
            else:
                log(f"  fit {res['fit_s']:.2f}s, predict {res['predict_s']:.3f}s")
    return {"customers": customers, "runs": runs, "table": pareto_table(runs)}


def _close(a: float, b: float) -> bool:
    from esperia.value.clv import is_close

    return is_close(a, b, 3)


def pareto_table(runs: dict[str, Any]) -> str:
    """Markdown tables, then one verdict line per target."""
    lines: list[str] = []
    verdicts: list[str] = []
    for name, tools in runs.items():
        lines += [
            f"\n**{name}** ({tools['customers']:,} customers)\n",
            "| | r | alpha | s / a | beta / b | log-likelihood | fit s | predict s |"
            " holdout MAE | correlation | total error |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for label, res in tools.items():
            if label == "customers":
                continue
            if "error" in res:
                lines.append(f"| {label} | failed: {res['error'].splitlines()[-1]} |")
                continue
            third = res.get("s", res.get("a"))
            fourth = res.get("beta", res.get("b"))
            lines.append(
                f"| {label} | {res['r']:.4g} | {res['alpha']:.4g} | {third:.4g} | "
                f"{fourth:.4g} | {res['log_likelihood']:.2f} | {res['fit_s']:.2f} | "
                f"{res['predict_s']:.3f} | {res['mae']:.4f} | "
                f"{res['correlation']:.4f} | {res['error_pct']:+.1f}% |"
            )
        es = tools.get("Esperia Pareto/NBD", {})
        lt = tools.get("lifetimes ParetoNBDFitter", {})
        if "error" in es:
            verdicts.append(f"{name}: Esperia Pareto/NBD failed — MISSED")
            continue
        if name == "cdnow":
            ok = all(_close(es[k], PUBLISHED_PARETO[k]) for k in PARAMS)
            verdicts.append(
                f"{name}: published estimates to 3 digits — {'met' if ok else 'MISSED'}"
            )
        if lt and "error" not in lt:
            same = all(_close(es[k], lt[k]) for k in PARAMS)
            ll_ok = es["log_likelihood"] >= lt["log_likelihood"] - 0.01
            es_s, lt_s = es["fit_s"] + es["predict_s"], lt["fit_s"] + lt["predict_s"]
            verdicts += [
                f"{name}: same parameters as lifetimes to 3 digits — "
                f"{'met' if same else 'MISSED'} (log-likelihood "
                f"{es['log_likelihood']:.2f} vs {lt['log_likelihood']:.2f}: "
                f"{'as good or better' if ll_ok else 'worse'})",
                f"{name}: fit + predict {es_s:.2f}s vs lifetimes {lt_s:.2f}s "
                f"({lt_s / es_s:.1f}x) — {'met' if es_s < lt_s else 'MISSED'}",
                f"{name}: holdout MAE {es['mae']:.4f} vs lifetimes {lt['mae']:.4f} — "
                f"{'met' if es['mae'] <= lt['mae'] * 1.01 else 'MISSED'}",
            ]
    return "\n".join(lines) + "\n\n" + "\n".join(verdicts)
