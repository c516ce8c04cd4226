"""Neural CTDE learners on the climbing game (Claus & Boutilier, AAAI 1998) vs the exact optimum.

For each seed and algorithm (AgentMixer-PPO, Li, Zhao, Wu & Pajarinen, AAAI 2025; MAPPO, Yu et
al. NeurIPS 2022; asymmetric imitation learning) this trains with :func:`learners.neural.trainer.train`
and reports the decentralized deterministic evaluation return (the actors' argmax joint action),
which joint action / equilibrium it ended in — "optimum" (a, a) = 11, "(b,b)=7", or "other" —
against the exact team optimum 11 (``max R``, also the max-welfare CE of ``agentmixer solve
climbing``), and each algorithm's training throughput in environment steps per second (wall time of
the whole loop: collection, updates, evaluation, checkpoints).

Usage: python benchmarks/neural_climbing.py [--seeds 10] [--steps 20000] [--envs 64] [--algos ...]
The default size takes a few minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from games.envs import make_env
from learners.neural.evaluate import load_trained
from learners.neural.trainer import make_config, train

SETTINGS = {
    "agentmixer": ["lr=3e-3", "modifier.token_dim=32", "modifier.channel_mlp_dim=64", "modifier.depth=1",
                   "modifier.state_hidden=[32]", "modifier.state_feature_dim=32"],
    "mappo": ["lr=3e-3"],
    "ail": ["lr=3e-3"],
}
"""Per-algorithm overrides (a smaller Policy Modifier: the climbing state is a constant)."""


def greedy_joint_action(run: Path) -> tuple[int, ...]:
    """The actors' argmax joint action of the run's last checkpoint."""
    algo, ck = load_trained(run)
    env = make_env(ck["config"]["env"], 1, seed=0)
    obs = torch.from_numpy(np.array(env.current().obs, dtype=np.float32))
    actions, _ = algo.act_decentralized(obs, None, deterministic=True)
    return tuple(int(a) for a in actions[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--envs", type=int, default=64)
    parser.add_argument("--rollout", type=int, default=4)
    parser.add_argument("--algos", default="agentmixer,mappo,ail")
    args = parser.parse_args()
    reward = make_env("climbing", 1).game.common_reward("climbing")  # type: ignore[attr-defined]
    optimum = float(reward.max())
    names = "abc"
    rows, speed = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for algo in args.algos.split(","):
            steps_total, secs_total = 0, 0.0
            for seed in range(args.seeds):
                run = Path(tmp) / f"{algo}_{seed}"
                cfg = make_config({"algo": algo, "env": "climbing", "seed": seed, "total_steps": args.steps,
                                   "num_envs": args.envs, "rollout_len": args.rollout, "eval_every": 0,
                                   "eval_episodes": 16, "checkpoint_every": 10**9, "out": str(run),
                                   "tensorboard": False}, SETTINGS.get(algo, []))
                t0 = time.perf_counter()
                result = train(cfg)
                secs_total += time.perf_counter() - t0
                steps_total += result.env_steps
                joint = greedy_joint_action(run)
                value = float(reward[joint])
                kind = "optimum" if value == optimum else "(b,b)=7" if joint == (1, 1) else "other"
                rows.append((seed, algo, result.last_eval["deterministic"],
                             "(" + ",".join(names[a] for a in joint) + ")", kind))
            speed[algo] = steps_total / secs_total
    print(f"climbing, {args.steps} env steps per run, {args.envs} envs x {args.rollout} steps per update; "
          f"exact optimum {optimum:g}\n")
    print("| seed | algo | decentralized det. return | joint action | outcome |")
    print("|---:|---|---:|---|---|")
    for seed, algo, ret, joint, kind in rows:
        print(f"| {seed} | {algo} | {ret:g} | {joint} | {kind} |")
    print("\n| algo | mean return | optimum found | (b,b)=7 | other | train env steps/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for algo in speed:
        mine = [r for r in rows if r[1] == algo]
        count = {k: sum(r[4] == k for r in mine) for k in ("optimum", "(b,b)=7", "other")}
        mean = float(np.mean([r[2] for r in mine]))
        print(f"| {algo} | {mean:.2f} | {count['optimum']}/{len(mine)} | {count['(b,b)=7']}/{len(mine)} | "
              f"{count['other']}/{len(mine)} | {speed[algo]:,.0f} |")


if __name__ == "__main__":
    main()
