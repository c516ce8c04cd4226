"""All Nash equilibria of a nondegenerate two-player game by support enumeration.

For every pair of equal-size supports the indifference equations are solved (batched, floating
point) and nonnegative solutions without profitable pure deviations are kept (B. von Stengel,
"Equilibrium computation for two-player games in strategic and extensive form", ch. 3 of
Algorithmic Game Theory, CUP 2007: support enumeration and nondegeneracy). Evidence of degeneracy
found on the way is confirmed or refuted exactly by :mod:`ce.bimatrix`.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from scipy.optimize import linprog

from ce.bimatrix import BimatrixEquilibria, enumerate_bimatrix
from ce.errors import DegenerateGameError, SolverError, SolverWarning
from ce.nash_types import (
    DEDUP_ATOL,
    NashEquilibrium,
    bimatrix,
    make_equilibrium,
    payoff_scale,
    product_regret,
)
from games.normal_form.game import NormalFormGame

__all__ = ["MAX_SUPPORT_PAIRS", "support_enumeration"]

MAX_SUPPORT_PAIRS = 2_000_000
"""Support enumeration refuses games with more support pairs than this (C(m+n, m) - 1)."""
BATCH_ENTRIES = 2**21
"""Support pairs are solved in batches of about this many matrix entries (memory bound)."""
SINGULAR_RTOL = 1e-10
"""An indifference system is numerically singular when |det| is below this times Hadamard's bound
(a suspicion of degeneracy, settled exactly)."""
ACCEPT_FACTOR = 10
"""A candidate is kept when its Nash regret is at most this times the tolerance (LP solutions)."""
LP_FEASIBILITY = 1e-10
"""HiGHS's primal feasibility tolerance in the one-sided feasibility LPs of singular systems."""
EXACT_CHECK_MAX_BASES = 50_000
"""The exact degeneracy check gives up (keeping the floating-point verdict) beyond this many bases."""


class _Nondegenerate(Exception):
    """Raised inside the loop when a suspected degeneracy was refuted exactly."""

    def __init__(self, exact: BimatrixEquilibria) -> None:
        self.exact = exact


def _exact(game: NormalFormGame) -> BimatrixEquilibria | None:
    try:
        return enumerate_bimatrix(game, max_bases=EXACT_CHECK_MAX_BASES)
    except SolverError:
        return None


def _indifference(pay: np.ndarray, own: np.ndarray, opp: np.ndarray, tol: float, tol_u: float,
                  rtol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Batched indifference systems for one player.

    ``pay`` is (p, q): the player's payoffs, own actions on rows. For every support pair
    (own[k], opp[k]) solve ``pay[own][:, opp] z = u 1, sum(z) = 1`` for the opponent's strategy z
    supported on ``opp``. Returns z (P, q), the player's pure payoffs z @ pay.T (P, p), ``ok``
    (nonsingular, z >= 0 and every own action a best response) and ``singular``.
    """
    npairs, k = own.shape
    mat = np.zeros((npairs, k + 1, k + 1))
    mat[:, :k, :k] = pay[own[:, :, None], opp[:, None, :]]
    mat[:, :k, k] = -1.0
    mat[:, k, :k] = 1.0
    # Numerical singularity: |det| relative to Hadamard's bound prod_r ||row_r|| (scale-free, <= 1).
    sign, logdet = np.linalg.slogdet(mat)
    singular = (sign == 0) | (logdet - np.log(np.linalg.norm(mat, axis=2)).sum(1) < np.log(rtol))
    ok = ~singular
    z = np.zeros((npairs, pay.shape[1]))
    if ok.any():
        rhs = np.zeros((int(ok.sum()), k + 1, 1))
        rhs[:, k, 0] = 1.0
        sol = np.linalg.solve(mat[ok], rhs)[:, :k, 0]
        zs = np.zeros((sol.shape[0], pay.shape[1]))
        np.put_along_axis(zs, opp[ok], sol, axis=1)
        z[ok] = zs
    pure = z @ pay.T
    best = pure.max(axis=1, keepdims=True)
    ok &= (z >= -tol).all(axis=1) & (np.take_along_axis(pure, own, axis=1) >= best - tol_u).all(1)
    return np.clip(z, 0.0, None), pure, ok, singular


def _lp_side(pay: np.ndarray, own: Sequence[int], opp: Sequence[int]) -> np.ndarray | None:
    """A strategy z supported in ``opp`` that makes all of ``own`` tied best responses, or None."""
    k, (p, q) = len(own), pay.shape
    others = sorted(set(range(p)) - set(own))
    sub = pay[np.ix_(own, opp)]
    a_eq = np.vstack([np.hstack([sub, -np.ones((k, 1))]), np.r_[np.ones(k), 0.0][None]])
    b_eq = np.r_[np.zeros(k), 1.0]
    a_ub = np.hstack([pay[np.ix_(others, opp)], -np.ones((len(others), 1))]) if others else None
    res = linprog(np.zeros(k + 1), A_ub=a_ub, b_ub=np.zeros(len(others)) if others else None,
                  A_eq=a_eq, b_eq=b_eq, bounds=[(0, None)] * k + [(None, None)], method="highs",
                  options={"primal_feasibility_tolerance": LP_FEASIBILITY})
    if res.status != 0:
        return None
    z = np.zeros(q)
    z[list(opp)] = np.clip(res.x[:k], 0.0, None)
    return z


def _br_witness(z: np.ndarray, pure: np.ndarray, tol: float, tol_u: float) -> str | None:
    support = np.flatnonzero(z > tol)
    brs = np.flatnonzero(pure >= pure.max() - tol_u)
    if brs.size <= support.size:
        return None
    return (f"strategy {np.round(z, 6).tolist()} with support {support.tolist()} (size "
            f"{support.size}) has {brs.size} pure best responses {brs.tolist()}")


def support_enumeration(game: NormalFormGame, *, tol: float = 1e-9,
                        on_degenerate: Literal["raise", "warn"] = "raise",
                        max_support_pairs: int = MAX_SUPPORT_PAIRS, rtol: float = SINGULAR_RTOL,
                        ) -> list[NashEquilibrium]:
    """All Nash equilibria of a nondegenerate 2-player game by support enumeration.

    For k = 1, 2, ... and every pair (I, J) of k-subsets of the row and column actions, solve the
    indifference equations (A[I, J] y = u 1, x^T B[I, J] = v 1^T, both summing to 1, batched over
    pairs) and keep (x, y) when x, y >= -tol and every action in I (J) is a best response to y (x)
    up to ``tol`` times the payoff scale. In a nondegenerate game every NE arises this way, from
    a nonsingular system, exactly once (von Stengel 2007).

    Degeneracy: a *witness* is (a) a one-sided solution (e.g. y >= 0 on J making all of I best
    responses) with more pure best responses than support size, or (b) a support pair whose system
    is singular (|det| <= ``rtol`` times Hadamard's bound) yet admits such a feasible solution
    (an LP); (b) yields a vertex witness of kind (a). Every NE missed by equal-size supports with
    unique solutions produces a witness, so if none is found the returned list is complete. With
    ``on_degenerate="raise"`` the first witness raises :class:`DegenerateGameError`; with ``"warn"``
    a :class:`SolverWarning` is issued and equilibria are returned (see below).

    A floating-point witness is only a suspicion: it is settled exactly by
    :func:`ce.bimatrix.enumerate_bimatrix` (payoffs as exact binary fractions). If the game is in
    fact nondegenerate (e.g. a singularity test fooled by payoffs of very different magnitudes),
    the exact list of all equilibria is returned without warning; if it is degenerate, the error
    or warning above follows, and with ``"warn"`` the returned list holds *every extreme*
    equilibrium (the continua are their convex hulls, see :func:`ce.nash.nash_equilibria`).

    Raises :class:`SolverError` when the C(m+n, m) - 1 support pairs exceed ``max_support_pairs``.
    """
    if on_degenerate not in ("raise", "warn"):
        raise ValueError(f"on_degenerate must be 'raise' or 'warn', got {on_degenerate!r}")
    a, b = bimatrix(game, "support_enumeration")
    m, n = a.shape
    total = math.comb(m + n, m) - 1
    if total > max_support_pairs:
        raise SolverError(f"support enumeration of a {m}x{n} game would solve {total} support "
                          f"pairs > max_support_pairs={max_support_pairs}; use lemke_howson() for "
                          "one equilibrium or raise max_support_pairs", status="too_large")
    tol_u = tol * payoff_scale(game)
    found: list[NashEquilibrium] = []
    witnesses: list[str] = []
    exact: list[BimatrixEquilibria | None] = []  # the exact verdict, computed at most once

    def witness(msg: str) -> None:
        witnesses.append(msg)
        if not exact:
            exact.append(_exact(game))
            if exact[0] is not None and not exact[0].degenerate:
                raise _Nondegenerate(exact[0])
        if on_degenerate == "raise":
            raise DegenerateGameError(f"game {game.name!r} is degenerate: {msg}; its equilibria "
                                      "may form continua. Use on_degenerate='warn', "
                                      "nash_equilibria() or lemke_howson()")

    def add(x: np.ndarray, y: np.ndarray) -> None:  # deduplicating; LP solutions re-verified
        eq = make_equilibrium(game, (x, y))
        if product_regret(game, eq.strategies) <= ACCEPT_FACTOR * tol_u and not any(
                eq.allclose(f, DEDUP_ATOL) for f in found):
            found.append(eq)

    try:
        _enumerate(a, b, tol, tol_u, rtol, witness, add)
    except _Nondegenerate as done:
        return [make_equilibrium(game, p) for p in done.exact.profiles()]
    if witnesses:
        what = "equilibria, which may be incomplete"
        if exact and exact[0] is not None:  # degenerate, confirmed: every extreme equilibrium
            found = [make_equilibrium(game, p) for p in exact[0].profiles()]
            what = "extreme equilibria (the equilibrium set is made of their convex hulls)"
        warnings.warn(f"game {game.name!r} is degenerate ({len(witnesses)} witnesses, e.g. "
                      f"{witnesses[0]}); returned {len(found)} {what}", SolverWarning, stacklevel=2)
    return found


def _enumerate(a: np.ndarray, b: np.ndarray, tol: float, tol_u: float, rtol: float,
               witness: Callable[[str], None], add: Callable[[np.ndarray, np.ndarray], None]) -> None:
    """The batched loop over equal-size support pairs (see :func:`support_enumeration`)."""
    m, n = a.shape
    for k in range(1, min(m, n) + 1):
        rows = np.array(list(itertools.combinations(range(m), k)), dtype=np.intp)
        cols = np.array(list(itertools.combinations(range(n), k)), dtype=np.intp)
        npairs = len(rows) * len(cols)
        chunk = max(1, BATCH_ENTRIES // ((k + 1) ** 2 + m + n))
        for start in range(0, npairs, chunk):
            idx = np.arange(start, min(npairs, start + chunk))
            big_i, big_j = rows[idx // len(cols)], cols[idx % len(cols)]
            y, ypay, yok, ysing = _indifference(a, big_i, big_j, tol, tol_u, rtol)
            x, xpay, xok, xsing = _indifference(b.T, big_j, big_i, tol, tol_u, rtol)
            for p in np.flatnonzero(yok | xok | ysing | xsing):
                supp = f"support pair rows={big_i[p].tolist()}, cols={big_j[p].tolist()}"
                xs, ys = (x[p] if xok[p] else None), (y[p] if yok[p] else None)
                for who, ok_, z, pure in (("column", yok[p], y[p], ypay[p]),
                                          ("row", xok[p], x[p], xpay[p])):
                    if ok_ and (msg := _br_witness(z, pure, tol, tol_u)) is not None:
                        witness(f"the {who} player's {msg} ({supp})")
                if ysing[p] and (ys := _lp_side(a, big_i[p], big_j[p])) is not None:
                    witness(f"{supp}: the row player's indifference system is singular but "
                            f"feasible, e.g. column strategy {np.round(ys, 6).tolist()}")
                if xsing[p] and (xs := _lp_side(b.T, big_j[p], big_i[p])) is not None:
                    witness(f"{supp}: the column player's indifference system is singular but "
                            f"feasible, e.g. row strategy {np.round(xs, 6).tolist()}")
                if xs is not None and ys is not None:
                    add(xs, ys)
