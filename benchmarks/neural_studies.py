"""Neural-tier studies against the exact tier: bridge crossing, predator-prey curves, throughput.

* ``bridge``: AgentMixer-PPO, AIL and MAPPO on bridge crossing (games.dec_pomdp.catalog): the
  train-time return (what the training rollouts earned: AgentMixer's joint policy sees the state;
  AIL's β-mixture of expert and students) against the test-time return of the decentralized
  actors (deterministic and sampled), beside the exact optima — the fully observable (MMDP) value
  −2.25 and the decentralized value −3 (ce.planning). The asymmetric learning failure of
  AgentMixer's Fig. 4 at small scale: a train-time return near −2.25 that the executed policy
  cannot reproduce.
* ``predator-prey``: learning curves of the decentralized deterministic evaluation return on the
  small (5×5, 2 predators, 1 prey) and full (10×10, 8 v 8) predator-prey with miscoordination
  penalty 0 and −0.5, IQM and 95% stratified-bootstrap intervals over seeds
  (:mod:`verification.stats`), as a table per evaluation point and a PNG.
* ``batch``: AgentMixer on the climbing game with its default batch (64 copies x 8 steps) and
  larger ones at two step budgets: seeds that reach the optimum, CPU time, env steps per
  CPU-second (throughput against sample efficiency; ``benchmarks/external_envs.py`` has the
  training rates of every environment).

Usage: python benchmarks/neural_studies.py {bridge,predator-prey,batch} [--seeds N]
[--steps N] [--out DIR]. Prints markdown tables (pasted into docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from ce.dec_gaps import dec_ce_gap
from ce.planning import solve_mmdp, solve_optimal
from games.dec_pomdp.catalog import bridge_crossing
from games.dec_pomdp.evaluation import evaluate
from learners.neural.evaluate import load_trained
from learners.neural.exact_eval import tabulate_actors
from learners.neural.trainer import TrainResult, make_config, train
from verification.stats import iqm, stratified_bootstrap_ci

SMALL_NETS = ["modifier.token_dim=32", "modifier.channel_mlp_dim=64", "modifier.token_mlp_dim=8",
              "modifier.depth=1", "modifier.state_hidden=[32]", "modifier.state_feature_dim=16",
              "modifier.policy_feature_dim=16", "actor.hidden_sizes=[32,32]", "critic.hidden_sizes=[32,32]"]
"""A smaller Policy Modifier, actors and critic (AgentMixer's defaults are sized for SMAC-like tasks)."""


def _run(tmp: str, algo: str, env: str, seed: int, steps: int, envs: int, overrides: list[str],
         **extra: object) -> tuple[TrainResult, float]:
    data = {"algo": algo, "env": env, "seed": seed, "total_steps": steps, "num_envs": envs,
            "eval_episodes": 32, "checkpoint_every": 10**9, "out": str(Path(tmp) / f"{algo}_{env}_{seed}"),
            "tensorboard": False, "progress": False, **extra}
    cfg = make_config(data, [o for o in overrides if algo == "agentmixer" or not o.startswith("modifier.")])
    t0 = time.perf_counter()
    result = train(cfg)
    return result, time.perf_counter() - t0


def bridge(seeds: int, steps: int) -> None:
    model = bridge_crossing()
    joint_opt, dec_opt = float(solve_mmdp(model, 2).value), float(solve_optimal(model, 2).value)
    print(f"bridge crossing, horizon 2: exact fully observable optimum {joint_opt:g}, exact decentralized "
          f"optimum {dec_opt:g}; {steps} env steps per run, {seeds} seeds. Test-time values are exact: "
          f"the trained actors tabulated over histories (learners.neural.exact_eval) and evaluated by "
          f"games.dec_pomdp.evaluation; ε-CE by exact best responses.\n")
    print("| algo | train-time return (last 10% of updates) | test det. exact | test sampled exact | "
          "ε-CE det. | seeds at −3 (det.) |")
    print("|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for algo_name in ("agentmixer", "ail", "mappo"):
            train_r, det, samp, eps = [], [], [], []
            for seed in range(seeds):
                res, _ = _run(tmp, algo_name, "bridge", seed, steps, 64, ["lr=3e-3", *SMALL_NETS],
                              eval_every=0)
                tail = res.rows[-max(1, len(res.rows) // 10):]
                train_r.append(float(np.mean([r["train/return"] for r in tail])))
                algo, _ = load_trained(res.run_dir)
                pol_det = tabulate_actors(algo.actors, model, 2, deterministic=True)
                det.append(evaluate(model, pol_det))
                samp.append(evaluate(model, tabulate_actors(algo.actors, model, 2)))
                eps.append(dec_ce_gap(model, pol_det).epsilon)
            hits = sum(abs(d - dec_opt) < 1e-9 for d in det)
            print(f"| {algo_name} | {np.mean(train_r):.3f} ± {np.std(train_r):.3f} | {np.mean(det):.3f} ± "
                  f"{np.std(det):.3f} | {np.mean(samp):.3f} ± {np.std(samp):.3f} | {np.mean(eps):.3f} | "
                  f"{hits}/{seeds} |")


def predator_prey(seeds: int, steps: int, out: Path | None, full_steps: int) -> None:
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    print(f"predator-prey, decentralized deterministic evaluation return, IQM [95% stratified bootstrap CI] "
          f"over {seeds} seeds\n")
    print("| env | penalty | algo | env steps | IQM | CI low | CI high |")
    print("|---|---:|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for env, budget in (("predator-prey-small", steps), ("predator-prey", full_steps)):
            for penalty in (0.0, -0.5):
                for algo in ("agentmixer", "mappo"):
                    runs = []
                    for seed in range(seeds):
                        res, _ = _run(tmp, algo, f"{env}(penalty={penalty})", seed, budget, 32,
                                      ["lr=1e-3", *SMALL_NETS], rollout_len=50, eval_every=5)
                        pts = [(r["env_steps"], r["eval/deterministic_return"]) for r in res.rows
                               if not np.isnan(r["eval/deterministic_return"])]
                        runs.append(pts)
                    x = np.array([p[0] for p in runs[0]], dtype=float)
                    y = np.array([[p[1] for p in r] for r in runs])  # (seeds, points)
                    key = f"{env} penalty {penalty:g} {algo}"
                    curves[key] = (x, y)
                    for j in (len(x) // 2, len(x) - 1):
                        est, lo, hi = stratified_bootstrap_ci(y[:, j], iqm, reps=1000)
                        print(f"| {env} | {penalty:g} | {algo} | {int(x[j])} | {est:.2f} | {lo:.2f} | "
                              f"{hi:.2f} |")
    if out is not None:
        _plot_curves(curves, out)


def _plot_curves(curves: dict[str, tuple[np.ndarray, np.ndarray]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    envs = sorted({k.split(" penalty")[0] for k in curves})
    fig, axes = plt.subplots(1, len(envs), figsize=(6 * len(envs), 4))
    for ax, env in zip(np.atleast_1d(axes), envs, strict=True):
        for key, (x, y) in curves.items():
            if not key.startswith(env + " "):
                continue
            stats = np.array([stratified_bootstrap_ci(y[:, j], iqm, reps=500) for j in range(len(x))])
            ax.plot(x, stats[:, 0], label=key[len(env) + 1:])
            ax.fill_between(x, stats[:, 1], stats[:, 2], alpha=0.2)
        ax.set_title(env)
        ax.set_xlabel("env steps")
        ax.set_ylabel("decentralized return (IQM, 95% CI)")
        ax.legend(fontsize=8)
    out.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out / "predator_prey_curves.png", dpi=100)
    plt.close(fig)


def batch(seeds: int) -> None:
    """Seeds that reach the optimum 11 on the climbing game, and the CPU time it took, for
    AgentMixer's default batch (64 copies x 8 steps per update) and larger ones: larger batches
    raise env steps per second but spend more transitions per update."""
    print("| copies x rollout | env steps per update | env steps per run | seeds at 11 | "
          "CPU s per run (mean) | env steps per CPU-second |")
    print("|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for envs, rollout in ((64, 8), (128, 16), (256, 8)):
            for steps in (50_000, 200_000):
                hits, cpu, total = 0, 0.0, 0
                for seed in range(seeds):
                    t0 = time.process_time()
                    res, _ = _run(tmp, "agentmixer", "climbing", seed, steps, envs, [], eval_every=0,
                                  rollout_len=rollout)
                    cpu += time.process_time() - t0
                    total += res.env_steps
                    hits += res.last_eval["deterministic"] == 11.0
                print(f"| {envs} x {rollout} | {envs * rollout} | {total // seeds:,} | {hits}/{seeds} | "
                      f"{cpu / seeds:.1f} | {total / cpu:,.0f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", choices=["bridge", "predator-prey", "batch"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--full-steps", type=int, default=50_000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.study == "bridge":
        bridge(args.seeds, args.steps)
    elif args.study == "predator-prey":
        predator_prey(args.seeds, args.steps, args.out, args.full_steps)
    else:
        batch(args.seeds)


if __name__ == "__main__":
    main()
