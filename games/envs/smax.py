"""SMAX (JaxMARL's StarCraft-like micromanagement, Rutherford et al. 2024) behind the
:class:`~games.envs.base.BatchedEnv` contract, for the SMACv2 experiments of the AgentMixer paper
(Li, Zhao, Wu & Pajarinen, AAAI 2025, Table 1).

``make_env("smax(map=3m)")``: any map of jaxmarl's ``MAP_NAME_TO_SCENARIO`` (``3m``, ``2s3z``,
``smacv2_5_units``, ``smacv2_10_units``, ...), the allies learning against jaxmarl's heuristic
enemy (``HeuristicEnemySMAX``, as JaxMARL's own baselines). The B copies are one ``jax.vmap`` of
the jitted step (the first step compiles, 15-30 s). Per agent: its observation vector and the
per-step action mask (``TimeStep.avail``: moves blocked by walls, attacks on units out of range or
dead, and only no-op for a dead agent); state: the ``world_state``; team reward: the mean of the
allies' rewards (they are equal); an episode ends when a team is destroyed (terminal) or after
``max_steps`` steps (default 100; truncated unless a team died at that step; jaxmarl's own
``max_steps`` counts one step more, so it is given ``max_steps - 1``). :attr:`SMAXEnv.wins`
counts, per copy, episodes that ended with every enemy dead; the trainer logs the win rate of the
episodes finished in each rollout (``win_rate``).

Resume is exact: the whole JAX state pytree and PRNG key are saved as numpy arrays.

Needs the ``smax`` extra (``jaxmarl==0.2.0``, about 1 GB with jax and flax). SMACv2 *proper*
runs on the StarCraft II game binary, which this package cannot install or drive; SMAX is its JAX
re-implementation, and its numbers are not SMACv2's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from games.envs.base import BatchedEnv, TimeStep
from games.errors import ConfigError, GameError

__all__ = ["SMAXEnv"]

_COMPILED: dict[tuple[Any, ...], tuple[Any, ...]] = {}
"""(map, max_steps, options) -> (env, step, reset, avail): environments of one map share their
jitted functions, so a training and an evaluation environment of equal size compile once."""

EXTRA_HINT = "SMAX needs the smax extra: pip install 'agentmixer[smax]' (jaxmarl, about 1 GB)"


class SMAXEnv(BatchedEnv):
    """B copies of one SMAX map against the heuristic enemy (see the module docstring)."""

    has_action_masks = True

    def __init__(self, num_envs: int, seed: int | None = None, *, map: str = "3m",
                 max_steps: int = 100, **kwargs: Any) -> None:
        try:
            import jax
            import jax.numpy as jnp
            from jaxmarl.environments.smax import HeuristicEnemySMAX, map_name_to_scenario
        except ImportError as exc:
            raise ConfigError(f"{EXTRA_HINT} ({exc})") from None
        if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
            raise GameError(f"num_envs must be a positive integer, got {num_envs!r}")
        try:
            scenario = map_name_to_scenario(map)
        except KeyError:
            from jaxmarl.environments.smax.smax_env import MAP_NAME_TO_SCENARIO

            raise ConfigError(f"unknown SMAX map {map!r}; maps: {', '.join(MAP_NAME_TO_SCENARIO)}") from None
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise ConfigError(f"smax max_steps must be an integer >= 1, got {max_steps!r}")
        cache_key = (map, int(max_steps), tuple(sorted(kwargs.items())))
        if cache_key not in _COMPILED:
            try:  # jaxmarl ends an episode after max_steps + 1 steps (its time counter starts at 0
                # and the episode is done when it exceeds max_steps): ask it for one step fewer
                env = HeuristicEnemySMAX(scenario=scenario, max_steps=int(max_steps) - 1, **kwargs)
            except TypeError as exc:
                raise ConfigError(f"smax(map={map}): {exc}") from None
            _COMPILED[cache_key] = (env, *self._build(jax, jnp, env))
        env, self._step, self._reset_all, self._avail_fn = _COMPILED[cache_key]
        self.map, self._jax, self._jnp, self.env = map, jax, jnp, env
        self.agents = list(env.agents)
        self.num_agents = len(self.agents)
        self.num_actions = tuple(int(env.action_spaces[a].n) for a in self.agents)
        self._nact = np.asarray(self.num_actions, dtype=np.int64)
        self.obs_dim = int(env.observation_spaces[self.agents[0]].shape[0])
        self.episode_limit = int(max_steps)
        self.num_envs = int(num_envs)
        self._key = jax.random.PRNGKey(0 if seed is None else int(seed))
        obs, self._state = self._reset_all(self._split())
        self.state_dim = int(obs["world_state"].shape[-1])
        self._take(obs)
        self._ret = np.zeros(self.num_envs)
        self._t = np.zeros(self.num_envs, dtype=np.int64)
        self.wins = np.zeros(self.num_envs, dtype=np.int64)
        self.last_won = np.zeros(self.num_envs, dtype=bool)
        self._nan_b, self._false_b, self._zeros_b = (np.full(self.num_envs, np.nan),
                                                     np.zeros(self.num_envs, bool), np.zeros(self.num_envs))

    @staticmethod
    def _build(jax: Any, jnp: Any, env: Any) -> tuple[Any, Any, Any]:
        """The jitted, vmapped step (with auto-reset, win and terminal flags), reset and masks."""
        agents, allies = list(env.agents), env.num_allies

        def one_step(key: Any, state: Any, actions: Any) -> tuple[Any, ...]:
            k_step, k_reset = jax.random.split(key)
            joint = {a: actions[i] for i, a in enumerate(agents)}
            obs, st, rew, dones, _ = env.step_env(k_step, state, joint)
            alive = st.state.unit_alive
            won = jnp.all(~alive[allies:])
            terminal = won | jnp.all(~alive[:allies])
            done = dones["__all__"]
            final = obs["world_state"]
            obs_re, st_re = env.reset(k_reset)
            pick = lambda new, old: jnp.where(done, new, old)  # noqa: E731
            st = jax.tree.map(pick, st_re, st)
            obs = jax.tree.map(pick, obs_re, obs)
            reward = jnp.mean(jnp.stack([rew[a] for a in agents]))
            return obs, st, reward, done, terminal & done, won & done, final

        batched = (jax.vmap(one_step), jax.vmap(env.reset), jax.vmap(env.get_avail_actions))
        return tuple(jax.jit(f) for f in batched)  # type: ignore[return-value]

    def _split(self) -> Any:
        self._key, sub = self._jax.random.split(self._key)
        return self._jax.random.split(sub, self.num_envs)

    def _take(self, obs: Any) -> None:
        self._obs = np.stack([np.asarray(obs[a], dtype=np.float32) for a in self.agents], axis=1)
        self._world = np.asarray(obs["world_state"], dtype=np.float32)
        avail = self._avail_fn(self._state)
        self._avail = np.stack([np.asarray(avail[a], dtype=bool) for a in self.agents], axis=1)

    def current(self) -> TimeStep:
        return TimeStep(self._obs, self._world, self._zeros_b.copy(), self._false_b.copy(),
                        self._false_b.copy(), self._nan_b.copy(), self._avail.copy())

    def reset(self, seed: int | None = None) -> TimeStep:
        if seed is not None:
            self._key = self._jax.random.PRNGKey(int(seed))
        obs, self._state = self._reset_all(self._split())
        self._take(obs)
        self._t[:] = 0
        self._ret[:] = 0.0
        return self.current()

    def step(self, actions: np.ndarray) -> TimeStep:
        a = self.check_actions(actions)
        bad = ~np.take_along_axis(self._avail, a[..., None], axis=-1)[..., 0]
        if bad.any():
            b, i = (int(v) for v in np.argwhere(bad)[0])
            raise GameError(f"copy {b}, agent {self.agents[i]!r}: action {int(a[b, i])} is masked")
        obs, self._state, reward, done, terminal, won, final = self._step(
            self._split(), self._state, self._jnp.asarray(a, dtype=self._jnp.int32))
        reward = np.asarray(reward, dtype=np.float64)
        done = np.asarray(done, dtype=bool)
        truncated = done & ~np.asarray(terminal, dtype=bool)
        self._t += 1
        self._ret += reward
        ep_ret = np.where(done, self._ret, np.nan)
        self._t[done] = 0
        self._ret[done] = 0.0
        self.last_won = np.asarray(won, dtype=bool)
        self.wins += self.last_won
        self._take(obs)
        return TimeStep(self._obs, self._world, reward, done, truncated, ep_ret, self._avail.copy(),
                        np.asarray(final, dtype=np.float32))

    def get_state(self) -> dict[str, Any]:
        """The JAX state pytree and PRNG key as numpy arrays, and the counters (exact resume)."""
        leaves, _ = self._jax.tree.flatten(self._state)
        return {"class": type(self).__name__, "leaves": [np.asarray(x) for x in leaves],
                "key": np.asarray(self._key),
                "arrays": {"_t": self._t.copy(), "_ret": self._ret.copy(), "wins": self.wins.copy(),
                           "_obs": self._obs.copy(), "_world": self._world.copy(),
                           "_avail": self._avail.copy()}}

    def set_state(self, state: dict[str, Any]) -> None:
        if state.get("class") != type(self).__name__:
            raise GameError(f"snapshot of {state.get('class')!r} cannot restore a {type(self).__name__}")
        leaves, tree = self._jax.tree.flatten(self._state)
        if len(leaves) != len(state["leaves"]) or any(
                np.shape(x) != np.shape(y) for x, y in zip(leaves, state["leaves"], strict=True)):
            raise GameError("the snapshot's SMAX state has another map or number of copies")
        self._state = self._jax.tree.unflatten(tree, [self._jnp.asarray(x) for x in state["leaves"]])
        self._key = self._jnp.asarray(state["key"])
        for name in ("_t", "_ret", "wins"):
            getattr(self, name)[...] = state["arrays"][name]
        arrays = state["arrays"]
        self._obs, self._world, self._avail = (np.array(arrays[k]) for k in ("_obs", "_world", "_avail"))
