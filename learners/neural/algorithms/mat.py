"""MAT, the Multi-Agent Transformer (Wen, Kuba, Lin, Zhang, Wen, Wang & Yang, NeurIPS 2022, Sec. 4):
an encoder over the agents' observations gives representations ô^{1:N} and values V(ô^i)
(:class:`~learners.neural.transformer.ObsEncoder`), a decoder generates the joint action
autoregressively, π(a | o) = Π_i π^i(a^i | ô^{1:N}, a^{1:i-1})
(:class:`~learners.neural.transformer.ActionDecoder`), and both are trained by PPO (Eqs. 4-5):

    L = -1/N Σ_i E[min(r_i Â, clip(r_i, 1 ± ε) Â)] - c_H 1/N Σ_i H(π^i)
        + c_V 1/N Σ_i E[(V(ô^i) - R)²] / 2,
    r_i = π^i(a^i | ô^{1:N}, a^{1:i-1}) / π^i_old(·),

with the team return R and the team advantage Â from GAE on V(o) = 1/N Σ_i V(ô^i) (the
environments' reward is common, so the per-agent values share one target). Execution is
centralized: the decoder needs every observation and the earlier agents' actions.

Continuous actions (MAT's continuous version): π^i is a diagonal Gaussian whose mean the decoder
computes from ô^{1:N} and the earlier agents' action vectors (linearly embedded instead of
one-hot), with a learned state-independent log-std; it is unbounded, the environment clips the
applied action, and r_i and H(π^i) are those of the unclipped Gaussian.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from learners.neural.algorithms.base import EnvSpec, StepOutput, policy_dist, register
from learners.neural.algorithms.ppo import PPOAlgorithm, PPOConfig
from learners.neural.buffer import Rollout
from learners.neural.transformer import ActionDecoder, ObsEncoder, TransformerConfig

__all__ = ["MAT", "EncoderCriticPPO", "MATConfig"]


@dataclass(frozen=True)
class MATConfig(PPOConfig):
    """MAT = the PPO settings (``critic`` unused: the encoder is the critic) and the transformer."""

    transformer: TransformerConfig = field(default_factory=TransformerConfig)


class EncoderCriticPPO(PPOAlgorithm):
    """PPO whose critic is MAT's observation encoder: V(o) = 1/N Σ_i V(ô^i)."""

    encoder: ObsEncoder

    def value(self, state: Tensor) -> Tensor:
        """Zeros: the critic reads the observations (:meth:`bootstrap_value`), so a state alone
        (the final state of a truncated episode) cannot be valued; truncation then counts as
        termination, as it does for environments that report no final state."""
        return torch.zeros(state.shape[:-1])

    @torch.no_grad()
    def bootstrap_value(self, obs: Tensor, state: Tensor) -> Tensor:
        return self.normalizer.denormalize(self.encoder(obs)[1].mean(-1))

    def value_loss(self, mb: Rollout) -> Tensor:
        """0.5 (V(ô^i) - R)² averaged over agents, targets normalised; clipped when configured."""
        assert mb.returns is not None
        target = self.normalizer.normalize(mb.returns)[..., None]
        pred = self.encoder(mb.obs)[1]
        loss = (pred - target) ** 2
        if self.config.clip_value:
            old = self.normalizer.normalize(mb.values)[..., None]
            clipped = old + (pred - old).clamp(-self.config.clip, self.config.clip)
            loss = torch.maximum(loss, (clipped - target) ** 2)
        return 0.5 * loss.mean()


@register
class MAT(EncoderCriticPPO):
    """Transformer encoder (critic, representations) + autoregressive decoder, PPO."""

    name = "mat"
    config_class = MATConfig
    config: MATConfig
    executes_centrally = True
    supports_continuous = True
    supports_action_masks = True

    def __init__(self, spec: EnvSpec, config: MATConfig) -> None:
        super().__init__(spec, config)
        self.encoder = ObsEncoder(spec.num_agents, spec.obs_dim, config.transformer)
        self.decoder = ActionDecoder(spec.num_agents, config.transformer, **spec.actor_actions())
        self._assemble({"decoder": self.decoder}, critic=self.encoder)

    def initial_carry(self, num_envs: int) -> dict[str, Tensor]:
        return {}

    @torch.no_grad()
    def act(self, obs: Tensor, state: Tensor, carry: dict[str, Tensor], starts: Tensor,
            avail: Tensor | None = None) -> StepOutput:
        rep, values = self.encoder(obs)
        actions, logp = self.decoder.sample(rep, avail=avail)
        return StepOutput(actions, logp, self.normalizer.denormalize(values.mean(-1)), {})

    @torch.no_grad()
    def act_decentralized(self, obs: Tensor, hidden: Tensor | None, deterministic: bool,
                          generator: torch.Generator | None = None,
                          avail: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Centralized execution: encode every observation, decode the agents in order."""
        actions, _ = self.decoder.sample(self.encoder(obs)[0], deterministic, generator, avail)
        return actions, torch.zeros(obs.shape[0], self.spec.num_agents, 0)

    def policy_loss(self, mb: Rollout) -> tuple[Tensor, dict[str, Tensor]]:
        assert mb.advantages is not None
        out = self.decoder.factors(self.encoder(mb.obs)[0], mb.actions, mb.avail)
        if out.logits is None:
            dist = policy_dist(out)
            logp, entropy = dist.log_prob(mb.actions), dist.entropy()
        else:
            logp_all = torch.log_softmax(out.logits, dim=-1)
            logp = logp_all.gather(-1, mb.actions[..., None]).squeeze(-1)
            entropy = -(logp_all.exp() * logp_all.clamp(min=-1e4)).sum(-1)
        log_ratio = logp - mb.log_prob
        adv = mb.advantages[..., None].expand_as(log_ratio)
        return self.ppo_objective(log_ratio, adv, entropy.mean())
