"""A second stage that re-ranks the first stage's best few intents.

A one-against-the-rest SVM must separate "card arrived late" from every other
intent at once; the hard cases are a few pairs of near-identical intents. This
stage learns, for each pair the first stage actually confuses (counted on
cross-validated predictions over the training examples), a linear SVM trained
only on those two intents' examples. At prediction time the pair models of the
first stage's top candidates add their margins to the first stage's
standardised scores, and the candidates are re-ranked.

All pair models share the first stage's feature matrix. Each is fitted on its
two intents' rows restricted to the columns those rows use, so a fit costs
only the nonzeros it touches; the coefficients are kept as one sparse matrix,
and prediction is a single sparse product plus a few table look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.svm import LinearSVC

__all__ = ["PairwiseStage", "confused_pairs", "fit_pairwise"]


def confused_pairs(
    scores: np.ndarray, truth: np.ndarray, *, top: int = 3, min_count: int = 1
) -> np.ndarray:
    """Pairs ``(a, b)``, ``a < b`` (class indices), that the first stage mixes up.

    ``scores`` are cross-validated first-stage scores (rows: examples, columns:
    classes) and ``truth`` the class index of each row. A pair is confused
    ``min_count`` times or more when, together over both directions, examples
    of one intent ranked the other among their ``top`` candidates that often.
    """
    n_classes = scores.shape[1]
    ranked = np.argsort(-scores, axis=1)[:, :top]
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    for k in range(ranked.shape[1]):
        other = ranked[:, k]
        keep = other != truth
        np.add.at(counts, (truth[keep], other[keep]), 1)
    both = counts + counts.T
    a, b = np.nonzero(np.triu(both >= min_count, k=1))
    return np.column_stack([a, b]).astype(np.int64)


@dataclass
class PairwiseStage:
    """Pair models over the first stage's classes and how they are combined."""

    pairs: np.ndarray  #: (P, 2) class indices, a < b
    coef: sp.csr_matrix  #: (P, features): a positive margin favours b
    intercept: np.ndarray  #: (P,)
    n_classes: int
    #: How many of the first stage's best candidates are re-ranked.
    top: int = 3
    #: Weight of the first stage's standardised score against the pair margins.
    weight: float = 2.0
    #: Pair margins are clipped to ±clip (1 = the SVM's margin band).
    clip: float = 1.0

    def __post_init__(self) -> None:
        self._index = np.full((self.n_classes, self.n_classes), -1, dtype=np.int64)
        if len(self.pairs):
            ids = np.arange(len(self.pairs))
            self._index[self.pairs[:, 0], self.pairs[:, 1]] = ids
            self._index[self.pairs[:, 1], self.pairs[:, 0]] = ids

    def rerank(self, x: sp.csr_matrix, scores: np.ndarray) -> np.ndarray:
        """``scores`` with each row's top candidates reordered.

        The returned matrix keeps the first stage's score *values* (so the
        confidence calibration sees what it was fitted on) but assigns them to
        the candidates in the re-ranked order.
        """
        n = scores.shape[0]
        k = min(self.top, scores.shape[1])
        if not len(self.pairs) or k < 2 or n == 0:
            return scores
        order = np.argsort(-scores, axis=1)[:, :k]
        rows = np.arange(n)[:, None]
        values = scores[rows, order]  # (n, k), descending
        spread = scores.std(axis=1, keepdims=True)
        z = (values - scores.mean(axis=1, keepdims=True)) / np.where(
            spread > 0, spread, 1.0
        )
        # Only the pairs among each row's candidates are scored: a handful of
        # coefficient rows, not all of them.
        left = np.repeat(np.arange(k), k)
        right = np.tile(np.arange(k), k)
        keep = left != right
        left, right = left[keep], right[keep]
        ci, cj = order[:, left], order[:, right]  # (n, k(k-1))
        pid = self._index[ci, cj]
        wanted = np.unique(pid[pid >= 0])
        total = self.weight * z
        if len(wanted):
            product = x @ self.coef[wanted].T
            if sp.issparse(product):
                product = product.toarray()
            margins = np.clip(
                np.asarray(product) + self.intercept[wanted], -self.clip, self.clip
            )
            col = np.searchsorted(wanted, np.maximum(pid, 0))
            col = np.minimum(col, len(wanted) - 1)
            m = np.where(pid >= 0, np.take_along_axis(margins, col, axis=1), 0.0)
            # A positive margin favours the pair's larger class index.
            signed = np.where(ci > cj, m, -m)
            for c in range(k):
                total[:, c] += signed[:, left == c].sum(axis=1)
        new = np.argsort(-total, axis=1, kind="stable")
        out = scores.copy()
        out[rows, np.take_along_axis(order, new, axis=1)] = values
        return out


def fit_pairwise(
    x: sp.csr_matrix,
    truth: np.ndarray,
    pairs: np.ndarray,
    n_classes: int,
    *,
    c: float = 0.5,
    top: int = 3,
    weight: float = 2.0,
    clip: float = 1.0,
    prune: float = 0.0,
) -> PairwiseStage:
    """One linear SVM per pair, each on its two classes' rows and columns."""
    x = sp.csr_matrix(x)
    members = [np.flatnonzero(truth == k) for k in range(n_classes)]
    data: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    ptr = [0]
    intercept = np.zeros(len(pairs))
    for p, (a, b) in enumerate(pairs):
        rows = np.concatenate([members[a], members[b]])
        sub = x[rows]
        used = np.unique(sub.indices)
        sub = sub[:, used]
        target = np.r_[np.zeros(len(members[a])), np.ones(len(members[b]))]
        svm = LinearSVC(C=c, class_weight="balanced").fit(sub, target)
        w = svm.coef_[0]
        nz = np.flatnonzero(np.abs(w) > prune)
        data.append(w[nz])
        cols.append(used[nz])
        ptr.append(ptr[-1] + len(nz))
        intercept[p] = svm.intercept_[0]
    coef = sp.csr_matrix(
        (
            np.concatenate(data).astype(np.float32) if data else np.zeros(0),
            np.concatenate(cols).astype(np.int32) if cols else np.zeros(0, np.int32),
            np.asarray(ptr),
        ),
        shape=(len(pairs), x.shape[1]),
    )
    return PairwiseStage(
        pairs=pairs,
        coef=coef,
        intercept=intercept,
        n_classes=n_classes,
        top=top,
        weight=weight,
        clip=clip,
    )
