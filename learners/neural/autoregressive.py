"""An autoregressive joint policy μ(a | x) = Π_i μ_i(a_i | x_i, a_1..a_{i-1}) over N agents.

Used by ARMAPPO (Fu, Yu, Wang, Wu & Yu, ICML 2022: each agent also conditions on the actions of
the agents before it; x_i = o^i) and by MAGPO's centralized guider (Li, Xie & Lu 2025, Sec. 4:
an autoregressive joint policy; x_i = [o^i, s]). Agent i's input is [x_i, one-hot(a_1) .. one-hot
(a_{i-1}), zeros for the agents from i on, one-hot(i)], through one shared MLP; the logits of padded
action slots (a ≥ A_i) are -inf. Training evaluates every factor in one pass on given joint actions
(teacher forcing, :meth:`AutoregressivePolicy.logits`); acting draws the agents in order
(:meth:`AutoregressivePolicy.sample`), N passes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from games.errors import ConfigError
from learners.neural.critic import mlp

__all__ = ["AutoregressiveConfig", "AutoregressivePolicy", "sample_in_order"]


def sample_in_order(logits: Callable[[Tensor], Tensor], lead: torch.Size, n: int, deterministic: bool,
                    generator: torch.Generator | None) -> tuple[Tensor, Tensor]:
    """Draw N agents' actions one after the other, each from ``logits(actions so far)[..., i, :]``
    (argmax when ``deterministic``): the joint action (..., N) and its per-agent log-probs."""
    actions = torch.zeros(*lead, n, dtype=torch.long)
    logps = torch.zeros(*lead, n)
    for i in range(n):
        logp = torch.log_softmax(logits(actions)[..., i, :], dim=-1)
        if deterministic:
            a = logp.argmax(dim=-1)
        else:
            flat = logp.exp().reshape(-1, logp.shape[-1])
            a = torch.multinomial(flat, 1, generator=generator).reshape(lead)
        actions[..., i] = a
        logps[..., i] = logp.gather(-1, a[..., None]).squeeze(-1)
    return actions, logps


@dataclass(frozen=True)
class AutoregressiveConfig:
    """Architecture of the autoregressive policy.

    Attributes:
        hidden_sizes: widths of the shared MLP.
        activation: one of :data:`learners.neural.actors.ACTIVATIONS`.
        output_gain: orthogonal gain of the output layer (0.01: near-uniform start).
    """

    hidden_sizes: tuple[int, ...] = (64, 64)
    activation: str = "tanh"
    output_gain: float = 0.01

    def __post_init__(self) -> None:
        if any(int(h) < 1 for h in self.hidden_sizes) or not self.output_gain > 0:
            raise ConfigError(f"need positive hidden_sizes and output_gain, got {self.hidden_sizes}, "
                              f"{self.output_gain}")


class AutoregressivePolicy(nn.Module):
    """μ_i(a_i | x_i, a_<i) for every agent; x (..., N, in_dim) -> logits (..., N, A_max)."""

    def __init__(self, num_agents: int, in_dim: int, num_actions: Sequence[int],
                 config: AutoregressiveConfig | None = None) -> None:
        super().__init__()
        self.config = config or AutoregressiveConfig()
        self.n, self.a_max = int(num_agents), max(num_actions)
        width = int(in_dim) + self.n * self.a_max + self.n
        self.net = mlp(width, self.config.hidden_sizes, self.a_max, self.config.activation,
                       self.config.output_gain)
        slots = torch.arange(self.a_max)[None, :] < torch.tensor(list(num_actions))[:, None]
        self.register_buffer("slots", slots, persistent=False)
        before = torch.arange(self.n)[None, :] < torch.arange(self.n)[:, None]  # [i, j]: j < i
        self.register_buffer("before", before, persistent=False)
        self.register_buffer("ids", torch.eye(self.n), persistent=False)

    def logits(self, x: Tensor, actions: Tensor, avail: Tensor | None = None) -> Tensor:
        """Every factor's logits given the joint ``actions`` (..., N) (only a_<i enters factor i);
        ``avail`` (..., N, A_max) bool masks unavailable actions (-inf)."""
        lead = x.shape[:-2]
        onehot = nn.functional.one_hot(actions.long(), self.a_max).to(x.dtype)  # (..., N, A)
        prev = onehot[..., None, :, :] * self.before[..., None].to(x.dtype)  # (..., N_i, N_j, A)
        inp = torch.cat([x, prev.reshape(*lead, self.n, self.n * self.a_max),
                         self.ids.to(x.dtype).expand(*lead, self.n, self.n)], dim=-1)
        mask = self.slots if avail is None else self.slots & avail.bool()
        return self.net(inp).masked_fill(~mask, float("-inf"))

    def log_prob(self, x: Tensor, actions: Tensor, avail: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Per-agent log μ_i(a_i | x_i, a_<i) (..., N) and the factors' entropies (..., N)."""
        logp = torch.log_softmax(self.logits(x, actions, avail), dim=-1)
        chosen = logp.gather(-1, actions.long()[..., None]).squeeze(-1)
        p = logp.exp()
        entropy = -(p * logp.clamp(min=-1e4)).sum(-1)
        return chosen, entropy

    @torch.no_grad()
    def sample(self, x: Tensor, deterministic: bool = False, generator: torch.Generator | None = None,
               avail: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Draw the agents in order; the joint action (..., N) and its per-agent log-probs."""
        return sample_in_order(lambda actions: self.logits(x, actions, avail), x.shape[:-2], self.n,
                               deterministic, generator)
