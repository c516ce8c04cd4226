"""IGC (AgentMixer Def. 6): the mode-preserving modifier's invariants and the counterexample to the
paper code's unconstrained softmax((log α + ε)/τ) construction.

Checks, on seeded random batches (see :mod:`learners.exact.igc` for the construction):

* ``discrete/igc_modify``: argmax igc_modify(α, ε) == argmax α (lowest index on ties) and the mode
  is strict in floating point (β_j < β_k; the ratio β_j / β_k never exceeds c beyond rounding —
  it reaches c itself once σ saturates to 1 in double precision, at |ε| of tens), for Dirichlet α
  of several sizes — including rows with exact ties and zeros — and ε of scale up to 50;
  violations are counted.
* ``discrete/igc_joint``: the joint mode of igc_joint(α_1..α_N, coupling, ε) is the tuple of the
  individual modes, for 2 and 3 agents with large random coupling logits.
* ``continuous/gaussian_igc``: the joint Gaussian's mean (its mode) is the stacked individual
  means, the covariance is positive definite, and no probe point has a higher density.
* ``counterexample/softmax_modifier``: α = (0.5, 0.3, 0.2), ε = (0, 2, 0): softmax moves the mode
  to 1, igc_modify keeps 0. PASS means the counterexample is reproduced.
"""

from __future__ import annotations

import numpy as np

from learners.exact.igc import (
    DEFAULT_RATIO_CAP,
    gaussian_igc,
    gaussian_log_density,
    igc_joint,
    igc_modify,
    joint_mode,
    mode,
    softmax_modifier_counterexample,
)
from verification.result import Check, ClaimResult

__all__ = ["run"]


def _random_alphas(rng: np.random.Generator, batch: int, actions: int) -> np.ndarray:
    """Dirichlet rows; a third are rounded to one decimal (exact ties, zeros) and renormalised."""
    alpha = rng.dirichlet(np.full(actions, 0.7), size=batch)
    tied = rng.random(batch) < 1 / 3
    rounded = np.round(alpha[tied] * 10) / 10
    rounded[rounded.sum(axis=1) == 0] = 1.0
    alpha[tied] = rounded / rounded.sum(axis=1, keepdims=True)
    alpha[0] = 1.0 / actions  # a fully tied row
    return alpha


def _modify_check(seed: int, batch: int) -> Check:
    rng = np.random.default_rng(seed)
    total = violations = not_strict = 0
    ties = 0
    max_ratio = 0.0
    for actions in (2, 3, 5, 8):
        alpha = _random_alphas(rng, batch, actions)
        ties += int(np.sum(np.sum(alpha == alpha.max(axis=1, keepdims=True), axis=1) > 1))
        for scale in (1.0, 10.0, 50.0):
            eps = rng.normal(scale=scale, size=alpha.shape)
            beta = igc_modify(alpha, eps)
            k = mode(alpha)
            violations += int(np.sum(mode(beta) != k))
            top = np.take_along_axis(beta, k[:, None], axis=1)
            others = np.where(np.arange(actions)[None, :] == k[:, None], 0.0, beta)
            not_strict += int(np.sum(np.any(others >= top, axis=1)))
            max_ratio = max(max_ratio, float((others / top).max()))
            total += batch
    return Check(
        name="discrete/igc_modify",
        passed=violations == 0 and not_strict == 0 and max_ratio <= DEFAULT_RATIO_CAP + 1e-12,
        measured={"inputs": total, "rows_with_ties": ties, "mode_violations": violations,
                  "non_strict_modes": not_strict, "max_nonmode_ratio": max_ratio},
        expected=(f"mode_violations = 0, non_strict_modes = 0, "
                  f"max ratio <= c + 1e-12 (c = {DEFAULT_RATIO_CAP!r})"),
        detail="argmax igc_modify(alpha, eps) = argmax alpha (lowest index on ties) for random "
               "alpha (ties and zeros included) and eps of scale 1, 10, 50",
    )


def _joint_check(seed: int, batch: int) -> Check:
    rng = np.random.default_rng(seed)
    total = violations = 0
    for sizes in ((2, 3), (3, 3), (2, 3, 4)):
        alphas = [_random_alphas(rng, batch, m) for m in sizes]
        coupling = rng.normal(scale=20.0, size=(batch, *sizes))
        logits = [rng.normal(scale=10.0, size=a.shape) for a in alphas]
        joint = igc_joint(alphas, coupling, logits)
        for b in range(batch):
            want = tuple(int(mode(a[b])) for a in alphas)
            violations += int(joint_mode(joint[b]) != want)
        total += batch
    return Check(
        name="discrete/igc_joint",
        passed=violations == 0,
        measured={"inputs": total, "mode_violations": violations},
        expected="mode_violations = 0",
        detail="the joint mode of igc_joint equals the tuple of individual modes under random "
               "coupling logits (scale 20) for 2 and 3 agents",
    )


def _gaussian_check(seed: int, trials: int) -> Check:
    rng = np.random.default_rng(seed)
    mean_err = 0.0
    min_eig = np.inf
    density_violations = 0
    for _ in range(trials):
        n, d = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        means = rng.normal(scale=3.0, size=(n, d))
        factor = rng.normal(size=(n * d, int(rng.integers(1, n * d + 2))))
        mu, cov = gaussian_igc(means, factor)
        mean_err = max(mean_err, float(np.abs(mu - means.ravel()).max()))
        min_eig = min(min_eig, float(np.linalg.eigvalsh(cov).min()))
        probes = mu + rng.normal(scale=0.5, size=(64, mu.size))
        at_mode = float(gaussian_log_density(mu, mu, cov))
        density_violations += int(np.sum(gaussian_log_density(probes, mu, cov) > at_mode + 1e-9))
    return Check(
        name="continuous/gaussian_igc",
        passed=mean_err == 0.0 and min_eig > 0 and density_violations == 0,
        measured={"trials": trials, "max_mean_error": mean_err, "min_cov_eigenvalue": min_eig,
                  "density_violations": density_violations},
        expected="mean = stacked means exactly, covariance PD, no probe denser than the mean",
        detail="the joint Gaussian's mode is the stack of the individual modes for any modifier factor",
    )


def _counterexample_check() -> Check:
    ce = softmax_modifier_counterexample()
    return Check(
        name="counterexample/softmax_modifier",
        passed=ce.softmax_mode != ce.alpha_mode and ce.igc_mode == ce.alpha_mode,
        measured={"alpha": str(ce.alpha.tolist()), "logits": str(ce.logits.tolist()),
                  "alpha_mode": ce.alpha_mode, "softmax_mode": ce.softmax_mode,
                  "softmax_beta_mode_prob": float(ce.softmax_beta[ce.softmax_mode]),
                  "igc_mode": ce.igc_mode},
        expected="softmax_mode != alpha_mode (counterexample reproduced) and igc_mode = alpha_mode",
        detail="the paper code's softmax((log alpha + eps)/tau) moves the mode; igc_modify does not",
    )


def run(seed: int = 0, batch: int = 500) -> ClaimResult:
    """The IGC invariants on seeded random inputs, and the softmax counterexample."""
    return ClaimResult("igc", (
        _modify_check(seed, batch),
        _joint_check(seed + 1, batch // 5),
        _gaussian_check(seed + 2, 50),
        _counterexample_check(),
    ))
