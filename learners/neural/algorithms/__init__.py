"""Neural CTDE training algorithms, one file each (config dataclass + losses), and the registry.

``ALGORITHMS`` maps a name to its class: ``"agentmixer"`` (PPO on AgentMixer's joint policy, Li,
Zhao, Wu & Pajarinen, AAAI 2025), ``"mappo"`` (Yu et al. NeurIPS 2022) and ``"ail"`` (asymmetric
imitation learning). To add HAPPO, MAT or MAGPO: write ``algorithms/<name>.py`` with a config
dataclass and an :class:`Algorithm` subclass decorated with :func:`register`, and import it here.
"""

from __future__ import annotations

from typing import Any

from learners.neural.algorithms import agentmixer, ail, mappo  # noqa: F401  (registration)
from learners.neural.algorithms.agentmixer import AgentMixerConfig, AgentMixerPPO
from learners.neural.algorithms.ail import AILConfig, AsymmetricIL
from learners.neural.algorithms.base import ALGORITHMS, Algorithm, EnvSpec, PPOConfig, StepOutput, register
from learners.neural.algorithms.mappo import MAPPO, MAPPOConfig
from learners.neural.config_io import from_dict, to_dict
from learners.neural.errors import ConfigError

__all__ = [
    "ALGORITHMS",
    "MAPPO",
    "AILConfig",
    "AgentMixerConfig",
    "AgentMixerPPO",
    "Algorithm",
    "AsymmetricIL",
    "EnvSpec",
    "MAPPOConfig",
    "PPOConfig",
    "StepOutput",
    "algorithm_class",
    "build_algorithm",
    "register",
    "resolve_algo_config",
]


def algorithm_class(name: str) -> type[Algorithm]:
    """The registered class called ``name`` (ConfigError listing the choices otherwise)."""
    if name not in ALGORITHMS:
        raise ConfigError(f"unknown algorithm {name!r}; choices: {', '.join(sorted(ALGORITHMS))}")
    return ALGORITHMS[name]


def resolve_algo_config(name: str, data: dict[str, Any] | None) -> dict[str, Any]:
    """The full, validated config of algorithm ``name`` as a plain dict (defaults filled in)."""
    cls = algorithm_class(name)
    return to_dict(from_dict(cls.config_class, data, "algo_config."))  # type: ignore[no-any-return]


def build_algorithm(name: str, spec: EnvSpec, data: dict[str, Any] | None = None) -> Algorithm:
    """Instantiate algorithm ``name`` for ``spec`` from a (partial) config dict."""
    cls = algorithm_class(name)
    return cls(spec, from_dict(cls.config_class, data, "algo_config."))
