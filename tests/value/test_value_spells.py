"""The spells behind the experience hazard model, and the Poisson fit, by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from esperia.config import Settings
from esperia.errors import InvalidInput
from esperia.ingest import import_records
from esperia.store import Store
from esperia.value.engine import fetch_columns
from esperia.value.experience import _spells_sql
from esperia.value.hazard import fit_poisson


def _visit(i: int, customer: str, day: str, tp: str, **extra: str) -> dict[str, str]:
    return {"interaction_id": str(i), "customer_id": customer, "touchpoint_id": tp,
            "occurred_at": f"{day}T10:00:00", "type": "visit", **extra}  # fmt: skip


def test_spells_cut_follow_up_where_covariates_change(
    store: Store, settings: Settings
) -> None:
    """Two customers whose spells are counted by hand (180-day churn rule).

    a: active 2024-01-01 .. 02-10, late deliveries on 01-11 and 01-21, an event
    on 01-21; nothing after, so a left on 02-10. b: active 2024-01-01 and on
    12-31 (the end of the data), a detractor answer on 03-01; b stayed, so b
    is followed to 180 days before the end (07-04) and crosses two tenure
    bands (91 and 182 days after the first contact).
    """
    import_records(store, settings, "customers", [
        {"customer_id": c, "first_seen_at": "2024-01-01T09:00:00"} for c in "ab"
    ], source="test")  # fmt: skip
    import_records(store, settings, "touchpoints", [
        {"touchpoint_id": "shop", "name": "Shop", "channel": "store"},
        {"touchpoint_id": "web", "name": "Web", "channel": "web"},
    ], source="test")  # fmt: skip
    loaded = import_records(store, settings, "interactions", [
        _visit(1, "a", "2024-01-01", "shop"),
        _visit(2, "a", "2024-01-11", "web", type="delivery", outcome="late"),
        _visit(3, "a", "2024-01-21", "web", type="delivery", outcome="late"),
        _visit(4, "a", "2024-01-21", "shop", type="event", outcome="attended"),
        _visit(5, "a", "2024-02-10", "shop"),
        _visit(6, "b", "2024-01-01", "shop"),
        _visit(7, "b", "2024-12-31", "shop"),
    ], source="test")  # fmt: skip
    assert loaded.loaded == 7, loaded.rejects
    import_records(store, settings, "feedback", [
        {"feedback_id": "f1", "customer_id": "b", "source": "survey", "nps": 3,
         "received_at": "2024-03-01T12:00:00"},
    ], source="test")  # fmt: skip
    assert settings.churn_inactivity_days == 180
    with store.connect() as conn:
        cols = fetch_columns(conn, _spells_sql(180))
    keys = ("late_delivery", "event", "negative_feedback", "tenure_13_26w",
            "tenure_26_52w", "shop_share", "exposure", "events")  # fmt: skip
    got = sorted(
        tuple(round(float(cols[k][i]), 1) for k in keys)
        for i in range(len(cols["exposure"]))
    )
    expected = sorted([
        # a: 10 days before the first late parcel, 10 with one, then 21 days
        # (01-21 .. 02-10) with two and the event, ending in the departure.
        (0, 0, 0, 0, 0, 0.6, 10, 0),
        (1, 0, 0, 0, 0, 0.6, 10, 0),
        (2, 1, 0, 0, 0, 0.6, 21, 1),
        # b: 60 days to 03-01 (2024 is a leap year), 31 to 04-01 (tenure 13
        # weeks), 91 to 07-01 (26 weeks), 4 to 07-04 inclusive; no departure.
        (0, 0, 0, 0, 0, 1.0, 60, 0),
        (0, 0, 1, 0, 0, 1.0, 31, 0),
        (0, 0, 1, 1, 0, 1.0, 91, 0),
        (0, 0, 1, 1, 1, 1.0, 4, 0),
    ])  # fmt: skip
    assert got == [tuple(float(v) for v in row) for row in expected]


def test_poisson_fit_matches_the_closed_form() -> None:
    """One binary covariate: the rate ratio and its standard error are known."""
    x = np.array([[0.0], [0.0], [1.0], [1.0]])
    exposure = np.array([4_000.0, 6_000.0, 3_000.0, 2_000.0])
    events = np.array([12.0, 18.0, 20.0, 10.0])
    fit = fit_poisson(["x"], x, exposure, events)
    ratio = (30 / 5_000) / (30 / 10_000)
    assert fit.hazard_ratio("x") == pytest.approx(ratio, rel=1e-9)
    assert fit.coef[0] == pytest.approx(math.log(30 / 10_000), rel=1e-9)
    assert fit.se[1] == pytest.approx(math.sqrt(1 / 30 + 1 / 30), rel=1e-6)
    row = fit.table()[0]
    assert row["ci_low"] < ratio < row["ci_high"]
    assert fit.exposure == 15_000 and fit.events == 60
    # P(leave within a month) at the baseline daily rate 0.003.
    assert fit.monthly_hazard(np.array([[0.0]]))[0] == pytest.approx(
        1 - math.exp(-0.003 * 365.25 / 12)
    )


def test_poisson_fit_refuses_too_few_events() -> None:
    with pytest.raises(InvalidInput, match="too few"):
        fit_poisson(["x"], np.array([[0.0], [1.0]]), np.ones(2), np.array([1.0, 0]))
