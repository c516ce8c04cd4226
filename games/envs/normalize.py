"""Running normalisation of observations, states and rewards for a :class:`BatchedEnv` (the MuJoCo
practice of PPO implementations: Engstrom et al., ICLR 2020, "Implementation Matters", Sec. 3;
gymnasium's ``NormalizeObservation`` / ``NormalizeReward``).

:class:`NormalizedEnv` wraps an environment and returns

* ``obs`` as (o - μ_o) / sqrt(σ²_o + 1e-8), per agent and feature, clipped to ±``clip``, with
  (μ_o, σ²_o) the running mean and variance of every observation seen (updated before use); the
  same for ``state`` and ``final_state``;
* ``reward`` as r / sqrt(σ²_G + 1e-8), σ²_G the running variance of the discounted return
  G ← γ G (1 - d) + r of each copy (not centred: the sign of a reward is kept);
* ``episode_return`` **raw** (the undiscounted sum of the raw rewards), so logs and evaluations
  report the task's own return.

The statistics (count, mean, M2 in float64, merged batch by batch with Chan et al.'s parallel
update) and the running returns are part of :meth:`NormalizedEnv.get_state`. An evaluation
environment uses the training environment's statistics without changing them
(:meth:`NormalizedEnv.follow`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from games.envs.base import BatchedEnv, TimeStep
from games.errors import GameError

__all__ = ["NormalizedEnv", "RunningMoments"]

EPS = 1e-8


class RunningMoments:
    """Exact running mean / population variance over axis 0 of the batches given to :meth:`update`."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.count = 0.0
        self.mean = np.zeros(shape)
        self.m2 = np.zeros(shape)

    @property
    def var(self) -> np.ndarray:
        return self.m2 / self.count if self.count > 0 else np.ones_like(self.m2)

    def update(self, x: np.ndarray) -> None:
        x = np.asarray(x, dtype=np.float64)
        n = float(x.shape[0])
        if n == 0:
            return
        b_mean = x.mean(axis=0)
        b_m2 = ((x - b_mean) ** 2).sum(axis=0)
        total = self.count + n
        delta = b_mean - self.mean
        self.mean = self.mean + delta * (n / total)
        self.m2 = self.m2 + b_m2 + delta ** 2 * (self.count * n / total)
        self.count = total

    def state(self) -> dict[str, Any]:
        return {"count": self.count, "mean": self.mean.copy(), "m2": self.m2.copy()}

    def load(self, state: dict[str, Any]) -> None:
        if np.shape(state["mean"]) != self.mean.shape:
            raise GameError(f"statistics of shape {np.shape(state['mean'])}, expected {self.mean.shape}")
        self.count = float(state["count"])
        self.mean = np.array(state["mean"], dtype=np.float64)
        self.m2 = np.array(state["m2"], dtype=np.float64)


class NormalizedEnv(BatchedEnv):
    """``inner`` with normalised observations, states and rewards (see the module docstring)."""

    def __init__(self, inner: BatchedEnv, gamma: float = 0.99, clip: float = 10.0) -> None:
        self.inner = inner
        for name in ("num_envs", "num_agents", "num_actions", "action_dim", "obs_dim", "state_dim",
                     "episode_limit", "has_action_masks", "exact_resume", "limit_is_terminal"):
            setattr(self, name, getattr(inner, name))
        if inner.action_dim:
            self.action_low, self.action_high = inner.action_low, inner.action_high
        self.gamma, self.clip = float(gamma), float(clip)
        self.obs_rms = RunningMoments((self.num_agents, self.obs_dim))
        self.state_rms = RunningMoments((self.state_dim,))
        self.return_rms = RunningMoments(())
        self._returns = np.zeros(self.num_envs)
        self.training = True

    def follow(self, source: BatchedEnv | dict[str, Any]) -> None:
        """Use ``source``'s statistics and stop updating them: a NormalizedEnv is shared live, a
        :meth:`get_state` snapshot is copied (for evaluating a checkpoint)."""
        self.training = False
        if isinstance(source, NormalizedEnv):
            self.obs_rms, self.state_rms = source.obs_rms, source.state_rms
            self.return_rms = source.return_rms
        elif isinstance(source, dict):
            self._load_stats(source)
        else:
            raise GameError(f"a NormalizedEnv follows a NormalizedEnv or its snapshot, got {type(source)}")

    def _norm(self, x: np.ndarray, rms: RunningMoments) -> np.ndarray:
        y = (x - rms.mean) / np.sqrt(rms.var + EPS)
        return np.clip(y, -self.clip, self.clip).astype(np.float32)

    def _wrap(self, ts: TimeStep, first: bool) -> TimeStep:
        if self.training:
            self.obs_rms.update(ts.obs)
            self.state_rms.update(ts.state)
        reward = ts.reward
        if not first:
            self._returns = self._returns * self.gamma + ts.reward
            if self.training:
                self.return_rms.update(self._returns)
            reward = ts.reward / np.sqrt(float(self.return_rms.var) + EPS) \
                if self.return_rms.count > 0 else ts.reward.copy()
            self._returns[ts.done] = 0.0
        final = None if ts.final_state is None else self._norm(ts.final_state, self.state_rms)
        return TimeStep(self._norm(ts.obs, self.obs_rms), self._norm(ts.state, self.state_rms), reward,
                        ts.done, ts.truncated, ts.episode_return, ts.avail, final)

    def reset(self, seed: int | None = None) -> TimeStep:
        self._returns[:] = 0.0
        return self._wrap(self.inner.reset(seed), True)

    def current(self) -> TimeStep:
        ts = self.inner.current()
        return TimeStep(self._norm(ts.obs, self.obs_rms), self._norm(ts.state, self.state_rms), ts.reward,
                        ts.done, ts.truncated, ts.episode_return, ts.avail)

    def check_actions(self, actions: np.ndarray) -> np.ndarray:
        return self.inner.check_actions(actions)

    def step(self, actions: np.ndarray) -> TimeStep:
        return self._wrap(self.inner.step(actions), False)

    def _load_stats(self, state: dict[str, Any]) -> None:
        norm = state.get("normalizer")
        if norm is None:
            raise GameError("the snapshot holds no normalisation statistics")
        self.obs_rms.load(norm["obs"])
        self.state_rms.load(norm["state"])
        self.return_rms.load(norm["return"])

    def get_state(self) -> dict[str, Any]:
        return {"class": type(self).__name__, "inner": self.inner.get_state(),
                "normalizer": {"obs": self.obs_rms.state(), "state": self.state_rms.state(),
                               "return": self.return_rms.state(), "returns": self._returns.copy()}}

    def set_state(self, state: dict[str, Any]) -> None:
        if state.get("class") != type(self).__name__:
            raise GameError(f"snapshot of {state.get('class')!r} cannot restore a {type(self).__name__}")
        self.inner.set_state(state["inner"])
        self._load_stats(state)
        self._returns = np.array(state["normalizer"]["returns"], dtype=np.float64)
        if not self.exact_resume:
            self._returns[:] = 0.0

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()
