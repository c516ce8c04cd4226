"""GAE (Schulman et al. 2016, Eq. 16) against a hand-computed 3-step example, and the running value
normaliser against numpy's mean / std."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from learners.neural.buffer import compute_gae  # noqa: E402
from learners.neural.normalizer import ValueNormalizer  # noqa: E402


def test_gae_three_steps_by_hand() -> None:
    # γ = 0.9, λ = 0.8; the episode ends after step 1 (done), so step 1 does not bootstrap.
    rewards = torch.tensor([[1.0], [2.0], [3.0]], dtype=torch.float64)
    values = torch.tensor([[0.5], [0.4], [0.3]], dtype=torch.float64)
    dones = torch.tensor([[False], [True], [False]])
    last = torch.tensor([0.2], dtype=torch.float64)
    adv, ret = compute_gae(rewards, values, dones, last, 0.9, 0.8)
    # δ2 = 3 + 0.9·0.2 − 0.3 = 2.88;  δ1 = 2 − 0.4 = 1.6 (done);  δ0 = 1 + 0.9·0.4 − 0.5 = 0.86
    # Â2 = 2.88;  Â1 = 1.6;  Â0 = 0.86 + 0.9·0.8·1.6 = 2.012
    assert adv[:, 0].tolist() == pytest.approx([2.012, 1.6, 2.88], abs=1e-12)
    assert ret[:, 0].tolist() == pytest.approx([2.512, 2.0, 3.18], abs=1e-12)


def test_gae_lambda_one_is_discounted_return() -> None:
    rewards = torch.ones(4, 2, dtype=torch.float64)
    values = torch.zeros(4, 2, dtype=torch.float64)
    dones = torch.zeros(4, 2, dtype=torch.bool)
    _, ret = compute_gae(rewards, values, dones, torch.zeros(2, dtype=torch.float64), 0.5, 1.0)
    assert ret[:, 0].tolist() == pytest.approx([1.875, 1.75, 1.5, 1.0])


def test_value_normalizer_matches_numpy() -> None:
    rng = np.random.default_rng(0)
    batches = [rng.normal(3.0, 2.0, size=n) for n in (5, 17, 1, 40)]
    norm = ValueNormalizer()
    x = torch.tensor([1.0, 2.0])
    assert torch.equal(norm.normalize(x), x)  # identity before any data
    for b in batches:
        norm.update(torch.from_numpy(b))
    allv = np.concatenate(batches)
    assert float(norm.mean) == pytest.approx(allv.mean(), rel=1e-12)
    assert float(norm.std) == pytest.approx(allv.std(), rel=1e-12)
    y = torch.from_numpy(allv)
    assert torch.allclose(norm.normalize(y), torch.from_numpy((allv - allv.mean()) / allv.std()))
    assert torch.allclose(norm.denormalize(norm.normalize(y)), y)
    fresh = ValueNormalizer()
    fresh.load_state_dict(norm.state_dict())
    assert float(fresh.mean) == float(norm.mean) and float(fresh.count) == allv.size
