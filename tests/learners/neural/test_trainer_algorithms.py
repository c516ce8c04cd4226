"""The algorithm interface: registry, configs, decentralized acting, state_dict round trips, the
AgentMixer ratio choice and AIL's β schedule."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from games.envs import make_env  # noqa: E402
from learners.neural.algorithms import (  # noqa: E402
    ALGORITHMS,
    MAPPO,
    EnvSpec,
    MAPPOConfig,
    make_algo_config,
)
from learners.neural.errors import ConfigError  # noqa: E402
from learners.neural.trainer import collect  # noqa: E402


def _batch(algo_name: str, overrides: dict | None = None):  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    env = make_env("bridge", 4, seed=0)
    algo = make_algo_config(algo_name, overrides).build(EnvSpec.from_env(env))
    ts = env.current()
    pos = {"obs": torch.from_numpy(np.array(ts.obs)), "state": torch.from_numpy(np.array(ts.state)),
           "carry": algo.initial_carry(4), "starts": torch.ones(4, dtype=torch.bool)}
    batch, _ = collect(env, algo, pos, 6)
    return env, algo, batch


def test_registry_and_config_errors() -> None:
    assert {"agentmixer", "mappo", "ail"} <= set(ALGORITHMS)
    with pytest.raises(ConfigError, match=r"unknown config key 'algo_config\.nope'"):
        make_algo_config("mappo", {"nope": 1})
    with pytest.raises(ConfigError, match="unknown algorithm"):
        make_algo_config("no-such-algorithm")
    with pytest.raises(ConfigError, match="mapping"):
        make_algo_config("mappo", -1)  # type: ignore[arg-type]


def test_a_config_knows_its_algorithm() -> None:
    """BenchMARL's contract: the typed config builds its own learner, and each registered
    algorithm has a config class of its own bound to it."""
    spec = EnvSpec(2, 3, 1, (2, 3), 1)
    cfg = MAPPOConfig(lr=1e-3)
    assert cfg.associated_class() is MAPPO
    algo = cfg.build(spec)
    assert isinstance(algo, MAPPO) and algo.config is cfg
    classes = [cls.config_class for cls in ALGORITHMS.values()]
    assert len(set(classes)) == len(classes)
    for name, cls in ALGORITHMS.items():
        assert cls.config_class.associated_class() is cls and cls.config_class.algorithm_name == name


@pytest.mark.parametrize("name", ["agentmixer", "mappo", "ail"])
def test_update_and_state_dict_round_trip(name: str) -> None:
    env, algo, batch = _batch(name)
    assert batch.actions.shape == (6, 4, 2) and batch.log_prob.shape == (6, 4, 2)
    metrics = algo.update(batch)
    assert all(np.isfinite(v) for v in metrics.values())
    state = algo.state_dict()
    assert state["optimizers"]["ppo"]["state"]  # Adam moments are saved
    twin = make_algo_config(name).build(EnvSpec.from_env(env))
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


@pytest.mark.parametrize("name", sorted(ALGORITHMS))
def test_config_yaml_round_trips_the_typed_config(name: str) -> None:
    """What config.yaml holds (plain YAML) rebuilds the very same typed config."""
    import yaml

    from learners.neural.config_io import to_dict
    from learners.neural.train_config import make_config

    cfg = make_config({"algo": name, "env": "bridge"}, ["lr=0.002", "seed=3"])
    assert type(cfg.algo_config) is ALGORITHMS[name].config_class
    assert cfg.algo_config.lr == 0.002 and cfg.seed == 3
    again = make_config(yaml.safe_load(yaml.safe_dump(to_dict(cfg))))
    assert again == cfg
    with pytest.raises(ConfigError, match="must be a"):
        type(cfg)(algo=name, algo_config=MAPPOConfig() if name != "mappo" else
                  make_algo_config("agentmixer"))
