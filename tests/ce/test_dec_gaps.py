"""Tests of ce/dec_gaps.py: best responses and ε-NE / ε-CCE / ε-CE gaps of Dec-POMDP policies.

Second methods, all written here independently of the package:

* ``_naive_value``: recursive enumeration over every (state, joint action-observation history)
  path (the definition of the value of a product policy; correlated: Σ_ω P(ω) V(π_ω));
* brute force over every deterministic deviation of one agent over its action-observation
  histories (a finite-horizon best response is attained by a deterministic policy: the deviator
  faces a single-agent POMDP once the others are fixed);
* the sequence-form (realization-plan) LP of the deviating agent (Koller, Megiddo & von Stengel,
  STOC 1994 / GEB 1996): variables x(I, a) >= 0 over the agent's sequences, Σ_a x(I_0, a) = 1 at the
  first information sets, Σ_a x(I, a) = x(parent sequence of I) after, objective Σ x(I, a) r(I, a)
  where r(I, a) is the expected immediate reward of playing a at I weighted by nature's and the
  others' probabilities only — computed by a forward enumeration of (seed ω, state, others'
  histories, own information set). Perfect recall makes realization plans equivalent to
  behavioural strategies, so its optimum is the best-response value. With recommendations the
  agent's own recommended actions are one more chance move inside its information sets;
* the normal-form gaps of ce/gaps.py for one-state one-step models (the bridge to the normal form);
* hand derivations on Dec-Tiger (Nair et al. 2003).
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
from dpomdp_reference import random_model as _random_model
from dpomdp_reference import tables as _tables
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from ce.dec_gaps import best_response, dec_cce_gap, dec_ce_gap, dec_nash_gap
from games.dec_pomdp.evaluation import evaluate
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import CorrelatedPolicy, DeterministicPolicy, StochasticPolicy

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ATOL = 1e-9



# --------------------------------------------------------------------------- independent helpers
def _dist_fn(model: DecPOMDP, pol: StochasticPolicy | DeterministicPolicy) -> DistFn:
    """Reads either table directly (a deterministic one by observation history)."""
    def fn(i: int, t: int, hist: Hist) -> np.ndarray:
        m, q = model.num_actions[i], model.num_observations[i]
        if isinstance(pol, DeterministicPolicy):
            oh = int(np.ravel_multi_index(tuple(o for _, o in hist), (q,) * len(hist))) if hist else 0
            return np.eye(m)[int(pol.actions[i][t][oh])]
        return pol.probs[i][t][_aoh_index(hist, m, q)]
    return fn


def _seeds(policy: StochasticPolicy | DeterministicPolicy | CorrelatedPolicy) -> tuple[np.ndarray, list]:
    if isinstance(policy, CorrelatedPolicy):
        return policy.weights, list(policy.policies)
    return np.ones(1), [policy]


def _with_agent(fn: DistFn, agent: int, own: DistFn) -> DistFn:
    return lambda i, t, h: own(i, t, h) if i == agent else fn(i, t, h)


def _brute_force_br(model: DecPOMDP, policy: object, agent: int, horizon: int, gamma: float) -> float:
    """max over every deterministic AOH policy of ``agent`` of Σ_ω P(ω) V(dev, π^ω_-i)."""
    m, q = model.num_actions[agent], model.num_observations[agent]
    weights, pols = _seeds(policy)
    fns = [_dist_fn(model, p) for p in pols]
    tables = [list(itertools.product(range(m), repeat=(m * q) ** t)) for t in range(horizon)]
    best = -math.inf
    for choice in itertools.product(*tables):
        def dev(i: int, t: int, h: Hist, choice: tuple = choice) -> np.ndarray:
            return np.eye(m)[choice[t][_aoh_index(h, m, q)]]
        v = sum(w * _naive_value(model, _with_agent(fn, agent, dev), horizon, gamma)
                for w, fn in zip(weights, fns, strict=True) if w > 0)
        best = max(best, v)
    return best


def _info_sets(m: int, q: int, t: int, recs: bool) -> list[tuple[int, ...]]:
    """Flattened information sets at step t: (a_0, o_1, ..., a_{t-1}, o_t) or, with
    recommendations, (r_0, a_0, o_1, r_1, ..., a_{t-1}, o_t, r_t) (BestResponse docstring order)."""
    sizes = ([m] + [m, q, m] * t) if recs else [m, q] * t
    return list(itertools.product(*(range(k) for k in sizes)))


def _info_sizes(m: int, q: int, t: int, recs: bool) -> tuple[int, ...]:
    return tuple(([m] + [m, q, m] * t) if recs else [m, q] * t)


def _sequence_rewards(model: DecPOMDP, policy: object, agent: int, horizon: int, gamma: float,
                      recs: bool) -> dict[tuple[tuple[int, ...], int], float]:
    """r(I, a): forward enumeration of (ω, s, others' AOHs, own information set, own AOH) with the
    probability of nature, the seed, the others' actions and (with recs) the own recommendations —
    never the deviator's own actions, which the realization plan supplies."""
    n = model.num_agents
    ja_tab, jo_tab = _tables(model)
    weights, pols = _seeds(policy)
    fns = [_dist_fn(model, p) for p in pols]
    others = [j for j in range(n) if j != agent]
    r: dict = defaultdict(float)
    nodes: dict = defaultdict(float)
    for w_idx, (w, fn) in enumerate(zip(weights, fns, strict=True)):
        for s in range(model.num_states):
            p = float(w * model.initial[s])
            if recs:
                for r0, pr in enumerate(fn(agent, 0, ())):
                    nodes[(w_idx, s, ((),) * n, (r0,))] += p * float(pr)
            else:
                nodes[(w_idx, s, ((),) * n, ())] += p
    for t in range(horizon):
        nxt: dict = defaultdict(float)
        for (w_idx, s, hists, info), p in nodes.items():
            if p == 0.0:
                continue
            fn = fns[w_idx]
            pis = {j: fn(j, t, hists[j]) for j in others}
            for ja, acts in enumerate(ja_tab):
                po = p * math.prod(float(pis[j][acts[j]]) for j in others)
                if po == 0.0:
                    continue
                a = acts[agent]
                r[(info, a)] += gamma ** t * po * float(model.reward[s, ja])
                if t + 1 == horizon:
                    continue
                for s2, (jo, os) in itertools.product(range(model.num_states), enumerate(jo_tab)):
                    pw = po * float(model.transition[s, ja, s2] * model.observation[ja, s2, jo])
                    hs = tuple(hists[i] + ((acts[i], os[i]),) for i in range(n))
                    if recs:  # the own policy recommends at the deviator's *actual* history
                        for r1, pr in enumerate(fn(agent, t + 1, hs[agent])):
                            nxt[(w_idx, s2, hs, (*info, a, os[agent], r1))] += pw * float(pr)
                    else:
                        nxt[(w_idx, s2, hs, (*info, a, os[agent]))] += pw
        nodes = nxt
    return dict(r)


def _sequence_form_lp(model: DecPOMDP, policy: object, agent: int, horizon: int, gamma: float,
                      recs: bool) -> tuple[float, dict]:
    """Optimum of the realization-plan LP of ``agent`` (Koller, Megiddo & von Stengel)."""
    m, q = model.num_actions[agent], model.num_observations[agent]
    r = _sequence_rewards(model, policy, agent, horizon, gamma, recs)
    seqs = [(info, a) for t in range(horizon) for info in _info_sets(m, q, t, recs) for a in range(m)]
    col = {sq: k for k, sq in enumerate(seqs)}
    rows, rhs = [], []
    tail = 3 if recs else 2  # an information set at t >= 1 ends with (a_{t-1}, o_t[, r_t])
    for t in range(horizon):
        for info in _info_sets(m, q, t, recs):
            row = np.zeros(len(seqs))
            for a in range(m):
                row[col[(info, a)]] = 1.0
            if t == 0:
                rhs.append(1.0)  # x(∅) = 1
            else:
                row[col[(info[:-tail], info[-tail])]] -= 1.0
                rhs.append(0.0)
            rows.append(row)
    c = np.array([r.get(sq, 0.0) for sq in seqs])
    res = linprog(-c, A_eq=np.array(rows), b_eq=np.array(rhs), bounds=(0, None), method="highs")
    assert res.status == 0, res.message
    return float(c @ res.x), r


def _plan_value(br_actions: tuple[np.ndarray, ...], r: dict, m: int, q: int, horizon: int,
                recs: bool) -> float:
    """Σ x(I, a) r(I, a) for the deterministic strategy I_t -> br_actions[t][C-order index of I_t]."""
    total = 0.0
    for t in range(horizon):
        sizes = _info_sizes(m, q, t, recs)
        for info in _info_sets(m, q, t, recs):
            # the plan puts weight 1 on (I, a) iff every own action in I (and a) is the chosen one
            ok, step = True, 3 if recs else 2
            for k in range(t):
                prefix = info[:1 + step * k] if recs else info[:step * k]
                pre_sizes = sizes[:len(prefix)]
                idx = int(np.ravel_multi_index(prefix, pre_sizes)) if prefix else 0
                if br_actions[k][idx] != info[len(prefix)]:
                    ok = False
                    break
            if ok:
                idx = int(np.ravel_multi_index(info, sizes)) if info else 0
                total += r.get((info, int(br_actions[t][idx])), 0.0)
    return total


# --------------------------------------------------------------------------- strategies
@st.composite
def gap_cases(draw: st.DrawFn, max_agents: int = 3) -> tuple[DecPOMDP, object, int]:
    """(model, product or correlated policy, evaluation horizon); sizes kept small for speed."""
    n = draw(st.integers(2, max_agents))
    acts = tuple(draw(st.lists(st.integers(1, 3 if n == 2 else 2), min_size=n, max_size=n)))
    obs = tuple(draw(st.lists(st.integers(1, 2), min_size=n, max_size=n)))
    states = draw(st.integers(1, 3))
    horizon = draw(st.integers(1, 3 if n == 2 else 2))
    seed = draw(st.integers(0, 2**32 - 1))
    k = draw(st.integers(1, 3))
    rng = np.random.default_rng(seed)
    model = _random_model(rng, acts, obs, states)
    pols = tuple(StochasticPolicy.random(acts, obs, horizon, seed + j) for j in range(k))
    policy = pols[0] if k == 1 else CorrelatedPolicy(rng.dirichlet(np.ones(k)), pols)
    return model, policy, horizon


# --------------------------------------------------------------------------- properties
@SETTINGS
@given(gap_cases(), st.sampled_from([None, 0.8]))
def test_best_response_dominates_policy(case: tuple, gamma: float | None) -> None:
    model, policy, h = case
    value = evaluate(model, policy, h, gamma)
    for i in range(model.num_agents):
        br = best_response(model, policy, i, horizon=h, discount=gamma).value
        br_rec = best_response(model, policy, i, horizon=h, discount=gamma, recommendations=True).value
        # Obeying every recommendation is a strategy modification (the identity) and reproduces
        # π exactly, so the CE best response is at least V(π).
        assert br_rec >= value - ATOL
        # A deviation that ignores the recommendations is a strategy modification too.
        assert br_rec >= br - ATOL
        # Without recommendations, playing π^i itself is a deviation only for a product policy:
        # under a correlated one agent i cannot follow π^i_ω without seeing ω, and the CCE regret
        # may be negative (test_dec_tiger_correlated_open_by_hand: -31).
        if not isinstance(policy, CorrelatedPolicy):
            assert br >= value - ATOL
    for rep, concept in ((dec_cce_gap(model, policy, horizon=h, discount=gamma), "cce"),
                         (dec_ce_gap(model, policy, horizon=h, discount=gamma), "ce")):
        # Report bookkeeping: value, regrets = BR values - value, ε = max(0, max regret).
        assert rep.concept == concept
        assert rep.value == pytest.approx(value, abs=1e-12)
        np.testing.assert_allclose(rep.regrets, rep.best_response_values - value, atol=1e-12)
        assert rep.epsilon == pytest.approx(max(0.0, rep.regrets.max()), abs=1e-12)
        if concept == "ce":
            assert rep.regrets.min() >= -ATOL
    # CE regret >= CCE regret agent by agent (CCE deviations are the recommendation-blind CE ones).
    ce, cce = dec_ce_gap(model, policy, horizon=h), dec_cce_gap(model, policy, horizon=h)
    assert np.all(ce.regrets >= cce.regrets - ATOL)


@SETTINGS
@given(gap_cases())
def test_product_policy_ne_equals_ce_equals_cce(case: tuple) -> None:
    model, policy, h = case
    if isinstance(policy, CorrelatedPolicy):
        policy = policy.policies[0]
    # One seed: agent i's recommendation is drawn from π^i(· | h_i), independently of the state and
    # the others' histories given h_i, so seeing it changes no posterior: NE = CE = CCE regrets.
    ne = dec_nash_gap(model, policy, horizon=h)
    ce = dec_ce_gap(model, policy, horizon=h)
    cce = dec_cce_gap(model, policy, horizon=h)
    assert ne.concept == "ne"
    np.testing.assert_allclose(ne.regrets, ce.regrets, atol=ATOL)
    np.testing.assert_allclose(ne.regrets, cce.regrets, atol=ATOL)


def _tiny_cases() -> st.SearchStrategy:
    """Deviator with 2 actions and 2 observations, horizons 1-2 (brute force: 2 * 2^4 policies);
    1-3 seeds, each stochastic or deterministic."""
    @st.composite
    def build(draw: st.DrawFn) -> tuple:
        agent = draw(st.integers(0, 1))
        other_m, other_q = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        acts = (2, other_m) if agent == 0 else (other_m, 2)
        obs = (2, other_q) if agent == 0 else (other_q, 2)
        states = draw(st.integers(1, 2))
        horizon = draw(st.integers(1, 2))
        seed = draw(st.integers(0, 2**32 - 1))
        k = draw(st.integers(1, 3))
        rng = np.random.default_rng(seed)
        model = _random_model(rng, acts, obs, states, horizon=horizon)
        pols: list[StochasticPolicy | DeterministicPolicy] = []
        for j in range(k):
            if draw(st.booleans()):  # deterministic seeds: zero-probability branches, and
                pols.append(DeterministicPolicy(tuple(  # recommendations that reveal ω
                    tuple(rng.integers(0, m, size=q ** t) for t in range(horizon))
                    for m, q in zip(acts, obs, strict=True))))
            else:
                pols.append(StochasticPolicy.random(acts, obs, horizon, seed + j))
        policy = pols[0] if k == 1 else CorrelatedPolicy(rng.dirichlet(np.ones(k)), tuple(pols))
        gamma = draw(st.sampled_from([1.0, 0.7]))
        return model, policy, agent, horizon, gamma
    return build()


@SETTINGS
@given(_tiny_cases())
def test_best_response_matches_brute_force_and_sequence_form(case: tuple) -> None:
    model, policy, agent, horizon, gamma = case
    br = best_response(model, policy, agent, discount=gamma)
    assert br.agent == agent and not br.with_recommendations
    # Second method 1: every deterministic AOH deviation evaluated by naive path enumeration.
    assert br.value == pytest.approx(_brute_force_br(model, policy, agent, horizon, gamma), abs=ATOL)
    # Second method 2: the sequence-form LP of the deviator (KMvS 1994).
    lp, r = _sequence_form_lp(model, policy, agent, horizon, gamma, recs=False)
    assert br.value == pytest.approx(lp, abs=ATOL)
    # The returned strategy attains the value (BestResponse.actions indexed by AOH, C order).
    m, q = model.num_actions[agent], model.num_observations[agent]
    assert [a.shape for a in br.actions] == [((m * q) ** t,) for t in range(horizon)]
    assert _plan_value(br.actions, r, m, q, horizon, recs=False) == pytest.approx(br.value, abs=ATOL)
    # ... and, played against the others, evaluates (package evaluate) to the same number.
    weights, pols = _seeds(policy)
    dev_value = 0.0
    for w, p in zip(weights, pols, strict=True):
        sto = p.to_stochastic(model.num_actions, model.num_observations) \
            if isinstance(p, DeterministicPolicy) else p
        probs = list(sto.probs)
        probs[agent] = tuple(np.eye(m)[a] for a in br.actions)
        dev_value += w * evaluate(model, StochasticPolicy(tuple(probs)), discount=gamma)
    assert dev_value == pytest.approx(br.value, abs=ATOL)


@SETTINGS
@given(_tiny_cases())
def test_ce_best_response_matches_sequence_form(case: tuple) -> None:
    model, policy, agent, horizon, gamma = case
    m, q = model.num_actions[agent], model.num_observations[agent]
    br = best_response(model, policy, agent, discount=gamma, recommendations=True)
    assert br.with_recommendations
    # Sequence-form LP over information sets that include the recommended actions.
    lp, r = _sequence_form_lp(model, policy, agent, horizon, gamma, recs=True)
    assert br.value == pytest.approx(lp, abs=ATOL)
    assert [a.shape for a in br.actions] == [(m * (m * q * m) ** t,) for t in range(horizon)]
    assert _plan_value(br.actions, r, m, q, horizon, recs=True) == pytest.approx(br.value, abs=ATOL)
    if horizon == 1:
        # Brute force over the m^m strategy modifications f: r -> f(r) at the single step.
        weights, pols = _seeds(policy)
        fns = [_dist_fn(model, p) for p in pols]
        ja_tab, _ = _tables(model)
        best = -math.inf
        for f in itertools.product(range(m), repeat=m):
            v = 0.0
            for w, fn in zip(weights, fns, strict=True):
                for s, acts in itertools.product(range(model.num_states), ja_tab):
                    rec = acts[agent]  # the recommended action; the agent plays f(rec) instead
                    played = list(acts)
                    played[agent] = f[rec]
                    p = w * model.initial[s] * math.prod(fn(i, 0, ())[acts[i]] for i in range(2))
                    v += p * model.reward[s, model.joint_action(played)]
            best = max(best, v)
        assert br.value == pytest.approx(best, abs=ATOL)
