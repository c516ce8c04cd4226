"""Tests of learners/neural/actors.py: decentralized actors π^i(a^i | o^i or h^i) of AgentMixer
(shared vs per-agent parameters, GRU history, unequal discrete action counts, Gaussian actors)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from games.errors import ConfigError, GameError  # noqa: E402
from learners.neural.actors import ActorConfig, Actors, AgentLinear, Tanh  # noqa: E402


def _perturb(module: torch.nn.Module, seed: int, scale: float = 1.0) -> None:
    """Random (non-tiny) parameters, so that outputs are far from their near-uniform initialisation."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * scale)


@pytest.mark.parametrize("share", [True, False])
def test_each_actor_reads_only_its_own_observation(share: bool) -> None:
    torch.manual_seed(0)
    actors = Actors(3, 5, action_counts=4, config=ActorConfig(share_parameters=share))
    obs = torch.randn(6, 3, 5)
    out, _ = actors(obs)
    moved = obs.clone()
    moved[:, 1] += 3.0
    out2, _ = actors(moved)
    assert torch.equal(out.logits[:, [0, 2]], out2.logits[:, [0, 2]])
    assert not torch.allclose(out.logits[:, 1], out2.logits[:, 1])


def test_shared_parameters_use_one_network_with_agent_ids() -> None:
    torch.manual_seed(0)
    n, obs_dim = 4, 3
    shared = Actors(n, obs_dim, 2, config=ActorConfig(hidden_sizes=(8,), share_parameters=True))
    separate = Actors(n, obs_dim, 2, config=ActorConfig(hidden_sizes=(8,), share_parameters=False))
    first = shared.trunk[0]
    assert isinstance(first, AgentLinear) and first.weight.shape == (1, obs_dim + n, 8)
    assert separate.trunk[0].weight.shape == (n, obs_dim, 8)
    count = sum(p.numel() for p in shared.parameters())
    assert sum(p.numel() for p in separate.parameters()) > count
    _perturb(shared, 1)
    same_obs = torch.randn(1, 1, obs_dim).expand(2, n, obs_dim)
    logits = shared(same_obs)[0].logits
    assert not torch.allclose(logits[:, 0], logits[:, 1])  # the one-hot id tells the agents apart


def test_per_agent_linear_equals_separate_linear_maps() -> None:
    torch.manual_seed(0)
    layer = AgentLinear(3, 4, 2, gain=1.0)
    with torch.no_grad():
        layer.bias.normal_()
    x = torch.randn(5, 3, 4)
    expected = torch.stack([x[:, i] @ layer.weight[i] + layer.bias[i] for i in range(3)], dim=1)
    torch.testing.assert_close(layer(x), expected)


def test_gru_actors_carry_the_history() -> None:
    torch.manual_seed(0)
    config = ActorConfig(recurrent=True, gru_hidden=8, share_parameters=False)
    actors = Actors(2, 3, action_counts=3, config=config)
    _perturb(actors, 2)
    h0 = actors.initial_hidden(4)
    assert h0.shape == (4, 2, 8) and torch.all(h0 == 0)
    obs_a, obs_b, obs_now = torch.randn(4, 2, 3), torch.randn(4, 2, 3), torch.randn(4, 2, 3)
    _, h_a = actors(obs_a, h0)
    _, h_b = actors(obs_b, h0)
    out_a, _ = actors(obs_now, h_a)
    out_b, _ = actors(obs_now, h_b)
    assert not torch.allclose(out_a.logits, out_b.logits)  # same o_t, different histories
    reset_a, _ = actors(obs_now, h_a, reset=torch.ones(4, dtype=torch.bool))
    fresh, _ = actors(obs_now, None)
    torch.testing.assert_close(reset_a.logits, fresh.logits)
    # per-agent reset (B, N): only agent 0 starts over
    partial, _ = actors(obs_now, h_a, reset=torch.tensor([[True, False]] * 4))
    torch.testing.assert_close(partial.logits[:, 0], fresh.logits[:, 0])
    torch.testing.assert_close(partial.logits[:, 1], out_a.logits[:, 1])
    seq = torch.stack([obs_a, obs_now])
    unrolled, h_final = actors.unroll(seq, h0)
    torch.testing.assert_close(unrolled.logits[1], out_a.logits)
    torch.testing.assert_close(h_final, actors(obs_now, h_a)[1])


def test_feed_forward_actors_ignore_the_history() -> None:
    actors = Actors(2, 3, action_counts=3, config=ActorConfig(recurrent=False))
    assert actors.initial_hidden(5).shape == (5, 2, 0)
    obs = torch.randn(5, 2, 3)
    out, h = actors(obs, actors.initial_hidden(5))
    assert h.shape == (5, 2, 0) and torch.equal(out.logits, actors(obs)[0].logits)


def test_unequal_action_counts_are_masked() -> None:
    torch.manual_seed(0)
    counts = (2, 5, 3)
    actors = Actors(3, 4, action_counts=counts, config=ActorConfig(share_parameters=True))
    _perturb(actors, 3)
    obs = torch.randn(100, 3, 4)
    out, _ = actors(obs)
    assert out.logits.shape == (100, 3, 5)
    for i, a in enumerate(counts):
        assert torch.all(out.logits[:, i, a:] == float("-inf"))
        assert torch.all(torch.isfinite(out.logits[:, i, :a]))
        assert torch.all(out.avail[:, i, :a]) and not torch.any(out.avail[:, i, a:])
    probs = torch.softmax(out.logits, -1)
    assert torch.all(probs[:, 0, 2:] == 0) and torch.all(probs[:, 2, 3:] == 0)
    samples = torch.distributions.Categorical(logits=out.logits).sample((20,))
    assert torch.all(samples < torch.tensor(counts))
    avail = torch.ones(100, 3, 5, dtype=torch.bool)
    avail[:, 1, 0] = False  # an environment's availability mask stacks on the padding
    masked, _ = actors(obs, avail=avail)
    assert torch.all(masked.logits[:, 1, 0] == float("-inf"))
    assert torch.all(masked.logits.argmax(-1)[:, 1] != 0)
    features = masked.policy_features()
    assert torch.all(torch.isfinite(features)) and torch.all(features[:, 0, 2:] == -20.0)


def test_continuous_actors() -> None:
    actors = Actors(3, 4, action_dim=2, config=ActorConfig(share_parameters=False, log_std_init=-0.5))
    out, _ = actors(torch.randn(7, 3, 4))
    assert out.logits is None and out.mean.shape == (7, 3, 2)
    assert torch.all(out.log_std == -0.5) and out.log_std.shape == (7, 3, 2)
    assert out.policy_features().shape == (7, 3, 4)


def test_bad_arguments_raise() -> None:
    with pytest.raises(GameError):
        Actors(2, 3)
    with pytest.raises(GameError):
        Actors(2, 3, action_counts=[2, 3, 4])
    with pytest.raises(ConfigError):
        ActorConfig(activation="swish")
    with pytest.raises(GameError):
        Actors(2, 3, action_counts=2)(torch.randn(4, 3, 3))


@settings(max_examples=50, deadline=None)
@given(values=st.lists(st.floats(-60.0, 60.0, allow_nan=False, width=32), min_size=1, max_size=40))
def test_tanh_module_matches_torch_tanh(values: list[float]) -> None:
    """The activation computed as 2σ(2x) − 1 agrees with torch.tanh to 2e-7 (float32) and its
    gradient is 1 − tanh² x, the derivative of tanh."""
    x = torch.tensor(values, dtype=torch.float32, requires_grad=True)
    y = Tanh()(x)
    torch.testing.assert_close(y, torch.tanh(x), rtol=0.0, atol=2e-7)
    (grad,) = torch.autograd.grad(y.sum(), x)
    exact = 1.0 - torch.tanh(x.detach().double()) ** 2
    torch.testing.assert_close(grad.double(), exact, rtol=0.0, atol=1e-6)
