"""Mixed Nash equilibria of N-player games (ce.nplayer, ce.homotopy, ce.nash "polynomial").

Textbook games with known equilibria; the Gambit ones are from gambitproject/gambit
``contrib/games`` (2x2x2.nfg: McKelvey & McLennan's example with 9 equilibria, 2 totally mixed;
2x2x2-nau.nfg: Nau, Gomez Canovas & Hansen's example with 3 pure, 2 incompletely mixed and a
continuum of completely mixed equilibria; 3x3x3.nfg: five equilibria, two pure; 2x2x2x2.nfg: three
equilibria), their payoffs embedded below.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ce.bimatrix import enumerate_bimatrix
from ce.errors import SolverError
from ce.gaps import ne_gap
from ce.nash import nash_equilibria
from ce.nplayer import mixed_equilibria
from games.normal_form.game import NormalFormGame
from games.normal_form.nfg import read_nfg
from games.normal_form.openspiel_io import from_openspiel

MCKELVEY_MCLENNAN = """NFG 1 R "2x2x2" { "1" "2" "3" } { { "1" "2" } { "1" "2" } { "1" "2" } } ""
{ { "" 9, 8, 12 } { "" 0, 0, 0 } { "" 0, 0, 0 } { "" 9, 8, 2 } { "" 0, 0, 0 } { "" 3, 4, 6 }
  { "" 3, 4, 6 } { "" 0, 0, 0 } }
1 2 3 4 5 6 7 8
"""
NAU = """NFG 1 R "2x2x2-nau" { "" "" "" } { { "1" "2" } { "1" "2" } { "1" "2" } } ""
{ { "" 0, 0, 2 } { "" 3, 0, 0 } { "" 0, 3, 0 } { "" 0, 0, 0 } { "" 1, 1, 0 } { "" 0, 0, 0 }
  { "" 0, 0, 0 } { "" 0, 0, 3 } }
1 2 3 4 5 6 7 8
"""
G333 = """NFG 1 R "3x3x3" { "1" "2" "3" } { { "1" "2" "3" } { "1" "2" "3" } { "1" "2" "3" } } ""
{ { "" 1.131, 1.210, 2.426 } { "" 1.358, 2.234, 2.238 } { "" 1.655, 1.347, 2.747 }
  { "" 1.576, 5.634, 5.675 } { "" 1.478, 2.544, 1.973 } { "" 1.436, 4.864, 5.267 }
  { "" 1.735, 4.043, 7.247 } { "" 3.830, 1.335, 1.734 } { "" 1.428, 1.521, 4.248 }
  { "" 2.429, 2.326, 2.422 } { "" 5.255, 5.334, 2.643 } { "" 2.243, 3.518, 3.062 }
  { "" 2.455, 6.523, 4.225 } { "" 7.486, 4.483, 5.764 } { "" 7.566, 4.655, 7.076 }
  { "" 4.943, 7.362, 4.382 } { "" 4.434, 4.271, 4.120 } { "" 4.533, 5.231, 5.458 }
  { "" 3.222, 3.024, 1.223 } { "" 2.873, 4.452, 4.549 } { "" 4.564, 4.326, 1.762 }
  { "" 5.277, 4.837, 5.645 } { "" 4.995, 5.754, 4.383 } { "" 4.423, 1.759, 2.705 }
  { "" 4.642, 1.897, 4.042 } { "" 4.976, 7.324, 7.723 } { "" 4.486, 4.882, 2.537 } }
1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27
"""
G2222 = """NFG 1 R "2x2x2x2" { "1" "2" "3" "4" } { { "1" "2" } { "1" "2" } { "1" "2" } { "1" "2" } } ""
{ { "" 1.131, 1.210, 2.426, 2.429 } { "" 4.225, 5.277, 4.837, 5.645 }
  { "" 4.452, 4.549, 1.655, 1.347 } { "" 7.566, 4.655, 7.076, 4.423 }
  { "" 1.223, 1.358, 2.234, 2.238 } { "" 4.483, 5.764, 4.995, 5.754 }
  { "" 4.564, 4.326, 1.762, 1.576 } { "" 7.247, 4.943, 7.362, 4.382 }
  { "" 2.326, 2.422, 3.222, 3.024 } { "" 1.478, 2.544, 1.973, 7.486 }
  { "" 2.747, 2.243, 3.518, 3.062 } { "" 1.759, 2.705, 1.735, 4.043 }
  { "" 5.255, 5.334, 2.643, 2.873 } { "" 4.383, 1.436, 4.864, 5.267 }
  { "" 5.634, 5.675, 2.455, 6.523 } { "" 4.642, 1.897, 4.042, 3.830 } }
1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16
"""


def _certified(game: NormalFormGame, strategies: tuple[np.ndarray, ...]) -> bool:
    rep = ne_gap(game, strategies)
    return rep.relative_epsilon is not None and rep.relative_epsilon <= 1e-9


def _totally_mixed(strategies: tuple[np.ndarray, ...]) -> bool:
    return all(np.all(s > 1e-9) for s in strategies)


def test_mckelvey_mclennan_nine_equilibria_two_totally_mixed() -> None:
    game = read_nfg(MCKELVEY_MCLENNAN)
    res = mixed_equilibria(game)
    assert not res.degenerate and res.failed_paths == 0
    assert len(res.strategies) == 9
    assert sum(_totally_mixed(s) for s in res.strategies) == 2
    assert all(_certified(game, s) for s in res.strategies)
    # the two totally mixed ones (solved by hand from the indifference equations)
    want = [([0.5, 0.5], [0.4, 0.6], [0.25, 0.75]), ([0.4, 0.6], [0.5, 0.5], [1 / 3, 2 / 3])]
    for w in want:
        assert any(all(np.allclose(a, b, atol=1e-12) for a, b in zip(s, w, strict=True))
                   for s in res.strategies)


def test_gambit_three_and_four_player_games() -> None:
    g3 = read_nfg(G333)
    r3 = mixed_equilibria(g3)
    assert len(r3.strategies) == 5 and not r3.degenerate
    assert sum(all(s.max() == 1.0 for s in eq) for eq in r3.strategies) == 2  # two pure
    g4 = read_nfg(G2222)
    r4 = mixed_equilibria(g4)
    assert len(r4.strategies) == 3 and not r4.degenerate
    for game, r in ((g3, r3), (g4, r4)):
        assert all(_certified(game, s) for s in r.strategies)


def test_three_player_matching_pennies_unique_uniform() -> None:
    # Jordan's three-player matching pennies (OpenSpiel's matching_pennies_3p).
    game = from_openspiel("matching_pennies_3p")
    res = nash_equilibria(game)
    assert res.method == "polynomial" and res.complete and len(res.equilibria) == 1
    for s in res.equilibria[0].strategies:
        np.testing.assert_allclose(s, [0.5, 0.5], atol=1e-12)


def test_volunteers_dilemma_symmetric_mixed_equilibrium() -> None:
    # Volunteer's dilemma with 3 players (Diekmann, J. Conflict Resolution 29, 1985; Osborne, An
    # Introduction to Game Theory, 2004, sec. 4.8): benefit 1 if anyone volunteers, cost c = 0.5
    # to volunteers. The symmetric equilibrium volunteers with probability 1 - c^(1/2).
    c = 0.5
    pay = np.zeros((3, 2, 2, 2))
    for a in np.ndindex(2, 2, 2):  # action 1 = volunteer
        for i in range(3):
            pay[(i, *a)] = (1.0 if any(a) else 0.0) - c * a[i]
    game = NormalFormGame(pay)
    res = mixed_equilibria(game)
    assert all(_certified(game, s) for s in res.strategies)
    p = 1 - c ** 0.5
    assert any(all(np.allclose(s, [1 - p, p], atol=1e-12) for s in eq) for eq in res.strategies)
    # exactly one volunteer: three pure equilibria
    pure = [eq for eq in res.strategies if all(s.max() == 1.0 for s in eq)]
    assert len(pure) == 3


def test_degenerate_game_is_flagged_and_isolated_equilibria_found() -> None:
    game = read_nfg(NAU)
    res = nash_equilibria(game, "polynomial")
    assert res.degenerate and not res.complete and res.notes
    pure = [e for e in res.equilibria if all(s.max() == 1.0 for s in e.strategies)]
    partial = [e for e in res.equilibria if not all(s.max() == 1.0 for s in e.strategies)
               and not _totally_mixed(e.strategies)]
    assert len(pure) == 3 and len(partial) >= 2


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shape=st.sampled_from([(2, 2, 2), (2, 2, 3), (3, 2, 2)]))
def test_generic_games_have_an_odd_number_of_certified_equilibria(seed: int, shape: tuple) -> None:
    # Wilson (Econometrica 1971): a generic game has an odd number of equilibria.
    game = NormalFormGame(np.random.default_rng(seed).normal(size=(3, *shape)))
    res = mixed_equilibria(game)
    assert not res.degenerate
    assert len(res.strategies) % 2 == 1
    assert all(_certified(game, s) for s in res.strategies)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 4), n=st.integers(1, 4))
def test_two_player_games_agree_with_exact_enumeration(seed: int, m: int, n: int) -> None:
    game = NormalFormGame(np.random.default_rng(seed).normal(size=(2, m, n)))
    res = mixed_equilibria(game)
    exact = enumerate_bimatrix(game)
    assert len(res.strategies) == len(exact.pairs)
    for x, y in exact.profiles():
        assert any(np.allclose(s[0], x, atol=1e-9) and np.allclose(s[1], y, atol=1e-9)
                   for s in res.strategies)


def test_support_profile_limit() -> None:
    with pytest.raises(SolverError, match="support profiles"):
        mixed_equilibria(read_nfg(G333), max_support_profiles=10)
