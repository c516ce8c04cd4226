"""Dec-POMDP gaps, second file: the normal-form bridge (one-step models agree with the closed-form
gaps), Dec-Tiger by hand, and the typed errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ce.dec_gaps import best_response, dec_cce_gap, dec_ce_gap, dec_nash_gap
from ce.gaps import cce_gap, ce_gap, ne_gap
from games.dec_pomdp.catalog import dec_tiger, random_dpomdp
from games.dec_pomdp.evaluation import evaluate
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import CorrelatedPolicy, DeterministicPolicy, StochasticPolicy
from games.errors import ConfigError, GameError
from games.normal_form.game import NormalFormGame

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ATOL = 1e-9



# --------------------------------------------------------------------------- normal-form bridge
@SETTINGS
@given(st.integers(2, 3), st.integers(0, 2**32 - 1), st.data())
def test_one_step_gaps_equal_normal_form_gaps(n: int, seed: int, data: st.DataObject) -> None:
    acts = tuple(data.draw(st.lists(st.integers(1, 3), min_size=n, max_size=n), label="actions"))
    rng = np.random.default_rng(seed)
    game = NormalFormGame.cooperative(rng.uniform(-1, 1, size=acts))
    model = DecPOMDP.from_normal_form(game)
    mu = rng.dirichlet(np.ones(game.num_joint_actions))
    mu[rng.random(mu.size) < 0.3] = 0.0  # some joint actions never recommended
    if mu.sum() == 0:
        mu[0] = 1.0
    mu /= mu.sum()
    # ω = joint action (C order); each seed is the pure profile ω.
    seeds = tuple(DeterministicPolicy(tuple((np.array([a]),) for a in joint))
                  for joint in itertools.product(*(range(m) for m in acts)))
    corr = CorrelatedPolicy(mu, seeds)
    dist = mu.reshape(acts)
    ce, cce = ce_gap(game, dist), cce_gap(game, dist)
    # Horizon 1, one state, dummy observations: an information set is the recommendation alone, so
    # Def. 3 (strategy modifications) and Def. 2 (fixed deviations) are exactly ce/gaps.py's.
    dce, dcce = dec_ce_gap(model, corr), dec_cce_gap(model, corr)
    np.testing.assert_allclose(dce.regrets, ce.regrets, atol=1e-12)
    np.testing.assert_allclose(dcce.regrets, cce.regrets, atol=1e-12)
    assert dce.value == pytest.approx(float(np.sum(dist * game.payoffs[0])), abs=1e-12)
    assert dce.epsilon == pytest.approx(ce.epsilon, abs=1e-12)
    # Product of mixed strategies: the NE gap of ce/gaps.py.
    sig = [rng.dirichlet(np.ones(m)) for m in acts]
    prod = StochasticPolicy(tuple((s[None, :],) for s in sig))
    np.testing.assert_allclose(dec_nash_gap(model, prod).regrets, ne_gap(game, sig).regrets, atol=1e-12)


def test_normal_form_ce_strictly_above_cce() -> None:
    # Coordination game R = I_2, μ = 1/2 (0, 1) + 1/2 (1, 0): value 0. Best fixed deviation gives
    # 1/2 (matches the other half the time): CCE regret 1/2. Swapping (0 -> 1, 1 -> 0) always
    # matches: CE regret 1. So CE regret > CCE regret here.
    game = NormalFormGame.cooperative(np.eye(2))
    model = DecPOMDP.from_normal_form(game)
    corr = CorrelatedPolicy(np.array([0.5, 0.5]), (
        DeterministicPolicy(((np.array([0]),), (np.array([1]),))),
        DeterministicPolicy(((np.array([1]),), (np.array([0]),)))))
    np.testing.assert_allclose(dec_ce_gap(model, corr).regrets, [1.0, 1.0], atol=1e-15)
    np.testing.assert_allclose(dec_cce_gap(model, corr).regrets, [0.5, 0.5], atol=1e-15)
    br = best_response(model, corr, 0, recommendations=True)
    np.testing.assert_array_equal(br.actions[0], [1, 0])  # f(0) = 1, f(1) = 0


# --------------------------------------------------------------------------- Dec-Tiger
def _tiger(*per_agent: tuple[list[int], ...]) -> DeterministicPolicy:
    return DeterministicPolicy(tuple(tuple(np.array(a) for a in agent) for agent in per_agent))


def test_dec_tiger_all_listen_is_nash_by_hand() -> None:
    # Agent 1 always listens. Agent 0's options (rewards from the catalog docstring):
    # t = 1 (last step), after hearing left its posterior is P(tiger-left) = 0.85 (one 0.85-accurate
    # signal, uniform prior): listen -2; open-right 0.85 * 9 + 0.15 * (-101) = -7.5; open-left
    # 0.15 * 9 + 0.85 * (-101) = -84.5. Symmetric after hearing right. So listen (-2).
    # t = 0: listen -2 + (-2); open a door (-101 + 9) / 2 = -46, then at best -2 (tiger reset).
    # Best response value -4 = V(all listen): NE regret exactly 0 for each agent (symmetry).
    model = dec_tiger(2)
    listen = _tiger(([0], [0, 0]), ([0], [0, 0]))
    rep = dec_nash_gap(model, listen)
    assert rep.value == -4.0
    np.testing.assert_allclose(rep.best_response_values, [-4.0, -4.0], atol=1e-12)
    assert rep.epsilon == pytest.approx(0.0, abs=1e-12)
    # The best response is "always listen" on every reachable history (t=0 history, and the
    # (listen, o) histories at t = 1: AOH index 0 * 2 + o).
    for br in rep.best_responses:
        assert br.actions[0][0] == 0
        assert list(br.actions[1][[0, 1]]) == [0, 0]
    # A product policy: the CE gap is the NE gap.
    np.testing.assert_allclose(dec_ce_gap(model, listen).regrets, [0.0, 0.0], atol=1e-12)


def test_dec_tiger_brute_force_optimum_is_nash() -> None:
    # Brute force over all 27 x 27 deterministic policies (3 actions at t = 0, 3^2 at t = 1 over
    # the two observation histories). Known optimum -4 (Szer, Charpillet & Zilberstein 2005).
    # A team optimum is a NE: a unilateral deviation yields another decentralized policy, whose
    # value cannot exceed the optimum (deterministic policies attain the decentralized optimum).
    model = dec_tiger(2)
    per_agent = [([a0], list(a1)) for a0 in range(3) for a1 in itertools.product(range(3), repeat=2)]
    best_v, best_pol = -math.inf, None
    for p0, p1 in itertools.product(per_agent, repeat=2):
        pol = _tiger(p0, p1)
        v = evaluate(model, pol)
        if v > best_v + 1e-12:
            best_v, best_pol = v, pol
    assert best_v == pytest.approx(-4.0, abs=1e-12)
    assert dec_nash_gap(model, best_pol).epsilon == pytest.approx(0.0, abs=1e-9)


def test_dec_tiger_correlated_open_by_hand() -> None:
    # h = 1, ω uniform on {both open-left, both open-right}: each ω gives (20 - 50)/2 = -15.
    # CCE (fixed deviation, recommendation unseen): listen -> other opens tiger door w.p. 1/2:
    # (-101 + 9)/2 = -46; open-left -> half the time the other opens right (-100), half the time
    # both left (-15 on average): -57.5; open-right the same. Best -46: CCE regret -46 + 15 = -31.
    # CE: told open-left, the other opens left: follow -15, listen -46, open-right -100 -> follow;
    # symmetric for open-right. CE regret 0.
    model = dec_tiger(1)
    corr = CorrelatedPolicy(np.array([0.5, 0.5]), (_tiger(([1],), ([1],)), _tiger(([2],), ([2],))))
    assert evaluate(model, corr) == pytest.approx(-15.0)
    np.testing.assert_allclose(dec_cce_gap(model, corr).regrets, [-31.0, -31.0], atol=1e-12)
    rep = dec_ce_gap(model, corr)
    np.testing.assert_allclose(rep.regrets, [0.0, 0.0], atol=1e-12)
    assert rep.epsilon == 0.0


# --------------------------------------------------------------------------- typed errors
MODEL = random_dpomdp(agents=2, states=2, actions=2, observations=2, seed=1)
POL = StochasticPolicy.random((2, 2), (2, 2), 2, 0)


@pytest.mark.parametrize("agent", [-1, 2])
def test_agent_out_of_range(agent: int) -> None:
    for recs in (False, True):
        with pytest.raises(GameError, match="out of range"):
            best_response(MODEL, POL, agent, recommendations=recs)


def test_nash_gap_rejects_correlated_policy() -> None:
    corr = CorrelatedPolicy(np.array([0.5, 0.5]), (POL, StochasticPolicy.random((2, 2), (2, 2), 2, 1)))
    with pytest.raises(GameError, match="product"):
        dec_nash_gap(MODEL, corr)


@pytest.mark.parametrize(("horizon", "error"), [(0, ConfigError), (3, GameError)])
def test_best_response_horizon_out_of_range(horizon: int, error: type) -> None:
    with pytest.raises(error, match="horizon"):
        best_response(MODEL, POL, 0, horizon=horizon)


def test_best_response_bad_policies() -> None:
    short = StochasticPolicy.random((2, 2), (2, 2), 1, 1)
    with pytest.raises(GameError, match="same horizon"):
        best_response(MODEL, CorrelatedPolicy(np.array([0.5, 0.5]), (POL, short)), 0)
    with pytest.raises(GameError, match="agents"):
        best_response(MODEL, StochasticPolicy.random((2, 2, 2), (2, 2, 2), 2, 0), 0)
    bad = [list(agent) for agent in POL.probs]
    bad[1][0] = np.array([[0.9, 0.9]])
    with pytest.raises(GameError, match="sums to"):
        dec_cce_gap(MODEL, StochasticPolicy(tuple(tuple(a) for a in bad)))
