"""What the external-simulator bridge costs the built-in numpy environments: their raw stepping
speed at a base revision (before the bridge) against the working tree, side by side.

The base revision's ``games`` package is exported with ``git archive`` to a temporary folder;
each (environment, copies, tree) cell runs in a fresh subprocess that times ``env.step`` with
uniformly random actions drawn before timing, in CPU time (``time.process_time``: this machine is
shared, and CPU time is the work's own), best of ``--rounds`` alternating rounds.

Usage: python benchmarks/env_bridge_cost.py [--base 749d368^] [--rounds 5] [--sizes 64,1024]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENVS = ("climbing", "bridge", "predator-prey-small", "predator-prey")
MEASURE = """
import sys, time
import numpy as np
from games.envs import make_env
name, b, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
env = make_env(name, b, seed=0)
rng = np.random.default_rng(0)
acts = [np.stack([rng.integers(0, m, b) for m in env.num_actions], axis=1) for _ in range(64)]
for a in acts[:8]:
    env.step(a)
t0 = time.process_time()
for i in range(n):
    env.step(acts[i % 64])
print(b * n / (time.process_time() - t0))
"""


def measure(tree: Path, name: str, copies: int, steps: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", MEASURE, name, str(copies), str(steps)], env=env,
                         capture_output=True, text=True, check=True, cwd=tree)
    return float(out.stdout.strip())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="749d368^", help="a revision before the bridge")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--sizes", default="64,1024")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.base, "games"], capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        base = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.base],
                              capture_output=True, text=True, check=True).stdout.strip()
        print(f"base {args.base} = {base}; head = the working tree; env steps per CPU-second, best of "
              f"{args.rounds} alternating rounds; load average {os.getloadavg()[0]:.1f}\n")
        print("| env | copies | base | head | head / base |")
        print("|---|---:|---:|---:|---:|")
        for name in ENVS:
            for copies in (int(s) for s in args.sizes.split(",")):
                steps = max(20, 200_000 // copies) if "predator" not in name else max(20, 20_000 // copies)
                best = {"base": 0.0, "head": 0.0}
                for _ in range(args.rounds):
                    for label, tree in (("base", Path(tmp)), ("head", ROOT)):
                        best[label] = max(best[label], measure(tree, name, copies, steps))
                print(f"| {name} | {copies} | {best['base']:,.0f} | {best['head']:,.0f} | "
                      f"{best['head'] / best['base']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
