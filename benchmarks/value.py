"""CLV benchmark: Esperia's BG/NBD + Gamma-Gamma next to the `lifetimes` library.

Both run end to end from a transaction file in their own child process
(peak memory is the child's high-water RSS): Esperia reads the file in DuckDB,
summarises and compresses there and fits in numpy; lifetimes reads it with
pandas, runs ``summary_data_from_transaction_data``, ``BetaGeoFitter`` and
``GammaGammaFitter``. Two data sets: the CDNOW sample of Fader, Hardie & Lee
(published estimates to reproduce), and a simulated history of a million
customers drawn from known parameters.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "PUBLISHED",
    "esperia_fit",
    "lifetimes_fit",
    "run_clv_benchmarks",
    "simulated_history",
]

CDNOW = Path("/work/shared/data/cdnow_bgnbd/CDNOW_sample.txt")
CDNOW_CALIBRATION_END = "1997-09-30"
#: Fader, Hardie & Lee (2005) and Fader & Hardie (2013), as listed in the data
#: set's PROVENANCE.md.
PUBLISHED = {
    "r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "log_likelihood": -9582.4,
    "p": 6.25, "q": 3.74, "gamma": 15.44,
}  # fmt: skip
PARAMS = ("r", "alpha", "a", "b", "p", "q", "gamma")


def simulated_history(customers: int, folder: Path, seed: int = 2024) -> Path:
    """A Parquet transaction file drawn from the CDNOW estimates (reused)."""
    import pyarrow.parquet as pq

    from esperia.value.synthetic import simulate_transactions

    path = folder / f"clv-{customers}-{seed}.parquet"
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        table, _end = simulate_transactions(customers, seed=seed)
        pq.write_table(table, path)
    return path


def esperia_fit(params: dict[str, Any]) -> dict[str, Any]:
    """Child task: Esperia from the file to both models' parameters."""
    t_import = time.perf_counter()
    from esperia.value import TransactionColumns, fit_file

    started = time.perf_counter()
    cal = params.get("calibration_end")
    fit = fit_file(
        params["path"],
        TransactionColumns(params["customer"], params["date"], params["value"]),
        calibration_end=dt.date.fromisoformat(cal) if cal else None,
        time_unit="weeks",
    )
    out = fit.to_dict()
    out["seconds_total"] = time.perf_counter() - started
    out["import_s"] = started - t_import
    return out


def lifetimes_fit(params: dict[str, Any]) -> dict[str, Any]:
    """Child task: pandas + lifetimes, the way its documentation does it."""
    t_import = time.perf_counter()
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    started = time.perf_counter()
    path = Path(params["path"])
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
    else:
        df = pd.read_csv(path, sep=r"\s+", header=None, dtype={0: str})
        df.columns = [str(i + 1) for i in range(df.shape[1])]
    date = params["date"]
    if path.suffix == ".parquet":
        df[date] = pd.to_datetime(df[date])
    else:
        df[date] = pd.to_datetime(df[date].astype(str), format="%Y%m%d")
    t0 = time.perf_counter()
    cal = params.get("calibration_end")
    if cal:
        df = df[df[date] <= pd.Timestamp(cal)]
    summary = summary_data_from_transaction_data(
        df, params["customer"], date, monetary_value_col=params["value"],
        observation_period_end=pd.Timestamp(cal) if cal else df[date].max(),
        freq="D", freq_multiplier=7,
    )  # fmt: skip
    t1 = time.perf_counter()
    bg = BetaGeoFitter()
    bg.fit(summary["frequency"], summary["recency"], summary["T"])
    t2 = time.perf_counter()
    repeat = summary[summary["frequency"] > 0]
    gg = GammaGammaFitter()
    gg.fit(repeat["frequency"], repeat["monetary_value"])
    t3 = time.perf_counter()
    return {
        "r": float(bg.params_["r"]),
        "alpha": float(bg.params_["alpha"]),
        "a": float(bg.params_["a"]),
        "b": float(bg.params_["b"]),
        "p": float(gg.params_["p"]),
        "q": float(gg.params_["q"]),
        "gamma": float(gg.params_["v"]),
        "customers": len(summary),
        "timings": {
            "read": t0 - started,
            "summary": t1 - t0,
            "bgnbd": t2 - t1,
            "gamma_gamma": t3 - t2,
        },
        "seconds_total": time.perf_counter() - started,
        "import_s": started - t_import,
    }


def _sig3(a: float, b: float) -> bool:
    from esperia.value.clv import is_close

    return is_close(a, b, 3)


def run_clv_benchmarks(
    customers: int, data_dir: Path, timeout: float, log: Callable[[str], None]
) -> dict[str, Any]:
    """Both data sets, both tools; returns every number and prints tables."""
    from benchmarks.child import run_child

    sets: list[tuple[str, dict[str, Any]]] = []
    if CDNOW.is_file():
        sets.append(
            ("cdnow", {"path": str(CDNOW), "customer": "1", "date": "3",
                       "value": "5", "calibration_end": CDNOW_CALIBRATION_END})
        )  # fmt: skip
    else:
        log(f"{CDNOW} not found: skipping the CDNOW comparison")
    log(f"simulating {customers:,} customers (cached in {data_dir})")
    path = simulated_history(customers, data_dir)
    sets.append(
        (f"simulated-{customers}",
         {"path": str(path), "customer": "customer_id", "date": "date",
          "value": "value"})
    )  # fmt: skip
    runs: dict[str, Any] = {}
    for name, params in sets:
        runs[name] = {}
        for tool in ("esperia", "lifetimes"):
            log(f"{name}: {tool} …")
            child = run_child(f"value:{tool}_fit", params, timeout=timeout)
            res = child.result
            res["peak_rss_mb"] = round(child.peak_rss_mb, 1)
            res["wall_s"] = round(child.wall_s, 3)
            runs[name][tool] = res
            if "error" in res:
                log(f"  failed: {res['error'].splitlines()[-1]}")
            else:
                log(
                    f"  {res['seconds_total']:.2f}s in the task, "
                    f"{child.wall_s:.2f}s with start-up, {child.peak_rss_mb:.0f} MiB"
                )
    return {"customers": customers, "runs": runs, "table": clv_table(runs)}


def clv_table(runs: dict[str, Any]) -> str:
    """Markdown: parameters side by side, then time and memory."""
    lines = []
    for name, tools in runs.items():
        es, lt = tools.get("esperia", {}), tools.get("lifetimes", {})
        lines.append(f"\n**{name}**\n")
        head = "| | " + " | ".join(PARAMS) + " | log-likelihood |"
        lines += [head, "|---" * (len(PARAMS) + 2) + "|"]
        rows = [("Esperia", es), ("lifetimes", lt)]
        if name == "cdnow":
            rows.append(("published", PUBLISHED))
        for label, res in rows:
            cells = [
                f"{res[k]:.4g}" if isinstance(res.get(k), float) else "-"
                for k in PARAMS
            ]
            ll = res.get("log_likelihood")
            cells.append(f"{ll:.1f}" if isinstance(ll, float) else "-")
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        if "error" not in es and "error" not in lt:
            same = all(_sig3(es[k], lt[k]) for k in PARAMS)
            speed = lt["seconds_total"] / es["seconds_total"]
            lines += [
                "",
                "| tool | seconds from file | read + summary | BG/NBD | Gamma-Gamma |"
                " imports | peak RSS MiB |",
                "|---|---:|---:|---:|---:|---:|---:|",
            ]
            for label, res in (("Esperia", es), ("lifetimes", lt)):
                t = res.get("timings", {})
                lines.append(
                    f"| {label} | {res['seconds_total']:.2f} | "
                    f"{t.get('summary', 0) + t.get('read', 0):.2f} | "
                    f"{t.get('bgnbd', 0):.2f} | {t.get('gamma_gamma', 0):.2f} | "
                    f"{res['import_s']:.2f} | {res['peak_rss_mb']:.0f} |"
                )
            lines.append(
                f"\nsame 7 parameters to 3 significant digits: "
                f"{'yes' if same else 'NO'}; Esperia {speed:.1f}x faster; "
                f"Esperia peak {es['peak_rss_mb']:.0f} MiB "
                f"({'<=' if es['peak_rss_mb'] <= 1024 else '>'} 1 GiB)"
            )
    return "\n".join(lines)
