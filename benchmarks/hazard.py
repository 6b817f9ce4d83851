"""Does the experience hazard model recover the demo's planted effects?

``python benchmarks/run.py hazard --workspaces 5000:1,5000:2,20000:42`` builds
(once, cached under benchmarks/.data/hazard/) a DuckDB workspace per simulated
size and seed, fits :func:`esperia.value.experience.fit_experience_model`, and
prints each planted effect's estimate, 95% interval and whether the planted
value is inside, with the coverage per effect over the workspaces. The planted
values are the simulator's (esperia/demo/churn.py), used only as a yardstick;
each workspace also keeps ``DemoData.ground_truth_customers`` for diagnostics.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.data import DATA_DIR
from esperia.demo.churn import EVENT_HR, LATE_DELIVERY_HR, UNANSWERED_COMPLAINT_HR

#: Covariate name in the model -> (planted constant, its value).
PLANTED = {
    "late_delivery": ("LATE_DELIVERY_HR", LATE_DELIVERY_HR),
    "unanswered_complaint": ("UNANSWERED_COMPLAINT_HR", UNANSWERED_COMPLAINT_HR),
    "event": ("EVENT_HR", EVENT_HR),
}
#: The seven workspaces the issue's coverage is measured on.
DEFAULT_WORKSPACES = "5000:1,5000:2,5000:42,20000:3,20000:7,20000:11,20000:42"
KINDS = ("customers", "touchpoints", "interactions", "orders", "feedback")


def parse_workspaces(text: str) -> list[tuple[int, int]]:
    """``"5000:1,20000:42"`` -> [(5000, 1), (20000, 42)]."""
    out = []
    for part in text.split(","):
        size, _, seed = part.strip().partition(":")
        out.append((int(size), int(seed)))
    return out


def workspace(customers: int, seed: int, log: Callable[[str], None]) -> Path:
    """A DuckDB workspace holding the simulated bookshop (built once)."""
    from esperia.config import load_settings
    from esperia.demo import simulate
    from esperia.ingest import ImportOptions, import_arrow
    from esperia.store import open_store, upgrade

    folder = DATA_DIR / "hazard" / f"demo_{customers}_{seed}"
    done = folder / "built"
    if done.exists():
        return folder
    log(f"building the demo workspace: {customers:,} customers, seed {seed}")
    folder.mkdir(parents=True, exist_ok=True)
    data = simulate(customers, seed=seed)
    settings = load_settings(folder)
    store = open_store(settings)
    try:
        upgrade(store)
        for kind in KINDS:
            import_arrow(
                store, settings, kind, data.tables[kind], source="bench",
                options=ImportOptions(all_or_nothing=True),
            )  # fmt: skip
    finally:
        store.close()
    # The planted truth, for diagnostics only (the model never reads it).
    import pyarrow.parquet as pq

    pq.write_table(data.ground_truth_customers, folder / "truth_customers.parquet")
    done.write_text("built\n")
    return folder


def fit_one(folder: Path) -> dict[str, Any]:
    from esperia.config import load_settings
    from esperia.store import open_store
    from esperia.value.experience import fit_experience_model

    settings = load_settings(folder)
    store = open_store(settings)
    try:
        model = fit_experience_model(store, settings)
    finally:
        store.close()
    effects = {e["covariate"]: e for e in model.to_dict()["effects"]}
    rows = {}
    for name, (_, planted) in PLANTED.items():
        e = effects[name]
        rows[name] = {
            "planted": planted,
            "hazard_ratio": float(e["hazard_ratio"]),
            "ci_low": float(e["ci_low"]),
            "ci_high": float(e["ci_high"]),
            "inside": bool(e["ci_low"] < planted < e["ci_high"]),
        }
    return {"effects": rows, "seconds": model.seconds, "churned": model.churned}


def run_hazard_check(
    workspaces: list[tuple[int, int]], log: Callable[[str], None]
) -> dict[str, Any]:
    runs = []
    for customers, seed in workspaces:
        folder = workspace(customers, seed, log)
        started = time.perf_counter()
        result = fit_one(folder)
        result.update(customers=customers, seed=seed)
        result["wall_seconds"] = time.perf_counter() - started
        runs.append(result)
        cells = "  ".join(
            f"{n} {r['hazard_ratio']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}]"
            f"{'' if r['inside'] else ' MISS'}"
            for n, r in result["effects"].items()
        )
        log(f"{customers:>6,} seed {seed:>3}: {cells}  {result['seconds']:.2f} s")
    coverage = {
        name: sum(r["effects"][name]["inside"] for r in runs) for name in PLANTED
    }
    return {"runs": runs, "coverage": coverage, "table": hazard_table(runs, coverage)}


def hazard_table(runs: list[dict[str, Any]], coverage: dict[str, int]) -> str:
    head = "| customers | seed | " + " | ".join(
        f"{n} (planted {p})" for n, (_, p) in PLANTED.items()
    )
    lines = [head + " | seconds |", "|---|---|" + "---|" * (len(PLANTED) + 1)]
    for r in runs:
        cells = [
            f"{e['hazard_ratio']:.2f} [{e['ci_low']:.2f}, {e['ci_high']:.2f}]"
            f" {'in' if e['inside'] else '**out**'}"
            for e in r["effects"].values()
        ]
        lines.append(
            f"| {r['customers']:,} | {r['seed']} | "
            + " | ".join(cells)
            + f" | {r['seconds']:.2f} |"
        )
    n = len(runs)
    cov = [f"{coverage[name]}/{n} inside" for name in PLANTED]
    lines.append("| coverage | | " + " | ".join(cov) + " | |")
    verdicts = [
        f"{name}: {'met' if coverage[name] == n else 'missed'} "
        f"({coverage[name]}/{n} inside the 95% interval)"
        for name in PLANTED
    ]
    return "\n".join(lines) + "\n\n" + "\n".join(verdicts)
