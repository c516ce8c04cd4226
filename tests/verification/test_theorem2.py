"""Tests of verification/theorem2.py (AgentMixer Theorem 2: the executed policy is an ε-CE).

A reduced run (coordination and bridge_crossing_observed, 60 iterations) must be sound, with the
cooperative bound 0 ≤ ε ≤ V*_dec − V re-checked here for every measured (value, ε) pair; the
quantitative bound is recomputed from its pieces; doctored measurements must make the check fail
and turn the verdicts, so neither is vacuous.
"""

from __future__ import annotations

import numpy as np
import pytest

from games.dec_pomdp.catalog import bridge_crossing
from learners.exact.agentmixer import AgentMixerConfig, joint_divergences, run_agentmixer
from verification import theorem2
from verification.theorem2 import AGENTMIXERS, CHECKS, CLAIMS, EPS_TOL, INSTANCES, KL_TOL, judge, run

NAMES = ("coordination", "bridge_crossing_observed")
AM_KEYS = ("joint", "mode", "mode_eps", "sampled", "sampled_eps", "kl", "bound_mode", "bound_sampled",
           "bound_sampled_pinsker")
LEARNER_KEYS = {"dec_optimum", "mmdp_optimum", "ail", "ail_eps"} | {
    f"{tag}/{x}" for tag in AGENTMIXERS for x in AM_KEYS
} | {f"independent_{init}{x}" for init in ("uniform", "random") for x in ("", "_eps")}


def _pairs(m: dict[str, float]) -> list[tuple[str, float, float]]:
    """(name, value, ε) of every executed policy, listed independently of the module's _pairs."""
    out = [("ail", m["ail"], m["ail_eps"])]
    for init in ("uniform", "random"):
        out.append((f"independent_{init}", m[f"independent_{init}"], m[f"independent_{init}_eps"]))
    for tag in AGENTMIXERS:
        for kind in ("mode", "sampled"):
            out.append((f"{tag}/{kind}", m[f"{tag}/{kind}"], m[f"{tag}/{kind}_eps"]))
    return out


@pytest.fixture(scope="module")
def reduced():
    instances = tuple(inst for inst in INSTANCES if inst.name in NAMES)
    assert [inst.name for inst in instances] == list(NAMES)
    data = [theorem2.measure(inst, 60) for inst in instances]
    ordering = theorem2.gap_ordering(2)
    return instances, data, ordering


def test_instance_list() -> None:
    assert {inst.name for inst in INSTANCES} == {
        "climbing", "penalty", "coordination", "sum_to_10", "bridge_crossing",
        "bridge_crossing_observed", "dec_tiger_h2", "dec_tiger_h3"}
    horizons = {inst.name: inst.horizon for inst in INSTANCES}
    assert horizons["coordination"] == 1 and horizons["bridge_crossing_observed"] == 2
    assert horizons["dec_tiger_h3"] == 3


def test_reduced_run_is_sound_with_named_checks(reduced) -> None:
    instances, data, ordering = reduced
    checks, verdicts = judge(instances, data, ordering)
    assert [c.name for c in checks] == ["coordination/h1", "bridge_crossing_observed/h2"]
    assert all(c.passed for c in checks), [c.name for c in checks if not c.passed]
    for m in data:
        assert set(m) == LEARNER_KEYS
    v = {x.name: x for x in verdicts}
    assert v["thm2/quantitative"].verdict == "reproduced"
    assert v["thm2/executed_is_ce"].verdict == "reproduced"
    assert v["defs/gap_ordering"].verdict == "reproduced"


def test_reduced_run_planner_values(reduced) -> None:
    """Coordination: 2 at (A, A), one state so V*_dec = V*_MMDP. Observed bridge crossing: every
    agent sees the full state, so V*_dec = V*_MMDP = -2.25 (catalog docstring)."""
    _, (coord, observed), _ = reduced
    assert coord["dec_optimum"] == pytest.approx(2.0, abs=1e-12)
    assert coord["mmdp_optimum"] == pytest.approx(2.0, abs=1e-12)
    assert observed["dec_optimum"] == pytest.approx(-2.25, abs=1e-12)
    assert observed["mmdp_optimum"] == pytest.approx(-2.25, abs=1e-12)


def test_cooperative_bound_holds_for_every_measured_pair(reduced) -> None:
    _, data, _ = reduced
    for m in data:
        for name, value, eps in _pairs(m):
            assert eps >= -1e-9, name
            assert eps <= m["dec_optimum"] - value + 1e-9, name
            assert value <= m["dec_optimum"] + 1e-9, name
        for tag in AGENTMIXERS:
            assert m[f"{tag}/joint"] <= m["mmdp_optimum"] + 1e-9
            assert m[f"{tag}/kl"] >= 0.0


def test_the_quantitative_bound_from_its_pieces() -> None:
    """Recompute the bound: (V*_dec − J) + ΔR Σ_u (H − u) τ_u, τ from the divergences, and check
    τ_u ≤ sqrt(D_u / 2) (Pinsker) and ε ≤ bound on a trained bridge-crossing run."""
    from ce.dec_gaps import dec_ce_gap

    model = bridge_crossing()
    res = run_agentmixer(model, AgentMixerConfig.paper(iterations=30, init="random", seed=2))
    div = joint_divergences(model, res)
    assert all(0.0 <= x <= 1.0 for x in div["tv_mode"] + div["tv_sampled"])
    pinsker = zip(div["tv_sampled"], div["kl_sampled"], strict=True)
    assert all(tv <= np.sqrt(kl / 2) + 1e-12 for tv, kl in pinsker)
    b = theorem2.bounds(model, res, -3.0)
    spread = float(model.reward.max() - model.reward.min())
    want = (-3.0 - res.final_joint_value) + spread * (2 * div["tv_mode"][0] + div["tv_mode"][1])
    assert b["bound_mode"] == pytest.approx(want, abs=1e-12)
    assert dec_ce_gap(model, res.decentralized_policy(deterministic=True)).epsilon <= b["bound_mode"] + 1e-9
    assert dec_ce_gap(model, res.decentralized_policy()).epsilon <= b["bound_sampled"] + 1e-9
    assert b["bound_sampled"] <= b["bound_sampled_pinsker"] + 1e-12


def test_check_fails_on_doctored_numbers(reduced) -> None:
    _, (coord, _), _ = reduced
    rule = CHECKS["bound"]
    assert rule.holds(coord)
    for change in ({"ail_eps": coord["dec_optimum"] - coord["ail"] + 0.5},      # ε > V*_dec − V
                   {"independent_random_eps": -0.1},                           # negative gap
                   {"agentmixer_random/sampled": coord["dec_optimum"] + 1.0},   # above the optimum
                   {"agentmixer_uniform/joint": coord["mmdp_optimum"] + 1.0}):  # joint above V*_MMDP
        assert not rule.holds({**coord, **change}), change


def test_premise_verdict_turns_on_doctored_numbers(reduced) -> None:
    instances, data, ordering = reduced
    coord = data[0]
    assert theorem2.premise(coord)             # the default on coordination: optimal and identifiable
    doctored = {**coord, "agentmixer_uniform/mode_eps": 0.1}
    v = {x.name: x for x in judge(instances, [doctored, data[1]], ordering)[1]}
    assert v["thm2/premise"].verdict == "refuted"
    assert v["thm2/executed_is_ce"].verdict == "not reproduced"
    no_premise = {**coord, **{f"{t}/kl": 10 * KL_TOL for t in AGENTMIXERS}}
    other = {**data[1], **{f"{t}/kl": 10 * KL_TOL for t in AGENTMIXERS}}
    v = {x.name: x for x in judge(instances, [no_premise, other], ordering)[1]}
    assert v["thm2/premise"].verdict == "not reproduced"
    holds = {"premise_runs": 2, "max_eps_under_premise": EPS_TOL}
    assert CLAIMS["thm2/premise"].decide(holds) == "reproduced"


def test_quantitative_and_ordering_verdicts_turn_on_doctored_numbers(reduced) -> None:
    instances, data, ordering = reduced
    coord = {**data[0], "agentmixer_uniform/mode_eps": data[0]["agentmixer_uniform/bound_mode"] + 0.5}
    v = {x.name: x for x in judge(instances, [coord, data[1]], ordering)[1]}
    assert v["thm2/quantitative"].verdict == "refuted"
    assert CLAIMS["defs/gap_ordering"].decide({**ordering, "violations": 1}) == "refuted"


def test_run_writes_the_values_figure(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    result = run(30, INSTANCES[2:3], out_dir=tmp_path, ordering_seeds=1)
    assert result.sound
    assert (tmp_path / "theorem2_values.png").stat().st_size > 0
