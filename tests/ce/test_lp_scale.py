"""The CE/CCE LPs do not depend on the payoff scale (ce.lp, ce.highs_backend).

CE and CCE sets are invariant under positive affine maps of each player's payoffs, so every
objective must give the same answer (in the game's own units) at every scale, certified relative
to each player's payoff range.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import highspy
import numpy as np
import pytest

import ce.highs_backend as backend
from ce.errors import SolverWarning
from ce.lp import solve_correlated
from games.normal_form.catalog import chicken
from games.normal_form.game import NormalFormGame

SCALES = (1e-12, 1e-6, 1.0, 1e6, 1e12)
UNIQUE = ("welfare", "l2", "entropy")  # objectives with a unique optimum on chicken's polytopes
REL_EPS = 1e-9


def _solve(game: NormalFormGame, concept: str, objective: str):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no SolverWarning, no "inaccurate" from cvxpy
        res = solve_correlated(game, concept, objective)
    assert res.gap.relative_epsilon is not None and res.gap.relative_epsilon <= REL_EPS
    return res


@pytest.mark.parametrize("concept", ["ce", "cce"])
@pytest.mark.parametrize("objective", ["welfare", "egalitarian", "feasibility", "l1", "l2", "entropy"])
def test_chicken_at_every_scale(concept: str, objective: str) -> None:
    base = _solve(chicken(), concept, objective)
    if concept == "ce" and objective == "welfare":  # Aumann's game: 1/2 (C,C), 1/4 (D,C), (C,D)
        np.testing.assert_allclose(base.distribution, [[0, 0.25], [0.25, 0.5]], atol=1e-12)
    for s in SCALES:
        res = _solve(chicken().with_payoffs(chicken().payoffs * s), concept, objective)
        payoff_units = objective in ("welfare", "egalitarian")
        want = base.objective_value * (s if payoff_units else 1.0)
        assert res.objective_value == pytest.approx(want, rel=1e-8, abs=1e-12)
        if objective in UNIQUE:
            # (entropy is flat at its maximum: 1e-10 in value is ~1e-5 in the maximiser)
            atol = 1e-4 if objective == "entropy" else 1e-7
            np.testing.assert_allclose(res.distribution, base.distribution, atol=atol)
        if objective in ("welfare", "egalitarian"):  # the multiplier of Σμ = 1 is the optimum
            assert res.normalization_dual == pytest.approx(base.normalization_dual * s, rel=1e-6)
        # λ is objective per unit of incentive slack (payoff units): scale-free when the objective
        # is in payoff units, ∝ 1/s otherwise
        per = 1.0 if payoff_units else s
        for lam, lam0 in zip(res.incentive_duals, base.incentive_duals, strict=True):
            np.testing.assert_allclose(lam * per, lam0, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("objective", ["feasibility", "l1", "l2", "entropy"])
def test_players_on_very_different_scales(objective: str) -> None:
    # u_0 in units of 1e12, u_1 in units of 1e-12: the polytopes are chicken's, and these
    # objectives do not look at payoffs, so the answers are chicken's.
    pay = chicken().payoffs * np.array([1e12, 1e-12])[:, None, None]
    for concept in ("ce", "cce"):
        res = _solve(chicken().with_payoffs(pay), concept, objective)
        base = _solve(chicken(), concept, objective)
        assert res.objective_value == pytest.approx(base.objective_value, rel=1e-7, abs=1e-12)
        if objective in UNIQUE:
            atol = 1e-4 if objective == "entropy" else 1e-7
            np.testing.assert_allclose(res.distribution, base.distribution, atol=atol)


def test_payoffs_differing_by_1e_10() -> None:
    # The whole game lives in a window of 1e-10 around 1: chicken, shifted and shrunk.
    game = chicken().with_payoffs(1.0 + 1e-11 * chicken().payoffs)
    res = _solve(game, "ce", "welfare")
    np.testing.assert_allclose(res.distribution, [[0, 0.25], [0.25, 0.5]], atol=1e-7)
    # Two payoffs 1e-10 apart inside a unit range: the tiny incentive still counts.
    a = np.array([[1.0, 0.0], [0.0, 1.0 + 1e-10]])
    game = NormalFormGame(np.stack([a, a]))
    for objective in ("welfare", "l1", "l2", "entropy", "feasibility", "egalitarian"):
        _solve(game, "ce", objective)


def test_kuhn_poker_normal_form_value() -> None:
    # OpenSpiel's normal_form_extensive_game(game=kuhn_poker()): a zero-sum 64x64 game with
    # thousands of ~5e-17 coefficients (rounding residue of chance averages). Every CE and CCE of
    # a two-player zero-sum game pays each player the game's value, -1/18 to the first player.
    pytest.importorskip("pyspiel")
    from games.normal_form.openspiel_io import from_openspiel

    game = from_openspiel("normal_form_extensive_game(game=kuhn_poker())")
    assert game.num_actions == (64, 64)
    for concept in ("ce", "cce"):
        res = _solve(game, concept, "welfare")
        np.testing.assert_allclose(res.values, [-1 / 18, 1 / 18], atol=1e-9)


def test_highs_warnings_are_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    class Warns(highspy.Highs):
        def passModel(self, *args: object) -> highspy.HighsStatus:
            super().passModel(*args)
            return highspy.HighsStatus.kWarning

    monkeypatch.setattr(backend.highspy, "Highs", Warns)
    with pytest.warns(SolverWarning, match="warning"):
        res = solve_correlated(chicken(), "ce", "welfare")
    assert res.welfare == pytest.approx(10.5)


def test_tiny_matrix_entries_are_dropped_exactly() -> None:
    indptr, indices, data = backend._drop_tiny(np.array([0, 2, 2, 5]), np.array([0, 1, 0, 1, 2]),
                                               np.array([1e-15, 1.0, 2.0, -1e-13, 3.0]))
    assert indptr.tolist() == [0, 1, 1, 3] and indices.tolist() == [1, 0, 2]
    assert data.tolist() == [1.0, 2.0, 3.0]


def test_constructing_highs_prints_nothing_on_stdout() -> None:
    # highspy 1.16 prints its banner on file descriptor 1 at the first Highs() of a process.
    repo = Path(__file__).resolve().parents[2]
    code = "from ce.highs_backend import new_highs; new_highs(); new_highs(); print('ok')"
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(repo)}, timeout=120, check=True)
    assert proc.stdout == "ok\n"
