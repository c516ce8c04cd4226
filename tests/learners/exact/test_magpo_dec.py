"""Tabular MAGPO on Dec-POMDPs: agreement with the one-step implementation, the trust region's
monotonicity, the forward projection as an implicit product policy, and config validation."""

from __future__ import annotations

import numpy as np
import pytest

from games.dec_pomdp.catalog import bridge_crossing
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import StochasticPolicy
from games.errors import ConfigError, GameError
from games.normal_form.catalog import climbing, penalty
from learners.exact import MagpoConfig, run_magpo
from learners.exact.magpo_dec import MagpoDecConfig, run_magpo_dec


@pytest.mark.parametrize("projection", ["reverse", "forward"])
@pytest.mark.parametrize("game", [climbing(), penalty()], ids=["climbing", "penalty"])
def test_one_step_game_matches_normal_form_magpo(game, projection: str) -> None:
    """One state, one step: Q = R, the occupancy is trivial, so both implementations coincide."""
    nf = run_magpo(game, MagpoConfig(eta=1.0, projection=projection, iterations=6))
    dec = run_magpo_dec(DecPOMDP.from_normal_form(game), MagpoDecConfig(iterations=6, eta=1.0,
                                                                        projection=projection), horizon=1)
    np.testing.assert_allclose(dec.values, nf.learner_values, atol=1e-8)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_trust_region_keeps_bridge_crossing_monotone(seed: int) -> None:
    model = bridge_crossing()
    init = StochasticPolicy.random(model.num_actions, model.num_observations, 2, seed) if seed else None
    res = run_magpo_dec(model, MagpoDecConfig(iterations=10, eta=10.0, delta=0.1), init=init)
    assert res.monotone_within(1e-10)
    assert all(s <= 10.0 for s in res.step_sizes)
    assert res.final_value <= -3.0 + 1e-9  # never above the decentralized optimum


def test_guider_is_worth_at_least_the_learner_with_a_small_step() -> None:
    """μ ∝ π exp(ηQ) improves on π in expectation for small η (a mirror-descent step on the MMDP)."""
    model = bridge_crossing()
    res = run_magpo_dec(model, MagpoDecConfig(iterations=3, eta=0.05))
    for k in range(3):
        assert res.guider_values[k] >= res.values[k] - 1e-12


def test_config_validation() -> None:
    with pytest.raises(ConfigError, match="projection"):
        MagpoDecConfig(projection="sideways")
    with pytest.raises(ConfigError, match="eta"):
        MagpoDecConfig(eta=0.0)
    with pytest.raises(ConfigError, match="delta"):
        MagpoDecConfig(delta=-1.0)


def test_a_longer_init_is_truncated_and_a_shorter_one_refused() -> None:
    model = bridge_crossing()
    long_init = StochasticPolicy.random(model.num_actions, model.num_observations, 3, 4)
    short = StochasticPolicy(tuple(tuple(a[:2]) for a in long_init.probs))
    cfg = MagpoDecConfig(iterations=2, eta=0.5)
    assert run_magpo_dec(model, cfg, init=long_init).values == run_magpo_dec(model, cfg, init=short).values
    with pytest.raises(GameError, match="init has 1 steps"):
        run_magpo_dec(model, cfg, init=StochasticPolicy(tuple(tuple(a[:1]) for a in long_init.probs)))
