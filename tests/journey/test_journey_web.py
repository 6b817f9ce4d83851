"""The Journey page in a real Chromium: charts drawn, pruning says what it hid,
the funnel builder works; and the pruning rule itself."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from esperia.config import Settings
from esperia.store import Store
from esperia.web.journey_views import prune


def _drawn(page, *charts: str) -> None:
    for chart in charts:
        page.wait_for_selector(f"#journey-{chart}-chart .plot-area[data-drawn=true]")


def _submit(page, form: str) -> None:
    with page.expect_navigation():
        page.click(f"#{form} button[type=submit]")


def test_prune_counts_what_it_hides() -> None:
    edges = [
        {"source": "a", "target": "b", "count": 70},
        {"source": "b", "target": "c", "count": 25},
        {"source": "c", "target": "a", "count": 5},
    ]
    kept = prune(edges, 0.10)
    assert [e["count"] for e in kept["kept"]] == [70, 25]
    assert kept["hidden_edges"] == 1 and kept["hidden_transitions"] == 5
    assert kept["hidden_share"] == pytest.approx(0.05)
    assert prune(edges, 0.0)["hidden_edges"] == 0
    assert prune([], 0.5)["hidden_share"] == 0.0


def _hidden(page) -> int:
    return int(page.locator("#flow-hidden").get_attribute("data-hidden-edges"))


@pytest.mark.browser
def test_journey_page_flows_funnel_and_moments(
    page, live_server, workspace, workspace_settings: Settings,
    workspace_store: Store, load_journey_demo: Callable[[Store, Settings], None],
    console_errors,
) -> None:  # fmt: skip
    load_journey_demo(workspace_store, workspace_settings)
    page.goto(f"{live_server}/journey")
    page.fill("#email", workspace.admin_email)
    page.fill("#password", workspace.admin_password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_server}/journey")
    _drawn(page, "flow", "funnel", "deviation", "moment")
    for chart in ("flow", "funnel", "deviation", "moment"):
        assert page.locator(f"#journey-{chart}-chart .main-svg").count() >= 1, chart
    assert page.locator("#journey-flow-chart .sankey-link").count() > 5
    default_hidden = _hidden(page)
    shown = page.locator("#dfg-table tbody tr").count()
    assert default_hidden > 0 and shown > 0
    assert page.locator("#moment-table tbody tr").count() >= 1
    assert page.locator("#deviation-table tbody tr").count() >= 1

    # A higher threshold hides more edges, and says so; zero hides none.
    page.fill("#flow-form input[name=min_share]", "3")
    _submit(page, "flow-form")
    _drawn(page, "flow")
    assert _hidden(page) > default_hidden
    assert page.locator("#dfg-table tbody tr").count() < shown
    page.fill("#flow-form input[name=min_share]", "0")
    _submit(page, "flow-form")
    assert _hidden(page) == 0
    # The stage level shows stages.
    page.select_option("#flow-form select[name=level]", "stage")
    _submit(page, "flow-form")
    _drawn(page, "flow")
    assert "purchase" in page.locator("#dfg-table").inner_text()

    # The funnel builder: two ordered steps, the rest left empty.
    selects = page.locator("#funnel-form select[name=step]")
    selects.nth(0).select_option("purchase")
    selects.nth(1).select_option("delivery")
    selects.nth(2).select_option("")
    _submit(page, "funnel-form")
    _drawn(page, "flow", "funnel")
    query = parse_qs(urlsplit(page.url).query)
    assert query["step"] == ["purchase", "delivery"] and query["level"] == ["stage"]
    steps = page.locator("#funnel-table tbody tr")
    assert [steps.nth(i).get_attribute("data-step") for i in range(2)] == [
        "purchase", "delivery",
    ]  # fmt: skip
    assert steps.count() == 2
    assert console_errors == []
