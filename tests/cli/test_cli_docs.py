"""The generated references in docs/ match the code."""

from __future__ import annotations

from pathlib import Path

from esperia.cli.docs import render_cli_reference, render_settings_reference

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_cli_reference_is_current() -> None:
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == render_cli_reference(), (
        "docs/cli.md is stale: run `make docs-cli`"
    )


def test_settings_reference_is_current() -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    assert text == render_settings_reference(), (
        "docs/settings.md is stale: run `make docs-cli`"
    )


def test_every_command_has_help() -> None:
    text = render_cli_reference()
    for section in text.split("\n## ")[1:]:
        title, _, body = section.partition("\n")
        assert body.strip().split("\n")[0].strip(), f"{title} has no help text"
