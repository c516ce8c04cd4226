"""MAGPO (Li, Xie & Lu 2025): Thm 4.1 (monotone improvement with the reverse-KL projection), its
trust region on Dec-POMDPs, the forward-KL counterexample and Corollary 4.2 per agent.

Computed exactly with :func:`learners.exact.run_magpo` on cooperative normal-form games (one
state, so Q = R and the per-state surrogate ⟨Q, π_{k+1}⟩ is ``MagpoResult.surrogates``) and with
:func:`learners.exact.magpo_dec.run_magpo_dec` on Dec-POMDPs.

Verdicts:

* ``thm4.1/one_step``: over seeded random cooperative games (2 and 3 agents) and the climbing
  game, from uniform and random starts, with η ∈ {0.5, 5, 50}: min_k V_{k+1} − V_k ≥ −1e-10.
* ``thm4.1/dec_trust_region``: bridge crossing, its fully observed variant and Dec-Tiger h = 2,
  five starts each, η = 10 bisected down to KL ≤ δ = 0.1: learner values never decrease.
* ``thm4.1/trust_region_needed``: the guarantee needs δ on Dec-POMDPs: Dec-Tiger h = 3, random
  learner (seed 1), η = 1 without δ loses value (pinned: −5.2545 → −28.961 at iteration 4) while
  δ = 0.1 from the same start never does.
* ``projection/forward_loses``: the forward-KL (behaviour-cloning) projection has no such guarantee:
  R = [[2, −10], [−10, 1]], π_0 = (0.01, 0.99)², η = ln 9801: V goes 0.7823 → −4.25.
* ``cor4.2/per_update`` and ``cor4.2/vs_start``: inside the reverse projection's sequential sweep
  (agents in turn), each single agent's update does not lose value (V after it ≥ V before it), and
  no intermediate policy falls below the iteration's starting value V_k. The sweep maximises
  η⟨Q, π⟩ − KL(π || π_k) one agent at a time, so every intermediate π satisfies ⟨Q, π⟩ ≥ V_k; a
  single update may still trade value for KL.

Soundness check: with one state the surrogate ⟨Q, π_{k+1}⟩ equals V_{k+1} (two computations).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from games.dec_pomdp.catalog import bridge_crossing, bridge_crossing_observed, dec_tiger
from games.dec_pomdp.policies import StochasticPolicy
from games.normal_form.catalog import climbing, random_game
from games.normal_form.game import NormalFormGame
from learners.exact import MagpoConfig, run_magpo
from learners.exact.magpo import guider_step, product, reverse_projection
from learners.exact.magpo_dec import MagpoDecConfig, run_magpo_dec
from verification.result import Check, ClaimResult, ClaimRule, Rule, Verdict

__all__ = ["CHECKS", "CLAIMS", "FORWARD_COUNTEREXAMPLE_ETA", "forward_counterexample", "judge", "measure",
           "run"]

SLACK = 1e-10
COR42_ITERATIONS = 2
"""The first iterations of every run whose sweeps are traced agent by agent for Cor. 4.2."""
FORWARD_COUNTEREXAMPLE_ETA = float(np.log(9801.0))
"""e^η = 9801 = 0.99² / 0.01²: the guider weighs (a1, b1) and (a2, b2) equally."""


def forward_counterexample() -> tuple[NormalFormGame, tuple[np.ndarray, np.ndarray]]:
    """The pinned game R = [[2, −10], [−10, 1]] and the initial learner π_0 = (0.01, 0.99)²."""
    game = NormalFormGame.cooperative([[2.0, -10.0], [-10.0, 1.0]], name="forward_counterexample")
    init = (np.array([0.01, 0.99]), np.array([0.01, 0.99]))
    return game, init


def _games(seeds: int) -> list[NormalFormGame]:
    games = [climbing()]
    games += [random_game(2, 3, seed=s, cooperative=True) for s in range(seeds)]
    games += [random_game(3, 2, seed=s, cooperative=True) for s in range(seeds // 2)]
    return games


def _starts(game: NormalFormGame, g_index: int) -> list[tuple[np.ndarray, ...] | None]:
    rng = np.random.default_rng(1000 + g_index)
    return [None, tuple(rng.dirichlet(np.ones(m)) for m in game.num_actions)]


def measure_one_step(seeds: int, iterations: int) -> dict[str, float | str]:
    """Thm 4.1 on one-step games, and Cor. 4.2 on every single agent's update inside the sweeps."""
    runs, min_step, min_gain, worst, surrogate_error = 0, np.inf, np.inf, "", 0.0
    min_update, min_vs_start, updates, worst_update = np.inf, np.inf, 0, ""
    for g_index, game in enumerate(_games(seeds)):
        q = np.asarray(game.common_reward("MAGPO"), dtype=float)
        for init_index, init in enumerate(_starts(game, g_index)):
            for eta in (0.5, 5.0, 50.0):
                cfg = MagpoConfig(eta=eta, projection="reverse", iterations=iterations)
                res = run_magpo(game, cfg, init=init)
                runs += 1
                step = float(np.diff(res.learner_values).min())
                if step < min_step:
                    min_step, worst = step, f"{game.name}, init {init_index}, eta {eta:g}"
                min_gain = min(min_gain, float((res.surrogates - res.learner_values[:-1]).min()))
                surrogate_error = max(surrogate_error,
                                      float(np.abs(res.surrogates - res.learner_values[1:]).max()))
                for k, pi in enumerate(res.policies[:COR42_ITERATIONS]):
                    log_mu, _ = guider_step(pi, q, eta, None)
                    trace: list[tuple[np.ndarray, ...]] = []
                    reverse_projection(log_mu, pi, trace=trace)
                    values = [float(res.learner_values[k])] + [float((q * product(t)).sum()) for t in trace]
                    drop = float(np.diff(values).min())
                    if drop < min_update:
                        min_update, worst_update = drop, f"{game.name}, init {init_index}, eta {eta:g}, k {k}"
                    min_vs_start = min(min_vs_start, min(v - values[0] for v in values))
                    updates += len(trace)
    return {"games": len(_games(seeds)), "runs": runs, "iterations": iterations,
            "min_value_step": min_step,
            "min_surrogate_minus_V_k": min_gain, "smallest_step_at": worst,
            "max_surrogate_error": surrogate_error, "agent_updates": updates,
            "min_single_update_step": min_update, "worst_update_at": worst_update,
            "min_intermediate_minus_V_k": min_vs_start}


def measure_forward() -> dict[str, float]:
    game, init = forward_counterexample()
    res = run_magpo(game, MagpoConfig(eta=FORWARD_COUNTEREXAMPLE_ETA, projection="forward", iterations=1),
                    init=init)
    rev = run_magpo(game, MagpoConfig(eta=FORWARD_COUNTEREXAMPLE_ETA, projection="reverse", iterations=1),
                    init=init)
    v0, v1 = float(res.learner_values[0]), float(res.learner_values[1])
    return {"eta": FORWARD_COUNTEREXAMPLE_ETA, "V_0": v0, "V_1_forward": v1, "loss": v0 - v1,
            "guider_value": float(res.guider_values[0]), "V_1_reverse": float(rev.learner_values[1])}


DEC_TRUST = MagpoDecConfig(iterations=15, eta=10.0, delta=0.1)
DEC_NO_TRUST = MagpoDecConfig(iterations=15, eta=1.0)


def measure_dec_trust(starts: int) -> dict[str, float | str]:
    min_step, min_surrogate, runs = np.inf, np.inf, 0
    finals = []
    for model in (bridge_crossing(), bridge_crossing_observed(), dec_tiger(horizon=2)):
        h = int(model.horizon)
        for seed in range(starts):
            init = (StochasticPolicy.random(model.num_actions, model.num_observations, h, seed)
                    if seed else None)
            res = run_magpo_dec(model, DEC_TRUST, init=init)
            runs += 1
            min_step = min(min_step, float(np.diff(res.values).min()))
            min_surrogate = min(min_surrogate, min(res.min_surrogate_gap))
            finals.append(f"{model.name}:{res.final_value:.4g}")
    return {"runs": runs, "iterations": DEC_TRUST.iterations, "eta": DEC_TRUST.eta,
            "delta": float(DEC_TRUST.delta or 0), "min_value_step": min_step,
            "min_state_surrogate_gap": min_surrogate, "final_values": " ".join(finals)}


def measure_dec_no_trust() -> dict[str, float]:
    model = dec_tiger(horizon=3)
    init = StochasticPolicy.random(model.num_actions, model.num_observations, 3, 1)
    free = run_magpo_dec(model, DEC_NO_TRUST, init=init)
    trust = run_magpo_dec(model, DEC_TRUST, init=init)
    steps = np.diff(free.values)
    k = int(np.argmin(steps))
    return {"eta": DEC_NO_TRUST.eta, "iteration": k, "V_k": free.values[k], "V_k+1": free.values[k + 1],
            "min_step_without_delta": float(steps[k]),
            "min_step_with_delta": float(np.diff(trust.values).min())}


CHECKS: dict[str, Rule] = {
    "one_step/surrogate_is_value": Rule(
        "max |<Q, pi_(k+1)> - V_(k+1)| <= 1e-12 (one state: the surrogate is the next value)",
        lambda m: m["max_surrogate_error"] <= 1e-12,
        "the surrogate from the projection and the value of the next learner, computed separately"),
}

CLAIMS: dict[str, ClaimRule] = {
    "thm4.1/one_step": ClaimRule(
        statement="Thm 4.1: with the reverse-KL projection the learner's value never decreases",
        criterion=f"reproduced if min_k V_(k+1) - V_k >= -{SLACK:g} and <Q, pi_(k+1)> - V_k >= "
                  f"-{SLACK:g}, else refuted",
        decide=lambda m: "reproduced" if m["min_value_step"] >= -SLACK
        and m["min_surrogate_minus_V_k"] >= -SLACK else "refuted",
        assumptions="one-step cooperative games: climbing, 10 random 2x3, 5 random 2x2x2; uniform and "
                    "random starts; eta in {0.5, 5, 50}; 30 iterations",
        keys=("games", "runs", "min_value_step", "min_surrogate_minus_V_k", "smallest_step_at")),
    "thm4.1/dec_trust_region": ClaimRule(
        statement="Thm 4.1 on Dec-POMDPs: with the trust region KL(mu || pi_k) <= delta the learner's "
                  "value never decreases",
        criterion=f"reproduced if min_k V_(k+1) - V_k >= -{SLACK:g}, else refuted",
        decide=lambda m: "reproduced" if m["min_value_step"] >= -SLACK else "refuted",
        assumptions="bridge crossing, bridge_crossing_observed, Dec-Tiger h=2; 5 starts each; eta 10 "
                    "bisected to delta 0.1",
        keys=("runs", "iterations", "delta", "min_value_step", "min_state_surrogate_gap")),
    "thm4.1/trust_region_needed": ClaimRule(
        statement="Thm 4.1 needs its trust region on Dec-POMDPs: without delta the reverse projection can "
                  "lose value, with it it does not",
        criterion="reproduced if a loss (< -1e-9) is found without delta and none (>= -1e-10) with it",
        decide=lambda m: "reproduced" if m["min_step_without_delta"] < -1e-9
        and m["min_step_with_delta"] >= -SLACK else "not reproduced",
        assumptions="Dec-Tiger h=3, learner StochasticPolicy.random(seed 1), eta 1"),
    "projection/forward_loses": ClaimRule(
        statement="the forward-KL (behaviour-cloning) projection has no monotonicity guarantee: it can "
                  "lose value where the reverse projection does not",
        criterion="reproduced if V_1 < V_0 with the forward projection and V_1 >= V_0 with the reverse one",
        decide=lambda m: "reproduced" if m["V_1_forward"] < m["V_0"] - 1e-9
        and m["V_1_reverse"] >= m["V_0"] else "not reproduced",
        assumptions="R = [[2, -10], [-10, 1]], pi_0 = (0.01, 0.99) for both agents, eta = ln 9801"),
    "cor4.2/per_update": ClaimRule(
        statement="Cor. 4.2 (per agent): each single agent's update in the sequential sweep does not lose "
                  "value (V after agent i's update >= V before it)",
        criterion=f"reproduced if the smallest single-update step >= -{SLACK:g}, else refuted",
        decide=lambda m: "reproduced" if m["min_single_update_step"] >= -SLACK else "refuted",
        assumptions="the one-step runs of thm4.1/one_step, every agent update of every sweep",
        keys=("agent_updates", "min_single_update_step", "worst_update_at", "min_intermediate_minus_V_k")),
    "cor4.2/vs_start": ClaimRule(
        statement="Cor. 4.2 (weak form): no policy the sequential sweep passes through is worth less than "
                  "the iteration's starting policy",
        criterion=f"reproduced if min over intermediate policies of V - V_k >= -{SLACK:g}, else refuted",
        decide=lambda m: "reproduced" if m["min_intermediate_minus_V_k"] >= -SLACK else "refuted",
        assumptions="the one-step runs of thm4.1/one_step, every agent update of every sweep",
        keys=("agent_updates", "min_intermediate_minus_V_k")),
}


def measure(seeds: int = 10, iterations: int = 30, dec_starts: int = 5) -> dict[str, dict[str, Any]]:
    return {"one_step": measure_one_step(seeds, iterations), "forward": measure_forward(),
            "dec_trust": measure_dec_trust(dec_starts), "dec_no_trust": measure_dec_no_trust()}


def judge(measured: Mapping[str, Mapping[str, Any]]) -> tuple[tuple[Check, ...], tuple[Verdict, ...]]:
    name = "one_step/surrogate_is_value"
    checks = (CHECKS[name].check(name, measured["one_step"]),)
    source = {"thm4.1/one_step": "one_step", "thm4.1/dec_trust_region": "dec_trust",
              "thm4.1/trust_region_needed": "dec_no_trust", "projection/forward_loses": "forward",
              "cor4.2/per_update": "one_step", "cor4.2/vs_start": "one_step"}
    return checks, tuple(CLAIMS[name].verdict(name, measured[key]) for name, key in source.items())


def run(seeds: int = 10, iterations: int = 30, dec_starts: int = 5) -> ClaimResult:
    """MAGPO's verdicts and soundness check (module docstring)."""
    return ClaimResult("magpo", *judge(measure(seeds, iterations, dec_starts)))
