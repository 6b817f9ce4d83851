"""Personas from the latent class model: seeded samples, k, assignment.

The model (:mod:`esperia.personas.mixture`) is fitted on seeded samples of
the *active* customers (at least ``MIN_ACTIVITY`` direct contacts plus
orders): the number of personas on a smaller one, the final fit on a larger
one. Every customer is then assigned to their most probable persona in
vectorised chunks, low-activity customers included but flagged, with the
posterior probability as their confidence. Personas are renumbered by size
(largest first), so the same data and seed always give the same numbering.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from esperia.errors import InvalidInput
from esperia.personas.mixture import (
    MIN_ACTIVITY,
    MixtureData,
    MixtureModel,
    choose_k,
    fit_mixture,
)

__all__ = ["CHOICE_SAMPLE", "FIT_SAMPLE", "Clustering", "cluster"]

#: Customers the choice of k is made on (eight fits over the range).
CHOICE_SAMPLE = 12_000
#: Customers the final model is fitted on.
FIT_SAMPLE = 40_000

Progress = Callable[[str, float], None]


@dataclass
class Clustering:
    k: int
    labels: np.ndarray
    confidence: np.ndarray
    low_activity: np.ndarray
    criterion: str
    model: MixtureModel
    scores: dict[int, float] = field(default_factory=dict)


def _renumber(model: MixtureModel, labels: np.ndarray) -> np.ndarray:
    """Class order by size (then by weight): returns old → new positions."""
    sizes = np.bincount(labels, minlength=model.k)
    order = sorted(
        range(model.k),
        key=lambda c: (-int(sizes[c]), -float(model.log_weight[c]), c),
    )
    mapping = np.empty(model.k, dtype=np.int32)
    mapping[np.array(order)] = np.arange(model.k, dtype=np.int32)
    return mapping


def _reorder(model: MixtureModel, mapping: np.ndarray) -> MixtureModel:
    order = np.argsort(mapping)
    return MixtureModel(
        log_weight=model.log_weight[order], log_theta=model.log_theta[order],
        mean=model.mean[order], var=model.var[order], log_phi=model.log_phi[order],
        loglik=model.loglik, iterations=model.iterations,
    )  # fmt: skip


def cluster(
    data: MixtureData,
    *,
    seed: int,
    k: int | None = None,
    k_range: tuple[int, int] = (2, 8),
    sample: int = FIT_SAMPLE,
    choice_sample: int = CHOICE_SAMPLE,
    progress: Progress | None = None,
) -> Clustering:
    """Personas for every row of ``data``: k at the BIC elbow unless given."""
    n = len(data)
    low, high = k_range
    if k is not None and not 2 <= k <= 30:
        raise InvalidInput(f"--k must be between 2 and 30, got {k}")
    if not 2 <= low <= high <= 30:
        raise InvalidInput(f"the range of k must lie within 2-30, got {low}-{high}")
    if n < max(k or high, 2) * 5:
        raise InvalidInput(f"too few customers ({n}) to build personas")
    low_activity = data.activity < MIN_ACTIVITY
    active = np.flatnonzero(~low_activity)
    # Too few active customers (a young workspace): fit on everyone instead.
    pool = active if len(active) >= max(k or high, 2) * 20 else np.arange(n)
    rng = np.random.default_rng(seed)
    fit_rows = np.sort(rng.choice(pool, size=min(len(pool), sample), replace=False))
    fit_data = data.rows(fit_rows)
    # Small matrices: BLAS threads only add synchronisation (5x slower on
    # two busy cores), so the model runs on one thread.
    with threadpool_limits(limits=1):
        scores: dict[int, float] = {}
        if k is None:
            choice_rows = np.sort(
                rng.choice(len(fit_data), min(len(fit_data), choice_sample), False)
            )
            choice = choose_k(
                fit_data.rows(choice_rows), (low, high), seed=seed, progress=progress
            )
            k, scores, criterion = choice.k, choice.scores, "bic-elbow"
        else:
            criterion = "user"
        if progress:
            progress(f"fitting {k} personas", 0.75)
        model = fit_mixture(fit_data, k, seed=seed)
        labels, confidence = model.posterior(data)
    mapping = _renumber(model, labels)
    return Clustering(
        k=k, labels=mapping[labels], confidence=confidence,
        low_activity=low_activity, criterion=criterion,
        model=_reorder(model, mapping), scores=scores,
    )  # fmt: skip
