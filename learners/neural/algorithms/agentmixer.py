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

Joint construction (``joint``), discrete actions:

* ``"coupled"``: the joint is one categorical over the Π_i A_i joint actions, free logits z from
  the Policy Modifier's joint head, capped at the tuple of the actors' modes
  (:class:`~learners.neural.heads.CoupledJointCategorical`): IGC by construction, any correlation.
  PPO (joint ratio) trains z; no PPO gradient reaches the actors (the cap sees them only through
  their argmax). The actors are distilled instead — cross-entropy, weight ``distill_coef`` — towards
  the per-agent targets decoded from the *uncapped* joint softmax(z) agent by agent
  (:func:`~learners.neural.heads.decode_joint_targets`), so their modes follow the joint action the
  joint prefers: the mode hand-off of the exact tier (:mod:`learners.exact.agentmixer_coupled`),
  made smooth. The joint is one Linear layer on the mixer's tokens, so its size caps the use.
* ``"product"``: the paper's construction, Π_i IGC(α_i, ε_i): the actors learn through the head.
* ``"auto"`` (default): coupled when the actions are discrete, Π_i A_i ≤ ``max_joint_actions`` and
  the ratio is the joint one; product otherwise.

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

import math
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor

from games.errors import ConfigError
from learners.neural.actors import ActorConfig, ActorOutput
from learners.neural.agentmixer_policy import AgentMixerPolicy
from learners.neural.algorithms.base import EnvSpec, StepOutput, register, run_actors
from learners.neural.algorithms.ppo import PPOAlgorithm, PPOConfig
from learners.neural.buffer import Rollout
from learners.neural.heads import CoupledJointCategorical, JointCategorical, JointNormal, decode_joint_targets
from learners.neural.modifier import ModifierConfig

__all__ = ["AgentMixerPPO", "AgentMixerPPOConfig"]


@dataclass(frozen=True)
class AgentMixerPPOConfig(PPOConfig):
    """AgentMixer-PPO settings.

    Attributes:
        ratio: ``"joint"`` (one ratio over all agents, default) or ``"per_agent"`` (see module).
        actor, modifier: architectures of the actors and the Policy Modifier.
        joint: ``"auto"``, ``"coupled"`` or ``"product"`` (see module).
        distill_coef: coupled joint: weight of the actors' cross-entropy to the decoded joint.
        max_joint_actions: ``"auto"`` picks the coupled joint up to this many joint actions.
    """

    ratio: Literal["joint", "per_agent"] = "joint"
    actor: ActorConfig = field(default_factory=ActorConfig)
    modifier: ModifierConfig = field(default_factory=ModifierConfig)
    joint: Literal["auto", "coupled", "product"] = "auto"
    distill_coef: float = 1.0
    max_joint_actions: int = 1024

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.joint not in ("auto", "coupled", "product"):
            raise ConfigError(f"joint must be 'auto', 'coupled' or 'product', got {self.joint!r}")
        if not (math.isfinite(self.distill_coef) and self.distill_coef >= 0) or self.max_joint_actions < 1:
            raise ConfigError(f"need distill_coef >= 0 and max_joint_actions >= 1, got {self.distill_coef}, "
                              f"{self.max_joint_actions}")


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
        joint = config.joint
        if joint == "auto":
            small = not spec.continuous and math.prod(spec.num_actions) <= config.max_joint_actions
            joint = "coupled" if small and config.ratio == "joint" else "product"
        if joint == "coupled" and config.ratio != "joint":
            raise ConfigError("the coupled joint has a joint log-probability only: it needs ratio='joint'")
        self.policy = AgentMixerPolicy(spec.num_agents, spec.obs_dim, spec.state_dim,
                                       actor_config=config.actor, modifier_config=config.modifier,
                                       joint=joint, **spec.actor_actions())
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

    def _modify(self, out: ActorOutput, state: Tensor,
                omega: Tensor) -> JointCategorical | JointNormal | CoupledJointCategorical:
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
        loss, metrics = self.ppo_objective(log_ratio, adv, dist.entropy_per_agent().mean())
        if isinstance(dist, CoupledJointCategorical):
            distill = self._distillation(out, dist)
            loss = loss + self.config.distill_coef * distill
            metrics = {**metrics, "distill": distill.detach()}
        return loss, metrics

    def _distillation(self, out: ActorOutput, dist: CoupledJointCategorical) -> Tensor:
        """Σ_i cross-entropy of actor i to its target decoded from the uncapped joint (detached),
        averaged over the minibatch."""
        assert out.logits is not None
        target = decode_joint_targets(torch.softmax(dist.uncapped_logits.detach(), dim=-1),
                                      dist.num_actions, out.logits.shape[-1])
        log_alpha = torch.log_softmax(out.logits, dim=-1)
        return -(target * torch.where(target > 0, log_alpha, torch.zeros_like(log_alpha))).sum(dim=-1).sum(
            dim=-1).mean()

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
