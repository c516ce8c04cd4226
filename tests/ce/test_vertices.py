"""Exact vertex enumeration of CE and CCE polytopes (ce.vertices) against a brute force."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ce.errors import SolverError
from ce.gaps import cce_gap, ce_gap
from ce.lp import solve_correlated
from ce.polytope import incentive_constraints
from ce.vertices import polytope_vertices
from games.normal_form.catalog import climbing, make_game
from games.normal_form.game import NormalFormGame


def _brute_force(game: NormalFormGame, concept: str) -> np.ndarray:
    """Every basic feasible solution of {μ >= 0, Aμ <= 0, Σμ = 1}: n - 1 tight rows + Σμ = 1."""
    a = incentive_constraints(game, concept).matrix().toarray()
    n = a.shape[1]
    rows = np.vstack([a, -np.eye(n)])
    found: list[np.ndarray] = []
    for tight in itertools.combinations(range(len(rows)), n - 1):
        mat = np.vstack([rows[list(tight)], np.ones(n)])
        if abs(np.linalg.det(mat)) < 1e-9:
            continue
        mu = np.linalg.solve(mat, np.eye(n)[-1])
        if (rows @ mu).max() <= 1e-9 and not any(np.allclose(mu, f, atol=1e-9) for f in found):
            found.append(mu)
    return np.array(found)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return len(a) == len(b) and all(any(np.allclose(x, y, atol=1e-9) for y in b) for x in a)


@pytest.mark.parametrize("concept", ["ce", "cce"])
@pytest.mark.parametrize("name", ["chicken", "prisoners_dilemma", "matching_pennies",
                                  "coordination", "stag_hunt"])
def test_small_games_match_brute_force(name: str, concept: str) -> None:
    game = make_game(name)
    assert _same(polytope_vertices(game, concept), _brute_force(game, concept))


def test_climbing_vertex_counts_and_welfare_range() -> None:
    game = climbing()
    w = game.welfare.ravel()
    for concept, count in (("ce", 45), ("cce", 101)):
        verts = polytope_vertices(game, concept)
        assert verts.shape == (count, 9)
        gap = ce_gap if concept == "ce" else cce_gap
        assert all(gap(game, v).epsilon <= 1e-12 for v in verts)
        # a linear objective is optimal at a vertex: the LP optima are the extreme welfares
        assert (verts @ w).max() == pytest.approx(solve_correlated(game, concept).welfare, abs=1e-9)
        low = solve_correlated(game, concept, "linear", weights=-game.welfare).objective_value
        assert (verts @ w).min() == pytest.approx(-low, abs=1e-9)


def test_exact_vertices_are_rationals_in_the_polytope() -> None:
    game = make_game("chicken")
    verts = polytope_vertices(game, "ce", exact=True)
    assert [tuple(v) for v in verts] == sorted(tuple(v) for v in verts)
    # the two pure NE, the mixed NE (dare with 1/3 each) and the max-welfare CE are vertices
    ninth, quarter = Fraction(1, 9), Fraction(1, 4)
    assert len(verts) == 5
    assert (0, 0, 1, 0) in verts and (0, 1, 0, 0) in verts
    assert (ninth, 2 * ninth, 2 * ninth, 4 * ninth) in verts
    assert (0, quarter, quarter, Fraction(1, 2)) in verts
    a = incentive_constraints(game, "ce").matrix().toarray()
    for v in verts:
        assert sum(v) == 1 and min(v) >= 0
        assert all(sum(Fraction(c) * x for c, x in zip(row, v, strict=True)) <= 0 for row in a)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), concept=st.sampled_from(["ce", "cce"]),
       shape=st.sampled_from([(2, 2), (2, 3), (3, 2)]))
def test_random_integer_games_match_brute_force(seed: int, concept: str, shape: tuple) -> None:
    game = NormalFormGame(np.random.default_rng(seed).integers(-3, 4, size=(2, *shape)))
    assert _same(polytope_vertices(game, concept), _brute_force(game, concept))


def test_three_players_and_scale_invariance() -> None:
    game = NormalFormGame(np.random.default_rng(5).normal(size=(3, 2, 2, 2)))
    verts = polytope_vertices(game, "ce")
    assert len(verts) > 0 and all(ce_gap(game, v).epsilon <= 1e-12 for v in verts)
    scaled = game.with_payoffs(game.payoffs * np.array([1e-9, 1.0, 1e9])[:, None, None, None])
    assert _same(polytope_vertices(scaled, "ce"), verts)


def test_size_limit() -> None:
    with pytest.raises(SolverError, match="max_bases"):
        polytope_vertices(climbing(), "cce", max_bases=5)
