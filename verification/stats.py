"""Aggregate statistics for learning curves over seeds: the interquartile mean (IQM) and stratified
bootstrap confidence intervals (Agarwal, Schwarzer, Castro, Courville & Bellemare, "Deep RL at the
Edge of the Statistical Precipice", NeurIPS 2021).

Scores are arrays ``(runs, tasks)``: the IQM is the mean of the middle 50% of all run×task scores
(25% trimmed from each end, :func:`scipy.stats.trim_mean`); the stratified bootstrap resamples the
runs *within each task* with replacement and takes the percentile interval of the statistic.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import trim_mean

from games.errors import GameError

__all__ = ["iqm", "stratified_bootstrap_ci"]


def _scores(scores: np.ndarray | list[float]) -> np.ndarray:
    x = np.asarray(scores, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise GameError(f"scores must have shape (runs,) or (runs, tasks), got {np.shape(scores)}")
    if not np.all(np.isfinite(x)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
        raise GameError(f"scores must be finite; entry (run, task) = {bad} is {x[bad]}")
    return x


def iqm(scores: np.ndarray | list[float]) -> float:
    """Interquartile mean over all runs and tasks."""
    return float(trim_mean(_scores(scores).ravel(), 0.25))


def stratified_bootstrap_ci(scores: np.ndarray | list[float],
                            statistic: Callable[[np.ndarray], float] = iqm, *, reps: int = 2000,
                            confidence: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """(point estimate, lower, upper): percentile interval of ``statistic`` over ``reps`` resamples
    of the runs within each task (seeded, so tables are reproducible)."""
    x = _scores(scores)
    if reps < 1 or not 0.0 < confidence < 1.0:
        raise GameError(f"need reps >= 1 and confidence in (0, 1), got {reps}, {confidence}")
    rng = np.random.default_rng(seed)
    runs, tasks = x.shape
    idx = rng.integers(0, runs, size=(reps, runs, tasks))
    samples = np.take_along_axis(np.broadcast_to(x, (reps, runs, tasks)), idx, axis=1)
    stats = np.array([statistic(s) for s in samples])
    alpha = (1.0 - confidence) / 2
    lo, hi = np.quantile(stats, [alpha, 1.0 - alpha])
    return float(statistic(x)), float(lo), float(hi)
