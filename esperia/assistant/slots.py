"""Slot values found in a message: order numbers, contacts, shops, times, ratings,
and the signs of instructions hidden in a message."""

from __future__ import annotations

import re

__all__ = [
    "SHOPS",
    "digits",
    "find_email",
    "find_order_id",
    "find_phone",
    "find_rating",
    "find_shop",
    "find_when",
    "looks_like_injection",
]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w@])(?:\+|00)?\d[\d .\-/]{7,16}\d(?![\w@])")
# An order number: letters then digits ("O00012345", "ORD-1234", "#12345").
_ORDER = re.compile(r"(?<![\w@.])(?:#\s?)?([A-Za-z]{1,4}-?\d{4,12}|\d{4,8})(?![\w@])")

#: Shop cities in Italian and English, mapped to the store touchpoint suffix.
SHOPS: dict[str, str] = {
    "milano": "MI",
    "milan": "MI",
    "roma": "RM",
    "rome": "RM",
    "torino": "TO",
    "turin": "TO",
    "bologna": "BO",
    "firenze": "FI",
    "florence": "FI",
    "napoli": "NA",
    "naples": "NA",
    "padova": "PD",
    "padua": "PD",
    "bari": "BA",
}

_WHEN = re.compile(
    r"\b(oggi|domani|dopodomani|lunedì|lunedi|martedì|martedi|mercoledì|mercoledi|"
    r"giovedì|giovedi|venerdì|venerdi|sabato|domenica|mattina|pomeriggio|sera|"
    r"today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"morning|afternoon|evening|\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?|"
    r"\d{1,2}(?::\d{2})?\s?(?:am|pm)|(?:alle|ore|at)\s\d{1,2}(?:[:.]\d{2})?)\b",
    re.IGNORECASE,
)
_INJECTION = re.compile(
    r"ignor\w*\s+(?:\w+\s+){0,3}(?:instruction|istruzion|regol|rule|prompt)|"
    r"(?:forget|dimentica)\w*\s+(?:\w+\s+){0,3}(?:instruction|istruzion|rule|"
    r"regol|everything|tutto)|system\s*prompt|prompt\s+di\s+sistema|"
    r"developer\s+mode|jailbreak|\bact\s+as\b|\bfingi\s+di\b|\bcomportati\s+da\b|"
    r"(?:another|other|altr[oi])\s+(?:customer|client)\w*['\u2019]?s?\s+"
    r"(?:data|order|dati|ordin)|(?:dati|ordini?)\s+(?:di|dell['\u2019]?)\s*altr",
    re.IGNORECASE,
)


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def find_email(text: str) -> str | None:
    match = _EMAIL.search(text)
    return match.group(0).lower() if match else None


def find_phone(text: str) -> str | None:
    """A phone number (9+ digits once spaces and dashes are gone)."""
    for match in _PHONE.finditer(_EMAIL.sub(" ", text)):
        if len(digits(match.group(0))) >= 9:
            return match.group(0).strip()
    return None


def find_order_id(text: str) -> str | None:
    cleaned = _EMAIL.sub(" ", text)
    phone = find_phone(cleaned)
    if phone:
        cleaned = cleaned.replace(phone, " ")
    match = _ORDER.search(cleaned)
    return match.group(1).upper() if match else None


def find_shop(text: str) -> str | None:
    lowered = text.lower()
    for name in SHOPS:
        if re.search(rf"\b{name}\b", lowered):
            return name
    return None


def find_when(text: str) -> str | None:
    found = _WHEN.findall(text)
    return " ".join(found) if found else None


def find_rating(text: str) -> int | None:
    """A 1-5 answer to the satisfaction question."""
    match = re.fullmatch(
        r"\s*([1-5])(?:\s*/\s*5)?\s*[.!]?\s*(?:stelle|stars?)?\s*", text
    )
    return int(match.group(1)) if match else None


def looks_like_injection(text: str) -> bool:
    """Instructions aimed at the assistant itself, or requests for others' data."""
    return bool(_INJECTION.search(text))
