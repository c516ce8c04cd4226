"""Tests of the exact baselines: independent decentralized PG learners (decentralized.py), the
centralized soft-policy-iteration learner (centralized.py) and AIL (ail.py).

Reference values: the exact planners ce.planning.solve_optimal (decentralized optimum) and
solve_mmdp (fully observable optimum), the numbers derived in games/dpomdp_catalog.py's
bridge_crossing docstring (MMDP -2.25, decentralized -3, distilled -5.0625), and hand payoffs of
the catalog matrix games.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ce.planning import solve_mmdp, solve_optimal
from games.dec_pomdp.catalog import bridge_crossing, dec_tiger
from games.dec_pomdp.evaluation import evaluate, evaluate_joint
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import StochasticPolicy
from games.errors import ConfigError
from games.normal_form.catalog import climbing, coordination, penalty
from learners.exact.ail import AilConfig, run_ail
from learners.exact.centralized import CentralizedConfig, joint_q_values, run_centralized
from learners.exact.decentralized import (
    DecentralizedConfig,
    decentralized_gradient,
    initial_logits,
    run_decentralized,
)

# --------------------------------------------------------------------------- decentralized


def test_decentralized_improves_steadily_on_coordination() -> None:
    """Uniform start is worth (2 + 1)/4 = 0.75; both agents move to A, worth the optimum 2.

    Adam carries no monotonicity guarantee; on this symmetric 2x2 game the trajectory is
    observed to increase at every step (smallest increment ~8e-6), so a 1e-9 slack is used.
    """
    model = DecPOMDP.from_normal_form(coordination())
    res = run_decentralized(model, DecentralizedConfig(iterations=300))
    assert res.values[0] == pytest.approx(0.75, abs=1e-12)
    assert len(res.values) == 301
    assert np.all(np.diff(res.values) >= -1e-9)
    assert 1.99 < res.final_value <= 2.0 + 1e-12


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_decentralized_reaches_the_decentralized_optimum_on_bridge_crossing(seed: int) -> None:
    """solve_optimal gives V*_dec = -3 (staggering); no product policy can exceed it. After 300
    exact Adam steps the measured values are -3.0025 .. -3.0040 for seeds 0..4 (softmax policies
    approach the deterministic optimum only asymptotically), hence the 0.01 tolerance; the
    next-best deterministic policy is worth -4.5 (enumerated), far outside it."""
    model = bridge_crossing()
    v_dec = solve_optimal(model, 2).value
    assert v_dec == pytest.approx(-3.0, abs=1e-12)
    res = run_decentralized(model, DecentralizedConfig(iterations=300, init="random", seed=seed), horizon=2)
    assert res.final_value <= v_dec + 1e-9
    assert res.final_value == pytest.approx(v_dec, abs=0.01)
    assert res.final_value == pytest.approx(evaluate(model, res.policy, 2), abs=1e-12)


@pytest.mark.parametrize("build,h", [(bridge_crossing, 2), (dec_tiger, 2), (dec_tiger, 3)])
def test_decentralized_gradient_matches_finite_differences(build, h: int) -> None:
    model = build()
    rng = np.random.default_rng(h)
    logits = initial_logits(model, h, "random", 1.0, seed=5)
    value, grads = decentralized_gradient(model, logits, h)
    pol = [[np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True) for x in agent] for agent in logits]
    assert value == pytest.approx(evaluate(model, StochasticPolicy(tuple(tuple(a) for a in pol)), h),
                                  abs=1e-10)
    step = 1e-6
    for _ in range(12):
        i, t = int(rng.integers(model.num_agents)), int(rng.integers(h))
        idx = tuple(int(rng.integers(n)) for n in logits[i][t].shape)
        orig = logits[i][t][idx]
        logits[i][t][idx] = orig + step
        up = decentralized_gradient(model, logits, h)[0]
        logits[i][t][idx] = orig - step
        down = decentralized_gradient(model, logits, h)[0]
        logits[i][t][idx] = orig
        assert grads[i][t][idx] == pytest.approx((up - down) / (2 * step), abs=1e-7, rel=1e-6)
    # softmax logits are shift-invariant per row: every row of the gradient sums to 0
    for agent in grads:
        for g in agent:
            np.testing.assert_allclose(g.sum(axis=-1), 0.0, atol=1e-10)


@pytest.mark.parametrize("kwargs", [{"iterations": -1}, {"init": "bogus"}, {"lr": 0.0}])
def test_decentralized_config_validation(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        DecentralizedConfig(**kwargs)


def test_decentralized_bad_horizon_raises() -> None:
    with pytest.raises(ConfigError):
        run_decentralized(bridge_crossing(), DecentralizedConfig(iterations=1), horizon=0)


# --------------------------------------------------------------------------- centralized


@pytest.mark.parametrize("build,h", [(bridge_crossing, 2), (dec_tiger, 2)])
def test_centralized_reaches_the_mmdp_optimum(build, h: int) -> None:
    model = build()
    res = run_centralized(model, horizon=h)
    v_mmdp = solve_mmdp(model, h).value
    assert res.final_value == pytest.approx(v_mmdp, abs=1e-6)
    assert res.final_value <= v_mmdp + 1e-9
    assert len(res.values) == 101
    # soft policy iteration (mirror descent with exact Q) improves monotonically
    assert np.all(np.diff(res.values) >= -1e-9)
    assert res.final_value == pytest.approx(evaluate_joint(model, res.policy, h), abs=1e-12)


def test_bridge_crossing_mmdp_optimum_is_minus_2_25() -> None:
    """Catalog docstring (a): per-state costs 2, 2.5, 2.5, 2, each physique pair w.p. 1/4."""
    res = run_centralized(bridge_crossing(), horizon=2)
    assert res.final_value == pytest.approx(-2.25, abs=1e-6)


def test_centralized_keeps_tied_optimal_joint_actions_at_equal_mass() -> None:
    """Tied joint actions have identical Q at every iteration, so from the uniform start they get
    identical multiplicative updates and stay exactly equal.

    bridge_crossing: at the briefing (t = 0, state 0) every joint action is worth the same
    (reward 0, same transition), so π_0(· | briefing) stays uniform; in big-big (state 4) at t = 1
    the separating actions (p1, p2) = joint 1 and (p2, p1) = joint 2 both cost 0.5 + 1.5 = 2.
    """
    res = run_centralized(bridge_crossing(), horizon=2)
    np.testing.assert_allclose(res.policy[0, 0], 0.25, atol=1e-15)
    assert res.policy[1, 4, 1] == pytest.approx(res.policy[1, 4, 2], abs=1e-15)
    assert res.policy[1, 4, 1] == pytest.approx(0.5, abs=1e-9)


def test_centralized_splits_evenly_between_the_penalty_games_two_optima() -> None:
    """Penalty game: (a1, b1) and (a3, b3) both pay 10, mirror images of each other."""
    model = DecPOMDP.from_normal_form(penalty())
    res = run_centralized(model, CentralizedConfig(iterations=60))
    pi = res.policy[0, 0].reshape(3, 3)
    assert pi[0, 0] == pytest.approx(pi[2, 2], abs=1e-15)
    assert pi[0, 0] == pytest.approx(0.5, abs=1e-9)
    assert res.final_value == pytest.approx(10.0, abs=1e-6)


def _q_by_loops(model: DecPOMDP, actions: np.ndarray, discount: float) -> np.ndarray:
    """Q^π_t(s, a) = R(s, a) + γ Σ_s' T(s, a, s') Q^π_{t+1}(s', π_{t+1}(s')) for deterministic π."""
    h, s_count, ja = actions.shape[0], model.num_states, model.num_joint_actions
    q = np.zeros((h, s_count, ja))
    for t in reversed(range(h)):
        for s, a in itertools.product(range(s_count), range(ja)):
            cont = 0.0
            if t + 1 < h:
                for s2 in range(s_count):
                    cont += model.transition[s, a, s2] * q[t + 1, s2, actions[t + 1, s2]]
            q[t, s, a] = model.reward[s, a] + discount * cont
    return q


@pytest.mark.parametrize("build,h", [(bridge_crossing, 2), (dec_tiger, 3)])
@pytest.mark.parametrize("discount", [1.0, 0.9])
def test_joint_q_values_match_backward_induction_for_a_deterministic_policy(build, h: int,
                                                                            discount: float) -> None:
    model = build()
    rng = np.random.default_rng(0)
    actions = rng.integers(model.num_joint_actions, size=(h, model.num_states))
    policy = np.eye(model.num_joint_actions)[actions]
    q = joint_q_values(model, policy, discount)
    np.testing.assert_allclose(q, _q_by_loops(model, actions, discount), atol=1e-12)
    v0 = np.take_along_axis(q[0], actions[0][:, None], axis=1)[:, 0]
    assert float(model.initial @ v0) == pytest.approx(evaluate_joint(model, policy, discount=discount),
                                                      abs=1e-12)


def test_centralized_config_validation() -> None:
    for kwargs in ({"iterations": -1}, {"eta": 0.0}, {"eta": -1.0}):
        with pytest.raises(ConfigError):
            CentralizedConfig(**kwargs)
    with pytest.raises(ConfigError):
        run_centralized(bridge_crossing(), horizon=0)


# --------------------------------------------------------------------------- AIL


def test_ail_on_bridge_crossing_converges_to_the_distillation_failure() -> None:
    """Catalog docstring (c): the imitator plays small -> 1, big -> 2 w.p. 3/4, cost 2.25 + 9·10/32,
    value -5.0625, below the decentralized optimum -3 (the asymmetric learning failure)."""
    model = bridge_crossing()
    res = run_ail(model, horizon=2)
    assert res.expert.final_value == pytest.approx(-2.25, abs=1e-6)
    assert res.final_value == pytest.approx(-5.0625, abs=1e-9)
    assert res.final_value < solve_optimal(model, 2).value
    assert res.final_value == pytest.approx(evaluate(model, res.student.policy, 2), abs=1e-12)


def test_ail_on_climbing_recovers_the_unique_optimum() -> None:
    """One state and a unique optimal joint action (a1, b1) = 11: the expert concentrates on it, and
    the product of its marginals (point masses) is optimal."""
    model = DecPOMDP.from_normal_form(climbing())
    res = run_ail(model)
    assert res.final_value == pytest.approx(11.0, abs=1e-9)
    for i in range(2):
        np.testing.assert_allclose(res.student.policy.probs[i][0], [[1.0, 0.0, 0.0]], atol=1e-9)


@pytest.mark.parametrize("kwargs", [{"iterations": -1}, {"anneal": -1}, {"beta0": 1.5}, {"beta0": -0.1}])
def test_ail_config_validation(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        AilConfig(**kwargs)
