"""Grids of training runs — algorithms × environments × seeds — executed on Ray.

Every run is an ordinary run directory ``OUT/<env>/<algo>/seed_<s>`` of
:func:`learners.neural.trainer.train`. Running the same sweep again skips the finished runs and
resumes the others from their checkpoints (exact resume), so a sweep survives the loss of its
driver or of a worker: re-run the command. A failing run is reported with its error and does not
stop the others. Ray (the ``sweep`` extra) starts locally with one worker per core, or joins an
existing cluster given its address.

Usage::

    cfgs = plan_sweep(["mappo", "agentmixer"], ["climbing", "bridge"], [0, 1, 2], "sweeps/grid",
                      steps=20_000)
    results = run_sweep(cfgs)          # [{"run_dir": ..., "status": "finished", ...}, ...]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from learners.neural.checkpoint import CHECKPOINT_NAME, load_checkpoint
from learners.neural.config_io import to_dict
from learners.neural.errors import ConfigError
from learners.neural.train_config import TrainConfig, make_config

__all__ = ["plan_sweep", "run_one", "run_status", "run_sweep"]

RETRIES = 2
"""Times Ray re-runs a run whose worker died; the re-run resumes from the run's checkpoint."""


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "env"


def plan_sweep(algos: Sequence[str], envs: Sequence[str], seeds: Sequence[int], out: str | Path, *,
               steps: int | None = None, sets: Sequence[str] = ()) -> list[TrainConfig]:
    """One validated :class:`TrainConfig` per (environment, algorithm, seed), in that order.

    ``sets`` are ``key=value`` overrides as for ``agentmixer train --set``, applied to every run.
    Every config is built here, so a bad name or setting fails before anything runs.
    """
    for what, items in (("algorithms", algos), ("environments", envs), ("seeds", seeds)):
        if not items:
            raise ConfigError(f"a sweep needs at least one of its {what}")
        if len(set(items)) != len(items):
            raise ConfigError(f"{what} listed twice: {list(items)}")
    base = Path(out)
    cfgs = []
    for env in envs:
        for algo in algos:
            for seed in seeds:
                data: dict[str, Any] = {"algo": algo, "env": env, "seed": seed, "progress": False,
                                        "out": str(base / _slug(env) / algo / f"seed_{seed}")}
                if steps is not None:
                    data["total_steps"] = steps
                cfgs.append(make_config(data, list(sets)))
    return cfgs


def run_status(cfg: TrainConfig) -> str:
    """``"finished"`` (its checkpoint is at the last update), ``"partial"`` (a checkpoint before
    the end) or ``"new"`` (no checkpoint)."""
    path = cfg.run_dir / CHECKPOINT_NAME
    if not path.is_file():
        return "new"
    return "finished" if load_checkpoint(path)["update"] >= cfg.num_updates else "partial"


def run_one(cfg_data: dict[str, Any]) -> dict[str, Any]:
    """Train one run of a sweep to its end (skipping it when finished, resuming it when partial);
    errors are returned, not raised, so one failing run never stops a sweep."""
    from learners.neural.trainer import train

    cfg = make_config(cfg_data)
    out: dict[str, Any] = {"run_dir": str(cfg.run_dir), "algo": cfg.algo, "env": cfg.env, "seed": cfg.seed}
    try:
        status = run_status(cfg)
        if status == "finished":
            return {**out, "status": "skipped"}
        result = train(cfg, resume=status == "partial")
        last = result.last_eval
        return {**out, "status": "resumed" if status == "partial" else "finished",
                "updates": result.updates, "deterministic_return": last.get("deterministic")}
    except Exception as exc:  # a failing run is reported; the sweep goes on
        return {**out, "status": "failed", "error": f"{type(exc).__name__}: {exc}"}


def run_sweep(cfgs: Sequence[TrainConfig], *, address: str | None = None, num_cpus: int | None = None,
              progress: bool = True) -> list[dict[str, Any]]:
    """Run every config on Ray (local unless ``address``) and return one result per run, in order.

    ``num_cpus`` caps the local instance (default: every core); each run takes one CPU.
    """
    try:
        import ray
    except ImportError:
        raise ConfigError("sweeps need Ray: pip install 'agentmixer[sweep]'") from None
    from tqdm import tqdm

    started = not ray.is_initialized()
    if started:
        ray.init(address=address, num_cpus=None if address else num_cpus, include_dashboard=False,
                 log_to_driver=False, configure_logging=False)
    try:
        remote = ray.remote(num_cpus=1, max_retries=RETRIES)(run_one)
        pending = {remote.remote(to_dict(cfg)): k for k, cfg in enumerate(cfgs)}
        results: list[dict[str, Any] | None] = [None] * len(cfgs)
        with tqdm(total=len(cfgs), unit="run", disable=None if progress else True) as bar:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                k = pending.pop(done[0])
                try:
                    results[k] = ray.get(done[0])
                except Exception as exc:  # the worker died more often than RETRIES
                    cfg = cfgs[k]
                    results[k] = {"run_dir": str(cfg.run_dir), "algo": cfg.algo, "env": cfg.env,
                                  "seed": cfg.seed, "status": "failed",
                                  "error": f"{type(exc).__name__}: {exc}".splitlines()[0]}
                bar.set_postfix_str(f"{results[k]['status']}: {results[k]['run_dir']}", refresh=False)
                bar.update(1)
    finally:
        if started:
            ray.shutdown()
    return [r for r in results if r is not None]
