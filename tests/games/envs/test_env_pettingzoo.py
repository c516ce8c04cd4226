"""The PettingZoo Parallel API adapter: pettingzoo's own parallel_api_test on every env kind, plus
the spaces, the team reward, episode ends and state()."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pettingzoo")
pytest.importorskip("gymnasium")

from pettingzoo.test import parallel_api_test

from games.envs import ParallelEnvAdapter, make_env
from games.errors import GameError

KINDS = ["climbing", "penalty(k=-50)", "dec_tiger", "bridge", "predator-prey-small", "predator-prey"]


@pytest.mark.parametrize("name", KINDS)
def test_parallel_api_test_passes(name: str) -> None:
    parallel_api_test(ParallelEnvAdapter(make_env(name, 1, seed=0)), num_cycles=300)


@pytest.mark.parametrize("name", KINDS)
def test_spaces_rewards_and_episode_end(name: str) -> None:
    base = make_env(name, 1, seed=0)
    env = ParallelEnvAdapter(base)
    obs, infos = env.reset(seed=3)
    assert env.agents == env.possible_agents == [f"agent{i}" for i in range(base.num_agents)]
    assert set(infos) == set(env.agents)
    for i, agent in enumerate(env.agents):
        assert env.observation_space(agent).contains(obs[agent])
        assert env.action_space(agent).n == base.num_actions[i]
    assert env.state().shape == (base.state_dim,) and env.state_space.contains(env.state())
    total, steps = 0.0, 0
    while env.agents:
        acts = {a: env.action_space(a).sample() for a in env.agents}
        obs, rew, term, trunc, info = env.step(acts)
        assert len(set(rew.values())) == 1  # one team reward
        total += next(iter(rew.values()))
        steps += 1
        assert all(env.observation_space(a).contains(o) for a, o in obs.items())
    assert steps <= base.episode_limit
    done_kind = next(iter(term.values())) or next(iter(trunc.values()))
    assert done_kind and info["agent0"]["episode_return"] == pytest.approx(total)
    with pytest.raises(GameError, match="reset"):
        env.step(acts)


def test_adapter_rejects_batches_and_unknown_agents() -> None:
    with pytest.raises(GameError, match="num_envs == 1"):
        ParallelEnvAdapter(make_env("climbing", 2))
    env = ParallelEnvAdapter(make_env("climbing", 1))
    with pytest.raises(GameError, match="unknown agent"):
        env.action_space("nobody")
    env.reset()
    with pytest.raises(GameError, match="no action"):
        env.step({"agent0": 0})


def test_seeded_reset_reproduces() -> None:
    env = ParallelEnvAdapter(make_env("predator-prey-small", 1))
    a, _ = env.reset(seed=5)
    b, _ = env.reset(seed=5)
    assert all(np.array_equal(a[k], b[k]) for k in a)
