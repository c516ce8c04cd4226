"""``agentmixer report``: numbers checked against a direct computation on the runs' CSVs, the
marl-eval layout round-trips through its documented reader shape, bad directories are refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from agentmixer.cli import main
from games.errors import ConfigError, ParseError
from verification.report import build_report, load_runs, marl_eval_json
from verification.stats import iqm, probability_of_improvement

# (env, algo) -> final returns of seeds 0..3; the curves rise linearly to them
FINALS = {("climbing", "a"): [11.0, 11.0, 7.0, 5.0], ("climbing", "b"): [7.0, 7.0, 7.0, 5.0],
          ("bridge", "a"): [-3.0, -3.0, -4.0, -5.0], ("bridge", "b"): [-3.0, -6.0, -6.0, -6.0]}


def _write_run(root: Path, env: str, algo: str, seed: int, final: float) -> Path:
    run = root / env / algo / f"seed_{seed}"
    run.mkdir(parents=True)
    (run / "config.yaml").write_text(f"agentmixer_version: 0\nalgo: {algo}\nenv: {env}\nseed: {seed}\n")
    rows = ["update,env_steps,train_return,eval_det_return,eval_sampled_return"]
    for u in (1, 2, 3, 4):
        ev = final * u / 4 if u % 2 == 0 else float("nan")  # evaluations at updates 2 and 4 only
        rows.append(f"{u},{u * 100},0.0,{ev!r},{ev!r}")
    (run / "metrics.csv").write_text("\n".join(rows) + "\n")
    return run


@pytest.fixture
def sweep_dir(tmp_path: Path) -> Path:
    for (env, algo), finals in FINALS.items():
        for seed, final in enumerate(finals):
            _write_run(tmp_path / "grid", env, algo, seed, final)
    return tmp_path / "grid"


def test_numbers_match_a_direct_computation(sweep_dir: Path) -> None:
    runs = load_runs([sweep_dir])
    assert len(runs) == 16 and all(list(r.steps) == [200, 400] for r in runs)
    rep = build_report(runs)
    for (env, algo), finals in FINALS.items():
        assert rep.per_env[env][algo]["iqm"] == pytest.approx(iqm(finals))
        lo, hi = rep.per_env[env][algo]["ci"]
        assert min(finals) <= lo <= hi <= max(finals)
    # min-max bounds per environment over both algorithms
    assert rep.bounds == {"bridge": (-6.0, -3.0), "climbing": (5.0, 11.0)}
    # normalised scores by hand: climbing a -> (1, 1, 1/3, 0), bridge a -> (1, 1, 2/3, 1/3)
    want_a = iqm(np.array([[1, 1], [1, 1], [1 / 3, 2 / 3], [0, 1 / 3]]))
    assert rep.iqm["a"]["iqm"] == pytest.approx(want_a)
    # P(a > b) per task from the normalised finals, averaged over the two environments
    x = np.array([[1, 1], [1, 1], [1 / 3, 2 / 3], [0, 1 / 3]])
    y = np.array([[1 / 3, 1], [1 / 3, 0], [1 / 3, 0], [0, 0]])
    assert rep.probability_of_improvement["a"]["b"]["p"] == pytest.approx(probability_of_improvement(x, y))
    assert rep.probability_of_improvement["a"]["b"]["p"] + rep.probability_of_improvement["b"]["a"]["p"] \
        == pytest.approx(1.0)


def test_marl_eval_layout(sweep_dir: Path) -> None:
    data = json.loads(json.dumps(marl_eval_json(load_runs([sweep_dir]))))
    # environment -> task -> algorithm -> run -> step_k / absolute_metrics (marl-eval's README)
    run = data["agentmixer"]["climbing"]["a"]["seed_2"]
    assert run["step_0"] == {"step_count": 200, "return": [3.5]}
    assert run["step_1"] == {"step_count": 400, "return": [7.0]}
    assert run["absolute_metrics"] == {"return": [7.0]}
    assert sorted(data["agentmixer"]) == ["bridge", "climbing"]


def test_cli_report_writes_everything(sweep_dir: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rep"
    assert main(["report", str(sweep_dir), "--out", str(out), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"non-JSON {c}"))
    assert set(payload) >= {"iqm", "probability_of_improvement", "per_environment", "figures"}
    assert {p.name for p in out.iterdir()} >= {"report.md", "report.json", "marl_eval.json",
                                               "performance_profile.png", "curves_climbing.png"}
    assert main(["report", str(sweep_dir)]) == 0
    assert "| climbing | a | 4 |" in capsys.readouterr().out


def test_bad_directories_are_typed_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ConfigError, match="no run directory"):
        load_runs([tmp_path])
    run = _write_run(tmp_path, "climbing", "a", 0, 1.0)
    (run / "metrics.csv").write_text("update,env_steps\n1,10\n")
    with pytest.raises(ParseError, match="no evaluation column"):
        load_runs([run])
    (run / "config.yaml").write_text("algo: [1\n")
    with pytest.raises(ParseError, match="YAML"):
        load_runs([run])
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_marl_eval_uses_the_kept_episodes(sweep_dir: Path) -> None:
    run = sweep_dir / "climbing" / "a" / "seed_0"   # evaluations at 200 (5.5) and 400 (11.0) steps
    records = [{"update": 2, "env_steps": 200, "mode": "deterministic", "returns": [5.0, 6.0]},
               {"update": 2, "env_steps": 200, "mode": "sampled", "returns": [0.0, 0.0]},
               {"update": 4, "env_steps": 400, "mode": "deterministic", "returns": [11.0, 11.0]}]
    (run / "eval_episodes.json").write_text(json.dumps(records))
    data = marl_eval_json(load_runs([run]))["agentmixer"]["climbing"]["a"]["seed_0"]
    assert data["step_0"]["return"] == [5.0, 6.0] and data["absolute_metrics"]["return"] == [11.0, 11.0]
    (run / "eval_episodes.json").write_text("[{")
    with pytest.raises(ParseError, match=r"eval_episodes\.json"):
        load_runs([run])
