"""Tabular MAGPO on Dec-POMDPs (Li, Xie & Lu 2025): a centralized guider, decentralized learners.

Each iteration k, with the learner π_k a decentralized product policy over action-observation
histories and the guider backtracked to it (μ_k = π_k):

1. **Collect** with the guider: the exact occupancy and action values of π_k, ρ_t(s, h) and
   Q_t(s, h, a) (:func:`learners.exact.gradients.product_tables`).
2. **Guider improvement** (mirror descent, the KL-regularised step η⟨Q, μ⟩ − KL(μ || π_k)):
   μ_{k+1,t}(a | s, h) ∝ π_k,t(a | h) exp(η Q_t(s, h, a)). The guider sees the state and every
   history — any joint policy, hence any autoregressive factorisation Π_i μ(a_i | s, h, a_<i). With
   δ set, η is bisected down until Σ_t E_{ρ_t} KL(μ_{k+1,t} || π_k,t) ≤ δ.
3. **Projection** onto decentralized policies, under the guider's occupancy ρ^{μ_{k+1}}:
   ``reverse`` min Σ_t E_ρ KL(Π_i π^i || μ_{k+1}) by exact per-agent coordinate updates
   π^i(a_i | h_i) ∝ exp E[log μ_{k+1}(a | s, h) | h_i, a_i] (agents in turn, as in the sequential
   updates of Kuba et al.'s advantage decomposition; every sweep lowers the objective);
   ``forward`` min Σ_t E_ρ KL(μ_{k+1} || Π_i π^i): the product of the guider's posterior-averaged
   marginals (the implicit product policy, AgentMixer Eq. 7 — what a cross-entropy loss gives).
4. **Backtrack**: the guider becomes the new learner.

Thm 4.1's claim is V(π_{k+1}) ≥ V(π_k); the per-(s, h) surrogate Σ_a π_{k+1}(a | h) Q_t(s, h, a) ≥
V_t(s, h) is recorded too (its minimum over reachable (s, h)).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import StochasticPolicy
from games.errors import GameError
from learners.exact.config import check_config
from learners.exact.gradients import _Letters, joint_tables, product_tables, resolve_horizon
from learners.exact.magpo import MONOTONE_SLACK

__all__ = ["MagpoDecConfig", "MagpoDecResult", "run_magpo_dec"]

_TINY = 1e-300


@dataclass(frozen=True)
class MagpoDecConfig:
    """``iterations`` outer steps; guider step ``eta`` (bisected to meet ``delta`` if set);
    ``projection`` ``"reverse"`` or ``"forward"``; ``sweeps`` coordinate sweeps per reverse projection."""

    iterations: int = 20
    eta: float = 1.0
    delta: float | None = None
    projection: str = "reverse"
    sweeps: int = 100

    def __post_init__(self) -> None:
        check_config(self, positive=("eta", "delta"), optional=("delta",), nonnegative=("iterations",),
                     at_least_one=("sweeps",), choices={"projection": ("reverse", "forward")})


@dataclass(frozen=True)
class MagpoDecResult:
    """Per-iteration record: ``values[k]`` = V(π_k) (k = 0..K); ``guider_values[k]`` = V(μ_{k+1});
    ``min_surrogate_gap[k]`` = min over reachable (t, s, h) of Σ_a π_{k+1} Q^{π_k} − V^{π_k}."""

    policy: StochasticPolicy = field(repr=False)
    values: list[float]
    guider_values: list[float]
    min_surrogate_gap: list[float]
    step_sizes: list[float]

    @property
    def final_value(self) -> float:
        return self.values[-1]

    @property
    def is_monotone(self) -> bool:
        """Values never decrease (up to :data:`~learners.exact.magpo.MONOTONE_SLACK`): Thm 4.1."""
        return self.monotone_within(MONOTONE_SLACK)

    def monotone_within(self, slack: float) -> bool:
        """Values never decrease by more than ``slack``."""
        return bool(np.all(np.diff(self.values) >= -slack))


def _joint(probs: list[np.ndarray], letters: _Letters) -> np.ndarray:
    """Π_i π^i(a_i | h_i) as (1, H_1, ..., A_1, ...) (broadcast over states)."""
    spec = ",".join(h + a for h, a in zip(letters.h, letters.a, strict=True))
    return np.einsum(f"{spec}->{letters.hs}{letters.acts}", *probs)[None]


def _kl_rows(p: np.ndarray, q: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    log_ratio = np.log(np.maximum(p, _TINY)) - np.log(np.maximum(q, _TINY))
    return np.where(p > 0, p * log_ratio, 0.0).sum(axis=axes)


def _guider(model: DecPOMDP, pol: StochasticPolicy, q: list[np.ndarray], rho: list[np.ndarray],
            eta: float, delta: float | None, letters: _Letters) -> tuple[list[np.ndarray], float]:
    n = model.num_agents
    act_axes = tuple(range(-n, 0))
    base = [_joint([pol.probs[i][t] for i in range(n)], letters) for t in range(pol.horizon)]

    def step(size: float) -> tuple[list[np.ndarray], float]:
        out, kl = [], 0.0
        for t, (b, qt) in enumerate(zip(base, q, strict=True)):
            logits = np.log(np.maximum(b, _TINY)) + size * (qt - qt.max(axis=act_axes, keepdims=True))
            mu = np.exp(logits - logits.max(axis=act_axes, keepdims=True)) * (b > 0)
            mu /= mu.sum(axis=act_axes, keepdims=True)
            out.append(mu)
            kl += float((rho[t] * _kl_rows(mu, np.broadcast_to(b, mu.shape), act_axes)).sum())
        return out, kl

    mu, kl = step(eta)
    if delta is None or kl <= delta:
        return mu, eta
    lo, hi = 0.0, eta
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if step(mid)[1] <= delta:
            lo = mid
        else:
            hi = mid
    return step(lo)[0], lo


def _marginal_posterior_target(model: DecPOMDP, rho: np.ndarray, target: np.ndarray, i: int) -> np.ndarray:
    """Σ_{s, h_-i, a_-i} ρ(s, h) target(s, h, a) as (H_i, A_i)."""
    n = model.num_agents
    keep_h, keep_a = 1 + i, 1 + n + i
    w = rho.reshape(*rho.shape, *([1] * n)) * target
    axes = tuple(k for k in range(w.ndim) if k not in (keep_h, keep_a))
    return w.sum(axis=axes)


def _project(model: DecPOMDP, mu: list[np.ndarray], rho: list[np.ndarray], start: StochasticPolicy,
             cfg: MagpoDecConfig, letters: _Letters) -> StochasticPolicy:
    n = model.num_agents
    probs = [list(agent) for agent in start.probs]
    for t, (m, r) in enumerate(zip(mu, rho, strict=True)):
        reach = [r.sum(axis=tuple(k for k in range(n + 1) if k != 1 + i)) for i in range(n)]
        if cfg.projection == "forward":
            for i in range(n):
                w = _marginal_posterior_target(model, r, m, i)
                probs[i][t] = np.where(reach[i][:, None] > 0, w / np.maximum(reach[i][:, None], _TINY),
                                       probs[i][t])
            continue
        log_mu = np.log(np.maximum(m, _TINY))
        for _ in range(cfg.sweeps):
            old = [p.copy() for p in (probs[i][t] for i in range(n))]
            for i in range(n):
                others = [probs[j][t] if j != i else np.ones_like(probs[i][t]) for j in range(n)]
                expect = _marginal_posterior_target(model, r, log_mu * _joint(others, letters), i)
                score = expect / np.maximum(reach[i][:, None], _TINY)
                new = np.exp(score - score.max(axis=1, keepdims=True))
                new /= new.sum(axis=1, keepdims=True)
                probs[i][t] = np.where(reach[i][:, None] > 0, new, probs[i][t])
            if max(float(np.abs(probs[i][t] - old[i]).max()) for i in range(n)) <= 1e-13:
                break
    return StochasticPolicy(tuple(tuple(agent) for agent in probs))


def run_magpo_dec(model: DecPOMDP, config: MagpoDecConfig | None = None, horizon: int | None = None,
                  init: StochasticPolicy | None = None) -> MagpoDecResult:
    """MAGPO's four steps on a Dec-POMDP, exactly (module docstring); ``init`` defaults to uniform."""
    cfg = config or MagpoDecConfig()
    h = resolve_horizon(model, horizon)
    pol = init if init is not None else StochasticPolicy.uniform(model.num_actions, model.num_observations, h)
    pol.validate(model.num_actions, model.num_observations)
    if pol.horizon < h:
        raise GameError(f"init has {pol.horizon} steps, need {h}")
    pol = StochasticPolicy(tuple(tuple(agent[:h]) for agent in pol.probs))
    letters = _Letters(model.num_agents)
    n = model.num_agents

    def factors(p: StochasticPolicy) -> list[list[np.ndarray]]:
        return [[np.broadcast_to(x, (model.num_states, *x.shape)) for x in agent[:h]] for agent in p.probs]

    tab = product_tables(model, factors(pol), h)
    values, guider_values, surrogate, sizes = [tab.value], [], [], []
    for _ in range(cfg.iterations):
        mu, used = _guider(model, pol, tab.qs, tab.rhos, cfg.eta, cfg.delta, letters)
        g_tab = joint_tables(model, mu, h)
        new = _project(model, mu, g_tab.rhos, pol, cfg, letters)
        gap = np.inf
        for t in range(h):
            act_axes = tuple(range(-n, 0))
            old_j = _joint([pol.probs[i][t] for i in range(n)], letters)
            new_j = _joint([new.probs[i][t] for i in range(n)], letters)
            diff = ((new_j - old_j) * tab.qs[t]).sum(axis=act_axes)
            reached = tab.rhos[t] > 0
            if reached.any():
                gap = min(gap, float(diff[reached].min()))
        pol = new
        tab = product_tables(model, factors(pol), h)
        values.append(tab.value)
        guider_values.append(g_tab.value)
        surrogate.append(gap)
        sizes.append(used)
    return MagpoDecResult(pol, values, guider_values, surrogate, sizes)
