"""Tests of learners/exact/agentmixer.py: tabular AgentMixer with exact IGC and exact gradients.

The training gradient is compared with central finite differences of an independently assembled
joint value (joint_factors + product_gradient), IGC is checked on every trained iterate, the
identifiability KL is recomputed by brute force over joint actions, and the coordination game's
optimum (2 at (A, A)) is checked by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from games.dec_pomdp.catalog import bridge_crossing, dec_tiger
from games.dec_pomdp.evaluation import evaluate, occupancies
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import StochasticPolicy
from games.errors import ConfigError
from games.normal_form.catalog import coordination
from learners.exact.agentmixer import (
    RATIO_CAP,
    AgentMixerConfig,
    _step,
    joint_factors,
    joint_identifiability,
    run_agentmixer,
)
from learners.exact.gradients import product_gradient, softmax
from learners.exact.igc import DEFAULT_BASE_CAP, igc_modify

FEW = settings(max_examples=5, deadline=None)

MODELS = {
    "coordination": (lambda: DecPOMDP.from_normal_form(coordination()), 1),
    "bridge_crossing": (bridge_crossing, 2),
    "dec_tiger_h2": (dec_tiger, 2),
}


def _coordination() -> DecPOMDP:
    return DecPOMDP.from_normal_form(coordination())


def _random_params(model: DecPOMDP, h: int, k: int, rng: np.random.Generator):
    phi = [[[rng.standard_normal(((m * q) ** t, m)) for t in range(h)]
            for m, q in zip(model.num_actions, model.num_observations, strict=True)] for _ in range(k)]
    eps = [[[rng.standard_normal((model.num_states, m)) for _ in range(h)] for m in model.num_actions]
           for _ in range(k)]
    return phi, eps


def _joint_value(model: DecPOMDP, h: int, phi, eps) -> float:
    """E_ω J(π_θ(· | s, h, ω)) assembled from the public pieces."""
    total = 0.0
    for w in range(len(phi)):
        factors = [[joint_factors(softmax(phi[w][i][t]), eps[w][i][t]) for t in range(h)]
                   for i in range(model.num_agents)]
        total += product_gradient(model, factors, h).value
    return total / len(phi)


def _flat(params) -> list[np.ndarray]:
    return [x for seed in params for agent in seed for x in agent]


# --------------------------------------------------------------------------- gradient


@FEW
@given(seed=st.integers(0, 2**31 - 1), name=st.sampled_from(["bridge_crossing", "dec_tiger_h2"]),
       k=st.integers(1, 2))
def test_training_gradient_matches_finite_differences_of_the_joint_value(seed: int, name: str,
                                                                          k: int) -> None:
    build, h = MODELS[name]
    model = build()
    rng = np.random.default_rng(seed)
    phi, eps = _random_params(model, h, k, rng)
    value, grads = _step(model, h, phi, eps)
    assert value == pytest.approx(_joint_value(model, h, phi, eps), abs=1e-10)
    params = _flat(phi) + _flat(eps)
    n_phi = len(_flat(phi))
    assert len(grads) == len(params)
    assert all(g.shape == p.shape for g, p in zip(grads, params, strict=True))
    # a few φ entries and a few ε entries (ε at the mode index included when drawn: gradient 0)
    picks = [int(rng.integers(n_phi)) for _ in range(4)] + \
            [n_phi + int(rng.integers(len(params) - n_phi)) for _ in range(4)]
    step = 1e-6
    for p_idx in picks:
        arr = params[p_idx]
        idx = tuple(int(rng.integers(n)) for n in arr.shape)
        orig = arr[idx]
        arr[idx] = orig + step
        up = _joint_value(model, h, phi, eps)
        arr[idx] = orig - step
        down = _joint_value(model, h, phi, eps)
        arr[idx] = orig
        fd = (up - down) / (2 * step)
        assert grads[p_idx][idx] == pytest.approx(fd, abs=2e-7, rel=1e-5), (p_idx, idx)


def test_mode_logit_gets_zero_gradient() -> None:
    """β ignores ε at the mode index (A - 1 degrees of freedom), so its gradient is exactly 0."""
    model = dec_tiger()
    rng = np.random.default_rng(2)
    phi, eps = _random_params(model, 2, 1, rng)
    _, grads = _step(model, 2, phi, eps)
    n_phi = len(_flat(phi))
    for j, (g, e_arr) in enumerate(zip(grads[n_phi:], _flat(eps), strict=True)):
        w, rest = divmod(j, model.num_agents * 2)
        i, t = divmod(rest, 2)
        k = np.argmax(softmax(phi[w][i][t]), axis=-1)          # (H,), one mode per history
        assert e_arr.shape == g.shape
        # ε[s, a] is shared across histories: it gets no gradient only if a is the mode everywhere
        for a in range(g.shape[1]):
            if np.all(k == a):
                np.testing.assert_array_equal(g[:, a], 0.0)


# --------------------------------------------------------------------------- IGC, training


@FEW
@given(seed=st.integers(0, 10**6), init=st.sampled_from(["uniform", "random"]),
       iterations=st.integers(0, 12), name=st.sampled_from(sorted(MODELS)), k=st.integers(1, 2))
def test_igc_holds_for_every_trained_iterate(seed: int, init: str, iterations: int, name: str,
                                             k: int) -> None:
    build, h = MODELS[name]
    model = build()
    cfg = AgentMixerConfig(iterations=iterations, lr=0.3, init=init, seed=seed, num_seeds=k)
    res = run_agentmixer(model, cfg, horizon=h)
    for w in range(k):
        for i in range(model.num_agents):
            for t in range(h):
                alpha = softmax(res.phi[w][i][t])
                beta = joint_factors(alpha, res.eps[w][i][t])
                assert beta.shape == (model.num_states, *alpha.shape)
                want = np.broadcast_to(np.argmax(alpha, axis=-1), beta.shape[:2])
                np.testing.assert_array_equal(np.argmax(beta, axis=-1), want)


def test_coordination_from_uniform_reaches_the_optimum_mode_value() -> None:
    """Optimum 2 at (A, A) (R = [[2, 0], [0, 1]]), also the MMDP optimum of a one-state game.

    From uniform φ the modes are A by the lowest-index tie rule, so the mode value is 2 from the
    start; the joint value must climb from the scale-base start towards 2.
    """
    model = _coordination()
    res = run_agentmixer(model, AgentMixerConfig(iterations=300))
    assert res.mode_values[-1] == pytest.approx(2.0, abs=1e-12)
    assert res.final_joint_value <= 2.0 + 1e-12
    assert res.final_joint_value > 1.99
    assert res.final_joint_value > res.joint_values[0]
    assert res.final_value > 1.95                               # sampled α is close to (A, A) too
    assert res.iterations == list(range(0, 301, 10))
    assert len(res.joint_values) == 301


@pytest.mark.parametrize("tilt", [0.1, 0.5])
def test_coordination_climbs_from_a_b_biased_start_to_the_optimum(tilt: float) -> None:
    """Starting with both modes on B (mode value 1), training moves both modes to A (value 2)."""
    model = _coordination()
    start = [[np.array([0.0, tilt])], [np.array([0.0, tilt])]]
    res = run_agentmixer(model, AgentMixerConfig(iterations=300), init_logits=start)
    assert res.mode_values[0] == pytest.approx(1.0, abs=1e-12)
    assert res.mode_values[-1] == pytest.approx(2.0, abs=1e-12)


def test_recorded_values_match_evaluation_of_the_executed_policies() -> None:
    model = bridge_crossing()
    res = run_agentmixer(model, AgentMixerConfig(iterations=7, record_every=3, init="random", seed=1,
                                                 num_seeds=2), horizon=2)
    assert res.iterations == [0, 3, 6, 7]
    assert len(res.joint_values) == 8
    assert res.final_value == pytest.approx(evaluate(model, res.decentralized_policy(), 2), abs=1e-12)
    assert res.mode_values[-1] == pytest.approx(
        evaluate(model, res.decentralized_policy(deterministic=True), 2), abs=1e-12)
    assert res.final_joint_value == pytest.approx(_joint_value(model, 2, res.phi, res.eps), abs=1e-12)


def test_zero_iterations_records_the_initial_point() -> None:
    model = _coordination()
    res = run_agentmixer(model, AgentMixerConfig(iterations=0))
    assert res.iterations == [0]
    assert res.sampled_values == [pytest.approx(0.75)]          # uniform: (2 + 1) / 4
    # ε = 0, scale base: β = (1, q)/(1 + q) on both agents, J = (2 + q²)/(1 + q)²
    q = DEFAULT_BASE_CAP
    assert res.joint_values == [pytest.approx((2 + q * q) / (1 + q) ** 2, abs=1e-12)]


# --------------------------------------------------------------------------- identifiability


def _kl(p: np.ndarray, r: np.ndarray) -> float:
    mask = p > 0
    return float((p[mask] * np.log(p[mask] / r[mask])).sum())


def test_identifiability_on_a_one_step_game_is_the_sum_of_kls() -> None:
    model = _coordination()
    res = run_agentmixer(model, AgentMixerConfig(iterations=20, init="random", seed=3, num_seeds=2))
    want = 0.0
    for w in range(2):
        for i in range(2):
            alpha = softmax(res.phi[w][i][0][0])
            beta = igc_modify(alpha, res.eps[w][i][0][0], ratio_cap=RATIO_CAP, base="scale")
            want += _kl(beta, alpha) / 2
    got = joint_identifiability(model, res)
    assert got >= 0.0
    assert got == pytest.approx(want, abs=1e-12)
    assert got > 0.0                                            # β ≠ α (scale base), so KL > 0


def test_identifiability_equals_brute_force_over_joint_histories_and_actions() -> None:
    """Σ_t Σ_{s,h} ρ^α_t(s, h) KL(Π_i β^i || Π_i α^i), the KL taken over joint actions explicitly."""
    model = bridge_crossing()
    res = run_agentmixer(model, AgentMixerConfig(iterations=15, init="random", seed=0), horizon=2)
    alphas = [[softmax(x) for x in agent] for agent in res.phi[0]]
    rhos = occupancies(model, StochasticPolicy(tuple(tuple(a) for a in alphas)), 2)
    want = 0.0
    for t in range(2):
        b0 = joint_factors(alphas[0][t], res.eps[0][0][t])
        b1 = joint_factors(alphas[1][t], res.eps[0][1][t])
        for s, h0, h1 in np.ndindex(*rhos[t].shape):
            if rhos[t][s, h0, h1] == 0:
                continue
            jb = np.outer(b0[s, h0], b1[s, h1])
            ja = np.outer(alphas[0][t][h0], alphas[1][t][h1])
            want += rhos[t][s, h0, h1] * _kl(jb.ravel(), ja.ravel())
    assert joint_identifiability(model, res) == pytest.approx(want, rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("seed", [0, 1])
def test_identifiability_is_non_negative(seed: int) -> None:
    model = dec_tiger()
    res = run_agentmixer(model, AgentMixerConfig(iterations=5, init="random", seed=seed), horizon=2)
    assert joint_identifiability(model, res) >= 0.0


# --------------------------------------------------------------------------- execution, config


def test_deterministic_decentralized_policy_is_the_argmax_of_phi() -> None:
    model = dec_tiger()
    res = run_agentmixer(model, AgentMixerConfig(iterations=5, init="random", num_seeds=3), horizon=2)
    det = res.decentralized_policy(deterministic=True)
    sampled = res.decentralized_policy()
    np.testing.assert_allclose(det.weights, [1 / 3] * 3)
    for w in range(3):
        for i in range(2):
            for t in range(2):
                p = det.policies[w].probs[i][t]
                assert set(np.unique(p)) <= {0.0, 1.0}
                np.testing.assert_array_equal(p.sum(axis=-1), 1.0)
                np.testing.assert_array_equal(np.argmax(p, axis=-1), np.argmax(res.phi[w][i][t], axis=-1))
                np.testing.assert_allclose(sampled.policies[w].probs[i][t], softmax(res.phi[w][i][t]))


@pytest.mark.parametrize("kwargs", [
    {"iterations": -1}, {"num_seeds": 0}, {"record_every": 0}, {"init": "zeros"},
    {"lr": 0.0}, {"lr": -0.1},
])
def test_config_validation(kwargs: dict) -> None:
    with pytest.raises(ConfigError, match=f"AgentMixerConfig.{next(iter(kwargs))}"):
        AgentMixerConfig(**kwargs)


def test_bad_horizon_raises() -> None:
    with pytest.raises(ConfigError):
        run_agentmixer(_coordination(), AgentMixerConfig(iterations=1), horizon=0)
