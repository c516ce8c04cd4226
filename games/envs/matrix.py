"""A cooperative normal-form game played repeatedly as one-step episodes, batched over B copies.

The game is a common-payoff :class:`~games.normal_form.game.NormalFormGame` (e.g. the climbing and
penalty games of Claus & Boutilier, AAAI 1998, the matrix games of the AgentMixer paper, Li, Zhao,
Wu & Pajarinen, AAAI 2025): each step every copy receives ``R[a_1, ..., a_N]`` (the shared payoff
tensor, ``game.common_reward()``) and its episode ends — episode length 1, every step is terminal
(``done`` True, ``truncated`` False, ``episode_return == reward``). There is nothing to observe:

* obs: agent i sees the one-hot of its own index, ``obs[b, i] = e_i`` (``obs_dim = N``), so a
  parameter-shared network can still tell the agents apart; constant over time;
* state: the constant vector ``[1.0]`` (``state_dim = 1``).

Non-cooperative games raise :class:`~games.errors.GameError` (from ``common_reward``).
"""

from __future__ import annotations

import numpy as np

from games.envs.base import NumpyEnv, TimeStep
from games.errors import GameError
from games.normal_form.game import NormalFormGame

__all__ = ["MatrixGameEnv"]


class MatrixGameEnv(NumpyEnv):
    """B copies of a repeated one-step cooperative matrix game (see the module docstring)."""

    limit_is_terminal = True

    def __init__(self, game: NormalFormGame, num_envs: int, seed: int | None = None) -> None:
        if not isinstance(game, NormalFormGame):
            raise GameError(f"MatrixGameEnv needs a NormalFormGame, got {type(game).__name__}")
        self.game = game
        reward = game.common_reward("MatrixGameEnv (one shared team reward)")
        self._flat_reward = np.ascontiguousarray(reward, dtype=np.float64).reshape(-1)
        self.num_agents = game.num_players
        self.num_actions = game.num_actions
        self._strides = np.array([int(np.prod(self.num_actions[i + 1:])) for i in range(self.num_agents)],
                                 dtype=np.int64)
        self.obs_dim = self.num_agents
        self.state_dim = 1
        self.episode_limit = 1
        self._setup(num_envs, seed)
        obs = np.broadcast_to(np.eye(self.num_agents, dtype=np.float32),
                              (self.num_envs, self.num_agents, self.num_agents))
        self._obs = obs  # a read-only broadcast view: shared, never written
        self._state = np.broadcast_to(np.ones(1, dtype=np.float32), (self.num_envs, 1))
        self._done = np.ones(self.num_envs, dtype=bool)
        self._done.setflags(write=False)

    def _allocate(self) -> None:
        pass  # stateless: nothing per copy

    def _reset_copies(self, mask: np.ndarray) -> None:
        pass  # stateless

    def _transition(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._flat_reward[actions @ self._strides], self._done

    def _observe(self) -> np.ndarray:
        return self._obs

    def _global_state(self) -> np.ndarray:
        return self._state

    def step(self, actions: np.ndarray) -> TimeStep:
        """One round in every copy: reward ``R[actions[b]]``, every copy done (fast path)."""
        a = self.check_actions(actions)
        reward = self._flat_reward[a @ self._strides]
        return TimeStep(self._obs, self._state, reward, self._done, self._false_b, reward.copy())
