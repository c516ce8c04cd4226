"""Tests of learners/neural/heads.py: the discrete IGC head (AgentMixer Def. 6) in torch, its
agreement with the exact tier (learners.exact.igc.igc_modify, base="scale"), the naive softmax
modifier's failure, gradients, the joint distributions and the Gaussian head."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from learners.exact.igc import igc_modify, softmax_modifier_counterexample  # noqa: E402
from learners.neural.heads import (  # noqa: E402
    DEFAULT_TORCH_RATIO_CAP,
    GaussianIGCHead,
    JointCategorical,
    igc_joint_categorical,
    igc_modify_torch,
    naive_softmax_modifier,
)

SETTINGS = settings(max_examples=60, deadline=None)


def _random_case(seed: int, tied: bool, masked: bool, eps_scale: float, dtype: torch.dtype,
                 shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Logits (integers in [-2, 2] when ``tied``: exact ties), ε, and a mask with >= 1 True per row."""
    g = torch.Generator().manual_seed(seed)
    if tied:
        logits = torch.randint(-2, 3, shape, generator=g).to(dtype)
    else:
        logits = (torch.randn(shape, generator=g) * 4).to(dtype)
    eps = (torch.randn(shape, generator=g) * eps_scale).to(dtype)
    mask = None
    if masked:
        mask = torch.rand(shape, generator=g) < 0.6
        keep = torch.randint(shape[-1], shape[:-1], generator=g)
        mask = mask.scatter(-1, keep[..., None], True)
    return logits, eps, mask


def _masked(logits: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    return logits if mask is None else logits.masked_fill(~mask, float("-inf"))


@given(st.lists(st.integers(0, 2), min_size=1, max_size=12))
@settings(max_examples=60, deadline=None)
def test_torch_argmax_returns_the_first_maximum(values: list[int]) -> None:
    for dtype in (torch.float32, torch.float64, torch.int64):
        t = torch.tensor(values, dtype=dtype)
        assert int(t.argmax()) == values.index(max(values)) == int(np.argmax(values))
    batch = torch.tensor([values] * 3, dtype=torch.float32)
    assert torch.all(batch.argmax(dim=-1) == values.index(max(values)))


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1), tied=st.booleans(), masked=st.booleans(),
       eps_scale=st.sampled_from([0.0, 1.0, 10.0, 1e3]), double=st.booleans(),
       n_agents=st.integers(1, 4), n_actions=st.integers(1, 7))
def test_igc_head_keeps_every_agents_argmax(seed: int, tied: bool, masked: bool, eps_scale: float,
                                            double: bool, n_agents: int, n_actions: int) -> None:
    dtype = torch.float64 if double else torch.float32
    logits, eps, mask = _random_case(seed, tied, masked, eps_scale, dtype, (5, n_agents, n_actions))
    log_beta = igc_modify_torch(logits, eps, mask=mask)
    k = _masked(logits, mask).argmax(dim=-1)
    assert torch.equal(log_beta.argmax(dim=-1), k)
    assert not torch.isnan(log_beta).any()
    beta = log_beta.exp()
    torch.testing.assert_close(beta.sum(-1), torch.ones_like(beta.sum(-1)))
    if mask is not None:
        assert torch.all(log_beta[~mask] == float("-inf"))
        assert torch.all(torch.isfinite(log_beta[mask]))
    top = beta.gather(-1, k[..., None])
    others = beta.scatter(-1, k[..., None], 0.0)
    assert torch.all(others < top)  # strict mode, ties in the logits included
    assert torch.all(others <= DEFAULT_TORCH_RATIO_CAP * top * (1 + 1e-5))


def test_igc_head_on_exact_ties_and_masked_maximum() -> None:
    logits = torch.tensor([[1.0, 3.0, 3.0, 3.0], [5.0, 0.0, 5.0, 5.0]])
    mask = torch.tensor([[True, False, True, True], [False, True, True, True]])
    eps = torch.tensor([[0.0, 50.0, 50.0, 50.0], [9.0, 0.0, 0.0, 50.0]])
    log_beta = igc_modify_torch(logits, eps, mask=mask)
    assert log_beta.argmax(-1).tolist() == [2, 2]  # first available maximum; masked maxima skipped
    assert log_beta[0, 1] == float("-inf") and log_beta[1, 0] == float("-inf")
    dist = igc_joint_categorical(logits, eps, mask=mask)
    assert dist.mode.tolist() == [2, 2]


def test_modifier_logits_at_the_mode_and_off_the_support_are_ignored() -> None:
    logits, eps, mask = _random_case(3, False, True, 3.0, torch.float64, (4, 3, 5))
    assert mask is not None
    k = _masked(logits, mask).argmax(-1, keepdim=True)
    noise = torch.randn(eps.shape, dtype=eps.dtype) * 7
    ignored = (~mask) | torch.zeros_like(mask).scatter(-1, k, True)
    changed = torch.where(ignored, eps + noise, eps)
    torch.testing.assert_close(igc_modify_torch(logits, changed, mask=mask),
                               igc_modify_torch(logits, eps, mask=mask))


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1), tied=st.booleans(), masked=st.booleans(),
       ratio_cap=st.sampled_from([1 - 1e-4, 1 - 1e-9, 0.95]), base_cap=st.sampled_from([0.5, 0.9]),
       n_actions=st.integers(1, 6))
def test_igc_head_matches_the_exact_tier_in_float64(seed: int, tied: bool, masked: bool, ratio_cap: float,
                                                    base_cap: float, n_actions: int) -> None:
    logits, eps, mask = _random_case(seed, tied, masked, 5.0, torch.float64, (6, n_actions))
    logits = torch.round(logits * 4) / 4  # a grid: softmax cannot merge distinct logits into a tie
    beta = igc_modify_torch(logits, eps, ratio_cap=ratio_cap, base_cap=base_cap, mask=mask).exp()
    alpha = torch.softmax(_masked(logits, mask), dim=-1).numpy()
    expected = igc_modify(alpha, eps.numpy(), base="scale", ratio_cap=ratio_cap, base_cap=base_cap)
    np.testing.assert_allclose(beta.numpy(), expected, atol=1e-5, rtol=0)
    np.testing.assert_allclose(beta.numpy(), expected, atol=1e-12, rtol=1e-9)


def test_naive_softmax_modifier_moves_the_mode() -> None:
    alpha = torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64)
    eps = torch.tensor([0.0, 2.0, 0.0], dtype=torch.float64)
    naive = naive_softmax_modifier(alpha.log(), eps, temperature=1.0).exp()
    by_hand = torch.tensor([0.5, 0.3 * math.e**2, 0.2], dtype=torch.float64)
    torch.testing.assert_close(naive, by_hand / by_hand.sum())
    assert int(naive.argmax()) == 1 != int(alpha.argmax()) == 0
    np.testing.assert_allclose(naive.numpy(), softmax_modifier_counterexample().softmax_beta, atol=1e-12)
    igc = igc_modify_torch(alpha.log(), eps).exp()
    assert int(igc.argmax()) == 0


def test_gradcheck_of_the_igc_head_in_float64() -> None:
    g = torch.Generator().manual_seed(0)
    # distinct, well-separated logits: argmax is locally constant under gradcheck's perturbations
    logits = (torch.randperm(5, generator=g).to(torch.float64) * 0.7 + 0.1 * torch.rand(5, generator=g))
    logits = torch.stack([logits, logits.flip(0) - 1.0]).requires_grad_(True)
    eps = torch.randn(2, 5, generator=g, dtype=torch.float64).requires_grad_(True)
    mask = torch.tensor([[True] * 5, [True, False, True, True, False]])
    assert torch.autograd.gradcheck(lambda lg, e: igc_modify_torch(lg, e), (logits, eps))
    assert torch.autograd.gradcheck(lambda lg, e: igc_modify_torch(lg, e, mask=mask).clamp(min=-1e30),
                                    (logits, eps))


def test_gradients_reach_actor_logits_and_modifier_logits() -> None:
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(3, 4, 6, generator=g, requires_grad=True)
    eps = torch.randn(3, 4, 6, generator=g, requires_grad=True)
    mask = torch.rand(3, 4, 6, generator=g) < 0.7
    mask[..., 0] = True
    dist = igc_joint_categorical(logits, eps, mask=mask)
    actions = dist.sample((2,))
    loss = dist.log_prob(actions).sum() + dist.entropy().sum()
    loss.backward()
    for grad in (logits.grad, eps.grad):
        assert grad is not None and torch.all(torch.isfinite(grad)) and grad.abs().sum() > 0
    assert torch.all(eps.grad[~mask] == 0) and torch.all(logits.grad[~mask] == 0)
    k = logits.detach().masked_fill(~mask, float("-inf")).argmax(-1, keepdim=True)
    assert torch.all(eps.grad.gather(-1, k) == 0)  # ε_k is unused


def test_joint_categorical_is_the_product_of_the_marginals() -> None:
    g = torch.Generator().manual_seed(2)
    log_beta = torch.log_softmax(torch.randn(7, 3, 4, generator=g, dtype=torch.float64), dim=-1)
    log_beta[..., 3] = float("-inf")
    log_beta = torch.log_softmax(log_beta, dim=-1)
    dist = JointCategorical(log_beta)
    actions = dist.sample((50,))
    assert actions.shape == (50, 7, 3) and torch.all(actions < 3)
    manual = log_beta.expand(50, -1, -1, -1).gather(-1, actions[..., None]).squeeze(-1).sum(-1)
    torch.testing.assert_close(dist.log_prob(actions), manual)
    p = log_beta.exp()
    entropy = -(p[..., :3] * log_beta[..., :3]).sum(-1).sum(-1)
    torch.testing.assert_close(dist.entropy(), entropy)
    assert torch.equal(dist.mode, log_beta.argmax(-1))


def test_gaussian_head_mean_is_exactly_the_actor_means() -> None:
    mean = torch.randn(4, 3, 2, requires_grad=True)
    pm_log_std = torch.randn(4, 3, 2) * 5
    head = GaussianIGCHead(log_std_min=-2.0, log_std_max=1.0)
    dist = head(mean, pm_log_std)
    assert torch.equal(dist.mean, mean) and torch.equal(dist.mode, mean)
    torch.testing.assert_close(dist.stddev, pm_log_std.clamp(-2.0, 1.0).exp())
    actions = dist.sample()
    normal = torch.distributions.Normal(mean, pm_log_std.clamp(-2.0, 1.0).exp())
    torch.testing.assert_close(dist.log_prob(actions), normal.log_prob(actions).sum((-1, -2)))
    dist.log_prob(actions).sum().backward()
    assert mean.grad is not None and mean.grad.abs().sum() > 0  # the graph to the actor means is kept
