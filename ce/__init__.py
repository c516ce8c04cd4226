"""Equilibria and solutions: closed-form ε-gaps, CE/CCE LPs, Nash equilibria, Dec-POMDP best
responses, gaps and optimal planning."""

from ce.dec_gaps import BestResponse, DecGapReport, best_response, dec_cce_gap, dec_ce_gap, dec_nash_gap
from ce.distributions import as_joint, marginals, product_distribution
from ce.errors import DegenerateGameError, DistributionError, SolverError, SolverWarning
from ce.gaps import GapReport, cce_gap, ce_gap, ne_gap
from ce.lp import OBJECTIVES, EquilibriumResult, solve_cce, solve_ce, solve_correlated
from ce.nash import (
    NashEquilibrium,
    lemke_howson,
    lemke_howson_all_labels,
    pure_nash_equilibria,
    support_enumeration,
)
from ce.planning import PlanResult, solve_jesp, solve_mmdp, solve_optimal
from ce.polytope import IncentiveConstraints, incentive_constraints

__all__ = [
    "OBJECTIVES",
    "BestResponse",
    "DecGapReport",
    "DegenerateGameError",
    "DistributionError",
    "EquilibriumResult",
    "GapReport",
    "IncentiveConstraints",
    "NashEquilibrium",
    "PlanResult",
    "SolverError",
    "SolverWarning",
    "as_joint",
    "best_response",
    "cce_gap",
    "ce_gap",
    "dec_cce_gap",
    "dec_ce_gap",
    "dec_nash_gap",
    "incentive_constraints",
    "lemke_howson",
    "lemke_howson_all_labels",
    "marginals",
    "ne_gap",
    "product_distribution",
    "pure_nash_equilibria",
    "solve_cce",
    "solve_ce",
    "solve_correlated",
    "solve_jesp",
    "solve_mmdp",
    "solve_optimal",
    "support_enumeration",
]
