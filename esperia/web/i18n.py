"""The dashboard's words in Italian and English, and how numbers and dates read.

Strings live in ``strings/<lang>.json`` beside this module, plus one file per
feature area in ``strings/<lang>/<area>.json`` (so pages of different areas do
not edit the same file); every language must hold the same keys (a test checks
it).
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "format_datetime",
    "format_number",
    "strings",
    "translate",
]

#: Italian first: the product's home market.
LANGUAGES: tuple[str, ...] = ("it", "en")
DEFAULT_LANGUAGE = "it"


@cache
def strings(lang: str) -> dict[str, str]:
    """Every string of one language, by key."""
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    folder = resources.files("esperia.web").joinpath("strings")
    data: dict[str, str] = json.loads(
        folder.joinpath(f"{lang}.json").read_text(encoding="utf-8")
    )
    areas = folder.joinpath(lang)
    if areas.is_dir():
        for area in sorted(areas.iterdir(), key=lambda entry: entry.name):
            if area.name.endswith(".json"):
                data.update(json.loads(area.read_text(encoding="utf-8")))
    return data


def translate(lang: str, key: str, **values: Any) -> str:
    """The string ``key`` in ``lang`` with ``{name}`` fields filled in.

    A missing key falls back to English, then to the key itself, so a gap in a
    translation shows up as an odd word, never as a broken page.
    """
    template = strings(lang).get(key) or strings("en").get(key) or key
    return template.format(**values) if values else template


def format_number(value: Any, lang: str) -> str:
    """An integer with the language's thousands separator (12.345 / 12,345)."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:,.1f}"
    else:
        text = f"{int(value):,}"
    if lang == "it":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def format_datetime(value: str | datetime | None, lang: str) -> str:
    """A timestamp as people write it: 03/05/2025 14:30 (it), 2025-05-03 14:30 (en)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    pattern = "%d/%m/%Y %H:%M" if lang == "it" else "%Y-%m-%d %H:%M"
    return moment.strftime(pattern)
