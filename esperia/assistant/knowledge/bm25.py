"""BM25 retrieval over lemmas, as one sparse matrix product per query.

Each chunk's term weights ``idf · tf·(k1+1) / (tf + k1·(1-b+b·len/avg))`` are
computed once at build time into a CSR matrix; scoring a query is then a
matrix-vector product over the query's lemmas. Lemmas come from each chunk's
own language, so "spedizioni" finds "spedizione" and "returned" finds "return".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from esperia.assistant.knowledge.synonyms import expand
from esperia.assistant.language import lemmas

__all__ = ["STOPWORDS", "BM25Index", "stems", "terms"]

# Function words carry no topic; dropping them keeps two-word questions focused.
STOPWORDS: dict[str, frozenset[str]] = {
    "it": frozenset(
        [
            "il",
            "lo",
            "la",
            "i",
            "gli",
            "le",
            "un",
            "uno",
            "una",
            "di",
            "del",
            "dello",
            "della",
            "dei",
            "degli",
            "delle",
            "a",
            "al",
            "allo",
            "alla",
            "ai",
            "agli",
            "alle",
            "da",
            "dal",
            "dalla",
            "dai",
            "in",
            "nel",
            "nello",
            "nella",
            "nei",
            "negli",
            "nelle",
            "con",
            "su",
            "sul",
            "sulla",
            "per",
            "tra",
            "fra",
            "e",
            "ed",
            "o",
            "ma",
            "se",
            "che",
            "chi",
            "cui",
            "non",
            "più",
            "come",
            "anche",
            "ci",
            "si",
            "mi",
            "ti",
            "vi",
            "ne",
            "io",
            "tu",
            "lui",
            "lei",
            "noi",
            "voi",
            "loro",
            "mio",
            "mia",
            "miei",
            "mie",
            "tuo",
            "tua",
            "suo",
            "sua",
            "essere",
            "avere",
            "fare",
            "potere",
            "volere",
            "dovere",
            "questo",
            "quello",
            "c",
            "l",
            "d",
            "un'",
            "po",
            "quale",
            "quali",
            "cosa",
            "sì",
            "no",
            "ciao",
            "buongiorno",
            "grazie",
            "salve",
            "vostro",
            "vostra",
            "vostri",
            "vostre",
        ]
    ),
    "en": frozenset(
        [
            "the",
            "a",
            "an",
            "of",
            "to",
            "in",
            "on",
            "at",
            "for",
            "from",
            "by",
            "with",
            "and",
            "or",
            "but",
            "if",
            "that",
            "this",
            "these",
            "those",
            "is",
            "are",
            "was",
            "were",
            "be",
            "been",
            "being",
            "am",
            "do",
            "does",
            "did",
            "have",
            "has",
            "had",
            "i",
            "me",
            "my",
            "you",
            "your",
            "we",
            "our",
            "they",
            "their",
            "it",
            "its",
            "he",
            "she",
            "him",
            "her",
            "what",
            "which",
            "who",
            "whom",
            "can",
            "could",
            "would",
            "should",
            "will",
            "shall",
            "may",
            "might",
            "must",
            "there",
            "here",
            "so",
            "as",
            "not",
            "no",
            "yes",
            "hi",
            "hello",
            "thanks",
            "thank",
            "please",
            "s",
            "t",
            "any",
            "some",
            "about",
            "into",
            "than",
            "then",
            "get",
        ]
    ),
}


def terms(text: str, language: str) -> list[str]:
    """Lemmas of ``text`` minus stop words (the index's vocabulary units)."""
    stop = STOPWORDS.get(language, frozenset())
    return [w for w in lemmas(text, language) if w not in stop and len(w) > 1]


def stems(words: Sequence[str], length: int = 5) -> list[str]:
    """Words cut to their first ``length`` letters: a crude stemmer that joins
    derivations a dictionary lemmatiser keeps apart, in any language."""
    return [w[:length] for w in words]


@dataclass
class BM25Index:
    """Chunks in, ranked chunk numbers out."""

    vocabulary: dict[str, int]
    weights: sp.csr_matrix  #: vocabulary x chunks, BM25 weight per term and chunk

    @classmethod
    def build(
        cls,
        texts: Sequence[str],
        languages: Sequence[str],
        *,
        k1: float = 1.2,
        b: float = 0.75,
    ) -> BM25Index:
        return cls.from_terms(
            [terms(t, lang) for t, lang in zip(texts, languages, strict=True)],
            k1=k1,
            b=b,
        )

    @classmethod
    def from_terms(
        cls, documents: Sequence[Sequence[str]], *, k1: float = 1.2, b: float = 0.75
    ) -> BM25Index:
        """The index of documents already cut into terms."""
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        for col, document in enumerate(documents):
            for term in document:
                rows.append(vocabulary.setdefault(term, len(vocabulary)))
                cols.append(col)
        n = len(documents)
        tf = sp.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(len(vocabulary), n)
        )
        tf.sum_duplicates()
        lengths = np.asarray(tf.sum(axis=0)).ravel()
        avg = float(lengths.mean()) if n else 1.0
        df = np.diff(tf.indptr)  # chunks per term (CSR rows are terms)
        idf = np.log1p((n - df + 0.5) / (df + 0.5))
        coo = tf.tocoo()
        norm = k1 * (1 - b + b * lengths[coo.col] / max(avg, 1e-9))
        data = idf[coo.row] * coo.data * (k1 + 1) / (coo.data + norm)
        weights = sp.csr_matrix((data, (coo.row, coo.col)), shape=tf.shape)
        return cls(vocabulary, weights)

    def scores(self, query: str, language: str) -> np.ndarray:
        """BM25 score of every chunk for ``query`` (zeros when nothing matches)."""
        return self.term_scores(expand(terms(query, language), language))

    def term_scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk for a query already cut into terms."""
        ids = [self.vocabulary[t] for t in set(query_terms) if t in self.vocabulary]
        if not ids:
            return np.zeros(self.weights.shape[1])
        return np.asarray(self.weights[ids].sum(axis=0)).ravel()
