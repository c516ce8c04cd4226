"""AgentMixer vs MAPPO vs AIL with continuous actions at CPU scale: IQM over seeds with 95 %
stratified-bootstrap intervals (``verification.stats``) of the final decentralized evaluation
(deterministic: the actors' means; sampled) and of the training-time return (the behaviour policy:
AgentMixer's joint policy, AIL's β-mixture), whose difference is the train-time vs test-time gap
of the AgentMixer paper's Fig. 4 (Li, Zhao, Wu & Pajarinen, AAAI 2025).

Tasks: ``quadratic`` (``quadratic-coordination``, optimum 0) and ``halfcheetah`` (MaMuJoCo
HalfCheetah 6x1, ``agent_obsk=0``, 1000-step episodes; needs the ``mujoco`` extra).

Usage: python benchmarks/continuous_results.py quadratic [--seeds 5] [--steps 12000] [--algos a,b]
       python benchmarks/continuous_results.py halfcheetah [--seeds 3] [--steps 20000]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import tempfile
import time
import warnings

import numpy as np

from learners.neural.trainer import make_config, train
from verification.stats import stratified_bootstrap_ci

TASKS = {
    "quadratic": ("quadratic-coordination", {"num_envs": 32, "rollout_len": 2, "eval_episodes": 32},
                  ["lr=3e-3"]),
    "halfcheetah": ("mamujoco(scenario=HalfCheetah, conf=6x1, agent_obsk=0)",
                    {"num_envs": 8, "rollout_len": 125, "eval_episodes": 2}, []),
}
ALGOS = "agentmixer,mappo,ail"
SECOND_LR = {"ail": "student_lr", "magpo": "learner_lr"}
"""Algorithms with a second learning rate, set to the task's ``lr`` too."""


def _cell(values: list[float]) -> str:
    point, lo, hi = stratified_bootstrap_ci(np.asarray(values))
    return f"{point:.3f} [{lo:.3f}, {hi:.3f}]"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("task", choices=sorted(TASKS))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=12_000)
    ap.add_argument("--algos", default=ALGOS, help="also happo, mat, mat_dec, magpo, armappo")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    env, run_settings, sets = TASKS[args.task]
    print(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.platform()}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print(f"- env {env}; {args.steps} env steps per run; seeds 0..{args.seeds - 1}; settings "
          f"{run_settings} {sets} (AIL's student_lr and MAGPO's learner_lr too); IQM [95 % stratified "
          "bootstrap CI]")
    print()
    print("| algo | eval deterministic | eval sampled | train-time return (last rollouts) | s / run |")
    print("|---|---|---|---|---:|")
    for algo in args.algos.split(","):
        det, sam, trn, secs = [], [], [], []
        second = [f"{SECOND_LR[algo]}={s[3:]}" for s in sets if algo in SECOND_LR and s.startswith("lr=")]
        algo_sets = sets + second
        for seed in range(args.seeds):
            with tempfile.TemporaryDirectory() as out:
                cfg = make_config({"algo": algo, "env": env, "seed": seed, "total_steps": args.steps,
                                   "eval_every": 0, "out": out, "tensorboard": False,
                                   "checkpoint_every": 10_000, **run_settings}, algo_sets)
                t0 = time.perf_counter()
                result = train(cfg)
                secs.append(time.perf_counter() - t0)
            last = result.last_eval
            det.append(last["deterministic"])
            sam.append(last["sampled"])
            recent = [r["train/return"] for r in result.rows[-5:] if not math.isnan(r["train/return"])]
            trn.append(float(np.mean(recent)) if recent else float("nan"))
        trn_cell = _cell(trn) if all(map(math.isfinite, trn)) else "no episode ended"
        print(f"| {algo} | {_cell(det)} | {_cell(sam)} | {trn_cell} | {np.mean(secs):.0f} |", flush=True)


if __name__ == "__main__":
    main()
