"""Exact vertex enumeration of polytopes {z >= 0 : C z = d} by lexicographic pivoting.

All arithmetic is on Python integers: a float payoff is an exact binary fraction, so a payoff
array is turned into integers by one power-of-two scale (:func:`exact_integers`), and tableaux are
updated by *integer pivoting* (fraction-free Gauss-Jordan, Edmonds 1967; the form used for
bimatrix games in B. von Stengel, "Computing equilibria for two-person games", ch. 45 of the
Handbook of Game Theory 3, 2002, sec. 2.5): the tableau of a basis B is T = D·B⁻¹[C | d] with
D = |det B|, every entry an integer and every division exact. No tolerance enters anywhere, so
ties and degeneracy are decided exactly.

Vertices are visited by the lexicographic method (as in Avis's lrs): the right-hand side is
perturbed by B₀(ε, ε², ...) for the starting feasible basis B₀, which makes the polytope simple
without moving its vertices in the limit ε → 0. The perturbed polytope's vertices are the
*lex-feasible* bases — those whose rows of D·B⁻¹[d | B₀] are lexicographically positive — and its
edges are single pivots chosen by the lexicographic minimum-ratio test, so a graph search from B₀
reaches every lex-feasible basis, and with them every vertex of the original polytope (several
bases may give one vertex when it is degenerate).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from math import gcd

import numpy as np

from ce.errors import SolverError

__all__ = ["MAX_BASES", "Basis", "exact_integers", "lex_feasible_bases", "phase_one"]

MAX_BASES = 200_000
"""Default bound on the lex-feasible bases one enumeration may visit before it gives up."""


def exact_integers(values: np.ndarray) -> np.ndarray:
    """Integers N (object array) with ``values == N / 2**k`` exactly for one k >= 0.

    Every finite float is p / 2^e exactly; the common scale 2^k is the largest denominator, so the
    result represents the same numbers up to one positive factor (which leaves equilibria and
    incentive polytopes unchanged).
    """
    flat = np.asarray(values, dtype=np.float64).ravel()
    ratios = [float(v).as_integer_ratio() for v in flat]
    den = max((q for _, q in ratios), default=1)
    out = np.array([p * (den // q) for p, q in ratios] or [0], dtype=object)[: len(ratios)]
    return out.reshape(np.shape(values))


@dataclass
class Basis:
    """A basis of {z >= 0 : C z = d}: its variables (one per row) and its integer tableau.

    ``tableau`` is D·B⁻¹[C | d] as a list of rows of Python ints (rhs last) and ``det`` = D > 0.
    """

    variables: list[int]
    tableau: list[list[int]]
    det: int

    def pivot(self, row: int, col: int) -> Basis:
        """The basis with ``col`` replacing the variable of ``row`` (integer pivoting)."""
        t, d = self.tableau, self.det
        prow = t[row]
        p = prow[col]
        new = [prow if k == row else [(x * p - r[col] * y) // d for x, y in zip(r, prow, strict=True)]
               for k, r in enumerate(t)]
        if p < 0:
            new, p = [[-x for x in r] for r in new], -p
        variables = list(self.variables)
        variables[row] = col
        return Basis(variables, new, p)

    def values(self, num_vars: int) -> tuple[tuple[int, ...], int]:
        """The basic solution as (numerators, common denominator), reduced by their gcd."""
        nums = [0] * num_vars
        for r, v in enumerate(self.variables):
            nums[v] = self.tableau[r][-1]
        g = gcd(self.det, *nums)
        return tuple(x // g for x in nums), self.det // g


FLOAT_SCREEN = 1e-9
"""Relative margin of the floating-point screen in the ratio test: rows whose float ratio exceeds
the float minimum by more than this cannot be the exact minimum (float ratios are accurate to a
few units of 1e-16), so only the rows within it are compared exactly."""


FLOAT_TINY = 1e-300
"""Absolute slack of the float screen (ratios that underflow to 0 are kept for the exact test)."""


def _lex_min_row(t: list[list[int]], col: int, lex_cols: Sequence[int]) -> int | None:
    """The row of the lexicographic minimum ratio (rhs, lex columns) / t[:, col] over t[:, col] > 0.

    The ratios are first screened in floats (Python's int / int rounds correctly however large the
    integers), then the remaining rows are compared exactly by cross-multiplication.
    """
    rows = [r for r, line in enumerate(t) if line[col] > 0]
    if len(rows) > 1:
        ratios = [t[r][-1] / t[r][col] for r in rows]
        cut = min(ratios)
        cut += FLOAT_SCREEN * abs(cut) + FLOAT_TINY
        rows = [r for r, q in zip(rows, ratios, strict=True) if q <= cut]
    if len(rows) <= 1:
        return rows[0] if rows else None
    for k in (-1, *lex_cols):
        best = [rows[0]]
        for r in rows[1:]:
            b = best[0]
            diff = t[r][k] * t[b][col] - t[b][k] * t[r][col]  # sign of ratio(r) - ratio(b)
            if diff < 0:
                best = [r]
            elif diff == 0:
                best.append(r)
        rows = best
        if len(rows) == 1:
            return rows[0]
    raise SolverError("lexicographic ratio test left a tie: the starting basis is singular")


def lex_feasible_bases(start: Basis, *, max_bases: int = MAX_BASES) -> Iterator[Basis]:
    """Every lex-feasible basis reachable from the feasible basis ``start`` (depth-first).

    The perturbation is taken relative to ``start``, so ``start`` itself is lex-feasible when its
    right-hand side is >= 0. Raises :class:`SolverError` after ``max_bases`` bases.
    """
    lex_cols = list(start.variables)
    num_cols = len(start.tableau[0]) - 1
    seen = {frozenset(start.variables)}
    stack = [start]
    while stack:
        basis = stack.pop()
        yield basis
        basic = set(basis.variables)
        for col in range(num_cols):
            if col in basic:
                continue
            row = _lex_min_row(basis.tableau, col, lex_cols)
            if row is None:
                continue  # an unbounded direction: not an edge of a polytope
            key = frozenset(basic - {basis.variables[row]} | {col})
            if key in seen:
                continue
            if len(seen) >= max_bases:
                raise SolverError(f"vertex enumeration visited more than max_bases={max_bases} "
                                  "bases", status="too_large")
            seen.add(key)
            stack.append(basis.pivot(row, col))


def phase_one(matrix: Sequence[Sequence[int]], rhs: Sequence[int],
              basic: Sequence[int | None]) -> Basis:
    """A feasible basis of {z >= 0 : matrix z = rhs} (integer data, rhs >= 0).

    ``basic[r]`` names a column that is the r-th unit vector (a slack), or is ``None`` for rows
    without one; those rows get artificial variables, which the simplex method with Bland's rule
    (smallest index enters, smallest index leaves among ties: no cycling) drives to zero and then
    pivots out. Raises :class:`SolverError` if the polytope is empty or the rows are dependent.
    """
    rows = len(matrix)
    cols = len(matrix[0]) if rows else 0
    missing = [r for r in range(rows) if basic[r] is None]
    t = [[int(v) for v in matrix[r]] + [1 if r == q else 0 for q in missing] + [int(rhs[r])]
         for r in range(rows)]
    variables = [int(b) if b is not None else cols + missing.index(r) for r, b in enumerate(basic)]
    basis = Basis(variables, t, 1)
    artificial = set(range(cols, cols + len(missing)))
    while True:
        in_art = [r for r, v in enumerate(basis.variables) if v in artificial]
        tab = basis.tableau
        if all(tab[r][-1] == 0 for r in in_art):
            break
        # reduced costs of min Σ artificials over the real columns (times D): -Σ_{artificial rows}
        entering = next((j for j in range(cols) if j not in basis.variables
                         and sum(tab[r][j] for r in in_art) > 0), None)
        if entering is None:
            raise SolverError("the polytope is empty (phase one ends with a positive artificial)",
                              status="infeasible")
        cand = [r for r in range(rows) if tab[r][entering] > 0]
        leave = cand[0]
        for r in cand[1:]:  # min ratio, ties to the smallest basic variable (Bland)
            diff = tab[r][-1] * tab[leave][entering] - tab[leave][-1] * tab[r][entering]
            if diff < 0 or (diff == 0 and basis.variables[r] < basis.variables[leave]):
                leave = r
        basis = basis.pivot(leave, entering)
    for r in [r for r, v in enumerate(basis.variables) if v in artificial]:
        col = next((j for j in range(cols)
                    if basis.tableau[r][j] != 0 and j not in basis.variables), None)
        if col is None:
            raise SolverError("redundant equality rows are not supported", status="rank")
        basis = basis.pivot(r, col)  # the row's rhs is 0, so any nonzero pivot stays feasible
    return Basis(basis.variables, [line[:cols] + line[-1:] for line in basis.tableau], basis.det)
