"""Tokens, reading helpers and the preamble of MADP's ``.dpomdp`` format (the body, semantics and
writer are in :mod:`games.dec_pomdp.madp_format`).

Lexing follows MADP's Boost.Spirit skipper (``CommentOrBlankParser``): blanks (space, tab) are
skipped; a comment is ``#``, the rest of its line **and every newline directly after it**;
newlines are tokens (the format is newline sensitive). ``\\r\\n`` and ``\\r`` are read as ``\\n``.
One compiled regex splits the whole text (``findall``, plain strings); a token's offset is
recomputed only when an error is reported. A comment may hold any character (MADP accepts only
printable ASCII there); identifiers are ``[A-Za-z][A-Za-z0-9_-]*``; a number is Spirit's
``real_p`` (``1``, ``+20``, ``-0.4``, ``.5``, ``1e-3``). A run such as ``2a`` or ``1.2.3`` is one
malformed token (reported where the parser meets it), never silently split.
"""

from __future__ import annotations

import math
import re

import numpy as np

from games.errors import ParseError

__all__ = ["MAX_ENTRIES", "MISS", "NAME_RE", "NUM_RE", "RESERVED", "ROW_RE", "Preamble", "Stream"]

RESERVED = frozenset({"agents", "discount", "actions", "observations", "T", "O", "R"})
"""Words that can never be names (only the whole word: ``Tiger`` is a fine name)."""

_TOKEN_RE = re.compile(r"""
    (?:[ \t]++|\#[^\n]*+\n*+)*+                # skipped: blanks; a comment + the newlines after it
    ( \n                                       # newline token
    | [A-Za-z][A-Za-z0-9_-]*+                  # identifier
    | [+\-.0-9][A-Za-z0-9_.+\-]*+              # a number (validated where it is used)
    | [:*]
    | .                                        # anything else: reported by the parser
    | \Z )                                     # end of file: the token ''
""", re.X)
_NUM = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
NUM_RE = re.compile(_NUM)
ROW_RE = re.compile(f"{_NUM}(?: {_NUM})*")
NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
MAX_ENTRIES = 2**30
"""Largest dense T or O accepted (8 GiB of float64; fireFighting_2_4_3 needs 6.6e7)."""
MISS = object()
"""Marks a failed table lookup (None is a valid result: the wildcard ``*``)."""
_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_NUM_START = frozenset("+-.0123456789")


def is_name(tok: str) -> bool:
    return tok[:1] in _LETTERS


def is_uint(tok: str) -> bool:
    return tok[:1] in _NUM_START and tok.isdigit()


class Stream:
    """The token list of one file plus the helpers every grammar rule uses.

    ``toks[eof]`` is ``''`` (end of file), followed by a few more ``''`` so that rules can look
    ahead without bounds checks; every earlier token is non-empty. Errors carry the 1-based line
    and column of the offending token.
    """

    def __init__(self, text: str, source: str | None) -> None:
        self.text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.source = source
        toks: list[str] = _TOKEN_RE.findall(self.text)
        self.eof = toks.index("")
        self.toks = toks[:self.eof] + [""] * 8
        self.i = 0

    # ------------------------------------------------------------------ errors
    def describe(self, k: int) -> str:
        tok = self.toks[min(k, self.eof)]
        if tok == "":
            return "end of file"
        if tok == "\n":
            return "end of line"
        return repr(tok if len(tok) <= 40 else tok[:37] + "...")

    def span(self, k: int) -> tuple[int, int]:
        """Offsets (start of the skipped text before token k, start of token k)."""
        for j, m in enumerate(_TOKEN_RE.finditer(self.text)):
            if j == k:
                return m.start(), m.start(1)
        return len(self.text), len(self.text)

    def error(self, message: str, k: int) -> ParseError:
        pos = self.span(k)[1]
        line = self.text.count("\n", 0, pos) + 1
        return ParseError(message, line, pos - self.text.rfind("\n", 0, pos), self.source)

    def expected(self, what: str, k: int) -> ParseError:
        hint = ""
        if self.toks[k] == "\n" and (k == 0 or self.toks[k - 1] == "\n"):
            hint = " (a blank line is only allowed directly after a comment line)"
        elif k > 0 and self.toks[k - 1] != "\n" and "#" in self.text[slice(*self.span(k))]:
            hint = (" (a comment after a value also eats the end of its line: put comments on "
                    "lines of their own)")
        elif self.toks[k][:1] not in _LETTERS | _NUM_START | {":", "*", "\n", ""}:
            hint = " (not a valid character here)"
        elif self.toks[k][:1] in _NUM_START and not NUM_RE.fullmatch(self.toks[k]):
            hint = " (a malformed number)"
        return self.error(f"expected {what}, got {self.describe(k)}{hint}", k)

    # ------------------------------------------------------------------ tokens
    def expect(self, tok: str, what: str) -> None:
        if self.toks[self.i] != tok:
            raise self.expected(what, self.i)
        self.i += 1

    def end_line(self, what: str) -> None:
        """The end of a line (a ``\\n`` token, consumed) or the end of the file (kept)."""
        tok = self.toks[self.i]
        if tok == "\n":
            self.i += 1
        elif tok != "":
            raise self.expected(f"end of line after {what}", self.i)

    def number(self, k: int, what: str) -> float:
        tok = self.toks[k]
        if not NUM_RE.fullmatch(tok):
            raise self.expected(f"{what} (a number)", k)
        value = float(tok)
        if not math.isfinite(value):
            raise self.error(f"{what} {tok!r} overflows a float", k)
        return value

    def matrix(self, what: str) -> tuple[list[np.ndarray], list[int]]:
        """Rows of numbers, each on a new line (``self.i`` is at the ``\\n`` before the first).

        Returns the rows (float arrays, converted in bulk) and the token index where each row
        starts; stops at the ``\\n`` (or end of file) after the last row, which is not consumed.
        """
        toks, rows, starts = self.toks, [], []
        while toks[self.i] == "\n" and toks[self.i + 1][:1] in _NUM_START:
            start = self.i + 1
            try:
                end = toks.index("\n", start)
            except ValueError:
                end = self.eof
            seg = toks[start:end]
            if not ROW_RE.fullmatch(" ".join(seg)):
                bad = next(j for j, t in enumerate(seg, start) if not NUM_RE.fullmatch(t))
                raise self.expected(f"a number in {what}", bad)
            row = np.array(seg, dtype=np.float64)
            if not np.isfinite(row).all():
                bad = start + int(np.flatnonzero(~np.isfinite(row))[0])
                raise self.error(f"{what} entry {toks[bad]!r} overflows a float", bad)
            rows.append(row)
            starts.append(start)
            self.i = end
        if not rows:
            raise self.expected(f"{what} (numbers on the next line)", self.i + 1)
        return rows, starts

    def numbers(self, what: str, shape: tuple[int, int], probs: bool) -> np.ndarray:
        """A ``shape[0]`` x ``shape[1]`` matrix (see :meth:`matrix`); ``probs``: entries in [0, 1]."""
        rows, starts = self.matrix(what)
        for r, (row, k) in enumerate(zip(rows, starts, strict=True)):
            if r == shape[0]:
                raise self.error(f"{what} has more than {shape[0]} line(s) of numbers", k)
            if len(row) != shape[1]:
                raise self.error(f"line {r + 1} of {what} has {len(row)} numbers, expected "
                                 f"{shape[1]}", k)
            if probs and (row.min() < 0.0 or row.max() > 1.0):
                j = k + int(np.flatnonzero((row < 0.0) | (row > 1.0))[0])
                raise self.error(f"probability {self.toks[j]} is not in [0, 1]", j)
        if len(rows) < shape[0]:
            raise self.error(f"{what} has {len(rows)} line(s) of numbers, expected {shape[0]}",
                             self.i)
        return np.array(rows)

    def prob(self, k: int) -> float:
        p = self.number(k, "a probability")
        if not 0.0 <= p <= 1.0:
            raise self.error(f"probability {self.toks[k]} is not in [0, 1]", k)
        return p

    def prob_block(self, what: str, shape: tuple[int, int], allowed: tuple[str, ...]) -> np.ndarray:
        """After ':' at end of line: an allowed keyword on the next line, or the numbers."""
        if (kw := self.toks[self.i + 1]) in ("uniform", "identity"):
            if kw not in allowed:
                raise self.error(f"{kw!r} is not allowed in place of {what}" + (
                    " (MADP rejects it): write the numbers" if kw == "uniform" else
                    " (only a whole T matrix can be 'identity')"), self.i + 1)
            self.i += 2
            return np.eye(shape[0]) if kw == "identity" else np.full(shape, 1.0 / shape[1])
        return self.numbers(what, shape, probs=True)

    # ------------------------------------------------------------------ declarations
    def names_or_count(self, what: str) -> tuple[int, list[str] | None]:
        """A count (unnamed items) or a list of distinct, non-reserved names."""
        k, toks = self.i, self.toks
        if is_uint(toks[k]):
            self.i += 1
            if (n := int(toks[k])) < 1:
                raise self.error(f"the number of {what} must be at least 1, got {n}", k)
            return n, None
        names: dict[str, int] = {}
        while is_name(tok := toks[self.i]):
            if tok in RESERVED:
                raise self.error(f"{tok!r} is a reserved word and cannot name one of the {what}",
                                 self.i)
            if tok in names:
                raise self.error(f"duplicate name {tok!r} among the {what} (items {names[tok]} and "
                                 f"{len(names)})", self.i)
            names[tok] = len(names)
            self.i += 1
        if not names:
            raise self.expected(f"the number of {what} or their names", k)
        return len(names), list(names)

    @staticmethod
    def table(n: int, names: list[str] | None) -> dict[str, int | None]:
        """Lookup of an item by name or index text; ``'*'`` maps to None (= every item). Other
        index texts (``007``, or any index when there are very many items) go via :meth:`lookup`."""
        out: dict[str, int | None] = {str(j): j for j in range(n if n <= 65536 else 0)}
        out.update({name: j for j, name in enumerate(names or ())})
        out["*"] = None
        return out

    def lookup(self, table: dict[str, int | None], k: int, n: int) -> object:
        """``table[toks[k]]``, an in-range index, or MISS."""
        v = table.get(tok := self.toks[k], MISS)
        if v is MISS and is_uint(tok) and int(tok) < n:
            return int(tok)
        return v

    def unknown(self, k: int, what: str, n: int, names: list[str] | None, owner: str = "") -> ParseError:
        """The error for a token that :meth:`table` did not resolve (``owner``: " of agent 1")."""
        tok = self.toks[k]
        if is_uint(tok):
            return self.error(f"{what} index {int(tok)}{owner} out of range: there are {n} "
                              f"(indices 0..{n - 1})", k)
        if not is_name(tok):
            star = "" if tok == "*" else " or '*'"
            return self.expected(f"{what}{owner} (a name or an index{star})", k)
        if names is None:
            return self.error(f"unknown {what} {tok!r}{owner}: they were declared by count ({n}); "
                              f"refer to them by index 0..{n - 1}", k)
        listed = ", ".join(names[:12]) + (f", ... ({n} in all)" if n > 12 else "")
        return self.error(f"unknown {what} {tok!r}{owner}; valid names: {listed}", k)


class Preamble(Stream):
    """The fixed-order header: agents, discount, values, states, start, actions, observations."""

    def check_size(self, size: int, what: str) -> None:
        """T and O are dense: refuse sizes that cannot be allocated, before building anything."""
        if size > MAX_ENTRIES:
            raise self.error(f"model too large: with these {what} T or O would have {size:.3g} "
                             f"entries (limit {MAX_ENTRIES:.3g})", self.i - 1)

    def keyword(self, word: str) -> None:
        self.expect(word, repr(word))
        self.expect(":", f"':' after {word!r}")

    def per_agent(self, what: str, follow: tuple[str, ...]) -> tuple[list[int], list[list[str] | None]]:
        sizes, names = [], []
        for j in range(self.n):
            self.expect("\n", f"end of line (each agent's {what} go on a line of their own)")
            m, nm = self.names_or_count(f"{what} of agent {j}")
            sizes.append(m)
            names.append(nm)
        self.end_line(f"the {what} of the last agent ({self.n} agents, one line each)")
        if (tok := self.toks[self.i]) not in follow and (is_uint(tok) or is_name(tok)):
            raise self.error(f"too many lines of {what}: expected one per agent ({self.n} agents)",
                             self.i)
        return sizes, names

    def preamble(self) -> None:
        self.keyword("agents")
        self.n, self.agent_names = self.names_or_count("agents")
        self.end_line("the agents")
        self.keyword("discount")
        self.discount = self.number(self.i, "the discount")
        if not 0.0 < self.discount <= 1.0:
            raise self.error(f"discount must be in (0, 1], got {self.discount}", self.i)
        self.i += 1
        self.end_line("the discount")
        self.keyword("values")
        if (tok := self.toks[self.i]) not in ("reward", "cost"):
            raise self.expected("'reward' or 'cost'", self.i)
        self.reward_type = tok
        self.i += 1
        self.end_line("the value type")
        self.keyword("states")
        self.S, self.state_names = self.names_or_count("states")
        self.check_size(self.S * self.S, "states")
        self.stab = self.table(self.S, self.state_names)
        self.end_line("the states")
        self.start()
        self.keyword("actions")
        self.num_act, self.act_names = self.per_agent("actions", ("observations",))
        self.check_size(self.S * self.S * math.prod(self.num_act), "actions")
        self.keyword("observations")
        self.num_obs, self.obs_names = self.per_agent("observations", ("T", "O", "R"))
        self.check_size(self.S * math.prod(self.num_act) * math.prod(self.num_obs), "observations")
        self.tables = [[self.table(m, nm) for m, nm in zip(self.num_act, self.act_names, strict=True)],
                       [self.table(m, nm) for m, nm in zip(self.num_obs, self.obs_names, strict=True)]]
        self.cache: tuple[dict, dict] = ({}, {})
        self.JA, self.JO = math.prod(self.num_act), math.prod(self.num_obs)

    def start(self) -> None:
        toks, S = self.toks, self.S
        self.expect("start", "'start'")
        mode = toks[self.i] if toks[self.i] in ("include", "exclude") else None
        self.i += mode is not None
        self.expect(":", "':' after 'start'" + (f" {mode}" if mode else ""))
        if mode is None and toks[self.i] == "\n":  # start: EOL (uniform | one row of |S| numbers)
            self.b0 = self.prob_block("the start distribution", (1, S), ("uniform",))[0]
            self.end_line("the start distribution")
            return
        listed: dict[int, int] = {}
        while toks[self.i] not in ("\n", ""):
            k = self.i
            if (s := self.lookup(self.stab, k, S)) is MISS or s is None:
                err = self.unknown(k, "state", S, self.state_names)
                if toks[k] == "uniform" and mode is None:
                    err.args = (err.args[0] + " (for a uniform start distribution put 'uniform' on "
                                "the line after 'start:')",)
                raise err
            if s in listed:
                raise self.error(f"state {toks[k]!r} is listed twice in 'start {mode}'", k)
            listed[s] = k  # type: ignore[index]
            self.i += 1
            if mode is None:
                break
        if not listed:
            raise self.expected("a state (name or index)", self.i)
        self.end_line("the start state" + ("s" if mode else ""))
        chosen = np.zeros(S, dtype=bool)
        chosen[list(listed)] = True
        if mode == "exclude":
            chosen = ~chosen
            if not chosen.any():
                raise self.error("'start exclude' excludes every state", self.i - 1)
        self.b0 = np.where(chosen, 1.0 / chosen.sum(), 0.0)
