"""Scaling of mixed-type features and seeded, stable clustering into personas.

Scaling: what defines a type is how a customer deals with the company (the
mix of channels and kinds of contact, shrunk towards the population mix for
customers seen only a few times, in Hellinger coordinates) plus a few traits
(age, basket, items per order, language) weighted like one average mix column.
Counts, recency and money describe the cards only: they also reflect personal
intensity and how long a customer stayed, not only their type.

Clustering: k-means fitted on a seeded sample (all customers up to
``sample``), the number of personas chosen by the mean silhouette on a seeded
sub-sample over a range of k, then every customer assigned to the nearest
centroid in chunks. Clusters are renumbered by size (largest first), ties by
centroid, so the same data and seed always give the same numbering.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from esperia.errors import InvalidInput
from esperia.personas.features import FeatureFrame

__all__ = ["PRIOR_CONTACTS", "Clustering", "Scaled", "cluster", "scale_features"]

#: Prior strength of the activity mix, in pseudo-contacts: a customer's mix is
#: shrunk towards the population mix as if they had also made this many
#: contacts in the population's proportions (empirical Bayes), so a customer
#: seen twice does not get a mix of 0s and 0.5s.
PRIOR_CONTACTS = 2.0
#: Per-customer traits the simulator and real customer bases vary by type that
#: are not a mix: age, mean log basket, mean log items per order.
TRAITS = ("age", "log_basket", "log_items")

Progress = Callable[[str, float], None]


@dataclass
class Scaled:
    matrix: np.ndarray
    names: list[str]
    center: np.ndarray
    scale: np.ndarray


def _activity_block(frame: FeatureFrame) -> tuple[list[str], np.ndarray]:
    """Hellinger coordinates (square roots) of the shrunk activity mix.

    A mix says *how* a customer deals with the company whatever their activity
    level (the number of contacts also depends on personal intensity and on how
    long they stayed); square roots make the Euclidean distance the Hellinger
    distance between mixes, which does not let the big shares dominate.
    """
    names = [n for n in frame.columns if n.startswith("activity_")]
    if not names:
        return [], np.zeros((len(frame), 0))
    counts = np.column_stack([np.nan_to_num(frame.columns[n]) for n in names])
    totals = counts.sum(axis=1)
    population = counts.sum(axis=0) / max(float(counts.sum()), 1.0)
    shares = (counts + PRIOR_CONTACTS * population) / (totals + PRIOR_CONTACTS)[:, None]
    keep = population > 0
    return [n for n, k in zip(names, keep, strict=True) if k], np.sqrt(shares[:, keep])


def scale_features(
    frame: FeatureFrame, categories: tuple[str, ...] = ("language",)
) -> Scaled:
    """The clustering matrix (float32) and the per-column centre and scale.

    Columns: the activity mix (Hellinger), then the traits and the language
    one-hot, each standardised and weighted like one average activity column
    (the mean spread of the mix columns), so demographics inform the types
    without outweighing how customers behave. Every other feature describes
    the cards only.
    """
    names, block = _activity_block(frame)
    columns = [block[:, j] for j in range(block.shape[1])]
    centers = [0.0] * len(columns)
    scales = [1.0] * len(columns)
    weight = float(block.std(axis=0).mean()) if block.size else 1.0
    orders = np.nan_to_num(frame.columns.get("orders", np.zeros(len(frame))))
    for name in TRAITS:
        if name not in frame.columns:
            continue
        values = np.asarray(frame.columns[name], dtype=float).copy()
        if name.startswith("log_"):
            values[orders <= 0] = np.nan  # no orders: no basket to speak of
        if np.all(np.isnan(values)):
            continue
        center = float(np.nanmedian(values))
        spread = float(np.nanstd(values)) or 1.0
        values = np.where(np.isnan(values), center, values)
        names.append(name)
        columns.append((values - center) / spread * weight)
        centers.append(center)
        scales.append(spread / weight)
    for cat in categories:
        raw_cat = frame.categories.get(cat)
        if raw_cat is None:
            continue
        levels = sorted({str(v) for v in np.unique(raw_cat.astype(str)) if v})
        if len(levels) < 2 or len(levels) > 20:
            continue
        for level in levels:
            hit = (raw_cat.astype(str) == level).astype(float)
            spread = float(hit.std()) or 1.0
            names.append(f"{cat}={level}")
            columns.append(hit / spread * weight)
            centers.append(0.0)
            scales.append(spread / weight)
    if not columns:
        raise InvalidInput("no customer features vary: import interactions or orders")
    matrix = np.column_stack(columns).astype(np.float32)
    return Scaled(matrix, names, np.array(centers), np.array(scales))


@dataclass
class Clustering:
    k: int
    labels: np.ndarray
    centroids: np.ndarray
    criterion: str
    scores: dict[int, float] = field(default_factory=dict)


def _fit(sample: np.ndarray, k: int, seed: int, starts: int = 4) -> np.ndarray:
    model = KMeans(n_clusters=k, n_init=starts, random_state=seed, max_iter=200)
    model.fit(sample)
    return np.asarray(model.cluster_centers_, dtype=np.float32)


def assign(
    matrix: np.ndarray, centroids: np.ndarray, chunk: int = 200_000
) -> np.ndarray:
    """The nearest centroid of every row, in chunks to bound memory."""
    labels = np.empty(len(matrix), dtype=np.int32)
    norms = (centroids**2).sum(axis=1)
    for start in range(0, len(matrix), chunk):
        block = matrix[start : start + chunk]
        dist = norms[None, :] - 2.0 * block @ centroids.T
        labels[start : start + chunk] = np.argmin(dist, axis=1)
    return labels


def _renumber(
    labels: np.ndarray, centroids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.bincount(labels, minlength=len(centroids))
    keys = [
        (-int(sizes[c]), tuple(np.round(centroids[c], 6)))
        for c in range(len(centroids))
    ]
    order = sorted(range(len(centroids)), key=lambda c: keys[c])
    mapping = np.empty(len(order), dtype=np.int32)
    mapping[np.array(order)] = np.arange(len(order), dtype=np.int32)
    return mapping[labels], centroids[np.array(order)]


def cluster(
    matrix: np.ndarray,
    *,
    seed: int,
    k: int | None = None,
    k_range: tuple[int, int] = (3, 8),
    sample: int = 60_000,
    silhouette_sample: int = 3_000,
    trial_sample: int = 20_000,
    progress: Progress | None = None,
) -> Clustering:
    """Personas for the rows of ``matrix``: k chosen by silhouette unless given."""
    n = len(matrix)
    low, high = k_range
    if k is not None and not 2 <= k <= 30:
        raise InvalidInput(f"--k must be between 2 and 30, got {k}")
    if n < max(k or low, 2) * 5:
        raise InvalidInput(f"too few customers ({n}) to build personas")
    rng = np.random.default_rng(seed)
    fit_rows = np.sort(rng.choice(n, size=min(n, sample), replace=False))
    fit_sample = matrix[fit_rows]
    scores: dict[int, float] = {}
    if k is None:
        sil_rows = rng.choice(
            len(fit_sample), size=min(len(fit_sample), silhouette_sample), replace=False
        )
        trial_rows = np.sort(
            rng.choice(len(fit_sample), min(len(fit_sample), trial_sample), False)
        )
        trial = fit_sample[trial_rows]
        candidates = list(range(low, min(high, len(fit_sample) - 1) + 1))
        for i, cand in enumerate(candidates):
            if progress:
                progress(f"trying {cand} personas", 0.3 + 0.4 * i / len(candidates))
            # Trials fit on a smaller random part of the sample with two starts:
            # the choice of k needs the shape, not the last decimal.
            centroids = _fit(trial, cand, seed, starts=2)
            sub = fit_sample[sil_rows]
            sub_labels = assign(sub, centroids)
            if len(np.unique(sub_labels)) < 2:
                continue
            scores[cand] = round(
                float(silhouette_score(sub, sub_labels, random_state=seed)), 4
            )
        k = max(scores, key=lambda c: (scores[c], -c))
        criterion = "silhouette"
    else:
        criterion = "user"
    if progress:
        progress(f"fitting {k} personas", 0.75)
    centroids = _fit(fit_sample, k, seed)
    labels = assign(matrix, centroids)
    labels, centroids = _renumber(labels, centroids)
    return Clustering(
        k=k, labels=labels, centroids=centroids, criterion=criterion, scores=scores
    )
