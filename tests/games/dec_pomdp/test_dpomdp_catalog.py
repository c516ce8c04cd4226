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

import itertools
import math
import re
from collections import defaultdict

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


# --------------------------------------------------------------------------- exact helpers
def _tables(dp: DecPOMDP) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    ja = list(itertools.product(*(range(m) for m in dp.num_actions)))  # C order: last fastest
    jo = list(itertools.product(*(range(m) for m in dp.num_observations)))
    return ja, jo


def _dist(policy: Policy, hist: Hist, m: int) -> np.ndarray:
    if hist not in policy:
        return np.full(m, 1.0 / m)
    v = policy[hist]
    if isinstance(v, (int, np.integer)):
        return np.eye(m)[int(v)]
    return np.asarray(v, dtype=float)


def _marginal(dp: DecPOMDP, joint: np.ndarray, i: int) -> np.ndarray:
    axes = tuple(k for k in range(dp.num_agents) if k != i)
    return joint.reshape(dp.num_actions).sum(axis=axes)


def _evaluate(dp: DecPOMDP, policies: list[Policy], horizon: int) -> float:
    n = dp.num_agents
    ja_tab, jo_tab = _tables(dp)
    dist: dict[tuple[int, tuple[Hist, ...]], float] = {
        (int(s), ((),) * n): float(dp.initial[s]) for s in np.flatnonzero(dp.initial)}
    total = 0.0
    for t in range(horizon):
        new: dict[tuple[int, tuple[Hist, ...]], float] = defaultdict(float)
        for (s, hs), p in dist.items():
            pis = [_dist(policies[i], hs[i], dp.num_actions[i]) for i in range(n)]
            for ja, acts in enumerate(ja_tab):
                q = p * math.prod(pis[i][acts[i]] for i in range(n))
                if q == 0.0:
                    continue
                total += dp.discount**t * q * dp.reward[s, ja]
                if t + 1 == horizon:
                    continue
                for s2 in np.flatnonzero(dp.transition[s, ja]):
                    for jo in np.flatnonzero(dp.observation[ja, s2]):
                        key = (int(s2), tuple((*h, o) for h, o in zip(hs, jo_tab[jo], strict=True)))
                        new[key] += q * dp.transition[s, ja, s2] * dp.observation[ja, s2, jo]
        dist = new
    return total


def _expert(dp: DecPOMDP, horizon: int) -> tuple[list[np.ndarray], float]:
    """Optimal fully observable joint policy pi[t][s, ja] (uniform over ties) and its value."""
    v = np.zeros(dp.num_states)
    pis: list[np.ndarray] = [np.empty(0)] * horizon
    for t in reversed(range(horizon)):
        q = dp.reward + dp.discount * dp.transition @ v
        best = q.max(axis=1)
        opt = (q >= best[:, None] - 1e-9).astype(float)
        pis[t] = opt / opt.sum(axis=1, keepdims=True)
        v = best
    return pis, float(dp.initial @ v)


def _distill(dp: DecPOMDP, pis: list[np.ndarray], horizon: int) -> list[Policy]:
    """Each agent's posterior average of the expert's marginal, along the expert's trajectories."""
    n = dp.num_agents
    _, jo_tab = _tables(dp)
    weights: list[dict[Hist, np.ndarray]] = [defaultdict(lambda: 0.0) for _ in range(n)]
    dist = {(int(s), ((),) * n): float(dp.initial[s]) for s in np.flatnonzero(dp.initial)}
    for t in range(horizon):
        new: dict[tuple[int, tuple[Hist, ...]], float] = defaultdict(float)
        for (s, hs), p in dist.items():
            for i in range(n):
                weights[i][hs[i]] = weights[i][hs[i]] + p * _marginal(dp, pis[t][s], i)
            for ja in np.flatnonzero(pis[t][s]):
                q = p * pis[t][s, ja]
                for s2 in np.flatnonzero(dp.transition[s, ja]):
                    for jo in np.flatnonzero(dp.observation[ja, s2]):
                        key = (int(s2), tuple((*h, o) for h, o in zip(hs, jo_tab[jo], strict=True)))
                        new[key] += q * dp.transition[s, ja, s2] * dp.observation[ja, s2, jo]
        dist = new
    return [{h: w / w.sum() for h, w in weights[i].items()} for i in range(n)]


def _policy_trees(dp: DecPOMDP, i: int, horizon: int) -> list[dict[Hist, int]]:
    """All deterministic policies of agent i, up to actions at unreachable or inert histories."""
    ja_tab, jo_tab = _tables(dp)
    own = np.array([acts[i] for acts in ja_tab])
    seen = np.array([o[i] for o in jo_tab])
    obs_i = np.stack([dp.observation[..., seen == o].sum(axis=-1) for o in range(dp.num_observations[i])],
                     axis=-1) > 0  # (JA, S, O_i): may agent i see o after ja ending in s'
    others = [tuple(ja_tab[j][:i] + ja_tab[j][i + 1:]) for j in range(len(ja_tab))]
    partner = {(own[j], others[j]): j for j in range(len(ja_tab))}

    def inert(supp: np.ndarray) -> bool:
        for j in range(len(ja_tab)):
            k = partner[(0, others[j])]
            if not (np.array_equal(dp.transition[supp, j], dp.transition[supp, k])
                    and np.array_equal(dp.reward[supp, j], dp.reward[supp, k])
                    and np.array_equal(dp.observation[j], dp.observation[k])):
                return False
        return True

    def node(t: int, hist: Hist, supp: np.ndarray) -> list[dict[Hist, int]]:
        if t == horizon:
            return [{}]
        out: list[dict[Hist, int]] = []
        for a in ([0] if inert(supp) else range(dp.num_actions[i])):
            cols = own == a
            reach = dp.transition[supp][:, cols, :].sum(axis=0) > 0  # (JA_a, S')
            kids = []
            for o in range(dp.num_observations[i]):
                child = (reach & obs_i[cols, :, o]).any(axis=0)
                if child.any():
                    kids.append(node(t + 1, (*hist, o), child))
            for combo in itertools.product(*kids):
                tree = {hist: a}
                for sub in combo:
                    tree.update(sub)
                out.append(tree)
        return out

    return node(0, (), dp.initial > 0)


def _dec_optimum(dp: DecPOMDP, horizon: int) -> tuple[float, list[tuple[dict[Hist, int], ...]]]:
    trees = [_policy_trees(dp, i, horizon) for i in range(dp.num_agents)]
    values = [(_evaluate(dp, list(combo), horizon), combo) for combo in itertools.product(*trees)]
    best = max(v for v, _ in values)
    return best, [c for v, c in values if v >= best - 1e-9]


def _best_response_optimum(dp: DecPOMDP, horizon: int) -> float:
    """max over agent 0's trees of agent 1's exact best response (two agents only)."""
    assert dp.num_agents == 2
    ja_tab, jo_tab = _tables(dp)
    m1 = dp.num_actions[1]
    index = {acts: ja for ja, acts in enumerate(ja_tab)}
    succ = {(s, ja): [(int(s2), int(jo), dp.transition[s, ja, s2] * dp.observation[ja, s2, jo])
                      for s2 in np.flatnonzero(dp.transition[s, ja])
                      for jo in np.flatnonzero(dp.observation[ja, s2])]
            for s in range(dp.num_states) for ja in range(len(ja_tab))}

    def br(t: int, dist: dict[tuple[int, Hist], float], pol0: dict[Hist, int]) -> float:
        if t == horizon:
            return 0.0
        best = -math.inf
        for a1 in range(m1):
            val = 0.0
            kids: dict[int, dict[tuple[int, Hist], float]] = defaultdict(lambda: defaultdict(float))
            for (s, h0), p in dist.items():
                ja = index[(pol0.get(h0, 0), a1)]
                val += dp.discount**t * p * dp.reward[s, ja]
                if t + 1 == horizon:
                    continue
                for s2, jo, w in succ[(s, ja)]:
                    o0, o1 = jo_tab[jo]
                    kids[o1][(s2, (*h0, o0))] += p * w
            best = max(best, val + sum(br(t + 1, kid, pol0) for kid in kids.values()))
        return best

    start = {(int(s), ()): float(dp.initial[s]) for s in np.flatnonzero(dp.initial)}
    return max(br(0, start, pol0) for pol0 in _policy_trees(dp, 0, horizon))


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
