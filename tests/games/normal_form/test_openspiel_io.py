"""Tests of games.normal_form.openspiel_io: OpenSpiel <-> NormalFormGame conversion."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

pyspiel = pytest.importorskip("pyspiel")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from games.errors import GameError, GameNotFoundError  # noqa: E402
from games.normal_form.game import NormalFormGame  # noqa: E402
from games.normal_form.openspiel_io import (  # noqa: E402
    from_openspiel,
    is_normal_form,
    normal_form_game_names,
    to_openspiel,
)

NF_NAMES = normal_form_game_names()


# --------------------------------------------------------------------------- known values
def test_matrix_rps_is_textbook_rps() -> None:
    g = from_openspiel("matrix_rps")
    rps = np.array([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], dtype=float)  # rows/cols R, P, S
    assert g.name == "matrix_rps"
    assert g.action_names == (("Rock", "Paper", "Scissors"),) * 2
    np.testing.assert_array_equal(g.payoffs, np.stack([rps, -rps]))


def test_matrix_pd_and_sh_values() -> None:
    # open_spiel/games/matrix_games/matrix_games.cc: PD rows {5, 0, 10, 1}, cols {5, 10, 0, 1}.
    pd = from_openspiel("matrix_pd")
    assert pd.action_names == (("Cooperate", "Defect"),) * 2
    np.testing.assert_array_equal(pd.payoffs[0], [[5, 0], [10, 1]])
    np.testing.assert_array_equal(pd.payoffs[1], [[5, 10], [0, 1]])
    # Stag hunt: (Stag, Stag) = 2 each, a lone stag hunter gets 0 and the hare hunter 1.
    sh = from_openspiel("matrix_sh")
    assert sh.action_names == (("Stag", "Hare"),) * 2
    np.testing.assert_array_equal(sh.payoffs[0], [[2, 0], [1, 1]])
    np.testing.assert_array_equal(sh.payoffs[1], [[2, 1], [0, 1]])


def test_matching_pennies_3p_by_hand() -> None:
    # Jordan (1993): p1 wants to match p2, p2 to match p3, p3 to mismatch p1.
    g = from_openspiel("matching_pennies_3p")
    a = np.indices((2, 2, 2))
    same = lambda x, y: np.where(x == y, 1.0, -1.0)  # noqa: E731
    expected = np.stack([same(a[0], a[1]), same(a[1], a[2]), -same(a[2], a[0])])
    np.testing.assert_array_equal(g.payoffs, expected)


@pytest.mark.parametrize(("text", "coins", "fields", "players"), [
    ("blotto", 10, 3, 2),
    ("blotto(coins=4,fields=2)", 4, 2, 2),
    ("blotto(coins=3,fields=3,players=3)", 3, 3, 3),
])
def test_blotto_sizes(text: str, coins: int, fields: int, players: int) -> None:
    g = from_openspiel(text)
    count = math.comb(coins + fields - 1, fields - 1)  # splits of coins into `fields` parts >= 0
    assert g.name == text
    assert g.num_actions == (count,) * players
    for names in g.action_names:
        splits = [json.loads(s) for s in names]
        assert all(len(s) == fields and sum(s) == coins and min(s) >= 0 for s in splits)
        assert len({tuple(s) for s in splits}) == count


def test_blotto_two_player_payoffs_independent() -> None:
    g = from_openspiel("blotto(coins=5,fields=3)")
    alloc = np.array([json.loads(s) for s in g.action_names[0]])  # (A, fields)
    row, col = alloc[:, None, :], alloc[None, :, :]
    expected = np.sign((row > col).sum(-1) - (row < col).sum(-1)).astype(float)
    np.testing.assert_array_equal(g.payoffs, np.stack([expected, -expected]))


# --------------------------------------------------------------------------- round trips
@st.composite
def random_games(draw: st.DrawFn) -> NormalFormGame:
    n = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)))
    pay = draw(hnp.arrays(np.float64, (n, *shape),
                          elements=st.floats(allow_nan=False, allow_infinity=False)))
    names = tuple(tuple(draw(st.lists(st.text(min_size=1, max_size=5), min_size=m, max_size=m,
                                      unique=True))) for m in shape)
    name = draw(st.from_regex(r"[A-Za-z][A-Za-z0-9_ .-]{0,12}", fullmatch=True))
    return NormalFormGame(pay, names, name=name)


@settings(max_examples=150, deadline=None)
@given(random_games())
def test_round_trip_ours_pyspiel_ours(game: NormalFormGame) -> None:
    spiel = to_openspiel(game)
    expected_type = pyspiel.MatrixGame if game.num_players == 2 else pyspiel.TensorGame
    assert isinstance(spiel, expected_type)
    assert spiel.num_players() == game.num_players
    back = from_openspiel(spiel)
    np.testing.assert_array_equal(back.payoffs, game.payoffs)
    assert back.action_names == game.action_names
    assert back.name == game.name
    assert back == game  # default player names on both sides


def test_to_openspiel_layout() -> None:
    u = np.arange(3 * 2 * 3 * 4, dtype=float).reshape(3, 2, 3, 4)
    spiel = to_openspiel(NormalFormGame(u, name="layout"))
    for joint in itertools.product(range(2), range(3), range(4)):
        assert spiel.get_utilities(list(joint)) == list(u[(slice(None), *joint)])
        state = spiel.new_initial_state()
        state.apply_actions(list(joint))
        assert state.returns() == list(u[(slice(None), *joint)])


def test_normal_form_game_names() -> None:
    assert {"matrix_rps", "matrix_sh", "blotto"} <= set(NF_NAMES)
    assert NF_NAMES == sorted(NF_NAMES)
    for name in ("tic_tac_toe", "kuhn_poker", "oshi_zumo", "goofspiel"):
        assert name not in NF_NAMES


@pytest.mark.parametrize("name", NF_NAMES)
def test_registered_round_trip_and_independent_play(name: str) -> None:
    original = pyspiel.load_game(name)
    assert is_normal_form(original)
    ours = from_openspiel(original)
    again = from_openspiel(to_openspiel(ours))
    assert ours.name == again.name == name
    np.testing.assert_array_equal(again.payoffs, ours.payoffs)
    assert again.action_names == ours.action_names
    # Independent evaluation: play random joint actions in the original game.
    rng = np.random.default_rng(0)
    root = original.new_initial_state()
    legal = [root.legal_actions(p) for p in range(original.num_players())]
    for _ in range(10):
        idx = tuple(int(rng.integers(len(acts))) for acts in legal)
        state = original.new_initial_state()
        state.apply_actions([acts[k] for acts, k in zip(legal, idx, strict=True)])
        assert state.is_terminal()
        np.testing.assert_array_equal(state.returns(), ours.payoffs[(slice(None), *idx)])
        for p, k in enumerate(idx):
            assert ours.action_names[p][k] == root.action_to_string(p, legal[p][k])


def test_name_override_and_duplicate_action_names() -> None:
    spiel = pyspiel.create_matrix_game("dup", "dup", ["x", "x", "y"], ["z"],
                                       [[1.0], [2.0], [3.0]], [[4.0], [5.0], [6.0]])
    g = from_openspiel(spiel, name="renamed")
    assert g.name == "renamed"
    assert g.action_names == (("x#0", "x#1", "y"), ("z",))
    np.testing.assert_array_equal(g.payoffs[:, :, 0], [[1, 2, 3], [4, 5, 6]])


# --------------------------------------------------------------------------- errors
def test_unknown_game_lists_close_matches() -> None:
    with pytest.raises(GameNotFoundError, match="matrix_rps"):
        from_openspiel("matrix_rsp")
    with pytest.raises(GameNotFoundError, match="tic_tac_toe"):
        is_normal_form("tic-tac-toe")


@pytest.mark.parametrize(("text", "reason"), [
    ("tic_tac_toe", "sequential"),
    ("kuhn_poker", "chance"),
    ("oshi_zumo", "further moves"),
    ("goofspiel", "chance"),
])
def test_not_normal_form_is_refused(text: str, reason: str) -> None:
    with pytest.raises(GameError, match=reason) as info:
        from_openspiel(text)
    assert text in str(info.value)
    assert not is_normal_form(pyspiel.load_game(text))


def test_bad_parameters_and_size_limit() -> None:
    with pytest.raises(GameError, match="coins"):
        from_openspiel("blotto(foo=1)")
    with pytest.raises(GameError, match="joint actions"):
        from_openspiel("blotto", max_joint_actions=100)


def test_openspiel_game_needing_a_parameter_is_a_typed_error() -> None:
    with pytest.raises(GameError, match=r"needs the parameter\(s\) filename"):
        from_openspiel("nfg_game")
