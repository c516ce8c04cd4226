"""MAGPO (Li, Xie & Lu, "Multi-Agent Guided Policy Optimization", 2025, Alg. 1) in the neural tier:
a centralized autoregressive guider μ(a | s, o) = Π_i μ_i(a_i | o^i, s, a_{<i})
(:mod:`learners.neural.autoregressive`) and decentralized learners π(a | o) = Π_i π^i(a_i | o^i)
(:class:`~learners.neural.actors.Actors`), with a centralized critic V(s). Each update follows the
exact tier (:mod:`learners.exact.magpo`) step by step:

1. *collect* with the guider (the trainer's rollout; :meth:`MAGPO.act` samples μ);
2. *guider step*: PPO on μ with one joint ratio r = μ(a)/μ_old(a) and the team advantage, kept
   within δ of the learner by a second clip on ρ = μ(a)/π(a) (π fixed during this step; δ > 1 is
   the regularisation ratio of the paper's Fig. 4): a sample whose ρ already left [1/δ, δ] in the
   direction its advantage pushes contributes no gradient,

       L_μ = -E[ 1{ρ ∈ band or pushing back} min(r Â, clip(r, 1 ± ε) Â) ] - c_H H(μ) + c_V L_V;

3. *projection* of the learners onto μ on the visited (s, o):
   ``"reverse"``: min KL(π ‖ μ) = Σ_i E_{a_{-i} ~ π_{-i}} Σ_{a_i} π^i(a_i)[log π^i(a_i) - log μ(a_i, a_{-i})]
   (agent i's action enumerated, the others sampled: an unbiased gradient for every factor), or
   ``"forward"``: min KL(μ ‖ π) = -E_{a ~ μ} Σ_i log π^i(a_i | o^i) + const (behaviour cloning);
   plus, with ``rl_coef`` > 0, the RL auxiliary loss of the paper's Fig. 5: PPO's clipped surrogate
   for π on the guider's data, ratio Π_i π^i(a_i)/μ_old(a) (importance-weighted, clipped);
4. *backtrack* the guider towards the learner: min_μ KL(π ‖ μ) = -E_{a ~ π} log μ(a) + const
   (``backtrack_epochs`` gradient passes; the exact tier sets μ := π).

Execution is decentralized: the learners alone.

Continuous actions: the learners are the Gaussian actors π^i = N(m_i(o^i), diag σ_i²) and every
guider factor μ_i(· | o^i, s, a_{<i}) is a diagonal Gaussian given the earlier agents' actions
(:class:`~learners.neural.autoregressive.GaussianFactors`; all unbounded, the environment clips).
Steps 1, 2 and 4 are unchanged (densities instead of probabilities). Agent i's action cannot be
enumerated, so step 3 uses the closed-form KL between diagonal Gaussians,
KL(N(m, σ²) ‖ N(m', σ'²)) = Σ_k [log σ'_k/σ_k + (σ_k² + (m_k - m'_k)²) / (2σ'_k²) - 1/2]:

* ``"reverse"``: L = E_rollout Σ_i KL(π^i(· | o^i) ‖ μ_i(· | o^i, s, a_{<i})), with a_{<i} the
  earlier agents' actions *stored in the rollout* (sampled by the behaviour guider μ_old). This
  is KL(π ‖ μ) exactly when μ's factors ignore a_{<i}; otherwise it is the sum of the per-agent
  conditional KLs at the behaviour's a_{<i} (KL(π ‖ μ) itself averages them over a_{<i} ~ π_{<i}),
  and its gradient ignores how agent i's action moves the later factors μ_{j>i};
* ``"forward"``: L = E Σ_i KL(μ_i(· | o^i, s, a_{<i}) ‖ π^i(· | o^i)) with a_{<i} from fresh guider
  samples a ~ μ: by the chain rule of the KL this is an unbiased estimate of KL(μ ‖ π) itself
  (behaviour cloning with agent i's own sample integrated out).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor, nn
from torch.distributions import Categorical, kl_divergence

from games.errors import ConfigError
from learners.neural.actors import ActorConfig, ActorOutput, Actors
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
from learners.neural.algorithms.ppo import PPOAlgorithm, PPOConfig, clipped_surrogate
from learners.neural.autoregressive import AutoregressiveConfig, AutoregressivePolicy
from learners.neural.buffer import Rollout

__all__ = ["MAGPO", "MAGPOConfig"]


@dataclass(frozen=True)
class MAGPOConfig(PPOConfig):
    """MAGPO settings (the PPO fields apply to the guider and the critic).

    Attributes:
        delta: the guider-learner ratio bound δ > 1 (``None``: unconstrained).
        projection: ``"reverse"`` (min KL(π ‖ μ)) or ``"forward"`` (min KL(μ ‖ π)).
        rl_coef: weight of the learners' RL auxiliary loss (0: pure projection).
        learner_lr: Adam learning rate of the learners.
        projection_epochs: gradient passes of the projection per update.
        backtrack_epochs: gradient passes pulling the guider towards the learners (0: none).
        actor, guider: architectures of the learners and the guider.
    """

    delta: float | None = 1.5
    projection: Literal["reverse", "forward"] = "reverse"
    rl_coef: float = 0.0
    learner_lr: float = 5e-4
    projection_epochs: int = 4
    backtrack_epochs: int = 1
    actor: ActorConfig = field(default_factory=ActorConfig)
    guider: AutoregressiveConfig = field(default_factory=AutoregressiveConfig)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.delta is not None and not self.delta > 1.0:
            raise ConfigError(f"delta must be > 1 (a ratio bound) or None, got {self.delta}")
        if self.projection not in ("reverse", "forward"):
            raise ConfigError(f"projection must be 'reverse' or 'forward', got {self.projection!r}")
        if not (self.rl_coef >= 0 and self.learner_lr > 0 and self.projection_epochs >= 1
                and self.backtrack_epochs >= 0):
            raise ConfigError("need rl_coef >= 0, learner_lr > 0, projection_epochs >= 1 and "
                              "backtrack_epochs >= 0")


@register
class MAGPO(PPOAlgorithm):
    """Autoregressive guider (PPO within δ of the learners) + KL-projected decentralized learners."""

    name = "magpo"
    config_class = MAGPOConfig
    config: MAGPOConfig
    supports_continuous = True
    supports_action_masks = True

    def __init__(self, spec: EnvSpec, config: MAGPOConfig) -> None:
        super().__init__(spec, config)
        self.guider = AutoregressivePolicy(spec.num_agents, spec.obs_dim + spec.state_dim,
                                           config=config.guider, **spec.actor_actions())
        self.actors = Actors(spec.num_agents, spec.obs_dim, config=config.actor, **spec.actor_actions())
        self._assemble({"guider": self.guider}, actors=self.actors)
        self.optimizers["learner"] = adam(self.actors.parameters(), config.learner_lr)

    def _x(self, obs: Tensor, state: Tensor) -> Tensor:
        return torch.cat([obs, state[..., None, :].expand(*obs.shape[:-1], state.shape[-1])], dim=-1)

    @torch.no_grad()
    def act(self, obs: Tensor, state: Tensor, carry: dict[str, Tensor], starts: Tensor,
            avail: Tensor | None = None) -> StepOutput:
        _, hidden = self.actors(obs, carry["hidden"], avail, reset=starts)  # the learners' history
        actions, logp = self.guider.sample(self._x(obs, state), avail=avail)
        return StepOutput(actions, logp, self.value(state), {"hidden": hidden})

    def _learner_out(self, batch: Rollout) -> ActorOutput:
        return run_actors(self.actors, batch.obs, batch.carry0["hidden"], batch.starts, batch.avail)

    def _learner_logits(self, batch: Rollout) -> Tensor:
        logits = self._learner_out(batch).logits
        assert logits is not None
        return logits

    def policy_loss(self, mb: Rollout) -> tuple[Tensor, dict[str, Tensor]]:
        """Step 2: the guider's clipped PPO loss, masked where μ/π left the δ band."""
        assert mb.advantages is not None
        logp, entropy = self.guider.log_prob(self._x(mb.obs, mb.state), mb.actions, mb.avail)
        log_ratio = (logp - mb.log_prob).sum(-1)
        adv = mb.advantages
        ratio = torch.exp(log_ratio)
        surr = torch.minimum(ratio * adv, ratio.clamp(1 - self.config.clip, 1 + self.config.clip) * adv)
        keep = torch.ones_like(adv)
        if self.config.delta is not None:
            log_rho = logp.sum(-1) - mb.extras["learner_log_prob"]
            bound = math.log(self.config.delta)
            keep = (~(((log_rho > bound) & (adv > 0)) | ((log_rho < -bound) & (adv < 0)))).to(adv.dtype)
        loss = -(keep * surr).mean() - self.config.entropy_coef * entropy.mean()
        _, clip_frac = clipped_surrogate(log_ratio, adv, self.config.clip)
        return loss, {"entropy": entropy.mean().detach(), "clip_frac": clip_frac,
                      "delta_clip_frac": 1.0 - keep.mean().detach(),
                      "approx_kl": ((ratio - 1) - log_ratio).mean().detach()}

    def _gaussian_projection_loss(self, batch: Rollout, x: Tensor) -> Tensor:
        """Step 3's loss for continuous actions: the summed closed-form per-agent KLs of the module
        docstring (reverse: a_{<i} from the rollout; forward: from fresh guider samples)."""
        pi = policy_dist(self._learner_out(batch))  # batch (T, B, N), event (d,)
        with torch.no_grad():
            if self.config.projection == "reverse":
                mu = policy_dist(self.guider.factors(x, batch.actions))
            else:
                a, _ = self.guider.sample(x)
                mu = policy_dist(self.guider.factors(x, a))
        kl = kl_divergence(pi, mu) if self.config.projection == "reverse" else kl_divergence(mu, pi)
        return kl.sum(-1).mean()

    def _projection_loss(self, batch: Rollout, x: Tensor, others: Tensor | None = None) -> Tensor:
        """Step 3's loss; ``others`` (T, B, N) fixes the sampled a_{-i} of the discrete reverse form."""
        if self.spec.continuous:
            return self._gaussian_projection_loss(batch, x)
        log_pi = torch.log_softmax(self._learner_logits(batch), dim=-1)  # (T, B, N, A)
        if self.config.projection == "forward":
            with torch.no_grad():
                a, _ = self.guider.sample(x, avail=batch.avail)
            return -log_pi.gather(-1, a[..., None]).squeeze(-1).sum(-1).mean()
        n, a_max = self.spec.num_agents, log_pi.shape[-1]
        with torch.no_grad():
            if others is None:
                others = Categorical(logits=log_pi, validate_args=False).sample()  # (T, B, N)
            cand = others.expand(n, a_max, *others.shape).clone()  # (N_i, A, T, B, N)
            for i in range(n):
                cand[i, :, ..., i] = torch.arange(a_max).view(a_max, *([1] * (others.dim() - 1)))
            cand = cand.clamp(max=torch.tensor(self.spec.num_actions) - 1)
            avail = None if batch.avail is None else batch.avail.expand(n, a_max, *batch.avail.shape)
            logits = self.guider.logits(x.expand(n, a_max, *x.shape), cand, avail)
            log_mu = torch.log_softmax(logits, -1).gather(-1, cand[..., None]).squeeze(-1).sum(-1)
            log_mu = log_mu.permute(2, 3, 0, 1)  # (T, B, N_i, A): log μ(c, a_{-i})
        pi = log_pi.exp()
        return (pi * (log_pi.clamp(min=-1e4) - log_mu.clamp(min=-1e4))).sum(-1).sum(-1).mean()

    def _rl_aux(self, batch: Rollout) -> Tensor:
        assert batch.advantages is not None
        lp = policy_dist(self._learner_out(batch)).log_prob(batch.actions).sum(-1)
        loss, _ = clipped_surrogate(lp - batch.log_prob.sum(-1), batch.advantages, self.config.clip)
        return loss

    def _step(self, key: str, loss: Tensor, params: list[nn.Parameter]) -> None:
        if not bool(torch.isfinite(loss)):
            raise NonFiniteError(f"non-finite {key} loss {float(loss.detach())}")
        self.optimizers[key].zero_grad(set_to_none=True)
        loss.backward()
        if not bool(torch.isfinite(clip_grad_norm(params, self.config.max_grad_norm))):
            raise NonFiniteError(f"non-finite {key} gradient norm")
        self.optimizers[key].step()

    def update(self, batch: Rollout) -> dict[str, float]:
        with torch.no_grad():
            learner = policy_dist(self._learner_out(batch))
            batch.extras["learner_log_prob"] = learner.log_prob(batch.actions).sum(-1)
        out = super().update(batch)  # step 2 (and the critic)
        del batch.extras["learner_log_prob"]
        cfg = self.config
        x = self._x(batch.obs, batch.state)
        learner_params = list(self.actors.parameters())
        proj = aux = 0.0
        for _ in range(cfg.projection_epochs):  # step 3
            p_loss = self._projection_loss(batch, x)
            loss = p_loss
            if cfg.rl_coef > 0:
                a_loss = self._rl_aux(batch)
                loss = loss + cfg.rl_coef * a_loss
                aux += float(a_loss.detach())
            self._step("learner", loss, learner_params)
            proj += float(p_loss.detach())
        back = 0.0
        guider_params = list(self.guider.parameters())
        for _ in range(cfg.backtrack_epochs):  # step 4
            with torch.no_grad():
                a = policy_dist(self._learner_out(batch)).sample()
            logp, _ = self.guider.log_prob(x, a, batch.avail)
            b_loss = -logp.sum(-1).mean()
            self._step("ppo", b_loss, guider_params)
            back += float(b_loss.detach())
        out.update(projection_loss=proj / cfg.projection_epochs, rl_aux_loss=aux / cfg.projection_epochs,
                   backtrack_loss=back / max(1, cfg.backtrack_epochs))
        return out
