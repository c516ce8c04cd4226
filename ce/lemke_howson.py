"""One Nash equilibrium of a two-player game by the Lemke-Howson algorithm.

Complementary pivoting (C. E. Lemke & J. T. Howson, "Equilibrium points of bimatrix games",
J. SIAM 12, 1964) with the lexicographic minimum-ratio test (B. von Stengel, "Equilibrium
computation for two-player games in strategic and extensive form", ch. 3 of Algorithmic Game
Theory, CUP 2007, degenerate games), so that it terminates on degenerate games too. Floating
point; every result is checked by its Nash regret.
"""

from __future__ import annotations

import numpy as np

from ce.errors import SolverError
from ce.nash_types import (
    DEDUP_ATOL,
    NashEquilibrium,
    bimatrix,
    make_equilibrium,
    payoff_scale,
    product_regret,
)
from games.errors import GameError
from games.normal_form.game import NormalFormGame

__all__ = ["lemke_howson", "lemke_howson_all_labels"]

PIVOT_EPS = 1e-12
"""Pivot-column entries at most this are treated as zero, and ratios within this (relative) as
ties passed to the next lexicographic column."""


def _lex_pivot(tab: np.ndarray, basis: list[int], entering: int, slack: range,
               eps: float) -> int:
    """Pivot ``entering`` into the basis with the lexicographic minimum-ratio test.

    Rows are compared by (rhs, B^{-1}) / pivot-column entry, where B^{-1} sits in the columns of
    the initial slack basis; distinct rows of B^{-1} make the minimum unique, so no cycling.
    Returns the label that leaves the basis.
    """
    col = tab[:, entering]
    cand = np.flatnonzero(col > eps)
    if cand.size == 0:
        raise SolverError(f"Lemke-Howson: unbounded ray when entering label {entering}")
    for c in (tab.shape[1] - 1, *slack):
        ratios = tab[cand, c] / col[cand]
        lo = ratios.min()
        cand = cand[ratios <= lo + eps * max(1.0, abs(lo))]
        if cand.size == 1:
            break
    r = int(cand[0])
    tab[r] /= tab[r, entering]
    factors = tab[:, entering].copy()
    factors[r] = 0.0
    tab -= np.outer(factors, tab[r])
    leaving, basis[r] = basis[r], entering
    return leaving


def _basic_solution(mat: np.ndarray, tab: np.ndarray, basis: list[int]) -> np.ndarray:
    """Values of all variables at the basis, re-solved from the original constraints if possible."""
    z = np.zeros(mat.shape[1])
    try:
        z[basis] = np.linalg.solve(mat[:, basis], np.ones(mat.shape[0]))
    except np.linalg.LinAlgError:
        z[basis] = tab[:, -1]
    return z


def lemke_howson(game: NormalFormGame, *, initial_label: int = 0, tol: float = 1e-9,
                 max_iter: int = 100_000) -> NashEquilibrium:
    """One Nash equilibrium of a 2-player game by the Lemke-Howson algorithm.

    Payoffs are shifted to be >= 1 (which leaves the equilibria unchanged) and the polytopes
    P = {x >= 0 : B^T x <= 1}, Q = {y >= 0 : A y <= 1} are kept as two tableaux. Labels
    0..m-1 are the row actions and m..m+n-1 the column actions. From the artificial equilibrium
    (0, 0) label ``initial_label`` is dropped, then the duplicate label is alternately pivoted
    into the other tableau (complementary pivoting) until ``initial_label`` leaves; with the
    lexicographic ratio test this terminates on degenerate games too. The normalised result is
    checked to have Nash regret <= ``tol`` times the payoff scale, else :class:`SolverError`.
    """
    a, b = bimatrix(game, "lemke_howson")
    m, n = a.shape
    if not 0 <= initial_label < m + n:
        raise GameError(f"initial_label must be in [0, {m + n}), got {initial_label}")
    a1, b1 = a - a.min() + 1.0, b - b.min() + 1.0
    mat_p = np.hstack([b1.T, np.eye(n)])  # rows: columns j; variables: x (labels 0..m-1), s
    mat_q = np.hstack([np.eye(m), a1])  # rows: rows i; variables: r (labels 0..m-1), y
    tabs = [np.hstack([mat_p, np.ones((n, 1))]), np.hstack([mat_q, np.ones((m, 1))])]
    bases = [list(range(m, m + n)), list(range(m))]
    slacks = [range(m, m + n), range(m)]
    side, entering = (0 if initial_label < m else 1), initial_label
    for _ in range(max_iter):
        leaving = _lex_pivot(tabs[side], bases[side], entering, slacks[side], PIVOT_EPS)
        if leaving == initial_label:
            break
        side, entering = 1 - side, leaving
    else:
        raise SolverError(f"Lemke-Howson did not terminate within max_iter={max_iter} pivots",
                          status="max_iter")
    x = _basic_solution(mat_p, tabs[0], bases[0])[:m]
    y = _basic_solution(mat_q, tabs[1], bases[1])[m:]
    if not (x.sum() > 0 and y.sum() > 0):
        raise SolverError("Lemke-Howson ended at the artificial equilibrium", status="numerical")
    eq = make_equilibrium(game, (x, y))
    regret = product_regret(game, eq.strategies)
    if not regret <= tol * payoff_scale(game):
        raise SolverError(f"Lemke-Howson result has Nash regret {regret:.3g} > tol={tol:g} "
                          "(numerical trouble)", status="numerical")
    return eq


def lemke_howson_all_labels(game: NormalFormGame, *, tol: float = 1e-9,
                            max_iter: int = 100_000) -> list[NashEquilibrium]:
    """The distinct equilibria reached by :func:`lemke_howson` from each of the m+n labels."""
    a, _ = bimatrix(game, "lemke_howson_all_labels")
    out: list[NashEquilibrium] = []
    for label in range(sum(a.shape)):
        eq = lemke_howson(game, initial_label=label, tol=tol, max_iter=max_iter)
        if not any(eq.allclose(e, DEDUP_ATOL) for e in out):
            out.append(eq)
    return out
