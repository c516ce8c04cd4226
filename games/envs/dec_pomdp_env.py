"""A tabular Dec-POMDP simulated forward over B copies: s0 ~ b0, s' ~ T, joint observation ~ O.

The model is a :class:`~games.dec_pomdp.model.DecPOMDP` (Bernstein, Givan, Immerman & Zilberstein, Math.
OR 2002) with MADP joint indices (last agent fastest): the joint action of ``actions[b]`` is
``ja = np.ravel_multi_index(actions[b], num_actions)`` and the sampled joint observation ``jo`` is
split with ``np.unravel_index(jo, num_observations)``. One step in copy b in state s:

    r = R[s, ja],   s' ~ T[s, ja, :],   jo ~ O[ja, s', :],

so ``reward`` is the reward of the state the action was taken in, and each agent then receives
its own component of jo. Sampling is vectorised over the copies by inverse-CDF: a uniform draw per
copy is compared with the precomputed cumulative rows (``np.cumsum`` normalised so the last entry
is exactly 1). Draw order per step: B uniforms for s', then B for jo.

Episodes last exactly ``horizon`` steps (resolved by :meth:`DecPOMDP.resolve_horizon`: the
argument, else the model's, else a typed error). The horizon
is part of the finite-horizon task, so the last step is reported as *terminal*, not truncated,
and ``episode_return`` is the undiscounted sum of rewards — the value that
:func:`games.dec_pomdp.evaluation.evaluate` computes exactly (with discount 1).

Layouts (H = horizon, Q = max_i |O_i|, S = |S|):

* obs of agent i, ``obs_dim = Q + H``: ``[one-hot(o_i) (Q) | one-hot(t) (H)]`` — the one-hot of
  the agent's last individual observation (all zeros at t = 0, before any observation; agents with
  fewer than Q observations leave the tail zero) followed by the one-hot of the current step
  t in 0..H-1;
* state, ``state_dim = S + 1``: ``[one-hot(s) (S) | t / H]``.
"""

from __future__ import annotations

import numpy as np

from games.dec_pomdp.model import DecPOMDP
from games.envs.base import NumpyEnv
from games.errors import GameError

__all__ = ["DecPOMDPEnv"]


def _cdf(p: np.ndarray) -> np.ndarray:
    """Cumulative sums over the last axis, scaled so that the last entry is exactly 1."""
    c = np.cumsum(p, axis=-1)
    c /= c[..., -1:]
    return c


def _sample(cdf_rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index of the first entry of each row exceeding ``u`` (inverse-CDF sampling, vectorised)."""
    k = (cdf_rows <= u[:, None]).sum(axis=1)
    return np.minimum(k, cdf_rows.shape[1] - 1)


class DecPOMDPEnv(NumpyEnv):
    """B copies of a finite-horizon Dec-POMDP (see the module docstring for the layouts)."""

    limit_is_terminal = True
    _fields = ("_s", "_last_obs")

    def __init__(self, model: DecPOMDP, num_envs: int, horizon: int | None = None,
                 seed: int | None = None) -> None:
        if not isinstance(model, DecPOMDP):
            raise GameError(f"DecPOMDPEnv needs a DecPOMDP, got {type(model).__name__}")
        h = model.resolve_horizon(horizon)
        self.model = model
        self.num_agents = model.num_agents
        self.num_actions = model.num_actions
        self.episode_limit = int(h)
        self._nobs = np.asarray(model.num_observations, dtype=np.int64)
        self._q = int(self._nobs.max())
        self.obs_dim = self._q + self.episode_limit
        self.state_dim = model.num_states + 1
        n = self.num_agents
        self._a_strides = np.array([int(np.prod(model.num_actions[i + 1:])) for i in range(n)],
                                   dtype=np.int64)
        self._o_strides = np.array([int(np.prod(model.num_observations[i + 1:])) for i in range(n)],
                                   dtype=np.int64)
        self._b0_cdf = _cdf(model.initial)
        self._t_cdf = _cdf(model.transition)  # (S, JA, S)
        self._o_cdf = _cdf(model.observation)  # (JA, S, JO)
        self._reward = model.reward
        self._setup(num_envs, seed)

    def _allocate(self) -> None:
        self._s = np.zeros(self.num_envs, dtype=np.int64)
        self._last_obs = np.full((self.num_envs, self.num_agents), -1, dtype=np.int64)

    def _reset_copies(self, mask: np.ndarray) -> None:
        k = int(mask.sum())
        u = self._rng.random(k)
        self._s[mask] = np.minimum(np.searchsorted(self._b0_cdf, u, side="right"),
                                   self.model.num_states - 1)
        self._last_obs[mask] = -1

    def _transition(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ja = actions @ self._a_strides
        s = self._s
        reward = self._reward[s, ja]
        u = self._rng.random(2 * self.num_envs)
        s2 = _sample(self._t_cdf[s, ja], u[: self.num_envs])
        jo = _sample(self._o_cdf[ja, s2], u[self.num_envs:])
        self._s = s2
        self._last_obs = (jo[:, None] // self._o_strides) % self._nobs
        return reward, self._false_b

    def _observe(self) -> np.ndarray:
        b, n, q = self.num_envs, self.num_agents, self._q
        obs = np.zeros((b, n, self.obs_dim), dtype=np.float32)
        bb, ii = np.nonzero(self._last_obs >= 0)
        obs[bb, ii, self._last_obs[bb, ii]] = 1.0
        obs[np.arange(b), :, q + self._t] = 1.0
        return obs

    def _global_state(self) -> np.ndarray:
        st = np.zeros((self.num_envs, self.state_dim), dtype=np.float32)
        st[np.arange(self.num_envs), self._s] = 1.0
        st[:, -1] = self._t / self.episode_limit
        return st
