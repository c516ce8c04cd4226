"""`agentmixer dpomdp info|solve|evaluate`: output contract and typed errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from paths import SHARED_DPOMDP

from agentmixer.cli import main

SHARED = SHARED_DPOMDP


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_info_builtin_and_file(capsys):
    code, out, _ = run(capsys, "dpomdp", "info", "dec_tiger", "--json")
    data = json.loads(out)
    assert code == 0 and data["states"] == 2 and data["joint_actions"] == 9
    assert data["actions"][0] == ["listen", "open-left", "open-right"]
    assert data["validation"]["valid"]
    if SHARED.is_dir():
        code, out, _ = run(capsys, "dpomdp", "info", str(SHARED / "GridSmall.dpomdp"), "--json")
        data = json.loads(out)
        assert (data["states"], data["joint_actions"], data["joint_observations"]) == (16, 25, 4)


def test_solve_save_then_evaluate_round_trip(capsys, tmp_path: Path):
    saved = tmp_path / "tiger_h2.json"
    code, out, _ = run(capsys, "dpomdp", "solve", "dec_tiger", "--horizon", "2", "--save",
                       str(saved), "--json")
    data = json.loads(out)
    # Published anchor: Dec-Tiger's optimal undiscounted value at horizon 2 is -4 (listen twice).
    assert code == 0 and data["value"] == pytest.approx(-4.0)
    code, out, _ = run(capsys, "dpomdp", "evaluate", "dec_tiger", str(saved), "--horizon", "2",
                       "--json")
    data = json.loads(out)
    assert data["value"] == pytest.approx(-4.0)
    # A team-optimal policy is a NE: no agent can gain by deviating alone.
    assert data["epsilon_ne"] == pytest.approx(0.0, abs=1e-9)
    assert data["epsilon_ce"] == pytest.approx(0.0, abs=1e-9)


def test_clustered_policy_round_trip_at_a_long_horizon(capsys, tmp_path: Path):
    """BroadcastChannel h = 30: published optimum 27.421850 (masplan.org). The saved policy is the
    clustered form (one type per agent and stage), and evaluate reproduces its value."""
    path = SHARED / "broadcastChannel.dpomdp"
    if not path.exists():
        pytest.skip(f"corpus file {path} missing")
    saved = tmp_path / "bc30.json"
    code, out, _ = run(capsys, "dpomdp", "solve", str(path), "--horizon", "30", "--save", str(saved),
                       "--json")
    data = json.loads(out)
    assert code == 0 and data["optimal"] and data["gap"] == 0.0
    assert data["value"] == pytest.approx(27.421850, abs=5e-7) and data["upper_bound"] == data["value"]
    assert data["policy"]["kind"] == "clustered"
    code, out, _ = run(capsys, "dpomdp", "evaluate", str(path), str(saved), "--horizon", "30", "--json")
    back = json.loads(out)
    assert code == 0 and back["value"] == pytest.approx(data["value"], abs=1e-9)
    assert "epsilon_ne" not in back          # 4^29 action-observation histories: gaps are skipped


def test_mmdp_bounds_the_decentralized_optimum(capsys):
    _, out, _ = run(capsys, "dpomdp", "solve", "dec_tiger", "--horizon", "2", "--method", "mmdp",
                    "--json")
    mmdp = json.loads(out)["value"]
    _, out, _ = run(capsys, "dpomdp", "solve", "dec_tiger", "--horizon", "2", "--method", "jesp",
                    "--json")
    jesp = json.loads(out)["value"]
    # The fully observable optimum bounds the decentralized optimum (-4) from above; JESP finds a
    # NE in deterministic policies, which can be no better than the optimum.
    assert mmdp >= -4.0 - 1e-9
    assert jesp <= -4.0 + 1e-9


@pytest.mark.parametrize(("argv", "needle"), [
    (["dpomdp", "info", "dec_tigr"], "did you mean dec_tiger"),
    (["dpomdp", "info", "missing.dpomdp"], "does not exist"),
    (["dpomdp", "evaluate", "dec_tiger", "nope.json", "--horizon", "2"], "does not exist"),
])
def test_errors(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and needle in err and "Traceback" not in err


def test_bad_policy_file_names_the_entry(capsys, tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"kind": "deterministic",
                               "actions": [[["listen"], ["listen", "jump"]], [["listen"], [0, 0]]]}))
    code, _, err = run(capsys, "dpomdp", "evaluate", "dec_tiger", str(bad), "--horizon", "2")
    assert code == 2 and "'jump'" in err and "actions[0][1]" in err
