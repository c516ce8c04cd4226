"""Nash equilibria of finite normal-form games.

A Nash equilibrium (Nash, "Non-cooperative games", Annals of Mathematics 54, 1951) is a profile of
mixed strategies s = (s_1, ..., s_N) such that no player gains by a unilateral deviation:
u_i(s) >= u_i(a_i, s_{-i}) for every player i and every pure action a_i.

* :func:`pure_nash_equilibria` -- every pure NE of an N-player game, from the best-response masks.
* :func:`support_enumeration` -- every NE of a *nondegenerate* bimatrix game: for each pair of
  supports of equal size solve the indifference equations and keep the nonnegative solutions
  against which no pure strategy does better (B. von Stengel, "Equilibrium computation for
  two-player games in strategic and extensive form", ch. 3 of Nisan, Roughgarden, Tardos &
  Vazirani (eds.), Algorithmic Game Theory, CUP 2007: support enumeration and nondegeneracy).
* :func:`lemke_howson` -- one NE by complementary pivoting (C. E. Lemke & J. T. Howson,
  "Equilibrium points of bimatrix games", J. SIAM 12, 1964), with the lexicographic minimum-ratio
  test (von Stengel 2007, degenerate games) so that it terminates on degenerate games too.

A bimatrix game is nondegenerate when no mixed strategy with support size k has more than k pure
best responses (von Stengel 2007). A mixed strategy that violates this is a *degeneracy witness*.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.optimize import linprog

from ce.errors import DegenerateGameError, DistributionError, SolverError, SolverWarning
from games.errors import GameError
from games.normal_form.game import NormalFormGame

__all__ = [
    "NashEquilibrium",
    "lemke_howson",
    "lemke_howson_all_labels",
    "pure_nash_equilibria",
    "support_enumeration",
]


@dataclass(frozen=True, eq=False)
class NashEquilibrium:
    """A profile of mixed strategies (one per player) and each player's expected payoff."""

    strategies: tuple[np.ndarray, ...]
    values: np.ndarray

    @property
    def joint(self) -> np.ndarray:
        """The product distribution s_1 x ... x s_N, shape ``(A_1, ..., A_N)``."""
        operands: list[object] = []
        for i, s in enumerate(self.strategies):
            operands += [s, [i]]
        return np.einsum(*operands, list(range(len(self.strategies))))

    @property
    def welfare(self) -> float:
        """Social welfare sum_i u_i(s)."""
        return float(np.sum(self.values))

    @property
    def supports(self) -> tuple[tuple[int, ...], ...]:
        """Per player, the actions played with positive probability."""
        return tuple(tuple(int(a) for a in np.flatnonzero(s > 0)) for s in self.strategies)

    def allclose(self, other: NashEquilibrium, atol: float = 1e-9) -> bool:
        """True when both profiles agree strategy by strategy up to ``atol``."""
        return len(self.strategies) == len(other.strategies) and all(
            s.shape == t.shape and np.allclose(s, t, rtol=0.0, atol=atol)
            for s, t in zip(self.strategies, other.strategies, strict=True))


def _deviation_payoffs(game: NormalFormGame, strategies: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Per player i, the vector u_i(a_i, s_{-i}) over i's pure actions (tensordot contractions)."""
    n = game.num_players
    if len(strategies) != n:
        raise DistributionError(f"{len(strategies)} strategies given for {n} players")
    strats = [np.asarray(s, dtype=float) for s in strategies]
    for i, s in enumerate(strats):
        if s.shape != (game.num_actions[i],):
            raise DistributionError(
                f"strategy of player {i} has shape {s.shape}, expected ({game.num_actions[i]},)")
    out = []
    for i in range(n):
        t = game.payoffs[i]
        for j in reversed(range(n)):  # contract from the last axis so lower axes keep their index
            if j != i:
                t = np.tensordot(t, strats[j], axes=([j], [0]))
        out.append(t)
    return out


def _product_regret(game: NormalFormGame, strategies: Sequence[np.ndarray]) -> float:
    """Nash gap: max_i (max_{a_i} u_i(a_i, s_{-i}) - u_i(s)) of a product of mixed strategies."""
    dev = _deviation_payoffs(game, strategies)
    return max(float(d.max() - d @ np.asarray(s, dtype=float))
               for d, s in zip(dev, strategies, strict=True))


def _equilibrium(game: NormalFormGame, strategies: Sequence[np.ndarray]) -> NashEquilibrium:
    strats = []
    for s in strategies:
        s = np.clip(np.asarray(s, dtype=float), 0.0, None)
        s = s / s.sum()
        s.setflags(write=False)
        strats.append(s)
    dev = _deviation_payoffs(game, strats)
    values = np.array([d @ s for d, s in zip(dev, strats, strict=True)])
    values.setflags(write=False)
    return NashEquilibrium(tuple(strats), values)


def _scale(game: NormalFormGame) -> float:
    return max(1.0, float(np.abs(game.payoffs).max()))


def _bimatrix(game: NormalFormGame, method: str) -> tuple[np.ndarray, np.ndarray]:
    if game.num_players != 2:
        raise GameError(f"{method} needs a 2-player game; {game!r} has {game.num_players} players")
    return game.payoffs[0], game.payoffs[1]


def pure_nash_equilibria(game: NormalFormGame, tol: float = 1e-12) -> list[tuple[int, ...]]:
    """All pure NE of an N-player game, in C order of the joint actions.

    Player i's best-response mask is ``payoffs[i] >= payoffs[i].max(axis=i) - tol`` (broadcast over
    the other players' actions); a joint action is a pure NE iff every player's mask holds there.
    """
    mask = np.ones(game.num_actions, dtype=bool)
    for i in range(game.num_players):
        u = game.payoffs[i]
        mask &= u >= u.max(axis=i, keepdims=True) - tol
    return [tuple(int(a) for a in row) for row in np.argwhere(mask)]


# --------------------------------------------------------------------------- support enumeration
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
                  options={"primal_feasibility_tolerance": 1e-10})
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
                        max_support_pairs: int = 2_000_000, rtol: float = 1e-10,
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
    a :class:`SolverWarning` is issued and the genuine equilibria found are returned (for singular
    pairs one LP solution), but the list may then be incomplete (continua, unequal supports).

    Raises :class:`SolverError` when the C(m+n, m) - 1 support pairs exceed ``max_support_pairs``.
    """
    if on_degenerate not in ("raise", "warn"):
        raise ValueError(f"on_degenerate must be 'raise' or 'warn', got {on_degenerate!r}")
    a, b = _bimatrix(game, "support_enumeration")
    m, n = a.shape
    total = math.comb(m + n, m) - 1
    if total > max_support_pairs:
        raise SolverError(f"support enumeration of a {m}x{n} game would solve {total} support "
                          f"pairs > max_support_pairs={max_support_pairs}; use lemke_howson() for "
                          "one equilibrium or raise max_support_pairs", status="too_large")
    tol_u = tol * _scale(game)
    found: list[NashEquilibrium] = []
    witnesses: list[str] = []

    def witness(msg: str) -> None:
        if on_degenerate == "raise":
            raise DegenerateGameError(f"game {game.name!r} is degenerate: {msg}; its equilibria "
                                      "may form continua. Use on_degenerate='warn' or "
                                      "lemke_howson()")
        witnesses.append(msg)

    def add(x: np.ndarray, y: np.ndarray) -> None:  # deduplicating; LP solutions re-verified
        eq = _equilibrium(game, (x, y))
        if _product_regret(game, eq.strategies) <= 10 * tol_u and not any(
                eq.allclose(f, 1e-7) for f in found):
            found.append(eq)

    for k in range(1, min(m, n) + 1):
        rows = np.array(list(itertools.combinations(range(m), k)), dtype=np.intp)
        cols = np.array(list(itertools.combinations(range(n), k)), dtype=np.intp)
        npairs = len(rows) * len(cols)
        chunk = max(1, 2**21 // ((k + 1) ** 2 + m + n))
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
    if witnesses:
        warnings.warn(f"game {game.name!r} is degenerate ({len(witnesses)} witnesses, e.g. "
                      f"{witnesses[0]}); support enumeration returned {len(found)} equilibria, "
                      "which may be incomplete", SolverWarning, stacklevel=2)
    return found


# --------------------------------------------------------------------------- Lemke-Howson
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
    a, b = _bimatrix(game, "lemke_howson")
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
        leaving = _lex_pivot(tabs[side], bases[side], entering, slacks[side], 1e-12)
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
    eq = _equilibrium(game, (x, y))
    regret = _product_regret(game, eq.strategies)
    if not regret <= tol * _scale(game):
        raise SolverError(f"Lemke-Howson result has Nash regret {regret:.3g} > tol={tol:g} "
                          "(numerical trouble)", status="numerical")
    return eq


def lemke_howson_all_labels(game: NormalFormGame, *, tol: float = 1e-9,
                            max_iter: int = 100_000) -> list[NashEquilibrium]:
    """The distinct equilibria reached by :func:`lemke_howson` from each of the m+n labels."""
    a, _ = _bimatrix(game, "lemke_howson_all_labels")
    out: list[NashEquilibrium] = []
    for label in range(sum(a.shape)):
        eq = lemke_howson(game, initial_label=label, tol=tol, max_iter=max_iter)
        if not any(eq.allclose(e, 1e-7) for e in out):
            out.append(eq)
    return out
