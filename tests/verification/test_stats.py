"""IQM and stratified bootstrap intervals: hand-computed values and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from games.errors import GameError
from verification.stats import iqm, stratified_bootstrap_ci


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
    with pytest.raises(GameError):
        stratified_bootstrap_ci([1.0, 2.0], confidence=1.5)
