"""The gap reports as a whole: one field set for normal-form and Dec-POMDP reports, gaps relative
to the payoff ranges, the three gaps of one profile, and reading a distribution file's JSON."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ce.dec_gaps import DecGapReport, dec_ce_gap, dec_ne_gap
from ce.distributions import parse_profile
from ce.errors import DistributionError
from ce.gaps import ce_gap, equilibrium_gaps
from games.dec_pomdp.catalog import dec_tiger
from games.dec_pomdp.policies import StochasticPolicy
from games.normal_form.catalog import make_game
from games.normal_form.game import NormalFormGame

CHICKEN = make_game("chicken")
AUMANN = np.array([[0.0, 1 / 3], [1 / 3, 1 / 3]])


# --------------------------------------------------------------------------- one report shape
def test_normal_form_and_dec_pomdp_reports_share_field_names() -> None:
    shared = ["concept", "epsilon", "regrets", "values", "deviation_values", "best_deviations"]
    assert [f.name for f in dataclasses.fields(ce_gap(CHICKEN, AUMANN))][:6] == shared
    assert [f.name for f in dataclasses.fields(DecGapReport)] == shared
    model = dec_tiger()
    policy = StochasticPolicy.uniform(model.num_actions, model.num_observations, 2)
    for rep in (dec_ne_gap(model, policy, horizon=2), dec_ce_gap(model, policy, horizon=2)):
        np.testing.assert_allclose(rep.regrets, rep.deviation_values - rep.values, atol=1e-12)
        # former names stay readable
        assert rep.value == rep.values[0]
        assert rep.best_response_values is rep.deviation_values
        assert rep.best_responses is rep.best_deviations
    rep = ce_gap(CHICKEN, np.full((2, 2), 0.25))
    np.testing.assert_allclose(rep.deviation_values, rep.values + rep.regrets)
    assert rep.best_deviation is rep.best_deviations


def test_relative_epsilon_is_in_units_of_the_payoff_range() -> None:
    uniform = np.full((2, 2), 0.25)
    base = ce_gap(CHICKEN, uniform)
    assert base.relative_epsilon == pytest.approx(base.epsilon / 7.0)  # chicken's payoffs: 0..7
    scaled = CHICKEN.with_payoffs(CHICKEN.payoffs * np.array([1e9, 1e-9])[:, None, None] + 3.0)
    rep = ce_gap(scaled, uniform)
    # (3 + 1e-9 u keeps ~7 of u's digits: the payoffs themselves are rounded at 1e-7 relative)
    assert rep.relative_epsilon == pytest.approx(base.relative_epsilon, rel=1e-6)
    assert ce_gap(NormalFormGame(np.ones((2, 2, 2))), uniform).relative_epsilon == 0.0


def test_equilibrium_gaps_decides_when_the_ne_gap_is_defined() -> None:
    reps = equilibrium_gaps(CHICKEN, AUMANN)
    assert reps["ne"] is None and reps["ce"].epsilon == pytest.approx(0.0, abs=1e-12)
    product = np.outer([1 / 3, 2 / 3], [1 / 3, 2 / 3])  # the mixed NE, given as a joint μ
    reps = equilibrium_gaps(CHICKEN, product)
    assert reps["ne"] is not None and reps["ne"].concept == "ne"
    assert reps["ne"].epsilon == pytest.approx(0.0, abs=1e-12)
    by_strategies = equilibrium_gaps(CHICKEN, strategies=[[1 / 3, 2 / 3], [1 / 3, 2 / 3]])
    np.testing.assert_allclose(by_strategies["cce"].regrets, reps["cce"].regrets, atol=1e-12)
    with pytest.raises(DistributionError, match="exactly one"):
        equilibrium_gaps(CHICKEN)


@pytest.mark.parametrize(("data", "pattern"), [
    ({"strategies": None}, "got null"),
    ({"strategies": 5}, r"got 5 \(a number\)"),
    (["0.5", "0", "0", "0.5"], r"entry \[0\] is '0.5' \(a string\)"),
    ([[True, 0], [0, 0]], r"entry \[0\]\[0\] is true \(a boolean\)"),
    ({"strategies": [[0.5, None], [1, 0]]}, r"player 0 .* entry \[1\] is null"),
    ({"joint": [[0.5, 0.5]], "extra": 1}, "exactly one key"),
    ("uniform", r"got 'uniform' \(a string\)"),
])
def test_parse_profile_names_the_bad_entry(data: object, pattern: str) -> None:
    with pytest.raises(DistributionError, match=pattern):
        parse_profile(CHICKEN, data, "d.json")
    joint, strategies = parse_profile(CHICKEN, {"joint": AUMANN.tolist()})
    assert strategies is None and joint is not None
