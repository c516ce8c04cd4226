"""Policy representations for Dec-POMDPs, all as plain arrays with documented shapes.

Histories are indexed in C order with the earliest element most significant:

* an *observation history* of agent i at step t, (o_1, ..., o_t), has index
  ``np.ravel_multi_index((o_1, ..., o_t), (|O_i|,) * t)`` (index 0 for the empty history, t = 0);
* an *action-observation history* (a_0, o_1, a_1, o_2, ..., a_{t-1}, o_t) has index
  ``np.ravel_multi_index((a_0 |O_i| + o_1, ..., a_{t-1} |O_i| + o_t), (|A_i||O_i|,) * t)``, so
  extending history h by (a, o) gives ``h * |A_i||O_i| + a * |O_i| + o``.

Kinds:

* :class:`DeterministicPolicy` — π^i_t: observation history -> action (what exact planners return);
* :class:`StochasticPolicy` — π^i_t(a | action-observation history), the general decentralized
  product policy;
* :class:`ReactivePolicy` — memoryless π^i(a | o) for the discounted infinite-horizon case (the
  first step uses a designated initial distribution π^i_0(a));
* :class:`CorrelatedPolicy` — a distribution over a shared random seed ω drawn once per episode
  and one product policy per ω: how a correlated equilibrium is executed without communication;
* joint fully observable policies are arrays ``pi[t, s, ja]`` (or ``pi[s, ja]`` if stationary).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from games.errors import GameError

__all__ = [
    "CorrelatedPolicy",
    "DeterministicPolicy",
    "ReactivePolicy",
    "StochasticPolicy",
]

ATOL = 1e-9


def _check_dist(p: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(p)) or (p.size and p.min() < -ATOL):
        raise GameError(f"{what} has negative or non-finite entries")
    sums = p.sum(axis=-1)
    off = np.abs(sums - 1) > ATOL
    if off.any():
        k = tuple(int(v) for v in np.argwhere(off)[0])
        raise GameError(f"{what} row {k} sums to {sums[k]!r}, not 1 (tolerance {ATOL:g})")


@dataclass(frozen=True, eq=False)
class DeterministicPolicy:
    """``actions[i][t]``: int array of shape ``(|O_i|^t,)``, agent i's action per observation history."""

    actions: tuple[tuple[np.ndarray, ...], ...]

    def __post_init__(self) -> None:
        acts = tuple(tuple(np.asarray(a, dtype=np.int64) for a in agent) for agent in self.actions)
        object.__setattr__(self, "actions", acts)

    @property
    def horizon(self) -> int:
        return len(self.actions[0])

    def prefix(self, horizon: int) -> DeterministicPolicy:
        """The first ``horizon`` steps: an explicit cut (evaluators never cut a policy themselves)."""
        if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= self.horizon:
            raise GameError(f"prefix length must be an integer in 1..{self.horizon}, got {horizon!r}")
        return DeterministicPolicy(tuple(agent[:horizon] for agent in self.actions))

    def validate(self, num_actions: Sequence[int], num_observations: Sequence[int]) -> None:
        """Typed error unless the shapes and action ranges fit the model."""
        if len(self.actions) != len(num_actions):
            raise GameError(f"policy has {len(self.actions)} agents, model {len(num_actions)}")
        for i, agent in enumerate(self.actions):
            if len(agent) != self.horizon:
                raise GameError(f"agent {i} has {len(agent)} steps, agent 0 has {self.horizon}")
            for t, arr in enumerate(agent):
                want = (num_observations[i] ** t,)
                if arr.shape != want:
                    raise GameError(f"agent {i} step {t}: shape {arr.shape}, expected {want}")
                if arr.size and (arr.min() < 0 or arr.max() >= num_actions[i]):
                    raise GameError(f"agent {i} step {t}: action out of range 0..{num_actions[i] - 1}")

    def to_stochastic(self, num_actions: Sequence[int],
                      num_observations: Sequence[int]) -> StochasticPolicy:
        """The same policy over action-observation histories (off-path histories follow o only)."""
        self.validate(num_actions, num_observations)
        probs = []
        for i, agent in enumerate(self.actions):
            m, q = num_actions[i], num_observations[i]
            steps = []
            for t, arr in enumerate(agent):
                # decode each AOH index into its observation history (drop the actions)
                aoh = np.arange((m * q) ** t)
                oh = np.zeros_like(aoh)
                rest = aoh.copy()
                for k in range(t):
                    digit = (rest // (m * q) ** (t - 1 - k)) % (m * q)
                    oh = oh * q + digit % q
                p = np.zeros((aoh.size, m))
                p[np.arange(aoh.size), arr[oh]] = 1.0
                steps.append(p)
            probs.append(tuple(steps))
        return StochasticPolicy(tuple(probs))


@dataclass(frozen=True, eq=False)
class StochasticPolicy:
    """``probs[i][t]``: shape ``((|A_i||O_i|)^t, |A_i|)``, π^i_t(a | action-observation history)."""

    probs: tuple[tuple[np.ndarray, ...], ...]

    def __post_init__(self) -> None:
        probs = tuple(tuple(np.asarray(p, dtype=np.float64) for p in agent) for agent in self.probs)
        object.__setattr__(self, "probs", probs)

    @property
    def horizon(self) -> int:
        return len(self.probs[0])

    def prefix(self, horizon: int) -> StochasticPolicy:
        """The first ``horizon`` steps: an explicit cut (evaluators never cut a policy themselves)."""
        if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= self.horizon:
            raise GameError(f"prefix length must be an integer in 1..{self.horizon}, got {horizon!r}")
        return StochasticPolicy(tuple(agent[:horizon] for agent in self.probs))

    def validate(self, num_actions: Sequence[int], num_observations: Sequence[int]) -> None:
        if len(self.probs) != len(num_actions):
            raise GameError(f"policy has {len(self.probs)} agents, model {len(num_actions)}")
        for i, agent in enumerate(self.probs):
            if len(agent) != self.horizon:
                raise GameError(f"agent {i} has {len(agent)} steps, agent 0 has {self.horizon}")
            m, q = num_actions[i], num_observations[i]
            for t, p in enumerate(agent):
                if p.shape != ((m * q) ** t, m):
                    raise GameError(f"agent {i} step {t}: shape {p.shape}, "
                                    f"expected {((m * q) ** t, m)}")
                _check_dist(p, f"agent {i} step {t}")

    @classmethod
    def uniform(cls, num_actions: Sequence[int], num_observations: Sequence[int],
                horizon: int) -> StochasticPolicy:
        return cls(tuple(
            tuple(np.full(((m * q) ** t, m), 1.0 / m) for t in range(horizon))
            for m, q in zip(num_actions, num_observations, strict=True)))

    @classmethod
    def random(cls, num_actions: Sequence[int], num_observations: Sequence[int], horizon: int,
               seed: int) -> StochasticPolicy:
        """Each history's action distribution drawn from a flat Dirichlet (seeded)."""
        rng = np.random.default_rng(seed)
        return cls(tuple(
            tuple(rng.dirichlet(np.ones(m), size=(m * q) ** t) for t in range(horizon))
            for m, q in zip(num_actions, num_observations, strict=True)))


@dataclass(frozen=True, eq=False)
class ReactivePolicy:
    """Memoryless policies: ``initial[i]`` (|A_i|,) at t = 0 and ``probs[i]`` (|O_i|, |A_i|) after."""

    initial: tuple[np.ndarray, ...]
    probs: tuple[np.ndarray, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "initial", tuple(np.asarray(p, float) for p in self.initial))
        object.__setattr__(self, "probs", tuple(np.asarray(p, float) for p in self.probs))
        if len(self.initial) != len(self.probs):
            raise GameError(f"{len(self.initial)} initial distributions for {len(self.probs)} agents")
        for i, (p0, p) in enumerate(zip(self.initial, self.probs, strict=True)):
            _check_dist(p0[None, :], f"agent {i} initial action distribution")
            _check_dist(p, f"agent {i} reactive policy")


    def validate(self, num_actions: Sequence[int], num_observations: Sequence[int]) -> None:
        """Typed error unless there is one (|A_i|,) and one (|O_i|, |A_i|) array per agent."""
        if len(self.probs) != len(num_actions):
            raise GameError(f"reactive policy has {len(self.probs)} agents, model {len(num_actions)}")
        for i, (p0, p) in enumerate(zip(self.initial, self.probs, strict=True)):
            m, q = num_actions[i], num_observations[i]
            if p0.shape != (m,) or p.shape != (q, m):
                raise GameError(f"agent {i}: reactive policy shapes {p0.shape}, {p.shape}; "
                                f"expected ({m},) and ({q}, {m})")


@dataclass(frozen=True, eq=False)
class CorrelatedPolicy:
    """A shared seed ω ~ ``weights`` drawn once per episode; then agents follow ``policies[ω]``."""

    weights: np.ndarray
    policies: tuple[StochasticPolicy | DeterministicPolicy, ...]

    def __post_init__(self) -> None:
        w = np.asarray(self.weights, dtype=np.float64)
        if w.shape != (len(self.policies),):
            raise GameError(f"{w.shape[0] if w.ndim else 0} weights for {len(self.policies)} policies")
        _check_dist(w[None, :], "seed distribution")
        object.__setattr__(self, "weights", w)
