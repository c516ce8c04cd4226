"""AgentMixer Theorem 1 (asymmetric distillation) and the equations it rests on (Eqs. 6-9).

Computed exactly (no sampling) with :func:`learners.exact.distillation` (Eqs. 8-9: η_{k+1} is the
implicit product policy of π_θ under η_k's own occupancy, from the uniform η_0),
:func:`learners.exact.identifiability` (Def. 5) and :func:`learners.exact.implicit.reactive_distillation`
(Eq. 8 with stationary policies), against the exact optima of :mod:`ce.planning`.

Verdicts:

* ``thm1/identifiable``: distilling the optimal joint policy recovers the decentralized optimum on
  identifiable instances — ``bridge_crossing_observed`` (full observation), ``climbing`` (one state)
  and ``private_signals`` (a genuinely hidden state: each agent sees only its own bit, nobody the
  nuisance z, yet the optimal joint action factorises over what each agent sees). The joint policy
  is the deterministic MMDP optimum (a tie resolved by the first index: a uniform tie would be a
  correlated lottery no product reproduces).
* ``motivation/asymmetric_failure``: where identifiability fails (bridge crossing, each agent sees
  its own physique), distillation settles strictly below the decentralized optimum.
* ``eq6/fixed_point``: the β-mixture distillation of Eq. 6 is solved by the implicit product policy
  (Eq. 7) evaluated under its own, policy-dependent, mixture occupancy. Checked by minimising the
  Eq. 6 objective L(η) = E_{ρ^{β π_θ + (1-β) π_η}} KL(π_θ || π_η) directly (L-BFGS from the fixed
  point) on ``bridge_crossing`` (actions do not move the state: the occupancy ignores η) and
  ``fork`` (agent 0 chooses between an identifiable branch and one with a correlated tie).
* ``eq8/stationary``: iterating Eq. 8 with π_ψ = π_η converges for stationary (memoryless) policies
  on discounted problems. Checked on ``swing`` (blind agents, an alternating expert) and on seeded
  random discounted Dec-POMDPs.

Soundness checks: no distilled policy beats V*_dec and V*_dec ≤ V*_MMDP on every instance; with
time-indexed policies Eq. 8 reaches its fixed point within H iterations (step t's occupancy depends
only on steps < t); the Eq. 6 fixed points found satisfy Eq. 7 to 1e-12.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.optimize import minimize

from ce.planning import solve_mmdp, solve_optimal
from games.dec_pomdp.catalog import (
    bridge_crossing,
    bridge_crossing_observed,
    dec_tiger,
    random_dpomdp,
)
from games.dec_pomdp.claim_instances import fork, private_signals, swing
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import StochasticPolicy
from games.normal_form.catalog import climbing
from learners.exact import distillation, uniform_optimal_joint_policy
from learners.exact.gradients import softmax
from learners.exact.implicit import (
    Mixture,
    behaviour_occupancies,
    implicit_product_policy,
    reactive_distillation,
)
from verification.result import Check, ClaimResult, ClaimRule, Rule, Verdict

__all__ = ["CHECKS", "CLAIMS", "IDENTIFIABLE_TOL", "eq6_objective", "judge", "measure", "run"]

IDENTIFIABLE_TOL = 1e-6
"""|V(distilled) − V*| allowed on identifiable instances."""
KL_ZERO = 1e-9
"""Identifiability KL counted as 0."""
ITERATIONS = 5
"""Distillation iterations (the horizon-2 instances reach their fixed point within two)."""
BETA = 0.5
"""The mixture weight of the Eq. 6 check."""
EQ6_TOL = 1e-6
STATIONARY_ITERATIONS = 300
STATIONARY_SEEDS = 20


def _deterministic_optimum(model: DecPOMDP, horizon: int) -> tuple[np.ndarray, float]:
    plan = solve_mmdp(model, horizon)
    return np.eye(model.num_joint_actions)[np.asarray(plan.policy)], float(plan.value)


def measure_identifiable(model: DecPOMDP, horizon: int) -> dict[str, float]:
    pi, mmdp_value = _deterministic_optimum(model, horizon)
    res = distillation(model, pi, ITERATIONS, horizon=horizon)
    optimum = float(solve_optimal(model, horizon).value)
    value, kl = float(res.values[-1]), float(res.identifiability[-1])
    return {"distilled_value": value, "dec_optimum": optimum, "mmdp_value": mmdp_value,
            "abs_gap": abs(value - optimum), "identifiability_kl": kl}


def measure_failure() -> dict[str, float]:
    model = bridge_crossing()
    res = distillation(model, uniform_optimal_joint_policy(model, 2), ITERATIONS)
    return {"distilled_value": float(res.values[-1]), "dec_optimum": float(solve_optimal(model, 2).value),
            "mmdp_value": float(solve_mmdp(model, 2).value),
            "identifiability_kl": float(res.identifiability[-1]),
            "last_change": float(res.change[-1])}


def measure_finite_horizon() -> dict[str, float]:
    """Eq. 8 with time-indexed policies: the largest change after H iterations, over instances."""
    worst, runs = 0.0, 0
    for model, h in ((bridge_crossing(), 2), (dec_tiger(horizon=3), 3), (fork(), 2)):
        res = distillation(model, uniform_optimal_joint_policy(model, h), h + 3, horizon=h)
        worst = max(worst, max(res.change[h:]))
        runs += 1
    return {"instances": runs, "max_change_after_H": worst}


def eq6_objective(model: DecPOMDP, pi: np.ndarray, beta: float, eta: StochasticPolicy, horizon: int) -> float:
    """L(η) = Σ_t E_{(s,h) ~ ρ^{β π_θ + (1-β) π_η}_t} KL(π_θ,t(· | s) || Π_i η^i_t(· | h_i)) (Eq. 6),
    the occupancy being that of the mixture with η itself."""
    n = model.num_agents
    rhos = behaviour_occupancies(model, pi, Mixture(beta, eta), horizon)
    total = 0.0
    for t, rho in enumerate(rhos):
        p = pi[t].reshape(model.num_states, *model.num_actions)
        log_q = np.zeros(rho.shape[1:] + model.num_actions)
        for i in range(n):
            shape = [1] * (2 * n)
            shape[i], shape[n + i] = eta.probs[i][t].shape
            log_q = log_q + np.log(np.maximum(eta.probs[i][t], 1e-300)).reshape(shape)
        with np.errstate(divide="ignore"):
            log_p = np.where(p > 0, np.log(np.where(p > 0, p, 1.0)), 0.0)
        p_b = p.reshape(p.shape[0], *([1] * n), *p.shape[1:])
        kl = (p_b * (log_p.reshape(p_b.shape) - log_q[None])).sum(axis=tuple(range(1 + n, 1 + 2 * n)))
        total += float((rho * kl).sum())
    return total


def measure_eq6(model: DecPOMDP, horizon: int, beta: float = BETA) -> dict[str, float]:
    """The Eq. 7 fixed point under the β-mixture occupancy, and the Eq. 6 objective's minimum near it."""
    pi = uniform_optimal_joint_policy(model, horizon)
    eta = StochasticPolicy.uniform(model.num_actions, model.num_observations, horizon)
    for _ in range(50):
        new = implicit_product_policy(model, pi, Mixture(beta, eta), horizon)
        change = max(float(np.abs(a - b).max()) for pa, pb in zip(new.probs, eta.probs, strict=True)
                     for a, b in zip(pa, pb, strict=True))
        eta = new
        if change <= 1e-14:
            break
    again = implicit_product_policy(model, pi, Mixture(beta, eta), horizon)
    residual = max(float(np.abs(a - b).max()) for pa, pb in zip(again.probs, eta.probs, strict=True)
                   for a, b in zip(pa, pb, strict=True))
    shapes = [[p.shape for p in agent] for agent in eta.probs]

    def unpack(x: np.ndarray) -> StochasticPolicy:
        out, k = [], 0
        for agent in shapes:
            steps = []
            for sh in agent:
                steps.append(softmax(x[k:k + sh[0] * sh[1]].reshape(sh)))
                k += sh[0] * sh[1]
            out.append(tuple(steps))
        return StochasticPolicy(tuple(out))

    x0 = np.concatenate([np.log(np.maximum(p, 1e-12)).ravel() for agent in eta.probs for p in agent])
    at_fixed_point = eq6_objective(model, pi, beta, eta, horizon)
    res = minimize(lambda x: eq6_objective(model, pi, beta, unpack(x), horizon), x0, method="L-BFGS-B")
    best = min(float(res.fun), at_fixed_point)
    better = unpack(res.x)
    return {"beta": beta, "fixed_point_residual": residual, "objective_at_fixed_point": at_fixed_point,
            "objective_minimum": best, "gap": at_fixed_point - best,
            "agent0_first_action_fixed_point": float(eta.probs[0][0][0, 0]),
            "agent0_first_action_minimiser": float(better.probs[0][0][0, 0])}


def measure_stationary() -> dict[str, float]:
    """Eq. 8 with stationary policies: the swing counterexample and seeded random instances."""
    model = swing()
    pi = uniform_optimal_joint_policy(model, 300, model.discount)[0]
    res = reactive_distillation(model, pi, STATIONARY_ITERATIONS)
    last, before = res.policies[-1], res.policies[-3]
    period2 = max(float(np.abs(a - b).max()) for a, b in zip(last.probs, before.probs, strict=True))
    converged, slowest = 0, 0
    for seed in range(STATIONARY_SEEDS):
        rnd = dataclasses.replace(random_dpomdp(states=3, seed=seed), discount=0.9)
        r = reactive_distillation(rnd, uniform_optimal_joint_policy(rnd, 300, 0.9)[0], STATIONARY_ITERATIONS)
        converged += int(r.change[-1] <= 1e-12)
        slowest = max(slowest, len(r.change))
    return {"swing_last_change": res.change[-1], "swing_period2_mismatch": period2,
            "swing_p_action1": float(last.probs[0][0, 1]),
            "swing_p_action1_before": float(res.policies[-2].probs[0][0, 1]), "iterations": len(res.change),
            "random_instances": STATIONARY_SEEDS, "random_converged": converged,
            "random_most_iterations": slowest}


CHECKS: dict[str, Rule] = {
    "optimum_bounds": Rule(
        "V(distilled) <= V*_dec + 1e-9 and V*_dec <= V*_MMDP + 1e-9",
        lambda m: m["distilled_value"] <= m["dec_optimum"] + 1e-9
        and m["dec_optimum"] <= m["mmdp_value"] + 1e-9,
        "a distilled product policy is decentralized and the MMDP optimum bounds every decentralized value"),
    "eq8/finite_horizon": Rule(
        "max change after H iterations <= 1e-12",
        lambda m: m["max_change_after_H"] <= 1e-12,
        "with time-indexed policies step t's occupancy depends only on steps < t, so Eq. 8 is exact "
        "after H iterations (bridge crossing h=2, Dec-Tiger h=3, fork h=2)"),
    "eq6/fixed_point_residual": Rule(
        "the Eq. 7 fixed point under the mixture occupancy is reached (residual <= 1e-12)",
        lambda m: m["fixed_point_residual"] <= 1e-12 and m["gap"] >= -1e-12,
        "η = implicit product policy of π_θ under the β-mixture of π_θ and η itself"),
}


def _identifiable_verdict(m: Mapping[str, Any]) -> str:
    if m["identifiable_instances"] == 0:
        return "not reproduced"
    return "reproduced" if m["max_abs_gap"] <= IDENTIFIABLE_TOL else "refuted"


CLAIMS: dict[str, ClaimRule] = {
    "thm1/identifiable": ClaimRule(
        statement="Theorem 1: if the optimal joint policy is identifiable (Def. 5), asymmetric "
                  "distillation (Eqs. 8-9) yields an optimal decentralized policy",
        criterion=f"over instances with KL <= {KL_ZERO:g}: reproduced if |V(distilled) - V*_dec| <= "
                  f"{IDENTIFIABLE_TOL:g} on all, refuted if not, not reproduced if none is identifiable",
        decide=_identifiable_verdict,
        assumptions="bridge_crossing_observed (h=2, full observation), climbing (one state), "
                    "private_signals (h=2, hidden state); deterministic MMDP optimum distilled"),
    "motivation/asymmetric_failure": ClaimRule(
        statement="without identifiability, distillation of the optimal joint policy can converge to a "
                  "decentralized policy strictly worse than the decentralized optimum (Sec. 3, Fig. 1)",
        criterion="reproduced if V(distilled) < V*_dec - 1e-9 with KL > 0 at a fixed point (last change "
                  "<= 1e-12), else not reproduced",
        decide=lambda m: "reproduced" if m["distilled_value"] < m["dec_optimum"] - 1e-9
        and m["identifiability_kl"] > KL_ZERO and m["last_change"] <= 1e-12 else "not reproduced",
        assumptions="bridge_crossing (h=2): each agent sees only its own physique; uniform optimal expert"),
    "eq6/fixed_point": ClaimRule(
        statement="Eq. 6 (β-mixture distillation) is solved by the implicit product policy of Eq. 7 "
                  "taken under its own, policy-dependent, mixture occupancy",
        criterion=f"reproduced if no product policy near the fixed point lowers the Eq. 6 objective by "
                  f"more than {EQ6_TOL:g} on any instance; refuted otherwise",
        decide=lambda m: "reproduced" if m["max_gap"] <= EQ6_TOL else "refuted",
        assumptions=f"beta = {BETA}; bridge_crossing and fork (h=2), uniform optimal expert"),
    "eq8/stationary": ClaimRule(
        statement="iterating Eq. 8 with π_ψ = π_η converges for stationary policies on discounted "
                  "infinite-horizon problems",
        criterion="refuted if an instance cycles (changes that do not shrink); reproduced if every "
                  "instance converges",
        decide=lambda m: "refuted" if m["swing_last_change"] > 1e-6
        or m["random_converged"] < m["random_instances"] else "reproduced",
        assumptions="memoryless (reactive) policies; swing (gamma 0.9, blind agents) and 20 seeded random "
                    "Dec-POMDPs (gamma 0.9, 3 states, 2 actions, 2 observations), MMDP-optimal expert"),
}


def measure() -> dict[str, Mapping[str, Any]]:
    identifiable = {"bridge_crossing_observed": (bridge_crossing_observed(), 2),
                    "climbing": (DecPOMDP.from_normal_form(climbing()), 1),
                    "private_signals": (private_signals(), 2)}
    out: dict[str, Mapping[str, Any]] = {f"{k}/identifiable": measure_identifiable(*v)
                                         for k, v in identifiable.items()}
    out["bridge_crossing/asymmetric_failure"] = measure_failure()
    out["eq8/finite_horizon"] = measure_finite_horizon()
    out["bridge_crossing/eq6"] = measure_eq6(bridge_crossing(), 2)
    out["fork/eq6"] = measure_eq6(fork(), 2)
    out["eq8/stationary"] = measure_stationary()
    return out


def judge(measured: Mapping[str, Mapping[str, Any]]) -> tuple[tuple[Check, ...], tuple[Verdict, ...]]:
    ident = [k for k in measured if k.endswith("/identifiable")]
    checks = [CHECKS["optimum_bounds"].check(k, measured[k]) for k in
              (*ident, "bridge_crossing/asymmetric_failure")]
    checks.append(CHECKS["eq8/finite_horizon"].check("eq8/finite_horizon", measured["eq8/finite_horizon"]))
    eq6 = [k for k in measured if k.endswith("/eq6")]
    checks += [CHECKS["eq6/fixed_point_residual"].check(k, measured[k]) for k in eq6]
    zero = [k for k in ident if measured[k]["identifiability_kl"] <= KL_ZERO]
    thm1 = {"identifiable_instances": len(zero), "which": " ".join(k.split("/")[0] for k in zero) or "none",
            "max_abs_gap": max((measured[k]["abs_gap"] for k in zero), default=0.0),
            "max_kl": max(measured[k]["identifiability_kl"] for k in ident)}
    eq6_numbers = {f"{k.split('/')[0]}_gap": measured[k]["gap"] for k in eq6}
    f = measured["fork/eq6"]
    eq6_numbers.update({"max_gap": max(measured[k]["gap"] for k in eq6),
                        "fork_objective_at_fixed_point": f["objective_at_fixed_point"],
                        "fork_objective_minimum": f["objective_minimum"],
                        "fork_p_branch_A_fixed_point": f["agent0_first_action_fixed_point"],
                        "fork_p_branch_A_minimiser": f["agent0_first_action_minimiser"]})
    verdicts = (CLAIMS["thm1/identifiable"].verdict("thm1/identifiable", thm1),
                CLAIMS["motivation/asymmetric_failure"].verdict("motivation/asymmetric_failure",
                                                                measured["bridge_crossing/asymmetric_failure"]),
                CLAIMS["eq6/fixed_point"].verdict("eq6/fixed_point", eq6_numbers),
                CLAIMS["eq8/stationary"].verdict("eq8/stationary", measured["eq8/stationary"]))
    return tuple(checks), verdicts


def run() -> ClaimResult:
    """Theorem 1's verdicts and soundness checks (module docstring)."""
    return ClaimResult("theorem1", *judge(measure()))
