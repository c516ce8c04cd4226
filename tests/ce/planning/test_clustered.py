"""Clustered policies, the hybrid heuristic and long horizons of GMAA*-ICE.

Independent checks: the clustered evaluator against the history-based one (two propagations over
different index sets), the heuristic against brute force (admissibility) and the ordering
Q_BG ≤ Q_POMDP ≤ Q_MDP of Oliehoek, Spaan & Vlassis (JAIR 32, 2008, Thm. 1), and published optimal
values (masplan.org "Optimal values for finite-horizon Dec-POMDPs", undiscounted).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paths import SHARED_DPOMDP
from test_planning import close, hand_dec_tiger, random_model, tiny_models

from ce.planning import (
    ClusteredPolicy,
    evaluate_clustered,
    evaluate_deterministic,
    qmdp_values,
    random_deterministic_policy,
    solve_brute_force,
    solve_optimal,
)
from ce.planning.clustered import clustered_from_dict, clustered_to_dict
from ce.planning.heuristic import BeliefTable
from games.dec_pomdp.model import DecPOMDP
from games.errors import GameError, ParseError


def random_clustered(model: DecPOMDP, horizon: int, rng: np.random.Generator) -> ClusteredPolicy:
    """Random types per stage (1..3), random actions and random successor maps."""
    acts, succ = [], []
    for m, q in zip(model.num_actions, model.num_observations, strict=True):
        sizes = [1] + [int(rng.integers(1, 4)) for _ in range(horizon - 1)]
        acts.append(tuple(rng.integers(0, m, size=n) for n in sizes))
        succ.append(tuple(rng.integers(0, sizes[t + 1], size=(sizes[t], q)) for t in range(horizon - 1)))
    return ClusteredPolicy(tuple(acts), tuple(succ))


# ----------------------------------------------------------------------------- the representation
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(1, 4), st.sampled_from([1.0, 0.9]))
def test_clustered_value_equals_history_value(seed: int, horizon: int, discount: float) -> None:
    rng = np.random.default_rng(seed)
    model = random_model(seed, 2, 3, (2, 3), (2, 3), False)
    pol = random_clustered(model, horizon, rng)
    pol.validate(model.num_actions, model.num_observations)
    det = pol.to_deterministic(model.num_observations)
    assert close(evaluate_clustered(model, pol, discount=discount),
                 evaluate_deterministic(model, det, discount))
    # the identity embedding of a history policy has one type per history and the same value
    back = ClusteredPolicy.from_deterministic(det, model.num_observations)
    assert [n[0] for n in back.num_types()] == [2 ** t for t in range(horizon)]
    assert close(evaluate_clustered(model, back, discount=discount),
                 evaluate_deterministic(model, det, discount))
    for a, b in zip(back.to_deterministic(model.num_observations).actions, det.actions, strict=True):
        assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_json_round_trip_and_errors() -> None:
    model = hand_dec_tiger()
    pol = random_clustered(model, 4, np.random.default_rng(1))
    data = clustered_to_dict(pol, model)
    assert data["kind"] == "clustered" and data["actions"][0][0][0] in model.action_names[0]
    back = clustered_from_dict(data, model)
    assert evaluate_clustered(model, back) == pytest.approx(evaluate_clustered(model, pol))
    bad = dict(data, actions=[[["jump"], *data["actions"][0][1:]], data["actions"][1]])
    with pytest.raises(ParseError, match="jump"):
        clustered_from_dict(bad, model)
    with pytest.raises(ParseError, match="missing key"):
        clustered_from_dict({"kind": "clustered", "actions": data["actions"]}, model)
    wrong = ClusteredPolicy(pol.actions, (pol.successors[0], tuple(s + 10 for s in pol.successors[1])))
    with pytest.raises(GameError, match="successor type out of range"):
        wrong.validate(model.num_actions, model.num_observations)
    with pytest.raises(GameError, match="observation histories"):
        pol.to_deterministic(model.num_observations, max_histories=10)
    with pytest.raises(GameError, match="stages but the horizon"):
        evaluate_clustered(model, pol, horizon=3)


# ----------------------------------------------------------------------------- the heuristic
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_models())
def test_heuristics_are_ordered_upper_bounds(case: tuple[DecPOMDP, int, float]) -> None:
    """Q* ≤ Q_BG ≤ Q_POMDP ≤ Q_MDP at b0 (maximised over the first joint action)."""
    model, horizon, discount = case
    opt = solve_brute_force(model, horizon, discount).value
    qmdp = qmdp_values(model, horizon, discount)
    roots = {kind: float(np.nanmax(BeliefTable.build(model, horizon, discount, kind, qmdp).q[0][0]))
             for kind in ("qbg", "qpomdp")}
    mdp = float((model.initial @ qmdp[0]).max())
    tol = 1e-9 * max(1.0, abs(opt))
    assert opt <= roots["qbg"] + tol <= roots["qpomdp"] + 2 * tol <= mdp + 3 * tol


def test_dec_tiger_heuristic_tables_stay_small() -> None:
    """Beliefs equal to 12 decimals are one entry: Dec-Tiger's reachable beliefs after t listens
    are the 2t + 1 counts of heard-left minus heard-right (any door opening resets to b0)."""
    model = hand_dec_tiger()
    table = BeliefTable.build(model, 6, 1.0, "qbg", qmdp_values(model, 6, 1.0))
    assert table.tail == "reward" and table.stages == 5
    assert [ids.size for ids in table.stage_ids] == [1, 3, 5, 7, 9]


# ----------------------------------------------------------------------------- the search
def test_discounted_dec_tiger_matches_brute_force() -> None:
    model = hand_dec_tiger()
    for discount in (0.9, 0.5):
        bf = solve_brute_force(model, 2, discount)
        opt = solve_optimal(model, 2, discount)
        assert opt.optimal and close(opt.value, bf.value)
    # γ changes the value: -2 - 2γ for listening twice
    assert solve_optimal(model, 2, 0.5).value == pytest.approx(-3.0)


def test_anytime_bounds_bracket_the_optimum() -> None:
    """Stopped early or not, value ≤ optimum ≤ upper bound, and the gap is their difference."""
    model = hand_dec_tiger()
    exact = solve_optimal(model, 5, 1.0)
    assert exact.optimal and exact.upper_bound == exact.value and exact.stats["gap"] == 0.0
    for limit in (1e-6, 0.05):
        r = solve_optimal(model, 5, 1.0, time_limit=limit, heuristic="qmdp")
        assert r.value <= exact.value + 1e-9 <= r.upper_bound + 2e-9
        assert r.stats["gap"] == pytest.approx(r.upper_bound - r.value)
        assert r.stats["gap"] == 0.0 if r.optimal else r.stats["gap"] >= 0.0
        assert close(evaluate_clustered(model, r.policy), r.value)


def test_policies_are_executable_on_every_history() -> None:
    """Zero-probability histories still get an action (successor maps are total)."""
    model = random_model(3, 2, 2, (2, 2), (2, 2), True)
    r = solve_optimal(model, 4, 1.0)
    det = r.policy.to_deterministic(model.num_observations)
    det.validate(model.num_actions, model.num_observations)
    rng = np.random.default_rng(0)
    other = random_deterministic_policy(model, 4, rng)
    assert r.value >= evaluate_deterministic(model, other, 1.0) - 1e-9


# ----------------------------------------------------------------------------- long horizons
def _corpus(name: str) -> DecPOMDP:
    fmt = pytest.importorskip("games.dec_pomdp.madp_format")
    path = SHARED_DPOMDP / name
    if not path.exists():
        pytest.skip(f"corpus file {path} missing")
    return fmt.read_dpomdp(str(path))


@pytest.mark.parametrize(("horizon", "value"), [(20, 18.313228), (50, 45.501604)])
def test_broadcast_channel_long_horizons(horizon: int, value: float) -> None:
    """Published (masplan.org): h = 20 and h = 50. Histories collapse to one type per agent."""
    model = _corpus("broadcastChannel.dpomdp")
    r = solve_optimal(model, horizon, 1.0)
    assert r.optimal and r.upper_bound == r.value
    assert r.value == pytest.approx(value, abs=5e-7)
    assert r.policy.num_types() == [(1, 1)] * horizon


def test_fire_fighting_h4_matches_published() -> None:
    """-6.578834 (masplan.org); the value is checked on the history form too."""
    model = _corpus("fireFighting_2_3_3.dpomdp.gz")
    r = solve_optimal(model, 4, 1.0)
    assert r.optimal and r.value == pytest.approx(-6.578834, abs=5e-7)
    det = r.policy.to_deterministic(model.num_observations)
    assert close(evaluate_deterministic(model, det, 1.0), r.value)


def test_cut_tree_with_qmdp_tail_stays_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no budget the tree keeps only b0 and stage 1 is Q_MDP vectors: a looser but still
    admissible heuristic, so the search still returns the brute-force optimum."""
    import ce.planning.heuristic as heuristic

    monkeypatch.setattr(heuristic, "LEAF_BUDGET", 0.0)
    for seed in range(4):
        model = random_model(seed, 2, 3, (2, 2), (2, 2), seed % 2 == 0)
        table = BeliefTable.build(model, 3, 1.0, "qbg", qmdp_values(model, 3, 1.0))
        assert table.stages == 1 and table.tail == "qmdp"
        r = solve_optimal(model, 3, 1.0)
        assert r.optimal and close(r.value, solve_brute_force(model, 3, 1.0).value)
