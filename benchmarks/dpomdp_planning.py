"""Benchmark: exact finite-horizon Dec-POMDP planning (``ce.planning.solve_optimal``, GMAA*-ICE).

For each problem of the MADP corpus (``../shared/dpomdp``, read with
``games.dec_pomdp.madp_format.read_dpomdp``), horizon and discount of the list below, the solver
runs with a per-instance time limit in a fresh process (``spawn``; model loading not timed; killed
after the limit plus a grace period). The table gives the value of the policy found (recomputed by
exact forward evaluation of the clustered policy), the proven upper bound (equal to the value when
the optimum is proven; otherwise the anytime bounds at the limit), the published optimum where one
is known, the solver's wall time, the process's peak resident memory, and the clusters (types per
agent) at each stage of the returned policy.

Published values (undiscounted; none is known to us for the discounted rows):

* M — masplan.org, "Optimal values for finite-horizon Dec-POMDPs" (http://masplan.org/optimal_values),
  read there: Dec-Tiger, BroadcastChannel, GridSmall.
* Q — the same masplan.org table as quoted in public code that lists its values (the part of the
  page not read here): Recycling, FireFighting ⟨2,3,3⟩, Mars, BoxPushing, OneDoor, and
  Grid3x3corners (listed there as "Meeting").

Run from the repository root::

    python benchmarks/dpomdp_planning.py                       # every row (a few minutes)
    python benchmarks/dpomdp_planning.py --problems dectiger,GridSmall --limit 30
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import multiprocessing as mp
import os
import platform
import queue
import time
from pathlib import Path

import numpy as np

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "dpomdp"

# name: (file, [(discount, horizons)])
PROBLEMS: dict[str, tuple[str, list[tuple[float, tuple[int, ...]]]]] = {
    "dectiger": ("dectiger.dpomdp", [(1.0, (2, 3, 4, 5, 6, 7)), (0.9, (4, 5, 6))]),
    "broadcastChannel": ("broadcastChannel.dpomdp",
                         [(1.0, (2, 5, 10, 20, 50, 100, 250, 500, 900)), (0.9, (100, 300))]),
    "fireFighting_2_3_3": ("fireFighting_2_3_3.dpomdp.gz", [(1.0, (2, 3, 4, 5, 6, 10, 100, 1000))]),
    "GridSmall": ("GridSmall.dpomdp", [(1.0, (2, 3, 4, 5, 6, 7))]),
    "Grid3x3corners": ("Grid3x3corners.dpomdp.gz", [(1.0, (2, 3, 4, 5))]),
    "Mars": ("Mars.dpomdp.gz", [(1.0, (2, 3, 4, 5))]),
    "boxPushing": ("boxPushingUAI07.dpomdp.gz", [(1.0, (2, 3, 4, 5))]),
    "recycling": ("recycling.dpomdp", [(1.0, (2, 3, 4, 5, 70)), (0.9, (10, 40, 80))]),
    "oneDoor": ("oneDoor_2_7_0.20_0.00_0_2.dpomdp.gz", [(1.0, (2, 3, 4))]),
}

PUBLISHED: dict[tuple[str, int], tuple[float, str]] = {
    **{("dectiger", h): (v, "M") for h, v in [(2, -4.0), (3, 5.190812), (4, 4.802755), (5, 7.026451),
                                              (6, 10.381625), (7, 9.9935)]},
    **{("broadcastChannel", h): (v, "M") for h, v in [
        (2, 2.0), (5, 4.79), (10, 9.29), (20, 18.313228), (50, 45.501604), (100, 90.760423),
        (250, 226.500545), (500, 452.738119), (900, 814.709393)]},
    **{("GridSmall", h): (v, "M") for h, v in [(2, 0.91), (3, 1.550444), (4, 2.241577), (5, 2.970496),
                                               (6, 3.717168), (7, 4.4657)]},
    **{("recycling", h): (v, "Q") for h, v in [(2, 7.0), (3, 10.660125), (4, 13.38), (5, 16.486),
                                               (70, 216.47929)]},
    **{("fireFighting_2_3_3", h): (v, "Q") for h, v in [(2, -4.383496), (3, -5.736969), (4, -6.578834),
                                                        (5, -7.069874), (6, -7.175591)]},
    **{("Mars", h): (v, "Q") for h, v in [(2, 5.8), (3, 9.38), (4, 10.1808)]},
    **{("boxPushing", h): (v, "Q") for h, v in [(2, 17.6), (3, 66.081), (4, 98.593613)]},
    **{("oneDoor", h): (v, "Q") for h, v in [(2, 0.0), (3, -0.000395), (4, -0.001682)]},
    **{("Grid3x3corners", h): (v, "Q") for h, v in [(2, 0.0), (3, 0.1332), (4, 0.433)]},
}


def _worker(path: str, horizon: int, discount: float, limit: float, out: mp.Queue) -> None:
    import resource

    from ce.planning import solve_optimal
    from games.dec_pomdp.madp_format import read_dpomdp

    try:
        model = read_dpomdp(path)
        r = solve_optimal(model, horizon, discount, time_limit=limit)
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out.put({"value": r.value, "optimal": r.optimal, "upper": r.upper_bound, "seconds": r.seconds,
                 "types": r.policy.num_types(), "heuristic": r.stats.get("heuristic"),
                 "nodes": r.stats.get("nodes"), "peak_mb": peak_kb / 1024,
                 "sizes": (model.num_states, model.num_actions, model.num_observations)})
    except Exception as exc:  # reported in the table
        out.put({"error": f"{type(exc).__name__}: {exc}"})


def run_instance(path: Path, horizon: int, discount: float, limit: float,
                 grace: float = 60.0) -> dict[str, object]:
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_worker, args=(str(path), horizon, discount, limit, out))
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


def clusters(types: list[tuple[int, ...]], shown: int = 8) -> str:
    """Types per agent at each stage, runs of equal stages merged: ``1x1 2x2 ... 1x1(x993)``."""
    runs = [(k, len(list(g))) for k, g in itertools.groupby("x".join(map(str, n)) for n in types)]
    text = [k + (f"(x{c})" if c > 1 else "") for k, c in runs[:shown]]
    return " ".join(text) + (" …" if len(runs) > shown else "")


def header() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    return "\n".join([
        "# Exact Dec-POMDP planning (GMAA*-ICE, `ce.planning.solve_optimal`)",
        "",
        f"- date: {datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds')}",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
        f"- python {platform.python_version()}, numpy {np.__version__}; OPENBLAS_NUM_THREADS={threads}",
        f"- load average at start: {', '.join(f'{x:.2f}' if isinstance(x, float) else x for x in load)}",
        "- value: exact value of the returned policy; upper bound: proven (= value when optimal)",
        "- time: solver wall time without model loading; memory: peak RSS of the solving process",
        "- published: M = masplan.org optimal-values table; Q = that table as quoted in public code",
        "",
    ])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--limit", type=float, default=60.0, help="per-instance time limit in seconds")
    ap.add_argument("--problems", default="", help="comma-separated subset of " + ", ".join(PROBLEMS))
    args = ap.parse_args()
    chosen = [p for p in args.problems.split(",") if p] or list(PROBLEMS)
    unknown = [p for p in chosen if p not in PROBLEMS]
    if unknown:
        ap.error(f"unknown problems {unknown}; known: {', '.join(PROBLEMS)}")
    print(header())
    print("| problem | \\|S\\| | \\|A_i\\| | \\|O_i\\| | h | γ | value | upper bound | published | time (s) "
          "| peak MB | clusters per stage (types per agent) |")
    print("|---|---:|---|---|---:|---:|---:|---:|---|---:|---:|---|")
    for name in chosen:
        fname, rows = PROBLEMS[name]
        path = args.corpus / fname
        if not path.exists():
            print(f"| {name} | | | | | | missing file {path} | | | | | |")
            continue
        for gamma, horizons in rows:
            for h in horizons:
                res = run_instance(path, h, gamma, args.limit)
                pub = PUBLISHED.get((name, h)) if gamma == 1.0 else None
                pub_s = f"{pub[0]} ({pub[1]})" if pub else "—"
                if "error" in res:
                    print(f"| {name} | | | | {h} | {gamma:g} | {res['error']} | | {pub_s} | | | |",
                          flush=True)
                    continue
                s, a, o = res["sizes"]  # type: ignore[misc]
                value, bound = float(res["value"]), float(res["upper"])  # type: ignore[arg-type]
                upper = f"{bound:.6f}" if res["optimal"] else f"{bound:.6f} (gap {bound - value:.4g}, limit)"
                types = clusters(res["types"])  # type: ignore[arg-type]
                print(f"| {name} | {s} | {'×'.join(map(str, a))} | {'×'.join(map(str, o))} | {h} | {gamma:g} "
                      f"| {value:.6f} | {upper} | {pub_s} | {res['seconds']:.2f} | {res['peak_mb']:.0f} "
                      f"| {types} |", flush=True)


if __name__ == "__main__":
    main()
