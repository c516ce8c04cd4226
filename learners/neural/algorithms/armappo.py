"""ARMAPPO: autoregressive MAPPO (Fu, Yu, Wang, Wu & Yu, "Revisiting Some Common Practices in
Cooperative Multi-Agent Reinforcement Learning", ICML 2022, Sec. 5): agent i acts from its own
observation and the actions of the agents before it,

    π(a | o) = Π_i π^i(a^i | o^i, a^1 .. a^{i-1})            (:mod:`learners.neural.autoregressive`),

trained by PPO with a centralized critic V(s) and one ratio per factor,

    L = -1/N Σ_i E[min(r_i Â, clip(r_i, 1 ± ε) Â)] - c_H 1/N Σ_i H(π^i) + c_V L_V,
    r_i = π^i(a^i | o^i, a^{<i}) / π^i_old(a^i | o^i, a^{<i}).

Execution is centralized: agent i must see the actions the agents before it chose, so the test-time
policy is the autoregressive joint policy (drawn agent by agent), not N independent actors.
Continuous actions: π^i is a diagonal Gaussian (mean kept inside the action box, state-independent
log-std) conditioned on the earlier agents' action vectors instead of their one-hots; it is
unbounded, the environment clips the applied action; deterministic execution takes each factor's
mean given the earlier means.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from learners.neural.algorithms.base import EnvSpec, StepOutput, register
from learners.neural.algorithms.ppo import PPOAlgorithm, PPOConfig
from learners.neural.autoregressive import AutoregressiveConfig, AutoregressivePolicy
from learners.neural.buffer import Rollout

__all__ = ["ARMAPPO", "ARMAPPOConfig"]


@dataclass(frozen=True)
class ARMAPPOConfig(PPOConfig):
    """ARMAPPO = the PPO settings plus the autoregressive policy's architecture."""

    policy: AutoregressiveConfig = field(default_factory=AutoregressiveConfig)


@register
class ARMAPPO(PPOAlgorithm):
    """Autoregressive actors on (o^i, a^{<i}) + centralized critic, per-factor PPO ratios."""

    name = "armappo"
    config_class = ARMAPPOConfig
    config: ARMAPPOConfig
    executes_centrally = True
    supports_continuous = True
    supports_action_masks = True

    def __init__(self, spec: EnvSpec, config: ARMAPPOConfig) -> None:
        super().__init__(spec, config)
        self.policy = AutoregressivePolicy(spec.num_agents, spec.obs_dim, config=config.policy,
                                           **spec.actor_actions())
        self._assemble({"policy": self.policy})

    def initial_carry(self, num_envs: int) -> dict[str, Tensor]:
        return {}

    @torch.no_grad()
    def act(self, obs: Tensor, state: Tensor, carry: dict[str, Tensor], starts: Tensor,
            avail: Tensor | None = None) -> StepOutput:
        actions, logp = self.policy.sample(obs, avail=avail)
        return StepOutput(actions, logp, self.value(state), {})

    @torch.no_grad()
    def act_decentralized(self, obs: Tensor, hidden: Tensor | None, deterministic: bool,
                          generator: torch.Generator | None = None,
                          avail: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Centralized execution: the agents are drawn in order, each seeing the earlier actions
        (``deterministic``: each factor's argmax, or mean, given the earlier ones)."""
        actions, _ = self.policy.sample(obs, deterministic, generator, avail)
        return actions, torch.zeros(obs.shape[0], self.spec.num_agents, 0)

    def policy_loss(self, mb: Rollout) -> tuple[Tensor, dict[str, Tensor]]:
        assert mb.advantages is not None
        logp, entropy = self.policy.log_prob(mb.obs, mb.actions, mb.avail)
        log_ratio = logp - mb.log_prob
        adv = mb.advantages[..., None].expand_as(log_ratio)
        return self.ppo_objective(log_ratio, adv, entropy.mean())
