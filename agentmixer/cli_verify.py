"""``agentmixer verify [CLAIM|all] [--json] [--out DIR] [--strict]``: run the verification suite.

Prints, per module, the verdict on each of the papers' claims (reproduced / not reproduced /
refuted, with the deciding numbers) and the internal soundness checks (or one JSON document with
``--json``), writes ``DIR/report.md`` and the figures with ``--out DIR``. Exit status: 1 when a
soundness check fails (a bug, not a finding); with ``--strict`` also when a claim is not
reproduced or is refuted; 0 otherwise.
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
from verification.result import VERDICTS, ClaimResult

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


def _totals(results: list[tuple[ClaimResult, float]]) -> dict[str, int]:
    out = {v: 0 for v in VERDICTS}
    for r, _ in results:
        for v, n in r.counts().items():
            out[v] += n
    return out


def _overall(results: list[tuple[ClaimResult, float]]) -> str:
    sound = all(r.sound for r, _ in results)
    totals = ", ".join(f"{n} {v}" for v, n in _totals(results).items())
    return f"claims: {totals}; soundness: {'PASS' if sound else 'FAIL'}"


def _report(results: list[tuple[ClaimResult, float]], out: Path) -> str:
    lines = ["# agentmixer verify", "", f"Overall: **{_overall(results)}**", "",
             "| module | reproduced | not reproduced | refuted | soundness checks | seconds |",
             "|---|---|---|---|---|---|"]
    for r, secs in results:
        ok = len(r.checks) - len(r.failed)
        c = r.counts()
        status = f"{ok}/{len(r.checks)}" + ("" if r.sound else " **FAIL**")
        lines.append(f"| {r.claim} | {c['reproduced']} | {c['not reproduced']} | {c['refuted']} | "
                     f"{status} | {secs:.2f} |")
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
    sound = all(r.sound for r, _ in results)
    reproduced = all(r.reproduced for r, _ in results)
    if args.json:
        payload: dict[str, Any] = {
            "sound": sound,
            "all_reproduced": reproduced,
            "verdicts": _totals(results),
            "claims": [{**r.to_dict(), "seconds": secs} for r, secs in results],
        }
        print(json.dumps(payload, indent=1))
    else:
        lines: list[str] = []
        for r, secs in results:
            lines += r.table_lines()
            lines.append(f"  ({secs:.2f} s)")
        lines.append(f"overall: {_overall(results)}")
        print("\n".join(lines))
    if out is not None:
        (out / "report.md").write_text(_report(results, out), encoding="utf-8")
    return 0 if sound and (reproduced or not args.strict) else 1


def add_verify_parser(sub: Any, json_flag: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Register ``verify`` on the subparsers ``sub`` (``json_flag``: the shared ``--json`` parent)."""
    p = sub.add_parser("verify", parents=[json_flag],
                       help="run the verification suite: verdicts on the papers' claims and soundness checks")
    p.add_argument("claim", nargs="?", default="all", choices=[*CLAIMS, "all"],
                   help="which claim to check (default: all)")
    p.add_argument("--out", metavar="DIR", help="write DIR/report.md (markdown report) and the figures")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 also when a claim is not reproduced or is refuted (default: only when a "
                        "soundness check fails)")
    p.set_defaults(func=cmd_verify)
    return p
