"""Tests of ce/lp.py and ce/polytope.py: optimal correlated / coarse correlated equilibria.

Known optima are derived by hand in comments (chicken: Aumann, "Subjectivity and correlation in
randomized strategies", J. Math. Econ. 1974; climbing: Claus & Boutilier 1998). Results on random
games are certified by second methods: the closed-form gaps of ce.gaps, LP duality (dual
feasibility + complementary slackness), Nash equilibria from ce.nash (NE ⊆ CE ⊆ CCE), the
projection theorem for l1/l2, invariance theorems (affine payoff transforms, relabelling), and a
slow Python-loop construction of the incentive rows.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from ce.errors import ConfigError, DistributionError
from ce.gaps import cce_gap, ce_gap
from ce.lp import OBJECTIVES, EquilibriumResult, solve_cce, solve_ce, solve_correlated
from ce.nash import support_enumeration
from ce.polytope import incentive_constraints
from games.normal_form.catalog import make_game, random_game
from games.normal_form.game import NormalFormGame

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOL = 1e-7

CHICKEN = make_game("chicken")  # actions (dare, chicken) = (D, C); μ indexed [row, col]
CLIMBING = make_game("climbing")
RPS = make_game("rock_paper_scissors")
PD = make_game("prisoners_dilemma")

CHICKEN_MAX_WELFARE = np.array([[0.0, 0.25], [0.25, 0.5]])


def _entropy(mu: np.ndarray) -> float:
    p = mu.ravel()
    p = p[p > 1e-15]
    return float(-(p * np.log(p)).sum())


def _point(game: NormalFormGame, joint: tuple[int, ...]) -> np.ndarray:
    mu = np.zeros(game.num_actions)
    mu[joint] = 1.0
    return mu


def _row_duals(res: EquilibriumResult) -> tuple[np.ndarray, np.ndarray]:
    """(constraint matrix A, λ per row) with λ read from res.incentive_duals by row labels."""
    cons = incentive_constraints(res.game, res.concept)
    lam = np.array([res.incentive_duals[p][r, d] if res.concept == "ce" else res.incentive_duals[p][d]
                    for p, r, d in zip(cons.player, cons.recommended, cons.deviation, strict=True)])
    return cons.matrix().toarray(), lam


# --------------------------------------------------------------------------- chicken by hand
def test_chicken_max_welfare_ce() -> None:
    # μ = [[x, y], [z, w]] over (D,D), (D,C), (C,D), (C,C); welfare 0x + 9y + 9z + 12w. Incentive
    # constraints (Def. 3): row told D: y*(7-6) + x*(0-2) >= 0, i.e. y >= 2x; row told C:
    # z*(2-0) + w*(6-7) >= 0, i.e. w <= 2z; column symmetric: z >= 2x, w <= 2y. Maximising
    # welfare puts x = 0 and pushes w up to the two binding constraints w = 2y = 2z; with
    # y + z + w = 1 this gives y = z = 1/4, w = 1/2 and welfare 9/2 + 6 = 21/2 (optimality is
    # certified by the dual solution below and in test_lp_duality).
    res = solve_ce(CHICKEN)
    assert res.objective_value == pytest.approx(10.5, abs=1e-9)
    assert res.welfare == pytest.approx(10.5, abs=1e-9)
    np.testing.assert_allclose(res.distribution, CHICKEN_MAX_WELFARE, atol=1e-9)
    np.testing.assert_allclose(res.values, [21 / 4, 21 / 4], atol=1e-9)
    assert res.gap.epsilon <= 1e-9 and res.concept == "ce" and res.objective == "welfare"
    support = res.support()
    assert support[0][0] == (1, 1) and support[0][1] == pytest.approx(0.5)
    assert {j for j, _ in support} == {(0, 1), (1, 0), (1, 1)}
    # Duals: only the two binding rows (player p told C, considering D) can be positive
    # (complementary slackness). Dual equalities on the support columns y, z, w:
    # ν - 2λ_1 = 9, ν - 2λ_0 = 9, ν + λ_0 + λ_1 = 12, so λ_0 = λ_1 = 3/4 and ν = 21/2.
    for duals in res.incentive_duals:
        np.testing.assert_allclose(duals, [[0.0, 0.0], [0.75, 0.0]], atol=1e-9)
    assert res.normalization_dual == pytest.approx(10.5, abs=1e-9)


def test_chicken_ce_beats_every_ne() -> None:
    # NE welfare: two pure NE (9 each) and the mixed one (28/3) -- catalog docstring; all are below
    # the max-welfare CE's 21/2.
    welfare = sorted(e.welfare for e in support_enumeration(CHICKEN))
    np.testing.assert_allclose(welfare, [9.0, 9.0, 28 / 3], atol=1e-9)
    best_ce = solve_ce(CHICKEN).objective_value
    assert all(w < best_ce - 1.0 for w in welfare)
    # NE ⊆ CE: every NE's product distribution is a CE (gap ~ 0) with welfare <= the optimum.
    for e in support_enumeration(CHICKEN):
        assert ce_gap(CHICKEN, e.joint).epsilon <= 1e-9


def test_chicken_egalitarian() -> None:
    # min_i E u_i <= welfare / 2 <= 21/4 for every CE, and the symmetric max-welfare CE attains it.
    res = solve_ce(CHICKEN, "egalitarian")
    assert res.objective_value == pytest.approx(21 / 4, abs=1e-9)
    assert res.values.min() == pytest.approx(21 / 4, abs=1e-9)
    assert res.normalization_dual == pytest.approx(21 / 4, abs=1e-9)


def test_chicken_cce_contains_ce() -> None:
    # CE ⊆ CCE, so the max-welfare CCE is at least 21/2; the CE optimum is a CCE.
    cce = solve_cce(CHICKEN)
    assert cce.objective_value >= 10.5 - 1e-9
    assert cce_gap(CHICKEN, CHICKEN_MAX_WELFARE).epsilon == 0.0
    assert cce.gap.epsilon <= 1e-9 and cce.concept == "cce"


def test_chicken_l2_projection_of_uniform() -> None:
    # Uniform q = 1/4 violates y >= 2x and z >= 2x (player told D). Projecting onto the face where
    # both bind: by symmetry y = z = 2x, w = 1 - 5x; d/dx [(x - 1/4)^2 + 2(2x - 1/4)^2 + (3/4 - 5x)^2]
    # = 68x - 10 = 0, x = 5/34. KKT: μ - q = (-7, 3, 3, 1)/68 = -λ(2,-1,0,0) - λ(2,0,-1,0) - ν 1 with
    # ν = -1/68, λ = 2/68 >= 0, so (5, 10, 10, 9)/34 is the projection; ½||μ - q||² = 1/136.
    res = solve_ce(CHICKEN, "l2")
    np.testing.assert_allclose(res.distribution, np.array([[5, 10], [10, 9]]) / 34, atol=1e-7)
    assert res.objective_value == pytest.approx(1 / 136, abs=1e-9)
    q = np.full((2, 2), 0.25)
    assert res.objective_value == pytest.approx(0.5 * float(((res.distribution - q) ** 2).sum()), abs=1e-9)


def test_chicken_l1_to_uniform() -> None:
    # With d = μ - q (q uniform), the CE rows y >= 2x and z >= 2x read d_y - 2 d_x >= 1/4 and
    # d_z - 2 d_x >= 1/4; adding them and 1.5 * (Σ d = 0):
    # 1/2 <= -2.5 d_x + 2.5 d_y + 2.5 d_z + 1.5 d_w <= 2.5 ||d||_1, so ||μ - q||_1 >= 1/5, attained by
    # μ = (0.15, 0.3, 0.3, 0.25) (a CE: y = 2x, z = 2x, w <= 2y, w <= 2z).
    res = solve_ce(CHICKEN, "l1")
    q = np.full((2, 2), 0.25)
    assert res.objective_value == pytest.approx(np.abs(res.distribution - q).sum(), abs=1e-9)
    assert res.objective_value == pytest.approx(0.2, abs=1e-9)
    assert res.gap.epsilon <= 1e-9


@pytest.mark.parametrize("target", [_point(CHICKEN, (0, 1)), _point(CHICKEN, (1, 0)), CHICKEN_MAX_WELFARE,
                                    np.array([[0.0, 1 / 3], [1 / 3, 1 / 3]])])
@pytest.mark.parametrize("objective", ["l1", "l2"])
def test_target_inside_polytope_is_returned(target: np.ndarray, objective: str) -> None:
    # Pure NE (D,C), (C,D), the max-welfare CE and Aumann's CE are CEs, so the distance 0 is
    # attained at μ = q; for l2 the minimiser is unique (strictly convex), for l1 μ = q is the only
    # point at distance 0.
    res = solve_ce(CHICKEN, objective, target=target)
    np.testing.assert_allclose(res.distribution, target, atol=1e-6)
    assert abs(res.objective_value) <= 1e-7


def test_chicken_max_entropy_closed_form() -> None:
    # On the face y = z = 2x, w = 1 - 5x (both "told D" rows binding), H = -x ln x - 4x ln 2x -
    # (1-5x) ln(1-5x) is maximised where (1 - 5x)^5 = 16 x^5, x = 1/(5 + 16^(1/5)). KKT: the
    # multiplier of each binding row is ln(y/w) > 0 since y = 2x > w, so this is the max-entropy CE.
    x = 1.0 / (5.0 + 16.0 ** 0.2)
    expected = np.array([[x, 2 * x], [2 * x, 1 - 5 * x]])
    res = solve_ce(CHICKEN, "entropy")
    # Interior-point accuracy: the entropy is flat at its maximum, so the maximiser is known only to
    # about the square root of the objective's accuracy.
    np.testing.assert_allclose(res.distribution, expected, atol=1e-5)
    assert res.objective_value == pytest.approx(_entropy(expected), abs=1e-8)
    assert res.gap.epsilon <= TOL


def test_max_entropy_property_chicken() -> None:
    # The entropy objective maximises a function over the set, so its value is >= the entropy of
    # every other CE (each objective's solution, Aumann's CE, the pure NE).
    ent = solve_ce(CHICKEN, "entropy").objective_value
    objectives = ("welfare", "egalitarian", "feasibility", "l1", "l2")
    others = [solve_ce(CHICKEN, o).distribution for o in objectives]
    others += [np.array([[0.0, 1 / 3], [1 / 3, 1 / 3]]), _point(CHICKEN, (0, 1))]
    for mu in others:
        assert ce_gap(CHICKEN, mu).epsilon <= 1e-7
        assert ent >= _entropy(mu) - 1e-6


# --------------------------------------------------------------------------- other known games
def test_climbing_max_welfare() -> None:
    # max welfare over all distributions is 2 * 11 = 22, uniquely at (a1, b1); (a1, b1) is a pure NE,
    # hence a CE and a CCE, so both optima are the point mass there.
    for res in (solve_ce(CLIMBING), solve_cce(CLIMBING)):
        assert res.objective_value == pytest.approx(22.0, abs=1e-9)
        np.testing.assert_allclose(res.values, [11.0, 11.0], atol=1e-9)
        np.testing.assert_allclose(res.distribution, _point(CLIMBING, (0, 0)), atol=1e-9)
        assert res.support() == [((0, 0), pytest.approx(1.0))]


def test_rps_unique_ce_is_uniform() -> None:
    # If max and min of μ(a) over the CE polytope coincide for every coordinate a, the polytope is
    # a single point; the value 1/9 identifies it as uniform. (Known: RPS has the unique CE uniform.)
    for a in range(9):
        w = np.zeros(9)
        w[a] = 1.0
        hi = solve_ce(RPS, "linear", weights=w.reshape(3, 3)).objective_value
        lo = -solve_ce(RPS, "linear", weights=-w.reshape(3, 3)).objective_value
        assert hi == pytest.approx(1 / 9, abs=1e-9) and lo == pytest.approx(1 / 9, abs=1e-9)
    rng = np.random.default_rng(0)
    for _ in range(5):
        w = rng.normal(size=(3, 3))
        hi = solve_ce(RPS, "linear", weights=w)
        lo = solve_ce(RPS, "linear", weights=-w)
        assert hi.objective_value == pytest.approx(-lo.objective_value, abs=1e-9)
        assert hi.objective_value == pytest.approx(w.mean(), abs=1e-9)
        np.testing.assert_allclose(hi.distribution, np.full((3, 3), 1 / 9), atol=1e-9)
        np.testing.assert_allclose(lo.distribution, np.full((3, 3), 1 / 9), atol=1e-9)


def test_rps_max_entropy_is_uniform() -> None:
    res = solve_ce(RPS, "entropy")
    np.testing.assert_allclose(res.distribution, np.full((3, 3), 1 / 9), atol=1e-6)
    assert res.objective_value == pytest.approx(math.log(9), abs=1e-6)
    assert res.gap.epsilon <= TOL


@pytest.mark.parametrize("solve", [solve_ce, solve_cce])
def test_prisoners_dilemma_only_dd(solve: object) -> None:
    # D strictly dominates C: deviating to D gains 2μ(C,C) + μ(C,D) > 0 for the row player unless
    # μ puts no mass on C (similarly for the column player), so (D, D) is the unique CE and CCE.
    w = np.zeros((2, 2))
    w[1, 1] = 1.0
    assert solve(PD, "linear", weights=w).objective_value == pytest.approx(1.0, abs=1e-9)  # type: ignore[operator]
    assert solve(PD, "linear", weights=-w).objective_value == pytest.approx(-1.0, abs=1e-9)  # type: ignore[operator]
    for obj in ("welfare", "feasibility", "egalitarian", "l1", "l2"):
        res = solve(PD, obj)  # type: ignore[operator]
        np.testing.assert_allclose(res.distribution, w, atol=1e-7)


# --------------------------------------------------------------------------- duality
@pytest.mark.parametrize("concept", ["ce", "cce"])
@pytest.mark.parametrize("game", [CHICKEN, CLIMBING, RPS, make_game("penalty", k=-50.0),
                                  random_game(players=3, actions=3, seed=5)], ids=lambda g: g.name)
def test_lp_duality(game: NormalFormGame, concept: str) -> None:
    rng = np.random.default_rng(1)
    w = rng.normal(size=game.num_actions)
    _check_duality(solve_correlated(game, concept, "welfare"), game.welfare)
    _check_duality(solve_correlated(game, concept, "egalitarian"))
    _check_duality(solve_correlated(game, concept, "linear", weights=w), w)


def _check_duality(res: EquilibriumResult, cost: np.ndarray | None = None) -> None:
    # Strong duality: all right-hand sides but Σμ = 1 are 0, so the optimum equals its multiplier.
    assert res.normalization_dual == pytest.approx(res.objective_value, abs=1e-7)
    a, lam = _row_duals(res)
    assert np.all(lam >= -1e-9)
    mu = res.distribution.ravel()
    slack = -(a @ mu)  # >= 0 at a feasible point
    assert np.all(slack >= -1e-8)
    # Complementary slackness: λ_k * slack_k = 0 row by row.
    np.testing.assert_allclose(lam * slack, 0.0, atol=1e-7)
    if cost is not None:
        # Dual feasibility A^T λ + ν 1 >= c: by weak duality c·μ' <= ν for every feasible μ', which
        # certifies that the attained value ν is the optimum ...
        reduced = a.T @ lam + res.normalization_dual - cost.ravel()
        assert reduced.min() >= -1e-7
        # ... and complementary slackness in μ: μ_a * reduced_a = 0.
        np.testing.assert_allclose(mu * reduced, 0.0, atol=1e-7)


# --------------------------------------------------------------------------- errors
def test_unknown_objective() -> None:
    with pytest.raises(ConfigError, match="unknown objective 'utility'"):
        solve_ce(CHICKEN, "utility")
    assert set(OBJECTIVES) == {"welfare", "egalitarian", "linear", "feasibility", "l1", "l2", "entropy"}


def test_linear_needs_weights() -> None:
    with pytest.raises(ConfigError, match="needs weights"):
        solve_ce(CHICKEN, "linear")
    with pytest.raises(ConfigError, match="shape"):
        solve_ce(CHICKEN, "linear", weights=np.ones(4))
    with pytest.raises(ConfigError, match="finite"):
        solve_cce(CHICKEN, "linear", weights=np.array([[np.nan, 1.0], [1.0, 1.0]]))


def test_bad_concept_and_target() -> None:
    with pytest.raises(ConfigError, match="concept"):
        solve_correlated(CHICKEN, "nash")
    with pytest.raises(DistributionError, match="sums to"):
        solve_ce(CHICKEN, "l2", target=np.ones((2, 2)))
    with pytest.raises(DistributionError, match="negative"):
        solve_ce(CHICKEN, "l1", target=np.array([[1.5, -0.5], [0.0, 0.0]]))


def test_degenerate_games() -> None:
    # Constant payoffs: every distribution is a CE (all CE rows are dropped as always satisfied),
    # so the projection of the uniform target is itself, and max entropy is log |A|.
    g = NormalFormGame(np.zeros((2, 2, 2)))
    assert incentive_constraints(g, "ce").num_rows == 0
    assert solve_ce(g, "l1").objective_value == pytest.approx(0.0, abs=1e-9)
    assert solve_ce(g, "entropy").objective_value == pytest.approx(math.log(4), abs=1e-6)
    # A player with a single action has no CE rows; a 1-player game's CE is its best action.
    one = NormalFormGame([[1.0, 3.0, 2.0]])
    np.testing.assert_allclose(solve_ce(one, "feasibility").distribution, [0.0, 1.0, 0.0], atol=1e-9)


# Objective "l2" once ran on HiGHS's QP solver, which failed ('Solve error', 'Unbounded', 'Not Set')
# or never returned on these instances although the projection exists and is unique (the CE
# polytope is nonempty and ½||μ - q||² strictly convex). They now pin the Clarabel-based solve.


def test_l2_uniform_target_random_game() -> None:
    g = random_game(players=3, actions=3, seed=3)  # fails with status 'Solve error'
    res = solve_ce(g, "l2")
    assert res.gap.epsilon <= TOL


def test_l2_target_at_pure_ne_unbounded() -> None:
    g = random_game(players=3, actions=4, seed=1, cooperative=True)
    q = _point(g, (1, 1, 3))  # the welfare-optimal CE, a pure NE: the projection is q itself
    assert solve_ce(g, "l1", target=q).objective_value == pytest.approx(0.0, abs=1e-9)  # l1 is fine
    res = solve_ce(g, "l2", target=q)  # HiGHS reports 'Unbounded'
    np.testing.assert_allclose(res.distribution, q, atol=1e-6)


def test_l2_target_inside_cce_polytope_not_set() -> None:
    rng = np.random.default_rng(20)
    n = int(rng.integers(2, 5))
    shape = tuple(int(m) for m in rng.integers(2, 5, size=n))
    g = NormalFormGame(rng.uniform(size=(n, *shape)))  # 4 players, 2x2x3x4
    q = solve_cce(g).distribution
    res = solve_cce(g, "l2", target=q)  # HiGHS returns model status 'Not Set'
    np.testing.assert_allclose(res.distribution, q, atol=1e-6)


def test_l2_target_at_pure_ne_terminates() -> None:
    g = NormalFormGame(np.random.default_rng(0).uniform(size=(3, 2, 3, 2)))
    q = _point(g, (1, 2, 0))  # the welfare-optimal CE, a pure NE
    assert solve_ce(g, "l1", target=q).objective_value == pytest.approx(0.0, abs=1e-9)
    # Without a time limit HiGHS never returns; with one it stops with 'Time limit reached'.
    res = solve_ce(g, "l2", target=q, options={"time_limit": 2.0})
    np.testing.assert_allclose(res.distribution, q, atol=1e-6)


@pytest.mark.parametrize("concept", ["ce", "cce"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_max_entropy_property_random(seed: int, concept: str) -> None:
    game = random_game(players=3, actions=3, seed=seed)
    res = solve_correlated(game, concept, "entropy")
    gap = ce_gap if concept == "ce" else cce_gap
    assert res.gap.epsilon <= TOL and gap(game, res.distribution).epsilon <= TOL
    assert res.objective_value == pytest.approx(_entropy(res.distribution), abs=1e-9)
    for obj in ("welfare", "egalitarian", "feasibility", "l1"):
        other = solve_correlated(game, concept, obj).distribution
        assert res.objective_value >= _entropy(other) - 1e-6
