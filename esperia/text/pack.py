"""A language's lexicons compiled into one token table for the scorer.

Every token resolves to one ``Entry`` (sentiment, role, emotions, aspects,
modules) by a single dict lookup. Tokens the table does not know are resolved
once — elision, accents, ``*`` prefixes, then the lemma — and the answer is
cached, so inflections and rare forms cost a lookup from their second sighting.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import simplemma

from esperia.text.lexicon import LanguageData, Taxonomy
from esperia.text.tokens import tokenize

__all__ = ["PLAIN", "Entry", "Pack", "build_pack"]

# Token roles.
PLAIN, NEGATOR, INTENSIFIER, CONTRAST, CONCESSIVE, IRONY, END, BREAK = range(8)

_CACHE_LIMIT = 400_000
_MIN_PREFIX = 3
_MIN_STEM = 4
_LEMMA_LANGS = {"it", "en", "es", "fr", "de", "pt", "nl"}


class Entry(NamedTuple):
    """What one token (or phrase) means to the scorer."""

    valence: float = 0.0
    role: int = PLAIN
    mult: float = 1.0
    emotions: tuple[str, ...] = ()
    aspects: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    self_negated: bool = False  #: "nessun problema": a negator cannot flip it


_EMPTY = Entry()


@dataclass
class _Draft:
    valence: float = 0.0
    role: int = PLAIN
    mult: float = 1.0
    emotions: tuple[str, ...] = ()
    aspects: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()

    def entry(self, self_negated: bool) -> Entry:
        return Entry(
            self.valence,
            self.role,
            self.mult,
            self.emotions,
            self.aspects,
            self.modules,
            self_negated,
        )


def _fold(word: str) -> str:
    """Accents off: users type "perche", "citta", "piu"."""
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _add(items: tuple[str, ...], value: str) -> tuple[str, ...]:
    return items if value in items else (*items, value)


class Pack:
    """The compiled lexicon of one language."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.table: dict[str, Entry | None] = {}
        self.prefixes: dict[str, Entry] = {}
        self.phrases: dict[str, list[tuple[tuple[str, ...], Entry]]] = {}
        self.base: dict[str, Entry] = {}
        self.stopwords: frozenset[str] = frozenset()
        self.opposite_prefixes: tuple[str, ...] = ()
        self.privative_suffixes: tuple[str, ...] = ()
        self._drafts: dict[str, _Draft] = {}
        self._prefix_drafts: dict[str, _Draft] = {}
        self._phrase_drafts: dict[tuple[str, ...], _Draft] = {}
        self._negators: set[str] = set()

    # -- building -----------------------------------------------------------
    def _draft(self, term: str) -> _Draft:
        term = term.strip().lower().replace("\u2019", "'")
        if term.endswith("*") and " " not in term:
            return self._prefix_drafts.setdefault(term[:-1], _Draft())
        parts = tuple(tokenize(term))
        if len(parts) > 1:
            return self._phrase_drafts.setdefault(parts, _Draft())
        key = parts[0] if parts else term
        return self._drafts.setdefault(key, _Draft())

    def add_valence(self, terms: dict[str, float]) -> None:
        for term, score in terms.items():
            self._draft(term).valence = score

    def add_role(self, terms: Iterable[str], role: int, mult: float = 1.0) -> None:
        for term in terms:
            draft = self._draft(term)
            draft.role, draft.mult = role, mult
            if role == NEGATOR:
                self._negators.update(tokenize(term))

    def add_tag(self, terms: Iterable[str], kind: str, tag: str) -> None:
        for term in terms:
            draft = self._draft(term)
            setattr(draft, kind, _add(getattr(draft, kind), tag))

    def finish(self) -> None:
        for key, draft in self._prefix_drafts.items():
            self.prefixes[key] = draft.entry(False)
        # A word or longer prefix inherits what shorter prefixes say about it
        # ("comodo" tagged as an act cue keeps the valence of "comod*").
        for key in sorted(self.prefixes, key=len):
            self.prefixes[key] = self._inherit(key, self.prefixes[key], len(key) - 1)
        for key, draft in self._drafts.items():
            self.base[key] = self._inherit(key, draft.entry(False), len(key))
        for parts, draft in self._phrase_drafts.items():
            negated = draft.role != NEGATOR and any(p in self._negators for p in parts)
            self.phrases.setdefault(parts[0], []).append((parts, draft.entry(negated)))
        for options in self.phrases.values():
            options.sort(key=lambda item: -len(item[0]))
        for mark in (".", "!", "?", "…", "\n"):
            self.base[mark] = Entry(role=END)
        for mark in (",", ";", ":"):
            self.base[mark] = Entry(role=BREAK)
        self.table = dict(self.base)

    # -- lookup -------------------------------------------------------------
    def lookup(self, token: str) -> Entry | None:
        """The entry of a token the table has not seen (cached)."""
        entry = self._resolve(token)
        if len(self.table) > _CACHE_LIMIT:
            self.table = dict(self.base)
        self.table[token] = entry
        return entry

    def _resolve(self, token: str) -> Entry | None:
        first = token[0]
        if not first.isalnum():
            if first in ".!?…":
                return Entry(role=END)
            stripped = "".join(
                c
                for c in token
                if c != "\ufe0f" and not "\U0001f3fb" <= c <= "\U0001f3ff"
            )
            if stripped != token and stripped in self.base:
                return self.base[stripped]
            return self.base.get(token[:1])
        if "'" in token:
            head, _, tail = token.rpartition("'")
            if not tail:  # "po'" (un po'), "perche'"
                return self._resolve(head) if head else None
            return self.base.get(tail) or self._resolve(tail)
        entry = self._word(token)
        if entry is not None:
            return entry
        folded = _fold(token)
        if folded != token:
            entry = self._word(folded)
            if entry is not None:
                return entry
        if self.code in _LEMMA_LANGS and token.isalpha():
            lemma = simplemma.lemmatize(token, lang=self.code)
            if lemma != token:
                entry = self._word(lemma)
                if entry is not None:
                    return entry
        return self._affixed(token)

    def _affixed(self, token: str) -> Entry | None:
        """Opposites by derivation: "unhelpful", "dishonest", "pointless".

        Only stems with a valence count, so "unit", "display" or "wireless"
        stay neutral; a derived opposite is a little weaker than its stem.
        """
        for prefix in self.opposite_prefixes:
            stem = token[len(prefix) :]
            if token.startswith(prefix) and len(stem) >= _MIN_STEM:
                base = self._word(stem)
                if base is not None and base.valence > 0 and base.role == PLAIN:
                    return Entry(valence=-0.9 * base.valence, aspects=base.aspects)
        for suffix in self.privative_suffixes:
            stem = token[: -len(suffix)]
            if token.endswith(suffix) and len(stem) >= _MIN_PREFIX:
                base = self.base.get(stem)
                if base is not None and base.valence and base.role == PLAIN:
                    return Entry(valence=-0.9 * base.valence, aspects=base.aspects)
        return None

    def _inherit(self, word: str, entry: Entry, longest: int) -> Entry:
        for end in range(min(longest, len(word)), _MIN_PREFIX - 1, -1):
            parent = self.prefixes.get(word[:end])
            if parent is not None:
                return _combine(entry, parent)
        return entry

    def _word(self, word: str) -> Entry | None:
        entry = self.base.get(word)
        if entry is not None:
            return entry
        for end in range(len(word), _MIN_PREFIX - 1, -1):
            entry = self.prefixes.get(word[:end])
            if entry is not None:
                return entry
        return None


def _combine(own: Entry, parent: Entry) -> Entry:
    """``own`` completed by a shorter prefix's entry: own values win, tags join."""
    return Entry(
        own.valence or parent.valence,
        own.role if own.role != PLAIN else parent.role,
        own.mult if own.role != PLAIN else parent.mult,
        tuple(dict.fromkeys(own.emotions + parent.emotions)),
        tuple(dict.fromkeys(own.aspects + parent.aspects)),
        tuple(dict.fromkeys(own.modules + parent.modules)),
        own.self_negated,
    )


def build_pack(data: LanguageData, taxonomy: Taxonomy) -> Pack:
    """Compile one language's merged lexicon data."""
    pack = Pack(data.code)
    pack.add_valence(data.sentiment)
    for term, mult in data.intensifiers.items():
        pack.add_role([term], INTENSIFIER, mult)
    pack.add_role(data.negators, NEGATOR)
    pack.add_role(data.contrast, CONTRAST)
    pack.add_role(data.concessive, CONCESSIVE)
    pack.add_role(data.irony, IRONY)
    pack.add_role(data.suggestion, IRONY)  # "could be friendlier": not praise
    for emotion, terms in data.emotions.items():
        pack.add_tag(terms, "emotions", emotion)
    for aspect, terms in data.aspects.items():
        if aspect in taxonomy.aspects:
            pack.add_tag(terms, "aspects", aspect)
    for module, terms in data.modules.items():
        pack.add_tag(terms, "modules", module)
    for symbol, spec in data.emoji.items():
        draft = pack._drafts.setdefault(symbol.lower(), _Draft())
        draft.valence = float(spec.get("score", 0.0))
        draft.emotions = tuple(str(e) for e in spec.get("emotions", ()) or ())
        if spec.get("irony"):
            draft.role = IRONY
    pack.stopwords = frozenset(data.stopwords)
    pack.opposite_prefixes = tuple(p.lower() for p in data.opposite_prefixes)
    pack.privative_suffixes = tuple(s.lower() for s in data.privative_suffixes)
    pack.finish()
    return pack
