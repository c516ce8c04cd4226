"""One training loop for every neural CTDE algorithm (:mod:`learners.neural.algorithms`):
collect T steps x B copies -> update -> evaluate decentrally -> log -> checkpoint.

CTDE as in AgentMixer (Li, Zhao, Wu & Pajarinen, AAAI 2025) and MAPPO (Yu et al. NeurIPS 2022):
collection may use the state and the centralized parts of the learner; **evaluation executes
decentrally** (:mod:`learners.neural.evaluate`: the individual actors alone, deterministic and
sampled) on a separate evaluation environment with its own seed. A run directory holds
``config.yaml`` (the resolved config and the package version), ``metrics.csv``, TensorBoard events
and ``checkpoint.pt`` (:mod:`learners.neural.checkpoint`). Resuming from a checkpoint continues
bit for bit on CPU. A NaN / inf loss, gradient or parameter raises
:class:`~learners.neural.errors.TrainingDiverged` before anything is checkpointed, so the last good
checkpoint survives.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from games.envs import BatchedEnv, TimeStep, make_env
from learners.neural.algorithms import Algorithm, EnvSpec
from learners.neural.algorithms.base import NonFiniteError, seed_all
from learners.neural.buffer import Rollout
from learners.neural.checkpoint import (
    CHECKPOINT_NAME,
    atomic_write_text,
    capture_rng,
    load_checkpoint,
    restore_rng,
    save_checkpoint,
)
from learners.neural.config_io import to_dict
from learners.neural.errors import ConfigError, TrainingDiverged
from learners.neural.evaluate import EVAL_SEED_OFFSET, evaluate_decentralized, to_tensor
from learners.neural.run_log import (
    EpisodeLog,
    MetricsLog,
    Progress,
    format_progress,
    open_tensorboard,
    open_wandb,
)
from learners.neural.train_config import TrainConfig, load_run_config, make_config, package_version

__all__ = ["TrainConfig", "TrainResult", "collect", "load_run_config", "make_config", "package_version",
           "train"]  # the config names are re-exported from learners.neural.train_config


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` returns: the run directory, counters and every metrics row."""

    run_dir: Path
    updates: int
    env_steps: int
    rows: list[dict[str, Any]]

    @property
    def last_eval(self) -> dict[str, float]:
        for row in reversed(self.rows):
            if not math.isnan(row["eval/deterministic_return"]):
                return {"deterministic": row["eval/deterministic_return"],
                        "sampled": row["eval/sampled_return"]}
        return {}


def _position(ts: TimeStep, carry: dict[str, torch.Tensor], starts: torch.Tensor) -> dict[str, Any]:
    pos = {"obs": to_tensor(ts.obs), "state": to_tensor(ts.state), "carry": carry, "starts": starts}
    if ts.avail is not None:
        pos["avail"] = torch.from_numpy(np.array(ts.avail, dtype=bool))
    return pos


def collect(env: BatchedEnv, algo: Algorithm, pos: dict[str, Any], steps: int,
            wins: list[bool] | None = None) -> tuple[Rollout, list[float]]:
    """Run ``steps`` steps in every copy from the rollout position ``pos`` (updated in place).

    ``wins`` (for environments that report ``last_won``, e.g. SMAX) receives one flag per
    finished episode.

    Truncated transitions of environments that report the final state get γ V(s_final) added to
    their reward (the time-limit bootstrap, :mod:`learners.neural.buffer`).
    """
    carry0 = pos["carry"]
    keys = ("obs", "state", "actions", "log_prob", "rewards", "dones", "starts", "values")
    buf: dict[str, list[torch.Tensor]] = {k: [] for k in keys}
    masks: list[torch.Tensor] = []
    extras: dict[str, list[torch.Tensor]] = {}
    finished: list[float] = []
    gamma = float(getattr(algo.config, "gamma", 1.0))
    for _ in range(steps):
        avail = pos.get("avail")
        if avail is not None:
            masks.append(avail)
            out = algo.act(pos["obs"], pos["state"], pos["carry"], pos["starts"], avail=avail)  # type: ignore[call-arg]
        else:
            out = algo.act(pos["obs"], pos["state"], pos["carry"], pos["starts"])
        ts = env.step(out.actions.numpy())
        reward = torch.from_numpy(np.array(ts.reward, dtype=np.float32))
        if ts.final_state is not None and ts.truncated.any():
            cut = torch.from_numpy(np.array(ts.truncated, dtype=bool))
            reward[cut] += gamma * algo.value(to_tensor(ts.final_state[ts.truncated]))
        for k, v in (("obs", pos["obs"]), ("state", pos["state"]), ("actions", out.actions),
                     ("log_prob", out.log_prob), ("starts", pos["starts"]), ("values", out.value),
                     ("rewards", reward), ("dones", torch.from_numpy(np.array(ts.done, dtype=bool)))):
            buf[k].append(v)
        for k, v in out.extras.items():
            extras.setdefault(k, []).append(v)
        finished += ts.episode_return[ts.done].tolist()
        if wins is not None and getattr(env, "last_won", None) is not None:
            wins += env.last_won[ts.done].tolist()  # type: ignore[attr-defined]
        pos.update(_position(ts, out.carry, buf["dones"][-1]))
    stacked = {k: torch.stack(v) for k, v in buf.items()}
    batch = Rollout(**stacked, last_value=algo.bootstrap_value(pos["obs"], pos["state"]), carry0=carry0,
                    extras={k: torch.stack(v) for k, v in extras.items()},
                    avail=torch.stack(masks) if masks else None)
    return batch, finished


def _check_support(env: BatchedEnv, algo: Algorithm) -> None:
    """ConfigError when the environment needs what the algorithm does not do."""
    if env.action_dim > 0 and not algo.supports_continuous:
        raise ConfigError(f"{algo.name} does not train on continuous actions")
    if env.has_action_masks and not algo.supports_action_masks:
        raise ConfigError(f"{algo.name} does not honour action masks, which this environment has")


def _check_finite(algo: Algorithm, metrics: dict[str, float]) -> str | None:
    bad = [k for k, v in metrics.items() if not math.isfinite(v)]
    if bad:
        return f"non-finite metrics {bad}"
    params = algo.non_finite_parameters()
    return f"non-finite parameters {params[:5]}" if params else None


RESUMABLE_CHANGES = ("total_steps", "progress", "tensorboard", "wandb", "out")
"""The only settings a resumed run may change: the others shape the trajectory, so changing them
would silently continue a different run than the one the checkpoint and config.yaml describe."""


def _resume_checkpoint(cfg: TrainConfig, path: Path) -> dict[str, Any]:
    """The checkpoint to resume from, after checking that ``cfg`` is the run it was saved from."""
    if not path.is_file():
        raise ConfigError(f"nothing to resume: {str(path)!r} does not exist")
    ck = load_checkpoint(path)
    saved, wanted = ck["config"], to_dict(cfg)
    changed = sorted(k for k in set(saved) | set(wanted)
                     if k not in RESUMABLE_CHANGES and saved.get(k) != wanted.get(k))
    if changed:
        diffs = ", ".join(f"{k}: {saved.get(k)!r} -> {wanted.get(k)!r}" for k in changed)
        raise ConfigError(f"cannot resume {str(path.parent)!r} with a different config ({diffs}); only "
                          f"{', '.join(RESUMABLE_CHANGES)} may change")
    return ck


def train(cfg: TrainConfig, resume: bool = False, max_updates: int | None = None) -> TrainResult:
    """Train ``cfg`` (or continue its run directory's checkpoint with ``resume``).

    ``max_updates`` stops this call after that many updates (writing a checkpoint), as if killed
    and checkpointed there; a later ``resume`` continues the same run.
    """
    run_dir = cfg.run_dir
    ckpt_path = run_dir / CHECKPOINT_NAME
    ck = _resume_checkpoint(cfg, ckpt_path) if resume else None
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    seed_all(cfg.seed)
    env = make_env(cfg.env, cfg.num_envs, seed=cfg.seed, horizon=cfg.horizon)
    eval_env = make_env(cfg.env, cfg.eval_episodes, seed=cfg.seed + EVAL_SEED_OFFSET, horizon=cfg.horizon)
    eval_env.follow(env)  # normalised environments evaluate with the training statistics, frozen
    assert cfg.algo_config is not None  # filled in by TrainConfig
    algo = cfg.algo_config.build(EnvSpec.from_env(env))
    _check_support(env, algo)
    run_dir.mkdir(parents=True, exist_ok=True)
    eval_gen = torch.Generator().manual_seed(cfg.seed + EVAL_SEED_OFFSET)
    pos = _position(env.current(), algo.initial_carry(cfg.num_envs),
                    torch.ones(cfg.num_envs, dtype=torch.bool))
    update, env_steps, rows = 0, 0, []
    episodes: list[dict[str, Any]] = []
    log, episode_log = MetricsLog(run_dir / "metrics.csv"), EpisodeLog(run_dir)
    if ck is not None:
        algo.load_state_dict(ck["algo"])
        env.set_state(ck["env"])
        eval_env.set_state(ck["eval_env"])
        restore_rng(ck["rng"])
        eval_gen.set_state(ck["eval_generator"])
        pos, update, env_steps, rows = ck["position"], ck["update"], ck["env_steps"], ck["rows"]
        episodes = ck.get("episodes", [])
        if not env.exact_resume:  # the simulator restarted every copy: so does the rollout position
            pos = _position(env.current(), algo.initial_carry(cfg.num_envs),
                            torch.ones(cfg.num_envs, dtype=torch.bool))
            warnings.warn(f"resume: {cfg.env} cannot save its simulator; every copy starts a new episode "
                          "(learner, optimiser, RNG streams and counters are restored exactly)", stacklevel=2)
    log.rewrite(rows)
    episode_log.write(episodes)
    atomic_write_text(run_dir / "config.yaml", yaml.safe_dump(
        {"agentmixer_version": package_version(), **to_dict(cfg)}, sort_keys=False))
    writer = open_tensorboard(run_dir, env_steps + 1) if cfg.tensorboard else None
    wandb_run = open_wandb(run_dir, to_dict(cfg)) if cfg.wandb else None
    last_good = str(ckpt_path) if ckpt_path.exists() else None

    def checkpoint() -> None:
        nonlocal last_good
        save_checkpoint(ckpt_path, {
            "config": to_dict(cfg), "update": update, "env_steps": env_steps, "algo": algo.state_dict(),
            "env": env.get_state(), "eval_env": eval_env.get_state(), "rng": capture_rng(),
            "eval_generator": eval_gen.get_state(), "position": pos, "rows": rows,
            "episodes": episodes})
        last_good = str(ckpt_path)

    total, stop_at = cfg.num_updates, cfg.num_updates if max_updates is None else update + max_updates
    progress = Progress(total, update, cfg.progress)
    det = sampled = math.nan
    start, start_steps = time.perf_counter(), env_steps
    try:
        while update < min(total, stop_at):
            # 1. collect T steps in B copies with the behaviour (training-time) policy
            algo.begin_rollout(update / total)
            wins: list[bool] = []
            batch, finished = collect(env, algo, pos, cfg.rollout_len, wins)
            env_steps += cfg.num_envs * cfg.rollout_len
            # 2. update; a NaN / inf anywhere stops the run before anything is checkpointed
            try:
                metrics = algo.update(batch)
            except NonFiniteError as exc:
                raise TrainingDiverged(str(exc), update + 1, last_good) from None
            problem = _check_finite(algo, metrics)
            if problem:
                raise TrainingDiverged(problem, update + 1, last_good)
            update += 1
            # 3. evaluate decentrally (actors alone), deterministic and sampled
            det = sampled = math.nan
            eval_wins: list[bool] = []
            if update == total or (cfg.eval_every and update % cfg.eval_every == 0):
                for mode in ("deterministic", "sampled"):
                    rec_wins: list[bool] = []
                    lengths: list[int] = []
                    mean, returns = evaluate_decentralized(algo, eval_env, mode == "deterministic", eval_gen,
                                                           rec_wins, lengths)
                    det, sampled = (mean, sampled) if mode == "deterministic" else (det, mean)
                    eval_wins = rec_wins if mode == "deterministic" else eval_wins
                    episodes.append({"update": update, "env_steps": env_steps, "mode": mode,
                                     "returns": returns.tolist(), "lengths": lengths,
                                     "won": [bool(w) for w in rec_wins] or None})
                episode_log.write(episodes)
            # 4. log (CSV holds no wall-clock values) and checkpoint
            row = {"update": update, "env_steps": env_steps,
                   "train/return": float(np.mean(finished)) if finished else math.nan,
                   **{f"train/{k}": v for k, v in metrics.items()},
                   "eval/deterministic_return": det, "eval/sampled_return": sampled}
            if getattr(env, "last_won", None) is not None:  # win rates (SMAX): training episodes, and
                row["train/win_rate"] = float(np.mean(wins)) if wins else math.nan    # greedy evaluation
                row["eval/win_rate"] = float(np.mean(eval_wins)) if eval_wins else math.nan
            rows.append(row)
            log.append(row)
            sps = (env_steps - start_steps) / max(time.perf_counter() - start, 1e-9)
            if writer is not None:  # BenchMARL / EPyMARL layout: train/ and eval/, x = environment steps
                for k, v in row.items():
                    if k not in ("update", "env_steps") and not (isinstance(v, float) and math.isnan(v)):
                        writer.add_scalar(k, v, env_steps)
                writer.add_scalar("train/steps_per_second", sps, env_steps)
            if wandb_run is not None:
                wandb_run.log({k: v for k, v in row.items() if not (isinstance(v, float) and math.isnan(v))},
                              step=env_steps)
            if update % cfg.checkpoint_every == 0 or update == total or update == stop_at:
                checkpoint()
            last = TrainResult(run_dir, update, env_steps, rows).last_eval
            progress.step(format_progress(env_steps, sps, last.get("deterministic"), last.get("sampled")))
    finally:
        env.close()  # worker processes and external simulators
        eval_env.close()
        if writer is not None:
            writer.close()
        if wandb_run is not None:
            wandb_run.finish()
        progress.close()
    return TrainResult(run_dir, update, env_steps, rows)


