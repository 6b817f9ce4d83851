"""`esperia rules|cases|notify|teams` as a user runs them, in real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def esperia(
    workspace: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESPERIA_")}
    env["ESPERIA_WORKSPACE"] = str(workspace)
    env["ESPERIA_ADMIN_PASSWORD"] = "cli-test-password"
    return subprocess.run(
        [sys.executable, "-m", "esperia", *args],
        env=env, capture_output=True, text=True, timeout=120, input=stdin,
    )  # fmt: skip


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    assert esperia(ws, "init").returncode == 0
    files = {
        "touchpoints": "touchpoint_id,name,channel,stage,owner_team,promise_metric,"
        "promise_target\nTP-C,Courier,delivery,delivery,logistics,delivery_hours,48\n",
        "customers": "customer_id,name,consent_marketing\nC1,Lia,true\nC2,Nora,false\n",
    }
    for kind, text in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        assert esperia(ws, "import", kind, str(path)).returncode == 0
    return ws


def test_rules_run_on_import_and_cases_commands(workspace: Path, tmp_path: Path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "- id: late\n  on: interaction\n  when: {broken_promise: true}\n"
        "  reason: late_delivery\n"
    )
    loaded = esperia(workspace, "rules", "load", str(rules), "--json")
    assert json.loads(loaded.stdout) == {"created": 1, "updated": 0, "removed": 0}
    listed = json.loads(esperia(workspace, "rules", "list", "--json").stdout)
    assert listed[0]["id"] == "late"
    interactions = tmp_path / "i.jsonl"
    interactions.write_text(
        "\n".join(
            json.dumps(row)
            for row in (
                {"interaction_id": "I1", "customer_id": "C1", "touchpoint_id": "TP-C",
                 "occurred_at": "2025-03-01T10:00:00Z", "delivery_hours": 70},
                {"interaction_id": "I2", "customer_id": "C2", "touchpoint_id": "TP-C",
                 "occurred_at": "2025-03-01T10:00:00Z", "delivery_hours": 90},
            )
        )
    )  # fmt: skip
    imported = esperia(workspace, "import", "interactions", str(interactions))
    assert imported.returncode == 0 and "rules: 1 cases opened" in imported.stdout
    again = json.loads(esperia(workspace, "rules", "run", "--json").stdout)
    assert again["created"] == 0 and again["matched"] == 0
    cases = json.loads(esperia(workspace, "cases", "list", "--json").stdout)
    assert [(c["customer_id"], c["team"]) for c in cases] == [("C1", "logistics")]
    case_id = str(cases[0]["case_id"])
    added = esperia(workspace, "users", "add", "ada@example.it", "--role", "agent",
                    "--password-stdin", stdin="long-enough-pw\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    refused = esperia(workspace, "cases", "assign", case_id, "ada@example.it")
    assert refused.returncode == 1
    assert refused.stderr.startswith("error:") and "not in team" in refused.stderr
    assert esperia(workspace, "teams", "add", "logistics", "--member",
                   "ada@example.it").returncode == 0  # fmt: skip
    assigned = esperia(
        workspace, "cases", "assign", case_id, "ada@example.it", "--json"
    )
    assert json.loads(assigned.stdout)["owner"] == "ada@example.it"
    resolved = esperia(workspace, "cases", "resolve", case_id, "--resolution",
                       "voucher", "--root-cause", "courier", "--json")  # fmt: skip
    assert json.loads(resolved.stdout)["status"] == "resolved"
    shown = json.loads(esperia(workspace, "cases", "show", case_id, "--json").stdout)
    assert [e["action"] for e in shown["history"]] == [
        "created", "assigned", "status", "status", "root_cause", "resolution",
    ]  # fmt: skip
    outbox = json.loads(esperia(workspace, "notify", "run", "--json").stdout)
    assert outbox["delivery"]["sent"] == 0
