"""Tests of ce/lp.py on random games: certified equilibria, NE ⊆ CE ⊆ CCE, LP duality, invariance
under affine payoff transforms and relabelling, and the incentive rows against a slow Python-loop
construction (the hand-derived optima are in test_lp.py)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_lp import SETTINGS, TOL, _check_duality

from ce.errors import SolverWarning
from ce.gaps import cce_gap, ce_gap
from ce.lp import EquilibriumResult, solve_cce, solve_ce, solve_correlated
from ce.nash import lemke_howson, pure_nash_equilibria, support_enumeration
from ce.polytope import incentive_constraints
from games.normal_form.game import NormalFormGame


# --------------------------------------------------------------------------- random games
@st.composite
def lp_games(draw: st.DrawFn) -> NormalFormGame:
    n = draw(st.integers(2, 4))
    shape = tuple(draw(st.lists(st.integers(2, 4), min_size=n, max_size=n)))
    seed = draw(st.integers(0, 2**32 - 1))
    cooperative = draw(st.booleans())
    integer = draw(st.booleans())  # small integers: ties, degenerate LPs, dropped CE rows
    rng = np.random.default_rng(seed)
    size = shape if cooperative else (n, *shape)
    pay = rng.integers(-3, 4, size=size).astype(float) if integer else rng.uniform(0.0, 1.0, size=size)
    if cooperative:
        return NormalFormGame.cooperative(pay)
    return NormalFormGame(pay)


def _solve_or_known_l2_failure(game: NormalFormGame, concept: str, objective: str,
                               **kw: object) -> EquilibriumResult | None:
    """Solve (kept as a helper so every objective goes through one call site)."""
    return solve_correlated(game, concept, objective, **kw)  # type: ignore[arg-type]


@SETTINGS
@given(lp_games())
def test_solutions_are_certified_equilibria(game: NormalFormGame) -> None:
    # NE ⊆ CE ⊆ CCE (Defs. 1-3): every CE is a CCE, checked with the closed-form gaps.
    results = {}
    for concept in ("ce", "cce"):
        for obj in ("welfare", "egalitarian", "feasibility", "l1", "l2"):
            res = _solve_or_known_l2_failure(game, concept, obj)
            if res is None:
                continue
            results[concept, obj] = res
            mu = res.distribution
            assert mu.min() >= -1e-9 and mu.sum() == pytest.approx(1.0, abs=1e-9)
            assert cce_gap(game, mu).epsilon <= TOL
            if concept == "ce":
                assert ce_gap(game, mu).epsilon <= TOL
            np.testing.assert_allclose(res.values, game.expected_payoffs(mu), atol=1e-12)
    # Projection theorem: p = argmin ½||μ - q||² over a convex set iff (q - p)·(x - p) <= 0 for every
    # x in the set; l1: ||p - q||_1 <= ||x - q||_1. Check against the other solutions x.
    q = np.full(game.num_actions, 1.0 / game.num_joint_actions)
    for concept in ("ce", "cce"):
        points = [r.distribution for (c, o), r in results.items() if c == concept]
        if (concept, "l2") in results:
            p = results[concept, "l2"].distribution
            assert results[concept, "l2"].objective_value == pytest.approx(
                0.5 * float(((p - q) ** 2).sum()), abs=1e-9)
            for x in points:
                assert float(((q - p) * (x - p)).sum()) <= 1e-7
        p1 = results[concept, "l1"]
        assert p1.objective_value == pytest.approx(float(np.abs(p1.distribution - q).sum()), abs=1e-7)
        for x in points:
            assert p1.objective_value <= float(np.abs(x - q).sum()) + 1e-7
        # A target inside the polytope (the welfare optimum) is its own nearest point.
        inside = results[concept, "welfare"].distribution
        for obj in ("l1", "l2"):
            res = _solve_or_known_l2_failure(game, concept, obj, target=inside)
            if res is not None:
                np.testing.assert_allclose(res.distribution, inside, atol=1e-6)
                assert abs(res.objective_value) <= 1e-7


@SETTINGS
@given(lp_games())
def test_welfare_ordering_cce_ce_ne(game: NormalFormGame) -> None:
    # CE ⊆ CCE, and the product of any NE is a CE, so
    # max welfare over CCE >= max over CE >= welfare of every NE.
    ce = solve_ce(game)
    cce = solve_cce(game)
    assert cce.objective_value >= ce.objective_value - TOL
    # The LP optimum is at least the welfare of its own certified point, and at most the max entry.
    assert ce.objective_value == pytest.approx(ce.welfare, abs=1e-9)
    assert cce.objective_value <= game.welfare.max() + TOL
    for joint in pure_nash_equilibria(game):
        mu = np.zeros(game.num_actions)
        mu[joint] = 1.0
        assert ce_gap(game, mu).epsilon <= TOL
        assert game.welfare[joint] <= ce.objective_value + TOL
    if game.num_players == 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SolverWarning)
            eqs = support_enumeration(game, on_degenerate="warn")
        eqs.append(lemke_howson(game))
        for e in eqs:
            assert ce_gap(game, e.joint).epsilon <= TOL
            assert e.welfare <= ce.objective_value + TOL


@SETTINGS
@given(lp_games(), st.integers(0, 2**32 - 1))
def test_duality_on_random_games(game: NormalFormGame, seed: int) -> None:
    w = np.random.default_rng(seed).normal(size=game.num_actions)
    for concept in ("ce", "cce"):
        _check_duality(solve_correlated(game, concept, "welfare"), game.welfare)
        _check_duality(solve_correlated(game, concept, "egalitarian"))
        _check_duality(solve_correlated(game, concept, "linear", weights=w), w)


@SETTINGS
@given(lp_games(), st.data())
def test_affine_transform_leaves_sets_unchanged(game: NormalFormGame, data: st.DataObject) -> None:
    # Every incentive row of player i is Σ μ (u_i(a') - u_i(a)); u_i -> s u_i + t (s > 0) multiplies
    # it by s, so the CE and CCE polytopes are identical sets.
    i = data.draw(st.integers(0, game.num_players - 1))
    s = data.draw(st.floats(0.1, 10.0))
    t = data.draw(st.floats(-10.0, 10.0))
    pay = game.payoffs.copy()
    pay[i] = s * pay[i] + t
    moved = game.with_payoffs(pay)
    w = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))).normal(size=game.num_actions)
    for concept, gap in (("ce", ce_gap), ("cce", cce_gap)):
        for a, b in ((game, moved), (moved, game)):
            for obj in ("welfare", "feasibility"):
                mu = solve_correlated(a, concept, obj).distribution
                assert gap(b, mu).epsilon <= TOL
        # Equal sets give equal optima of a fixed linear objective.
        v0 = solve_correlated(game, concept, "linear", weights=w).objective_value
        v1 = solve_correlated(moved, concept, "linear", weights=w).objective_value
        assert v0 == pytest.approx(v1, abs=1e-7)


@SETTINGS
@given(lp_games(), st.data())
def test_permuting_actions_permutes_solutions(game: NormalFormGame, data: st.DataObject) -> None:
    # Relabelling player j's actions (new k = old perm[k]) maps the polytope onto the permuted one
    # by μ -> np.take(μ, perm, axis=j) and preserves welfare.
    j = data.draw(st.integers(0, game.num_players - 1))
    perm = data.draw(st.permutations(range(game.num_actions[j])))
    pgame = game.permute_actions(j, perm)
    for concept, gap in (("ce", ce_gap), ("cce", cce_gap)):
        res = solve_correlated(game, concept, "welfare")
        pres = solve_correlated(pgame, concept, "welfare")
        assert res.objective_value == pytest.approx(pres.objective_value, abs=1e-7)
        moved = np.take(res.distribution, perm, axis=j)
        assert gap(pgame, moved).epsilon <= TOL
        assert float((pgame.welfare * moved).sum()) == pytest.approx(pres.objective_value, abs=1e-7)


def _reference_rows(game: NormalFormGame, concept: str) -> dict[tuple[int, int, int], np.ndarray]:
    """Dense incentive rows by nested Python loops over players, deviations and joint actions."""
    joints = list(itertools.product(*(range(m) for m in game.num_actions)))
    rows: dict[tuple[int, int, int], np.ndarray] = {}
    for i, m in enumerate(game.num_actions):
        u = game.payoffs[i]
        recs = range(m) if concept == "ce" else [-1]
        for r in recs:
            for dev in range(m):
                if dev == r:
                    continue
                row = np.zeros(len(joints))
                for k, a in enumerate(joints):
                    if concept == "cce" or a[i] == r:
                        b = (*a[:i], dev, *a[i + 1:])
                        row[k] = u[b] - u[a]
                if concept == "ce" and row.max() <= 0:  # always satisfied: dropped by design
                    continue
                rows[i, r, dev] = row
    return rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lp_games())
def test_incentive_rows_match_reference(game: NormalFormGame) -> None:
    for concept in ("ce", "cce"):
        cons = incentive_constraints(game, concept)
        dense = cons.matrix().toarray()
        assert dense.shape == (cons.num_rows, game.num_joint_actions) and cons.concept == concept
        keys = list(zip(cons.player.tolist(), cons.recommended.tolist(), cons.deviation.tolist(),
                        strict=True))
        assert len(set(keys)) == len(keys)  # no duplicate rows
        ref = _reference_rows(game, concept)
        assert sorted(keys) == sorted(ref)
        for k, key in enumerate(keys):
            # Same float subtraction u_i(a') - u_i(a) in both constructions: bitwise equal.
            np.testing.assert_array_equal(dense[k], ref[key])
        assert np.all(cons.data != 0.0)  # zero coefficients are not stored
