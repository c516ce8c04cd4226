"""Multi-Agent MuJoCo (MaMuJoCo; Peng et al., NeurIPS 2021, as packaged in gymnasium-robotics'
``mamujoco_v1``) behind the :class:`~games.envs.base.BatchedEnv` contract, with exact resume.

``make_env("mamujoco(scenario=Ant, conf=2x4, agent_obsk=0)")``: any scenario and agent
configuration ``mamujoco_v1.parallel_env`` offers; ``agent_obsk=0`` lets each agent see only its
own joints (the partial-observation setting of the AgentMixer paper, Li, Zhao, Wu & Pajarinen,
AAAI 2025, Fig. 3/4). The global state is the single-agent MuJoCo observation (``state()``).
Options of this adapter: ``normalize`` (default true: running mean / std of observations and
states and scaling of rewards by the running std of the discounted return,
:class:`~games.envs.normalize.NormalizedEnv`; the reported ``episode_return`` stays raw),
``gamma`` (the discount of that return, 0.99), ``episode_limit`` (default: the gymnasium time
limit, 1000) and ``workers`` (default 0: the copies step in this process; W: in W worker
processes, the same numbers); the rest go to ``parallel_env``.

Exact resume: each copy's simulator state is MuJoCo's full integration state
(``mj_getState(..., mjSTATE_INTEGRATION)``: time, qpos, qvel, act, the constraint solver's warm
start, controls, applied forces, mocap, ...), plus the kinematic quantities that ``mj_step`` leaves
one integration step behind and that the gymnasium tasks read *before* stepping (``xpos`` for
Ant's forward reward, ``xipos`` for Humanoid's centre of mass; :data:`DERIVED`), the environment's
generator and the time-limit counter. Restoring the integration state alone is not enough: the
first reward after it differed by ~1e-4 on Ant (``mj_forward`` recomputes ``xpos`` at the current
positions). With the derived fields ``set_state`` continues bit for bit (tested against an
uninterrupted run).

Needs the ``mujoco`` extra (``gymnasium-robotics==1.4.2``, ``mujoco==4.0.0``).
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import numpy as np

from games.envs.base import BatchedEnv
from games.envs.normalize import NormalizedEnv
from games.envs.pettingzoo_env import PettingZooEnv
from games.errors import ConfigError

__all__ = ["DERIVED", "MaMuJoCoEnv", "load_copy", "make_mamujoco", "save_copy"]

DERIVED = ("xpos", "xquat", "xmat", "xipos", "ximat", "subtree_com", "cinert", "cvel", "cfrc_ext",
           "cfrc_int", "qfrc_actuator", "sensordata")
"""MjData fields saved besides the integration state (computed in mj_step before integration)."""

EXTRA_HINT = "Multi-Agent MuJoCo needs the mujoco extra: pip install 'agentmixer[mujoco]'"


def _parallel_env_factory() -> Any:
    try:
        import mujoco  # noqa: F401
        from gymnasium_robotics import mamujoco_v1
    except ImportError as exc:
        raise ConfigError(f"{EXTRA_HINT} ({exc})") from None
    return mamujoco_v1.parallel_env


def _time_limit(env: Any) -> Any:
    """The gymnasium TimeLimit wrapper around the single-agent MuJoCo environment, if any."""
    inner = env.single_agent_env
    while inner is not None:
        if hasattr(inner, "_max_episode_steps") and hasattr(inner, "_elapsed_steps"):
            return inner
        inner = getattr(inner, "env", None)
    return None


def save_copy(env: Any) -> dict[str, Any]:
    """One MaMuJoCo instance's state: the integration state, :data:`DERIVED`, the generator, the
    time-limit counter and the live agents (see the module docstring)."""
    import mujoco

    sim = env.single_agent_env.unwrapped
    spec = mujoco.mjtState.mjSTATE_INTEGRATION
    state = np.empty(mujoco.mj_stateSize(sim.model, spec))
    mujoco.mj_getState(sim.model, sim.data, state, spec)
    tl = _time_limit(env)
    derived = {name: np.array(getattr(sim.data, name)) for name in DERIVED}
    rng = copy.deepcopy(sim.np_random.bit_generator.state)
    return {"mj_state": state, "derived": derived, "np_random": rng,
            "elapsed": None if tl is None else tl._elapsed_steps, "agents": list(env.agents)}


def load_copy(env: Any, saved: dict[str, Any]) -> None:
    """Restore :func:`save_copy`'s snapshot into ``env``."""
    import mujoco

    sim = env.single_agent_env.unwrapped
    spec = mujoco.mjtState.mjSTATE_INTEGRATION
    mujoco.mj_setState(sim.model, sim.data, np.asarray(saved["mj_state"]), spec)
    mujoco.mj_forward(sim.model, sim.data)
    for name, value in saved["derived"].items():
        getattr(sim.data, name)[...] = value
    sim.np_random.bit_generator.state = copy.deepcopy(saved["np_random"])
    tl = _time_limit(env)
    if tl is not None:
        tl._elapsed_steps = saved["elapsed"]
    env.agents = list(saved["agents"])


class MaMuJoCoEnv(PettingZooEnv):
    """B copies of one MaMuJoCo task; exact save / restore of every copy's MuJoCo state;
    ``workers`` > 0 steps them in that many worker processes (:mod:`games.envs.copies`)."""

    def __init__(self, num_envs: int, seed: int | None = None, *, scenario: str = "Ant",
                 conf: str = "2x4", agent_obsk: int = 0, episode_limit: int | None = None,
                 workers: int = 0, **kwargs: Any) -> None:
        factory = _parallel_env_factory()
        self.scenario, self.conf, self.agent_obsk = scenario, conf, agent_obsk
        try:
            probe = factory(scenario, conf, agent_obsk=agent_obsk, **kwargs)
        except Exception as exc:  # gymnasium-robotics raises several kinds for a bad scenario / conf
            raise ConfigError(f"mamujoco(scenario={scenario}, conf={conf}, agent_obsk={agent_obsk}): "
                              f"{type(exc).__name__}: {exc}") from None
        limit = episode_limit
        if limit is None:
            tl = _time_limit(probe)
            limit = int(tl._max_episode_steps) if tl is not None else 1000
        probe.close()
        super().__init__(functools.partial(factory, scenario, conf, agent_obsk=agent_obsk, **kwargs),
                         num_envs, seed, episode_limit=limit, workers=workers, saver=save_copy,
                         loader=load_copy)


def make_mamujoco(params: dict[str, Any], num_envs: int, seed: int | None) -> BatchedEnv:
    """``mamujoco(scenario=..., conf=..., agent_obsk=..., normalize=true, gamma=0.99, ...)``."""
    params = dict(params)
    normalize = params.pop("normalize", True)
    gamma = params.pop("gamma", 0.99)
    if not isinstance(normalize, bool):
        raise ConfigError(f"mamujoco parameter 'normalize' must be true or false, got {normalize!r}")
    if isinstance(gamma, bool) or not isinstance(gamma, int | float) or not 0.0 <= gamma <= 1.0:
        raise ConfigError(f"mamujoco parameter 'gamma' must be a number in [0, 1], got {gamma!r}")
    for key in ("scenario", "conf"):
        if key in params:
            params[key] = str(params[key])
    env = MaMuJoCoEnv(num_envs, seed, **params)
    return NormalizedEnv(env, gamma=float(gamma)) if normalize else env
