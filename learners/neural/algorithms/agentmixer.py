"""AgentMixer trained by PPO on the correlated joint policy (Li, Zhao, Wu & Pajarinen, AAAI 2025,
Sec. 4 and Alg. 1).

Rollouts act with the joint policy π_joint(a | s, o, ω) = Π_i β_i(a_i), β = IGC(α, PM(s, φ, ω))
(:meth:`~learners.neural.agentmixer_policy.AgentMixerPolicy.joint_dist`, Eq. 5 and Def. 6),
sampled; the loss is PPO's clipped surrogate on that policy with a centralized critic V(s), an
entropy bonus on β and the shared PPO machinery (:mod:`learners.neural.algorithms.base`). The
actors receive gradients through the IGC head; by IGC the joint mode is the tuple of the actors'
modes, so deterministic decentralized execution (the actors alone) plays the joint policy's mode.

Ratio choice (``ratio``):

* ``"joint"`` (default): one ratio per joint action, r = exp(Σ_i log β_i(a_i) - Σ_i log β_i^old(a_i)).
  This is PPO applied to the object actually being optimised — the joint policy — so the trust
  region bounds the change of the joint action distribution, which is what the policy-improvement
  argument of PPO / TRPO needs. Per-agent clipping lets the joint ratio drift to (1 ± ε)^N.
* ``"per_agent"``: r_i = β_i(a_i) / β_i^old(a_i), one clipped surrogate per agent, averaged (the
  MAPPO form); looser for the joint but lower-variance with many agents.

The episode seed ω (when ``modifier.num_seeds`` > 0) is drawn uniformly at every episode start
and held in the carry, so the joint policy can be a mixture over ω.

Continuous actions: the joint policy is the diagonal Gaussian of the continuous IGC head — its
mean *is* the stack of the actors' means (the joint mode equals the actors' modes, tested
throughout training) and the Policy Modifier gives its log-std, clamped to [-5, 2]; the Gaussian
is unbounded and the environment clips the applied action (log-densities and entropies are those
of the unclipped Gaussian). Decentralized *sampled* execution uses the actors' own log-std, which
no PPO gradient reaches (the joint spread is the modifier's), so after every update it is set to
the least-squares fit of the modifier's log-std on the rollout: its mean over steps and copies
(and over agents when the actors share parameters). A gradient step on that squared error was
too slow: PPO's gradients dominate the global norm clip once the joint std is small. Discrete
action masks enter the actors and the IGC head.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor

from learners.neural.actors import ActorConfig, ActorOutput
from learners.neural.agentmixer_policy import AgentMixerPolicy
from learners.neural.algorithms.base import (
    EnvSpec,
    PPOAlgorithm,
    PPOConfig,
    StepOutput,
    register,
    run_actors,
)
from learners.neural.buffer import Rollout
from learners.neural.heads import JointCategorical, JointNormal
from learners.neural.modifier import ModifierConfig

__all__ = ["AgentMixerPPO", "AgentMixerPPOConfig"]


@dataclass(frozen=True)
class AgentMixerPPOConfig(PPOConfig):
    """AgentMixer-PPO settings.

    Attributes:
        ratio: ``"joint"`` (one ratio over all agents, default) or ``"per_agent"`` (see module).
        actor, modifier: architectures of the actors and the Policy Modifier.
    """

    ratio: Literal["joint", "per_agent"] = "joint"
    actor: ActorConfig = field(default_factory=ActorConfig)
    modifier: ModifierConfig = field(default_factory=ModifierConfig)


@register
class AgentMixerPPO(PPOAlgorithm):
    """PPO on AgentMixer's joint policy with a centralized critic."""

    name = "agentmixer"
    config_class = AgentMixerPPOConfig
    config: AgentMixerPPOConfig
    supports_continuous = True
    supports_action_masks = True

    def __init__(self, spec: EnvSpec, config: AgentMixerPPOConfig) -> None:
        super().__init__(spec, config)
        self.policy = AgentMixerPolicy(spec.num_agents, spec.obs_dim, spec.state_dim,
                                       actor_config=config.actor, modifier_config=config.modifier,
                                       **spec.actor_actions())
        self.actors = self.policy.actors
        self._assemble({"policy": self.policy})

    def initial_carry(self, num_envs: int) -> dict[str, Tensor]:
        carry = super().initial_carry(num_envs)
        carry["omega"] = torch.zeros(num_envs, dtype=torch.long)
        return carry

    @torch.no_grad()
    def act(self, obs: Tensor, state: Tensor, carry: dict[str, Tensor], starts: Tensor,
            avail: Tensor | None = None) -> StepOutput:
        omega = carry["omega"]
        if self.policy.num_seeds > 0:
            fresh = torch.randint(self.policy.num_seeds, omega.shape)
            omega = torch.where(starts, fresh, omega)
        out, hidden = self.actors(obs, carry["hidden"], avail, reset=starts)
        dist = self._modify(out, state, omega)
        actions = dist.sample()
        return StepOutput(actions, dist.log_prob_per_agent(actions), self.value(state),
                          {"hidden": hidden, "omega": omega}, {"omega": omega})

    def _modify(self, out: ActorOutput, state: Tensor, omega: Tensor) -> JointCategorical | JointNormal:
        return self.policy.modify(out, state, omega if self.policy.num_seeds > 0 else None)

    def policy_loss(self, mb: Rollout) -> tuple[Tensor, dict[str, Tensor]]:
        assert mb.advantages is not None
        out = run_actors(self.actors, mb.obs, mb.carry0["hidden"], mb.starts, mb.avail)
        dist = self._modify(out, mb.state, mb.extras["omega"])
        new_lp = dist.log_prob_per_agent(mb.actions)  # (T, B, N)
        if self.config.ratio == "joint":
            log_ratio = (new_lp - mb.log_prob).sum(dim=-1)
            adv = mb.advantages
        else:
            log_ratio = new_lp - mb.log_prob
            adv = mb.advantages[..., None].expand_as(log_ratio)
        return self.ppo_objective(log_ratio, adv, dist.entropy_per_agent().mean())

    @torch.no_grad()
    def extra_update(self, batch: Rollout) -> dict[str, float]:
        """Continuous actions: the actors' log-std := the mean of the joint's on ``batch``."""
        if self.policy.discrete:
            return {}
        out = run_actors(self.actors, batch.obs, batch.carry0["hidden"], batch.starts, batch.avail)
        dist = self._modify(out, batch.state, batch.extras["omega"])
        assert isinstance(dist, JointNormal)
        fit = dist.log_std.reshape(-1, *dist.log_std.shape[-2:]).mean(dim=0)  # (N, d)
        target = self.actors.log_std
        target.copy_(fit.mean(dim=0, keepdim=True) if target.shape[0] == 1 else fit)
        return {"joint_log_std": float(fit.mean())}
