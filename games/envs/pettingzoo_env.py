"""Any PettingZoo ``ParallelEnv`` (Terry et al., NeurIPS 2021) behind the :class:`BatchedEnv` contract.

:class:`PettingZooEnv` holds B instances made by one factory and steps them together (a python loop
over copies, in this process), so every learner of :mod:`learners.neural` trains on them unchanged:

* agents: ``possible_agents`` in order; an agent that has left the episode (removed from
  ``env.agents``) observes zeros, its actions are not sent, and (discrete) only its action 0 is
  marked available, so it contributes nothing to log-probabilities or entropies;
* observations: each agent's observation flattened to float32 (a ``Dict`` space with an
  ``"observation"`` entry uses that entry), zero-padded to the longest; ``obs_dim`` is that length;
* global state: ``env.state()`` when the environment implements it, else the concatenated
  (padded) observations of all agents;
* action masks: the ``"action_mask"`` entry of a ``Dict`` observation, or ``info[agent]["action_mask"]``
  (checked at the first reset); returned as ``TimeStep.avail``;
* actions: all ``Discrete`` (``num_actions``) or all ``Box`` (``action_dim`` = the largest flat
  size; shorter agents' extra dimensions are padding with bounds [0, 0] and are not sent);
* team reward: the mean (``team_reward="mean"``, the shared reward when every agent gets the same)
  or the sum of the agents' rewards;
* episode end: every agent of the step terminated or truncated, no agent left, or the step count
  reached ``episode_limit``; it is *terminal* when some agent terminated and *truncated* otherwise;
  ``final_state`` carries the ended episode's last state; the copy then resets with a seed drawn
  from the environment's generator, so a run is reproducible from ``seed``.

Copies run in this process, or with ``workers=W`` split over W spawned worker processes that step
in parallel (:mod:`games.envs.copies`; the factory must then be picklable): the same numbers
either way, since every reset seed comes from this object's generator.

Resume: a generic ParallelEnv cannot save its simulator, so :meth:`PettingZooEnv.get_state` holds
the generator, counters and returns, and :meth:`PettingZooEnv.set_state` restores those and then
**starts a new episode in every copy** (seeds drawn from the restored generator; episodes in
progress at the checkpoint are dropped): ``exact_resume`` is False. Environments built with a
``saver`` and ``loader`` of one instance's simulator state (:mod:`games.envs.mamujoco`) are exact.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from games.envs.base import BatchedEnv, TimeStep
from games.envs.copies import Loader, Saver, make_copies
from games.errors import ConfigError, GameError

__all__ = ["PettingZooEnv", "load_factory"]

EPISODE_LIMIT_ATTRIBUTES = ("max_cycles", "max_steps", "max_episode_steps", "_max_episode_steps")
"""Attributes of a ParallelEnv (or its ``unwrapped``) read as the episode limit when none is given."""


def load_factory(path: str) -> Callable[..., Any]:
    """The callable named ``package.module:attribute`` (ConfigError if it cannot be imported)."""
    import importlib

    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"a PettingZoo factory is named package.module:factory, got {path!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import {module_name!r} for the factory {path!r}: {exc}") from None
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ConfigError(f"{module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ConfigError(f"{path!r} is not callable")
    return obj


def _obs_part(space: Any) -> tuple[Any, bool]:
    """(the observation space proper, whether an ``action_mask`` entry comes with it)."""
    from gymnasium import spaces

    if isinstance(space, spaces.Dict) and "observation" in space.spaces:
        return space["observation"], "action_mask" in space.spaces
    return space, False


def _flat(space: Any, x: Any) -> np.ndarray:
    from gymnasium import spaces

    if isinstance(space, spaces.Box):
        return np.asarray(x, dtype=np.float32).reshape(-1)
    return np.asarray(spaces.flatten(space, x), dtype=np.float32)


class PettingZooEnv(BatchedEnv):
    """B instances of a PettingZoo ParallelEnv stepped together (see the module docstring).

    Args:
        factory: returns a new ``ParallelEnv``; called B times with ``kwargs``.
        num_envs: B.
        seed: seeds the generator that seeds every episode.
        episode_limit: step limit (default: the env's ``max_cycles`` / ``max_episode_steps``).
        team_reward: ``"mean"`` or ``"sum"`` of the agents' rewards.
        kwargs: passed to ``factory``.
        workers: 0: the copies run in this process; W > 0: in W worker processes.
        saver, loader: save / restore one instance's simulator state (picklable functions); with
            them the environment resumes exactly (``exact_resume``).
    """

    exact_resume = False

    def __init__(self, factory: Callable[..., Any], num_envs: int, seed: int | None = None, *,
                 episode_limit: int | None = None, team_reward: str = "mean",
                 kwargs: dict[str, Any] | None = None, workers: int = 0,
                 saver: Saver | None = None, loader: Loader | None = None) -> None:
        if team_reward not in ("mean", "sum"):
            raise ConfigError(f"team_reward must be 'mean' or 'sum', got {team_reward!r}")
        if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
            raise GameError(f"num_envs must be a positive integer, got {num_envs!r}")
        self._sum = team_reward == "sum"
        make = functools.partial(factory, **(kwargs or {}))
        try:
            env0 = make()
        except TypeError as exc:
            raise ConfigError(f"the PettingZoo factory rejected its arguments {kwargs}: {exc}") from None
        if not hasattr(env0, "possible_agents") or not hasattr(env0, "step"):
            raise GameError(f"the factory returned {type(env0).__name__}, not a PettingZoo ParallelEnv")
        self.agents = list(env0.possible_agents)
        self.num_agents = len(self.agents)
        self._inspect_spaces(env0)
        self.episode_limit = int(episode_limit) if episode_limit is not None else self._default_limit(env0)
        env0.close()
        if self.episode_limit < 1:
            raise ConfigError(f"episode_limit must be >= 1, got {self.episode_limit}")
        self.exact_resume = saver is not None
        self.copies = make_copies(make, num_envs, self._has_state, workers, saver, loader)
        self.num_envs = num_envs
        self._rng = np.random.default_rng(seed)
        self._nact = np.asarray(self.num_actions, dtype=np.int64)
        self._t = np.zeros(num_envs, dtype=np.int64)
        self._ret = np.zeros(num_envs)
        self._allocate()
        self._reset_copies(np.ones(num_envs, dtype=bool))

    # ------------------------------------------------------------------ spaces
    def _inspect_spaces(self, env: Any) -> None:
        from gymnasium import spaces

        self._obs_spaces, masks = [], []
        for a in self.agents:
            part, has_mask = _obs_part(env.observation_space(a))
            self._obs_spaces.append(part)
            masks.append(has_mask)
        self._mask_in_obs = all(masks)
        self._obs_sizes = [int(spaces.flatdim(s)) for s in self._obs_spaces]
        self.obs_dim = max(self._obs_sizes)
        self._act_spaces = [env.action_space(a) for a in self.agents]
        if all(isinstance(s, spaces.Discrete) for s in self._act_spaces):
            self.num_actions = tuple(int(s.n) for s in self._act_spaces)
            self._starts = [int(s.start) for s in self._act_spaces]
            self.action_dim = 0
        elif all(isinstance(s, spaces.Box) for s in self._act_spaces):
            self.num_actions = ()
            self._act_sizes = [int(np.prod(s.shape)) for s in self._act_spaces]
            self.action_dim = max(self._act_sizes)
            self.action_low = np.zeros((self.num_agents, self.action_dim))
            self.action_high = np.zeros((self.num_agents, self.action_dim))
            for i, s in enumerate(self._act_spaces):
                self.action_low[i, :self._act_sizes[i]] = np.asarray(s.low, dtype=np.float64).reshape(-1)
                self.action_high[i, :self._act_sizes[i]] = np.asarray(s.high, dtype=np.float64).reshape(-1)
            if not (np.isfinite(self.action_low).all() and np.isfinite(self.action_high).all()):
                raise GameError("continuous action spaces need finite bounds")
        else:
            kinds = sorted({type(s).__name__ for s in self._act_spaces})
            raise GameError(f"action spaces must be all Discrete or all Box, got {kinds}")
        self._has_state = _implements_state(env)
        self.state_dim = int(np.asarray(env.state()).size) if self._has_state \
            else self.num_agents * self.obs_dim

    def _default_limit(self, env: Any) -> int:
        for holder in (env, getattr(env, "unwrapped", env), getattr(env, "aec_env", env)):
            for name in EPISODE_LIMIT_ATTRIBUTES:
                value = getattr(holder, name, None)
                if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                    return value
        raise ConfigError("this ParallelEnv states no episode limit (max_cycles / max_episode_steps); "
                          "give episode_limit=")

    # ------------------------------------------------------------------ the copies' arrays
    def _allocate(self) -> None:
        b, n = self.num_envs, self.num_agents
        self._obs = np.zeros((b, n, self.obs_dim), dtype=np.float32)
        self._state = np.zeros((b, self.state_dim), dtype=np.float32)
        self._live = np.zeros((b, n), dtype=bool)
        self.has_action_masks = bool(self.num_actions) and self._mask_in_obs
        self._mask_in_info = False
        if self.num_actions:
            self._avail = np.ones((b, n, max(self.num_actions)), dtype=bool)
            self._avail[:, :, :] = np.arange(max(self.num_actions)) < np.asarray(self.num_actions)[:, None]

    def _reset_copies(self, mask: np.ndarray) -> None:
        items = [(int(b), int(self._rng.integers(2**31 - 1))) for b in np.flatnonzero(mask)]
        for (b, _), (obs, _, _, _, infos, agents, state) in zip(items, self.copies.reset(items), strict=True):
            if not self.has_action_masks and self.num_actions and any(
                    isinstance(i, dict) and "action_mask" in i for i in infos.values()):
                self.has_action_masks = self._mask_in_info = True
            self._record(b, obs, infos, agents, state)

    def _record(self, b: int, obs: dict[str, Any], infos: dict[str, Any], agents: list[str],
                state: np.ndarray | None) -> None:
        """Store copy b's observations (and masks, state) after a reset or a step."""
        live = set(agents)
        row = self._obs[b]
        row[:] = 0.0
        if self.num_actions:
            self._avail[b] = np.arange(self._avail.shape[-1]) < np.asarray(self.num_actions)[:, None]
        for i, a in enumerate(self.agents):
            self._live[b, i] = a in live
            if a not in live and self.num_actions:
                self._avail[b, i] = False
                self._avail[b, i, 0] = True
            if a not in obs:
                continue
            o = obs[a]
            raw = o["observation"] if self._mask_in_obs else o
            row[i, :self._obs_sizes[i]] = _flat(self._obs_spaces[i], raw)
            if self.has_action_masks and a in live:
                m = o["action_mask"] if self._mask_in_obs else infos.get(a, {}).get("action_mask")
                if m is not None:
                    m = np.asarray(m, dtype=bool).reshape(-1)
                    self._avail[b, i, :m.size] &= m
                    if not self._avail[b, i].any():
                        raise GameError(f"copy {b}, agent {a!r}: the action mask allows no action")
        self._state[b] = state if state is not None else row.reshape(-1)

    def _avail_now(self) -> np.ndarray | None:
        return self._avail.copy() if self.has_action_masks else None

    # ------------------------------------------------------------------ the interface
    def reset(self, seed: int | None = None) -> TimeStep:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self._t[:] = 0
        self._ret[:] = 0.0
        self._reset_copies(np.ones(self.num_envs, dtype=bool))
        return self.current()

    def current(self) -> TimeStep:
        b = self.num_envs
        return TimeStep(self._obs.copy(), self._state.copy(), np.zeros(b), np.zeros(b, dtype=bool),
                        np.zeros(b, dtype=bool), np.full(b, np.nan), self._avail_now())

    def _joint(self, b: int, a: np.ndarray) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for i, agent in enumerate(self.agents):
            if not self._live[b, i]:
                continue
            if self.action_dim:
                space = self._act_spaces[i]
                out[agent] = a[b, i, :self._act_sizes[i]].reshape(space.shape).astype(space.dtype)
            else:
                out[agent] = int(a[b, i]) + self._starts[i]
        return out

    def step(self, actions: np.ndarray) -> TimeStep:
        a = self.check_actions(actions)
        if self.has_action_masks:
            bad = np.zeros(a.shape, dtype=bool) if self.action_dim else \
                ~np.take_along_axis(self._avail, a[..., None], axis=-1)[..., 0] & self._live
            if bad.any():
                b, i = (int(v) for v in np.argwhere(bad)[0])
                raise GameError(f"copy {b}, agent {self.agents[i]!r}: action {int(a[b, i])} is masked")
        bsz = self.num_envs
        reward = np.zeros(bsz)
        done = np.zeros(bsz, dtype=bool)
        terminal = np.zeros(bsz, dtype=bool)
        final = np.zeros((bsz, self.state_dim), dtype=np.float32)
        joints = [self._joint(b, a) for b in range(bsz)]
        for b, (joint, (obs, rew, term, trunc, infos, agents, state)) in enumerate(
                zip(joints, self.copies.step(joints), strict=True)):
            values = [float(v) for v in rew.values()]
            reward[b] = (sum(values) if self._sum else sum(values) / len(values)) if values else 0.0
            ended = [ag for ag in joint if term.get(ag, False) or trunc.get(ag, False)]
            terminal[b] = any(term.get(ag, False) for ag in joint)
            done[b] = not agents or len(ended) == len(joint)
            self._record(b, obs, infos, agents, state)
        self._t += 1
        self._ret += reward
        done |= self._t >= self.episode_limit
        terminal &= done
        truncated = done & ~terminal
        ep_ret = np.where(done, self._ret, np.nan)
        if done.any():
            final[done] = self._state[done]
            self._t[done] = 0
            self._ret[done] = 0.0
            self._reset_copies(done)
        return TimeStep(self._obs.copy(), self._state.copy(), reward, done, truncated, ep_ret,
                        self._avail_now(), final)

    # ------------------------------------------------------------------ save / restore
    def _save_copy(self, b: int) -> Any:
        """Copy b's simulator state (by the ``saver``)."""
        return self.copies.save(b)

    def _load_copy(self, b: int, saved: Any) -> None:
        self.copies.load(b, saved)

    def get_state(self) -> dict[str, Any]:
        """The generator, step counters and running returns; plus each copy's simulator state and
        observations where :meth:`_save_copy` can save them (``exact_resume``)."""
        out: dict[str, Any] = {"class": type(self).__name__,
                               "rng": copy.deepcopy(self._rng.bit_generator.state),
                               "arrays": {"_t": self._t.copy(), "_ret": self._ret.copy()}}
        if self.exact_resume:
            out["copies"] = [self._save_copy(b) for b in range(self.num_envs)]
            out["arrays"].update(_obs=self._obs.copy(), _state=self._state.copy(), _live=self._live.copy())
            if self.num_actions:
                out["arrays"]["_avail"] = self._avail.copy()
        return out

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`get_state`. Not ``exact_resume``: restore the generator, then start a new
        episode in every copy (counters and running returns zero) — see the module docstring."""
        if state.get("class") != type(self).__name__:
            raise GameError(f"snapshot of {state.get('class')!r} cannot restore a {type(self).__name__}")
        rng = np.random.default_rng()
        rng.bit_generator.state = copy.deepcopy(state["rng"])
        self._rng = rng
        arrays = state["arrays"]
        if len(arrays["_t"]) != self.num_envs:
            raise GameError(f"snapshot has {len(arrays['_t'])} copies, this environment {self.num_envs}")
        if not self.exact_resume:
            self._t[:] = 0
            self._ret[:] = 0.0
            self._reset_copies(np.ones(self.num_envs, dtype=bool))
            return
        for b, saved in enumerate(state["copies"]):
            self._load_copy(b, saved)
        for name, value in arrays.items():
            getattr(self, name)[...] = value

    def close(self) -> None:
        self.copies.close()


def _implements_state(env: Any) -> bool:
    try:
        env.state()
    except NotImplementedError:
        return False
    except Exception:
        try:  # some environments need a reset before state() works
            env.reset(seed=0)
            env.state()
        except Exception:
            return False
    return True
