"""Structured results of the verification suite: verdicts on the papers' claims, and soundness checks.

A :class:`ClaimResult` holds two different things:

* **verdicts** (:class:`Verdict`): what a paper claims, and whether the computation *reproduces*
  it, does *not reproduce* it (the numbers fall short of what the claim predicts, without
  contradicting it: e.g. a learner that does not reach the optimum it is claimed to reach), or
  *refutes* it (the numbers contradict it: a counterexample). Each verdict carries the numbers that
  decide it, the rule that maps them to the verdict and the assumptions it is made under.
* **soundness checks** (:class:`Check`): internal consistency of the computations — two
  independent methods agreeing, a bound every policy must obey, a probability summing to 1. A
  failed check means a bug in this package, not a finding about a paper.

Both are decided by small rules on the measured numbers (:class:`Rule`, :class:`ClaimRule`), so a
test can feed a rule doctored numbers and watch it fail.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["VERDICTS", "Check", "ClaimResult", "ClaimRule", "Rule", "Verdict", "format_value"]

VERDICTS = ("reproduced", "not reproduced", "refuted")
"""The three verdicts a claim can get."""


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


def _text(numbers: Mapping[str, float | str]) -> str:
    return ", ".join(f"{k}={format_value(v)}" for k, v in numbers.items())


@dataclass(frozen=True)
class Check:
    """One soundness check: computations agreeing with each other.

    Attributes:
        name: short identifier, e.g. ``"bridge_crossing/h2/bound"``.
        passed: whether the measured numbers satisfy ``expected``.
        measured: the numbers (or short strings) the check computed.
        expected: the condition, in words/symbols, e.g. ``"0 <= eps <= V*_dec - V"``.
        detail: one or two sentences on what was computed and why it must hold.
    """

    name: str
    passed: bool
    measured: Mapping[str, float | str]
    expected: str
    detail: str = ""

    def measured_text(self) -> str:
        return _text(self.measured)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": bool(self.passed),
                "measured": {k: _plain(v) for k, v in self.measured.items()},
                "expected": self.expected, "detail": self.detail}


@dataclass(frozen=True)
class Verdict:
    """A paper's claim, the verdict of the computation and the numbers that decide it.

    Attributes:
        name: short identifier, e.g. ``"thm2/premise"``.
        statement: the claim, in words, with its source (paper, theorem or equation).
        verdict: one of :data:`VERDICTS`.
        numbers: the deciding numbers.
        criterion: the rule that maps the numbers to the verdict.
        assumptions: the instances and assumptions the verdict is made under.
    """

    name: str
    statement: str
    verdict: str
    numbers: Mapping[str, float | str]
    criterion: str
    assumptions: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")

    @property
    def reproduced(self) -> bool:
        return self.verdict == "reproduced"

    def numbers_text(self) -> str:
        return _text(self.numbers)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "statement": self.statement, "verdict": self.verdict,
                "numbers": {k: _plain(v) for k, v in self.numbers.items()},
                "criterion": self.criterion, "assumptions": self.assumptions}


@dataclass(frozen=True)
class Rule:
    """The decision of a soundness check: ``holds(measured)``, stated as ``expected``."""

    expected: str
    holds: Callable[[Mapping[str, Any]], bool]
    detail: str = ""

    def check(self, name: str, measured: Mapping[str, float | str], detail: str | None = None) -> Check:
        return Check(name, bool(self.holds(measured)), dict(measured), self.expected,
                     self.detail if detail is None else detail)


@dataclass(frozen=True)
class ClaimRule:
    """A claim and the rule ``decide(numbers) -> verdict`` that judges it; ``keys`` (if given) are
    the numbers the verdict reports (the deciding ones), out of everything measured."""

    statement: str
    criterion: str
    decide: Callable[[Mapping[str, Any]], str]
    assumptions: str = ""
    keys: tuple[str, ...] = ()

    def verdict(self, name: str, numbers: Mapping[str, float | str],
                assumptions: str | None = None) -> Verdict:
        shown = {k: numbers[k] for k in self.keys} if self.keys else dict(numbers)
        return Verdict(name, self.statement, self.decide(numbers), shown, self.criterion,
                       self.assumptions if assumptions is None else assumptions)


@dataclass(frozen=True)
class ClaimResult:
    """The verdicts and soundness checks of one verification module."""

    claim: str
    checks: tuple[Check, ...]
    verdicts: tuple[Verdict, ...] = ()

    @property
    def sound(self) -> bool:
        """True when every soundness check passed (and the module measured something)."""
        return bool(self.checks or self.verdicts) and all(c.passed for c in self.checks)

    @property
    def reproduced(self) -> bool:
        """True when every verdict is "reproduced"."""
        return all(v.reproduced for v in self.verdicts)

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def counts(self) -> dict[str, int]:
        return {v: sum(x.verdict == v for x in self.verdicts) for v in VERDICTS}

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "sound": self.sound, "reproduced": self.reproduced,
                "verdicts": [v.to_dict() for v in self.verdicts],
                "checks": [c.to_dict() for c in self.checks]}

    def summary(self) -> str:
        counts = ", ".join(f"{n} {v}" for v, n in self.counts().items() if n)
        ok = len(self.checks) - len(self.failed)
        return (f"{self.claim}: claims {counts or 'none'}; soundness "
                f"{'PASS' if self.sound else 'FAIL'} ({ok}/{len(self.checks)} checks)")

    def table_lines(self) -> list[str]:
        """Plain text: the verdicts with their numbers, then the soundness checks."""
        lines = [self.summary()]
        for v in self.verdicts:
            lines.append(f"  {v.verdict.upper():<14}  {v.name}: {v.statement}")
            lines.append(f"  {'':14}  numbers: {v.numbers_text()}")
            lines.append(f"  {'':14}  criterion: {v.criterion}")
        width = max((len(c.name) for c in self.checks), default=0)
        for c in self.checks:
            lines.append(f"  check {'PASS' if c.passed else 'FAIL'}  {c.name:<{width}}  {c.measured_text()}")
            lines.append(f"  {'':10}  {'':<{width}}  expected: {c.expected}")
        return lines

    def markdown(self) -> str:
        """A markdown section: the verdicts table, then the soundness checks table."""
        def row(cells: list[str]) -> str:
            return "| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |"

        out = [f"## {self.claim}", "", self.summary(), ""]
        if self.verdicts:
            out += ["| claim | verdict | statement | deciding numbers | criterion | assumptions |",
                    "|---|---|---|---|---|---|"]
            out += [row([v.name, f"**{v.verdict}**", v.statement, v.numbers_text(), v.criterion,
                         v.assumptions]) for v in self.verdicts]
            out.append("")
        if self.checks:
            out += ["| soundness check | result | measured | expected | detail |", "|---|---|---|---|---|"]
            out += [row([c.name, "PASS" if c.passed else "**FAIL**", c.measured_text(), c.expected,
                         c.detail]) for c in self.checks]
        return "\n".join(out) + "\n"
