"""Tests of games/normal_form.py: validation, constructors, transforms, equality and immutability.

Every expected value below is derived by hand from the definitions in the module docstring
(``payoffs[i, a_1, ..., a_N]`` = u_i(a)) and stated in a comment next to the assertion.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from games.errors import AgentmixerError, GameError
from games.normal_form.game import NormalFormGame

# Prisoner's dilemma with Axelrod's payoffs, row player's matrix A and column player's B = A^T.
PD_A = [[3.0, 0.0], [5.0, 1.0]]
PD_B = [[3.0, 5.0], [0.0, 1.0]]


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_payoff_names_player_and_joint_action(bad: float) -> None:
    pay = np.zeros((2, 2, 3))
    pay[1, 0, 2] = bad  # player 1 at joint action (0, 2)
    with pytest.raises(GameError, match=re.escape("player 1 at joint action (0, 2)")):
        NormalFormGame(pay)


def test_non_finite_payoff_reports_first_offender_in_c_order() -> None:
    # np.argwhere lists offenders in C order, so (player 0, (1, 1)) precedes (player 1, (0, 0)).
    pay = np.zeros((2, 2, 2))
    pay[0, 1, 1] = np.nan
    pay[1, 0, 0] = np.inf
    with pytest.raises(GameError, match=re.escape("player 0 at joint action (1, 1)")):
        NormalFormGame(pay)


def test_game_error_is_agentmixer_and_value_error() -> None:
    # errors.py: GameError derives from both AgentmixerError and ValueError.
    with pytest.raises(AgentmixerError):
        NormalFormGame(np.zeros((3, 2, 2)))
    with pytest.raises(ValueError):
        NormalFormGame(np.zeros((3, 2, 2)))


@pytest.mark.parametrize("shape", [(3, 2, 2), (1, 2, 2), (2, 2), (4, 3, 3, 3)])
def test_wrong_leading_axis(shape: tuple[int, ...]) -> None:
    # The leading axis must equal ndim - 1 (the number of players).
    with pytest.raises(GameError, match="leading axis"):
        NormalFormGame(np.zeros(shape))


@pytest.mark.parametrize("payoffs", [np.zeros(3), np.float64(1.0), []])
def test_too_few_dimensions(payoffs: object) -> None:
    with pytest.raises(GameError):
        NormalFormGame(payoffs)  # type: ignore[arg-type]


def test_non_numeric_payoffs() -> None:
    with pytest.raises(GameError, match="numeric"):
        NormalFormGame([[["x", "y"]], [["z", "w"]]])  # type: ignore[arg-type]


@pytest.mark.parametrize(("shape", "player"), [((2, 0, 3), 0), ((2, 3, 0), 1), ((1, 0), 0)])
def test_empty_action_set(shape: tuple[int, ...], player: int) -> None:
    with pytest.raises(GameError, match=f"player {player} has an empty action set"):
        NormalFormGame(np.zeros(shape))


def test_duplicate_action_names() -> None:
    with pytest.raises(GameError, match=r"duplicate name 'C'.*positions 0 and 1"):
        NormalFormGame.from_bimatrix(PD_A, PD_B, action_names=(("C", "C"), ("C", "D")))


def test_duplicate_player_names() -> None:
    with pytest.raises(GameError, match="duplicate name 'p'"):
        NormalFormGame.from_bimatrix(PD_A, PD_B, player_names=("p", "p"))


@pytest.mark.parametrize("names", [("",), (3,), (None,)])
def test_bad_names(names: tuple[object, ...]) -> None:
    with pytest.raises(GameError, match="non-empty string"):
        NormalFormGame(np.zeros((1, 1)), player_names=names)  # type: ignore[arg-type]
    with pytest.raises(GameError, match="non-empty string"):
        NormalFormGame(np.zeros((1, 1)), action_names=(names,))  # type: ignore[arg-type]


def test_action_name_count_mismatch() -> None:
    # player 1 has 2 actions on axis 2 but 3 names are given.
    with pytest.raises(GameError, match=r"player 1 .* 3 action names .* 2 actions on axis 2"):
        NormalFormGame.from_bimatrix(PD_A, PD_B, action_names=(("C", "D"), ("x", "y", "z")))


def test_action_names_wrong_number_of_players() -> None:
    with pytest.raises(GameError, match="action_names has 1 entries for 2 players"):
        NormalFormGame.from_bimatrix(PD_A, PD_B, action_names=(("C", "D"),))


def test_player_name_count_mismatch() -> None:
    with pytest.raises(GameError, match="3 player names given for 2 players"):
        NormalFormGame.from_bimatrix(PD_A, PD_B, player_names=("a", "b", "c"))


@pytest.mark.parametrize("name", ["", 7])
def test_bad_game_name(name: object) -> None:
    with pytest.raises(GameError, match="name must be a non-empty string"):
        NormalFormGame(np.zeros((1, 1)), name=name)  # type: ignore[arg-type]


def test_defaults() -> None:
    g = NormalFormGame(np.zeros((3, 2, 1, 4)))
    assert g.num_players == 3
    assert g.num_actions == (2, 1, 4)
    assert g.num_joint_actions == 8
    assert g.player_names == ("player0", "player1", "player2")
    assert g.action_names == (("a0", "a1"), ("a0",), ("a0", "a1", "a2", "a3"))
    assert g.name == "game"


def test_single_player_game() -> None:
    g = NormalFormGame([[1.0, 5.0, 2.0]])
    assert g.num_players == 1 and g.num_actions == (3,)
    assert g.is_cooperative  # one slice is trivially shared


# --------------------------------------------------------------------------- constructors
def test_from_bimatrix() -> None:
    g = NormalFormGame.from_bimatrix(PD_A, PD_B, action_names=(("C", "D"), ("C", "D")), name="pd")
    # payoffs[0] is the row matrix, payoffs[1] the column matrix.
    np.testing.assert_array_equal(g.payoffs[0], PD_A)
    np.testing.assert_array_equal(g.payoffs[1], PD_B)
    # (D, C): row defects against a cooperator and gets T = 5, column gets S = 0.
    assert g.payoffs[:, 1, 0].tolist() == [5.0, 0.0]
    assert g.name == "pd" and g.action_names == (("C", "D"), ("C", "D"))
    assert not g.is_cooperative


@pytest.mark.parametrize(("a", "b"), [([[1, 2]], [[1], [2]]), ([1, 2], [1, 2]), ([[[1]]], [[[1]]])])
def test_from_bimatrix_bad_shapes(a: list, b: list) -> None:
    with pytest.raises(GameError, match="bimatrix"):
        NormalFormGame.from_bimatrix(a, b)


def test_cooperative() -> None:
    r = np.arange(24.0).reshape(2, 3, 4)
    g = NormalFormGame.cooperative(r, name="coop")
    assert g.num_players == 3 and g.num_actions == (2, 3, 4)
    for i in range(3):  # every player receives r
        np.testing.assert_array_equal(g.payoffs[i], r)
    assert g.is_cooperative
    np.testing.assert_array_equal(g.welfare, 3 * r)
    # The game's payoffs do not alias the input array.
    r[0, 0, 0] = 100.0
    assert g.payoffs[0, 0, 0, 0] == 0.0


def test_cooperative_needs_an_axis() -> None:
    with pytest.raises(GameError, match="at least one axis"):
        NormalFormGame.cooperative(5.0)  # type: ignore[arg-type]


def test_cooperative_propagates_validation() -> None:
    with pytest.raises(GameError, match=re.escape("player 0 at joint action (1, 0)")):
        NormalFormGame.cooperative([[0.0, 1.0], [np.nan, 2.0]])


def test_is_cooperative_is_exact() -> None:
    eps = 1e-12
    g = NormalFormGame(np.array([[[1.0, 2.0]], [[1.0, 2.0 + eps]]]))
    assert not g.is_cooperative  # the docstring says "exactly"
    h = NormalFormGame(np.array([[[1.0, 2.0]], [[1.0, 2.0]]]))
    assert h.is_cooperative


# --------------------------------------------------------------------------- helpers
def test_joint_actions_c_order_and_names() -> None:
    g = NormalFormGame(np.zeros((2, 2, 3)), action_names=(("u", "d"), ("l", "m", "r")))
    joints = list(g.joint_actions())
    # C order: last player fastest.
    assert joints == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert g.joint_action_name((1, 2)) == "d,r"


def test_action_index() -> None:
    g = NormalFormGame.from_bimatrix(PD_A, PD_B, action_names=(("C", "D"), ("c", "d")))
    assert g.action_index(0, "D") == 1
    assert g.action_index(1, 0) == 0
    assert g.action_index(1, np.int64(1)) == 1
    with pytest.raises(GameError, match="has no action 'x'"):
        g.action_index(0, "x")
    with pytest.raises(GameError, match="no action index 2"):
        g.action_index(0, 2)
    with pytest.raises(GameError, match="no action index -1"):
        g.action_index(0, -1)


def test_expected_payoffs_by_hand() -> None:
    g = NormalFormGame.from_bimatrix(PD_A, PD_B)
    # Uniform: u_0 = (3 + 0 + 5 + 1) / 4 = 9/4, and u_1 by symmetry.
    np.testing.assert_allclose(g.expected_payoffs(np.full((2, 2), 0.25)), [2.25, 2.25])
    # Point mass on (D, C): (5, 0).
    d = np.zeros((2, 2))
    d[1, 0] = 1.0
    np.testing.assert_array_equal(g.expected_payoffs(d), [5.0, 0.0])
    # 3-player cooperative: E[r] is sum(r * d).
    r = np.arange(8.0).reshape(2, 2, 2)
    h = NormalFormGame.cooperative(r)
    d3 = np.arange(1.0, 9.0).reshape(2, 2, 2) / 36.0
    np.testing.assert_allclose(h.expected_payoffs(d3), [float((r * d3).sum())] * 3)


def test_expected_payoffs_wrong_shape() -> None:
    g = NormalFormGame.from_bimatrix(PD_A, PD_B)
    with pytest.raises(GameError, match="distribution shape"):
        g.expected_payoffs(np.full(4, 0.25))


# --------------------------------------------------------------------------- transforms
def test_permute_actions_relabels() -> None:
    g = NormalFormGame(np.arange(12.0).reshape(2, 3, 2), action_names=(("x", "y", "z"), ("l", "r")))
    p = g.permute_actions(0, [2, 0, 1])  # new action k is old action perm[k]
    assert p.action_names == (("z", "x", "y"), ("l", "r"))
    for k, old in enumerate([2, 0, 1]):
        np.testing.assert_array_equal(p.payoffs[:, k, :], g.payoffs[:, old, :])
    q = g.permute_actions(1, [1, 0])
    np.testing.assert_array_equal(q.payoffs[:, :, 0], g.payoffs[:, :, 1])
    assert q.action_names[1] == ("r", "l")
    # Inverse permutation restores the game exactly (argsort of a permutation is its inverse).
    assert p.permute_actions(0, np.argsort([2, 0, 1])) == g
    assert p.name == g.name and p.player_names == g.player_names


@pytest.mark.parametrize("perm", [[0, 0, 1], [0, 1], [0, 1, 3], [1, 2, 3]])
def test_permute_actions_rejects_non_permutations(perm: list[int]) -> None:
    g = NormalFormGame(np.zeros((2, 3, 2)))
    with pytest.raises(GameError, match="not a permutation"):
        g.permute_actions(0, perm)


def test_with_payoffs_keeps_names() -> None:
    g = NormalFormGame.from_bimatrix(PD_A, PD_B, action_names=(("C", "D"), ("c", "d")), name="pd")
    h = g.with_payoffs(2 * g.payoffs)
    assert h.action_names == g.action_names and h.name == "pd"
    np.testing.assert_array_equal(h.payoffs, 2 * g.payoffs)
    assert g.with_payoffs(g.payoffs, name="other").name == "other"
    with pytest.raises(GameError):
        g.with_payoffs(np.zeros((2, 3, 3)))  # 3 actions but 2 names


# --------------------------------------------------------------------------- value semantics
def test_equality_and_hash() -> None:
    g = NormalFormGame.from_bimatrix(PD_A, PD_B, name="pd")
    h = NormalFormGame.from_bimatrix(np.array(PD_A), np.array(PD_B), name="pd")
    assert g == h and hash(g) == hash(h)
    assert len({g, h}) == 1
    assert g != NormalFormGame.from_bimatrix(PD_A, PD_B, name="other")
    assert g != NormalFormGame.from_bimatrix(PD_A, PD_B, name="pd", player_names=("r", "c"))
    assert g != NormalFormGame.from_bimatrix(PD_A, PD_B, name="pd", action_names=(("C", "D"), ("c", "d")))
    assert g != g.with_payoffs(g.payoffs + 1.0)
    assert g != NormalFormGame(np.zeros((2, 2, 2)), name="pd")
    assert g != "pd" and g != g.payoffs.tolist()


def test_hash_consistent_with_eq_for_signed_zero() -> None:
    # The hash contract: a == b implies hash(a) == hash(b).
    a = NormalFormGame(np.zeros((1, 1)))
    b = NormalFormGame(-np.zeros((1, 1)))
    assert a == b
    assert hash(a) == hash(b)


def test_payoffs_read_only_and_copied() -> None:
    src = np.array([np.array(PD_A), np.array(PD_B)])
    g = NormalFormGame(src)
    with pytest.raises(ValueError, match="read-only"):
        g.payoffs[0, 0, 0] = 10.0
    src[0, 0, 0] = 99.0  # mutating the input does not change the game
    assert g.payoffs[0, 0, 0] == 3.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.payoffs = src  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.name = "x"  # type: ignore[misc]


def test_transforms_return_read_only_payoffs() -> None:
    g = NormalFormGame.cooperative([[1.0, 2.0], [3.0, 4.0]])
    for h in (g, g.permute_actions(0, [1, 0]), g.with_payoffs(g.payoffs * 2),
              NormalFormGame.from_bimatrix(PD_A, PD_B)):
        assert not h.payoffs.flags.writeable


def test_repr() -> None:
    g = NormalFormGame(np.zeros((3, 2, 1, 4)), name="x")
    assert repr(g) == "NormalFormGame(name='x', players=3, actions=2x1x4)"


# ----------------------------------------------------------------------------- deviation payoffs
def test_deviation_payoffs_match_brute_force_and_batches() -> None:
    rng = np.random.default_rng(0)
    game = NormalFormGame(rng.normal(size=(3, 2, 3, 4)))
    strats = [rng.dirichlet(np.ones(m)) for m in game.num_actions]
    dev = game.deviation_payoffs(strats)
    for i, m in enumerate(game.num_actions):
        for a in range(m):
            others = [np.eye(m)[a] if j == i else s for j, s in enumerate(strats)]
            joint = np.einsum("a,b,c->abc", *others)
            assert dev[i][a] == pytest.approx(game.expected_payoffs(joint)[i], abs=1e-12)
        # u_i(s) = Σ_a s_i(a) u_i(a, s_-i)
        joint = np.einsum("a,b,c->abc", *strats)
        assert dev[i] @ strats[i] == pytest.approx(game.expected_payoffs(joint)[i], abs=1e-12)
    batch = [np.stack([s, np.roll(s, 1)]) for s in strats]
    out = game.deviation_payoffs(batch)
    for i in range(3):
        np.testing.assert_allclose(out[i][0], dev[i], atol=1e-12)
        rolled = game.deviation_payoffs([b[1] for b in batch])
        np.testing.assert_allclose(out[i][1], rolled[i], atol=1e-12)


def test_deviation_payoffs_shape_errors() -> None:
    game = NormalFormGame(np.zeros((2, 2, 3)))
    with pytest.raises(GameError, match="1 strategies given for 2 players"):
        game.deviation_payoffs([np.ones(2) / 2])
    with pytest.raises(GameError, match=r"player 1 has shape \(2,\), expected \(3,\)"):
        game.deviation_payoffs([np.ones(2) / 2, np.ones(2) / 2])
