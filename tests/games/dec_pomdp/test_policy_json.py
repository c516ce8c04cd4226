"""The JSON form of Dec-POMDP policies: exact round trips, and every malformed document refused
with a typed error naming the entry (never an IndexError, never a silent coercion)."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from games.dec_pomdp.catalog import dec_tiger
from games.dec_pomdp.evaluation import evaluate
from games.dec_pomdp.policies import CorrelatedPolicy, DeterministicPolicy, StochasticPolicy
from games.dec_pomdp.policy_json import policy_from_dict, policy_to_dict
from games.errors import GameError, ParseError

TIGER = dec_tiger(2)
LISTEN_THEN_LISTEN = DeterministicPolicy(((np.array([0]), np.array([0, 0])),) * 2)


def test_round_trips_keep_the_value() -> None:
    sto = StochasticPolicy.random(TIGER.num_actions, TIGER.num_observations, 2, 3)
    corr = CorrelatedPolicy(np.array([0.25, 0.75]), (LISTEN_THEN_LISTEN, sto))
    for pol in (LISTEN_THEN_LISTEN, sto, corr):
        back = policy_from_dict(json.loads(json.dumps(policy_to_dict(pol, TIGER))), TIGER)
        assert evaluate(TIGER, back) == evaluate(TIGER, pol)
    assert evaluate(TIGER, LISTEN_THEN_LISTEN) == -4.0  # two listens, -2 each (catalog docstring)


@pytest.mark.parametrize(("doctor", "message"), [
    (lambda d: d["actions"].append(d["actions"][0]), "3 agents given"),      # more agents
    (lambda d: d["actions"].pop(), "1 agents given"),                         # fewer agents
    (lambda d: d["actions"][0][0].__setitem__(0, True), "True is not an action"),
    (lambda d: d["actions"][0][0].__setitem__(0, 1.0), "1.0 is not an action"),
    (lambda d: d["actions"][0][0].__setitem__(0, "jump"), "no action 'jump'"),
    (lambda d: d.__setitem__("actions", 5), "expected a list"),
    (lambda d: d.pop("actions"), "needs 'actions'"),
])
def test_malformed_deterministic_documents_are_refused(doctor: Any, message: str) -> None:
    data = policy_to_dict(LISTEN_THEN_LISTEN)
    doctor(data)
    with pytest.raises(ParseError, match=message):
        policy_from_dict(data, TIGER)


def test_strings_and_booleans_are_not_probabilities() -> None:
    data = policy_to_dict(StochasticPolicy.uniform(TIGER.num_actions, TIGER.num_observations, 2))
    bad = copy.deepcopy(data)
    bad["probs"][0][0][0] = ["0.5", 0.25, 0.25]
    with pytest.raises(ParseError, match=r"probs\[0\]\[0\]\[0\]\[0\]: '0.5' is not a number"):
        policy_from_dict(bad, TIGER)
    bad = copy.deepcopy(data)
    bad["probs"][1][1][2] = [True, False, False]
    with pytest.raises(ParseError, match="True is not a number"):
        policy_from_dict(bad, TIGER)
    corr = {"kind": "correlated", "weights": ["1"], "policies": [data]}
    with pytest.raises(ParseError, match="weights"):
        policy_from_dict(corr, TIGER)


def _mutations() -> st.SearchStrategy[Any]:
    leaves = st.one_of(st.none(), st.booleans(), st.integers(-3, 5), st.floats(allow_nan=True),
                       st.text(max_size=3), st.just([]), st.just({}))
    return leaves


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_single_mutation_is_refused_or_valid(data: st.DataObject) -> None:
    """Replace one node of a valid document by junk: the reader either returns a policy that
    validates against the model or raises a typed error; nothing else escapes."""
    doc: Any = policy_to_dict(LISTEN_THEN_LISTEN, TIGER)
    path: list[Any] = []
    node = doc
    while isinstance(node, dict | list) and node and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
        path.append(key)
        node = node[key]
    junk = data.draw(_mutations())
    if not path:
        doc = junk
    else:
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = junk
    try:
        pol = policy_from_dict(doc, TIGER)
    except (ParseError, GameError):
        return
    pol.validate(TIGER.num_actions, TIGER.num_observations)  # accepted: must be a real policy
