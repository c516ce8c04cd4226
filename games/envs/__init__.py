"""Batched numpy simulators of the cooperative tasks (matrix games, tabular Dec-POMDPs,
predator-prey with miscoordination penalty) behind one :class:`BatchedEnv` interface, a
``make_env`` registry, and a PettingZoo adapter (imported lazily; pettingzoo is a dev extra).

``make_env`` names: ``"predator-prey"`` / ``"predator-prey-small"`` (DICG, Li et al. 2020), with
optional typed overrides of :class:`PredatorPreyConfig` fields, e.g. ``"predator-prey(penalty=0)"``;
``"bridge"`` (AgentMixer's bridge crossing, :func:`games.dec_pomdp.catalog.bridge_crossing`);
any normal-form catalog spec (``"climbing"``, ``"penalty(k=-50)"``, ...; see
:mod:`games.normal_form.catalog`) -> :class:`MatrixGameEnv`; any other Dec-POMDP catalog spec
(``"dec_tiger"``, ``"dec_tiger(horizon=4)"``, ``"bridge_crossing(congestion=5)"``) or a MADP
``.dpomdp[.gz]`` path -> :class:`DecPOMDPEnv`. Normal-form names win over the Dec-POMDP catalog's
one-step copies of the same games.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from games.envs.base import BatchedEnv, TimeStep
from games.envs.dec_pomdp_env import DecPOMDPEnv
from games.envs.matrix import MatrixGameEnv
from games.envs.predator_prey import PredatorPreyConfig, PredatorPreyEnv
from games.errors import GameError

__all__ = [
    "BatchedEnv",
    "DecPOMDPEnv",
    "MatrixGameEnv",
    "ParallelEnvAdapter",
    "PredatorPreyConfig",
    "PredatorPreyEnv",
    "TimeStep",
    "env_names",
    "make_env",
]

_ALIASES = {"bridge": "bridge_crossing"}


def env_names() -> list[str]:
    """The names ``make_env`` accepts (besides parameters and .dpomdp paths)."""
    from games.dec_pomdp.catalog import DPOMDP_CATALOG
    from games.normal_form.catalog import CATALOG

    return ["predator-prey", "predator-prey-small", *_ALIASES, *CATALOG,
            *(n for n in DPOMDP_CATALOG if n not in CATALOG)]


def _predator_prey_config(base: str, params_text: str) -> PredatorPreyConfig:
    """``predator-prey[-small](key=value, ...)``: the preset with typed overrides of its fields."""
    from games.loading import parse_spec

    _, params = parse_spec("predator_prey" + params_text)
    cfg = PredatorPreyConfig.small() if base.endswith("-small") else PredatorPreyConfig()
    types = {f.name: type(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}
    unknown = sorted(set(params) - set(types))
    if unknown:
        raise GameError(f"{base} has no parameter {', '.join(unknown)}; parameters: {', '.join(types)}")
    typed: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                types[key] is int and float(value) != int(value)):
            kind = "an integer" if types[key] is int else "a number"
            raise GameError(f"{base} parameter {key}={value!r} must be {kind}")
        typed[key] = types[key](value)
    return dataclasses.replace(cfg, **typed)


def make_env(name: str, num_envs: int, seed: int | None = None, *,
             horizon: int | None = None) -> BatchedEnv:
    """Build the environment ``name`` with ``num_envs`` copies (see the module docstring).

    ``horizon`` overrides a Dec-POMDP's own horizon; MADP ``.dpomdp`` files carry none, so they
    need it (GameError otherwise). It is ignored by matrix games and predator-prey.
    """
    from games.dec_pomdp.catalog import DPOMDP_CATALOG
    from games.loading import load_dpomdp, load_game, parse_spec
    from games.normal_form.catalog import CATALOG

    if not isinstance(name, str):
        raise GameError(f"environment name must be a string, got {name!r}")
    pp = re.fullmatch(r"\s*(predator-prey(?:-small)?)\s*(\(.*\))?\s*", name)
    if pp is not None:
        return PredatorPreyEnv(_predator_prey_config(pp.group(1), pp.group(2) or ""), num_envs, seed)
    if name.endswith((".dpomdp", ".dpomdp.gz")):
        return DecPOMDPEnv(load_dpomdp(name), num_envs, horizon, seed=seed)
    base, _params = parse_spec(name)
    if base in CATALOG:
        return MatrixGameEnv(load_game(name), num_envs, seed)
    if base in _ALIASES or base in DPOMDP_CATALOG:
        spec = _ALIASES.get(base, base) + name.strip()[len(base):]
        return DecPOMDPEnv(load_dpomdp(spec), num_envs, horizon, seed=seed)
    raise GameError(f"unknown environment {name!r}; choices: {', '.join(env_names())}, "
                    f"or a .dpomdp[.gz] file")


def __getattr__(name: str) -> Any:
    if name == "ParallelEnvAdapter":
        from games.envs.pettingzoo_adapter import ParallelEnvAdapter

        return ParallelEnvAdapter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
