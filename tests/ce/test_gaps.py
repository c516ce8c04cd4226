"""Tests of ce/gaps.py: closed-form ε-NE / ε-CCE / ε-CE gaps.

Known values are derived by hand in comments (chicken: Aumann 1974; climbing: Claus & Boutilier
1998). Properties on random games are checked against independent second methods: brute force
over every strategy modification f: A_i -> A_i (itertools.product), brute force over fixed
deviations, and a scipy linprog over row-stochastic "modification matrices".
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.optimize import linprog

from ce.distributions import as_joint, as_strategy, marginals, product_distribution
from ce.errors import DistributionError
from ce.gaps import cce_gap, ce_gap, deviation_matrices, ne_gap
from ce.nash import pure_nash_equilibria
from games.normal_form.catalog import make_game
from games.normal_form.game import NormalFormGame

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CHICKEN = make_game("chicken")  # actions (dare, chicken) = (D, C)
CLIMBING = make_game("climbing")


def _point(game: NormalFormGame, joint: tuple[int, ...]) -> np.ndarray:
    mu = np.zeros(game.num_actions)
    mu[joint] = 1.0
    return mu


def _onehot(m: int, k: int) -> np.ndarray:
    e = np.zeros(m)
    e[k] = 1.0
    return e


# --------------------------------------------------------------------------- chicken by hand
# u_0: (D,D)=0, (D,C)=7, (C,D)=2, (C,C)=6 and u_1 the transpose (catalog docstring, Aumann 1974).
AUMANN = np.array([[0.0, 1 / 3], [1 / 3, 1 / 3]])  # 1/3 on (D,C), (C,D), (C,C)
MAX_WELFARE = np.array([[0.0, 0.25], [0.25, 0.5]])  # 1/4 on (D,C), (C,D), 1/2 on (C,C)


def test_chicken_aumann_ce() -> None:
    rep = ce_gap(CHICKEN, AUMANN)
    # Player 0 told D (mass 1/3 at (D,C)): obeying gives 7/3, switching to C gives 6/3: gain -1/3.
    # Told C (1/3 at (C,D), 1/3 at (C,C)): obeying gives (2+6)/3 = 8/3, D gives (0+7)/3: gain -1/3.
    # No recommendation gains, so the CE regret is exactly 0 (player 1 by symmetry).
    assert rep.epsilon == 0.0
    np.testing.assert_array_equal(rep.regrets, [0.0, 0.0])
    # Values: (7 + 2 + 6)/3 = 5 each.
    np.testing.assert_allclose(rep.values, [5.0, 5.0], rtol=1e-15)
    for f in rep.best_deviation:  # nothing gains: f is the identity
        np.testing.assert_array_equal(f, [0, 1])
    # CCE: P(opponent plays D) = 1/3, so fixed D gives 7*2/3 = 14/3 and fixed C gives
    # (2 + 6*2)/3 = 14/3; regret 14/3 - 5 = -1/3 (strict slack) for both players.
    cce = cce_gap(CHICKEN, AUMANN)
    np.testing.assert_allclose(cce.regrets, [-1 / 3, -1 / 3], atol=1e-15)
    assert cce.epsilon == 0.0


def test_chicken_max_welfare_ce() -> None:
    rep = ce_gap(CHICKEN, MAX_WELFARE)
    # Told D: 7/4 vs 6/4 (gain -1/4). Told C: 2/4 + 6/2 = 7/2 vs 0/4 + 7/2 = 7/2: gain exactly 0
    # (this incentive constraint binds). So the CE regret is 0.
    assert rep.epsilon == 0.0
    mats = deviation_matrices(CHICKEN, MAX_WELFARE)
    for m in mats:
        assert m[1, 0] - m[1, 1] == 0.0  # the binding constraint (C told, D considered)
        assert m[0, 1] - m[0, 0] == -0.25
    # Values: 7/4 + 2/4 + 6/2 = 21/4 each.
    np.testing.assert_allclose(rep.values, [21 / 4, 21 / 4], rtol=1e-15)


def test_chicken_uniform_is_not_ce() -> None:
    # Uniform: told D, obeying gives (0 + 7)/4, C gives (2 + 6)/4: gain 1/4; told C: (2+6)/4 vs
    # (0+7)/4: gain -1/4. CE regret 1/4 (f = C -> C, D -> C).
    rep = ce_gap(CHICKEN, np.full((2, 2), 0.25))
    np.testing.assert_allclose(rep.regrets, [0.25, 0.25], atol=1e-15)
    for f in rep.best_deviation:
        np.testing.assert_array_equal(f, [1, 1])


# --------------------------------------------------------------------------- climbing by hand
def test_climbing_uniform_ce_regret_and_modification() -> None:
    mu = np.full((3, 3), 1 / 9)
    rep = ce_gap(CLIMBING, mu)
    # R = [[11,-30,0],[-30,7,6],[0,0,5]]. Player 0: M[r, a'] = rowsum(a')/9 for every r, with row
    # sums a1: -19, a2: -17, a3: 5. Best switch is always to a3: told a1, gain (5+19)/9 = 24/9;
    # told a2, (5+17)/9 = 22/9; told a3, 0. Regret 46/9, f = (a3, a3, a3).
    np.testing.assert_allclose(rep.recommendation_gains[0], [24 / 9, 22 / 9, 0.0], atol=1e-14)
    np.testing.assert_array_equal(rep.best_deviation[0], [2, 2, 2])
    # Player 1: column sums b1: -19, b2: -23, b3: 11; told b1 gains 30/9, b2 gains 34/9.
    np.testing.assert_allclose(rep.recommendation_gains[1], [30 / 9, 34 / 9, 0.0], atol=1e-14)
    np.testing.assert_array_equal(rep.best_deviation[1], [2, 2, 2])
    np.testing.assert_allclose(rep.regrets, [46 / 9, 64 / 9], atol=1e-14)
    assert rep.epsilon == pytest.approx(64 / 9, abs=1e-14) and rep.worst_player == 1
    # Values: sum(R)/9 = -31/9.
    np.testing.assert_allclose(rep.values, [-31 / 9, -31 / 9], atol=1e-14)
    # CCE: the best fixed action against a uniform opponent is a3 (5/3) / b3 (11/3); regrets
    # 5/3 + 31/9 = 46/9 and 11/3 + 31/9 = 64/9 -- equal to the CE regrets since uniform is a product
    # (see test_product_distribution_gaps_coincide).
    cce = cce_gap(CLIMBING, mu)
    assert cce.best_deviation == (2, 2)
    np.testing.assert_allclose(cce.regrets, [46 / 9, 64 / 9], atol=1e-14)
    lines = rep.describe(CLIMBING)
    assert "a1->a3" in lines[0] and "a2->a3" in lines[0] and "a3->" not in lines[0]
    assert "b1->b3" in lines[1] and "b2->b3" in lines[1]
    assert "best fixed deviation a3" in cce.describe(CLIMBING)[0]


def test_pure_profile_gaps() -> None:
    # (a1, b2) pays -30. Player 0's best deviation: a2 (7) gains 37; player 1's: b1 (11) gains 41.
    mu = _point(CLIMBING, (0, 1))
    ce = ce_gap(CLIMBING, mu)
    np.testing.assert_array_equal(ce.regrets, [37.0, 41.0])
    np.testing.assert_array_equal(ce.best_deviation[0], [1, 1, 2])  # only a1 has mass: a1 -> a2
    np.testing.assert_array_equal(ce.best_deviation[1], [0, 0, 2])  # only b2 has mass: b2 -> b1
    # With one joint action in the support, CE, CCE and NE gaps coincide.
    cce = cce_gap(CLIMBING, mu)
    ne = ne_gap(CLIMBING, [_onehot(3, 0), _onehot(3, 1)])
    for rep in (cce, ne):
        np.testing.assert_array_equal(rep.regrets, [37.0, 41.0])
        assert rep.best_deviation == (1, 0) and rep.epsilon == 41.0
        np.testing.assert_array_equal(rep.values, [-30.0, -30.0])


@pytest.mark.parametrize("joint", [(0, 0), (1, 1)])
def test_pure_ne_has_zero_gaps(joint: tuple[int, int]) -> None:
    # (a1, b1) and (a2, b2) are pure NE of the climbing game (Claus & Boutilier 1998).
    mu = _point(CLIMBING, joint)
    for rep in (ce_gap(CLIMBING, mu), cce_gap(CLIMBING, mu),
                ne_gap(CLIMBING, [_onehot(3, joint[0]), _onehot(3, joint[1])])):
        assert rep.epsilon == 0.0
        np.testing.assert_array_equal(rep.regrets, [0.0, 0.0])


def test_rps_uniform_ne() -> None:
    rps = make_game("rock_paper_scissors")
    u = np.full(3, 1 / 3)
    rep = ne_gap(rps, [u, u])
    # Every action earns 0 against a uniform opponent (each row of A sums to 0): regret 0.
    assert rep.epsilon <= 1e-15
    np.testing.assert_allclose(rep.values, [0.0, 0.0], atol=1e-15)
    assert ce_gap(rps, np.full((3, 3), 1 / 9)).epsilon <= 1e-15
    # A pure profile of RPS is not a NE: (rock, rock) -> paper gains 1.
    assert ne_gap(rps, [_onehot(3, 0), _onehot(3, 0)]).epsilon == 1.0


def test_report_fields_by_concept() -> None:
    assert ce_gap(CHICKEN, AUMANN).concept == "ce"
    assert cce_gap(CHICKEN, AUMANN).concept == "cce"
    assert cce_gap(CHICKEN, AUMANN).recommendation_gains is None
    assert ne_gap(CHICKEN, [[0.5, 0.5], [0.5, 0.5]]).concept == "ne"


def test_flat_distribution_accepted() -> None:
    # as_joint reshapes a flat vector in C order.
    rep = ce_gap(CHICKEN, AUMANN.ravel())
    np.testing.assert_allclose(rep.values, [5.0, 5.0], rtol=1e-15)


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("dist", "pattern"), [
    ([[0.0, 1.1], [0.0, -0.1]], r"entry \(1, 1\) \(chicken,chicken\) is negative"),
    ([[np.nan, 0.5], [0.25, 0.25]], r"entry \(0, 0\) \(dare,dare\) is nan \(not finite\)"),
    ([[0.5, np.inf], [0.25, 0.25]], r"entry \(0, 1\) \(dare,chicken\) is inf"),
    ([[0.5, 0.5], [0.25, 0.25]], "sums to 1.5, not 1"),
    ([[0.25, 0.25, 0.25, 0.25]], "has shape"),
    (np.full(3, 1 / 3), "has shape"),
    (np.full((2, 2, 1), 0.25), "has shape"),
    ([["a", "b"], ["c", "d"]], "not a numeric array"),
])
def test_bad_joint_distribution(dist: object, pattern: str) -> None:
    for fn in (ce_gap, cce_gap):
        with pytest.raises(DistributionError, match=pattern):
            fn(CHICKEN, dist)  # type: ignore[arg-type]


def test_tolerance() -> None:
    # Entries >= -atol and |sum - 1| <= atol are accepted without renormalising.
    mu = np.array([[-1e-8, 0.5], [0.25, 0.25 + 1e-8]])
    assert as_joint(CHICKEN, mu)[0, 0] == -1e-8
    with pytest.raises(DistributionError):
        as_joint(CHICKEN, mu, atol=1e-9)


@pytest.mark.parametrize(("strategies", "pattern"), [
    ([[0.5, 0.5]], "1 strategies given for 2 players"),
    ([[0.5, 0.5], [1.0]], r"strategy of player 1 has shape \(1,\), needs \(2,\)"),
    ([[1.5, -0.5], [0.5, 0.5]], r"strategy of player 0 entry 1 \(chicken\) is negative"),
    ([[0.5, 0.5], [0.5, 0.6]], "strategy of player 1 sums to"),
    ([[np.nan, 1.0], [0.5, 0.5]], r"entry 0 \(dare\) is nan"),
])
def test_bad_strategies(strategies: list, pattern: str) -> None:
    with pytest.raises(DistributionError, match=pattern):
        ne_gap(CHICKEN, strategies)


def test_as_strategy_and_marginals() -> None:
    np.testing.assert_array_equal(as_strategy(CHICKEN, 0, [0.25, 0.75]), [0.25, 0.75])
    m = marginals(MAX_WELFARE)
    np.testing.assert_allclose(m[0], [0.25, 0.75])
    np.testing.assert_allclose(m[1], [0.25, 0.75])


# --------------------------------------------------------------------------- random games
@st.composite
def game_and_mu(draw: st.DrawFn, max_players: int = 4, max_actions: int = 4,
                ) -> tuple[NormalFormGame, np.ndarray]:
    n = draw(st.integers(1, max_players))
    shape = tuple(draw(st.lists(st.integers(1, max_actions), min_size=n, max_size=n)))
    # Integer payoffs make ties (argmax ties, zero gains, dropped rows) likely; floats are generic.
    elems = st.one_of(st.integers(-5, 5).map(float), st.floats(-10, 10, allow_subnormal=False))
    pay = draw(hnp.arrays(np.float64, (n, *shape), elements=elems))
    # Dirichlet-like: nonnegative hypothesis floats (zeros allowed, so supports vary), normalised.
    w = draw(hnp.arrays(np.float64, shape, elements=st.one_of(st.just(0.0), st.floats(1e-3, 1.0))))
    if w.sum() == 0.0:
        w[(0,) * n] = 1.0
    return NormalFormGame(pay), w / w.sum()


@st.composite
def game_and_product(draw: st.DrawFn) -> tuple[NormalFormGame, list[np.ndarray]]:
    game, _ = draw(game_and_mu())
    strats = []
    for m in game.num_actions:
        s = np.array(draw(st.lists(st.one_of(st.just(0.0), st.floats(1e-3, 1.0)), min_size=m, max_size=m)))
        if s.sum() == 0.0:
            s[0] = 1.0
        strats.append(s / s.sum())
    return game, strats


def _deviation_gain(game: NormalFormGame, mu: np.ndarray, i: int, f: tuple[int, ...]) -> float:
    """Σ_a μ(a) [u_i(f(a_i), a_-i) - u_i(a)]: np.take relabels player i's axis by f."""
    u = game.payoffs[i]
    return float((mu * (np.take(u, list(f), axis=i) - u)).sum())


def _brute_ce_regrets(game: NormalFormGame, mu: np.ndarray) -> np.ndarray:
    return np.array([max(_deviation_gain(game, mu, i, f)
                         for f in itertools.product(range(m), repeat=m))
                     for i, m in enumerate(game.num_actions)])


def _brute_cce_regrets(game: NormalFormGame, mu: np.ndarray) -> np.ndarray:
    return np.array([max(_deviation_gain(game, mu, i, (a,) * m) for a in range(m))
                     for i, m in enumerate(game.num_actions)])


def _loop_matrix(game: NormalFormGame, mu: np.ndarray, i: int) -> np.ndarray:
    """C[r, a'] = Σ_{a: a_i = r} μ(a) u_i(a', a_-i), by a plain Python loop over joint actions."""
    m = game.num_actions[i]
    c = np.zeros((m, m))
    for a in itertools.product(*(range(k) for k in game.num_actions)):
        for dev in range(m):
            b = list(a)
            b[i] = dev
            c[a[i], dev] += mu[a] * game.payoffs[i][tuple(b)]
    return c


def _lp_ce_regret(game: NormalFormGame, mu: np.ndarray, i: int) -> float:
    """max over row-stochastic P of Σ_{r,a'} P[r,a'] C[r,a'] - tr C (scipy linprog).

    The feasible set is a product of simplices whose vertices are the deterministic
    modifications f, so the LP optimum equals the max over f (a linear function attains its
    maximum over a polytope at a vertex).
    """
    c = _loop_matrix(game, mu, i)
    m = c.shape[0]
    a_eq = np.kron(np.eye(m), np.ones((1, m)))  # Σ_a' P[r, a'] = 1 for each r
    res = linprog(-c.ravel(), A_eq=a_eq, b_eq=np.ones(m), bounds=(0, 1), method="highs")
    assert res.status == 0
    return float(-res.fun - np.trace(c))


def _tol(game: NormalFormGame) -> float:
    return 1e-9 * max(1.0, float(np.abs(game.payoffs).max()))


@SETTINGS
@given(game_and_mu())
def test_ce_gap_matches_brute_force_over_all_modifications(case: tuple[NormalFormGame, np.ndarray]) -> None:
    game, mu = case
    rep = ce_gap(game, mu)
    brute = _brute_ce_regrets(game, mu)
    np.testing.assert_allclose(rep.regrets, brute, atol=_tol(game), rtol=0)
    assert rep.epsilon >= 0.0
    assert rep.epsilon == pytest.approx(max(0.0, brute.max()), abs=_tol(game))
    for i, f in enumerate(rep.best_deviation):
        # The reported modification attains the regret, and the per-recommendation gains add up.
        assert _deviation_gain(game, mu, i, tuple(int(x) for x in f)) == pytest.approx(
            rep.regrets[i], abs=_tol(game))
        assert rep.recommendation_gains[i].sum() == pytest.approx(rep.regrets[i], abs=_tol(game))
        assert np.all(rep.recommendation_gains[i] >= 0.0)
    np.testing.assert_allclose(rep.values, game.expected_payoffs(mu), atol=_tol(game), rtol=0)


@SETTINGS
@given(game_and_mu())
def test_cce_gap_matches_brute_force_over_fixed_actions(case: tuple[NormalFormGame, np.ndarray]) -> None:
    game, mu = case
    rep = cce_gap(game, mu)
    brute = _brute_cce_regrets(game, mu)
    np.testing.assert_allclose(rep.regrets, brute, atol=_tol(game), rtol=0)
    assert rep.epsilon == pytest.approx(max(0.0, brute.max()), abs=_tol(game))
    for i, a in enumerate(rep.best_deviation):
        m = game.num_actions[i]
        assert _deviation_gain(game, mu, i, (int(a),) * m) == pytest.approx(rep.regrets[i], abs=_tol(game))


@SETTINGS
@given(game_and_mu(max_players=3))
def test_ce_gap_matches_lp_over_modification_matrices(case: tuple[NormalFormGame, np.ndarray]) -> None:
    game, mu = case
    rep = ce_gap(game, mu)
    for i in range(game.num_players):
        assert rep.regrets[i] == pytest.approx(_lp_ce_regret(game, mu, i), abs=1e-7)


@SETTINGS
@given(game_and_mu())
def test_ce_subset_of_cce_via_gaps(case: tuple[NormalFormGame, np.ndarray]) -> None:
    # A fixed deviation a' is the constant modification f = a', so for every player the CCE
    # regret (max over constants) is <= the CE regret (max over all f): CE ⊆ CCE.
    game, mu = case
    ce, cce = ce_gap(game, mu), cce_gap(game, mu)
    assert np.all(cce.regrets <= ce.regrets + _tol(game))
    assert cce.epsilon <= ce.epsilon + _tol(game)


@SETTINGS
@given(game_and_product())
def test_product_distribution_gaps_coincide(case: tuple[NormalFormGame, list[np.ndarray]]) -> None:
    # For μ = σ_i × σ_-i, M_i[r, a'] = σ_i(r) v(a') with v(a') = E_{σ_-i} u_i(a', ·), so the CE regret
    # Σ_r σ_i(r) max(0, max v - v(r)) = max v - Σ_r σ_i(r) v(r) is the CCE regret, which is the NE
    # regret by Def. 1. Hence ne_gap == cce_gap == ce_gap (in particular ce_gap >= cce_gap).
    game, strats = case
    mu = product_distribution(game, strats)
    ne, cce, ce = ne_gap(game, strats), cce_gap(game, mu), ce_gap(game, mu)
    tol = _tol(game)
    np.testing.assert_allclose(ne.regrets, cce.regrets, atol=tol, rtol=0)
    assert ne.epsilon == pytest.approx(cce.epsilon, abs=tol)
    np.testing.assert_allclose(ce.regrets, np.maximum(cce.regrets, 0.0), atol=tol, rtol=0)
    assert ce.epsilon >= cce.epsilon - tol
    # Second method for NE: brute force over fixed actions on the product distribution.
    np.testing.assert_allclose(ne.regrets, _brute_cce_regrets(game, mu), atol=tol, rtol=0)


@SETTINGS
@given(game_and_mu(), st.data())
def test_gaps_scale_under_positive_affine_transform(case: tuple[NormalFormGame, np.ndarray],
                                                     data: st.DataObject) -> None:
    # Each gain is Σ μ (u_i(a') - u_i(a)); for u_i -> s u_i + t the constant t cancels and the gain
    # scales by s > 0; other players' regrets are untouched.
    game, mu = case
    i = data.draw(st.integers(0, game.num_players - 1))
    s = data.draw(st.floats(0.1, 10.0))
    t = data.draw(st.floats(-10.0, 10.0))
    pay = game.payoffs.copy()
    pay[i] = s * pay[i] + t
    moved = game.with_payoffs(pay)
    tol = 20 * _tol(moved)
    for fn in (ce_gap, cce_gap):
        before, after = fn(game, mu), fn(moved, mu)
        expected = before.regrets.copy()
        expected[i] *= s
        np.testing.assert_allclose(after.regrets, expected, atol=tol, rtol=0)


@SETTINGS
@given(game_and_mu(), st.data())
def test_zero_gap_stays_zero_under_affine_transform(case: tuple[NormalFormGame, np.ndarray],
                                                    data: st.DataObject) -> None:
    # A pure NE has every gain u_i(a', a_-i) - u_i(a) <= 0; a monotone (rounded) affine map keeps
    # these signs, so the gaps stay exactly 0.
    game, _ = case
    pure = pure_nash_equilibria(game, tol=0.0)
    assume(pure)
    i = data.draw(st.integers(0, game.num_players - 1))
    s, t = data.draw(st.floats(0.1, 10.0)), data.draw(st.floats(-10.0, 10.0))
    pay = game.payoffs.copy()
    pay[i] = s * pay[i] + t
    moved = game.with_payoffs(pay)
    for joint in pure:
        mu = _point(game, joint)
        for g in (game, moved):
            assert ce_gap(g, mu).epsilon == 0.0
            assert cce_gap(g, mu).epsilon == 0.0


@SETTINGS
@given(game_and_mu(), st.data())
def test_gaps_invariant_under_action_permutation(case: tuple[NormalFormGame, np.ndarray],
                                                 data: st.DataObject) -> None:
    # Relabelling player j's actions (new k = old perm[k]) and μ the same way only renames the
    # deviations, so every player's regret and value is unchanged; player j's modification is
    # conjugated by the permutation.
    game, mu = case
    j = data.draw(st.integers(0, game.num_players - 1))
    perm = data.draw(st.permutations(range(game.num_actions[j])))
    pgame = game.permute_actions(j, perm)
    pmu = np.take(mu, perm, axis=j)
    tol = _tol(game)
    for fn in (ce_gap, cce_gap):
        a, b = fn(game, mu), fn(pgame, pmu)
        np.testing.assert_allclose(a.regrets, b.regrets, atol=tol, rtol=0)
        np.testing.assert_allclose(a.values, b.values, atol=tol, rtol=0)
