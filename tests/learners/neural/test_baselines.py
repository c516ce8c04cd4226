"""The paper baselines in the neural tier (HAPPO, MAT, MAT-Dec, MAGPO, ARMAPPO, QMIX, MAVEN): each
builds from its typed config, trains, resumes bit for bit after a kill, honours action masks, and
evaluates — decentrally, where the exact value of its executed table cannot beat the decentralized
optimum (bridge crossing −3, Dec-Tiger h = 3 5.190812; a theorem: the tabulated actors are a
decentralized policy), or says that it executes centrally."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from learners.neural.algorithms import ALGORITHMS, EnvSpec, make_algo_config  # noqa: E402
from learners.neural.checkpoint import load_checkpoint  # noqa: E402
from learners.neural.errors import ConfigError  # noqa: E402
from learners.neural.evaluate import evaluate_run  # noqa: E402
from learners.neural.trainer import make_config, train  # noqa: E402

BASELINES = ["happo", "mat", "mat_dec", "magpo", "armappo", "qmix", "maven"]
CENTRAL = {"mat", "armappo", "maven"}
TINY_T = ["transformer.embed_dim=8"]
Q = ["agent.hidden_sizes=[16]", "buffer_size=64", "batch_size=16", "gradient_steps=2",
     "target_update_interval=2", "mixer_embed=4", "hypernet_hidden=8"]
OVERRIDES = {
    "happo": ["actor.hidden_sizes=[16]", "critic.hidden_sizes=[16]", "num_minibatches=2"],
    "mat": TINY_T,
    "mat_dec": [*TINY_T, "actor.hidden_sizes=[16]"],
    "magpo": ["actor.hidden_sizes=[16]", "critic.hidden_sizes=[16]", "guider.hidden_sizes=[16]",
              "rl_coef=0.5"],
    "armappo": ["policy.hidden_sizes=[16]", "critic.hidden_sizes=[16]"],
    "qmix": Q,
    "maven": [*Q, "num_latents=3", "latent_hidden=[8]"],
}
DECENTRALIZED_OPTIMUM = -3.0  # bridge crossing, learners.exact (test_exact_baselines)


def _cfg(algo: str, out: Path, extra: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    data = {"algo": algo, "env": "bridge", "seed": 1, "total_steps": 6 * 4 * 5, "num_envs": 4,
            "rollout_len": 5, "eval_every": 3, "eval_episodes": 8, "checkpoint_every": 2, "out": str(out),
            "tensorboard": False}
    return make_config(data, [*OVERRIDES[algo], *extra])


def test_every_baseline_is_registered_with_its_own_config() -> None:
    assert set(BASELINES) <= set(ALGORITHMS)
    for name in BASELINES:
        cls = ALGORITHMS[name]
        assert cls.config_class.associated_class() is cls
        assert cls.executes_centrally == (name in CENTRAL)
    with pytest.raises(ConfigError, match="delta"):
        make_algo_config("magpo", {"delta": 0.9})
    with pytest.raises(ConfigError, match="recurrent"):
        make_algo_config("qmix", {"agent": {"recurrent": True}})


RECURRENT = ("actor.recurrent=true", "actor.gru_hidden=8")


@pytest.mark.parametrize(("algo", "extra"), [*((a, ()) for a in BASELINES), ("happo", RECURRENT),
                                             ("magpo", RECURRENT), ("mat_dec", RECURRENT)])
def test_train_resume_bit_identical_and_evaluate(tmp_path: Path, algo: str, extra: tuple[str, ...]) -> None:
    straight = train(_cfg(algo, tmp_path / "a", extra))
    assert straight.updates == 6 and all(np.isfinite(v) for v in straight.rows[-1].values())
    train(_cfg(algo, tmp_path / "b", extra), max_updates=3)  # killed after update 3 (checkpoint at 2, 3)
    resumed = train(_cfg(algo, tmp_path / "b", extra), resume=True)
    assert (tmp_path / "a" / "metrics.csv").read_text() == (tmp_path / "b" / "metrics.csv").read_text()
    ca, cb = (load_checkpoint(tmp_path / r / "checkpoint.pt")["algo"] for r in ("a", "b"))
    assert ca["modules"].keys() == cb["modules"].keys()
    assert all(torch.equal(ca["modules"][k], cb["modules"][k]) for k in ca["modules"])
    assert [str(r) for r in resumed.rows] == [str(r) for r in straight.rows]  # NaN-safe
    res = evaluate_run(tmp_path / "a")
    assert res["execution"] == ("centralized" if algo in CENTRAL else "decentralized")
    assert all(-100 <= r <= 0 for r in res["deterministic_returns"])
    if algo in CENTRAL or extra:
        assert "exact_deterministic_return" not in res  # no decentralized table to value
    else:
        # the executed decentralized policy, valued exactly, never beats the decentralized optimum
        assert res["exact_deterministic_return"] <= DECENTRALIZED_OPTIMUM + 1e-12
        assert res["exact_sampled_return"] <= DECENTRALIZED_OPTIMUM + 1e-12


def _spec() -> EnvSpec:
    return EnvSpec(num_agents=3, obs_dim=4, state_dim=5, num_actions=(2, 3, 3), episode_limit=1)


@pytest.mark.parametrize("algo", ["armappo", "mat"])
def test_autoregressive_factors_ignore_later_agents(algo: str) -> None:
    """Agent i's factor depends on a^{<i} only: changing a^{≥i} leaves it unchanged, changing an
    earlier action changes it; padded actions get probability 0."""
    learner = make_algo_config(algo, {}).build(_spec())
    torch.manual_seed(0)
    obs = torch.randn(7, 3, 4)
    a = torch.tensor([[0, 1, 2]] * 7)
    b = torch.tensor([[0, 1, 0]] * 7)
    c = torch.tensor([[1, 1, 2]] * 7)
    if algo == "mat":
        rep = learner.encoder(obs)[0]
        la, lb, lc = (learner.decoder.logits(rep, x) for x in (a, b, c))
    else:
        la, lb, lc = (learner.policy.logits(obs, x) for x in (a, b, c))
    assert torch.equal(la[:, :2], lb[:, :2])  # a^3 differs: factors 1 and 2 unchanged
    assert not torch.allclose(la[:, 1], lc[:, 1])  # a^1 differs: factor 2 moves
    assert torch.isinf(la[:, 0, 2]).all()  # agent 1 has 2 actions: slot 2 is padding
    actions, logp = (learner.decoder.sample(learner.encoder(obs)[0]) if algo == "mat"
                     else learner.policy.sample(obs))
    assert (actions[:, 0] < 2).all() and torch.isfinite(logp).all()


def test_qmix_mixer_is_monotone_in_every_agent_utility() -> None:
    """∂Q_tot/∂Q_i ≥ 0 for any state (QMIX, Eq. 6): the hypernetwork weights are |·|."""
    learner = make_algo_config("qmix", {}).build(_spec())
    torch.manual_seed(1)
    qs = torch.randn(64, 3, requires_grad=True)
    learner.mixer(qs, torch.randn(64, 5) * 3).sum().backward()
    assert qs.grad is not None and (qs.grad >= 0).all() and (qs.grad > 0).any()


def test_happo_updates_each_agent_with_its_own_optimizer() -> None:
    """HAPPO's actors are separate networks, each stepped by its own Adam; after an update every
    agent's parameters moved and the compounded-ratio weights stayed finite."""
    from games.envs import make_env
    from learners.neural.trainer import collect

    env = make_env("climbing", 8, seed=0)
    learner = make_algo_config("happo", {"actor": {"hidden_sizes": [8]}}).build(EnvSpec.from_env(env))
    ts = env.current()
    pos = {"obs": torch.from_numpy(np.array(ts.obs)), "state": torch.from_numpy(np.array(ts.state)),
           "carry": learner.initial_carry(8), "starts": torch.ones(8, dtype=torch.bool)}
    batch, _ = collect(env, learner, pos, 4)
    before = [[p.clone() for p in a.parameters()] for a in learner.actors.agents]
    metrics = learner.update(batch)
    assert {"actor0", "actor1", "ppo"} <= set(learner.optimizers) and np.isfinite(metrics["factor_mean"])
    for agent, old in zip(learner.actors.agents, before, strict=True):
        assert any(not torch.equal(p, q) for p, q in zip(agent.parameters(), old, strict=True))


def test_magpo_reverse_projection_gradient_is_the_kl_gradient() -> None:
    """Averaged over the sampled a_{-i} (enumerated here, weighted by π), the reverse projection
    loss has the gradient of KL(π ‖ μ) computed by brute force over all joint actions."""
    import itertools

    from learners.neural.buffer import Rollout

    spec = EnvSpec(num_agents=2, obs_dim=3, state_dim=2, num_actions=(2, 3), episode_limit=1)
    learner = make_algo_config("magpo", {"actor": {"hidden_sizes": [8], "output_gain": 1.0},
                                         "guider": {"hidden_sizes": [8], "output_gain": 1.0}}).build(spec)
    torch.manual_seed(3)
    obs, state = torch.randn(1, 1, 2, 3), torch.randn(1, 1, 2)
    z = torch.zeros(1, 1)
    batch = Rollout(obs=obs, state=state, actions=torch.zeros(1, 1, 2, dtype=torch.long),
                    log_prob=torch.zeros(1, 1, 2), rewards=z, dones=z.bool(), starts=z.bool(), values=z,
                    last_value=torch.zeros(1), carry0={"hidden": torch.zeros(1, 2, 0)})
    x = learner._x(obs, state)
    params = list(learner.actors.parameters())
    joint = list(itertools.product(range(2), range(3)))
    with torch.no_grad():
        log_pi = torch.log_softmax(learner._learner_logits(batch), -1)[0, 0]
    expected = [torch.zeros_like(p) for p in params]
    for a in joint:
        weight = float(log_pi[0, a[0]].exp() * log_pi[1, a[1]].exp())
        loss = learner._projection_loss(batch, x, torch.tensor([[list(a)]]))
        for acc, g in zip(expected, torch.autograd.grad(loss, params), strict=True):
            acc += weight * g
    lp = torch.log_softmax(learner._learner_logits(batch), -1)[0, 0]
    acts = torch.tensor(joint)
    log_mu = learner.guider.log_prob(x[0, 0].expand(len(joint), 2, 5), acts)[0].sum(-1).detach()
    log_p = lp[0, acts[:, 0]] + lp[1, acts[:, 1]]
    kl = (log_p.exp() * (log_p - log_mu)).sum()
    for got, want in zip(expected, torch.autograd.grad(kl, params), strict=True):
        assert torch.allclose(got, want, atol=1e-6)


@pytest.mark.parametrize("algo", BASELINES)
def test_action_masks_are_honoured(tmp_path: Path, algo: str) -> None:
    """The masked corridor raises on a masked action: training (ε-greedy and sampled behaviour
    included), sampled and deterministic evaluation never send one."""
    pytest.importorskip("pettingzoo")
    data = {"algo": algo, "env": "pettingzoo(pz_toys:corridor, mask=obs, max_cycles=6)", "seed": 0,
            "total_steps": 8 * 4 * 3, "num_envs": 8, "rollout_len": 4, "eval_every": 1, "eval_episodes": 4,
            "out": str(tmp_path), "tensorboard": False}
    result = train(make_config(data, list(OVERRIDES[algo])))
    assert result.updates == 3 and np.isfinite(result.last_eval["deterministic"])


DEC_TIGER_H3_OPTIMUM = 5.190812  # published (masplan.org), reproduced in tests/ce/planning


@pytest.mark.parametrize("algo", sorted(set(BASELINES) - CENTRAL))
def test_dec_tiger_exact_value_is_bounded_by_the_optimum(tmp_path: Path, algo: str) -> None:
    """Dec-Tiger, horizon 3: the executed decentralized table's exact value never exceeds the
    optimal decentralized value 5.190812 (and is a finite number, i.e. a valid policy table)."""
    data = {"algo": algo, "env": "dec_tiger", "seed": 0, "total_steps": 2 * 8 * 6, "num_envs": 8,
            "rollout_len": 6, "eval_every": 0, "eval_episodes": 4, "out": str(tmp_path), "tensorboard": False}
    train(make_config(data, list(OVERRIDES[algo])))
    res = evaluate_run(tmp_path)
    for key in ("exact_deterministic_return", "exact_sampled_return"):
        assert np.isfinite(res[key]) and res[key] <= DEC_TIGER_H3_OPTIMUM + 1e-6
