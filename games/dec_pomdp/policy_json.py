"""JSON form of Dec-POMDP policies (what ``agentmixer dpomdp solve --save`` writes).

``{"kind": "deterministic", "actions": [[[a, ...] per step] per agent]}`` — per agent and step,
the action (index or name) for every observation history in the order of games.dec_pomdp.policies;
``{"kind": "stochastic", "probs": [[[[p, ...] per history] per step] per agent]}``;
``{"kind": "correlated", "weights": [...], "policies": [<deterministic or stochastic>, ...]}``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import CorrelatedPolicy, DeterministicPolicy, StochasticPolicy
from games.errors import GameError, ParseError

__all__ = ["policy_from_dict", "policy_to_dict"]

Policy = DeterministicPolicy | StochasticPolicy | CorrelatedPolicy


def policy_to_dict(policy: Policy, model: DecPOMDP | None = None) -> dict[str, Any]:
    """JSON-ready dict; deterministic actions are written as names when ``model`` is given."""
    if isinstance(policy, CorrelatedPolicy):
        return {"kind": "correlated", "weights": policy.weights.tolist(),
                "policies": [policy_to_dict(p, model) for p in policy.policies]}
    if isinstance(policy, StochasticPolicy):
        return {"kind": "stochastic", "probs": [[p.tolist() for p in agent] for agent in policy.probs]}
    acts: list[list[list[Any]]] = []
    for i, agent in enumerate(policy.actions):
        names = model.action_names[i] if model is not None else None
        acts.append([[names[a] if names else int(a) for a in step] for step in agent])
    return {"kind": "deterministic", "actions": acts}


def _action(model: DecPOMDP, agent: int, value: Any, where: str) -> int:
    names = model.action_names[agent]
    if isinstance(value, str):
        if value not in names:
            raise ParseError(f"{where}: agent {agent} has no action {value!r}; actions: {list(names)}")
        return names.index(value)
    if isinstance(value, int) and 0 <= value < len(names):
        return value
    raise ParseError(f"{where}: {value!r} is not an action of agent {agent} (0..{len(names) - 1})")


def policy_from_dict(data: Any, model: DecPOMDP, where: str = "policy") -> Policy:
    """Inverse of :func:`policy_to_dict`, validated against ``model`` (typed errors)."""
    if not isinstance(data, dict) or data.get("kind") not in ("deterministic", "stochastic",
                                                                "correlated"):
        raise ParseError(f"{where}: expected an object with kind deterministic|stochastic|correlated")
    kind = data["kind"]
    try:
        if kind == "correlated":
            pols = tuple(policy_from_dict(p, model, f"{where}.policies[{k}]")
                         for k, p in enumerate(data["policies"]))
            if any(isinstance(p, CorrelatedPolicy) for p in pols):
                raise ParseError(f"{where}: correlated policies cannot nest")
            return CorrelatedPolicy(np.asarray(data["weights"], float), pols)  # type: ignore[arg-type]
        if kind == "stochastic":
            pol = StochasticPolicy(tuple(tuple(np.asarray(p, float) for p in agent)
                                         for agent in data["probs"]))
            pol.validate(model.num_actions, model.num_observations)
            return pol
        det = DeterministicPolicy(tuple(
            tuple(np.array([_action(model, i, a, f"{where}.actions[{i}][{t}]") for a in step],
                           dtype=np.int64) for t, step in enumerate(agent))
            for i, agent in enumerate(data["actions"])))
        det.validate(model.num_actions, model.num_observations)
        return det
    except KeyError as exc:
        raise ParseError(f"{where}: missing key {exc}") from None
    except (TypeError, ValueError) as exc:
        if isinstance(exc, GameError | ParseError):
            raise
        raise ParseError(f"{where}: malformed policy: {exc}") from None
