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
from games.errors import ParseError

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


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ParseError(f"{where}: expected a list, got {value!r}"[:200])
    return value


def _per_agent(value: Any, model: DecPOMDP, where: str) -> list[Any]:
    agents = _list(value, where)
    if len(agents) != model.num_agents:
        raise ParseError(f"{where}: {len(agents)} agents given, the model {model.name!r} has "
                         f"{model.num_agents}")
    return agents


def _numbers(value: Any, where: str) -> np.ndarray:
    """A nested list of JSON numbers as a float array; strings, booleans and nulls are refused
    (never read "0.5" or true as a number)."""
    if isinstance(value, list):
        rows = [_numbers(v, f"{where}[{k}]") for k, v in enumerate(value)]
        if len({r.shape for r in rows}) > 1:
            raise ParseError(f"{where}: rows of different lengths")
        return np.array(rows, dtype=float) if rows else np.zeros(0)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParseError(f"{where}: {value!r} is not a number")
    return np.array(float(value))


def _action(model: DecPOMDP, agent: int, value: Any, where: str) -> int:
    names = model.action_names[agent]
    if isinstance(value, str):
        if value not in names:
            raise ParseError(f"{where}: agent {agent} has no action {value!r}; actions: {list(names)}")
        return names.index(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
        return value
    raise ParseError(f"{where}: {value!r} is not an action of agent {agent} (an index "
                     f"0..{len(names) - 1} or a name)")


def policy_from_dict(data: Any, model: DecPOMDP, where: str = "policy") -> Policy:
    """Inverse of :func:`policy_to_dict`, validated against ``model``: every malformed entry is a
    :class:`~games.errors.ParseError` (structure) or :class:`~games.errors.GameError` (values)
    naming where it is."""
    if not isinstance(data, dict) or data.get("kind") not in ("deterministic", "stochastic",
                                                                "correlated"):
        raise ParseError(f"{where}: expected an object with kind deterministic|stochastic|correlated")
    kind = data["kind"]
    field = {"correlated": "policies", "stochastic": "probs", "deterministic": "actions"}[kind]
    if field not in data or (kind == "correlated" and "weights" not in data):
        raise ParseError(f"{where}: a {kind} policy needs "
                         + ("'weights' and 'policies'" if kind == "correlated" else f"{field!r}"))
    if kind == "correlated":
        pols = tuple(policy_from_dict(p, model, f"{where}.policies[{k}]")
                     for k, p in enumerate(_list(data["policies"], f"{where}.policies")))
        if any(isinstance(p, CorrelatedPolicy) for p in pols):
            raise ParseError(f"{where}: correlated policies cannot nest")
        weights = _numbers(_list(data["weights"], f"{where}.weights"), f"{where}.weights")
        return CorrelatedPolicy(weights, pols)  # type: ignore[arg-type]
    agents = _per_agent(data[field], model, f"{where}.{field}")
    if kind == "stochastic":
        pol = StochasticPolicy(tuple(
            tuple(_numbers(p, f"{where}.probs[{i}][{t}]")
                  for t, p in enumerate(_list(agent, f"{where}.probs[{i}]")))
            for i, agent in enumerate(agents)))
        pol.validate(model.num_actions, model.num_observations)
        return pol
    det = DeterministicPolicy(tuple(
        tuple(np.array([_action(model, i, a, f"{where}.actions[{i}][{t}][{k}]")
                        for k, a in enumerate(_list(step, f"{where}.actions[{i}][{t}]"))],
                       dtype=np.int64)
              for t, step in enumerate(_list(agent, f"{where}.actions[{i}]")))
        for i, agent in enumerate(agents)))
    det.validate(model.num_actions, model.num_observations)
    return det
