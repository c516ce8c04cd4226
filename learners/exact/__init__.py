"""Exact (tabular) learners: implicit product policies, asymmetric distillation, identifiability,
mode-preserving (IGC) policy modification, tabular AgentMixer, independent and centralized
learners, AIL and tabular MAGPO (one-step games and Dec-POMDPs).

Everything is computed exactly (no sampling): see :mod:`learners.exact.implicit`,
:mod:`learners.exact.igc`, :mod:`learners.exact.gradients`, :mod:`learners.exact.agentmixer`,
:mod:`learners.exact.decentralized`, :mod:`learners.exact.centralized`, :mod:`learners.exact.ail`,
:mod:`learners.exact.magpo` and :mod:`learners.exact.magpo_dec`.
"""

from learners.exact.agentmixer import AgentMixerConfig, AgentMixerResult, TrainingStep, run_agentmixer
from learners.exact.ail import AilConfig, AilResult, run_ail
from learners.exact.centralized import CentralizedConfig, CentralizedResult, run_centralized
from learners.exact.decentralized import DecentralizedConfig, DecentralizedResult, run_decentralized
from learners.exact.igc import gaussian_igc, igc_cap, igc_joint, igc_modify, softmax_modifier_counterexample
from learners.exact.implicit import (
    DistillationResult,
    Mixture,
    behaviour_occupancies,
    distillation,
    identifiability,
    implicit_product_policy,
    reactive_distillation,
    uniform_optimal_joint_policy,
)
from learners.exact.independent import IndependentConfig, IndependentResult, run_independent
from learners.exact.magpo import MagpoConfig, MagpoResult, run_magpo
from learners.exact.magpo_dec import MagpoDecConfig, MagpoDecResult, run_magpo_dec

__all__ = [
    "AgentMixerConfig",
    "AgentMixerResult",
    "AilConfig",
    "AilResult",
    "CentralizedConfig",
    "CentralizedResult",
    "DecentralizedConfig",
    "DecentralizedResult",
    "DistillationResult",
    "IndependentConfig",
    "IndependentResult",
    "MagpoConfig",
    "MagpoDecConfig",
    "MagpoDecResult",
    "MagpoResult",
    "Mixture",
    "TrainingStep",
    "behaviour_occupancies",
    "distillation",
    "gaussian_igc",
    "identifiability",
    "igc_cap",
    "igc_joint",
    "igc_modify",
    "implicit_product_policy",
    "reactive_distillation",
    "run_agentmixer",
    "run_ail",
    "run_centralized",
    "run_decentralized",
    "run_independent",
    "run_magpo",
    "run_magpo_dec",
    "softmax_modifier_counterexample",
    "uniform_optimal_joint_policy",
]
