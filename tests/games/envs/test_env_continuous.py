"""The continuous-action side of the BatchedEnv contract: the quadratic coordination task (its
reward by hand, the optimum 0 at the targets, clipping) and the running normalisation wrapper
(RunningMoments equals numpy's mean / variance of everything seen, for any batching; frozen
statistics of a follower; raw episode returns; save / restore)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from games.envs import QuadraticCoordinationEnv, make_env
from games.envs.normalize import NormalizedEnv, RunningMoments
from games.errors import GameError


def test_quadratic_reward_by_hand() -> None:
    env = make_env("quadratic-coordination(agents=2, dim=2, target=0.5, coupling=1)", 3, seed=0)
    assert isinstance(env, QuadraticCoordinationEnv) and env.continuous and env.num_actions == ()
    np.testing.assert_array_equal(env.targets, [[0.5, -0.5], [-0.5, 0.5]])
    acts = np.array([env.targets, np.zeros((2, 2)), [[1.0, -0.5], [-0.5, 0.5]]])
    ts = env.step(acts)
    # a = c: 0; a = 0: -(4 x 0.25) - |(-0.5+0.5, 0.5-0.5)|^2 = -1; one error of 0.5: -0.25 - 0.25
    np.testing.assert_allclose(ts.reward, [0.0, -1.0, -0.5])
    assert ts.done.all() and not ts.truncated.any() and env.optimum() == 0.0
    clipped = env.step(np.array([[[5.0, -0.5], [-0.5, 0.5]]] * 3))  # 5 is clipped to 1
    np.testing.assert_allclose(clipped.reward, -0.5)
    with pytest.raises(GameError, match="shape"):
        env.step(np.zeros((3, 2)))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=5), st.integers(0, 2**31 - 1))
def test_running_moments_equal_numpy(sizes: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    batches = [rng.normal(3.0, 2.0, size=(n, 2, 3)) for n in sizes]
    rm = RunningMoments((2, 3))
    for b in batches:
        rm.update(b)
    allx = np.concatenate(batches)
    np.testing.assert_allclose(rm.mean, allx.mean(axis=0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rm.var, allx.var(axis=0), rtol=1e-9, atol=1e-12)


def test_normalized_env_statistics_follow_and_restore() -> None:
    inner = make_env("predator-prey-small", 4, seed=0)
    env = NormalizedEnv(inner, gamma=0.9)
    rng = np.random.default_rng(0)
    seen, raw_returns = [env.current()], []
    for _ in range(60):
        ts = env.step(np.stack([rng.integers(0, m, 4) for m in env.num_actions], axis=1))
        seen.append(ts)
        raw_returns += ts.episode_return[ts.done].tolist()
    assert env.obs_rms.count == 4 * 60  # reset()-free: only the stepped observations
    # episode returns are the raw task's (predator-prey returns are sums of -0.5 / 5 / -0.1 ...)
    assert raw_returns and all(np.isfinite(raw_returns))
    follower = NormalizedEnv(make_env("predator-prey-small", 2, seed=9))
    follower.follow(env)
    count = env.obs_rms.count
    follower.step(np.zeros((2, 2), int))
    assert env.obs_rms.count == count  # the follower never updates the shared statistics
    snap = env.get_state()
    frozen = NormalizedEnv(make_env("predator-prey-small", 2, seed=9))
    frozen.follow(snap)
    np.testing.assert_array_equal(frozen.obs_rms.mean, env.obs_rms.mean)
    acts = [np.stack([rng.integers(0, m, 4) for m in env.num_actions], axis=1) for _ in range(5)]
    first = [env.step(a) for a in acts]
    env.set_state(snap)
    again = [env.step(a) for a in acts]
    for x, y in zip(first, again, strict=True):
        np.testing.assert_array_equal(x.obs, y.obs)
        np.testing.assert_array_equal(x.reward, y.reward)
    with pytest.raises(GameError, match="follows"):
        frozen.follow(object())  # type: ignore[arg-type]
