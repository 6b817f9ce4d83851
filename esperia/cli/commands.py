"""Imports every command module so each registers itself on the app."""

from esperia.cli import (  # noqa: F401
    assistant,
    customers,
    data,
    demo,
    keys,
    serve,
    users,
    workspace,
)
