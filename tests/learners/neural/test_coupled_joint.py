"""Tests of neural AgentMixer's coupled joint (learners/neural/heads.py, agentmixer_policy.py,
algorithms/agentmixer.py): IGC by capping free joint logits at the actors' modes.

The key property, as for the product head: for random observations, states, seeds, masks and
network parameters — and after every training update — the joint policy's mode is the tuple of the
actors' argmaxes; the cap matches the exact tier's igc_cap; the distillation targets break ties
between correlated optima consistently.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from games.envs import make_env  # noqa: E402
from games.errors import ConfigError, GameError  # noqa: E402
from learners.exact.igc import igc_cap  # noqa: E402
from learners.neural.actors import ActorConfig  # noqa: E402
from learners.neural.agentmixer_policy import AgentMixerPolicy  # noqa: E402
from learners.neural.algorithms import EnvSpec, make_algo_config  # noqa: E402
from learners.neural.heads import CoupledJointCategorical, decode_joint_targets, igc_cap_torch  # noqa: E402
from learners.neural.modifier import ModifierConfig  # noqa: E402
from learners.neural.trainer import _position, collect  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 12), scale=st.sampled_from([0.1, 5.0, 50.0]))
def test_igc_cap_torch_keeps_any_chosen_mode_and_matches_the_exact_tier(seed: int, k: int,
                                                                      scale: float) -> None:
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(6, k, generator=g, dtype=torch.float64) * scale
    mode = torch.randint(0, k, (6,), generator=g)
    log_beta = igc_cap_torch(z, mode, 1 - 1e-4)
    beta = log_beta.exp()
    torch.testing.assert_close(beta.sum(-1), torch.ones(6, dtype=torch.float64))
    top = beta.gather(-1, mode[:, None])
    others = beta.scatter(-1, mode[:, None], -1.0)
    assert torch.all(others < top)
    np.testing.assert_allclose(beta.numpy(), igc_cap(z.numpy(), mode.numpy(), ratio_cap=1 - 1e-4), atol=1e-12)


def test_coupled_joint_distribution_is_consistent() -> None:
    g = torch.Generator().manual_seed(0)
    z = torch.randn(4, 6, generator=g)
    mode = torch.tensor([[0, 1], [1, 2], [0, 0], [1, 0]])
    log_beta = igc_cap_torch(z, mode[:, 0] * 3 + mode[:, 1])
    dist = CoupledJointCategorical(log_beta, (2, 3), mode, z)
    actions = dist.sample((5,))
    assert actions.shape == (5, 4, 2) and torch.all(actions < torch.tensor([2, 3]))
    torch.testing.assert_close(dist.log_prob_per_agent(actions).sum(-1), dist.log_prob(actions))
    flat = actions[..., 0] * 3 + actions[..., 1]
    torch.testing.assert_close(dist.log_prob(actions), log_beta.gather(-1, flat.T).T)
    torch.testing.assert_close(dist.entropy_per_agent().sum(-1), dist.entropy())


def test_decoded_targets_break_correlated_ties_consistently() -> None:
    p = torch.zeros(2, 9)
    p[0, 0] = p[0, 8] = 0.5            # (a1, b1) or (a3, b3), 50/50: agent 0 takes a1, agent 1 then b1
    p[1, 4] = 1.0
    t = decode_joint_targets(p, (3, 3), 4)
    torch.testing.assert_close(t[0], torch.tensor([[0.5, 0.0, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0]]))
    torch.testing.assert_close(t[1], torch.tensor([[0.0, 1.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]))


def _policy(counts: list[int], num_seeds: int) -> AgentMixerPolicy:
    actor = ActorConfig(hidden_sizes=(16,))
    modifier = ModifierConfig(state_hidden=(16,), state_feature_dim=8, policy_feature_dim=8, token_dim=16,
                              token_mlp_dim=8, channel_mlp_dim=16, num_seeds=num_seeds)
    return AgentMixerPolicy(len(counts), 4, 5, action_counts=counts, actor_config=actor,
                            modifier_config=modifier, joint="coupled")


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), counts=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       num_seeds=st.sampled_from([0, 3]), scale=st.sampled_from([0.01, 1.0, 30.0]), with_avail=st.booleans(),
       tied=st.booleans())
def test_coupled_joint_mode_is_the_tuple_of_actor_argmaxes(seed: int, counts: list[int], num_seeds: int,
                                                          scale: float, with_avail: bool, tied: bool) -> None:
    g = torch.Generator().manual_seed(seed)
    policy = _policy(counts, num_seeds)
    with torch.no_grad():
        for p in policy.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * scale)
        if tied:
            policy.actors.head.weight.zero_()
            policy.actors.head.bias.copy_(torch.randint(0, 2, policy.actors.head.bias.shape, generator=g))
    n, batch = len(counts), 8
    obs, state = torch.randn(batch, n, 4, generator=g), torch.randn(batch, 5, generator=g)
    avail = None
    if with_avail:
        avail = torch.rand(batch, n, max(counts), generator=g) < 0.5
        avail[..., 0] = True
    joint, _ = policy.joint_dist(obs, state, None, policy.sample_seed(batch, g), avail)
    assert isinstance(joint, CoupledJointCategorical)
    greedy = policy.act(obs, None, None, None, avail, mode="decentralized", deterministic=True).actions
    assert torch.equal(joint.mode, greedy)
    flat_mode = joint._ravel(greedy)
    assert torch.equal(joint.log_beta.argmax(-1), flat_mode)
    sampled = joint.sample((16,))
    if avail is not None:                                 # unavailable joint actions are never drawn
        picked = avail[None].expand(16, *avail.shape).gather(-1, sampled[..., None])[..., 0]
        assert torch.all(picked)


def test_config_picks_the_coupled_joint_for_small_discrete_games_only() -> None:
    small = EnvSpec(2, 4, 6, (3, 3), 1)
    big = EnvSpec(8, 4, 6, (5,) * 8, 1)
    assert make_algo_config("agentmixer", {}).build(small).policy.joint == "coupled"
    assert make_algo_config("agentmixer", {}).build(big).policy.joint == "product"
    assert make_algo_config("agentmixer", {"ratio": "per_agent"}).build(small).policy.joint == "product"
    assert make_algo_config("agentmixer", {"joint": "product"}).build(small).policy.joint == "product"
    with pytest.raises(ConfigError):
        make_algo_config("agentmixer", {"joint": "coupled", "ratio": "per_agent"}).build(small)
    with pytest.raises(ConfigError):
        make_algo_config("agentmixer", {"joint": "tensor"})
    with pytest.raises(GameError):
        AgentMixerPolicy(2, 4, 5, action_dim=2, joint="coupled")


def test_igc_holds_after_every_update_on_climbing() -> None:
    """Train the default AgentMixer on climbing update by update: after each, the coupled joint's
    mode is the actors' greedy joint action, on the rollout and on random inputs."""
    torch.manual_seed(3)
    env = make_env("climbing", 16, seed=3)
    algo = make_algo_config("agentmixer", {"lr": 3e-3}).build(EnvSpec.from_env(env))
    assert algo.policy.joint == "coupled"
    pos = _position(env.current(), algo.initial_carry(16), torch.ones(16, dtype=torch.bool))
    g = torch.Generator().manual_seed(0)
    for _ in range(12):
        batch, _ = collect(env, algo, pos, 2)
        algo.update(batch)
        for obs, state in ((batch.obs, batch.state),
                           (torch.randn(8, 2, batch.obs.shape[-1], generator=g) * 5,
                            torch.randn(8, batch.state.shape[-1], generator=g) * 5)):
            out, _ = algo.actors(obs)
            joint = algo.policy.modify(out, state)
            greedy = out.logits.argmax(-1)
            assert torch.equal(joint.mode, greedy)
            assert torch.equal(joint.log_beta.argmax(-1), joint._ravel(greedy))
