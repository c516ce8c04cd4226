"""The algorithm interface: registry, configs, decentralized acting, state_dict round trips, the
AgentMixer ratio choice and AIL's β schedule."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from games.envs import make_env  # noqa: E402
from learners.neural.algorithms import ALGORITHMS, EnvSpec, build_algorithm  # noqa: E402
from learners.neural.errors import ConfigError  # noqa: E402
from learners.neural.trainer import collect  # noqa: E402


def _batch(algo_name: str, overrides: dict | None = None):  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    env = make_env("bridge", 4, seed=0)
    algo = build_algorithm(algo_name, EnvSpec.from_env(env), overrides or {})
    ts = env.current()
    pos = {"obs": torch.from_numpy(np.array(ts.obs)), "state": torch.from_numpy(np.array(ts.state)),
           "carry": algo.initial_carry(4), "starts": torch.ones(4, dtype=torch.bool)}
    batch, _ = collect(env, algo, pos, 6)
    return env, algo, batch


def test_registry_and_config_errors() -> None:
    assert {"agentmixer", "mappo", "ail"} <= set(ALGORITHMS)
    spec = EnvSpec(2, 3, 1, (2, 3), 1)
    with pytest.raises(ConfigError, match=r"unknown config key 'algo_config\.nope'"):
        build_algorithm("mappo", spec, {"nope": 1})
    with pytest.raises(ConfigError, match="unknown algorithm"):
        build_algorithm("happo", spec)


@pytest.mark.parametrize("name", ["agentmixer", "mappo", "ail"])
def test_update_and_state_dict_round_trip(name: str) -> None:
    env, algo, batch = _batch(name)
    assert batch.actions.shape == (6, 4, 2) and batch.log_prob.shape == (6, 4, 2)
    metrics = algo.update(batch)
    assert all(np.isfinite(v) for v in metrics.values())
    state = algo.state_dict()
    assert state["optimizers"]["ppo"]["state"]  # Adam moments are saved
    twin = build_algorithm(name, EnvSpec.from_env(env), {})
    twin.load_state_dict(state)
    obs = torch.from_numpy(np.array(env.current().obs))
    a1, _ = algo.act_decentralized(obs, None, deterministic=True)
    a2, _ = twin.act_decentralized(obs, None, deterministic=True)
    assert torch.equal(a1, a2)
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    s1, _ = algo.act_decentralized(obs, None, False, g1)
    s2, _ = twin.act_decentralized(obs, None, False, g2)
    assert torch.equal(s1, s2)


def test_agentmixer_per_agent_ratio_and_value_clipping() -> None:
    _, algo, batch = _batch("agentmixer", {"ratio": "per_agent", "clip_value": True,
                                           "modifier": {"num_seeds": 2}})
    assert "omega" in batch.extras
    assert np.isfinite(algo.update(batch)["policy_loss"])


def test_ail_beta_schedule() -> None:
    _, algo, _ = _batch("ail", {"beta_anneal_fraction": 0.5})
    betas = []
    for progress in (0.0, 0.25, 0.5, 0.9):
        algo.begin_rollout(progress)
        betas.append(algo.beta)  # type: ignore[attr-defined]
    assert betas == pytest.approx([1.0, 0.5, 0.0, 0.0])
