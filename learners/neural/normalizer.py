"""Running mean / standard deviation value normaliser (PopArt-free), as in MAPPO (Yu et al.
NeurIPS 2022, Sec. 4 "value normalization").

The critic regresses *normalised* targets (G - μ) / σ; its predictions are mapped back by
``denormalize`` before computing advantages. μ and σ² are the exact mean and (population) variance
of every target seen so far, merged batch by batch with Chan et al.'s parallel update (float64),
so after batches x_1..x_k they equal ``numpy.mean`` / ``numpy.var`` of the concatenation. Unlike
PopArt the critic's output layer is not rescaled when the statistics move.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["ValueNormalizer"]


class ValueNormalizer(nn.Module):
    """Running statistics of value targets; ``state_dict`` holds (count, mean, var).

    Args:
        epsilon: floor of the variance in :meth:`normalize` / :meth:`denormalize`.
    """

    count: Tensor
    mean: Tensor
    var: Tensor

    def __init__(self, epsilon: float = 1e-8) -> None:
        super().__init__()
        self.epsilon = float(epsilon)
        self.register_buffer("count", torch.zeros((), dtype=torch.float64))
        self.register_buffer("mean", torch.zeros((), dtype=torch.float64))
        self.register_buffer("var", torch.ones((), dtype=torch.float64))

    @torch.no_grad()
    def update(self, x: Tensor) -> None:
        """Merge every element of ``x`` into the running statistics."""
        x = x.detach().reshape(-1).to(torch.float64)
        n = float(x.numel())
        if n == 0:
            return
        b_mean = x.mean()
        b_var = x.var(unbiased=False)
        if float(self.count) == 0.0:
            self.mean.copy_(b_mean)
            self.var.copy_(b_var)
            self.count.fill_(n)
            return
        total = self.count + n
        delta = b_mean - self.mean
        m2 = self.var * self.count + b_var * n + delta * delta * self.count * n / total
        self.mean.add_(delta * n / total)
        self.var.copy_(m2 / total)
        self.count.copy_(total)

    @property
    def std(self) -> Tensor:
        return torch.sqrt(self.var.clamp(min=self.epsilon))

    def normalize(self, x: Tensor) -> Tensor:
        """(x - μ) / σ in x's dtype."""
        return ((x.to(torch.float64) - self.mean) / self.std).to(x.dtype)

    def denormalize(self, y: Tensor) -> Tensor:
        """y σ + μ in y's dtype."""
        return (y.to(torch.float64) * self.std + self.mean).to(y.dtype)
