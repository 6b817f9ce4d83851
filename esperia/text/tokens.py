"""Cleaning and tokenising: one pass of C-level regexes per text, no per-char Python.

Real comments arrive as HTML fragments, with mojibake from a wrong decode
("perchÃ©"), curly apostrophes and Italian elisions ("dell'hotel"); everything
downstream sees one lower-cased token list per text.
"""

from __future__ import annotations

import html
import re

__all__ = ["MAX_CHARS", "clean", "shouted_words", "tokenize"]

#: Longer texts are cut here: the tail of a 1 MB paste adds nothing but time.
MAX_CHARS = 200_000

_TAG = re.compile(r"<(?:script|style)\b.*?</(?:script|style)\s*>|<[^<>]{0,400}>", re.S)
_BREAK_TAG = re.compile(r"<\s*(?:br|/p|/div|/li|p|li)\b[^<>]{0,200}>", re.I)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_MOJIBAKE = re.compile(
    "[\u00c3\u00c2\u00e2][\u0080-\u00bf\u20ac\u2122\u0153\u201c\u201d\u2018\u2019\u2013\u2014]"
)
_QUOTES = str.maketrans(dict.fromkeys("\u2019\u2018`\u00b4\u02bc", "'"))

_EMOJI = (
    r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B50\u2B55\u2764\u203C\u2049]"
    r"(?:[\uFE0F\u200D\U0001F3FB-\U0001F3FF]"
    r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u2764]?)*"
)
_EMOTICON = (
    r"(?<!\S)(?:[:;=8x][\-o^']?[()\[\]dpo/\\|*3]+|<3+|[()\]]+[\-o^']?[:;=])(?!\w)"
)
_WORD = r"[^\W_]+(?:'[^\W\d_]+)*'?"
_PUNCT = r"[.!?…]+|[,;:]|\n"
_TOKEN = re.compile(f"{_EMOTICON}|{_EMOJI}|{_WORD}|{_PUNCT}")
_SHOUT = re.compile(r"\b[^\W\d_a-zà-ÿ]{3,}\b")


def _fix_mojibake(text: str) -> str:
    """Undo UTF-8 read as Latin-1/CP1252, the commonest broken encoding."""
    for codec in ("cp1252", "latin-1"):
        try:
            return text.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
    return text


def clean(text: object) -> str:
    """Plain text from what a user gave: HTML removed, encoding repaired, trimmed."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if not text:
        return ""
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
    if "\ufffd" in text:
        text = text.replace("\ufffd", "")
    if _MOJIBAKE.search(text):
        text = _fix_mojibake(text)
    if "<" in text and ">" in text:
        text = _BREAK_TAG.sub("\n", text)
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    text = text.translate(_QUOTES)
    text = _SPACES.sub(" ", text)
    return text.strip()


def tokenize(text: str) -> list[str]:
    """Lower-cased tokens: words (elisions kept), emoji, emoticons, punctuation."""
    return _TOKEN.findall(text.lower())


def shouted_words(text: str) -> frozenset[str]:
    """Words written in capitals (lower-cased), for emphasis."""
    return frozenset(w.lower() for w in _SHOUT.findall(text))
