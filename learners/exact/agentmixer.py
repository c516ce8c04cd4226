"""Tabular AgentMixer with exact IGC and exact updates (Li, Zhao, Wu & Pajarinen, AAAI 2025).

A joint policy π_θ,t(a | s, h, ω) that sees the hidden state s (and the shared seed ω ∈ {0..K-1},
drawn once per episode from the prior p) is trained to maximise the joint return (Eq. 13) under
Individual-Global-Consistency (Def. 6): its mode is, at every input and every step, the tuple of
the modes of the decentralized policies α^i_{ω,t}(· | h_i) that are executed. Two constructions
(``AgentMixerConfig.joint``):

* ``"coupled"`` (default, :mod:`learners.exact.agentmixer_coupled`): a free table of logits over
  *joint* actions, made IGC by :func:`learners.exact.igc.igc_cap` at the tuple of modes, trained
  by exact soft policy iteration (or Adam); the decentralized modes follow the joint by explicit
  hand-offs (with a margin, and never lowering the executed value);
* ``"product"`` (the paper's construction, :mod:`learners.exact.agentmixer_product`): a per-agent
  Policy Modifier, π_θ = Π_i igc_modify(α^i, ε^i[s]), Adam on the exact gradient through it.

Execution is decentralized: a shared seed ω ~ p, then agent i acts with α^i_ω alone, sampled
(:meth:`AgentMixerResult.decentralized_policy`) or at its mode (``deterministic=True``) — the mode
of the probabilities α, the same tie rule (lowest index) as the joint's mode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from games.dec_pomdp.evaluation import evaluate, occupancies
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import CorrelatedPolicy, StochasticPolicy
from games.normal_form.game import NormalFormGame
from learners.exact.agentmixer_coupled import RATIO_CAP as COUPLED_RATIO_CAP
from learners.exact.agentmixer_coupled import CoupledMixer, propose_modes
from learners.exact.agentmixer_product import RATIO_CAP, ProductMixer, joint_factors, joint_table
from learners.exact.config import check_config
from learners.exact.gradients import Adam, resolve_horizon, softmax, softmax_vjp
from learners.exact.igc import DEFAULT_BASE_CAP, igc_cap, igc_cap_vjp, igc_modify, igc_modify_vjp, mode
from learners.exact.independent import batch_logits, batch_q

__all__ = [
    "RATIO_CAP",
    "AgentMixerBatchResult",
    "AgentMixerConfig",
    "AgentMixerResult",
    "TrainingStep",
    "joint_divergences",
    "joint_factors",
    "joint_identifiability",
    "run_agentmixer",
    "run_agentmixer_batch",
]


@dataclass(frozen=True)
class AgentMixerConfig:
    """Tabular AgentMixer.

    Attributes:
        iterations: training steps.
        lr: the step size: η of soft policy iteration (``optimizer="npg"``) or Adam's.
        num_seeds: K shared seeds ω (1: correlation through the state only).
        init: ``"uniform"`` (α = uniform, modes at the lowest index) or ``"random"``
            (logits ~ N(0, init_scale²), seeded). The coupled joint starts at Π_i α^i.
        init_scale: standard deviation of random logits.
        seed: seeds the random initialisation.
        record_every: evaluate the decentralized policies every this many iterations (and last).
        joint: ``"coupled"`` (a correlated IGC joint over joint actions with mode hand-offs) or
            ``"product"`` (the paper's per-agent Policy Modifier).
        optimizer: ``"npg"`` (exact soft policy iteration z += η Q) or ``"adam"`` (exact gradient);
            the product construction is trained with Adam only.
        handoff_margin: coupled only: hand a mode over when the joint's score for another action
            reaches (1 + margin) times the mode's (``None``: the modes never move).
        prior: ``"uniform"`` over the K seeds, or ``"learned"`` (the seed distribution is trained too).
    """

    iterations: int = 300
    lr: float = 0.1
    num_seeds: int = 1
    init: str = "uniform"
    init_scale: float = 1.0
    seed: int = 0
    record_every: int = 10
    joint: str = "coupled"
    optimizer: str = "npg"
    handoff_margin: float | None = 1.0
    prior: str = "uniform"

    def __post_init__(self) -> None:
        check_config(self, positive=("lr",), nonnegative=("iterations", "init_scale", "handoff_margin"),
                     optional=("handoff_margin",), at_least_one=("num_seeds", "record_every"),
                     choices={"init": ("uniform", "random"), "joint": ("coupled", "product"),
                              "optimizer": ("npg", "adam"), "prior": ("uniform", "learned")})
        if self.joint == "product":
            check_config(self, choices={"optimizer": ("adam",)})
            check_config(self, choices={"handoff_margin": (None,)})

    @classmethod
    def paper(cls, **changes: object) -> AgentMixerConfig:
        """The paper's construction: product joint, Adam, no hand-off."""
        return cls(**{"joint": "product", "optimizer": "adam", "handoff_margin": None, **changes})


@dataclass(frozen=True)
class TrainingStep:
    """What :func:`run_agentmixer`'s ``callback`` sees after every update (hand-offs included).

    ``joints[ω][t]`` (S, H_1, ..., H_N, A_1, ..., A_N) is π_θ; ``modes[ω][i][t]`` (H_i,) the modes of
    the decentralized policies; ``handed_off`` tells whether a mode moved by hand-off in this step.
    """

    iteration: int
    joints: list[list[np.ndarray]]
    modes: list[list[list[np.ndarray]]]
    handed_off: bool


@dataclass(frozen=True)
class AgentMixerResult:
    """Outcome of :func:`run_agentmixer`.

    Attributes:
        alphas: ``alphas[ω][i][t]`` (H_i(t), A_i): the executed decentralized policies.
        modes: ``modes[ω][i][t]`` (H_i(t),): their modes (argmax of the probabilities).
        joints: ``joints[ω][t]`` (S, H_1(t), ..., H_N(t), A_1, ..., A_N): the trained joint policy.
        prior: (K,) the seed distribution.
        joint_values: J(π_θ) (train time, the joint sees s) before each update and at the end.
        iterations: the iterations at which the decentralized values were recorded.
        sampled_values: value of the executed decentralized policy (α_ω sampled) there.
        mode_values: value of the executed deterministic policy (modes of α_ω) there.
        horizon: the planning horizon.
        handoffs: the iterations at which some mode was handed over (coupled joint only).
    """

    alphas: list[list[list[np.ndarray]]] = field(repr=False)
    modes: list[list[list[np.ndarray]]] = field(repr=False)
    joints: list[list[np.ndarray]] = field(repr=False)
    prior: np.ndarray
    joint_values: list[float]
    iterations: list[int]
    sampled_values: list[float]
    mode_values: list[float]
    horizon: int
    handoffs: list[int]

    def decentralized_policy(self, deterministic: bool = False) -> CorrelatedPolicy:
        """The executed policy: seed ω ~ prior, then Π_i α^i_ω (or each agent's mode)."""
        return _decentralized(self.alphas, self.modes, self.prior, deterministic)

    @property
    def final_joint_value(self) -> float:
        return self.joint_values[-1]

    @property
    def final_value(self) -> float:
        """Value of the sampled decentralized execution at the end of training."""
        return self.sampled_values[-1]


def _decentralized(alphas: list[list[list[np.ndarray]]], modes: list[list[list[np.ndarray]]],
                   prior: np.ndarray, deterministic: bool) -> CorrelatedPolicy:
    if deterministic:
        pols = tuple(StochasticPolicy(tuple(tuple(np.eye(a[0].shape[-1])[k] for a, k in
                                                  ((al[t], md[t]) for t in range(len(md))))
                                            for al, md in zip(sa, sm, strict=True)))
                     for sa, sm in zip(alphas, modes, strict=True))
    else:
        pols = tuple(StochasticPolicy(tuple(tuple(agent) for agent in seed)) for seed in alphas)
    return CorrelatedPolicy(np.asarray(prior, dtype=float), pols)


def _init_logits(model: DecPOMDP, horizon: int, cfg: AgentMixerConfig,
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


def _mixer(model: DecPOMDP, h: int, cfg: AgentMixerConfig, phi: list) -> CoupledMixer | ProductMixer:
    learn = cfg.prior == "learned"
    if cfg.joint == "product":
        return ProductMixer(model, h, phi, cfg.lr, learn)
    return CoupledMixer(model, h, phi, cfg.lr, cfg.optimizer, cfg.handoff_margin, learn)


def run_agentmixer(model: DecPOMDP, config: AgentMixerConfig | None = None, horizon: int | None = None,
                   init_logits: list[list[np.ndarray]] | None = None,
                   callback: Callable[[TrainingStep], None] | None = None) -> AgentMixerResult:
    """Train tabular AgentMixer on ``model`` (module docstring).

    ``init_logits[i][t]`` overrides the initial decentralized logits; ``callback`` is called after
    every update with the joint policy and the modes (:class:`TrainingStep`).
    """
    cfg = config or AgentMixerConfig()
    h = resolve_horizon(model, horizon)
    mixer = _mixer(model, h, cfg, _init_logits(model, h, cfg, init_logits))
    joint_values: list[float] = []
    recorded, sampled, modes, handoffs = [], [], [], []

    def record(it: int) -> None:
        recorded.append(it)
        alphas, md = mixer.alphas(), mixer.modes()
        sampled.append(evaluate(model, _decentralized(alphas, md, mixer.prior, False), h))
        modes.append(evaluate(model, _decentralized(alphas, md, mixer.prior, True), h))

    for it in range(cfg.iterations):
        if it % cfg.record_every == 0:
            record(it)
        value, handed = mixer.step()
        joint_values.append(value)
        if handed:
            handoffs.append(it)
        if callback is not None:
            callback(TrainingStep(it, mixer.joints(), mixer.modes(), handed))
    joint_values.append(mixer.value())
    record(cfg.iterations)
    return AgentMixerResult(mixer.alphas(), mixer.modes(), mixer.joints(), mixer.prior, joint_values,
                            recorded, sampled, modes, h, handoffs)


def _tv_kl(pi: np.ndarray, phi: np.ndarray, rho: np.ndarray, n: int) -> tuple[float, float]:
    """E_ρ TV(π, φ) and E_ρ KL(π || φ) over the joint actions, for tables (S, H_1.., A_1..); the KL
    is ``inf`` when π uses a joint action φ excludes where ρ > 0."""
    axes = tuple(range(1 + n, 1 + 2 * n))
    phi = np.broadcast_to(phi, pi.shape)
    tv = float((rho * 0.5 * np.abs(pi - phi).sum(axis=axes)).sum())
    reached = np.broadcast_to(rho.reshape(*rho.shape, *([1] * n)) > 0, pi.shape) & (pi > 0)
    if np.any(reached & (phi <= 0)):
        return tv, float("inf")
    ratio = np.where(reached, pi / np.where(phi > 0, phi, 1.0), 1.0)
    return tv, max(float((rho * np.where(reached, pi * np.log(ratio), 0.0).sum(axis=axes)).sum()), 0.0)


def joint_divergences(model: DecPOMDP, result: AgentMixerResult) -> dict[str, list[float]]:
    """How far the trained joint is from what is executed, step by step (prior-weighted over ω).

    ``tv_mode[u]`` and ``tv_sampled[u]``: E_{(s,h) ~ ρ^φ_u} TV(π_θ,u(· | s, h), φ_u(· | h)) for the
    executed modes and for the sampled α; ``kl_sampled[u]``: E_{ρ^α_u} KL(π_θ,u || Π_i α^i_u), whose
    sum over u is Def. 5 (:func:`joint_identifiability`). ρ^φ_u is φ's own occupancy of (state,
    joint history).
    """
    n, h = model.num_agents, result.horizon
    out = {"tv_mode": [0.0] * h, "tv_sampled": [0.0] * h, "kl_sampled": [0.0] * h}
    for w, p in enumerate(result.prior):
        executed = {"mode": [[np.eye(a[t].shape[-1])[k[t]] for t in range(h)]
                             for a, k in zip(result.alphas[w], result.modes[w], strict=True)],
                    "sampled": result.alphas[w]}
        for kind, probs in executed.items():
            pol = StochasticPolicy(tuple(tuple(x) for x in probs))
            for u, rho in enumerate(occupancies(model, pol, h)):
                phi = joint_table([probs[i][u][None] for i in range(n)])      # (1, H_1.., A_1..)
                tv, kl = _tv_kl(result.joints[w][u], phi, rho, n)
                out[f"tv_{kind}"][u] += float(p) * tv
                if kind == "sampled":
                    out["kl_sampled"][u] += float(p) * kl
    return out


def joint_identifiability(model: DecPOMDP, result: AgentMixerResult) -> float:
    """Def. 5 for the trained pair: E_ω Σ_t E_{ρ^α_t(s, h)} KL(π_θ,t(· | s, h, ω) || Π_i α^i_{ω,t}(· | h_i)).

    ρ^α_t(s, h) is the occupancy of the executed (sampled) product α_ω over states and joint
    histories. 0 iff the joint policy equals the executed one wherever the executed one goes
    (then Theorem 2's premise holds); ``inf`` if the joint uses an action α excludes there.
    """
    return float(sum(joint_divergences(model, result)["kl_sampled"]))


# ----------------------------------------------------------------------------- one-step games, batched
@dataclass(frozen=True, eq=False)
class AgentMixerBatchResult:
    """:func:`run_agentmixer_batch` over B starts: values per step (K + 1, B) of the joint policy,
    the executed sampled product Π_i α_i and its mode; final α_i per agent, each (B, A_i); the
    number of hand-offs per start (B,)."""

    joint_values: np.ndarray
    sampled_values: np.ndarray
    mode_values: np.ndarray
    alphas: tuple[np.ndarray, ...]
    handoffs: np.ndarray


def _product_value(reward: np.ndarray, pols: list[np.ndarray]) -> np.ndarray:
    return np.einsum("ba,ba->b", batch_q(reward, pols)[0], pols[0])


def run_agentmixer_batch(game: NormalFormGame, config: AgentMixerConfig | None = None,
                         init_logits: Sequence[np.ndarray] | None = None) -> AgentMixerBatchResult:
    """Tabular AgentMixer on a cooperative one-shot game for B starts at once (one state, K = 1).

    The same dynamics as :func:`run_agentmixer` on ``DecPOMDP.from_normal_form(game)`` (every
    update is elementwise in the start), vectorised; ``init_logits[i]`` (B, A_i) are the starts.
    """
    cfg = config or AgentMixerConfig()
    reward = np.asarray(game.common_reward("tabular AgentMixer"), dtype=float)
    phi = batch_logits(game, init_logits)
    if cfg.joint == "product":
        return _product_batch(reward, cfg, phi)
    return _coupled_batch(reward, cfg, phi)


def _product_batch(reward: np.ndarray, cfg: AgentMixerConfig, phi: list[np.ndarray]) -> AgentMixerBatchResult:
    eps = [np.zeros_like(z) for z in phi]
    opt = Adam(phi + eps, cfg.lr)
    caps = {"ratio_cap": RATIO_CAP, "base_cap": DEFAULT_BASE_CAP, "base": "scale"}
    joint, sampled, modes = [], [], []
    for it in range(cfg.iterations + 1):
        alphas = [softmax(z) for z in phi]
        betas = [igc_modify(a, e, **caps) for a, e in zip(alphas, eps, strict=True)]
        qs = batch_q(reward, betas)
        joint.append(np.einsum("ba,ba->b", qs[0], betas[0]))
        sampled.append(_product_value(reward, alphas))
        modes.append(_product_value(reward, [np.eye(a.shape[1])[mode(a)] for a in alphas]))
        if it == cfg.iterations:
            break
        back = [igc_modify_vjp(a, e, q, **caps) for a, e, q in zip(alphas, eps, qs, strict=True)]
        opt.ascend(phi + eps, [softmax_vjp(a, ga) for a, (ga, _) in zip(alphas, back, strict=True)]
                   + [ge for _, ge in back])
    return AgentMixerBatchResult(np.array(joint), np.array(sampled), np.array(modes),
                                 tuple(softmax(z) for z in phi), np.zeros(len(phi[0]), dtype=int))


def _coupled_batch(reward: np.ndarray, cfg: AgentMixerConfig, phi: list[np.ndarray]) -> AgentMixerBatchResult:
    acts, n, b = reward.shape, reward.ndim, phi[0].shape[0]
    alphas = [softmax(x) for x in phi]
    k = [mode(a) for a in alphas]                                     # (B,) per agent
    with np.errstate(divide="ignore"):
        z = sum(np.log(a).reshape(b, *(m if j == i else 1 for j, m in enumerate(acts)))
                for i, a in enumerate(alphas)).reshape(b, -1)          # log Π_i α_i, (B, JA)
    r_flat = reward.ravel()
    opt = Adam([z], cfg.lr) if cfg.optimizer == "adam" else None
    handoffs = np.zeros(b, dtype=int)
    joint, sampled, modes = [], [], []

    def marginals(p: np.ndarray) -> list[np.ndarray]:
        full = p.reshape(b, *acts)
        return [full.sum(axis=tuple(1 + j for j in range(n) if j != i)) for i in range(n)]

    for it in range(cfg.iterations + 1):
        flat = np.ravel_multi_index(tuple(k), acts)
        pi = igc_cap(z, flat, ratio_cap=COUPLED_RATIO_CAP)
        joint.append(pi @ r_flat)
        modes.append(r_flat[flat])
        with np.errstate(divide="ignore"):
            alphas = [igc_cap(np.log(m), ki, ratio_cap=COUPLED_RATIO_CAP)
                      for m, ki in zip(marginals(pi), k, strict=True)]
        sampled.append(_product_value(reward, alphas))
        if it == cfg.iterations:
            break
        if opt is None:
            z += cfg.lr * r_flat
            z -= z.max(axis=1, keepdims=True)
        else:
            grad = igc_cap_vjp(z, flat, np.broadcast_to(r_flat, z.shape), ratio_cap=COUPLED_RATIO_CAP)
            opt.ascend([z], [grad])
        if cfg.handoff_margin is None:
            continue
        weighted, new = softmax(z).reshape(b, *acts), []
        for i in range(n):                                            # decoded agent by agent
            marg = weighted.sum(axis=tuple(1 + j for j in range(n) if j != i))
            new.append(propose_modes(marg, k[i], cfg.handoff_margin))
            keep = np.eye(acts[i])[new[i]].reshape(b, *(acts[i] if j == i else 1 for j in range(n)))
            weighted = weighted * keep
        base = reward[tuple(k)]
        take = reward[tuple(new)] >= base
        moved = take & np.any([nw != ki for nw, ki in zip(new, k, strict=True)], axis=0)
        k = [np.where(take, nw, ki) for nw, ki in zip(new, k, strict=True)]
        for i in range(n):                                            # rejected proposals, agent by agent
            trial = [np.where(take, k[j], new[j] if j == i else k[j]) for j in range(n)]
            ok = ~take & (trial[i] != k[i]) & (reward[tuple(trial)] >= reward[tuple(k)])
            k[i] = np.where(ok, trial[i], k[i])
            moved |= ok
        for i in range(n):                                            # the critic: best responses
            scores = np.moveaxis(reward, i, -1)[tuple(k[j] for j in range(n) if j != i)]   # (B, A_i)
            best = np.argmax(scores, axis=1)
            now = reward[tuple(k)]
            ok = ~moved & (scores[np.arange(b), best] > now + 1e-12 * (1 + np.abs(now)))
            k[i] = np.where(ok, best, k[i])
            moved |= ok
        handoffs += moved
    return AgentMixerBatchResult(np.array(joint), np.array(sampled), np.array(modes), tuple(alphas), handoffs)
