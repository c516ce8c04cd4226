"""Every neural algorithm (the AgentMixer and MAGPO papers' baselines included) against the exact
tier's optima on the climbing and penalty games, bridge crossing and predator-prey.

* ``--task climbing`` (Claus & Boutilier, AAAI 1998): per seed and algorithm, the deterministic
  evaluation return and the greedy joint action it converged to — the optimum (a,a) = 11, the
  equilibria (b,b) = 7 and (c,c) = 5, or another joint action. In a one-step game with a constant
  state the decentralized and the joint optimum coincide (11).
* ``--task bridge`` (AgentMixer's bridge crossing, :func:`games.dec_pomdp.catalog.bridge_crossing`):
  decentralized optimum −3, MMDP (joint, full state) optimum −2.25. Decentralized executors are
  valued *exactly* (their actors tabulated over histories, :mod:`learners.neural.exact_eval`);
  centralized executors (MAT, ARMAPPO, MAVEN) are estimated from ``--mc-episodes`` sampled episodes
  (mean ± standard error), since their test-time policy is not a decentralized table.

* ``--task predator-prey`` (``predator-prey-small``, 2 predators): the final deterministic
  evaluation return, IQM with a 95 % stratified-bootstrap interval over seeds
  (:mod:`verification.stats`), every algorithm at one budget (``--pp-steps``).

* ``--task penalty``: the same on the penalty game with k = −100 (Claus & Boutilier 1998): optima
  (a,a) = (c,c) = 10, the safe equilibrium (b,b) = 2, miscoordination on the optima costs −100.

Usage: python benchmarks/neural_baselines.py --task climbing|penalty [--seeds 10] [--steps 20000]
       [--algos happo,mat,...] ; python benchmarks/neural_baselines.py --task bridge [--seeds 3] ;
       python benchmarks/neural_baselines.py --task predator-prey [--seeds 3] [--pp-steps 30000]
Prints markdown tables (paste into docs/benchmarks.md with the machine and date).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from games.envs import make_env
from learners.neural.algorithms import ALGORITHMS
from learners.neural.evaluate import evaluate_decentralized, evaluate_run, load_trained, to_tensor
from learners.neural.trainer import make_config, train
from verification.stats import iqm, stratified_bootstrap_ci

SETTINGS = {
    "agentmixer": ["lr=3e-3", "modifier.token_dim=32", "modifier.channel_mlp_dim=64", "modifier.depth=1",
                   "modifier.state_hidden=[32]", "modifier.state_feature_dim=32"],
    "mappo": ["lr=3e-3"], "ail": ["lr=3e-3"], "happo": ["lr=3e-3"], "magpo": ["lr=3e-3", "learner_lr=3e-3"],
    "armappo": ["lr=3e-3"], "mat": ["lr=1e-3"], "mat_dec": ["lr=1e-3"],
}
"""Per-algorithm overrides (the PPO family at the climbing benchmark's learning rate; the
transformers at a lower one; the value-based ones at their defaults)."""

PP_SETTINGS = {
    "agentmixer": ["lr=1e-3", "modifier.token_dim=32", "modifier.channel_mlp_dim=64",
                   "modifier.token_mlp_dim=8", "modifier.depth=1", "modifier.state_hidden=[32]",
                   "modifier.state_feature_dim=16",
                   "modifier.policy_feature_dim=16"],
    **{a: ["lr=1e-3"] for a in ("mappo", "ail", "happo", "armappo", "mat", "mat_dec")},
    "magpo": ["lr=1e-3", "learner_lr=1e-3"],
}
"""Predator-prey: the PPO family at lr 1e-3 (the predator-prey study's rate), AgentMixer with the
study's smaller Policy Modifier; every network otherwise at its default size."""

ORDER = ["agentmixer", "mappo", "ail", "happo", "magpo", "mat_dec", "mat", "armappo", "qmix", "maven"]
MATRIX_TASKS = {
    "climbing": ("climbing", 11.0, {(0, 0): "optimum (a,a)=11", (1, 1): "(b,b)=7", (2, 2): "(c,c)=5"}),
    "penalty": ("penalty(k=-100)", 10.0, {(0, 0): "optimum (a,a)=10", (2, 2): "optimum (c,c)=10",
                                          (1, 1): "(b,b)=2"}),
}
"""The one-step games: environment name, optimum (decentralized = joint: one constant state), and
the labels of the pure Nash equilibria."""


def greedy_joint_action(run: Path) -> tuple[int, ...]:
    """The executed deterministic joint action of the run's last checkpoint (climbing)."""
    algo, ck = load_trained(run)
    env = make_env(ck["config"]["env"], 1, seed=0)
    ts = env.current()
    hidden = algo.episode_start(to_tensor(ts.state), True)
    actions, _ = algo.act_decentralized(to_tensor(ts.obs), hidden, deterministic=True)
    return tuple(int(a) for a in actions[0])


def _config(algo: str, env: str, seed: int, steps: int, envs: int, rollout: int, out: Path):  # type: ignore[no-untyped-def]
    return make_config({"algo": algo, "env": env, "seed": seed, "total_steps": steps, "num_envs": envs,
                        "rollout_len": rollout, "eval_every": 0, "eval_episodes": 16,
                        "checkpoint_every": 10**9, "out": str(out), "tensorboard": False},
                       SETTINGS.get(algo, []))


def matrix(args: argparse.Namespace, algos: list[str], tmp: Path) -> None:
    """Climbing or penalty(k=-100): the greedy joint action each run converged to."""
    name, optimum, labels = MATRIX_TASKS[args.task]
    reward = make_env(name, 1).game.common_reward(name)  # type: ignore[attr-defined]
    rows, speed = [], {}
    for algo in algos:
        steps, secs = 0, 0.0
        for seed in range(args.seeds):
            run = tmp / f"c_{algo}_{seed}"
            t0 = time.perf_counter()
            result = train(_config(algo, name, seed, args.steps, args.envs, args.rollout, run))
            secs += time.perf_counter() - t0
            steps += result.env_steps
            joint = greedy_joint_action(run)
            rows.append((seed, algo, float(reward[joint]), labels.get(joint, "other")))
        speed[algo] = steps / secs
    print(f"{name}, {args.steps} env steps per run, {args.envs} envs x {args.rollout} steps per update, "
          f"{args.seeds} seeds; exact optimum {optimum:g} (decentralized = joint)\n")
    print("| algo | execution | mean return | " + " | ".join(labels.values())
          + " | other | env steps/s |")
    print("|---|---|---:|" + "---:|" * (len(labels) + 2))
    for algo in algos:
        mine = [r for r in rows if r[1] == algo]
        n = len(mine)
        count = {k: sum(r[3] == k for r in mine) for k in (*labels.values(), "other")}
        central = "centralized" if ALGORITHMS[algo].executes_centrally else "decentralized"
        print(f"| {algo} | {central} | {np.mean([r[2] for r in mine]):.2f} | "
              + " | ".join(f"{c}/{n}" for c in count.values()) + f" | {speed[algo]:,.0f} |")
    print("\nper seed (return of the greedy joint action): "
          + "; ".join(f"{a}: " + " ".join(f"{r[2]:g}" for r in rows if r[1] == a) for a in algos))


def bridge(args: argparse.Namespace, algos: list[str], tmp: Path) -> None:
    print(f"bridge crossing, {args.bridge_steps} env steps per run, {args.envs} envs x {args.rollout} "
          f"steps per update, seeds 0..{args.seeds - 1}; decentralized optimum -3, MMDP optimum -2.25\n")
    print("| algo | execution | seed | deterministic value | sampled value | how valued |")
    print("|---|---|---:|---:|---:|---|")
    for algo in algos:
        for seed in range(args.seeds):
            run = tmp / f"b_{algo}_{seed}"
            train(_config(algo, "bridge", seed, args.bridge_steps, args.envs, args.rollout, run))
            res = evaluate_run(run)
            if "exact_deterministic_return" in res:
                det, smp, how = (f"{res['exact_deterministic_return']:.4f}",
                                 f"{res['exact_sampled_return']:.4f}", "exact (tabulated actors)")
            else:
                learner, _ = load_trained(run)
                cells = []
                for flag in (True, False):
                    env = make_env("bridge", args.mc_episodes, seed=12345 + seed)
                    gen = torch.Generator().manual_seed(seed)
                    _, returns = evaluate_decentralized(learner, env, flag, gen)
                    se = returns.std(ddof=1) / np.sqrt(len(returns))
                    cells.append(f"{returns.mean():.3f} ± {se:.3f}")
                det, smp, how = cells[0], cells[1], f"Monte Carlo, {args.mc_episodes} episodes"
            print(f"| {algo} | {res['execution']} | {seed} | {det} | {smp} | {how} |")


def predator_prey(args: argparse.Namespace, algos: list[str], tmp: Path) -> None:
    print(f"predator-prey-small, {args.pp_steps} env steps per run, 32 envs x 25 steps per update, "
          f"{args.seeds} seeds; final deterministic evaluation on 32 episodes\n")
    print("| algo | execution | IQM | 95% CI | per seed | env steps/s |")
    print("|---|---|---:|---|---|---:|")
    for algo in algos:
        finals, steps, secs = [], 0, 0.0
        for seed in range(args.seeds):
            cfg = make_config({"algo": algo, "env": "predator-prey-small", "seed": seed,
                               "total_steps": args.pp_steps, "num_envs": 32, "rollout_len": 25,
                               "eval_every": 0, "eval_episodes": 32, "checkpoint_every": 10**9,
                               "out": str(tmp / f"p_{algo}_{seed}"), "tensorboard": False},
                              PP_SETTINGS.get(algo, []))
            t0 = time.perf_counter()
            result = train(cfg)
            secs += time.perf_counter() - t0
            steps += result.env_steps
            finals.append(result.last_eval["deterministic"])
        est, lo, hi = stratified_bootstrap_ci(np.array(finals), iqm, reps=1000)
        central = "centralized" if ALGORITHMS[algo].executes_centrally else "decentralized"
        print(f"| {algo} | {central} | {est:.2f} | [{lo:.2f}, {hi:.2f}] | "
              f"{' '.join(f'{f:.2f}' for f in finals)} | {steps / secs:,.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    tasks = {"climbing": matrix, "penalty": matrix, "bridge": bridge, "predator-prey": predator_prey}
    parser.add_argument("--task", choices=tuple(tasks), default="climbing")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=20_000, help="climbing env steps per run")
    parser.add_argument("--bridge-steps", type=int, default=60_000, help="bridge env steps per run")
    parser.add_argument("--envs", type=int, default=64)
    parser.add_argument("--rollout", type=int, default=4)
    parser.add_argument("--mc-episodes", type=int, default=4000)
    parser.add_argument("--pp-steps", type=int, default=30_000, help="predator-prey env steps per run")
    parser.add_argument("--algos", default=",".join(ORDER))
    args = parser.parse_args()
    torch.set_num_threads(1)
    algos = args.algos.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        tasks[args.task](args, algos, Path(tmp))


if __name__ == "__main__":
    main()
