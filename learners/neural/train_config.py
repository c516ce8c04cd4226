"""The typed configuration of a training run: :class:`TrainConfig` holds the run settings and
the algorithm's own typed config (which knows its algorithm class); ``config.yaml`` round-trips it
through :func:`make_config` and :func:`~learners.neural.config_io.to_dict`.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from learners.neural.algorithms import AlgorithmConfig, algorithm_class, make_algo_config
from learners.neural.config_io import apply_override, from_dict
from learners.neural.errors import ConfigError

__all__ = ["TrainConfig", "load_run_config", "make_config", "package_version"]


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run.

    Attributes:
        algo: registered algorithm name (``agentmixer``, ``mappo``, ``ail``, ``happo``, ``mat``,
            ``mat_dec``, ``magpo``, ``armappo``, ``qmix``, ``maven``).
        env: :func:`games.envs.make_env` name or ``.dpomdp`` path.
        seed: seeds python, numpy, torch and the environments.
        total_steps: environment transitions summed over copies (rounded up to whole rollouts).
        num_envs: B, parallel copies.
        rollout_len: T, steps per copy per update.
        eval_every: evaluate every this many updates (and after the last); 0: only after the last.
        eval_episodes: episodes per evaluation (= copies of the evaluation environment).
        checkpoint_every: checkpoint every this many updates (and after the last).
        out: the run directory ("" -> ``runs/<algo>_<env>_s<seed>``).
        horizon: episode horizon for Dec-POMDPs that set none (``.dpomdp`` files).
        progress: show the one-line progress display on stderr.
        tensorboard: also log to TensorBoard.
        wandb: also log to Weights & Biases (``pip install wandb``; offline unless ``WANDB_MODE``
            says otherwise).
        threads: ``torch.set_num_threads`` for the run (0: leave torch's default). One thread is
            the fastest for these small networks (multi-threaded tiny matmuls are dominated by
            synchronisation) and keeps CPU results reproducible.
        algo_config: the algorithm's own typed config (:class:`~learners.neural.algorithms.
            AlgorithmConfig` of ``algo``; ``None``: its defaults). It knows its algorithm class.
    """

    algo: str = "agentmixer"
    env: str = "climbing"
    seed: int = 0
    total_steps: int = 50_000
    num_envs: int = 64
    rollout_len: int = 8
    eval_every: int = 10
    eval_episodes: int = 32
    checkpoint_every: int = 10
    out: str = ""
    horizon: int | None = None
    progress: bool = False
    tensorboard: bool = True
    wandb: bool = False
    threads: int = 1
    algo_config: AlgorithmConfig | None = None

    def __post_init__(self) -> None:
        for name in ("total_steps", "num_envs", "rollout_len", "eval_episodes", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.eval_every < 0 or self.threads < 0:
            raise ConfigError(f"eval_every and threads must be >= 0, got {self.eval_every}, {self.threads}")
        cls = algorithm_class(self.algo).config_class
        if self.algo_config is None:
            object.__setattr__(self, "algo_config", cls())
        elif type(self.algo_config) is not cls:
            raise ConfigError(f"algo_config of {self.algo!r} must be a {cls.__name__}, got "
                              f"{type(self.algo_config).__name__}")

    @property
    def run_dir(self) -> Path:
        if self.out:
            return Path(self.out)
        name = f"{self.algo}_{Path(self.env).name}_s{self.seed}"
        return Path("runs") / re.sub(r"[^A-Za-z0-9_.-]+", "-", name)

    @property
    def num_updates(self) -> int:
        return math.ceil(self.total_steps / (self.num_envs * self.rollout_len))


def make_config(data: dict[str, Any] | None = None,
                overrides: list[str] | tuple[str, ...] = ()) -> TrainConfig:
    """A validated :class:`TrainConfig` from a mapping (e.g. YAML) and ``key=value`` overrides.

    Override keys are TrainConfig fields, ``algo_config.<field>[.<sub>]``, or a bare field of the
    algorithm's config (``lr=1e-3`` means ``algo_config.lr=1e-3``). Unknown keys raise ConfigError.
    """
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"a training config must be a mapping of settings, got {data!r}")
    data = dict(data or {})
    algo_data = data.get("algo_config")
    if algo_data is not None and not isinstance(algo_data, dict):
        raise ConfigError(f"algo_config must be a mapping of algorithm settings, got {algo_data!r}")
    data["algo_config"] = dict(algo_data or {})
    top = {f.name for f in dataclasses.fields(TrainConfig)}
    for assignment in overrides:
        key = assignment.split("=", 1)[0].strip()
        head = key.split(".")[0]
        if head not in top:
            algo = data.get("algo", TrainConfig.algo)
            algo_fields = {f.name for f in dataclasses.fields(algorithm_class(algo).config_class)}
            if head not in algo_fields:
                raise ConfigError(f"unknown config key {key!r}: neither a train setting nor a field "
                                  f"of the {algo} config (see config.yaml of a run)")
            assignment = "algo_config." + assignment.strip()
        apply_override(data, assignment)
    algo_data = data.pop("algo_config")
    cfg = from_dict(TrainConfig, data)
    return dataclasses.replace(cfg, algo_config=make_algo_config(cfg.algo, algo_data))


def package_version() -> str:
    """``agentmixer.__version__`` (read from the installed metadata: learners never import agentmixer)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("agentmixer")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0+unknown"


def load_run_config(run_dir: str | Path) -> TrainConfig:
    """The :class:`TrainConfig` saved in ``run_dir/config.yaml``."""
    path = Path(run_dir) / "config.yaml"
    if not path.is_file():
        raise ConfigError(f"{str(run_dir)!r} is not a run directory (no config.yaml)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})".replace("\n", " ")) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} holds no mapping of settings (got {data!r})")
    data.pop("agentmixer_version", None)
    return make_config(data)
