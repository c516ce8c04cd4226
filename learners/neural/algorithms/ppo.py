"""The PPO update the PPO-family algorithms share (MAPPO, AgentMixer, AIL's expert, HAPPO, MAT,
MAGPO, ARMAPPO): PPO (Schulman et al. 2017, Eq. 7) with the MAPPO practicalities of Yu et al.
(NeurIPS 2022) — a centralized critic V(s) regressing value-normalised GAE(γ, λ) targets, advantage
normalisation, optional value clipping, an entropy bonus, global grad-norm clipping and Adam.
Subclasses provide :meth:`PPOAlgorithm.policy_loss` (their surrogate and entropy) and
:meth:`~learners.neural.algorithms.base.Algorithm.act`.

    L = -E[min(r Â, clip(r, 1 ± ε) Â)] - c_H H + c_V L_V
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from games.errors import ConfigError
from learners.neural.algorithms.base import Algorithm, AlgorithmConfig, NonFiniteError, adam, clip_grad_norm
from learners.neural.buffer import Rollout, minibatch_indices
from learners.neural.critic import CentralCritic, CriticConfig
from learners.neural.normalizer import ValueNormalizer

__all__ = ["ADVANTAGE_EPS", "PPOAlgorithm", "PPOConfig", "clipped_surrogate"]

ADVANTAGE_EPS = 1e-8
"""Added to the advantages' standard deviation when they are standardised."""


@dataclass(frozen=True)
class PPOConfig(AlgorithmConfig):
    """Hyper-parameters shared by the PPO-family algorithms.

    Attributes:
        lr: Adam learning rate.
        epochs: passes over each rollout.
        num_minibatches: minibatches per epoch (split over environment copies).
        clip: PPO clip range ε.
        entropy_coef: entropy bonus weight.
        value_coef: value loss weight.
        clip_value: clip the value update to ±``clip`` around the old prediction (MAPPO).
        value_norm: normalise value targets with a running mean / std.
        normalize_advantages: standardise advantages over each rollout.
        max_grad_norm: global gradient-norm clip.
        gamma, gae_lambda: discount and GAE λ.
        critic: architecture of the centralized critic V(s).
    """

    lr: float = 5e-4
    epochs: int = 4
    num_minibatches: int = 1
    clip: float = 0.2
    entropy_coef: float = 0.01
    value_coef: float = 0.5
    clip_value: bool = False
    value_norm: bool = True
    normalize_advantages: bool = True
    max_grad_norm: float = 10.0
    gamma: float = 0.99
    gae_lambda: float = 0.95
    critic: CriticConfig = field(default_factory=CriticConfig)

    def __post_init__(self) -> None:
        if not (self.lr > 0 and self.epochs >= 1 and self.num_minibatches >= 1 and self.clip > 0):
            raise ConfigError("need lr > 0, epochs >= 1, num_minibatches >= 1 and clip > 0")
        if not (0.0 <= self.gamma <= 1.0 and 0.0 <= self.gae_lambda <= 1.0):
            raise ConfigError(f"gamma and gae_lambda must lie in [0, 1], got {self.gamma}, {self.gae_lambda}")
        if not self.max_grad_norm > 0:
            raise ConfigError(f"max_grad_norm must be positive, got {self.max_grad_norm}")


def clipped_surrogate(log_ratio: Tensor, adv: Tensor, clip: float) -> tuple[Tensor, Tensor]:
    """PPO's clipped objective as a loss (mean of -min(r A, clip(r) A)) and the clip fraction."""
    ratio = torch.exp(log_ratio)
    surr = torch.minimum(ratio * adv, ratio.clamp(1.0 - clip, 1.0 + clip) * adv)
    return -surr.mean(), ((ratio - 1.0).abs() > clip).float().mean()


class PPOAlgorithm(Algorithm):
    """Shared PPO machinery: a centralized critic, value normaliser and the update loop."""

    config: PPOConfig

    def _assemble(self, ppo_modules: dict[str, nn.Module], critic: nn.Module | None = None,
                  **others: nn.Module) -> None:
        """Build the centralized critic (``critic``: another value network, e.g. MAT's encoder)
        and value normaliser, register every module for checkpoints, and one Adam (the PPO step)
        over ``ppo_modules`` and the critic; ``others`` are checkpointed but trained elsewhere
        (e.g. AIL's students)."""
        self.critic = critic if critic is not None else CentralCritic(self.spec.state_dim, self.config.critic)
        self.normalizer = ValueNormalizer()
        self.modules = nn.ModuleDict({**ppo_modules, **others, "critic": self.critic,
                                      "normalizer": self.normalizer})
        params = [p for m in (*ppo_modules.values(), self.critic) for p in m.parameters()]
        self.optimizers = {"ppo": adam(params, self.config.lr)}

    def ppo_objective(self, log_ratio: Tensor, adv: Tensor,
                      entropy: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """The clipped surrogate minus the entropy bonus, with the usual diagnostics (entropy,
        clip fraction, and the k3 estimate E[(r - 1) - log r] of KL(old ‖ new))."""
        surrogate, clip_frac = clipped_surrogate(log_ratio, adv, self.config.clip)
        loss = surrogate - self.config.entropy_coef * entropy
        return loss, {"entropy": entropy.detach(), "clip_frac": clip_frac,
                      "approx_kl": ((torch.exp(log_ratio) - 1) - log_ratio).mean().detach()}

    def value(self, state: Tensor) -> Tensor:
        with torch.no_grad():
            return self.normalizer.denormalize(self.critic(state))

    @abc.abstractmethod
    def policy_loss(self, mb: Rollout) -> tuple[Tensor, dict[str, Tensor]]:
        """The actor-side loss on a minibatch (uses ``mb.advantages``), with metrics."""

    def value_loss(self, mb: Rollout) -> Tensor:
        """0.5 (V(s) - target)², targets and old values normalised; clipped when configured."""
        assert mb.returns is not None
        target = self.normalizer.normalize(mb.returns)
        pred = self.critic(mb.state)
        loss = (pred - target) ** 2
        if self.config.clip_value:
            old = self.normalizer.normalize(mb.values)
            clipped = old + (pred - old).clamp(-self.config.clip, self.config.clip)
            loss = torch.maximum(loss, (clipped - target) ** 2)
        return 0.5 * loss.mean()

    def extra_update(self, batch: Rollout) -> dict[str, float]:
        """Hook run after the PPO epochs (e.g. AIL's distillation); default: nothing."""
        return {}

    def prepare(self, batch: Rollout) -> None:
        """GAE(γ, λ) returns and advantages, the value normaliser's update, and the advantages
        standardised over the rollout (as configured): what every PPO update starts with."""
        cfg = self.config
        batch.finish(cfg.gamma, cfg.gae_lambda)
        assert batch.advantages is not None and batch.returns is not None
        if cfg.value_norm:
            self.normalizer.update(batch.returns)
        if cfg.normalize_advantages:
            adv = batch.advantages
            batch.advantages = (adv - adv.mean()) / (adv.std(unbiased=False) + ADVANTAGE_EPS)

    def update(self, batch: Rollout) -> dict[str, float]:
        cfg = self.config
        self.prepare(batch)
        params = [p for g in self.optimizers["ppo"].param_groups for p in g["params"]]
        sums: dict[str, float] = {}
        count = 0
        for _ in range(cfg.epochs):
            for idx in minibatch_indices(batch.num_envs, cfg.num_minibatches):
                mb = batch.env_slice(idx)
                pi_loss, metrics = self.policy_loss(mb)
                v_loss = self.value_loss(mb)
                loss = pi_loss + cfg.value_coef * v_loss
                if not bool(torch.isfinite(loss)):
                    raise NonFiniteError(f"non-finite loss (policy {float(pi_loss.detach())}, "
                                         f"value {float(v_loss.detach())})")
                self.optimizers["ppo"].zero_grad(set_to_none=True)
                loss.backward()
                grad_norm = clip_grad_norm(params, cfg.max_grad_norm)
                if not bool(torch.isfinite(grad_norm)):
                    raise NonFiniteError(f"non-finite gradient norm {float(grad_norm)}")
                self.optimizers["ppo"].step()
                metrics = {**metrics, "policy_loss": pi_loss.detach(), "value_loss": v_loss.detach(),
                           "grad_norm": grad_norm.detach()}
                for k, v in metrics.items():
                    sums[k] = sums.get(k, 0.0) + float(v)
                count += 1
        out = {k: v / count for k, v in sums.items()}
        out.update(self.extra_update(batch))
        return out
