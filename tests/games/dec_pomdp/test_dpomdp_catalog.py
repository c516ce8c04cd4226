"""Tests of the Dec-POMDP catalog (games/dpomdp_catalog.py).

The numbers claimed in the docstrings (fully observable optimum, decentralized optimum, value of
the distilled / implicit product policy) are re-derived here with small self-contained exact
helpers, independent of the package's evaluation code:

* ``_expert``: finite-horizon backward induction on the underlying MMDP; π*_t(· | s) is uniform
  over the optimal joint actions (ties within 1e-9);
* ``_evaluate``: exact forward evaluation of a product of per-agent policies over observation
  histories (a history missing from a policy's table plays uniformly);
* ``_dec_optimum``: brute force over all deterministic decentralized policies, enumerated as
  policy trees over the observation histories an agent can actually receive (its own history
  fixes which states are possible) and with the action fixed at nodes where it changes nothing;
  cross-checked against ``_best_response_optimum`` (every tree of agent 0 against an exact
  dynamic-programming best response of agent 1);
* ``_distill``: π^i_t(a_i | h_i) = Σ_s P_{π*}(s | h_i) Σ_{a_-i} π*_t(a | s) with the posterior
  taken under the expert's own trajectory distribution.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from paths import SHARED_DPOMDP

from games.dec_pomdp.catalog import (
    DPOMDP_CATALOG,
    bridge_crossing,
    dec_tiger,
    ice_with_pits,
    make_dpomdp,
    random_dpomdp,
)
from games.dec_pomdp.model import DecPOMDP
from games.errors import AgentmixerError, GameError, GameNotFoundError
from games.normal_form.catalog import climbing, penalty, sum_to_ten

Hist = tuple[int, ...]
Policy = dict[Hist, object]  # observation history -> own action (int) or distribution (array)
YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")


from catalog_reference import (  # noqa: E402
    _best_response_optimum,
    _dec_optimum,
    _distill,
    _evaluate,
    _expert,
)


# --------------------------------------------------------------------------- every entry
@pytest.mark.parametrize("name", sorted(DPOMDP_CATALOG))
def test_entry_builds_validates_and_is_documented(name: str) -> None:
    dp = make_dpomdp(name)
    assert isinstance(dp, DecPOMDP)
    assert dp.horizon is not None and dp.horizon >= 1
    np.testing.assert_allclose(dp.transition.sum(axis=-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(dp.observation.sum(axis=-1), 1.0, atol=1e-12)
    assert abs(dp.initial.sum() - 1.0) < 1e-12
    entry = DPOMDP_CATALOG[name]
    assert entry.description
    if name != "random":
        assert YEAR.search(entry.factory.__doc__ or ""), f"{name}: no cited source"


def test_unknown_name_and_parameter_are_typed_errors() -> None:
    with pytest.raises(GameNotFoundError, match="dec_tiger"):
        make_dpomdp("dec_tigr")
    with pytest.raises(AgentmixerError):
        make_dpomdp("no_such_problem_at_all")
    with pytest.raises(GameError, match="congestion"):
        make_dpomdp("bridge_crossing", jam=3)
    with pytest.raises(GameError):
        bridge_crossing(congestion=-1.0)
    with pytest.raises(GameError):
        random_dpomdp(states=0)


def test_params_are_passed_through() -> None:
    assert make_dpomdp("penalty", k=-50.0).reward.min() == -50.0
    assert make_dpomdp("dec_tiger", horizon=5).horizon == 5
    assert make_dpomdp("ice_with_pits", horizon=6).horizon == 6


# --------------------------------------------------------------------------- one-step games
@pytest.mark.parametrize(("dp", "game"), [
    (make_dpomdp("climbing"), climbing()),
    (make_dpomdp("penalty", k=-30.0), penalty(-30.0)),
    (make_dpomdp("sum_to_10"), sum_to_ten()),
    (make_dpomdp("sum_to_10", agents=2, actions=4, target=3), sum_to_ten(2, 4, 3)),
])
def test_one_step_games_keep_the_payoffs(dp: DecPOMDP, game: object) -> None:
    assert dp.horizon == 1 and dp.num_states == 1
    assert dp.num_actions == game.num_actions
    np.testing.assert_array_equal(dp.reward[0], game.payoffs[0].ravel())
    np.testing.assert_array_equal(dp.reward[0].reshape(dp.num_actions), game.payoffs[0])
    assert dp.action_names == game.action_names


def test_one_step_optima_by_brute_force() -> None:
    assert _dec_optimum(make_dpomdp("climbing"), 1)[0] == 11.0
    assert _dec_optimum(make_dpomdp("penalty"), 1)[0] == 10.0
    assert _dec_optimum(make_dpomdp("sum_to_10", agents=2, actions=4, target=3), 1)[0] == 1.0


# --------------------------------------------------------------------------- random generator
def test_random_is_reproducible_and_seeded() -> None:
    a, b = random_dpomdp(seed=7), random_dpomdp(seed=7)
    for x, y in ((a.transition, b.transition), (a.observation, b.observation),
                 (a.reward, b.reward), (a.initial, b.initial)):
        np.testing.assert_array_equal(x, y)
    assert make_dpomdp("random", seed=7).name == a.name
    c = random_dpomdp(seed=8)
    assert not np.array_equal(a.transition, c.transition)
    d = random_dpomdp(agents=3, states=4, actions=3, observations=2, seed=1, horizon=2)
    assert d.transition.shape == (4, 27, 4) and d.observation.shape == (27, 4, 8)
    assert d.reward.shape == (4, 27) and d.horizon == 2
    assert 0.0 <= d.reward.min() and d.reward.max() < 1.0


def test_random_helpers_agree() -> None:
    # The two exact decentralized solvers agree on random models (a check of the helpers).
    for seed in range(3):
        dp = random_dpomdp(seed=seed, horizon=2)
        assert _dec_optimum(dp, 2)[0] == pytest.approx(_best_response_optimum(dp, 2), abs=1e-12)
        _, joint = _expert(dp, 2)
        assert joint >= _dec_optimum(dp, 2)[0] - 1e-12


# --------------------------------------------------------------------------- bridge crossing
def test_bridge_joint_optimum_sends_two_small_through_passage_1() -> None:
    dp = bridge_crossing()
    pis, value = _expert(dp, 2)
    assert value == pytest.approx(-2.25, abs=1e-12)
    p1, p2 = 0, 1
    for k, name in enumerate(dp.state_names):
        if name == "briefing":
            continue
        support = {dp.individual_actions(int(j)) for j in np.flatnonzero(pis[1][k])}
        x0 = name.split("-")[0]
        if name == "small-small":
            assert support == {(p1, p1)}
        elif name == "big-big":
            assert support == {(p1, p2), (p2, p1)}  # separated, a tie
        else:  # mixed: the small agent takes the short passage, the big one the long one
            want = (p1, p2) if x0 == "small" else (p2, p1)
            assert support == {want}


def test_bridge_decentralized_optimum_staggers() -> None:
    dp = bridge_crossing()
    value, argmax = _dec_optimum(dp, 2)
    assert value == pytest.approx(-3.0, abs=1e-12)
    assert value == pytest.approx(_best_response_optimum(dp, 2), abs=1e-12)
    small, big = (0,), (1,)
    staggered = set()
    for pol0, pol1 in argmax:
        rule = ((pol0[small], pol0[big]), (pol1[small], pol1[big]))
        staggered.add(rule)
    assert staggered == {((0, 0), (1, 1)), ((1, 1), (0, 0))}  # one always short, one always long


def test_bridge_distilled_policy_fails() -> None:
    dp = bridge_crossing()
    pis, joint = _expert(dp, 2)
    dec, _ = _dec_optimum(dp, 2)
    distilled = _distill(dp, pis, 2)
    for pol in distilled:  # small -> passage 1; big -> passage 2 with probability 3/4
        np.testing.assert_allclose(pol[(0,)], [1.0, 0.0], atol=1e-12)
        np.testing.assert_allclose(pol[(1,)], [0.25, 0.75], atol=1e-12)
    value = _evaluate(dp, distilled, 2)
    assert value == pytest.approx(-5.0625, abs=1e-12)  # -(2.25 + 9 * 10 / 32)
    assert joint > dec > value
    mode = [{(): 0, (0,): 0, (1,): 1}] * 2  # its most likely action: small -> 1, big -> 2
    assert _evaluate(dp, mode, 2) == pytest.approx(-5.0, abs=1e-12)


@pytest.mark.parametrize("q", np.linspace(0.0, 1.0, 11))
def test_bridge_failure_does_not_depend_on_the_tie_break(q: float) -> None:
    # In big-big the expert may mix the two separations in any proportion q : 1 - q.
    dp = bridge_crossing()
    pis, _ = _expert(dp, 2)
    bb = dp.state_names.index("big-big")
    pis[1][bb] = 0.0
    pis[1][bb, dp.joint_action((0, 1))] = q
    pis[1][bb, dp.joint_action((1, 0))] = 1.0 - q
    value = _evaluate(dp, _distill(dp, pis, 2), 2)
    assert value <= -(2.25 + 10.0 / 4) + 1e-12 < -3.0


@pytest.mark.parametrize("congestion", [4.5, 10.0, 100.0])
def test_bridge_claims_hold_above_the_threshold(congestion: float) -> None:
    dp = bridge_crossing(congestion=congestion)
    pis, joint = _expert(dp, 2)
    dec, _ = _dec_optimum(dp, 2)
    assert joint == pytest.approx(-2.25) and dec == pytest.approx(-3.0)
    assert _evaluate(dp, _distill(dp, pis, 2), 2) == pytest.approx(-(2.25 + 9 * congestion / 32))


def test_bridge_below_the_threshold_a_physique_rule_wins() -> None:
    # congestion < 4: "agent 0 always 1, agent 1 small -> 1, big -> 2" costs 2 + congestion / 4 < 3.
    dec, _ = _dec_optimum(bridge_crossing(congestion=2.0), 2)
    assert dec == pytest.approx(-2.5)


# --------------------------------------------------------------------------- ice with pits
def test_observed_bridge_lets_every_agent_see_the_state() -> None:
    model = make_dpomdp("bridge_crossing_observed")
    assert model.num_observations == (4, 4)
    # at end state s >= 1 the joint observation is (s - 1, s - 1) with probability 1
    for s in range(1, model.num_states):
        assert model.observation[:, s, (s - 1) * 5].min() == 1.0


def test_ice_values_and_the_averaging_failure() -> None:
    dp = ice_with_pits()
    h = dp.horizon
    pis, joint = _expert(dp, h)
    assert joint == pytest.approx(-5.0, abs=1e-12)
    dec, argmax = _dec_optimum(dp, h)
    assert dec == pytest.approx(-8.0, abs=1e-12)
    assert dec == pytest.approx(_best_response_optimum(dp, h), abs=1e-12)
    around = dp.action_names[0].index("around")
    assert [(p0[()], p1[()]) for p0, p1 in argmax] == [(around, around)]  # both walk around
    distilled = _distill(dp, pis, h)
    for pol in distilled:
        np.testing.assert_allclose(pol[()], [0.5, 0.25, 0.25, 0.0], atol=1e-12)  # wait/W/E/around
        np.testing.assert_allclose(pol[(0,)], [0.0, 0.5, 0.5, 0.0], atol=1e-12)  # after waiting
    value = _evaluate(dp, distilled, h)
    assert value == pytest.approx(-16.25, abs=1e-12)  # -(3.75 + 1.25 * pit_penalty)
    assert joint > dec > value
    for agent in range(2):  # 1/2 on the rotten bridge + 1/8 both on the safe bridge together
        assert _fall_probability(dp, distilled, agent) == pytest.approx(5 / 8, abs=1e-12)


@pytest.mark.parametrize("pit_penalty", [5.5, 10.0, 100.0])
def test_ice_claims_hold_above_the_threshold(pit_penalty: float) -> None:
    dp = ice_with_pits(pit_penalty=pit_penalty)
    pis, joint = _expert(dp, dp.horizon)
    assert joint == pytest.approx(-5.0) and _dec_optimum(dp, dp.horizon)[0] == pytest.approx(-8.0)
    value = _evaluate(dp, _distill(dp, pis, dp.horizon), dp.horizon)
    assert value == pytest.approx(-(3.75 + 1.25 * pit_penalty))


def test_ice_below_the_threshold_opposite_bridges_win() -> None:
    # pit_penalty < 5: one agent per bridge (exactly one falls) costs 3 + pit_penalty < 8.
    dec, argmax = _dec_optimum(ice_with_pits(pit_penalty=4.0), 5)
    assert dec == pytest.approx(-7.0)
    assert sorted((p0[()], p1[()]) for p0, p1 in argmax) == [(1, 2), (2, 1)]


def test_ice_expert_policy_is_the_safe_bridge_with_one_agent_waiting() -> None:
    dp = ice_with_pits()
    pis, _ = _expert(dp, dp.horizon)
    wait, west, east = 0, 1, 2
    for k in np.flatnonzero(dp.initial):
        safe = east if dp.state_names[k].startswith("pitW") else west
        support = {dp.individual_actions(int(j)) for j in np.flatnonzero(pis[0][k])}
        assert support == {(safe, wait), (wait, safe)}


def _fall_probability(dp: DecPOMDP, policies: list[Policy], agent: int) -> float:
    # Reward 1 in every state where `agent` lies in the (absorbing) pit: V_{h+1} - V_h = P(in pit at h).
    reward = np.zeros_like(dp.reward)
    for k, name in enumerate(dp.state_names):
        if name.split("/")[1 + agent] == "pit":
            reward[k] = 1.0
    h = dp.horizon
    probe = DecPOMDP(dp.transition, dp.observation, reward, dp.initial, dp.num_actions,
                     dp.num_observations, horizon=h + 1)
    return _evaluate(probe, [*policies], h + 1) - _evaluate(probe, [*policies], h)


@pytest.mark.parametrize("q", [0.0, 0.3, 0.5, 1.0])
def test_ice_imitator_falls_at_least_half_the_time_whatever_the_tie_break(q: float) -> None:
    dp = ice_with_pits()
    pis, _ = _expert(dp, dp.horizon)
    wait = 0
    for k in np.flatnonzero(dp.initial):
        row = pis[0][k].copy()
        safe_first, safe_second = (int(j) for j in np.flatnonzero(row))  # (safe, wait) or (wait, safe)
        first_waits = dp.individual_actions(safe_first)[0] == wait
        pis[0][k] = 0.0
        pis[0][k, safe_first] = q if first_waits else 1.0 - q
        pis[0][k, safe_second] = 1.0 - q if first_waits else q
    distilled = _distill(dp, pis, dp.horizon)
    for agent in range(2):  # exactly 1/2 when the same agent always goes first (no collisions)
        fall = _fall_probability(dp, distilled, agent)
        assert fall >= 0.5 - 1e-12
        assert (fall == pytest.approx(0.5, abs=1e-12)) == (q in (0.0, 1.0))
    assert _evaluate(dp, distilled, dp.horizon) < -8.0


# --------------------------------------------------------------------------- Dec-Tiger
def test_dec_tiger_definition() -> None:
    dp = dec_tiger()
    listen = dp.joint_action((0, 0))
    np.testing.assert_array_equal(dp.transition[:, listen], np.eye(2))
    assert dp.observation[listen, 0, dp.joint_observation((0, 0))] == pytest.approx(0.7225)
    r = {(a, b): dp.reward[0, dp.joint_action((a, b))] for a in range(3) for b in range(3)}
    assert r[(0, 0)] == -2 and r[(2, 2)] == 20 and r[(1, 1)] == -50 and r[(1, 2)] == -100
    assert r[(1, 0)] == r[(0, 1)] == -101 and r[(2, 0)] == r[(0, 2)] == 9
    np.testing.assert_array_equal(dp.reward[1], dp.reward[0].reshape(3, 3)[[0, 2, 1]][:, [0, 2, 1]].ravel())


def test_dec_tiger_known_optimal_values() -> None:
    dp = dec_tiger()
    assert _dec_optimum(dp, 2)[0] == pytest.approx(-4.0, abs=1e-12)
    assert _best_response_optimum(dp, 3) == pytest.approx(5.1908125, abs=1e-9)  # 5.1908 published


def test_dec_tiger_matches_the_madp_file() -> None:
    fmt = pytest.importorskip("games.dec_pomdp.madp_format")

    # ../shared/dpomdp beside the repository (GPL-3 data: read there, never copied in)
    path = SHARED_DPOMDP / "dectiger.dpomdp"
    if not path.is_file():
        pytest.skip("MADP dectiger.dpomdp not available")
    theirs = fmt.read_dpomdp(path)
    ours = dec_tiger()
    assert theirs.num_actions == ours.num_actions and theirs.num_observations == ours.num_observations
    for field in ("transition", "observation", "reward", "initial"):
        np.testing.assert_allclose(getattr(theirs, field), getattr(ours, field), rtol=0, atol=1e-12,
                                   err_msg=field)
    assert theirs.discount == ours.discount
    assert theirs.state_names == ours.state_names and theirs.action_names == ours.action_names
    assert theirs.observation_names == ours.observation_names
