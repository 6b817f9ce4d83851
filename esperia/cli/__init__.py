"""The command line: parse, call one service, render. Nothing else lives here."""

from __future__ import annotations

import sys

from esperia.cli.app import app
from esperia.errors import EsperiaError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: every Esperia error becomes one line on stderr and exit 1.

    Usage mistakes (unknown command, missing argument) are reported by typer
    itself with exit status 2, as command-line tools conventionally do.
    """
    from esperia.cli import commands  # noqa: F401 - registers the commands

    try:
        app()
    except EsperiaError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted: the unfinished step changed nothing", file=sys.stderr)
        sys.exit(130)
