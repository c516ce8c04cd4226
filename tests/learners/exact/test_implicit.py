"""Tests of learners/exact/implicit.py: Eq. 7, the distillation iteration and Def. 5.

Brute-force references here work on the full occupancy ρ_t(s, h^1, ..., h^N) (from
``behaviour_occupancies``), whereas the module computes the KL from per-agent marginals: the
two routes agreeing is itself a check of the decomposition in ``identifiability``'s docstring.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ce.planning import solve_mmdp
from games.dec_pomdp.catalog import bridge_crossing, random_dpomdp
from games.dec_pomdp.evaluation import evaluate, evaluate_joint, occupancies
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import StochasticPolicy
from games.normal_form.catalog import climbing, random_game, sum_to_ten
from learners.exact import (
    Mixture,
    behaviour_occupancies,
    distillation,
    identifiability,
    implicit_product_policy,
    uniform_optimal_joint_policy,
)

SETTINGS = settings(max_examples=30, deadline=None)


def _product_joint(model: DecPOMDP, factors: list[np.ndarray]) -> np.ndarray:
    """π(ja) = Π_i p_i(a_i) in MADP order (C order, last agent fastest)."""
    joint = np.ones(())
    for p in factors:
        joint = np.multiply.outer(joint, p)
    return joint.ravel()


def _product_tensor(model: DecPOMDP, phi: StochasticPolicy, t: int) -> np.ndarray:
    """Π_i φ^i_t(a_i | h^i) as an array (H_1, ..., H_N, JA)."""
    n = model.num_agents
    out = np.ones(())
    for i in range(n):
        out = np.multiply.outer(out, phi.probs[i][t])  # axes h_1 a_1 h_2 a_2 ...
    out = np.transpose(out, [2 * i for i in range(n)] + [2 * i + 1 for i in range(n)])
    return out.reshape(*out.shape[:n], -1)


def _brute_kl(model: DecPOMDP, pi: np.ndarray, phi: StochasticPolicy, rhos: list[np.ndarray]) -> float:
    """Σ_t Σ_{s,h} ρ_t(s, h) KL(π_t(· | s) || Π_i φ^i_t(· | h^i)), straight from the definition."""
    total = 0.0
    for t, rho in enumerate(rhos):
        prod = _product_tensor(model, phi, t)
        for idx in zip(*np.nonzero(rho), strict=True):
            s, h = idx[0], idx[1:]
            p, q = pi[t, s], prod[h]
            pos = p > 0
            if np.any(q[pos] <= 0):
                return float("inf")
            total += rho[idx] * float(np.sum(p[pos] * np.log(p[pos] / q[pos])))
    return total


def _equal_on_support(model: DecPOMDP, pi: np.ndarray, phi: StochasticPolicy) -> bool:
    rhos = occupancies(model, phi, pi.shape[0])
    for t, rho in enumerate(rhos):
        prod = _product_tensor(model, phi, t)
        for idx in zip(*np.nonzero(rho), strict=True):
            if not np.allclose(pi[t, idx[0]], prod[idx[1:]], atol=1e-12):
                return False
    return True


def _random_joint(model: DecPOMDP, horizon: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(model.num_joint_actions), size=(horizon, model.num_states))


# --------------------------------------------------------------------------- one-step games
@pytest.mark.parametrize("game", [climbing(), sum_to_ten(3, 3, 3),
                                  random_game(2, 4, seed=3, cooperative=True)])
def test_product_joint_policy_is_recovered_exactly(game) -> None:
    model = DecPOMDP.from_normal_form(game)
    rng = np.random.default_rng(0)
    factors = [rng.dirichlet(np.ones(m)) for m in model.num_actions]
    pi = _product_joint(model, factors)[None, None, :]  # (H=1, S=1, JA)
    behaviour = StochasticPolicy.random(model.num_actions, model.num_observations, 1, seed=1)
    for psi in (behaviour, pi):  # one state: the posterior is b0 whatever the behaviour
        got = implicit_product_policy(model, pi, psi)
        for i, p in enumerate(factors):  # the marginal of a product is its factor
            np.testing.assert_allclose(got.probs[i][0][0], p, atol=1e-14)
        # π_θ equals the product everywhere, so Def. 5's KL vanishes
        assert identifiability(model, pi, got) == pytest.approx(0.0, abs=1e-12)
    # and the value of the recovered product is the joint policy's (same action distribution)
    assert evaluate(model, got) == pytest.approx(evaluate_joint(model, pi), abs=1e-12)


# --------------------------------------------------------------------------- bridge crossing
def test_bridge_distilled_policy_matches_the_catalog() -> None:
    model = bridge_crossing()
    pi = uniform_optimal_joint_policy(model, 2)
    # the tie rule of the catalog: uniform over optimal joint actions; the MMDP value is -2.25
    assert evaluate_joint(model, pi) == pytest.approx(-2.25, abs=1e-12)
    assert evaluate_joint(model, pi) == pytest.approx(solve_mmdp(model, 2).value, abs=1e-12)
    distilled = implicit_product_policy(model, pi, pi)  # the expert's own trajectories
    for i in range(2):
        # AOH at t = 1 is a_0 * 2 + o: small (o = 0) -> passage 1; big -> passage 2 w.p. 3/4,
        # whatever the (uninformative) briefing action a_0 was
        np.testing.assert_allclose(distilled.probs[i][1], [[1, 0], [0.25, 0.75]] * 2, atol=1e-14)
    # the catalog docstring's number, derived there by brute force: -(2.25 + 9 * 10 / 32)
    assert evaluate(model, distilled) == pytest.approx(-5.0625, abs=1e-12)
    # the expert is not a product on the distilled policy's occupancy: Def. 5's KL is positive
    kl = identifiability(model, pi, distilled)
    assert kl > 0.1
    rhos = behaviour_occupancies(model, pi, distilled)
    assert kl == pytest.approx(_brute_kl(model, pi, distilled, rhos), abs=1e-12)


def test_bridge_distillation_and_beta_mixture_reach_the_same_failure() -> None:
    model = bridge_crossing()
    pi = uniform_optimal_joint_policy(model, 2)
    plain = distillation(model, pi, 4)
    # physiques do not depend on actions, so every behaviour gives the same posteriors and one step
    # already lands on the distilled policy (values[0] is the uniform initial policy)
    assert plain.values[1:] == pytest.approx([-5.0625] * 4, abs=1e-12)
    assert plain.change[1:] == pytest.approx([0.0] * 3, abs=1e-14)
    mixed = distillation(model, pi, 4, beta_schedule=[1.0, 0.5, 0.25, 0.0])
    assert mixed.betas == [1.0, 0.5, 0.25, 0.0]
    assert mixed.values[-1] == pytest.approx(-5.0625, abs=1e-12)
    assert mixed.identifiability[-1] == pytest.approx(plain.identifiability[-1], abs=1e-12)


def test_distillation_is_a_fixed_point_after_one_step_from_the_fixed_point() -> None:
    model = bridge_crossing()
    pi = uniform_optimal_joint_policy(model, 2)
    star = distillation(model, pi, 3).policy
    again = distillation(model, pi, 1, init=star)
    # η* = implicit(π_θ, η*): one more step changes no row and keeps value and KL
    assert again.change == [0.0] or again.change[0] < 1e-14
    assert again.values[1] == pytest.approx(again.values[0], abs=1e-14)
    assert again.identifiability[1] == pytest.approx(again.identifiability[0], abs=1e-14)


@SETTINGS
@given(seed=st.integers(0, 10_000), actions=st.integers(2, 4))
def test_one_step_distillation_is_a_fixed_point_after_one_step(seed: int, actions: int) -> None:
    # one state: the posterior never depends on the behaviour, so η_1 is already the fixed point
    model = DecPOMDP.from_normal_form(random_game(2, actions, seed=seed, cooperative=True))
    pi = _random_joint(model, 1, seed)
    res = distillation(model, pi, 2, init=StochasticPolicy.random(model.num_actions,
                                                                   model.num_observations, 1, seed))
    assert res.change[1] < 1e-14


def test_unreachable_rows_use_the_prior_weighted_marginal_and_do_not_change_the_value() -> None:
    model = bridge_crossing()
    # deterministic tie-break (first optimal joint action): at the briefing both agents take
    # passage 1, so histories with a_0 = passage 2 are never reached under the expert
    pi = np.eye(model.num_joint_actions)[solve_mmdp(model, 2).policy]
    got = implicit_product_policy(model, pi, pi)
    rho1 = behaviour_occupancies(model, pi, pi)[1]
    state = rho1.reshape(model.num_states, -1).sum(axis=1)
    for i in range(2):
        marg = pi[1].reshape(-1, 2, 2).sum(axis=2 - i)
        for h in (2, 3):  # a_0 = 1: the documented rule, Σ_s ρ_1(s) m^i_1(a | s)
            np.testing.assert_allclose(got.probs[i][1][h], state @ marg, atol=1e-14)
    # the product follows the expert at t = 0 (passage 1), so it never reaches those rows either:
    # overwriting them arbitrarily leaves its value unchanged
    probs = [list(agent) for agent in got.probs]
    for i in range(2):
        probs[i][1] = probs[i][1].copy()
        probs[i][1][2:] = [[0.9, 0.1], [0.0, 1.0]]
    other = StochasticPolicy(tuple(tuple(a) for a in probs))
    assert evaluate(model, other) == pytest.approx(evaluate(model, got), abs=1e-14)


# --------------------------------------------------------------------------- random models
def _small_model(seed: int, states: int, horizon: int) -> DecPOMDP:
    return random_dpomdp(agents=2, states=states, actions=2, observations=2, seed=seed, horizon=horizon)


@SETTINGS
@given(seed=st.integers(0, 10_000), states=st.integers(1, 3), horizon=st.integers(1, 3),
       kind=st.sampled_from(["product", "joint", "mixture"]))
def test_implicit_rows_are_distributions(seed: int, states: int, horizon: int, kind: str) -> None:
    model = _small_model(seed, states, horizon)
    pi = _random_joint(model, horizon, seed)
    eta = StochasticPolicy.random(model.num_actions, model.num_observations, horizon, seed)
    behaviour = {"product": eta, "joint": pi, "mixture": Mixture(0.3, eta)}[kind]
    got = implicit_product_policy(model, pi, behaviour)
    got.validate(model.num_actions, model.num_observations)  # shapes, rows sum to 1, no negatives
    assert all(p.max() <= 1 + 1e-12 for agent in got.probs for p in agent)
    # each occupancy is a distribution (the forward pass loses no mass)
    for rho in behaviour_occupancies(model, pi, behaviour):
        assert rho.sum() == pytest.approx(1.0, abs=1e-12) and rho.min() >= 0


@SETTINGS
@given(seed=st.integers(0, 10_000), states=st.integers(1, 3), horizon=st.integers(1, 3))
def test_mixture_occupancies_interpolate_product_and_joint(seed: int, states: int, horizon: int) -> None:
    # the generic forward pass: β = 0 is the product's occupancy (games.dec_pomdp.evaluation's own pass),
    # β = 1 the joint policy's; and the state marginal under π_θ is the MMDP's state distribution
    model = _small_model(seed, states, horizon)
    pi = _random_joint(model, horizon, seed)
    eta = StochasticPolicy.random(model.num_actions, model.num_observations, horizon, seed)
    for got, want in zip(behaviour_occupancies(model, pi, Mixture(0.0, eta)),
                         occupancies(model, eta, horizon), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-14)
    for a, b in zip(behaviour_occupancies(model, pi, Mixture(1.0, eta)),
                    behaviour_occupancies(model, pi, pi), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-14)
    dist = model.initial
    for t, rho in enumerate(behaviour_occupancies(model, pi, pi)):
        np.testing.assert_allclose(rho.reshape(model.num_states, -1).sum(axis=1), dist, atol=1e-12)
        dist = np.einsum("s,sa,sat->t", dist, pi[t], model.transition)


@SETTINGS
@given(seed=st.integers(0, 10_000), states=st.integers(1, 3), horizon=st.integers(1, 2),
       beta=st.floats(0.0, 1.0))
def test_implicit_policy_is_the_forward_kl_projection(seed: int, states: int, horizon: int,
                                                      beta: float) -> None:
    # with the behaviour's occupancy fixed, no product policy has a smaller expected KL (Eqs. 8-9)
    model = _small_model(seed, states, horizon)
    pi = _random_joint(model, horizon, seed)
    eta = StochasticPolicy.random(model.num_actions, model.num_observations, horizon, seed + 1)
    behaviour = Mixture(beta, eta)
    rhos = behaviour_occupancies(model, pi, behaviour)
    best = _brute_kl(model, pi, implicit_product_policy(model, pi, behaviour), rhos)
    for k in range(5):
        rival = StochasticPolicy.random(model.num_actions, model.num_observations, horizon, seed + 2 + k)
        assert best <= _brute_kl(model, pi, rival, rhos) + 1e-12


@SETTINGS
@given(seed=st.integers(0, 10_000), states=st.integers(1, 3), horizon=st.integers(1, 2))
def test_identifiability_matches_the_definition_and_is_nonnegative(seed: int, states: int,
                                                                   horizon: int) -> None:
    model = _small_model(seed, states, horizon)
    pi = _random_joint(model, horizon, seed)
    phi = StochasticPolicy.random(model.num_actions, model.num_observations, horizon, seed)
    kl = identifiability(model, pi, phi)
    assert kl >= 0  # a sum of KL divergences with non-negative weights
    assert kl == pytest.approx(_brute_kl(model, pi, phi, occupancies(model, phi, horizon)), abs=1e-10)
    # a Dirichlet joint policy is almost surely not a product, and random T, O reach every (s, h)
    assert (kl > 1e-12) == (not _equal_on_support(model, pi, phi))


@SETTINGS
@given(seed=st.integers(0, 10_000), states=st.integers(2, 4), perturb=st.booleans(),
       dead=st.integers(0, 1))
def test_identifiability_is_zero_iff_the_joint_policy_is_the_product_on_the_support(
        seed: int, states: int, perturb: bool, dead: int) -> None:
    # one step, h = () for everyone: the support is {s : b0(s) > 0}; state 0 gets b0 = 0 when
    # ``dead`` (off the support π_θ is arbitrary and must not count)
    rng = np.random.default_rng(seed)
    b0 = rng.dirichlet(np.ones(states))
    if dead:
        b0[0] = 0.0
        b0 /= b0.sum()
    ja = 4
    model = DecPOMDP(transition=np.full((states, ja, states), 1.0 / states),
                     observation=np.ones((ja, states, 1)), reward=rng.normal(size=(states, ja)),
                     initial=b0, num_actions=(2, 2), num_observations=(1, 1), horizon=1)
    phi = StochasticPolicy.random((2, 2), (1, 1), 1, seed)
    pi = np.tile(_product_joint(model, [phi.probs[0][0][0], phi.probs[1][0][0]]), (1, states, 1))
    if dead:
        pi[0, 0] = rng.dirichlet(np.ones(ja))  # off the support: no effect
    if perturb:
        s = int(rng.integers(dead, states))  # a state on the support
        pi[0, s] = 0.5 * pi[0, s] + 0.5 * np.eye(ja)[int(rng.integers(ja))]
    kl = identifiability(model, pi, phi)
    assert kl >= 0
    equal = _equal_on_support(model, pi, phi)
    assert equal == (not perturb)  # the construction does what it says
    assert (kl == pytest.approx(0.0, abs=1e-12)) == equal


def test_identifiability_is_infinite_when_the_product_excludes_an_expert_action() -> None:
    model = DecPOMDP.from_normal_form(climbing())
    pi = np.full((1, 1, 9), 1.0 / 9)
    phi = StochasticPolicy(((np.array([[1.0, 0.0, 0.0]]),), (np.full((1, 3), 1.0 / 3),)))
    assert identifiability(model, pi, phi) == float("inf")  # KL(p || q) = ∞ when q = 0 < p


def test_brute_reference_helpers_agree_on_tiny_joint_index() -> None:
    # _product_tensor puts agent 0's action most significant, as the MADP joint order requires
    model = DecPOMDP.from_normal_form(climbing())
    phi = StochasticPolicy.random((3, 3), (1, 1), 1, 5)
    tensor = _product_tensor(model, phi, 0)[0, 0]
    for a0, a1 in itertools.product(range(3), repeat=2):
        assert tensor[model.joint_action((a0, a1))] == pytest.approx(
            phi.probs[0][0][0, a0] * phi.probs[1][0][0, a1])
