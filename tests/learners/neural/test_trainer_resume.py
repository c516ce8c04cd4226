"""Killing a run and resuming from its checkpoint gives bit-identical metrics and parameters on CPU
(per algorithm, tiny sizes), and metrics.csv appends are idempotent after a crash."""

from __future__ import annotations

from pathlib import Path

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
