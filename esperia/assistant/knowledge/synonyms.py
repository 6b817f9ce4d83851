"""Query-side synonyms per language: the everyday words customers use for what
a knowledge base names differently ("soldi indietro" for "rimborso", "postage"
for "shipping", a country for "abroad").

Only the question is expanded, never the index, so an entry's own words keep
their weight. Keys are single words or two-word phrases ("send back": the pair
means "return" where neither word alone does); keys and targets are written as
plain words and lemmatised once, so the table reads like a thesaurus and
matches whatever inflection the customer used.
"""

from __future__ import annotations

from functools import lru_cache

from esperia.assistant.language import lemmas

__all__ = ["expand", "synonyms"]

_COUNTRIES_IT = (
    "francia germania spagna svizzera austria inghilterra regno unito america "
    "stati uniti belgio olanda portogallo grecia europa londra parigi berlino"
)
_COUNTRIES_EN = (
    "france germany spain switzerland austria england uk britain america usa "
    "belgium netherlands portugal greece europe london paris berlin overseas"
)

#: everyday word or phrase → words the entries use for the same thing.
_IT: dict[str, str] = {
    "mandare": "spedire",
    "inviare": "spedire",
    "scrittore": "autore",
    "scrittrice": "autore",
    "romanzo": "libro",
    "volume": "libro",
    "tessera": "carta",
    "soldi": "rimborso",
    "soldi indietro": "rimborso",
    "riavere": "rimborso",
    "rimborsare": "rimborso",
    "rimandare": "restituire reso",
    "rispedire": "restituire reso",
    "mandare indietro": "restituire reso",
    "riportare": "restituire reso",
    "rendere": "restituire reso",
    "prezzo": "costo",
    "costare": "costo",
    "trasporto": "spedizione",
    "civico": "indirizzo",
    "cap": "indirizzo",
    "altro libro": "sbagliato",
    "libro diverso": "sbagliato",
    "carta rompere": "duplicato nuova",
    "tessera rompere": "duplicato nuova",
    "aprile": "festivo",
    "maggio": "festivo",
    "giugno": "festivo",
    "festa": "festivo",
    "ponte": "festivo",
    "tablet": "ebook",
    "ereader": "ebook",
    "prepagata": "pagamento carta",
    "postepay": "pagamento carta",
    "scaffale": "disponibile",
    "spuntino": "caffè",
    "pagare spedizione": "costo spedizione",
    "postino": "consegna",
    "ritardo": "tempi consegna",
    "rotto": "danneggiato",
    "rompere": "danneggiato",
    "strappare": "danneggiato",
    "rovinare": "danneggiato",
    "difettoso": "danneggiato difettosa",
    "macchiare": "danneggiato",
    "chiudere": "orario",
    "aperto": "orario apertura",
    "apertura": "orario",
    "chiusura": "orario",
    "bar": "caffè",
    "caffetteria": "caffè",
    "mangiare": "caffè pranzo",
    "colazione": "caffè",
    "merenda": "caffè",
    "ditta": "azienda",
    "società": "azienda",
    "impresa": "azienda",
    "dipendente": "azienda",
    "ufficio": "azienda",
    "biblioteca": "biblioteche",
    "partita iva": "fattura",
    "bimbo": "bambino",
    "figlio": "bambino",
    "telefonare": "telefono",
    "chiamare": "telefono",
    "operatore": "servizio clienti",
    "assistenza": "servizio clienti",
    "disdire": "annullare",
    "annullare": "cancellare",
    "digitale": "ebook",
    "kindle": "ebook",
    "kobo": "ebook",
    "ascoltare": "audiolibro",
    "carrozzina": "sedia rotelle accessibile",
    "disabile": "accessibile",
    "passeggino": "accessibile",
    "macchina": "parcheggio",
    "auto": "parcheggio",
    "parcheggiare": "parcheggio",
    "traslocare": "indirizzo",
    "smarrire": "perdere",
    "scadere": "scadenza",
    "incartare": "confezione regalo",
    "impacchettare": "confezione regalo",
    "pacchetto": "confezione",
    "fedeltà": "carta",
    "autografo": "autore",
    "firmacopie": "autore presentazione",
    "buono": "buoni",
    "usato": "usati",
    "scolastico": "scuola",
    "negozio": "libreria",
    "email": "newsletter",
    "mail": "newsletter",
}
_EN: dict[str, str] = {
    "send": "ship delivery",
    "charge": "cost",
    "fee": "cost",
    "price": "cost",
    "postage": "shipping delivery cost",
    "writer": "author",
    "novel": "book",
    "carry": "stock",
    "meeting": "event",
    "talk": "event",
    "money": "refund",
    "money back": "refund",
    "reimburse": "refund",
    "reimbursement": "refund",
    "send back": "return",
    "bring back": "return",
    "give back": "return",
    "take back": "return",
    "package": "parcel",
    "courier": "delivery",
    "late": "delivery",
    "delay": "delivery",
    "store": "shop",
    "bookstore": "bookshop shop",
    "branch": "shop",
    "box": "parcel",
    "stuff": "order",
    "different book": "wrong",
    "another book": "wrong",
    "card broken": "replace lost",
    "card break": "replace lost",
    "shelf": "stock",
    "tablet": "ebook",
    "reader": "ebook",
    "prepaid": "payment card",
    "attend": "event",
    "snack": "café",
    "postcode": "address",
    "house number": "address",
    "post": "ship delivery",
    "turn up": "arrive delivery",
    "kid": "children",
    "child": "children",
    "signing": "author",
    "broken": "damaged",
    "break": "damaged",
    "rip": "damaged torn",
    "tear": "damaged torn",
    "faulty": "damaged defective",
    "misprint": "defective",
    "firm": "company",
    "employee": "company",
    "staff": "company",
    "office": "company",
    "business": "company",
    "phone": "customer care",
    "call": "phone",
    "ring": "phone",
    "human": "customer care",
    "agent": "customer care",
    "cafe": "café",
    "coffee": "café",
    "eat": "café lunch",
    "food": "café",
    "elevator": "lift",
    "stroller": "accessible",
    "pram": "accessible",
    "pushchair": "accessible",
    "disabled": "accessible",
    "car": "parking",
    "move house": "address",
    "expire": "expiry",
    "lose": "lost",
    "misplace": "lost",
    "wrap": "wrapping",
    "kindle": "ebook",
    "digital": "ebook",
    "listen": "audiobook",
    "certificate": "voucher",
    "textbook": "school",
    "quote": "business",
    "email": "newsletter",
}


@lru_cache(maxsize=4096)
def _lemma_key(words: str, language: str) -> str:
    return " ".join(lemmas(words, language))


@lru_cache(maxsize=2)
def _table(language: str) -> dict[str, tuple[str, ...]]:
    """The language's table with keys and targets lemmatised."""
    raw = {"it": _IT, "en": _EN}.get(language, {})
    countries = {"it": _COUNTRIES_IT, "en": _COUNTRIES_EN}.get(language, "")
    abroad = {"it": "estero", "en": "abroad"}.get(language, "")
    out: dict[str, tuple[str, ...]] = {}
    for key, targets in [*raw.items(), *((c, abroad) for c in countries.split())]:
        lemma_key = _lemma_key(key, language)
        found = list(out.get(lemma_key, ()))
        found += [t for t in lemmas(targets, language) if t not in found]
        out[lemma_key] = tuple(found)
    return out


def synonyms(language: str) -> dict[str, tuple[str, ...]]:
    """The lemmatised synonym table of ``language`` (empty when it has none)."""
    return _table(language)


def expand(terms: list[str], language: str) -> list[str]:
    """``terms`` plus the synonyms of each close pair and of each term not
    inside a matched pair ("send back" means return, not shipping); original
    order first, duplicates dropped."""
    table = _table(language)
    if not table:
        return list(terms)
    out = list(terms)
    paired: set[int] = set()
    # A pair may have one word between ("send the book back").
    for i, j in [(i, i + d) for d in (1, 2) for i in range(len(terms) - d)]:
        found = table.get(f"{terms[i]} {terms[j]}")
        if found:
            out += [s for s in found if s not in out]
            paired.update((i, j))
    for i, term in enumerate(terms):
        if i not in paired:
            out += [s for s in table.get(term, ()) if s not in out]
    return out
