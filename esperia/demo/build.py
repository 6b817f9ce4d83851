"""Build the demo workspace: simulate the bookshop, import it, keep the truth."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from esperia.act.demo_step import demo_rules
from esperia.config import DATABASE_FILE, SETTINGS_FILE, Settings, load_settings
from esperia.errors import InvalidInput, WorkspaceError
from esperia.ingest import ImportOptions, import_arrow
from esperia.store import KINDS, Store, open_store
from esperia.surveys import import_examples
from esperia.workspace import init_workspace

__all__ = ["DEFAULT_WORKSPACE", "DemoResult", "build_demo"]

DEFAULT_WORKSPACE = "demo-workspace"
GROUND_TRUTH_FILE = "ground_truth.json"
GROUND_TRUTH_CUSTOMERS = "ground_truth_customers.parquet"
GROUND_TRUTH_FEEDBACK = "ground_truth_feedback.parquet"
#: The demo's admin password when ESPERIA_ADMIN_PASSWORD is not set. The demo
#: holds only invented people and listens on localhost, so a known password is
#: kinder than one lost with the first run's output.
DEMO_PASSWORD = "esperia-demo"

Progress = Callable[[str, float], None]


@dataclass
class DemoResult:
    workspace: Path
    customers: int
    seed: int
    reused: bool
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    admin_email: str = ""
    admin_password: str = ""
    #: Recovery cases the example rules opened (esperia.act).
    cases: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["workspace"] = str(self.workspace)
        return data


def _marker(folder: Path) -> dict[str, Any] | None:
    path = folder / GROUND_TRUTH_FILE
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def build_demo(
    folder: Path | str,
    *,
    customers: int = 20_000,
    seed: int = 42,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> DemoResult:
    """Create (or reuse) a demo workspace with ``customers`` simulated customers."""
    from esperia.demo.simulator import simulate

    if not 1_000 <= customers <= 1_000_000:
        raise InvalidInput("--customers must be between 1,000 and 1,000,000")
    folder = Path(folder).resolve()
    started = time.perf_counter()
    marker = _marker(folder)
    has_db = (folder / DATABASE_FILE).exists()
    if has_db and marker is None:
        raise WorkspaceError(
            f"{folder} holds a workspace that is not a demo: choose another folder "
            "with --workspace (the demo never overwrites real data)"
        )
    settings = load_settings(folder)
    password = (
        settings.admin_password.get_secret_value()
        if settings.admin_password
        else DEMO_PASSWORD
    )
    same = has_db and marker is not None
    same = (
        same
        and marker is not None
        and marker.get("demo", {}).get("customers") == customers
    )
    same = same and marker is not None and marker.get("demo", {}).get("seed") == seed
    if same and not rebuild:
        return DemoResult(
            workspace=folder, customers=customers, seed=seed, reused=True,
            seconds=time.perf_counter() - started, counts=_counts(folder),
            admin_email=settings.admin_email, admin_password=password,
        )  # fmt: skip
    if marker is not None:
        # The marker goes last, so an interrupted clean-up is still a demo.
        for name in (
            DATABASE_FILE,
            DATABASE_FILE + ".wal",
            GROUND_TRUTH_CUSTOMERS,
            GROUND_TRUTH_FEEDBACK,
            GROUND_TRUTH_FILE,
        ):
            (folder / name).unlink(missing_ok=True)
        shutil.rmtree(folder / "rejects", ignore_errors=True)

    def step(what: str, fraction: float) -> None:
        if progress is not None:
            progress(what, fraction)

    step("creating the workspace", 0.01)
    fresh = not (folder / SETTINGS_FILE).exists()
    init_workspace(folder, admin_password=password)
    if fresh:
        with (folder / SETTINGS_FILE).open("a", encoding="utf-8") as fh:
            fh.write("# Built by `esperia demo`: simulated customers only.\n")
    step("simulating the bookshop", 0.05)
    data = simulate(
        customers, seed,
        progress=lambda what, f: step(f"simulating: {what}", 0.05 + 0.45 * f),
    )  # fmt: skip
    # Text is analysed in one step after all kinds are in, with its own progress.
    settings = load_settings(folder, text_enrich_on_import=False)
    store = open_store(settings)
    counts: dict[str, int] = {}
    try:
        kinds = list(KINDS)
        for i, kind in enumerate(kinds):
            step(f"loading {kind}", 0.5 + 0.3 * i / len(kinds))
            summary = import_arrow(
                store, settings, kind, data.tables[kind], source="demo",
                options=ImportOptions(all_or_nothing=True),
            )  # fmt: skip
            counts[kind] = summary.loaded
        _enrich(store, settings, step)
        step("fitting customer lifetime value", 0.975)
        _value_step(store, settings)
        step("building customer journeys", 0.985)
        _journey_step(store, settings)
        step("building personas", 0.987)
        _personas_step(store)
        step("storing the example surveys", 0.99)
        import_examples(store, actor="demo")
        step("opening recovery cases", 0.995)
        cases = demo_rules(store, settings)
        step("scoring next best actions", 0.996)
        _nba_step(store, settings)
        step("training the care assistant", 0.998)
        from esperia.assistant import assistant_for

        assistant_for(settings, store).train()
        step("storing the metrics overview", 0.999)
        from esperia.metrics.overview import refresh_overview

        refresh_overview(store, settings)
    finally:
        store.close()
    truth = dict(data.ground_truth)
    truth["demo"] = {"customers": customers, "seed": seed}
    pq.write_table(data.ground_truth_customers, folder / GROUND_TRUTH_CUSTOMERS)
    pq.write_table(data.ground_truth_feedback, folder / GROUND_TRUTH_FEEDBACK)
    # The marker goes last: a workspace with it is a complete demo.
    (folder / GROUND_TRUTH_FILE).write_text(
        json.dumps(truth, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    step("done", 1.0)
    return DemoResult(
        workspace=folder, customers=customers, seed=seed, reused=False,
        seconds=time.perf_counter() - started, counts=counts,
        admin_email=settings.admin_email, admin_password=password, cases=cases,
    )  # fmt: skip


def _enrich(store: Store, settings: Settings, step: Progress) -> None:
    """Analyse every comment (language, sentiment, aspects, redaction)."""
    from esperia.text.enrich import enrich_feedback

    def report(done: int, total: int) -> None:
        step("analysing feedback text", 0.8 + 0.17 * done / max(total, 1))

    enrich_feedback(store, settings, progress=report)


def _value_step(store: Any, settings: Any) -> None:
    """CLV per customer, its holdout check and the value at risk, for the page."""
    from esperia.value.service import (
        evaluate_workspace,
        predict_workspace,
        value_at_risk_report,
    )

    predict_workspace(store, settings)
    evaluate_workspace(store, settings)
    value_at_risk_report(store, settings)
    _demo_market_share(store)


def _demo_market_share(store: Store) -> None:
    """Illustrative market share figures (a user would bring real ones)."""
    from esperia.value.market import add_market_share

    with store.connect() as conn:
        row = conn.fetchone("SELECT min(ordered_at), max(ordered_at) FROM orders")
    if row is None or row[0] is None:
        return
    year, quarter = row[0].year, (row[0].month - 1) // 3
    last = row[1].year * 4 + (row[1].month - 1) // 3
    step = 0
    while year * 4 + quarter <= last:
        add_market_share(
            store, market="libri", period=f"{year}-Q{quarter + 1}",
            share=round(0.030 + 0.0008 * step, 4),
            source="illustrative figure (demo)",
        )  # fmt: skip
        step += 1
        quarter += 1
        if quarter == 4:
            year, quarter = year + 1, 0


def _journey_step(store: Store, settings: Settings) -> None:
    """Split interactions into journeys once, so the Journey page opens fast."""
    from esperia.journey.build import ensure_journeys, options_from_settings

    ensure_journeys(store, options_from_settings(settings))


def _personas_step(store: Any) -> None:
    """A first persona version, after CLV so the cards carry value and risk."""
    from esperia.personas import build_personas

    build_personas(store, seed=42)


def _nba_step(store: Store, settings: Settings) -> None:
    """Next best actions for every customer, after the cases they count."""
    from esperia.nba import score_customers

    score_customers(store, settings)


def _counts(folder: Path) -> dict[str, int]:
    store = open_store(load_settings(folder))
    try:
        with store.connect() as conn:
            return {
                k: int(conn.scalar(f"SELECT count(*) FROM {spec.table}"))
                for k, spec in KINDS.items()
            }
    finally:
        store.close()
