"""Benchmark: max-welfare CE / CCE with our HiGHS LP against OpenSpiel's jpsro ``_mwce`` / ``_mwcce``.

For every size (players x actions) one seeded random general-sum game (``random_game``, seed 0) is
solved for the maximum-welfare correlated (CE) and coarse correlated (CCE) equilibrium by

* ours: ``ce.lp.solve_correlated`` end to end (wall time, ``time.perf_counter``), with HiGHS's own
  ``run()`` time (``result.solve_seconds``) beside it, best of ``--repeats`` runs;
* OpenSpiel 2.0.2: ``open_spiel.python.algorithms.jpsro._mwce`` / ``_mwcce`` (cvxpy + ECOS) on the
  same payoff tensor, one run each in a fresh subprocess (imports excluded from the timing) that is
  killed after ``--openspiel-timeout`` seconds and reported as "> T s".

Welfare agreement: OpenSpiel's returned joint distribution (shape (A_1, ..., A_N), C order, the
layout of our ``payoffs[i]``) is clipped at 0 and renormalised (ECOS is an interior-point method,
so entries may be ~-1e-10 and the sum off by ~1e-8), and its welfare is Σ_i <payoffs[i], dist>.
|ΔW| is the absolute difference from our welfare. ε is the certified closed-form gap of our
solution (``result.gap.epsilon``).

A second table times ``ce.gaps.ce_gap`` / ``cce_gap`` on a random distribution over 10^6 joint
actions (best of 3).

Run from the repository root::

    python benchmarks/ce_lp.py                       # everything (tens of minutes)
    python benchmarks/ce_lp.py --sizes 2x10,3x10 --openspiel-timeout 60
    python benchmarks/ce_lp.py --skip-openspiel      # ours only (about a minute)
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import multiprocessing as mp
import os
import platform
import queue
import sys
import time
from dataclasses import dataclass

import numpy as np

from ce.gaps import cce_gap, ce_gap
from ce.lp import solve_correlated
from games.normal_form.catalog import random_game

DEFAULT_SIZES = ("2x10", "2x30", "2x100", "3x10", "4x6", "5x4", "6x5", "2x200")
CONCEPTS = ("ce", "cce")
GAP_SIZES = ((2, 1000), (6, 10))
REPEAT_BUDGET_S = 10.0  # stop repeating our solve once this much time was spent on one case


@dataclass
class OursTiming:
    total: float
    highs: float
    build: float
    welfare: float
    epsilon: float
    rows: int | None = None


@dataclass
class OpenSpielTiming:
    seconds: float | None  # None: did not finish
    welfare: float | None
    note: str  # "", "timeout", "error: ...", "killed (out of memory?)"


def parse_size(text: str) -> tuple[int, int]:
    try:
        p, a = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r} is not PLAYERSxACTIONS, e.g. 2x10") from None
    if p < 1 or a < 1:
        raise argparse.ArgumentTypeError(f"size {text!r} needs players >= 1 and actions >= 1")
    return p, a


def versions() -> dict[str, str]:
    out = {}
    for pkg in ("numpy", "scipy", "highspy", "open_spiel", "cvxpy", "ecos"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def print_header(args: argparse.Namespace) -> None:
    v = versions()
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    load = "n/a"
    if hasattr(os, "getloadavg"):
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print("## Max-welfare CE / CCE: agentmixer (HiGHS) vs OpenSpiel jpsro (cvxpy + ECOS)\n")
    print(f"- date: {now}")
    print(f"- machine: {platform.platform()}; CPU: {cpu_model()}; {os.cpu_count()} logical CPUs")
    print(f"- load average at start (1/5/15 min): {load}")
    print(f"- python {platform.python_version()}; " + "; ".join(f"{k} {val}" for k, val in v.items()))
    print(f"- games: random_game(players, actions, seed={args.seed}) (general-sum, payoffs U[0, 1)); "
          f"ours: best of {args.repeats} (fewer when one run exceeds {REPEAT_BUDGET_S:g} s); "
          f"OpenSpiel: one run per case in a subprocess, timeout {args.openspiel_timeout:g} s")
    print(f"- command: python {' '.join(sys.argv)}\n")


# ----------------------------------------------------------------------------- ours

def time_ours(game, concept: str, repeats: int, options: dict | None) -> OursTiming:
    best: OursTiming | None = None
    spent = 0.0
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        res = solve_correlated(game, concept, "welfare", options=options)
        total = time.perf_counter() - t0
        spent += total
        if best is None or total < best.total:
            best = OursTiming(total, res.solve_seconds, res.build_seconds, res.welfare,
                              res.gap.epsilon)
        if spent > REPEAT_BUDGET_S:
            break
    assert best is not None
    return best


# ----------------------------------------------------------------------------- OpenSpiel

def _openspiel_worker(payoffs: np.ndarray, concept: str, out: mp.Queue, mem_gb: float) -> None:
    """Child process: import jpsro (untimed), then time one _mwce/_mwcce call."""
    try:
        if mem_gb > 0:
            import resource

            limit = int(mem_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        import logging

        logging.disable(logging.WARNING)
        from open_spiel.python.algorithms import jpsro

        solver = jpsro._mwce if concept == "ce" else jpsro._mwcce
        repeats = [np.ones(m) for m in payoffs.shape[1:]]
        out.put(("ready", None, None))
        t0 = time.perf_counter()
        dist, _ = solver(payoffs, repeats, ignore_repeats=True)
        seconds = time.perf_counter() - t0
        out.put(("done", seconds, np.asarray(dist, dtype=np.float64)))
    except MemoryError:
        out.put(("error", None, "MemoryError"))
    except BaseException as exc:
        out.put(("error", None, f"{type(exc).__name__}: {exc}"[:200]))


def openspiel_welfare(payoffs: np.ndarray, dist: np.ndarray) -> float:
    if dist.shape != payoffs.shape[1:]:
        raise ValueError(f"OpenSpiel returned shape {dist.shape}, expected {payoffs.shape[1:]}")
    d = np.clip(dist, 0.0, None)
    d = d / d.sum()
    return float(sum(np.vdot(payoffs[i], d) for i in range(payoffs.shape[0])))


def time_openspiel(payoffs: np.ndarray, concept: str, timeout: float,
                   mem_gb: float) -> OpenSpielTiming:
    ctx = mp.get_context("spawn")
    q: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_openspiel_worker, args=(payoffs, concept, q, mem_gb), daemon=True)
    proc.start()
    try:
        try:
            kind, _, payload = q.get(timeout=120)  # imports
        except queue.Empty:
            return OpenSpielTiming(None, None, "error: jpsro import did not finish in 120 s")
        if kind == "error":
            return OpenSpielTiming(None, None, f"error: {payload}")
        try:
            kind, seconds, payload = q.get(timeout=timeout)
        except queue.Empty:
            if not proc.is_alive():
                return OpenSpielTiming(None, None, f"killed (exit code {proc.exitcode}; memory?)")
            return OpenSpielTiming(None, None, "timeout")
        if kind == "error":
            return OpenSpielTiming(None, None, f"error: {payload}")
        return OpenSpielTiming(seconds, openspiel_welfare(payoffs, payload), "")
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(10)
        q.close()


# ----------------------------------------------------------------------------- tables

def fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 1:
        return f"{x:.2f}"
    if x >= 0.01:
        return f"{x:.3f}"
    return f"{x:.4f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default=",".join(DEFAULT_SIZES),
                    help="comma-separated PLAYERSxACTIONS (default: %(default)s)")
    ap.add_argument("--concepts", default="ce,cce", help="ce, cce or both (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3, help="best of this many runs of ours")
    ap.add_argument("--openspiel-timeout", type=float, default=300.0,
                    help="seconds per OpenSpiel call (default: %(default)s)")
    ap.add_argument("--openspiel-memory-gb", type=float, default=12.0,
                    help="address-space limit of the OpenSpiel subprocess, 0 = none")
    ap.add_argument("--skip-openspiel", action="store_true")
    ap.add_argument("--skip-gap", action="store_true", help="skip the gap-timing table")
    ap.add_argument("--ce-solver", choices=("simplex", "ipm", "pdlp"), default=None,
                    help="override HiGHS 'solver' for CE (default: the package's HIGHS_DEFAULTS)")
    ap.add_argument("--cce-solver", choices=("simplex", "ipm", "pdlp"), default=None,
                    help="override HiGHS 'solver' for CCE")
    args = ap.parse_args(argv)
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    concepts = [c.strip() for c in args.concepts.split(",") if c.strip()]
    if any(c not in CONCEPTS for c in concepts):
        ap.error(f"--concepts must be from {CONCEPTS}")
    overrides = {"ce": args.ce_solver, "cce": args.cce_solver}

    started = time.perf_counter()
    print_header(args)
    solve_correlated(random_game(2, 3, seed=1), "ce")  # warm-up: imports, HiGHS library load
    solve_correlated(random_game(2, 3, seed=1), "cce")

    print("| size | joint actions | concept | ours total (s) | HiGHS run (s) | ours/HiGHS | "
          "OpenSpiel (s) | speedup (OpenSpiel/ours) | \\|ΔW\\| | ε (ours) |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    sys.stdout.flush()
    for players, actions in sizes:
        game = random_game(players, actions, seed=args.seed)
        payoffs = np.array(game.payoffs, dtype=np.float64)
        for concept in concepts:
            opts = {"solver": overrides[concept]} if overrides[concept] else None
            ours = time_ours(game, concept, args.repeats, opts)
            if args.skip_openspiel:
                osp = OpenSpielTiming(None, None, "skipped")
            else:
                osp = time_openspiel(payoffs, concept, args.openspiel_timeout,
                                     args.openspiel_memory_gb)
            if osp.seconds is not None:
                os_cell = fmt_s(osp.seconds)
                speed = f"{osp.seconds / ours.total:.0f}x" if osp.seconds / ours.total >= 10 else \
                    f"{osp.seconds / ours.total:.1f}x"
                dw = f"{abs(osp.welfare - ours.welfare):.1e}"
            else:
                if osp.note == "timeout":
                    os_cell = f"> {args.openspiel_timeout:g}"
                    speed = f"> {args.openspiel_timeout / ours.total:.0f}x"
                else:
                    os_cell, speed = osp.note, "—"
                dw = "—"
            ratio = ours.total / ours.highs if ours.highs > 0 else float("inf")
            print(f"| {players}x{actions} | {game.num_joint_actions} | {concept.upper()} | "
                  f"{fmt_s(ours.total)} | {fmt_s(ours.highs)} | {ratio:.2f} | {os_cell} | "
                  f"{speed} | {dw} | {ours.epsilon:.1e} |")
            sys.stdout.flush()

    if not args.skip_gap:
        print("\n### Closed-form gap on a random distribution over 10^6 joint actions (best of 3)\n")
        print("| size | joint actions | ce_gap (s) | cce_gap (s) |")
        print("|---|---:|---:|---:|")
        for players, actions in GAP_SIZES:
            game = random_game(players, actions, seed=args.seed)
            rng = np.random.default_rng(args.seed)
            mu = rng.random(game.num_actions)
            mu /= mu.sum()
            cells = []
            for fn in (ce_gap, cce_gap):
                best = float("inf")
                for _ in range(3):
                    t0 = time.perf_counter()
                    fn(game, mu)
                    best = min(best, time.perf_counter() - t0)
                cells.append(fmt_s(best))
            print(f"| {players}x{actions} | {game.num_joint_actions} | {cells[0]} | {cells[1]} |")
            sys.stdout.flush()
    if hasattr(os, "getloadavg"):
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"\n- load average at end (1/5/15 min): {load}; "
              f"wall time of the whole run: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
