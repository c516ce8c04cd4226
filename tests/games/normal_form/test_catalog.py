"""Tests of the game catalog (games/catalog.py), spec resolution (games/loading.py) and the JSON
format (games/json_format.py).

Payoffs are checked against the matrices printed in the cited sources (copied into the catalog
docstrings); equilibrium claims of the docstrings are re-derived with ce.nash (a second method)
or by hand in comments.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ce.nash import pure_nash_equilibria, support_enumeration
from games.errors import AgentmixerError, GameError, GameNotFoundError, ParseError
from games.loading import load_game, parse_spec
from games.normal_form.catalog import CATALOG, make_game, random_game
from games.normal_form.game import NormalFormGame
from games.normal_form.json_format import FORMAT_TAG, game_from_dict, game_to_dict, read_json, write_json
from games.normal_form.nfg import write_nfg

YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


# --------------------------------------------------------------------------- every entry
@pytest.mark.parametrize("name", sorted(CATALOG))
def test_entry_builds_with_defaults(name: str) -> None:
    g = make_game(name)
    assert isinstance(g, NormalFormGame)
    assert g.num_players >= 1 and all(m >= 1 for m in g.num_actions)
    assert np.all(np.isfinite(g.payoffs))
    assert load_game(name) == g  # the catalog name is also a load_game spec
    assert CATALOG[name].description  # a non-empty one-line description


_SOURCED = [n for n in sorted(CATALOG) if n != "random"]


@pytest.mark.parametrize("name", _SOURCED)
def test_entry_docstring_cites_a_source(name: str) -> None:
    # A citation is recognised by a publication year in the docstring.
    doc = CATALOG[name].factory.__doc__ or ""
    assert YEAR.search(doc), f"{name}: no cited source (publication year) in {doc!r}"


def test_random_docstring_names_its_generator() -> None:
    # 'random' is not a published game; its "source" is the named random number generator.
    assert "PCG64" in (CATALOG["random"].factory.__doc__ or "")


def test_parameters_listed() -> None:
    assert CATALOG["penalty"].parameters == {"k": -10.0}
    assert CATALOG["sum_to_10"].parameters == {"agents": 3, "actions": 10, "target": 10}
    assert set(CATALOG["random"].parameters) == {"players", "actions", "seed", "cooperative", "low", "high"}


# --------------------------------------------------------------------------- known payoffs
def test_climbing() -> None:
    # Claus & Boutilier 1998, Table 1.
    g = make_game("climbing")
    expected = [[11, -30, 0], [-30, 7, 6], [0, 0, 5]]
    for i in range(2):
        assert g.payoffs[i].tolist() == expected
    assert g.action_names == (("a1", "a2", "a3"), ("b1", "b2", "b3"))
    assert g.is_cooperative and g.name == "climbing"
    # Pure NE (docstring): (a1, b1) and (a2, b2); at (a3, b3) the row player gets 5 but 6 from
    # a2, so (a3, b3) is not a NE.
    assert pure_nash_equilibria(g) == [(0, 0), (1, 1)]


@pytest.mark.parametrize("k", [-10.0, -50.0, 0.0, -100.5])
def test_penalty(k: float) -> None:
    # Claus & Boutilier 1998, Table 2: R = [[10, 0, k], [0, 2, 0], [k, 0, 10]].
    g = make_game("penalty", k=k)
    for i in range(2):
        assert g.payoffs[i].tolist() == [[10, 0, k], [0, 2, 0], [k, 0, 10]]
    assert g.is_cooperative
    assert g.name == ("penalty" if k == -10.0 else f"penalty(k={k:g})")
    assert g.action_names == (("a1", "a2", "a3"), ("b1", "b2", "b3"))


def test_coordination() -> None:
    g = make_game("coordination")
    assert g.payoffs[0].tolist() == [[2, 0], [0, 1]] == g.payoffs[1].tolist()
    # Mixed NE: the opponent's A-probability p makes me indifferent when 2p = 1 - p, p = 1/3;
    # value 2/3 each (docstring). Support enumeration finds 2 pure + 1 mixed NE.
    eqs = support_enumeration(g)
    assert len(eqs) == 3
    mixed = [e for e in eqs if all(len(s) == 2 for s in e.supports)]
    assert len(mixed) == 1
    np.testing.assert_allclose(mixed[0].strategies[0], [1 / 3, 2 / 3], atol=1e-12)
    np.testing.assert_allclose(mixed[0].values, [2 / 3, 2 / 3], atol=1e-12)


def test_stag_hunt() -> None:
    g = make_game("stag_hunt")
    assert g.payoffs[0].tolist() == [[4, 0], [3, 3]]
    assert g.payoffs[1].tolist() == [[4, 3], [0, 3]]  # transpose: column hunting hare gets 3
    assert pure_nash_equilibria(g) == [(0, 0), (1, 1)]


def test_prisoners_dilemma() -> None:
    # Axelrod 1984: T = 5, R = 3, P = 1, S = 0.
    g = make_game("prisoners_dilemma")
    assert g.payoffs[0].tolist() == [[3, 0], [5, 1]]
    assert g.payoffs[1].tolist() == [[3, 5], [0, 1]]
    assert g.action_names == (("C", "D"), ("C", "D"))
    assert pure_nash_equilibria(g) == [(1, 1)]
    assert [e.supports for e in support_enumeration(g)] == [((1,), (1,))]


def test_chicken_numbers() -> None:
    # Aumann 1974 sec. 4 (docstring): (D,D)=(0,0), (D,C)=(7,2), (C,D)=(2,7), (C,C)=(6,6).
    g = make_game("chicken")
    assert g.action_names == (("dare", "chicken"), ("dare", "chicken"))
    assert g.payoffs[:, 0, 0].tolist() == [0, 0]
    assert g.payoffs[:, 0, 1].tolist() == [7, 2]
    assert g.payoffs[:, 1, 0].tolist() == [2, 7]
    assert g.payoffs[:, 1, 1].tolist() == [6, 6]
    # NE welfare 9, 9 (pure) and 28/3 (mixed: the opponent dares with q where 7(1-q) = 6-4q, q=1/3,
    # so each gets 7 * 2/3 = 14/3).
    welfare = sorted(e.welfare for e in support_enumeration(g))
    np.testing.assert_allclose(welfare, [9.0, 9.0, 28 / 3], atol=1e-12)


def test_zero_sum_games() -> None:
    rps = make_game("rock_paper_scissors")
    # paper beats rock: u_0(paper, rock) = 1.
    assert rps.payoffs[0].tolist() == [[0, -1, 1], [1, 0, -1], [-1, 1, 0]]
    np.testing.assert_array_equal(rps.payoffs.sum(axis=0), 0.0)
    mp = make_game("matching_pennies")
    assert mp.payoffs[0].tolist() == [[1, -1], [-1, 1]]
    np.testing.assert_array_equal(mp.payoffs.sum(axis=0), 0.0)
    for g, m in ((rps, 3), (mp, 2)):  # unique NE is uniform
        eqs = support_enumeration(g)
        assert len(eqs) == 1
        for s in eqs[0].strategies:
            np.testing.assert_allclose(s, np.full(m, 1 / m), atol=1e-12)


def test_sum_to_10_has_63_optima() -> None:
    # Solutions of a+b+c = 10 in nonnegative integers: C(12, 2) = 66 (stars and bars); those with
    # a coordinate > 9 have it equal to 10 and the others 0: 3 of them; 66 - 3 = 63.
    expected = math.comb(12, 2) - 3
    assert expected == 63
    g = make_game("sum_to_10")
    assert g.num_players == 3 and g.num_actions == (10, 10, 10) and g.is_cooperative
    assert int(g.payoffs[0].sum()) == expected
    assert set(np.unique(g.payoffs).tolist()) == {0.0, 1.0}
    # Second method: brute-force enumeration.
    brute = [a for a in itertools.product(range(10), repeat=3) if sum(a) == 10]
    assert len(brute) == expected
    assert all(g.payoffs[0][a] == 1.0 for a in brute)
    assert g.action_names[0] == tuple(str(k) for k in range(10))


def test_sum_to_10_parameters() -> None:
    g = make_game("sum_to_10", agents=2, actions=3, target=2)
    # (0, 2), (1, 1), (2, 0).
    assert g.payoffs[0].tolist() == [[0, 0, 1], [0, 1, 0], [1, 0, 0]]
    assert g.name == "sum_to_10(agents=2,actions=3,target=2)"
    with pytest.raises(GameError):
        make_game("sum_to_10", agents=0)


def test_random_game_is_seeded() -> None:
    a = random_game(players=3, actions=2, seed=7)
    b = random_game(players=3, actions=2, seed=7)
    assert a == b and hash(a) == hash(b)
    assert a != random_game(players=3, actions=2, seed=8)
    # Second method: the documented generator, PCG64 seeded with `seed`, uniform on [low, high).
    ref = np.random.default_rng(7).uniform(0.0, 1.0, size=(3, 2, 2, 2))
    np.testing.assert_array_equal(a.payoffs, ref)
    assert not a.is_cooperative
    c = random_game(players=3, actions=4, seed=1, cooperative=True, low=-2.0, high=3.0)
    assert c.is_cooperative and c.num_actions == (4, 4, 4)
    assert c.payoffs.min() >= -2.0 and c.payoffs.max() < 3.0
    np.testing.assert_array_equal(c.payoffs[0], np.random.default_rng(1).uniform(-2, 3, (4, 4, 4)))


@pytest.mark.parametrize("kwargs", [{"players": 0}, {"actions": 0}, {"low": 1.0, "high": 1.0}])
def test_random_game_rejects(kwargs: dict[str, object]) -> None:
    with pytest.raises(GameError):
        random_game(**kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- load_game
def test_parse_spec() -> None:
    assert parse_spec("penalty(k=-50)") == ("penalty", {"k": -50})
    assert parse_spec(" climbing ") == ("climbing", {})
    assert parse_spec("climbing()") == ("climbing", {})
    name, params = parse_spec("random(players=3, actions=4,seed=7,cooperative=true,low=-0.5)")
    assert name == "random"
    assert params == {"players": 3, "actions": 4, "seed": 7, "cooperative": True, "low": -0.5}
    assert type(params["players"]) is int and type(params["cooperative"]) is bool


@pytest.mark.parametrize("spec", ["", "(k=1)", "penalty(k)", "penalty(=3)", "1abc"])
def test_parse_spec_malformed(spec: str) -> None:
    with pytest.raises(GameError):
        parse_spec(spec)


def test_load_catalog_with_params() -> None:
    g = load_game("penalty(k=-50)")
    assert g == make_game("penalty", k=-50.0)
    assert g.payoffs[0, 0, 2] == -50.0 and g.name == "penalty(k=-50)"
    r = load_game("random(players=3,actions=2,seed=7,cooperative=true)")
    assert r == random_game(players=3, actions=2, seed=7, cooperative=True)
    assert r.is_cooperative


def test_load_bad_parameter_name() -> None:
    with pytest.raises(GameError, match="no parameter 'q'"):
        load_game("penalty(q=1)")
    with pytest.raises(GameError, match="no parameter 'k'"):
        make_game("climbing", k=1)


@pytest.mark.parametrize("spec", ["random(players=2.5)", "random(actions=2.5)", "penalty(k=abc)",
                                  "sum_to_10(agents=2.5)", "random(seed=-1)",
                                  "random(cooperative=maybe)"])
def test_load_bad_parameter_value(spec: str) -> None:
    # errors.py: "All errors raised on bad input derive from AgentmixerError".
    with pytest.raises(AgentmixerError):
        load_game(spec)


@pytest.mark.parametrize(("spec", "close"), [("climbin", "climbing"), ("chiken", "chicken"),
                                              ("penalti(k=-5)", "penalty"), ("matrix_rpz", "matrix_rps")])
def test_unknown_name_suggests_close_match(spec: str, close: str) -> None:
    with pytest.raises(GameNotFoundError) as info:
        load_game(spec)
    assert close in str(info.value)
    assert isinstance(info.value, KeyError) and isinstance(info.value, AgentmixerError)


def test_make_game_unknown_name() -> None:
    with pytest.raises(GameNotFoundError, match="climbing"):
        make_game("climbin")


def test_unknown_name_without_close_match() -> None:
    with pytest.raises(GameNotFoundError, match="unknown game 'qqqqqqqqqqqqqqq'"):
        load_game("qqqqqqqqqqqqqqq")


def test_load_json_file(tmp_path: Path) -> None:
    g = make_game("chicken")
    path = tmp_path / "chicken.json"
    text = write_json(g, path)
    assert json.loads(text)["format"] == FORMAT_TAG
    assert load_game(str(path)) == g
    assert load_game(path) == g
    assert read_json(path) == g


def test_load_missing_files(tmp_path: Path) -> None:
    for name in ("missing.json", "missing.nfg"):
        with pytest.raises(GameNotFoundError, match="does not exist"):
            load_game(str(tmp_path / name))


PD_NFG = """NFG 1 R "Prisoner's dilemma" { "Row" "Col" } { 2 2 }

3 3   5 0
0 5   1 1
"""


def test_load_nfg_file(tmp_path: Path) -> None:
    # Gambit lists profiles with the FIRST player fastest: (C,C)=3 3, (D,C)=5 0, (C,D)=0 5,
    # (D,D)=1 1 -- Axelrod's prisoner's dilemma, the catalog's prisoners_dilemma.
    path = tmp_path / "pd.nfg"
    path.write_text(PD_NFG)
    g = load_game(str(path))
    np.testing.assert_array_equal(g.payoffs, make_game("prisoners_dilemma").payoffs)
    assert g.player_names == ("Row", "Col") and g.name == "Prisoner's dilemma"
    # And a write_nfg round trip through load_game (outcome form keeps the names).
    c = make_game("climbing")
    out = tmp_path / "climbing.nfg"
    write_nfg(c, out, form="outcome")
    assert load_game(out) == c


def test_load_openspiel_strings() -> None:
    # OpenSpiel's matrix_rps / matrix_mp are the same games as the catalog's.
    rps = load_game("matrix_rps")
    assert rps.num_actions == (3, 3)
    np.testing.assert_array_equal(rps.payoffs, make_game("rock_paper_scissors").payoffs)
    assert rps.action_names == (("Rock", "Paper", "Scissors"),) * 2
    mp = load_game("matrix_mp")
    np.testing.assert_array_equal(mp.payoffs, make_game("matching_pennies").payoffs)


# --------------------------------------------------------------------------- JSON format
def test_game_to_dict_schema() -> None:
    g = make_game("chicken")
    d = game_to_dict(g)
    assert d == {"format": FORMAT_TAG, "name": "chicken", "players": ["player0", "player1"],
                 "actions": [["dare", "chicken"], ["dare", "chicken"]],
                 "payoffs": g.payoffs.tolist()}
    assert game_from_dict(d) == g


def test_reward_form() -> None:
    g = game_from_dict({"reward": [[11, -30, 0], [-30, 7, 6], [0, 0, 5]],
                        "actions": [["a1", "a2", "a3"], ["b1", "b2", "b3"]], "name": "climbing"})
    assert g == make_game("climbing")


def test_minimal_dict() -> None:
    g = game_from_dict({"payoffs": [[[1, 2]], [[3, 4]]]})
    assert g.name == "game" and g.num_actions == (1, 2)


@pytest.mark.parametrize(("data", "pattern"), [
    ({"payoffs": [[1]], "colour": 1}, r"unknown keys \['colour'\]"),
    ({"payoffs": [[1]], "reward": [1]}, "exactly one of"),
    ({"name": "x"}, "exactly one of"),
    ({"payoffs": [[1]], "format": "other/2"}, "format 'other/2'"),
    ({"payoffs": [[[1], [2, 3]], [[1], [2, 3]]]}, "not a rectangular"),
    ({"reward": [[1, 2], [3]]}, "not a rectangular"),
    ({"payoffs": "abc"}, "not a rectangular"),
])
def test_dict_parse_errors(data: dict, pattern: str) -> None:
    with pytest.raises(ParseError, match=pattern):
        game_from_dict(data, source="f.json")


@pytest.mark.parametrize(("data", "pattern"), [
    ({"payoffs": [[[1.0, float("nan")]], [[0.0, 0.0]]]}, r"player 0 at joint action \(0, 1\)"),
    ({"payoffs": [[1, 2]], "players": ["a", "b"]}, "2 player names given for 1 players"),
    ({"payoffs": [[1, 2]], "actions": [["x", "x"]]}, "duplicate name 'x'"),
    ({"payoffs": [[[1]], [[1]], [[1]]]}, "leading axis"),
    ({"reward": 5}, "at least one axis"),
])
def test_dict_game_errors_name_the_source(data: dict, pattern: str) -> None:
    with pytest.raises(GameError, match=pattern) as info:
        game_from_dict(data, source="f.json")
    assert str(info.value).startswith("f.json:")


def test_top_level_must_be_object(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    with pytest.raises(ParseError, match="JSON object"):
        read_json(path)


def test_invalid_json_has_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n "payoffs": [[1,]\n}')
    with pytest.raises(ParseError) as info:
        load_game(str(path))
    assert info.value.line == 2 and info.value.column is not None
    assert str(path) in str(info.value)


@pytest.mark.parametrize("data", [{"payoffs": [[1]], "players": 5}, {"payoffs": [[1]], "actions": 5}])
def test_non_list_names_raise_typed_error(data: dict) -> None:
    with pytest.raises(AgentmixerError):
        game_from_dict(data)


_NAME = st.text(min_size=1, max_size=6)


@st.composite
def games(draw: st.DrawFn) -> NormalFormGame:
    n = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)))
    size = n * int(np.prod(shape))
    vals = draw(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=size, max_size=size))
    players = draw(st.lists(_NAME, min_size=n, max_size=n, unique=True))
    actions = tuple(tuple(draw(st.lists(_NAME, min_size=m, max_size=m, unique=True))) for m in shape)
    return NormalFormGame(np.array(vals).reshape((n, *shape)), actions, tuple(players), draw(_NAME))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games())
def test_json_round_trip(game: NormalFormGame) -> None:
    text = write_json(game)
    back = game_from_dict(json.loads(text))
    assert back == game
    # write_json promises exact floats: compare bit patterns (this also keeps the sign of -0.0).
    assert back.payoffs.tobytes() == game.payoffs.tobytes()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "g.json"
        write_json(game, path)
        assert read_json(path) == game
        assert load_game(str(path)) == game


def test_json_round_trip_extremes() -> None:
    vals = np.array([5e-324, -0.0, 1.7976931348623157e308, 0.1 + 0.2, -1 / 3])
    h = NormalFormGame(vals[None, :])
    assert game_from_dict(json.loads(write_json(h))).payoffs.tobytes() == h.payoffs.tobytes()
    # Fractions are not representable; the repr round trip is still exact for the float.
    assert Fraction(h.payoffs[0, 4]) == Fraction(-1 / 3)


def test_penalty_refuses_a_positive_cost() -> None:
    # The catalog promises k <= 0 (a miscoordination *cost*).
    with pytest.raises(GameError, match="k <= 0"):
        make_game("penalty", k=5.0)
    assert make_game("penalty", k=0.0).payoffs[0][0, 2] == 0.0
