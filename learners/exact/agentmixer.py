"""Tabular AgentMixer with exact IGC and exact gradients (Li, Zhao, Wu & Pajarinen, AAAI 2025).

Parameters, for every shared seed ω ∈ {0..K-1} (drawn once per episode, uniform), agent i and step t:

* decentralized policies φ: logits over agent i's action given its action-observation history,
  α^i_{ω,t}(· | h_i) = softmax(φ^i_{ω,t}[h_i]) — what is executed;
* a tabular Policy Modifier ε: logits ε^i_{ω,t}[s] seen with the hidden state s.

The joint fully observable policy (Eq. 5's role, here a table) is the state-conditioned product

    π_θ,t(a | s, h, ω) = Π_i β^i,   β^i = igc_modify(α^i_{ω,t}(· | h_i), ε^i_{ω,t}[s], base="scale"),

so **IGC holds exactly** (Def. 6): argmax_a π_θ = (argmax α^1, ..., argmax α^N) for every input,
ties in α going to the lowest index (:mod:`learners.exact.igc`). The modifier reshapes everything
but the modes and correlates the agents through s and ω. The ``scale`` base keeps β_j / β_k =
q α_j / α_k at ε = 0, so ∂β/∂α never vanishes and the decentralized policies learn *through*
the modifier (with the ``clip`` base α would get no gradient from a uniform start).

Training maximises Eq. 13, the joint return J(π_θ) subject to IGC (held by construction), by Adam
on exact gradients (:func:`learners.exact.gradients.product_gradient`, then the chain rule through
igc_modify and the softmax). Execution is decentralized: agent i acts with α^i_ω alone, sampled
(:meth:`AgentMixerResult.decentralized_policy`) or at its mode (``deterministic=True``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from games.dec_pomdp.evaluation import agent_occupancies, evaluate
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import CorrelatedPolicy, StochasticPolicy
from games.normal_form.game import NormalFormGame
from learners.exact.config import check_config
from learners.exact.gradients import Adam, product_gradient, resolve_horizon, softmax, softmax_vjp
from learners.exact.igc import DEFAULT_BASE_CAP, igc_modify, igc_modify_vjp
from learners.exact.independent import batch_logits, batch_q

__all__ = [
    "AgentMixerBatchResult",
    "AgentMixerConfig",
    "AgentMixerResult",
    "joint_factors",
    "joint_identifiability",
    "run_agentmixer",
    "run_agentmixer_batch",
]

RATIO_CAP = 1.0 - 1e-6
"""c: a non-mode action keeps < c times the mode's probability under the joint policy."""


@dataclass(frozen=True)
class AgentMixerConfig:
    """Tabular AgentMixer.

    Attributes:
        iterations: Adam steps on the exact gradient of J(π_θ).
        lr: Adam step size for φ and ε.
        num_seeds: K shared seeds ω (1: correlation through the state only).
        init: ``"uniform"`` (φ = 0) or ``"random"`` (φ ~ N(0, init_scale²), seeded); ε starts at 0.
        init_scale: standard deviation of random logits.
        seed: seeds the random initialisation.
        record_every: evaluate the decentralized policies every this many iterations (and last).
    """

    iterations: int = 300
    lr: float = 0.1
    num_seeds: int = 1
    init: str = "uniform"
    init_scale: float = 1.0
    seed: int = 0
    record_every: int = 10

    def __post_init__(self) -> None:
        check_config(self, positive=("lr",), nonnegative=("iterations", "init_scale"),
                     at_least_one=("num_seeds", "record_every"), choices={"init": ("uniform", "random")})


@dataclass(frozen=True)
class AgentMixerResult:
    """Outcome of :func:`run_agentmixer`.

    Attributes:
        phi: ``phi[ω][i][t]`` logits (H_i(t), A_i) of the decentralized policies.
        eps: ``eps[ω][i][t]`` modifier logits (S, A_i).
        joint_values: J(π_θ) (train time, the joint sees s) before each update and at the end.
        iterations: the iterations at which the decentralized values were recorded.
        sampled_values: value of the executed decentralized policy (α_ω sampled) there.
        mode_values: value of the executed deterministic policy (argmax α_ω) there.
        horizon: the planning horizon.
    """

    phi: list[list[list[np.ndarray]]] = field(repr=False)
    eps: list[list[list[np.ndarray]]] = field(repr=False)
    joint_values: list[float]
    iterations: list[int]
    sampled_values: list[float]
    mode_values: list[float]
    horizon: int

    def decentralized_policy(self, deterministic: bool = False) -> CorrelatedPolicy:
        """The executed policy: seed ω uniform, then Π_i α^i_ω (or its argmax, ``deterministic``)."""
        return _decentralized(self.phi, deterministic)

    @property
    def final_joint_value(self) -> float:
        return self.joint_values[-1]

    @property
    def final_value(self) -> float:
        """Value of the sampled decentralized execution at the end of training."""
        return self.sampled_values[-1]


def _probs(logits: np.ndarray, deterministic: bool) -> np.ndarray:
    if not deterministic:
        return softmax(logits)
    return np.eye(logits.shape[-1])[np.argmax(logits, axis=-1)]


def _decentralized(phi: list[list[list[np.ndarray]]], deterministic: bool) -> CorrelatedPolicy:
    k = len(phi)
    pols = tuple(StochasticPolicy(tuple(tuple(_probs(x, deterministic) for x in agent) for agent in seed))
                 for seed in phi)
    return CorrelatedPolicy(np.full(k, 1.0 / k), pols)


def _init(model: DecPOMDP, horizon: int, cfg: AgentMixerConfig,
          init_logits: list[list[np.ndarray]] | None) -> list[list[list[np.ndarray]]]:
    rng = np.random.default_rng(cfg.seed)
    phi = []
    for _ in range(cfg.num_seeds):
        seed_phi = []
        for i, (m, q) in enumerate(zip(model.num_actions, model.num_observations, strict=True)):
            steps = []
            for t in range(horizon):
                shape = ((m * q) ** t, m)
                if init_logits is not None:
                    x = np.array(np.broadcast_to(np.asarray(init_logits[i][t], dtype=float), shape))
                elif cfg.init == "random":
                    x = cfg.init_scale * rng.standard_normal(shape)
                else:
                    x = np.zeros(shape)
                steps.append(x)
            seed_phi.append(steps)
        phi.append(seed_phi)
    return phi


def joint_factors(alpha: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """β(· | s, h) = igc_modify(α(· | h), ε[s]) for α (H, A) and ε (S, A): shape (S, H, A)."""
    s, (h, a) = eps.shape[0], alpha.shape
    return igc_modify(np.broadcast_to(alpha, (s, h, a)), np.broadcast_to(eps[:, None, :], (s, h, a)),
                      ratio_cap=RATIO_CAP, base_cap=DEFAULT_BASE_CAP, base="scale")


def _step(model: DecPOMDP, horizon: int, phi: list[list[list[np.ndarray]]],
          eps: list[list[list[np.ndarray]]]) -> tuple[float, list[np.ndarray]]:
    """J(π_θ) and its gradient, flattened in the order (ω, i, t) for φ then ε."""
    k = len(phi)
    value = 0.0
    g_phi: list[np.ndarray] = []
    g_eps: list[np.ndarray] = []
    for w in range(k):
        alphas = [[softmax(x) for x in agent] for agent in phi[w]]
        betas = [[joint_factors(a, e) for a, e in zip(alphas[i], eps[w][i], strict=True)]
                 for i in range(model.num_agents)]
        res = product_gradient(model, betas, horizon)
        value += res.value / k
        for i in range(model.num_agents):
            for t in range(horizon):
                a, e = alphas[i][t], eps[w][i][t]
                s, (h, m) = e.shape[0], a.shape
                ga, ge = igc_modify_vjp(np.broadcast_to(a, (s, h, m)),
                                        np.broadcast_to(e[:, None, :], (s, h, m)), res.grads[i][t] / k,
                                        ratio_cap=RATIO_CAP, base_cap=DEFAULT_BASE_CAP, base="scale")
                g_phi.append(softmax_vjp(a, ga.sum(axis=0)))
                g_eps.append(ge.sum(axis=1))
    return value, g_phi + g_eps


def run_agentmixer(model: DecPOMDP, config: AgentMixerConfig | None = None, horizon: int | None = None,
                   init_logits: list[list[np.ndarray]] | None = None) -> AgentMixerResult:
    """Train tabular AgentMixer on ``model`` (module docstring); ``init_logits[i][t]`` overrides φ_0."""
    cfg = config or AgentMixerConfig()
    h = resolve_horizon(model, horizon)
    phi = _init(model, h, cfg, init_logits)
    eps = [[[np.zeros((model.num_states, m)) for _ in range(h)] for m in model.num_actions]
           for _ in range(cfg.num_seeds)]
    params = [x for seed in phi for agent in seed for x in agent] + \
             [x for seed in eps for agent in seed for x in agent]
    opt = Adam(params, cfg.lr)
    joint_values: list[float] = []
    recorded: list[int] = []
    sampled: list[float] = []
    modes: list[float] = []

    def record(it: int) -> None:
        recorded.append(it)
        sampled.append(evaluate(model, _decentralized(phi, False), h))
        modes.append(evaluate(model, _decentralized(phi, True), h))

    for it in range(cfg.iterations):
        if it % cfg.record_every == 0:
            record(it)
        value, grads = _step(model, h, phi, eps)
        joint_values.append(value)
        opt.ascend(params, grads)
    joint_values.append(_step(model, h, phi, eps)[0])
    record(cfg.iterations)
    return AgentMixerResult(phi, eps, joint_values, recorded, sampled, modes, h)


def joint_identifiability(model: DecPOMDP, result: AgentMixerResult) -> float:
    """Def. 5 for the trained pair: E_ω Σ_t E_{ρ^α_t(s, h)} KL(π_θ,t(· | s, h, ω) || Π_i α^i_{ω,t}(· | h_i)).

    Both sides are products over agents, so the KL is Σ_i KL(β^i(· | s, h_i) || α^i(· | h_i)) and
    only each agent's occupancy ρ^α_t(s, h_i) under the executed policy is needed. 0 iff the joint
    policy equals the executed one wherever the executed one goes (then Thm 2's premise holds).
    """
    total = 0.0
    for w, seed_phi in enumerate(result.phi):
        alphas = [[softmax(x) for x in agent] for agent in seed_phi]
        occ = agent_occupancies(model, StochasticPolicy(tuple(tuple(a) for a in alphas)), result.horizon)
        for t in range(result.horizon):
            for i in range(model.num_agents):
                beta = joint_factors(alphas[i][t], result.eps[w][i][t])       # (S, H, A)
                alpha = np.broadcast_to(alphas[i][t], beta.shape)
                ratio = np.where(beta > 0, beta / np.where(alpha > 0, alpha, 1.0), 1.0)
                kl = (beta * np.log(ratio)).sum(axis=-1)                     # (S, H)
                total += float((occ[t][i].joint * kl).sum()) / len(result.phi)
    return max(total, 0.0)


@dataclass(frozen=True, eq=False)
class AgentMixerBatchResult:
    """:func:`run_agentmixer_batch` over B starts: values per step (K + 1, B) of the joint policy,
    the executed sampled product Π_i α_i and its mode; final α_i per agent, each (B, A_i)."""

    joint_values: np.ndarray
    sampled_values: np.ndarray
    mode_values: np.ndarray
    alphas: tuple[np.ndarray, ...]


def run_agentmixer_batch(game: NormalFormGame, config: AgentMixerConfig | None = None,
                         init_logits: Sequence[np.ndarray] | None = None) -> AgentMixerBatchResult:
    """Tabular AgentMixer on a cooperative one-shot game for B starts at once (one state, K = 1).

    The same dynamics as :func:`run_agentmixer` on ``DecPOMDP.from_normal_form(game)`` (Adam is
    elementwise, so batching changes nothing), vectorised: β_i = igc_modify(α_i, ε_i), J = E_{Π β_i} R,
    ∂J/∂β_i = Q_i(β_{-i}), then the chain rule through igc_modify and the softmax.
    """
    cfg = config or AgentMixerConfig()
    reward = game.common_reward("tabular AgentMixer")
    phi = batch_logits(game, init_logits)
    eps = [np.zeros_like(z) for z in phi]
    opt = Adam(phi + eps, cfg.lr)
    caps = {"ratio_cap": RATIO_CAP, "base_cap": DEFAULT_BASE_CAP, "base": "scale"}

    def value(pols: list[np.ndarray]) -> np.ndarray:
        return np.einsum("ba,ba->b", batch_q(reward, pols)[0], pols[0])

    joint, sampled, modes = [], [], []
    for it in range(cfg.iterations + 1):
        alphas = [softmax(z) for z in phi]
        betas = [igc_modify(a, e, **caps) for a, e in zip(alphas, eps, strict=True)]
        qs = batch_q(reward, betas)
        joint.append(np.einsum("ba,ba->b", qs[0], betas[0]))
        sampled.append(value(alphas))
        modes.append(value([np.eye(a.shape[1])[np.argmax(a, axis=1)] for a in alphas]))
        if it == cfg.iterations:
            break
        back = [igc_modify_vjp(a, e, q, **caps) for a, e, q in zip(alphas, eps, qs, strict=True)]
        opt.ascend(phi + eps, [softmax_vjp(a, ga) for a, (ga, _) in zip(alphas, back, strict=True)]
                   + [ge for _, ge in back])
    return AgentMixerBatchResult(np.array(joint), np.array(sampled), np.array(modes),
                                 tuple(softmax(z) for z in phi))
