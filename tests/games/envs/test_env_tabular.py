"""MatrixGameEnv and DecPOMDPEnv against the models they simulate: payoff tables, sampled
transition and observation frequencies, and Monte-Carlo returns against exact evaluation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from games.dec_pomdp.catalog import bridge_crossing, dec_tiger, random_dpomdp
from games.dec_pomdp.evaluation import evaluate
from games.dec_pomdp.policies import StochasticPolicy
from games.envs import DecPOMDPEnv, MatrixGameEnv
from games.errors import ConfigError, GameError
from games.normal_form.catalog import climbing, penalty, prisoners_dilemma, sum_to_ten


@pytest.mark.parametrize("game", [climbing(), penalty(-50.0), sum_to_ten(3, 4, 5)], ids=str)
def test_matrix_rewards_equal_the_payoff_table(game: object) -> None:
    joint = np.array(list(itertools.product(*(range(m) for m in game.num_actions))))
    env = MatrixGameEnv(game, len(joint), seed=0)
    ts = env.step(joint)
    r = game.common_reward()
    np.testing.assert_array_equal(ts.reward, [r[tuple(a)] for a in joint])
    assert ts.done.all() and not ts.truncated.any()
    np.testing.assert_array_equal(ts.episode_return, ts.reward)
    n = game.num_players
    np.testing.assert_array_equal(ts.obs, np.broadcast_to(np.eye(n), (len(joint), n, n)))
    np.testing.assert_array_equal(ts.state, np.ones((len(joint), 1)))


def test_matrix_env_rejects_non_cooperative_games() -> None:
    with pytest.raises(GameError, match="cooperative"):
        MatrixGameEnv(prisoners_dilemma(), 4)


def _freq_ok(samples: np.ndarray, probs: np.ndarray, z: float = 5.0) -> None:
    """Empirical frequencies within z binomial standard errors of ``probs`` (plus a 1/n floor).

    With z = 5 a correct sampler fails one cell with probability < 6e-7, and a cell whose
    probability is off by 0.02 is caught at n = 20000 (5 s.e. <= 0.018)."""
    n = samples.size
    freq = np.bincount(samples, minlength=probs.size) / n
    se = np.sqrt(probs * (1 - probs) / n)
    assert np.all(np.abs(freq - probs) <= z * se + 1.0 / n), (freq, probs)


N = 20000


def _one_step(env: DecPOMDPEnv, state: int, actions: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Put every copy in ``state`` and step once; return (s', joint observation) per copy."""
    snap = env.get_state()
    snap["arrays"]["_s"][:] = state
    env.set_state(snap)
    env.step(np.tile(actions, (env.num_envs, 1)))
    last = env.get_state()["arrays"]
    jo = np.ravel_multi_index(tuple(last["_last_obs"].T), env.model.num_observations)
    return last["_s"], jo


@pytest.mark.parametrize("actions", [(0, 0), (1, 0), (0, 2), (2, 2)])
@pytest.mark.parametrize("state", [0, 1])
def test_dec_tiger_transition_and_observation_frequencies(state: int, actions: tuple[int, int]) -> None:
    model = dec_tiger()
    env = DecPOMDPEnv(model, N, horizon=5, seed=state * 10 + sum(actions))
    s2, jo = _one_step(env, state, actions)
    ja = model.joint_action(actions)
    _freq_ok(s2, model.transition[state, ja])
    for end in range(model.num_states):  # O is conditioned on the sampled end state
        if (s2 == end).any():  # (listen-listen never changes the state)
            _freq_ok(jo[s2 == end], model.observation[ja, end])


def test_random_model_transition_and_observation_frequencies() -> None:
    model = random_dpomdp(agents=2, states=4, actions=2, observations=3, seed=4)
    env = DecPOMDPEnv(model, N, seed=1)
    s2, jo = _one_step(env, 2, (1, 0))
    ja = model.joint_action((1, 0))
    _freq_ok(s2, model.transition[2, ja])
    for end in range(model.num_states):
        if (s2 == end).sum() > 500:
            _freq_ok(jo[s2 == end], model.observation[ja, end])


def test_initial_states_follow_b0() -> None:
    model = random_dpomdp(states=5, seed=2)
    env = DecPOMDPEnv(model, N, seed=0)
    _freq_ok(env.get_state()["arrays"]["_s"], model.initial)


def test_dec_pomdp_obs_and_state_layout() -> None:
    model = dec_tiger(horizon=3)
    env = DecPOMDPEnv(model, 2, seed=0)
    ts = env.reset()
    assert env.obs_dim == 2 + 3 and env.state_dim == 2 + 1
    np.testing.assert_array_equal(ts.obs[:, :, :2], 0)  # no observation yet
    np.testing.assert_array_equal(ts.obs[:, :, 2:], np.broadcast_to([1, 0, 0], (2, 2, 3)))
    s = env.get_state()["arrays"]["_s"]
    np.testing.assert_array_equal(ts.state[:, :2], np.eye(2)[s])
    np.testing.assert_array_equal(ts.state[:, 2], 0)
    ts = env.step(np.zeros((2, 2), dtype=int))
    last = env.get_state()["arrays"]["_last_obs"]
    np.testing.assert_array_equal(ts.obs[:, :, :2], np.eye(2)[last])
    np.testing.assert_array_equal(ts.obs[:, :, 2:], np.broadcast_to([0, 1, 0], (2, 2, 3)))
    np.testing.assert_allclose(ts.state[:, 2], 1 / 3, rtol=1e-6)
    assert np.all(ts.reward == -2.0)


@pytest.mark.parametrize("model", [dec_tiger(horizon=3), bridge_crossing()], ids=lambda m: m.name)
def test_uniform_policy_monte_carlo_matches_exact_value(model: object) -> None:
    """Mean episode return of uniformly random actions vs games.dec_pomdp.evaluation.evaluate.

    N = 20000 independent episodes; the test allows 4 standard errors of the mean (a correct
    simulator fails with probability ~6e-5; the seed is fixed, so the run is deterministic)."""
    h = model.horizon
    exact = evaluate(model, StochasticPolicy.uniform(model.num_actions, model.num_observations, h))
    env = DecPOMDPEnv(model, N, seed=7)
    rng = np.random.default_rng(8)
    for t in range(h):
        acts = np.stack([rng.integers(0, m, N) for m in model.num_actions], axis=1)
        ts = env.step(acts)
        assert ts.done.all() == (t == h - 1)
    returns = ts.episode_return
    se = returns.std(ddof=1) / math.sqrt(N)
    assert abs(returns.mean() - exact) <= 4 * se, (returns.mean(), exact, se)


def test_horizon_must_be_finite() -> None:
    from games.dec_pomdp.madp_format import read_dpomdp, write_dpomdp

    model = read_dpomdp(write_dpomdp(dec_tiger()))
    assert model.horizon is None
    with pytest.raises(ConfigError, match="no horizon"):
        DecPOMDPEnv(model, 2)
    assert DecPOMDPEnv(model, 2, horizon=6).episode_limit == 6
