"""Structured results of the verification suite: a claim is a tuple of named, measured checks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Check", "ClaimResult", "format_value"]


def format_value(value: float | str) -> str:
    """A measured number as printed in tables: ``%.10g`` for floats, integers without a point."""
    if isinstance(value, str):
        return value
    value = float(value)
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.10g}"


def _plain(value: float | str) -> float | str:
    """A JSON-ready scalar (numpy scalars become Python floats; bools stay numbers)."""
    return value if isinstance(value, str) else float(value)


@dataclass(frozen=True)
class Check:
    """One PASS/FAIL comparison.

    Attributes:
        name: short identifier, e.g. ``"bridge_crossing/asymmetric_failure"``.
        passed: whether the measured numbers satisfy ``expected``.
        measured: the numbers (or short strings) the check computed.
        expected: the condition, in words/symbols, e.g. ``"|V_distilled - V*| <= 1e-6"``.
        detail: one or two sentences on what was computed and why it matters.
    """

    name: str
    passed: bool
    measured: Mapping[str, float | str]
    expected: str
    detail: str = ""

    def measured_text(self) -> str:
        return ", ".join(f"{k}={format_value(v)}" for k, v in self.measured.items())

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": bool(self.passed),
                "measured": {k: _plain(v) for k, v in self.measured.items()},
                "expected": self.expected, "detail": self.detail}


@dataclass(frozen=True)
class ClaimResult:
    """The checks of one claim (a theorem, an invariant or a counterexample)."""

    claim: str
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        """True when every check passed (and there is at least one)."""
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "passed": self.passed, "checks": [c.to_dict() for c in self.checks]}

    def table_lines(self) -> list[str]:
        """A plain-text PASS/FAIL table with the measured numbers."""
        status = "PASS" if self.passed else "FAIL"
        lines = [f"{self.claim}: {status} ({len(self.checks) - len(self.failed)}/{len(self.checks)} checks)"]
        width = max((len(c.name) for c in self.checks), default=0)
        for c in self.checks:
            lines.append(f"  {'PASS' if c.passed else 'FAIL'}  {c.name:<{width}}  {c.measured_text()}")
            lines.append(f"  {'':4}  {'':<{width}}  expected: {c.expected}")
        return lines

    def markdown(self) -> str:
        """A markdown section: heading, status and a table of the checks."""
        status = "PASS" if self.passed else "FAIL"
        out = [f"## {self.claim}: {status}", "",
               "| check | result | measured | expected | detail |", "|---|---|---|---|---|"]
        for c in self.checks:
            cells = [c.name, "PASS" if c.passed else "**FAIL**", c.measured_text(), c.expected, c.detail]
            out.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
        return "\n".join(out) + "\n"
