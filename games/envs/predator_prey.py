"""Predator-prey with a miscoordination penalty, batched over B copies (numpy only).

The benchmark of DICG (Li, Gupta, Morton, Kochenderfer, Rauch & Dolan, "Deep Implicit
Coordination Graphs for Multi-agent Reinforcement Learning", AAMAS 2021, arXiv 2006.11438), built
on ma-gym's ``PredatorPrey`` (Koul, 2019), and used by AgentMixer (Li, Zhao, Wu & Pajarinen, AAAI
2025) as its relative-overgeneralisation task. Rules implemented here, in order, for one step:

1. **Predators move** one at a time in index order 0..P-1 (each sees the moves of the lower
   indices): actions 0 stay, 1 up (row - 1), 2 down (row + 1), 3 left (col - 1), 4 right
   (col + 1). A move into a wall (off the grid) or into a cell holding a predator or a live prey
   fails and the predator stays; a predator may enter a cell vacated earlier in the same step.
2. **Captures and penalties**, on the positions after the predator moves: a live prey with >= 2
   predators in its 4-neighbourhood (Manhattan distance 1) is captured — the team earns
   ``capture_reward`` for it and the prey is removed; a live prey with exactly one adjacent
   predator earns the team ``penalty`` (<= 0, the miscoordination penalty) and survives.
3. **Surviving prey move**, one at a time in index order, each uniformly at random among "stay"
   and its free neighbouring cells (inside the grid, no predator, no live prey).

Team reward = ``step_reward + capture_reward * #captured + penalty * #single-adjacent``, so every
reward lies in ``[step_reward + Q * min(penalty, 0), step_reward + Q * capture_reward]``. The episode
ends (terminal) when every prey is captured, otherwise it is truncated at ``episode_limit``.
Initial positions: P + Q distinct cells drawn uniformly without replacement (an ``argsort`` of
uniforms per copy); random draws per step: one ``(B, Q)`` block of uniforms for the prey moves.

Layouts (G = grid, v = view, P predators, Q prey):

* obs of predator i, ``obs_dim = 2 + 2 v² + 1``: ``[row / (G-1), col / (G-1) | prey mask (v², row
  major) | predator mask (v², row major) | t / episode_limit]``; the masks cover the v x v window
  centred on the agent, cells outside the grid are 0, and the predator mask excludes the agent
  itself (its centre cell is always 0);
* state, ``state_dim = 2P + 3Q + 1``: ``[predator (row, col) / (G-1) for each predator (2P) | prey
  (row, col) / (G-1) for each prey, zeros once captured (2Q) | prey alive flags (Q) |
  t / episode_limit]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from games.envs.base import NumpyEnv
from games.errors import GameError

__all__ = ["MOVES", "PredatorPreyConfig", "PredatorPreyEnv"]

MOVES = np.array([[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]], dtype=np.int64)
"""Displacement (row, col) of actions 0 stay, 1 up, 2 down, 3 left, 4 right."""


@dataclass(frozen=True)
class PredatorPreyConfig:
    """Sizes and rewards; the defaults are DICG's 10 x 10 grid with 8 predators and 8 prey."""

    grid: int = 10
    predators: int = 8
    prey: int = 8
    episode_limit: int = 200
    step_reward: float = -0.1
    capture_reward: float = 10.0
    penalty: float = -0.5
    view: int = 5

    def __post_init__(self) -> None:
        if self.grid < 2 or self.predators < 1 or self.prey < 1 or self.episode_limit < 1:
            raise GameError(f"predator-prey needs grid >= 2 and >= 1 predator, prey and step: {self}")
        if self.predators + self.prey > self.grid * self.grid:
            raise GameError(f"{self.predators} predators and {self.prey} prey do not fit on a "
                            f"{self.grid}x{self.grid} grid")
        if self.view < 1 or self.view % 2 == 0:
            raise GameError(f"view must be a positive odd window width, got {self.view}")
        if self.penalty > 0:
            raise GameError(f"penalty must be <= 0, got {self.penalty}")

    @classmethod
    def small(cls) -> PredatorPreyConfig:
        """A 5 x 5 grid, 2 predators, 1 prey, 50 steps: the smallest instance needing coordination."""
        return cls(grid=5, predators=2, prey=1, episode_limit=50)


class PredatorPreyEnv(NumpyEnv):
    """B copies of predator-prey with miscoordination penalty (rules in the module docstring)."""

    _fields = ("_pred", "_prey", "_alive")

    def __init__(self, config: PredatorPreyConfig | None = None, num_envs: int = 1,
                 seed: int | None = None) -> None:
        cfg = PredatorPreyConfig() if config is None else config
        self.config = cfg
        self.num_agents = cfg.predators
        self.num_actions = (5,) * cfg.predators
        self.episode_limit = cfg.episode_limit
        self._r = cfg.view // 2
        self.obs_dim = 2 + 2 * cfg.view * cfg.view + 1
        self.state_dim = 2 * cfg.predators + 3 * cfg.prey + 1
        self._setup(num_envs, seed)

    def _allocate(self) -> None:
        b, c = self.num_envs, self.config
        self._pred = np.zeros((b, c.predators, 2), dtype=np.int64)
        self._prey = np.zeros((b, c.prey, 2), dtype=np.int64)
        self._alive = np.zeros((b, c.prey), dtype=bool)
        self._b = np.arange(b)

    def _reset_copies(self, mask: np.ndarray) -> None:
        c = self.config
        k = int(mask.sum())
        cells = np.argsort(self._rng.random((k, c.grid * c.grid)), axis=1)[:, : c.predators + c.prey]
        pos = np.stack([cells // c.grid, cells % c.grid], axis=-1)
        self._pred[mask] = pos[:, : c.predators]
        self._prey[mask] = pos[:, c.predators:]
        self._alive[mask] = True

    def _occupancy(self) -> np.ndarray:
        """``(B, G, G)`` int8: 0 free, 1 predator, 2 live prey."""
        g = self.config.grid
        occ = np.zeros((self.num_envs, g, g), dtype=np.int8)
        b = self._b[:, None]
        occ[b, self._pred[..., 0], self._pred[..., 1]] = 1
        bb, jj = np.nonzero(self._alive)
        occ[bb, self._prey[bb, jj, 0], self._prey[bb, jj, 1]] = 2
        return occ

    def _try_moves(self, occ: np.ndarray, pos: np.ndarray, action: np.ndarray, code: int) -> None:
        """Move the entities at ``pos`` (B, 2) by ``action`` (B,) where the target cell is free."""
        g, b = self.config.grid, self._b
        tgt = pos + MOVES[action]
        inside = ((tgt >= 0) & (tgt < g)).all(axis=1)
        tc = np.clip(tgt, 0, g - 1)
        move = inside & (action != 0) & (occ[b, tc[:, 0], tc[:, 1]] == 0)
        if move.any():
            mb = b[move]
            occ[mb, pos[move, 0], pos[move, 1]] = 0
            occ[mb, tgt[move, 0], tgt[move, 1]] = code
            pos[move] = tgt[move]

    def _transition(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = self.config
        occ = self._occupancy()
        for i in range(c.predators):
            pos = self._pred[:, i].copy()
            self._try_moves(occ, pos, actions[:, i], 1)
            self._pred[:, i] = pos
        # captures and penalties on the positions after the predator moves
        dist = np.abs(self._prey[:, :, None, :] - self._pred[:, None, :, :]).sum(axis=-1)  # (B, Q, P)
        adjacent = (dist == 1).sum(axis=-1)
        captured = self._alive & (adjacent >= 2)
        single = self._alive & (adjacent == 1)
        reward = (c.step_reward + c.capture_reward * captured.sum(axis=1)
                  + c.penalty * single.sum(axis=1)).astype(np.float64)
        if captured.any():
            bb, jj = np.nonzero(captured)
            occ[bb, self._prey[bb, jj, 0], self._prey[bb, jj, 1]] = 0
            self._alive &= ~captured
        # surviving prey move uniformly among stay and the free neighbouring cells
        u = self._rng.random((self.num_envs, c.prey))
        g, b = c.grid, self._b
        for j in range(c.prey):
            live = self._alive[:, j]
            pos = self._prey[:, j].copy()
            tgt = pos[:, None, :] + MOVES[None, :, :]  # (B, 5, 2)
            inside = ((tgt >= 0) & (tgt < g)).all(axis=-1)
            tc = np.clip(tgt, 0, g - 1)
            free = inside & (occ[b[:, None], tc[..., 0], tc[..., 1]] == 0)
            free[:, 0] = True
            choice = np.minimum((u[:, j] * free.sum(axis=1)).astype(np.int64), free.sum(axis=1) - 1)
            action = np.argmax(np.cumsum(free, axis=1) > choice[:, None], axis=1)
            action[~live] = 0
            self._try_moves(occ, pos, action, 2)
            self._prey[:, j] = pos
        terminal = ~self._alive.any(axis=1)
        return reward, terminal

    def _observe(self) -> np.ndarray:
        c, r = self.config, self._r
        occ = self._occupancy()
        pad = np.zeros((self.num_envs, c.grid + 2 * r, c.grid + 2 * r), dtype=np.int8)
        pad[:, r: r + c.grid, r: r + c.grid] = occ
        win = sliding_window_view(pad, (c.view, c.view), axis=(1, 2))  # (B, G, G, v, v)
        rows, cols = self._pred[..., 0], self._pred[..., 1]
        views = win[self._b[:, None], rows, cols]  # (B, P, v, v)
        prey_mask = (views == 2).reshape(self.num_envs, c.predators, -1)
        pred_mask = (views == 1).reshape(self.num_envs, c.predators, -1)
        pred_mask[:, :, (c.view * c.view) // 2] = False  # exclude the agent itself
        obs = np.empty((self.num_envs, c.predators, self.obs_dim), dtype=np.float32)
        obs[:, :, :2] = self._pred / (c.grid - 1)
        v2 = c.view * c.view
        obs[:, :, 2: 2 + v2] = prey_mask
        obs[:, :, 2 + v2: 2 + 2 * v2] = pred_mask
        obs[:, :, -1] = (self._t / self.episode_limit)[:, None]
        return obs

    def _global_state(self) -> np.ndarray:
        c = self.config
        st = np.empty((self.num_envs, self.state_dim), dtype=np.float32)
        p2, q2 = 2 * c.predators, 2 * c.prey
        st[:, :p2] = self._pred.reshape(self.num_envs, -1) / (c.grid - 1)
        st[:, p2: p2 + q2] = (self._prey * self._alive[..., None]).reshape(self.num_envs, -1) / (c.grid - 1)
        st[:, p2 + q2: p2 + q2 + c.prey] = self._alive
        st[:, -1] = self._t / self.episode_limit
        return st
