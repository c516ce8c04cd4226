"""Benchmark: exact finite-horizon Dec-POMDP planning (``ce.planning.solve_optimal``, GMAA*-ICE).

For each standard benchmark problem (MADP ``.dpomdp`` files, read with
``games.dec_pomdp.madp_format.read_dpomdp``) and horizon, the optimal undiscounted value is computed with a
per-instance time limit and compared with the published optimum. Every instance runs in a fresh
subprocess (model loading not timed) that is killed after the limit plus a grace period; the solver
itself also stops at the limit and then reports the best value found and a proven upper bound.

Published values: masplan.org "Optimal values for finite-horizon Dec-POMDPs"
(http://masplan.org/optimal_values) and Oliehoek, Spaan, Amato & Whiteson, JAIR 46 (2013).

Run from the repository root::

    python benchmarks/dpomdp_planning.py                   # the default list (about a minute)
    python benchmarks/dpomdp_planning.py --extended        # also longer horizons (several minutes)
    python benchmarks/dpomdp_planning.py --limit 30 --problems dectiger,GridSmall
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing as mp
import os
import platform
import queue
import time
from pathlib import Path

import numpy as np

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "dpomdp"

# file, default horizons, extended horizons
PROBLEMS = {
    "dectiger": ("dectiger.dpomdp", (2, 3, 4, 5), (6,)),
    "broadcastChannel": ("broadcastChannel.dpomdp", (2, 3, 4, 5), (6, 10)),
    "GridSmall": ("GridSmall.dpomdp", (2, 3), (4,)),
    "recycling": ("recycling.dpomdp", (2, 3, 4), (5, 6)),
    "boxPushing": ("boxPushingUAI07.dpomdp.gz", (2,), (3,)),
    "Mars": ("Mars.dpomdp.gz", (2,), (3,)),
    "fireFighting_2_3_3": ("fireFighting_2_3_3.dpomdp.gz", (2, 3), (4,)),
}

# published undiscounted optima: masplan.org (M) / JAIR 2013 and the task brief (J)
PUBLISHED = {
    ("dectiger", 2): (-4.0, "M"), ("dectiger", 3): (5.190812, "M"), ("dectiger", 4): (4.802755, "M"),
    ("dectiger", 5): (7.026451, "M"), ("dectiger", 6): (10.381625, "M"),
    ("broadcastChannel", 2): (2.0, "M"), ("broadcastChannel", 3): (2.99, "M"),
    ("broadcastChannel", 4): (3.89, "M"), ("broadcastChannel", 5): (4.79, "M"),
    ("broadcastChannel", 6): (5.69, "M"), ("broadcastChannel", 10): (9.29, "M"),
    ("GridSmall", 2): (0.91, "M"), ("GridSmall", 3): (1.550444, "M"), ("GridSmall", 4): (2.241577, "M"),
    ("recycling", 2): (7.0, "J"), ("recycling", 3): (10.66, "J"), ("recycling", 4): (13.38, "J"),
    ("boxPushing", 2): (17.6, "J"), ("Mars", 2): (5.8, "J"),
    ("fireFighting_2_3_3", 2): (-4.383496, "J"), ("fireFighting_2_3_3", 3): (-5.736969, "J"),
}


def _worker(path: str, horizon: int, limit: float, out: mp.Queue) -> None:
    from ce.planning import solve_optimal
    from games.dec_pomdp.madp_format import read_dpomdp

    try:
        model = read_dpomdp(path)
        r = solve_optimal(model, horizon, 1.0, time_limit=limit)
        out.put({"value": r.value, "optimal": r.optimal, "upper": r.upper_bound, "seconds": r.seconds,
                 "nodes": r.stats.get("nodes"), "heuristic": r.stats.get("heuristic"),
                 "types": max(r.stats.get("max_types", [1])), "lb": r.stats.get("initial_lower_bound"),
                 "sizes": (model.num_states, model.num_actions, model.num_observations)})
    except Exception as exc:  # reported in the table
        out.put({"error": f"{type(exc).__name__}: {exc}"})


def run_instance(path: Path, horizon: int, limit: float, grace: float = 30.0) -> dict[str, object]:
    ctx = mp.get_context("fork" if hasattr(os, "fork") else "spawn")
    out: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_worker, args=(str(path), horizon, limit, out))
    start = time.perf_counter()
    proc.start()
    try:
        res = out.get(timeout=limit + grace + 60)
    except queue.Empty:
        res = {"error": f"killed after {time.perf_counter() - start:.0f} s"}
    proc.join(timeout=5)
    if proc.is_alive():
        proc.kill()
        proc.join()
    return res


def header() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    return "\n".join([
        "# Exact Dec-POMDP planning (GMAA*-ICE, `ce.planning.solve_optimal`)",
        "",
        f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
        f"- python {platform.python_version()}, numpy {np.__version__}",
        f"- load average at start: {', '.join(f'{x:.2f}' if isinstance(x, float) else x for x in load)}",
        "- undiscounted (γ = 1); time = solver wall time excluding model loading",
        "- published: M = masplan.org optimal-values table, J = JAIR 2013 / task brief (not re-checked)",
        "",
    ])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--limit", type=float, default=60.0, help="per-instance time limit in seconds")
    ap.add_argument("--problems", default="", help="comma-separated subset of " + ", ".join(PROBLEMS))
    ap.add_argument("--extended", action="store_true", help="also the longer horizons")
    args = ap.parse_args()
    chosen = [p for p in args.problems.split(",") if p] or list(PROBLEMS)
    unknown = [p for p in chosen if p not in PROBLEMS]
    if unknown:
        ap.error(f"unknown problems {unknown}; known: {', '.join(PROBLEMS)}")
    print(header())
    print("| problem | \\|S\\| | \\|A_i\\| | \\|O_i\\| | h | value | published | Δ | optimal | upper bound "
          "| time (s) | nodes | max joint types | JESP start | heuristic |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in chosen:
        fname, hs, ext = PROBLEMS[name]
        path = args.corpus / fname
        if not path.exists():
            print(f"| {name} | | | | | missing file {path} | | | | | | | | | |")
            continue
        for h in hs + (ext if args.extended else ()):
            res = run_instance(path, h, args.limit)
            pub = PUBLISHED.get((name, h))
            pub_s = f"{pub[0]!r} ({pub[1]})" if pub else "—"
            if "error" in res:
                print(f"| {name} | | | | {h} | {res['error']} | {pub_s} | | | | | | | | |", flush=True)
                continue
            s, a, o = res["sizes"]  # type: ignore[misc]
            delta = f"{res['value'] - pub[0]:+.1e}" if pub else "—"  # type: ignore[operator]
            print(f"| {name} | {s} | {'×'.join(map(str, a))} | {'×'.join(map(str, o))} | {h} "
                  f"| {res['value']:.6f} | {pub_s} | {delta} | {'yes' if res['optimal'] else 'no (limit)'} "
                  f"| {res['upper']:.6f} | {res['seconds']:.2f} | {res['nodes']} | {res['types']} "
                  f"| {'—' if res['lb'] is None else format(res['lb'], '.6f')} | {res['heuristic']} |",
                  flush=True)


if __name__ == "__main__":
    main()
