"""IGC (AgentMixer Def. 6): the mode-preserving constructions' invariants, IGC along training, and
the counterexample to the paper code's unconstrained softmax((log α + ε)/τ) construction.

Verdicts:

* ``def6/paper_code_modifier``: the paper's public code modifies α by softmax((log α + ε)/τ) and
  relies on it to keep IGC; α = (0.5, 0.3, 0.2), ε = (0, 2, 0) moves the mode: **refuted**.
* ``def6/exact_igc``: IGC can be held exactly by a Policy Modifier that still reaches every joint
  policy with that mode (the premise of Eq. 13's constrained optimisation): reproduced when the
  invariants below show no violation, along training included.

Soundness checks, on seeded random batches (see :mod:`learners.exact.igc` for the constructions):

* ``discrete/igc_modify``: argmax igc_modify(α, ε) == argmax α (lowest index on ties) and the mode
  is strict in floating point (β_j < β_k; the ratio β_j / β_k never exceeds c beyond rounding —
  it reaches c itself once σ saturates to 1 in double precision, at |ε| of tens), for Dirichlet α
  of several sizes — including rows with exact ties and zeros — and ε of scale up to 50;
  violations are counted.
* ``discrete/igc_joint``: the joint mode of igc_joint(α_1..α_N, coupling, ε) is the tuple of the
  individual modes, for 2 and 3 agents with large random coupling logits.
* ``continuous/gaussian_igc``: the joint Gaussian's mean (its mode) is the stacked individual
  means, the covariance is positive definite, and no probe point has a higher density.
* ``discrete/igc_cap``: igc_cap(l, k) has the strict mode k for any logits l and any k, and
  igc_uncap inverts it (surjectivity onto the joints with that strict mode).
* ``training/igc_every_step``: tabular AgentMixer (both constructions) on climbing, penalty,
  bridge crossing and Dec-Tiger: after every training step — right after mode hand-offs
  included — the joint policy's mode is the tuple of the decentralized modes at every (s, h, ω).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from games.dec_pomdp.catalog import bridge_crossing, dec_tiger
from games.dec_pomdp.model import DecPOMDP
from games.normal_form.catalog import climbing, penalty
from learners.exact.agentmixer import AgentMixerConfig, TrainingStep, run_agentmixer
from learners.exact.agentmixer_coupled import flat_modes
from learners.exact.igc import (
    DEFAULT_RATIO_CAP,
    gaussian_igc,
    gaussian_log_density,
    igc_cap,
    igc_joint,
    igc_modify,
    igc_uncap,
    joint_mode,
    mode,
    softmax_modifier_counterexample,
)
from verification.result import Check, ClaimResult, ClaimRule, Rule, Verdict

__all__ = ["CHECKS", "CLAIMS", "judge", "measure", "run"]


def _random_alphas(rng: np.random.Generator, batch: int, actions: int) -> np.ndarray:
    """Dirichlet rows; a third are rounded to one decimal (exact ties, zeros) and renormalised."""
    alpha = rng.dirichlet(np.full(actions, 0.7), size=batch)
    tied = rng.random(batch) < 1 / 3
    rounded = np.round(alpha[tied] * 10) / 10
    rounded[rounded.sum(axis=1) == 0] = 1.0
    alpha[tied] = rounded / rounded.sum(axis=1, keepdims=True)
    alpha[0] = 1.0 / actions  # a fully tied row
    return alpha


def measure_modify(seed: int, batch: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    total = violations = not_strict = ties = 0
    max_ratio = 0.0
    for actions in (2, 3, 5, 8):
        alpha = _random_alphas(rng, batch, actions)
        ties += int(np.sum(np.sum(alpha == alpha.max(axis=1, keepdims=True), axis=1) > 1))
        for scale in (1.0, 10.0, 50.0):
            beta = igc_modify(alpha, rng.normal(scale=scale, size=alpha.shape))
            k = mode(alpha)
            violations += int(np.sum(mode(beta) != k))
            top = np.take_along_axis(beta, k[:, None], axis=1)
            others = np.where(np.arange(actions)[None, :] == k[:, None], 0.0, beta)
            not_strict += int(np.sum(np.any(others >= top, axis=1)))
            max_ratio = max(max_ratio, float((others / top).max()))
            total += batch
    return {"inputs": total, "rows_with_ties": ties, "mode_violations": violations,
            "non_strict_modes": not_strict, "max_nonmode_ratio": max_ratio}


def measure_joint(seed: int, batch: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    total = violations = 0
    for sizes in ((2, 3), (3, 3), (2, 3, 4)):
        alphas = [_random_alphas(rng, batch, m) for m in sizes]
        joint = igc_joint(alphas, rng.normal(scale=20.0, size=(batch, *sizes)),
                          [rng.normal(scale=10.0, size=a.shape) for a in alphas])
        for b in range(batch):
            violations += int(joint_mode(joint[b]) != tuple(int(mode(a[b])) for a in alphas))
        total += batch
    return {"inputs": total, "mode_violations": violations}


def measure_cap(seed: int, batch: int) -> dict[str, float]:
    """igc_cap at random modes (not the argmax of the logits) and its inverse."""
    rng = np.random.default_rng(seed)
    total = violations = 0
    max_error = 0.0
    for actions in (2, 3, 9, 27):
        logits = rng.normal(scale=5.0, size=(batch, actions))
        k = rng.integers(0, actions, size=batch)
        beta = igc_cap(logits, k)
        top = np.take_along_axis(beta, k[:, None], axis=1)
        others = np.where(np.arange(actions)[None, :] == k[:, None], -1.0, beta)
        violations += int(np.sum(np.any(others >= top, axis=1)))
        max_error = max(max_error, float(np.abs(igc_cap(igc_uncap(beta, k), k) - beta).max()))
        total += batch
    return {"inputs": total, "mode_violations": violations, "max_round_trip_error": max_error}


def measure_gaussian(seed: int, trials: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    mean_err, min_eig, density_violations = 0.0, np.inf, 0
    for _ in range(trials):
        n, d = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        means = rng.normal(scale=3.0, size=(n, d))
        mu, cov = gaussian_igc(means, rng.normal(size=(n * d, int(rng.integers(1, n * d + 2)))))
        mean_err = max(mean_err, float(np.abs(mu - means.ravel()).max()))
        min_eig = min(min_eig, float(np.linalg.eigvalsh(cov).min()))
        probes = mu + rng.normal(scale=0.5, size=(64, mu.size))
        at_mode = float(gaussian_log_density(mu, mu, cov))
        density_violations += int(np.sum(gaussian_log_density(probes, mu, cov) > at_mode + 1e-9))
    return {"trials": trials, "max_mean_error": mean_err, "min_cov_eigenvalue": min_eig,
            "density_violations": density_violations}


def _training_runs() -> list[tuple[str, DecPOMDP, AgentMixerConfig, list | None]]:
    start = [[np.log([[0.2, 0.6, 0.2]])], [np.log([[0.2, 0.6, 0.2]])]]   # at (a2, b2): a hand-off ahead
    return [
        ("climbing", DecPOMDP.from_normal_form(climbing()), AgentMixerConfig(iterations=30), start),
        ("penalty", DecPOMDP.from_normal_form(penalty(-100.0)),
         AgentMixerConfig(iterations=30, init="random", seed=1, num_seeds=2, prior="learned"), None),
        ("bridge_crossing", bridge_crossing(), AgentMixerConfig(iterations=40, init="random", seed=2), None),
        ("bridge_crossing/paper", bridge_crossing(), AgentMixerConfig.paper(iterations=20, init="random"),
         None),
        ("dec_tiger_h2", dec_tiger(horizon=2), AgentMixerConfig(iterations=20, init="random", seed=3), None),
    ]


def _violations(model: DecPOMDP, step: TrainingStep) -> int:
    """(s, h, ω) at which the joint's mode is not the tuple of the decentralized modes."""
    n, bad = model.num_agents, 0
    for joints, modes in zip(step.joints, step.modes, strict=True):
        for t, pi in enumerate(joints):
            lead = pi.shape[:1 + n]
            got = np.argmax(pi.reshape(*lead, -1), axis=-1)
            want = np.broadcast_to(flat_modes([modes[i][t] for i in range(n)], model.num_actions), lead)
            bad += int(np.sum(got != want))
    return bad


def measure_training() -> dict[str, float]:
    steps = handoffs = violations = after = 0
    for _, model, cfg, init in _training_runs():
        seen: list[TrainingStep] = []
        run_agentmixer(model, cfg, init_logits=init, callback=seen.append)
        for st in seen:
            v = _violations(model, st)
            steps, violations = steps + 1, violations + v
            if st.handed_off:
                handoffs, after = handoffs + 1, after + v
    return {"runs": len(_training_runs()), "steps": steps, "handoff_steps": handoffs,
            "violations": violations, "violations_after_handoff": after}


def measure_counterexample() -> dict[str, float | str]:
    ce = softmax_modifier_counterexample()
    return {"alpha": str(ce.alpha.tolist()), "logits": str(ce.logits.tolist()),
            "alpha_mode": ce.alpha_mode, "softmax_mode": ce.softmax_mode,
            "softmax_beta_mode_prob": float(ce.softmax_beta[ce.softmax_mode]),
            "igc_mode": ce.igc_mode}


CHECKS: dict[str, Rule] = {
    "discrete/igc_modify": Rule(
        f"mode_violations = 0, non_strict_modes = 0, max ratio <= c + 1e-12 (c = {DEFAULT_RATIO_CAP!r})",
        lambda m: m["mode_violations"] == 0 and m["non_strict_modes"] == 0
        and m["max_nonmode_ratio"] <= DEFAULT_RATIO_CAP + 1e-12,
        "argmax igc_modify(alpha, eps) = argmax alpha (lowest index on ties) for random alpha (ties and "
        "zeros included) and eps of scale 1, 10, 50"),
    "discrete/igc_joint": Rule(
        "mode_violations = 0", lambda m: m["mode_violations"] == 0,
        "the joint mode of igc_joint equals the tuple of individual modes under random coupling logits "
        "(scale 20) for 2 and 3 agents"),
    "discrete/igc_cap": Rule(
        "mode_violations = 0 and round trip error <= 1e-9",
        lambda m: m["mode_violations"] == 0 and m["max_round_trip_error"] <= 1e-9,
        "igc_cap(l, k) has the strict mode k for random logits and random k (2 to 27 actions); "
        "igc_uncap inverts it"),
    "continuous/gaussian_igc": Rule(
        "mean = stacked means exactly, covariance PD, no probe denser than the mean",
        lambda m: m["max_mean_error"] == 0.0 and m["min_cov_eigenvalue"] > 0 and m["density_violations"] == 0,
        "the joint Gaussian's mode is the stack of the individual modes for any modifier factor"),
    "training/igc_every_step": Rule(
        "violations = 0 at every step, and at least one step with a hand-off was seen",
        lambda m: m["violations"] == 0 and m["violations_after_handoff"] == 0 and m["handoff_steps"] >= 1,
        "tabular AgentMixer (coupled: climbing from (a2, b2), penalty(k=-100) with 2 seeds and a learned "
        "prior, bridge crossing, Dec-Tiger h=2; the paper's construction on bridge crossing): the joint's "
        "mode against the tuple of decentralized modes at every (s, h, omega) after every step"),
}
"""The soundness rules, by check name."""

CLAIMS: dict[str, ClaimRule] = {
    "def6/paper_code_modifier": ClaimRule(
        statement="the Policy Modifier of the paper's public code, softmax((log alpha + eps) / tau), keeps "
                  "each agent's mode, so the joint policy satisfies IGC (Def. 6)",
        criterion="refuted if softmax_mode != alpha_mode on the pinned input; reproduced otherwise",
        decide=lambda m: "refuted" if m["softmax_mode"] != m["alpha_mode"] else "reproduced",
        assumptions="alpha = (0.5, 0.3, 0.2), eps = (0, 2, 0), tau = 1"),
    "def6/exact_igc": ClaimRule(
        statement="IGC (Def. 6) can be imposed exactly on a Policy Modifier that still reaches every "
                  "joint policy with that mode, so Eq. 13 (max J subject to IGC) is well posed",
        criterion="reproduced if no mode violation is found by any construction or along training and "
                  "the inverse maps round-trip; refuted if a violation is found",
        decide=lambda m: "reproduced" if m["modify_violations"] == 0 and m["joint_violations"] == 0
        and m["cap_violations"] == 0 and m["training_violations"] == 0
        and m["cap_round_trip_error"] <= 1e-9 else "refuted",
        assumptions="this package's igc_modify / igc_joint / igc_cap (learners/exact/igc.py)"),
}
"""The verdict rules, by claim name."""


def measure(seed: int = 0, batch: int = 500) -> dict[str, Mapping[str, Any]]:
    return {"discrete/igc_modify": measure_modify(seed, batch),
            "discrete/igc_joint": measure_joint(seed + 1, batch // 5),
            "discrete/igc_cap": measure_cap(seed + 2, batch),
            "continuous/gaussian_igc": measure_gaussian(seed + 3, 50),
            "training/igc_every_step": measure_training(),
            "counterexample": measure_counterexample()}


def judge(measured: Mapping[str, Mapping[str, Any]]) -> tuple[tuple[Check, ...], tuple[Verdict, ...]]:
    checks = tuple(rule.check(name, measured[name]) for name, rule in CHECKS.items())
    exact = {"modify_violations": measured["discrete/igc_modify"]["mode_violations"],
             "joint_violations": measured["discrete/igc_joint"]["mode_violations"],
             "cap_violations": measured["discrete/igc_cap"]["mode_violations"],
             "cap_round_trip_error": measured["discrete/igc_cap"]["max_round_trip_error"],
             "training_violations": measured["training/igc_every_step"]["violations"],
             "training_steps": measured["training/igc_every_step"]["steps"]}
    paper = CLAIMS["def6/paper_code_modifier"].verdict("def6/paper_code_modifier", measured["counterexample"])
    return checks, (paper, CLAIMS["def6/exact_igc"].verdict("def6/exact_igc", exact))


def run(seed: int = 0, batch: int = 500) -> ClaimResult:
    """The IGC verdicts and soundness checks on seeded random inputs and along training."""
    return ClaimResult("igc", *judge(measure(seed, batch)))
