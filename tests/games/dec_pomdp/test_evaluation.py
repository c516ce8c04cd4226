"""Tests of games/evaluation.py: exact values and occupancies of Dec-POMDP policies.

Every number is checked against a second, independent method written here in plain Python:

* ``_naive_value``: a recursive enumeration over every (state, joint action-observation history)
  path, V(t, s, h) = Σ_a π(a | h) [R(s, a) + γ Σ_{s', o} T(s, a, s') O(a, s', o) V(t+1, s', h a o)];
* ``_naive_occupancy``: the same enumeration run forward, giving ρ_t(s, h_1, ..., h_N) as a dict
  keyed by explicit history tuples (indexed by the documented AOH convention only at the end);
* brute enumeration of every (s_0, a_0, ..., s_{H-1}, a_{H-1}) path for joint policies, and a
  2000-step truncated forward sum for stationary discounted ones;
* a truncated forward recursion of the (state, last joint observation) chain built with explicit
  loops for reactive policies;
* hand derivations from the Dec-Tiger reward table (Nair et al. 2003) for known values.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

import numpy as np
import pytest
from dpomdp_reference import DistFn, Hist
from dpomdp_reference import aoh_index as _aoh_index
from dpomdp_reference import naive_value as _naive_value
from dpomdp_reference import oh_index as _oh_index
from dpomdp_reference import random_model as _random_model
from dpomdp_reference import tables as _tables
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from games.dec_pomdp.evaluation import (
    agent_occupancies,
    evaluate,
    evaluate_joint,
    occupancies,
)
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import (
    CorrelatedPolicy,
    DeterministicPolicy,
    StochasticPolicy,
)
from games.errors import GameError

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ATOL = 1e-10



# --------------------------------------------------------------------------- independent helpers
def _stochastic_fn(model: DecPOMDP, pol: StochasticPolicy) -> DistFn:
    def fn(i: int, t: int, hist: Hist) -> np.ndarray:
        m, q = model.num_actions[i], model.num_observations[i]
        return pol.probs[i][t][_aoh_index(hist, m, q)]
    return fn


def _deterministic_fn(model: DecPOMDP, pol: DeterministicPolicy) -> DistFn:
    """Reads the observation-history table directly (never through to_stochastic)."""
    def fn(i: int, t: int, hist: Hist) -> np.ndarray:
        m, q = model.num_actions[i], model.num_observations[i]
        return np.eye(m)[int(pol.actions[i][t][_oh_index(hist, q)])]
    return fn


def _naive_occupancy(model: DecPOMDP, fn: DistFn, horizon: int) -> list[dict]:
    """[t]: {(s, (h_1, ..., h_N)): probability} over explicit history tuples."""
    ja_tab, jo_tab = _tables(model)
    n = model.num_agents
    cur: dict = {(s, ((),) * n): float(model.initial[s]) for s in range(model.num_states)}
    out = [cur]
    for t in range(horizon - 1):
        nxt: dict = defaultdict(float)
        for (s, hists), p in cur.items():
            pis = [fn(i, t, hists[i]) for i in range(n)]
            for ja, acts in enumerate(ja_tab):
                pa = p * math.prod(float(pis[i][acts[i]]) for i in range(n))
                for s2 in range(model.num_states):
                    for jo, os in enumerate(jo_tab):
                        q = pa * float(model.transition[s, ja, s2] * model.observation[ja, s2, jo])
                        key = (s2, tuple(hists[i] + ((acts[i], os[i]),) for i in range(n)))
                        nxt[key] += q
        cur = dict(nxt)
        out.append(cur)
    return out


def _dense(model: DecPOMDP, occ: dict, t: int) -> np.ndarray:
    shape = (model.num_states, *((m * q) ** t for m, q in
                                 zip(model.num_actions, model.num_observations, strict=True)))
    arr = np.zeros(shape)
    for (s, hists), p in occ.items():
        idx = tuple(_aoh_index(h, m, q) for h, m, q in
                    zip(hists, model.num_actions, model.num_observations, strict=True))
        arr[(s, *idx)] += p
    return arr


def _joint_action_matrix(model: DecPOMDP, pol: StochasticPolicy, t: int) -> np.ndarray:
    """P(ja | h_1..h_N) as a (Π H_i, JA) matrix built from explicit index loops."""
    sizes = [pol.probs[i][t].shape[0] for i in range(model.num_agents)]
    ja_tab, _ = _tables(model)
    out = np.zeros((math.prod(sizes), len(ja_tab)))
    for row, hs in enumerate(itertools.product(*(range(k) for k in sizes))):
        for ja, acts in enumerate(ja_tab):
            out[row, ja] = math.prod(pol.probs[i][t][hs[i], acts[i]] for i in range(len(hs)))
    return out


# --------------------------------------------------------------------------- strategies
@st.composite
def model_cases(draw: st.DrawFn, max_leaves: int = 30000) -> tuple[DecPOMDP, int, int]:
    """(model, policy horizon, seed): 2-3 agents, 1-3 states, 1-3 actions, 1-2 observations.

    The horizon is capped so the naive enumeration (S (JA S JO)^(H-1) JA leaves) stays small.
    """
    n = draw(st.integers(2, 3))
    acts = tuple(draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)))
    obs = tuple(draw(st.lists(st.integers(1, 2), min_size=n, max_size=n)))
    states = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    ja, jo = math.prod(acts), math.prod(obs)
    h_max = max(h for h in (1, 2, 3) if h == 1 or states * (ja * states * jo) ** (h - 1) * ja <= max_leaves)
    horizon = draw(st.integers(1, h_max))
    return _random_model(np.random.default_rng(seed), acts, obs, states, horizon=horizon), horizon, seed


def _random_deterministic(model: DecPOMDP, horizon: int, seed: int) -> DeterministicPolicy:
    rng = np.random.default_rng(seed)
    return DeterministicPolicy(tuple(
        tuple(rng.integers(0, m, size=q ** t) for t in range(horizon))
        for m, q in zip(model.num_actions, model.num_observations, strict=True)))


# --------------------------------------------------------------------------- evaluate
@SETTINGS
@given(model_cases(), st.data())
def test_evaluate_matches_naive_recursion(case: tuple[DecPOMDP, int, int], data: st.DataObject) -> None:
    model, horizon, seed = case
    pol = StochasticPolicy.random(model.num_actions, model.num_observations, horizon, seed)
    h_eval = data.draw(st.integers(1, horizon), label="evaluation horizon")
    gamma = data.draw(st.sampled_from([1.0, 0.9, 0.5]), label="discount")
    fn = _stochastic_fn(model, pol)
    # Second method: the recursive path enumeration (the definition of the value).
    want = _naive_value(model, fn, h_eval, gamma)
    assert evaluate(model, pol.prefix(h_eval), h_eval, gamma) == pytest.approx(want, abs=ATOL)
    # discount=None means the model's γ (1 here); horizon=None the model's horizon.
    assert evaluate(model, pol.prefix(h_eval), h_eval) == pytest.approx(
        _naive_value(model, fn, h_eval), abs=ATOL)
    assert evaluate(model, pol) == pytest.approx(_naive_value(model, fn, horizon), abs=ATOL)
    # The rule refuses a policy whose length is not the horizon: nothing is cut silently.
    if h_eval < horizon:
        with pytest.raises(GameError, match="steps but the horizon"):
            evaluate(model, pol, h_eval)


@SETTINGS
@given(model_cases())
def test_occupancies_match_forward_enumeration(case: tuple[DecPOMDP, int, int]) -> None:
    model, horizon, seed = case
    pol = StochasticPolicy.random(model.num_actions, model.num_observations, horizon, seed)
    occ = occupancies(model, pol)
    naive = _naive_occupancy(model, _stochastic_fn(model, pol), horizon)
    assert len(occ) == horizon
    total = 0.0
    for t, rho in enumerate(occ):
        # Shape (S, H_1(t), ..., H_N(t)) with H_i(t) = (|A_i||O_i|)^t (docstring).
        want = _dense(model, naive[t], t)
        assert rho.shape == want.shape
        # Independent forward enumeration with explicit history tuples.
        np.testing.assert_allclose(rho, want, atol=1e-12)
        # A probability distribution at every step: nonnegative, sums to 1.
        assert rho.min() >= 0.0
        assert rho.sum() == pytest.approx(1.0, abs=1e-12)
        # Definition of occupancy: V = Σ_t Σ_{s,h,a} ρ_t(s, h) π_t(a | h) R(s, a).
        p_ja = _joint_action_matrix(model, pol, t)
        total += float(np.sum((rho.reshape(model.num_states, -1) @ p_ja) * model.reward))
    assert total == pytest.approx(evaluate(model, pol), abs=ATOL)


@SETTINGS
@given(model_cases())
def test_agent_occupancies_are_marginals_and_posteriors(case: tuple[DecPOMDP, int, int]) -> None:
    model, horizon, seed = case
    pol = StochasticPolicy.random(model.num_actions, model.num_observations, horizon, seed)
    naive = _naive_occupancy(model, _stochastic_fn(model, pol), horizon)
    views = agent_occupancies(model, pol)
    assert len(views) == horizon
    for t, per_agent in enumerate(views):
        rho = _dense(model, naive[t], t)
        assert len(per_agent) == model.num_agents
        for i, ao in enumerate(per_agent):
            # Marginal of the (independently enumerated) joint occupancy over the others' histories.
            others = tuple(1 + j for j in range(model.num_agents) if j != i)
            np.testing.assert_allclose(ao.joint, rho.sum(axis=others), atol=1e-12)
            np.testing.assert_allclose(ao.reach, ao.joint.sum(axis=0), atol=1e-12)
            assert ao.reach.sum() == pytest.approx(1.0, abs=1e-12)
            _check_posterior(ao.joint, ao.reach, ao.posterior)


def _check_posterior(joint: np.ndarray, reach: np.ndarray, post: np.ndarray) -> None:
    """Bayes: posterior columns are distributions on reachable histories and 0 elsewhere."""
    assert post.min() >= 0.0
    live = reach > 0
    np.testing.assert_allclose(post[:, live].sum(axis=0), 1.0, atol=1e-12)
    np.testing.assert_array_equal(post[:, ~live], 0.0)
    np.testing.assert_allclose(post * reach[None, :], joint, atol=1e-12)


@SETTINGS
@given(model_cases())
def test_deterministic_policy_matches_its_stochastic_form(case: tuple[DecPOMDP, int, int]) -> None:
    model, horizon, seed = case
    det = _random_deterministic(model, horizon, seed)
    v = evaluate(model, det)
    # Second method: naive enumeration reading the observation-history table directly.
    assert v == pytest.approx(_naive_value(model, _deterministic_fn(model, det), horizon), abs=ATOL)
    # Same policy, other representation (to_stochastic is documented as the same policy).
    sto = det.to_stochastic(model.num_actions, model.num_observations)
    assert evaluate(model, sto) == pytest.approx(v, abs=ATOL)
    for a, b in zip(occupancies(model, det), occupancies(model, sto), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-14)


@SETTINGS
@given(model_cases())
def test_deterministic_reachable_histories(case: tuple[DecPOMDP, int, int]) -> None:
    model, horizon, seed = case
    det = _random_deterministic(model, horizon, seed)
    views = agent_occupancies(model, det)
    for t, per_agent in enumerate(views):
        for i, ao in enumerate(per_agent):
            m, q = model.num_actions[i], model.num_observations[i]
            # Dirichlet T and O rows are positive (a.s.), so an AOH is reachable iff each of its
            # actions is the one the policy picks after the observations before it.
            want = np.zeros((m * q) ** t, dtype=bool)
            for hist in itertools.product(itertools.product(range(m), range(q)), repeat=t):
                ok = all(hist[k][0] == det.actions[i][k][_oh_index(hist[:k], q)] for k in range(t))
                want[_aoh_index(hist, m, q)] = ok
            np.testing.assert_array_equal(ao.reach > 0, want)
            _check_posterior(ao.joint, ao.reach, ao.posterior)


@SETTINGS
@given(model_cases(), st.integers(1, 3))
def test_correlated_policy_is_weighted_average(case: tuple[DecPOMDP, int, int], k: int) -> None:
    model, horizon, seed = case
    rng = np.random.default_rng(seed + 1)
    weights = rng.dirichlet(np.ones(k))
    pols: list[StochasticPolicy | DeterministicPolicy] = []
    fns = []
    for j in range(k):
        if j % 2:
            det = _random_deterministic(model, horizon, seed + 7 * j)
            pols.append(det)
            fns.append(_deterministic_fn(model, det))
        else:
            sto = StochasticPolicy.random(model.num_actions, model.num_observations, horizon, seed + j)
            pols.append(sto)
            fns.append(_stochastic_fn(model, sto))
    # The seed is drawn once per episode: V = Σ_ω P(ω) V(π_ω) (law of total expectation).
    want = sum(w * _naive_value(model, fn, horizon) for w, fn in zip(weights, fns, strict=True))
    assert evaluate(model, CorrelatedPolicy(weights, tuple(pols))) == pytest.approx(want, abs=ATOL)


# --------------------------------------------------------------------------- evaluate_joint
def _brute_joint(model: DecPOMDP, steps: np.ndarray, horizon: int, gamma: float) -> float:
    """Σ over all (s_0, a_0, ..., s_{H-1}, a_{H-1}) of P(path) Σ_t γ^t R(s_t, a_t)."""
    s_n, ja_n = model.num_states, model.num_joint_actions
    total = 0.0
    for path_s in itertools.product(range(s_n), repeat=horizon):
        for path_a in itertools.product(range(ja_n), repeat=horizon):
            p = float(model.initial[path_s[0]])
            for t in range(horizon):
                p *= steps[t][path_s[t], path_a[t]]
                if t + 1 < horizon:
                    p *= model.transition[path_s[t], path_a[t], path_s[t + 1]]
                if p == 0.0:
                    break
            if p:
                total += p * sum(gamma ** t * model.reward[path_s[t], path_a[t]] for t in range(horizon))
    return total


@st.composite
def joint_cases(draw: st.DrawFn) -> tuple[DecPOMDP, int, np.random.Generator]:
    acts = tuple(draw(st.lists(st.integers(1, 3), min_size=2, max_size=2)))
    states = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ja = math.prod(acts)
    h_max = max(h for h in (1, 2, 3, 4) if h == 1 or (states * ja) ** h <= 20000)
    horizon = draw(st.integers(1, h_max))
    return _random_model(rng, acts, (1, 2), states), horizon, rng


@SETTINGS
@given(joint_cases(), st.sampled_from([None, 1.0, 0.8]))
def test_evaluate_joint_finite_matches_brute_force(case: tuple, gamma: float | None) -> None:
    model, horizon, rng = case
    pi = rng.dirichlet(np.ones(model.num_joint_actions), size=(horizon, model.num_states))
    g = 1.0 if gamma is None else gamma
    want = _brute_joint(model, pi, horizon, g)
    # Backward induction (package) vs enumeration of every state-action path (second method).
    assert evaluate_joint(model, pi, horizon, discount=gamma) == pytest.approx(want, abs=ATOL)
    # A stationary policy over a horizon is the time-dependent one repeated.
    stat = pi[0]
    want_stat = _brute_joint(model, np.broadcast_to(stat, pi.shape), horizon, g)
    assert evaluate_joint(model, stat, horizon=horizon, discount=gamma) == pytest.approx(want_stat,
                                                                                        abs=ATOL)
    # A shorter horizon is an explicit cut of the policy: the brute force over the first steps.
    if horizon > 1:
        assert evaluate_joint(model, pi[:-1], horizon=horizon - 1, discount=gamma) == pytest.approx(
            _brute_joint(model, pi, horizon - 1, g), abs=ATOL)
        with pytest.raises(GameError, match="steps but the horizon"):
            evaluate_joint(model, pi, horizon=horizon - 1, discount=gamma)


@SETTINGS
@given(joint_cases(), st.sampled_from([0.3, 0.8, 0.95]), st.booleans())
def test_evaluate_joint_discounted_matches_truncated_sum(case: tuple, gamma: float,
                                                         via_model: bool) -> None:
    model0, _, rng = case
    model = DecPOMDP(model0.transition, model0.observation, model0.reward, model0.initial,
                     model0.num_actions, model0.num_observations, discount=gamma)
    pi = rng.dirichlet(np.ones(model.num_joint_actions), size=model.num_states)
    # Second method: V = Σ_{t<2000} γ^t d_t · r_π with d_{t+1} = d_t P_π (forward, no solve).
    p = np.array([[sum(pi[s, a] * model.transition[s, a, s2] for a in range(model.num_joint_actions))
                   for s2 in range(model.num_states)] for s in range(model.num_states)])
    r = np.array([float(pi[s] @ model.reward[s]) for s in range(model.num_states)])
    d, want = model.initial.copy(), 0.0
    for t in range(2000):
        want += gamma ** t * float(d @ r)
        d = d @ p
    # The neglected tail is at most γ^2000 max|R| / (1 - γ) (< 1e-40 here); 1e-9 covers rounding
    # of the linear solve and of the 2000-term sum (each term <= max|R| <= 1).
    tol = gamma ** 2000 * np.abs(model.reward).max() / (1 - gamma) + 1e-9
    # The discount comes from the model (discount=None) or from the argument.
    got = evaluate_joint(model, pi) if via_model else evaluate_joint(model0, pi, discount=gamma)
    assert got == pytest.approx(want, abs=tol)


@SETTINGS
@given(model_cases(), st.data())
def test_open_loop_policy_decentralized_equals_joint(case: tuple[DecPOMDP, int, int],
                                                     data: st.DataObject) -> None:
    model, horizon, seed = case
    rng = np.random.default_rng(seed)
    # Open-loop product policies: each agent's step-t distribution ignores its history. Then the
    # joint action distribution ignores the state too, so the decentralized value equals the joint
    # policy π_t(a | s) = Π_i σ^i_t(a_i) for every s (same trajectory distribution).
    sig = [[rng.dirichlet(np.ones(m)) for _ in range(horizon)] for m in model.num_actions]
    pol = StochasticPolicy(tuple(
        tuple(np.tile(sig[i][t], ((m * q) ** t, 1)) for t in range(horizon))
        for i, (m, q) in enumerate(zip(model.num_actions, model.num_observations, strict=True))))
    joint = np.zeros((horizon, model.num_states, model.num_joint_actions))
    ja_tab, _ = _tables(model)
    for t in range(horizon):
        for ja, acts in enumerate(ja_tab):
            joint[t, :, ja] = math.prod(sig[i][t][acts[i]] for i in range(model.num_agents))
    gamma = data.draw(st.sampled_from([None, 0.7]))
    assert evaluate(model, pol, discount=gamma) == pytest.approx(
        evaluate_joint(model, joint, discount=gamma), abs=ATOL)
