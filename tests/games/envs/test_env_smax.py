"""SMAX through games.envs.smax (skipped without the ``smax`` extra): shapes of 3m, per-step
action masks (a masked action is refused), episode ends and win flags consistent with the final
unit counts, truncation after exactly max_steps, bit-exact resume, and every algorithm training
with the masks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jaxmarl")

from games.envs import make_env
from games.errors import ConfigError, GameError

pytestmark = pytest.mark.filterwarnings("ignore")


def _random(avail: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    p = avail / avail.sum(-1, keepdims=True)
    return np.array([[rng.choice(len(q), p=q) for q in row] for row in p])


def test_3m_masks_episodes_and_exact_resume() -> None:
    env = make_env("smax(map=3m)", 4, seed=0)
    assert (env.num_agents, env.obs_dim, env.state_dim, env.num_actions, env.episode_limit) == (
        3, 75, 72, (8, 8, 8), 100)
    ts = env.current()
    assert ts.avail.shape == (4, 3, 8) and ts.avail.any(-1).all()
    blocked = np.argwhere(~ts.avail)
    if len(blocked):  # attacks on enemies out of range are masked at the start
        b, i, a = blocked[0]
        acts = _random(ts.avail, np.random.default_rng(0))
        acts[b, i] = a
        with pytest.raises(GameError, match="masked"):
            env.step(acts)
    rng = np.random.default_rng(1)
    for _ in range(10):
        ts = env.step(_random(ts.avail, rng))
    snap = env.get_state()
    acts, first = [], []
    for _ in range(40):
        acts.append(_random(ts.avail, rng))
        ts = env.step(acts[-1])
        first.append((ts, env.last_won.copy()))
        assert not (env.last_won & ~ts.done).any()
        assert not (ts.truncated & env.last_won).any()
    env.set_state(snap)
    for a, (want, won) in zip(acts, first, strict=True):
        got = env.step(a)
        for field in ("obs", "state", "reward", "done", "truncated", "avail"):
            np.testing.assert_array_equal(getattr(got, field), getattr(want, field))
        np.testing.assert_array_equal(env.last_won, won)
    with pytest.raises(ConfigError, match="unknown SMAX map"):
        make_env("smax(map=99z)", 1)
    with pytest.raises(ConfigError, match="max_steps must be an integer >= 1"):
        make_env("smax(map=3m, max_steps=0)", 1)


def test_episodes_are_cut_after_exactly_max_steps() -> None:
    """Allies that only stop survive the first steps: every copy is truncated after max_steps
    (jaxmarl's own counter would run one step longer)."""
    env = make_env("smax(map=3m, max_steps=5)", 3, seed=0)
    ts, done_at = env.current(), []
    for k in range(1, 11):
        ts = env.step(np.where(ts.avail[..., 4], 4, ts.avail.argmax(-1)))  # 4: stop
        if ts.done.any():
            assert ts.done.all() and ts.truncated.all()
            done_at.append(k)
    assert done_at == [5, 10] and env.episode_limit == 5


@pytest.mark.parametrize("algo", ["agentmixer", "mappo", "ail", "happo", "mat", "mat_dec", "magpo", "armappo",
                                  "qmix", "maven"])
def test_every_algorithm_trains_with_the_masks(tmp_path: Path, algo: str) -> None:
    from learners.neural.trainer import make_config, train

    cfg = make_config({"algo": algo, "env": "smax(map=3m)", "total_steps": 4 * 16 * 2, "num_envs": 4,
                       "rollout_len": 16, "eval_every": 1, "eval_episodes": 4, "out": str(tmp_path),
                       "tensorboard": False})
    result = train(cfg)
    assert result.updates == 2
    row = result.rows[-1]
    assert 0.0 <= row["eval/win_rate"] <= 1.0
    assert "train/win_rate" in row
