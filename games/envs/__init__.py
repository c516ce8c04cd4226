"""Batched numpy simulators of the cooperative tasks (matrix games, tabular Dec-POMDPs,
predator-prey with miscoordination penalty) behind one :class:`BatchedEnv` interface, a
``make_env`` registry, and a PettingZoo adapter (imported lazily; pettingzoo is a dev extra).

``make_env`` names: ``"predator-prey"`` / ``"predator-prey-small"`` (DICG, Li et al. 2020), with
optional typed overrides of :class:`PredatorPreyConfig` fields, e.g. ``"predator-prey(penalty=0)"``;
``"quadratic-coordination(agents=2, dim=2, target=0.5, coupling=1)"`` (continuous actions, known
optimum 0, :mod:`games.envs.continuous`); ``"bridge"`` (AgentMixer's bridge crossing,
:func:`games.dec_pomdp.catalog.bridge_crossing`);
any normal-form catalog spec (``"climbing"``, ``"penalty(k=-50)"``, ...; see
:mod:`games.normal_form.catalog`) -> :class:`MatrixGameEnv`; any other Dec-POMDP catalog spec
(``"dec_tiger"``, ``"dec_tiger(horizon=4)"``, ``"bridge_crossing(congestion=5)"``) or a MADP
``.dpomdp[.gz]`` path -> :class:`DecPOMDPEnv`. Normal-form names win over the Dec-POMDP catalog's
one-step copies of the same games.

Simulators outside this package (imported only when named): ``"pettingzoo(package.module:factory,
key=value, ...)"`` -> :class:`~games.envs.pettingzoo_env.PettingZooEnv` over any PettingZoo
ParallelEnv (the keys ``episode_limit`` and ``team_reward`` are the adapter's, the others go to the
factory); a callable instead of a name is such a factory; ``"mamujoco(scenario=Ant, conf=2x4,
agent_obsk=0)"`` -> Multi-Agent MuJoCo (:mod:`games.envs.mamujoco`, the ``mujoco`` extra);
``"smax(map=3m)"`` -> JaxMARL's SMAX (:mod:`games.envs.smax`, the ``smax`` extra).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from games.dec_pomdp.catalog import DPOMDP_CATALOG, make_dpomdp
from games.envs.base import BatchedEnv, NumpyEnv, TimeStep
from games.envs.continuous import QuadraticCoordinationEnv
from games.envs.dec_pomdp_env import DecPOMDPEnv
from games.envs.matrix import MatrixGameEnv
from games.envs.predator_prey import PredatorPreyConfig, PredatorPreyEnv
from games.errors import GameError
from games.loading import DPOMDP_SUFFIXES, load_dpomdp
from games.normal_form.catalog import CATALOG, make_game
from games.spec import coerce_params, parse_call, parse_spec, unknown_name_error

__all__ = [
    "BatchedEnv",
    "DecPOMDPEnv",
    "MatrixGameEnv",
    "NumpyEnv",
    "ParallelEnvAdapter",
    "PettingZooEnv",
    "PredatorPreyConfig",
    "PredatorPreyEnv",
    "QuadraticCoordinationEnv",
    "TimeStep",
    "env_names",
    "make_env",
]

ALIASES = {"bridge": "bridge_crossing"}
"""Environment names that stand for a Dec-POMDP catalog name."""

PREDATOR_PREY = {"predator-prey": PredatorPreyConfig, "predator-prey-small": PredatorPreyConfig.small}
"""Predator-prey presets: a name and the factory of its :class:`PredatorPreyConfig`."""


CONTINUOUS = {"quadratic-coordination": QuadraticCoordinationEnv}
"""Built-in continuous-action tasks (numpy): a name and the class, parameters = keyword defaults."""

EXTERNAL = ("pettingzoo", "mamujoco", "smax")
"""Names of the simulators outside this package (their modules import only when named)."""


def env_names() -> list[str]:
    """The names ``make_env`` accepts (besides parameters and .dpomdp paths)."""
    return [*PREDATOR_PREY, *CONTINUOUS, *ALIASES, *CATALOG,
            *(n for n in DPOMDP_CATALOG if n not in CATALOG), *EXTERNAL]


def _external(base: str, target: str | None, params: dict[str, Any], num_envs: int,
              seed: int | None) -> BatchedEnv:
    """``pettingzoo(pkg.mod:factory, ...)`` or ``mamujoco(...)``."""
    if base == "pettingzoo":
        from games.envs.pettingzoo_env import PettingZooEnv, load_factory

        if target is None:
            raise GameError("pettingzoo(...) needs the factory first: "
                            "pettingzoo(package.module:factory, k=v)")
        own = {k: params.pop(k) for k in ("episode_limit", "team_reward", "workers") if k in params}
        return PettingZooEnv(load_factory(target), num_envs, seed, kwargs=params, **own)  # type: ignore[arg-type]
    if target is not None:
        raise GameError(f"{base!r} takes no positional {target!r}; parameters are key=value")
    if base == "smax":
        from games.envs.smax import SMAXEnv

        return SMAXEnv(num_envs, seed, **{k: (str(v) if k == "map" else v) for k, v in params.items()})
    from games.envs.mamujoco import make_mamujoco

    return make_mamujoco(params, num_envs, seed)


def _predator_prey_config(name: str, params: dict[str, object]) -> PredatorPreyConfig:
    """``predator-prey[-small](key=value, ...)``: the preset with typed overrides of its fields."""
    cfg = PREDATOR_PREY[name]()
    defaults = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)}
    return dataclasses.replace(cfg, **coerce_params(params, defaults, name))


def make_env(name: str | Callable[..., Any], num_envs: int, seed: int | None = None, *,
             horizon: int | None = None) -> BatchedEnv:
    """Build the environment ``name`` with ``num_envs`` copies (see the module docstring).

    Names follow the one grammar of :mod:`games.spec`. ``horizon`` resolves a Dec-POMDP's horizon
    by :meth:`~games.dec_pomdp.model.DecPOMDP.resolve_horizon` (MADP ``.dpomdp`` files carry none,
    so they need it); matrix games and predator-prey ignore it.
    """
    if callable(name):  # a PettingZoo ParallelEnv factory
        from games.envs.pettingzoo_env import PettingZooEnv

        return PettingZooEnv(name, num_envs, seed)
    if not isinstance(name, str):
        raise GameError(f"environment name must be a string, got {name!r}")
    if name.endswith(DPOMDP_SUFFIXES):
        return DecPOMDPEnv(load_dpomdp(name), num_envs, horizon, seed=seed)
    base, target, params = parse_call(name)
    if base in EXTERNAL:
        return _external(base, target, params, num_envs, seed)
    if target is not None and base in env_names():
        parse_spec(name)  # the typed error for a positional argument
    if base in PREDATOR_PREY:
        return PredatorPreyEnv(_predator_prey_config(base, params), num_envs, seed)
    if base in CONTINUOUS:
        cls = CONTINUOUS[base]
        defaults = {"agents": 2, "dim": 2, "target": 0.5, "coupling": 1.0}
        return cls(num_envs, seed, **coerce_params(params, defaults, base))  # type: ignore[arg-type]
    if base in CATALOG:
        return MatrixGameEnv(make_game(base, **params), num_envs, seed)
    if base in ALIASES or base in DPOMDP_CATALOG:
        return DecPOMDPEnv(make_dpomdp(ALIASES.get(base, base), **params), num_envs, horizon, seed=seed)
    names = env_names()
    raise unknown_name_error(base, names, "environment",
                             f"choices: {', '.join(names)}, or a .dpomdp[.gz] file")


def __getattr__(name: str) -> Any:
    if name == "ParallelEnvAdapter":
        from games.envs.pettingzoo_adapter import ParallelEnvAdapter

        return ParallelEnvAdapter
    if name == "PettingZooEnv":
        from games.envs.pettingzoo_env import PettingZooEnv

        return PettingZooEnv
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
