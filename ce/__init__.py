"""Equilibria of games: closed-form ε-gaps, CE/CCE linear programs and Nash equilibria."""

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
from ce.polytope import IncentiveConstraints, incentive_constraints

__all__ = [
    "OBJECTIVES",
    "DegenerateGameError",
    "DistributionError",
    "EquilibriumResult",
    "GapReport",
    "IncentiveConstraints",
    "NashEquilibrium",
    "SolverError",
    "SolverWarning",
    "as_joint",
    "cce_gap",
    "ce_gap",
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
    "support_enumeration",
]
