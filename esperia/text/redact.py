"""Personal data masked before text is stored for display or shown.

One compiled alternation finds e-mails, IBANs, Italian tax codes (codice
fiscale, omocodia letters included), payment card numbers (kept only when the
Luhn check passes, so order numbers survive), phone numbers (Italian and
international) and street addresses with a house number ("via Roma 12",
"12 Baker Street"). Texts with no digit and no "@" are returned at once: most
comments carry no personal data and pay nothing.
"""

from __future__ import annotations

import re

__all__ = ["PLACEHOLDERS", "redact"]

PLACEHOLDERS = {
    "email": "[EMAIL]",
    "iban": "[IBAN]",
    "cf": "[CODICE_FISCALE]",
    "card": "[CARD]",
    "phone": "[PHONE]",
    "address": "[ADDRESS]",
}

_STREETS_IT = (
    r"via|viale|v\.le|piazza|p\.zza|piazzale|corso|c\.so|largo|vicolo|strada|"
    r"contrada|borgo|lungomare|lungotevere|località|loc\."
)
_STREETS_EN = (
    r"street|st\.?|avenue|ave\.?|road|rd\.?|lane|ln\.?|boulevard|blvd\.?|drive|dr\.?|"
    r"way|court|ct\.?|place|pl\.?|square|sq\.?|terrace|close|crescent"
)
_NAME = r"[A-ZÀ-Ý][\w'\u2019.-]*"
_OMO = r"[0-9LMNPQRSTUV]"

_PII = re.compile(
    "|".join(
        [
            r"(?P<email>\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b)",
            r"(?P<iban>\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}"
            r"(?:[ ]?[A-Z0-9]{1,4})?\b)",
            rf"(?P<cf>\b[A-Z]{{6}}{_OMO}{{2}}[A-EHLMPRST]{_OMO}{{2}}[A-Z]{_OMO}{{3}}[A-Z]\b)",
            r"(?P<card>(?<![\d-])\d{4}(?:[ -]?\d{4}){2}[ -]?\d{1,7}(?![\d-]))",
            r"(?P<phone>(?<![\w+])(?:(?:\+|00)\d{1,3}[ .-]?)?"
            r"(?:\(0\d{1,4}\)[ .-]?|0\d{1,4}[ .-]?|3\d{2}[ .-]?)"
            r"\d{2,4}(?:[ .-]?\d{2,4}){1,2}(?!\d))",
            r"(?P<phone_intl>(?<![\w+])(?:\+|00)\d{1,3}"
            r"(?:[ .-]?\(?\d{1,4}\)?){2,5}(?!\d))",
            rf"(?P<address>\b(?i:{_STREETS_IT})\s+(?:(?:de[il]?|della|delle|degli|di|"
            rf"d'|san|santa|xx|x{{1,3}}v?i{{0,3}})\s*)?{_NAME}(?:\s+{_NAME}){{0,3}},?"
            r"\s+(?:n\.?\s*|nr\.?\s*|civico\s+)?\d{1,4}[a-zA-Z]?(?:/[a-zA-Z0-9]+)?\b)",
            rf"(?P<address_en>\b\d{{1,5}}[a-zA-Z]?\s+(?:{_NAME}\s+){{1,3}}"
            rf"(?i:{_STREETS_EN})(?=\W|$))",
        ]
    )
)
_QUICK = re.compile(r"[\d@]")


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _replace(match: re.Match[str]) -> str:
    kind = match.lastgroup or ""
    text = match.group()
    if kind == "card":
        digits = re.sub(r"\D", "", text)
        if 13 <= len(digits) <= 19 and _luhn(digits):
            return PLACEHOLDERS["card"]
        return text
    if kind in ("phone", "phone_intl"):
        count = sum(c.isdigit() for c in text)
        return PLACEHOLDERS["phone"] if 8 <= count <= 15 else text
    return PLACEHOLDERS[kind.removesuffix("_en")]


def redact(text: str) -> str:
    """``text`` with e-mails, phones, IBANs, tax codes, cards and addresses masked."""
    if not text or _QUICK.search(text) is None:
        return text
    return _PII.sub(_replace, text)
