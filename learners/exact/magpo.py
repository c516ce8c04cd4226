"""Tabular MAGPO on cooperative normal-form games (one-step Dec-POMDPs) with exact Q-values.

Li, Xie & Lu, "Multi-Agent Guided Policy Optimization" (2025): a centralized guider μ (any joint
policy; autoregressively μ(a) = μ(a_1) μ(a_2 | a_1) ... — for one state simply a joint distribution)
and a decentralized learner π = Π_i π^i. Each iteration k, starting from μ_k = π_k:

1. *collect* with the guider — here exact: Q(a) = R(a), the common payoff;
2. *guider step* (mirror descent) μ_{k+1} = argmax_μ η_k⟨Q, μ⟩ − KL(μ || μ_k), i.e.
   μ_{k+1} ∝ π_k exp(η_k Q), kept within δ of the learner: KL(μ_{k+1} || π_k) ≤ δ. The constraint is
   enforced by *bisection on the step size*: KL(μ_η || π_k) is non-decreasing in η (its derivative
   is η Var_{μ_η}(Q) ≥ 0), so η_k is the configured η when that satisfies the bound, else the
   largest η' < η (to bisection tolerance, from below) that does;
3. *projection* onto decentralized policies, either
   * ``"reverse"``: π_{k+1} = argmin_{π ∈ Π} KL(π || μ_{k+1}), by per-agent coordinate (Kuba et al.
     style sequential) updates π^i ∝ exp(E_{a_-i ~ π_-i} log μ(a_i, a_-i)) swept over agents until the
     policies stop moving. The sweep is *started at π_k*: each agent's update exactly minimises
     KL(π || μ) in its own factor, so the objective never increases along the sweep; or
   * ``"forward"``: π_{k+1} = argmin_{π ∈ Π} KL(μ_{k+1} || π) = the product of μ_{k+1}'s marginals
     (what a cross-entropy/behaviour-cloning loss gives);
4. *backtrack* the guider to the learner: μ := π_{k+1}.

Monotonicity (Thm 4.1, one-step case). With μ ∝ π_k exp(ηQ) and π a product,
KL(π || μ) = KL(π || π_k) − η⟨Q, π⟩ + log Z, so the reverse projection maximises
η⟨Q, π⟩ − KL(π || π_k) over products. π_k itself scores η V_k, and the sweep started at π_k never
does worse, hence η⟨Q, π_{k+1}⟩ ≥ η V_k + KL(π_{k+1} || π_k) ≥ η V_k: the surrogate ⟨Q, π_{k+1}⟩
(= V_{k+1} in one step) is ≥ V_k. This holds for any local optimum reached from π_k, not only the
global one. The forward projection has no such guarantee: the marginals of a correlated guider
can put mass on miscoordinated joint actions (see the tests for a concrete instance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from games.errors import GameError
from games.normal_form.game import NormalFormGame
from learners.exact.config import check_config

__all__ = [
    "MagpoConfig",
    "MagpoResult",
    "forward_projection",
    "guider_step",
    "product",
    "reverse_projection",
    "run_magpo",
]

MONOTONE_SLACK = 1e-10
"""Round-off allowed when checking that learner values never decrease."""


@dataclass(frozen=True)
class MagpoConfig:
    """MAGPO hyper-parameters.

    Attributes:
        eta: mirror-descent step size η > 0 of the guider update.
        delta: trust region KL(μ_{k+1} || π_k) ≤ δ (``None``: unconstrained); enforced by bisection
            on the step size (see the module docstring).
        projection: ``"reverse"`` (argmin KL(π || μ), monotone) or ``"forward"`` (μ's marginals).
        iterations: number of MAGPO iterations K.
        inner_iterations: maximum number of sweeps over agents of the reverse projection.
        inner_tol: the reverse projection stops when no agent's policy moved by more than this
            (max-norm) during a sweep.
        bisection_steps: bisection iterations on η for the δ constraint.
    """

    eta: float = 1.0
    delta: float | None = None
    projection: Literal["reverse", "forward"] = "reverse"
    iterations: int = 100
    inner_iterations: int = 1000
    inner_tol: float = 1e-13
    bisection_steps: int = 100

    def __post_init__(self) -> None:
        check_config(self, positive=("eta", "delta"), optional=("delta",),
                     nonnegative=("iterations", "inner_iterations", "bisection_steps", "inner_tol"),
                     choices={"projection": ("reverse", "forward")})


@dataclass(frozen=True, eq=False)
class MagpoResult:
    """Per-iteration record of :func:`run_magpo` (K = number of iterations run).

    Attributes:
        policies: K + 1 learner policies π_0 .. π_K, each a tuple of per-agent distributions.
        learner_values: V(π_k) = ⟨R, π_k⟩, shape (K + 1,).
        guider_values: V(μ_{k+1}) = ⟨R, μ_{k+1}⟩ of the improved guider, shape (K,).
        kl_guider_learner: KL(μ_{k+1} || π_k), shape (K,) (≤ δ when δ is set).
        step_sizes: the step size η_k actually used (η, or smaller by the δ bisection), shape (K,).
        surrogates: ⟨Q_{π_k}, π_{k+1}⟩ with Q = R (one state), shape (K,); the Thm 4.1 check is
            surrogates[k] ≥ learner_values[k].
        projection_kl: the projection's loss, KL(π_{k+1} || μ_{k+1}) (reverse) or
            KL(μ_{k+1} || π_{k+1}) (forward), shape (K,).
        inner_sweeps: sweeps used by each reverse projection (0 for forward), shape (K,).
    """

    policies: tuple[tuple[np.ndarray, ...], ...]
    learner_values: np.ndarray
    guider_values: np.ndarray
    kl_guider_learner: np.ndarray
    step_sizes: np.ndarray
    surrogates: np.ndarray
    projection_kl: np.ndarray
    inner_sweeps: np.ndarray

    @property
    def final_policy(self) -> tuple[np.ndarray, ...]:
        return self.policies[-1]

    @property
    def final_value(self) -> float:
        return float(self.learner_values[-1])

    @property
    def is_monotone(self) -> bool:
        """Learner values never decrease (up to :data:`MONOTONE_SLACK`, round-off): Thm 4.1's claim."""
        return self.monotone_within(MONOTONE_SLACK)

    def monotone_within(self, slack: float) -> bool:
        """Learner values never decrease by more than ``slack``."""
        return bool(np.all(np.diff(self.learner_values) >= -slack))


# ----------------------------------------------------------------------------- helpers
def product(factors: Sequence[np.ndarray]) -> np.ndarray:
    """Joint distribution Π_i p_i(a_i), shape (A_1, ..., A_N)."""
    joint = np.ones(())
    for p in factors:
        joint = np.multiply.outer(joint, p)
    return joint


def _log(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(x)


def _log_product(factors: Sequence[np.ndarray]) -> np.ndarray:
    """log Π_i p_i(a_i) as a sum of per-agent logs (no underflow of the product)."""
    total = np.zeros(())
    for p in factors:
        total = np.add.outer(total, _log(np.asarray(p, dtype=float)))
    return total


def _kl_log(log_p: np.ndarray, log_q: np.ndarray) -> float:
    """KL(p || q) from log-probabilities, with 0 log 0 = 0 (inf when q misses p's support)."""
    mask = np.isfinite(log_p)
    p = np.exp(log_p[mask])
    if np.any(~np.isfinite(log_q[mask]) & (p > 0)):
        return float("inf")
    return max(0.0, float(np.sum(p * (log_p[mask] - np.where(np.isfinite(log_q[mask]), log_q[mask], 0.0)))))


def _normalise_log(scores: np.ndarray) -> np.ndarray:
    """log of the normalised exp(scores) (−inf entries stay −inf)."""
    top = np.max(scores)
    if not np.isfinite(top):
        raise GameError("projection failed: every action of an agent has zero guider support")
    shifted = scores - top
    return shifted - np.log(np.sum(np.exp(shifted)))


def guider_step(learner: Sequence[np.ndarray], q: np.ndarray, eta: float, delta: float | None,
                bisection_steps: int = 100) -> tuple[np.ndarray, float]:
    """log μ for μ ∝ π exp(η' q), η' = η or the largest η' ≤ η with KL(μ || π) ≤ δ; returns (log μ, η').

    The guider is returned as log-probabilities: after many iterations (or with a large η) its
    entries underflow as probabilities while their logs, which the reverse projection needs, do not.
    """
    log_pi = _log_product(learner)

    def guider(step: float) -> np.ndarray:
        return _normalise_log((log_pi + step * q).ravel()).reshape(q.shape)

    log_mu = guider(eta)
    if delta is None or _kl_log(log_mu, log_pi) <= delta:
        return log_mu, float(eta)
    lo, hi = 0.0, float(eta)  # invariant: KL(μ_lo || π) ≤ δ < KL(μ_hi || π)
    for _ in range(bisection_steps):
        mid = 0.5 * (lo + hi)
        if _kl_log(guider(mid), log_pi) <= delta:
            lo = mid
        else:
            hi = mid
    return guider(lo), lo


def forward_projection(mu: np.ndarray) -> tuple[np.ndarray, ...]:
    """argmin over products π of KL(μ || π): the marginals of μ (probabilities, not logs)."""
    axes = range(mu.ndim)
    return tuple(mu.sum(axis=tuple(j for j in axes if j != i)) for i in axes)


def reverse_projection(log_mu: np.ndarray, start: Sequence[np.ndarray], max_sweeps: int = 1000,
                       tol: float = 1e-13, trace: list[tuple[np.ndarray, ...]] | None = None,
                       ) -> tuple[tuple[np.ndarray, ...], int]:
    """Coordinate descent on KL(π || μ) over products, from ``start``; returns (π, sweeps used).

    ``log_mu`` is log μ (−inf off μ's support). Agent i's exact best response given π_-i is
    π^i ∝ exp(E_{a_-i ~ π_-i} log μ(a_i, a_-i)), with 0 · log 0 = 0 in the expectation (actions of
    −inf score get probability 0). Agents are updated in order 1..N within a sweep, each seeing the
    others' latest policies; the sweeps stop when no policy moved by more than ``tol``. With
    ``trace`` the product after every single agent's update is appended to it (MAGPO Cor. 4.2
    concerns these intermediate policies).
    """
    n = log_mu.ndim
    pol = [np.asarray(p, dtype=float).copy() for p in start]
    sweeps = 0
    for sweeps in range(1, max_sweeps + 1):  # noqa: B007 - the count is returned
        moved = 0.0
        for i in range(n):
            weights = product([pol[j] if j != i else np.ones(1) for j in range(n)])
            with np.errstate(invalid="ignore"):
                terms = np.where(weights > 0, weights * log_mu, 0.0)
            scores = terms.sum(axis=tuple(j for j in range(n) if j != i))
            new = np.exp(_normalise_log(scores))
            moved = max(moved, float(np.max(np.abs(new - pol[i]))))
            pol[i] = new
            if trace is not None:
                trace.append(tuple(p.copy() for p in pol))
        if moved <= tol:
            break
    return tuple(pol), sweeps


def _check_init(game: NormalFormGame, init: Sequence[np.ndarray] | None) -> tuple[np.ndarray, ...]:
    if init is None:
        return tuple(np.full(m, 1.0 / m) for m in game.num_actions)
    if len(init) != game.num_players:
        raise GameError(f"init needs {game.num_players} per-agent distributions, got {len(init)}")
    out = []
    for i, (p, m) in enumerate(zip(init, game.num_actions, strict=True)):
        arr = np.asarray(p, dtype=float)
        if arr.shape != (m,) or np.any(~np.isfinite(arr)) or np.any(arr < 0) or not np.isclose(
                arr.sum(), 1.0, atol=1e-9):
            raise GameError(f"init[{i}] must be a probability vector of length {m}, got {p!r}")
        out.append(arr / arr.sum())
    return tuple(out)


# ----------------------------------------------------------------------------- the loop
def run_magpo(game: NormalFormGame, config: MagpoConfig | None = None,
              init: Sequence[np.ndarray] | None = None) -> MagpoResult:
    """Run tabular MAGPO on a cooperative normal-form game from ``init`` (default: uniform).

    The learner's support can only shrink (μ ∝ π exp(ηQ) has π's support), so start from a
    full-support ``init`` for the method to be able to reach every joint action.
    """
    config = config or MagpoConfig()
    q = np.asarray(game.common_reward("MAGPO on normal-form games"), dtype=float)
    pi = _check_init(game, init)
    policies = [pi]
    values = [float(np.sum(q * product(pi)))]
    g_vals, kls, steps, surr, proj_kl, sweeps = [], [], [], [], [], []
    for _ in range(config.iterations):
        log_mu, step = guider_step(pi, q, config.eta, config.delta, config.bisection_steps)
        mu = np.exp(log_mu)
        if config.projection == "reverse":
            new, used = reverse_projection(log_mu, pi, config.inner_iterations, config.inner_tol)
            loss = _kl_log(_log_product(new), log_mu)
        else:
            new, used = forward_projection(mu), 0
            loss = _kl_log(log_mu, _log_product(new))
        g_vals.append(float(np.sum(q * mu)))
        kls.append(_kl_log(log_mu, _log_product(pi)))
        steps.append(step)
        surr.append(float(np.sum(q * product(new))))
        proj_kl.append(loss)
        sweeps.append(used)
        pi = new  # backtrack: μ_{k+1} := π_{k+1}
        policies.append(pi)
        values.append(float(np.sum(q * product(pi))))
    return MagpoResult(
        policies=tuple(policies),
        learner_values=np.array(values),
        guider_values=np.array(g_vals),
        kl_guider_learner=np.array(kls),
        step_sizes=np.array(steps),
        surrogates=np.array(surr),
        projection_kl=np.array(proj_kl),
        inner_sweeps=np.array(sweeps, dtype=int),
    )
