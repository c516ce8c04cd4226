"""Tests of ce.nash: known equilibria, cross-checks against nashpy, degenerate games."""

from __future__ import annotations

import itertools
import warnings

import nashpy
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ce.errors import DegenerateGameError, DistributionError, SolverError, SolverWarning
from ce.nash import (
    NashEquilibrium,
    _product_regret,
    lemke_howson,
    lemke_howson_all_labels,
    pure_nash_equilibria,
    support_enumeration,
)
from games.errors import GameError
from games.normal_form.catalog import make_game, random_game
from games.normal_form.game import NormalFormGame

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _profile_set(eqs: list[NashEquilibrium]) -> list[np.ndarray]:
    return [np.concatenate(e.strategies) for e in eqs]


def _same_sets(ours: list[np.ndarray], theirs: list[np.ndarray], atol: float = 1e-6) -> bool:
    def covered(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
        return all(any(np.allclose(u, v, atol=atol, rtol=0) for v in b) for u in a)

    return len(ours) == len(theirs) and covered(ours, theirs) and covered(theirs, ours)


def _nashpy_set(game: NormalFormGame) -> list[np.ndarray]:
    """Reference equilibria from nashpy's vertex enumeration (qhull needs m, n >= 2).

    nashpy's support enumeration is not used for mixed equilibria: it tests ``prob >= 0`` and
    payoff maxima with exact float equality, so it misses equilibria over rounding residues.
    Vertex enumeration occasionally adds inexact near-copies of an equilibrium, so candidates
    are filtered by regret and merged (within 1e-4) keeping the most exact representative.
    """
    a, b = game.payoffs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = nashpy.Game(a, b)
        eqs = list(ref.vertex_enumeration() if min(a.shape) >= 2
                   else ref.support_enumeration(non_degenerate=True))
    scored = sorted(((_product_regret(game, [x, y]), np.concatenate([x, y])) for x, y in eqs),
                    key=lambda t: t[0])
    out: list[np.ndarray] = []
    for regret, p in scored:
        if regret <= 1e-6 and not any(np.allclose(p, q, atol=1e-4, rtol=0) for q in out):
            out.append(p)
    return out


def _generic_game(seed: int, m: int, n: int) -> NormalFormGame:
    # Continuous i.i.d. payoffs: nondegenerate with probability 1 (hypothesis-drawn floats would
    # shrink to ties such as 0.0, so only the seed and the shape come from hypothesis).
    rng = np.random.default_rng(seed)
    return NormalFormGame.from_bimatrix(rng.normal(size=(m, n)), rng.normal(size=(m, n)))


def _has(eqs: list[NashEquilibrium], x: list[float], y: list[float], atol: float = 1e-9) -> bool:
    target = np.concatenate([x, y])
    return any(np.allclose(p, target, atol=atol, rtol=0) for p in _profile_set(eqs))


# ----------------------------------------------------------------------------- known values
def test_climbing_pure_equilibria() -> None:
    game = make_game("climbing")
    assert pure_nash_equilibria(game) == [(0, 0), (1, 1)]
    assert game.payoffs[0][0, 0] == 11 and game.payoffs[0][1, 1] == 7
    eqs = support_enumeration(game)
    pure = [e for e in eqs if all(len(s) == 1 for s in e.supports)]
    assert [e.supports for e in pure] == [((0,), (0,)), ((1,), (1,))]
    np.testing.assert_allclose([e.values for e in pure], [[11, 11], [7, 7]])


def test_chicken_three_equilibria() -> None:
    # Row payoffs A = [[0, 7], [2, 6]] (rows dare, chicken). If the column player dares with prob.
    # q, dare pays 7(1 - q) and chicken pays 2q + 6(1 - q) = 6 - 4q; indifference gives q = 1/3,
    # and by symmetry p = 1/3; the value is 7 * 2/3 = 14/3 for each player.
    game = make_game("chicken")
    assert pure_nash_equilibria(game) == [(0, 1), (1, 0)]
    eqs = support_enumeration(game)
    assert len(eqs) == 3
    assert _has(eqs, [1, 0], [0, 1]) and _has(eqs, [0, 1], [1, 0])
    assert _has(eqs, [1 / 3, 2 / 3], [1 / 3, 2 / 3])
    mixed = next(e for e in eqs if e.supports == ((0, 1), (0, 1)))
    np.testing.assert_allclose(mixed.values, [14 / 3, 14 / 3])
    assert mixed.welfare == pytest.approx(28 / 3)
    np.testing.assert_allclose(mixed.joint, np.outer([1 / 3, 2 / 3], [1 / 3, 2 / 3]))


@pytest.mark.parametrize("name,k", [("rock_paper_scissors", 3), ("matching_pennies", 2)])
def test_zero_sum_uniform_unique(name: str, k: int) -> None:
    game = make_game(name)
    assert pure_nash_equilibria(game) == []
    eqs = support_enumeration(game)
    assert len(eqs) == 1
    for s in eqs[0].strategies:
        np.testing.assert_allclose(s, np.full(k, 1 / k))
    np.testing.assert_allclose(eqs[0].values, [0, 0], atol=1e-12)
    assert lemke_howson_all_labels(game)[0].allclose(eqs[0])
    assert len(lemke_howson_all_labels(game)) == 1


def test_prisoners_dilemma_unique() -> None:
    game = make_game("prisoners_dilemma")
    assert pure_nash_equilibria(game) == [(1, 1)]
    eqs = support_enumeration(game)
    assert len(eqs) == 1 and eqs[0].supports == ((1,), (1,))
    np.testing.assert_allclose(eqs[0].values, [1, 1])
    assert lemke_howson(game).allclose(eqs[0])


def test_three_player_coordination() -> None:
    # Everyone gets 1 iff all three choose the same action. With 2 actions every other profile
    # has exactly one odd player out, who gains by switching: the NE are the all-equal profiles.
    reward = np.zeros((2, 2, 2))
    reward[0, 0, 0] = reward[1, 1, 1] = 1
    assert pure_nash_equilibria(NormalFormGame.cooperative(reward)) == [(0, 0, 0), (1, 1, 1)]
    # With 3 actions an all-different profile is also a (weak) NE: no single deviation helps.
    reward3 = np.zeros((3, 3, 3))
    for a in range(3):
        reward3[a, a, a] = 1
    expected = sorted([(a, a, a) for a in range(3)] + list(itertools.permutations(range(3))))
    assert pure_nash_equilibria(NormalFormGame.cooperative(reward3)) == expected


@given(seed=st.integers(0, 2**32 - 1), shape=st.tuples(*[st.integers(1, 3)] * 3))
@SETTINGS
def test_pure_ne_matches_brute_force_three_players(seed: int, shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(seed)
    game = NormalFormGame(rng.integers(0, 3, size=(3, *shape)).astype(float))
    brute = []
    for a in game.joint_actions():
        if all(game.payoffs[i][a] >= max(game.payoffs[i][(*a[:i], d, *a[i + 1:])]
                                         for d in range(shape[i])) for i in range(3)):
            brute.append(a)
    assert pure_nash_equilibria(game) == brute
    for a in brute:
        strats = [np.eye(m)[k] for m, k in zip(shape, a, strict=True)]
        assert _product_regret(game, strats) == 0.0


def test_equilibrium_object_and_regret_errors() -> None:
    game = random_game(players=3, actions=2, seed=1)
    strats = [np.array([0.3, 0.7]), np.array([0.5, 0.5]), np.array([1.0, 0.0])]
    joint = np.einsum("a,b,c->abc", *strats)
    eq = NashEquilibrium(tuple(strats), game.expected_payoffs(joint))
    np.testing.assert_allclose(eq.joint, joint)
    assert eq.welfare == pytest.approx(float(game.welfare.reshape(-1) @ joint.reshape(-1)))
    assert eq.supports == ((0, 1), (0, 1), (0,))
    # Regret = max_i max_{a_i} u_i(a_i, s_-i) - u_i(s), by brute force over pure deviations.
    brute = max(max(game.expected_payoffs(np.einsum(
        "a,b,c->abc", *[np.eye(2)[d] if j == i else strats[j] for j in range(3)]))[i]
        for d in range(2)) - eq.values[i] for i in range(3))
    assert _product_regret(game, strats) == pytest.approx(brute)
    with pytest.raises(DistributionError):
        _product_regret(game, strats[:2])
    with pytest.raises(DistributionError):
        _product_regret(game, [np.ones(3) / 3, *strats[1:]])


def test_typed_errors() -> None:
    three = random_game(players=3, actions=2)
    for fn in (support_enumeration, lemke_howson, lemke_howson_all_labels):
        with pytest.raises(GameError):
            fn(three)
    with pytest.raises(GameError):
        lemke_howson(make_game("chicken"), initial_label=4)
    with pytest.raises(ValueError):
        support_enumeration(make_game("chicken"), on_degenerate="ignore")  # type: ignore[arg-type]
    big = random_game(actions=12, seed=0)  # C(24, 12) - 1 = 2_704_155 support pairs
    with pytest.raises(SolverError, match="lemke_howson"):
        support_enumeration(big)
    with pytest.raises(SolverError, match="max_support_pairs"):
        support_enumeration(random_game(actions=3), max_support_pairs=10)


# ----------------------------------------------------------------------------- cross-checks
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 4), n=st.integers(1, 4))
@SETTINGS
def test_random_games_match_nashpy(seed: int, m: int, n: int) -> None:
    game = _generic_game(seed, m, n)
    eqs = support_enumeration(game)
    ours = _profile_set(eqs)
    assert _same_sets(ours, _nashpy_set(game))
    for e in eqs:
        assert _product_regret(game, e.strategies) <= 1e-8
        assert len(e.supports[0]) == len(e.supports[1])
        np.testing.assert_allclose(e.values, [e.strategies[0] @ game.payoffs[i] @ e.strategies[1]
                                              for i in range(2)])
    pure = [tuple(s[0] for s in e.supports) for e in eqs if len(e.supports[0]) == 1]
    assert sorted(pure) == pure_nash_equilibria(game)
    lh = lemke_howson_all_labels(game)
    for e in lh:
        assert _product_regret(game, e.strategies) <= 1e-8
        assert any(np.allclose(np.concatenate(e.strategies), p, atol=1e-6) for p in ours)
    assert len(eqs) % 2 == 1  # nondegenerate games have an odd number of equilibria


def test_lemke_howson_large_random_game() -> None:
    game = random_game(actions=30, seed=11)
    eq = lemke_howson(game)
    assert _product_regret(game, eq.strategies) <= 1e-9
    assert len(eq.supports[0]) == len(eq.supports[1])
    for label in (5, 45):
        assert _product_regret(game, lemke_howson(game, initial_label=label).strategies) <= 1e-9


def test_support_enumeration_moderate_size() -> None:
    game = random_game(actions=7, seed=5)  # 3431 support pairs, batched
    eqs = support_enumeration(game)
    assert all(_product_regret(game, e.strategies) <= 1e-9 for e in eqs)
    assert len(eqs) % 2 == 1
    for e in lemke_howson_all_labels(game):
        assert any(e.allclose(f, 1e-7) for f in eqs)


# ----------------------------------------------------------------------------- degenerate games
DEGENERATE = {
    "all_ties": ([[1, 1], [1, 1]], [[1, 1], [1, 1]]),
    "dominated_row_indifferent_col": ([[1, 1], [0, 0]], [[1, 1], [1, 1]]),
    "zero_sum_tie": ([[0, -1, 1], [-1, 0, 1], [-1, 1, 0]], [[0, 1, -1], [1, 0, -1], [1, -1, 0]]),
    "penalty": (make_game("penalty").payoffs[0], make_game("penalty").payoffs[1]),
}


@pytest.mark.parametrize("name", sorted(DEGENERATE))
def test_degenerate_raise_warn_and_lemke_howson(name: str) -> None:
    game = NormalFormGame.from_bimatrix(*DEGENERATE[name])
    with pytest.raises(DegenerateGameError, match=r"best responses|singular"):
        support_enumeration(game)
    with pytest.warns(SolverWarning, match="degenerate"):
        eqs = support_enumeration(game, on_degenerate="warn")
    assert eqs
    for e in eqs:
        assert _product_regret(game, e.strategies) <= 1e-8
    for e in lemke_howson_all_labels(game):
        assert _product_regret(game, e.strategies) <= 1e-9


def test_degenerate_message_names_witness() -> None:
    game = NormalFormGame.from_bimatrix(*DEGENERATE["dominated_row_indifferent_col"])
    with pytest.raises(DegenerateGameError, match=r"support \[0\].*best responses \[0, 1\]"):
        support_enumeration(game)


def test_singular_system_witness() -> None:
    # Columns 0 and 1 are copies: for rows {0, 1} x cols {0, 1} both indifference systems are
    # singular, and the game has a continuum of equilibria (y_0 + y_1 fixed).
    a = [[3, 3, 0], [0, 0, 3], [1, 1, 1]]
    b = [[1, 1, 0], [0, 0, 1], [0, 0, 0]]
    game = NormalFormGame.from_bimatrix(a, b)
    with pytest.raises(DegenerateGameError):
        support_enumeration(game)
    with pytest.warns(SolverWarning):
        eqs = support_enumeration(game, on_degenerate="warn")
    assert all(_product_regret(game, e.strategies) <= 1e-8 for e in eqs)
    assert _product_regret(game, lemke_howson(game).strategies) <= 1e-9


@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 5), n=st.integers(1, 5))
@SETTINGS
def test_lemke_howson_on_tie_heavy_games(seed: int, m: int, n: int) -> None:
    # Payoffs in {0, 1}: massive ties in the minimum-ratio test; the lexicographic rule must
    # still terminate at a genuine equilibrium from every label.
    rng = np.random.default_rng(seed)
    game = NormalFormGame.from_bimatrix(rng.integers(0, 2, (m, n)), rng.integers(0, 2, (m, n)))
    lh = lemke_howson_all_labels(game)
    for e in lh:
        assert _product_regret(game, e.strategies) <= 1e-9
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SolverWarning)
        eqs = support_enumeration(game, on_degenerate="warn")
    for e in eqs:
        assert _product_regret(game, e.strategies) <= 1e-8
    try:
        complete = support_enumeration(game)
    except DegenerateGameError:
        return
    # No witness: the list is complete, so it contains everything Lemke-Howson can reach.
    for e in lh:
        assert any(e.allclose(f, 1e-7) for f in complete)
