"""Finite-horizon Dec-POMDP planners (ce.planning): GMAA*-ICE vs brute force, JESP, MMDP bound.

Published optimal (undiscounted) values: masplan.org "Optimal values for finite-horizon Dec-POMDPs"
(http://masplan.org/optimal_values; Dec-Tiger, BroadcastChannel, GridSmall), and Oliehoek, Spaan,
Amato & Whiteson, JAIR 46 (2013) for the others.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paths import SHARED_DPOMDP

from ce.planning import (
    PlanResult,
    evaluate_deterministic,
    jesp_best_response,
    random_deterministic_policy,
    solve_brute_force,
    solve_jesp,
    solve_mmdp,
    solve_optimal,
)
from ce.planning.bg import BGEnumerator, best_bg_solution
from ce.planning.clustered import ClusteredPolicy, evaluate_clustered
from ce.planning.gmaa import solve_gmaa_ice
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import DeterministicPolicy
from games.errors import ConfigError, GameError
from games.normal_form.catalog import climbing

CORPUS = SHARED_DPOMDP


# ----------------------------------------------------------------------------- models
def hand_dec_tiger() -> DecPOMDP:
    """Dec-Tiger (Nair et al., IJCAI 2003) written from its definition.

    States tiger-left (0) / tiger-right (1); actions listen (0), open-left (1), open-right (2);
    observations hear-left (0) / hear-right (1). Both listen: state unchanged and each agent hears
    the correct side w.p. 0.85 independently. Any door opened: state reset uniformly, observations
    uniform. Rewards: both listen -2; both open the treasure door +20; both open the tiger door -50;
    different doors -100; one opens the tiger door while the other listens -101; one opens the
    treasure door while the other listens +9.
    """
    t = np.zeros((2, 9, 2))
    o = np.zeros((9, 2, 4))
    r = np.zeros((2, 9))
    for a0 in range(3):
        for a1 in range(3):
            ja = 3 * a0 + a1
            if a0 == a1 == 0:
                t[:, ja, :] = np.eye(2)
                for s in range(2):
                    for o0 in range(2):
                        for o1 in range(2):
                            o[ja, s, 2 * o0 + o1] = (0.85 if o0 == s else 0.15) * (0.85 if o1 == s else 0.15)
            else:
                t[:, ja, :] = 0.5
                o[ja] = 0.25
            for s in range(2):
                tiger_door = 1 + s
                if a0 == a1 == 0:
                    v = -2.0
                elif 0 in (a0, a1):
                    opened = a0 + a1
                    v = -101.0 if opened == tiger_door else 9.0
                elif a0 != a1:
                    v = -100.0
                else:
                    v = -50.0 if a0 == tiger_door else 20.0
                r[s, ja] = v
    return DecPOMDP(transition=t, observation=o, reward=r, initial=np.full(2, 0.5), num_actions=(3, 3),
                    num_observations=(2, 2), name="hand-dec-tiger")


def random_model(seed: int, agents: int, states: int, actions: tuple[int, ...], observations: tuple[int, ...],
                 integer_rewards: bool) -> DecPOMDP:
    rng = np.random.default_rng(seed)
    ja, jo = int(np.prod(actions)), int(np.prod(observations))
    alpha = rng.choice([0.3, 1.0])
    b0 = rng.dirichlet(np.full(states, alpha))
    t = rng.dirichlet(np.full(states, alpha), size=(states, ja))
    o = rng.dirichlet(np.full(jo, alpha), size=(ja, states))
    r = (rng.integers(-3, 4, size=(states, ja)).astype(float) if integer_rewards
         else rng.normal(size=(states, ja)))
    return DecPOMDP(transition=t, observation=o, reward=r, initial=b0, num_actions=actions,
                    num_observations=observations)


@st.composite
def tiny_models(draw: st.DrawFn, agents: int = 2, max_horizon: int = 3) -> tuple[DecPOMDP, int, float]:
    states = draw(st.integers(1, 3))
    actions = tuple(draw(st.integers(1, 2)) for _ in range(agents))
    observations = tuple(draw(st.integers(1, 2)) for _ in range(agents))
    horizon = draw(st.integers(1, max_horizon))
    seed = draw(st.integers(0, 2**32 - 1))
    discount = draw(st.sampled_from([1.0, 1.0, 0.9]))
    model = random_model(seed, agents, states, actions, observations, draw(st.booleans()))
    return model, horizon, discount


def histories(model: DecPOMDP, policy: ClusteredPolicy) -> DeterministicPolicy:
    """The clustered policy expanded to observation histories (for the history-based evaluator)."""
    assert isinstance(policy, ClusteredPolicy)
    return policy.to_deterministic(model.num_observations)


def close(a: float, b: float, tol: float = 1e-9) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


# ----------------------------------------------------------------------------- exact vs brute force
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_models())
def test_optimal_equals_brute_force_two_agents(case: tuple[DecPOMDP, int, float]) -> None:
    model, horizon, discount = case
    bf = solve_brute_force(model, horizon, discount)
    opt = solve_optimal(model, horizon, discount)
    assert opt.optimal and close(opt.value, bf.value), (opt.value, bf.value)
    assert close(evaluate_deterministic(model, histories(model, opt.policy), discount), opt.value)
    assert close(evaluate_clustered(model, opt.policy, discount=discount), opt.value)
    assert close(evaluate_deterministic(model, bf.policy, discount), bf.value)
    # the search alone (no JESP lower bound), with every heuristic, finds the optimum too
    for heuristic in ("qbg", "qpomdp", "qmdp"):
        r = solve_gmaa_ice(model, horizon, discount, heuristic=heuristic, initial_policy=False)
        assert r.optimal and close(r.value, bf.value), (heuristic, r.value, bf.value)
    # the fully observable MMDP optimum is an upper bound
    assert solve_mmdp(model, horizon, discount).value >= bf.value - 1e-9


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(tiny_models(agents=1, max_horizon=3), tiny_models(agents=3, max_horizon=2)))
def test_optimal_equals_brute_force_one_and_three_agents(case: tuple[DecPOMDP, int, float]) -> None:
    model, horizon, discount = case
    bf = solve_brute_force(model, horizon, discount)
    r = solve_gmaa_ice(model, horizon, discount, initial_policy=False)
    assert close(r.value, bf.value), (r.value, bf.value)
    assert close(solve_optimal(model, horizon, discount).value, bf.value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_models(), st.integers(0, 1000))
def test_optimum_dominates_jesp_dominates_its_start(case: tuple[DecPOMDP, int, float], seed: int) -> None:
    model, horizon, discount = case
    opt = solve_optimal(model, horizon, discount).value
    start = random_deterministic_policy(model, horizon, np.random.default_rng(seed))
    v0 = evaluate_deterministic(model, start, discount)
    jesp = solve_jesp(model, horizon, discount, init=start)
    assert opt >= jesp.value - 1e-9 >= v0 - 2e-9
    assert not jesp.optimal
    assert close(evaluate_deterministic(model, jesp.policy, discount), jesp.value)
    # a JESP fixed point is a Nash equilibrium in deterministic policies
    acts = [list(a) for a in jesp.policy.actions]
    for i in range(model.num_agents):
        v, _ = jesp_best_response(model, acts, i, horizon, discount)
        assert v <= jesp.value + 1e-9 * max(1.0, abs(v))
    assert solve_jesp(model, horizon, discount, seed=seed, restarts=3).value <= opt + 1e-9


def test_evaluate_matches_games_evaluation() -> None:
    """Independent check against the general evaluator of games.dec_pomdp.evaluation."""
    from games.dec_pomdp.evaluation import evaluate

    for seed in range(5):
        model = random_model(seed, 2, 3, (2, 3), (2, 2), False)
        pol = random_deterministic_policy(model, 3, np.random.default_rng(seed))
        assert close(evaluate_deterministic(model, pol, 0.9), evaluate(model, pol, 3, discount=0.9))


# ----------------------------------------------------------------------------- Dec-Tiger, climbing
def test_dec_tiger_published_values() -> None:
    model = hand_dec_tiger()
    # h = 2: both agents listen at t = 0 and listen again whatever they heard: -2 - 2 = -4
    listen = DeterministicPolicy(tuple((np.zeros(1, int), np.zeros(2, int)) for _ in range(2)))
    assert evaluate_deterministic(model, listen) == pytest.approx(-4.0, abs=1e-12)
    r2 = solve_optimal(model, 2)
    assert r2.value == pytest.approx(-4.0, abs=1e-4) and r2.optimal
    assert isinstance(r2, PlanResult) and r2.horizon == 2 and r2.method.startswith("gmaa-ice")
    assert solve_brute_force(model, 2).value == pytest.approx(-4.0, abs=1e-9)
    # published (masplan.org): 5.190812 (h=3), 4.802755 (h=4), 7.026451 (h=5)
    for h, want in ((3, 5.19081), (4, 4.802755), (5, 7.026451)):
        r = solve_optimal(model, h)
        assert r.value == pytest.approx(want, abs=1e-4), h
        assert r.value <= solve_mmdp(model, h).value


def test_climbing_game() -> None:
    model = DecPOMDP.from_normal_form(climbing())
    assert solve_optimal(model, 1).value == pytest.approx(11.0)
    assert solve_mmdp(model, 1).value == pytest.approx(11.0)
    assert solve_brute_force(model, 1).value == pytest.approx(11.0)
    # from (a3, b3) agent 0 climbs to a2 (6 > 5), then agent 1 to b2 (7 > 6): stuck at the NE (a2, b2)
    bad = DeterministicPolicy(((np.array([2]),), (np.array([2]),)))
    stuck = solve_jesp(model, 1, init=bad)
    assert stuck.value == pytest.approx(7.0)
    assert [int(a[0][0]) for a in stuck.policy.actions] == [1, 1]
    # (a2, b2) is itself a fixed point
    assert solve_jesp(model, 1, init=DeterministicPolicy(((np.array([1]),), (np.array([1]),)))).value == 7.0


def test_time_limit_returns_bounds() -> None:
    r = solve_optimal(hand_dec_tiger(), 5, heuristic="qmdp", time_limit=0.3)
    assert r.upper_bound >= r.value - 1e-9
    model = hand_dec_tiger()
    assert r.value == pytest.approx(evaluate_deterministic(model, histories(model, r.policy)))


# ----------------------------------------------------------------------------- Bayesian games
def test_bg_enumerator_order_and_best() -> None:
    rng = np.random.default_rng(3)
    u = rng.normal(size=(3, 2, 2, 3))
    values = []
    for b0 in np.ndindex(*(2,) * 3):
        for b1 in np.ndindex(*(3,) * 2):
            values.append(sum(u[i, j, b0[i], b1[j]] for i in range(3) for j in range(2)))
    values.sort(reverse=True)
    best = best_bg_solution(u)
    assert best is not None and best[0] == pytest.approx(values[0])
    assert best_bg_solution(u, values[0] + 1e-6) is None
    en = BGEnumerator(u)
    got = []
    while en.peek() is not None:
        got.append(en.pop()[0])
    assert np.allclose(got, values)


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("horizon", [0, -1, 1.5, True, "3"])
def test_bad_horizon(horizon: object) -> None:
    model = hand_dec_tiger()
    for fn in (solve_optimal, solve_mmdp, solve_jesp, solve_brute_force):
        with pytest.raises(ConfigError):
            fn(model, horizon)  # type: ignore[operator]


def test_bad_arguments() -> None:
    model = hand_dec_tiger()
    with pytest.raises(ConfigError):
        solve_optimal(model, 2, discount=0.0)
    with pytest.raises(ConfigError):
        solve_optimal(model, 2, heuristic="nope")
    with pytest.raises(ConfigError):
        solve_optimal(model, 2, time_limit=-1)
    with pytest.raises(GameError):
        solve_optimal("not a model", 2)  # type: ignore[arg-type]
    with pytest.raises(GameError):
        solve_jesp(model, 2, restarts=0)
    with pytest.raises(GameError):
        solve_jesp(model, 2, init=random_deterministic_policy(model, 3, np.random.default_rng(0)))
    with pytest.raises(GameError, match="brute force"):
        solve_brute_force(model, 4)
    with pytest.raises(GameError):
        evaluate_deterministic(model, DeterministicPolicy(((np.zeros(1, int),),)))
    three = random_model(0, 3, 2, (2, 2, 2), (1, 1, 1), False)
    with pytest.raises(ConfigError, match="two agents"):
        solve_optimal(three, 2, heuristic="qbg")


# ----------------------------------------------------------------------------- corpus
PUBLISHED = [  # (file, horizon, value, decimals given by the source)
    ("dectiger.dpomdp", 2, -4.0, 6),
    ("dectiger.dpomdp", 3, 5.190812, 6),
    ("dectiger.dpomdp", 4, 4.802755, 6),
    ("dectiger.dpomdp", 5, 7.026451, 6),
    ("broadcastChannel.dpomdp", 2, 2.0, 6),
    ("broadcastChannel.dpomdp", 3, 2.99, 6),
    ("broadcastChannel.dpomdp", 4, 3.89, 6),
    ("broadcastChannel.dpomdp", 5, 4.79, 6),
    ("GridSmall.dpomdp", 2, 0.91, 6),
    ("GridSmall.dpomdp", 3, 1.550444, 6),
    ("recycling.dpomdp", 2, 7.0, 2),
    ("recycling.dpomdp", 3, 10.66, 2),
    ("recycling.dpomdp", 4, 13.38, 2),
    ("fireFighting_2_3_3.dpomdp.gz", 2, -4.383496, 6),
    ("fireFighting_2_3_3.dpomdp.gz", 3, -5.736969, 6),
    ("boxPushingUAI07.dpomdp.gz", 2, 17.6, 1),
    ("Mars.dpomdp.gz", 2, 5.8, 1),
]

_MODELS: dict[str, DecPOMDP] = {}


@pytest.mark.parametrize(("name", "horizon", "value", "decimals"), PUBLISHED,
                         ids=[f"{p[0].split('.')[0]}-h{p[1]}" for p in PUBLISHED])
def test_corpus_published_optima(name: str, horizon: int, value: float, decimals: int) -> None:
    fmt = pytest.importorskip("games.dec_pomdp.madp_format")
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"corpus file {path} missing")
    if name not in _MODELS:
        _MODELS[name] = fmt.read_dpomdp(str(path))
    model = _MODELS[name]
    r = solve_optimal(model, horizon, 1.0)
    assert r.optimal and r.upper_bound == r.value
    assert abs(r.value - value) <= max(1e-4, 0.5 * 10.0 ** -decimals) + 1e-12, (r.value, value)
    assert math.isclose(evaluate_deterministic(model, histories(model, r.policy), 1.0), r.value,
                        rel_tol=1e-9, abs_tol=1e-9)


def test_sizes_beyond_reach_are_refused_before_allocating() -> None:
    """JESP's history tables and the MMDP's Q-tables are checked against their limits before any
    allocation; a heuristic that cannot finish within the time limit says so."""
    from ce.planning.jesp import MAX_HISTORIES
    from games.errors import SolverError

    tiger = hand_dec_tiger()
    assert 2**40 > MAX_HISTORIES
    with pytest.raises(ConfigError, match="histories"):
        solve_jesp(tiger, 41)
    with pytest.raises(GameError, match="Q-values over 100000000 stages"):
        solve_mmdp(tiger, 100_000_000)
    with pytest.raises(SolverError, match="time limit"):
        solve_optimal(tiger, 100_000, time_limit=1e-3)
