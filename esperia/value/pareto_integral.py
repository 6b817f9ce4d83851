"""The one hard term of Pareto/NBD: the chance of having left unseen, in logs.

A customer with purchase rate λ and dropout rate μ who made x repeat purchases,
the last at t_x, and was watched until T, either is still alive at T or left at
some τ in (t_x, T]. Mixing λ ~ gamma(r, alpha) and μ ~ gamma(s, beta) over that
second case leaves the integral

    I(x, t_x, T) = ∫_{t_x}^{T} (alpha + τ)^-(r+x) (beta + τ)^-(s+1) dτ

(times s Gamma(r+x) alpha^r beta^s / Gamma(r)), which is what Schmittlein, Morrison &
Colombo (1987) and Fader & Hardie's note "A Note on Deriving the Pareto/NBD
Model and Related Expressions" (2005, eq. 17-19, their A0 = (r+s+x) I) write
with the Gaussian hypergeometric function. With a = r + s + x:

    I = [F(z_tx) / (m + t_x)^a - F(z_T) / (m + T)^a] / a,
    F(z) = 2F1(a, b; a + 1; z),  z_t = |alpha - beta| / (m + t)

where m = max(alpha, beta) and b = s + 1 when alpha ≥ beta, else r + x, so that z is in
[0, 1) and the series converges. :func:`log_integral` uses that closed form
through ``scipy.special.hyp2f1``. F grows like (1 - z)^(1 - b) as z → 1:
heavy buyers (large x) whose alpha is far below beta overflow double
precision. Those ends are computed with Euler's transformation, which moves
the large factor into logs (:func:`log_end`). Rows where even that is not
finite, or whose z is above :data:`Z_MAX` (where hyp2f1 turns slow and
unreliable), are integrated numerically (:func:`log_integral_quadrature`).
"""

from __future__ import annotations

import numpy as np
from scipy.special import hyp2f1

__all__ = ["Ends", "log_end", "log_integral", "log_integral_quadrature"]

#: Grid points of each bracketing pass, and the quadrature's panels x nodes.
_GRID = 65
_PANELS = 8
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(16)
#: Below the integrand's peak by more than this (in logs), a region is dropped.
_DROP = 60.0
#: Above this z, hyp2f1 slows down (50-150 µs a value against 1-3 below 0.9)
#: and often fails when a is large; the quadrature (about 20 µs a row) is
#: used for those rows from the start.
Z_MAX = 0.999


def _as_arrays(*values: np.ndarray | float) -> list[np.ndarray]:
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in values))
    return [np.array(a) for a in arrays]


class Ends:
    """The distinct (x, t_x) and (x, T) pairs of a set of rows, found once.

    Each end of the integral depends on x and one time only, and customers
    share them (whole days, few distinct x): a fit evaluates the special
    functions per distinct pair instead of per row, at every step.
    """

    def __init__(self, x: np.ndarray, tx: np.ndarray, t: np.ndarray) -> None:
        self.x, self.tx, self.t = _as_arrays(x, tx, t)
        (self.x1, self.t1), self.i1 = _unique_pairs(self.x, self.tx)
        (self.x2, self.t2), self.i2 = _unique_pairs(self.x, self.t)


def _unique_pairs(
    x: np.ndarray, t: np.ndarray
) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    if len(x) == 0:
        return (x, t), np.zeros(0, dtype=np.intp)
    pairs, inverse = np.unique(np.column_stack([x, t]), axis=0, return_inverse=True)
    return (pairs[:, 0], pairs[:, 1]), inverse.reshape(-1)


def log_end(
    r: float, alpha: float, s: float, beta: float, x: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """log[F(z_t) / (m + t)^a], one end of the closed form (NaN above Z_MAX).

    ``hyp2f1`` as it stands where it is finite; where it overflows, Euler's
    transformation (Abramowitz & Stegun 15.3.3) with c = a + 1,
    F(z) = (1 - z)^(1-b) 2F1(1, a + 1 - b; a + 1; z). That 2F1 is finite up
    to z = 1 (its c - a' - b' is b - 1 > 0), and the large factor is taken in
    logs.
    """
    a = r + s + x
    if alpha >= beta:
        big, b, gap = alpha, np.full_like(x, s + 1.0), alpha - beta
    else:
        big, b, gap = beta, r + x, beta - alpha
    z = gap / (big + t)
    near_one = z > Z_MAX
    z = np.where(near_one, np.nan, z)  # hyp2f1 answers NaN at once
    with np.errstate(all="ignore"):
        log_f = np.log(hyp2f1(a, b, a + 1.0, z))
        bad = ~np.isfinite(log_f) & ~near_one
        if bad.any():
            ab, bb, zb = a[bad], b[bad], z[bad]
            log_f[bad] = (1.0 - bb) * np.log1p(-zb) + np.log(
                hyp2f1(1.0, ab + 1.0 - bb, ab + 1.0, zb)
            )
    return log_f - a * np.log(big + t)


def log_integral(
    r: float, alpha: float, s: float, beta: float,
    x: np.ndarray, tx: np.ndarray, t: np.ndarray, ends: Ends | None = None,
) -> np.ndarray:  # fmt: skip
    """log I per row: the closed form where it is finite, quadrature elsewhere.

    Rows with t_x = T have I = 0 (log -inf): nobody can have left unseen.
    ``ends`` (for the same rows, built once per fit) evaluates each distinct
    (x, t) pair once.
    """
    if ends is None:  # one-off predictions: per row, cheaper than finding pairs
        x, tx, t = _as_arrays(x, tx, t)
        log_first = log_end(r, alpha, s, beta, x, tx)
        log_second = log_end(r, alpha, s, beta, x, t)
    else:
        x, tx, t = ends.x, ends.tx, ends.t
        log_first = log_end(r, alpha, s, beta, ends.x1, ends.t1)[ends.i1]
        log_second = log_end(r, alpha, s, beta, ends.x2, ends.t2)[ends.i2]
    with np.errstate(all="ignore"):
        # first - second > 0 for t_x < T; it is 0 at t_x = T.
        diff = np.minimum(log_second - log_first, 0.0)
        out = log_first + np.log(-np.expm1(diff)) - np.log(r + s + x)
    out = np.where(tx >= t, -np.inf, out)
    bad = ~np.isfinite(out) & (tx < t)
    if bad.any():
        out[bad] = log_integral_quadrature(r, alpha, s, beta, x[bad], tx[bad], t[bad])
    return out


def _log_integrand(
    v: np.ndarray, r: float, alpha: float, s: float, beta: float, x: np.ndarray,
    c: float,
) -> np.ndarray:  # fmt: skip
    """log of the integrand in v = log(c + τ), Jacobian e^v included."""
    with np.errstate(divide="ignore"):
        log_a, log_b = np.log(alpha - c), np.log(beta - c)
    return -(r + x) * np.logaddexp(log_a, v) - (s + 1.0) * np.logaddexp(log_b, v) + v


def log_integral_quadrature(
    r: float, alpha: float, s: float, beta: float,
    x: np.ndarray, tx: np.ndarray, t: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """log I by Gauss-Legendre quadrature, vectorised over rows.

    In v = log(min(alpha, beta) + τ) the log-integrand is concave (its slope
    1 - (r+x)(c+τ)/(alpha+τ) - (s+1)(c+τ)/(beta+τ) only decreases), so the mass sits
    in one interval around the peak. Two passes of a 65-point grid narrow
    [log(c+t_x), log(c+T)] to where the log-integrand is within 60 of its
    peak; 8 panels of 16-point Gauss-Legendre then integrate exp(ψ - peak)
    there. Each row costs about 260 evaluations of elementary functions: a
    fallback for the rows the closed form cannot take, not the main road.
    """
    x, tx, t = _as_arrays(x, tx, t)
    out = np.full(len(x), -np.inf)
    keep = tx < t
    if not keep.any():
        return out
    xk = x[keep][:, None]
    c = min(alpha, beta)
    lo, hi = np.log(c + tx[keep]), np.log(c + t[keep])
    steps = np.linspace(0.0, 1.0, _GRID)[None, :]
    cols = np.arange(_GRID)[None, :]
    for _ in range(2):
        grid = lo[:, None] + (hi - lo)[:, None] * steps
        psi = _log_integrand(grid, r, alpha, s, beta, xk, c)
        inside = psi >= psi.max(axis=1, keepdims=True) - _DROP
        first = np.where(inside, cols, _GRID).min(axis=1)
        last = np.where(inside, cols, -1).max(axis=1)
        rows = np.arange(len(lo))
        lo, hi = (
            grid[rows, np.maximum(first - 1, 0)],
            grid[rows, np.minimum(last + 1, _GRID - 1)],
        )
    width = (hi - lo) / _PANELS
    left = lo[:, None] + width[:, None] * np.arange(_PANELS)[None, :]
    nodes = (left[:, :, None] + width[:, None, None] * (_NODES + 1.0) / 2.0).reshape(
        len(lo), -1
    )
    psi = _log_integrand(nodes, r, alpha, s, beta, xk, c)
    peak = psi.max(axis=1, keepdims=True)
    weights = np.tile(_WEIGHTS, _PANELS)[None, :] * (width / 2.0)[:, None]
    total = np.einsum("ij,ij->i", weights, np.exp(psi - peak))
    out[keep] = peak[:, 0] + np.log(total)
    return out
