"""Exact best responses and ε-NE / ε-CCE / ε-CE gaps of decentralized Dec-POMDP policies.

Agent i best-responds to the other agents' fixed policies by dynamic programming over its own
information sets I (its action-observation history and, for strategy modifications, the actions it
was recommended), with an unnormalised belief W_t(I, ω, s, h_-i) over the shared seed ω of a
correlated policy, the state and the others' histories:

    W_{t+1}(I a o [r'], ω, s', h_-i a_-i o_-i)
        = Σ_s W_t(I, ω, s, h_-i) Π_{j≠i} π^j_ω(a_j | h_j) T(s, a, s') O(a, s', o) [π^i_ω(r' | h_i')]

    V_t(I) = max_a  γ^t Σ_{ω,s,h_-i,a_-i} W_t(I, ·) Π_j π^j_ω(a_j|h_j) R(s, a, a_-i)
                    + Σ_{o[, r']} V_{t+1}(I a o [r'])

and the best-response value is Σ_{I_0} V_0(I_0). Without recommendations this is the best
deviation to *any* policy of agent i (CCE deviations; for a product policy, NE deviations). With
recommendations — agent i sees the action its own π^i_ω proposes before acting and may replace it
(strategy modifications, Def. 3 of the AgentMixer paper) — it gives the CE gap. For a product policy
(one seed) a recommendation carries no information about the others, so the CE and NE gaps agree.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np

from games.dec_pomdp.evaluation import evaluate
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import CorrelatedPolicy, DeterministicPolicy, StochasticPolicy
from games.errors import GameError

__all__ = [
    "BestResponse",
    "DecGapReport",
    "best_response",
    "dec_best_response",
    "dec_cce_gap",
    "dec_ce_gap",
    "dec_gaps",
    "dec_nash_gap",
    "dec_ne_gap",
]

Policy = StochasticPolicy | DeterministicPolicy | CorrelatedPolicy


@dataclass(frozen=True)
class BestResponse:
    """Agent ``agent``'s best response.

    Attributes:
        value: the deviator's expected return (the team reward, since rewards are shared).
        actions: per step t, the chosen action at every information set, shape ``(|I_t|,)``.
        with_recommendations: whether information sets include the recommended actions; then
            I_t enumerates (r_0, a_0, o_1, r_1, ..., a_{t-1}, o_t, r_t) in C order, else the
            agent's action-observation histories (see games.dec_pomdp.policies).
    """

    agent: int
    value: float
    actions: tuple[np.ndarray, ...]
    with_recommendations: bool


@dataclass(frozen=True)
class DecGapReport:
    """Per-agent best-response values and regrets of a decentralized policy.

    The field names are those of :class:`ce.gaps.GapReport` (the normal-form report).

    Attributes:
        concept: ``"ne"``, ``"cce"`` or ``"ce"``.
        epsilon: max(0, max_i regrets[i]).
        regrets: ``(N,)`` deviation_values - values.
        values: ``(N,)`` each agent's value of the policy (the team value V(π), rewards are shared).
        deviation_values: ``(N,)`` each agent's best-response value.
        best_deviations: each agent's :class:`BestResponse`.
    """

    concept: str
    epsilon: float
    regrets: np.ndarray
    values: np.ndarray
    deviation_values: np.ndarray
    best_deviations: tuple[BestResponse, ...]

    @property
    def value(self) -> float:
        """The team value V(π)."""
        return float(self.values[0])

    @property
    def best_response_values(self) -> np.ndarray:
        """Former name of :attr:`deviation_values`."""
        return self.deviation_values

    @property
    def best_responses(self) -> tuple[BestResponse, ...]:
        """Former name of :attr:`best_deviations`."""
        return self.best_deviations


def _seeds(model: DecPOMDP, policy: Policy) -> tuple[np.ndarray, list[StochasticPolicy]]:
    if isinstance(policy, CorrelatedPolicy):
        pols, weights = list(policy.policies), policy.weights
    else:
        pols, weights = [policy], np.ones(1)
    out = []
    for p in pols:
        if isinstance(p, DeterministicPolicy):
            p = p.to_stochastic(model.num_actions, model.num_observations)
        p.validate(model.num_actions, model.num_observations)
        out.append(p)
    if len({p.horizon for p in out}) != 1:
        raise GameError("all seeds' policies must have the same horizon")
    return weights, out


def dec_best_response(model: DecPOMDP, policy: Policy, agent: int, *, horizon: int | None = None,
                      discount: float | None = None, recommendations: bool = False) -> BestResponse:
    """Exact best response of ``agent`` to the others' parts of a (stochastic, possibly
    correlated) ``policy``, over all of the agent's history-dependent policies (see module doc).

    Not to be confused with :func:`ce.planning.jesp.best_response`, JESP's best response among
    deterministic policies to the others' deterministic action tables."""
    n = model.num_agents
    if not 0 <= agent < n:
        raise GameError(f"agent {agent} out of range 0..{n - 1}")
    weights, pols = _seeds(model, policy)
    h = model.resolve_horizon(horizon)
    if pols[0].horizon != h:
        raise GameError(f"the policy has {pols[0].horizon} steps but the horizon is {h}")
    gamma = model.resolve_discount(discount)
    others = [j for j in range(n) if j != agent]
    m_i, q_i = model.num_actions[agent], model.num_observations[agent]
    s_n = model.num_states
    letters = [c for c in string.ascii_letters if c not in "IwstabocrR"]
    hl, al, ol = letters[:n], letters[n:2 * n], letters[2 * n:3 * n]
    t_ = model.transition.reshape(s_n, *model.num_actions, s_n)
    o_ = model.observation.reshape(*model.num_actions, s_n, *model.num_observations)
    r_ = model.reward.reshape(s_n, *model.num_actions)
    tr_sub = "s" + "".join(al) + "t"
    ob_sub = "".join(al) + "t" + "".join(ol)
    w_sub = "Iws" + "".join(hl[j] for j in others)
    pi_subs = [f"w{hl[j]}{al[j]}" for j in others]
    imm_sub = f"{w_sub},{','.join(pi_subs)},s{''.join(al)}->I{al[agent]}" if others else \
        f"{w_sub},s{''.join(al)}->I{al[agent]}"
    nxt_out = f"I{al[agent]}{ol[agent]}wt" + "".join(hl[j] + al[j] + ol[j] for j in others)
    step_sub = ",".join([w_sub, *pi_subs, tr_sub, ob_sub]) + "->" + nxt_out

    def stacked(j: int, t: int) -> np.ndarray:  # (Ω, H_j, A_j)
        return np.stack([p.probs[j][t] for p in pols])

    own = [np.stack([p.probs[agent][t] for p in pols]) for t in range(h)]  # (Ω, H_i, A_i)
    w = (weights[:, None] * model.initial[None, :]).reshape(1, len(pols), s_n, *([1] * len(others)))
    aoh = np.zeros(1, dtype=np.int64)   # agent i's AOH index of each information set
    if recommendations:
        w = w[0][None] * own[0][:, 0, :].T.reshape(m_i, len(pols), 1, *([1] * len(others)))
        aoh = np.zeros(m_i, dtype=np.int64)
    imm: list[np.ndarray] = []
    for t in range(h):
        pis = [stacked(j, t) for j in others]
        imm.append(gamma ** t * np.einsum(imm_sub, w, *pis, r_, optimize=True))
        if t + 1 == h:
            break
        nxt = np.einsum(step_sub, w, *pis, t_, o_, optimize=True)
        n_info = nxt.shape[0] * m_i * q_i
        other_sizes = [nxt.shape[5 + 3 * k] * nxt.shape[6 + 3 * k] * nxt.shape[7 + 3 * k]
                       for k in range(len(others))]
        w = nxt.reshape(n_info, len(pols), s_n, *other_sizes)
        aoh = ((aoh[:, None] * m_i + np.arange(m_i)[None, :])[:, :, None] * q_i
               + np.arange(q_i)[None, None, :]).reshape(-1)
        if recommendations:
            rec = own[t + 1][:, aoh, :]                       # (Ω, I', A_i)
            w = w[:, None] * np.transpose(rec, (1, 2, 0)).reshape(
                n_info, m_i, len(pols), 1, *([1] * len(others)))
            w = w.reshape(n_info * m_i, len(pols), s_n, *other_sizes)
            aoh = np.repeat(aoh, m_i)
    values = np.zeros(imm[-1].shape[0])
    acts: list[np.ndarray] = []
    for t in reversed(range(h)):
        q = imm[t].copy()
        if t + 1 < h:
            q += values.reshape(q.shape[0], m_i, -1).sum(axis=2)
        acts.append(np.argmax(q, axis=1))
        values = q.max(axis=1)
    return BestResponse(agent, float(values.sum()), tuple(reversed(acts)), recommendations)


def _report(model: DecPOMDP, policy: Policy, concept: str, recommendations: bool,
            horizon: int | None, discount: float | None) -> DecGapReport:
    value = evaluate(model, policy, horizon, discount)
    brs = tuple(dec_best_response(model, policy, i, horizon=horizon, discount=discount,
                                  recommendations=recommendations) for i in range(model.num_agents))
    br_values = np.array([b.value for b in brs])
    values = np.full(model.num_agents, value)
    regrets = br_values - values
    return DecGapReport(concept, float(max(0.0, regrets.max())), regrets, values, br_values, brs)


def dec_ne_gap(model: DecPOMDP, policy: StochasticPolicy | DeterministicPolicy, *,
               horizon: int | None = None, discount: float | None = None) -> DecGapReport:
    """Def. 1 for Dec-POMDPs: max_i (best-response value of agent i) - V(π), for a product π."""
    if isinstance(policy, CorrelatedPolicy):
        raise GameError("the NE gap is defined for product policies; use dec_ce_gap/dec_cce_gap")
    return _report(model, policy, "ne", False, horizon, discount)


def dec_cce_gap(model: DecPOMDP, policy: Policy, *, horizon: int | None = None,
                discount: float | None = None) -> DecGapReport:
    """Def. 2: deviations to any policy of agent i that ignores the recommendations."""
    return _report(model, policy, "cce", False, horizon, discount)


def dec_ce_gap(model: DecPOMDP, policy: Policy, *, horizon: int | None = None,
               discount: float | None = None) -> DecGapReport:
    """Def. 3: deviations that see the recommended action first (strategy modifications)."""
    return _report(model, policy, "ce", True, horizon, discount)


best_response = dec_best_response
"""Former name of :func:`dec_best_response`."""
dec_nash_gap = dec_ne_gap
"""Former name of :func:`dec_ne_gap` (the normal-form counterpart is :func:`ce.gaps.ne_gap`)."""


def dec_gaps(model: DecPOMDP, policy: Policy, *, horizon: int | None = None,
             discount: float | None = None) -> dict[str, DecGapReport]:
    """Every gap that applies to ``policy``: ``"ce"`` always, ``"ne"`` for a product policy (a
    correlated policy is no Nash candidate), keyed by concept."""
    reports = {"ce": dec_ce_gap(model, policy, horizon=horizon, discount=discount)}
    if not isinstance(policy, CorrelatedPolicy):
        reports["ne"] = dec_ne_gap(model, policy, horizon=horizon, discount=discount)
    return reports
