"""Reader and writer for MADP's ``.dpomdp`` Dec-POMDP file format.

Spec: MADP v0.4.1 ``src/parser/dpomdp.spirit`` (grammar), ``ParserDPOMDPFormat_Spirit.cpp``
(semantic actions), ``DecPOMDPDiscrete.cpp`` (rewards), ``problems/example.dpomdp``; summary in
``shared/dpomdp/FORMAT.md``. Tokens and the preamble are read by :mod:`games.dec_pomdp.madp_lexer`.

* Preamble, fixed order, one entry per line: ``agents``, ``discount``, ``values: reward|cost``,
  ``states``, ``start``, ``actions`` and ``observations`` (one line per agent). A count creates
  unnamed items, referred to by index (the model names them ``s0``/``a0``/``o0``/``agent0``, as
  :class:`~games.dec_pomdp.model.DecPOMDP` does). ``start:`` + a new line with ``uniform`` or ``|S|``
  numbers; ``start: <state>``; ``start include|exclude: <states>``. ``start: uniform`` on one
  line names a *state* called ``uniform``.
* Body: T/O/R lines in any order; every entry starts at 0; later T/O lines overwrite. Joint
  actions/observations: ``*``, one joint index, or one item (index, name or ``*``) per agent (a
  lone name is rejected, as in MADP). Rewards follow MADP: ``R: ja : s : * : * : r`` sets
  R(s,a) = r; ``R: ja : s : s' : * : r`` adds T(s,a,s')·r; the forms naming a joint observation
  (and the row/matrix forms) add T(s,a,s')·O(a,s',jo)·r, with T and O as parsed *so far*; an
  all-star observation list ``* *`` means "any" (not expanded). Additions may be summed in
  another order than MADP's (last-bit differences).
* Stricter than MADP, which accepts these silently: out-of-range individual indices, an all-star
  list of the wrong length, duplicate names, a state listed twice in ``start include/exclude``,
  ``uniform`` for a single T/O row (MADP's semantic action fails on it), probabilities outside
  [0, 1], dense T/O tables over 2**30 entries.

Every problem raises :class:`~games.errors.ParseError` (1-based line and column when tied to a
token): syntax (blank lines not after a comment, a comment after a value on the same line, ...),
unknown names (listing the valid ones), indices out of range, and T/O/b0 rows that do not sum to 1
within :data:`~games.dec_pomdp.model.PROB_ATOL` (never renormalised). ``GameError`` from the model is
re-raised as ``ParseError`` naming the file, so callers catch one type. ``write_dpomdp`` writes
exact float text: ``read_dpomdp(write_dpomdp(m))`` reproduces every array bit for bit.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

from games.dec_pomdp.madp_lexer import MISS, NAME_RE, RESERVED, ROW_RE, Preamble, is_uint
from games.dec_pomdp.model import PROB_ATOL, DecPOMDP
from games.errors import GameError, ParseError

__all__ = ["read_dpomdp", "write_dpomdp"]

_STOP = frozenset({":", "\n", ""})


class _Reader(Preamble):
    """Recursive descent over the token list, filling T, O, R as MADP's semantic actions do."""

    def state(self, k: int) -> int | None:
        v = self.lookup(self.stab, k, self.S)
        if v is MISS:
            raise self.unknown(k, "state", self.S, self.state_names)
        return v  # type: ignore[return-value]

    def colon(self, k: int) -> None:
        if self.toks[k] != ":":
            raise self.expected("':'", k)
        self.i = k + 1

    def joint(self, obs: bool) -> int | np.ndarray | None:
        """A joint action/observation and its ':': an index, an index array or None (= any)."""
        toks, start = self.toks, self.i
        while toks[self.i] not in _STOP:
            self.i += 1
        what = "observation" if obs else "action"
        if toks[self.i] != ":" or self.i == start:
            raise self.expected(f"a joint {what} followed by ':'" if self.i == start else "':'",
                                self.i)
        key = tuple(toks[start:self.i])
        self.i += 1
        spec = self.cache[obs].get(key, MISS)
        if spec is MISS:
            spec = self.cache[obs][key] = self.resolve_joint(key, start, obs, what)
        return spec  # type: ignore[return-value]

    def resolve_joint(self, items: tuple[str, ...], k: int, obs: bool,
                      what: str) -> int | np.ndarray | None:
        sizes, names = (self.num_obs, self.obs_names) if obs else (self.num_act, self.act_names)
        total, n = math.prod(sizes), len(sizes)
        if len(items) == 1:
            if items[0] == "*":
                return None
            if is_uint(items[0]):
                if (v := int(items[0])) >= total:
                    raise self.error(f"joint {what} index {v} out of range: there are {total} "
                                     f"joint {what}s (indices 0..{total - 1})", k)
                return v
            raise self.expected(f"a joint {what}: '*', a joint index, or one {what} per agent "
                                f"({n} agents; a single name is not a joint {what})", k)
        if len(items) != n:
            raise self.error(f"joint {what} has {len(items)} components but there are {n} agents", k)
        if all(t == "*" for t in items):
            return None  # MADP: an all-star list means "any" and is not expanded
        idx = []
        for j in range(len(items)):
            if (v := self.lookup(self.tables[obs][j], k + j, sizes[j])) is MISS:
                raise self.unknown(k + j, what, sizes[j], names[j], f" of agent {j}")
            idx.append(v)
        if None not in idx:
            return int(np.ravel_multi_index(tuple(idx), sizes))
        axes = [np.arange(m) if v is None else [v] for v, m in zip(idx, sizes, strict=True)]
        return np.ravel_multi_index(tuple(np.meshgrid(*axes, indexing="ij")), sizes).ravel()

    @staticmethod
    def ix(*specs: tuple[int | np.ndarray | None, int]) -> tuple[np.ndarray, ...]:
        """Open-mesh index of (spec, size) pairs; None means every index."""
        return np.ix_(*[np.arange(n) if v is None else np.atleast_1d(v) for v, n in specs])

    def put(self, arr: np.ndarray, value: float | np.ndarray,
            *specs: tuple[int | np.ndarray | None, int]) -> None:
        """``arr[specs] = value`` for a scalar or a row over the last axis (basic indexing, a view,
        when no spec is an index array)."""
        if any(isinstance(v, np.ndarray) for v, _ in specs):
            arr[self.ix(*specs)] = value
        else:
            arr[tuple(slice(None) if v is None else v for v, _ in specs)] = value

    # ------------------------------------------------------------------ body
    def parse(self) -> None:
        """The whole file. Two batches keep big files fast, flushed before anything that could see
        the difference: plain ``T: ja : s : s' : p`` entries (applied in bulk, last one wins) and
        ``R: * : * : s' : * : r`` accumulations (one pass over T for all of them)."""
        self.preamble()
        S, JA, JO = self.S, self.JA, self.JO
        self.T, self.O, self.R = np.zeros((S, JA, S)), np.zeros((JA, S, JO)), np.zeros((S, JA))
        self.batch: tuple[list[int], list[str], list[int]] = ([], [], [])  # flat index, value, token
        self.acc, self.acc_on = np.zeros(S), False  # pending R(s,a) += sum_s' T(s,a,s') acc[s']
        try:
            self.body()
        except ParseError:
            self.flush_t()  # an earlier bad batched probability is reported first
            raise
        self.flush_r()  # (batched T entries always follow pending R lines: order matters)
        self.flush_t()

    def body(self) -> None:
        toks, stab, (flat, vals, where), S, JA = self.toks, self.stab, self.batch, self.S, self.JA
        n, jcache = self.n, self.cache[0]
        while (tok := toks[i := self.i]) != "":
            if tok == "T" and toks[i + 1] == ":":  # fast path: T: ja : s : s' : p, no wildcards
                e = i + 3 if toks[i + 3] == ":" else i + 2 + n  # the ':' after a seen joint action
                ja = jcache.get(tuple(toks[i + 2:e]), MISS)
                s, s2 = stab.get(toks[e + 1], MISS), stab.get(toks[e + 3], MISS)
                if (type(ja) is int and type(s) is int and type(s2) is int and toks[e] == ":"
                        and toks[e + 2] == ":" and toks[e + 4] == ":" and toks[e + 6] == "\n"):
                    if self.acc_on:
                        self.flush_r()
                    flat.append((s * JA + ja) * S + s2)
                    vals.append(toks[e + 5])
                    where.append(e + 5)
                    self.i = e + 7
                    continue
            if tok not in ("T", "O", "R"):
                raise self.expected("'T:', 'O:' or 'R:' at the start of a line", i)
            self.i += 1
            self.expect(":", f"':' after {tok!r}")
            ja = self.joint(False)
            if tok == "T":
                self.flush_r()
                self.flush_t()
                self.trans(ja)
            elif tok == "O":
                self.obs(ja)
            else:
                self.flush_t()
                self.reward(ja)
            self.end_line(f"the {tok} entry")

    def flush_t(self) -> None:
        flat, vals, where = self.batch
        if not flat:
            return
        p = np.array(vals, dtype=np.float64) if ROW_RE.fullmatch(" ".join(vals)) else None
        if p is None or not ((p >= 0.0) & (p <= 1.0)).all():
            for k in where:
                self.prob(k)  # raises at the first bad one
        f = np.array(flat)
        _, last = np.unique(f[::-1], return_index=True)  # a later entry overwrites an earlier one
        keep = len(f) - 1 - last
        self.T.reshape(-1)[f[keep]] = p[keep]  # type: ignore[index]
        for lst in self.batch:
            lst.clear()

    def flush_r(self) -> None:
        if self.acc_on:
            nz = np.flatnonzero(self.acc)
            self.R += (self.T @ self.acc if 8 * len(nz) >= self.S else
                       self.T[:, :, nz] @ self.acc[nz])
            self.acc[:] = 0.0
            self.acc_on = False

    def trans(self, ja: int | np.ndarray | None) -> None:
        S, JA, toks = self.S, self.JA, self.toks
        if toks[self.i] == "\n":  # T: ja : EOL (uniform | identity | S x S matrix)
            m = self.prob_block("the T matrix", (S, S), ("uniform", "identity"))
            self.T[self.ix((None, S), (ja, JA), (None, S))] = m[:, None, :]
            return
        s = self.state(self.i)
        self.colon(self.i + 1)
        if toks[self.i] == "\n":  # T: ja : s : EOL row
            self.put(self.T, self.prob_block("the T row", (1, S), ())[0], (s, S), (ja, JA), (None, S))
            return
        s2 = self.state(self.i)
        self.colon(self.i + 1)
        self.put(self.T, self.prob(self.i), (s, S), (ja, JA), (s2, S))
        self.i += 1

    def obs(self, ja: int | np.ndarray | None) -> None:
        S, JA, JO, toks = self.S, self.JA, self.JO, self.toks
        if toks[self.i] == "\n":  # O: ja : EOL (uniform | S x JO matrix)
            m = self.prob_block("the O matrix", (S, JO), ("uniform",))
            self.O[self.ix((ja, JA), (None, S), (None, JO))] = m[None]
            return
        s2 = self.state(self.i)
        self.colon(self.i + 1)
        if toks[self.i] == "\n":  # O: ja : s' : EOL row
            self.put(self.O, self.prob_block("the O row", (1, JO), ())[0], (ja, JA), (s2, S), (None, JO))
            return
        jo = self.joint(True)
        self.put(self.O, self.prob(self.i), (ja, JA), (s2, S), (jo, JO))
        self.i += 1

    def reward(self, ja: int | np.ndarray | None) -> None:
        """MADP's R semantics; T and O are read as parsed so far."""
        S, JA, JO, toks, ix = self.S, self.JA, self.JO, self.toks, self.ix
        s = self.state(self.i)
        self.colon(self.i + 1)
        s2: int | None = None
        if toks[self.i] == "\n":  # R: ja : s : EOL S x JO matrix (rows s')
            m = self.numbers("the R matrix", (S, JO), probs=False)
            w = (self.O[ix((ja, JA), (None, S), (None, JO))] * m[None]).sum(-1)
        else:
            s2 = self.state(self.i)
            self.colon(self.i + 1)
            if toks[self.i] == "\n":  # R: ja : s : s' : EOL row over JO
                w = self.O[ix((ja, JA), (s2, S), (None, JO))] @ self.numbers("the R row", (1, JO), False)[0]
            else:
                jo = self.joint(True)
                r = self.number(self.i, "a reward")
                self.i += 1
                if jo is None and s2 is None:
                    self.flush_r()  # pending additions come first
                    self.put(self.R, r, (s, S), (ja, JA))  # R: ja : s : * : * : r overwrites
                    return
                if jo is None and s is None and ja is None:
                    self.acc[s2] += r  # R: * : * : s' : * : r, batched (additions commute)
                    self.acc_on = True
                    return
                w = r if jo is None else self.O[ix((ja, JA), (s2, S), (jo, JO))].sum(-1) * r
        # the accumulating forms: R(s,a) += sum_s' T(s,a,s') w(a,s'), w = sum_jo O(a,s',jo) r(jo)
        self.R[ix((s, S), (ja, JA))] += (self.T[ix((s, S), (ja, JA), (s2, S))] * w).sum(-1)

    # ------------------------------------------------------------------ validation
    def joint_name(self, ja: int) -> str:
        idx = np.unravel_index(ja, self.num_act)
        return "(" + ", ".join(nm[v] if nm else str(v)
                               for nm, v in zip(self.act_names, idx, strict=True)) + ")"

    def check_rows(self) -> None:
        """T, O and b0 rows sum to 1 within PROB_ATOL (entries are in [0, 1] already)."""
        sname = (lambda s: repr(self.state_names[s])) if self.state_names else str
        for arr, what in ((self.T, "T"), (self.O, "O"), (self.b0[None, None], "start")):
            sums = arr.sum(axis=-1)
            bad = np.argwhere(np.abs(sums - 1.0) > PROB_ATOL)
            if not bad.size:
                continue
            x, y = int(bad[0][0]), int(bad[0][1])
            where = (f"T(.|s={sname(x)}, ja={self.joint_name(y)})" if what == "T" else
                     f"O(.|ja={self.joint_name(x)}, s'={sname(y)})" if what == "O" else
                     "the start distribution")
            hint = " (never specified?)" if sums[x, y] == 0 else ""
            raise ParseError(f"{where} sums to {float(sums[x, y])!r}, not 1{hint} (tolerance "
                             f"{PROB_ATOL:g}; rows are never renormalised)", source=self.source)


def _load(path_or_text: str | bytes | os.PathLike[str]) -> tuple[str, str | None, str | None]:
    """(text, default source, model name) from a path, a str of content or raw bytes."""
    if isinstance(path_or_text, os.PathLike) or (isinstance(path_or_text, str)
                                                  and "\n" not in path_or_text):
        path = Path(path_or_text)
        raw, stem = path.read_bytes(), path.name
        for suffix in (".gz", ".dpomdp"):
            stem = stem.removesuffix(suffix)
        source: str | None = str(path)
    elif isinstance(path_or_text, str):
        return path_or_text, None, None
    elif isinstance(path_or_text, bytes | bytearray):
        raw, stem, source = bytes(path_or_text), None, None
    else:
        raise TypeError(f"read_dpomdp needs a path, a str or bytes, got {type(path_or_text).__name__}")
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ParseError(f"corrupt gzip data: {exc}", source=source) from None
    try:
        return raw.decode("utf-8-sig"), source, stem
    except UnicodeDecodeError:
        return raw.decode("latin-1"), source, stem


def read_dpomdp(path_or_text: str | bytes | os.PathLike[str], *, source: str | None = None) -> DecPOMDP:
    """Read a MADP ``.dpomdp`` file (see the module docstring for the format and its semantics).

    ``path_or_text``: a path object is a file; a ``str`` containing a newline is the content; any
    other ``str`` is a path; ``bytes`` are the raw content. Gzip data (``.gz`` files, detected by
    its magic bytes) is decompressed. ``source`` names the input in error messages (default: the
    path). The model's discount is the file's; ``horizon`` is None; names come from the file
    (count declarations get :class:`DecPOMDP`'s generated names). Raises :class:`ParseError` for
    any malformed or invalid model, :class:`OSError` for a missing file.
    """
    text, default_source, stem = _load(path_or_text)
    p = _Reader(text, source if source is not None else default_source)
    p.parse()
    p.check_rows()
    for arr in (p.T, p.O, p.R, p.b0):
        arr.setflags(write=False)  # hand the arrays over without a copy (see DecPOMDP)
    try:
        return DecPOMDP(
            p.T, p.O, p.R, p.b0, tuple(p.num_act), tuple(p.num_obs), discount=p.discount,
            state_names=tuple(p.state_names or ()),
            action_names=tuple(tuple(nm or (f"a{k}" for k in range(m)))
                               for nm, m in zip(p.act_names, p.num_act, strict=True)),
            observation_names=tuple(tuple(nm or (f"o{k}" for k in range(m)))
                                    for nm, m in zip(p.obs_names, p.num_obs, strict=True)),
            agent_names=tuple(p.agent_names or ()), name=stem or "dec-pomdp",
            reward_type=p.reward_type)
    except GameError as exc:
        raise ParseError(str(exc), source=p.source) from exc


# ---------------------------------------------------------------------- writer
def _fmt(x: float) -> str:
    """Exact decimal text: integers without ``.0``, otherwise ``repr`` (shortest round trip)."""
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)


def _decl(names: tuple[str, ...], prefix: str) -> str:
    """Names, or the count when they are generated defaults or not valid .dpomdp identifiers."""
    if names == tuple(f"{prefix}{k}" for k in range(len(names))) or not all(
            NAME_RE.fullmatch(n) and n not in RESERVED for n in names):
        return str(len(names))
    return " ".join(names)


def _prob_lines(kw: str, arr: np.ndarray) -> list[str]:
    """Lines for T[s, ja, s'] (``kw`` "T") or O[ja, s', jo] ("O"): per joint action an exact
    ``identity``/``uniform`` block, else dense rows (at least 1/4 non-zero) or single entries."""
    t = kw == "T"
    JA, X, Z = arr.shape[1] if t else arr.shape[0], arr.shape[0] if t else arr.shape[1], arr.shape[2]
    counts = np.count_nonzero(arr, axis=2)
    counts = counts.T if t else counts  # [ja, x]
    lines: list[str] = []
    todo = np.ones((JA, X), dtype=bool)
    for ja in range(JA):
        block = arr[:, ja] if t else arr[ja]
        if t and X == Z and counts[ja].sum() == X and np.all(np.diagonal(block) == 1.0):
            lines.append(f"{kw}: {ja} :\nidentity")
        elif np.all(block == 1.0 / Z):
            lines.append(f"{kw}: {ja} :\nuniform")
        else:
            continue
        todo[ja] = False
    dense = todo & (4 * counts >= Z)
    for ja, x in zip(*np.nonzero(dense), strict=True):
        row = arr[x, ja] if t else arr[ja, x]
        lines.append(f"{kw}: {ja} : {x} :\n" + " ".join(map(_fmt, row.tolist())))
    i0, i1, z_ = np.nonzero(arr)  # on the contiguous array: fast
    ja_, x_ = (i1, i0) if t else (i0, i1)
    keep = (todo & ~dense)[ja_, x_]
    vals = arr[i0[keep], i1[keep], z_[keep]].tolist()
    lines.extend(f"{kw}: {a} : {x} : {z} : {_fmt(v)}" for a, x, z, v in
                 zip(ja_[keep].tolist(), x_[keep].tolist(), z_[keep].tolist(), vals, strict=True))
    return lines


def write_dpomdp(model: DecPOMDP, path: str | os.PathLike[str] | None = None) -> str:
    """Serialise ``model`` in MADP's ``.dpomdp`` dialect; return the text (also written to ``path``,
    gzip-compressed when it ends in ``.gz``).

    Names are written when they are valid identifiers and not the generated defaults (else counts:
    invalid names are then lost, listed in a comment). The body uses joint indices and state
    indices: ``identity``/``uniform`` blocks where exact, a full row where at least a quarter of
    it is non-zero, single entries otherwise; then ``R: ja : s : * : * : r`` lines (MADP's
    overwrite form, so T and O need not come first). Floats are written exactly (``repr``).
    """
    out = [f"# {model.name!r} written by agentmixer (games.dec_pomdp.madp_format)".replace("\n", " ")]
    for what, names in (("states", model.state_names), ("agents", model.agent_names),
                        *((f"actions of agent {i}", a) for i, a in enumerate(model.action_names)),
                        *((f"observations of agent {i}", o)
                          for i, o in enumerate(model.observation_names))):
        if not all(NAME_RE.fullmatch(n) and n not in RESERVED for n in names):
            out.append(f"# {what} (not valid .dpomdp names): {' | '.join(names)!r}")
    out += [f"agents: {_decl(model.agent_names, 'agent')}", f"discount: {_fmt(model.discount)}",
            f"values: {model.reward_type}", f"states: {_decl(model.state_names, 's')}",
            "start:", " ".join(map(_fmt, model.initial.tolist())), "actions:",
            *(_decl(a, "a") for a in model.action_names), "observations:",
            *(_decl(o, "o") for o in model.observation_names)]
    out += _prob_lines("T", model.transition) + _prob_lines("O", model.observation)
    R = model.reward
    for s in range(model.num_states):
        if R.shape[1] > 1 and np.all(R[s] == R[s, 0]):
            if R[s, 0] != 0:
                out.append(f"R: * : {s} : * : * : {_fmt(float(R[s, 0]))}")
            continue
        out.extend(f"R: {ja} : {s} : * : * : {_fmt(v)}"
                   for ja, v in enumerate(R[s].tolist()) if v != 0)
    text = "\n".join(out) + "\n"
    if path is not None:
        data = text.encode("utf-8")
        Path(path).write_bytes(gzip.compress(data) if str(path).endswith(".gz") else data)
    return text

