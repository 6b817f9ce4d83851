"""`esperia surveys` as a user runs it: real processes on a real workspace."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from esperia.surveys import EXAMPLES


def esperia(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESPERIA_")}
    env["ESPERIA_WORKSPACE"] = str(workspace)
    env["ESPERIA_ADMIN_PASSWORD"] = "cli-test-password"
    return subprocess.run(
        [sys.executable, "-m", "esperia", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_import_invite_export_show(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert esperia(ws, "init").returncode == 0
    (tmp_path / "tp.csv").write_text(
        "touchpoint_id,name,channel\nTP-COURIER,Corriere,delivery\n"
    )
    (tmp_path / "c.csv").write_text(
        "customer_id,email,language,consent_marketing\n"
        "C1,a@example.it,it,true\nC2,b@example.com,en,true\nC3,c@example.it,it,false\n"
    )
    (tmp_path / "i.csv").write_text(
        "interaction_id,customer_id,touchpoint_id,occurred_at,type,outcome\n"
        "I1,C1,TP-COURIER,2025-06-20T10:00:00,delivery,ok\n"
        "I2,C2,TP-COURIER,2025-06-21T10:00:00,delivery,late\n"
        "I3,C3,TP-COURIER,2025-06-21T11:00:00,delivery,ok\n"
    )
    for kind, name in (
        ("touchpoints", "tp"),
        ("customers", "c"),
        ("interactions", "i"),
    ):
        done = esperia(ws, "import", kind, str(tmp_path / f"{name}.csv"))
        assert done.returncode == 0, done.stderr
    done = esperia(ws, "surveys", "import", str(EXAMPLES / "post-event.yaml"), "--json")
    assert json.loads(done.stdout) == {"survey_id": "post-event", "version": 1}
    # A survey whose trigger takes every delivery.
    own = (
        (EXAMPLES / "post-delivery.yaml")
        .read_text()
        .replace("sample: 0.5", "sample: 1")
    )
    (tmp_path / "delivery.yaml").write_text(own)
    assert (
        esperia(ws, "surveys", "import", str(tmp_path / "delivery.yaml")).returncode
        == 0
    )

    args = ("surveys", "invite", "--survey", "post-delivery", "--since", "2025-06-01",
            "--now", "2025-06-25T00:00:00", "--json")  # fmt: skip
    first = json.loads(esperia(ws, *args).stdout)
    assert (first["candidates"], first["no_consent"], first["created"]) == (3, 1, 2)
    again = json.loads(esperia(ws, *args).stdout)
    assert again["created"] == 0

    out = esperia(ws, "surveys", "export-invitations", "--survey", "post-delivery")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert sorted(r["email"] for r in rows) == ["a@example.it", "b@example.com"]
    assert all("/s/" in r["link"] for r in rows)

    listed = json.loads(esperia(ws, "surveys", "list", "--json").stdout)
    assert {r["survey_id"]: r["invitations"] for r in listed} == {
        "post-delivery": 2, "post-event": 0,
    }  # fmt: skip
    shown = esperia(ws, "surveys", "show", "post-event")
    assert "type: module" in shown.stdout
    results = json.loads(
        esperia(ws, "surveys", "results", "post-delivery", "--json").stdout
    )
    assert (results["invitations"], results["completed"]) == (2, 0)


def test_a_bad_file_is_one_error_line(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert esperia(ws, "init").returncode == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: x\ntitle: {it: A, en: B}\nquestions:\n  - id: q\n    type: stars\n"
    )
    done = esperia(ws, "surveys", "import", str(bad))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: bad.yaml:5: questions[0].type: unknown type 'stars': choose one of "
        "nps, csat, ces, rating, single, multiple, text, pyramid, module, "
        "expectation, perception"
    ]
