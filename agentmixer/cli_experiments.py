"""``agentmixer sweep`` and ``agentmixer report``: experiments beyond one run.

``sweep --algos a,b --envs e1,e2 --seeds 0,1,2 [--steps N] [--set k=v ...] --out DIR
[--address RAY_ADDRESS] [--cpus N]`` trains the grid on Ray (:mod:`learners.neural.sweep`);
re-running it skips finished runs and resumes the others. ``report DIR... [--out DIR]`` reads the
run directories below DIR and prints IQMs with 95 % intervals, normalised aggregates and
probabilities of improvement (:mod:`verification.report`); with ``--out`` it also writes
``report.md``, ``report.json``, ``marl_eval.json`` and the PNG figures there.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from games.errors import ConfigError

__all__ = ["add_experiment_parsers", "cmd_report", "cmd_sweep"]


def _names(text: str, flag: str) -> list[str]:
    """The comma-separated entries of ``text``; commas inside parentheses belong to an entry
    (``mamujoco(scenario=Ant, conf=2x4),climbing`` is two environments)."""
    items, depth, start = [], 0, 0
    for k, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            raise ConfigError(f"{flag}: unbalanced ')' at character {k + 1} of {text!r}")
        if ch == "," and depth == 0:
            items.append(text[start:k].strip())
            start = k + 1
    if depth:
        raise ConfigError(f"{flag}: unbalanced '(' in {text!r}")
    items.append(text[start:].strip())
    if not text.strip() or any(not t for t in items):
        raise ConfigError(f"{flag} takes a comma-separated list without empty entries, got {text!r}")
    return items


def _seeds(text: str) -> list[int]:
    out = []
    for item in _names(text, "--seeds"):
        try:
            seed = int(item)
        except ValueError:
            raise ConfigError(f"--seeds: {item!r} is not an integer") from None
        if seed < 0:
            raise ConfigError(f"--seeds: {seed} is negative")
        out.append(seed)
    return out


def cmd_sweep(args: argparse.Namespace) -> int:
    try:
        from learners.neural.sweep import plan_sweep, run_sweep
    except ImportError:
        raise ConfigError("sweeps need torch and Ray: pip install 'agentmixer[neural,sweep]'") from None

    cfgs = plan_sweep(_names(args.algos, "--algos"), _names(args.envs, "--envs"), _seeds(args.seeds),
                      args.out, steps=args.steps, sets=args.set or ())
    print(f"sweep of {len(cfgs)} runs into {args.out}", file=sys.stderr)
    results = run_sweep(cfgs, address=args.address, num_cpus=args.cpus, progress=not args.json)
    failed = [r for r in results if r["status"] == "failed"]
    if args.json:
        payload = {"out": args.out, "runs": results, "failed": len(failed)}
        print(json.dumps(payload, indent=1, allow_nan=False))
    else:
        for r in results:
            tail = f" ({r['error']})" if r["status"] == "failed" else ""
            print(f"{r['status']:>8}  {r['run_dir']}{tail}")
    return 1 if failed else 0


def cmd_report(args: argparse.Namespace) -> int:
    from verification.report import build_report, load_runs, marl_eval_json, write_figures

    runs = load_runs(args.dirs)
    rep = build_report(runs)
    payload: dict[str, Any] = rep.to_json()
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.md").write_text(rep.markdown(), encoding="utf-8")
        (out / "report.json").write_text(json.dumps(payload, indent=1, allow_nan=False), encoding="utf-8")
        (out / "marl_eval.json").write_text(json.dumps(marl_eval_json(runs), indent=1, allow_nan=False),
                                            encoding="utf-8")
        payload["figures"] = [str(p) for p in write_figures(rep, out)]
    if args.json:
        print(json.dumps(payload, indent=1, allow_nan=False))
    else:
        print(rep.markdown(), end="")
    return 0


def add_experiment_parsers(sub: Any, json_flag: argparse.ArgumentParser) -> None:
    """Register ``sweep`` and ``report`` on the subparsers ``sub``."""
    p = sub.add_parser("sweep", parents=[json_flag], help="train algorithms x environments x seeds on Ray")
    p.add_argument("--algos", required=True, help="comma-separated algorithms, e.g. agentmixer,mappo")
    p.add_argument("--envs", required=True, help="comma-separated environment names")
    p.add_argument("--seeds", required=True, help="comma-separated seeds, e.g. 0,1,2")
    p.add_argument("--steps", type=int, help="total environment steps of each run")
    p.add_argument("--set", action="append", metavar="key=value", help="override a setting of every run")
    p.add_argument("--out", required=True, metavar="DIR", help="the sweep's directory")
    p.add_argument("--address", help="an existing Ray cluster (default: a local instance)")
    p.add_argument("--cpus", type=int, help="CPUs of the local Ray instance (default: all cores)")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("report", parents=[json_flag], help="IQM, intervals and probability of improvement")
    p.add_argument("dirs", nargs="+", metavar="DIR", help="run directories or folders holding them")
    p.add_argument("--out", metavar="DIR", help="also write report.md/.json, marl_eval.json and figures")
    p.set_defaults(func=cmd_report)
