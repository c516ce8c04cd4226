"""MAT-Dec, the decentralized-actor variant of the Multi-Agent Transformer (Wen, Kuba, Lin, Zhang,
Wen, Wang & Yang, NeurIPS 2022, Sec. 5): MAT's transformer encoder over all observations stays the
critic, V(o) = 1/N Σ_i V(ô^i) (:class:`~learners.neural.algorithms.mat.EncoderCriticPPO`), but the
autoregressive decoder is replaced by decentralized actors π^i(a^i | o^i)
(:class:`~learners.neural.actors.Actors`, shared parameters by default) with no conditioning on
other agents' actions. The loss is MAT's with r_i = π^i(a^i | o^i) / π^i_old(a^i | o^i):

    L = -1/N Σ_i E[min(r_i Â, clip(r_i, 1 ± ε) Â)] - c_H 1/N Σ_i H(π^i)
        + c_V 1/N Σ_i E[(V(ô^i) - R)²] / 2.

Collection and execution use the actors alone (decentralized). Continuous actions: each π^i is
the diagonal Gaussian of the continuous actors (mean from agent i's own observation, kept inside
the action box; state-independent log-std; unbounded, the environment clips the applied action).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from learners.neural.actors import ActorConfig, Actors
from learners.neural.algorithms.base import EnvSpec, StepOutput, policy_dist, register, run_actors
from learners.neural.algorithms.mat import EncoderCriticPPO
from learners.neural.algorithms.ppo import PPOConfig
from learners.neural.buffer import Rollout
from learners.neural.transformer import ObsEncoder, TransformerConfig

__all__ = ["MATDec", "MATDecConfig"]


@dataclass(frozen=True)
class MATDecConfig(PPOConfig):
    """MAT-Dec = the PPO settings (``critic`` unused), the encoder's sizes and the actors."""

    transformer: TransformerConfig = field(default_factory=TransformerConfig)
    actor: ActorConfig = field(default_factory=ActorConfig)


@register
class MATDec(EncoderCriticPPO):
    """MAT's encoder as the critic + decentralized actors, PPO."""

    name = "mat_dec"
    config_class = MATDecConfig
    config: MATDecConfig
    supports_continuous = True
    supports_action_masks = True

    def __init__(self, spec: EnvSpec, config: MATDecConfig) -> None:
        super().__init__(spec, config)
        self.encoder = ObsEncoder(spec.num_agents, spec.obs_dim, config.transformer)
        self.actors = Actors(spec.num_agents, spec.obs_dim, config=config.actor, **spec.actor_actions())
        self._assemble({"actors": self.actors}, critic=self.encoder)

    @torch.no_grad()
    def act(self, obs: Tensor, state: Tensor, carry: dict[str, Tensor], starts: Tensor,
            avail: Tensor | None = None) -> StepOutput:
        out, hidden = self.actors(obs, carry["hidden"], avail, reset=starts)
        dist = policy_dist(out)
        actions = dist.sample()
        return StepOutput(actions, dist.log_prob(actions), self.bootstrap_value(obs, state),
                          {"hidden": hidden})

    def policy_loss(self, mb: Rollout) -> tuple[Tensor, dict[str, Tensor]]:
        assert mb.advantages is not None
        out = run_actors(self.actors, mb.obs, mb.carry0["hidden"], mb.starts, mb.avail)
        dist = policy_dist(out)
        log_ratio = dist.log_prob(mb.actions) - mb.log_prob
        adv = mb.advantages[..., None].expand_as(log_ratio)
        return self.ppo_objective(log_ratio, adv, dist.entropy().mean())
