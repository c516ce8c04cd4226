"""Small hand-checkable PettingZoo ParallelEnvs for the tests of games.envs.pettingzoo_env and of
training through it (importable as ``pz_toys:<factory>`` when tests/ is on the path).

``Corridor``: agents ``a`` and ``b`` on a line; each step agent i sends an action; rewards are
per agent and differ (a: +1 for action 1, b: +2 for action 2), so the team reward's mean and sum
are known. Observation of agent i: [position_i, t]. ``a`` leaves the episode (terminated) after
``a_steps`` steps; the episode is truncated for ``b`` at ``max_cycles``. Variants: the action mask
in the observation dict (``mask="obs"``) or in ``info`` (``mask="info"``) forbids action 0 at even
steps; ``continuous=True`` gives Box actions of sizes 2 (a) and 1 (b) with bounds [-1, 1] and the
rewards -|a - 0.5|² summed over dimensions; every action received is recorded in ``received``;
``fail_at=k`` > 0 makes the k-th step raise (a simulator that crashes).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv


class Corridor(ParallelEnv):
    metadata = {"name": "corridor_v0", "render_modes": []}  # noqa: RUF012

    def __init__(self, max_cycles: int = 6, a_steps: int = 3, mask: str = "", continuous: bool = False,
                 with_state: bool = False, fail_at: int = 0) -> None:
        self.possible_agents = ["a", "b"]
        self.agents: list[str] = []
        self.max_cycles, self.a_steps, self.mask, self.continuous = max_cycles, a_steps, mask, continuous
        self.with_state, self.fail_at = with_state, fail_at
        obs = spaces.Box(-100.0, 100.0, (2,), np.float32)
        if mask == "obs":
            self._obs_spaces = {a: spaces.Dict({"observation": obs, "action_mask": spaces.MultiBinary(3)})
                                for a in self.possible_agents}
        else:
            self._obs_spaces = dict.fromkeys(self.possible_agents, obs)
        if continuous:
            self._act_spaces = {"a": spaces.Box(-1.0, 1.0, (2,), np.float32),
                                "b": spaces.Box(-1.0, 1.0, (1,), np.float32)}
        else:
            self._act_spaces = {a: spaces.Discrete(3) for a in self.possible_agents}
        self.received: list[dict[str, Any]] = []
        self.seeds: list[int | None] = []

    def observation_space(self, agent: str) -> spaces.Space:
        return self._obs_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self._act_spaces[agent]

    def state(self) -> np.ndarray:
        if not self.with_state:
            raise NotImplementedError
        return np.array([self.pos["a"], self.pos["b"], self.t, 7.0], dtype=np.float32)

    def _mask(self) -> np.ndarray:
        return np.array([self.t % 2, 1, 1], dtype=np.int8)

    def _obs(self, agents: list[str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for a in self.agents if agents is None else agents:
            o = np.array([self.pos[a], self.t], dtype=np.float32)
            out[a] = {"observation": o, "action_mask": self._mask()} if self.mask == "obs" else o
        return out

    def _infos(self) -> dict[str, dict]:
        return {a: ({"action_mask": self._mask()} if self.mask == "info" else {}) for a in self.agents}

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        self.seeds.append(seed)
        start = float(np.random.default_rng(seed).integers(0, 10))
        self.agents = list(self.possible_agents)
        self.pos = {"a": start, "b": -start}
        self.t = 0
        return self._obs(), self._infos()

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        self.received.append(dict(actions))
        if self.fail_at and len(self.received) == self.fail_at:
            raise RuntimeError("the simulator crashed")
        rew: dict[str, float] = {}
        for a, act in actions.items():
            if self.continuous:
                rew[a] = -float(np.sum((np.asarray(act) - 0.5) ** 2))
                self.pos[a] += float(np.asarray(act).reshape(-1)[0])
            else:
                if self.mask and self.t % 2 == 0 and int(act) == 0:
                    raise ValueError("masked action 0 taken")
                rew[a] = {"a": 1.0, "b": 2.0}[a] * float(int(act) == {"a": 1, "b": 2}[a])
                self.pos[a] += int(act)
        self.t += 1
        term = {a: a == "a" and self.t >= self.a_steps for a in self.agents}
        trunc = {a: self.t >= self.max_cycles and not term[a] for a in self.agents}
        self.agents = [a for a in self.agents if not (term[a] or trunc[a])]
        infos = {a: ({"action_mask": self._mask()} if self.mask == "info" else {}) for a in actions}
        return self._obs(list(actions)), rew, term, trunc, infos  # every agent that acted


def corridor(**kwargs: Any) -> Corridor:
    """The factory named in tests as ``pz_toys:corridor``."""
    return Corridor(**kwargs)
