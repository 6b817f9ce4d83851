"""Imports every command module so each registers itself on the app."""

from esperia.cli import (  # noqa: F401
    act,
    assistant,
    customers,
    data,
    demo,
    journey,
    keys,
    metrics,
    nba,
    personas,
    serve,
    surveys,
    text,
    text_enrich,
    users,
    value,
    workspace,
)
