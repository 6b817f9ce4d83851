"""The Value page and API on a workspace with simulated data, in a real browser."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest

from esperia.config import Settings
from esperia.store import Store
from esperia.value.service import predict_workspace, value_at_risk_report

Loader = Callable[[Store, Settings, tuple[str, ...]], None]
KINDS = ("customers", "touchpoints", "interactions", "orders", "feedback")


@pytest.fixture
def valued(
    workspace_store: Store, workspace_settings: Settings, load_demo: Loader
) -> None:
    load_demo(workspace_store, workspace_settings, KINDS)
    predict_workspace(workspace_store, workspace_settings)
    value_at_risk_report(workspace_store, workspace_settings)


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
    ):
        assert page.locator(section).is_visible()
    # plotly draws an SVG per chart: histogram, heatmap, value at risk.
    page.wait_for_selector("#value-at-risk .plot-area svg.main-svg")
    assert page.locator(".plot-area svg.main-svg").count() >= 3
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


def _login(page, live_server: str, workspace) -> None:
    page.goto(f"{live_server}/login")
    page.fill("#email", workspace.admin_email)
    page.fill("#password", workspace.admin_password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    assert urlsplit(page.url).path == "/"
