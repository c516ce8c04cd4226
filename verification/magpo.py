"""MAGPO (Li, Xie & Lu 2025, Thm 4.1): monotone improvement with the reverse-KL projection, and a
value loss with the forward-KL (cross-entropy) projection at a large step size.

Computed exactly with :func:`learners.exact.run_magpo` on cooperative normal-form games (one
state, so Q = R and the per-state surrogate ⟨Q, π_{k+1}⟩ is ``MagpoResult.surrogates``):

* ``reverse/monotone``: over seeded random cooperative games (2 and 3 agents) and the climbing
  game, from uniform and seeded random initialisations, with η ∈ {0.5, 5, 50}: the smallest
  learner-value step min_k V_{k+1} − V_k ≥ −1e-10, and the surrogate ⟨Q, π_{k+1}⟩ ≥ V_k − 1e-10.
* ``forward/value_loss``: the pinned instance R = [[2, −10], [−10, 1]], π_0 = (0.01, 0.99) for both
  agents, η = ln 9801: the guider puts equal weight on (a1, b1) and (a2, b2), its marginals are
  uniform and their product pays ½ · (−10): V goes 0.7823 → −4.25. PASS means the loss is found.

On Dec-POMDPs (:func:`learners.exact.magpo_dec.run_magpo_dec`: guider over (s, h), projection under
the guider's occupancy) the guarantee needs the trust region δ:

* ``dec/reverse_trust_region``: bridge crossing, its fully observed variant and Dec-Tiger h = 2,
  from the uniform and four seeded random learners, η = 10 bisected down to KL ≤ δ = 0.1: learner
  values never decrease (min step ≥ −1e-10). The per-(s, h) surrogate Σ_a π_{k+1} Q^{π_k} − V^{π_k}
  is reported, not checked: a decentralized learner cannot improve at every *state*, only on
  average over what its history reveals, so that minimum is negative.
* ``dec/reverse_without_trust_region``: Dec-Tiger h = 3, random learner (seed 1), η = 1 and no δ:
  the reverse projection loses value (pinned: −5.2545 → −28.961 at iteration 4), while δ = 0.1
  from the same start never does. PASS means the loss without δ is found.
"""

from __future__ import annotations

import numpy as np

from games.dec_pomdp.catalog import bridge_crossing, bridge_crossing_observed, dec_tiger
from games.dec_pomdp.policies import StochasticPolicy
from games.normal_form.catalog import climbing, random_game
from games.normal_form.game import NormalFormGame
from learners.exact import MagpoConfig, run_magpo
from learners.exact.magpo_dec import MagpoDecConfig, run_magpo_dec
from verification.result import Check, ClaimResult

__all__ = ["FORWARD_COUNTEREXAMPLE_ETA", "forward_counterexample", "run"]

SLACK = 1e-10
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


def _reverse_check(seeds: int, iterations: int) -> Check:
    runs = 0
    min_step = np.inf
    min_surrogate_gain = np.inf
    worst = ""
    for g_index, game in enumerate(_games(seeds)):
        rng = np.random.default_rng(1000 + g_index)
        inits = [None, tuple(rng.dirichlet(np.ones(m)) for m in game.num_actions)]
        for init_index, init in enumerate(inits):
            for eta in (0.5, 5.0, 50.0):
                res = run_magpo(game, MagpoConfig(eta=eta, projection="reverse", iterations=iterations),
                                init=init)
                runs += 1
                step = float(np.diff(res.learner_values).min())
                gain = float((res.surrogates - res.learner_values[:-1]).min())
                if step < min_step:
                    min_step = step
                    worst = f"{game.name}, init {init_index}, eta {eta:g}"
                min_surrogate_gain = min(min_surrogate_gain, gain)
    return Check(
        name="reverse/monotone",
        passed=min_step >= -SLACK and min_surrogate_gain >= -SLACK,
        measured={"games": len(_games(seeds)), "runs": runs, "iterations": iterations,
                  "min_value_step": min_step, "min_surrogate_minus_V_k": min_surrogate_gain,
                  "smallest_step_at": worst},
        expected=f"min_k V_(k+1) - V_k >= -{SLACK:g} and <Q, pi_(k+1)> - V_k >= -{SLACK:g}",
        detail="reverse-KL projection (per-agent sequential updates started at pi_k): learner "
               "values never decrease on random cooperative games and the climbing game",
    )


def _forward_check() -> Check:
    game, init = forward_counterexample()
    res = run_magpo(game, MagpoConfig(eta=FORWARD_COUNTEREXAMPLE_ETA, projection="forward", iterations=1),
                    init=init)
    rev = run_magpo(game, MagpoConfig(eta=FORWARD_COUNTEREXAMPLE_ETA, projection="reverse", iterations=1),
                    init=init)
    v0, v1 = float(res.learner_values[0]), float(res.learner_values[1])
    return Check(
        name="forward/value_loss",
        passed=v1 < v0 - 1e-9,
        measured={"eta": FORWARD_COUNTEREXAMPLE_ETA, "V_0": v0, "V_1_forward": v1, "loss": v0 - v1,
                  "guider_value": float(res.guider_values[0]), "V_1_reverse": float(rev.learner_values[1])},
        expected="V_1 < V_0 with the forward projection (value loss found; pinned: 0.7823 -> -4.25)",
        detail="R = [[2, -10], [-10, 1]], pi_0 = (0.01, 0.99) for both agents: the guider's uniform "
               "marginals miscoordinate; the reverse projection from the same start does not lose",
    )


DEC_TRUST = MagpoDecConfig(iterations=15, eta=10.0, delta=0.1)
DEC_NO_TRUST = MagpoDecConfig(iterations=15, eta=1.0)


def _dec_trust_check(starts: int) -> Check:
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
    return Check(
        name="dec/reverse_trust_region",
        passed=min_step >= -SLACK,
        measured={"runs": runs, "iterations": DEC_TRUST.iterations, "eta": DEC_TRUST.eta,
                  "delta": float(DEC_TRUST.delta or 0), "min_value_step": min_step,
                  "min_state_surrogate_gap": min_surrogate, "final_values": " ".join(finals)},
        expected=f"min_k V_(k+1) - V_k >= -{SLACK:g} (the per-(s,h) surrogate is reported only)",
        detail="reverse projection under the guider's occupancy, guider step bisected to KL <= delta",
    )


def _dec_no_trust_check() -> Check:
    model = dec_tiger(horizon=3)
    init = StochasticPolicy.random(model.num_actions, model.num_observations, 3, 1)
    free = run_magpo_dec(model, DEC_NO_TRUST, init=init)
    trust = run_magpo_dec(model, DEC_TRUST, init=init)
    steps = np.diff(free.values)
    k = int(np.argmin(steps))
    return Check(
        name="dec/reverse_without_trust_region",
        passed=steps[k] < -1e-9 and float(np.diff(trust.values).min()) >= -SLACK,
        measured={"eta": DEC_NO_TRUST.eta, "iteration": k, "V_k": free.values[k], "V_k+1": free.values[k + 1],
                  "min_step_with_delta": float(np.diff(trust.values).min())},
        expected="some V_(k+1) < V_k without delta (pinned: -5.2545 -> -28.961), none with delta = 0.1",
        detail="Dec-Tiger h=3, learner StochasticPolicy.random(seed 1): Thm 4.1 needs its trust region",
    )


def run(seeds: int = 10, iterations: int = 30, dec_starts: int = 5) -> ClaimResult:
    """Reverse-KL monotonicity on ``seeds`` random games plus climbing; the forward-KL loss; the
    Dec-POMDP checks with and without the trust region."""
    return ClaimResult("magpo", (_reverse_check(seeds, iterations), _forward_check(),
                                 _dec_trust_check(dec_starts), _dec_no_trust_check()))
