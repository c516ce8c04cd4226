"""The Policy Modifier (PM) of AgentMixer (Li, Zhao, Wu & Pajarinen, AAAI 2025, Eq. 5): an MLP-Mixer.

The PM correlates the decentralized policies at training time: it reads the global state s, every
agent's policy features and (optionally) a shared random seed ω, and outputs, per agent, the
modifier logits ε_i that the IGC head (:mod:`learners.neural.heads`, Def. 6) turns into a
mode-preserving modified policy β_i. Tokens and mixing (Eq. 5, "MLP-Mixer", Tolstikhin et al. 2021):

    x_i^0 = W_in [f_s(s), W_π φ_i, onehot(i), e(ω)]           (one token per agent, C channels)
    X ← X + (W_2 σ(W_1 LN(X)ᵀ))ᵀ                               (token mixing: across agents, per channel)
    X ← X + W_4 σ(W_3 LN(X))                                    (channel mixing: per agent)
    ε_i = W_out LN(x_i^depth)

with f_s a shared MLP of the state, φ_i agent i's policy features (discrete: its log-probabilities
log α_i; continuous: [mean, std]) compressed by one Linear layer W_π, and e(ω) an embedding of the
episode seed ω ∈ {0, ..., num_seeds - 1} shared by all agents (a common random signal, so that the
correlated joint policy can be a mixture over ω, as in a correlated equilibrium's mediator). The two
mixing MLPs form one block; ``depth`` blocks are stacked. Discrete output: ε_i of shape (..., N,
A_max); continuous: a log-std (..., N, d). With ``joint_actions`` = K > 0 the modifier also has a
joint head, :meth:`PolicyModifier.joint_logits`: free logits over the K joint actions read off the
concatenated final tokens (the coupled joint of :mod:`learners.neural.heads`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from games.errors import ConfigError, GameError
from learners.neural.actors import activation_fn

__all__ = ["MixerBlock", "ModifierConfig", "PolicyModifier"]


@dataclass(frozen=True)
class ModifierConfig:
    """Architecture of the Policy Modifier.

    Attributes:
        state_hidden: widths of the shared state MLP f_s (its last layer has ``state_feature_dim``).
        state_feature_dim: width of f_s(s).
        policy_feature_dim: width of W_π φ_i (one Linear layer).
        token_dim: C, the channels of each agent token.
        depth: number of (token-mixing, channel-mixing) blocks.
        token_mlp_dim: hidden width of the token-mixing MLP (across the N agents). It runs once
            per channel, so its cost is C x token_mlp_dim per agent token: 8 (a few times N for
            the 2-8 agents of the built-in tasks) keeps it below the channel MLP's; 32 made it
            dominate the PPO update (5x the channel MLP's time at N = 2).
        channel_mlp_dim: hidden width of the channel-mixing MLP (across the C channels).
        activation: one of :data:`learners.neural.actors.ACTIVATIONS`.
        num_seeds: number of values of the shared seed ω (0: no seed input).
        seed_dim: width of the seed embedding e(ω).
        output_gain: scale of the output layer's initial weights (small: ε ≈ 0 at the start).
        detach_policy_features: stop gradients from the PM into the actors through φ_i (the IGC
            head still passes gradients to the actors' logits / means).
    """

    state_hidden: tuple[int, ...] = (64,)
    state_feature_dim: int = 32
    policy_feature_dim: int = 16
    token_dim: int = 32
    depth: int = 2
    token_mlp_dim: int = 8
    channel_mlp_dim: int = 64
    activation: str = "gelu"
    num_seeds: int = 0
    seed_dim: int = 16
    output_gain: float = 0.01
    detach_policy_features: bool = False

    def __post_init__(self) -> None:
        positive = {"state_feature_dim": self.state_feature_dim,
                    "policy_feature_dim": self.policy_feature_dim, "token_dim": self.token_dim,
                    "token_mlp_dim": self.token_mlp_dim,
                    "channel_mlp_dim": self.channel_mlp_dim, "seed_dim": self.seed_dim}
        for name, value in positive.items():
            if int(value) < 1:
                raise ConfigError(f"{name} must be positive, got {value}")
        if any(int(h) < 1 for h in self.state_hidden):
            raise ConfigError(f"state_hidden must be positive, got {self.state_hidden}")
        if int(self.depth) < 0 or int(self.num_seeds) < 0:
            raise ConfigError(f"depth and num_seeds must be >= 0, got {self.depth}, {self.num_seeds}")
        if not (math.isfinite(self.output_gain) and self.output_gain >= 0):
            raise GameError(f"output_gain must be >= 0, got {self.output_gain}")
        activation_fn(self.activation)


def _mlp(sizes: list[int], activation: str, final_activation: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2 or final_activation:
            layers.append(activation_fn(activation))
    return nn.Sequential(*layers)


class MixerBlock(nn.Module):
    """One MLP-Mixer block on X of shape (..., N, C): token mixing across N, then channel mixing."""

    def __init__(self, n_tokens: int, channels: int, token_mlp_dim: int, channel_mlp_dim: int,
                 activation: str) -> None:
        super().__init__()
        self.token_norm = nn.LayerNorm(channels)
        self.token_mlp = _mlp([n_tokens, token_mlp_dim, n_tokens], activation, final_activation=False)
        self.channel_norm = nn.LayerNorm(channels)
        self.channel_mlp = _mlp([channels, channel_mlp_dim, channels], activation, final_activation=False)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self._token_mixing(self.token_norm(x))
        return x + self.channel_mlp(self.channel_norm(x))

    def _token_mixing(self, x: Tensor) -> Tensor:
        """token_mlp(xᵀ)ᵀ, computed in the (..., N, C) layout: the same products as transposing
        and applying the Linear layers, without the two transposed copies of every activation
        (the layers' N-wide inputs make a transposed matmul memory-bound: 1.7x slower)."""
        first, act, second = self.token_mlp
        h = act(torch.einsum("kn,...nc->...kc", first.weight, x) + first.bias[:, None])
        return torch.einsum("nk,...kc->...nc", second.weight, h) + second.bias[:, None]


class PolicyModifier(nn.Module):
    """The MLP-Mixer Policy Modifier (Eq. 5): (state, policy features, ω) -> per-agent outputs.

    Args:
        n_agents: N (the number of tokens).
        state_dim: length of the global state vector s.
        policy_input_dim: P, the width of each agent's policy features φ_i
            (:meth:`learners.neural.actors.ActorOutput.policy_features`: A_max or 2 d).
        output_dim: A_max (modifier logits ε_i) or d (a log-std per action dimension).
        config: the architecture (:class:`ModifierConfig`).
    """

    def __init__(self, n_agents: int, state_dim: int, policy_input_dim: int, output_dim: int,
                 config: ModifierConfig | None = None, joint_actions: int = 0) -> None:
        super().__init__()
        if min(int(n_agents), int(state_dim), int(policy_input_dim), int(output_dim)) < 1:
            raise GameError("n_agents, state_dim, policy_input_dim and output_dim must be positive")
        self.config = cfg = config or ModifierConfig()
        self.n_agents = int(n_agents)
        self.state_dim = int(state_dim)
        self.policy_input_dim = int(policy_input_dim)
        self.output_dim = int(output_dim)
        self.state_net = _mlp([self.state_dim, *map(int, cfg.state_hidden), cfg.state_feature_dim],
                              cfg.activation, final_activation=True)
        self.policy_proj = nn.Linear(self.policy_input_dim, cfg.policy_feature_dim)
        self.seed_embedding = nn.Embedding(cfg.num_seeds, cfg.seed_dim) if cfg.num_seeds > 0 else None
        token_in = cfg.state_feature_dim + cfg.policy_feature_dim + self.n_agents
        token_in += cfg.seed_dim if cfg.num_seeds > 0 else 0
        self.token_in = nn.Linear(token_in, cfg.token_dim)
        self.blocks = nn.ModuleList(
            MixerBlock(self.n_agents, cfg.token_dim, cfg.token_mlp_dim, cfg.channel_mlp_dim, cfg.activation)
            for _ in range(int(cfg.depth)))
        self.out_norm = nn.LayerNorm(cfg.token_dim)
        self.out = nn.Linear(cfg.token_dim, self.output_dim)
        self.joint_out = (nn.Linear(self.n_agents * cfg.token_dim, int(joint_actions)) if joint_actions
                          else None)
        with torch.no_grad():
            for head in (self.out, self.joint_out):
                if head is not None:
                    head.weight.mul_(cfg.output_gain)
                    head.bias.zero_()
        self.register_buffer("agent_ids", torch.eye(self.n_agents), persistent=False)

    def tokens(self, state: Tensor, policy_features: Tensor, seed_omega: Tensor | None = None) -> Tensor:
        """The initial agent tokens X^0, shape (..., N, C)."""
        lead = state.shape[:-1]
        if state.shape[-1] != self.state_dim:
            raise GameError(f"state must end in {self.state_dim}, got {tuple(state.shape)}")
        expected = (*lead, self.n_agents, self.policy_input_dim)
        if policy_features.shape != expected:
            raise GameError(f"policy features must have shape {expected}, got {tuple(policy_features.shape)}")
        if self.config.detach_policy_features:
            policy_features = policy_features.detach()
        parts = [self.state_net(state)[..., None, :].expand(*lead, self.n_agents, -1),
                 self.policy_proj(policy_features),
                 self.agent_ids.to(state.dtype).expand(*lead, self.n_agents, self.n_agents)]
        if self.seed_embedding is not None:
            if seed_omega is None:
                raise GameError(f"this modifier takes a seed omega in [0, {self.config.num_seeds})")
            if seed_omega.shape != lead:
                raise GameError(f"seed_omega must have shape {tuple(lead)}, got {tuple(seed_omega.shape)}")
            omega = self.seed_embedding(seed_omega.long()).to(state.dtype)
            parts.append(omega[..., None, :].expand(*lead, self.n_agents, -1))
        elif seed_omega is not None:
            raise GameError("seed_omega given, but the modifier was built with num_seeds = 0")
        return self.token_in(torch.cat(parts, dim=-1))

    def _mixed(self, state: Tensor, policy_features: Tensor, seed_omega: Tensor | None) -> Tensor:
        x = self.tokens(state, policy_features, seed_omega)
        for block in self.blocks:
            x = block(x)
        return self.out_norm(x)

    def forward(self, state: Tensor, policy_features: Tensor, seed_omega: Tensor | None = None) -> Tensor:
        """state (..., state_dim), policy features (..., N, P), ω (...) long -> (..., N, output_dim)."""
        return self.out(self._mixed(state, policy_features, seed_omega))

    def joint_logits(self, state: Tensor, policy_features: Tensor,
                     seed_omega: Tensor | None = None) -> Tensor:
        """Free logits over the flattened joint action, (..., joint_actions): one Linear layer on the
        concatenated final agent tokens (built with ``joint_actions`` > 0)."""
        if self.joint_out is None:
            raise GameError("this modifier was built without a joint-action head (joint_actions = 0)")
        return self.joint_out(self._mixed(state, policy_features, seed_omega).flatten(-2))
