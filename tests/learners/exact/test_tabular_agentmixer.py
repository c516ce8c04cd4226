"""Tests of tabular AgentMixer (learners/exact/agentmixer*.py), both constructions.

The paper's construction (product joint): its training gradient is compared with central finite
differences of an independently assembled joint value. Both constructions: IGC is checked on the
joint policy after *every* training step (hand-offs included) through the callback, the recorded
values against exact evaluation, the identifiability KL against a brute force over joint actions,
and the coordination game's optimum (2 at (A, A)) by hand.
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
from games.normal_form.catalog import climbing, coordination, penalty
from learners.exact.agentmixer import (
    AgentMixerConfig,
    TrainingStep,
    joint_identifiability,
    run_agentmixer,
    run_agentmixer_batch,
)
from learners.exact.agentmixer_coupled import propose_modes
from learners.exact.agentmixer_product import ProductMixer, joint_factors
from learners.exact.gradients import joint_tables, product_gradient, softmax
from learners.exact.igc import DEFAULT_BASE_CAP, joint_mode, mode

FEW = settings(max_examples=6, deadline=None)

MODELS = {
    "coordination": (lambda: DecPOMDP.from_normal_form(coordination()), 1),
    "climbing": (lambda: DecPOMDP.from_normal_form(climbing()), 1),
    "penalty": (lambda: DecPOMDP.from_normal_form(penalty(-100.0)), 1),
    "bridge_crossing": (bridge_crossing, 2),
    "dec_tiger_h2": (dec_tiger, 2),
}
CONSTRUCTIONS = {
    "coupled_npg": AgentMixerConfig(),
    "coupled_adam": AgentMixerConfig(optimizer="adam"),
    "product": AgentMixerConfig.paper(),
}


def _coordination() -> DecPOMDP:
    return DecPOMDP.from_normal_form(coordination())


def _config(name: str, **changes: object) -> AgentMixerConfig:
    base = CONSTRUCTIONS[name]
    return AgentMixerConfig(**{**base.__dict__, **changes})


def _random_phi(model: DecPOMDP, h: int, k: int, rng: np.random.Generator):
    return [[[rng.standard_normal(((m * q) ** t, m)) for t in range(h)]
             for m, q in zip(model.num_actions, model.num_observations, strict=True)] for _ in range(k)]


def _joint_value(model: DecPOMDP, h: int, mixer: ProductMixer) -> float:
    """Σ_ω p_ω J(Π_i igc_modify(softmax(φ), ε)) assembled from the public pieces."""
    total = 0.0
    for w in range(len(mixer.phi)):
        factors = [[joint_factors(softmax(mixer.phi[w][i][t]), mixer.eps[w][i][t]) for t in range(h)]
                   for i in range(model.num_agents)]
        total += mixer.prior[w] * product_gradient(model, factors, h).value
    return total


# --------------------------------------------------------------------------- the paper's gradient


@FEW
@given(seed=st.integers(0, 2**31 - 1), name=st.sampled_from(["bridge_crossing", "dec_tiger_h2"]),
       k=st.integers(1, 2), learn=st.booleans())
def test_product_gradient_matches_finite_differences_of_the_joint_value(seed: int, name: str, k: int,
                                                                        learn: bool) -> None:
    build, h = MODELS[name]
    model = build()
    rng = np.random.default_rng(seed)
    mixer = ProductMixer(model, h, _random_phi(model, h, k, rng), 0.1, learn)
    for x in mixer.params:
        x += rng.standard_normal(x.shape)                      # ε and the prior off zero too
    value, grads = mixer.gradient()
    assert value == pytest.approx(_joint_value(model, h, mixer), abs=1e-10)
    assert all(g.shape == p.shape for g, p in zip(grads, mixer.params, strict=True))
    picks = [int(rng.integers(len(mixer.params))) for _ in range(8)] + [len(mixer.params) - 1]
    step = 1e-6
    for p_idx in picks:
        arr = mixer.params[p_idx]
        idx = tuple(int(rng.integers(n)) for n in arr.shape)
        orig = arr[idx]
        arr[idx] = orig + step
        up = _joint_value(model, h, mixer)
        arr[idx] = orig - step
        down = _joint_value(model, h, mixer)
        arr[idx] = orig
        fd = (up - down) / (2 * step) if (learn or p_idx < len(mixer.params) - 1) else 0.0
        assert grads[p_idx][idx] == pytest.approx(fd, abs=2e-7, rel=1e-5), (p_idx, idx)


# --------------------------------------------------------------------------- IGC at every step


@FEW
@given(seed=st.integers(0, 10**6), init=st.sampled_from(["uniform", "random"]),
       iterations=st.integers(1, 25), name=st.sampled_from(sorted(MODELS)), k=st.integers(1, 2),
       construction=st.sampled_from(sorted(CONSTRUCTIONS)))
def test_joint_mode_is_the_tuple_of_modes_after_every_step(seed: int, init: str, iterations: int,
                                                            name: str, k: int, construction: str) -> None:
    """Def. 6 on the trained joint after every update, right after hand-offs included."""
    build, h = MODELS[name]
    model = build()
    steps: list[TrainingStep] = []
    cfg = _config(construction, iterations=iterations, lr=0.3, init=init, seed=seed, num_seeds=k)
    run_agentmixer(model, cfg, horizon=h, callback=steps.append)
    assert [s.iteration for s in steps] == list(range(iterations))
    n = model.num_agents
    for step in steps:
        for w in range(k):
            for t in range(h):
                pi, modes = step.joints[w][t], [step.modes[w][i][t] for i in range(n)]
                for idx in np.ndindex(*pi.shape[:1 + n]):
                    want = tuple(int(modes[i][idx[1 + i]]) for i in range(n))
                    assert joint_mode(pi[idx]) == want, (step.iteration, step.handed_off, idx)


def test_igc_holds_right_after_a_hand_off_on_climbing() -> None:
    """From (a2, b2) (value 7) the coupled joint hands both modes to (a1, b1) (value 11)."""
    model = MODELS["climbing"][0]()
    start = [[np.log([[0.2, 0.6, 0.2]])], [np.log([[0.2, 0.6, 0.2]])]]
    steps: list[TrainingStep] = []
    res = run_agentmixer(model, AgentMixerConfig(iterations=40), init_logits=start, callback=steps.append)
    handed = [s for s in steps if s.handed_off]
    assert handed and res.handoffs == [s.iteration for s in handed]
    assert res.mode_values[0] == 7.0 and res.mode_values[-1] == 11.0
    for s in handed:
        assert joint_mode(s.joints[0][0][0, 0, 0]) == (int(s.modes[0][0][0][0]), int(s.modes[0][1][0][0]))


@pytest.mark.parametrize("name", ["climbing", "penalty", "bridge_crossing"])
def test_hand_offs_never_lower_the_executed_value(name: str) -> None:
    build, h = MODELS[name]
    model = build()
    values = []

    def watch(step: TrainingStep) -> None:
        pol = StochasticPolicy(tuple(tuple(np.eye(m)[k] for k in agent)
                                     for m, agent in zip(model.num_actions, step.modes[0], strict=True)))
        values.append(evaluate(model, pol, h))

    run_agentmixer(model, AgentMixerConfig(iterations=60, init="random", seed=3), horizon=h, callback=watch)
    assert np.all(np.diff(values) >= -1e-12)


# --------------------------------------------------------------------------- hand-off rule


def test_propose_modes_needs_the_margin_and_is_hysteretic() -> None:
    scores = np.array([[1.0, 1.9, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 0.0], [2.0, 2.0, 1.0]])
    current = np.array([0, 0, 1, 2])
    # row 0: below the margin; row 1: at it; row 2: unreached; row 3: tie goes to the lowest index
    np.testing.assert_array_equal(propose_modes(scores, current, 1.0), [0, 1, 1, 0])
    moved = propose_modes(scores, current, 1.0)
    # the same scores never hand the mode back (that needs a (1 + margin)^2 turn)
    np.testing.assert_array_equal(propose_modes(scores, moved, 1.0), moved)


def test_batch_equals_the_general_runner_on_climbing() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.dirichlet(np.ones(3), size=6), rng.dirichlet(np.ones(3), size=6)
    cfg = AgentMixerConfig(iterations=40)
    batch = run_agentmixer_batch(climbing(), cfg, [np.log(x), np.log(y)])
    model = MODELS["climbing"][0]()
    for b in range(6):
        res = run_agentmixer(model, cfg, init_logits=[[np.log(x[b])[None]], [np.log(y[b])[None]]])
        assert res.mode_values[-1] == pytest.approx(batch.mode_values[-1, b], abs=1e-12)
        assert res.final_joint_value == pytest.approx(batch.joint_values[-1, b], abs=1e-10)
        assert res.final_value == pytest.approx(batch.sampled_values[-1, b], abs=1e-10)
        assert len(res.handoffs) == batch.handoffs[b]


def test_coupled_climbing_from_every_grid_start_reaches_the_optimum() -> None:
    from verification.climbing import simplex_grid

    grid = simplex_grid(6)
    x, y = np.repeat(grid, len(grid), axis=0), np.tile(grid, (len(grid), 1))
    res = run_agentmixer_batch(climbing(), AgentMixerConfig(iterations=100), [np.log(x), np.log(y)])
    np.testing.assert_array_equal(res.mode_values[-1], 11.0)
    paper = run_agentmixer_batch(climbing(), AgentMixerConfig.paper(iterations=300), [np.log(x), np.log(y)])
    assert np.mean(paper.mode_values[-1] == 11.0) < 0.5


@pytest.mark.parametrize("seed", range(3))
def test_coupled_bridge_crossing_reaches_the_decentralized_optimum(seed: int) -> None:
    res = run_agentmixer(bridge_crossing(), AgentMixerConfig(iterations=150, init="random", seed=seed))
    assert res.mode_values[-1] == pytest.approx(-3.0, abs=1e-12)


# --------------------------------------------------------------------------- values, identifiability


@pytest.mark.parametrize("construction", sorted(CONSTRUCTIONS))
def test_coordination_from_uniform_reaches_the_optimum_mode_value(construction: str) -> None:
    """Optimum 2 at (A, A) (R = [[2, 0], [0, 1]]): from uniform the modes are A (lowest index)."""
    res = run_agentmixer(_coordination(), _config(construction, iterations=300))
    assert res.mode_values[-1] == pytest.approx(2.0, abs=1e-12)
    assert 1.99 < res.final_joint_value <= 2.0 + 1e-12
    assert res.final_joint_value > res.joint_values[0]
    assert res.final_value > 1.95
    assert res.iterations == list(range(0, 301, 10))
    assert len(res.joint_values) == 301


@pytest.mark.parametrize("construction", sorted(CONSTRUCTIONS))
@pytest.mark.parametrize("tilt", [0.1, 0.5])
def test_coordination_climbs_from_a_b_biased_start_to_the_optimum(construction: str, tilt: float) -> None:
    start = [[np.array([0.0, tilt])], [np.array([0.0, tilt])]]
    res = run_agentmixer(_coordination(), _config(construction, iterations=300), init_logits=start)
    assert res.mode_values[0] == pytest.approx(1.0, abs=1e-12)
    assert res.mode_values[-1] == pytest.approx(2.0, abs=1e-12)


@pytest.mark.parametrize("construction", sorted(CONSTRUCTIONS))
def test_recorded_values_match_evaluation_of_the_executed_policies(construction: str) -> None:
    model = bridge_crossing()
    cfg = _config(construction, iterations=7, record_every=3, init="random", seed=1, num_seeds=2,
                  prior="learned")
    res = run_agentmixer(model, cfg, horizon=2)
    assert res.iterations == [0, 3, 6, 7]
    assert len(res.joint_values) == 8
    assert res.final_value == pytest.approx(evaluate(model, res.decentralized_policy(), 2), abs=1e-12)
    assert res.mode_values[-1] == pytest.approx(
        evaluate(model, res.decentralized_policy(deterministic=True), 2), abs=1e-12)
    joint = sum(p * joint_tables(model, res.joints[w], 2).value for w, p in enumerate(res.prior))
    assert res.final_joint_value == pytest.approx(joint, abs=1e-12)
    assert res.prior.sum() == pytest.approx(1.0) and not np.allclose(res.prior, 0.5)


def test_zero_iterations_records_the_initial_point() -> None:
    res = run_agentmixer(_coordination(), AgentMixerConfig.paper(iterations=0))
    assert res.iterations == [0]
    assert res.sampled_values == [pytest.approx(0.75)]          # uniform: (2 + 1) / 4
    q = DEFAULT_BASE_CAP                                        # scale base: β = (1, q)/(1 + q)
    assert res.joint_values == [pytest.approx((2 + q * q) / (1 + q) ** 2, abs=1e-12)]


def _kl(p: np.ndarray, r: np.ndarray) -> float:
    mask = p > 0
    return float((p[mask] * np.log(p[mask] / r[mask])).sum())


@pytest.mark.parametrize("construction", sorted(CONSTRUCTIONS))
def test_identifiability_equals_brute_force_over_joint_histories_and_actions(construction: str) -> None:
    """Σ_ω p_ω Σ_t Σ_{s,h} ρ^α_t(s, h) KL(π_θ(· | s, h) || Π_i α^i(· | h_i)), explicitly."""
    model = bridge_crossing()
    res = run_agentmixer(model, _config(construction, iterations=15, init="random", seed=0, num_seeds=2),
                         horizon=2)
    want = 0.0
    for w in range(2):
        alphas = res.alphas[w]
        rhos = occupancies(model, StochasticPolicy(tuple(tuple(a) for a in alphas)), 2)
        for t in range(2):
            for s, h0, h1 in np.ndindex(*rhos[t].shape):
                if rhos[t][s, h0, h1] > 0:
                    ja = np.outer(alphas[0][t][h0], alphas[1][t][h1])
                    kl = _kl(res.joints[w][t][s, h0, h1].ravel(), ja.ravel())
                    want += res.prior[w] * rhos[t][s, h0, h1] * kl
    got = joint_identifiability(model, res)
    assert got == pytest.approx(want, rel=1e-10, abs=1e-14)
    assert got > 0.0


# --------------------------------------------------------------------------- execution, config


def test_deterministic_execution_plays_the_mode_of_the_probabilities() -> None:
    """Logits (0, 1e-17) have equal probabilities: the mode is action 0 (lowest index), as the
    joint's; the argmax of the logits would be action 1."""
    start = [[np.array([0.0, 1e-17])], [np.array([0.0, 1e-17])]]
    for construction in sorted(CONSTRUCTIONS):
        res = run_agentmixer(_coordination(), _config(construction, iterations=0), init_logits=start)
        det = res.decentralized_policy(deterministic=True)
        for i in range(2):
            np.testing.assert_array_equal(det.policies[0].probs[i][0], [[1.0, 0.0]])
        assert joint_mode(res.joints[0][0][0, 0, 0]) == (0, 0)


def test_decentralized_policies_use_the_prior_and_the_modes() -> None:
    model = dec_tiger()
    res = run_agentmixer(model, AgentMixerConfig.paper(iterations=5, init="random", num_seeds=3), horizon=2)
    det, sampled = res.decentralized_policy(deterministic=True), res.decentralized_policy()
    np.testing.assert_allclose(det.weights, [1 / 3] * 3)
    for w in range(3):
        for i in range(2):
            for t in range(2):
                p = det.policies[w].probs[i][t]
                assert set(np.unique(p)) <= {0.0, 1.0}
                np.testing.assert_array_equal(np.argmax(p, axis=-1), mode(res.alphas[w][i][t]))
                np.testing.assert_array_equal(res.modes[w][i][t], mode(res.alphas[w][i][t]))
                np.testing.assert_allclose(sampled.policies[w].probs[i][t], res.alphas[w][i][t])


@pytest.mark.parametrize("kwargs", [
    {"iterations": -1}, {"num_seeds": 0}, {"record_every": 0}, {"init": "zeros"},
    {"lr": 0.0}, {"lr": -0.1}, {"joint": "tensor"}, {"optimizer": "sgd"}, {"handoff_margin": -1.0},
    {"prior": "dirichlet"},
])
def test_config_validation(kwargs: dict) -> None:
    with pytest.raises(ConfigError, match=f"AgentMixerConfig.{next(iter(kwargs))}"):
        AgentMixerConfig(**kwargs)


def test_the_paper_construction_is_selectable_and_has_no_hand_off() -> None:
    assert AgentMixerConfig(iterations=5, init="random").joint == "coupled"
    paper = AgentMixerConfig.paper(iterations=5)
    assert (paper.joint, paper.optimizer, paper.handoff_margin) == ("product", "adam", None)
    with pytest.raises(ConfigError, match="optimizer"):
        AgentMixerConfig(joint="product")
    with pytest.raises(ConfigError, match="handoff_margin"):
        AgentMixerConfig(joint="product", optimizer="adam")


def test_bad_horizon_raises() -> None:
    with pytest.raises(ConfigError):
        run_agentmixer(_coordination(), AgentMixerConfig(iterations=1), horizon=0)
