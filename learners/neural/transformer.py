"""The Multi-Agent Transformer's networks (Wen, Kuba, Lin, Zhang, Wen, Wang & Yang, "Multi-Agent
Reinforcement Learning is a Sequence Modeling Problem", NeurIPS 2022, Sec. 4 and Fig. 2).

* :class:`ObsEncoder`: the agents' observations o^1..o^N as a sequence of N tokens (linear
  embedding + a learned agent-position embedding), full self-attention blocks, and a value head
  per token: representations ô^{1:N} and values V(ô^i). It sees every observation, so it is a
  centralized critic of the observations.
* :class:`ActionDecoder`: the sequence [start, a^1, .., a^{N-1}] (shifted by one; one-hot discrete
  actions, or the continuous action vectors through a linear embedding as in MAT's continuous
  version) through causally masked self-attention and cross-attention to ô^{1:N}, giving agent i's
  logits, or Gaussian mean and log-std, from (ô^{1:N}, a^{1:i-1}); sampling is autoregressive (N
  passes), training one teacher-forced pass.

Blocks are pre-LayerNorm residual attention + GELU MLP blocks (an implementation choice of this
package; the paper does not fix the norm placement).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from games.errors import ConfigError, GameError
from learners.neural.actors import ActorOutput
from learners.neural.autoregressive import ActionBounds, GaussianFactors, factor_output, sample_in_order
from learners.neural.critic import mlp

__all__ = ["ActionDecoder", "ObsEncoder", "TransformerConfig"]


@dataclass(frozen=True)
class TransformerConfig:
    """Sizes of MAT's encoder and decoder.

    Attributes:
        embed_dim: token width d (divisible by ``heads``).
        heads: attention heads.
        encoder_blocks, decoder_blocks: number of blocks of each.
    """

    embed_dim: int = 64
    heads: int = 1
    encoder_blocks: int = 1
    decoder_blocks: int = 1

    def __post_init__(self) -> None:
        if min(self.embed_dim, self.heads, self.encoder_blocks, self.decoder_blocks) < 1 \
                or self.embed_dim % self.heads:
            raise ConfigError(f"need positive sizes and embed_dim divisible by heads, got {self}")


class Block(nn.Module):
    """x + SelfAttn(LN x) [+ CrossAttn(LN x, memory)] + MLP(LN x), optionally causally masked."""

    def __init__(self, d: int, heads: int, causal: bool, cross: bool) -> None:
        super().__init__()
        self.causal = causal
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.cross = nn.MultiheadAttention(d, heads, batch_first=True) if cross else None
        self.ln_c = nn.LayerNorm(d) if cross else None
        self.mlp = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, d))

    def forward(self, x: Tensor, memory: Tensor | None = None) -> Tensor:
        n = x.shape[-2]
        mask = torch.ones(n, n, dtype=torch.bool).triu(1) if self.causal else None
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        if self.cross is not None:
            assert memory is not None and self.ln_c is not None
            x = x + self.cross(self.ln_c(x), memory, memory, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


def _flat(x: Tensor) -> tuple[Tensor, tuple[int, ...]]:
    return x.reshape(-1, *x.shape[-2:]), tuple(x.shape[:-2])


class ObsEncoder(nn.Module):
    """obs (..., N, obs_dim) -> (representations (..., N, d), values (..., N))."""

    def __init__(self, num_agents: int, obs_dim: int, config: TransformerConfig) -> None:
        super().__init__()
        d = config.embed_dim
        self.embed = nn.Sequential(nn.LayerNorm(obs_dim), nn.Linear(obs_dim, d), nn.GELU())
        self.position = nn.Parameter(torch.zeros(num_agents, d))
        self.blocks = nn.ModuleList(Block(d, config.heads, False, False)
                                    for _ in range(config.encoder_blocks))
        self.ln = nn.LayerNorm(d)
        self.value_head = mlp(d, (d,), 1, "gelu")

    def forward(self, obs: Tensor) -> tuple[Tensor, Tensor]:
        x, lead = _flat(obs)
        h = self.embed(x) + self.position
        for block in self.blocks:
            h = block(h)
        rep = self.ln(h)
        return rep.reshape(*lead, *rep.shape[-2:]), self.value_head(rep).squeeze(-1).reshape(*lead, -1)


class ActionDecoder(nn.Module):
    """Agent i's policy factor from the encoder's representations and the earlier agents' actions.

    Discrete (``action_counts``): a^j enters as one-hot(a^j + 1) (index 0 is the start token), the
    output is agent i's logits. Continuous (``action_dim`` d, MAT's continuous version): a^j enters as
    the d-vector itself through a linear embedding (the start token is the zero vector), the output
    is a Gaussian mean kept inside the action box ``action_bounds`` and a learned state-independent
    log-std (:class:`~learners.neural.autoregressive.GaussianFactors`).
    """

    def __init__(self, num_agents: int, config: TransformerConfig, action_counts: Sequence[int] | None = None,
                 action_dim: int | None = None, action_bounds: ActionBounds | None = None) -> None:
        super().__init__()
        if (action_counts is None) == (action_dim is None):
            raise GameError("give exactly one of action_counts (discrete) and action_dim (continuous)")
        d, self.n = config.embed_dim, int(num_agents)
        self.action_dim = 0 if action_dim is None else int(action_dim)
        if action_counts is not None and (len(action_counts) != self.n or min(action_counts, default=0) < 1):
            raise GameError(f"action_counts needs {self.n} positive ints, got {action_counts}")
        self.a_max = self.action_dim or max(action_counts or (1,))
        token = self.action_dim or self.a_max + 1
        self.embed = nn.Sequential(nn.Linear(token, d), nn.GELU())
        self.position = nn.Parameter(torch.zeros(num_agents, d))
        self.blocks = nn.ModuleList(Block(d, config.heads, True, True) for _ in range(config.decoder_blocks))
        self.ln = nn.LayerNorm(d)
        self.head = mlp(d, (d,), self.a_max, "gelu", output_gain=0.01)
        self.gaussian = GaussianFactors(self.n, self.action_dim, action_bounds) if self.action_dim else None
        counts = list(action_counts) if action_counts is not None else [self.a_max] * self.n
        slots = torch.arange(self.a_max)[None, :] < torch.tensor(counts)[:, None]
        self.register_buffer("slots", slots, persistent=False)

    def factors(self, rep: Tensor, actions: Tensor, avail: Tensor | None = None) -> ActorOutput:
        """Every agent's factor given the joint ``actions`` (..., N) or (..., N, d) (only a^{<i}
        enters i): logits (..., N, A_max), ``avail`` (..., N, A_max) bool masking unavailable
        actions (-inf); or Gaussian means and log-stds (..., N, d)."""
        if self.action_dim:
            tokens = actions.to(rep.dtype)
            shifted = torch.zeros_like(tokens)  # the start token: zeros
            shifted[..., 1:, :] = tokens[..., :-1, :]
        else:
            tokens = nn.functional.one_hot(actions.long() + 1, self.a_max + 1).to(rep.dtype)
            shifted = torch.zeros_like(tokens)
            shifted[..., 1:, :] = tokens[..., :-1, :]
            shifted[..., 0, 0] = 1.0  # the start token
        x, lead = _flat(shifted)
        memory, _ = _flat(rep)
        h = self.embed(x) + self.position
        for block in self.blocks:
            h = block(h, memory)
        return factor_output(self.head(self.ln(h)).reshape(*lead, self.n, self.a_max), self.gaussian,
                             self.slots, avail)

    def logits(self, rep: Tensor, actions: Tensor, avail: Tensor | None = None) -> Tensor:
        """Discrete: every agent's masked logits (..., N, A_max) (see :meth:`factors`)."""
        logits = self.factors(rep, actions, avail).logits
        if logits is None:
            raise GameError("a continuous decoder has no logits")
        return logits

    @torch.no_grad()
    def sample(self, rep: Tensor, deterministic: bool = False, generator: torch.Generator | None = None,
               avail: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Draw the agents in order: the joint action (..., N) or (..., N, d) and its per-agent
        log-probabilities (densities)."""
        return sample_in_order(lambda actions: self.factors(rep, actions, avail), rep.shape[:-2], self.n,
                               deterministic, generator, self.action_dim)
