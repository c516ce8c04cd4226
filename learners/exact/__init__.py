"""Exact (tabular) learners: implicit product policies, asymmetric distillation, identifiability.

Everything is computed from exact occupancy measures (no sampling); see :mod:`learners.exact.implicit`.
"""

from learners.exact.implicit import (
    DistillationResult,
    Mixture,
    behaviour_occupancies,
    distillation,
    identifiability,
    implicit_product_policy,
    uniform_optimal_joint_policy,
)

__all__ = [
    "DistillationResult",
    "Mixture",
    "behaviour_occupancies",
    "distillation",
    "identifiability",
    "implicit_product_policy",
    "uniform_optimal_joint_policy",
]
