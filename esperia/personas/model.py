"""Scaling of mixed-type features and seeded, stable clustering into personas.

Scaling: counts and money are log-transformed (``log1p``) then robust-scaled
(median, inter-quartile range) like every other numeric feature; shares stay
as they are (already on 0-1); categories become one-hot columns multiplied by
:data:`CATEGORY_WEIGHT` so one categorical variable weighs about as much as one
numeric feature. Missing numbers take the median (0 after scaling).

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
from esperia.vocabulary import STAGES

__all__ = ["CATEGORY_WEIGHT", "Clustering", "Scaled", "cluster", "scale_features"]

#: Weight of a one-hot category column relative to a robust-scaled feature.
CATEGORY_WEIGHT = 0.7
LOG_FEATURES = ("interactions", "orders", "revenue", "basket", "feedback")
#: Weight of share features: 0-1 shares are multiplied so a full swing (0 → 1)
#: is comparable to a few inter-quartile ranges of a numeric feature.
SHARE_WEIGHT = 2.0
#: Features left out of clustering: descriptive only (they describe the state a
#: customer is in, or are too sparse to define a type) and shown on the cards.
DESCRIPTIVE = ("recency_days", "tenure_days", "revenue", "nps_mean",
               "share_promoter", "sentiment_mean", "feedback", "direct_contacts",
               "share_direct", "care_phone", "care_chat", "care_email", "share_care",
               "share_morning",
               "share_evening", "share_weekend", "share_physical",
               *(f"stage_{s}" for s in STAGES))  # fmt: skip

Progress = Callable[[str, float], None]


@dataclass
class Scaled:
    matrix: np.ndarray
    names: list[str]
    center: np.ndarray
    scale: np.ndarray


def _is_share(name: str) -> bool:
    return name.startswith(
        ("share_", "channel_", "stage_", "care_", "season_", "module_", "aspect_")
    )


def scale_features(
    frame: FeatureFrame, categories: tuple[str, ...] = ("language",)
) -> Scaled:
    """The clustering matrix (float32) and the per-column centre and scale."""
    names: list[str] = []
    columns: list[np.ndarray] = []
    centers: list[float] = []
    scales: list[float] = []
    for name, raw in frame.columns.items():
        if name in DESCRIPTIVE:
            continue
        values = np.asarray(raw, dtype=float)
        if np.all(np.isnan(values)) or np.nanmax(values) == np.nanmin(values):
            continue  # a constant column carries no information
        if name in LOG_FEATURES:
            values = np.log1p(np.clip(values, 0, None))
        if _is_share(name):
            center, spread = 0.0, 1.0 / SHARE_WEIGHT
            values = np.nan_to_num(values, nan=0.0)
        else:
            center = float(np.nanmedian(values))
            q75, q25 = np.nanpercentile(values, [75, 25])
            spread = float(q75 - q25) or float(np.nanstd(values)) or 1.0
            values = np.where(np.isnan(values), center, values)
        names.append(name)
        columns.append((values - center) / spread)
        centers.append(center)
        scales.append(spread)
    for cat in categories:
        raw_cat = frame.categories.get(cat)
        if raw_cat is None:
            continue
        levels = sorted({str(v) for v in np.unique(raw_cat.astype(str)) if v})
        if len(levels) < 2 or len(levels) > 20:
            continue
        for level in levels:
            names.append(f"{cat}={level}")
            columns.append((raw_cat.astype(str) == level) * CATEGORY_WEIGHT)
            centers.append(0.0)
            scales.append(1.0 / CATEGORY_WEIGHT)
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


def _fit(sample: np.ndarray, k: int, seed: int) -> np.ndarray:
    model = KMeans(n_clusters=k, n_init=4, random_state=seed, max_iter=200)
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
    silhouette_sample: int = 6_000,
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
        candidates = list(range(low, min(high, len(fit_sample) - 1) + 1))
        for i, cand in enumerate(candidates):
            if progress:
                progress(f"trying {cand} personas", 0.3 + 0.4 * i / len(candidates))
            centroids = _fit(fit_sample, cand, seed)
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
