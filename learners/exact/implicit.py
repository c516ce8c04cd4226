"""Implicit product policies, asymmetric distillation and identifiability, all from exact occupancies.

AgentMixer (Li, Zhao, Wu & Pajarinen, AAAI 2025, arXiv 2401.08728) imitates a joint, state-
conditioned policy π_θ,t(a | s) with decentralized policies over each agent's action-observation
history (AOH) h^i. Conventions are those of :mod:`games.dec_pomdp.policies` (AOH indices, MADP joint order);
a joint policy is an array ``pi[t, s, ja]`` (or ``pi[s, ja]``, used at every step).

* :func:`implicit_product_policy` (Eq. 7): π^i_t(a_i | h^i) = Σ_s ρ^ψ_t(s | h^i) m^i_t(a_i | s), with
  m^i_t(· | s) = Σ_{a_-i} π_θ,t(·, a_-i | s) agent i's marginal of π_θ and ρ^ψ the occupancy of a
  behaviour policy ψ: a decentralized policy, the joint policy itself (the expert's own
  trajectories), or a :class:`Mixture` of the two.
* :func:`distillation` (Eqs. 8-9 and the β-mixture of Eq. 6): η_{k+1} = implicit product policy of
  π_θ under the behaviour π_{η_k} (or β_k π_θ + (1 - β_k) π_{η_k}).
* :func:`identifiability` (Def. 5): Σ_t E_{(s, h) ~ ρ^φ_t} KL(π_θ,t(· | s) || Π_i φ^i_t(· | h^i)).
* :func:`reactive_distillation`: Eq. 8 for *stationary* memoryless policies on a discounted
  problem, η_{k+1}^i(a_i | o_i) = Σ_s d^{η_k}(s | o_i) m^i(a_i | s) with d^{η_k} the discounted
  occupancy of (state, last observation) under η_k — which need not converge.

Behaviour occupancies are ρ_t(s, h^1, ..., h^N) over the joint AOH; their size S Π_i (|A_i||O_i|)^t
limits everything here to small models.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from games.dec_pomdp.evaluation import evaluate, mmdp_q_values, occupancies
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import DeterministicPolicy, ReactivePolicy, StochasticPolicy
from games.errors import GameError

__all__ = [
    "DistillationResult",
    "Mixture",
    "ReactiveDistillation",
    "behaviour_occupancies",
    "distillation",
    "identifiability",
    "implicit_product_policy",
    "reactive_distillation",
    "uniform_optimal_joint_policy",
]

TIE_ATOL = 1e-9
"""Joint actions whose Q-value is within this of the best count as optimal (uniform tie rule)."""


@dataclass(frozen=True, eq=False)
class Mixture:
    """Behaviour β π_θ + (1 - β) π_η, mixed *per step*: at every step, independently, the joint
    action is drawn from π_θ,t(· | s) with probability β and from Π_i π^i_η,t(· | h^i) otherwise.

    This is DAgger's π_i = β π* + (1 - β) π̂_i (Ross, Gordon & Bagnell 2011) as it is executed —
    a coin per step, not per trajectory — which is how we read AgentMixer's Eq. 6. π_θ is the joint
    policy passed alongside the behaviour.
    """

    beta: float
    product: StochasticPolicy | DeterministicPolicy

    def __post_init__(self) -> None:
        if not 0.0 <= float(self.beta) <= 1.0:
            raise GameError(f"mixture weight beta must lie in [0, 1], got {self.beta}")


Behaviour = StochasticPolicy | DeterministicPolicy | Mixture | np.ndarray


def _stochastic(model: DecPOMDP, policy: StochasticPolicy | DeterministicPolicy) -> StochasticPolicy:
    if isinstance(policy, DeterministicPolicy):
        return policy.to_stochastic(model.num_actions, model.num_observations)
    policy.validate(model.num_actions, model.num_observations)
    return policy


def _joint_steps(model: DecPOMDP, joint_policy: np.ndarray, horizon: int | None) -> np.ndarray:
    """The joint policy as a validated (H, S, JA) array (a stationary (S, JA) one is repeated)."""
    pi = np.asarray(joint_policy, dtype=float)
    s, ja = model.num_states, model.num_joint_actions
    if pi.ndim not in (2, 3) or pi.shape[-2:] != (s, ja):
        raise GameError(f"joint policy shape {pi.shape}; expected (H, {s}, {ja}) or ({s}, {ja})")
    if not np.all(np.isfinite(pi)) or pi.min() < -1e-12 or np.abs(pi.sum(-1) - 1).max() > 1e-9:
        raise GameError("joint policy rows must be finite probability vectors")
    if horizon is None:
        horizon = pi.shape[0] if pi.ndim == 3 else model.horizon
    if horizon is None or int(horizon) < 1:
        raise GameError(f"need a horizon >= 1, got {horizon}")
    horizon = int(horizon)
    if pi.ndim == 2:
        return np.broadcast_to(pi, (horizon, s, ja))
    if horizon > pi.shape[0]:
        raise GameError(f"horizon {horizon} exceeds the joint policy's {pi.shape[0]} steps")
    return pi[:horizon]


def _marginals(model: DecPOMDP, pi_t: np.ndarray) -> list[np.ndarray]:
    """m^i(a_i | s) for every agent i, each (S, A_i)."""
    n = model.num_agents
    full = pi_t.reshape(model.num_states, *model.num_actions)
    return [full.sum(axis=tuple(1 + j for j in range(n) if j != i)) for i in range(n)]


def uniform_optimal_joint_policy(model: DecPOMDP, horizon: int | None = None,
                                 discount: float | None = None) -> np.ndarray:
    """π*[t, s, ja]: the MMDP optimum, uniform over the joint actions optimal within :data:`TIE_ATOL`
    (the tie rule under which :mod:`games.dec_pomdp.catalog` quotes its distilled values)."""
    q = mmdp_q_values(model, horizon, discount)
    best = q >= q.max(axis=2, keepdims=True) - TIE_ATOL
    return best / best.sum(axis=2, keepdims=True)


def behaviour_occupancies(model: DecPOMDP, joint_policy: np.ndarray, behaviour: Behaviour,
                          horizon: int | None = None) -> list[np.ndarray]:
    """ρ_t(s, h^1, ..., h^N), t < H, under ``behaviour`` (see :func:`implicit_product_policy`).

    A product behaviour uses :func:`games.dec_pomdp.evaluation.occupancies`; the joint policy and mixtures
    use the generic forward pass ρ_{t+1}(s', (h^i a_i o_i)_i) = Σ_s ρ_t(s, h) P_t(a | s, h)
    T(s, a, s') O(a, s', o) with P_t(a | s, h) = β π_θ,t(a | s) + (1 - β) Π_i π^i_t(a_i | h^i).
    """
    steps = _joint_steps(model, joint_policy, horizon)
    h = steps.shape[0]
    if isinstance(behaviour, StochasticPolicy | DeterministicPolicy):
        return occupancies(model, _stochastic(model, behaviour), h)
    if isinstance(behaviour, Mixture):
        beta, product = float(behaviour.beta), _stochastic(model, behaviour.product)
        if product.horizon < h:
            raise GameError(f"behaviour has {product.horizon} steps, need {h}")
    else:
        _joint_steps(model, behaviour, h)  # validates
        if not np.array_equal(np.asarray(behaviour, dtype=float), np.asarray(joint_policy, dtype=float)):
            raise GameError("an array behaviour must be the joint policy itself (its own trajectories)")
        beta, product = 1.0, None
    n, s = model.num_agents, model.num_states
    acts, obs = model.num_actions, model.num_observations
    letters = [c for c in string.ascii_letters if c not in "st"]
    if 3 * n > len(letters):
        raise GameError(f"{n} agents exceed the einsum alphabet")
    hh, aa, oo = letters[:n], letters[n:2 * n], letters[2 * n:3 * n]
    step_sub = (f"s{''.join(hh)}{''.join(aa)},s{''.join(aa)}t,{''.join(aa)}t{''.join(oo)}->t"
                + "".join(x + y + z for x, y, z in zip(hh, aa, oo, strict=True)))
    prod_sub = ",".join(x + y for x, y in zip(hh, aa, strict=True)) + "->" + "".join(hh) + "".join(aa)
    t_ = model.transition.reshape(s, *acts, s)
    o_ = model.observation.reshape(*acts, s, *obs)
    rho = model.initial.reshape(s, *([1] * n))
    out = [rho]
    for t in range(h - 1):
        sizes = rho.shape[1:]
        p = beta * steps[t].reshape(s, *([1] * n), *acts)
        if beta < 1.0:
            p = p + (1.0 - beta) * np.einsum(prod_sub, *(product.probs[i][t] for i in range(n)))[None]
        p = np.broadcast_to(p, (s, *sizes, *acts))
        nxt = np.einsum(step_sub, rho[(...,) + (None,) * n] * p, t_, o_, optimize=True)
        rho = nxt.reshape(s, *(k * m * q for k, m, q in zip(sizes, acts, obs, strict=True)))
        out.append(rho)
    return out


def implicit_product_policy(model: DecPOMDP, joint_policy: np.ndarray, behaviour: Behaviour,
                            horizon: int | None = None) -> StochasticPolicy:
    """AgentMixer Eq. 7: π^i_t(a_i | h^i) = Σ_s ρ^ψ_t(s | h^i) Σ_{a_-i} π_θ,t(a_i, a_-i | s).

    ``behaviour`` ψ fixes the occupancy whose posterior ρ^ψ_t(s | h^i) is used:

    * a :class:`~games.StochasticPolicy` / :class:`~games.DeterministicPolicy`:
      the decentralized policy's own occupancy (Eqs. 8-9 use π_η_k here);
    * the joint policy array itself (``behaviour is joint_policy`` or an equal array): the
      expert's own trajectories, with agents' AOHs recording the actions π_θ took — the posterior
      comes from the occupancy over (s, joint AOH) under π_θ (what :mod:`games.dec_pomdp.catalog`
      calls the distilled policy);
    * a :class:`Mixture` β π_θ + (1 - β) π_η mixed per step (Eq. 6).

    Unreachable histories (ρ^ψ_t(h^i) = 0) get the *prior-weighted marginal*
    Σ_s ρ^ψ_t(s) m^i_t(a_i | s) — Eq. 7 with the posterior replaced by the step's state marginal,
    i.e. what an agent that learned nothing from its history would do (at t = 0 the prior is b0).
    They carry no weight in the distillation objective, and they cannot change the value of the
    result whenever it stays on histories the behaviour reaches — e.g. when ψ has full support
    (every history any policy reaches is then reachable). A product that leaves ψ's support can
    be affected by this choice; the next distillation step then re-estimates those rows.

    ``horizon`` defaults to the joint policy's length (the model's horizon for a stationary one).
    """
    steps = _joint_steps(model, joint_policy, horizon)
    n = model.num_agents
    probs: list[list[np.ndarray]] = [[] for _ in range(n)]
    for t, rho in enumerate(behaviour_occupancies(model, joint_policy, behaviour, steps.shape[0])):
        marg = _marginals(model, steps[t])
        state = rho.reshape(model.num_states, -1).sum(axis=1)  # ρ_t(s)
        for i in range(n):
            joint = rho.sum(axis=tuple(1 + j for j in range(n) if j != i))  # ρ_t(s, h^i)
            reach = joint.sum(axis=0)
            weighted = joint.T @ marg[i]  # Σ_s ρ(s, h^i) m^i(a | s), shape (H_i, A_i)
            prior = state @ marg[i]
            ok = reach > 0
            row = np.where(ok[:, None], weighted / np.where(ok, reach, 1.0)[:, None], prior[None, :])
            probs[i].append(row / row.sum(axis=1, keepdims=True))  # removes rounding drift only
    return StochasticPolicy(tuple(tuple(p) for p in probs))


@dataclass(frozen=True)
class DistillationResult:
    """Outcome of :func:`distillation`.

    Attributes:
        policy: the final product policy η_K.
        values: V(η_k) for k = 0..K (exact, :func:`games.dec_pomdp.evaluation.evaluate`, γ = 1).
        identifiability: Def. 5 KL of π_θ against η_k under η_k's occupancy, k = 0..K.
        betas: the mixture weight used to produce η_{k+1}, k = 0..K-1.
        change: max |η_{k+1} - η_k| over all rows, k = 0..K-1 (0: a fixed point was reached).
        policies: η_0, ..., η_K.
    """

    policy: StochasticPolicy
    values: list[float]
    identifiability: list[float]
    betas: list[float]
    change: list[float]
    policies: list[StochasticPolicy] = field(repr=False)


def _max_change(a: StochasticPolicy, b: StochasticPolicy) -> float:
    return max(float(np.abs(x - y).max(initial=0.0)) for pa, pb in zip(a.probs, b.probs, strict=True)
               for x, y in zip(pa, pb, strict=True))


def distillation(model: DecPOMDP, joint_policy: np.ndarray, iterations: int,
                 beta_schedule: Sequence[float] | Callable[[int], float] | None = None,
                 init: StochasticPolicy | DeterministicPolicy | None = None,
                 horizon: int | None = None) -> DistillationResult:
    """Asymmetric distillation (Eqs. 8-9): η_{k+1} = argmin_η E_{ρ^{ψ_k}} KL(π_θ(· | s) || π_η(· | h)).

    The behaviour is ψ_k = π_{η_k} (``beta_schedule`` None), or the per-step :class:`Mixture`
    β_k π_θ + (1 - β_k) π_{η_k} of Eq. 6 with β_k = ``beta_schedule[k]`` (or ``beta_schedule(k)``),
    meant to be annealed to 0. ``init`` η_0 defaults to the uniform product policy.

    Why the argmin is :func:`implicit_product_policy`: with the occupancy ρ = ρ^{ψ_k} held fixed,
    E_ρ KL(π_θ(· | s) || Π_i π^i(· | h^i)) = const - Σ_i Σ_{t, h^i} ρ_t(h^i) Σ_{a_i}
    [Σ_s ρ_t(s | h^i) m^i_t(a_i | s)] log π^i_t(a_i | h^i), because log of a product is a sum and
    the expectation of the i-th term only involves (s, h^i, a_i). The objective separates over
    agents, steps and histories, and each piece is a cross-entropy whose target distribution is
    the posterior-averaged marginal; by Gibbs' inequality it is minimised exactly there.
    """
    if int(iterations) < 0:
        raise GameError(f"iterations must be >= 0, got {iterations}")
    steps = _joint_steps(model, joint_policy, horizon)
    h = steps.shape[0]
    if init is None:
        eta = StochasticPolicy.uniform(model.num_actions, model.num_observations, h)
    else:
        eta = _stochastic(model, init)
        if eta.horizon < h:
            raise GameError(f"init has {eta.horizon} steps, need {h}")
        eta = StochasticPolicy(tuple(agent[:h] for agent in eta.probs))
    policies = [eta]
    values = [evaluate(model, eta, h)]
    kls = [identifiability(model, steps, eta, h)]
    betas: list[float] = []
    change: list[float] = []
    for k in range(int(iterations)):
        if beta_schedule is None:
            beta = 0.0
        else:
            beta = float(beta_schedule(k) if callable(beta_schedule) else beta_schedule[k])
        behaviour = eta if beta == 0.0 else Mixture(beta, eta)
        new = implicit_product_policy(model, steps, behaviour, h)
        change.append(_max_change(new, eta))
        eta = new
        betas.append(beta)
        policies.append(eta)
        values.append(evaluate(model, eta, h))
        kls.append(identifiability(model, steps, eta, h))
    return DistillationResult(eta, values, kls, betas, change, policies)


def identifiability(model: DecPOMDP, joint_policy: np.ndarray,
                    product_policy: StochasticPolicy | DeterministicPolicy,
                    horizon: int | None = None) -> float:
    """Def. 5: Σ_{t<H} E_{(s, h) ~ ρ^φ_t} KL(π_θ,t(· | s) || Π_i φ^i_t(· | h^i)), exactly.

    ρ^φ is the occupancy of the product policy φ over (s, joint AOH). The KL splits into
    -Σ_t E_{ρ_t(s)} H(π_θ,t(· | s)) - Σ_i Σ_t E_{ρ_t(s, h^i)} Σ_{a_i} m^i_t(a_i | s) log φ^i_t(a_i | h^i),
    so only the per-agent marginals ρ_t(s, h^i) are needed. Returns ``inf`` when π_θ gives mass to
    an agent action that φ excludes at a reachable (s, h^i). Zero iff π_θ,t(· | s) equals the
    product at every (s, h) that φ reaches.
    """
    steps = _joint_steps(model, joint_policy, horizon)
    h = steps.shape[0]
    phi = _stochastic(model, product_policy)
    n = model.num_agents
    total = 0.0
    for t, rho in enumerate(occupancies(model, phi, h)):
        state = rho.reshape(model.num_states, -1).sum(axis=1)
        p = steps[t]
        neg_ent = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0).sum(axis=1)
        total += float(state @ neg_ent)
        for i, m in enumerate(_marginals(model, p)):
            joint = rho.sum(axis=tuple(1 + j for j in range(n) if j != i))  # (S, H_i)
            need = np.einsum("sh,sa->ha", joint, m)  # weight of log φ^i(a | h^i)
            q = phi.probs[i][t]
            if np.any((need > 0) & (q <= 0)):
                return float("inf")
            total -= float(np.where(need > 0, need * np.log(np.where(q > 0, q, 1.0)), 0.0).sum())
    return max(total, 0.0) if total > -1e-12 else total


@dataclass(frozen=True)
class ReactiveDistillation:
    """Outcome of :func:`reactive_distillation`: η_0, ..., η_K and max |η_{k+1} − η_k| per step."""

    policies: list[ReactivePolicy] = field(repr=False)
    change: list[float]

    @property
    def policy(self) -> ReactivePolicy:
        return self.policies[-1]


def _reactive_joint(model: DecPOMDP, per_agent: Sequence[np.ndarray]) -> np.ndarray:
    """P(ja | jo) (JO, JA) from per-agent (O_i, A_i) tables, C order over agents for both."""
    n = model.num_agents
    joint = np.ones(())
    for p in per_agent:
        joint = np.multiply.outer(joint, p)
    perm = [2 * i for i in range(n)] + [2 * i + 1 for i in range(n)]
    return np.transpose(joint, perm).reshape(model.num_joint_observations, model.num_joint_actions)


def reactive_occupancy(model: DecPOMDP, policy: ReactivePolicy, discount: float) -> np.ndarray:
    """Σ_{t≥1} γ^{t−1} P(s_t = s, o_t = jo) under memoryless policies, shape (S, O_1, ..., O_N)."""
    s, jo = model.num_states, model.num_joint_observations
    pa0 = np.ones(())
    for p in policy.initial:
        pa0 = np.multiply.outer(pa0, p)
    to = model.transition[:, :, :, None] * model.observation[None, :, :, :]      # (S, JA, S', JO)
    step = np.einsum("oa,satq->sotq", _reactive_joint(model, policy.probs), to).reshape(s * jo, s * jo)
    first = np.einsum("s,a,satq->tq", model.initial, pa0.ravel(), to).reshape(s * jo)
    occ = np.linalg.solve(np.eye(s * jo) - discount * step.T, first)
    return occ.reshape(s, *model.num_observations)


def reactive_distillation(model: DecPOMDP, joint_policy: np.ndarray, iterations: int,
                          init: ReactivePolicy | None = None, discount: float | None = None,
                          tol: float = 1e-13) -> ReactiveDistillation:
    """Eq. 8 with stationary memoryless policies on the discounted problem (module docstring).

    ``joint_policy`` is a stationary π_θ(a | s) of shape (S, JA); η_0 defaults to uniform. At
    t = 0 (no observation yet) the posterior is b0, so η^i's initial distribution is
    Σ_s b0(s) m^i(a | s); afterwards η^i(a | o) = Σ_s d(s | o) m^i(a | s), d the discounted
    occupancy of (s, o_i) under η_k (:func:`reactive_occupancy`). Observations that η_k never
    produces keep their row. Stops early once an update changes nothing beyond ``tol``.
    """
    gamma = model.discount if discount is None else float(discount)
    if not 0.0 <= gamma < 1.0:
        raise GameError(f"stationary distillation needs a discount < 1, got {gamma}")
    pi = np.asarray(joint_policy, dtype=float)
    if pi.shape != (model.num_states, model.num_joint_actions):
        raise GameError(f"joint policy shape {pi.shape}; expected ({model.num_states}, "
                        f"{model.num_joint_actions})")
    n = model.num_agents
    marg = _marginals(model, pi)
    eta = init or ReactivePolicy(tuple(np.full(m, 1.0 / m) for m in model.num_actions),
                                 tuple(np.full((q, m), 1.0 / m) for m, q in
                                       zip(model.num_actions, model.num_observations, strict=True)))
    eta.validate(model.num_actions, model.num_observations)
    first = tuple(model.initial @ m for m in marg)
    policies, change = [eta], []
    for _ in range(int(iterations)):
        occ = reactive_occupancy(model, eta, gamma)
        probs = []
        for i in range(n):
            w = occ.sum(axis=tuple(1 + j for j in range(n) if j != i))                 # (S, O_i)
            reach = w.sum(axis=0)
            row = w.T @ marg[i]
            probs.append(np.where(reach[:, None] > 0, row / np.where(reach > 0, reach, 1.0)[:, None],
                                  eta.probs[i]))
        new = ReactivePolicy(first, tuple(p / p.sum(axis=1, keepdims=True) for p in probs))
        pairs = [*zip(new.probs, eta.probs, strict=True), *zip(new.initial, eta.initial, strict=True)]
        change.append(max(float(np.abs(a - b).max()) for a, b in pairs))
        eta = new
        policies.append(eta)
        if change[-1] <= tol:
            break
    return ReactiveDistillation(policies, change)
