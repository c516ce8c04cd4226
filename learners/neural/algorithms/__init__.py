"""Neural CTDE training algorithms, one file each (config dataclass + losses), and the registry.

``ALGORITHMS`` maps a name to its class: ``"agentmixer"`` (PPO on AgentMixer's joint policy, Li,
Zhao, Wu & Pajarinen, AAAI 2025), ``"mappo"`` (Yu et al. NeurIPS 2022) and ``"ail"`` (asymmetric
imitation learning). To add an algorithm: write ``algorithms/<name>.py`` with a config dataclass
(an :class:`AlgorithmConfig`) and an :class:`Algorithm` subclass decorated with :func:`register`,
and import it here; the config then knows its class (``config.build(spec)``).
"""

from __future__ import annotations

from typing import Any

from learners.neural.algorithms import (  # noqa: F401  (registration)
    agentmixer,
    ail,
    armappo,
    happo,
    magpo,
    mappo,
    mat,
    mat_dec,
    maven,
    qmix,
)
from learners.neural.algorithms.agentmixer import AgentMixerPPO, AgentMixerPPOConfig
from learners.neural.algorithms.ail import AsymmetricIL, AsymmetricILConfig
from learners.neural.algorithms.base import (
    ALGORITHMS,
    Algorithm,
    AlgorithmConfig,
    EnvSpec,
    StepOutput,
    register,
)
from learners.neural.algorithms.mappo import MAPPO, MAPPOConfig
from learners.neural.algorithms.ppo import PPOConfig
from learners.neural.config_io import from_dict
from learners.neural.errors import ConfigError

__all__ = [
    "ALGORITHMS",
    "MAPPO",
    "AgentMixerPPO",
    "AgentMixerPPOConfig",
    "Algorithm",
    "AlgorithmConfig",
    "AsymmetricIL",
    "AsymmetricILConfig",
    "EnvSpec",
    "MAPPOConfig",
    "PPOConfig",
    "StepOutput",
    "algorithm_class",
    "build_algorithm",
    "make_algo_config",
    "register",
]


def algorithm_class(name: str) -> type[Algorithm]:
    """The registered class called ``name`` (ConfigError listing the choices otherwise)."""
    if not isinstance(name, str) or name not in ALGORITHMS:
        raise ConfigError(f"unknown algorithm {name!r}; choices: {', '.join(sorted(ALGORITHMS))}")
    return ALGORITHMS[name]


def make_algo_config(name: str, data: dict[str, Any] | None = None) -> AlgorithmConfig:
    """The typed config of algorithm ``name`` from a (partial) mapping: every key and value is
    checked against the dataclass (ConfigError naming ``algo_config.<key>``); missing keys keep
    their defaults."""
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"algo_config must be a mapping of {name} settings, got {data!r}")
    return from_dict(algorithm_class(name).config_class, data, "algo_config.")


def build_algorithm(config: AlgorithmConfig, spec: EnvSpec) -> Algorithm:
    """The learner ``config`` configures, for an environment of shape ``spec``."""
    return config.build(spec)
