"""On the simulated bookshop the metrics find what the simulator planted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow.compute as pc
import pytest

from esperia.config import load_settings
from esperia.demo import simulate
from esperia.ingest import ImportOptions, import_arrow
from esperia.metrics import Query, drivers, promise_gaps, score
from esperia.store import KINDS, open_store, upgrade


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    data = simulate(5000, seed=11)
    settings = load_settings(tmp_path_factory.mktemp("demo") / "ws")
    store = open_store(settings)
    upgrade(store)
    for kind in KINDS:
        import_arrow(store, settings, kind, data.tables[kind], source="demo",
                     options=ImportOptions(all_or_nothing=True))  # fmt: skip
    try:
        yield store, data
    finally:
        store.close()


def test_waiting_beyond_the_promise_costs_one_ces_point_per_five_minutes(demo) -> None:  # type: ignore[no-untyped-def]
    store, _ = demo
    got = {r["touchpoint"]: r for r in promise_gaps(store, Query())}
    for tp in ("TP-CARE-PHONE", "TP-CARE-CHAT"):
        per_five_minutes = got[tp]["ces_per_unit_beyond"] * 300
        assert -1.3 < per_five_minutes < -0.7, (tp, per_five_minutes)
        assert got[tp]["ces_broken"] < got[tp]["ces_kept"]
    # E-mail: a point per 12 hours, flattened by the 1-7 floor on long waits.
    email = got["TP-CARE-EMAIL"]["ces_per_unit_beyond"] * 12 * 3600
    assert -1.3 < email < -0.3


def test_delivery_promise_and_its_cost(demo) -> None:  # type: ignore[no-untyped-def]
    store, data = demo
    it = data.tables["interactions"]
    courier = it.filter(pc.equal(it["touchpoint_id"], "TP-COURIER"))
    late = pc.sum(pc.equal(courier["outcome"], "late")).as_py() / courier.num_rows
    got = {r["touchpoint"]: r for r in promise_gaps(store, Query())}
    assert got["TP-COURIER"]["n"] == courier.num_rows
    assert got["TP-COURIER"]["kept"] == pytest.approx(100 * (1 - late), abs=0.05)
    assert got["TP-COURIER"]["csat_per_unit_beyond"] < 0
    # The courier's CSAT sits clearly below every shop's.
    csat = {r["touchpoint"]: r for r in score(store, "csat", Query(by=("touchpoint",)))}
    shops = [r for tp, r in csat.items() if tp.startswith("TP-STORE-")]
    assert csat["TP-COURIER"]["ci_high"] < min(r["ci_low"] for r in shops)


def test_drivers_find_deliveries_and_care(demo) -> None:  # type: ignore[no-untyped-def]
    store, _ = demo
    rows = drivers(store, Query(), target="nps", kind="touchpoints", bootstrap=30)
    top = rows[0]
    assert top["driver"] == "TP-COURIER" and top["direction"] == "-"
    assert top["ci_low"] > 100 / len(rows)  # clearly above an even share
    care = [r for r in rows if r["driver"].startswith("TP-CARE-")]
    assert care and all(r["direction"] == "-" for r in care if r["importance"] > 2)
    stages = drivers(store, Query(), target="csat", kind="stages", bootstrap=0)
    assert stages[0]["driver"] == "delivery"
    assert np.isclose(sum(r["importance"] for r in stages), 100, atol=0.1)
