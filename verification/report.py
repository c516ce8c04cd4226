"""Reports over many training runs, with the protocol of the MAGPO paper (after Agarwal et al.,
NeurIPS 2021): per environment and algorithm the final IQM over seeds with a 95 % stratified
bootstrap interval; min–max normalised aggregates across environments; the probability of
improvement of every algorithm over every other; performance profiles and learning curves.

A run is a run directory of :func:`learners.neural.trainer.train` (``config.yaml`` names the
algorithm, environment and seed; ``metrics.csv`` holds the evaluations). The score of a run is its
decentralized deterministic evaluation return at its last evaluation. Normalisation per
environment uses the lowest and highest final score of any run on it. :func:`marl_eval_json`
writes the same results in the raw-data layout marl-eval reads.

Usage::

    runs = load_runs(["sweeps/grid"])
    rep = build_report(runs)
    print(rep.markdown())
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from games.errors import ConfigError, ParseError
from verification.stats import (
    TaskScores,
    iqm,
    min_max_normalise,
    performance_profile,
    probability_of_improvement_ci,
    stratified_bootstrap_ci,
)

__all__ = ["Report", "RunRecord", "build_report", "load_run", "load_runs", "marl_eval_json"]

EVAL_COLUMNS = ("eval/deterministic_return", "eval_det_return")
"""Where a run's evaluation returns are found in ``metrics.csv`` (current layout, then the
layout of runs written by earlier releases)."""

REPS = 2000
"""Bootstrap resamples for every interval in a report."""


@dataclass(frozen=True)
class RunRecord:
    """One run: who, where, and its evaluation curve (env steps → mean evaluation return)."""

    run_dir: Path
    algo: str
    env: str
    seed: int
    steps: np.ndarray
    returns: np.ndarray
    episode_returns: tuple[tuple[float, ...], ...] = ()

    @property
    def final(self) -> float:
        return float(self.returns[-1])


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def load_run(run_dir: str | Path) -> RunRecord:
    """Read one run directory (typed errors naming the file when it is not one)."""
    run_dir = Path(run_dir)
    cfg_path, csv_path = run_dir / "config.yaml", run_dir / "metrics.csv"
    if not cfg_path.is_file() or not csv_path.is_file():
        raise ConfigError(f"{str(run_dir)!r} is not a run directory (needs config.yaml and metrics.csv)")
    try:
        cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParseError(f"not valid YAML: {str(exc).splitlines()[0]}", source=str(cfg_path)) from None
    if not isinstance(cfg, dict) or not all(k in cfg for k in ("algo", "env", "seed")):
        raise ParseError("needs the keys algo, env and seed", source=str(cfg_path))
    with open(csv_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    column = next((c for c in EVAL_COLUMNS if rows and c in rows[0]), None)
    if column is None or "env_steps" not in rows[0]:
        raise ParseError(f"no evaluation column ({' or '.join(EVAL_COLUMNS)}) or env_steps",
                         source=str(csv_path))
    evals = [(int(r["env_steps"]), _float(r[column])) for r in rows if math.isfinite(_float(r[column]))]
    if not evals:
        raise ParseError("holds no evaluation yet", source=str(csv_path))
    steps, returns = (np.array(v) for v in zip(*evals, strict=True))
    episodes: tuple[tuple[float, ...], ...] = ()
    ep_path = run_dir / "eval_episodes.json"
    if ep_path.is_file():  # the per-episode returns of each deterministic evaluation
        try:
            records = json.loads(ep_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ParseError(exc.msg, exc.lineno, exc.colno, source=str(ep_path)) from None
        by_step = {int(r["env_steps"]): tuple(map(float, r["returns"])) for r in records
                   if isinstance(r, dict) and r.get("mode") == "deterministic"}
        if all(int(s) in by_step for s in steps):
            episodes = tuple(by_step[int(s)] for s in steps)
    return RunRecord(run_dir, str(cfg["algo"]), str(cfg["env"]), int(cfg["seed"]), steps,
                     returns.astype(float), episodes)


def load_runs(paths: list[str | Path]) -> list[RunRecord]:
    """Every run directory at or below ``paths`` (a directory holding ``config.yaml``)."""
    found: list[RunRecord] = []
    for p in map(Path, paths):
        if not p.exists():
            raise ConfigError(f"{str(p)!r} does not exist")
        dirs = [p] if (p / "config.yaml").is_file() else sorted(c.parent for c in p.rglob("config.yaml"))
        found += [load_run(d) for d in dirs]
    if not found:
        raise ConfigError(f"no run directory (config.yaml + metrics.csv) under {', '.join(map(str, paths))}")
    return found


@dataclass(frozen=True)
class Report:
    """The numbers of a report; :meth:`to_json` and :meth:`markdown` render them."""

    runs: list[RunRecord]
    envs: list[str]
    algos: list[str]
    per_env: dict[str, dict[str, dict[str, Any]]]
    iqm: dict[str, dict[str, float]]
    probability_of_improvement: dict[str, dict[str, dict[str, float]]]
    bounds: dict[str, tuple[float, float]]

    def to_json(self) -> dict[str, Any]:
        return {"environments": self.envs, "algorithms": self.algos, "per_environment": self.per_env,
                "normalisation": {e: {"min": lo, "max": hi} for e, (lo, hi) in self.bounds.items()},
                "iqm": self.iqm, "probability_of_improvement": self.probability_of_improvement,
                "runs": [{"run_dir": str(r.run_dir), "algo": r.algo, "env": r.env, "seed": r.seed,
                          "final_return": r.final} for r in self.runs]}

    def markdown(self) -> str:
        lines = ["| environment | algorithm | seeds | final IQM | 95 % CI |", "|---|---|---|---|---|"]
        for env in self.envs:
            for algo, s in self.per_env[env].items():
                lines.append(f"| {env} | {algo} | {s['seeds']} | {s['iqm']:.4g} | "
                             f"[{s['ci'][0]:.4g}, {s['ci'][1]:.4g}] |")
        lines += ["", "Min–max normalised across environments:", "",
                  "| algorithm | IQM | 95 % CI |", "|---|---|---|"]
        lines += [f"| {a} | {v['iqm']:.3f} | [{v['ci_low']:.3f}, {v['ci_high']:.3f}] |"
                  for a, v in self.iqm.items()]
        if len(self.algos) > 1:
            lines += ["", "Probability of improvement P(X > Y):", "", "| X | Y | P | 95 % CI |",
                      "|---|---|---|---|"]
            lines += [f"| {x} | {y} | {v['p']:.3f} | [{v['ci_low']:.3f}, {v['ci_high']:.3f}] |"
                      for x, row in self.probability_of_improvement.items() for y, v in row.items()]
        return "\n".join(lines) + "\n"

    def normalised(self, algo: str) -> TaskScores:
        """``algo``'s min–max normalised final scores, one task per environment it ran on."""
        return TaskScores.ragged([min_max_normalise(s["finals"], *self.bounds[e])
                                  for e in self.envs if (s := self.per_env[e].get(algo))])


def build_report(runs: list[RunRecord], *, seed: int = 0) -> Report:
    """All the numbers of a report from ``runs`` (seeded bootstrap: reproducible tables)."""
    envs = sorted({r.env for r in runs})
    algos = sorted({r.algo for r in runs})
    per_env: dict[str, dict[str, dict[str, Any]]] = {}
    bounds: dict[str, tuple[float, float]] = {}
    for env in envs:
        finals = [r.final for r in runs if r.env == env]
        bounds[env] = (min(finals), max(finals))
        per_env[env] = {}
        for algo in algos:
            x = [r.final for r in runs if r.env == env and r.algo == algo]
            if x:
                est, lo, hi = stratified_bootstrap_ci(x, iqm, reps=REPS, seed=seed)
                per_env[env][algo] = {"seeds": len(x), "iqm": est, "ci": [lo, hi], "finals": x}
    rep = Report(runs, envs, algos, per_env, {}, {}, bounds)
    for algo in algos:
        est, lo, hi = stratified_bootstrap_ci(rep.normalised(algo), iqm, reps=REPS, seed=seed)
        rep.iqm[algo] = {"iqm": est, "ci_low": lo, "ci_high": hi}
    for x in algos:
        rep.probability_of_improvement[x] = {}
        for y in algos:
            shared = [e for e in envs if x in per_env[e] and y in per_env[e]]
            if x == y or not shared:
                continue
            xs, ys = (TaskScores.ragged([min_max_normalise(per_env[e][a]["finals"], *bounds[e])
                                         for e in shared]) for a in (x, y))
            p, lo, hi = probability_of_improvement_ci(xs, ys, reps=REPS, seed=seed)
            rep.probability_of_improvement[x][y] = {"p": p, "ci_low": lo, "ci_high": hi}
    return rep


def marl_eval_json(runs: list[RunRecord], environment: str = "agentmixer") -> dict[str, Any]:
    """The raw-data layout of marl-eval: ``{environment: {task: {algorithm: {"seed_S":
    {"step_K": {"step_count": n, "return": [...]}, "absolute_metrics": {"return": [...]}}}}}}``,
    with the tasks being our environment names. Each evaluation holds its episodes' returns
    (``eval_episodes.json``; runs that predate it give the evaluation's mean as one value)."""
    out: dict[str, Any] = {environment: {}}
    for r in runs:
        task = out[environment].setdefault(r.env, {}).setdefault(r.algo, {})
        per_eval = r.episode_returns or tuple((float(v),) for v in r.returns)
        steps = {f"step_{k}": {"step_count": int(s), "return": list(rets)}
                 for k, (s, rets) in enumerate(zip(r.steps, per_eval, strict=True))}
        task[f"seed_{r.seed}"] = {**steps, "absolute_metrics": {"return": list(per_eval[-1])}}
    return out


def write_figures(rep: Report, out: Path) -> list[Path]:
    """Performance profiles and per-environment learning curves as PNG (needs matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    taus = np.linspace(0.0, 1.0, 101)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for algo in rep.algos:
        ax.plot(taus, performance_profile(rep.normalised(algo), taus), label=algo)
    ax.set(xlabel="normalised score τ", ylabel="fraction of runs with score > τ", ylim=(-0.02, 1.02))
    ax.legend()
    fig.tight_layout()
    written.append(out / "performance_profile.png")
    fig.savefig(written[-1], dpi=120)
    plt.close(fig)
    for env in rep.envs:
        fig, ax = plt.subplots(figsize=(5, 3.5))
        for algo in rep.per_env[env]:
            curves = [r for r in rep.runs if r.env == env and r.algo == algo]
            steps = curves[0].steps
            same = [r.returns for r in curves if np.array_equal(r.steps, steps)]
            ax.plot(steps, [iqm(col) for col in np.column_stack(same)], label=f"{algo} ({len(same)} seeds)")
        ax.set(xlabel="environment steps", ylabel="evaluation return (IQM over seeds)", title=env)
        ax.legend()
        fig.tight_layout()
        written.append(out / f"curves_{re.sub(r'[^A-Za-z0-9_.-]+', '-', env)}.png")
        fig.savefig(written[-1], dpi=120)
        plt.close(fig)
    return written
