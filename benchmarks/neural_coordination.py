"""Neural CTDE learners at default settings on coordination problems with a known exact optimum.

For each environment, algorithm and seed this trains with :func:`learners.neural.trainer.train`
(default settings, ``--set k=v`` overrides them for all) and evaluates the trained actors
decentrally and deterministically: on a one-step game by their greedy joint action's payoff, on a
Dec-POMDP by the *exact* value of the tabulated actors (:func:`learners.neural.evaluate.evaluate_run`).
The optimum is max R for a game and the exact decentralized optimum V*_dec (GMAA*-ICE) for a
Dec-POMDP; a seed counts as reaching it within 1e-6.

Usage: python benchmarks/neural_coordination.py [--envs "penalty(k=-100),bridge"] [--seeds 10]
       [--algos agentmixer,mappo,ail] [--steps 50000] [--set k=v ...]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from ce.planning import solve_optimal
from games.envs import make_env
from games.envs.dec_pomdp_env import DecPOMDPEnv
from learners.neural.evaluate import evaluate_run
from learners.neural.trainer import make_config, train


def optimum(env_name: str) -> float:
    env = make_env(env_name, 1)
    if isinstance(env, DecPOMDPEnv):
        return float(solve_optimal(env.model, env.episode_limit).value)
    return float(env.game.common_reward(env_name).max())  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", default="penalty(k=-100),bridge")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=50_000, help="the default of agentmixer train")
    parser.add_argument("--algos", default="agentmixer,mappo,ail")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    envs = [e.strip() for e in args.envs.split(",") if e.strip()]
    print(f"default settings, {args.steps} env steps per run, {args.seeds} seeds\n")
    print("| env | optimum | algo | seeds at the optimum | mean exact det. return | slowest run, CPU (s) |")
    print("|---|---:|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for env_name in envs:
            best = optimum(env_name)
            for algo in args.algos.split(","):
                values, cpus = [], []
                for seed in range(args.seeds):
                    run = Path(tmp) / f"{algo}_{seed}"
                    cfg = make_config({"algo": algo, "env": env_name, "seed": seed, "total_steps": args.steps,
                                       "out": str(run), "tensorboard": False}, args.set)
                    c0 = time.process_time()
                    train(cfg)
                    cpus.append(time.process_time() - c0)
                    res = evaluate_run(run)
                    values.append(float(res.get("exact_deterministic_return", res["deterministic_return"])))
                hit = sum(abs(v - best) <= 1e-6 for v in values)
                print(f"| {env_name} | {best:g} | {algo} | {hit}/{len(values)} | {np.mean(values):.3f} | "
                      f"{max(cpus):.1f} |", flush=True)


if __name__ == "__main__":
    main()
