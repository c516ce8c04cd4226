"""JESP and brute force for finite-horizon Dec-POMDPs (see :mod:`ce.planning`).

* :func:`solve_jesp` — Joint Equilibrium-based Search for Policies (Nair, Tambe, Yokoo, Pynadath &
  Marsella, "Taming decentralized POMDPs: towards efficient policy computation for multiagent
  settings", IJCAI 2003): each agent in turn plays an exact best response to the others' fixed
  deterministic policies — dynamic programming over its own action-observation histories with the
  occupancy over (state, others' observation histories) — until no agent improves. Fixed points are
  Nash equilibria in deterministic policies, not necessarily optimal.
* :func:`solve_brute_force` — enumerate and evaluate every deterministic joint policy (tiny models).
"""

from __future__ import annotations

import itertools
import math
import time

import numpy as np

from ce.planning.common import (
    PlanResult,
    _evaluate_batch,
    action_strides,
    check_model,
    evaluate_deterministic,
    policy_size,
    random_deterministic_policy,
)
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import DeterministicPolicy
from games.errors import ConfigError, GameError

__all__ = ["MAX_BRUTE_FORCE", "MAX_HISTORIES", "jesp_best_response", "jesp_work", "solve_brute_force",
           "solve_jesp"]

MAX_BRUTE_FORCE = 1_000_000
""":func:`solve_brute_force` refuses models with more deterministic joint policies than this."""

MAX_HISTORIES = 10**7
""":func:`solve_jesp` tabulates each agent's action per observation history; it refuses a horizon
at which an agent has more histories than this (GMAA*-ICE clusters them instead)."""


def jesp_work(model: DecPOMDP, horizon: int) -> int:
    """Largest array one best-response step allocates (elements), to decide whether JESP is cheap."""
    n, s = model.num_agents, model.num_states
    worst = 0
    for i in range(n):
        a, q = model.num_actions[i], model.num_observations[i]
        om = model.num_joint_observations // q
        for t in range(horizon - 1):
            worst = max(worst, (a * q) ** t * a * om ** t * s * q * om)
    return worst


def jesp_best_response(model: DecPOMDP, actions: list[list[np.ndarray]], agent: int, horizon: int,
                  discount: float) -> tuple[float, list[np.ndarray]]:
    """Exact best response of ``agent`` to the others' deterministic policies.

    Forward: occupancy over (agent's action-observation history n, state, others' joint observation
    history) for every n; backward: V_t(n) = max_a [γ^t r_t(n, a) + Σ_o V_{t+1}(n a o)].
    Returns the joint value after the switch and the agent's new ``actions[agent]``.
    """
    n_ag, s = model.num_agents, model.num_states
    others = [j for j in range(n_ag) if j != agent]
    nobs = model.num_observations
    a_i, o_i = model.num_actions[agent], nobs[agent]
    o_sizes = [nobs[j] for j in others]
    om = int(np.prod(o_sizes)) if others else 1
    parts = [np.asarray(v) for v in np.unravel_index(np.arange(om), o_sizes)] if others else []
    obs = np.moveaxis(model.observation.reshape(model.num_joint_actions, s, *nobs), 2 + agent, 2)
    obs = obs.reshape(model.num_joint_actions, s, o_i, om)
    strides = action_strides(model)
    occ = model.initial.reshape(1, s, 1).copy()
    hist = [np.zeros(1, dtype=np.int64) for _ in others]
    rewards: list[np.ndarray] = []
    for t in range(horizon):
        base = np.zeros(occ.shape[2], dtype=np.int64)
        for k, j in enumerate(others):
            base += actions[j][t][hist[k]] * strides[j]
        r_t = np.empty((occ.shape[0], a_i))
        nexts = []
        for a in range(a_i):
            ja = base + a * strides[agent]
            r_t[:, a] = np.einsum("nsh,sh->n", occ, model.reward[:, ja])
            if t < horizon - 1:
                x = np.einsum("nsh,sht->nht", occ, model.transition[:, ja, :])
                nexts.append(x[:, :, :, None, None] * obs[ja][None])   # (Nn, Hm, S', O_i, Om)
        rewards.append(r_t)
        if t < horizon - 1:
            y = np.stack(nexts, axis=1)                                   # (Nn, A, Hm, S', O_i, Om)
            y = y.transpose(0, 1, 4, 3, 2, 5)                             # (Nn, A, O_i, S', Hm, Om)
            occ = y.reshape(-1, s, y.shape[4] * om)
            hist = [(h[:, None] * nobs[j] + parts[k][None, :]).ravel()
                    for k, (h, j) in enumerate(zip(hist, others, strict=True))]
    best: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * horizon
    v_next = None
    for t in range(horizon - 1, -1, -1):
        q = discount ** t * rewards[t]
        if v_next is not None:
            q = q + v_next.reshape(q.shape[0], a_i, o_i).sum(axis=2)
        best[t] = q.argmax(axis=1)
        v_next = q.max(axis=1)
    assert v_next is not None
    new: list[np.ndarray] = []
    node = np.zeros(1, dtype=np.int64)
    for t in range(horizon):
        act = best[t][node]
        new.append(act.astype(np.int64))
        node = ((node * a_i + act)[:, None] * o_i + np.arange(o_i)[None, :]).ravel()
    return float(v_next[0]), new


def solve_jesp(model: DecPOMDP, horizon: int | None = None, discount: float | None = None, *,
               seed: int = 0, restarts: int = 1, init: DeterministicPolicy | None = None) -> PlanResult:
    """JESP (Nair et al. IJCAI 2003): alternating exact best responses until no agent improves.

    Restart 0 starts from ``init`` if given, every other restart from a uniformly random
    deterministic policy (``numpy.random.default_rng(seed)``). Returns the best fixed point found,
    a Nash equilibrium in deterministic policies (``optimal=False``: it need not be optimal).
    """
    start = time.perf_counter()
    model = check_model(model)
    horizon = model.resolve_horizon(horizon)
    discount = model.resolve_discount(discount)
    most = max(policy_size(model, horizon))
    if most > MAX_HISTORIES:
        raise ConfigError(f"JESP tabulates an action per observation history: an agent has {most:.3g} at "
                          f"horizon {horizon}, more than {MAX_HISTORIES:.0e}; the exact method "
                          f"(GMAA*-ICE) clusters histories instead")
    if isinstance(restarts, bool) or not isinstance(restarts, int) or restarts < 1:
        raise GameError(f"restarts must be an integer >= 1, got {restarts!r}")
    if init is not None:
        if not isinstance(init, DeterministicPolicy):
            raise GameError(f"init must be a DeterministicPolicy, got {type(init).__name__}")
        init.validate(model.num_actions, model.num_observations)
        if init.horizon != horizon:
            raise GameError(f"init has horizon {init.horizon}, expected {horizon}")
    rng = np.random.default_rng(seed)
    best_val, best_pol, rounds = -np.inf, None, 0
    for r in range(restarts):
        pol = init if (r == 0 and init is not None) else random_deterministic_policy(model, horizon, rng)
        acts = [list(agent) for agent in pol.actions]
        val = evaluate_deterministic(model, pol, discount)
        improved = True
        while improved:
            improved = False
            rounds += 1
            for i in range(model.num_agents):
                v, new = jesp_best_response(model, acts, i, horizon, discount)
                if v > val + 1e-9 * max(1.0, abs(val)):
                    acts[i], val, improved = new, v, True
        if val > best_val:
            best_val, best_pol = val, DeterministicPolicy(tuple(tuple(a) for a in acts))
    assert best_pol is not None
    value = evaluate_deterministic(model, best_pol, discount)
    return PlanResult(value=value, policy=best_pol, method="jesp", horizon=horizon,
                      seconds=time.perf_counter() - start, optimal=False,
                      stats={"restarts": restarts, "rounds": rounds})


def solve_brute_force(model: DecPOMDP, horizon: int | None = None,
                      discount: float | None = None) -> PlanResult:
    """Optimal deterministic policy by evaluating every deterministic joint policy.

    Raises :class:`~games.errors.GameError` if there are more than :data:`MAX_BRUTE_FORCE`.
    """
    start = time.perf_counter()
    model = check_model(model)
    horizon = model.resolve_horizon(horizon)
    discount = model.resolve_discount(discount)
    sizes = policy_size(model, horizon)
    counts = [m ** k for m, k in zip(model.num_actions, sizes, strict=True)]
    approx = math.prod(float(c) for c in counts)
    if approx > MAX_BRUTE_FORCE:
        raise GameError(f"brute force over {approx:.3g} deterministic joint policies refused "
                        f"(limit {MAX_BRUTE_FORCE})")
    total = math.prod(counts)
    per_agent = [np.array(list(itertools.product(range(m), repeat=k)), dtype=np.int64).reshape(-1, k)
                 for m, k in zip(model.num_actions, sizes, strict=True)]
    offs = [[sum(q ** u for u in range(t)) for t in range(horizon + 1)] for q in model.num_observations]
    best_val, best_idx = -np.inf, None
    it = itertools.product(*[range(p.shape[0]) for p in per_agent])
    chunk = 4096
    while True:
        block = list(itertools.islice(it, chunk))
        if not block:
            break
        idx = np.array(block, dtype=np.int64)
        acts = [[per_agent[i][idx[:, i], offs[i][t]:offs[i][t + 1]] for t in range(horizon)]
                for i in range(model.num_agents)]
        vals = _evaluate_batch(model, acts, horizon, discount)
        j = int(np.argmax(vals))
        if vals[j] > best_val:
            best_val, best_idx = float(vals[j]), idx[j]
    assert best_idx is not None
    pol = DeterministicPolicy(tuple(
        tuple(per_agent[i][best_idx[i], offs[i][t]:offs[i][t + 1]] for t in range(horizon))
        for i in range(model.num_agents)))
    return PlanResult(value=best_val, policy=pol, method="brute-force", horizon=horizon,
                      seconds=time.perf_counter() - start, optimal=True, upper_bound=best_val,
                      stats={"joint_policies": total})
