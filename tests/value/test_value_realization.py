"""Share of wallet and market share: figures the user brings, on both engines."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner, Result

from esperia.config import Settings
from esperia.demo import DemoData
from esperia.errors import InvalidInput, NotFound
from esperia.store import Store
from esperia.value.figures import parse_period
from esperia.value.market import (
    add_market_share,
    import_market_share,
    market_share_report,
)
from esperia.value.wallet import import_category_spend, share_of_wallet
from esperia.workspace import InitResult

Loader = Callable[[Store, Settings, tuple[str, ...]], None]


def _our_revenue(
    demo: DemoData, customers: set[str], category: str, lo: dt.date, hi: dt.date
) -> float:
    """The same sum, computed outside the engine from the simulator's table."""
    orders = demo.tables["orders"]
    day = pc.cast(pc.assume_timezone(pc.local_timestamp(orders["ordered_at"]),
                                     "UTC"), "date32")  # fmt: skip
    days = np.array(day.to_pylist())
    ids = np.array(orders["customer_id"].to_pylist())
    cats = np.array(orders["category"].to_pylist())
    revenue = orders["revenue"].to_numpy()
    sel = (
        np.isin(ids, list(customers)) & (cats == category) & (days >= lo) & (days <= hi)
    )
    return float(revenue[sel].sum())


def test_share_of_wallet(
    store: Store, settings: Settings, load_demo: Loader, demo_small: DemoData,
    tmp_path: Path,
) -> None:  # fmt: skip
    load_demo(store, settings, ("customers", "touchpoints", "orders"))
    customers = demo_small.tables["customers"]
    orders = demo_small.tables["orders"]
    # The customer with the most "narrativa" orders, and the "azienda" segment.
    cats = np.array(orders["category"].to_pylist())
    ids = np.array(orders["customer_id"].to_pylist())
    values, counts = np.unique(ids[cats == "narrativa"], return_counts=True)
    top = str(values[np.argmax(counts)])
    segment = np.array(customers["segment"].to_pylist(), dtype=object)
    azienda = set(np.array(customers["customer_id"].to_pylist())[segment == "azienda"])
    lo, hi = dt.date(2024, 1, 1), dt.date(2025, 12, 31)
    csv = tmp_path / "spend.csv"
    csv.write_text(
        "customer_id,segment,category,period_start,period_end,total_spend\n"
        f"{top},,narrativa,{lo},{hi},5000\n"
        f",azienda,forniture,{lo},{hi},100000\n",
        encoding="utf-8",
    )
    assert import_category_spend(store, csv)["imported"] == 2

    ours_top = _our_revenue(demo_small, {top}, "narrativa", lo, hi)
    ours_seg = _our_revenue(demo_small, azienda, "forniture", lo, hi)
    assert ours_top > 0 and ours_seg > 0
    rows = share_of_wallet(store, by="customer")["groups"]
    by_level = {r["level"]: r for r in rows}
    assert by_level["customer"]["customer_id"] == top
    assert by_level["customer"]["our_revenue"] == pytest.approx(ours_top)
    assert by_level["customer"]["share_of_wallet"] == pytest.approx(ours_top / 5000)
    assert by_level["segment"]["our_revenue"] == pytest.approx(ours_seg)
    report = share_of_wallet(store, by="category")
    assert report["total"]["share_of_wallet"] == pytest.approx(
        (ours_top + ours_seg) / 105_000
    )
    # Records work the same way; replace drops what was there.
    import_category_spend(
        store,
        [{"segment": "azienda", "category": "forniture", "period_start": str(lo),
          "period_end": str(hi), "total_spend": ours_seg / 2}],
        replace=True,
    )  # fmt: skip
    again = share_of_wallet(store, by="segment")
    assert again["total"]["rows"] == 1
    assert again["groups"][0]["share_of_wallet"] == pytest.approx(2.0)
    assert again["total"]["exceeding"] == 1  # our orders top the reported total


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"category": "x", "period_start": "2025-01-01", "period_end": "2025-12-31",
          "total_spend": "1"}, "needs a customer_id or a segment"),
        ({"customer_id": "C1", "segment": "s", "category": "x",
          "period_start": "2025-01-01", "period_end": "2025-12-31",
          "total_spend": "1"}, "not both"),
        ({"customer_id": "C1", "category": "x", "period_start": "2025-02-30",
          "period_end": "2025-12-31", "total_spend": "1"},
         "row 1, column 'period_start': '2025-02-30' is not a date"),
        ({"customer_id": "C1", "category": "x", "period_start": "2025-06-01",
          "period_end": "2025-01-31", "total_spend": "1"}, "before period_start"),
        ({"customer_id": "C1", "category": "x", "period_start": "2025-01-01",
          "period_end": "2025-12-31", "total_spend": "-5"}, "is negative"),
        ({"customer_id": "C1", "category": "x", "period_start": "2025-01-01",
          "period_end": "2025-12-31", "total_spend": "lots"}, "'lots' is not a number"),
        ({"customer_id": "C1", "period_start": "2025-01-01",
          "period_end": "2025-12-31", "total_spend": "1"}, "missing column 'category'"),
    ],
)  # fmt: skip
def test_category_spend_errors(
    duckdb_store: Store, row: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        import_category_spend(duckdb_store, [row])
    with pytest.raises(NotFound):
        share_of_wallet(duckdb_store)  # nothing was stored


def _nps(demo: DemoData, lo: dt.date, hi: dt.date) -> tuple[float, int]:
    fb = demo.tables["feedback"]
    day = pc.cast(pc.assume_timezone(pc.local_timestamp(fb["received_at"]), "UTC"),
                  "date32")  # fmt: skip
    days = np.array(day.to_pylist())
    nps = np.array(fb["nps"].to_pylist(), dtype=object)
    sel = (nps != None) & (days >= lo) & (days <= hi)  # noqa: E711
    scores = nps[sel].astype(int)
    return 100.0 * ((scores >= 9).mean() - (scores <= 6).mean()), len(scores)


def test_market_share_next_to_nps(
    store: Store, settings: Settings, load_demo: Loader, demo_small: DemoData,
    tmp_path: Path,
) -> None:  # fmt: skip
    load_demo(store, settings, ("customers", "touchpoints", "interactions", "feedback"))
    add_market_share(store, market="libri", period="2024", share=0.03, source="AIE")
    add_market_share(store, market="libri", period="2025-Q1", share=0.034)
    # The same market and period again: replaced, not duplicated.
    add_market_share(store, market="libri", period="2025-Q1", share=0.035)
    csv = tmp_path / "share.csv"
    csv.write_text(
        "market,period,share,source\nlibri,2025-Q2,0.036,AIE\nfumetti,2025-03,0.01,\n",
        encoding="utf-8",
    )
    assert import_market_share(store, csv) == {"imported": 2, "rows": 4}
    report = market_share_report(store)
    assert report["markets"] == ["fumetti", "libri"]
    libri = [r for r in report["rows"] if r["market"] == "libri"]
    assert [r["share"] for r in libri] == [0.03, 0.035, 0.036]
    q1 = libri[1]
    assert (q1["period_start"], q1["period_end"]) == ("2025-01-01", "2025-03-31")
    nps, answers = _nps(demo_small, dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    assert answers > 20
    assert q1["nps_answers"] == answers
    assert q1["nps"] == pytest.approx(nps)


def test_market_share_errors(duckdb_store: Store, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="2025-Q5"):
        add_market_share(duckdb_store, market="m", period="2025-Q5", share=0.1)
    with pytest.raises(InvalidInput, match=r"23% is 0\.23"):
        add_market_share(duckdb_store, market="m", period="2025", share=23)
    bad = tmp_path / "bad.csv"
    bad.write_text("market,period,share\nm,2025,0.1\nm,2025-02,1.5\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"bad.csv, data row 2, column 'share'"):
        import_market_share(duckdb_store, bad)
    with pytest.raises(NotFound):
        market_share_report(duckdb_store)


def test_parse_period() -> None:
    assert parse_period("2024-Q1") == (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    assert parse_period("2024-02") == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert parse_period("2025-12") == (dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    assert parse_period("2025") == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    with pytest.raises(InvalidInput):
        parse_period("2025-13")


def test_cli_market_share_and_wallet(workspace: InitResult, tmp_path: Path) -> None:
    from esperia.cli import commands  # noqa: F401 - registers the commands
    from esperia.cli.app import app

    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, ["--workspace", str(workspace.workspace), *args])

    added = run("value", "market-share", "add", "--market", "libri",
                "--period", "2025-Q3", "--share", "0.04", "--source", "A")  # fmt: skip
    assert added.exit_code == 0, added.output
    shown = run("value", "market-share", "show", "--json")
    data = json.loads(shown.stdout)
    assert data["rows"][0]["period_end"] == "2025-09-30"
    assert data["rows"][0]["share"] == 0.04 and data["rows"][0]["nps"] is None
    bad = run("value", "market-share", "add", "--market", "libri",
              "--period", "Q3", "--share", "0.04")  # fmt: skip
    assert bad.exit_code != 0
    assert isinstance(bad.exception, InvalidInput)
    csv = tmp_path / "spend.csv"
    csv.write_text(
        "segment,category,period_start,period_end,total_spend\n"
        "privato,narrativa,2025-01-01,2025-12-31,1000\n",
        encoding="utf-8",
    )
    assert run("value", "wallet", "import", str(csv)).exit_code == 0
    table = run("value", "wallet", "show", "--by", "category")
    assert table.exit_code == 0
    # No orders in the new workspace: our share is 0 of the 1,000 reported.
    assert "1,000.00" in table.stdout and "0.0%" in table.stdout
