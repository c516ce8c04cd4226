"""``agentmixer train`` / ``agentmixer evaluate`` smoke test on climbing, and ``--set`` errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from agentmixer.cli import main  # noqa: E402


def test_train_then_evaluate_climbing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    code = main(["train", "--algo", "mappo", "--env", "climbing", "--seed", "1", "--steps", "384",
                 "--envs", "16", "--out", str(run), "--set", "eval_every=2", "--set", "lr=3e-3",
                 "--set", "actor.hidden_sizes=[16]", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["updates"] == 3 and out["env_steps"] == 384
    assert {"config.yaml", "metrics.csv", "checkpoint.pt"} <= {p.name for p in run.iterdir()}
    assert any(p.name.startswith("events.out.tfevents") for p in run.iterdir())
    config = (run / "config.yaml").read_text()
    assert "agentmixer_version:" in config and "lr: 0.003" in config
    assert len((run / "metrics.csv").read_text().splitlines()) == 4
    assert main(["evaluate", str(run), "--episodes", "8", "--json"]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["episodes"] == 8 and ev["update"] == 3
    assert ev["deterministic_return"] in {11.0, -30.0, 0.0, 7.0, 6.0, 5.0}
    assert main(["evaluate", str(run)]) == 0
    text = capsys.readouterr().out
    assert "deterministic return" in text and "sampled return" in text
    # resume extends the run with --steps
    assert main(["train", "--resume", str(run), "--steps", "512", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["updates"] == 4


@pytest.mark.parametrize(("setting", "message"), [
    ("bogus=1", "unknown config key 'bogus'"),
    ("lr=abc", "algo_config.lr: expected a number"),
    ("actor.nope=3", "unknown config key 'algo_config.actor.nope'"),
    ("num_envs=0", "num_envs must be >= 1"),
    ("ratio=sideways", "algo_config.ratio: must be one of"),
    ("epochs", "--set expects key=value"),
    ("lr=1e999", "algo_config.lr: expected a finite number"),
    ("entropy_coef=-.inf", "algo_config.entropy_coef: expected a finite number"),
    ("algo=[32, x]", "algo: expected a string, got [32, 'x']"),
    ("algo=happy", "unknown algorithm 'happy'"),
])
def test_set_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], setting: str,
                                 message: str) -> None:
    code = main(["train", "--algo", "agentmixer", "--env", "climbing", "--out", str(tmp_path / "r"),
                 "--set", setting])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("agentmixer: error:") and message in err and "\n" not in err
    assert not (tmp_path / "r").exists()


def test_bad_env_and_missing_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--env", "no_such_game", "--out", str(tmp_path / "r")]) == 2
    assert "unknown" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "nothing")]) == 2
    assert "no checkpoint" in capsys.readouterr().err


@pytest.mark.parametrize(("yaml_text", "message"), [
    ("algo_config: -1\n", "algo_config must be a mapping"),
    ("algo_config: x\n", "algo_config must be a mapping"),
    ("- 1\n- 2\n", "expected a mapping of config keys"),
    ("algo: [1\n", "invalid YAML"),
])
def test_bad_config_files_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], yaml_text: str,
                                       message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml_text)
    assert main(["train", "--config", str(path), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_resume_refuses_flags_and_broken_run_dirs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    assert main(["train", "--algo", "mappo", "--env", "climbing", "--steps", "128", "--envs", "16",
                 "--out", str(run), "--json"]) == 0
    capsys.readouterr()
    # flags that would change the run are refused by name, never ignored
    assert main(["train", "--resume", str(run), "--seed", "5", "--envs", "32", "--algo", "mappo"]) == 2
    err = capsys.readouterr().err
    assert "--algo, --seed, --envs cannot change a resumed run" in err
    # an empty or non-mapping config.yaml is a typed error, not an AttributeError
    for text in ("", "[1, 2]\n"):
        (run / "config.yaml").write_text(text)
        assert main(["train", "--resume", str(run), "--json"]) == 2
        assert "holds no mapping" in capsys.readouterr().err


def test_progress_is_silent_when_stderr_is_not_a_terminal(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A captured log gets no carriage-return progress lines (tqdm disables itself off a tty)."""
    assert main(["train", "--algo", "mappo", "--env", "climbing", "--steps", "256", "--envs", "16",
                 "--out", str(tmp_path / "r")]) == 0
    assert "\r" not in capsys.readouterr().err


def test_killed_checkpoint_writes_leave_no_orphans(tmp_path: Path) -> None:
    from learners.neural.checkpoint import save_checkpoint

    orphan = tmp_path / ".checkpoint.pt.99999.tmp"   # what a writer killed mid-write leaves
    orphan.write_bytes(b"partial")
    save_checkpoint(tmp_path / "checkpoint.pt", {"algo": {}})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt"]


@pytest.mark.parametrize(("algo", "execution"), [("mat", "centralized"), ("qmix", "decentralized")])
def test_train_and_evaluate_say_how_the_policy_executes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        algo: str, execution: str) -> None:
    run = tmp_path / algo
    sets = ["transformer.embed_dim=8"] if algo == "mat" else ["agent.hidden_sizes=[8]", "batch_size=16"]
    args = ["train", "--algo", algo, "--env", "bridge", "--steps", "64", "--envs", "8", "--out", str(run),
            "--set", "tensorboard=false"]
    assert main([*args, *(x for s in sets for x in ("--set", s)), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["execution"] == execution
    assert main(["evaluate", str(run), "--episodes", "4"]) == 0
    text = capsys.readouterr().out
    assert f"{execution} execution" in text
    assert ("exact values" in text) == (execution == "decentralized")


def test_wandb_sink_logs_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The optional Weights & Biases sink, offline (nothing leaves the machine): the run's rows go
    to a local W&B run inside the run directory, resumed under the same id."""
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    run = tmp_path / "run"
    assert main(["train", "--algo", "mappo", "--env", "climbing", "--steps", "256", "--envs", "16",
                 "--out", str(run), "--set", "wandb=true", "--set", "tensorboard=false", "--json"]) == 0
    offline = sorted((run / "wandb").glob("offline-run-*"))
    assert len(offline) == 1 and list(offline[0].glob("*.wandb"))
    assert main(["train", "--resume", str(run), "--steps", "384", "--json"]) == 0
    ids = {p.name.rsplit("-", 1)[-1] for p in (run / "wandb").glob("offline-run-*")}
    assert len(ids) == 1  # the resumed run continues the same W&B run id
