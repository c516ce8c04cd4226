"""Seeded mutation of the command line's inputs, shared by the fuzz tests.

:func:`run_case` drives the CLI entry in-process and classifies the outcome: ``"refused"`` (exit 2
with exactly one line ``agentmixer: error: ...`` on stderr) or ``"accepted"`` (exit 0 and, with
``--json``, one strict JSON document on stdout). Anything else — another exit status, a traceback,
several error lines, NaN in JSON — raises :class:`FuzzFailure` naming the input.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
from collections.abc import Callable
from typing import Any

from agentmixer.cli import main

JUNK: tuple[Any, ...] = ("nan", "inf", "-inf", "1e999", "-1", "0", "x", "", '"', "{", "}", "[", "1.5",
                         "99999999999", "-0", "true", "null", "0x10", ":", "#", "é", "1e-320", "2.5e2")
JSON_JUNK: tuple[Any, ...] = (None, True, False, -1, 0, 2, 1.5, -0.0, 1e308, "0.5", "", "x", [], {},
                              [None], [[1, 2], [3]], {"joint": None}, 10**30)


class FuzzFailure(AssertionError):
    """The command line broke its contract on one input."""


def run_case(argv: list[str], what: str) -> str:
    """Run ``agentmixer *argv`` in-process: ``"accepted"`` or ``"refused"``, else FuzzFailure."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code if isinstance(exc.code, int) else 2
    except Exception as exc:
        raise FuzzFailure(f"{what}: uncaught {type(exc).__name__}: {exc}") from exc
    lines = [ln for ln in err.getvalue().splitlines() if ln.strip()]
    if code == 2:
        if len(lines) != 1 or not lines[0].startswith("agentmixer: error:"):
            raise FuzzFailure(f"{what}: exit 2 but stderr is not one error line: {lines[:4]}")
        return "refused"
    if code != 0:
        raise FuzzFailure(f"{what}: exit status {code}; stderr {lines[-3:]}")
    if "--json" in argv:
        try:
            json.loads(out.getvalue(), parse_constant=_no_constants)
        except ValueError as exc:
            raise FuzzFailure(f"{what}: --json output is not strict JSON ({exc})") from None
    return "accepted"


def _no_constants(name: str) -> None:
    raise ValueError(f"non-JSON constant {name}")


def mutate_text(text: str, rng: random.Random) -> str:
    """One random edit of a text file: a token replaced, deleted or duplicated, a line deleted or
    duplicated, or the text cut short."""
    lines = text.splitlines()
    op = rng.randrange(6)
    if op == 5:
        return text[: rng.randrange(len(text) + 1)]
    if op in (3, 4) and lines:
        k = rng.randrange(len(lines))
        return "\n".join(lines[:k] + ([lines[k]] * 2 if op == 4 else []) + lines[k + 1:]) + "\n"
    tokens = text.split(" ")
    k = rng.randrange(len(tokens))
    if op == 0:
        tokens[k] = rng.choice(JUNK) + ("\n" if tokens[k].endswith("\n") else "")
    elif op == 1:
        del tokens[k]
    else:
        tokens.insert(k, tokens[k])
    return " ".join(tokens)


def mutate_json(doc: Any, rng: random.Random) -> Any:
    """One random node of ``doc`` (a copy) replaced by junk, deleted, or the whole document."""
    doc = json.loads(json.dumps(doc))
    path: list[Any] = []
    node = doc
    while isinstance(node, dict | list) and node and rng.random() < 0.75:
        key = rng.choice(sorted(node) if isinstance(node, dict) else range(len(node)))
        path.append(key)
        node = node[key]
    if not path:
        return rng.choice(JSON_JUNK)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if rng.random() < 0.2:
        del parent[path[-1]]
    else:
        parent[path[-1]] = rng.choice(JSON_JUNK)
    return doc


Case = Callable[[random.Random, int], tuple[list[str], str]]


def campaign(n: int, seed: int, make_case: Case) -> dict[str, int]:
    """Run ``n`` cases built by ``make_case(rng, k)``; counts of each outcome."""
    rng = random.Random(seed)
    counts = {"tried": 0, "refused": 0, "accepted": 0}
    for k in range(n):
        argv, what = make_case(rng, k)
        counts[run_case(argv, what)] += 1
        counts["tried"] += 1
    return counts
