"""Throughput of the numpy batched environments in games.envs: env steps per second.

Env steps/s = copies x steps / wall time of ``env.step`` with uniformly random actions (actions
are drawn before timing; auto-resets are included). Prints a markdown table for every env at
B = 1, 64, 1024. Usage: python benchmarks/env_throughput.py [--seconds 0.5] [--sizes 1,64,1024]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from games.envs import make_env

ENVS = ("climbing", "penalty(k=-50)", "dec_tiger", "bridge", "predator-prey-small", "predator-prey")


def steps_per_second(name: str, num_envs: int, seconds: float, pool: int = 64) -> float:
    """Best of three timed runs of about ``seconds`` each (after one warm-up step)."""
    env = make_env(name, num_envs, seed=0)
    rng = np.random.default_rng(0)
    acts = [np.stack([rng.integers(0, m, num_envs) for m in env.num_actions], axis=1) for _ in range(pool)]
    env.step(acts[0])
    t0 = time.perf_counter()
    k = 0
    while time.perf_counter() - t0 < seconds / 10:
        env.step(acts[k % pool])
        k += 1
    n = max(10, int(k * 10 / 3))  # about seconds / 3 per run
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for i in range(n):
            env.step(acts[i % pool])
        best = min(best, time.perf_counter() - t0)
    return num_envs * n / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=0.5, help="time per (env, B) cell")
    ap.add_argument("--sizes", default="1,64,1024")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    cpu = platform.processor() or platform.machine()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {cpu}, load {os.getloadavg()[0]:.1f}")
    print()
    print("| env | " + " | ".join(f"B = {b}" for b in sizes) + " |")
    print("|---|" + "---:|" * len(sizes))
    for name in ENVS:
        cells = [f"{steps_per_second(name, b, args.seconds):,.0f}" for b in sizes]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
