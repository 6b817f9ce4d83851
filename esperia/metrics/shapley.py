"""Relative importance by exact Shapley decomposition of R² (LMG).

Correlated drivers share explained variance; a regression coefficient then
swings with every added driver. The Shapley value gives each driver its
average gain in R² over all orders in which drivers can enter the model, so
the importances add up to the full model's R² and stay stable when drivers
are correlated. Exact over every subset: 2^k R² values from the correlation
matrix, solved in batches of equal size with numpy (k <= 15).
"""

from __future__ import annotations

from math import factorial

import numpy as np

__all__ = ["shapley_r2", "subset_r2"]


def subset_r2(corr: np.ndarray) -> np.ndarray:
    """R² of y on every subset of drivers; ``corr`` is the (k+1)² matrix, y first.

    Entry ``mask`` holds the R² of the drivers whose bits are set in ``mask``.
    """
    k = corr.shape[0] - 1
    r_yx = corr[0, 1:]
    r_xx = corr[1:, 1:]
    masks = np.arange(1 << k)
    bits = (masks[:, None] >> np.arange(k)) & 1
    sizes = bits.sum(axis=1)
    out = np.zeros(1 << k)
    for size in range(1, k + 1):
        chosen = masks[sizes == size]
        # Column indices of each chosen subset, in ascending order.
        idx = np.nonzero(bits[chosen])[1].reshape(len(chosen), size)
        sub = r_xx[idx[:, :, None], idx[:, None, :]]
        rhs = r_yx[idx]
        # A tiny ridge keeps exactly collinear drivers solvable.
        sub = sub + 1e-9 * np.eye(size)
        beta = np.linalg.solve(sub, rhs[..., None])[..., 0]
        out[chosen] = np.einsum("ij,ij->i", beta, rhs)
    return np.clip(out, 0.0, 1.0)


def shapley_r2(corr: np.ndarray) -> tuple[np.ndarray, float]:
    """Each driver's Shapley share of R² (they sum to R²), and the full R²."""
    k = corr.shape[0] - 1
    r2 = subset_r2(corr)
    masks = np.arange(1 << k)
    sizes = ((masks[:, None] >> np.arange(k)) & 1).sum(axis=1)
    weights = np.array(
        [factorial(s) * factorial(k - s - 1) / factorial(k) for s in range(k)]
    )
    values = np.zeros(k)
    for j in range(k):
        without = masks[(masks >> j) & 1 == 0]
        gain = r2[without | (1 << j)] - r2[without]
        values[j] = float(np.sum(weights[sizes[without]] * gain))
    return values, float(r2[-1])
