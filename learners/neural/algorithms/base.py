"""The interface every neural training algorithm implements and the algorithm registry (the
extension point: a new file that defines a config dataclass and a subclass decorated with
:func:`register`). The PPO update most algorithms share is in :mod:`learners.neural.algorithms.ppo`.

An algorithm keeps a per-copy *carry* (a dict of tensors with leading axis B, e.g. the actors'
GRU state ``"hidden"`` or the AgentMixer episode seed ``"omega"``) that the trainer threads from
step to step and checkpoints; ``starts`` (B,) marks copies whose episode begins at this step.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from games.envs import BatchedEnv
from games.errors import ConfigError
from learners.neural.actors import ActorOutput, Actors, policy_dist
from learners.neural.buffer import Rollout

__all__ = [
    "ADAM_EPS",
    "ALGORITHMS",
    "Algorithm",
    "AlgorithmConfig",
    "EnvSpec",
    "NonFiniteError",
    "StepOutput",
    "adam",
    "clip_grad_norm",
    "policy_dist",
    "register",
    "run_actors",
    "seed_all",
]

ADAM_EPS = 1e-5
"""Adam's ε for every neural learner (the MAPPO / CleanRL PPO setting; PyTorch's default is 1e-8)."""


def adam(params: Any, lr: float) -> torch.optim.Adam:
    """The Adam of every neural learner: ε = :data:`ADAM_EPS`, one fused kernel over all
    parameters (on CPU 5x faster than PyTorch's default per-parameter loop, which dominated the
    optimiser step of these small networks)."""
    return torch.optim.Adam(params, lr=lr, eps=ADAM_EPS, fused=True)


def clip_grad_norm(params: Any, max_norm: float) -> Tensor:
    """Global gradient-norm clipping (``nn.utils.clip_grad_norm_``, all norms in one batched
    kernel); returns the norm before clipping."""
    return nn.utils.clip_grad_norm_(params, max_norm, foreach=True)

class NonFiniteError(ArithmeticError):
    """Raised by an update that met a NaN / inf loss or gradient (the trainer turns it into
    :class:`~learners.neural.errors.TrainingDiverged`)."""


@dataclass(frozen=True)
class EnvSpec:
    """What an algorithm needs to know about a :class:`~games.envs.BatchedEnv`."""

    num_agents: int
    obs_dim: int
    state_dim: int
    num_actions: tuple[int, ...]
    episode_limit: int
    action_dim: int = 0
    """Continuous actions: the dimension d of each agent's action (0: discrete ``num_actions``)."""
    has_action_masks: bool = False
    action_low: tuple[tuple[float, ...], ...] = ()
    action_high: tuple[tuple[float, ...], ...] = ()
    """Continuous actions: the (N, d) box (the actors keep their means inside it)."""

    @property
    def continuous(self) -> bool:
        return self.action_dim > 0

    @classmethod
    def from_env(cls, env: BatchedEnv) -> EnvSpec:
        d = int(getattr(env, "action_dim", 0))
        box = [tuple(tuple(float(x) for x in row) for row in b) for b in (env.action_low, env.action_high)] \
            if d else [(), ()]
        return cls(int(env.num_agents), int(env.obs_dim), int(env.state_dim),
                   tuple(int(a) for a in env.num_actions), int(env.episode_limit), d,
                   bool(getattr(env, "has_action_masks", False)), box[0], box[1])

    def actor_actions(self) -> dict[str, Any]:
        """The keywords that size :class:`~learners.neural.actors.Actors`' output (and bound its means)."""
        if not self.continuous:
            return {"action_counts": self.num_actions}
        return {"action_dim": self.action_dim,
                "action_bounds": (self.action_low, self.action_high) if self.action_low else None}


@dataclass(frozen=True, eq=False)
class StepOutput:
    """What :meth:`Algorithm.act` returns for one step of B copies.

    Attributes:
        actions: (B, N) long, or (B, N, d) float (continuous; unbounded Gaussian samples, the
            environment clips them to its box).
        log_prob: (B, N) per-agent log-probabilities (densities) under the acting policy.
        value: (B,) V(s), denormalised.
        carry: the new per-copy carry.
        extras: (B, ...) tensors to store in :attr:`Rollout.extras`.
    """

    actions: Tensor
    log_prob: Tensor
    value: Tensor
    carry: dict[str, Tensor]
    extras: dict[str, Tensor] = field(default_factory=dict)


def run_actors(actors: Actors, obs: Tensor, hidden0: Tensor, starts: Tensor,
               avail: Tensor | None = None) -> ActorOutput:
    """The actors' outputs over a (T, B) sequence, resetting the hidden state at episode starts
    (``avail`` (T, B, N, A_max): the action masks of every step, or None)."""
    if not actors.config.recurrent:
        out, _ = actors(obs, avail=avail)
        return out
    out, _ = actors.unroll(obs, hidden0, avail=avail, reset=starts)
    return out


@dataclass(frozen=True)
class AlgorithmConfig:
    """Base of every algorithm's typed config. A config knows its algorithm (as BenchMARL's
    ``AlgorithmConfig`` does): :func:`register` binds the two, so the config alone builds the
    learner (:meth:`build`) and is what the trainer holds and ``config.yaml`` round-trips."""

    algorithm_name: ClassVar[str] = ""

    @classmethod
    def associated_class(cls) -> type[Algorithm]:
        """The :class:`Algorithm` this config configures."""
        if cls.algorithm_name not in ALGORITHMS:
            raise ConfigError(f"{cls.__name__} is bound to no registered algorithm")
        return ALGORITHMS[cls.algorithm_name]

    def build(self, spec: EnvSpec) -> Algorithm:
        """The algorithm for an environment of shape ``spec``, configured by this config."""
        return self.associated_class()(spec, self)


class Algorithm(abc.ABC):
    """A CTDE learner: acts during collection, updates from a :class:`Rollout`, and executes
    decentrally (the individual actors ``self.actors`` alone) for evaluation."""

    name: ClassVar[str] = ""
    config_class: ClassVar[type[AlgorithmConfig]] = AlgorithmConfig
    executes_centrally: ClassVar[bool] = False
    """True when test-time execution needs every agent's observation (and the earlier agents'
    actions), as MAT's decoder and ARMAPPO do; evaluation output then says so."""
    supports_continuous: ClassVar[bool] = False
    """The algorithm trains on continuous (Box) actions; the trainer refuses such an env otherwise."""
    supports_action_masks: ClassVar[bool] = False
    """``act`` takes ``avail=`` and honours it; the trainer refuses masked envs otherwise."""
    actors: Actors

    def __init__(self, spec: EnvSpec, config: Any) -> None:
        self.spec = spec
        self.config = config
        self.progress = 0.0

    # -------------------------------------------------------------- collection
    def initial_carry(self, num_envs: int) -> dict[str, Tensor]:
        """The carry at the start of training (B copies)."""
        return {"hidden": self.actors.initial_hidden(num_envs)}

    def begin_rollout(self, progress: float) -> None:
        """Called before each collection with the fraction of training done (for schedules)."""
        self.progress = float(progress)

    @abc.abstractmethod
    def act(self, obs: Tensor, state: Tensor, carry: dict[str, Tensor], starts: Tensor) -> StepOutput:
        """Sample the behaviour policy's joint action (no gradients). Algorithms with
        ``supports_action_masks`` also take ``avail`` (B, N, A_max) bool (None: no masks)."""

    @abc.abstractmethod
    def value(self, state: Tensor) -> Tensor:
        """V(s) denormalised, (B,), for bootstrapping the last step of a rollout."""

    def bootstrap_value(self, obs: Tensor, state: Tensor) -> Tensor:
        """The value that bootstraps a rollout's last step, (B,); default V(s). Critics of the
        observations (MAT's encoder) override it."""
        return self.value(state)

    def episode_start(self, state: Tensor, deterministic: bool,
                      generator: torch.Generator | None = None) -> Tensor | None:
        """The execution carry at an episode start (``None``: the actors' initial state). MAVEN
        draws its episode latent here from the initial state."""
        return None

    def tabulate(self, model: Any, horizon: int, deterministic: bool) -> Any:
        """The executed policy on a Dec-POMDP ``model`` as an exact table
        (:func:`~learners.neural.exact_eval.tabulate_actors`); ``None`` when it is not a
        decentralized table (centralized execution, recurrent actors)."""
        if self.executes_centrally or self.actors.config.recurrent:
            return None
        from learners.neural.exact_eval import tabulate_actors

        return tabulate_actors(self.actors, model, horizon, deterministic)

    @torch.no_grad()
    def act_decentralized(self, obs: Tensor, hidden: Tensor | None, deterministic: bool,
                          generator: torch.Generator | None = None,
                          avail: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Execution: each agent's action from its own observation (history) only; (B, N) (or
        (B, N, d) continuous), hidden.

        ``deterministic`` takes each actor's argmax (first maximum) or mean; else samples with
        ``generator``. ``avail`` masks discrete actions.
        """
        out, hidden = self.actors(obs, hidden, avail)
        if out.logits is None:
            assert out.mean is not None and out.log_std is not None
            if deterministic:
                return out.mean, hidden
            noise = torch.randn(out.mean.shape, generator=generator, dtype=out.mean.dtype)
            return out.mean + out.log_std.exp() * noise, hidden
        if deterministic:
            return out.logits.argmax(dim=-1), hidden
        probs = torch.softmax(out.logits, dim=-1)
        flat = probs.reshape(-1, probs.shape[-1])
        actions = torch.multinomial(flat, 1, generator=generator).reshape(probs.shape[:-1])
        return actions, hidden

    # -------------------------------------------------------------- learning
    @abc.abstractmethod
    def update(self, batch: Rollout) -> dict[str, float]:
        """Learn from one rollout; returns scalar metrics. Raises :class:`NonFiniteError`."""

    # -------------------------------------------------------------- persistence
    modules: nn.ModuleDict
    optimizers: dict[str, torch.optim.Optimizer]

    def state_dict(self) -> dict[str, Any]:
        """Parameters, buffers (value normaliser) and optimizer states."""
        return {"modules": self.modules.state_dict(),
                "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
                "progress": self.progress}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.modules.load_state_dict(state["modules"])
        for k, o in self.optimizers.items():
            o.load_state_dict(state["optimizers"][k])
        self.progress = float(state.get("progress", 0.0))

    def non_finite_parameters(self) -> list[str]:
        """Names of parameters or buffers holding NaN / inf (empty when all are finite)."""
        named = [*self.modules.named_parameters(), *self.modules.named_buffers()]
        return [n for n, p in named if p.is_floating_point() and not bool(torch.isfinite(p).all())]


ALGORITHMS: dict[str, type[Algorithm]] = {}
"""name -> Algorithm subclass; filled by :func:`register` when the algorithm modules import."""


def register(cls: type[Algorithm]) -> type[Algorithm]:
    """Class decorator adding ``cls`` to :data:`ALGORITHMS` under ``cls.name`` and binding its
    ``config_class`` to it (one config class per algorithm)."""
    if not cls.name or (cls.name in ALGORITHMS and ALGORITHMS[cls.name] is not cls):
        raise ConfigError(f"algorithm name {cls.name!r} is empty or taken")
    bound = cls.config_class.__dict__.get("algorithm_name")
    if cls.config_class is AlgorithmConfig or bound not in (None, cls.name):
        raise ConfigError(f"{cls.__name__} needs a config class of its own, not "
                          f"{cls.config_class.__name__}")
    cls.config_class.algorithm_name = cls.name
    ALGORITHMS[cls.name] = cls
    return cls


def seed_all(seed: int) -> None:
    """Seed python ``random``, numpy's global generator and torch."""
    import random

    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - the global stream is checkpointed too
    torch.manual_seed(seed)
