"""Exact evaluation and occupancy measures of Dec-POMDP policies (vectorised numpy).

* Decentralized product policies π^i(a^i | h^i_t) over action-observation histories (AOH): the
  occupancy ρ_t(s, h_1, ..., h_N) is propagated forward,

      ρ_{t+1}(s', h_1 a_1 o_1, ...) = Σ_s ρ_t(s, h) Π_i π^i_t(a_i | h_i) T(s, a, s') O(a, s', o),

  and V = Σ_t γ^t Σ_{s,h,a} ρ_t(s, h) Π_i π^i_t(a_i | h_i) R(s, a). The last step is contracted
  without materialising ρ_{H-1} (its size dominates), so e.g. Dec-Tiger at h = 6 stays cheap.
* Correlated decentralized policies: Σ_ω P(ω) V(π_ω).
* Joint fully observable policies π_t(a | s): backward induction; stationary π(a | s) with γ < 1:
  the linear system (I - γ P_π) V = R_π.
* Memoryless reactive policies π^i(a | o) with γ < 1: a linear system over (state, last joint
  observation).

The marginals ρ_t(s | h^i) that each agent's posterior needs are the inputs of the implicit product
policy (AgentMixer, Eq. 7).
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np

from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import (
    CorrelatedPolicy,
    DeterministicPolicy,
    ReactivePolicy,
    StochasticPolicy,
)
from games.errors import GameError
from games.spec import check_table_size

__all__ = [
    "AgentOccupancy",
    "agent_occupancies",
    "evaluate",
    "evaluate_joint",
    "evaluate_reactive",
    "mmdp_q_values",
    "occupancies",
]

_LETTERS = string.ascii_letters


def _as_stochastic(model: DecPOMDP, policy: StochasticPolicy | DeterministicPolicy) -> StochasticPolicy:
    if isinstance(policy, DeterministicPolicy):
        return policy.to_stochastic(model.num_actions, model.num_observations)
    policy.validate(model.num_actions, model.num_observations)
    return policy


def _split(model: DecPOMDP) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """T (S, A_1..A_N, S'), O (A_1..A_N, S', O_1..O_N), R (S, A_1..A_N)."""
    acts, obs, s = model.num_actions, model.num_observations, model.num_states
    return (model.transition.reshape(s, *acts, s), model.observation.reshape(*acts, s, *obs),
            model.reward.reshape(s, *acts))


class _Subscripts:
    """einsum subscripts for the N-agent contractions: s, s', then per agent h, a, o, a'."""

    def __init__(self, n: int) -> None:
        if 4 * n + 2 > len(_LETTERS):
            raise GameError(f"{n} agents exceed the einsum alphabet")
        self.s, self.t = "s", "t"
        pool = [c for c in _LETTERS if c not in "st"]
        self.h = pool[0:n]
        self.a = pool[n:2 * n]
        self.o = pool[2 * n:3 * n]
        self.b = pool[3 * n:4 * n]   # next-step actions

    def step(self) -> str:
        """ρ_t, π_t per agent, T, O -> ρ_{t+1} with axes (s', h_1, a_1, o_1, ...)."""
        rho = self.s + "".join(self.h)
        pis = ",".join(h + a for h, a in zip(self.h, self.a, strict=True))
        tr = self.s + "".join(self.a) + self.t
        ob = "".join(self.a) + self.t + "".join(self.o)
        out = self.t + "".join(h + a + o for h, a, o in zip(self.h, self.a, self.o, strict=True))
        return f"{rho},{pis},{tr},{ob}->{out}"

    def reward(self) -> str:
        rho = self.s + "".join(self.h)
        pis = ",".join(h + a for h, a in zip(self.h, self.a, strict=True))
        return f"{rho},{pis},{self.s}{''.join(self.a)}->"

    def last_two(self) -> str:
        """ρ_{H-2}, π_{H-2}, T, O, π_{H-1} (indexed by extended history), R -> scalar."""
        rho = self.s + "".join(self.h)
        pis = ",".join(h + a for h, a in zip(self.h, self.a, strict=True))
        tr = self.s + "".join(self.a) + self.t
        ob = "".join(self.a) + self.t + "".join(self.o)
        nxt = ",".join(h + a + o + b for h, a, o, b in zip(self.h, self.a, self.o, self.b, strict=True))
        return f"{rho},{pis},{tr},{ob},{nxt},{self.t}{''.join(self.b)}->"


def _check_horizon(model: DecPOMDP, policy: StochasticPolicy, horizon: int | None, *,
                   exact: bool = True) -> int:
    """The resolved horizon (:meth:`DecPOMDP.resolve_horizon`), checked against the policy's length:
    equal when ``exact`` (a value is claimed for the whole policy), else at most it (a prefix)."""
    h = model.resolve_horizon(horizon)
    if policy.horizon < h or (exact and policy.horizon != h):
        raise GameError(f"the policy has {policy.horizon} steps but the horizon is {h}")
    return h


def _evaluate_product(model: DecPOMDP, pol: StochasticPolicy, horizon: int, gamma: float) -> float:
    t_, o_, r_ = _split(model)
    sub = _Subscripts(model.num_agents)
    rho = model.initial.reshape(model.num_states, *([1] * model.num_agents))
    total = 0.0
    for t in range(horizon):
        pis = [pol.probs[i][t] for i in range(model.num_agents)]
        if t == horizon - 2:
            nxt = [pol.probs[i][t + 1].reshape(pis[i].shape[0], m, q, m) for i, (m, q) in
                   enumerate(zip(model.num_actions, model.num_observations, strict=True))]
            total += gamma ** t * float(np.einsum(sub.reward(), rho, *pis, r_, optimize=True))
            total += gamma ** (t + 1) * float(np.einsum(sub.last_two(), rho, *pis, t_, o_, *nxt, r_,
                                                        optimize=True))
            return total
        total += gamma ** t * float(np.einsum(sub.reward(), rho, *pis, r_, optimize=True))
        if t + 1 < horizon:
            rho = _next_occupancy(model, rho, pis, sub, t_, o_)
    return total


def _next_occupancy(model: DecPOMDP, rho: np.ndarray, pis: list[np.ndarray], sub: _Subscripts,
                    t_: np.ndarray, o_: np.ndarray) -> np.ndarray:
    nxt = np.einsum(sub.step(), rho, *pis, t_, o_, optimize=True)
    return nxt.reshape(model.num_states, *(p.shape[0] * m * q for p, m, q in
                                           zip(pis, model.num_actions, model.num_observations,
                                               strict=True)))


def evaluate(model: DecPOMDP, policy: StochasticPolicy | DeterministicPolicy | CorrelatedPolicy,
             horizon: int | None = None, discount: float | None = None) -> float:
    """Exact value E[Σ_{t<H} γ^t R(s_t, a_t)] of a decentralized (possibly correlated) policy.

    ``horizon`` and ``discount`` resolve by the model's rule (:meth:`DecPOMDP.resolve_horizon`,
    :meth:`DecPOMDP.resolve_discount`): explicit, else the model's, else a typed error. The policy
    must have exactly H steps.
    """
    gamma = model.resolve_discount(discount)
    if isinstance(policy, CorrelatedPolicy):
        lengths = {p.horizon for p in policy.policies}
        if len(lengths) != 1:
            raise GameError(f"all seeds' policies must have the same horizon, got {sorted(lengths)}")
        return float(sum(w * evaluate(model, p, horizon, gamma)
                         for w, p in zip(policy.weights, policy.policies, strict=True) if w > 0))
    pol = _as_stochastic(model, policy)
    return _evaluate_product(model, pol, _check_horizon(model, pol, horizon), gamma)


def occupancies(model: DecPOMDP, policy: StochasticPolicy | DeterministicPolicy,
                horizon: int | None = None) -> list[np.ndarray]:
    """ρ_t(s, h_1, ..., h_N) for t = 0..H-1, each of shape (S, H_1(t), ..., H_N(t)) over AOHs.

    Every ρ_t sums to 1. Memory grows as S Π_i (|A_i||O_i|)^t: meant for small problems. H resolves
    by the model's rule; the policy needs at least H steps.
    """
    pol = _as_stochastic(model, policy)
    h = _check_horizon(model, pol, horizon, exact=False)
    t_, o_, _ = _split(model)
    sub = _Subscripts(model.num_agents)
    rho = model.initial.reshape(model.num_states, *([1] * model.num_agents))
    out = [rho]
    for t in range(h - 1):
        rho = _next_occupancy(model, rho, [pol.probs[i][t] for i in range(model.num_agents)], sub,
                              t_, o_)
        out.append(rho)
    return out


@dataclass(frozen=True)
class AgentOccupancy:
    """Agent i's view at step t: ρ_t(s, h^i) and the posterior ρ_t(s | h^i).

    Attributes:
        joint: (S, H_i) joint probability of state and own history.
        reach: (H_i,) probability of each own history.
        posterior: (S, H_i) ρ(s | h^i); columns of unreachable histories are 0.
    """

    joint: np.ndarray
    reach: np.ndarray
    posterior: np.ndarray


def agent_occupancies(model: DecPOMDP, policy: StochasticPolicy | DeterministicPolicy,
                      horizon: int | None = None) -> list[list[AgentOccupancy]]:
    """``[t][i]``: each agent's marginal occupancy and state posterior at each step."""
    out = []
    for rho in occupancies(model, policy, horizon):
        per_agent = []
        for i in range(model.num_agents):
            axes = tuple(1 + j for j in range(model.num_agents) if j != i)
            joint = rho.sum(axis=axes)
            reach = joint.sum(axis=0)
            post = np.divide(joint, reach, out=np.zeros_like(joint), where=reach > 0)
            per_agent.append(AgentOccupancy(joint, reach, post))
        out.append(per_agent)
    return out


def evaluate_joint(model: DecPOMDP, policy: np.ndarray, horizon: int | None = None,
                   discount: float | None = None) -> float:
    """Value of a joint fully observable policy.

    ``policy`` is ``(H, S, JA)`` (time-dependent: H must equal the resolved horizon) or ``(S, JA)``
    (stationary). A stationary policy on a model without a horizon and no ``horizon`` given is
    valued over an infinite horizon, which needs γ < 1 (a linear system); otherwise the horizon and
    discount resolve by the model's rule (explicit, else the model's, else a typed error).
    """
    pi = np.asarray(policy, dtype=float)
    s, ja = model.num_states, model.num_joint_actions
    if pi.shape[-2:] != (s, ja) or pi.ndim not in (2, 3):
        raise GameError(f"joint policy shape {pi.shape}; expected (H, {s}, {ja}) or ({s}, {ja})")
    if not np.all(np.isfinite(pi)) or np.abs(pi.sum(axis=-1) - 1).max() > 1e-9 or pi.min() < -1e-12:
        raise GameError("joint policy rows must be finite probability vectors")
    if pi.ndim == 2 and horizon is None and model.horizon is None:
        gamma = model.resolve_discount(discount, infinite=True)
        p = np.einsum("sa,sat->st", pi, model.transition)
        r = np.einsum("sa,sa->s", pi, model.reward)
        return float(model.initial @ np.linalg.solve(np.eye(s) - gamma * p, r))
    gamma = model.resolve_discount(discount)
    h = model.resolve_horizon(horizon)
    if pi.ndim == 3 and len(pi) != h:
        raise GameError(f"the joint policy has {len(pi)} steps but the horizon is {h}")
    steps = pi if pi.ndim == 3 else np.broadcast_to(pi, (h, s, ja))
    v = np.zeros(s)
    for t in reversed(range(h)):
        q = model.reward + gamma * model.transition @ v
        v = np.einsum("sa,sa->s", steps[t], q)
    return float(model.initial @ v)


def evaluate_reactive(model: DecPOMDP, policy: ReactivePolicy, discount: float | None = None) -> float:
    """Discounted infinite-horizon value of memoryless policies π^i(a | o) (linear system); the
    discount resolves by the model's rule and must be below 1."""
    gamma = model.resolve_discount(discount, infinite=True)
    n = model.num_agents
    policy.validate(model.num_actions, model.num_observations)
    joint_obs = np.ones(())
    for p in policy.probs:  # P(ja | jo) as (JO, JA), C order over agents for both
        joint_obs = np.multiply.outer(joint_obs, p)
    perm = [2 * i for i in range(n)] + [2 * i + 1 for i in range(n)]
    pa_o = np.transpose(joint_obs, perm).reshape(model.num_joint_observations, model.num_joint_actions)
    pa0 = np.ones(())
    for p in policy.initial:
        pa0 = np.multiply.outer(pa0, p)
    pa0 = pa0.ravel()
    s, jo = model.num_states, model.num_joint_observations
    # chain over (s, last jo): P[(s,o) -> (s',o')] = Σ_a π(a|o) T(s,a,s') O(a,s',o')
    to = model.transition[:, :, :, None] * model.observation[None, :, :, :]     # (S, JA, S', JO)
    p = np.einsum("oa,satq->sotq", pa_o, to).reshape(s * jo, s * jo)
    r = np.einsum("oa,sa->so", pa_o, model.reward).reshape(s * jo)
    v = np.linalg.solve(np.eye(s * jo) - gamma * p, r)
    first = np.einsum("a,sa->s", pa0, model.reward) + gamma * np.einsum(
        "a,satq,tq->s", pa0, to, v.reshape(s, jo))
    return float(model.initial @ first)


def mmdp_q_values(model: DecPOMDP, horizon: int | None = None,
                  discount: float | None = None) -> np.ndarray:
    """``Q[t, s, ja]`` of the fully observable MMDP (Bellman backward induction), t steps taken.

    max_ja Q[0] averaged under b0 is the MMDP optimum, an upper bound on every decentralized value.
    Horizon and discount resolve by the model's rule.
    """
    h = model.resolve_horizon(horizon)
    discount = model.resolve_discount(discount)
    check_table_size(h * model.num_states * model.num_joint_actions, f"Q-values over {h} stages")
    q = np.empty((h, model.num_states, model.num_joint_actions))
    v = np.zeros(model.num_states)
    for t in range(h - 1, -1, -1):
        q[t] = model.reward + discount * (model.transition @ v)
        v = q[t].max(axis=1)
    return q
