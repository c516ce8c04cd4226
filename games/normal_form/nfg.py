"""Reader and writer for Gambit's strategic-game ``.nfg`` file format (payoff and outcome forms).

Spec: Gambit documentation, "Game representation formats" -> "The strategic game (.nfg) file
format, payoff version" and "..., outcome version" (gambitproject/gambit ``doc/formats.rst``,
``doc/formats.nfgpay.rst``, ``doc/formats.nfgout.rst``); the reader follows Gambit's own lexer
(``src/games/file.cc``). A file is ``NFG 1 R|D "title" { "P1" ... }``, then either a strategy-count
block ``{ 3 2 }`` or a strategy-name block ``{ { "s1" "s2" } { "t1" "t2" } }``, an optional comment
string, and a body: either a flat payoff list (all players' payoffs per strategy profile) or an
outcome list ``{ { "name" u1, u2 } ... }`` followed by one outcome index per profile (0 = the null
outcome, all payoffs zero; outcomes are numbered from 1). Profiles are listed with the FIRST
player's strategy varying fastest. Numbers may be integers, decimals, scientific notation or
rationals ``p/q``. Strings are double-quoted; ``\\"`` is an escaped quote and ``\\\\`` an escaped
backslash (any other backslash is kept literally; note that Gambit itself reads ``\\\\`` as two
backslashes, so labels containing backslashes do not survive a trip through Gambit).

Label normalisation (our model needs non-empty, unique names): an empty player label becomes
``"Player i"`` and an empty strategy label ``"k"`` (1-based, as in Gambit's count block); then,
within the players and within each player's strategies, every label occurring more than once is
renamed ``label_1``, ``label_2``, ... (skipping labels already in use), the scheme of Gambit's
``NormalizeLabels``. The game is named by its title, else by the file stem, else ``"game"``.
"""

from __future__ import annotations

import itertools
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Literal

import numpy as np

from games.errors import GameError, ParseError
from games.normal_form.game import NormalFormGame

__all__ = ["read_nfg", "write_nfg"]

_TOKEN_RE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{},]|[^\s{}",]+|"', re.S)
_NUM = r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[0-9]+/[0-9]+)"
_NUM_RE = re.compile(_NUM)
_INDICES_RE = re.compile(r"[0-9]{1,18}(?: [0-9]{1,18})*")
_UNESCAPE_RE = re.compile(r'\\(["\\])')
_NONFINITE = {"inf", "infinity", "nan"}


class _Parser:
    """Recursive-descent parser over a regex token list; errors carry 1-based line/column.

    Tokens are kept as plain strings (fast ``findall``); a token's offset is recomputed only when
    an error is reported. Token kinds: ``s`` (quoted string), ``{``, ``}``, ``,``, ``w`` (word),
    ``eof``.
    """

    def __init__(self, text: str, source: str | None) -> None:
        self.text, self.source, self.i = text, source, 0
        self.toks: list[str] = _TOKEN_RE.findall(text)
        if '"' in self.toks:  # a lone quote is what remains of a string with no closing quote
            raise self.error("unterminated string: no closing '\"'", self.toks.index('"'))

    def kind(self, k: int) -> str:
        if k >= len(self.toks):
            return "eof"
        c = self.toks[k][0]
        return "s" if c == '"' else c if c in "{}," else "w"

    def describe(self, k: int) -> str:
        if k >= len(self.toks):
            return "end of file"
        text = self.toks[k]
        return repr(text if len(text) <= 40 else text[:37] + "...")

    def error(self, message: str, k: int) -> ParseError:
        pos = len(self.text)
        if k < len(self.toks):
            pos = next(itertools.islice(_TOKEN_RE.finditer(self.text), k, None)).start()
        line = self.text.count("\n", 0, pos) + 1
        return ParseError(message, line, pos - self.text.rfind("\n", 0, pos), self.source)

    def peek(self) -> str:
        return self.kind(self.i)

    def take(self) -> int:
        self.i += 1
        return self.i - 1

    def expect(self, kind: str, what: str) -> int:
        k = self.take()
        if self.kind(k) != kind:
            raise self.error(f"expected {what}, got {self.describe(k)}", k)
        return k

    def string(self, what: str) -> str:
        return _UNESCAPE_RE.sub(r"\1", self.toks[self.expect("s", what)][1:-1])

    def number(self, k: int, what: str) -> float:
        text = self.toks[k] if k < len(self.toks) else ""
        if self.kind(k) != "w" or not _NUM_RE.fullmatch(text):
            if text.lstrip("+-").lower() in _NONFINITE:
                raise self.error(f"{what} {text!r} is not finite", k)
            raise self.error(f"expected {what} (a number), got {self.describe(k)}", k)
        try:
            if "/" in text:
                num, den = text.split("/")
                value = float(Fraction(int(num), int(den)))
            else:
                value = float(text)
        except ZeroDivisionError:
            raise self.error(f"{what} {text!r} has a zero denominator", k) from None
        except (OverflowError, ValueError):
            value = math.inf
        if not math.isfinite(value):
            raise self.error(f"{what} {text!r} is not finite (overflows a float)", k)
        return value

    def numbers(self, count: int, what: str) -> np.ndarray:
        """The next ``count`` tokens as numbers: one regex check + ``float`` in the common case."""
        seg, start = self.toks[self.i:self.i + count], self.i
        self.i += len(seg)
        if all(map(_NUM_RE.fullmatch, seg)) and not any("/" in t for t in seg):
            arr = np.fromiter(map(float, seg), dtype=np.float64, count=len(seg))
            bad = np.flatnonzero(~np.isfinite(arr))
            if bad.size:
                self.number(start + int(bad[0]), what)
            return arr
        return np.array([self.number(start + j, what) for j in range(len(seg))], dtype=np.float64)

    def trailing(self, what: str) -> None:
        if self.peek() != "eof":
            raise self.error(f"unexpected {self.describe(self.i)} after the {what} (trailing "
                             "garbage)", self.i)

    # ------------------------------------------------------------------ grammar
    def keyword(self, allowed: tuple[str, ...], message: str) -> None:
        k = self.take()
        if self.kind(k) != "w" or self.toks[k] not in allowed:
            raise self.error(message.format(got=self.describe(k)), k)

    def header(self) -> tuple[str, list[str], list[int], list[list[str]] | None]:
        nfg = bool(self.toks) and self.toks[0].lower().endswith(".nfg")
        self.keyword(("NFG",), "not a Gambit .nfg file: expected 'NFG', got {got}"
                     + (" (no file of that name exists)" if nfg else ""))
        self.keyword(("1",), "unsupported .nfg version {got} (expected 1)")
        self.keyword(("R", "D"), "expected number type 'R' or 'D', got {got}")
        title = self.string("the game title (a quoted string)")
        self.expect("{", "'{' opening the player list")
        players = []
        while self.peek() == "s":
            players.append(self.string("a player name"))
        close = self.expect("}", "a quoted player name or '}' closing the player list")
        if not (n := len(players)):
            raise self.error("the player list is empty (a game needs at least one player)", close)
        self.expect("{", "'{' opening the strategy block")
        names: list[list[str]] | None = [] if self.peek() == "{" else None
        counts: list[int] = []
        while self.peek() == ("w" if names is None else "{"):
            k = self.take()
            if len(counts) == n:
                raise self.error(f"strategy block has more entries than the {n} players", k)
            if names is not None:  # outcome-version header: one list of names per player
                lst = []
                while self.peek() == "s":
                    lst.append(self.string("a strategy name"))
                self.expect("}", "a quoted strategy name or '}' closing the list")
                if not lst:
                    raise self.error(f"player {len(names) + 1} has an empty strategy list", k)
                names.append(lst)
                counts.append(len(lst))
            elif not re.fullmatch(r"[+-]?[0-9]{1,15}", text := self.toks[k]) or int(text) <= 0:
                raise self.error(f"strategy count must be a positive integer, got {text!r}", k)
            else:
                counts.append(int(text))
        close = self.expect("}", "'}' closing the strategy block")
        if len(counts) != n:
            raise self.error(f"strategy block has {len(counts)} entries but there are {n} "
                             "players", close)
        return title, players, counts, names

    def payoff_body(self, n: int, profiles: int) -> np.ndarray:
        need = n * profiles
        vals = self.numbers(need, "payoff")
        rest = self.toks[self.i:]
        if len(vals) < need or (rest and all(t[0] not in '"{},' for t in rest)):
            raise self.error(f"wrong number of payoffs: expected {need} ({n} players x {profiles} "
                             f"profiles), got {len(vals) + len(rest)}", self.i)
        self.trailing("payoff list")
        return vals

    def outcome_body(self, n: int, profiles: int) -> np.ndarray:
        self.expect("{", "'{' opening the outcome list")
        outcomes: list[list[float]] = [[0.0] * n]
        while self.peek() == "{":
            self.take()
            o = len(outcomes)
            self.string(f"the name of outcome {o} (a quoted string)")
            pay: list[float] = []
            while self.peek() != "}":
                k = self.take()
                if len(pay) == n and self.kind(k) == "w":
                    raise self.error(f"outcome {o} has more than {n} payoffs (one per player)", k)
                pay.append(self.number(k, f"payoff of outcome {o}"))
                if self.peek() == ",":
                    self.take()
            close = self.take()
            if len(pay) != n:
                raise self.error(f"outcome {o} has {len(pay)} payoffs, expected {n} (one per "
                                 "player)", close)
            outcomes.append(pay)
        self.expect("}", "'{' opening an outcome or '}' closing the outcome list")
        start, seg = self.i, self.toks[self.i:self.i + profiles]
        idx = np.zeros(0, dtype=np.intp)
        if seg and _INDICES_RE.fullmatch(" ".join(seg)):
            idx = np.fromiter(map(int, seg), dtype=np.intp, count=len(seg))
        if len(idx) < len(seg) or (len(idx) and idx.max() >= len(outcomes)):
            for j, text in enumerate(seg):  # slow path: locate the offending index
                if self.kind(start + j) != "w" or not re.fullmatch("[0-9]+", text):
                    raise self.error(f"expected an outcome index (a non-negative integer), got "
                                     f"{self.describe(start + j)}", start + j)
                if len(text) > 18 or int(text) >= len(outcomes):
                    raise self.error(f"unknown outcome index {text}: the file defines "
                                     f"{len(outcomes) - 1} outcomes (0 = null outcome)", start + j)
        self.i += len(seg)
        if len(seg) < profiles:
            raise self.error(f"wrong number of outcome indices: expected {profiles} (one per "
                             f"strategy profile), got {len(seg)}", self.i)
        self.trailing("outcome indices")
        return np.asarray(outcomes, dtype=np.float64)[idx].reshape(-1)


def _unique(labels: Sequence[str], default: Callable[[int], str]) -> tuple[str, ...]:
    """Fill empty labels with ``default(k)`` (1-based k), then rename duplicates ``label_j``."""
    filled = [lab if lab else default(k) for k, lab in enumerate(labels, 1)]
    counts, used, visited = Counter(filled), set(filled), Counter[str]()
    out = []
    for lab in filled:
        if counts[lab] > 1:
            while True:
                visited[lab] += 1
                cand = f"{lab}_{visited[lab]}"
                if cand not in used:
                    break
            used.add(cand)
            lab = cand
        out.append(lab)
    return tuple(out)


def read_nfg(text_or_path: str | os.PathLike[str], *, source: str | None = None) -> NormalFormGame:
    """Read a Gambit ``.nfg`` game (payoff or outcome form; see the module docstring for the spec).

    ``text_or_path`` is read as a file if it is a path object, or a one-line ``str`` ending in
    ``.nfg`` that names an existing file; any other ``str`` is the file content. Files are decoded
    as UTF-8 (BOM allowed), falling back to Latin-1. ``source`` names the input in error messages
    (default: the path). Raises :class:`ParseError` (with 1-based line and column) on any
    malformed input, including non-finite payoffs; a missing file given as a path object raises
    :class:`OSError` as usual.
    """
    stem = None
    if isinstance(text_or_path, os.PathLike) or (
            isinstance(text_or_path, str) and "\n" not in text_or_path
            and text_or_path.lower().endswith(".nfg") and os.path.isfile(text_or_path)):
        path = Path(text_or_path)
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        stem, source = path.stem, source if source is not None else str(path)
    elif isinstance(text_or_path, str):
        text = text_or_path
    else:
        raise TypeError(f"read_nfg needs a str or a path, got {type(text_or_path).__name__}")
    p = _Parser(text, source)
    title, players, counts, names = p.header()
    if p.peek() == "s":  # optional comment
        p.take()
    n, profiles = len(players), math.prod(counts)
    if p.peek() == "{":
        flat = p.outcome_body(n, profiles)
    elif p.peek() == "w":
        flat = p.payoff_body(n, profiles)
    else:
        raise p.error(f"expected the payoff list or the outcome list, got {p.describe(p.i)}", p.i)
    # The file lists profiles first-player-fastest with all players' payoffs per profile, i.e.
    # exactly the Fortran order of our (N, A_1, ..., A_N) tensor.
    payoffs = flat.reshape((n, *counts), order="F")
    if names is None:
        names = [[""] * m for m in counts]
    try:
        return NormalFormGame(
            payoffs,
            tuple(_unique(lst, str) for lst in names),
            _unique(players, lambda i: f"Player {i}"),
            title or stem or "game",
        )
    except GameError as exc:  # pragma: no cover - the parser validates everything above
        raise ParseError(str(exc), source=source) from None


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fmt(x: float) -> str:
    """Exact decimal text: integers without ``.0``, otherwise ``repr`` (shortest round-trip)."""
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)


def write_nfg(game: NormalFormGame, path: str | os.PathLike[str] | None = None, *,
              form: Literal["payoff", "outcome"] = "payoff", names: bool = True) -> str:
    """Serialise ``game`` as a Gambit ``.nfg`` file and return the text (also written to ``path``).

    ``form="payoff"`` writes the Gambit payoff version (strategy names + flat payoff list);
    ``form="outcome"`` writes the outcome version, one outcome per distinct payoff vector and
    index 0 (the null outcome) for all-zero profiles. Both keep the player and strategy names;
    ``names=False`` writes the payoff version with a strategy-count block instead (``{ 2 3 }``), the
    only header OpenSpiel's ``nfg_game`` reader accepts (the names then read back as "1", "2", ...).
    Floats are written with ``repr`` so that ``read_nfg(write_nfg(g))`` reproduces the payoffs bit
    for bit.
    """
    if form not in ("payoff", "outcome"):
        raise ValueError(f"form must be 'payoff' or 'outcome', got {form!r}")
    n = game.num_players
    rows = game.payoffs.reshape((n, -1), order="F").T  # (profiles, N), first player fastest
    head = f"NFG 1 R {_quote(game.name)} {{ {' '.join(map(_quote, game.player_names))} }}"
    strategies = "\n".join("{ " + " ".join(map(_quote, names)) + " }" for names in game.action_names)
    if form == "payoff":
        body = "\n".join(" ".join(map(_fmt, row)) for row in rows.tolist())
        if names:
            text = f'{head}\n\n{{ {strategies}\n}}\n""\n\n{body}\n'
        else:
            text = f"{head} {{ {' '.join(map(str, game.num_actions))} }}\n\n{body}\n"
    else:
        uniq, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        inverse = np.asarray(inverse).reshape(-1)
        order = np.argsort(first, kind="stable")  # number outcomes by first appearance
        nonzero = order[np.any(uniq != 0, axis=1)[order]]
        number = np.zeros(len(uniq), dtype=np.intp)
        number[nonzero] = np.arange(1, len(nonzero) + 1)
        outcomes = "".join(f'{{ "Outcome {j}" {", ".join(map(_fmt, uniq[k].tolist()))} }}\n'
                           for j, k in enumerate(nonzero.tolist(), 1))
        indices = " ".join(map(str, number[inverse].tolist()))
        text = f'{head}\n\n{{ {strategies}\n}}\n""\n\n{{\n{outcomes}}}\n{indices}\n'
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text
