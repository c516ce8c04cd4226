"""A NaN loss or parameter stops training with TrainingDiverged and keeps the last good checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from learners.neural.algorithms.mappo import MAPPO  # noqa: E402
from learners.neural.checkpoint import load_checkpoint  # noqa: E402
from learners.neural.errors import TrainingDiverged  # noqa: E402
from learners.neural.trainer import make_config, train  # noqa: E402


def _cfg(out: Path):
    return make_config({"algo": "mappo", "env": "climbing", "seed": 0, "total_steps": 10 * 32, "num_envs": 8,
                        "rollout_len": 4, "eval_every": 1, "eval_episodes": 4, "checkpoint_every": 1,
                        "out": str(out), "tensorboard": False}, ["actor.hidden_sizes=[8]"])


def _assert_kept(run: Path, exc: TrainingDiverged) -> None:
    assert exc.iteration == 4
    assert exc.checkpoint == str(run / "checkpoint.pt")
    ck = load_checkpoint(run / "checkpoint.pt")
    assert ck["update"] == 3 and len(ck["rows"]) == 3
    assert all(bool(torch.isfinite(v).all()) for v in ck["algo"]["modules"].values() if v.is_floating_point())


def test_nan_loss_keeps_last_good_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = MAPPO.policy_loss
    calls = {"n": 0}

    def poisoned(self, mb):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        loss, metrics = real(self, mb)
        return (loss * float("nan"), metrics) if calls["n"] > 3 * 4 else (loss, metrics)  # update 4

    monkeypatch.setattr(MAPPO, "policy_loss", poisoned)
    with pytest.raises(TrainingDiverged, match=r"diverged at update 4.*non-finite loss") as info:
        train(_cfg(tmp_path))
    _assert_kept(tmp_path, info.value)
    # the error is a one-line, typed agentmixer error
    assert "\n" not in str(info.value)


def test_nan_parameter_keeps_last_good_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = MAPPO.update
    calls = {"n": 0}

    def poisoned(self, batch):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        out = real(self, batch)
        if calls["n"] == 4:
            with torch.no_grad():
                next(self.actors.parameters()).view(-1)[0] = float("inf")
        return out

    monkeypatch.setattr(MAPPO, "update", poisoned)
    with pytest.raises(TrainingDiverged, match="non-finite parameters") as info:
        train(_cfg(tmp_path))
    _assert_kept(tmp_path, info.value)
