"""Shared pieces of the finite-horizon Dec-POMDP planners in :mod:`ce.planning`.

* :class:`PlanResult` — what every planner returns;
* argument checks (typed :class:`~games.errors.GameError` on bad input);
* :func:`evaluate_deterministic` — the exact value of deterministic decentralized policies by forward
  propagation of the occupancy over (state, joint observation history), batched over policies;
* :func:`solve_mmdp` / :func:`qmdp_values` — backward induction for the underlying fully observable
  multiagent MDP (Boutilier, TARK 1996), whose optimum upper-bounds every decentralized policy;

Horizons count decision steps; values are E[Σ_{t<H} γ^t R(s_t, a_t)].
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ce.planning.clustered import ClusteredPolicy
from games.dec_pomdp.evaluation import mmdp_q_values
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import DeterministicPolicy
from games.errors import GameError

__all__ = [
    "PlanResult",
    "evaluate_deterministic",
    "qmdp_values",
    "random_deterministic_policy",
    "solve_mmdp",
]


@dataclass(frozen=True, eq=False)
class PlanResult:
    """Outcome of a planner.

    Attributes:
        value: exact expected discounted return of ``policy`` from b0.
        policy: a :class:`~ce.planning.clustered.ClusteredPolicy` (GMAA*-ICE), a
            :class:`~games.dec_pomdp.policies.DeterministicPolicy` (JESP, brute force), or for
            :func:`solve_mmdp` an int array ``pi[t, s]`` of joint actions.
        method: name of the algorithm.
        horizon: number of decision steps.
        seconds: wall-clock time.
        optimal: ``True`` when ``value`` is proven optimal for the planner's problem class
            (``False`` e.g. for JESP, or when a time limit stopped an exact search).
        upper_bound: a proven upper bound on the optimum (``value`` when optimal; ``nan`` if none).
        stats: counters (nodes expanded, clusters, ``gap`` = upper_bound - value, ...).
    """

    value: float
    policy: ClusteredPolicy | DeterministicPolicy | np.ndarray
    method: str
    horizon: int
    seconds: float
    optimal: bool = True
    upper_bound: float = math.nan
    stats: Mapping[str, object] = field(default_factory=dict)


# ----------------------------------------------------------------------------- checks
def check_model(model: object) -> DecPOMDP:
    if not isinstance(model, DecPOMDP):
        raise GameError(f"expected a DecPOMDP, got {type(model).__name__}")
    return model


def check_horizon(horizon: object) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or int(horizon) < 1:
        raise GameError(f"horizon must be an integer >= 1 (decision steps), got {horizon!r}")
    return int(horizon)


def obs_parts(model: DecPOMDP) -> tuple[np.ndarray, ...]:
    """``parts[i][jo]``: agent i's observation in joint observation jo."""
    return tuple(np.asarray(v, dtype=np.int64)
                 for v in np.unravel_index(np.arange(model.num_joint_observations), model.num_observations))


def action_strides(model: DecPOMDP) -> np.ndarray:
    """``ja = Σ_i a_i * strides[i]`` (MADP order, last agent fastest)."""
    sizes = model.num_actions
    return np.array([int(np.prod(sizes[i + 1:])) for i in range(len(sizes))], dtype=np.int64)


def random_deterministic_policy(model: DecPOMDP, horizon: int,
                                rng: np.random.Generator) -> DeterministicPolicy:
    """A uniformly random deterministic policy (each history's action drawn independently)."""
    horizon = check_horizon(horizon)
    return DeterministicPolicy(tuple(
        tuple(rng.integers(0, m, size=q ** t) for t in range(horizon))
        for m, q in zip(model.num_actions, model.num_observations, strict=True)))


def policy_size(model: DecPOMDP, horizon: int) -> list[int]:
    """Number of observation histories of each agent over all stages, Σ_t |O_i|^t."""
    return [sum(q ** t for t in range(horizon)) for q in model.num_observations]


# ----------------------------------------------------------------------------- evaluation
def _evaluate_batch(model: DecPOMDP, actions: Sequence[Sequence[np.ndarray]], horizon: int,
                    discount: float) -> np.ndarray:
    """Values of B deterministic policies: ``actions[i][t]`` has shape (B, |O_i|^t).

    Rows are (policy b, joint observation history) pairs with positive probability; each row keeps
    every agent's individual history index and the unnormalised state distribution.
    """
    n = model.num_agents
    batch = actions[0][0].shape[0]
    parts = obs_parts(model)
    strides = action_strides(model)
    nobs = model.num_observations
    jo_n = model.num_joint_observations
    rows_b = np.arange(batch)
    hist = [np.zeros(batch, dtype=np.int64) for _ in range(n)]
    occ = np.tile(model.initial, (batch, 1))
    values = np.zeros(batch)
    t_mat, o_mat, r_mat = model.transition, model.observation, model.reward
    for t in range(horizon):
        ja = np.zeros(rows_b.size, dtype=np.int64)
        for i in range(n):
            ja += actions[i][t][rows_b, hist[i]] * strides[i]
        r = np.einsum("ks,ks->k", occ, r_mat[:, ja].T)
        values += discount ** t * np.bincount(rows_b, weights=r, minlength=batch)
        if t == horizon - 1:
            break
        nxt = np.empty((rows_b.size, model.num_states))
        for a in np.unique(ja):
            sel = ja == a
            nxt[sel] = occ[sel] @ t_mat[:, a, :]
        y = nxt[:, :, None] * o_mat[ja]                          # (rows, S', JO)
        y = y.transpose(0, 2, 1).reshape(-1, model.num_states)   # row-major: (row, jo)
        keep = y.sum(axis=1) > 0
        occ = y[keep]
        rows_b = np.repeat(rows_b, jo_n)[keep]
        hist = [(np.repeat(hist[i], jo_n) * nobs[i] + np.tile(parts[i], hist[i].size))[keep]
                for i in range(n)]
    return values


def evaluate_deterministic(model: DecPOMDP, policy: DeterministicPolicy,
                           discount: float | None = None) -> float:
    """Exact E[Σ_{t<H} γ^t R] of a deterministic decentralized policy, H = ``policy.horizon``.

    Forward propagation of the joint occupancy P(s, joint observation history) (vectorised over
    histories, zero-probability histories dropped).
    """
    model = check_model(model)
    discount = model.resolve_discount(discount)
    if not isinstance(policy, DeterministicPolicy):
        raise GameError(f"expected a DeterministicPolicy, got {type(policy).__name__}")
    policy.validate(model.num_actions, model.num_observations)
    horizon = check_horizon(policy.horizon)
    acts = [[a[None, :] for a in agent] for agent in policy.actions]
    return float(_evaluate_batch(model, acts, horizon, discount)[0])


# ----------------------------------------------------------------------------- MMDP
def qmdp_values(model: DecPOMDP, horizon: int | None = None, discount: float | None = None) -> np.ndarray:
    """``Q[t, s, ja]`` of the fully observable MMDP with t decision steps already taken."""
    return mmdp_q_values(model, horizon, discount)


def solve_mmdp(model: DecPOMDP, horizon: int | None = None, discount: float | None = None) -> PlanResult:
    """Optimal value and joint policy ``pi[t, s]`` of the underlying MMDP (states fully observed).

    Backward induction; the value upper-bounds the value of every decentralized policy.
    """
    start = time.perf_counter()
    model = check_model(model)
    horizon = model.resolve_horizon(horizon)
    discount = model.resolve_discount(discount)
    q = qmdp_values(model, horizon, discount)
    pi = q.argmax(axis=2)
    value = float(model.initial @ q[0].max(axis=1))
    return PlanResult(value=value, policy=pi, method="mmdp-backward-induction", horizon=horizon,
                      seconds=time.perf_counter() - start, optimal=True, upper_bound=value,
                      stats={"states": model.num_states, "joint_actions": model.num_joint_actions})
