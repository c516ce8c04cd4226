"""``agentmixer sweep`` on a local Ray instance: a grid of 2 algorithms × 2 environments × 2 seeds
is killed (SIGKILL of the driver and every process it started) and run again; every run then finishes,
a resumed run equals an uninterrupted one line for line, and the report's numbers equal a direct
computation on the CSVs."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("ray")
if not Path("/proc/self/stat").exists():
    pytest.skip("the kill needs /proc to find the sweep's processes", allow_module_level=True)

from learners.neural.sweep import plan_sweep, run_status
from learners.neural.trainer import train
from verification.stats import iqm

REPO = Path(__file__).resolve().parents[3]
ARGS = ["sweep", "--algos", "mappo,agentmixer", "--envs", "climbing,penalty(k=-50)", "--seeds", "0,1",
        "--steps", "3072", "--set", "num_envs=16", "--set", "eval_every=4", "--set", "checkpoint_every=1",
        "--set", "tensorboard=false", "--cpus", "2"]


def _sweep(out: Path, **kwargs: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0"}
    return subprocess.Popen([sys.executable, "-m", "agentmixer", *ARGS, "--out", str(out), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True, **kwargs)  # type: ignore[call-overload]


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Ray's raylet, GCS and workers), read from /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


def _kill_all(pid: int) -> None:
    """SIGKILL the driver and everything it started: the whole sweep dies at once."""
    for p in [pid, *_descendants(pid)]:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _last_eval(run_dir: Path) -> float:
    with open(run_dir / "metrics.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["eval/deterministic_return"] not in ("", "nan")]
    return float(rows[-1]["eval/deterministic_return"])


def test_killed_sweep_resumes_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "grid"
    cfgs = plan_sweep(["mappo", "agentmixer"], ["climbing", "penalty(k=-50)"], [0, 1], out, steps=3072,
                      sets=["num_envs=16", "eval_every=4", "checkpoint_every=1", "tensorboard=false"])
    assert len(cfgs) == 8
    first = _sweep(out)
    deadline = time.time() + 240
    while time.time() < deadline and first.poll() is None:
        if any((c.run_dir / "checkpoint.pt").exists() for c in cfgs):
            break
        time.sleep(0.2)
    _kill_all(first.pid)
    first.wait()
    statuses = {str(c.run_dir): run_status(c) for c in cfgs}
    assert any(s != "finished" for s in statuses.values())  # the kill came mid-sweep

    second = _sweep(out)
    stdout, stderr = second.communicate(timeout=600)
    assert second.returncode == 0, stderr[-2000:]
    result = json.loads(stdout, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert result["failed"] == 0 and len(result["runs"]) == 8
    by_dir = {r["run_dir"]: r["status"] for r in result["runs"]}
    for c in cfgs:
        want = {"finished": "skipped", "partial": "resumed", "new": "finished"}[statuses[str(c.run_dir)]]
        assert by_dir[str(c.run_dir)] == want
        assert run_status(c) == "finished"

    # exact resume: a run cut short and resumed equals the same run trained without interruption
    resumed = [c for c in cfgs if statuses[str(c.run_dir)] == "partial"]
    for c in resumed[:1]:
        twin = train(c.__class__(**{**c.__dict__, "out": str(tmp_path / "twin")}))
        assert (c.run_dir / "metrics.csv").read_text() == (twin.run_dir / "metrics.csv").read_text()

    # the report equals a direct computation on the CSVs
    from agentmixer.cli import main

    assert main(["report", str(out), "--out", str(tmp_path / "rep")]) == 0
    rep = json.loads((tmp_path / "rep" / "report.json").read_text())
    for env in ("climbing", "penalty(k=-50)"):
        for algo in ("mappo", "agentmixer"):
            finals = [_last_eval(c.run_dir) for c in cfgs if c.env == env and c.algo == algo]
            assert rep["per_environment"][env][algo]["iqm"] == pytest.approx(iqm(finals))
