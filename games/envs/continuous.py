"""A one-step cooperative task with continuous actions and a known optimum (the continuous analogue
of the repeated matrix games; a test bed for the Gaussian learners and the continuous IGC head of
AgentMixer, Li, Zhao, Wu & Pajarinen, AAAI 2025, Def. 6).

N agents each choose a_i ∈ [-1, 1]^d; the episode lasts one step and every copy receives

    r(a) = - Σ_i ||a_i - c_i||² - κ ||Σ_i (a_i - c_i)||²,      c_i = the targets,

a concave quadratic whose unique maximiser is a = c, with r(c) = 0 (both terms are ≥ 0 and vanish
only there). The coupling κ ≥ 0 makes the agents' errors interact (the reward of one agent's
action depends on the others'), as in the continuous coordination games of MA-MuJoCo-like
factorisations. Targets: ``c_i[k] = target · (-1)^(i + k)``, so the agents must move in different
directions. Observations: the one-hot agent index; state: ``[1.0]``.
"""

from __future__ import annotations

import numpy as np

from games.envs.base import NumpyEnv, TimeStep
from games.errors import GameError

__all__ = ["QuadraticCoordinationEnv"]


class QuadraticCoordinationEnv(NumpyEnv):
    """B copies of the one-step quadratic coordination task (see the module docstring)."""

    limit_is_terminal = True

    def __init__(self, num_envs: int, seed: int | None = None, *, agents: int = 2, dim: int = 2,
                 target: float = 0.5, coupling: float = 1.0) -> None:
        if agents < 1 or dim < 1:
            raise GameError(f"need agents >= 1 and dim >= 1, got {agents}, {dim}")
        if not (0.0 <= target <= 1.0 and coupling >= 0.0):
            raise GameError(f"need 0 <= target <= 1 and coupling >= 0, got {target}, {coupling}")
        self.num_agents, self.action_dim = int(agents), int(dim)
        self.num_actions = ()
        self.action_low = -np.ones((self.num_agents, self.action_dim))
        self.action_high = np.ones((self.num_agents, self.action_dim))
        signs = (-1.0) ** (np.arange(self.num_agents)[:, None] + np.arange(self.action_dim)[None, :])
        self.targets = float(target) * signs
        self.coupling = float(coupling)
        self.obs_dim, self.state_dim, self.episode_limit = self.num_agents, 1, 1
        self._setup(num_envs, seed)
        self._obs = np.broadcast_to(np.eye(self.num_agents, dtype=np.float32),
                                    (self.num_envs, self.num_agents, self.num_agents))
        self._state = np.broadcast_to(np.ones(1, dtype=np.float32), (self.num_envs, 1))
        self._done = np.ones(self.num_envs, dtype=bool)
        self._done.setflags(write=False)

    def optimum(self) -> float:
        """The maximal expected reward, r(c) = 0."""
        return 0.0

    def reward(self, actions: np.ndarray) -> np.ndarray:
        """r for clipped actions (B, N, d)."""
        err = actions - self.targets
        return -(err ** 2).sum(axis=(1, 2)) - self.coupling * (err.sum(axis=1) ** 2).sum(axis=1)

    def _allocate(self) -> None:
        pass

    def _reset_copies(self, mask: np.ndarray) -> None:
        pass

    def _transition(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.reward(actions), self._done

    def _observe(self) -> np.ndarray:
        return self._obs

    def _global_state(self) -> np.ndarray:
        return self._state

    def step(self, actions: np.ndarray) -> TimeStep:
        reward = self.reward(self.check_actions(actions))
        return TimeStep(self._obs, self._state, reward, self._done, self._false_b, reward.copy())
