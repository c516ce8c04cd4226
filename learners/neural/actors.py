"""Individual (decentralized) actors π_φ^i(a^i | o^i) or π_φ^i(a^i | h^i) of neural AgentMixer.

AgentMixer (Li, Zhao, Wu & Pajarinen, AAAI 2025) executes N partially observable policies, one per
agent, each conditioned only on its own observation (or its own observation history h^i, kept here
by a GRU); the Policy Modifier (:mod:`learners.neural.modifier`, Eq. 5) correlates them at training
time only. This module holds those actors, batched over agents:

* parameters are either **shared** (one network; a one-hot agent id is appended to the input so the
  agents can still differ) or **per agent** (N networks evaluated in one ``einsum``);
* **discrete** actions: logits of shape (..., N, A_max) with A_max = max_i A_i; agent i's padded
  slots a ≥ A_i, and any slot an optional availability mask marks unavailable, are set to -inf, so
  softmax gives them probability 0 and ``argmax`` never picks them;
* **continuous** actions (d dimensions per agent): a Gaussian mean (..., N, d) and a
  state-independent, per-agent log-std (..., N, d). Given the action box [low, high] the mean is
  kept inside it, μ = (high + low)/2 + (high - low)/2 · tanh(y) (y the network output); only the
  mean is squashed — the Gaussian around it is not — so the actor's mode is μ, its log-density is
  the plain Gaussian one, and the environment clips sampled actions. Keeping μ inside the box
  matters: with an unbounded mean, PPO's standardised advantages turn the flat reward beyond a
  bound (every sample clipped alike) into noise that Adam follows at full step size, and means
  drifted to ±3 on a [-1, 1] box (tested on ``quadratic-coordination``). A dimension with
  low = high (padding) has the constant mean low.

Every tensor may carry arbitrary leading batch axes ``...`` before the agent axis; recurrent actors
step one time step per :meth:`Actors.forward` call and :meth:`Actors.unroll` runs a sequence.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch.distributions import Categorical, Independent, Normal

from games.errors import ConfigError, GameError

__all__ = ["ACTIVATIONS", "ActorConfig", "ActorOutput", "Actors", "AgentLinear", "activation_fn",
           "policy_dist"]

ACTIVATIONS = ("tanh", "relu", "gelu", "elu")
"""Names accepted by the ``activation`` fields of the neural configs."""

_GAINS = {"tanh": 5.0 / 3.0, "relu": math.sqrt(2.0), "gelu": math.sqrt(2.0), "elu": math.sqrt(2.0)}


class _SigmoidTanh(torch.autograd.Function):
    """tanh x = 2 σ(2x) − 1, with the derivative 1 − tanh² x from the saved output."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        y = torch.sigmoid(x * 2.0).mul_(2.0).sub_(1.0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return grad * (1.0 - y * y)


class Tanh(nn.Module):
    """The tanh activation, computed as 2 σ(2x) − 1 (within 2e-7 of ``torch.tanh`` in float32,
    tested). PyTorch's CPU tanh kernels are slow: forward and backward on 32k x 64 floats took
    4.2 ms against 1.0 ms this way (one thread, AVX-512), a fifth of a PPO update of the
    default actors and critic."""

    def forward(self, x: Tensor) -> Tensor:
        return _SigmoidTanh.apply(x)


def activation_fn(name: str) -> nn.Module:
    """The activation module called ``name`` (one of :data:`ACTIVATIONS`)."""
    modules: dict[str, type[nn.Module]] = {"tanh": Tanh, "relu": nn.ReLU, "gelu": nn.GELU, "elu": nn.ELU}
    if name not in modules:
        raise ConfigError(f"activation must be one of {ACTIVATIONS}, got {name!r}")
    return modules[name]()


class AgentLinear(nn.Module):
    """An affine map per agent, y_i = x_i W_g + b_g, on inputs of shape (..., N, in_features).

    ``groups`` = 1 shares one (W, b) across the agents; ``groups`` = N gives agent i its own
    (W_i, b_i). Weights are orthogonal with gain ``gain`` (per group), biases zero.
    """

    def __init__(self, groups: int, in_features: int, out_features: int, gain: float = 1.0) -> None:
        super().__init__()
        self.groups = int(groups)
        self.weight = nn.Parameter(torch.empty(self.groups, in_features, out_features))
        self.bias = nn.Parameter(torch.zeros(self.groups, out_features))
        with torch.no_grad():
            for g in range(self.groups):
                nn.init.orthogonal_(self.weight[g], gain=gain)

    def forward(self, x: Tensor) -> Tensor:
        if self.groups == 1:
            return x @ self.weight[0] + self.bias[0]
        return torch.einsum("...ni,nio->...no", x, self.weight) + self.bias


@dataclass(frozen=True)
class ActorConfig:
    """Architecture of the individual actors.

    Attributes:
        hidden_sizes: widths of the MLP trunk (may be empty).
        activation: one of :data:`ACTIVATIONS`.
        recurrent: add a GRU cell after the trunk, so π^i conditions on the history h^i.
        gru_hidden: GRU state width H (used only when ``recurrent``).
        share_parameters: one network for all agents, input [o^i, one-hot(i)]; else N networks.
        output_gain: orthogonal gain of the output layer (0.01: near-uniform / near-zero-mean start).
        log_std_init: initial log-std of continuous actors.
    """

    hidden_sizes: tuple[int, ...] = (64, 64)
    activation: str = "tanh"
    recurrent: bool = False
    gru_hidden: int = 64
    share_parameters: bool = True
    output_gain: float = 0.01
    log_std_init: float = 0.0

    def __post_init__(self) -> None:
        if any(int(h) < 1 for h in self.hidden_sizes):
            raise ConfigError(f"hidden_sizes must be positive, got {self.hidden_sizes}")
        activation_fn(self.activation)
        if self.recurrent and int(self.gru_hidden) < 1:
            raise ConfigError(f"gru_hidden must be positive, got {self.gru_hidden}")
        if not (math.isfinite(self.output_gain) and self.output_gain > 0):
            raise ConfigError(f"output_gain must be positive, got {self.output_gain}")


@dataclass(frozen=True, eq=False)
class ActorOutput:
    """What the actors emit for one step (leading axes ``...``, then the agent axis N).

    Attributes:
        logits: discrete: (..., N, A_max), unavailable / padded slots = -inf; else ``None``.
        avail: discrete: (..., N, A_max) bool, True where the action is available; else ``None``.
        mean: continuous: (..., N, d); else ``None``.
        log_std: continuous: (..., N, d); else ``None``.
    """

    logits: Tensor | None = None
    avail: Tensor | None = None
    mean: Tensor | None = None
    log_std: Tensor | None = None

    @property
    def discrete(self) -> bool:
        return self.logits is not None

    def policy_features(self, log_prob_floor: float = -20.0) -> Tensor:
        """Finite per-agent features of the policy for the Policy Modifier, (..., N, P).

        Discrete: log α_i = log_softmax(logits) clamped below at ``log_prob_floor`` (P = A_max;
        unavailable slots read the floor). Continuous: [mean, exp(log_std)] (P = 2 d).
        """
        if self.logits is not None:
            return torch.log_softmax(self.logits, dim=-1).clamp(min=log_prob_floor)
        assert self.mean is not None and self.log_std is not None
        return torch.cat([self.mean, self.log_std.exp()], dim=-1)


class Actors(nn.Module):
    """N individual actors (shared or per-agent parameters, optional GRU), batched over agents.

    Args:
        n_agents: N.
        obs_dim: length of each agent's observation vector.
        action_counts: discrete actions: A_i per agent (a sequence of N ints, or one int for all).
        action_dim: continuous actions: d, the action dimension of every agent.
        config: the architecture (:class:`ActorConfig`).
        action_bounds: continuous actions: (low, high), each (N, d), bounding the mean (None:
            unbounded means).

    Exactly one of ``action_counts`` and ``action_dim`` must be given.
    """

    def __init__(self, n_agents: int, obs_dim: int, action_counts: int | Sequence[int] | None = None,
                 action_dim: int | None = None, config: ActorConfig | None = None,
                 action_bounds: tuple[Sequence[Sequence[float]], Sequence[Sequence[float]]] | None = None
                 ) -> None:
        super().__init__()
        if int(n_agents) < 1 or int(obs_dim) < 1:
            raise GameError(f"need n_agents >= 1 and obs_dim >= 1, got {n_agents}, {obs_dim}")
        if (action_counts is None) == (action_dim is None):
            raise GameError("give exactly one of action_counts (discrete) and action_dim (continuous)")
        self.config = config or ActorConfig()
        self.n_agents = int(n_agents)
        self.obs_dim = int(obs_dim)
        if action_counts is not None:
            counts = [int(action_counts)] * self.n_agents if isinstance(action_counts, int) \
                else [int(a) for a in action_counts]
            if len(counts) != self.n_agents or min(counts) < 1:
                raise GameError(f"action_counts needs {self.n_agents} positive ints, got {action_counts}")
            self.action_counts: tuple[int, ...] | None = tuple(counts)
            self.action_dim: int | None = None
            out = max(counts)
            slots = torch.arange(out)[None, :] < torch.tensor(counts)[:, None]
        else:
            if int(action_dim) < 1:  # type: ignore[arg-type]
                raise GameError(f"action_dim must be positive, got {action_dim}")
            self.action_counts = None
            self.action_dim = int(action_dim)  # type: ignore[arg-type]
            out = self.action_dim
            slots = torch.ones(self.n_agents, out, dtype=torch.bool)
        self.register_buffer("action_slots", slots, persistent=False)
        cfg = self.config
        groups = 1 if cfg.share_parameters else self.n_agents
        gain = _GAINS[cfg.activation]
        width = self.obs_dim + (self.n_agents if cfg.share_parameters else 0)
        layers: list[nn.Module] = []
        for h in cfg.hidden_sizes:
            layers += [AgentLinear(groups, width, int(h), gain), activation_fn(cfg.activation)]
            width = int(h)
        self.trunk = nn.Sequential(*layers)
        self.hidden_size = int(cfg.gru_hidden) if cfg.recurrent else 0
        if cfg.recurrent:
            self.gru_ih = AgentLinear(groups, width, 3 * self.hidden_size)
            self.gru_hh = AgentLinear(groups, self.hidden_size, 3 * self.hidden_size)
            width = self.hidden_size
        self.head = AgentLinear(groups, width, out, cfg.output_gain)
        if self.action_dim is not None:
            self.log_std = nn.Parameter(torch.full((groups, out), float(cfg.log_std_init)))
        self.bounded = action_bounds is not None and self.action_dim is not None
        if self.bounded:
            assert action_bounds is not None
            low, high = (torch.as_tensor(b, dtype=torch.float32) for b in action_bounds)
            if low.shape != (self.n_agents, out) or high.shape != low.shape or bool((high < low).any()):
                raise GameError(f"action_bounds need low <= high of shape {(self.n_agents, out)}")
            self.register_buffer("mean_center", (high + low) / 2, persistent=False)
            self.register_buffer("mean_half_range", (high - low) / 2, persistent=False)
        self.register_buffer("agent_ids", torch.eye(self.n_agents), persistent=False)

    @property
    def discrete(self) -> bool:
        return self.action_counts is not None

    @property
    def output_size(self) -> int:
        """A_max (discrete) or d (continuous)."""
        return int(self.action_slots.shape[-1])

    def initial_hidden(self, batch_size: int, device: torch.device | str | None = None) -> Tensor:
        """Zeros of shape (B, N, H); H = 0 (an empty tensor) for feed-forward actors."""
        return torch.zeros(batch_size, self.n_agents, self.hidden_size,
                           device=device if device is not None else self.agent_ids.device)

    def _gru(self, x: Tensor, h: Tensor) -> Tensor:
        """One GRU step (the torch.nn.GRUCell equations), per agent."""
        i_r, i_z, i_n = self.gru_ih(x).chunk(3, dim=-1)
        h_r, h_z, h_n = self.gru_hh(h).chunk(3, dim=-1)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        return (1.0 - z) * n + z * h

    def forward(self, obs: Tensor, hidden: Tensor | None = None, avail: Tensor | None = None,
                reset: Tensor | None = None) -> tuple[ActorOutput, Tensor]:
        """One step: obs (..., N, obs_dim) -> (ActorOutput, new hidden (..., N, H)).

        ``hidden`` None means the initial (zero) state. ``avail`` (..., N, A_max) bool marks the
        available discrete actions (every agent needs at least one). ``reset`` (...) or (..., N)
        bool zeroes the hidden state first where True (episode starts).
        """
        if obs.shape[-2:] != (self.n_agents, self.obs_dim):
            raise GameError(f"obs must end in ({self.n_agents}, {self.obs_dim}), got {tuple(obs.shape)}")
        lead = obs.shape[:-2]
        x = obs
        if self.config.share_parameters:
            ids = self.agent_ids.to(obs.dtype).expand(*lead, self.n_agents, self.n_agents)
            x = torch.cat([obs, ids], dim=-1)
        x = self.trunk(x)
        if hidden is None:
            hidden = obs.new_zeros(*lead, self.n_agents, self.hidden_size)
        if reset is not None:
            keep = ~reset.bool()
            keep = keep[..., None] if keep.dim() == len(lead) + 1 else keep[..., None, None]
            hidden = hidden * keep.to(hidden.dtype)
        if self.config.recurrent:
            hidden = self._gru(x, hidden)
            x = hidden
        y = self.head(x)
        if self.bounded:
            y = self.mean_center + self.mean_half_range * torch.tanh(y)
        if not self.discrete:
            log_std = self.log_std.expand(self.n_agents, -1) if self.log_std.shape[0] == 1 else self.log_std
            return ActorOutput(mean=y, log_std=log_std.expand_as(y)), hidden
        mask = self.action_slots.expand_as(y)
        if avail is not None:
            mask = mask & avail.bool()
        return ActorOutput(logits=y.masked_fill(~mask, float("-inf")), avail=mask), hidden

    def unroll(self, obs: Tensor, hidden: Tensor | None = None, avail: Tensor | None = None,
               reset: Tensor | None = None) -> tuple[ActorOutput, Tensor]:
        """Run a sequence: obs (T, ..., N, obs_dim) -> (ActorOutput with leading T, final hidden).

        ``avail`` (T, ..., N, A_max) and ``reset`` (T, ...) or (T, ..., N) as in :meth:`forward`,
        applied at every step (reset before the step, as at an episode start).
        """
        outs: list[ActorOutput] = []
        for t in range(obs.shape[0]):
            out, hidden = self.forward(obs[t], hidden, None if avail is None else avail[t],
                                       None if reset is None else reset[t])
            outs.append(out)

        def stack(name: str) -> Tensor | None:
            values = [getattr(o, name) for o in outs]
            return None if values[0] is None else torch.stack(values)

        assert hidden is not None
        return ActorOutput(stack("logits"), stack("avail"), stack("mean"), stack("log_std")), hidden


def policy_dist(out: ActorOutput) -> Categorical | Independent:
    """The actors' own per-agent policies: Categorical over the (masked) logits, batch (..., N);
    or, continuous, a diagonal Gaussian N(mean, exp(log_std)²) with batch (..., N), event (d,).

    Bounds: the Gaussian is unbounded and its log-density and entropy are those of the unclipped
    sample; the environment clips the action it applies (``BatchedEnv.check_actions``)."""
    if out.logits is not None:
        return Categorical(logits=out.logits, validate_args=False)
    assert out.mean is not None and out.log_std is not None
    return Independent(Normal(out.mean, out.log_std.exp(), validate_args=False), 1)
