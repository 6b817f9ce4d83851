"""The Value page and API on a workspace with simulated data, in a real browser."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest

from esperia.config import Settings
from esperia.store import Store
from esperia.value.market import add_market_share
from esperia.value.service import (
    evaluate_workspace,
    predict_workspace,
    value_at_risk_report,
)
from esperia.value.wallet import import_category_spend

Loader = Callable[[Store, Settings, tuple[str, ...]], None]
KINDS = ("customers", "touchpoints", "interactions", "orders", "feedback")


@pytest.fixture
def valued(
    workspace_store: Store, workspace_settings: Settings, load_demo: Loader
) -> None:
    load_demo(workspace_store, workspace_settings, KINDS)
    predict_workspace(workspace_store, workspace_settings)
    evaluate_workspace(workspace_store, workspace_settings)
    value_at_risk_report(workspace_store, workspace_settings)
    for period, share in (("2024-Q3", 0.030), ("2024-Q4", 0.032), ("2025-Q1", 0.031)):
        add_market_share(
            workspace_store, market="libri", period=period, share=share, source="AIE"
        )
    import_category_spend(
        workspace_store,
        [{"segment": "privato", "category": "narrativa", "period_start": "2025-01-01",
          "period_end": "2025-06-30", "total_spend": 250000}],
    )  # fmt: skip


@pytest.mark.browser
def test_value_page_before_any_fit_says_what_to_do(
    page, live_server, workspace, console_errors
) -> None:
    _login(page, live_server, workspace)
    page.goto(f"{live_server}/value")
    assert "esperia clv predict" in page.locator("#value-empty").inner_text()
    assert console_errors == []


@pytest.mark.browser
def test_value_page_draws_every_chart(
    page, live_server, workspace, valued, console_errors
) -> None:
    _login(page, live_server, workspace)
    page.click("nav a[href='/value']")
    page.wait_for_url(f"{live_server}/value")
    for section in (
        "#clv",
        "#cohorts",
        "#at-risk-customers",
        "#value-at-risk",
        "#profitability",
        "#calibration",
        "#clv-groups",
        "#market-share",
        "#wallet",
    ):
        assert page.locator(section).is_visible()
    # plotly draws an SVG per chart: histogram, holdout check, heatmap, value at
    # risk, market share with NPS.
    page.wait_for_selector("#value-at-risk .plot-area svg.main-svg")
    page.wait_for_selector("#market-share .plot-area svg.main-svg")
    page.wait_for_selector("#calibration .plot-area svg.main-svg")
    assert page.locator(".plot-area svg.main-svg").count() >= 5
    # Holdout check: one bar pair per frequency group (0 … 7+), both traces.
    assert page.locator("#calibration .plot-area g.trace.bars").count() == 2
    assert page.locator("#calibration tbody tr").count() >= 5
    # Market share (3 points) and NPS (3 points) on one chart.
    assert page.locator("#market-share .plot-area g.trace.scatter").count() == 2
    assert "AIE" in page.locator("#market-share").inner_text()
    wallet = page.locator("#wallet").inner_text()
    assert "narrativa" in wallet and "250" in wallet
    groups = page.locator("#clv-groups")
    assert groups.locator("table[data-group='segment'] tbody tr").count() == 2
    assert groups.locator("table[data-group='touchpoint'] tbody tr").count() >= 10
    assert "personas build" in groups.inner_text()  # no personas in this one
    rows = page.locator("#at-risk-customers tbody tr")
    assert rows.count() == 15
    # Late courier deliveries are the demo's planted churn driver.
    assert "TP-COURIER" in page.locator("#value-at-risk").inner_text()
    profit = page.locator("#profitability").inner_text()
    assert "azienda" in profit and "privato" in profit
    assert page.locator("#profitability tbody tr").count() >= 4
    assert console_errors == []


def test_value_api(live_server: str, workspace, valued, workspace_store) -> None:
    from esperia.auth.api_keys import create_key

    _key, token = create_key(workspace_store, "value-test", ["read"])
    headers = {"Authorization": f"Bearer {token}"}
    fit = httpx.get(f"{live_server}/api/v1/value/clv", headers=headers).json()
    assert fit["customers"] > 1000 and fit["r"] > 0
    top = httpx.get(
        f"{live_server}/api/v1/value/customers",
        params={"order": "at_risk", "limit": 5}, headers=headers,
    ).json()  # fmt: skip
    assert len(top) == 5
    one = httpx.get(
        f"{live_server}/api/v1/value/customers/{top[0]['customer_id']}", headers=headers
    )
    assert one.status_code == 200 and one.json()["clv"] == top[0]["clv"]
    missing = httpx.get(f"{live_server}/api/v1/value/customers/nobody", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    risk = httpx.get(f"{live_server}/api/v1/value/at-risk", headers=headers).json()
    assert {e["covariate"] for e in risk["model"]["effects"]} >= {"late_delivery"}
    profit = httpx.get(
        f"{live_server}/api/v1/value/profitability",
        params={"cost_per_hour": 25}, headers=headers,
    ).json()  # fmt: skip
    total = profit["total"]
    assert total["profit"] == pytest.approx(total["margin"] - 25 * total["hours"])
    assert {r["segment"] for r in profit["by_segment"]} >= {"azienda", "privato"}
    bad = httpx.get(
        f"{live_server}/api/v1/value/profitability",
        params={"cost_per_hour": -1}, headers=headers,
    )  # fmt: skip
    assert bad.status_code in (400, 422)
    # Writing needs the admin scope.
    denied = httpx.post(f"{live_server}/api/v1/value/clv/predict", headers=headers)
    assert denied.status_code == 403
    summary = httpx.get(
        f"{live_server}/api/v1/value/clv/summary", params={"by": "segment"},
        headers=headers,
    ).json()  # fmt: skip
    assert sum(g["customers"] for g in summary["groups"]) == fit["customers"]
    evaluation = httpx.get(
        f"{live_server}/api/v1/value/clv/evaluation", headers=headers
    ).json()
    assert evaluation["groups"][0]["frequency"] == "0"
    market = httpx.get(f"{live_server}/api/v1/value/market-share", headers=headers)
    assert [r["share"] for r in market.json()["rows"]] == [0.030, 0.032, 0.031]
    wallet = httpx.get(f"{live_server}/api/v1/value/wallet", headers=headers).json()
    assert wallet["total"]["total_spend"] == 250000
    rows = [{"market": "libri", "period": "2025-Q2", "share": 0.033}]
    denied = httpx.post(
        f"{live_server}/api/v1/value/market-share", json=rows, headers=headers
    )
    assert denied.status_code == 403
    _admin, admin_token = create_key(workspace_store, "value-admin", ["admin"])
    admin = {"Authorization": f"Bearer {admin_token}"}
    added = httpx.post(
        f"{live_server}/api/v1/value/market-share", json=rows, headers=admin
    )
    assert added.status_code == 200 and added.json()["rows"] == 4
    bad = httpx.post(
        f"{live_server}/api/v1/value/wallet",
        json=[{"segment": "privato", "category": "x", "period_start": "2025-01-01",
               "period_end": "2025-06-30", "total_spend": -1}],
        headers=admin,
    )  # fmt: skip
    assert bad.status_code == 400
    assert "total_spend" in bad.json()["error"]["message"]


def _login(page, live_server: str, workspace) -> None:
    page.goto(f"{live_server}/login")
    page.fill("#email", workspace.admin_email)
    page.fill("#password", workspace.admin_password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    assert urlsplit(page.url).path == "/"


@pytest.mark.browser
def test_api_and_page_name_the_model(
    page, live_server, workspace, workspace_store, workspace_settings, load_demo,
    console_errors,
) -> None:  # fmt: skip
    from esperia.auth.api_keys import create_key

    load_demo(
        workspace_store, workspace_settings, ("customers", "touchpoints", "orders")
    )
    _key, token = create_key(workspace_store, "value-model", ["read", "admin"])
    headers = {"Authorization": f"Bearer {token}"}
    api = f"{live_server}/api/v1/value"
    made = httpx.post(
        f"{api}/clv/predict", params={"model": "pareto-nbd"}, headers=headers,
        timeout=120,
    )  # fmt: skip
    assert made.status_code == 200, made.text
    assert made.json()["model"] == "pareto-nbd"
    fit = httpx.get(f"{api}/clv", headers=headers).json()
    assert fit["model"] == "pareto-nbd" and fit["s"] > 0 and fit["beta"] > 0
    both = httpx.get(
        f"{api}/clv/evaluation", params={"model": "all"}, headers=headers, timeout=120
    ).json()  # fmt: skip
    assert [r["model"] for r in both["table"]] == ["bg-nbd", "pareto-nbd"]
    one = httpx.get(
        f"{api}/clv/evaluation", params={"model": "pareto-nbd"}, headers=headers,
        timeout=120,
    ).json()  # fmt: skip
    assert one["model"] == "pareto-nbd"
    bad = httpx.post(
        f"{api}/clv/predict", params={"model": "gamma"}, headers=headers
    )  # fmt: skip
    assert bad.status_code == 400
    assert "use bg-nbd or pareto-nbd" in bad.json()["error"]["message"]
    _login(page, live_server, workspace)
    page.goto(f"{live_server}/value")
    assert "Pareto/NBD" in page.locator("#clv-params").inner_text()
    assert "Pareto/NBD" in page.locator("#calibration-model").inner_text()
    rows = page.locator("#model-comparison tbody tr")
    assert rows.count() == 2
    assert "BG/NBD" in rows.nth(0).inner_text()
    assert console_errors == []
