"""Tests of the verification suite (issue 4): each claim passes with its key numbers, the result
types aggregate PASS/FAIL correctly, and ``verify`` works through argparse."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from agentmixer.cli_verify import CLAIMS, add_verify_parser
from verification import igc, magpo, theorem1
from verification.result import Check, ClaimResult


def _checks(result: ClaimResult) -> dict[str, Check]:
    return {c.name: c for c in result.checks}


@pytest.fixture(scope="module")
def theorem1_result() -> ClaimResult:
    return theorem1.run()


def test_theorem1_passes_with_its_numbers(theorem1_result: ClaimResult) -> None:
    assert theorem1_result.passed, "\n".join(theorem1_result.table_lines())
    checks = _checks(theorem1_result)
    fail = checks["bridge_crossing/asymmetric_failure"].measured
    assert fail["distilled_value"] == pytest.approx(-5.0625, abs=1e-12)
    assert fail["dec_optimum"] == pytest.approx(-3.0, abs=1e-12)
    assert fail["joint_value"] == pytest.approx(-2.25, abs=1e-12)
    assert fail["identifiability_kl"] > 0.1
    observed = checks["bridge_crossing_observed/identifiable"].measured
    assert observed["distilled_value"] == pytest.approx(-2.25, abs=1e-6)
    assert observed["dec_optimum"] == pytest.approx(-2.25, abs=1e-6)
    assert observed["identifiability_kl"] == pytest.approx(0.0, abs=1e-9)
    climb = checks["climbing/identifiable"].measured
    assert climb["distilled_value"] == pytest.approx(11.0, abs=1e-6)
    assert climb["identifiability_kl"] == pytest.approx(0.0, abs=1e-9)


def test_igc_passes_with_its_numbers() -> None:
    result = igc.run(seed=3, batch=200)
    assert result.passed, "\n".join(result.table_lines())
    checks = _checks(result)
    assert checks["discrete/igc_modify"].measured["mode_violations"] == 0
    assert checks["discrete/igc_modify"].measured["rows_with_ties"] > 0
    assert checks["discrete/igc_joint"].measured["mode_violations"] == 0
    assert checks["continuous/gaussian_igc"].measured["max_mean_error"] == 0.0
    ce = checks["counterexample/softmax_modifier"].measured
    assert (ce["alpha_mode"], ce["softmax_mode"], ce["igc_mode"]) == (0, 1, 0)


def test_magpo_passes_with_its_numbers() -> None:
    result = magpo.run(seeds=4, iterations=15)
    assert result.passed, "\n".join(result.table_lines())
    checks = _checks(result)
    assert checks["reverse/monotone"].measured["min_value_step"] >= -1e-10
    assert checks["reverse/monotone"].measured["min_surrogate_minus_V_k"] >= -1e-10
    fwd = checks["forward/value_loss"].measured
    assert fwd["V_0"] == pytest.approx(0.7823, abs=1e-12)
    assert fwd["V_1_forward"] == pytest.approx(-4.25, abs=1e-9)
    assert fwd["V_1_reverse"] >= fwd["V_0"]
    trust = checks["dec/reverse_trust_region"].measured
    assert trust["min_value_step"] >= -1e-10 and trust["runs"] == 15
    assert trust["min_state_surrogate_gap"] < 0  # a decentralized learner cannot improve at every state
    free = checks["dec/reverse_without_trust_region"].measured
    assert free["V_k"] == pytest.approx(-5.2545032, abs=1e-6)
    assert free["V_k+1"] == pytest.approx(-28.961017, abs=1e-5)


def test_claim_result_fails_when_a_check_fails() -> None:
    good = Check("a", True, {"x": 1.0}, "x = 1", "fine")
    bad = Check("b", False, {"y": 2.5, "note": "off"}, "y = 1", "broken")
    assert ClaimResult("demo", (good,)).passed
    result = ClaimResult("demo", (good, bad))
    assert not result.passed
    assert result.failed == (bad,)
    assert not ClaimResult("empty", ()).passed
    table = "\n".join(result.table_lines())
    assert "demo: FAIL (1/2 checks)" in table
    assert "FAIL  b" in table and "y=2.5" in table and "note=off" in table
    md = result.markdown()
    assert md.startswith("## demo: FAIL") and "**FAIL**" in md
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["passed"] is False
    assert payload["checks"][1] == {"name": "b", "passed": False, "measured": {"y": 2.5, "note": "off"},
                                    "expected": "y = 1", "detail": "broken"}


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
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "igc: PASS" in out and "overall: PASS" in out
    report = (tmp_path / "rep" / "report.md").read_text()
    assert "Overall: **PASS**" in report and "## igc: PASS" in report


def test_cli_verify_json_all(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    from agentmixer import cli_verify
    from verification import theorem2

    small = theorem2.INSTANCES[2:3]  # coordination only: the full run has its own test
    monkeypatch.setitem(cli_verify.CLAIMS, "theorem2", lambda: theorem2.run(100, small))
    args = _parser().parse_args(["verify", "--json", "--out", str(tmp_path)])
    assert args.claim == "all"
    assert args.func(args) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["passed"] is True
    assert [c["claim"] for c in payload["claims"]] == ["theorem1", "theorem2", "igc", "magpo", "climbing"]
    report = (tmp_path / "report.md").read_text()
    assert "![climbing_basins](climbing_basins.png)" in report
    assert (tmp_path / "climbing_basins.png").exists() and (tmp_path / "climbing_curves.png").exists()


def test_cli_verify_returns_one_on_failure(monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    failing = ClaimResult("igc", (Check("x", False, {"v": 0.0}, "v = 1"),))
    monkeypatch.setitem(CLAIMS, "igc", lambda: failing)
    args = _parser().parse_args(["verify", "igc"])
    assert args.func(args) == 1
    assert "overall: FAIL" in capsys.readouterr().out


def test_unknown_claims_are_not_choices() -> None:
    parser = _parser()
    for name in ("theorem3", "thm2"):
        with pytest.raises(SystemExit):
            parser.parse_args(["verify", name])
