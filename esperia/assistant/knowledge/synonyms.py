"""Query-side synonyms per language: words customers use for what a knowledge
base names differently ("writer" for "author", a country for "abroad").

Only the question is expanded, never the index, so an entry's own words keep
their weight; every added lemma must also survive the stop-word filter.
"""

from __future__ import annotations

__all__ = ["SYNONYMS", "expand"]

_COUNTRIES_IT = [
    "francia",
    "germania",
    "spagna",
    "svizzera",
    "austria",
    "inghilterra",
    "regno",
    "unito",
    "america",
    "stati",
    "uniti",
    "belgio",
    "olanda",
    "portogallo",
    "grecia",
    "europa",
]
_COUNTRIES_EN = [
    "france",
    "germany",
    "spain",
    "switzerland",
    "austria",
    "england",
    "uk",
    "britain",
    "america",
    "usa",
    "belgium",
    "netherlands",
    "portugal",
    "greece",
    "europe",
]

SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "it": {
        "mandare": ("spedire",),
        "inviare": ("spedire",),
        "scrittore": ("autore",),
        "scrittrice": ("autore",),
        "romanzo": ("libro",),
        "volume": ("libro",),
        "tessera": ("carta",),
        "soldo": ("rimborso",),
        **{c: ("estero",) for c in _COUNTRIES_IT},
    },
    "en": {
        "send": ("ship", "delivery"),
        "charge": ("cost",),
        "fee": ("cost",),
        "writer": ("author",),
        "novel": ("book",),
        "carry": ("stock",),
        "meeting": ("event",),
        "talk": ("event",),
        "money": ("refund",),
        **{c: ("abroad",) for c in _COUNTRIES_EN},
    },
}


def expand(terms: list[str], language: str) -> list[str]:
    """``terms`` plus the synonyms of each (original order, duplicates dropped)."""
    table = SYNONYMS.get(language, {})
    out = list(terms)
    for term in terms:
        out += [s for s in table.get(term, ()) if s not in out]
    return out
