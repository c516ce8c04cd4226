"""Aggregate statistics of results over seeds and tasks (Agarwal, Schwarzer, Castro, Courville &
Bellemare, "Deep RL at the Edge of the Statistical Precipice", NeurIPS 2021): the interquartile
mean (IQM), stratified bootstrap confidence intervals, the probability of improvement, performance
profiles, and min–max normalisation across tasks (the protocol of the MAGPO paper).

Scores are an array ``(runs, tasks)``, a 1-D array of runs of one task, or :class:`TaskScores`
when tasks have different numbers of runs. The IQM is the mean of the middle 50% of all run×task
scores (25% trimmed from each end, :func:`scipy.stats.trim_mean`); the stratified bootstrap
resamples the runs *within each task* with replacement and takes the percentile interval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import trim_mean

from games.errors import ConfigError, GameError

__all__ = ["TaskScores", "iqm", "min_max_normalise", "performance_profile", "probability_of_improvement",
           "probability_of_improvement_ci", "stratified_bootstrap_ci"]


@dataclass(frozen=True, eq=False)
class TaskScores:
    """The runs' scores of each task; tasks may have different numbers of runs."""

    tasks: tuple[np.ndarray, ...]

    @classmethod
    def of(cls, scores: ScoresLike) -> TaskScores:
        """Validate ``scores`` (finite, at least one run per task) into per-task arrays."""
        if isinstance(scores, TaskScores):
            return scores
        x = np.asarray(scores, dtype=float)
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
            raise GameError(f"scores must have shape (runs,) or (runs, tasks), got {np.shape(scores)}")
        if not np.all(np.isfinite(x)):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
            raise GameError(f"scores must be finite; entry (run, task) = {bad} is {x[bad]}")
        return cls(tuple(x[:, j].copy() for j in range(x.shape[1])))

    @classmethod
    def ragged(cls, per_task: Sequence[Sequence[float]]) -> TaskScores:
        """From one list of run scores per task."""
        tasks = tuple(np.asarray(t, dtype=float) for t in per_task)
        if not tasks:
            raise GameError("scores need at least one task")
        for j, t in enumerate(tasks):
            if t.ndim != 1 or t.size < 1:
                raise GameError(f"task {j} needs a 1-D list of at least one run score, got {t.shape}")
            if not np.all(np.isfinite(t)):
                raise GameError(f"scores must be finite; task {j} run {int(np.argmin(np.isfinite(t)))} "
                                f"is {t[np.argmin(np.isfinite(t))]}")
        return cls(tasks)

    def values(self) -> np.ndarray:
        return np.concatenate(self.tasks)


ScoresLike = np.ndarray | Sequence[float] | Sequence[Sequence[float]] | TaskScores


def iqm(scores: ScoresLike) -> float:
    """Interquartile mean over all runs and tasks."""
    return float(trim_mean(TaskScores.of(scores).values(), 0.25))


def _check(reps: int, confidence: float) -> None:
    if reps < 1 or not 0.0 < confidence < 1.0:
        raise ConfigError(f"need reps >= 1 and confidence in (0, 1), got {reps}, {confidence}")


def _indices(tasks: tuple[np.ndarray, ...], reps: int, rng: np.random.Generator) -> list[np.ndarray]:
    """For each task, ``reps`` resamples of its run indices with replacement: (reps, runs_j)."""
    return [rng.integers(0, t.size, size=(reps, t.size)) for t in tasks]


def stratified_bootstrap_ci(scores: ScoresLike, statistic: Callable[[np.ndarray], float] = iqm, *,
                            reps: int = 2000, confidence: float = 0.95,
                            seed: int = 0) -> tuple[float, float, float]:
    """(point estimate, lower, upper): percentile interval of ``statistic`` over ``reps`` resamples
    of the runs within each task (seeded, so tables are reproducible). ``statistic`` receives a
    ``(runs, tasks)`` array when every task has as many runs, else the :class:`TaskScores`; the
    IQM (the default) is computed for all resamples at once."""
    ts = TaskScores.of(scores)
    _check(reps, confidence)
    idx = _indices(ts.tasks, reps, np.random.default_rng(seed))
    if statistic is iqm:
        pooled = np.concatenate([t[i] for t, i in zip(ts.tasks, idx, strict=True)], axis=1)
        stats = trim_mean(pooled, 0.25, axis=1)
    else:
        square = len({t.size for t in ts.tasks}) == 1

        def as_input(tasks: tuple[np.ndarray, ...]) -> np.ndarray | TaskScores:
            return np.column_stack(tasks) if square else TaskScores(tasks)

        stats = np.array([statistic(as_input(tuple(t[i[r]] for t, i in zip(ts.tasks, idx, strict=True))))
                          for r in range(reps)])  # type: ignore[arg-type]
        return _interval(float(statistic(as_input(ts.tasks))), stats, confidence)  # type: ignore[arg-type]
    return _interval(float(statistic(ts)), stats, confidence)


def _interval(point: float, stats: np.ndarray, confidence: float) -> tuple[float, float, float]:
    alpha = (1.0 - confidence) / 2
    lo, hi = np.quantile(stats, [alpha, 1.0 - alpha])
    return point, float(lo), float(hi)


def _poi(x: Sequence[np.ndarray], y: Sequence[np.ndarray]) -> np.ndarray:
    """P(X > Y) for stacked resamples: each task's arrays are (..., runs); returns shape (...)."""
    per_task = [((a[..., :, None] > b[..., None, :]) + 0.5 * (a[..., :, None] == b[..., None, :]))
                .mean(axis=(-2, -1)) for a, b in zip(x, y, strict=True)]
    return np.mean(per_task, axis=0)


def probability_of_improvement(x: ScoresLike, y: ScoresLike) -> float:
    """P(X > Y): the probability that a run of X beats a run of Y on a task drawn uniformly — per
    task the Mann–Whitney statistic (1/(N M)) Σ_i Σ_j [x_i > y_j] + ½ [x_i = y_j], averaged over
    tasks. X and Y must cover the same tasks (columns in the same order)."""
    xs, ys = TaskScores.of(x), TaskScores.of(y)
    if len(xs.tasks) != len(ys.tasks):
        raise GameError(f"X has {len(xs.tasks)} tasks but Y has {len(ys.tasks)}")
    return float(_poi(xs.tasks, ys.tasks))


def probability_of_improvement_ci(x: ScoresLike, y: ScoresLike, *, reps: int = 2000,
                                  confidence: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """P(X > Y) with its stratified bootstrap interval (X's and Y's runs resampled independently
    within each task)."""
    xs, ys = TaskScores.of(x), TaskScores.of(y)
    point = probability_of_improvement(xs, ys)
    _check(reps, confidence)
    rng = np.random.default_rng(seed)
    ix, iy = _indices(xs.tasks, reps, rng), _indices(ys.tasks, reps, rng)
    stats = _poi([t[i] for t, i in zip(xs.tasks, ix, strict=True)],
                 [t[i] for t, i in zip(ys.tasks, iy, strict=True)])
    return _interval(point, stats, confidence)


def performance_profile(scores: ScoresLike, taus: Sequence[float] | np.ndarray) -> np.ndarray:
    """The run-score distribution: for each threshold τ, the fraction of runs scoring above τ,
    averaged over tasks (each task weighs the same whatever its number of runs)."""
    ts = TaskScores.of(scores)
    tau = np.asarray(taus, dtype=float)
    return np.mean([(t[None, :] > tau[:, None]).mean(axis=1) for t in ts.tasks], axis=0)


def min_max_normalise(values: ScoresLike, low: float, high: float) -> np.ndarray | TaskScores:
    """(v − low) / (high − low): 0 at the worst and 1 at the best score seen on a task."""
    if not (np.isfinite(low) and np.isfinite(high)):
        raise GameError(f"normalisation bounds must be finite, got {low}, {high}")
    span = high - low
    scale = 1.0 / span if span > 0 else 0.0
    if isinstance(values, TaskScores):
        return TaskScores(tuple((t - low) * scale for t in values.tasks))
    return (np.asarray(values, dtype=float) - low) * scale
