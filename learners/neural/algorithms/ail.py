"""Asymmetric imitation learning (AIL; e.g. Warrington et al. ICML 2021, and the asymmetric
baseline of the AgentMixer paper, Li, Zhao, Wu & Pajarinen, AAAI 2025, Sec. 5): a fully observing
expert trained by PPO, distilled into decentralized partially observing students.

* Expert: π_E(a | s) = Π_i π_E^i(a_i | s), an MLP on the global state with one categorical head
  per agent, trained by PPO (clipped surrogate, entropy bonus) with a centralized critic V(s).
* Students: the decentralized :class:`~learners.neural.actors.Actors` π_S^i(a_i | o^i), trained by
  cross-entropy to the expert's per-agent distributions on the visited states,

      L_S = E_t [ Σ_i H(π_E^i(· | s_t), π_S^i(· | o^i_t)) ]       (π_E detached).

* Behaviour (DAgger-style β-mixture, Ross et al. AISTATS 2011): at every step and copy the expert
  acts with probability β, the students otherwise; β falls linearly from 1 to 0 over the first
  ``beta_anneal_fraction`` of training, then stays 0.

Off-policy correction: the expert's PPO ratio divides by the behaviour probability of the joint
action, μ(a) = β π_E(a | s) + (1 - β) Π_i π_S^i(a_i | o^i) (stored at collection), so the
surrogate is an importance-weighted, clipped estimate for the mixture data; at β = 1 it is plain
PPO. The critic estimates the value of the behaviour policy.

Continuous actions: π_E^i(· | s) is a diagonal Gaussian (an MLP mean squashed into the action box as
the actors' are, a state-independent learned log-std per agent and dimension), the students are the
Gaussian actors, μ is the same mixture of densities, and the distillation loss is Σ_i KL(π_E^i(· |
s) ‖ π_S^i(· | o^i)) (closed form; it differs from the cross-entropy by the expert's entropy, a
constant for the students). Discrete action masks apply to the expert's logits and to the students'.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn
from torch.distributions import Categorical, Independent, Normal, kl_divergence

from games.errors import ConfigError
from learners.neural.actors import ActorConfig, Actors
from learners.neural.algorithms.base import (
    EnvSpec,
    NonFiniteError,
    StepOutput,
    adam,
    clip_grad_norm,
    policy_dist,
    register,
    run_actors,
)
from learners.neural.algorithms.ppo import PPOAlgorithm, PPOConfig
from learners.neural.buffer import Rollout
from learners.neural.critic import mlp

__all__ = ["AsymmetricIL", "AsymmetricILConfig", "StateExpert"]


@dataclass(frozen=True)
class AsymmetricILConfig(PPOConfig):
    """AIL settings (PPO fields apply to the expert).

    Attributes:
        expert_hidden: widths of the expert's state MLP.
        expert_activation: its activation.
        actor: architecture of the decentralized students.
        student_lr: Adam learning rate of the students.
        distill_epochs: cross-entropy passes over each rollout.
        beta_anneal_fraction: β goes 1 -> 0 linearly over this fraction of training (0: β = 0).
    """

    expert_hidden: tuple[int, ...] = (64, 64)
    expert_activation: str = "tanh"
    actor: ActorConfig = field(default_factory=ActorConfig)
    student_lr: float = 1e-3
    distill_epochs: int = 4
    beta_anneal_fraction: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.beta_anneal_fraction <= 1.0:
            raise ConfigError(f"beta_anneal_fraction must lie in [0, 1], got {self.beta_anneal_fraction}")
        if not (self.student_lr > 0 and self.distill_epochs >= 0):
            raise ConfigError("need student_lr > 0 and distill_epochs >= 0")


class StateExpert(nn.Module):
    """π_E^i(a_i | s) for every agent: state (..., S) -> masked logits (..., N, A_max), or for
    continuous actions the Gaussian means (..., N, d) (log-std: :attr:`log_std`, (N, d))."""

    def __init__(self, spec: EnvSpec, hidden: tuple[int, ...], activation: str) -> None:
        super().__init__()
        self.continuous = spec.continuous
        self.n = spec.num_agents
        self.a_max = spec.action_dim if spec.continuous else max(spec.num_actions)
        self.net = mlp(spec.state_dim, hidden, self.n * self.a_max, activation, output_gain=0.01)
        if spec.continuous:
            self.log_std = nn.Parameter(torch.zeros(self.n, self.a_max))
            slots = torch.ones(self.n, self.a_max, dtype=torch.bool)
            low = torch.tensor(spec.action_low) if spec.action_low else torch.full((self.n, self.a_max), -1.0)
            high = torch.tensor(spec.action_high) if spec.action_high else -low
            bounded = bool(spec.action_low)
            self.register_buffer("center", (high + low) / 2 if bounded else torch.zeros_like(low),
                                 persistent=False)
            self.register_buffer("half_range", (high - low) / 2 if bounded else torch.ones_like(low),
                                 persistent=False)
        else:
            slots = torch.arange(self.a_max)[None, :] < torch.tensor(spec.num_actions)[:, None]
        self.register_buffer("slots", slots, persistent=False)

    def forward(self, state: Tensor, avail: Tensor | None = None) -> Tensor:
        out = self.net(state).reshape(*state.shape[:-1], self.n, self.a_max)
        if self.continuous:  # the mean kept inside the action box, as the actors' (actors.py)
            return self.center + self.half_range * torch.tanh(out)
        mask = self.slots if avail is None else self.slots & avail
        return out.masked_fill(~mask, float("-inf"))

    def dist(self, state: Tensor, avail: Tensor | None = None) -> Categorical | Independent:
        """The per-agent expert policies, batch (..., N)."""
        out = self(state, avail)
        if not self.continuous:
            return Categorical(logits=out, validate_args=False)
        return Independent(Normal(out, self.log_std.exp().expand_as(out), validate_args=False), 1)


@register
class AsymmetricIL(PPOAlgorithm):
    """PPO expert on the state + cross-entropy-distilled decentralized students."""

    name = "ail"
    config_class = AsymmetricILConfig
    config: AsymmetricILConfig
    supports_continuous = True
    supports_action_masks = True

    def __init__(self, spec: EnvSpec, config: AsymmetricILConfig) -> None:
        super().__init__(spec, config)
        self.expert = StateExpert(spec, config.expert_hidden, config.expert_activation)
        self.actors = Actors(spec.num_agents, spec.obs_dim, config=config.actor, **spec.actor_actions())
        self._assemble({"expert": self.expert}, actors=self.actors)
        self.optimizers["student"] = adam(self.actors.parameters(), config.student_lr)

    @property
    def beta(self) -> float:
        """The expert's share of the behaviour policy at the current training progress."""
        frac = self.config.beta_anneal_fraction
        return 0.0 if frac <= 0 else max(0.0, 1.0 - self.progress / frac)

    @torch.no_grad()
    def act(self, obs: Tensor, state: Tensor, carry: dict[str, Tensor], starts: Tensor,
            avail: Tensor | None = None) -> StepOutput:
        beta = self.beta
        expert = self.expert.dist(state, avail)
        out, hidden = self.actors(obs, carry["hidden"], avail, reset=starts)
        student = policy_dist(out)
        use_expert = torch.rand(state.shape[0]) < beta
        pick = use_expert.reshape(-1, *([1] * (obs.dim() - 2 + int(self.spec.continuous))))
        actions = torch.where(pick, expert.sample(), student.sample())
        lp_e = expert.log_prob(actions)
        lp_s = student.log_prob(actions).sum(-1)
        log_mu = torch.logaddexp(lp_e.sum(-1) + _log(beta), lp_s + _log(1.0 - beta))
        return StepOutput(actions, lp_e, self.value(state), {"hidden": hidden},
                          {"behaviour_log_prob": log_mu, "expert_acted": use_expert})

    def policy_loss(self, mb: Rollout) -> tuple[Tensor, dict[str, Tensor]]:
        assert mb.advantages is not None
        dist = self.expert.dist(mb.state, mb.avail)
        log_ratio = dist.log_prob(mb.actions).sum(-1) - mb.extras["behaviour_log_prob"]
        return self.ppo_objective(log_ratio, mb.advantages, dist.entropy().mean())

    def extra_update(self, batch: Rollout) -> dict[str, float]:
        """Distil the (updated) expert into the students by per-agent cross-entropy."""
        with torch.no_grad():
            expert = self.expert.dist(batch.state, batch.avail)
            target = None if self.spec.continuous else expert.probs  # type: ignore[union-attr]
        total = 0.0
        for _ in range(self.config.distill_epochs):
            out = run_actors(self.actors, batch.obs, batch.carry0["hidden"], batch.starts, batch.avail)
            if out.logits is None:
                loss = kl_divergence(expert, policy_dist(out)).sum(-1).mean()
            else:
                log_q = torch.log_softmax(out.logits, dim=-1).clamp(min=-1e4)
                loss = -(target * log_q).sum(-1).sum(-1).mean()
            if not bool(torch.isfinite(loss)):
                raise NonFiniteError(f"non-finite distillation loss {float(loss)}")
            self.optimizers["student"].zero_grad(set_to_none=True)
            loss.backward()
            clip_grad_norm(self.actors.parameters(), self.config.max_grad_norm)
            self.optimizers["student"].step()
            total += float(loss.detach())
        return {"distill_loss": total / max(1, self.config.distill_epochs), "beta": self.beta}


def _log(p: float) -> float:
    return math.log(p) if p > 0 else -math.inf
