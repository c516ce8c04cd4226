"""Tabular decentralized POMDPs (Bernstein, Givan, Immerman & Zilberstein, Math. OR 2002).

A Dec-POMDP has N agents, states S, per-agent actions A_i and observations O_i, and

* T[s, ja, s'] = P(s' | s, ja)            transition, shape (|S|, |JA|, |S|);
* O[ja, s', jo] = P(jo | ja, s')          observation of the *end* state, shape (|JA|, |S|, |JO|);
* R[s, ja]                                shared reward, shape (|S|, |JA|);
* b0[s]                                   initial state distribution;
* a discount γ and an optional horizon for finite-horizon use; :meth:`DecPOMDP.resolve_horizon`
  and :meth:`DecPOMDP.resolve_discount` are the one rule every consumer applies (explicit argument,
  else the model's value, else a typed error).

Joint indices follow the MADP convention: row-major with the last agent varying fastest, so
``ja = np.ravel_multi_index((a_1, ..., a_N), num_actions)`` (the same C order as the payoff
tensors of :class:`~games.normal_form.game.NormalFormGame`). Validation names the offending row and
its sum; rows must sum to 1 within :data:`PROB_ATOL` — nothing is renormalised silently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from games.errors import ConfigError, GameError
from games.normal_form.game import NormalFormGame, check_names

__all__ = ["PROB_ATOL", "DecPOMDP"]

PROB_ATOL = 1e-9
"""Probability rows (T, O, b0) must sum to 1 within this absolute tolerance."""


def _array(x: object, name: str, ndim: int) -> np.ndarray:
    """A float64 copy of ``x`` — or ``x`` itself when it is a read-only float64 array owning its
    data, which cannot change under us (the parser hands over its arrays that way, saving a copy of
    fireFighting_2_4_3's 525 MB transition tensor)."""
    if (isinstance(x, np.ndarray) and x.dtype == np.float64 and not x.flags.writeable
            and x.flags.owndata):
        arr = x
    else:
        try:
            arr = np.array(x, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise GameError(f"{name} is not a numeric array: {exc}") from None
    if arr.ndim != ndim:
        raise GameError(f"{name} must have {ndim} axes, got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = tuple(int(v) for v in np.argwhere(bad)[0])
        raise GameError(f"{name}{list(idx)} is {arr[idx]} (must be finite)")
    return arr


def _check_rows(p: np.ndarray, name: str, labels: Sequence[str]) -> None:
    """Every row over the last axis is a probability vector; the error names (labels) and sum."""
    if p.size and p.min() < 0:
        idx = tuple(int(v) for v in np.argwhere(p < 0)[0])
        where = ", ".join(f"{lab}={v}" for lab, v in zip(labels, idx, strict=False))
        raise GameError(f"{name} has a negative entry {p[idx]!r} at ({where})")
    sums = p.sum(axis=-1)
    off = np.abs(sums - 1.0) > PROB_ATOL
    if off.any():
        idx = tuple(int(v) for v in np.argwhere(off)[0])
        where = ", ".join(f"{lab}={v}" for lab, v in zip(labels, idx, strict=False))
        raise GameError(f"{name} row ({where}) sums to {sums[idx]!r}, not 1 "
                        f"(tolerance {PROB_ATOL:g}; rows are never renormalised)")


@dataclass(frozen=True, eq=False)
class DecPOMDP:
    """A finite Dec-POMDP with MADP joint-index conventions (see the module docstring).

    Attributes:
        transition: T, shape ``(S, JA, S)``.
        observation: O, shape ``(JA, S, JO)`` — rows indexed by (joint action, end state).
        reward: R, shape ``(S, JA)``.
        initial: b0, shape ``(S,)``.
        num_actions / num_observations: per-agent sizes; JA and JO are their products.
        discount: γ in (0, 1]; horizon: default planning horizon (``None``: unspecified).
        *_names: names of agents, states, per-agent actions and observations.
        reward_type: ``"reward"`` or ``"cost"`` (as in the file; values are never negated).
    """

    transition: np.ndarray
    observation: np.ndarray
    reward: np.ndarray
    initial: np.ndarray
    num_actions: tuple[int, ...]
    num_observations: tuple[int, ...]
    discount: float = 1.0
    horizon: int | None = None
    state_names: tuple[str, ...] = field(default=())
    action_names: tuple[tuple[str, ...], ...] = field(default=())
    observation_names: tuple[tuple[str, ...], ...] = field(default=())
    agent_names: tuple[str, ...] = field(default=())
    name: str = "dec-pomdp"
    reward_type: str = "reward"

    def __post_init__(self) -> None:
        acts = tuple(int(m) for m in self.num_actions)
        obs = tuple(int(m) for m in self.num_observations)
        if not acts or len(acts) != len(obs):
            raise GameError(f"need one action and one observation count per agent, got "
                            f"{acts} and {obs}")
        if min(acts) < 1 or min(obs) < 1:
            raise GameError(f"every agent needs >= 1 action and observation, got {acts}, {obs}")
        ja, jo = int(np.prod(acts)), int(np.prod(obs))
        t = _array(self.transition, "T", 3)
        o = _array(self.observation, "O", 3)
        r = _array(self.reward, "R", 2)
        b0 = _array(self.initial, "b0", 1)
        s = b0.shape[0]
        if s < 1:
            raise GameError("a Dec-POMDP needs at least one state")
        for arr, want, label in ((t, (s, ja, s), "T[s, ja, s']"), (o, (ja, s, jo), "O[ja, s', jo]"),
                                 (r, (s, ja), "R[s, ja]")):
            if arr.shape != want:
                raise GameError(f"{label} has shape {arr.shape}, expected {want} for {s} states, "
                                f"{ja} joint actions and {jo} joint observations")
        _check_rows(t, "T", ("s", "ja"))
        _check_rows(o, "O", ("ja", "s'"))
        _check_rows(b0[None, :], "b0", ())
        if not 0.0 < float(self.discount) <= 1.0:
            raise GameError(f"discount must be in (0, 1], got {self.discount}")
        if self.horizon is not None and int(self.horizon) < 1:
            raise GameError(f"horizon must be >= 1, got {self.horizon}")
        if self.reward_type not in ("reward", "cost"):
            raise GameError(f"reward_type must be 'reward' or 'cost', got {self.reward_type!r}")
        for arr in (t, o, r, b0):
            arr.setflags(write=False)
        n = len(acts)
        sets = object.__setattr__
        sets(self, "transition", t)
        sets(self, "observation", o)
        sets(self, "reward", r)
        sets(self, "initial", b0)
        sets(self, "num_actions", acts)
        sets(self, "num_observations", obs)
        sets(self, "discount", float(self.discount))
        sets(self, "agent_names", check_names(self.agent_names or
                                              tuple(f"agent{i}" for i in range(n)), "agent_names"))
        sets(self, "state_names", check_names(self.state_names or
                                              tuple(f"s{k}" for k in range(s)), "state_names"))
        sets(self, "action_names", self._names(self.action_names, acts, "a", "action_names"))
        sets(self, "observation_names",
             self._names(self.observation_names, obs, "o", "observation_names"))
        for what, names, size in (("agent_names", self.agent_names, n),
                                  ("state_names", self.state_names, s)):
            if len(names) != size:
                raise GameError(f"{what} has {len(names)} entries, expected {size}")

    @staticmethod
    def _names(given: Sequence[Sequence[str]], sizes: tuple[int, ...], prefix: str,
               what: str) -> tuple[tuple[str, ...], ...]:
        if not given:
            return tuple(tuple(f"{prefix}{k}" for k in range(m)) for m in sizes)
        if len(given) != len(sizes):
            raise GameError(f"{what} has {len(given)} agents, expected {len(sizes)}")
        out = tuple(check_names(g, f"{what}[{i}]") for i, g in enumerate(given))
        for i, (g, m) in enumerate(zip(out, sizes, strict=True)):
            if len(g) != m:
                raise GameError(f"{what}[{i}] has {len(g)} names, expected {m}")
        return out

    # ---------------------------------------------------------------- sizes and indices
    @property
    def num_agents(self) -> int:
        return len(self.num_actions)

    @property
    def num_states(self) -> int:
        return int(self.initial.shape[0])

    @property
    def num_joint_actions(self) -> int:
        return int(np.prod(self.num_actions))

    @property
    def num_joint_observations(self) -> int:
        return int(np.prod(self.num_observations))

    def resolve_horizon(self, horizon: int | None = None) -> int:
        """The horizon every planner, evaluator, gap, learner and environment uses.

        One rule: the explicit ``horizon`` when given, else the model's own, else a
        :class:`~games.errors.ConfigError` naming what is missing (MADP files carry no horizon).
        """
        if horizon is None:
            if self.horizon is None:
                raise ConfigError(f"{self.name} sets no horizon (MADP .dpomdp files never do): "
                                  f"pass one (horizon=H, or --horizon H on the command line)")
            return int(self.horizon)
        if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
            raise ConfigError(f"horizon must be an integer >= 1, got {horizon!r}")
        return int(horizon)

    def resolve_discount(self, discount: float | None = None, *, infinite: bool = False) -> float:
        """The discount γ to use: the explicit ``discount`` when given, else the model's own (a
        ``.dpomdp`` file's ``discount:`` line; 1 for the built-in finite-horizon models).

        γ must be a finite number in (0, 1], and below 1 when ``infinite`` (an infinite-horizon
        value); anything else is a :class:`~games.errors.ConfigError`.
        """
        if discount is None:
            gamma = self.discount
        elif isinstance(discount, bool) or not isinstance(discount, int | float | np.number):
            raise ConfigError(f"discount must be a number in (0, 1], got {discount!r}")
        else:
            gamma = float(discount)
        if not (math.isfinite(gamma) and 0.0 < gamma <= 1.0):
            raise ConfigError(f"discount must be a number in (0, 1], got {gamma!r}")
        if infinite and gamma >= 1.0:
            raise ConfigError(f"an infinite-horizon value needs discount < 1, got {gamma:g}")
        return gamma

    def joint_action(self, actions: Sequence[int]) -> int:
        """MADP joint index of individual actions (last agent fastest)."""
        return int(np.ravel_multi_index(tuple(actions), self.num_actions))

    def individual_actions(self, ja: int) -> tuple[int, ...]:
        return tuple(int(v) for v in np.unravel_index(ja, self.num_actions))

    def joint_observation(self, observations: Sequence[int]) -> int:
        return int(np.ravel_multi_index(tuple(observations), self.num_observations))

    def individual_observations(self, jo: int) -> tuple[int, ...]:
        return tuple(int(v) for v in np.unravel_index(jo, self.num_observations))

    # ---------------------------------------------------------------- conversions
    @classmethod
    def from_normal_form(cls, game: NormalFormGame) -> DecPOMDP:
        """A one-state, one-step Dec-POMDP with R = the common payoff (cooperative games only).

        Every agent has a single dummy observation; with horizon 1 its decentralized policies
        are exactly the game's mixed strategies and its value is the expected payoff.
        """
        reward = game.common_reward("a Dec-POMDP (one shared reward)")
        ja = game.num_joint_actions
        n = game.num_players
        return cls(
            transition=np.ones((1, ja, 1)), observation=np.ones((ja, 1, 1)),
            reward=reward.reshape(1, ja), initial=np.ones(1),
            num_actions=game.num_actions, num_observations=(1,) * n, horizon=1,
            state_names=("s",), action_names=game.action_names,
            observation_names=(("none",),) * n, agent_names=game.player_names, name=game.name,
        )

    def __repr__(self) -> str:
        return (f"DecPOMDP(name={self.name!r}, agents={self.num_agents}, states={self.num_states}, "
                f"actions={self.num_actions}, observations={self.num_observations}, "
                f"discount={self.discount}, horizon={self.horizon})")
