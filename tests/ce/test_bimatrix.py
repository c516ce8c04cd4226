"""Exact enumeration of every equilibrium of two-player games (ce.bimatrix, ce.nash).

Reference games are Gambit's (gambitproject/gambit, files ``contrib/games/*.nfg`` and
``catalog/games/journals/dcg/vonstengel1999/6x6_game_with_75_eq.nfg``); their payoffs are embedded
below and the counts of extreme equilibria are the ones stated in the files' titles.
"""

from __future__ import annotations

import itertools
import warnings
from fractions import Fraction

import nashpy
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ce.bimatrix import enumerate_bimatrix
from ce.errors import ConfigError, DegenerateGameError, SolverError, SolverWarning
from ce.nash import nash_equilibria, support_enumeration
from ce.nash_types import product_regret
from games.normal_form.catalog import make_game, random_game
from games.normal_form.game import NormalFormGame
from games.normal_form.nfg import read_nfg

PERFECT1 = """NFG 1 R "perfect1" { "1" "2" } { { "1" "2" "3" } { "1" "2" "3" } } ""
{ { "11" 3, 1 } { "12" 0, 0 } { "13" 0, 1 } { "21" 3/2, 1 } { "22" 2, 2 } { "23" 3/2, 1 }
  { "31" 0, 1 } { "32" 0, 0 } { "33" 3, 1 } }
1 4 7 2 5 8 3 6 9
"""
WINK3 = """NFG 1 R "wink3" { "1" "2" } { { "1" "2" "3" } { "1" "2" "3" } }
1 3 1 2 0 4
3 4 3 1 2 3
4 2 2 1 3 3
"""
WINKELS = """NFG 1 R "winkels" { "1" "2" } { { "1" "2" "3" "4" "5" "6" } { "1" "2" } }
1 1 1 0 3 -2 3 4 5/2 -1 5/2 6 3 2 3 -1 1 2 1 -1 5/2 6 5/2 -1
"""
VON_STENGEL = """NFG 1 R "von Stengel 6x6" { "1" "2" }
{ { "1" "2" "3" "4" "5" "6" } { "1" "2" "3" "4" "5" "6" } }
9504 72336 -111771 -461736 397584 1227336 171204 -1718376 1303104 1303104 737154 -453420 -660
48081 31680 -300036 -113850 774576 -45936 -1039236 -453420 737154 -227040 -227040 19976 29216
-130944 -178761 451176 451176 208626 -586476 1227336 397584 774576 -113850 -20526 14124 168124
-84436 -586476 208626 -263076 -263076 -1718376 171204 -1039236 -45936 1776 1776 -8514 -8976
29216 19976 14124 -20526 72336 9504 48081 -660 -8976 -8514 52764 52764 -178761 -130944 -84436
168124 -461736 -111771 -300036 31680
"""


def _check_equilibria(game: NormalFormGame, res_profiles: list) -> None:
    for x, y in res_profiles:
        assert product_regret(game, (x, y)) <= 1e-9 * max(1.0, np.abs(game.payoffs).max())


@pytest.mark.parametrize(("text", "extreme", "degenerate"), [
    (PERFECT1, 9, True), (WINK3, 4, True), (WINKELS, 12, True), (VON_STENGEL, 75, False)])
def test_gambit_games_extreme_equilibria(text: str, extreme: int, degenerate: bool) -> None:
    game = read_nfg(text)
    res = enumerate_bimatrix(game)
    assert len(res.pairs) == extreme and res.degenerate is degenerate
    _check_equilibria(game, res.profiles())
    # every extreme equilibrium lies in some maximal Nash subset, and each subset is complete
    pairs = set(res.pairs)
    covered = {(i, j) for s in res.maximal_subsets for i in s.row_strategies
               for j in s.column_strategies}
    assert covered == pairs
    if not degenerate:
        assert len(res.maximal_subsets) == extreme == len(res.components)


def test_von_stengel_game_is_nondegenerate_through_every_entry_point() -> None:
    # Payoffs up to 1.7e6: a singularity threshold relative to Hadamard's bound once called this
    # game degenerate; the exact test does not.
    game = read_nfg(VON_STENGEL)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        eqs = support_enumeration(game)
    assert len(eqs) == 75
    res = nash_equilibria(game)
    assert res.method == "enumeration" and res.complete and res.degenerate is False
    assert len(res.equilibria) == 75 and not res.notes


def test_winkels_components_and_subsets() -> None:
    res = nash_equilibria(read_nfg(WINKELS))
    assert res.degenerate and res.complete and len(res.equilibria) == 12
    assert res.maximal_subsets is not None and res.components is not None
    assert sorted(k for c in res.components for k in c) == list(range(len(res.maximal_subsets)))


def test_exact_strategies_are_rationals_summing_to_one() -> None:
    res = enumerate_bimatrix(make_game("chicken"))
    assert res.degenerate is False and len(res.pairs) == 3
    for strat in (*res.row_strategies, *res.column_strategies):
        assert all(isinstance(v, Fraction) for v in strat) and sum(strat) == 1
    assert (Fraction(1, 3), Fraction(2, 3)) in res.row_strategies


def test_all_ties_game_is_one_maximal_subset() -> None:
    # Constant payoffs: every profile is an equilibrium, the product of the two simplices.
    res = enumerate_bimatrix(NormalFormGame(np.zeros((2, 2, 3))))
    assert res.degenerate
    assert len(res.row_strategies) == 2 and len(res.column_strategies) == 3
    assert len(res.maximal_subsets) == 1 and len(res.pairs) == 6


def test_continuum_of_mixed_equilibria() -> None:
    # Columns 0 and 1 are copies: equilibria with y_0 + y_1 fixed form segments.
    a = [[3, 3, 0], [0, 0, 3], [1, 1, 1]]
    b = [[1, 1, 0], [0, 0, 1], [0, 0, 0]]
    game = NormalFormGame.from_bimatrix(a, b)
    res = enumerate_bimatrix(game)
    assert res.degenerate
    _check_equilibria(game, res.profiles())
    assert any(len(s.column_strategies) > 1 for s in res.maximal_subsets)
    with pytest.raises(DegenerateGameError):
        support_enumeration(game)
    with pytest.warns(SolverWarning, match="extreme equilibria"):
        eqs = support_enumeration(game, on_degenerate="warn")
    assert len(eqs) == len(res.pairs)


def _nashpy_profiles(game: NormalFormGame) -> list[np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pairs = nashpy.Game(game.payoffs[0], game.payoffs[1]).vertex_enumeration()
        return [np.concatenate(p) for p in pairs]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(2, 5), n=st.integers(2, 5))
def test_random_games_match_nashpy_vertex_enumeration(seed: int, m: int, n: int) -> None:
    # (nashpy's vertex enumeration needs two actions per player: qhull in dimension >= 2)
    game = NormalFormGame(np.random.default_rng(seed).normal(size=(2, m, n)))
    res = enumerate_bimatrix(game)
    assert not res.degenerate  # continuous random payoffs: nondegenerate almost surely
    ours = [np.concatenate(p) for p in res.profiles()]
    theirs = _nashpy_profiles(game)
    assert len(ours) == len(theirs) and len(ours) % 2 == 1
    for p in theirs:
        assert any(np.allclose(p, q, atol=1e-8) for q in ours)


def _solve_exact(mat: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction] | None:
    """Gauss-Jordan over the rationals; None when singular."""
    k = len(mat)
    aug = [[*row[:], r] for row, r in zip(mat, rhs, strict=True)]
    for c in range(k):
        piv = next((r for r in range(c, k) if aug[r][c] != 0), None)
        if piv is None:
            return None
        aug[c], aug[piv] = aug[piv], aug[c]
        for r in range(k):
            if r != c and aug[r][c] != 0:
                f = aug[r][c] / aug[c][c]
                aug[r] = [x - f * y for x, y in zip(aug[r], aug[c], strict=True)]
    return [aug[r][-1] / aug[r][r] for r in range(k)]


def _brute_vertices(mat: np.ndarray) -> dict[tuple[Fraction, ...], frozenset[int]]:
    """Vertices of {z >= 0 : mat z <= 1} by trying every choice of dim tight constraints.

    Constraint c < dim is z_c >= 0 (label c), constraint dim + r is row r (label dim + r).
    """
    rows, dim = mat.shape
    cons = [[Fraction(int(c == k)) for k in range(dim)] for c in range(dim)]
    cons += [[Fraction(int(v)) for v in mat[r]] for r in range(rows)]
    rhs = [Fraction(0)] * dim + [Fraction(1)] * rows
    out: dict[tuple[Fraction, ...], frozenset[int]] = {}
    for tight in itertools.combinations(range(dim + rows), dim):
        z = _solve_exact([cons[c] for c in tight], [rhs[c] for c in tight])
        if z is None or any(v < 0 for v in z):
            continue
        vals = [sum(a * b for a, b in zip(row, z, strict=True)) for row in cons]
        if all(v <= r for v, r in zip(vals[dim:], rhs[dim:], strict=True)):
            out[tuple(z)] = frozenset(c for c in range(dim + rows) if vals[c] == rhs[c])
    return out


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 3), n=st.integers(1, 3))
def test_tie_heavy_games_match_brute_force_vertex_pairs(seed: int, m: int, n: int) -> None:
    # Payoffs in {1, 2, 3}: heavily degenerate. An independent exact computation (every basis of
    # both best-response polytopes, Gauss-Jordan over Fractions) must give the same extreme
    # equilibria and the same degeneracy verdict.
    rng = np.random.default_rng(seed)
    a, b = rng.integers(1, 4, (m, n)), rng.integers(1, 4, (m, n))
    game = NormalFormGame.from_bimatrix(a, b)
    res = enumerate_bimatrix(game)
    p = _brute_vertices(b.T)                                   # x: labels i (x_i=0), m+j
    q = {y: frozenset((c + m) if c < n else c - n for c in lab)  # y_j=0 -> m+j, row i -> i
         for y, lab in _brute_vertices(a).items()}
    want = set()
    for x, lx in p.items():
        for y, ly in q.items():
            if any(x) and any(y) and len(lx | ly) == m + n:
                want.add((tuple(v / sum(x) for v in x), tuple(v / sum(y) for v in y)))
    got = {(res.row_strategies[i], res.column_strategies[j]) for i, j in res.pairs}
    assert got == want
    degenerate = any(len(lab) > m for lab in p.values()) or any(len(lab) > n for lab in q.values())
    assert res.degenerate == degenerate


def test_size_limit_and_typed_errors() -> None:
    with pytest.raises(SolverError, match="max_bases"):
        enumerate_bimatrix(random_game(actions=8, seed=1), max_bases=10)
    with pytest.raises(ConfigError, match="2-player"):
        enumerate_bimatrix(random_game(players=3, actions=2))
    with pytest.raises(ConfigError, match="unknown Nash method"):
        nash_equilibria(make_game("chicken"), "magic")
    # auto falls back to one equilibrium when enumeration would take too long
    import ce.nash as nash_module

    old = nash_module.AUTO_MAX_BASES
    nash_module.AUTO_MAX_BASES = 5
    try:
        res = nash_equilibria(random_game(actions=6, seed=2))
    finally:
        nash_module.AUTO_MAX_BASES = old
    assert res.method == "lemke_howson" and not res.complete and len(res.equilibria) == 1
