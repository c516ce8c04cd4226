"""Every command with ``--json``, run as a subprocess the way users and scripts run it: stdout
must be exactly one strict JSON document (no banner from a solver, no NaN or Infinity)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _json(*argv: str, cwd: Path) -> object:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "agentmixer", *argv, "--json"], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]

    def refuse(name: str) -> None:
        raise AssertionError(f"{' '.join(argv)}: non-JSON constant {name} on stdout")

    return json.loads(proc.stdout, parse_constant=refuse)


def test_exact_tier_commands(tmp_path: Path) -> None:
    assert "climbing" in json.dumps(_json("games", cwd=tmp_path))
    assert _json("solve", "chicken", cwd=tmp_path)["welfare"] == pytest.approx(10.5)   # type: ignore[index]
    _json("solve", "chicken", "--concept", "ne", cwd=tmp_path)
    _json("solve", "penalty(k=-50)", "--concept", "cce", "--objective", "entropy", cwd=tmp_path)
    (tmp_path / "d.json").write_text("[[0, 0.3333333333333333], [0.3333333333333333, 0.3333333333333334]]")
    _json("gap", "chicken", "d.json", cwd=tmp_path)
    _json("dpomdp", "info", "dec_tiger", cwd=tmp_path)
    solved = _json("dpomdp", "solve", "dec_tiger", "--save", "p.json", cwd=tmp_path)
    assert solved["horizon"] == 3 and solved["discount"] == 1.0                           # type: ignore[index]
    assert _json("dpomdp", "evaluate", "dec_tiger", "p.json", cwd=tmp_path)["value"] == pytest.approx(
        5.190812, abs=1e-6)                                                                 # type: ignore[index]
    _json("verify", "igc", cwd=tmp_path)


def test_neural_tier_commands(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    trained = _json("train", "--algo", "mappo", "--env", "climbing", "--steps", "256", "--envs", "16",
                    "--out", "run", cwd=tmp_path)
    assert trained["env_steps"] == 256                                                      # type: ignore[index]
    _json("evaluate", "run", "--episodes", "4", cwd=tmp_path)
    _json("train", "--resume", "run", "--steps", "384", cwd=tmp_path)
    report = _json("report", "run", cwd=tmp_path)
    assert set(report) >= {"iqm", "probability_of_improvement"}                            # type: ignore[arg-type]
