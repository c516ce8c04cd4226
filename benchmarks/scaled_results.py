"""Markdown tables of a CPU-scale sweep (``agentmixer sweep``): per environment and algorithm the
IQM over seeds with 95 % stratified-bootstrap intervals (:mod:`verification.stats`) of

- the training-time return: ``train/return`` of ``metrics.csv`` (the behaviour policy's finished
  episodes: AgentMixer's centralized joint policy, AIL's expert/student mixture, the actors of
  MAPPO and the other actor-critics), averaged per seed over the last 10 % of updates;
- the test-time returns: the last decentralized evaluation, deterministic and sampled;
- the train − test gap (per seed: training-time return − deterministic test-time return), the
  asymmetric-learning gap of the AgentMixer paper's Fig. 4 (Li, Zhao, Wu & Pajarinen, AAAI 2025);
- on SMAX, the training and test (deterministic evaluation) win rates.

The execution column says how the algorithm's evaluation executes (``Algorithm.executes_centrally``,
as ``learners.neural.evaluate.evaluate_run`` reports it). Runs that stopped before their last
update, or that never evaluated, are listed below the tables (with the sweep's error where the
sweep's ``--json`` output was saved as ``DIR/sweep_result.json``). The sweep's wall time is printed
when ``DIR/sweep_time.txt`` holds ``start <iso> <epoch>`` and ``end <iso> <epoch>`` lines.

Usage: python benchmarks/scaled_results.py SWEEP_DIR [--tail 0.1] [--reps 2000]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from verification.stats import stratified_bootstrap_ci


@dataclass
class Run:
    """What the tables need from one run directory."""

    run_dir: Path
    algo: str
    env: str
    seed: int
    planned_updates: int
    updates: int = 0
    env_steps: int = 0
    train_return: float = math.nan
    det_return: float = math.nan
    sampled_return: float = math.nan
    train_win: float = math.nan
    eval_win: float = math.nan
    has_wins: bool = False
    evaluations: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.updates >= self.planned_updates and self.evaluations > 0


def _float(text: str | None) -> float:
    try:
        return float(text) if text not in (None, "") else math.nan
    except ValueError:
        return math.nan


def _finite_mean(values: list[float]) -> float:
    kept = [v for v in values if math.isfinite(v)]
    return float(np.mean(kept)) if kept else math.nan


def load(run_dir: Path, tail: float) -> Run:
    """One run: its config, and from ``metrics.csv`` the tail-averaged training return and win rate
    and the last evaluation."""
    cfg = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
    planned = math.ceil(int(cfg["total_steps"]) / (int(cfg["num_envs"]) * int(cfg["rollout_len"])))
    run = Run(run_dir, str(cfg["algo"]), str(cfg["env"]), int(cfg["seed"]), planned)
    csv_path = run_dir / "metrics.csv"
    if not csv_path.is_file():
        run.notes.append("no metrics.csv")
        return run
    with open(csv_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        run.notes.append("empty metrics.csv")
        return run
    run.updates, run.env_steps = int(rows[-1]["update"]), int(rows[-1]["env_steps"])
    last = rows[-max(1, math.ceil(tail * len(rows))):]
    run.train_return = _finite_mean([_float(r.get("train/return")) for r in last])
    run.has_wins = "train/win_rate" in rows[0]
    run.train_win = _finite_mean([_float(r.get("train/win_rate")) for r in last])
    evals = [r for r in rows if math.isfinite(_float(r.get("eval/deterministic_return")))]
    run.evaluations = len(evals)
    if evals:
        run.det_return = _float(evals[-1]["eval/deterministic_return"])
        run.sampled_return = _float(evals[-1]["eval/sampled_return"])
        run.eval_win = _float(evals[-1].get("eval/win_rate"))
    if not math.isfinite(run.train_return):
        run.notes.append(f"no finished training episode in the last {len(last)} updates")
    return run


def execution(algo: str) -> str:
    """``central`` or ``decentralized`` as the algorithm's evaluation reports it ("?" when the
    learners cannot be imported here)."""
    try:
        from learners.neural.algorithms import algorithm_class

        return "central" if algorithm_class(algo).executes_centrally else "decentralized"
    except Exception:  # torch missing or an unknown name: the column is only informative
        return "?"


def _num(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    return f"{x:.0f}" if abs(x) >= 100 else f"{x:.2f}" if abs(x) >= 1 else f"{x:.3f}"


def cell(values: list[float], reps: int) -> str:
    """IQM [95 % CI] of the finite ``values`` (one per seed), with the number of seeds when some
    seeds have no value."""
    kept = [v for v in values if math.isfinite(v)]
    if not kept:
        return "n/a"
    point, lo, hi = stratified_bootstrap_ci(np.asarray(kept), reps=reps)
    n = "" if len(kept) == len(values) else f" (n={len(kept)})"
    return f"{_num(point)} [{_num(lo)}, {_num(hi)}]{n}"


def table(runs: list[Run], reps: int) -> list[str]:
    """The markdown table of one environment's complete runs, one row per algorithm."""
    wins = any(r.has_wins for r in runs)
    head = ["algorithm", "seeds", "execution", "train-time return", "test-time deterministic",
            "test-time sampled", "train − test gap"]
    if wins:
        head += ["train win rate", "test win rate"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for algo in dict.fromkeys(r.algo for r in runs):
        rs = sorted((r for r in runs if r.algo == algo), key=lambda r: r.seed)
        row = [algo, ",".join(str(r.seed) for r in rs), execution(algo),
               cell([r.train_return for r in rs], reps), cell([r.det_return for r in rs], reps),
               cell([r.sampled_return for r in rs], reps),
               cell([r.train_return - r.det_return for r in rs], reps)]
        if wins:
            row += [cell([r.train_win for r in rs], reps), cell([r.eval_win for r in rs], reps)]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def sweep_errors(sweep: Path) -> dict[str, str]:
    """run_dir -> error of the failed runs in ``sweep_result.json`` (the sweep's ``--json`` output)."""
    path = sweep / "sweep_result.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return {str(Path(r["run_dir"]).resolve()): r.get("error", "")
            for r in data.get("runs", []) if r.get("status") == "failed"}


def wall_time(sweep: Path) -> str | None:
    """The sweep's wall time from ``sweep_time.txt`` (start and end epoch seconds), if recorded."""
    try:
        fields = dict(line.split(maxsplit=1) for line in
                      (sweep / "sweep_time.txt").read_text(encoding="utf-8").splitlines() if " " in line)
        start, end = (fields[k].split() for k in ("start", "end"))
    except (OSError, KeyError, ValueError):
        return None
    seconds = float(end[-1]) - float(start[-1])
    return f"{seconds / 60:.1f} min ({start[0]} to {end[0]})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sweep", type=Path, help="the sweep's directory (agentmixer sweep --out)")
    ap.add_argument("--tail", type=float, default=0.1,
                    help="fraction of the last updates over which train/return is averaged (0.1)")
    ap.add_argument("--reps", type=int, default=2000, help="bootstrap resamples (2000)")
    args = ap.parse_args()
    dirs = sorted(p.parent for p in args.sweep.rglob("config.yaml") if "report" not in p.parts)
    if not dirs:
        raise SystemExit(f"no run directory (config.yaml) under {args.sweep}")
    runs = [load(d, args.tail) for d in dirs]
    errors = sweep_errors(args.sweep)
    for env in dict.fromkeys(r.env for r in runs):
        done = [r for r in runs if r.env == env and r.complete]
        print(f"### {env}\n")
        if done:
            print("\n".join(table(done, args.reps)))
        else:
            print("No run finished on this environment.")
        steps = sorted({r.env_steps for r in done})
        print(f"\nEnvironment steps per run: {', '.join(map(str, steps)) or 'n/a'}; IQM over seeds "
              f"[95 % stratified bootstrap CI, {args.reps} resamples]; train-time return = mean of "
              f"train/return over the last {args.tail:.0%} of updates; test-time = last evaluation.")
        notes = [f"- {r.algo} seed {r.seed}: " + "; ".join(r.notes) for r in done if r.notes]
        for r in (r for r in runs if r.env == env and not r.complete):
            why = errors.get(str(r.run_dir.resolve())) or "; ".join(r.notes) or "stopped early"
            notes.append(f"- {r.algo} seed {r.seed}: not finished ({r.updates}/{r.planned_updates} "
                         f"updates, {r.evaluations} evaluations): {why}")
        if notes:
            print("\n" + "\n".join(notes))
        print()
    wall = wall_time(args.sweep)
    print(f"Sweep wall time: {wall}" if wall else "Sweep wall time: not recorded")


if __name__ == "__main__":
    main()
