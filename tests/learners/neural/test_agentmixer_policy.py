"""Tests of learners/neural/agentmixer_policy.py: actors + Policy Modifier (Eq. 5) + IGC head (Def. 6).

The key property: for random observations, states, seeds and network parameters, the joint
policy's mode equals the tuple of the decentralized actors' argmaxes (IGC), so greedy training-time
and test-time execution coincide.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from games.errors import GameError  # noqa: E402
from learners.neural.actors import ActorConfig  # noqa: E402
from learners.neural.agentmixer_policy import AgentMixerPolicy  # noqa: E402
from learners.neural.heads import JointCategorical, JointNormal  # noqa: E402
from learners.neural.modifier import ModifierConfig  # noqa: E402


def _randomise(module: torch.nn.Module, g: torch.Generator, scale: float) -> None:
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * scale)


def _policy(counts: list[int] | None, recurrent: bool, share: bool, num_seeds: int,
            n_agents: int = 3, action_dim: int | None = None) -> AgentMixerPolicy:
    actor = ActorConfig(hidden_sizes=(16,), recurrent=recurrent, gru_hidden=8, share_parameters=share)
    modifier = ModifierConfig(state_hidden=(16,), state_feature_dim=8, policy_feature_dim=8, token_dim=16,
                              token_mlp_dim=8, channel_mlp_dim=16, num_seeds=num_seeds)
    return AgentMixerPolicy(n_agents, 4, 5, action_counts=counts, action_dim=action_dim,
                            actor_config=actor, modifier_config=modifier)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), counts=st.lists(st.integers(1, 5), min_size=1, max_size=4),
       recurrent=st.booleans(), share=st.booleans(), num_seeds=st.sampled_from([0, 3]),
       actor_scale=st.sampled_from([0.01, 1.0, 5.0]), pm_scale=st.sampled_from([0.1, 3.0, 30.0]),
       with_avail=st.booleans(), tied=st.booleans())
def test_joint_mode_is_the_tuple_of_decentralized_argmaxes(
        seed: int, counts: list[int], recurrent: bool, share: bool, num_seeds: int, actor_scale: float,
        pm_scale: float, with_avail: bool, tied: bool) -> None:
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    n = len(counts)
    policy = _policy(counts, recurrent, share, num_seeds, n_agents=n)
    _randomise(policy.actors, g, actor_scale)
    _randomise(policy.modifier, g, pm_scale)
    if tied:  # exact ties in the actors' logits: output weights 0, integer biases
        with torch.no_grad():
            policy.actors.head.weight.zero_()
            policy.actors.head.bias.copy_(torch.randint(0, 2, policy.actors.head.bias.shape, generator=g))
    batch = 8
    obs, state = torch.randn(batch, n, 4, generator=g), torch.randn(batch, 5, generator=g)
    hidden = torch.randn(batch, n, policy.actors.hidden_size, generator=g)
    omega = policy.sample_seed(batch, g)
    avail = None
    if with_avail:
        avail = torch.rand(batch, n, max(counts), generator=g) < 0.5
        avail[..., 0] = True
    joint, h_joint = policy.joint_dist(obs, state, hidden, omega, avail)
    dec, h_dec = policy.decentralized_dist(obs, hidden, avail)
    assert isinstance(joint, JointCategorical) and torch.equal(h_joint, h_dec)
    actor_logits = policy.actors(obs, hidden, avail)[0].logits
    greedy = actor_logits.argmax(-1)
    assert torch.equal(joint.mode, greedy)
    assert torch.equal(joint.probs.argmax(-1), greedy)
    assert torch.equal(joint.log_beta.argmax(-1), greedy)
    joint_act = policy.act(obs, state, hidden, omega, avail, mode="joint", deterministic=True)
    dec_act = policy.act(obs, None, hidden, None, avail, mode="decentralized", deterministic=True)
    assert torch.equal(joint_act.actions, greedy) and torch.equal(dec_act.actions, greedy)
    sampled = policy.act(obs, state, hidden, omega, avail, mode="joint")
    assert torch.all(sampled.actions < torch.tensor(counts))
    assert torch.all(torch.isfinite(sampled.log_prob))
    torch.testing.assert_close(dec.logits, torch.log_softmax(actor_logits, -1))


@pytest.mark.parametrize("recurrent", [False, True])
def test_gradients_reach_actors_and_modifier(recurrent: bool) -> None:
    torch.manual_seed(0)
    policy = _policy([2, 4, 3], recurrent, share=False, num_seeds=3)
    g = torch.Generator().manual_seed(1)
    _randomise(policy, g, 0.5)
    obs, state = torch.randn(6, 3, 4), torch.randn(6, 5)
    dist, _ = policy.joint_dist(obs, state, None, policy.sample_seed(6))
    loss = -(dist.log_prob(dist.sample()).mean() + 0.01 * dist.entropy().mean())
    loss.backward()
    for name, part in (("actors", policy.actors), ("modifier", policy.modifier)):
        grads = [p.grad for p in part.parameters()]
        assert all(gr is not None and torch.all(torch.isfinite(gr)) for gr in grads), name
        assert sum(float(gr.abs().sum()) for gr in grads) > 0, name
    assert policy.modifier.seed_embedding.weight.grad.abs().sum() > 0


def test_decentralized_execution_never_uses_the_modifier() -> None:
    torch.manual_seed(0)
    policy = _policy([3, 3], False, True, num_seeds=0, n_agents=2)
    obs = torch.randn(4, 2, 4)
    before = policy.decentralized_dist(obs)[0].logits
    _randomise(policy.modifier, torch.Generator().manual_seed(5), 10.0)
    assert torch.equal(before, policy.decentralized_dist(obs)[0].logits)
    state = torch.randn(4, 5)
    joint = policy.joint_dist(obs, state)[0].probs
    assert not torch.allclose(joint, policy.joint_dist(obs, state + 2.0)[0].probs)  # PM reads the state


def test_continuous_policy_keeps_the_actor_means() -> None:
    torch.manual_seed(0)
    policy = _policy(None, True, False, num_seeds=2, action_dim=2)
    _randomise(policy, torch.Generator().manual_seed(2), 1.0)
    obs, state = torch.randn(5, 3, 4), torch.randn(5, 5)
    omega = policy.sample_seed(5)
    joint, _ = policy.joint_dist(obs, state, None, omega)
    dec, _ = policy.decentralized_dist(obs)
    assert isinstance(joint, JointNormal)
    actor_mean = policy.actors(obs)[0].mean
    assert torch.equal(joint.mean, actor_mean) and torch.equal(joint.mode, dec.mean)
    lo, hi = policy.gaussian_head.log_std_min, policy.gaussian_head.log_std_max
    assert torch.all(joint.log_std >= lo) and torch.all(joint.log_std <= hi)
    det = policy.act(obs, state, None, omega, mode="joint", deterministic=True)
    assert torch.equal(det.actions, actor_mean) and det.log_prob.shape == (5, 3)
    assert torch.equal(policy.act(obs, mode="decentralized", deterministic=True).actions, actor_mean)
    joint.log_prob(joint.sample()).sum().backward()
    assert all(p.grad is not None for p in policy.actors.trunk.parameters())


def test_modify_on_unrolled_sequences_matches_step_by_step() -> None:
    torch.manual_seed(0)
    policy = _policy([3, 2, 4], True, True, num_seeds=0)
    obs, state = torch.randn(4, 2, 3, 4), torch.randn(4, 2, 5)
    out, _ = policy.actors.unroll(obs)
    seq = policy.modify(out, state)
    hidden = None
    for t in range(4):
        step, hidden = policy.joint_dist(obs[t], state[t], hidden)
        torch.testing.assert_close(seq.log_beta[t], step.log_beta)


def test_bad_modes_raise() -> None:
    policy = _policy([2, 2], False, True, num_seeds=0, n_agents=2)
    with pytest.raises(GameError):
        policy.act(torch.randn(1, 2, 4), mode="joint")  # needs the state
    with pytest.raises(GameError):
        policy.act(torch.randn(1, 2, 4), mode="greedy")  # type: ignore[arg-type]
    with pytest.raises(GameError):
        AgentMixerPolicy(2, 4, 5, action_counts=2, ratio_cap=0.9, base_cap=0.9)
