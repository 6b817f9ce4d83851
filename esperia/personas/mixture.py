"""A latent class model of mixed-type customer data, fitted by seeded EM.

Each persona is a latent class. Given the class, a customer's features are
independent blocks:

* **count blocks** (activity mix, month of the year, time of day, order
  category, aspects talked about): a multinomial per block, so a customer seen
  twice weighs little and one seen a hundred times weighs more, which is what
  a shrunk share tries to fake in a distance-based model;
* **traits** (age, mean log basket, mean log items per order): a Gaussian per
  class, missing values (no orders, no birth year) skipped;
* **declared categories** (language, CRM segment, declared attributes): a
  categorical per class.

Blocks are weighted by *tempering*: every customer's counts in a block are
scaled down to at most :data:`BLOCK_CAP` events. Without it a heavy customer
weighs hundreds of times more than a typical one and, because real customers
vary around their type's mix more than a multinomial allows, the model turns
overconfident and splits types on noise; with it no block can outvote the
others for a customer (a trait or a category counts as one event).

The number of personas is read off the BIC curve over a range of k: BIC
keeps falling slowly past the true k on large, overdispersed data, so the
rule takes the *elbow* — the smallest k after which one more persona gains
less than :data:`ELBOW` of the largest gain seen so far.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp
from sklearn.cluster import kmeans_plusplus

from esperia.errors import InvalidInput
from esperia.personas.features import FeatureFrame

__all__ = [
    "BLOCK_CAP",
    "ELBOW",
    "MIN_ACTIVITY",
    "MixtureData",
    "MixtureModel",
    "choose_k",
    "fit_mixture",
    "prepare",
]

#: Most events a customer contributes per count block (tempering weight).
BLOCK_CAP = 20.0
#: Elbow rule: stop adding personas when the next one's BIC gain is below
#: this share of the largest gain so far.
ELBOW = 0.2
#: Customers with fewer direct contacts plus orders than this are *low
#: activity*: left out of the fit, assigned to the most probable persona from
#: what little they show, and flagged.
MIN_ACTIVITY = 3
#: Dirichlet smoothing (pseudo-counts) of multinomial and categorical cells.
SMOOTHING = 0.5
#: Traits modelled as Gaussians.
TRAITS = ("age", "log_basket", "log_items")
#: Declared categories with more levels than this are left out (a city, a
#: free-text field): they describe the cards, not the types.
MAX_LEVELS = 12

Progress = Callable[[str, float], None]


@dataclass
class MixtureData:
    """The model's view of the customers, aligned on the frame's rows."""

    counts: np.ndarray  # n x d, tempered, float32
    count_names: list[str]
    count_block: np.ndarray  # d, block index of each count column
    block_names: list[str]
    traits: np.ndarray  # n x g (missing filled, masked below)
    trait_mask: np.ndarray  # n x g bool
    trait_names: list[str]
    onehot: np.ndarray  # n x c
    onehot_names: list[str]
    onehot_group: np.ndarray  # c, categorical index of each one-hot column
    activity: np.ndarray  # n, direct contacts plus orders

    def __len__(self) -> int:
        return len(self.activity)

    def rows(self, index: np.ndarray) -> MixtureData:
        """A subset in float64 (the EM sums log-likelihoods over it)."""
        return MixtureData(
            self.counts[index].astype(np.float64), self.count_names,
            self.count_block, self.block_names, self.traits[index],
            self.trait_mask[index], self.trait_names,
            self.onehot[index].astype(np.float64), self.onehot_names,
            self.onehot_group, self.activity[index],
        )  # fmt: skip

    @property
    def free_parameters(self) -> int:
        """Free parameters per class (for BIC)."""
        blocks = len(self.block_names)
        groups = len(np.unique(self.onehot_group)) if len(self.onehot_group) else 0
        return (
            self.counts.shape[1] - blocks
            + 2 * self.traits.shape[1]
            + self.onehot.shape[1] - groups
        )  # fmt: skip


def prepare(frame: FeatureFrame, cap: float = BLOCK_CAP) -> MixtureData:
    """Counts tempered per block, traits and one-hot categories of ``frame``."""
    n = len(frame)
    names: list[str] = []
    block_of: list[int] = []
    block_names: list[str] = []
    for block, columns in frame.blocks.items():
        used = [c for c in columns if np.nansum(frame.columns[c]) > 0]
        if len(used) < 2:
            continue
        names += used
        block_of += [len(block_names)] * len(used)
        block_names.append(block)
    # Filled column by column into one float32 matrix: a million customers
    # by a hundred counts is 400 MB in float32, twice that via column_stack.
    # Column-major, so each column is written and scaled in one sweep.
    counts = np.empty((n, len(names)), dtype=np.float32, order="F")
    for j, name in enumerate(names):
        counts[:, j] = np.nan_to_num(frame.columns[name])
    blocks = np.array(block_of, dtype=np.int64)
    for b in range(len(block_names)):
        cols = [int(c) for c in np.flatnonzero(blocks == b)]
        total = np.zeros(n, dtype=np.float32)
        for col in cols:
            total += counts[:, col]
        scale = np.minimum(1.0, cap / np.maximum(total, 1.0)).astype(np.float32)
        for col in cols:
            counts[:, col] *= scale
    orders = np.nan_to_num(frame.columns.get("orders", np.zeros(n)))
    traits: list[np.ndarray] = []
    masks: list[np.ndarray] = []
    trait_names: list[str] = []
    for name in TRAITS:
        if name not in frame.columns:
            continue
        values = np.asarray(frame.columns[name], dtype=float).copy()
        if name.startswith("log_"):
            values[orders <= 0] = np.nan  # no orders: no basket to speak of
        mask = ~np.isnan(values)
        if mask.sum() < 10 or np.nanstd(values) == 0:
            continue
        traits.append(np.where(mask, values, np.nanmedian(values)))
        masks.append(mask)
        trait_names.append(name)
    onehot: list[np.ndarray] = []
    onehot_names: list[str] = []
    groups: list[int] = []
    categories = [c for c in frame.categories if c not in ("region",)]
    for g, cat in enumerate(categories):
        raw = frame.categories[cat]
        levels = sorted({str(v) for v in set(raw.tolist())} - {"", "None"})
        if not 2 <= len(levels) <= MAX_LEVELS:
            continue
        for level in levels:
            onehot.append((raw == level).astype(np.float32))
            onehot_names.append(f"{cat}={level}")
            groups.append(g)
    activity = np.nan_to_num(frame.columns.get("direct_contacts", np.zeros(n)))
    activity = activity + orders
    if not names and not traits:
        raise InvalidInput("no customer features vary: import interactions or orders")
    return MixtureData(
        counts=counts,
        count_names=names,
        count_block=blocks,
        block_names=block_names,
        traits=np.column_stack(traits) if traits else np.zeros((n, 0)),
        trait_mask=np.column_stack(masks) if masks else np.zeros((n, 0), bool),
        trait_names=trait_names,
        onehot=np.column_stack(onehot) if onehot else np.zeros((n, 0), np.float32),
        onehot_names=onehot_names,
        onehot_group=np.array(groups, dtype=np.int64),
        activity=activity,
    )


def _normalise(table: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Log-probabilities: rows of ``table`` normalised within each group."""
    if table.shape[1] == 0:
        return table
    sums = np.zeros((table.shape[0], int(groups.max()) + 1))
    np.add.at(sums.T, groups, table.T)
    return np.log(table) - np.log(sums[:, groups])


@dataclass
class MixtureModel:
    """Fitted class weights and per-class parameters."""

    log_weight: np.ndarray  # k
    log_theta: np.ndarray  # k x d
    mean: np.ndarray  # k x g
    var: np.ndarray  # k x g
    log_phi: np.ndarray  # k x c
    loglik: float = 0.0
    iterations: int = 0

    @property
    def k(self) -> int:
        return len(self.log_weight)

    def joint(self, data: MixtureData) -> np.ndarray:
        """log p(x, class) for every row and class (n x k)."""
        out = data.counts @ self.log_theta.T + self.log_weight[None, :]
        if data.traits.shape[1]:
            for j in range(data.traits.shape[1]):
                diff = data.traits[:, j, None] - self.mean[None, :, j]
                ll = -0.5 * (diff**2 / self.var[None, :, j]
                             + np.log(2 * np.pi * self.var[None, :, j]))  # fmt: skip
                out += ll * data.trait_mask[:, j, None]
        if data.onehot.shape[1]:
            out += data.onehot @ self.log_phi.T
        return out

    def posterior(
        self, data: MixtureData, chunk: int = 100_000
    ) -> tuple[np.ndarray, np.ndarray]:
        """Most probable class and its posterior probability, in chunks."""
        labels = np.empty(len(data), dtype=np.int32)
        confidence = np.empty(len(data), dtype=np.float32)
        for start in range(0, len(data), chunk):
            part = data.rows(np.arange(start, min(start + chunk, len(data))))
            joint = self.joint(part)
            best = joint.argmax(axis=1)
            labels[start : start + chunk] = best
            top = joint[np.arange(len(best)), best]
            confidence[start : start + chunk] = np.exp(top - logsumexp(joint, axis=1))
        return labels, confidence


def _m_step(data: MixtureData, resp: np.ndarray) -> MixtureModel:
    weight = resp.sum(axis=0) + 1e-9
    theta = resp.T @ data.counts + SMOOTHING
    phi = resp.T @ data.onehot + SMOOTHING
    g = data.traits.shape[1]
    mean = np.zeros((resp.shape[1], g))
    var = np.ones((resp.shape[1], g))
    for j in range(g):
        w = resp * data.trait_mask[:, j, None]
        total = w.sum(axis=0) + 1e-9
        mean[:, j] = (w * data.traits[:, j, None]).sum(axis=0) / total
        spread = (w * (data.traits[:, j, None] - mean[None, :, j]) ** 2).sum(axis=0)
        # A floor on the variance keeps a class from collapsing on one value.
        var[:, j] = spread / total + 1e-2 * float(np.var(data.traits[:, j]) + 1e-9)
    return MixtureModel(
        log_weight=np.log(weight / weight.sum()),
        log_theta=_normalise(theta, data.count_block),
        mean=mean,
        var=var,
        log_phi=_normalise(phi, data.onehot_group),
    )


def _init(data: MixtureData, k: int, seed: int) -> np.ndarray:
    """Hard starting classes: k-means++ seeds on the square-root shares."""
    shares = data.counts.copy()
    if shares.shape[1]:
        sums = np.zeros((len(shares), len(data.block_names)))
        np.add.at(sums.T, data.count_block, shares.T)
        shares = np.sqrt(shares / np.maximum(sums[:, data.count_block], 1e-9))
    z = data.traits - data.traits.mean(axis=0)
    z = z / np.maximum(data.traits.std(axis=0), 1e-9) * 0.5
    points = np.column_stack([shares, z, data.onehot * 0.5])
    centers, _ = kmeans_plusplus(points, k, random_state=seed)
    dist = (
        (points**2).sum(axis=1)[:, None]
        - 2 * points @ centers.T
        + (centers**2).sum(axis=1)[None, :]
    )
    resp = np.zeros((len(points), k))
    resp[np.arange(len(points)), dist.argmin(axis=1)] = 1.0
    return resp


def _em(
    data: MixtureData, k: int, seed: int, max_iter: int, tol: float
) -> MixtureModel:
    resp = _init(data, k, seed)
    previous = -np.inf
    model = _m_step(data, resp)
    for it in range(1, max_iter + 1):
        joint = model.joint(data)
        total = logsumexp(joint, axis=1)
        loglik = float(total.sum())
        resp = np.exp(joint - total[:, None])
        model = _m_step(data, resp)
        model.loglik, model.iterations = loglik, it
        if loglik - previous < tol * abs(loglik):
            break
        previous = loglik
    return model


def fit_mixture(
    data: MixtureData, k: int, *, seed: int, starts: int = 3,
    max_iter: int = 150, tol: float = 1e-6,
) -> MixtureModel:  # fmt: skip
    """The best of ``starts`` seeded EM runs (highest log-likelihood)."""
    if len(data) < k * 5:
        raise InvalidInput(f"too few customers ({len(data)}) for {k} personas")
    best: MixtureModel | None = None
    for start in range(starts):
        model = _em(data, k, seed * 1_000 + start, max_iter, tol)
        if best is None or model.loglik > best.loglik:
            best = model
    assert best is not None
    return best


def bic(model: MixtureModel, data: MixtureData) -> float:
    """Bayesian information criterion of a fitted model (lower is better)."""
    params = model.k - 1 + model.k * data.free_parameters
    return -2.0 * model.loglik + params * float(np.log(len(data)))


@dataclass
class KChoice:
    k: int
    scores: dict[int, float] = field(default_factory=dict)


def choose_k(
    data: MixtureData, k_range: tuple[int, int], *, seed: int, starts: int = 2,
    progress: Progress | None = None,
) -> KChoice:  # fmt: skip
    """k at the elbow of the BIC curve over ``k_range`` (see the module doc)."""
    low, high = k_range
    scores: dict[int, float] = {}
    candidates = list(range(max(low - 1, 1), high + 1))
    for i, cand in enumerate(candidates):
        if progress:
            progress(f"trying {cand} personas", 0.3 + 0.4 * i / len(candidates))
        scores[cand] = round(bic(fit_mixture(data, cand, seed=seed, starts=starts),
                                 data), 1)  # fmt: skip
    chosen, best_gain = low, 0.0
    for cand in range(low, high):
        before = scores[cand - 1] - scores[cand] if cand - 1 in scores else 0.0
        best_gain = max(best_gain, before)
        gain = scores[cand] - scores[cand + 1]
        chosen = cand
        if gain < ELBOW * best_gain or gain <= 0:
            break
    else:
        chosen = high
    return KChoice(k=chosen, scores=scores)
