"""Invented people: names, e-mail addresses and phone numbers, built column-wise.

Strings are assembled with Arrow compute kernels from small word lists, so a
million customers cost a few vectorised joins rather than a million f-strings.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["People", "digits", "fixed_ids", "invent_people"]


def _words(text: str) -> list[str]:
    return text.split()


_IT_FEMALE = _words(
    "Giulia Francesca Chiara Sara Martina Valentina Alessandra Elena Silvia "
    "Laura Federica Paola Roberta Anna Maria Giorgia Alice Beatrice "
    "Caterina Ilaria Marta Serena Simona Veronica Elisa Cristina Daniela "
    "Lucia Noemi Aurora"
)
_IT_MALE = _words(
    "Marco Luca Andrea Francesco Alessandro Matteo Lorenzo Davide Simone "
    "Federico Giuseppe Antonio Giovanni Roberto Stefano Paolo Riccardo "
    "Tommaso Gabriele Emanuele Fabio Massimo Nicola Pietro Salvatore "
    "Vincenzo Enrico Filippo Leonardo"
)
_IT_LAST = _words(
    "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco "
    "Bruno Gallo Conti De_Luca Mancini Costa Giordano Rizzo Lombardi "
    "Moretti Barbieri Fontana Santoro Mariani Rinaldi Caruso Ferrara Galli "
    "Martini Leone Longo Gentile Martinelli Vitale Lombardo Serra Coppola "
    "De_Santis D'Angelo Marchetti Parisi Villa Conte Ferraro Ferri Fabbri "
    "Bianco Marini Grasso Valentini Messina Sala De_Angelis Gatti "
    "Pellegrini Palumbo Sanna Farina Rizzi Monti"
)
_EN_FEMALE = _words(
    "Emma Olivia Sophie Charlotte Emily Grace Hannah Lucy Chloe Amelia Laura Anna"
)
_EN_MALE = _words(
    "James Oliver Thomas Jack Harry George Daniel Samuel Ben Luke Adam Ryan"
)
_EN_LAST = _words(
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Evans Thomas "
    "Roberts Walker Wright Robinson Thompson White Hughes Edwards Green "
    "Hall Wood Clarke Müller Schmidt Dubois Martin Garcia Novak Kowalski "
    "Jansen"
)
_IT_DOMAINS = (
    "gmail.com", "libero.it", "hotmail.it", "yahoo.it", "outlook.it", "tiscali.it",
    "virgilio.it", "icloud.com", "alice.it", "fastwebnet.it",
)  # fmt: skip
_IT_DOMAIN_P = (0.38, 0.16, 0.1, 0.08, 0.08, 0.04, 0.05, 0.05, 0.03, 0.03)
_EN_DOMAINS = ("gmail.com", "outlook.com", "yahoo.co.uk", "icloud.com", "hotmail.com")
_EN_DOMAIN_P = (0.45, 0.2, 0.15, 0.1, 0.1)
_WORK_DOMAINS = (
    "studiolegale-rossi.it", "comune.example.it", "liceo-galilei.edu.it",
    "biblioteca-civica.it", "archi-studio.it", "editrice-aurora.it",
    "fondazione-lettura.org", "istituto-marconi.edu.it",
)  # fmt: skip

_FOLD = str.maketrans({"à": "a", "è": "e", "é": "e", "ì": "i", "ò": "o", "ù": "u",
                       "ü": "u", "'": None, " ": None})  # fmt: skip


def _ascii_local(words: list[str]) -> list[str]:
    """Lower-case ASCII form of names, for the local part of an address."""
    return [w.lower().translate(_FOLD) for w in words]


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative ints as a (n, width) uint8 array."""
    rest = np.asarray(values, dtype=np.uint64)
    out = np.empty((len(rest), width), dtype=np.uint8)
    for pos in range(width - 1, -1, -1):
        quotient = rest // 10
        out[:, pos] = rest - quotient * 10
        rest = quotient
    out += 48
    return out


def _ascii_strings(matrix: np.ndarray) -> pa.Array:
    """An Arrow string array from equal-width rows of ASCII bytes."""
    n, width = matrix.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(matrix).tobytes()
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def fixed_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Identifiers like ``C000123``: ``prefix`` then ``width`` digits."""
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    body = digits(numbers, width)
    matrix = np.hstack([np.broadcast_to(head, (len(body), len(head))), body])
    return _ascii_strings(matrix)


class People:
    """The personal columns of the customers table."""

    def __init__(
        self,
        name: pa.Array,
        email: pa.Array,
        phone: pa.Array,
        male: np.ndarray,
    ) -> None:
        self.name = name
        self.email = email
        self.phone = phone
        #: 1 for a man's first name, 0 for a woman's.
        self.male = male


def invent_people(
    rng: np.random.Generator, english: np.ndarray, work: np.ndarray
) -> People:
    """Names, unique e-mails and phones for customers.

    English speakers get English names and domains; ``work`` customers use an
    office domain. Everything is chosen as indices into small word lists and
    joined by Arrow kernels; duplicates are found on integer keys.
    """
    n = len(english)
    female = rng.random(n) < 0.55
    # First names: one list with four blocks, picked per (language, gender).
    blocks = (_IT_MALE, _IT_FEMALE, _EN_MALE, _EN_FEMALE)
    starts = np.cumsum([0] + [len(b) for b in blocks])
    block = english.astype(np.int64) * 2 + female
    sizes = np.diff(starts)[block]
    fi = starts[block] + (rng.random(n) * sizes).astype(np.int64)
    firsts = [w for b in blocks for w in b]
    lasts = [w.replace("_", " ") for w in _IT_LAST + _EN_LAST]
    li = np.where(
        english,
        len(_IT_LAST) + rng.integers(0, len(_EN_LAST), n),
        rng.integers(0, len(_IT_LAST), n),
    )
    first_a = pa.array(firsts).take(pa.array(fi))
    last_a = pa.array(lasts).take(pa.array(li))
    name = pc.binary_join_element_wise(first_a, last_a, " ")

    domains = list(_IT_DOMAINS) + list(_EN_DOMAINS) + list(_WORK_DOMAINS)
    di = np.where(
        work,
        len(_IT_DOMAINS) + len(_EN_DOMAINS) + rng.integers(0, len(_WORK_DOMAINS), n),
        np.where(
            english,
            len(_IT_DOMAINS) + rng.choice(len(_EN_DOMAINS), n, p=_EN_DOMAIN_P),
            rng.choice(len(_IT_DOMAINS), n, p=_IT_DOMAIN_P),
        ),
    )
    # Four address styles: giuliarossi, giulia_rossi, giulia.rossi, grossi.
    style = rng.integers(0, 4, n)
    heads = _ascii_local(firsts) + [w[0] for w in _ascii_local(firsts)]
    hi = fi + (style == 3) * len(firsts)
    suffixes = ["", *(f"{y % 100:02d}" for y in range(60, 110))]
    si = np.where(rng.random(n) < 0.45, rng.integers(1, len(suffixes), n), 0)
    # Equal strings must give equal keys: number the distinct spellings.
    head_key = np.unique(heads, return_inverse=True)[1][hi]
    last_key = np.unique(_ascii_local(lasts), return_inverse=True)[1][li]
    sep_key = np.array([0, 1, 2, 0])[style]
    key = ((head_key * 3 + sep_key) * len(lasts) + last_key) * len(suffixes) + si
    key = key * len(domains) + di
    _, first_pos, inverse = np.unique(key, return_index=True, return_inverse=True)
    dup = np.flatnonzero(first_pos[inverse] != np.arange(n))
    extra = np.zeros(n, dtype=np.int64)
    extra[dup] = np.arange(1, len(dup) + 1)
    numbers = [""] + [str(int(i)) for i in dup]
    email = pc.binary_join_element_wise(
        pa.array(heads).take(pa.array(hi)),
        pa.array(["", "_", ".", ""]).take(pa.array(style)),
        pa.array(_ascii_local(lasts)).take(pa.array(li)),
        pa.array(suffixes).take(pa.array(si)),
        pa.array(numbers).take(pa.array(extra)),
        pa.scalar("@"),
        pa.array(domains).take(pa.array(di)),
        "",
    )

    mobile = np.hstack(
        [
            np.broadcast_to(np.frombuffer(b"+39 3", dtype=np.uint8), (n, 5)),
            digits(rng.integers(20, 93, n), 2),
            np.full((n, 1), ord(" "), dtype=np.uint8),
            digits(rng.integers(0, 10_000_000, n), 7),
        ]
    )
    phone = _ascii_strings(mobile)
    return People(name=name, email=email, phone=phone, male=(~female).astype(np.int8))
