"""The API routes (both engines), the CLI, and the catalogue file at the door."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support.nba_data import seed_world
from typer.testing import CliRunner

import esperia.cli.nba  # noqa: F401 - registers the sub-command
from esperia.api import create_app
from esperia.auth.api_keys import create_key
from esperia.cli.app import app
from esperia.config import Settings, load_settings
from esperia.errors import InvalidInput, NotFound
from esperia.nba import load_catalogue, parse_catalogue, score_customers
from esperia.store import Store
from esperia.workspace import InitResult, open_workspace

runner = CliRunner()


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"]
    return dict(body["error"])


def test_api_context_and_next_best_action(settings: Settings, store: Store) -> None:
    seed_world(store, settings)
    quiet = settings.model_copy(update={"nba_holdout_share": 0.0})
    score_customers(store, quiet)
    read = {"Authorization": f"Bearer {create_key(store, 'r', ['read'])[1]}"}
    ingest = {"X-API-Key": create_key(store, "i", ["ingest"])[1]}
    with TestClient(create_app(quiet, store)) as client:
        ctx = client.get("/api/v1/customers/C-ANGRY/context", headers=read)
        assert ctx.status_code == 200, ctx.text
        body = ctx.json()
        assert body["open_cases"] == 0 and body["nps"]["class"] == "detractor"
        assert body["value"]["tier"] == "medium" and body["holdout"] is False
        nba = client.get(
            "/api/v1/customers/C-ANGRY/next-best-action?lang=it", headers=read
        ).json()
        assert nba["actions"][0]["action_id"] == "service_recovery_call"
        assert nba["actions"][0]["name"] == "Chiamata di recupero"
        assert nba["holdout"] is False
        for path in ("context", "next-best-action"):
            missing = client.get(f"/api/v1/customers/C-NOBODY/{path}", headers=read)
            assert "C-NOBODY" in _error(missing, 404)["message"]
            _error(client.get(f"/api/v1/customers/C-ANGRY/{path}"), 401)
        _error(client.get("/api/v1/customers/C-ANGRY/context?lang=fr",
                          headers=read), 422)  # fmt: skip
        given = client.post("/api/v1/customers/C-ANGRY/actions", headers=ingest,
                             json={"action_id": "service_recovery_call"})  # fmt: skip
        assert given.status_code == 201, given.text
        again = client.post("/api/v1/customers/C-ANGRY/actions", headers=ingest,
                            json={"action_id": "apology_gesture"})  # fmt: skip
        assert "contact rule" in _error(again, 409)["message"]
        unknown = client.post("/api/v1/customers/C-ANGRY/actions", headers=ingest,
                              json={"action_id": "teleport"})  # fmt: skip
        assert "unknown action" in _error(unknown, 400)["message"]
        nobody = client.post("/api/v1/customers/C-NOBODY/actions", headers=ingest,
                             json={"action_id": "apology_gesture"})  # fmt: skip
        assert "C-NOBODY" in _error(nobody, 404)["message"]
        _error(client.post("/api/v1/customers/C-ANGRY/actions", headers=read,
                           json={"action_id": "apology_gesture"}), 403)  # fmt: skip
        catalogue = client.get("/api/v1/nba/actions", headers=read).json()
        assert len(catalogue["actions"]) == 9
        uplift = client.get("/api/v1/nba/uplift", headers=read).json()
        assert {a["source"] for a in uplift["actions"]} == {"prior"}


def test_cli_score_show_actions_uplift(workspace: InitResult) -> None:
    folder = Path(workspace.workspace)
    settings = load_settings(folder)
    store = open_workspace(settings)
    try:
        seed_world(store, settings)
    finally:
        store.close()
    ws = ["--workspace", str(folder)]
    scored = runner.invoke(app, [*ws, "nba", "score", "--json"])
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.stdout)["customers"] == 6
    shown = runner.invoke(app, [*ws, "nba", "C-NEW", "--json"])
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.stdout)
    assert body["customer_id"] == "C-NEW" and body["language"] == "it"
    text = runner.invoke(app, [*ws, "nba", "show", "C-NEW", "--lang", "en"])
    assert text.exit_code == 0 and ("Onboarding help" in text.stdout
                                    or "holdout" in text.stdout)  # fmt: skip
    listed = runner.invoke(app, [*ws, "nba", "actions", "--json"])
    listed_ids = [a["id"] for a in json.loads(listed.stdout)["actions"]]
    assert listed_ids[:2] == ["service_recovery_call", "apology_gesture"]
    uplift = runner.invoke(app, [*ws, "nba", "uplift", "--json"])
    assert uplift.exit_code == 0 and len(json.loads(uplift.stdout)["actions"]) == 9
    missing = runner.invoke(app, [*ws, "nba", "C-NOBODY"])
    # main() turns the error into one `error:` line; the app raises it.
    assert isinstance(missing.exception, NotFound)
    assert "no customer 'C-NOBODY'" in str(missing.exception)


def test_workspace_catalogue_overrides_and_is_checked(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert len(load_catalogue(settings).actions) == 9
    (tmp_path / "nba_actions.yaml").write_text(
        "actions:\n"
        "  - id: thank_you\n"
        "    name: {it: Grazie, en: Thanks}\n"
        "    channel: email\n    consent: service\n    cost: 0.1\n"
        "    cooldown_days: 30\n    outcome: purchase\n    prior_effect: 0.01\n"
        "    value: {base: clv}\n    when: [{nps_class: promoter}]\n"
        "    reason: {it: 'NPS {nps_last}', en: 'NPS {nps_last}'}\n",
        encoding="utf-8",
    )
    own = load_catalogue(settings)
    assert [a.action_id for a in own.actions] == ["thank_you"]
    assert own.source.endswith("nba_actions.yaml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("when: [{password: 1}]", "unknown field 'password'"),
        ("when: [{'clv; DROP TABLE customers': 1}]", "unknown field"),
        ("when: [{clv: {like: 3}}]", "unknown test 'like'"),
        ("when: [{clv: high}]", "compares with a number"),
        ("consent: maybe", "consent must be one of"),
        ("reason: {it: '{secret}', en: x}", "unknown placeholder"),
        ("prior_effect: 2", "prior_effect must be between 0 and 1"),
    ],
)
def test_bad_catalogues_are_refused(change: str, message: str) -> None:
    base = {
        "id": "a", "name": "{it: A, en: A}", "channel": "email",
        "consent": "service", "cost": "1", "cooldown_days": "1",
        "outcome": "purchase", "prior_effect": "0.1", "value": "{base: clv}",
        "when": "[]", "reason": "{it: x, en: x}",
    }  # fmt: skip
    key, _, value = change.partition(": ")
    base[key] = value
    text = "actions:\n  - " + "\n    ".join(f"{k}: {v}" for k, v in base.items())
    with pytest.raises(InvalidInput, match=message):
        parse_catalogue(text, "test.yaml")
