"""The BatchedEnv contract shared by every games.envs simulator: shapes and dtypes, auto-reset,
seeded reproducibility, bit-identical save/restore, action validation and the make_env registry."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from games.envs import (
    BatchedEnv,
    DecPOMDPEnv,
    MatrixGameEnv,
    PredatorPreyConfig,
    PredatorPreyEnv,
    TimeStep,
    make_env,
)
from games.errors import ConfigError, GameError

NAMES = ["climbing", "penalty(k=-50)", "bridge", "dec_tiger", "predator-prey", "predator-prey-small"]


def _random_actions(env: BatchedEnv, rng: np.random.Generator) -> np.ndarray:
    return np.stack([rng.integers(0, m, env.num_envs) for m in env.num_actions], axis=1)


def _check_shapes(env: BatchedEnv, ts: TimeStep) -> None:
    b, n = env.num_envs, env.num_agents
    assert ts.obs.shape == (b, n, env.obs_dim) and ts.obs.dtype == np.float32
    assert ts.state.shape == (b, env.state_dim) and ts.state.dtype == np.float32
    for arr, dtype in ((ts.reward, np.float64), (ts.done, np.bool_), (ts.truncated, np.bool_),
                       (ts.episode_return, np.float64)):
        assert arr.shape == (b,) and arr.dtype == dtype
    assert np.all((ts.obs >= 0) & (ts.obs <= 1)) and np.all((ts.state >= 0) & (ts.state <= 1))
    assert not np.any(ts.truncated & ~ts.done)
    assert np.array_equal(np.isnan(ts.episode_return), ~ts.done)


@pytest.mark.parametrize("name", NAMES)
def test_shapes_dtypes_and_episode_bookkeeping(name: str) -> None:
    env = make_env(name, 5, seed=0)
    assert len(env.num_actions) == env.num_agents and env.num_envs == 5
    ts = env.reset()
    _check_shapes(env, ts)
    assert not ts.done.any() and np.all(ts.reward == 0)
    rng = np.random.default_rng(1)
    running = np.zeros(5)
    length = np.zeros(5, dtype=int)
    for _ in range(2 * env.episode_limit + 3):
        ts = env.step(_random_actions(env, rng))
        _check_shapes(env, ts)
        running += ts.reward
        length += 1
        assert np.all(length <= env.episode_limit)
        np.testing.assert_allclose(ts.episode_return[ts.done], running[ts.done])
        assert np.all(ts.truncated == (ts.done & (length == env.episode_limit) & ts.truncated))
        running[ts.done] = 0.0
        length[ts.done] = 0


def test_truncation_semantics_per_kind() -> None:
    """Finite-horizon models end terminally; predator-prey's time limit truncates."""
    for name in ("climbing", "dec_tiger"):
        env = make_env(name, 3, seed=0)
        env.reset()
        for _ in range(env.episode_limit):
            ts = env.step(np.zeros((3, env.num_agents), dtype=int))
        assert ts.done.all() and not ts.truncated.any()
    # one predator can never capture (capture needs two adjacent): every episode is truncated
    env = PredatorPreyEnv(PredatorPreyConfig(grid=4, predators=1, prey=1, episode_limit=7), 3, seed=0)
    rng = np.random.default_rng(0)
    for k in range(1, 22):
        ts = env.step(_random_actions(env, rng))
        assert np.all(ts.done == (k % 7 == 0)) and np.array_equal(ts.truncated, ts.done)


def _rollout(env: BatchedEnv, actions: list[np.ndarray]) -> list[TimeStep]:
    return [env.step(a) for a in actions]


def _same(a: list[TimeStep], b: list[TimeStep]) -> bool:
    fields = ("obs", "state", "reward", "done", "truncated", "episode_return")
    return all(np.array_equal(getattr(x, f), getattr(y, f), equal_nan=f in ("reward", "episode_return"))
               for x, y in zip(a, b, strict=True) for f in fields)


@pytest.mark.parametrize("name", NAMES)
def test_get_state_set_state_continue_bit_identically(name: str) -> None:
    env = make_env(name, 4, seed=3)
    env.reset()
    rng = np.random.default_rng(0)
    _rollout(env, [_random_actions(env, rng) for _ in range(7)])
    snap = pickle.loads(pickle.dumps(env.get_state()))
    actions = [_random_actions(env, rng) for _ in range(25)]
    first = _rollout(env, actions)
    _rollout(env, actions)  # move further away, then restore
    env.set_state(snap)
    assert _same(first, _rollout(env, actions))
    other = make_env(name, 4, seed=99)  # a fresh object restored from the snapshot agrees too
    other.set_state(snap)
    assert _same(first, _rollout(other, actions))


def test_set_state_rejects_foreign_snapshots() -> None:
    snap = make_env("dec_tiger", 4, seed=0).get_state()
    with pytest.raises(GameError, match="cannot restore"):
        make_env("climbing", 4).set_state(snap)
    with pytest.raises(GameError, match="shape"):
        make_env("dec_tiger", 3).set_state(snap)


@pytest.mark.parametrize("name", NAMES)
def test_seeded_reproducibility(name: str) -> None:
    rng = np.random.default_rng(5)
    env_a, env_b = make_env(name, 6, seed=11), make_env(name, 6, seed=11)
    actions = [_random_actions(env_a, rng) for _ in range(30)]
    assert _same([env_a.current()], [env_b.current()])
    run_a = _rollout(env_a, actions)
    assert _same(run_a, _rollout(env_b, actions))
    first = env_a.reset(seed=11)  # reset(seed) = the state of a new object built with that seed
    assert _same([first], [make_env(name, 6, seed=11).current()])
    assert _same(run_a, _rollout(env_a, actions))


def test_different_seeds_differ() -> None:
    a = make_env("predator-prey", 8, seed=0).reset()
    b = make_env("predator-prey", 8, seed=1).reset()
    assert not np.array_equal(a.state, b.state)


@pytest.mark.parametrize("name", ["climbing", "dec_tiger", "predator-prey-small"])
def test_bad_actions_raise_game_error(name: str) -> None:
    env = make_env(name, 3, seed=0)
    env.reset()
    n = env.num_agents
    with pytest.raises(GameError, match="shape"):
        env.step(np.zeros((3, n + 1), dtype=int))
    with pytest.raises(GameError, match="shape"):
        env.step(np.zeros(3 * n, dtype=int))
    bad = np.zeros((3, n), dtype=int)
    bad[2, n - 1] = env.num_actions[n - 1]
    msg = rf"copy 2, agent {n - 1}: action {env.num_actions[n - 1]} out of range"
    with pytest.raises(GameError, match=msg):
        env.step(bad)
    bad[2, n - 1] = 0
    bad[1, 0] = -1
    with pytest.raises(GameError, match="copy 1, agent 0: action -1"):
        env.step(bad)
    with pytest.raises(GameError, match=r"copy 0, agent 0: action 0\.5 is not an integer"):
        env.step(np.full((3, n), 0.5))
    with pytest.raises(GameError, match="integers"):
        env.step(np.full((3, n), "a"))
    ts = env.step(np.ones((3, n)))  # integral floats are accepted
    assert ts.reward.shape == (3,)


def test_make_env_kinds_and_errors() -> None:
    assert isinstance(make_env("climbing", 2), MatrixGameEnv)
    assert isinstance(make_env("sum_to_10", 2), MatrixGameEnv)
    assert isinstance(make_env("bridge", 2), DecPOMDPEnv)
    assert isinstance(make_env("dec_tiger(horizon=4)", 2), DecPOMDPEnv)
    assert make_env("dec_tiger(horizon=4)", 2).episode_limit == 4
    assert isinstance(make_env("predator-prey-small", 2), PredatorPreyEnv)
    assert make_env("penalty(k=-50)", 1).game.payoffs[0, 0, 2] == -50
    with pytest.raises(GameError, match=r"unknown environment 'nope'.*predator-prey.*dec_tiger"):
        make_env("nope", 1)
    with pytest.raises(GameError, match="cooperative"):
        make_env("prisoners_dilemma", 1)
    with pytest.raises(GameError, match="num_envs"):
        make_env("climbing", 0)
    with pytest.raises(ConfigError, match="horizon"):
        DecPOMDPEnv(make_env("dec_tiger", 1).model, 1, horizon=0)


def test_make_env_reads_dpomdp_files(tmp_path: Path) -> None:
    from games.dec_pomdp.catalog import dec_tiger
    from games.dec_pomdp.madp_format import write_dpomdp

    path = tmp_path / "tiger.dpomdp"
    write_dpomdp(dec_tiger(), path)
    with pytest.raises(ConfigError, match="horizon"):
        make_env(str(path), 2, seed=0)
    env = make_env(str(path), 2, seed=0, horizon=4)
    assert isinstance(env, DecPOMDPEnv) and env.num_actions == (3, 3) and env.episode_limit == 4


def test_predator_prey_names_take_typed_overrides() -> None:
    from games.envs import make_env

    env = make_env("predator-prey-small(penalty=0, episode_limit=20)", 2, seed=0)
    assert (env.config.penalty, env.config.episode_limit, env.config.grid) == (0.0, 20, 5)
    assert make_env("predator-prey(penalty=-2)", 1, seed=0).config.penalty == -2.0
    # the same grammar and messages as the game catalogs (games.spec)
    with pytest.raises(GameError, match="predator-prey has no parameter 'foo'"):
        make_env("predator-prey(foo=1)", 1, seed=0)
    with pytest.raises(GameError, match=r"parameter 'grid' must be an integer, got 2\.5"):
        make_env("predator-prey(grid=2.5)", 1, seed=0)
