"""Tabular Dec-POMDPs: the model, the built-in catalog, MADP ``.dpomdp`` files, policies and their
JSON form, and exact evaluation (forward occupancies, values, MMDP Q-values)."""

from games.dec_pomdp.catalog import DPOMDP_CATALOG, bridge_crossing, dec_tiger, make_dpomdp
from games.dec_pomdp.claim_instances import fork, private_signals, swing
from games.dec_pomdp.evaluation import evaluate, evaluate_joint, evaluate_reactive, occupancies
from games.dec_pomdp.madp_format import read_dpomdp, write_dpomdp
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import CorrelatedPolicy, DeterministicPolicy, ReactivePolicy, StochasticPolicy
from games.dec_pomdp.policy_json import policy_from_dict, policy_to_dict

__all__ = [
    "DPOMDP_CATALOG",
    "CorrelatedPolicy",
    "DecPOMDP",
    "DeterministicPolicy",
    "ReactivePolicy",
    "StochasticPolicy",
    "bridge_crossing",
    "dec_tiger",
    "evaluate",
    "evaluate_joint",
    "evaluate_reactive",
    "fork",
    "make_dpomdp",
    "occupancies",
    "policy_from_dict",
    "policy_to_dict",
    "private_signals",
    "read_dpomdp",
    "swing",
    "write_dpomdp",
]
