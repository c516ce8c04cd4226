"""Tabulated actors: the exact value of what the actors execute equals the Monte-Carlo evaluation."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from games.dec_pomdp.catalog import bridge_crossing, dec_tiger  # noqa: E402
from games.dec_pomdp.evaluation import evaluate  # noqa: E402
from games.envs import make_env  # noqa: E402
from games.errors import GameError  # noqa: E402
from learners.neural.actors import ActorConfig, Actors  # noqa: E402
from learners.neural.evaluate import evaluate_decentralized  # noqa: E402
from learners.neural.exact_eval import tabulate_actors  # noqa: E402


class _Holder:
    """What evaluate_decentralized needs: the actors, their initial state and act_decentralized."""

    def __init__(self, actors: Actors) -> None:
        self.actors = actors

    def episode_start(self, state, deterministic, generator):  # the actors' initial state
        return None

    def act_decentralized(self, obs, hidden, deterministic, generator):
        out, hidden = self.actors(obs, hidden)
        if deterministic:
            return out.logits.argmax(dim=-1), hidden
        probs = torch.softmax(out.logits, dim=-1)
        flat = torch.multinomial(probs.reshape(-1, probs.shape[-1]), 1, generator=generator)
        return flat.reshape(probs.shape[:-1]), hidden


@pytest.mark.parametrize(("name", "model", "horizon"), [("bridge", bridge_crossing(), 2),
                                                        ("dec_tiger", dec_tiger(), 3)])
@pytest.mark.parametrize("deterministic", [True, False])
def test_exact_value_matches_monte_carlo(name, model, horizon, deterministic: bool) -> None:
    torch.manual_seed(3)
    env = make_env(name, 20_000, seed=7)
    actors = Actors(model.num_agents, env.obs_dim, list(model.num_actions),
                    config=ActorConfig(hidden_sizes=(16,), output_gain=3.0))  # far from uniform
    exact = evaluate(model, tabulate_actors(actors, model, horizon, deterministic))
    mean, returns = evaluate_decentralized(_Holder(actors), env, deterministic,
                                           torch.Generator().manual_seed(0))
    se = returns.std() / np.sqrt(len(returns))
    assert abs(mean - exact) <= 4 * se + 1e-9


def test_recurrent_actors_are_refused() -> None:
    model = bridge_crossing()
    actors = Actors(2, max(model.num_observations) + 2, [2, 2], config=ActorConfig(recurrent=True))
    with pytest.raises(GameError, match="feed-forward"):
        tabulate_actors(actors, model, 2)


def test_wrong_horizon_is_refused() -> None:
    model = bridge_crossing()
    actors = Actors(2, max(model.num_observations) + 2, [2, 2])
    with pytest.raises(GameError, match="obs_dim"):
        tabulate_actors(actors, model, 3)


def test_evaluate_run_reports_exact_values_on_a_dec_pomdp(tmp_path) -> None:
    from learners.neural.evaluate import evaluate_run, load_trained
    from learners.neural.trainer import make_config, train

    cfg = make_config({"algo": "mappo", "env": "bridge", "total_steps": 1024, "num_envs": 64,
                       "out": str(tmp_path / "run"), "tensorboard": False, "progress": False})
    train(cfg)
    res = evaluate_run(tmp_path / "run", 16)
    algo, _ = load_trained(tmp_path / "run")
    model = bridge_crossing()
    assert res["exact_deterministic_return"] == evaluate(model, tabulate_actors(algo.actors, model, 2, True))
    assert res["exact_sampled_return"] == evaluate(model, tabulate_actors(algo.actors, model, 2))
    assert res["exact_deterministic_return"] <= -3.0 + 1e-12  # the decentralized optimum bounds it


def test_resume_refuses_a_changed_config(tmp_path) -> None:
    import dataclasses

    from learners.neural.errors import ConfigError
    from learners.neural.trainer import make_config, train

    cfg = make_config({"algo": "mappo", "env": "bridge", "total_steps": 256, "num_envs": 8,
                       "rollout_len": 4, "out": str(tmp_path / "run"), "tensorboard": False,
                       "progress": False})
    train(cfg, max_updates=2)
    with pytest.raises(ConfigError, match=r"seed: 0 -> 5"):
        train(dataclasses.replace(cfg, seed=5), resume=True)
    with pytest.raises(ConfigError, match="env"):
        train(dataclasses.replace(cfg, env="climbing"), resume=True)
    with pytest.raises(ConfigError, match="nothing to resume"):
        train(dataclasses.replace(cfg, out=str(tmp_path / "elsewhere")), resume=True)
    longer = train(dataclasses.replace(cfg, total_steps=512), resume=True)  # extending is allowed
    assert longer.env_steps == 512
