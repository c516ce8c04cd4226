"""Clustered deterministic policies: what GMAA*-ICE returns, and their exact evaluation.

Lossless clustering (Oliehoek, Whiteson & Spaan, "Lossless clustering of histories in decentralized
POMDPs", AAMAS 2009) merges observation histories of an agent that are probabilistically
equivalent. The optimal policy then acts on *types* rather than histories: agent i has n_i(t) types
at stage t, one action per type, and a successor map that sends (type, observation) to the type at
t + 1 — a time-indexed finite-state controller. Its size grows with the number of clusters, not with
|O_i|^t, so BroadcastChannel at h = 900 has one type per agent and stage where the history tree has
2^899 leaves.

* :class:`ClusteredPolicy` — the representation, its validation and conversion to and from
  :class:`~games.dec_pomdp.policies.DeterministicPolicy` (histories);
* :func:`evaluate_clustered` — its exact value by forward propagation of the occupancy over
  (joint type, state), E[Σ_{t<H} γ^t R(s_t, a_t)], at a cost of Π_i n_i(t) · |S| · |JO| per stage;
* :func:`clustered_to_dict` / :func:`clustered_from_dict` — the JSON form (``"kind": "clustered"``)
  that ``agentmixer dpomdp solve --save`` writes and ``agentmixer dpomdp evaluate`` reads back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import DeterministicPolicy
from games.errors import GameError, ParseError

__all__ = ["MAX_HISTORIES", "ClusteredPolicy", "clustered_from_dict", "clustered_to_dict",
           "evaluate_clustered"]

MAX_HISTORIES = 1_000_000
"""Largest number of observation histories (per agent, all stages) :meth:`ClusteredPolicy.to_deterministic`
expands to."""


@dataclass(frozen=True, eq=False)
class ClusteredPolicy:
    """Per agent i and stage t: ``actions[i][t]`` (n_i(t),) — the action of each type — and, for
    t < H - 1, ``successors[i][t]`` (n_i(t), |O_i|) — the type at t + 1 after each observation.

    Stage 0 has a single type (the empty history). Types reached with probability zero still have
    an action and successors, so the policy is defined on every observation history.
    """

    actions: tuple[tuple[np.ndarray, ...], ...]
    successors: tuple[tuple[np.ndarray, ...], ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "actions", tuple(tuple(np.asarray(a, dtype=np.int64) for a in agent)
                                                  for agent in self.actions))
        object.__setattr__(self, "successors", tuple(tuple(np.asarray(s, dtype=np.int64) for s in agent)
                                                     for agent in self.successors))

    @property
    def horizon(self) -> int:
        return len(self.actions[0])

    def num_types(self) -> list[tuple[int, ...]]:
        """Types per agent at each stage: ``[(n_1(t), ..., n_N(t)) for t in 0..H-1]``."""
        return [tuple(int(agent[t].size) for agent in self.actions) for t in range(self.horizon)]

    def validate(self, num_actions: Sequence[int], num_observations: Sequence[int]) -> None:
        """Typed error unless the shapes, actions and successor indices fit the model."""
        if len(self.actions) != len(num_actions) or len(self.successors) != len(num_actions):
            raise GameError(f"clustered policy has {len(self.actions)} agents, model {len(num_actions)}")
        h = self.horizon
        for i, (acts, succ) in enumerate(zip(self.actions, self.successors, strict=True)):
            if len(acts) != h or len(succ) != h - 1:
                raise GameError(f"agent {i}: {len(acts)} action stages and {len(succ)} successor stages; "
                                f"expected {h} and {h - 1}")
            if acts[0].shape != (1,):
                raise GameError(f"agent {i}: stage 0 must have exactly one type, got {acts[0].shape}")
            for t, a in enumerate(acts):
                if a.ndim != 1 or a.size < 1:
                    raise GameError(f"agent {i} stage {t}: actions must be a non-empty vector, got {a.shape}")
                if a.min() < 0 or a.max() >= num_actions[i]:
                    raise GameError(f"agent {i} stage {t}: action out of range 0..{num_actions[i] - 1}")
                if t == h - 1:
                    continue
                s = succ[t]
                if s.shape != (a.size, num_observations[i]):
                    raise GameError(f"agent {i} stage {t}: successors shape {s.shape}, expected "
                                    f"{(a.size, num_observations[i])}")
                if s.min() < 0 or s.max() >= acts[t + 1].size:
                    raise GameError(f"agent {i} stage {t}: successor type out of range "
                                    f"0..{acts[t + 1].size - 1}")

    def to_deterministic(self, num_observations: Sequence[int],
                         max_histories: int = MAX_HISTORIES) -> DeterministicPolicy:
        """The same policy on observation histories (``games.dec_pomdp.policies`` order).

        Refused (typed error) when an agent has more than ``max_histories`` histories in all.
        """
        out = []
        for i, (acts, succ) in enumerate(zip(self.actions, self.successors, strict=True)):
            q = int(num_observations[i])
            total = sum(float(q) ** t for t in range(self.horizon))
            if total > max_histories:
                raise GameError(f"agent {i} has {total:.3g} observation histories over {self.horizon} "
                                f"stages (limit {max_histories}); keep the clustered form")
            typ = np.zeros(1, dtype=np.int64)     # type of each history at stage t, C order
            steps = []
            for t in range(self.horizon):
                steps.append(acts[t][typ])
                if t < self.horizon - 1:
                    typ = succ[t][typ].ravel()   # history h·q + o -> successors[typ(h), o]
            out.append(tuple(steps))
        return DeterministicPolicy(tuple(out))

    @classmethod
    def from_deterministic(cls, policy: DeterministicPolicy,
                           num_observations: Sequence[int]) -> ClusteredPolicy:
        """One type per observation history (no clustering): the identity embedding."""
        acts, succs = [], []
        for i, agent in enumerate(policy.actions):
            q = int(num_observations[i])
            acts.append(tuple(agent))
            succs.append(tuple(np.arange(a.size * q, dtype=np.int64).reshape(a.size, q)
                               for a in agent[:-1]))
        return cls(tuple(acts), tuple(succs))


# ----------------------------------------------------------------------------- evaluation
def joint_action_grid(model: DecPOMDP, rules: Sequence[np.ndarray]) -> np.ndarray:
    """``ja[θ_1, ..., θ_N]``: MADP joint action index of per-agent type -> action rules."""
    ja = np.zeros((), dtype=np.int64)
    for i, r in enumerate(rules):
        stride = int(np.prod(model.num_actions[i + 1:]))
        ja = np.add.outer(ja, np.asarray(r, dtype=np.int64) * stride)
    return ja


def propagate(model: DecPOMDP, flat: np.ndarray, ja: np.ndarray) -> np.ndarray:
    """Unnormalised P(θ, s', jo) = Σ_s P(θ, s) T(s, ja(θ), s') O(ja(θ), s', jo): shape (K, S', JO)."""
    x = np.empty_like(flat)
    for a in np.unique(ja):
        sel = ja == a
        x[sel] = flat[sel] @ model.transition[:, a, :]
    return x[:, :, None] * model.observation[ja]


def evaluate_clustered(model: DecPOMDP, policy: ClusteredPolicy, horizon: int | None = None,
                       discount: float | None = None) -> float:
    """Exact E[Σ_{t<H} γ^t R(s_t, a_t)] of a clustered policy by forward propagation.

    The occupancy P(θ_1, ..., θ_N, s) over joint types is pushed through T and O and summed into
    the successor types; nothing is indexed by histories. H is the policy's length (an explicit
    ``horizon`` must equal it); γ resolves by the model's rule (explicit, else the model's own).
    """
    if not isinstance(policy, ClusteredPolicy):
        raise GameError(f"expected a ClusteredPolicy, got {type(policy).__name__}")
    h = policy.horizon if horizon is None else model.resolve_horizon(horizon)
    gamma = model.resolve_discount(discount)
    if policy.horizon != h:
        raise GameError(f"the policy has {policy.horizon} stages but the horizon is {h}")
    policy.validate(model.num_actions, model.num_observations)
    n, s = model.num_agents, model.num_states
    obs_of = np.unravel_index(np.arange(model.num_joint_observations), model.num_observations)
    occ = model.initial.reshape(1, s)
    shape: tuple[int, ...] = (1,) * n
    value = 0.0
    for t in range(h):
        ja = joint_action_grid(model, [policy.actions[i][t] for i in range(n)]).ravel()
        value += gamma ** t * float(np.einsum("ks,ks->", occ, model.reward[:, ja].T))
        if t == h - 1:
            break
        y = propagate(model, occ, ja)                                       # (K, S', JO)
        new_shape = tuple(policy.actions[i][t + 1].size for i in range(n))
        grids = np.unravel_index(np.arange(occ.shape[0]), shape)
        dest = np.zeros((occ.shape[0], model.num_joint_observations), dtype=np.int64)
        for i in range(n):
            nxt = policy.successors[i][t][grids[i][:, None], obs_of[i][None, :]]
            dest = dest * new_shape[i] + nxt
        rows = y.transpose(0, 2, 1).reshape(-1, s)
        scatter = sp.csr_matrix((np.ones(dest.size), (dest.ravel(), np.arange(dest.size))),
                                shape=(math.prod(new_shape), dest.size))
        occ, shape = np.asarray(scatter @ rows), new_shape
    return value


# ----------------------------------------------------------------------------- JSON
def clustered_to_dict(policy: ClusteredPolicy, model: DecPOMDP | None = None) -> dict[str, Any]:
    """``{"kind": "clustered", "actions": [...], "successors": [...]}``; actions as names when
    ``model`` is given, successors as type indices per (type, observation)."""
    acts = []
    for i, agent in enumerate(policy.actions):
        names = model.action_names[i] if model is not None else None
        acts.append([[names[a] if names else int(a) for a in step] for step in agent])
    return {"kind": "clustered", "actions": acts,
            "successors": [[s.tolist() for s in agent] for agent in policy.successors]}


def clustered_from_dict(data: Any, model: DecPOMDP, where: str = "policy") -> ClusteredPolicy:
    """Inverse of :func:`clustered_to_dict`, validated against ``model`` (typed errors)."""
    if not isinstance(data, dict) or data.get("kind") != "clustered":
        raise ParseError(f"{where}: expected an object with kind clustered")
    try:
        acts = []
        for i, agent in enumerate(data["actions"]):
            names = model.action_names[i]
            steps = []
            for t, step in enumerate(agent):
                row = []
                for a in step:
                    if isinstance(a, str):
                        if a not in names:
                            raise ParseError(f"{where}.actions[{i}][{t}]: agent {i} has no action {a!r}")
                        row.append(names.index(a))
                    elif isinstance(a, int) and not isinstance(a, bool):
                        row.append(a)
                    else:
                        raise ParseError(f"{where}.actions[{i}][{t}]: {a!r} is not an action")
                steps.append(np.array(row, dtype=np.int64))
            acts.append(tuple(steps))
        succ = tuple(tuple(np.array(s, dtype=np.int64).reshape(-1, model.num_observations[i])
                           for s in agent) for i, agent in enumerate(data["successors"]))
        policy = ClusteredPolicy(tuple(acts), succ)
        policy.validate(model.num_actions, model.num_observations)
        return policy
    except KeyError as exc:
        raise ParseError(f"{where}: missing key {exc}") from None
    except (TypeError, ValueError, IndexError) as exc:
        if isinstance(exc, GameError | ParseError):
            raise
        raise ParseError(f"{where}: malformed clustered policy: {exc}") from None
