"""Generate docs/cli.md from the commands themselves (`python -m esperia.cli.docs`).

A test compares the file with a fresh rendering, so the reference cannot drift.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import typer

__all__ = ["render_cli_reference", "render_settings_reference"]

_HEADER = """# Command-line reference

Generated from the commands' own help by `make docs-cli`
(`python -m esperia.cli.docs`); a test fails when this file is out of date.
Every command accepts the global option `--workspace/-w DIR` before its name
(default: `$ESPERIA_WORKSPACE`, else `./workspace`). Errors print one line
starting with `error:` on standard error and exit with status 1; usage
mistakes exit with status 2.
"""


def _param_line(param: Any) -> str:
    help_text = (getattr(param, "help", None) or "").replace("|", "\\|")
    if param.param_type_name == "argument":
        name = f"`{str(param.name).upper()}`"
        kind = "argument" + ("" if param.required else ", optional")
        return f"| {name} | {kind}. {help_text} | |"
    names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
    default = ""
    if param.default not in (None, False, (), []) and not param.is_flag:
        default = f"`{param.default}`"
    if param.multiple:
        help_text += " (repeatable)"
    return f"| {names} | {help_text} | {default} |"


def _render(command: Any, path: list[str], out: list[str]) -> None:
    if hasattr(command, "commands"):
        for name in sorted(command.commands):
            _render(command.commands[name], [*path, name], out)
        return
    ctx = command.context_class(command, info_name=" ".join(path))
    out.append(f"## `{' '.join(path)}`\n")
    out.append((command.help or "").strip() + "\n")
    usage = re.sub(
        r"\{(\w+)\}",
        lambda m: m.group(1).upper(),
        " ".join(command.collect_usage_pieces(ctx)),
    )
    out.append(f"```\n{' '.join(path)} {usage}\n```\n")
    params = [p for p in command.params if p.name != "help"]
    if params:
        out.append("| parameter | meaning | default |\n|---|---|---|")
        out.extend(_param_line(p) for p in params)
        out.append("")


def render_cli_reference() -> str:
    """The Markdown CLI reference for every registered command."""
    from esperia.cli import commands  # noqa: F401 - registers the commands
    from esperia.cli.app import app

    root = typer.main.get_command(app)
    out = [_HEADER]
    _render(root, ["esperia"], out)
    return "\n".join(out).rstrip() + "\n"


_SETTINGS_HEADER = """# Settings

Generated from `esperia.config.Settings` by `make docs-cli`; a test fails when
this file is out of date. Each setting is read, highest priority first, from
the environment variable shown, then the workspace's `esperia.toml` (the key
in lower case), then the default.
"""


def render_settings_reference() -> str:
    """The Markdown table of every setting, its variable, default and meaning."""
    from esperia.config import Settings

    out = [_SETTINGS_HEADER, "| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "" if default is None else f"`{default}`"
        if name == "workspace":
            shown = "`workspace`"
        meaning = (field.description or "").replace("|", "\\|")
        out.append(f"| `ESPERIA_{name.upper()}` | {shown} | {meaning} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    docs = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs")
    (docs / "cli.md").write_text(render_cli_reference(), encoding="utf-8")
    (docs / "settings.md").write_text(render_settings_reference(), encoding="utf-8")
    print(f"wrote {docs / 'cli.md'} and {docs / 'settings.md'}")
