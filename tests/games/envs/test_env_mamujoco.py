"""Multi-Agent MuJoCo through games.envs.mamujoco (skipped without the ``mujoco`` extra): the shapes
gymnasium-robotics reports for Ant 2x4 and HalfCheetah 6x1 with agent_obsk=0, bit-exact resume
(against an uninterrupted run, with and without normalisation, also for a padded 9|8 Humanoid),
the raw episode return under normalisation, time-limit truncation with a final state, worker
processes, and typed errors for bad scenarios."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium_robotics")
pytest.importorskip("mujoco")

from games.envs import make_env
from games.envs.mamujoco import MaMuJoCoEnv
from games.envs.normalize import NormalizedEnv
from games.errors import ConfigError

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.mark.parametrize(("spec", "shape"), [
    ("scenario=Ant, conf=2x4", (2, 61, 105, 4)),
    ("scenario=HalfCheetah, conf=6x1", (6, 7, 17, 1)),
])
def test_shapes_of_the_papers_tasks(spec: str, shape: tuple[int, ...]) -> None:
    env = make_env(f"mamujoco({spec}, agent_obsk=0)", 2, seed=0)
    assert isinstance(env, NormalizedEnv) and isinstance(env.inner, MaMuJoCoEnv)
    assert (env.num_agents, env.obs_dim, env.state_dim, env.action_dim) == shape
    assert env.episode_limit == 1000 and env.exact_resume and env.num_actions == ()
    np.testing.assert_array_equal(env.action_low, -1.0)


@pytest.mark.parametrize("spec", ["scenario=Ant, conf=2x4, normalize=false",
                                  "scenario=Ant, conf=2x4", "scenario=Humanoid, conf=9|8"])
def test_resume_is_bit_exact(spec: str) -> None:
    env = make_env(f"mamujoco({spec}, agent_obsk=0, episode_limit=25)", 2, seed=3)
    rng = np.random.default_rng(0)
    shape = (2, env.num_agents, env.action_dim)
    for _ in range(18):
        env.step(rng.normal(size=shape))
    snap = env.get_state()
    acts = [rng.normal(size=shape) for _ in range(12)]  # crosses the time limit at step 25
    first = [env.step(a) for a in acts]
    env.set_state(snap)
    again = [env.step(a) for a in acts]
    assert any(ts.done.any() for ts in first)
    for x, y in zip(first, again, strict=True):
        for field in ("obs", "state", "reward", "done", "truncated", "episode_return"):
            np.testing.assert_array_equal(getattr(x, field), getattr(y, field))


def test_workers_step_the_same_simulation_and_resume_it_exactly() -> None:
    """Three copies in two worker processes: the TimeSteps of in-process copies, and a snapshot
    taken across the workers restores them bit for bit."""
    spec = "mamujoco(scenario=HalfCheetah, conf=6x1, agent_obsk=0, episode_limit=10{})"
    local, remote = make_env(spec.format(""), 3, seed=1), make_env(spec.format(", workers=2"), 3, seed=1)
    try:
        rng = np.random.default_rng(0)
        acts = [rng.normal(size=(3, 6, 1)) for _ in range(14)]  # crosses the time limit at step 10
        for a in acts[:6]:
            x, y = local.step(a), remote.step(a)
            np.testing.assert_array_equal(x.obs, y.obs)
            np.testing.assert_array_equal(x.reward, y.reward)
        snap = remote.get_state()
        first = [remote.step(a) for a in acts[6:]]
        remote.set_state(snap)
        for a, x in zip(acts[6:], first, strict=True):
            y = remote.step(a)
            for field in ("obs", "state", "reward", "done", "episode_return"):
                np.testing.assert_array_equal(getattr(x, field), getattr(y, field))
    finally:
        remote.close()


def test_integration_state_alone_is_not_enough() -> None:
    """The derived kinematics matter: without them the first reward after a restore differs."""
    import mujoco

    env = make_env("mamujoco(scenario=Ant, conf=2x4, agent_obsk=0, normalize=false)", 1, seed=0)
    rng = np.random.default_rng(1)
    for _ in range(10):
        env.step(rng.normal(size=(1, 2, 4)))
    snap = env.get_state()
    act = rng.normal(size=(1, 2, 4))
    want = env.step(act).reward
    env.set_state(snap)
    sim = env.copies.envs[0].single_agent_env.unwrapped
    spec = mujoco.mjtState.mjSTATE_INTEGRATION
    mujoco.mj_setState(sim.model, sim.data, snap["copies"][0]["mj_state"], spec)
    mujoco.mj_forward(sim.model, sim.data)  # recomputes xpos at the current positions
    assert env.step(act).reward[0] != want[0]


def test_normalised_rewards_keep_raw_returns_and_truncate_with_final_state() -> None:
    cheetah = "scenario=HalfCheetah, conf=6x1, agent_obsk=0, episode_limit=20"
    raw = make_env(f"mamujoco({cheetah}, normalize=false)", 2, seed=1)
    norm = make_env("mamujoco(scenario=HalfCheetah, conf=6x1, agent_obsk=0, episode_limit=20)", 2, seed=1)
    rng = np.random.default_rng(2)
    total = np.zeros(2)
    for t in range(20):
        a = rng.uniform(-1, 1, size=(2, 6, 1))
        x, y = raw.step(a), norm.step(a)
        total += x.reward
        if t > 0:
            assert not np.allclose(x.reward, y.reward)  # scaled by the running return std
    assert x.done.all() and x.truncated.all() and y.truncated.all()  # HalfCheetah never terminates
    np.testing.assert_allclose(x.episode_return, total)
    np.testing.assert_array_equal(y.episode_return, x.episode_return)  # raw, not normalised
    assert x.final_state is not None and np.isfinite(y.final_state).all()
    assert not np.array_equal(x.final_state, x.state)  # the ended episode's, not the new one's


@pytest.mark.parametrize(("spec", "match"), [
    ("scenario=Antelope, conf=2x4", "Antelope"), ("scenario=Ant, conf=3x7", "3x7"),
    ("scenario=Ant, conf=2x4, normalize=3", "normalize"), ("scenario=Ant, conf=2x4, gamma=2", "gamma"),
])
def test_bad_settings_are_typed_errors(spec: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        make_env(f"mamujoco({spec})", 1)
