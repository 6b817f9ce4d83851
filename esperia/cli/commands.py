"""Imports every command module so each registers itself on the app."""

from esperia.cli import (  # noqa: F401
    customers,
    data,
    demo,
    keys,
    metrics,
    serve,
    users,
    workspace,
)
