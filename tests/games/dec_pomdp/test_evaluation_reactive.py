"""Exact evaluation, second file: Dec-Tiger values by hand, memoryless (reactive) policies over an
infinite discounted horizon against a truncated forward recursion, and the typed errors."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
from dpomdp_reference import random_model as _random_model
from dpomdp_reference import tables as _tables
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from games.dec_pomdp.catalog import dec_tiger, random_dpomdp
from games.dec_pomdp.evaluation import (
    agent_occupancies,
    evaluate,
    evaluate_joint,
    evaluate_reactive,
    occupancies,
)
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import (
    CorrelatedPolicy,
    DeterministicPolicy,
    ReactivePolicy,
    StochasticPolicy,
)
from games.errors import ConfigError, GameError

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ATOL = 1e-10

# --------------------------------------------------------------------------- Dec-Tiger by hand
# Actions: 0 listen, 1 open-left, 2 open-right; observations 0 hear-left, 1 hear-right; state 0 is
# tiger-left (its door is open-left). Rewards (catalog docstring, Nair et al. 2003): both listen -2,
# both open the treasure door +20, both the tiger door -50, different doors -100, one opens the
# tiger door while the other listens -101, one opens the treasure door while the other listens +9.
def _tiger_policy(*per_agent: tuple[list[int], ...]) -> DeterministicPolicy:
    return DeterministicPolicy(tuple(tuple(np.array(a) for a in agent) for agent in per_agent))


LISTEN2 = ([0], [0, 0])


def test_dec_tiger_all_listen() -> None:
    # Both listen at both steps: -2 + -2 whatever the state.
    assert evaluate(dec_tiger(2), _tiger_policy(LISTEN2, LISTEN2)) == -4.0
    # With γ = 0.5: -2 - 0.5 * 2.
    assert evaluate(dec_tiger(2), _tiger_policy(LISTEN2, LISTEN2), discount=0.5) == pytest.approx(-3.0)


def test_dec_tiger_open_doors() -> None:
    both_left = _tiger_policy(([1],), ([1],))
    # Both open-left at t = 0: tiger-left (1/2) -> tiger door -50; tiger-right (1/2) -> +20.
    assert evaluate(dec_tiger(1), both_left) == pytest.approx((20 - 50) / 2)
    # Then both listen at t = 1: any opening resets the tiger; listen-listen is -2 in every state.
    both_left_then_listen = _tiger_policy(([1], [0, 0]), ([1], [0, 0]))
    assert evaluate(dec_tiger(2), both_left_then_listen) == pytest.approx(-15.0 - 2.0)
    # Agent 0 opens left, agent 1 listens: tiger door w.p. 1/2 (-101), treasure w.p. 1/2 (+9).
    assert evaluate(dec_tiger(1), _tiger_policy(([1],), ([0],))) == pytest.approx((-101 + 9) / 2)


def test_dec_tiger_listen_then_open_opposite() -> None:
    # t = 0 both listen (-2). Each hears its own signal, correct w.p. 0.85 independently, and at
    # t = 1 opens the door opposite to what it heard (hear-left -> open-right = action 2).
    # Tiger-left: both hear left 0.85^2 = 0.7225 -> both open right (treasure) +20; both hear right
    # 0.15^2 = 0.0225 -> both open left (tiger) -50; disagree 2 * 0.85 * 0.15 = 0.255 -> -100.
    # So t = 1 gives 14.45 - 1.125 - 25.5 = -12.175, the same for tiger-right by symmetry.
    pol = _tiger_policy(([0], [2, 1]), ([0], [2, 1]))
    assert evaluate(dec_tiger(2), pol) == pytest.approx(-2 - 12.175, abs=1e-12)


# --------------------------------------------------------------------------- evaluate_reactive
def _reactive_truncated(model: DecPOMDP, pol: ReactivePolicy, gamma: float) -> float:
    """Forward recursion of the (state, last joint observation) chain, truncated with a bound.

    d_0 = b0 with the initial action distributions; afterwards d_t(s, o) picks a with Π_i π^i(a_i|o_i).
    The neglected tail is at most γ^K max|R| / (1 - γ) < 1e-13.
    """
    ja_tab, jo_tab = _tables(model)
    n, s_n = model.num_agents, model.num_states
    pa_o = np.array([[math.prod(pol.probs[i][os[i], acts[i]] for i in range(n)) for acts in ja_tab]
                     for os in jo_tab])                                        # (JO, JA)
    pa0 = np.array([math.prod(pol.initial[i][acts[i]] for i in range(n)) for acts in ja_tab])
    rmax = max(float(np.abs(model.reward).max()), 1e-300)
    steps = max(1, math.ceil(math.log(1e-13 * (1 - gamma) / rmax) / math.log(gamma)))
    # first step
    value = float(sum(model.initial[s] * pa0[a] * model.reward[s, a]
                      for s in range(s_n) for a in range(len(ja_tab))))
    d = np.zeros((s_n, len(jo_tab)))
    for s, a, s2, o in itertools.product(range(s_n), range(len(ja_tab)), range(s_n), range(len(jo_tab))):
        d[s2, o] += model.initial[s] * pa0[a] * model.transition[s, a, s2] * model.observation[a, s2, o]
    # kernel and reward per (s, o), built with explicit loops
    kern = np.zeros((s_n * len(jo_tab), s_n * len(jo_tab)))
    rew = np.zeros(s_n * len(jo_tab))
    for s, o in itertools.product(range(s_n), range(len(jo_tab))):
        row = s * len(jo_tab) + o
        for a in range(len(ja_tab)):
            rew[row] += pa_o[o, a] * model.reward[s, a]
            for s2, o2 in itertools.product(range(s_n), range(len(jo_tab))):
                kern[row, s2 * len(jo_tab) + o2] += (pa_o[o, a] * model.transition[s, a, s2]
                                                     * model.observation[a, s2, o2])
    vec = d.reshape(-1)
    for t in range(1, steps):
        value += gamma ** t * float(vec @ rew)
        vec = vec @ kern
    return value


def _random_reactive(rng: np.random.Generator, model: DecPOMDP) -> ReactivePolicy:
    return ReactivePolicy(
        tuple(rng.dirichlet(np.ones(m)) for m in model.num_actions),
        tuple(rng.dirichlet(np.ones(m), size=q) for m, q in
              zip(model.num_actions, model.num_observations, strict=True)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 3), st.integers(1, 3), st.sampled_from([0.5, 0.8, 0.9]),
       st.integers(0, 2**32 - 1), st.data())
def test_evaluate_reactive_matches_truncated_forward_recursion(n: int, states: int, gamma: float,
                                                                seed: int, data: st.DataObject) -> None:
    acts = tuple(data.draw(st.lists(st.integers(1, 3), min_size=n, max_size=n), label="actions"))
    obs = tuple(data.draw(st.lists(st.integers(1, 2), min_size=n, max_size=n), label="observations"))
    if n == 3 and states == 3:  # keep the explicit-loop kernel small
        acts = tuple(min(a, 2) for a in acts)
    rng = np.random.default_rng(seed)
    model = _random_model(rng, acts, obs, states, discount=gamma)
    pol = _random_reactive(rng, model)
    want = _reactive_truncated(model, pol, gamma)
    assert evaluate_reactive(model, pol) == pytest.approx(want, abs=1e-9)          # model's γ
    model1 = _random_model(np.random.default_rng(seed), acts, obs, states, discount=1.0)
    assert evaluate_reactive(model1, pol, discount=gamma) == pytest.approx(want, abs=1e-9)


def test_reactive_open_loop_equals_stationary_joint() -> None:
    # A reactive policy that ignores its observation and starts with the same distribution is a
    # stationary state-independent joint policy Π_i σ_i: the two linear systems must agree.
    # horizon=None: a stationary joint policy is then valued over an infinite horizon.
    model = dataclasses.replace(random_dpomdp(agents=2, states=3, actions=3, observations=2, seed=5),
                                horizon=None)
    rng = np.random.default_rng(0)
    sig = [rng.dirichlet(np.ones(3)) for _ in range(2)]
    pol = ReactivePolicy(tuple(sig), tuple(np.tile(s, (2, 1)) for s in sig))
    joint = np.tile(np.outer(sig[0], sig[1]).ravel(), (3, 1))
    assert evaluate_reactive(model, pol, discount=0.9) == pytest.approx(
        evaluate_joint(model, joint, discount=0.9), abs=1e-10)


# --------------------------------------------------------------------------- typed errors
# No horizon of its own (as a MADP file): every call below states one, or is refused.
MODEL = dataclasses.replace(random_dpomdp(agents=2, states=2, actions=2, observations=2, seed=1),
                            horizon=None)
POL = StochasticPolicy.random((2, 2), (2, 2), 2, 0)


@pytest.mark.parametrize(("horizon", "error"), [(0, ConfigError), (-1, ConfigError), (3, GameError),
                                               (None, ConfigError), (True, ConfigError)])
def test_horizon_out_of_range(horizon: int | None, error: type) -> None:
    # Invalid or missing (MODEL sets none) horizons are ConfigErrors; a policy shorter than a
    # valid horizon is a GameError.
    for fn in (evaluate, occupancies, agent_occupancies):
        with pytest.raises(error, match="horizon"):
            fn(MODEL, POL, horizon)


def test_wrong_policy_shapes() -> None:
    with pytest.raises(GameError, match="agents"):
        evaluate(MODEL, StochasticPolicy.random((2, 2, 2), (2, 2, 2), 2, 0))
    with pytest.raises(GameError, match="shape"):
        evaluate(MODEL, StochasticPolicy.random((2, 3), (2, 2), 2, 0))
    with pytest.raises(GameError, match="steps"):
        evaluate(MODEL, StochasticPolicy((POL.probs[0], POL.probs[1][:1])))
    with pytest.raises(GameError, match="shape"):
        evaluate(MODEL, DeterministicPolicy(((np.array([0]), np.array([0])),
                                             (np.array([0]), np.array([0, 0])))))


def test_bad_policy_rows() -> None:
    bad = [list(agent) for agent in POL.probs]
    bad[0][1] = bad[0][1].copy()
    bad[0][1][0] = [0.7, 0.7]
    with pytest.raises(GameError, match="sums to"):
        evaluate(MODEL, StochasticPolicy(tuple(tuple(a) for a in bad)))
    with pytest.raises(GameError, match="non-finite"):
        evaluate(MODEL, StochasticPolicy(((np.array([[np.nan, 1.0]]),), (np.array([[0.5, 0.5]]),))))
    with pytest.raises(GameError, match="out of range"):
        evaluate(MODEL, DeterministicPolicy(((np.array([2]),), (np.array([0]),))))
    with pytest.raises(GameError, match="out of range"):
        occupancies(MODEL, DeterministicPolicy(((np.array([-1]),), (np.array([0]),))))
    with pytest.raises(GameError, match="sums to"):
        CorrelatedPolicy(np.array([0.5, 0.6]), (POL, POL))
    with pytest.raises(GameError, match="weights"):
        CorrelatedPolicy(np.array([1.0]), (POL, POL))


def test_evaluate_joint_errors() -> None:
    uni = np.full((2, 2, 4), 0.25)
    with pytest.raises(GameError, match="shape"):
        evaluate_joint(MODEL, np.full((2, 3), 1 / 3))
    with pytest.raises(GameError, match="shape"):
        evaluate_joint(MODEL, np.full((1, 2, 2, 4), 0.25))
    with pytest.raises(GameError, match="probability"):
        evaluate_joint(MODEL, np.full((2, 2, 4), 0.3))
    with pytest.raises(GameError, match="probability"):
        evaluate_joint(MODEL, np.array([[1.5, -0.5, 0.0, 0.0]] * 2))
    with pytest.raises(GameError, match="steps but the horizon"):
        evaluate_joint(MODEL, uni, horizon=3)
    with pytest.raises(ConfigError, match="discount < 1"):
        evaluate_joint(MODEL, uni[0])  # stationary, no horizon, model γ = 1


@pytest.mark.parametrize("horizon", [0, -1])
def test_evaluate_joint_nonpositive_horizon(horizon: int) -> None:
    with pytest.raises(ConfigError):
        evaluate_joint(MODEL, np.full((2, 2, 4), 0.25), horizon=horizon)


def test_evaluate_joint_nan_policy() -> None:
    pi = np.full((2, 2, 4), 0.25)
    pi[0, 0, 0] = np.nan
    with pytest.raises(GameError):
        evaluate_joint(MODEL, pi)


def test_evaluate_reactive_errors() -> None:
    pol = ReactivePolicy((np.ones(2) / 2,) * 2, (np.ones((2, 2)) / 2,) * 2)
    with pytest.raises(ConfigError, match="discount < 1"):
        evaluate_reactive(MODEL, pol)  # model γ = 1
    with pytest.raises(ConfigError, match="discount < 1"):
        evaluate_reactive(MODEL, pol, discount=1.0)
    with pytest.raises(GameError, match="sums to"):
        ReactivePolicy((np.ones(2) / 2,) * 2, (np.ones((2, 2)),) * 2)
    with pytest.raises(GameError, match="sums to"):
        ReactivePolicy((np.array([0.2, 0.2]),) * 2, (np.ones((2, 2)) / 2,) * 2)


@pytest.mark.parametrize("case", ["actions", "same-size", "agents"])
def test_evaluate_reactive_shape_mismatch(case: str) -> None:
    if case == "actions":      # agent 1 given 3 actions, the model has 2: numpy reshape ValueError
        pol = ReactivePolicy((np.ones(2) / 2, np.ones(3) / 3), (np.ones((2, 2)) / 2, np.ones((2, 3)) / 3))
    elif case == "same-size":  # (1, 2) and (4, 2) for (2, 2) and (2, 2): evaluates silently
        pol = ReactivePolicy((np.ones(2) / 2,) * 2, (np.ones((1, 2)) / 2, np.ones((4, 2)) / 2))
    else:                      # one agent's policy for a two-agent model: numpy ValueError
        pol = ReactivePolicy((np.ones(2) / 2,), (np.ones((2, 2)) / 2,))
    with pytest.raises(GameError):
        evaluate_reactive(MODEL, pol, discount=0.9)


def test_reactive_policy_length_mismatch() -> None:
    with pytest.raises(GameError):
        ReactivePolicy((np.ones(2) / 2,) * 2, (np.ones((2, 2)) / 2,))


def test_correlated_mixed_horizons_rejected() -> None:
    short = StochasticPolicy.random((2, 2), (2, 2), 1, 1)
    with pytest.raises(GameError):
        evaluate(MODEL, CorrelatedPolicy(np.array([0.5, 0.5]), (POL, short)))
