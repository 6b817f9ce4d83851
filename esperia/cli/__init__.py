"""The command line: parse, call one service, render. Nothing else lives here."""

from __future__ import annotations

import sys

from esperia.cli.app import app
from esperia.errors import EsperiaError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: every Esperia error becomes one line on stderr and exit 1."""
    from esperia.cli import commands  # noqa: F401 - registers the commands

    try:
        app(standalone_mode=False)
    except EsperiaError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(
            "interrupted: nothing was changed by the unfinished step", file=sys.stderr
        )
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # click's usage errors and the like
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        raise
