"""Decentralized evaluation of a trained CTDE algorithm (AgentMixer, Li, Zhao, Wu & Pajarinen,
AAAI 2025, Sec. 4: execution uses the individual actors alone — no Policy Modifier, no state, no ω).

:func:`evaluate_decentralized` plays the first episode of every copy of an evaluation environment
(one copy per episode) with each agent acting from its own observation history through
:meth:`~learners.neural.algorithms.base.Algorithm.act_decentralized`, deterministically (argmax)
or sampled, and returns the mean undiscounted return. :func:`evaluate_run` does this for the last
checkpoint of a run directory, and on a Dec-POMDP also returns the *exact* values of the executed
policies (:mod:`learners.neural.exact_eval`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from games.dec_pomdp.evaluation import evaluate
from games.envs import BatchedEnv, DecPOMDPEnv, make_env
from games.errors import GameError
from learners.neural.algorithms import Algorithm, EnvSpec
from learners.neural.checkpoint import CHECKPOINT_NAME, load_checkpoint
from learners.neural.train_config import make_config

__all__ = ["EVAL_SEED_OFFSET", "evaluate_decentralized", "evaluate_run", "load_trained", "to_tensor"]

EVAL_SEED_OFFSET = 1_000_003
"""The evaluation environment and sampler use seed + this, apart from the training streams."""


def to_tensor(x: np.ndarray) -> torch.Tensor:
    """A float32 tensor copy of ``x`` (environment arrays may be read-only views)."""
    return torch.from_numpy(np.array(x, dtype=np.float32))


def evaluate_decentralized(algo: Algorithm, env: BatchedEnv, deterministic: bool,
                           generator: torch.Generator | None = None,
                           wins: list[bool] | None = None,
                           lengths: list[int] | None = None) -> tuple[float, np.ndarray]:
    """Mean return of the first episode of each of the ``env.num_envs`` copies, and the returns.
    ``wins`` receives each episode's win flag where the environment reports ``last_won`` (SMAX);
    ``lengths`` receives each copy's episode length (steps), in copy order.

    The environment is reset (continuing its own generator) and its first episodes are played out;
    the algorithm's actors see only the per-agent observations.
    """
    ts = env.reset()
    obs = to_tensor(ts.obs)
    avail = None if ts.avail is None else torch.from_numpy(np.array(ts.avail, dtype=bool))
    hidden = algo.episode_start(to_tensor(ts.state), deterministic, generator)
    returns = np.full(env.num_envs, np.nan)
    steps = np.zeros(env.num_envs, dtype=np.int64)
    finished = np.zeros(env.num_envs, dtype=bool)
    for k in range(env.episode_limit):
        masks = {} if avail is None else {"avail": avail}  # only masked envs need the keyword
        actions, hidden = algo.act_decentralized(obs, hidden, deterministic, generator, **masks)
        ts = env.step(actions.numpy())
        newly = ts.done & ~finished
        returns[newly] = ts.episode_return[newly]
        steps[newly] = k + 1
        if wins is not None and getattr(env, "last_won", None) is not None:
            wins += env.last_won[newly].tolist()  # type: ignore[attr-defined]
        finished |= ts.done
        if finished.all():
            break
        obs = to_tensor(ts.obs)
        avail = None if ts.avail is None else torch.from_numpy(np.array(ts.avail, dtype=bool))
    if not finished.all():  # the BatchedEnv contract: every episode ends within episode_limit steps
        raise GameError(f"{int((~finished).sum())} of {env.num_envs} evaluation episodes did not end "
                        f"within the environment's episode_limit of {env.episode_limit} steps")
    if lengths is not None:
        lengths += steps.tolist()
    return float(returns.mean()), returns


def load_trained(run_dir: str | Path) -> tuple[Algorithm, dict[str, Any]]:
    """The algorithm of ``run_dir``'s last checkpoint (parameters loaded) and the checkpoint dict."""
    ckpt = load_checkpoint(Path(run_dir) / CHECKPOINT_NAME)
    cfg = make_config(ckpt["config"])
    assert cfg.algo_config is not None  # filled in by TrainConfig
    algo = cfg.algo_config.build(EnvSpec.from_env(make_env(cfg.env, 1, seed=0, horizon=cfg.horizon)))
    algo.load_state_dict(ckpt["algo"])
    return algo, ckpt


def evaluate_run(run_dir: str | Path, episodes: int | None = None) -> dict[str, Any]:
    """Load ``run_dir``'s last checkpoint and evaluate it decentrally (deterministic and sampled)
    on a fresh evaluation environment seeded as in training."""
    run_dir = Path(run_dir)
    algo, ckpt = load_trained(run_dir)
    cfg = ckpt["config"]
    n = int(episodes if episodes is not None else cfg["eval_episodes"])
    env = make_env(cfg["env"], n, seed=cfg["seed"] + EVAL_SEED_OFFSET, horizon=cfg.get("horizon"))
    env.follow(ckpt["env"])  # normalised environments: the training statistics of the checkpoint
    generator = torch.Generator().manual_seed(cfg["seed"] + EVAL_SEED_OFFSET)
    det, det_all = evaluate_decentralized(algo, env, True, generator)
    sampled, _ = evaluate_decentralized(algo, env, False, generator)
    out = {"run_dir": str(run_dir), "algo": cfg["algo"], "env": cfg["env"], "update": ckpt["update"],
           "env_steps": ckpt["env_steps"], "episodes": n, "deterministic_return": det,
           "sampled_return": sampled, "deterministic_returns": det_all.tolist(),
           "execution": "centralized" if algo.executes_centrally else "decentralized"}
    if isinstance(env, DecPOMDPEnv):
        # a Dec-POMDP and a decentralized table (feed-forward actors): valued exactly
        for key, flag in (("exact_deterministic_return", True), ("exact_sampled_return", False)):
            table = algo.tabulate(env.model, env.episode_limit, flag)
            if table is not None:
                out[key] = evaluate(env.model, table)
    return out
