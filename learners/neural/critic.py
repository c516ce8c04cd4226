"""Centralized critic V(s) of CTDE actor-critic training (MAPPO, Yu et al. NeurIPS 2022, Sec. 3;
AgentMixer, Li, Zhao, Wu & Pajarinen, AAAI 2025, Sec. 4.3: a value function of the global state).

An MLP on the global state s (shape (..., state_dim)) returning one scalar per state, (...). The
environments of :mod:`games.envs` already put what the value needs into the state (e.g. the step
fraction of time-limited tasks), so nothing is appended here. The output is in *normalised* units
when training with a :class:`~learners.neural.normalizer.ValueNormalizer`.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from games.errors import ConfigError
from learners.neural.actors import activation_fn

__all__ = ["CentralCritic", "CriticConfig", "mlp"]


@dataclass(frozen=True)
class CriticConfig:
    """Architecture of the centralized critic.

    Attributes:
        hidden_sizes: widths of the MLP (may be empty: a linear critic).
        activation: one of :data:`learners.neural.actors.ACTIVATIONS`.
    """

    hidden_sizes: tuple[int, ...] = (64, 64)
    activation: str = "tanh"

    def __post_init__(self) -> None:
        if any(int(h) < 1 for h in self.hidden_sizes):
            raise ConfigError(f"critic hidden_sizes must be positive, got {self.hidden_sizes}")
        activation_fn(self.activation)


def mlp(in_dim: int, hidden_sizes: tuple[int, ...], out_dim: int, activation: str,
        output_gain: float = 1.0) -> nn.Sequential:
    """An MLP with orthogonal weights (gain √2 inside, ``output_gain`` at the output), zero biases."""
    layers: list[nn.Module] = []
    width = int(in_dim)
    for h in hidden_sizes:
        lin = nn.Linear(width, int(h))
        nn.init.orthogonal_(lin.weight, gain=2.0 ** 0.5)
        nn.init.zeros_(lin.bias)
        layers += [lin, activation_fn(activation)]
        width = int(h)
    out = nn.Linear(width, int(out_dim))
    nn.init.orthogonal_(out.weight, gain=output_gain)
    nn.init.zeros_(out.bias)
    layers.append(out)
    return nn.Sequential(*layers)


class CentralCritic(nn.Module):
    """V(s): state (..., state_dim) -> value (...)."""

    def __init__(self, state_dim: int, config: CriticConfig | None = None) -> None:
        super().__init__()
        self.config = config or CriticConfig()
        self.net = mlp(state_dim, self.config.hidden_sizes, 1, self.config.activation)

    def forward(self, state: Tensor) -> Tensor:
        return self.net(state).squeeze(-1)
