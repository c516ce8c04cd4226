"""MAVEN (Mahajan, Rashid, Samvelyan & Whiteson, "MAVEN: Multi-Agent Variational Exploration",
NeurIPS 2019, Sec. 4): QMIX (:mod:`learners.neural.algorithms.value_based`) whose utilities also
read a latent z ∈ {1..K} drawn once per episode by a hierarchical policy π_z(z | s_0), so that
committing to z commits the team to one joint exploration mode. Three losses:

* the QMIX TD loss with Q_i(o^i, z, a^i) (the mixer reads s);
* the mutual-information term λ_MI · E[-log q_ψ(z | σ(Q(o_t, z)), s_t)]: a variational
  discriminator q_ψ recovers z from the agents' Boltzmann action distributions σ(Q) and the state
  (a per-step lower bound on I(z; τ) up to H(z), Eq. 6; the paper aggregates the trajectory with
  an RNN, here every transition is scored on its own), its gradient reaching the utilities;
* the hierarchical policy, by REINFORCE on the rollout's episodes that start and end inside it,
  -E[(R - b) log π_z(z | s_0)] - c_H H(π_z) (b: the mean of those returns; episodes that cross a
  rollout boundary are not used).

Execution: z is drawn from π_z(· | s_0) at the episode start (argmax when deterministic) — this
reads the global initial state once, so evaluation reports MAVEN as executing centrally — then
each agent plays argmax_a Q_i(o^i, z, a) from its own observation.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.distributions import Categorical

from games.errors import ConfigError
from learners.neural.algorithms.base import (
    EnvSpec,
    NonFiniteError,
    StepOutput,
    adam,
    clip_grad_norm,
    register,
)
from learners.neural.algorithms.value_based import QLearner, QLearnerConfig
from learners.neural.buffer import Rollout
from learners.neural.critic import mlp

__all__ = ["MAVEN", "MAVENConfig"]


@dataclass(frozen=True)
class MAVENConfig(QLearnerConfig):
    """MAVEN = QMIX's settings plus the latent's.

    Attributes:
        num_latents: K, the number of latent values z.
        mi_coef: λ_MI, weight of the discriminator loss.
        z_lr: Adam learning rate of the hierarchical policy.
        z_entropy_coef: its entropy bonus.
        latent_hidden: widths of the hierarchical policy's and the discriminator's MLPs.
    """

    num_latents: int = 4
    mi_coef: float = 0.1
    z_lr: float = 1e-3
    z_entropy_coef: float = 0.01
    latent_hidden: tuple[int, ...] = (64,)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (self.num_latents >= 1 and self.mi_coef >= 0 and self.z_lr > 0 and self.z_entropy_coef >= 0):
            raise ConfigError("need num_latents >= 1, mi_coef >= 0, z_lr > 0 and z_entropy_coef >= 0")


@register
class MAVEN(QLearner):
    """QMIX with an episode latent from a hierarchical policy and a mutual-information loss."""

    name = "maven"
    config_class = MAVENConfig
    config: MAVENConfig
    executes_centrally = True

    def __init__(self, spec: EnvSpec, config: MAVENConfig) -> None:
        super().__init__(spec, config, extra_input=config.num_latents)
        k = config.num_latents
        self.z_policy = mlp(spec.state_dim, config.latent_hidden, k, "tanh", output_gain=0.01)
        width = spec.num_agents * max(spec.num_actions) + spec.state_dim
        self.discriminator = mlp(width, config.latent_hidden, k, "relu")
        self._assemble(discriminator=self.discriminator)
        self.modules["z_policy"] = self.z_policy
        self.optimizers["z"] = adam(self.z_policy.parameters(), config.z_lr)

    def agent_input(self, obs: Tensor, latent: Tensor | None) -> Tensor:
        assert latent is not None
        z = nn.functional.one_hot(latent.long(), self.config.num_latents).to(obs.dtype)
        return torch.cat([obs, z[..., None, :].expand(*obs.shape[:-1], z.shape[-1])], dim=-1)

    def initial_carry(self, num_envs: int) -> dict[str, Tensor]:
        return {**super().initial_carry(num_envs), "latent": torch.zeros(num_envs, dtype=torch.long)}

    @torch.no_grad()
    def act(self, obs: Tensor, state: Tensor, carry: dict[str, Tensor], starts: Tensor,
            avail: Tensor | None = None) -> StepOutput:
        fresh = Categorical(logits=self.z_policy(state), validate_args=False).sample()
        z = torch.where(starts, fresh, carry["latent"])
        q, _ = self.actors(self.agent_input(obs, z), None, avail)
        actions, logp = self._egreedy(q.logits, self.epsilon)
        return StepOutput(actions, logp, self.value(state), {**carry, "latent": z}, {"latent": z})

    @torch.no_grad()
    def episode_start(self, state: Tensor, deterministic: bool,
                      generator: torch.Generator | None = None) -> Tensor:
        """The episode's z from π_z(· | s_0) (argmax when ``deterministic``): the execution carry."""
        logits = self.z_policy(state)
        if deterministic:
            return logits.argmax(-1)
        return torch.multinomial(torch.softmax(logits, -1), 1, generator=generator).squeeze(-1)

    @torch.no_grad()
    def act_decentralized(self, obs: Tensor, hidden: Tensor | None, deterministic: bool,
                          generator: torch.Generator | None = None,
                          avail: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Each agent's argmax of Q_i(o^i, z, ·) (sampled: ε-greedy); ``hidden`` carries z."""
        if hidden is None:
            raise ConfigError("MAVEN executes from the episode latent: call episode_start first")
        q, _ = self.actors(self.agent_input(obs, hidden), None, avail)
        assert q.logits is not None
        if deterministic:
            return q.logits.argmax(-1), hidden
        return self._egreedy(q.logits, self.config.epsilon_finish, generator)[0], hidden

    def extra_loss(self, mb: dict[str, Tensor]) -> tuple[Tensor, dict[str, Tensor]]:
        """λ_MI times the discriminator's cross-entropy for the replayed z."""
        q, _ = self.actors(self.agent_input(mb["obs"], mb["latent"]), None, mb.get("avail"))
        probs = torch.softmax(q.logits, dim=-1).flatten(-2)
        logits = self.discriminator(torch.cat([probs, mb["state"]], dim=-1))
        ce = nn.functional.cross_entropy(logits, mb["latent"].long())
        return self.config.mi_coef * ce, {"mi_loss": ce.detach()}

    def _z_policy_step(self, batch: Rollout) -> dict[str, float]:
        """REINFORCE for π_z on the episodes that start and end inside this rollout."""
        z_all = batch.extras["latent"]
        s0, z0 = batch.state[0].clone(), z_all[0].clone()
        ret, open_ = torch.zeros(batch.num_envs), torch.zeros(batch.num_envs, dtype=torch.bool)
        states, latents, returns = [], [], []
        for t in range(batch.num_steps):
            start = batch.starts[t]
            s0 = torch.where(start[:, None], batch.state[t], s0)
            z0 = torch.where(start, z_all[t], z0)
            ret = torch.where(start, torch.zeros_like(ret), ret) + batch.rewards[t]
            open_ = open_ | start
            emit = batch.dones[t] & open_
            states.append(s0[emit])
            latents.append(z0[emit])
            returns.append(ret[emit])
            open_ = open_ & ~batch.dones[t]
        g = torch.cat(returns)
        if g.numel() == 0:
            return {}
        dist = Categorical(logits=self.z_policy(torch.cat(states)), validate_args=False)
        loss = -((g - g.mean()) * dist.log_prob(torch.cat(latents))).mean() \
            - self.config.z_entropy_coef * dist.entropy().mean()
        if not bool(torch.isfinite(loss)):
            raise NonFiniteError(f"non-finite hierarchical-policy loss {float(loss.detach())}")
        self.optimizers["z"].zero_grad(set_to_none=True)
        loss.backward()
        clip_grad_norm(self.z_policy.parameters(), self.config.max_grad_norm)
        self.optimizers["z"].step()
        return {"z_policy_loss": float(loss.detach()), "z_entropy": float(dist.entropy().mean().detach())}

    def update(self, batch: Rollout) -> dict[str, float]:
        z_metrics = self._z_policy_step(batch)
        return {**super().update(batch), **z_metrics}
