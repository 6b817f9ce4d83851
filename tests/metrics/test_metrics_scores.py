"""NPS, CSAT and CES against hand computations, on DuckDB and PostgreSQL."""

from __future__ import annotations

import math

import numpy as np
import pytest
from support.metrics_table import SHOP_FEB, SHOP_JAN, WEB_FEB, load_table

from esperia.errors import InvalidInput
from esperia.metrics import Query, score
from esperia.metrics.stats import nps_ci, wilson_ci


def _nps(values: list[int]) -> float:
    promoters = sum(1 for v in values if v >= 9)
    detractors = sum(1 for v in values if v <= 6)
    return 100 * (promoters - detractors) / len(values)


@pytest.fixture
def loaded(store, settings):  # type: ignore[no-untyped-def]
    load_table(store, settings)
    return store


def test_overall_scores_equal_hand_computation(loaded) -> None:  # type: ignore[no-untyped-def]
    answers = SHOP_JAN + WEB_FEB + SHOP_FEB
    nps_values = [a[0] for a in answers] + [10]  # the edge answer has NPS only
    (row,) = score(loaded, "nps", Query())
    assert row["n"] == 27
    assert row["nps"] == pytest.approx(round(_nps(nps_values), 2))
    promoters = sum(v >= 9 for v in nps_values)
    assert row["promoters"] == pytest.approx(round(100 * promoters / 27, 2))
    assert row["ci_low"] < row["nps"] < row["ci_high"]
    assert row["low_n"] is True  # 27 < 30

    (csat,) = score(loaded, "csat", Query())
    top2 = sum(1 for a in answers if a[1] >= 4)
    assert csat["n"] == 26
    assert csat["csat"] == pytest.approx(round(100 * top2 / 26, 2))
    assert csat["mean"] == pytest.approx(np.mean([a[1] for a in answers]), abs=1e-3)

    (ces,) = score(loaded, "ces", Query(min_n=5))
    values = np.array([a[2] for a in answers], dtype=float)
    half = 2.0595 * values.std(ddof=1) / math.sqrt(26)  # t(0.975, 25)
    assert ces["ces"] == pytest.approx(values.mean(), abs=0.005)
    assert ces["ci_low"] == pytest.approx(values.mean() - half, abs=0.01)
    assert ces["ci_high"] == pytest.approx(values.mean() + half, abs=0.01)
    assert ces["low_n"] is False


def test_grouped_by_touchpoint_and_month_with_changes(loaded) -> None:  # type: ignore[no-untyped-def]
    rows = score(loaded, "nps", Query(by=("touchpoint", "period"), period="month"))
    got = {(r["touchpoint"], r["period"]): r for r in rows}
    # The edge answer (31 Jan 23:30 UTC) is 1 February in Rome.
    assert set(got) == {
        ("TP-SHOP", "2025-01-01"), ("TP-SHOP", "2025-02-01"), ("TP-WEB", "2025-02-01")
    }  # fmt: skip
    web = got[("TP-WEB", "2025-02-01")]
    assert web["n"] == 13
    assert web["nps"] == pytest.approx(round(_nps([a[0] for a in WEB_FEB] + [10]), 2))
    jan, feb = got[("TP-SHOP", "2025-01-01")], got[("TP-SHOP", "2025-02-01")]
    assert jan["nps"] == pytest.approx(20.0)  # 5 promoters, 3 detractors of 10
    assert feb["nps"] == pytest.approx(25.0)  # 2 promoters, 1 detractor of 4
    assert jan["change"] is None
    assert feb["change"] == pytest.approx(5.0)
    # z-test on the difference of two independent NPS, by hand.
    _, _, _, var_j = nps_ci(10, 5, 3)
    _, _, _, var_f = nps_ci(4, 2, 1)
    z = 5.0 / math.sqrt(float(var_j) + float(var_f))
    p = math.erfc(abs(z) / math.sqrt(2))
    assert feb["change_p"] == pytest.approx(p, abs=1e-3)
    assert feb["change_significant"] is False


def test_grouped_by_touchpoint_attributes_and_segment(loaded) -> None:  # type: ignore[no-untyped-def]
    by_stage = {r["stage"]: r for r in score(loaded, "csat", Query(by=("stage",)))}
    web_top2 = sum(1 for a in WEB_FEB if a[1] >= 4)
    assert by_stage["consideration"]["n"] == len(WEB_FEB)
    assert by_stage["consideration"]["csat"] == pytest.approx(
        round(100 * web_top2 / len(WEB_FEB), 2)
    )
    _, low, high = wilson_ci(len(WEB_FEB), web_top2)
    assert by_stage["consideration"]["ci_low"] == pytest.approx(100 * low, abs=0.01)
    assert by_stage["consideration"]["ci_high"] == pytest.approx(100 * high, abs=0.01)
    media = {r["medium"] for r in score(loaded, "ces", Query(by=("medium",)))}
    assert media == {"physical", "digital"}
    contacts = score(loaded, "nps", Query(by=("contact", "segment")))
    assert sum(r["n"] for r in contacts) == 27
    assert any(r["segment"] is None for r in contacts)  # the anonymous answer
    sources = {r["source"]: r["n"] for r in score(loaded, "nps", Query(by=("source",)))}
    assert sum(sources.values()) == 27 and set(sources) == {"survey", "review"}


def test_window_and_flags(loaded) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    (row,) = score(loaded, "nps", Query(since=date(2025, 2, 1), min_n=10))
    assert row["n"] == 17 and row["low_n"] is False
    assert score(loaded, "nps", Query(until=date(2024, 12, 31))) == []
    with pytest.raises(InvalidInput, match="no survey invitations"):
        score(loaded, "response_rate", Query())
    with pytest.raises(InvalidInput, match="cannot group by"):
        Query(by=("weather",))


def test_response_rate_from_invitations(loaded) -> None:  # type: ignore[no-untyped-def]
    with loaded.connect() as conn:
        for i in range(10):
            conn.execute(
                "INSERT INTO survey_invitations (token, survey_id, survey_version, "
                "kind, touchpoint_id, customer_id, created_at, due_at, sent_at, "
                "feedback_id) VALUES (?, 'S1', 1, 'email', ?, ?, ?, ?, ?, ?)",
                (f"I{i}", "TP-SHOP", "C1", "2025-01-05T10:00:00+00:00",
                 "2025-01-05T10:00:00+00:00", "2025-01-05T10:00:00+00:00",
                 f"F{i + 1:03d}" if i < 4 else None),
            )  # fmt: skip
    (row,) = score(loaded, "response_rate", Query(by=("touchpoint",)))
    assert row["n"] == 10 and row["response_rate"] == pytest.approx(40.0)
