"""Time exact Dec-POMDP evaluation, best responses and .dpomdp parsing; print markdown tables.

Usage: python benchmarks/dpomdp_eval.py [--corpus ../shared/dpomdp] [--repeats 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ce.dec_gaps import best_response
from games.dec_pomdp.catalog import dec_tiger
from games.dec_pomdp.evaluation import evaluate
from games.dec_pomdp.madp_format import read_dpomdp
from games.dec_pomdp.policies import StochasticPolicy

CORPUS_FILES = ("dectiger.dpomdp", "GridSmall.dpomdp", "boxPushingUAI07.dpomdp.gz", "Mars.dpomdp.gz",
                "fireFighting_2_3_3.dpomdp.gz", "fireFighting_2_4_3.dpomdp.gz")


def best_of(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "dpomdp"))
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; machine: {platform.platform()}, "
          f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}; numpy {np.__version__}")
    model = dec_tiger()
    print("\n| Dec-Tiger horizon | stochastic product policy: evaluate (s) | best response of agent 0 (s) "
          "| with recommendations (s) |\n|---:|---:|---:|---:|")
    for h in (4, 5, 6):
        pol = StochasticPolicy.random(model.num_actions, model.num_observations, h, seed=0)
        ev = best_of(lambda pol=pol: evaluate(model, pol), args.repeats)
        br = best_of(lambda pol=pol: best_response(model, pol, 0), args.repeats) if h <= 5 else float("nan")
        brr = (best_of(lambda pol=pol: best_response(model, pol, 0, recommendations=True), args.repeats)
               if h <= 4 else float("nan"))
        print(f"| {h} | {ev:.3f} | {br:.3f} | {brr:.3f} |")
    corpus = Path(args.corpus)
    if corpus.is_dir():
        print("\n| corpus file | states | read_dpomdp (s) |\n|---|---:|---:|")
        for name in CORPUS_FILES:
            path = corpus / name
            if path.is_file():
                m = read_dpomdp(path)
                t = best_of(lambda path=path: read_dpomdp(path), args.repeats)
                print(f"| {name} | {m.num_states} | {t:.3f} |")


if __name__ == "__main__":
    main()
