"""Tests of the Gambit .nfg reader/writer (games/nfg.py).

Known values are checked against the ordering of the Gambit spec ("The strategic game (.nfg) file
format": profiles are listed with the FIRST player's strategy varying fastest), round trips are
checked on hypothesis-generated games, and a mutation fuzzer checks that malformed input only
ever raises ParseError.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from games.errors import ParseError
from games.normal_form.game import NormalFormGame
from games.normal_form.nfg import read_nfg, write_nfg

PD = """NFG 1 R "Prisoner's dilemma" { "Row" "Col" } { 2 2 }
"payoff form, with a comment"

3 3   5 0
0 5   1 1
"""

SELTEN_OUTCOME = """NFG 1 D "Outcome test \\"quoted\\"" { "Alice" "Bob" }
{ { "U" "D" }
  { "L" "M" "R" } }
"a comment"
{
{ "win" 3/4, -1/2 }
{ "lose" -2 1.5e1 }
{ "" .25, +7 , }
}
1 0 2 3 0 1
"""


def _file_2x3x4() -> str:
    """Payoff-form text of a 2x3x4 game whose payoff u_i(a,b,c) = 1000(i+1) + 100a + 10b + c.

    Written in the order of the spec (first player fastest) with explicit nested loops, so the
    value of each entry names the profile it belongs to.
    """
    rows = []
    for c in range(4):
        for b in range(3):
            for a in range(2):
                rows.append(" ".join(str(1000 * (i + 1) + 100 * a + 10 * b + c) for i in range(3)))
    return 'NFG 1 R "2x3x4" { "P1" "P2" "P3" } { 2 3 4 }\n\n' + "\n".join(rows) + "\n"


# --------------------------------------------------------------------------- known values
def test_prisoners_dilemma_payoff_form() -> None:
    g = read_nfg(PD)
    assert g.name == "Prisoner's dilemma"
    assert g.player_names == ("Row", "Col")
    assert g.action_names == (("1", "2"), ("1", "2"))
    # file order: (1,1) (2,1) (1,2) (2,2) -- the row player's strategy varies fastest
    assert tuple(g.payoffs[:, 0, 0]) == (3, 3)
    assert tuple(g.payoffs[:, 1, 0]) == (5, 0)
    assert tuple(g.payoffs[:, 0, 1]) == (0, 5)
    assert tuple(g.payoffs[:, 1, 1]) == (1, 1)


def test_three_player_2x2x2_hand_written() -> None:
    text = """NFG 1 R "three" { "A" "B" "C" } { 2 2 2 }
    1 2 3    4 5 6    7 8 9    10 11 12
    13 14 15 16 17 18 19 20 21 22 23 24
    """
    g = read_nfg(text)
    assert g.num_actions == (2, 2, 2)
    expected = {(0, 0, 0): (1, 2, 3), (1, 0, 0): (4, 5, 6), (0, 1, 0): (7, 8, 9),
                (1, 1, 0): (10, 11, 12), (0, 0, 1): (13, 14, 15), (1, 0, 1): (16, 17, 18),
                (0, 1, 1): (19, 20, 21), (1, 1, 1): (22, 23, 24)}
    for (a, b, c), pay in expected.items():
        assert tuple(g.payoffs[:, a, b, c]) == pay


def test_unequal_strategy_counts_2x3x4() -> None:
    g = read_nfg(_file_2x3x4())
    assert g.num_actions == (2, 3, 4)
    for i, a, b, c in itertools.product(range(3), range(2), range(3), range(4)):
        assert g.payoffs[i, a, b, c] == 1000 * (i + 1) + 100 * a + 10 * b + c
    # spot checks against the raw token stream: the 2nd profile is (2,1,1), the 3rd (1,2,1),
    # the 7th (1,1,2) (1-based, as in the spec)
    tokens = _file_2x3x4().split("}")[-1].split()
    assert tokens[3:6] == ["1100", "2100", "3100"]
    assert tokens[6:9] == ["1010", "2010", "3010"]
    assert tokens[18:21] == ["1001", "2001", "3001"]


def test_outcome_form_null_outcome_rationals_and_escapes() -> None:
    g = read_nfg(SELTEN_OUTCOME)
    assert g.name == 'Outcome test "quoted"'
    assert g.action_names == (("U", "D"), ("L", "M", "R"))
    win, null, lose, third = (0.75, -0.5), (0.0, 0.0), (-2.0, 15.0), (0.25, 7.0)
    expected = {(0, 0): win, (1, 0): null, (0, 1): lose, (1, 1): third, (0, 2): null,
                (1, 2): win}
    for (a, b), pay in expected.items():
        assert tuple(g.payoffs[:, a, b]) == pay


def test_count_header_with_outcome_body_and_name_header_with_payoff_body() -> None:
    a = read_nfg('NFG 1 R "g" { "x" "y" } { 2 1 } { { "" 1, 2 } } 1 0')
    assert a.payoffs[:, 0, 0].tolist() == [1, 2] and a.payoffs[:, 1, 0].tolist() == [0, 0]
    b = read_nfg('NFG 1 R "g" { "x" "y" } { { "p" "q" } { "r" } } 1 2 0 0')
    assert b.action_names == (("p", "q"), ("r",))
    assert b.payoffs[:, 0, 0].tolist() == [1, 2]


def test_label_normalisation() -> None:
    g = read_nfg('NFG 1 R "" { "" "x" "x" } { { "" "" "a" } { "2" "" } { "s" } } '
                 '{ } 0 0 0 0 0 0')
    assert g.name == "game"
    assert g.player_names == ("Player 1", "x_1", "x_2")
    assert g.action_names == (("1", "2", "a"), ("2_1", "2_2"), ("s",))
    # a generated label never collides with an existing one
    h = read_nfg('NFG 1 R "t" { "x" "x" "x_1" } { 1 1 1 } 0 0 0')
    assert h.player_names == ("x_2", "x_3", "x_1")
    assert read_nfg('NFG 1 R "t" { "a\\\\b" "c\\d" } { 1 1 } 0 0').player_names == ("a\\b", "c\\d")


def test_reads_files_and_names_from_stem(tmp_path: Path) -> None:
    path = tmp_path / "my_game.nfg"
    path.write_text(PD.replace("Prisoner's dilemma", ""), encoding="utf-8")
    for arg in (path, str(path)):
        g = read_nfg(arg)
        assert g.name == "my_game" and g.payoffs[0, 1, 0] == 5
    path.write_text(PD + " 7", encoding="utf-8")
    with pytest.raises(ParseError) as info:
        read_nfg(path)
    assert str(path) in str(info.value) and info.value.source == str(path)
    with pytest.raises(ParseError, match="no file of that name exists"):
        read_nfg(str(tmp_path / "missing.nfg"))


def test_reads_openspiel_exports() -> None:
    pyspiel = pytest.importorskip("pyspiel")
    for name in ("matrix_pd", "matrix_rps", "matching_pennies_3p"):
        og = pyspiel.load_game(name)
        g = read_nfg(pyspiel.game_to_nfg_string(og))
        for joint in g.joint_actions():
            state = og.new_initial_state()
            state.apply_actions(list(joint))
            assert state.returns() == g.payoffs[(slice(None), *joint)].tolist()


# --------------------------------------------------------------------------- writer
def test_writer_text_and_path(tmp_path: Path) -> None:
    g = NormalFormGame.from_bimatrix([[3, 0], [5, 1.5]], [[3, 5], [0, 1]],
                                     player_names=("R", "C"), name="pd")
    text = write_nfg(g)
    assert text.splitlines()[0] == 'NFG 1 R "pd" { "R" "C" }'
    # Gambit's payoff version with a strategy-name block: the names survive (a0, a1 here)
    assert text.split("\n\n")[1].split("\n")[:3] == ['{ { "a0" "a1" }', '{ "a0" "a1" }', "}"]
    assert text.split("\n\n")[2].split() == ["3", "3", "5", "0", "0", "5", "1.5", "1"]
    assert read_nfg(text) == g
    out = tmp_path / "pd.nfg"
    assert write_nfg(g, out, form="outcome") == out.read_text(encoding="utf-8")
    assert read_nfg(out) == g
    with pytest.raises(ValueError, match="form"):
        write_nfg(g, form="table")  # type: ignore[arg-type]


def test_outcome_writer_uses_null_outcome_and_shares_outcomes() -> None:
    g = NormalFormGame(np.array([[[0.0, 2.0], [2.0, 0.0]], [[0.0, 1.0], [1.0, 0.0]]]))
    text = write_nfg(g, form="outcome")
    assert text.count('"Outcome') == 1
    assert text.strip().splitlines()[-1].split() == ["0", "1", "1", "0"]
    assert read_nfg(text) == g


# --------------------------------------------------------------------------- round trips
_names = st.text(min_size=1, max_size=6)


@st.composite
def games(draw: st.DrawFn) -> NormalFormGame:
    n = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)))
    floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
    pay = draw(hnp.arrays(np.float64, (n, *shape), elements=floats | st.integers(-9, 9)))
    acts = tuple(tuple(draw(st.lists(_names, min_size=m, max_size=m, unique=True))) for m in shape)
    players = tuple(draw(st.lists(_names, min_size=n, max_size=n, unique=True)))
    return NormalFormGame(pay, acts, players, draw(_names))


@settings(max_examples=200, deadline=None)
@given(games())
def test_round_trip_outcome_form(g: NormalFormGame) -> None:
    back = read_nfg(write_nfg(g, form="outcome"))
    assert back == g


@settings(max_examples=200, deadline=None)
@given(games())
def test_round_trip_payoff_form(g: NormalFormGame) -> None:
    back = read_nfg(write_nfg(g, form="payoff"))
    assert np.array_equal(back.payoffs, g.payoffs)
    assert back.player_names == g.player_names and back.name == g.name
    assert back.action_names == g.action_names
    counts = read_nfg(write_nfg(g, names=False))
    assert np.array_equal(counts.payoffs, g.payoffs)
    assert counts.action_names == tuple(tuple(str(k + 1) for k in range(m)) for m in g.num_actions)


def test_large_file_round_trips_exactly() -> None:
    # Speed is measured in benchmarks/, not here; this checks 80k payoffs survive bit for bit.
    g = NormalFormGame(np.random.default_rng(0).normal(size=(2, 200, 200)))
    back = read_nfg(write_nfg(g))
    assert np.array_equal(back.payoffs, g.payoffs)


def test_openspiel_loads_our_files(tmp_path: Path) -> None:
    pyspiel = pytest.importorskip("pyspiel")
    if "nfg_game" not in pyspiel.registered_names():
        pytest.skip("OpenSpiel build without nfg_game")
    rng = np.random.default_rng(3)
    for shape in ((2, 3), (2, 3, 4)):
        pay = rng.normal(size=(len(shape), *shape)) * 10.0 ** rng.integers(-8, 8, (len(shape),
                                                                                 *shape))
        pay[0].flat[0] = 7.0
        g = NormalFormGame(pay, name="cross check")
        path = tmp_path / f"g{len(shape)}.nfg"
        write_nfg(g, path, names=False)  # OpenSpiel reads only the strategy-count header
        og = pyspiel.load_game("nfg_game", {"filename": str(path)})
        assert og.num_players() == len(shape)
        for joint in g.joint_actions():
            state = og.new_initial_state()
            state.apply_actions(list(joint))
            assert state.returns() == g.payoffs[(slice(None), *joint)].tolist()


# --------------------------------------------------------------------------- errors
HEAD = 'NFG 1 R "t" { "a" "b" } { 2 1 }\n'
OUT_HEAD = 'NFG 1 R "t" { "a" } { { "x" "y" } }\n'


@pytest.mark.parametrize(("text", "line", "column", "message"), [
    ("", 1, 1, "expected 'NFG'"),
    ("EFG 2 R", 1, 1, "expected 'NFG'"),
    ("NFG 2 R", 1, 5, "version"),
    ("NFG 1 X", 1, 7, "'R' or 'D'"),
    ('NFG 1 R title', 1, 9, "title"),
    ('NFG 1 R "t" { "a" } { 2 }\n"open', 2, 1, "unterminated string"),
    ('NFG 1 R "t" { } { }', 1, 15, "at least one player"),
    ('NFG 1 R "t" { "a" b }', 1, 19, "player"),
    ('NFG 1 R "t" { "a" "b" } { 2 }', 1, 29, "1 entries but there are 2 players"),
    ('NFG 1 R "t" { "a" } { 2 3 }', 1, 25, "more entries than the 1 players"),
    ('NFG 1 R "t" { "a" } { 0 }', 1, 23, "positive integer, got '0'"),
    ('NFG 1 R "t" { "a" } { -2 }', 1, 23, "positive integer, got '-2'"),
    ('NFG 1 R "t" { "a" } { 1.5 }', 1, 23, "positive integer"),
    ('NFG 1 R "t" { "a" "b" } { { "x" } }', 1, 35, "1 entries but there are 2 players"),
    ('NFG 1 R "t" { "a" } { { } }', 1, 23, "empty strategy list"),
    (HEAD + "1 2\n3", 3, 2, "expected 4 (2 players x 2 profiles), got 3"),
    (HEAD + "1 2\n3 4 5", 3, 5, "expected 4 (2 players x 2 profiles), got 5"),
    (HEAD + "1 2\n3 x", 3, 3, "expected payoff (a number), got 'x'"),
    (HEAD + "1 2\n3 4 }", 3, 5, "trailing garbage"),
    (HEAD + "1 inf 3 4", 2, 3, "not finite"),
    (HEAD + "1 nan 3 4", 2, 3, "not finite"),
    (HEAD + "1 2 1e999 4", 2, 5, "not finite"),
    (HEAD + "1 2 3 4/0", 2, 7, "zero denominator"),
    (HEAD + "1 2 3, 4", 2, 6, "got ','"),
    (HEAD + '"comment" "again" 1 2 3 4', 2, 11, "payoff list or the outcome list"),
    (OUT_HEAD + '{ { "o" 1 2 } } 1 1', 2, 11, "more than 1 payoffs"),
    (OUT_HEAD + '{ { "o" } } 1 1', 2, 9, "has 0 payoffs, expected 1"),
    (OUT_HEAD + '{ { 1 } } 1 1', 2, 5, "name of outcome 1"),
    (OUT_HEAD + '{ { "o" 1 } }\n1 2', 3, 3, "unknown outcome index 2"),
    (OUT_HEAD + '{ { "o" 1 } }\n1 -1', 3, 3, "expected an outcome index"),
    (OUT_HEAD + '{ { "o" 1 } }\n1', 3, 2, "expected 2 (one per strategy profile), got 1"),
    (OUT_HEAD + '{ { "o" 1 } }\n1 0 0', 3, 5, "trailing garbage"),
    (OUT_HEAD + '{ { "o" 1 } \n1 0', 3, 1, "'}' closing the outcome list"),
])
def test_errors_report_line_and_column(text: str, line: int, column: int, message: str) -> None:
    with pytest.raises(ParseError) as info:
        read_nfg(text)
    err = info.value
    assert (err.line, err.column) == (line, column), str(err)
    assert str(err).startswith(f"{line}:{column}:")
    assert message in str(err)


def test_error_message_names_source() -> None:
    with pytest.raises(ParseError, match=r"^mem\.nfg:2:3: "):
        read_nfg(HEAD + "1 x 3 4", source="mem.nfg")


# --------------------------------------------------------------------------- mutation fuzz
_SEEDS = [PD, SELTEN_OUTCOME, _file_2x3x4(), write_nfg(
    NormalFormGame(np.arange(12.0).reshape(3, 2, 1, 2) / 7, name='q"\\'), form="outcome")]
_ALPHABET = st.sampled_from(list('{}",/\\ \n\t0123456789.-+eEinfNFGRD1x')) | st.characters()


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(_SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "insert", "replace"]))
        pos = draw(st.integers(0, max(len(text) - 1, 0)))
        ch = draw(_ALPHABET)
        if op == "delete":
            text = text[:pos] + text[pos + 1:]
        elif op == "insert":
            text = text[:pos] + ch + text[pos:]
        else:
            text = text[:pos] + ch + text[pos + 1:]
    return text


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_files_raise_only_parse_error(text: str) -> None:
    try:
        g = read_nfg(text)
    except ParseError as err:
        assert err.line is not None and err.column is not None
        lines = text.split("\n")
        assert 1 <= err.line <= len(lines) and 1 <= err.column <= len(lines[err.line - 1]) + 1
        return
    assert isinstance(g, NormalFormGame)
    assert np.isfinite(g.payoffs).all()
