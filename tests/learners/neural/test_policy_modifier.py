"""Tests of learners/neural/modifier.py: the MLP-Mixer Policy Modifier of AgentMixer (Eq. 5)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from games.errors import ConfigError, GameError  # noqa: E402
from learners.neural.modifier import MixerBlock, ModifierConfig, PolicyModifier  # noqa: E402


def _randomise(module: torch.nn.Module, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)


def _inputs(batch: int = 5, n: int = 3, state_dim: int = 6, p: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(7)
    return torch.randn(batch, state_dim, generator=g), torch.randn(batch, n, p, generator=g)


def test_output_shapes_and_leading_axes() -> None:
    pm = PolicyModifier(3, 6, 4, 5, ModifierConfig(depth=3, num_seeds=4))
    state, feats = _inputs()
    omega = torch.randint(4, (5,))
    assert pm(state, feats, omega).shape == (5, 3, 5)
    seq = pm(state.expand(2, 5, 6), feats.expand(2, 5, 3, 4), omega.expand(2, 5))
    assert seq.shape == (2, 5, 3, 5)
    torch.testing.assert_close(seq[1], pm(state, feats, omega))


@pytest.mark.parametrize("depth", [1, 2])
def test_token_mixing_lets_each_agent_see_the_others(depth: int) -> None:
    pm = PolicyModifier(3, 6, 4, 5, ModifierConfig(depth=depth))
    _randomise(pm, 1)
    state, feats = _inputs()
    moved = feats.clone()
    moved[:, 2] += 1.0
    before, after = pm(state, feats), pm(state, moved)
    assert not torch.allclose(before[:, 0], after[:, 0])  # agent 0's ε depends on agent 2's policy


def test_without_mixing_blocks_each_token_is_separate() -> None:
    pm = PolicyModifier(3, 6, 4, 5, ModifierConfig(depth=0))
    _randomise(pm, 2)
    state, feats = _inputs()
    moved = feats.clone()
    moved[:, 2] += 1.0
    before, after = pm(state, feats), pm(state, moved)
    torch.testing.assert_close(before[:, :2], after[:, :2])


def test_state_and_seed_condition_the_output() -> None:
    pm = PolicyModifier(2, 6, 4, 3, ModifierConfig(num_seeds=5))
    _randomise(pm, 3)
    state, feats = _inputs(n=2)
    omega = torch.zeros(5, dtype=torch.long)
    base = pm(state, feats, omega)
    assert not torch.allclose(base, pm(state + 1.0, feats, omega))
    assert not torch.allclose(base, pm(state, feats, omega + 1))
    with pytest.raises(GameError):
        pm(state, feats)  # the seed is required when num_seeds > 0
    with pytest.raises(GameError):
        PolicyModifier(2, 6, 4, 3)(state, feats, omega)  # and refused without seeds


def test_small_initial_output() -> None:
    pm = PolicyModifier(3, 6, 4, 5, ModifierConfig(output_gain=0.0))
    state, feats = _inputs()
    assert torch.all(pm(state, feats) == 0)


def test_bad_configs_raise() -> None:
    with pytest.raises(ConfigError):
        ModifierConfig(token_dim=0)
    with pytest.raises(ConfigError):
        ModifierConfig(depth=-1)
    with pytest.raises(GameError):
        PolicyModifier(3, 6, 4, 5)(torch.randn(5, 6), torch.randn(5, 2, 4))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 6), channels=st.integers(1, 9), hidden=st.integers(1, 9), seed=st.integers(0, 10**6))
def test_token_mixing_equals_the_transposed_mlp(n: int, channels: int, hidden: int, seed: int) -> None:
    """Eq. 5's token mixing, (W_2 σ(W_1 Xᵀ))ᵀ, computed in the (..., N, C) layout, equals the
    Linear layers applied to the transposed tokens, values and gradients."""
    block = MixerBlock(n, channels, hidden, 4, "gelu")
    _randomise(block, seed)
    x = torch.randn(3, 2, n, channels, generator=torch.Generator().manual_seed(seed), requires_grad=True)
    fast = block._token_mixing(x)
    slow = block.token_mlp(x.transpose(-1, -2)).transpose(-1, -2)
    torch.testing.assert_close(fast, slow, rtol=1e-5, atol=1e-5)
    g_fast = torch.autograd.grad(fast.square().sum(), [x, *block.token_mlp.parameters()])
    g_slow = torch.autograd.grad(slow.square().sum(), [x, *block.token_mlp.parameters()])
    for a, b in zip(g_fast, g_slow, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
