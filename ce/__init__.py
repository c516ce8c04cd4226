"""Equilibria and solutions: closed-form ε-gaps, CE/CCE LPs and polytope vertices, Nash equilibria,
Dec-POMDP best responses, gaps and optimal planning."""

from ce.dec_gaps import BestResponse, DecGapReport, dec_best_response, dec_cce_gap, dec_ce_gap, dec_ne_gap
from ce.dec_gaps import best_response as best_response  # former name of dec_best_response
from ce.dec_gaps import dec_nash_gap as dec_nash_gap  # former name of dec_ne_gap
from ce.distributions import as_joint, marginals, parse_profile, product_distribution
from ce.errors import ConfigError, DegenerateGameError, DistributionError, SolverError, SolverWarning
from ce.gaps import GapReport, cce_gap, ce_gap, equilibrium_gaps, ne_gap
from ce.lp import OBJECTIVES, EquilibriumResult, solve_cce, solve_ce, solve_correlated
from ce.nash import METHODS as NASH_METHODS
from ce.nash import (
    NashEquilibrium,
    NashResult,
    lemke_howson,
    lemke_howson_all_labels,
    nash_equilibria,
    pure_nash_equilibria,
    support_enumeration,
)
from ce.planning import PlanResult, solve_jesp, solve_mmdp, solve_optimal
from ce.polytope import IncentiveConstraints, incentive_constraints
from ce.vertices import polytope_vertices

__all__ = [
    "NASH_METHODS",
    "OBJECTIVES",
    "BestResponse",
    "ConfigError",
    "DecGapReport",
    "DegenerateGameError",
    "DistributionError",
    "EquilibriumResult",
    "GapReport",
    "IncentiveConstraints",
    "NashEquilibrium",
    "NashResult",
    "PlanResult",
    "SolverError",
    "SolverWarning",
    "as_joint",
    "cce_gap",
    "ce_gap",
    "dec_best_response",
    "dec_cce_gap",
    "dec_ce_gap",
    "dec_ne_gap",
    "equilibrium_gaps",
    "incentive_constraints",
    "lemke_howson",
    "lemke_howson_all_labels",
    "marginals",
    "nash_equilibria",
    "ne_gap",
    "parse_profile",
    "polytope_vertices",
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
