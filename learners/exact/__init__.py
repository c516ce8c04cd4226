"""Exact (tabular) learners: implicit product policies, asymmetric distillation, identifiability,
mode-preserving (IGC) policy modification and tabular MAGPO.

Everything is computed exactly (no sampling): see :mod:`learners.exact.implicit`,
:mod:`learners.exact.igc` and :mod:`learners.exact.magpo`.
"""

from learners.exact.igc import gaussian_igc, igc_joint, igc_modify, softmax_modifier_counterexample
from learners.exact.implicit import (
    DistillationResult,
    Mixture,
    behaviour_occupancies,
    distillation,
    identifiability,
    implicit_product_policy,
    uniform_optimal_joint_policy,
)
from learners.exact.independent import IndependentConfig, IndependentResult, run_independent
from learners.exact.magpo import MagpoConfig, MagpoResult, run_magpo

__all__ = [
    "DistillationResult",
    "IndependentConfig",
    "IndependentResult",
    "MagpoConfig",
    "MagpoResult",
    "Mixture",
    "behaviour_occupancies",
    "distillation",
    "gaussian_igc",
    "identifiability",
    "igc_joint",
    "igc_modify",
    "implicit_product_policy",
    "run_independent",
    "run_magpo",
    "softmax_modifier_counterexample",
    "uniform_optimal_joint_policy",
]
