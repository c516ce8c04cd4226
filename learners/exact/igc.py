"""Individual-Global-Consistency (IGC, AgentMixer Def. 6) held exactly by construction.

The Policy Modifier of AgentMixer (Li, Zhao, Wu & Pajarinen, AAAI 2025) turns decentralized
policies α_i into a correlated joint policy whose mode is the tuple of the individual modes. The
paper's public code modifies a discrete α by softmax((log α + ε)/τ) with an unconstrained ε, which
can move the mode (:func:`softmax_modifier_counterexample`). Here instead:

* :func:`igc_modify` keeps the mode and reshapes the rest. **Tie rule**: the mode of α is
  k = the lowest index among its maxima (``np.argmax``); β's mode is then *strict*, so
  ``argmax β == argmax α`` for every input, ties in α included. Construction: with ρ_j = α_j / α_k
  ∈ [0, 1], a cap c = ``ratio_cap`` < 1 (default 1 - 1e-9) and a base cap q = ``base_cap`` ≤ c
  (default 0.9),

      r_k = 1,   r_j = c σ(ε_j + b_j),   b_j = logit(min(ρ_j, q) / c),   β = r / Σ r,

  so β_j / β_k = r_j < c < 1 for j ≠ k. ε_k is unused (β has A - 1 degrees of freedom). At ε = 0,
  r_j = min(ρ_j, q): β = α exactly when every non-mode ratio is ≤ q; above q (near-ties, e.g. a
  uniform α) the ratio starts at q, so that ε sits where σ is well conditioned (a base at ρ ≈ c
  would give ∂β/∂ε ≈ 1 - c ≈ 1e-9: a modifier frozen at uniform initialisations). Support is
  kept: α_j = 0 gives β_j = 0 for every ε.
  **Surjectivity**: for a fixed α, ε_{-k} ↦ β is a bijection from R^{|supp α| - 1} onto
  B_c(α) = {β : supp β = supp α, β_j < c β_k for all j ≠ k}, with inverse
  ε_j = logit(β_j / (c β_k)) - b_j (:func:`igc_modify_logits`): r determines β (β_k = 1 / Σ r,
  β_j = r_j β_k) and σ is a bijection R → (0, 1). As c → 1, B_c(α) increases to every β with
  support supp α and strict mode k; its closure contains every β with mode k on supp α.
  **Differentiability** (for the torch port): smooth in ε everywhere (σ, products, a sum);
  in α piecewise smooth — smooth where argmax α is locally constant and ρ_j ≠ q, a ``min`` kink
  at ρ_j = q and a jump where argmax α switches (unavoidable: argmax is not continuous). Use
  log σ(x) = -softplus(-x) in log space; no gradient flows through k, a constant there. In float32
  take c ≤ 1 - 1e-4 (1 - 1e-9 rounds to 1).
* :func:`igc_joint` couples N agents: the product ⊗_i β_i of modified marginals (strict mode at the
  tuple of modes) is itself treated as the "individual" distribution of the flattened joint action
  and modified again by unconstrained coupling logits, so the joint mode is the tuple of individual
  modes and — by the same bijection — every joint distribution with full support and strict mode
  at that tuple (ratio < c) is reachable, correlations of any kind included.
* :func:`igc_cap` puts IGC on *any* distribution given by logits l and a chosen mode k (which need
  not be argmax l): r_k = 1, r_j = c σ(l_j − l_k − log c), β = r / Σ r. In odds, with
  ũ_j = e^{l_j − l_k} the uncapped ratio to k, r_j = c ũ_j / (c + ũ_j): ≈ ũ_j while ũ_j ≪ c and
  < c always, so k is β's strict mode. For a fixed k, l ↦ β is onto B_c (every full-support β
  with strict mode k and ratios < c; inverse :func:`igc_uncap`). Tabular AgentMixer's coupled
  joint (:mod:`learners.exact.agentmixer_coupled`) is igc_cap over joint actions with k the tuple
  of the decentralized modes: the logits are free (any correlation), IGC holds by construction,
  and moving the mode is an explicit act (a hand-off) rather than a side effect of the logits.
* :func:`gaussian_igc`: continuous actions. The joint Gaussian's mean is the stacked individual means
  (its mode, and each agent's marginal mean is its own mean), the covariance L Lᵀ + jitter I comes
  from any modifier factor L.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from games.errors import GameError

__all__ = [
    "BASES",
    "DEFAULT_BASE_CAP",
    "DEFAULT_RATIO_CAP",
    "SoftmaxCounterexample",
    "gaussian_igc",
    "gaussian_log_density",
    "igc_cap",
    "igc_cap_vjp",
    "igc_joint",
    "igc_modify",
    "igc_modify_logits",
    "igc_modify_vjp",
    "igc_uncap",
    "joint_mode",
    "mode",
    "softmax_modifier",
    "softmax_modifier_counterexample",
]

DEFAULT_RATIO_CAP = 1.0 - 1e-9
"""c: every non-mode action of a modified distribution has probability < c times the mode's."""

DEFAULT_BASE_CAP = 0.9
"""q: at zero logits a non-mode ratio β_j / β_k is min(α_j / α_k, q)."""


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x), stable for large |x| and ±inf."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _logit(p: np.ndarray) -> np.ndarray:
    """logit(p) for p in [0, 1): -inf at 0."""
    with np.errstate(divide="ignore"):
        return np.log(p) - np.log1p(-p)


def _check_distribution(alpha: np.ndarray, name: str = "alpha") -> np.ndarray:
    alpha = np.asarray(alpha, dtype=float)
    if alpha.ndim < 1 or alpha.shape[-1] < 1:
        raise GameError(f"{name} needs a last axis of actions, got shape {alpha.shape}")
    if not np.all(np.isfinite(alpha)) or np.any(alpha < 0):
        raise GameError(f"{name} must be finite and non-negative")
    if not np.allclose(alpha.sum(axis=-1), 1.0, atol=1e-6):
        raise GameError(f"{name} must sum to 1 along its last axis")
    return alpha


def _check_caps(ratio_cap: float, base_cap: float) -> tuple[float, float]:
    if not 0.0 < ratio_cap < 1.0:
        raise GameError(f"ratio_cap must lie in (0, 1), got {ratio_cap}")
    if not 0.0 < base_cap <= ratio_cap:
        raise GameError(f"base_cap must lie in (0, ratio_cap], got {base_cap}")
    return float(ratio_cap), float(base_cap)


def mode(alpha: np.ndarray) -> np.ndarray:
    """The documented tie rule: the lowest index among the maxima of α (batched over leading axes)."""
    return np.argmax(np.asarray(alpha), axis=-1)


def joint_mode(joint: np.ndarray) -> tuple[int, ...]:
    """The joint action maximising ``joint`` (shape (A_1, ..., A_N)); ties go to the first in C order."""
    joint = np.asarray(joint)
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(joint)), joint.shape))


BASES = ("clip", "scale")
"""How the zero-logit point sits: ``clip`` b_j = logit(min(ρ_j, q) / c) (β = α where ratios ≤ q);
``scale`` b_j = logit(q ρ_j / c) (β_j / β_k = q ρ_j: never flat in α, which gradient training of α
through the modifier needs — see :mod:`learners.exact.agentmixer`)."""


def _base(alpha: np.ndarray, cap: float, base_cap: float,
          base: str = "clip") -> tuple[np.ndarray, np.ndarray]:
    """(k, b): the mode index and the base logits b_j (b_k is unused); see :data:`BASES`."""
    if base not in BASES:
        raise GameError(f"base must be one of {BASES}, got {base!r}")
    k = mode(alpha)[..., None]
    ratio = alpha / np.take_along_axis(alpha, k, axis=-1)
    u = np.minimum(ratio, base_cap) if base == "clip" else base_cap * ratio
    return k, _logit(u / cap)


def igc_modify(alpha: np.ndarray, logits: np.ndarray, *, ratio_cap: float = DEFAULT_RATIO_CAP,
               base_cap: float = DEFAULT_BASE_CAP, base: str = "clip") -> np.ndarray:
    """Mode-preserving modification β of α (shape (..., A)) by unconstrained logits ε (same shape).

    ``argmax β == argmax α`` (lowest index on ties in α) and β's mode is strict: β_j < c β_k for
    j ≠ k. See the module docstring for the construction, its surjectivity and differentiability,
    and :data:`BASES` for ``base``.
    """
    alpha = _check_distribution(alpha)
    logits = np.asarray(logits, dtype=float)
    if logits.shape != alpha.shape:
        raise GameError(f"logits shape {logits.shape} must equal alpha's {alpha.shape}")
    if not np.all(np.isfinite(logits)):
        raise GameError("logits must be finite")
    cap, base_cap = _check_caps(ratio_cap, base_cap)
    k, b = _base(alpha, cap, base_cap, base)
    r = cap * _sigmoid(b + logits)
    np.put_along_axis(r, k, 1.0, axis=-1)
    return r / r.sum(axis=-1, keepdims=True)


def igc_modify_vjp(alpha: np.ndarray, logits: np.ndarray, grad_beta: np.ndarray, *,
                   ratio_cap: float = DEFAULT_RATIO_CAP, base_cap: float = DEFAULT_BASE_CAP,
                   base: str = "clip") -> tuple[np.ndarray, np.ndarray]:
    """(∂L/∂α, ∂L/∂ε) from ∂L/∂β for β = :func:`igc_modify` (α, ε): the exact reverse-mode chain rule.

    With x_j = b_j + ε_j, r_j = c σ(x_j) (j ≠ k), β = r / Σr: ∂L/∂r_j = (g_j − ⟨g, β⟩) / Σr;
    ∂r_j/∂ε_j = c σ(1 − σ); through u_j = min(ρ_j, q)/c (clip) or q ρ_j / c (scale),
    b_j = logit(u_j), ∂x_j/∂u_j = 1 / (u_j(1 − u_j)), and ρ_j = α_j / α_k, k held fixed (the mode
    index is piecewise constant). σ(1 − σ) / (u(1 − u)) = e^ε / (1 − u + u e^ε)² is used in that
    stable form (finite at u = 0, i.e. α_j = 0).
    """
    alpha = _check_distribution(alpha)
    logits = np.asarray(logits, dtype=float)
    g = np.asarray(grad_beta, dtype=float)
    if logits.shape != alpha.shape or g.shape != alpha.shape:
        raise GameError(f"logits {logits.shape} and grad_beta {g.shape} must have alpha's shape "
                        f"{alpha.shape}")
    if not (np.all(np.isfinite(logits)) and np.all(np.isfinite(g))):
        raise GameError("logits and grad_beta must be finite")
    cap, base_cap = _check_caps(ratio_cap, base_cap)
    k, b = _base(alpha, cap, base_cap, base)
    x = b + logits
    sig = _sigmoid(x)
    r = cap * sig
    np.put_along_axis(r, k, 1.0, axis=-1)
    total = r.sum(axis=-1, keepdims=True)
    beta = r / total
    g_r = (g - (g * beta).sum(axis=-1, keepdims=True)) / total
    off = np.ones(alpha.shape, dtype=bool)
    np.put_along_axis(off, k, False, axis=-1)
    g_x = np.where(off, g_r * cap * sig * (1.0 - sig), 0.0)
    alpha_k = np.take_along_axis(alpha, k, axis=-1)
    ratio = alpha / alpha_k
    if base == "clip":
        u, du = np.minimum(ratio, base_cap) / cap, np.where(ratio < base_cap, 1.0 / cap, 0.0)
    else:
        u, du = base_cap * ratio / cap, np.full(ratio.shape, base_cap / cap)
    e = np.exp(np.minimum(logits, 700.0))
    g_ratio = np.where(off, g_r * cap * e / (1.0 - u + u * e) ** 2 * du, 0.0)
    g_alpha = g_ratio / alpha_k
    corr = -(g_ratio * ratio).sum(axis=-1, keepdims=True) / alpha_k
    np.put_along_axis(g_alpha, k, np.take_along_axis(g_alpha, k, axis=-1) + corr, axis=-1)
    return g_alpha, g_x


def igc_modify_logits(alpha: np.ndarray, beta: np.ndarray, *, ratio_cap: float = DEFAULT_RATIO_CAP,
                      base_cap: float = DEFAULT_BASE_CAP, base: str = "clip") -> np.ndarray:
    """The inverse of :func:`igc_modify` in ε: logits with ``igc_modify(alpha, logits) == beta``.

    ``beta`` must lie in B_c(α): same support as α, mode at ``mode(alpha)`` and β_j < c β_k for
    j ≠ k. Entries at the mode and off the support are irrelevant and returned as 0.
    """
    alpha = _check_distribution(alpha)
    beta = _check_distribution(beta, "beta")
    if beta.shape != alpha.shape:
        raise GameError(f"beta shape {beta.shape} must equal alpha's {alpha.shape}")
    cap, base_cap = _check_caps(ratio_cap, base_cap)
    k, b = _base(alpha, cap, base_cap, base)
    r = beta / np.take_along_axis(beta, k, axis=-1)
    off = np.ones(alpha.shape, dtype=bool)
    np.put_along_axis(off, k, False, axis=-1)
    if np.any((alpha > 0) != (beta > 0)) or np.any(r[off] >= cap):
        raise GameError("beta is not reachable: needs supp beta = supp alpha and beta_j < c beta_k")
    support = off & (alpha > 0)
    eps = np.zeros(alpha.shape)
    eps[support] = _logit(r[support] / cap) - b[support]
    return eps


def igc_joint(alphas: Sequence[np.ndarray], coupling: np.ndarray | None = None,
              logits: Sequence[np.ndarray] | None = None, *,
              ratio_cap: float = DEFAULT_RATIO_CAP, base_cap: float = DEFAULT_BASE_CAP) -> np.ndarray:
    """A correlated joint policy over N agents whose mode is the tuple of individual modes.

    ``alphas[i]`` has shape (..., A_i) (leading batch axes shared), ``logits[i]`` (optional, default
    0) the same: agent i's marginal modifier, β_i = igc_modify(α_i, ε_i). ``coupling`` (optional,
    default 0) has shape (..., A_1, ..., A_N): unconstrained joint logits. The result, of shape
    (..., A_1, ..., A_N), is igc_modify(⊗_i β_i, coupling) on the flattened joint action, so its
    strict mode is (mode(α_1), ..., mode(α_N)) (ties in any α_i: lowest index). With coupling 0
    it is the product ⊗_i β_i where the product's ratios to its mode are ≤ q (larger ones start at
    q, as in :func:`igc_modify`); any full-support joint with that strict mode and
    ratios below c is reachable (see :func:`igc_modify_logits` on the flattened product).
    """
    if len(alphas) == 0:
        raise GameError("need at least one agent")
    alphas = [_check_distribution(a, f"alphas[{i}]") for i, a in enumerate(alphas)]
    batch = alphas[0].shape[:-1]
    if any(a.shape[:-1] != batch for a in alphas):
        raise GameError("every alphas[i] must share the same leading (batch) axes")
    if logits is None:
        logits = [np.zeros_like(a) for a in alphas]
    if len(logits) != len(alphas):
        raise GameError(f"{len(logits)} logit arrays for {len(alphas)} agents")
    caps = {"ratio_cap": ratio_cap, "base_cap": base_cap}
    betas = [igc_modify(a, e, **caps) for a, e in zip(alphas, logits, strict=True)]
    n = len(betas)
    sizes = tuple(b.shape[-1] for b in betas)
    product = np.ones(batch + (1,) * n)
    for i, b in enumerate(betas):
        product = product * b.reshape(batch + (1,) * i + (sizes[i],) + (1,) * (n - 1 - i))
    coupling = np.zeros(batch + sizes) if coupling is None else np.asarray(coupling, dtype=float)
    if coupling.shape != batch + sizes:
        raise GameError(f"coupling shape {coupling.shape}; expected {batch + sizes}")
    flat = (*batch, int(np.prod(sizes)))
    product = product.reshape(flat)
    joint = igc_modify(product / product.sum(axis=-1, keepdims=True), coupling.reshape(flat), **caps)
    return joint.reshape(batch + sizes)


def _check_mode(logits: np.ndarray, mode_index: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    logits = np.asarray(logits, dtype=float)
    k = np.asarray(mode_index)
    if logits.ndim < 1 or np.any(np.isnan(logits)) or np.any(logits == np.inf):
        raise GameError(f"logits need a last axis of actions and no NaN / +inf, got shape {logits.shape}")
    if k.shape != logits.shape[:-1] or not np.issubdtype(k.dtype, np.integer):
        raise GameError(f"mode must be integers of shape {logits.shape[:-1]}, got {k.dtype} {k.shape}")
    if np.any((k < 0) | (k >= logits.shape[-1])):
        raise GameError(f"mode indices must lie in [0, {logits.shape[-1]})")
    top = np.take_along_axis(logits, k[..., None], axis=-1)
    if not np.all(np.isfinite(top)):
        raise GameError("the mode must have a finite logit (positive probability)")
    return logits, k[..., None]


def igc_cap(logits: np.ndarray, mode_index: np.ndarray | int, *,
            ratio_cap: float = DEFAULT_RATIO_CAP) -> np.ndarray:
    """β with strict mode ``mode_index`` from logits l (shape (..., A); −inf = probability 0).

    r_k = 1, r_j = c σ(l_j − l_k − log c) = c ũ_j / (c + ũ_j) with ũ_j = e^{l_j − l_k}, β = r / Σ r
    (module docstring): β_j / β_k < c < 1 for every j ≠ k, whatever l. ``mode_index`` has shape
    (...) (an int for a single row).
    """
    logits, k = _check_mode(logits, mode_index)
    cap, _ = _check_caps(ratio_cap, min(ratio_cap, DEFAULT_BASE_CAP))
    top = np.take_along_axis(logits, k, axis=-1)
    with np.errstate(invalid="ignore"):
        r = cap * _sigmoid(logits - top - np.log(cap))
    np.put_along_axis(r, k, 1.0, axis=-1)
    return r / r.sum(axis=-1, keepdims=True)


def igc_cap_vjp(logits: np.ndarray, mode_index: np.ndarray | int, grad_beta: np.ndarray, *,
                ratio_cap: float = DEFAULT_RATIO_CAP) -> np.ndarray:
    """∂L/∂l from ∂L/∂β for β = :func:`igc_cap` (l, k): with x_j = l_j − l_k − log c, σ = σ(x_j),
    ∂L/∂r_j = (g_j − ⟨g, β⟩) / Σr, ∂L/∂l_j = ∂L/∂r_j c σ (1 − σ) (j ≠ k), ∂L/∂l_k = −Σ_{j≠k} ∂L/∂l_j."""
    logits, k = _check_mode(logits, mode_index)
    g = np.asarray(grad_beta, dtype=float)
    if g.shape != logits.shape:
        raise GameError(f"grad_beta shape {g.shape} must equal the logits' {logits.shape}")
    cap, _ = _check_caps(ratio_cap, min(ratio_cap, DEFAULT_BASE_CAP))
    top = np.take_along_axis(logits, k, axis=-1)
    with np.errstate(invalid="ignore"):
        sig = _sigmoid(logits - top - np.log(cap))
    r = cap * sig
    np.put_along_axis(r, k, 1.0, axis=-1)
    total = r.sum(axis=-1, keepdims=True)
    beta = r / total
    g_r = (g - (g * beta).sum(axis=-1, keepdims=True)) / total
    g_l = g_r * cap * sig * (1.0 - sig)
    np.put_along_axis(g_l, k, 0.0, axis=-1)
    np.put_along_axis(g_l, k, -g_l.sum(axis=-1, keepdims=True), axis=-1)
    return g_l


def igc_uncap(beta: np.ndarray, mode_index: np.ndarray | int, *,
              ratio_cap: float = DEFAULT_RATIO_CAP) -> np.ndarray:
    """The inverse of :func:`igc_cap`: logits l with l_k = 0 and ``igc_cap(l, k) == beta``.

    ``beta`` must have strict mode k with ratios β_j / β_k < c (zeros give l_j = −inf).
    """
    beta = _check_distribution(beta, "beta")
    _, k = _check_mode(np.zeros(beta.shape), mode_index)
    cap, _ = _check_caps(ratio_cap, min(ratio_cap, DEFAULT_BASE_CAP))
    r = beta / np.take_along_axis(beta, k, axis=-1)
    off = np.ones(beta.shape, dtype=bool)
    np.put_along_axis(off, k, False, axis=-1)
    if np.any(r[off] >= cap):
        raise GameError("beta is not reachable: needs beta_j < c beta_k for every j != k")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(off, np.log(r) - np.log1p(-r / cap), 0.0)


def gaussian_igc(means: np.ndarray, joint_cov_factor: np.ndarray, *,
                 jitter: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """Continuous IGC: the joint Gaussian N(μ, Σ) over N agents' d-dimensional actions.

    ``means`` (N, d): the individual policies' means (= their modes). ``joint_cov_factor`` L,
    shape (N d, m) for any m >= 1: the modifier's output. Returns μ = means.ravel() (agent-major)
    and Σ = L Lᵀ + jitter I, positive definite for jitter > 0. The joint density's unique mode is
    μ, the stack of the individual modes, and agent i's marginal is N(μ_i, Σ_ii): IGC holds for any L.
    """
    means = np.asarray(means, dtype=float)
    factor = np.asarray(joint_cov_factor, dtype=float)
    if means.ndim != 2:
        raise GameError(f"means must have shape (N, d), got {means.shape}")
    dim = means.size
    if factor.ndim != 2 or factor.shape[0] != dim:
        raise GameError(f"joint_cov_factor must have shape ({dim}, m), got {factor.shape}")
    if not (np.all(np.isfinite(means)) and np.all(np.isfinite(factor))):
        raise GameError("means and joint_cov_factor must be finite")
    if not jitter > 0:
        raise GameError(f"jitter must be positive, got {jitter}")
    return means.ravel().copy(), factor @ factor.T + jitter * np.eye(dim)


def gaussian_log_density(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """log N(x; mean, cov) for x of shape (..., D), by a Cholesky factorisation."""
    x = np.asarray(x, dtype=float)
    chol = np.linalg.cholesky(cov)
    diff = (x - mean).reshape(-1, mean.size).T
    z = np.linalg.solve(chol, diff)
    logdet = 2.0 * np.sum(np.log(np.diag(chol)))
    out = -0.5 * (np.sum(z * z, axis=0) + logdet + mean.size * np.log(2 * np.pi))
    return out.reshape(x.shape[:-1])


def softmax_modifier(alpha: np.ndarray, logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """The paper code's construction softmax((log α + ε) / τ), which does *not* keep the mode."""
    alpha = _check_distribution(alpha)
    with np.errstate(divide="ignore"):
        z = (np.log(alpha) + np.asarray(logits, dtype=float)) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class SoftmaxCounterexample:
    """softmax((log α + ε)/τ) moving the mode, beside igc_modify(α, ε) keeping it."""

    alpha: np.ndarray
    logits: np.ndarray
    temperature: float
    softmax_beta: np.ndarray
    igc_beta: np.ndarray

    @property
    def alpha_mode(self) -> int:
        return int(mode(self.alpha))

    @property
    def softmax_mode(self) -> int:
        return int(mode(self.softmax_beta))

    @property
    def igc_mode(self) -> int:
        return int(mode(self.igc_beta))


def softmax_modifier_counterexample() -> SoftmaxCounterexample:
    """α = (0.5, 0.3, 0.2), ε = (0, 2, 0), τ = 1: softmax gives ∝ (0.5, 0.3 e², 0.2) ≈ (0.17, 0.76,
    0.07), mode 1 ≠ 0; igc_modify(α, ε) keeps mode 0."""
    alpha = np.array([0.5, 0.3, 0.2])
    logits = np.array([0.0, 2.0, 0.0])
    return SoftmaxCounterexample(alpha, logits, 1.0, softmax_modifier(alpha, logits, 1.0),
                                 igc_modify(alpha, logits))
