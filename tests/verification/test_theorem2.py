"""Tests of verification/theorem2.py (AgentMixer Theorem 2: the executed policy is an ε-CE).

A reduced run (coordination and bridge_crossing_observed, 100 iterations, ~1 s) must pass, with the
cooperative bound 0 ≤ ε ≤ V*_dec − V re-checked here for every measured (value, ε) pair; doctored
measurements must make the check fail, so the check is not vacuous.
"""

from __future__ import annotations

import pytest

from verification import theorem2
from verification.theorem2 import EPS_TOL, INSTANCES, KL_TOL, _check, run

NAMES = ("coordination", "bridge_crossing_observed")
TAGS = ("agentmixer_uniform", "agentmixer_random")
LEARNER_KEYS = {"dec_optimum", "mmdp_optimum", "ail", "ail_eps"} | {
    f"{tag}/{x}" for tag in TAGS for x in ("joint", "mode", "mode_eps", "sampled", "sampled_eps", "kl")
} | {f"independent_{init}{x}" for init in ("uniform", "random") for x in ("", "_eps")}


def _pairs(m: dict[str, float]) -> list[tuple[str, float, float]]:
    """(name, value, ε) of every executed policy, listed independently of the module's _pairs."""
    out = [("ail", m["ail"], m["ail_eps"])]
    for init in ("uniform", "random"):
        out.append((f"independent_{init}", m[f"independent_{init}"], m[f"independent_{init}_eps"]))
        for kind in ("mode", "sampled"):
            key = f"agentmixer_{init}/{kind}"
            out.append((key, m[key], m[key + "_eps"]))
    return out


@pytest.fixture(scope="module")
def reduced():
    instances = tuple(inst for inst in INSTANCES if inst.name in NAMES)
    assert [inst.name for inst in instances] == list(NAMES)
    return instances, run(iterations=100, instances=instances)


def test_instance_list() -> None:
    assert {inst.name for inst in INSTANCES} == {
        "climbing", "penalty", "coordination", "sum_to_10", "bridge_crossing",
        "bridge_crossing_observed", "dec_tiger_h2", "dec_tiger_h3"}
    horizons = {inst.name: inst.horizon for inst in INSTANCES}
    assert horizons["coordination"] == 1 and horizons["bridge_crossing_observed"] == 2
    assert horizons["dec_tiger_h3"] == 3


def test_reduced_run_passes_with_named_checks(reduced) -> None:
    _, result = reduced
    assert result.claim == "theorem2"
    assert [c.name for c in result.checks] == ["coordination/h1", "bridge_crossing_observed/h2"]
    assert result.passed, [(c.name, c.detail) for c in result.failed]
    for check in result.checks:
        assert set(check.measured) == LEARNER_KEYS


def test_reduced_run_planner_values(reduced) -> None:
    """Coordination: 2 at (A, A), one state so V*_dec = V*_MMDP. Observed bridge crossing: every
    agent sees the full state, so V*_dec = V*_MMDP = -2.25 (catalog docstring (a))."""
    _, result = reduced
    coord, observed = (dict(c.measured) for c in result.checks)
    assert coord["dec_optimum"] == pytest.approx(2.0, abs=1e-12)
    assert coord["mmdp_optimum"] == pytest.approx(2.0, abs=1e-12)
    assert observed["dec_optimum"] == pytest.approx(-2.25, abs=1e-12)
    assert observed["mmdp_optimum"] == pytest.approx(-2.25, abs=1e-12)


def test_cooperative_bound_holds_for_every_measured_pair(reduced) -> None:
    _, result = reduced
    for check in result.checks:
        m = dict(check.measured)
        for name, value, eps in _pairs(m):
            assert eps >= -1e-9, (check.name, name)
            assert eps <= m["dec_optimum"] - value + 1e-9, (check.name, name)
            assert value <= m["dec_optimum"] + 1e-9, (check.name, name)
        # the trained joint sees the state: bounded by the fully observable optimum
        for tag in TAGS:
            assert m[f"{tag}/joint"] <= m["mmdp_optimum"] + 1e-9
            assert m[f"{tag}/kl"] >= 0.0


def test_theorem2_premise_and_conclusion_hold_on_the_reduced_instances(reduced) -> None:
    _, result = reduced
    for check in result.checks:
        m = dict(check.measured)
        assert m["agentmixer_uniform/kl"] <= KL_TOL
        assert m["agentmixer_uniform/mode_eps"] <= EPS_TOL
        assert m["agentmixer_uniform/mode"] == pytest.approx(m["dec_optimum"], abs=1e-9)
        assert "premise holds" in check.detail


def _doctored(reduced, **changes: float) -> dict[str, float]:
    _, result = reduced
    m = dict(result.checks[0].measured)   # coordination/h1, a passing measurement
    m.update(changes)
    return m


def test_check_fails_when_a_gap_exceeds_the_bound(reduced) -> None:
    instances, result = reduced
    assert _check(instances[0], dict(result.checks[0].measured)).passed
    m = _doctored(reduced)
    m["ail_eps"] = m["dec_optimum"] - m["ail"] + 0.5       # ε > V*_dec − V: impossible
    assert not _check(instances[0], m).passed
    m = _doctored(reduced)
    m["independent_random_eps"] = -0.1                      # negative gap
    assert not _check(instances[0], m).passed
    m = _doctored(reduced)
    m["agentmixer_random/sampled"] = m["dec_optimum"] + 1.0  # value above the decentralized optimum
    assert not _check(instances[0], m).passed


def test_check_fails_when_the_premise_holds_but_the_mode_is_no_equilibrium(reduced) -> None:
    instances, _ = reduced
    m = _doctored(reduced, **{"agentmixer_uniform/mode_eps": 0.1, "agentmixer_uniform/mode": 1.0})
    # the bound itself is respected (0.1 <= 2 - 1), only Theorem 2's conclusion is violated
    check = _check(instances[0], m)
    assert not check.passed
    assert "premise holds" in check.detail


def test_check_claims_nothing_when_the_premise_fails(reduced) -> None:
    instances, _ = reduced
    m = _doctored(reduced, **{"agentmixer_uniform/mode_eps": 0.1, "agentmixer_uniform/mode": 1.0,
                              "agentmixer_uniform/kl": 10 * KL_TOL})
    check = _check(instances[0], m)
    assert check.passed
    assert "premise fails" in check.detail and "KL" in check.detail
    m = _doctored(reduced, **{"agentmixer_uniform/mode_eps": 0.1, "agentmixer_uniform/mode": 1.0,
                              "agentmixer_uniform/joint": m["mmdp_optimum"] - 10 * theorem2.JOINT_TOL})
    check = _check(instances[0], m)
    assert check.passed
    assert "premise fails" in check.detail and "below" in check.detail


def test_run_writes_the_values_figure(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    from verification import theorem2

    result = theorem2.run(60, theorem2.INSTANCES[2:3], out_dir=tmp_path)
    assert result.passed
    assert (tmp_path / "theorem2_values.png").stat().st_size > 0
