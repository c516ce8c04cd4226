"""Tests of learners/exact/gradients.py (exact values and policy gradients of state-conditioned
product policies, Adam, softmax) and of the reverse-mode chain rule / inverse of
learners/exact/igc.py's mode-preserving modifier.

References used: games.dec_pomdp.evaluation.evaluate (an independent forward evaluator), central finite
differences (J is multilinear in the factor entries, so the central difference of a single entry
is exact up to rounding), and hand formulas on one-state one-step games.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from games.dec_pomdp.catalog import bridge_crossing, dec_tiger
from games.dec_pomdp.evaluation import evaluate
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import StochasticPolicy
from games.errors import ConfigError, GameError
from games.normal_form.catalog import climbing
from learners.exact.gradients import Adam, product_gradient, softmax, softmax_vjp
from learners.exact.igc import (
    DEFAULT_BASE_CAP,
    DEFAULT_RATIO_CAP,
    igc_modify,
    igc_modify_logits,
    igc_modify_vjp,
)

FEW = settings(max_examples=5, deadline=None)
SOME = settings(max_examples=40, deadline=None)

MODELS = {
    "bridge_crossing_h2": (bridge_crossing, 2),
    "dec_tiger_h2": (dec_tiger, 2),
    "dec_tiger_h3": (dec_tiger, 3),
}


def _broadcast(model: DecPOMDP, policy: StochasticPolicy) -> list[list[np.ndarray]]:
    """A decentralized policy as state-conditioned factors constant in s."""
    return [[np.broadcast_to(p, (model.num_states, *p.shape)) for p in agent] for agent in policy.probs]


def _random_factors(model: DecPOMDP, horizon: int, rng: np.random.Generator) -> list[list[np.ndarray]]:
    """Factors that genuinely depend on the state: an independent Dirichlet row per (s, h_i)."""
    return [[rng.dirichlet(np.ones(m), size=(model.num_states, (m * q) ** t)) for t in range(horizon)]
            for m, q in zip(model.num_actions, model.num_observations, strict=True)]


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_value_of_broadcast_decentralized_policy_equals_evaluate(name: str, seed: int) -> None:
    build, h = MODELS[name]
    model = build()
    policy = StochasticPolicy.random(model.num_actions, model.num_observations, h, seed)
    res = product_gradient(model, _broadcast(model, policy), h)
    assert res.value == pytest.approx(evaluate(model, policy, h), abs=1e-10)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_value_of_uniform_policy_equals_evaluate_and_reach_is_a_distribution(name: str) -> None:
    build, h = MODELS[name]
    model = build()
    policy = StochasticPolicy.uniform(model.num_actions, model.num_observations, h)
    res = product_gradient(model, _broadcast(model, policy), h)
    assert res.value == pytest.approx(evaluate(model, policy, h), abs=1e-10)
    for i in range(model.num_agents):
        assert len(res.reach[i]) == h
        for t in range(h):
            m, q = model.num_actions[i], model.num_observations[i]
            assert res.reach[i][t].shape == ((m * q) ** t,)
            assert res.reach[i][t].sum() == pytest.approx(1.0, abs=1e-12)
            assert np.all(res.reach[i][t] >= -1e-15)


def test_discounted_value_equals_evaluate_with_discount() -> None:
    model = dec_tiger()
    policy = StochasticPolicy.random(model.num_actions, model.num_observations, 3, 7)
    res = product_gradient(model, _broadcast(model, policy), 3, discount=0.8)
    assert res.value == pytest.approx(evaluate(model, policy, 3, discount=0.8), abs=1e-10)


# --------------------------------------------------------------------------- gradients


def _check_fd(model: DecPOMDP, h: int, factors: list[list[np.ndarray]], rng: np.random.Generator,
              count: int, discount: float = 1.0) -> None:
    res = product_gradient(model, factors, h, discount=discount)
    slots = [(i, t) for i in range(model.num_agents) for t in range(h)]
    step = 1e-4
    for _ in range(count):
        i, t = slots[rng.integers(len(slots))]
        idx = tuple(int(rng.integers(n)) for n in factors[i][t].shape)
        vals = []
        for sign in (1.0, -1.0):
            pert = [[f.copy() for f in agent] for agent in factors]
            pert[i][t][idx] += sign * step
            vals.append(product_gradient(model, pert, h, discount=discount, validate=False).value)
        fd = (vals[0] - vals[1]) / (2 * step)
        assert res.grads[i][t][idx] == pytest.approx(fd, abs=1e-7, rel=1e-6), (i, t, idx)


@FEW
@given(seed=st.integers(0, 2**31 - 1), name=st.sampled_from(sorted(MODELS)))
def test_gradient_matches_central_finite_differences(seed: int, name: str) -> None:
    build, h = MODELS[name]
    model = build()
    rng = np.random.default_rng(seed)
    factors = _random_factors(model, h, rng)
    res = product_gradient(model, factors, h)
    for i in range(model.num_agents):
        for t in range(h):
            assert res.grads[i][t].shape == factors[i][t].shape
    _check_fd(model, h, factors, rng, count=15)


def test_discounted_gradient_matches_finite_differences() -> None:
    model = dec_tiger()
    rng = np.random.default_rng(3)
    _check_fd(model, 3, _random_factors(model, 3, rng), rng, count=15, discount=0.7)


def test_gradient_is_exact_on_every_entry_of_bridge_crossing() -> None:
    """Every entry (not a sample): J is linear in each single factor entry, so FD is exact."""
    model = bridge_crossing()
    rng = np.random.default_rng(11)
    factors = _random_factors(model, 2, rng)
    res = product_gradient(model, factors, 2)
    for i in range(2):
        for t in range(2):
            fd = np.zeros(factors[i][t].shape)
            for idx in np.ndindex(*fd.shape):
                vals = []
                for sign in (1.0, -1.0):
                    pert = [[f.copy() for f in agent] for agent in factors]
                    pert[i][t][idx] += sign * 1e-3
                    vals.append(product_gradient(model, pert, 2, validate=False).value)
                fd[idx] = (vals[0] - vals[1]) / 2e-3
            np.testing.assert_allclose(res.grads[i][t], fd, atol=1e-8)


def test_one_state_one_step_gradient_is_payoff_times_partner_strategy() -> None:
    """J = β_0ᵀ R β_1, so ∂J/∂β_0 = R β_1 and ∂J/∂β_1 = Rᵀ β_0 (hand formula)."""
    model = DecPOMDP.from_normal_form(climbing())
    r = np.array([[11, -30, 0], [-30, 7, 6], [0, 0, 5]], dtype=float)
    b0, b1 = np.array([0.2, 0.5, 0.3]), np.array([0.6, 0.1, 0.3])
    res = product_gradient(model, [[b0.reshape(1, 1, 3)], [b1.reshape(1, 1, 3)]], 1, discount=0.5)
    assert res.value == pytest.approx(b0 @ r @ b1, abs=1e-12)
    np.testing.assert_allclose(res.grads[0][0].reshape(3), r @ b1, atol=1e-12)
    np.testing.assert_allclose(res.grads[1][0].reshape(3), r.T @ b0, atol=1e-12)
    np.testing.assert_allclose(res.reach[0][0], [1.0])


def test_bad_shapes_and_horizons_raise_game_error() -> None:
    model = bridge_crossing()
    factors = _random_factors(model, 2, np.random.default_rng(0))
    with pytest.raises(GameError):
        product_gradient(model, factors[:1], 2)                         # one agent's list missing
    with pytest.raises(GameError):
        product_gradient(model, [factors[0][:1], factors[1]], 2)        # too few steps
    with pytest.raises(GameError):
        product_gradient(model, [[factors[0][0][:, :, :1], factors[0][1]], factors[1]], 2)  # actions
    with pytest.raises(GameError):
        product_gradient(model, [[factors[0][0][:3], factors[0][1]], factors[1]], 2)        # states
    with pytest.raises(GameError):
        product_gradient(model, [[factors[0][0], factors[0][1][:, :3]], factors[1]], 2)     # histories
    with pytest.raises(GameError):
        product_gradient(model, factors, 0)


def test_longer_factor_lists_are_truncated_to_the_horizon() -> None:
    model = dec_tiger()
    factors = _random_factors(model, 3, np.random.default_rng(5))
    short = [agent[:2] for agent in factors]
    assert product_gradient(model, factors, 2).value == pytest.approx(
        product_gradient(model, short, 2).value, abs=1e-12)


# --------------------------------------------------------------------------- softmax, Adam


@SOME
@given(seed=st.integers(0, 2**31 - 1))
def test_softmax_vjp_matches_finite_differences(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, g = 3 * rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    p = softmax(x)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, atol=1e-12)
    got = softmax_vjp(p, g)
    for idx in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[idx] = 1e-6
        fd = ((g * softmax(x + e)).sum() - (g * softmax(x - e)).sum()) / 2e-6
        assert got[idx] == pytest.approx(fd, abs=1e-7)


def test_softmax_is_stable_for_huge_logits() -> None:
    p = softmax(np.array([1000.0, 1000.0, -1000.0]))
    np.testing.assert_allclose(p, [0.5, 0.5, 0.0], atol=1e-300)


def test_adam_first_step_moves_by_learning_rate_times_sign() -> None:
    """After one step m̂ = g and v̂ = g², so the step is lr g / (|g| + eps) ≈ lr sign(g)."""
    p = [np.array([1.0, -2.0, 0.5])]
    opt = Adam(p, lr=0.1)
    opt.ascend(p, [np.array([3.0, -0.5, 0.0])])
    np.testing.assert_allclose(p[0], [1.1, -2.1, 0.5], atol=1e-7)
    with pytest.raises(GameError):
        Adam(p, lr=0.0)


# --------------------------------------------------------------------------- IGC modifier


@st.composite
def full_support(draw, size: int) -> np.ndarray:
    w = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=size, max_size=size)))
    return w / w.sum()


def _tangent(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal(n)
    return v - v.mean()


@SOME
@given(data=st.data(), base=st.sampled_from(["clip", "scale"]), size=st.integers(2, 5),
       seed=st.integers(0, 2**31 - 1))
def test_igc_modify_vjp_matches_finite_differences(data, base: str, size: int, seed: int) -> None:
    alpha = data.draw(full_support(size))
    top = np.sort(alpha)[::-1]
    assume(top[0] - top[1] > 1e-3)                          # argmax locally constant
    ratio = alpha / alpha.max()
    if base == "clip":
        assume(np.all(np.abs(ratio - DEFAULT_BASE_CAP) > 1e-3))  # away from the min kink
    eps = np.array(data.draw(st.lists(st.floats(-4, 4), min_size=size, max_size=size)))
    g = np.array(data.draw(st.lists(st.floats(-2, 2), min_size=size, max_size=size)))
    g_alpha, g_eps = igc_modify_vjp(alpha, eps, g, base=base)

    def loss(a: np.ndarray, e: np.ndarray) -> float:
        return float(g @ igc_modify(a, e, base=base))

    rng = np.random.default_rng(seed)
    h = 1e-6
    for j in range(size):                                      # every logit direction
        e = np.zeros(size)
        e[j] = h
        fd = (loss(alpha, eps + e) - loss(alpha, eps - e)) / (2 * h)
        assert g_eps[j] == pytest.approx(fd, abs=1e-7)
    assert g_eps[int(np.argmax(alpha))] == 0.0                  # ε_k is unused
    for _ in range(3):                                          # simplex-tangent directions in α
        v = _tangent(rng, size)
        fd = (loss(alpha + h * v, eps) - loss(alpha - h * v, eps)) / (2 * h)
        assert float(g_alpha @ v) == pytest.approx(fd, abs=1e-6)
    # β depends on α only through α / α_k (homogeneous of degree 0): Euler gives ⟨∂L/∂α, α⟩ = 0.
    assert float(g_alpha @ alpha) == pytest.approx(0.0, abs=1e-9)


def test_igc_modify_vjp_full_jacobian_scale_base_batched() -> None:
    """Every coordinate of ∂L/∂α (free-coordinate partials: igc_modify never renormalises α)."""
    rng = np.random.default_rng(4)
    alpha = rng.dirichlet(np.ones(4), size=3)
    eps, g = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    g_alpha, g_eps = igc_modify_vjp(alpha, eps, g, base="scale")
    h = 1e-7                                                    # stays within the 1e-6 sum check
    for idx in np.ndindex(*alpha.shape):
        e = np.zeros_like(alpha)
        e[idx] = h
        fd = ((g * igc_modify(alpha + e, eps, base="scale")).sum()
              - (g * igc_modify(alpha - e, eps, base="scale")).sum()) / (2 * h)
        assert g_alpha[idx] == pytest.approx(fd, abs=1e-6)
        fd_e = ((g * igc_modify(alpha, eps + e, base="scale")).sum()
                - (g * igc_modify(alpha, eps - e, base="scale")).sum()) / (2 * h)
        assert g_eps[idx] == pytest.approx(fd_e, abs=1e-6)


def test_igc_modify_vjp_zero_probability_action_gets_no_logit_gradient() -> None:
    """α_j = 0 gives β_j = 0 for every ε, so ∂L/∂ε_j = 0 (and the stable form stays finite)."""
    alpha = np.array([0.6, 0.0, 0.4])
    g_alpha, g_eps = igc_modify_vjp(alpha, np.array([0.3, 2.0, -1.0]), np.array([1.0, 5.0, -2.0]))
    assert g_eps[1] == 0.0
    assert np.all(np.isfinite(g_alpha)) and np.all(np.isfinite(g_eps))


@SOME
@given(data=st.data(), size=st.integers(2, 6))
def test_scale_base_at_zero_logits_scales_every_ratio_by_q(data, size: int) -> None:
    alpha = data.draw(full_support(size))
    k = int(np.argmax(alpha))
    for cap in (DEFAULT_RATIO_CAP, 1.0 - 1e-6):
        beta = igc_modify(alpha, np.zeros(size), base="scale", ratio_cap=cap)
        np.testing.assert_allclose(np.delete(beta / beta[k], k),
                                   np.delete(DEFAULT_BASE_CAP * alpha / alpha[k], k), rtol=1e-12)


@st.composite
def with_ties(draw, size: int) -> np.ndarray:
    """Small integer weights: exact ties (also at the maximum) and zeros."""
    w = np.array(draw(st.lists(st.integers(0, 3), min_size=size, max_size=size)), dtype=float)
    assume(w.sum() > 0)
    return w / w.sum()


@SOME
@given(data=st.data(), size=st.integers(1, 5), rows=st.integers(1, 3))
def test_scale_base_keeps_the_argmax_strictly_ties_included(data, size: int, rows: int) -> None:
    alpha = np.stack([data.draw(with_ties(size)) for _ in range(rows)])
    eps = np.array(data.draw(st.lists(st.floats(-50, 50), min_size=size * rows, max_size=size * rows)))
    beta = igc_modify(alpha, eps.reshape(rows, size), base="scale")
    k = np.argmax(alpha, axis=-1)                               # lowest index among the maxima
    np.testing.assert_array_equal(np.argmax(beta, axis=-1), k)
    for r in range(rows):
        others = np.delete(beta[r], k[r])
        assert np.all(others < beta[r, k[r]])                   # strict mode
        np.testing.assert_array_equal(beta[r] > 0, alpha[r] > 0)   # support kept


@SOME
@given(data=st.data(), size=st.integers(2, 5))
def test_igc_modify_logits_inverts_scale_base(data, size: int) -> None:
    alpha = data.draw(full_support(size))
    eps = np.array(data.draw(st.lists(st.floats(-6, 6), min_size=size, max_size=size)))
    beta = igc_modify(alpha, eps, base="scale")
    back = igc_modify_logits(alpha, beta, base="scale")
    np.testing.assert_allclose(igc_modify(alpha, back, base="scale"), beta, atol=1e-12)
    k = int(np.argmax(alpha))
    assert back[k] == 0.0
    np.testing.assert_allclose(np.delete(back, k), np.delete(eps, k), atol=1e-5)


def test_igc_modify_logits_with_scale_base_recovers_a_target_distribution() -> None:
    alpha = np.array([0.5, 0.3, 0.2])
    target = np.array([0.4, 0.35, 0.25])                       # same mode, same support
    eps = igc_modify_logits(alpha, target, base="scale")
    np.testing.assert_allclose(igc_modify(alpha, eps, base="scale"), target, atol=1e-12)
    # The scale and clip bases differ at zero logits here (ratios 0.6 and 0.4 are below q = 0.9,
    # so clip gives β = α while scale gives ratios 0.54 and 0.36): the inverses must differ too.
    assert not np.allclose(eps, igc_modify_logits(alpha, target, base="clip"))


def test_unknown_base_raises() -> None:
    with pytest.raises(GameError):
        igc_modify(np.array([0.5, 0.5]), np.zeros(2), base="bogus")
    with pytest.raises(GameError):
        igc_modify_vjp(np.array([0.5, 0.5]), np.zeros(2), np.ones(2), base="bogus")


def test_igc_modify_vjp_default_base_matches_igc_modify() -> None:
    """Called with defaults, the vjp is the gradient of igc_modify with *its* defaults (clip base)."""
    alpha, eps, g = np.array([0.5, 0.3, 0.2]), np.array([0.0, 1.0, -1.0]), np.array([0.0, 1.0, 0.0])
    _, g_eps = igc_modify_vjp(alpha, eps, g)
    step = np.array([0.0, 1e-6, 0.0])
    fd = (igc_modify(alpha, eps + step) @ g - igc_modify(alpha, eps - step) @ g) / (2 * step[1])
    assert g_eps[1] == pytest.approx(fd, abs=1e-8)


def test_igc_modify_vjp_rejects_invalid_alpha() -> None:
    with pytest.raises(GameError):
        igc_modify_vjp(np.array([2.0, -1.0, 0.5]), np.zeros(3), np.ones(3))
    with pytest.raises(GameError):
        igc_modify_vjp(np.array([0.5, 0.5]), np.zeros(3), np.ones(3))


def test_bad_factor_values_and_discounts_are_refused() -> None:
    model = dec_tiger()
    pol = StochasticPolicy.random(model.num_actions, model.num_observations, 2, seed=0)
    factors = [[np.array(np.broadcast_to(p, (model.num_states, *p.shape))) for p in agent]
               for agent in pol.probs]
    bad = [[x.copy() for x in agent] for agent in factors]
    bad[1][1][0, 3] *= 2.0
    with pytest.raises(GameError, match=r"agent 1 step 1 factor .* row \(0, 3\) sums to"):
        product_gradient(model, bad, 2)
    bad = [[x.copy() for x in agent] for agent in factors]
    bad[0][0][1, 0, 0] = -0.5
    with pytest.raises(GameError, match="negative probability"):
        product_gradient(model, bad, 2)
    for gamma in (-1.0, 2.0, float("nan")):
        with pytest.raises(ConfigError, match="discount"):
            product_gradient(model, factors, 2, discount=gamma)
