"""Tests of the verification suite: each module's verdicts and numbers, every soundness check and
verdict rule fed doctored numbers (it must then fail or change), the result types, and ``verify``
through argparse with its exit statuses."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from agentmixer.cli_verify import CLAIMS, add_verify_parser
from verification import igc, magpo, theorem1
from verification.result import Check, ClaimResult, Verdict


def _checks(result: ClaimResult) -> dict[str, Check]:
    return {c.name: c for c in result.checks}


def _verdicts(result: ClaimResult) -> dict[str, Verdict]:
    return {v.name: v for v in result.verdicts}


# --------------------------------------------------------------------------- theorem 1


@pytest.fixture(scope="module")
def theorem1_measured() -> dict:
    return theorem1.measure()


def test_theorem1_verdicts_and_numbers(theorem1_measured: dict) -> None:
    result = ClaimResult("theorem1", *theorem1.judge(theorem1_measured))
    assert result.sound, "\n".join(result.table_lines())
    v = _verdicts(result)
    assert v["thm1/identifiable"].verdict == "reproduced"
    assert v["thm1/identifiable"].numbers["identifiable_instances"] == 3
    assert "private_signals" in v["thm1/identifiable"].numbers["which"]
    fail = v["motivation/asymmetric_failure"]
    assert fail.verdict == "reproduced"
    assert fail.numbers["distilled_value"] == pytest.approx(-5.0625, abs=1e-12)
    assert fail.numbers["dec_optimum"] == pytest.approx(-3.0, abs=1e-12)
    assert fail.numbers["identifiability_kl"] > 0.1
    private = theorem1_measured["private_signals/identifiable"]
    assert private["distilled_value"] == pytest.approx(3.0, abs=1e-9)
    assert private["identifiability_kl"] == pytest.approx(0.0, abs=1e-12)
    eq6 = v["eq6/fixed_point"]
    assert eq6.verdict == "refuted"
    assert eq6.numbers["bridge_crossing_gap"] == pytest.approx(0.0, abs=1e-9)   # occupancy ignores η there
    assert eq6.numbers["fork_gap"] > 0.01                                      # steering to branch A pays
    assert eq6.numbers["fork_p_branch_A_minimiser"] > eq6.numbers["fork_p_branch_A_fixed_point"] == 0.5
    eq8 = v["eq8/stationary"]
    assert eq8.verdict == "refuted"
    assert eq8.numbers["swing_last_change"] > 0.5 and eq8.numbers["swing_period2_mismatch"] < 1e-12
    assert eq8.numbers["random_converged"] == eq8.numbers["random_instances"] == 20


@pytest.mark.parametrize(("check", "key", "change"), [
    ("optimum_bounds", "climbing/identifiable", {"distilled_value": 11.5}),
    ("optimum_bounds", "private_signals/identifiable", {"dec_optimum": 3.5}),
    ("eq8/finite_horizon", "eq8/finite_horizon", {"max_change_after_H": 1e-3}),
    ("eq6/fixed_point_residual", "fork/eq6", {"fixed_point_residual": 1e-6}),
])
def test_theorem1_checks_fail_on_doctored_numbers(theorem1_measured: dict, check: str, key: str,
                                                  change: dict) -> None:
    rule = theorem1.CHECKS[check]
    assert rule.holds(theorem1_measured[key])
    assert not rule.holds({**theorem1_measured[key], **change})


def test_theorem1_verdicts_turn_on_doctored_numbers(theorem1_measured: dict) -> None:
    decide = {k: r.decide for k, r in theorem1.CLAIMS.items()}
    assert decide["thm1/identifiable"]({"identifiable_instances": 2, "max_abs_gap": 0.5}) == "refuted"
    assert decide["thm1/identifiable"]({"identifiable_instances": 0, "max_abs_gap": 0.0}) == "not reproduced"
    fail = theorem1_measured["bridge_crossing/asymmetric_failure"]
    assert decide["motivation/asymmetric_failure"]({**fail, "distilled_value": -3.0}) == "not reproduced"
    assert decide["eq6/fixed_point"]({"max_gap": 0.0}) == "reproduced"
    stationary = theorem1_measured["eq8/stationary"]
    assert decide["eq8/stationary"]({**stationary, "swing_last_change": 0.0}) == "reproduced"
    cycling = {**stationary, "swing_last_change": 0.0, "random_converged": 19}
    assert decide["eq8/stationary"](cycling) == "refuted"


# --------------------------------------------------------------------------- IGC


@pytest.fixture(scope="module")
def igc_measured() -> dict:
    return igc.measure(seed=3, batch=200)


def test_igc_verdicts_and_numbers(igc_measured: dict) -> None:
    result = ClaimResult("igc", *igc.judge(igc_measured))
    assert result.sound, "\n".join(result.table_lines())
    v = _verdicts(result)
    assert v["def6/paper_code_modifier"].verdict == "refuted"
    ce = v["def6/paper_code_modifier"].numbers
    assert (ce["alpha_mode"], ce["softmax_mode"], ce["igc_mode"]) == (0, 1, 0)
    assert v["def6/exact_igc"].verdict == "reproduced"
    assert igc_measured["discrete/igc_modify"]["rows_with_ties"] > 0
    training = igc_measured["training/igc_every_step"]
    assert training["violations"] == 0 and training["handoff_steps"] >= 1


@pytest.mark.parametrize(("check", "change"), [
    ("discrete/igc_modify", {"mode_violations": 1}),
    ("discrete/igc_modify", {"max_nonmode_ratio": 1.0}),
    ("discrete/igc_joint", {"mode_violations": 2}),
    ("discrete/igc_cap", {"max_round_trip_error": 1e-6}),
    ("continuous/gaussian_igc", {"max_mean_error": 1e-3}),
    ("training/igc_every_step", {"violations_after_handoff": 1, "violations": 1}),
    ("training/igc_every_step", {"handoff_steps": 0}),
])
def test_igc_checks_fail_on_doctored_numbers(igc_measured: dict, check: str, change: dict) -> None:
    rule = igc.CHECKS[check]
    assert rule.holds(igc_measured[check])
    assert not rule.holds({**igc_measured[check], **change})


def test_igc_verdicts_turn_on_doctored_numbers(igc_measured: dict) -> None:
    ce = igc_measured["counterexample"]
    assert igc.CLAIMS["def6/paper_code_modifier"].decide({**ce, "softmax_mode": 0}) == "reproduced"
    checks, verdicts = igc.judge({**igc_measured, "discrete/igc_cap": {**igc_measured["discrete/igc_cap"],
                                                                        "mode_violations": 3}})
    assert _verdicts(ClaimResult("igc", checks, verdicts))["def6/exact_igc"].verdict == "refuted"


# --------------------------------------------------------------------------- MAGPO


@pytest.fixture(scope="module")
def magpo_measured() -> dict:
    return magpo.measure(seeds=4, iterations=15)


def test_magpo_verdicts_and_numbers(magpo_measured: dict) -> None:
    result = ClaimResult("magpo", *magpo.judge(magpo_measured))
    assert result.sound, "\n".join(result.table_lines())
    v = _verdicts(result)
    for name in ("thm4.1/one_step", "thm4.1/dec_trust_region", "thm4.1/trust_region_needed",
                 "projection/forward_loses", "cor4.2/vs_start"):
        assert v[name].verdict == "reproduced", name
    assert v["cor4.2/per_update"].verdict == "refuted"
    assert v["cor4.2/per_update"].numbers["min_single_update_step"] < -0.1
    fwd = magpo_measured["forward"]
    assert fwd["V_0"] == pytest.approx(0.7823, abs=1e-12)
    assert fwd["V_1_forward"] == pytest.approx(-4.25, abs=1e-9)
    trust = magpo_measured["dec_trust"]
    assert trust["runs"] == 15 and trust["min_state_surrogate_gap"] < 0
    free = magpo_measured["dec_no_trust"]
    assert free["V_k"] == pytest.approx(-5.2545032, abs=1e-6)
    assert free["V_k+1"] == pytest.approx(-28.961017, abs=1e-5)


def test_magpo_rules_turn_on_doctored_numbers(magpo_measured: dict) -> None:
    one = magpo_measured["one_step"]
    assert magpo.CHECKS["one_step/surrogate_is_value"].holds(one)
    assert not magpo.CHECKS["one_step/surrogate_is_value"].holds({**one, "max_surrogate_error": 1e-6})
    decide = {k: r.decide for k, r in magpo.CLAIMS.items()}
    assert decide["thm4.1/one_step"]({**one, "min_value_step": -1e-3}) == "refuted"
    trust = {**magpo_measured["dec_trust"], "min_value_step": -1.0}
    assert decide["thm4.1/dec_trust_region"](trust) == "refuted"
    no_trust = magpo_measured["dec_no_trust"]
    assert decide["thm4.1/trust_region_needed"]({**no_trust, "min_step_with_delta": -1.0}) == "not reproduced"
    forward = {**magpo_measured["forward"], "V_1_forward": 1.0}
    assert decide["projection/forward_loses"](forward) == "not reproduced"
    assert decide["cor4.2/per_update"]({**one, "min_single_update_step": 0.0}) == "reproduced"
    assert decide["cor4.2/vs_start"]({**one, "min_intermediate_minus_V_k": -0.1}) == "refuted"


# --------------------------------------------------------------------------- result types


def test_claim_result_separates_soundness_from_verdicts() -> None:
    good = Check("a", True, {"x": 1.0}, "x = 1", "fine")
    bad = Check("b", False, {"y": 2.5, "note": "off"}, "y = 1", "broken")
    claim = Verdict("c", "a paper says so", "not reproduced", {"z": 0.5}, "z >= 0.9")
    assert ClaimResult("demo", (good,)).sound
    result = ClaimResult("demo", (good, bad), (claim,))
    assert not result.sound and not result.reproduced
    assert result.failed == (bad,)
    assert result.counts() == {"reproduced": 0, "not reproduced": 1, "refuted": 0}
    assert not ClaimResult("empty", ()).sound
    table = "\n".join(result.table_lines())
    assert "soundness FAIL (1/2 checks)" in table and "NOT REPRODUCED" in table
    assert "check FAIL  b" in table and "y=2.5" in table and "note=off" in table
    md = result.markdown()
    assert md.startswith("## demo") and "**FAIL**" in md and "**not reproduced**" in md
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["sound"] is False and payload["reproduced"] is False
    assert payload["checks"][1] == {"name": "b", "passed": False, "measured": {"y": 2.5, "note": "off"},
                                    "expected": "y = 1", "detail": "broken"}
    assert payload["verdicts"][0]["verdict"] == "not reproduced"
    with pytest.raises(ValueError):
        Verdict("x", "s", "proven", {}, "c")


# --------------------------------------------------------------------------- the CLI


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    json_flag = argparse.ArgumentParser(add_help=False)
    json_flag.add_argument("--json", action="store_true")
    add_verify_parser(sub, json_flag)
    return parser


def test_cli_verify_writes_report_and_returns_zero(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args(["verify", "igc", "--out", str(tmp_path / "rep")])
    assert args.func(args) == 0                    # a refuted claim is a finding, not a failure
    out = capsys.readouterr().out
    assert "igc: claims 1 reproduced, 1 refuted; soundness PASS" in out
    assert "REFUTED" in out and "overall: claims:" in out
    report = (tmp_path / "rep" / "report.md").read_text()
    assert "## igc" in report and "| igc | 1 | 0 | 1 |" in report


def test_cli_strict_fails_on_claims_that_are_not_reproduced(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    sound = ClaimResult("igc", (Check("x", True, {"v": 1.0}, "v = 1"),),
                        (Verdict("c", "s", "not reproduced", {"v": 1.0}, "v >= 2"),))
    monkeypatch.setitem(CLAIMS, "igc", lambda: sound)
    assert (args := _parser().parse_args(["verify", "igc"])).func(args) == 0
    assert (args := _parser().parse_args(["verify", "igc", "--strict"])).func(args) == 1
    capsys.readouterr()


def test_cli_verify_json_all(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    from agentmixer import cli_verify
    from verification import theorem2

    small = theorem2.INSTANCES[2:3]  # coordination only: the full run has its own test
    monkeypatch.setitem(cli_verify.CLAIMS, "theorem2", lambda: theorem2.run(40, small, ordering_seeds=1))
    monkeypatch.setitem(cli_verify.CLAIMS, "magpo", lambda: magpo.run(seeds=2, iterations=5, dec_starts=1))
    args = _parser().parse_args(["verify", "--json", "--out", str(tmp_path)])
    assert args.claim == "all"
    assert args.func(args) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["sound"] is True and payload["all_reproduced"] is False
    assert [c["claim"] for c in payload["claims"]] == ["theorem1", "theorem2", "igc", "magpo", "climbing"]
    climbing = next(c for c in payload["claims"] if c["claim"] == "climbing")
    coordination = next(v for v in climbing["verdicts"] if v["name"] == "coordination/agentmixer")
    assert coordination["verdict"] == "reproduced" and coordination["numbers"]["agentmixer_11"] == 1.0
    assert sum(payload["verdicts"].values()) == sum(len(c["verdicts"]) for c in payload["claims"])
    report = (tmp_path / "report.md").read_text()
    assert "![climbing_basins](climbing_basins.png)" in report
    assert (tmp_path / "climbing_basins.png").exists() and (tmp_path / "climbing_curves.png").exists()


def test_cli_verify_returns_one_on_a_failed_soundness_check(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    failing = ClaimResult("igc", (Check("x", False, {"v": 0.0}, "v = 1"),))
    monkeypatch.setitem(CLAIMS, "igc", lambda: failing)
    args = _parser().parse_args(["verify", "igc"])
    assert args.func(args) == 1
    assert "soundness: FAIL" in capsys.readouterr().out


def test_unknown_claims_are_not_choices() -> None:
    parser = _parser()
    for name in ("theorem3", "thm2"):
        with pytest.raises(SystemExit):
            parser.parse_args(["verify", name])
