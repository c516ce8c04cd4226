"""Tests of learners/exact/magpo.py: tabular MAGPO on cooperative normal-form games.

The central check is Thm 4.1 (monotonic improvement of the learner with the reverse-KL projection),
asserted on random cooperative games; the forward-KL projection is shown to lose value on a pinned
instance derived below.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from games.errors import ConfigError, GameError
from games.normal_form.catalog import climbing, random_game, sum_to_ten
from games.normal_form.game import NormalFormGame
from learners.exact.magpo import (
    MagpoConfig,
    forward_projection,
    guider_step,
    product,
    reverse_projection,
    run_magpo,
)

SETTINGS = settings(max_examples=40, deadline=None)
SLACK = 1e-10


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    p, q = p.ravel(), q.ravel()
    m = p > 0
    return float(np.sum(p[m] * np.log(p[m] / q[m])))


@st.composite
def games_and_inits(draw: st.DrawFn) -> tuple[NormalFormGame, list[np.ndarray]]:
    players = draw(st.integers(1, 3))
    actions = [draw(st.integers(2, 3)) for _ in range(players)]
    size = int(np.prod(actions))
    reward = draw(st.lists(st.floats(-10, 10, allow_nan=False), min_size=size, max_size=size))
    init = []
    for m in actions:
        w = np.array(draw(st.lists(st.floats(0.01, 1.0), min_size=m, max_size=m)))
        init.append(w / w.sum())
    return NormalFormGame.cooperative(np.reshape(reward, actions)), init


@SETTINGS
@given(games_and_inits(), st.floats(0.05, 50.0), st.sampled_from([None, 0.01, 0.5, 5.0]))
def test_reverse_projection_is_monotone(case, eta, delta) -> None:
    """Thm 4.1: V(π_{k+1}) ≥ V(π_k) and the surrogate ⟨Q, π_{k+1}⟩ ≥ V_k, with the δ bound held."""
    game, init = case
    res = run_magpo(game, MagpoConfig(eta=eta, delta=delta, iterations=8), init=init)
    assert res.monotone_within(SLACK)
    assert np.all(np.diff(res.learner_values) >= -SLACK)
    assert np.all(res.surrogates >= res.learner_values[:-1] - SLACK)
    # the guider is an improvement of the learner it started from (mirror ascent on a linear objective)
    assert np.all(res.guider_values >= res.learner_values[:-1] - SLACK)
    if delta is not None:
        assert np.all(res.kl_guider_learner <= delta + 1e-12)
    assert np.all(res.step_sizes <= eta)


@SETTINGS
@given(games_and_inits(), st.floats(0.1, 20.0))
def test_reverse_projection_is_a_coordinatewise_fixed_point(case, eta) -> None:
    """At the returned π no single agent can lower KL(π || μ); and it is no worse than the start."""
    game, init = case
    q = game.payoffs[0]
    log_mu, _ = guider_step(init, q, eta, None)
    pol, _ = reverse_projection(log_mu, init, max_sweeps=5000, tol=1e-14)
    mu = np.exp(log_mu)
    base = _kl(product(pol), mu)
    assert base <= _kl(product(init), mu) + 1e-9
    rng = np.random.default_rng(0)
    for i in range(game.num_players):
        for _ in range(10):
            alt = list(pol)
            alt[i] = rng.dirichlet(np.ones(game.num_actions[i]))
            assert _kl(product(alt), mu) >= base - 1e-7


def test_forward_projection_is_marginals_and_minimises_forward_kl() -> None:
    rng = np.random.default_rng(1)
    mu = rng.dirichlet(np.ones(12)).reshape(2, 3, 2)
    marg = forward_projection(mu)
    assert [m.shape for m in marg] == [(2,), (3,), (2,)]
    np.testing.assert_allclose(marg[1], mu.sum(axis=(0, 2)))
    best = _kl(mu, product(marg))
    for _ in range(50):
        other = [rng.dirichlet(np.ones(k)) for k in (2, 3, 2)]
        assert _kl(mu, product(other)) >= best - 1e-12


def test_delta_bisection_keeps_the_guider_within_delta() -> None:
    game = random_game(players=2, actions=3, seed=3, cooperative=True, low=-5, high=5)
    init = [np.full(3, 1 / 3)] * 2
    log_mu, step = guider_step(init, game.payoffs[0], eta=50.0, delta=0.05)
    kl = _kl(np.exp(log_mu), product(init))
    assert 0 < step < 50.0
    assert kl <= 0.05 and kl == pytest.approx(0.05, abs=1e-6)  # the bound is active and tight
    # unconstrained: the full step is used
    _, full = guider_step(init, game.payoffs[0], eta=50.0, delta=None)
    assert full == 50.0


def test_forward_projection_can_lose_value_at_a_large_step() -> None:
    """Pinned counterexample (derived, then confirmed by a random search, see below).

    R = [[2, -10], [-10, 1]] and π_0 = (0.01, 0.99) for both agents: the learner sits near the
    suboptimal equilibrium (a2, b2), V_0 = 2·1e-4 + 0.9801 − 10·0.0198 = 0.7823. With e^η = 9801
    the guider μ ∝ π_0 exp(ηR) weights (a1, b1) by 1e-4 e^{2η} and (a2, b2) by 0.9801 e^η — equal —
    and miscoordination by 0.0099 e^{-10η} ≈ 0: μ is (nearly) ½(a1, b1) + ½(a2, b2), worth 1.5.
    Its marginals are uniform, and their product puts ½ on the −10 miscoordination: V_1 = −4.25.
    The reverse projection from the same guider keeps (a2, b2) (V_1 = 1 ≥ V_0, as Thm 4.1 says).
    A seeded search over 200 random cooperative 3x3 games (payoffs U[0, 1)), 5 Dirichlet
    initialisations each and η ∈ {1, 10, 100}, 20 iterations, also found 34 of 3000 forward runs
    with a decreasing step (worst −0.124: seed 80, η = 100), and none with the reverse projection.
    """
    game = NormalFormGame.cooperative([[2.0, -10.0], [-10.0, 1.0]])
    init = [np.array([0.01, 0.99]), np.array([0.01, 0.99])]
    eta = float(np.log(9801.0))
    fwd = run_magpo(game, MagpoConfig(eta=eta, projection="forward", iterations=1), init=init)
    assert fwd.learner_values[0] == pytest.approx(0.7823)
    assert fwd.guider_values[0] == pytest.approx(1.5, abs=1e-6)
    assert fwd.learner_values[1] == pytest.approx(-4.25, abs=1e-6)
    assert fwd.learner_values[1] < fwd.learner_values[0]
    assert not fwd.is_monotone
    rev = run_magpo(game, MagpoConfig(eta=eta, projection="reverse", iterations=1), init=init)
    assert rev.learner_values[1] == pytest.approx(1.0)
    assert rev.is_monotone


def _pure_joint(policy: tuple[np.ndarray, ...]) -> tuple[int, ...]:
    assert all(p.max() > 1 - 1e-9 for p in policy), "the learner did not become deterministic"
    return tuple(int(np.argmax(p)) for p in policy)


def _is_pure_nash(reward: np.ndarray, joint: tuple[int, ...]) -> bool:
    for i, m in enumerate(reward.shape):
        for b in range(m):
            dev = list(joint)
            dev[i] = b
            if reward[tuple(dev)] > reward[joint] + 1e-12:
                return False
    return True


@pytest.mark.parametrize("eta", [0.1, 1.0, 10.0])
def test_climbing_from_uniform_converges_to_a_pure_nash_equilibrium(eta) -> None:
    """From uniform, reverse-KL MAGPO climbs to (a2, b2) worth 7 (not the optimum 11) for these η.

    Uniform b makes a3 the best row (5/3 vs −19/3, −17/3); once b drifts to b3, a2 (6) beats a3
    (5), and then b2 (7) beats b3: the learner ends in the pure NE (a2, b2).
    """
    game = climbing()
    res = run_magpo(game, MagpoConfig(eta=eta, iterations=300))
    joint = _pure_joint(res.final_policy)
    assert _is_pure_nash(game.payoffs[0], joint)
    assert joint == (1, 1) and res.final_value == pytest.approx(7.0, abs=1e-9)
    assert res.monotone_within(SLACK)


def test_sum_to_10_reaches_an_optimal_deterministic_joint_action() -> None:
    game = sum_to_ten()
    res = run_magpo(game, MagpoConfig(eta=5.0, iterations=40))
    assert res.final_value == pytest.approx(1.0, abs=1e-12)
    joint = _pure_joint(res.final_policy)
    assert sum(joint) == 10 and game.payoffs[0][joint] == 1.0
    assert res.monotone_within(SLACK)
    assert res.learner_values[0] == pytest.approx(63 / 1000)  # 63 optimal joint actions out of 1000


def test_result_shapes_and_validation() -> None:
    game = random_game(players=2, actions=2, seed=0, cooperative=True)
    res = run_magpo(game, MagpoConfig(iterations=3))
    assert len(res.policies) == 4 and res.learner_values.shape == (4,)
    for arr in (res.guider_values, res.kl_guider_learner, res.step_sizes, res.surrogates,
                res.projection_kl, res.inner_sweeps):
        assert arr.shape == (3,)
    np.testing.assert_allclose(res.surrogates, res.learner_values[1:])  # one state: ⟨Q, π_{k+1}⟩ = V_{k+1}
    with pytest.raises(GameError):
        run_magpo(random_game(players=2, actions=2, seed=0), MagpoConfig(iterations=1))
    with pytest.raises(GameError):
        run_magpo(game, MagpoConfig(iterations=1), init=[np.array([0.5, 0.6]), np.array([0.5, 0.5])])
    for bad in ({"eta": 0.0}, {"delta": -1.0}, {"projection": "sideways"}, {"iterations": -1}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            MagpoConfig(**bad)
