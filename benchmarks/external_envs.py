"""Raw stepping speed of the external simulators (PettingZoo, Multi-Agent MuJoCo, SMAX) against the
speed of training on them, and the training speed on the built-in climbing / predator-prey tasks
for AgentMixer against MAPPO, all in one run (the machine's load varies between runs).

Every rate is environment transitions per second of this process's CPU time (``time.process_time``:
on a shared machine wall time measures the other jobs as much as this code; with one torch
thread and single-threaded simulators CPU time is the time the work takes on an idle core; SMAX's
JAX step may use more than one thread, and then its CPU time exceeds its wall time).
Raw = copies x steps / CPU time of ``env.step`` with uniformly random (valid) actions drawn before
timing. Training = the transitions of N updates / the CPU time of ``train`` with the default
config except the step budget, start-up and the first update (which includes any JIT
compilation) excluded: after a warm-up call, the difference between a call of 1 + N updates and
the faster of two calls of 1 update. Environments whose extra is not installed are skipped.

Usage: python benchmarks/external_envs.py [--updates 6] [--only climbing,predator-prey,...]
[--algos agentmixer,mappo,ail]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
import warnings

import numpy as np

from games.envs import make_env

ENVS = {
    "climbing": "climbing",
    "predator-prey": "predator-prey",
    "simple_spread": "pettingzoo(mpe2.simple_spread_v3:parallel_env, N=3, max_cycles=25)",
    "ant-2x4": "mamujoco(scenario=Ant, conf=2x4, agent_obsk=0)",
    "halfcheetah-6x1": "mamujoco(scenario=HalfCheetah, conf=6x1, agent_obsk=0)",
    "smax-3m": "smax(map=3m)",
}
ALGOS = "agentmixer,mappo,ail"


def _actions(env, rng: np.random.Generator, avail: np.ndarray | None) -> np.ndarray:
    if env.action_dim:
        return rng.uniform(env.action_low, env.action_high, size=(env.num_envs, *env.action_low.shape))
    if avail is not None:
        p = avail / avail.sum(-1, keepdims=True)
        return np.array([[rng.choice(len(q), p=q) for q in row] for row in p])
    return np.stack([rng.integers(0, m, env.num_envs) for m in env.num_actions], axis=1)


def raw_speed(name: str, copies: int, steps: int) -> float:
    env = make_env(name, copies, seed=0)
    rng = np.random.default_rng(0)
    ts = env.current()
    for _ in range(3):  # warm-up: SMAX compiles its step twice (the reset's state, then the step's)
        ts = env.step(_actions(env, rng, ts.avail))
    total = 0.0
    for _ in range(steps):
        a = _actions(env, rng, ts.avail)
        t1 = time.process_time()
        ts = env.step(a)
        total += time.process_time() - t1
    return copies * steps / total


def train_speed(algo: str, name: str, updates: int) -> float:
    from learners.neural.trainer import make_config, train

    with tempfile.TemporaryDirectory() as out:
        def run(n: int) -> float:
            cfg = make_config({"algo": algo, "env": name, "total_steps": n * 64 * 8, "out": out,
                               "tensorboard": False, "eval_every": 0, "eval_episodes": 1,
                               "checkpoint_every": 10_000})
            t0 = time.process_time()
            train(cfg)
            return time.process_time() - t0

        run(1)  # warm-up: lazy imports, first kernels, SMAX's compilation
        one = min(run(1) for _ in range(2))
        many = run(1 + updates)
    if many <= one:
        return float("nan")  # the load changed between the calls: no honest number
    return updates * 64 * 8 / (many - one)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--updates", type=int, default=6)
    ap.add_argument("--only", default=",".join(ENVS))
    ap.add_argument("--algos", default=ALGOS, help="the first is compared with mappo and raw speed")
    args = ap.parse_args()
    algos = args.algos.split(",")
    warnings.simplefilter("ignore")
    print(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"- machine: {platform.platform()}, {os.cpu_count()} CPUs; python {platform.python_version()}")
    print(f"- load average at start: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("- training: default config (64 copies, rollout 8, 4 PPO epochs, one torch thread); "
          f"{args.updates} updates timed after the first; rates per CPU-second")
    print()
    first = algos[0]
    print("| env | raw env steps/s (64 copies) | " + " | ".join(f"{a} train steps/s" for a in algos)
          + f" | {first} / mappo | {first} / raw |")
    print("|---|---:|" + "---:|" * (len(algos) + 2))
    for key in args.only.split(","):
        name = ENVS[key]
        try:
            raw = raw_speed(name, 64, 150 if key not in ("climbing", "predator-prey") else 300)
        except Exception as exc:  # an extra that is not installed
            print(f"| {key} | skipped: {type(exc).__name__}: {str(exc)[:60]} |")
            continue
        speeds = {a: train_speed(a, name, args.updates) for a in algos}
        cells = " | ".join(f"{speeds[a]:,.0f}" for a in algos)
        versus = speeds[first] / speeds["mappo"] if "mappo" in speeds else float("nan")
        print(f"| {key} | {raw:,.0f} | {cells} | {versus:.2f} | {speeds[first] / raw:.2f} |", flush=True)
    print(f"\n- load average at end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
