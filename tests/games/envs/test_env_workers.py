"""Worker processes for the simulators behind games.envs.pettingzoo_env (games.envs.copies): the
same TimeSteps as in-process copies for the same seed and actions (through auto-resets, action
masks, state() and Box actions), exact save / restore across workers, and typed errors for an
unpicklable factory, a bad worker count and a simulator that crashes inside a worker."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pettingzoo")

from pz_toys import corridor

from games.envs import PettingZooEnv, make_env
from games.envs.copies import LocalCopies, WorkerCopies
from games.errors import ConfigError, GameError


def _actions(env: PettingZooEnv, rng: np.random.Generator, avail: np.ndarray | None) -> np.ndarray:
    if env.action_dim:
        return rng.uniform(-1.5, 1.5, (env.num_envs, env.num_agents, env.action_dim))
    if avail is None:
        return rng.integers(0, 3, (env.num_envs, env.num_agents))
    return np.array([[rng.choice(np.flatnonzero(m)) for m in row] for row in avail])


def _same_run(kwargs: dict, copies: int, workers: int, steps: int = 14) -> None:
    local = PettingZooEnv(corridor, copies, seed=3, kwargs=kwargs)
    remote = PettingZooEnv(corridor, copies, seed=3, kwargs=kwargs, workers=workers)
    try:
        assert isinstance(local.copies, LocalCopies) and isinstance(remote.copies, WorkerCopies)
        rng = np.random.default_rng(0)
        x, y = local.current(), remote.current()
        ended = 0
        for _ in range(steps):
            for field in ("obs", "state", "reward", "done", "truncated", "episode_return", "avail",
                          "final_state"):
                np.testing.assert_array_equal(getattr(x, field), getattr(y, field), err_msg=field)
            a = _actions(local, rng, x.avail)
            x, y = local.step(a), remote.step(a)
            ended += int(x.done.sum())
        assert ended >= copies  # the run went through auto-resets
    finally:
        remote.close()


@pytest.mark.parametrize("kwargs", [
    {"max_cycles": 5, "a_steps": 2},
    {"max_cycles": 4, "a_steps": 3, "mask": "obs", "with_state": True},
    {"max_cycles": 6, "a_steps": 2, "mask": "info"},
    {"max_cycles": 5, "a_steps": 4, "continuous": True},
])
def test_workers_give_the_same_timesteps_as_in_process_copies(kwargs: dict) -> None:
    _same_run(kwargs, copies=5, workers=2)


def test_more_workers_than_copies_and_the_name_grammar() -> None:
    _same_run({"max_cycles": 3}, copies=2, workers=4)
    env = make_env("pettingzoo(pz_toys:corridor, max_cycles=3, workers=2)", 3, seed=0)
    try:
        assert isinstance(env.copies, WorkerCopies) and env.copies.workers == 2
        assert env.step(np.tile([1, 2], (3, 1))).reward.tolist() == [1.5, 1.5, 1.5]  # (1 + 2) / 2
    finally:
        env.close()


def test_typed_errors() -> None:
    with pytest.raises(ConfigError, match="picklable factory"):
        PettingZooEnv(lambda: corridor(), 2, workers=2)
    with pytest.raises(ConfigError, match="workers must be an integer >= 0"):
        PettingZooEnv(corridor, 2, workers=-1)
    env = PettingZooEnv(corridor, 4, seed=0, kwargs={"fail_at": 2}, workers=2)
    try:
        env.step(np.ones((4, 2), int))
        with pytest.raises(GameError, match=r"environment worker 0: RuntimeError: the simulator crashed"):
            env.step(np.ones((4, 2), int))
    finally:
        env.close()
