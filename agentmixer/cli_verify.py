"""``agentmixer verify [CLAIM|all] [--json] [--out DIR]``: run the verification suite's claims.

Prints a PASS/FAIL table per claim with the measured numbers (or JSON with ``--json``), writes
``DIR/report.md`` with ``--out DIR``, and exits 1 when any check fails (0 otherwise).
"""

from __future__ import annotations

import argparse
import inspect
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from verification import climbing, igc, magpo, theorem1, theorem2
from verification.result import ClaimResult

__all__ = ["CLAIMS", "add_verify_parser", "cmd_verify", "run_claims"]

CLAIMS: dict[str, Callable[..., ClaimResult]] = {
    "theorem1": theorem1.run,
    "theorem2": theorem2.run,
    "igc": igc.run,
    "magpo": magpo.run,
    "climbing": climbing.run,
}
"""The implemented claims, in the order ``all`` runs them."""


def run_claims(claim: str, out_dir: Path | None = None) -> list[tuple[ClaimResult, float]]:
    """Run ``claim`` (a key of :data:`CLAIMS` or ``"all"``); returns (result, seconds) pairs.

    Claims whose ``run`` takes ``out_dir`` write their figures there when it is given.
    """
    names = list(CLAIMS) if claim == "all" else [claim]
    out = []
    for name in names:
        start = time.perf_counter()
        fn = CLAIMS[name]
        takes_dir = "out_dir" in inspect.signature(fn).parameters
        result = fn(out_dir=out_dir) if takes_dir and out_dir is not None else fn()
        out.append((result, time.perf_counter() - start))
    return out


def _report(results: list[tuple[ClaimResult, float]], out: Path) -> str:
    passed = all(r.passed for r, _ in results)
    lines = ["# agentmixer verify", "",
             f"Overall: **{'PASS' if passed else 'FAIL'}**", "",
             "| claim | result | checks | seconds |", "|---|---|---|---|"]
    for r, secs in results:
        ok = len(r.checks) - len(r.failed)
        status = "PASS" if r.passed else "**FAIL**"
        lines.append(f"| {r.claim} | {status} | {ok}/{len(r.checks)} | {secs:.2f} |")
    lines.append("")
    sections = []
    for r, _ in results:
        figures = sorted(out.glob(f"{r.claim}_*.png"))
        sections.append(r.markdown() + "".join(f"\n![{f.stem}]({f.name})\n" for f in figures))
    return "\n".join(lines) + "\n" + "\n".join(sections)


def cmd_verify(args: argparse.Namespace) -> int:
    out = None if args.out is None else Path(args.out)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    results = run_claims(args.claim, out)
    passed = all(r.passed for r, _ in results)
    if args.json:
        payload: dict[str, Any] = {
            "passed": passed,
            "claims": [{**r.to_dict(), "seconds": secs} for r, secs in results],
        }
        print(json.dumps(payload, indent=1))
    else:
        lines: list[str] = []
        for r, secs in results:
            lines += r.table_lines()
            lines.append(f"  ({secs:.2f} s)")
        lines.append(f"overall: {'PASS' if passed else 'FAIL'}")
        print("\n".join(lines))
    if out is not None:
        (out / "report.md").write_text(_report(results, out), encoding="utf-8")
    return 0 if passed else 1


def add_verify_parser(sub: Any, json_flag: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Register ``verify`` on the subparsers ``sub`` (``json_flag``: the shared ``--json`` parent)."""
    p = sub.add_parser("verify", parents=[json_flag],
                       help="run the verification suite: PASS/FAIL checks of the papers' claims")
    p.add_argument("claim", nargs="?", default="all", choices=[*CLAIMS, "all"],
                   help="which claim to check (default: all)")
    p.add_argument("--out", metavar="DIR", help="write DIR/report.md (markdown report) and the figures")
    p.set_defaults(func=cmd_verify)
    return p
