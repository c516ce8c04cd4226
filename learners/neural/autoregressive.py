"""An autoregressive joint policy μ(a | x) = Π_i μ_i(a_i | x_i, a_1..a_{i-1}) over N agents.

Used by ARMAPPO (Fu, Yu, Wang, Wu & Yu, ICML 2022: each agent also conditions on the actions of
the agents before it; x_i = o^i) and by MAGPO's centralized guider (Li, Xie & Lu 2025, Sec. 4:
an autoregressive joint policy; x_i = [o^i, s]). Agent i's input is [x_i, e(a_1) .. e(a_{i-1}),
zeros for the agents from i on, one-hot(i)], through one shared MLP, where e(a_j) is the one-hot of
a discrete action and the action vector itself (as sampled, before the environment clips it) for a
continuous one. Discrete factors are categorical, the logits of padded action slots (a ≥ A_i) -inf;
continuous factors are diagonal Gaussians built as the continuous actors' are
(:class:`GaussianFactors`). Training evaluates every factor in one pass on given joint actions
(teacher forcing, :meth:`AutoregressivePolicy.factors`); acting draws the agents in order
(:func:`sample_in_order`), N passes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from games.errors import ConfigError, GameError
from learners.neural.actors import ActorOutput, policy_dist
from learners.neural.critic import mlp

__all__ = ["ActionBounds", "AutoregressiveConfig", "AutoregressivePolicy", "GaussianFactors",
           "sample_in_order"]

ActionBounds = tuple[Sequence[Sequence[float]], Sequence[Sequence[float]]]
"""A continuous action box (low, high), each (N, d)."""


def sample_in_order(factors: Callable[[Tensor], ActorOutput], lead: torch.Size, n: int, deterministic: bool,
                    generator: torch.Generator | None, action_dim: int = 0) -> tuple[Tensor, Tensor]:
    """Draw N agents' actions one after the other, each from ``factors(actions so far)`` at agent i:
    the joint action (..., N) (discrete) or (..., N, d) (``action_dim`` = d > 0) and its per-agent
    log-probabilities (densities) (..., N). ``deterministic`` takes each factor's argmax (discrete)
    or mean (continuous) given the earlier agents' deterministic actions."""
    actions = torch.zeros(*lead, n, action_dim) if action_dim else torch.zeros(*lead, n, dtype=torch.long)
    logps = torch.zeros(*lead, n)
    for i in range(n):
        out = factors(actions)
        if out.logits is None:
            assert out.mean is not None and out.log_std is not None
            mean, log_std = out.mean[..., i, :], out.log_std[..., i, :]
            a = mean if deterministic else \
                mean + log_std.exp() * torch.randn(mean.shape, generator=generator, dtype=mean.dtype)
            actions[..., i, :] = a
            logps[..., i] = policy_dist(ActorOutput(mean=mean, log_std=log_std)).log_prob(a)
            continue
        logp = torch.log_softmax(out.logits[..., i, :], dim=-1)
        if deterministic:
            a = logp.argmax(dim=-1)
        else:
            flat = logp.exp().reshape(-1, logp.shape[-1])
            a = torch.multinomial(flat, 1, generator=generator).reshape(lead)
        actions[..., i] = a
        logps[..., i] = logp.gather(-1, a[..., None]).squeeze(-1)
    return actions, logps


class GaussianFactors(nn.Module):
    """Per-agent diagonal Gaussians N(m_i, diag σ_i²) from unconstrained outputs y (..., N, d), built
    as the continuous actors build theirs (:mod:`learners.neural.actors`): inside the action box
    [low, high] the mean is m = (high + low)/2 + (high - low)/2 · tanh(y) (m = y without a box), and
    log σ is a state-independent parameter per agent and dimension. The Gaussian itself is
    unbounded; the environment clips the action it applies."""

    def __init__(self, num_agents: int, action_dim: int, action_bounds: ActionBounds | None = None,
                 log_std_init: float = 0.0) -> None:
        super().__init__()
        n, d = int(num_agents), int(action_dim)
        if n < 1 or d < 1:
            raise GameError(f"need num_agents >= 1 and action_dim >= 1, got {num_agents}, {action_dim}")
        self.log_std = nn.Parameter(torch.full((n, d), float(log_std_init)))
        self.bounded = action_bounds is not None
        if action_bounds is not None:
            low, high = (torch.as_tensor(b, dtype=torch.float32) for b in action_bounds)
            if low.shape != (n, d) or high.shape != low.shape or bool((high < low).any()):
                raise GameError(f"action_bounds need low <= high of shape {(n, d)}")
            self.register_buffer("center", (high + low) / 2, persistent=False)
            self.register_buffer("half_range", (high - low) / 2, persistent=False)

    def forward(self, y: Tensor) -> ActorOutput:
        mean = self.center + self.half_range * torch.tanh(y) if self.bounded else y
        return ActorOutput(mean=mean, log_std=self.log_std.expand_as(mean))


def factor_output(y: Tensor, gaussian: GaussianFactors | None, slots: Tensor,
                  avail: Tensor | None) -> ActorOutput:
    """The factors from the raw outputs y (..., N, A_max or d): the Gaussians of ``gaussian``
    (continuous actions), else logits masked outside each agent's action ``slots`` and ``avail``."""
    if gaussian is not None:
        return gaussian(y)
    mask = slots if avail is None else slots & avail.bool()
    return ActorOutput(logits=y.masked_fill(~mask, float("-inf")), avail=mask.expand_as(y))


@dataclass(frozen=True)
class AutoregressiveConfig:
    """Architecture of the autoregressive policy.

    Attributes:
        hidden_sizes: widths of the shared MLP.
        activation: one of :data:`learners.neural.actors.ACTIVATIONS`.
        output_gain: orthogonal gain of the output layer (0.01: near-uniform / near-centred start).
        log_std_init: initial log-std of continuous factors.
    """

    hidden_sizes: tuple[int, ...] = (64, 64)
    activation: str = "tanh"
    output_gain: float = 0.01
    log_std_init: float = 0.0

    def __post_init__(self) -> None:
        if any(int(h) < 1 for h in self.hidden_sizes) or not self.output_gain > 0:
            raise ConfigError(f"need positive hidden_sizes and output_gain, got {self.hidden_sizes}, "
                              f"{self.output_gain}")


class AutoregressivePolicy(nn.Module):
    """μ_i(a_i | x_i, a_<i) for every agent; x (..., N, in_dim) -> factors (..., N, ·).

    Exactly one of ``action_counts`` (discrete: A_i per agent) and ``action_dim`` (continuous: d,
    with the optional (N, d) box ``action_bounds`` keeping the means inside it) is given, as for
    :class:`~learners.neural.actors.Actors`.
    """

    def __init__(self, num_agents: int, in_dim: int, action_counts: Sequence[int] | None = None,
                 config: AutoregressiveConfig | None = None, action_dim: int | None = None,
                 action_bounds: ActionBounds | None = None) -> None:
        super().__init__()
        if (action_counts is None) == (action_dim is None):
            raise GameError("give exactly one of action_counts (discrete) and action_dim (continuous)")
        self.config = config or AutoregressiveConfig()
        self.n = int(num_agents)
        self.action_dim = 0 if action_dim is None else int(action_dim)
        if action_counts is not None and (len(action_counts) != self.n or min(action_counts, default=0) < 1):
            raise GameError(f"action_counts needs {self.n} positive ints, got {action_counts}")
        self.a_max = self.action_dim or max(action_counts or (1,))
        width = int(in_dim) + self.n * self.a_max + self.n
        self.net = mlp(width, self.config.hidden_sizes, self.a_max, self.config.activation,
                       self.config.output_gain)
        self.gaussian = GaussianFactors(self.n, self.action_dim, action_bounds, self.config.log_std_init) \
            if self.action_dim else None
        counts = list(action_counts) if action_counts is not None else [self.a_max] * self.n
        slots = torch.arange(self.a_max)[None, :] < torch.tensor(counts)[:, None]
        self.register_buffer("slots", slots, persistent=False)
        before = torch.arange(self.n)[None, :] < torch.arange(self.n)[:, None]  # [i, j]: j < i
        self.register_buffer("before", before, persistent=False)
        self.register_buffer("ids", torch.eye(self.n), persistent=False)

    def factors(self, x: Tensor, actions: Tensor, avail: Tensor | None = None) -> ActorOutput:
        """Every factor given the joint ``actions`` (..., N) or (..., N, d) (only a_<i enters factor
        i): masked logits (..., N, A_max) (``avail`` (..., N, A_max) bool marks available actions),
        or Gaussian means and log-stds (..., N, d)."""
        lead = x.shape[:-2]
        code = actions.to(x.dtype) if self.action_dim else \
            nn.functional.one_hot(actions.long(), self.a_max).to(x.dtype)  # (..., N, A)
        prev = code[..., None, :, :] * self.before[..., None].to(x.dtype)  # (..., N_i, N_j, A)
        inp = torch.cat([x, prev.reshape(*lead, self.n, self.n * self.a_max),
                         self.ids.to(x.dtype).expand(*lead, self.n, self.n)], dim=-1)
        return factor_output(self.net(inp), self.gaussian, self.slots, avail)

    def logits(self, x: Tensor, actions: Tensor, avail: Tensor | None = None) -> Tensor:
        """Discrete: every factor's masked logits (..., N, A_max) (see :meth:`factors`)."""
        logits = self.factors(x, actions, avail).logits
        if logits is None:
            raise GameError("a continuous policy has no logits")
        return logits

    def log_prob(self, x: Tensor, actions: Tensor, avail: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Per-agent log μ_i(a_i | x_i, a_<i) (..., N) and the factors' entropies (..., N)."""
        out = self.factors(x, actions, avail)
        if out.logits is None:
            dist = policy_dist(out)
            return dist.log_prob(actions), dist.entropy()
        logp = torch.log_softmax(out.logits, dim=-1)
        chosen = logp.gather(-1, actions.long()[..., None]).squeeze(-1)
        p = logp.exp()
        entropy = -(p * logp.clamp(min=-1e4)).sum(-1)
        return chosen, entropy

    @torch.no_grad()
    def sample(self, x: Tensor, deterministic: bool = False, generator: torch.Generator | None = None,
               avail: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Draw the agents in order; the joint action and its per-agent log-probabilities."""
        return sample_in_order(lambda actions: self.factors(x, actions, avail), x.shape[:-2], self.n,
                               deterministic, generator, self.action_dim)
