"""A PettingZoo Parallel API view of a single-copy :class:`~games.envs.base.BatchedEnv`.

PettingZoo (Terry et al., NeurIPS 2021) is the common interface of multi-agent RL libraries; this
adapter lets them drive any ``games.envs`` environment built with ``num_envs=1``. Agents are
named ``agent0 .. agent{N-1}``; observation spaces are ``Box(0, 1, (obs_dim,), float32)`` (every
``games.envs`` observation lies in [0, 1]) and action spaces ``Discrete(|A_i|)``; rewards are the
common team reward, given to every agent. When the episode ends every agent is terminated (or
truncated, at the time limit) and ``agents`` becomes empty; since the wrapped environment
auto-resets, the observations returned with the final step are those of the next episode's start,
and the next :meth:`ParallelEnvAdapter.reset` starts a fresh episode anyway. ``infos[agent]``
holds ``episode_return`` on the final step.

pettingzoo and gymnasium are development extras, not core dependencies: importing this module
without them raises an ImportError that says how to install them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    from gymnasium import spaces
    from pettingzoo import ParallelEnv
except ImportError as exc:  # pragma: no cover - exercised only without the dev extras
    raise ImportError(
        "games.envs.pettingzoo_adapter needs pettingzoo and gymnasium (development extras): "
        "pip install 'pettingzoo>=1.24' gymnasium, or pip install '.[dev]'") from exc

from games.envs.base import BatchedEnv
from games.errors import GameError

__all__ = ["ParallelEnvAdapter"]


class ParallelEnvAdapter(ParallelEnv):
    """Wrap a ``num_envs == 1`` BatchedEnv as a PettingZoo ``ParallelEnv``."""

    metadata = {"name": "agentmixer_batched_env_v0", "render_modes": []}  # noqa: RUF012

    def __init__(self, env: BatchedEnv) -> None:
        if not isinstance(env, BatchedEnv):
            raise GameError(f"ParallelEnvAdapter wraps a BatchedEnv, got {type(env).__name__}")
        if env.num_envs != 1:
            raise GameError(f"ParallelEnvAdapter needs num_envs == 1, got {env.num_envs}")
        self.env = env
        self.possible_agents = [f"agent{i}" for i in range(env.num_agents)]
        self.agents: list[str] = []
        self.render_mode = None
        self._obs_space = spaces.Box(0.0, 1.0, (env.obs_dim,), np.float32)
        self._act_spaces = [spaces.Discrete(m) for m in env.num_actions]
        self.state_space = spaces.Box(0.0, 1.0, (env.state_dim,), np.float32)
        self._state = np.zeros(env.state_dim, dtype=np.float32)

    def observation_space(self, agent: str) -> spaces.Box:
        """The same Box object for every call (PettingZoo requires identity, for seeding)."""
        self._index(agent)
        return self._obs_space

    def action_space(self, agent: str) -> spaces.Discrete:
        return self._act_spaces[self._index(agent)]

    def _index(self, agent: str) -> int:
        try:
            return self.possible_agents.index(agent)
        except ValueError:
            raise GameError(f"unknown agent {agent!r}; agents are {self.possible_agents}") from None

    def _obs_dict(self, obs: np.ndarray) -> dict[str, np.ndarray]:
        return {a: np.array(obs[0, i], dtype=np.float32) for i, a in enumerate(self.possible_agents)}

    def reset(self, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[dict[str, np.ndarray], dict[str, dict]]:
        ts = self.env.reset(seed=seed)
        self.agents = list(self.possible_agents)
        self._state = np.array(ts.state[0], dtype=np.float32)
        return self._obs_dict(ts.obs), {a: {} for a in self.agents}

    def step(self, actions: dict[str, int]) -> tuple[dict[str, np.ndarray], dict[str, float],
                                                      dict[str, bool], dict[str, bool], dict[str, dict]]:
        if not self.agents:
            raise GameError("step() called on a finished episode; call reset() first")
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise GameError(f"no action given for agents {missing}")
        joint = np.array([[int(actions[a]) for a in self.possible_agents]], dtype=np.int64)
        ts = self.env.step(joint)
        agents = list(self.agents)
        reward = float(ts.reward[0])
        done, trunc = bool(ts.done[0]), bool(ts.truncated[0])
        obs = self._obs_dict(ts.obs)
        rewards = dict.fromkeys(agents, reward)
        terminations = dict.fromkeys(agents, done and not trunc)
        truncations = dict.fromkeys(agents, trunc)
        infos: dict[str, dict] = {a: {} for a in agents}
        self._state = np.array(ts.state[0], dtype=np.float32)
        if done:
            for a in agents:
                infos[a]["episode_return"] = float(ts.episode_return[0])
            self.agents = []
        return obs, rewards, terminations, truncations, infos

    def state(self) -> np.ndarray:
        """The global state ``(state_dim,)`` float32 of the current step."""
        return self._state.copy()

    def close(self) -> None:
        pass
