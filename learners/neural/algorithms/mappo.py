"""MAPPO (Yu, Velu, Vinitsky, Gao, Wang, Bayen & Wu, NeurIPS 2022): decentralized categorical
actors π^i(a^i | o^i) (:class:`~learners.neural.actors.Actors`, shared parameters by default) and a
centralized critic V(s), trained by PPO with one importance ratio per agent:

    L = -1/N Σ_i E[min(r_i Â, clip(r_i, 1 ± ε) Â)] - c_H 1/N Σ_i H(π^i) + c_V L_V,
    r_i = π^i(a^i | o^i) / π^i_old(a^i | o^i)

(Yu et al. 2022, Eq. 1 and Appendix A; Â the team advantage shared by all agents). Collection
and execution both use the actors alone. Continuous actions: π^i is a diagonal Gaussian
(:func:`~learners.neural.algorithms.base.policy_dist`; unbounded, the environment clips);
discrete action masks are applied to the logits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from learners.neural.actors import ActorConfig, Actors
from learners.neural.algorithms.base import EnvSpec, StepOutput, policy_dist, register, run_actors
from learners.neural.algorithms.ppo import PPOAlgorithm, PPOConfig
from learners.neural.buffer import Rollout

__all__ = ["MAPPO", "MAPPOConfig"]


@dataclass(frozen=True)
class MAPPOConfig(PPOConfig):
    """MAPPO = the PPO settings plus the actors' architecture."""

    actor: ActorConfig = field(default_factory=ActorConfig)


@register
class MAPPO(PPOAlgorithm):
    """Decentralized actors + centralized critic, per-agent PPO ratios."""

    name = "mappo"
    config_class = MAPPOConfig
    config: MAPPOConfig
    supports_continuous = True
    supports_action_masks = True

    def __init__(self, spec: EnvSpec, config: MAPPOConfig) -> None:
        super().__init__(spec, config)
        self.actors = Actors(spec.num_agents, spec.obs_dim, config=config.actor, **spec.actor_actions())
        self._assemble({"actors": self.actors})

    @torch.no_grad()
    def act(self, obs: Tensor, state: Tensor, carry: dict[str, Tensor], starts: Tensor,
            avail: Tensor | None = None) -> StepOutput:
        out, hidden = self.actors(obs, carry["hidden"], avail, reset=starts)
        dist = policy_dist(out)
        actions = dist.sample()
        return StepOutput(actions, dist.log_prob(actions), self.value(state), {"hidden": hidden})

    def policy_loss(self, mb: Rollout) -> tuple[Tensor, dict[str, Tensor]]:
        assert mb.advantages is not None
        out = run_actors(self.actors, mb.obs, mb.carry0["hidden"], mb.starts, mb.avail)
        dist = policy_dist(out)
        log_ratio = dist.log_prob(mb.actions) - mb.log_prob  # (T, B, N)
        adv = mb.advantages[..., None].expand_as(log_ratio)
        return self.ppo_objective(log_ratio, adv, dist.entropy().mean())
