"""Collaborative Bayesian games (CBGs), the stage problems of GMAA* (Oliehoek, Spaan & Vlassis,
"Optimal and approximate Q-value functions for decentralized POMDPs", JAIR 32, 2008).

A CBG has per-agent types θ_i (here: clusters of observation histories), a payoff array
``U[θ_1, ..., θ_N, a_1, ..., a_N]`` already weighted by P(θ), and joint BG policies β = (β_i: θ_i ->
a_i) worth Σ_θ U[θ, β(θ)]. One agent L (the one with the most policies) best-responds type by type;
the policies of the others ("enumerated" agents E) are searched:

* with two agents, by depth-first branch and bound over E's type -> action assignments, types in
  decreasing order of influence, with the admissible bound Σ_{θ_L} max_{a_L} [assigned part +
  Σ_{unassigned θ_E} max_{a_E} U] (in the spirit of BaGaBaB: Oliehoek, Whiteson & Spaan, "Exploiting
  structure in cooperative Bayesian games", UAI 2012 / AAMAS 2010);
* with one agent, trivially; with three or more, by enumeration (guarded).

:func:`best_bg_solution` returns only the best solution above a threshold (the last stage of GMAA*).
:class:`BGEnumerator` yields every solution above a threshold in non-increasing order, lazily —
the incremental expansion of GMAA*-ICE (Oliehoek, Spaan, Amato & Whiteson, "Incremental
clustering and expansion for faster optimal planning in Dec-POMDPs", JAIR 46, 2013): per E-policy
the best responses of L are enumerated best-first as k-best sums of independent sorted lists.
"""

from __future__ import annotations

import heapq
import itertools
import math

import numpy as np

from games.errors import GameError

__all__ = ["BGEnumerator", "best_bg_solution"]

MAX_ENUMERATED = 2_000_000
"""Largest number of enumerated joint policies of the agents other than L (three or more agents)."""

MAX_LEAVES = 5_000_000
"""Most policies of the enumerated agent a node may keep for incremental expansion."""

_CHUNK = 2048


class _Arranged:
    """U rearranged as ``(ΠnE, nL, ΠmE, mL)`` with agent L last, plus index bookkeeping."""

    def __init__(self, u: np.ndarray) -> None:
        n = u.ndim // 2
        if n < 1 or u.ndim != 2 * n:
            raise GameError(f"a CBG payoff needs 2N axes, got shape {u.shape}")
        types, acts = u.shape[:n], u.shape[n:]
        logs = [types[i] * math.log(acts[i]) if acts[i] > 1 else 0.0 for i in range(n)]
        self.n = n
        self.last = int(np.argmax(logs))
        self.others = [i for i in range(n) if i != self.last]
        order = [*self.others, self.last]
        v = u.transpose(order + [n + i for i in order])
        self.types_e = [types[i] for i in self.others]
        self.acts_e = [acts[i] for i in self.others]
        self.n_l, self.m_l = types[self.last], acts[self.last]
        te, ae = int(np.prod(self.types_e)), int(np.prod(self.acts_e))
        self.u = np.ascontiguousarray(v.reshape(te, self.n_l, ae, self.m_l))
        # joint E type -> per-agent type index (columns into the concatenated assignment vector)
        offs = np.cumsum([0, *self.types_e])[:-1]
        grids = np.unravel_index(np.arange(te), self.types_e) if self.types_e else ()
        self.cols = [offs[j] + np.asarray(g) for j, g in enumerate(grids)]
        self.strides = [int(np.prod(self.acts_e[j + 1:])) for j in range(len(self.acts_e))]

    def joint_e_actions(self, asg: np.ndarray) -> np.ndarray:
        """(P, Σ nE) assignments -> (P, ΠnE) joint E action per joint E type."""
        out = np.zeros((asg.shape[0], self.u.shape[0]), dtype=np.int64)
        for j, c in enumerate(self.cols):
            out += asg[:, c] * self.strides[j]
        return out

    def responses(self, asg: np.ndarray) -> np.ndarray:
        """W[p, θ_L, a_L] = Σ_θE U[θE, θ_L, β_E(θE), a_L] for each assignment row p."""
        ja = self.joint_e_actions(asg)
        te = self.u.shape[0]
        w = np.zeros((asg.shape[0], self.n_l, self.m_l))
        for th in range(te):
            w += self.u[th][:, ja[:, th], :].transpose(1, 0, 2)
        return w

    def split(self, asg_row: np.ndarray, beta_l: np.ndarray) -> tuple[np.ndarray, ...]:
        """Per-agent BG policies in the original agent order."""
        out: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * self.n
        offs = np.cumsum([0, *self.types_e])
        for j, i in enumerate(self.others):
            out[i] = np.asarray(asg_row[offs[j]:offs[j + 1]], dtype=np.int64)
        out[self.last] = np.asarray(beta_l, dtype=np.int64)
        return tuple(out)


def _branch_and_bound(ar: _Arranged, tau: float, best_only: bool) -> tuple[np.ndarray, np.ndarray]:
    """Two agents: E-assignments whose best-response value exceeds tau (or only the best one)."""
    u = ar.u  # (nE, nL, mE, mL)
    n_e, n_l, m_e, m_l = u.shape
    span = (u.max(axis=(2, 3)) - u.min(axis=(2, 3))).sum(axis=1)
    order = np.argsort(-span, kind="stable")
    contrib = [u[k].transpose(1, 0, 2) for k in order]              # (mE, nL, mL)
    rest = np.zeros((n_e + 1, n_l, m_l))
    for k in range(n_e - 1, -1, -1):
        rest[k] = rest[k + 1] + contrib[k].max(axis=0)
    cur = tau
    stored = 0
    vals: list[np.ndarray] = []
    asgs: list[np.ndarray] = []
    stack = [(0, np.zeros((1, n_l, m_l)), np.zeros((1, 0), dtype=np.int64))]
    while stack:
        k, acc, asg = stack.pop()
        rows = acc.shape[0]
        acc2 = (acc[:, None] + contrib[k][None]).reshape(rows * m_e, n_l, m_l)
        ub = (acc2 + rest[k + 1]).max(axis=2).sum(axis=1)
        keep = np.flatnonzero(ub > cur)
        if keep.size == 0:
            continue
        asg2 = np.concatenate([np.repeat(asg, m_e, axis=0)[keep], np.tile(np.arange(m_e), rows)[keep, None]],
                              axis=1)
        acc2, ub = acc2[keep], ub[keep]
        if k + 1 == n_e:
            if best_only:
                j = int(np.argmax(ub))
                cur = float(ub[j])
                vals, asgs = [ub[j:j + 1]], [asg2[j:j + 1]]
            else:
                vals.append(ub)
                asgs.append(asg2)
                stored += ub.size
                if stored > MAX_LEAVES:
                    raise GameError(f"CBG has more than {MAX_LEAVES} policies of agent {ar.others[0]} "
                                    f"above the threshold; too large for incremental expansion")
            continue
        srt = np.argsort(-ub, kind="stable")
        acc2, asg2 = acc2[srt], asg2[srt]
        for lo in range(((acc2.shape[0] - 1) // _CHUNK) * _CHUNK, -1, -_CHUNK):
            stack.append((k + 1, acc2[lo:lo + _CHUNK], asg2[lo:lo + _CHUNK]))
    if not vals:
        return np.empty(0), np.empty((0, n_e), dtype=np.int64)
    values = np.concatenate(vals)
    perm = np.concatenate(asgs)
    out = np.empty_like(perm)
    out[:, order] = perm
    return values, out


def _enumerate(ar: _Arranged, tau: float, best_only: bool) -> tuple[np.ndarray, np.ndarray]:
    """Zero or >= 2 enumerated agents: every E joint policy (guarded)."""
    total = int(np.prod([m ** n for m, n in zip(ar.acts_e, ar.types_e, strict=True)])) if ar.others else 1
    if total > MAX_ENUMERATED:
        raise GameError(f"CBG too large to enumerate: {total} joint policies of {len(ar.others)} agents "
                        f"(limit {MAX_ENUMERATED})")
    width = sum(ar.types_e)
    pols = [np.array(list(itertools.product(range(m), repeat=n)), dtype=np.int64).reshape(-1, n)
            for m, n in zip(ar.acts_e, ar.types_e, strict=True)]
    vals: list[np.ndarray] = []
    asgs: list[np.ndarray] = []
    cur = tau
    it = itertools.product(*[range(p.shape[0]) for p in pols])
    while True:
        block = list(itertools.islice(it, _CHUNK))
        if not block:
            break
        idx = np.array(block, dtype=np.int64).reshape(len(block), len(pols))
        asg = (np.concatenate([pols[j][idx[:, j]] for j in range(len(pols))], axis=1) if pols
               else np.zeros((len(block), 0), dtype=np.int64))
        v = ar.responses(asg).max(axis=2).sum(axis=1)
        keep = v > cur
        if best_only and keep.any():
            j = int(np.argmax(v))
            cur = float(v[j])
            vals, asgs = [v[j:j + 1]], [asg[j:j + 1]]
        elif keep.any():
            vals.append(v[keep])
            asgs.append(asg[keep])
    if not vals:
        return np.empty(0), np.empty((0, width), dtype=np.int64)
    return np.concatenate(vals), np.concatenate(asgs)


def _solutions(ar: _Arranged, tau: float, best_only: bool) -> tuple[np.ndarray, np.ndarray]:
    if len(ar.others) == 1:
        return _branch_and_bound(ar, tau, best_only)
    return _enumerate(ar, tau, best_only)


def best_bg_solution(u: np.ndarray, tau: float = -math.inf) -> tuple[float, tuple[np.ndarray, ...]] | None:
    """The best joint BG policy if its value exceeds ``tau`` (else ``None``): (value, β per agent)."""
    ar = _Arranged(np.asarray(u, dtype=np.float64))
    vals, asgs = _solutions(ar, tau, best_only=True)
    if vals.size == 0:
        return None
    j = int(np.argmax(vals))
    w = ar.responses(asgs[j:j + 1])[0]
    return float(vals[j]), ar.split(asgs[j], w.argmax(axis=1))


class BGEnumerator:
    """All joint BG policies worth more than ``tau``, best first, produced lazily.

    ``peek()`` is the value of the next policy (``None`` when exhausted); ``pop()`` returns
    (value, β per agent). Leaves are E-policies whose best response beats tau; within a leaf the
    responses of agent L are enumerated as k-best sums: from ranks r (with last-raised position p)
    the successors raise one rank at a position >= p, so each rank vector is generated once.
    """

    def __init__(self, u: np.ndarray, tau: float = -math.inf) -> None:
        self._ar = _Arranged(np.asarray(u, dtype=np.float64))
        self._tau = tau
        vals, asgs = _solutions(self._ar, tau, best_only=False)
        order = np.argsort(-vals, kind="stable")
        self._vals, self._asgs = vals[order], asgs[order]
        self._heap: list[tuple[float, int, int, tuple[int, ...], int]] = []
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._count = 0
        self.leaves = int(self._vals.size)
        if self.leaves:
            self._push(-float(self._vals[0]), 0, (0,) * self._ar.n_l, 0)

    def _push(self, negv: float, leaf: int, ranks: tuple[int, ...], pos: int) -> None:
        self._count += 1
        heapq.heappush(self._heap, (negv, self._count, leaf, ranks, pos))

    def _sorted(self, leaf: int) -> tuple[np.ndarray, np.ndarray]:
        got = self._cache.get(leaf)
        if got is None:
            w = self._ar.responses(self._asgs[leaf:leaf + 1])[0]      # (nL, mL)
            order = np.argsort(-w, axis=1, kind="stable")
            got = (order, np.take_along_axis(w, order, axis=1))
            self._cache[leaf] = got
        return got

    def peek(self) -> float | None:
        return -self._heap[0][0] if self._heap else None

    def pop(self) -> tuple[float, tuple[np.ndarray, ...]]:
        if not self._heap:
            raise IndexError("no more BG solutions")
        negv, _, leaf, ranks, pos = heapq.heappop(self._heap)
        order, sw = self._sorted(leaf)
        if pos == 0 and not any(ranks) and leaf + 1 < self.leaves:
            self._push(-float(self._vals[leaf + 1]), leaf + 1, (0,) * self._ar.n_l, 0)
        value = -negv
        for j in range(pos, self._ar.n_l):
            r = ranks[j]
            if r + 1 < self._ar.m_l:
                nv = value - sw[j, r] + sw[j, r + 1]
                if nv <= self._tau:
                    continue
                self._push(-float(nv), leaf, (*ranks[:j], r + 1, *ranks[j + 1:]), j)
        beta_l = order[np.arange(self._ar.n_l), np.array(ranks)]
        return value, self._ar.split(self._asgs[leaf], beta_l)
