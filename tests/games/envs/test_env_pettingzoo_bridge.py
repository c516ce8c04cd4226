"""PettingZoo ParallelEnvs behind the BatchedEnv contract (games.envs.pettingzoo_env): hand-counted
returns of the ``pz_toys.Corridor`` env (mean and sum team rewards, an agent leaving, termination
vs truncation, final states), action masks from the observation dict and from info, Box actions
of unequal sizes (padding, clipping), auto-reset and seeding, what a resume restores, the name
grammar ``pettingzoo(package.module:factory, k=v)``, mpe2's simple_spread when installed, and a
round trip (built-in env -> ParallelEnvAdapter -> PettingZooEnv) that replays the native env."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pettingzoo")

from pz_toys import Corridor, corridor

from games.envs import PettingZooEnv, make_env
from games.errors import ConfigError, GameError, GameNotFoundError
from games.spec import parse_call, parse_spec


def _run(env: PettingZooEnv, action: np.ndarray, steps: int) -> list:
    return [env.step(np.broadcast_to(action, (env.num_envs, *action.shape)).copy()) for _ in range(steps)]


@pytest.mark.parametrize(("team", "expected"), [("mean", 3 * 1.5 + 3 * 2.0), ("sum", 3 * 3.0 + 3 * 2.0)])
def test_hand_counted_episode(team: str, expected: float) -> None:
    env = PettingZooEnv(corridor, 2, seed=0, team_reward=team, kwargs={"max_cycles": 6, "a_steps": 3})
    assert (env.num_agents, env.obs_dim, env.state_dim, env.num_actions) == (2, 2, 4, (3, 3))
    assert env.episode_limit == 6 and not env.has_action_masks and not env.exact_resume
    ts = env.current()
    np.testing.assert_array_equal(ts.state, ts.obs.reshape(2, 4))  # no state(): concatenated obs
    steps = _run(env, np.array([1, 2]), 6)
    per_step = [1.5, 1.5, 1.5, 2.0, 2.0, 2.0] if team == "mean" else [3.0, 3.0, 3.0, 2.0, 2.0, 2.0]
    np.testing.assert_array_equal([s.reward[0] for s in steps], per_step)
    assert not any(s.done.any() for s in steps[:5])
    last = steps[-1]
    assert last.done.all() and last.truncated.all()  # b was cut by max_cycles; a had terminated
    np.testing.assert_allclose(last.episode_return, expected)
    # after step 3 agent a is gone: zero observation, its actions are not sent
    np.testing.assert_array_equal(steps[3].obs[:, 0], 0.0)
    assert [sorted(r) for r in env.copies.envs[0].received] == [["a", "b"]] * 3 + [["b"]] * 3
    # the final state is b's last observation (t = 6), the returned one the next episode's start
    np.testing.assert_array_equal(last.final_state[:, 3], 6.0)
    np.testing.assert_array_equal(last.obs[:, 1, 1], 0.0)


def test_terminal_when_an_agent_terminates_at_the_end() -> None:
    env = PettingZooEnv(corridor, 1, seed=0, kwargs={"max_cycles": 4, "a_steps": 4})
    last = _run(env, np.array([0, 0]), 4)[-1]
    assert last.done[0] and not last.truncated[0]


def test_episode_limit_of_the_adapter_truncates() -> None:
    env = PettingZooEnv(corridor, 1, seed=0, episode_limit=2, kwargs={"max_cycles": 50, "a_steps": 40})
    steps = _run(env, np.array([1, 1]), 2)
    assert steps[-1].done[0] and steps[-1].truncated[0] and steps[-1].episode_return[0] == 1.0


def test_state_from_the_env_and_seeded_resets() -> None:
    a = PettingZooEnv(corridor, 3, seed=5, kwargs={"with_state": True})
    b = PettingZooEnv(corridor, 3, seed=5, kwargs={"with_state": True})
    assert a.state_dim == 4
    np.testing.assert_array_equal(a.current().state[:, 3], 7.0)
    seeds = [e.seeds[-1] for e in a.copies.envs]
    assert seeds == [e.seeds[-1] for e in b.copies.envs] and len(set(seeds)) == 3
    for _ in range(9):
        x, y = a.step(np.ones((3, 2), int)), b.step(np.ones((3, 2), int))
        np.testing.assert_array_equal(x.obs, y.obs)
    assert len(a.copies.envs[1].seeds) == 2  # the first reset and the auto-reset at step 6


@pytest.mark.parametrize("where", ["obs", "info"])
def test_action_masks(where: str) -> None:
    env = PettingZooEnv(corridor, 2, seed=0, kwargs={"mask": where})
    assert env.has_action_masks
    ts = env.current()
    np.testing.assert_array_equal(ts.avail[0], [[False, True, True], [False, True, True]])  # t = 0
    with pytest.raises(GameError, match="action 0 is masked"):
        env.step(np.zeros((2, 2), int))
    ts = env.step(np.ones((2, 2), int))
    np.testing.assert_array_equal(ts.avail[0], [[True, True, True], [True, True, True]])  # t = 1
    ts = env.step(np.zeros((2, 2), int))
    ts = env.step(np.ones((2, 2), int))  # t = 3: a has left: only its action 0 is available
    np.testing.assert_array_equal(ts.avail[:, 0], [[True, False, False]] * 2)
    env.step(np.array([[0, 1], [0, 1]]))  # a's action is not sent (it would be masked)


def test_box_actions_of_unequal_sizes_are_padded_and_clipped() -> None:
    env = PettingZooEnv(corridor, 1, seed=0, kwargs={"continuous": True})
    assert env.num_actions == () and env.action_dim == 2 and env.continuous
    np.testing.assert_array_equal(env.action_low, [[-1, -1], [-1, 0]])
    np.testing.assert_array_equal(env.action_high, [[1, 1], [1, 0]])
    ts = env.step(np.array([[[0.5, 3.0], [-7.0, 9.0]]]))
    sent = env.copies.envs[0].received[-1]
    np.testing.assert_array_equal(sent["a"], [0.5, 1.0])
    np.testing.assert_array_equal(sent["b"], [-1.0])
    assert sent["b"].dtype == np.float32
    np.testing.assert_allclose(ts.reward[0], (-(0.0 + 0.25) - 2.25) / 2)
    with pytest.raises(GameError, match="shape"):
        env.step(np.zeros((1, 2)))
    with pytest.raises(GameError, match="not finite"):
        env.step(np.full((1, 2, 2), np.nan))


def test_resume_restarts_every_copy_from_the_restored_generator() -> None:
    env = PettingZooEnv(corridor, 2, seed=1)
    for _ in range(2):
        env.step(np.ones((2, 2), int))
    snap = env.get_state()
    env.step(np.ones((2, 2), int))
    env.set_state(snap)
    after = [e.seeds[-1] for e in env.copies.envs]
    env.set_state(snap)
    assert [e.seeds[-1] for e in env.copies.envs] == after  # same generator state -> same new episodes
    ts = env.current()
    np.testing.assert_array_equal(ts.obs[:, :, 1], 0.0)  # every copy at t = 0 again
    assert env._t.tolist() == [0, 0] and env._ret.tolist() == [0.0, 0.0]
    steps = _run(env, np.array([1, 2]), 6)
    np.testing.assert_allclose(steps[-1].episode_return, 10.5)  # a whole new episode's return


def test_names_in_the_one_grammar() -> None:
    assert parse_call("pettingzoo(pz_toys:corridor, max_cycles=4, mask=obs)") == (
        "pettingzoo", "pz_toys:corridor", {"max_cycles": 4, "mask": "obs"})
    assert parse_call("climbing") == ("climbing", None, {})
    assert parse_spec("penalty(k=-50)") == ("penalty", {"k": -50})
    with pytest.raises(GameError, match="positional"):
        parse_spec("penalty(pkg:f, k=1)")
    with pytest.raises(GameError, match="key=value"):
        parse_call("pettingzoo(k=1, pz_toys:corridor)")
    env = make_env("pettingzoo(pz_toys:corridor, max_cycles=4, team_reward=sum, episode_limit=3)", 2, seed=0)
    assert isinstance(env, PettingZooEnv) and env.episode_limit == 3 and env.copies.envs[0].max_cycles == 4
    assert isinstance(make_env(Corridor, 1, seed=0), PettingZooEnv)  # Python: pass a factory
    with pytest.raises(ConfigError, match="cannot import"):
        make_env("pettingzoo(no_such_module_xyz:f)", 1)
    with pytest.raises(ConfigError, match="no attribute"):
        make_env("pettingzoo(pz_toys:nothing)", 1)
    with pytest.raises(ConfigError, match="rejected"):
        make_env("pettingzoo(pz_toys:corridor, colour=red)", 1)
    with pytest.raises(GameError, match="needs the factory"):
        make_env("pettingzoo(max_cycles=3)", 1)
    with pytest.raises(ConfigError, match="team_reward"):
        make_env("pettingzoo(pz_toys:corridor, team_reward=max)", 1)
    with pytest.raises(GameNotFoundError, match="pettingzoo"):
        make_env("pettingzo(pz_toys:corridor)", 1)


def test_mpe2_simple_spread() -> None:
    pytest.importorskip("mpe2")
    env = make_env("pettingzoo(mpe2.simple_spread_v3:parallel_env, N=3, max_cycles=25)", 4, seed=0)
    assert (env.num_agents, env.obs_dim, env.state_dim, env.num_actions, env.episode_limit) == (
        3, 18, 54, (5, 5, 5), 25)
    rng = np.random.default_rng(0)
    for t in range(25):
        ts = env.step(rng.integers(0, 5, (4, 3)))
        assert ts.done.all() == (t == 24)
    assert ts.truncated.all() and np.isfinite(ts.episode_return).all()


@pytest.mark.parametrize("name", ["predator-prey-small", "dec_tiger", "climbing"])
def test_round_trip_through_the_outward_adapter_matches_the_native_env(name: str) -> None:
    """A built-in env made a PettingZoo env (ParallelEnvAdapter) and brought back in must replay the
    native env's first episode exactly: observations, state, team reward, ends, returns."""
    from games.envs import ParallelEnvAdapter

    native0 = make_env(name, 1, seed=0)
    bridged = PettingZooEnv(lambda: ParallelEnvAdapter(make_env(name, 1, seed=0)), 1, seed=7,
                            episode_limit=native0.episode_limit)
    first_seed = int(np.random.default_rng(7).integers(2**31 - 1))  # what the bridge seeds copy 0 with
    native = make_env(name, 1, seed=first_seed)
    a, b = native.current(), bridged.current()
    rng = np.random.default_rng(3)
    for _ in range(native.episode_limit):
        np.testing.assert_array_equal(a.obs, b.obs)
        np.testing.assert_array_equal(a.state, b.state)
        acts = np.stack([rng.integers(0, m, 1) for m in native.num_actions], axis=1)
        a, b = native.step(acts), bridged.step(acts)
        np.testing.assert_array_equal(a.reward, b.reward)
        np.testing.assert_array_equal(a.done, b.done)
        np.testing.assert_array_equal(a.truncated, b.truncated)
        if a.done[0]:
            np.testing.assert_array_equal(a.episode_return, b.episode_return)
            break
    assert a.done[0]
