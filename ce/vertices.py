"""Every vertex of the CE or CCE polytope of a small N-player game, in exact arithmetic.

The polytope {μ >= 0 : A μ <= 0, Σ_a μ(a) = 1} (A: the incentive rows of :mod:`ce.polytope`) is
written in standard form with one slack per row, [A | I] (μ, s) = 0 and Σμ = 1, over exact
integers: each player's payoffs are scaled by their own power of two (:func:`exact_integers`),
which leaves that player's incentive rows, hence the polytope, unchanged. A feasible basis is
found by phase one of the simplex method and every vertex is then visited by lexicographic
pivoting (:mod:`ce.exact_pivoting`). The CE and CCE polytopes are never empty (every finite game
has a Nash equilibrium, which is a CE), so phase one always succeeds.

The cost grows with the number of lexicographic bases, which is exponential in the game's size:
this is for small games (a 3x3 game has a few dozen vertices; 2x2x2 a few hundred bases).
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd

import numpy as np

from ce.exact_pivoting import MAX_BASES, exact_integers, lex_feasible_bases, phase_one
from ce.polytope import incentive_blocks
from games.normal_form.game import NormalFormGame

__all__ = ["polytope_vertices"]


def _exact_rows(game: NormalFormGame, concept: str) -> list[list[int]]:
    """The incentive rows as dense lists of exact integers (each player scaled separately)."""
    pay = np.stack([exact_integers(game.payoffs[i]) for i in range(game.num_players)])
    n = game.num_joint_actions
    rows: list[list[int]] = []
    for _, _, _, block, cols in incentive_blocks(pay, concept):
        for coeffs, where in zip(block.tolist(), np.asarray(cols).tolist(), strict=True):
            row = [0] * n
            for c, v in zip(where, coeffs, strict=True):
                row[c] = int(v)
            if any(row):
                rows.append(row)
    return rows


def polytope_vertices(game: NormalFormGame, concept: str = "ce", *, exact: bool = False,
                      max_bases: int = MAX_BASES) -> np.ndarray | list[tuple[Fraction, ...]]:
    """All vertices of the CE (``concept="ce"``) or CCE (``"cce"``) polytope of ``game``.

    Returns a float array of shape ``(V, |A|)`` (μ flattened in C order), rows in lexicographic
    order; with ``exact=True`` the vertices as tuples of Fractions instead (same order). Exact
    throughout: no tolerance decides feasibility, degeneracy or whether two bases give one
    vertex. Raises :class:`~ce.errors.SolverError` after ``max_bases`` lexicographic bases.
    """
    rows = _exact_rows(game, concept)
    n, k = game.num_joint_actions, len(rows)
    matrix = [row + [int(r == q) for q in range(k)] for r, row in enumerate(rows)]
    matrix.append([1] * n + [0] * k)
    start = phase_one(matrix, [0] * k + [1], [n + r for r in range(k)] + [None])
    seen: set[tuple[int, ...]] = set()
    for basis in lex_feasible_bases(start, max_bases=max_bases):
        nums, _ = basis.values(n + k)
        point = nums[:n]
        g = gcd(*point)
        seen.add(tuple(v // g for v in point))
    verts = sorted(tuple(Fraction(v, sum(p)) for v in p) for p in seen)
    if exact:
        return verts
    return np.array([[float(v) for v in p] for p in verts], dtype=np.float64).reshape(-1, n)
