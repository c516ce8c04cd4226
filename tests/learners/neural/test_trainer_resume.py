"""Killing a run and resuming from its checkpoint gives bit-identical metrics and parameters on CPU
(per algorithm, tiny sizes), and metrics.csv appends are idempotent after a crash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from learners.neural.checkpoint import load_checkpoint  # noqa: E402
from learners.neural.trainer import make_config, train  # noqa: E402

TINY = ["actor.hidden_sizes=[16]", "critic.hidden_sizes=[16]"]
EXTRA = {"agentmixer": ["modifier.token_dim=8", "modifier.channel_mlp_dim=8", "modifier.token_mlp_dim=4",
                        "modifier.state_feature_dim=8", "modifier.state_hidden=[8]", "modifier.num_seeds=3",
                        "num_minibatches=2"],
         "mappo": ["actor.recurrent=true", "actor.gru_hidden=8", "num_minibatches=2"],
         "ail": ["expert_hidden=[16]", "beta_anneal_fraction=0.7"]}


def _cfg(algo: str, env: str, out: Path, checkpoint_every: int = 2):
    data = {"algo": algo, "env": env, "seed": 3, "total_steps": 6 * 4 * 5, "num_envs": 4, "rollout_len": 5,
            "eval_every": 2, "eval_episodes": 4, "checkpoint_every": checkpoint_every, "out": str(out),
            "tensorboard": False}
    return make_config(data, TINY + EXTRA[algo])


def _params(run: Path) -> dict:
    return load_checkpoint(run / "checkpoint.pt")["algo"]["modules"]


@pytest.mark.parametrize(("algo", "env"), [("agentmixer", "bridge"), ("mappo", "dec_tiger"),
                                           ("ail", "climbing")])
def test_resume_is_bit_identical(tmp_path: Path, algo: str, env: str) -> None:
    straight = train(_cfg(algo, env, tmp_path / "a"))
    assert straight.updates == 6
    train(_cfg(algo, env, tmp_path / "b"), max_updates=3)
    resumed = train(_cfg(algo, env, tmp_path / "b"), resume=True)
    assert resumed.updates == 6
    text_a = (tmp_path / "a" / "metrics.csv").read_text()
    assert text_a == (tmp_path / "b" / "metrics.csv").read_text()
    assert len(text_a.splitlines()) == 7
    for name in ("eval_episodes.csv", "eval_episodes.json"):  # every evaluation episode, kept
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()
    episodes = (tmp_path / "a" / "eval_episodes.csv").read_text().splitlines()
    assert len(episodes) == 1 + 3 * 2 * 4  # header + 3 evaluations x 2 modes x 4 episodes
    assert episodes[0] == "update,env_steps,mode,episode,return,length,won"
    pa, pb = _params(tmp_path / "a"), _params(tmp_path / "b")
    assert pa.keys() == pb.keys()
    assert all(torch.equal(pa[k], pb[k]) for k in pa)


def test_crash_after_unsaved_rows_resumes_identically(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    straight = train(_cfg("mappo", "bridge", tmp_path / "a", checkpoint_every=3))
    from learners.neural.algorithms.mappo import MAPPO

    real = MAPPO.update
    calls = {"n": 0}

    def crashing(self, batch):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 5:  # rows 1..4 are in metrics.csv, the checkpoint is at update 3
            raise KeyboardInterrupt
        return real(self, batch)

    monkeypatch.setattr(MAPPO, "update", crashing)
    with pytest.raises(KeyboardInterrupt):
        train(_cfg("mappo", "bridge", tmp_path / "b", checkpoint_every=3))
    assert len((tmp_path / "b" / "metrics.csv").read_text().splitlines()) == 5
    monkeypatch.setattr(MAPPO, "update", real)
    resumed = train(_cfg("mappo", "bridge", tmp_path / "b", checkpoint_every=3), resume=True)
    assert [str(r) for r in resumed.rows] == [str(r) for r in straight.rows]
    assert (tmp_path / "a" / "metrics.csv").read_text() == (tmp_path / "b" / "metrics.csv").read_text()
    a, b = (tmp_path / d / "eval_episodes.csv" for d in "ab")
    assert a.read_text() == b.read_text()


def test_logs_use_train_and_eval_prefixes_against_env_steps(tmp_path: Path) -> None:
    """metrics.csv and the per-episode files agree: each evaluation's mean is the mean of its
    kept episode returns, and episode lengths are the finite horizon of the task."""
    import csv
    import json

    result = train(_cfg("mappo", "dec_tiger", tmp_path / "a"))
    row = result.rows[1]
    assert {"update", "env_steps", "train/return", "train/policy_loss", "eval/deterministic_return",
            "eval/sampled_return"} <= set(row)
    records = json.loads((tmp_path / "a" / "eval_episodes.json").read_text())
    assert [r["update"] for r in records] == [2, 2, 4, 4, 6, 6]
    for rec in records:
        metric = "eval/deterministic_return" if rec["mode"] == "deterministic" else "eval/sampled_return"
        logged = next(r[metric] for r in result.rows if r["update"] == rec["update"])
        assert np.mean(rec["returns"]) == pytest.approx(logged, abs=1e-12)
        assert rec["lengths"] == [3] * 4 and rec["env_steps"] == rec["update"] * 20
    with open(tmp_path / "a" / "metrics.csv", newline="") as fh:
        assert next(csv.reader(fh))[:3] == ["update", "env_steps", "train/return"]
