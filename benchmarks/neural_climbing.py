"""Neural CTDE learners on the climbing game (Claus & Boutilier, AAAI 1998) vs the exact optimum.

For each seed and algorithm (AgentMixer-PPO, Li, Zhao, Wu & Pajarinen, AAAI 2025; MAPPO, Yu et
al. NeurIPS 2022; asymmetric imitation learning) this trains with :func:`learners.neural.trainer.train`
and reports the decentralized deterministic evaluation return (the actors' argmax joint action),
which joint action / equilibrium it ended in — "optimum" (a, a) = 11, "(b,b)=7", or "other" —
against the exact team optimum 11 (``max R``, also the max-welfare CE of ``agentmixer solve
climbing``), and each algorithm's training throughput in environment steps per second (wall time of
the whole loop: collection, updates, evaluation, checkpoints).

Every algorithm runs with its **default settings** (those of ``agentmixer train``; ``--set k=v``
overrides them for all algorithms), so the table is what a user gets.

Usage: python benchmarks/neural_climbing.py [--seeds 10] [--steps 50000] [--algos ...] [--set k=v ...]
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
    parser.add_argument("--steps", type=int, default=50_000, help="the default of agentmixer train")
    parser.add_argument("--algos", default="agentmixer,mappo,ail")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a setting for every algorithm (as agentmixer train --set)")
    args = parser.parse_args()
    reward = make_env("climbing", 1).game.common_reward("climbing")  # type: ignore[attr-defined]
    optimum = float(reward.max())
    names = "abc"
    rows, speed, seconds = [], {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for algo in args.algos.split(","):
            steps_total, secs = 0, []
            for seed in range(args.seeds):
                run = Path(tmp) / f"{algo}_{seed}"
                cfg = make_config({"algo": algo, "env": "climbing", "seed": seed, "total_steps": args.steps,
                                   "out": str(run), "tensorboard": False}, args.set)
                t0 = time.perf_counter()
                result = train(cfg)
                secs.append(time.perf_counter() - t0)
                steps_total += result.env_steps
                joint = greedy_joint_action(run)
                value = float(reward[joint])
                kind = "optimum" if value == optimum else "(b,b)=7" if joint == (1, 1) else "other"
                rows.append((seed, algo, result.last_eval["deterministic"],
                             "(" + ",".join(names[a] for a in joint) + ")", kind, secs[-1]))
            speed[algo], seconds[algo] = steps_total / sum(secs), secs
    print(f"climbing, default settings, {args.steps} env steps per run; exact optimum {optimum:g}\n")
    print("| seed | algo | decentralized det. return | joint action | outcome | seconds |")
    print("|---:|---|---:|---|---|---:|")
    for seed, algo, ret, joint, kind, secs in rows:
        print(f"| {seed} | {algo} | {ret:g} | {joint} | {kind} | {secs:.1f} |")
    print("\n| algo | mean return | optimum found | (b,b)=7 | other | slowest run (s) | train env steps/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for algo in speed:
        mine = [r for r in rows if r[1] == algo]
        count = {k: sum(r[4] == k for r in mine) for k in ("optimum", "(b,b)=7", "other")}
        mean = float(np.mean([r[2] for r in mine]))
        print(f"| {algo} | {mean:.2f} | {count['optimum']}/{len(mine)} | {count['(b,b)=7']}/{len(mine)} | "
              f"{count['other']}/{len(mine)} | {max(seconds[algo]):.1f} | {speed[algo]:,.0f} |")


if __name__ == "__main__":
    main()
