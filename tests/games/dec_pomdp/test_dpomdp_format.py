"""Tests of the MADP .dpomdp reader/writer (games/dpomdp_format.py, games/dpomdp_lexer.py).

The benchmark files are MADP's ``problems/`` folder (GPL-3 data): they are read from the shared
folder ``../shared/dpomdp`` next to the repository and never copied here; those tests skip when the
folder is absent. Reward semantics (overwrite vs accumulate, T and O "as parsed so far"), the start
forms and the newline-sensitive lexing are checked on small models written out below. No timed
assertions: parse speed is measured by the benchmarks.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from dpomdp_reference import assert_same_model as _same
from paths import SHARED_DPOMDP

from games.dec_pomdp.madp_format import read_dpomdp, write_dpomdp
from games.dec_pomdp.model import DecPOMDP
from games.errors import ParseError

SHARED = SHARED_DPOMDP
needs_corpus = pytest.mark.skipif(not SHARED.is_dir(), reason="shared/dpomdp corpus not present")

# file -> (states, actions per agent, observations per agent), from shared/dpomdp/README.md
CORPUS = {
    "dectiger.dpomdp": (2, 3, 2),
    "dectiger_skewed.dpomdp": (2, 3, 2),
    "broadcastChannel.dpomdp": (4, 2, 2),
    "GridSmall.dpomdp": (16, 5, 2),
    "recycling.dpomdp": (4, 3, 2),
    "relay4.dpomdp": (4, 3, 3),
    "prisoners.dpomdp": (1, 2, 2),
    "2generals.dpomdp": (2, 2, 2),
    "boxPushingUAI07.dpomdp.gz": (100, 4, 5),
    "Mars.dpomdp.gz": (256, 6, 8),
    "Grid3x3corners.dpomdp.gz": (81, 5, 9),
    "fireFighting_2_3_3.dpomdp.gz": (432, 3, 2),
    "fireFighting_2_4_3.dpomdp.gz": (2025, 4, 2),
    "oneDoor_2_7_0.20_0.00_0_2.dpomdp.gz": (65, 4, 2),
}


def _err(text: str | bytes) -> ParseError:
    with pytest.raises(ParseError) as info:
        read_dpomdp(text)
    return info.value


def _line_of(text: str, needle: str) -> int:
    return next(k for k, line in enumerate(text.splitlines(), 1) if line.startswith(needle))


# --------------------------------------------------------------------------- the corpus
@needs_corpus
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_file_parses_and_round_trips(name: str) -> None:
    states, actions, observations = CORPUS[name]
    m = read_dpomdp(SHARED / name)
    assert m.num_agents == 2
    assert m.num_states == states
    assert m.num_actions == (actions, actions)
    assert m.num_observations == (observations, observations)
    assert m.horizon is None and m.reward_type == "reward"
    assert m.name == name.removesuffix(".gz").removesuffix(".dpomdp")
    _same(m, read_dpomdp(write_dpomdp(m)))  # write -> read is exact


@needs_corpus
def test_gzip_detected_by_magic_and_text_input() -> None:
    raw = gzip.decompress((SHARED / "boxPushingUAI07.dpomdp.gz").read_bytes())
    from_path = read_dpomdp(SHARED / "boxPushingUAI07.dpomdp.gz")
    _same(from_path, read_dpomdp(raw.decode()))  # str content
    _same(from_path, read_dpomdp(gzip.compress(raw)))  # bytes, gzip by magic
    _same(from_path, read_dpomdp(str(SHARED / "boxPushingUAI07.dpomdp.gz")))  # str path


@needs_corpus
def test_example_dpomdp_is_rejected_with_its_line() -> None:
    """MADP's syntax demo is not a valid model: its first error is an out-of-range action index
    (``T: 1 2 :`` while agent 1 has 2 actions; MADP only checks it against the number of *joint*
    actions); with those lines fixed, the reader stops at the state index 3 of ``R: * : 1 : 3 :``."""
    text = (SHARED / "example.dpomdp").read_text()
    with pytest.raises(ParseError) as info:
        read_dpomdp(SHARED / "example.dpomdp")
    err = info.value
    assert err.line == _line_of(text, "T: 1 2 :") and err.column == 6
    assert "action index 2 of agent 1 out of range" in str(err) and "example.dpomdp" in str(err)
    for bad, good in (("T: 1 2 :", "T: 1 1 :"), ("O: 1 2 :", "O: 1 1 :")):
        text = text.replace(bad, good)
    err = _err(text)
    assert "state index 3 out of range: there are 2" in str(err)
    assert err.line == _line_of(text, "R: * : 1 : 3 :")


@needs_corpus
def test_dectiger_known_values() -> None:
    m = read_dpomdp(SHARED / "dectiger.dpomdp")
    assert m.state_names == ("tiger-left", "tiger-right")
    assert m.action_names == (("listen", "open-left", "open-right"),) * 2
    assert m.observation_names == (("hear-left", "hear-right"),) * 2
    assert m.discount == 1.0 and np.array_equal(m.initial, [0.5, 0.5])
    li, ol, orr = 0, 1, 2
    ja = {(a, b): m.joint_action((a, b)) for a in range(3) for b in range(3)}
    assert ja[li, ol] == 1 and ja[ol, li] == 3  # MADP order: last agent fastest
    assert np.array_equal(m.transition[:, ja[li, li], :], np.eye(2))  # listening keeps the tiger
    assert np.all(m.transition[:, ja[ol, orr], :] == 0.5)  # any door resets it
    hear_ll = m.joint_observation((0, 0))
    assert m.observation[ja[li, li], 0, hear_ll] == 0.7225 == pytest.approx(0.85**2)
    assert m.observation[ja[li, li], 1, hear_ll] == 0.0225 == pytest.approx(0.15**2)
    assert np.all(m.observation[ja[ol, ol]] == 0.25)
    assert np.array_equal(m.reward[:, ja[li, li]], [-2.0, -2.0])
    assert m.reward[0, ja[ol, ol]] == -50 and m.reward[1, ja[ol, ol]] == 20
    assert m.reward[0, ja[orr, orr]] == 20 and m.reward[1, ja[orr, orr]] == -50
    assert m.reward[0, ja[ol, orr]] == -100 and m.reward[0, ja[ol, li]] == -101
    assert m.reward[1, ja[ol, li]] == 9


@needs_corpus
def test_dectiger_skewed_start() -> None:
    assert np.array_equal(read_dpomdp(SHARED / "dectiger_skewed.dpomdp").initial, [0.8, 0.2])


@needs_corpus
def test_gridsmall_end_state_rewards_follow_madp() -> None:
    """``R: * : * : s' : * : 1.0`` for s' in {0, 5, 10, 15} adds T(s,a,s'):
    R(s,a) = sum over those s' of T(s,a,s') (the rewards depend on the *end* state)."""
    m = read_dpomdp(SHARED / "GridSmall.dpomdp")
    T, R = m.transition, m.reward
    for s, a in ((0, 0), (6, 12), (5, 24), (15, 3), (9, 17)):
        assert R[s, a] == pytest.approx(T[s, a, 0] + T[s, a, 5] + T[s, a, 10] + T[s, a, 15], abs=1e-15)
    np.testing.assert_allclose(R, T[:, :, [0, 5, 10, 15]].sum(-1), rtol=0, atol=1e-15)
    assert 0 <= R.min() and R.max() <= 1 and R.max() > 0
    # the rows are exact up to rounding (the file fixed 0.63999 -> 0.64): far inside 1e-9
    assert np.abs(T.sum(-1) - 1).max() < 1e-15
    assert m.state_names == tuple(f"s{k}" for k in range(16)) and m.discount == 0.9


@needs_corpus
def test_madp_row_sums_are_exact_to_rounding() -> None:
    for name in ("Mars.dpomdp.gz", "oneDoor_2_7_0.20_0.00_0_2.dpomdp.gz", "recycling.dpomdp"):
        m = read_dpomdp(SHARED / name)
        assert np.abs(m.transition.sum(-1) - 1).max() < 1e-15
        assert np.abs(m.observation.sum(-1) - 1).max() < 1e-15


# --------------------------------------------------------------------------- small models
HEAD = """agents: 2
discount: 1
values: reward
states: a b
start:
uniform
actions:
x y
x y
observations:
u v
u v
"""
UNIFORM = "T: * :\nuniform\nO: * :\nuniform\n"
XX, YY = 0, 3  # joint indices of (x, x) and (y, y)


def _model(body: str, head: str = HEAD) -> DecPOMDP:
    return read_dpomdp(head + body)


def test_reward_overwrite_and_accumulate() -> None:
    m = _model(UNIFORM + "R: x x : a : * : * : 3\nR: x x : a : * : * : 5\n"  # overwrite: 5
               "R: x y : a : b : * : 4\nR: x y : a : b : * : 4\n"  # adds 0.5*4 twice
               "R: y x : b : b : u u : 8\n")  # adds T·O·r = 0.5*0.25*8
    assert m.reward[0, XX] == 5.0
    assert m.reward[0, 1] == 4.0
    assert m.reward[1, 2] == 1.0
    assert np.count_nonzero(m.reward) == 3


def test_reward_uses_t_as_parsed_so_far() -> None:
    m = _model(UNIFORM + "R: x x : a : b : * : 10\n"  # T(a,xx,b) = 0.5 here: adds 5
               "T: x x : a : b : 1.0\nT: x x : a : a : 0.0\n"  # now T(a,xx,b) = 1
               "R: x x : a : b : * : 10\n"  # adds 10
               "R: * : * : b : * : 2\n")  # adds 2*T(s,a,b): 2 for (a,xx), 1 elsewhere
    assert m.reward[0, XX] == 17.0
    assert m.reward[0, 1] == m.reward[1, XX] == 1.0
    # the same reward line before the T override only sees the uniform T
    assert _model(UNIFORM + "R: x x : a : b : * : 10\n").reward[0, XX] == 5.0


def test_reward_order_of_batched_accumulations_and_overwrites() -> None:
    m = _model(UNIFORM + "R: * : * : b : * : 2\n"  # +1 everywhere
               "T: * :\nidentity\n"
               "R: * : * : b : * : 2\n"  # +2 where s = b only
               "R: y y : a : * : * : 7\n"  # overwrite after both additions
               "R: * : * : b : * : 2\n")  # +2 where s = b
    assert np.array_equal(m.reward, [[1, 1, 1, 7], [5, 5, 5, 5]])


def test_reward_joint_observation_forms() -> None:
    base = UNIFORM + "R: x x : a : * : * : 7\n"
    # an all-star list means "any": it overwrites like a single '*'
    assert _model(base + "R: x x : a : * : * * : 3\n").reward[0, XX] == 3.0
    # a partial star is expanded: adds sum_s' T * (O(u u) + O(v u)) * 4 = 1 * 0.5 * 4
    assert _model(base + "R: x x : a : * : * u : 4\n").reward[0, XX] == 9.0
    # joint observation index 3 = (v, v): adds T(a,xx,b) O(xx,b,vv) r = 0.5*0.25*16
    assert _model(base + "R: x x : a : b : 3 : 16\n").reward[0, XX] == 9.0
    # row form: adds T(a,xx,b) * sum_jo O(xx,b,jo) row[jo] = 0.5 * 0.25 * 10
    assert _model(UNIFORM + "R: x x : a : b :\n1 2 3 4\n").reward[0, XX] == 1.25
    # matrix form (rows s', columns jo): 0.5 * 0.25 * (10 + 26)
    assert _model(UNIFORM + "R: x x : a :\n1 2 3 4\n5 6 7 8\n").reward[0, XX] == 4.5
    # values: cost is recorded, never negated
    cost = _model(UNIFORM + "R: * : * : * : * : 2\n", HEAD.replace("reward\n", "cost\n", 1))
    assert cost.reward_type == "cost" and np.all(cost.reward == 2.0)


def test_transition_and_observation_forms() -> None:
    m = _model("T: * :\nidentity\n"
               "T: x y : a :\n0.25 0.75\n"  # row
               "T: y x :\n0.1 0.9\n0.6 0.4\n"  # matrix: rows s, columns s'
               "T: 3 : b : a : 0.3\nT: y y : b : b : 0.7\n"  # joint index 3 = (y, y)
               "T: y * : a : * : 0.5\n"  # wildcards in a single entry
               "T: 1 : b : * : 0.5\nT: x y : b : * : 0.25\nT: x y : b : a : 0.75\n"  # overwrites
               "O: * :\nuniform\n"
               "O: x x : a :\n0.1 0.2 0.3 0.4\n"  # row over joint observations
               "O: y y :\n1 0 0 0\n0 0 0 1\n"  # matrix: rows s', columns jo
               "O: x y : b : u v : 0.5\nO: x y : b : v * : 0.25\nO: x y : b : u u : 0\n")
    T, Ob = m.transition, m.observation
    assert np.array_equal(T[:, XX], np.eye(2))
    assert np.array_equal(T[:, 1], [[0.25, 0.75], [0.75, 0.25]])
    assert np.array_equal(T[:, 2], [[0.5, 0.5], [0.6, 0.4]])  # row a overwritten by "y *"
    assert np.array_equal(T[:, YY], [[0.5, 0.5], [0.3, 0.7]])
    assert np.array_equal(Ob[XX, 0], [0.1, 0.2, 0.3, 0.4]) and np.all(Ob[XX, 1] == 0.25)
    assert np.array_equal(Ob[YY], [[1, 0, 0, 0], [0, 0, 0, 1]])
    assert np.array_equal(Ob[1, 1], [0, 0.5, 0.25, 0.25])


def test_later_single_entries_overwrite_earlier_ones() -> None:
    m = _model("T: * :\nuniform\nT: x x : a : b : 0.3\nT: x x : a : a : 0.7\n"
               "T: x x : a :\n0.6 0.4\nT: x x : a : b : 0.1\nT: x x : a : b : 0.2\n"
               "T: x x : a : a : 0.8\nO: * :\nuniform\n")
    assert np.array_equal(m.transition[0, XX], [0.8, 0.2])


@pytest.mark.parametrize(("start", "b0"), [
    ("start:\nuniform", [1 / 3] * 3),
    ("start:\n0.2 0 0.8", [0.2, 0, 0.8]),
    ("start: c", [0, 0, 1]),
    ("start: 1", [0, 1, 0]),
    ("start include: a c", [0.5, 0, 0.5]),
    ("start include: 0 c", [0.5, 0, 0.5]),
    ("start exclude: b", [0.5, 0, 0.5]),
    ("start exclude: 0", [0, 0.5, 0.5]),
])
def test_start_forms(start: str, b0: list[float]) -> None:
    head = HEAD.replace("states: a b\nstart:\nuniform", f"states: a b c\n{start}")
    assert np.array_equal(_model(UNIFORM, head).initial, b0)


def test_start_keyword_must_be_on_the_next_line() -> None:
    head = HEAD.replace("start:\nuniform", "start: uniform")
    err = _err(head + UNIFORM)
    assert "unknown state 'uniform'" in str(err) and err.line == 5 and "line after" in str(err)
    # ... because on one line it names a state, which is fine when there is one
    named = HEAD.replace("states: a b\nstart:\nuniform", "states: a uniform\nstart: uniform")
    assert np.array_equal(_model(UNIFORM, named).initial, [0, 1])


@pytest.mark.parametrize(("start", "message"), [
    ("start:\n0.5 0.6", "sums to"),
    ("start:\n0.5", "has 1 numbers, expected 2"),
    ("start:\n0.5 0.5\n0.5 0.5", "more than 1 line(s) of numbers"),
    ("start:\n-0.5 1.5", "is not in [0, 1]"),
    ("start exclude: a b", "excludes every state"),
    ("start include: a a", "listed twice"),
    ("start: 2", "state index 2 out of range"),
    ("start: *", "got '*'"),
    ("start:", "numbers on the next line"),
])
def test_bad_start(start: str, message: str) -> None:
    assert message in str(_err(HEAD.replace("start:\nuniform", start) + UNIFORM))


def test_newline_sensitivity() -> None:
    text = HEAD.replace("values: reward\n", "values: reward\n\n") + UNIFORM
    err = _err(text)
    assert err.line == 4 and "blank line" in str(err)
    err = _err(HEAD + UNIFORM + "\nR: * : * : * : * : 1\n")
    assert err.line == 17 and "blank line" in str(err)
    # blank lines directly after a comment are eaten with it; so is the last newline
    commented = HEAD.replace("values: reward\n", "values: reward\n# a comment\n\n\n")
    _same(_model(UNIFORM), _model(UNIFORM, commented))
    _same(_model(UNIFORM), read_dpomdp(HEAD + UNIFORM.rstrip("\n") + "  \t"))
    _same(_model(UNIFORM), read_dpomdp((HEAD + UNIFORM).replace("\n", "\r\n")))
    # a comment after a value eats the newline the grammar needs
    err = _err(HEAD.replace("agents: 2\n", "agents: 2 # two agents\n") + UNIFORM)
    assert err.line == 2 and "comment" in str(err)
    # matrices and keywords start on a new line
    assert "'uniform'" in str(_err(HEAD + "T: * : uniform\n"))
    # 'listen:' without a blank is fine: ':' ends an identifier
    assert _model("T:* :\nuniform\nO:*:\nuniform\nR:x x:a:*:*:1\n").reward[0, XX] == 1.0


@pytest.mark.parametrize(("line", "message"), [
    ("T: x : a : b : 0.5", "a single name is not a joint action"),
    ("T: x x x : a : b : 0.5", "3 components but there are 2 agents"),
    ("T: 4 : a : b : 0.5", "joint action index 4 out of range: there are 4"),
    ("T: x 2 : a : b : 0.5", "action index 2 of agent 1 out of range"),
    ("T: x z : a : b : 0.5", "unknown action 'z' of agent 1; valid names: x, y"),
    ("T: x x : c : b : 0.5", "unknown state 'c'; valid names: a, b"),
    ("T: x x : a : 7 : 0.5", "state index 7 out of range"),
    ("T: x x : a : b : 1.5", "probability 1.5 is not in [0, 1]"),
    ("T: x x : a : b : 1e999", "overflows"),
    ("T: x x : a : b : 0.5x", "malformed number"),
    ("T: x x : a : b 0.5", "expected ':'"),
    ("T: x x : a :\n0.5 0.5 0", "has 3 numbers, expected 2"),
    ("T: x x : a :\nuniform", "'uniform' is not allowed in place of the T row"),
    ("T: x x :\n0.5 0.5", "1 line(s) of numbers, expected 2"),
    ("O: x x :\nidentity", "only a whole T matrix can be 'identity'"),
    ("O: x x : a : u : 0.5", "a single name is not a joint observation"),
    ("O: x x : a : * * * : 0.5", "3 components"),
    ("O: x x : a : 4 : 0.5", "joint observation index 4 out of range"),
    ("R: x x : a : * : * : 0.5 1", "expected end of line"),
    ("R: x x : a : * : *", "expected ':'"),
    ("R: x x : a : * : * : r", "expected a reward (a number)"),
    ("Q: x x : a : * : * : 1", "expected 'T:', 'O:' or 'R:'"),
    ("T x x : a : * : * : 1", "expected ':' after 'T'"),
    ("R: x x : a : * : * : 1 $", "not a valid character"),
])
def test_body_errors_name_the_problem_and_its_line(line: str, message: str) -> None:
    err = _err(HEAD + UNIFORM + line + "\n")
    assert message in str(err)
    assert err.line in (17, 18)  # the line itself, or the next one for a row/matrix


@pytest.mark.parametrize(("old", "new", "message"), [
    ("agents: 2", "agents: 0", "at least 1"),
    ("discount: 1", "discount: 0", "discount must be in (0, 1]"),
    ("discount: 1", "discount: one", "expected the discount (a number)"),
    ("values: reward", "values: rewards", "'reward' or 'cost'"),
    ("states: a b", "states: a T", "reserved word"),
    ("states: a b", "states: a a", "duplicate name 'a'"),
    ("states: a b", "states: 2 b", "expected end of line after the states"),
    ("actions:\nx y\nx y", "actions: x y\nx y", "each agent's actions go on a line of their own"),
    ("actions:\nx y\nx y", "actions:\nx y\nx y\nx y", "too many lines of actions"),
    ("observations:\nu v\nu v", "observations:\nu v", "observations of agent 1"),
    ("agents: 2\n", "", "expected 'agents'"),
])
def test_preamble_errors(old: str, new: str, message: str) -> None:
    assert message in str(_err(HEAD.replace(old, new) + UNIFORM))


def test_count_declarations() -> None:
    head = HEAD.replace("states: a b", "states: 2").replace("x y\nx y", "2\nx y")
    m = _model("T: * :\nuniform\nO: * :\nuniform\nO: 1 * : 1 : * : 0.25\nR: 1 y : 0 : * : * : 2\n",
               head)
    assert m.state_names == ("s0", "s1") and m.action_names == (("a0", "a1"), ("x", "y"))
    assert m.reward[0, 3] == 2.0
    err = _err(head + UNIFORM + "R: * : s0 : * : * : 1\n")
    assert "declared by count (2); refer to them by index 0..1" in str(err)
    _same(m, read_dpomdp(write_dpomdp(m)))


def test_indices_with_leading_zeros_and_joint_indices() -> None:
    m = _model(UNIFORM + "T: 003 : 001 : 0 : 1\nT: 3 : 01 : 1 : 0\nR: 0 01 : 1 : * : * : 5\n")
    assert np.array_equal(m.transition[1, YY], [1, 0]) and m.reward[1, 1] == 5.0


def test_models_too_large_to_allocate_are_refused_early() -> None:
    err = _err(HEAD.replace("states: a b", "states: 99999") + UNIFORM)
    assert "model too large" in str(err) and err.line == 4
    err = _err(HEAD.replace("u v\nu v", "70000\n70000") + UNIFORM)
    assert "model too large" in str(err) and err.line == 12


def test_invalid_rows_are_reported_not_renormalised() -> None:
    err = _err(HEAD + UNIFORM + "T: x y : b :\n0.5 0.4999999\n")
    assert "T(.|s='b', ja=(x, y)) sums to 0.99999" in str(err) and "renormalised" in str(err)
    err = _err(HEAD + "T: * :\nuniform\nO: * :\nuniform\nO: y x : a : v u : 0\n")
    assert "O(.|ja=(y, x), s'='a') sums to 0.75" in str(err)
    assert "never specified" in str(_err(HEAD + "T: * :\nuniform\n"))
    # within the tolerance of 1e-9: accepted as written
    m = _model(UNIFORM + "T: x y : b :\n0.5 0.5000000001\n")
    assert m.transition[1, 1, 1] == 0.5000000001


@pytest.mark.parametrize("cut", [slice(0, 40), slice(0, -8), "garble"])
def test_corrupt_gzip_is_a_parse_error(cut: slice | str) -> None:
    data = gzip.compress((HEAD + UNIFORM).encode())
    bad = data[:10] + b"x" * 50 + data[60:] if cut == "garble" else data[cut]
    assert "corrupt gzip data" in str(_err(bad))


def test_missing_file_is_an_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        read_dpomdp(tmp_path / "nope.dpomdp")
    with pytest.raises(OSError):
        read_dpomdp(str(tmp_path / "nope.dpomdp"))


def test_write_to_path_plain_and_gzip(tmp_path: Path) -> None:
    m = _model(UNIFORM + "R: x x : a : * : * : -1.5\n")
    text = write_dpomdp(m, tmp_path / "m.dpomdp")
    assert (tmp_path / "m.dpomdp").read_text() == text
    write_dpomdp(m, tmp_path / "m.dpomdp.gz")
    assert gzip.decompress((tmp_path / "m.dpomdp.gz").read_bytes()).decode() == text
    back = read_dpomdp(tmp_path / "m.dpomdp.gz")
    _same(m, back)
    assert back.name == "m"


def test_writer_falls_back_to_counts_for_names_the_format_cannot_hold() -> None:
    m = DecPOMDP(np.ones((2, 1, 2)) / 2, np.ones((1, 2, 1)), np.zeros((2, 1)), np.array([1.0, 0]),
                 (1,), (1,), state_names=("left side", "T"), action_names=(("go",),),
                 observation_names=(("o",),))
    text = write_dpomdp(m)
    assert "states: 2" in text and "'left side | T'" in text
    back = read_dpomdp(text)
    assert back.state_names == ("s0", "s1") and back.action_names == (("go",),)
    assert np.array_equal(back.transition, m.transition)
