"""The batched environment interface shared by every simulator in :mod:`games.envs`.

A :class:`BatchedEnv` runs B independent copies of one cooperative multi-agent task, with discrete
actions (``num_actions``) or continuous ones (``action_dim`` > 0, boxes ``action_low`` ..
``action_high``); the built-in simulators are vectorised in numpy (no python loop over copies).
Every step returns a :class:`TimeStep` holding, for each copy, the N agents' observations, the
global state, the common team reward and the episode bookkeeping. The contract (used by the
AgentMixer / MAGPO learners, Li et al. AAAI 2025 and Li, Xie & Lu 2025, which train on the CTDE
data ``(o_1..o_N, s, r)``):

* ``reward[b]`` is the team reward of the transition just taken in copy b;
* ``done[b]`` is True when that transition ended the episode, by a terminal state or the time
  limit; ``truncated[b]`` is True when it ended *only* because of the time limit (a transition
  that is terminal and at the limit counts as terminal, ``truncated`` False);
* ``episode_return[b]`` is the undiscounted return of the episode that just ended (NaN where
  ``done`` is False);
* finished copies reset automatically inside :meth:`BatchedEnv.step`: the ``obs`` and ``state``
  returned for a done copy are the *first* observation and state of its next episode; where an
  environment can, it returns the ended episode's final state in ``final_state`` (rows of
  truncated copies), so a learner can bootstrap a time-limit cut;
* ``avail`` (discrete actions, ``has_action_masks``): ``(B, N, max A_i)`` bool, the actions each
  agent may take at the returned step (``None`` for environments without masks);
* continuous actions ``(B, N, action_dim)`` are clipped to ``[action_low, action_high]`` by
  :meth:`BatchedEnv.check_actions` (the learner's Gaussian is unbounded; the environment applies
  the clipped action).

The arrays of a TimeStep belong to the caller but may be read-only or shared between steps (the
matrix-game fast path returns constant views); an environment never writes to an array after
returning it. Copy before modifying in place.

Randomness comes from one ``np.random.default_rng(seed)`` per environment object;
:meth:`BatchedEnv.get_state` / :meth:`BatchedEnv.set_state` save and restore it together with every
internal array, so a restored environment continues bit for bit.

Two classes: :class:`BatchedEnv` is the interface every simulator offers (the learners see only
it); :class:`NumpyEnv` implements it for simulators written as numpy arrays over the copies (the
built-ins), from five hooks. Wrappers and external simulators (normalisation, PettingZoo, SMAX)
implement the interface directly.
"""

from __future__ import annotations

import abc
import copy
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from games.errors import GameError

__all__ = ["BatchedEnv", "NumpyEnv", "TimeStep"]


@dataclass(frozen=True)
class TimeStep:
    """What one reset or step returns for B copies and N agents (see the module docstring).

    Attributes:
        obs: ``(B, N, obs_dim)`` float32 per-agent observations.
        state: ``(B, state_dim)`` float32 global state.
        reward: ``(B,)`` float64 common team reward (zeros after a reset).
        done: ``(B,)`` bool, the episode ended at this step (terminal or time limit).
        truncated: ``(B,)`` bool, the episode ended by the time limit only.
        episode_return: ``(B,)`` float64 return of the episode that just ended; NaN where not done.
        avail: ``(B, N, max A_i)`` bool available actions, or ``None`` (no masks).
        final_state: ``(B, state_dim)`` float32, the last state of the episode that just ended,
            meaningful in truncated rows; ``None`` where the environment does not report it.
    """

    obs: np.ndarray
    state: np.ndarray
    reward: np.ndarray
    done: np.ndarray
    truncated: np.ndarray
    episode_return: np.ndarray
    avail: np.ndarray | None = None
    final_state: np.ndarray | None = None


class BatchedEnv(abc.ABC):
    """B copies of a cooperative N-agent task, stepped in lock-step: the interface (see the module
    docstring for the contract of :meth:`step`, :meth:`reset` and :meth:`current`).

    Attributes:
        num_envs: B, the number of copies.
        num_agents: N.
        num_actions: per agent, the number of discrete actions (``()`` for continuous actions).
        action_dim: continuous actions: the dimension d of every agent's action (0: discrete).
        action_low, action_high: continuous actions: ``(N, d)`` float64 bounds (a padded
            dimension of an agent with fewer than d has bounds [0, 0] and is ignored).
        has_action_masks: the TimeSteps carry ``avail`` masks.
        exact_resume: :meth:`set_state` continues bit for bit (else it documents what it restores).
        obs_dim: length of every agent's observation vector.
        state_dim: length of the global state vector.
        episode_limit: the maximum episode length in steps.
    """

    num_envs: int
    num_agents: int
    num_actions: tuple[int, ...]
    obs_dim: int
    state_dim: int
    episode_limit: int
    action_dim: int = 0
    action_low: np.ndarray
    action_high: np.ndarray
    has_action_masks: bool = False
    exact_resume: bool = True
    limit_is_terminal: bool = False
    """True when reaching ``episode_limit`` is part of the task (a finite horizon): such episode
    ends are reported as terminal, not truncated."""
    _nact: np.ndarray
    """``num_actions`` as an int64 array (set by the implementations, used by :meth:`check_actions`)."""

    @abc.abstractmethod
    def reset(self, seed: int | None = None) -> TimeStep:
        """Start a new episode in every copy (re-seeding the generator when ``seed`` is given).

        A new environment object is already reset; ``reset(seed=s)`` puts any environment in the
        state of a new one constructed with seed ``s``.
        """

    @abc.abstractmethod
    def step(self, actions: np.ndarray) -> TimeStep:
        """Advance every copy by one joint action ``actions[b] = (a_1, ..., a_N)``."""

    @abc.abstractmethod
    def current(self) -> TimeStep:
        """The observation and state of the current step, with zero reward and nothing done."""

    @abc.abstractmethod
    def get_state(self) -> dict[str, Any]:
        """A picklable snapshot from which :meth:`set_state` continues (bit for bit where
        ``exact_resume``)."""

    @abc.abstractmethod
    def set_state(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`get_state` snapshot (typed error on a mismatched one)."""

    @property
    def continuous(self) -> bool:
        """True when actions are real vectors (``action_dim`` > 0)."""
        return self.action_dim > 0

    def check_continuous_actions(self, actions: np.ndarray) -> np.ndarray:
        """``(B, N, d)`` finite actions clipped to the bounds, float64; GameError otherwise."""
        a = np.asarray(actions, dtype=np.float64)
        shape = (self.num_envs, self.num_agents, self.action_dim)
        if a.shape != shape:
            raise GameError(f"actions must have shape (num_envs, num_agents, action_dim) = {shape}, "
                            f"got {a.shape}")
        bad = ~np.isfinite(a)
        if bad.any():
            b, i, _ = (int(v) for v in np.argwhere(bad)[0])
            raise GameError(f"copy {b}, agent {i}: action {a[b, i].tolist()} is not finite")
        return np.clip(a, self.action_low, self.action_high)

    def check_actions(self, actions: np.ndarray) -> np.ndarray:
        """``actions`` as a validated ``(B, N)`` int64 array; GameError naming copy, agent, value.

        Continuous environments: :meth:`check_continuous_actions`.
        """
        if self.action_dim > 0:
            return self.check_continuous_actions(actions)
        a = np.asarray(actions)
        if a.shape != (self.num_envs, self.num_agents):
            raise GameError(f"actions must have shape (num_envs, num_agents) = "
                            f"{(self.num_envs, self.num_agents)}, got {a.shape}")
        if a.dtype.kind not in "iu":
            if a.dtype.kind != "f":
                raise GameError(f"actions must be integers, got dtype {a.dtype}")
            frac = ~np.isfinite(a) | (a != np.round(a))
            if frac.any():  # integral floats are accepted; anything else is named
                b, i = (int(v) for v in np.argwhere(frac)[0])
                raise GameError(f"copy {b}, agent {i}: action {float(a[b, i])!r} is not an integer")
        a = a.astype(np.int64, copy=False)
        bad = (a < 0) | (a >= self._nact)
        if bad.any():
            b, i = (int(v) for v in np.argwhere(bad)[0])
            raise GameError(f"copy {b}, agent {i}: action {int(a[b, i])} out of range "
                            f"0..{int(self._nact[i]) - 1}")
        return a

    def follow(self, source: BatchedEnv | dict[str, Any]) -> None:  # noqa: B027 - optional hook
        """Evaluate with ``source``'s (a training environment's, or its :meth:`get_state`
        snapshot's) input statistics, frozen. Only environments that learn statistics
        (:class:`~games.envs.normalize.NormalizedEnv`) have any: the default does nothing."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release external simulators and worker processes (nothing for the numpy environments)."""


class NumpyEnv(BatchedEnv):
    """A :class:`BatchedEnv` whose copies are numpy arrays, built from five hooks.

    Subclasses set the size attributes in ``__init__`` (then call :meth:`_setup`), list their
    per-copy internal arrays in ``_fields`` and implement :meth:`_allocate`, :meth:`_reset_copies`,
    :meth:`_transition`, :meth:`_observe` and :meth:`_global_state`. The base class validates
    actions, counts steps, accumulates returns, applies the time limit and auto-resets.
    """

    _fields: ClassVar[tuple[str, ...]] = ()

    def _setup(self, num_envs: int, seed: int | None) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, int | np.integer) or num_envs < 1:
            raise GameError(f"num_envs must be a positive integer, got {num_envs!r}")
        if self.episode_limit < 1:
            raise GameError(f"episode_limit must be >= 1, got {self.episode_limit}")
        self.num_envs = int(num_envs)
        self._rng = np.random.default_rng(seed)
        self._nact = np.asarray(self.num_actions, dtype=np.int64)
        self._t = np.zeros(self.num_envs, dtype=np.int64)
        self._ret = np.zeros(self.num_envs, dtype=np.float64)
        self._zeros_b = np.zeros(self.num_envs, dtype=np.float64)
        self._false_b = np.zeros(self.num_envs, dtype=bool)
        self._nan_b = np.full(self.num_envs, np.nan)
        for arr in (self._zeros_b, self._false_b, self._nan_b):
            arr.setflags(write=False)
        self._allocate()
        self._reset_copies(np.ones(self.num_envs, dtype=bool))

    # ------------------------------------------------------------------ subclass hooks
    @abc.abstractmethod
    def _allocate(self) -> None:
        """Create the per-copy arrays named in ``_fields`` (``num_envs`` and the rng are set)."""

    @abc.abstractmethod
    def _reset_copies(self, mask: np.ndarray) -> None:
        """Start a new episode (step counter already 0) in the copies where ``mask`` is True."""

    @abc.abstractmethod
    def _transition(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Apply validated ``(B, N)`` actions; return ``(reward (B,) float64, terminal (B,) bool)``."""

    @abc.abstractmethod
    def _observe(self) -> np.ndarray:
        """``(B, N, obs_dim)`` float32 observations of the current internal state."""

    @abc.abstractmethod
    def _global_state(self) -> np.ndarray:
        """``(B, state_dim)`` float32 global state."""

    # ------------------------------------------------------------------ the interface
    def reset(self, seed: int | None = None) -> TimeStep:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self._t[:] = 0
        self._ret[:] = 0.0
        self._reset_copies(np.ones(self.num_envs, dtype=bool))
        return TimeStep(self._observe(), self._global_state(), self._zeros_b.copy(),
                        self._false_b.copy(), self._false_b.copy(), self._nan_b.copy())

    def step(self, actions: np.ndarray) -> TimeStep:
        a = self.check_actions(actions)
        reward, terminal = self._transition(a)
        self._t += 1
        self._ret += reward
        limit = self._t >= self.episode_limit
        if self.limit_is_terminal:
            terminal = terminal | limit
        done = terminal | limit
        truncated = done & ~terminal
        if done.any():
            ep_ret = np.where(done, self._ret, np.nan)
            self._t[done] = 0
            self._ret[done] = 0.0
            self._reset_copies(done)
        else:
            ep_ret = self._nan_b.copy()
        return TimeStep(self._observe(), self._global_state(), reward, done, truncated, ep_ret)

    # ------------------------------------------------------------------ save / restore
    def get_state(self) -> dict[str, Any]:
        """A picklable snapshot: the generator state and copies of every internal array."""
        arrays = {"_t": self._t.copy(), "_ret": self._ret.copy()}
        for name in self._fields:
            arrays[name] = getattr(self, name).copy()
        return {"class": type(self).__name__, "rng": copy.deepcopy(self._rng.bit_generator.state),
                "arrays": arrays}

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`get_state` snapshot (typed error on a mismatched class or shape)."""
        if state.get("class") != type(self).__name__:
            raise GameError(f"snapshot of {state.get('class')!r} cannot restore a {type(self).__name__}")
        arrays = state["arrays"]
        names = ("_t", "_ret", *self._fields)
        for name in names:
            if name not in arrays:
                raise GameError(f"snapshot lacks the array {name!r}")
            cur = getattr(self, name)
            new = np.asarray(arrays[name])
            if new.shape != cur.shape:
                raise GameError(f"snapshot array {name!r} has shape {new.shape}, expected {cur.shape}")
        rng = np.random.default_rng()
        rng.bit_generator.state = copy.deepcopy(state["rng"])
        self._rng = rng
        for name in names:
            getattr(self, name)[...] = arrays[name]

    def current(self) -> TimeStep:
        return TimeStep(self._observe(), self._global_state(), self._zeros_b.copy(),
                        self._false_b.copy(), self._false_b.copy(), self._nan_b.copy())
