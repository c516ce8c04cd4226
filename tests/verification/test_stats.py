"""IQM and stratified bootstrap intervals: hand-computed values and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from games.errors import ConfigError, GameError
from verification.stats import (
    TaskScores,
    iqm,
    min_max_normalise,
    performance_profile,
    probability_of_improvement,
    probability_of_improvement_ci,
    stratified_bootstrap_ci,
)


def test_iqm_of_one_to_eight_is_the_mean_of_three_to_six() -> None:
    assert iqm(np.arange(1, 9)) == pytest.approx(4.5)  # trims 2 from each end: (3+4+5+6)/4


def test_iqm_ignores_outliers_in_the_tails() -> None:
    assert iqm([0, 1, 1, 1, 1, 1, 1, 1e9]) == pytest.approx(1.0)


def test_constant_scores_give_a_degenerate_interval() -> None:
    assert stratified_bootstrap_ci(np.full((5, 3), 2.0), reps=50) == (2.0, 2.0, 2.0)


def test_resampling_is_within_tasks() -> None:
    """Task 0 always scores 0, task 1 always 10: every stratified resample keeps the half/half mix,
    so the mean is 5 in every replicate (an unstratified bootstrap would vary)."""
    x = np.column_stack([np.zeros(6), np.full(6, 10.0)])
    est, lo, hi = stratified_bootstrap_ci(x, lambda s: float(s.mean()), reps=200)
    assert est == lo == hi == 5.0


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-100, 100), min_size=2, max_size=12), st.integers(0, 1000))
def test_interval_brackets_within_sample_range(values: list[float], seed: int) -> None:
    est, lo, hi = stratified_bootstrap_ci(values, reps=100, seed=seed)
    assert min(values) - 1e-9 <= lo <= hi <= max(values) + 1e-9
    assert min(values) - 1e-9 <= est <= max(values) + 1e-9


def test_seeded_and_reproducible() -> None:
    x = np.random.default_rng(1).normal(size=(10, 2))
    assert stratified_bootstrap_ci(x, seed=3) == stratified_bootstrap_ci(x, seed=3)


def test_bad_input_names_the_entry() -> None:
    with pytest.raises(GameError, match=r"\(1, 0\)"):
        iqm(np.array([[1.0], [np.nan]]))
    with pytest.raises(ConfigError):
        stratified_bootstrap_ci([1.0, 2.0], confidence=1.5)


def test_probability_of_improvement_by_hand() -> None:
    # pairs (1,0) win, (1,3) lose, (2,0) win, (2,3) lose: 2 of 4
    assert probability_of_improvement([1.0, 2.0], [0.0, 3.0]) == 0.5
    assert probability_of_improvement([1.0], [1.0]) == 0.5          # a tie counts one half
    assert probability_of_improvement([2.0, 3.0], [0.0, 1.0]) == 1.0
    # two tasks, averaged: task 0 X always wins (1), task 1 X always loses (0)
    assert probability_of_improvement([[5.0, 0.0]], [[1.0, 9.0]]) == 0.5


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=1, max_size=6), st.lists(st.integers(-3, 3), min_size=1,
                                                                     max_size=6))
def test_probability_of_improvement_is_complementary(x: list[int], y: list[int]) -> None:
    """P(X > Y) + P(Y > X) = 1 (ties split evenly); the interval lies in [0, 1]."""
    assert probability_of_improvement(x, y) + probability_of_improvement(y, x) == pytest.approx(1.0)
    _, lo, hi = probability_of_improvement_ci(x, y, reps=50)
    assert 0.0 <= lo <= hi <= 1.0


def test_performance_profile_by_hand() -> None:
    prof = performance_profile([0.0, 0.5, 1.0], [-1.0, 0.25, 0.75, 1.0])
    np.testing.assert_allclose(prof, [1.0, 2 / 3, 1 / 3, 0.0])
    # ragged tasks weigh the same: task 0 (one run above 0.5) and task 1 (none of three)
    ragged = TaskScores.ragged([[1.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(performance_profile(ragged, [0.5]), [0.5])


def test_ragged_tasks_resample_within_each_task() -> None:
    ragged = TaskScores.ragged([[0.0, 0.0, 0.0], [10.0]])
    est, lo, hi = stratified_bootstrap_ci(ragged, lambda s: float(np.mean([t.mean() for t in s.tasks])),
                                          reps=100)
    assert est == lo == hi == 5.0
    assert iqm(ragged) == 0.0  # middle half of (0, 0, 0, 10)
    with pytest.raises(GameError, match="task 1"):
        TaskScores.ragged([[1.0], []])


def test_min_max_normalise() -> None:
    np.testing.assert_allclose(min_max_normalise([2.0, 4.0, 6.0], 2.0, 6.0), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(min_max_normalise([3.0], 3.0, 3.0), [0.0])  # no spread: no information


@settings(max_examples=20, deadline=None)
@given(st.lists(st.lists(st.floats(-10, 10), min_size=1, max_size=5), min_size=1, max_size=3),
       st.integers(0, 99))
def test_vectorised_iqm_interval_equals_the_loop(per_task: list[list[float]], seed: int) -> None:
    """The IQM's all-resamples-at-once path and the generic per-resample loop (a wrapped IQM) draw
    the same resamples and must give the same interval."""
    ts = TaskScores.ragged(per_task)
    fast = stratified_bootstrap_ci(ts, iqm, reps=64, seed=seed)
    slow = stratified_bootstrap_ci(ts, lambda s: iqm(s), reps=64, seed=seed)
    assert fast == pytest.approx(slow)
