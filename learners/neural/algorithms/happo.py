"""HAPPO (Kuba, Chen, Wen, Wen, Sun, Wang & Yang, "Trust Region Policy Optimisation in Multi-Agent
Reinforcement Learning", ICLR 2022, Alg. 2 / Eq. 11): heterogeneous decentralized actors π^i(a^i |
o^i), each with parameters and an Adam of its own, and a centralized critic V(s). Every update
draws a random order i_1 .. i_N of the agents and updates them one after another; agent i_m
maximises the clipped surrogate of the team advantage weighted by the compounded ratio M of the
agents already updated in this iteration,

    L^{i_m} = -E[ M^{i_{1:m-1}} min(r_{i_m} Â, clip(r_{i_m}, 1 ± ε) Â) ] - c_H H(π^{i_m}),
    M^{i_{1:m-1}} = Π_{k<m} π^{i_k}_new(a^{i_k} | o^{i_k}) / π^{i_k}_old(a^{i_k} | o^{i_k}),

(M detached; it is recomputed with agent i_m's updated policy before moving on). The critic
regresses the same normalised GAE targets as MAPPO, with its own optimizer. Collection and
execution use the actors alone. Continuous actions: each π^i is a diagonal Gaussian actor of its
own (mean kept inside agent i's action box, state-independent log-std; unbounded, the environment
clips the applied action), and the ratios r and M are ratios of those per-agent densities, exactly
as of the categorical probabilities.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from learners.neural.actors import ActorConfig, ActorOutput, Actors
from learners.neural.algorithms.base import (
    EnvSpec,
    NonFiniteError,
    StepOutput,
    adam,
    clip_grad_norm,
    policy_dist,
    register,
)
from learners.neural.algorithms.ppo import PPOAlgorithm, PPOConfig, clipped_surrogate
from learners.neural.buffer import Rollout, minibatch_indices

__all__ = ["HAPPO", "HAPPOConfig", "SeparateActors"]


@dataclass(frozen=True)
class HAPPOConfig(PPOConfig):
    """HAPPO = the PPO settings (``lr`` for each actor and the critic) plus the actors'
    architecture (always one network per agent: ``actor.share_parameters`` is ignored)."""

    actor: ActorConfig = field(default_factory=ActorConfig)


class SeparateActors(nn.Module):
    """N single-agent :class:`Actors` behind the batched :class:`Actors` interface, so each agent
    has parameters an optimizer can own alone. Discrete logits are padded to A_max with -inf;
    continuous agents are Gaussian actors with agent i's row of the action box."""

    def __init__(self, spec: EnvSpec, config: ActorConfig) -> None:
        super().__init__()
        self.config = config
        self.n_agents, self.obs_dim = spec.num_agents, spec.obs_dim
        self.a_max = spec.action_dim or max(spec.num_actions)

        def one(i: int) -> Actors:
            if not spec.continuous:
                return Actors(1, spec.obs_dim, [spec.num_actions[i]], config=config)
            bounds = ([spec.action_low[i]], [spec.action_high[i]]) if spec.action_low else None
            return Actors(1, spec.obs_dim, action_dim=spec.action_dim, config=config, action_bounds=bounds)

        self.agents = nn.ModuleList(one(i) for i in range(spec.num_agents))

    def initial_hidden(self, batch_size: int) -> Tensor:
        return torch.cat([a.initial_hidden(batch_size) for a in self.agents], dim=-2)

    def _pad(self, logits: Tensor) -> Tensor:
        pad = self.a_max - logits.shape[-1]
        return nn.functional.pad(logits, (0, pad), value=float("-inf")) if pad else logits

    def _join(self, outs: list[ActorOutput], join: Callable[[list[Tensor]], Tensor]) -> ActorOutput:
        """Several outputs as one: ``join`` concatenates the agents or stacks the time steps."""
        if outs[0].logits is None:
            return ActorOutput(mean=join([_given(o.mean) for o in outs]),
                               log_std=join([_given(o.log_std) for o in outs]))
        logits = join([self._pad(_given(o.logits)) for o in outs])
        return ActorOutput(logits=logits, avail=torch.isfinite(logits))

    def agent(self, i: int, obs: Tensor, hidden: Tensor | None, reset: Tensor | None,
              sequence: bool, avail: Tensor | None = None) -> ActorOutput:
        """Agent i's own output (agent axis of size 1, unpadded) from obs (..., N, obs_dim)."""
        h = None if hidden is None else hidden[..., i:i + 1, :]
        step = self.agents[i].unroll if sequence else self.agents[i]
        a = None if avail is None else avail[..., i:i + 1, :self.agents[i].output_size]
        out, _ = step(obs[..., i:i + 1, :], h, a, reset=reset)
        return out

    def forward(self, obs: Tensor, hidden: Tensor | None = None, avail: Tensor | None = None,
                reset: Tensor | None = None) -> tuple[ActorOutput, Tensor]:
        outs, hiddens = [], []
        for i, actor in enumerate(self.agents):
            h = None if hidden is None else hidden[..., i:i + 1, :]
            a = None if avail is None else avail[..., i:i + 1, :actor.output_size]
            out, h = actor(obs[..., i:i + 1, :], h, a, reset)
            outs.append(out)
            hiddens.append(h)
        return self._join(outs, lambda xs: torch.cat(xs, dim=-2)), torch.cat(hiddens, dim=-2)

    def unroll(self, obs: Tensor, hidden: Tensor | None = None, avail: Tensor | None = None,
               reset: Tensor | None = None) -> tuple[ActorOutput, Tensor]:
        outs, h = [], hidden
        for t in range(obs.shape[0]):
            out, h = self.forward(obs[t], h, None if avail is None else avail[t],
                                  None if reset is None else reset[t])
            outs.append(out)
        assert h is not None
        return self._join(outs, torch.stack), h


def _given(x: Tensor | None) -> Tensor:
    assert x is not None
    return x


@register
class HAPPO(PPOAlgorithm):
    """Sequential per-agent PPO in a random order, advantages weighted by the compounded ratio."""

    name = "happo"
    config_class = HAPPOConfig
    config: HAPPOConfig
    supports_continuous = True
    supports_action_masks = True

    def __init__(self, spec: EnvSpec, config: HAPPOConfig) -> None:
        super().__init__(spec, config)
        self.actors = SeparateActors(spec, config.actor)  # type: ignore[assignment]
        self._assemble({}, actors=self.actors)  # "ppo": the critic's optimizer
        for i, actor in enumerate(self.actors.agents):
            self.optimizers[f"actor{i}"] = adam(actor.parameters(), config.lr)
        self._agent = 0

    @torch.no_grad()
    def act(self, obs: Tensor, state: Tensor, carry: dict[str, Tensor], starts: Tensor,
            avail: Tensor | None = None) -> StepOutput:
        out, hidden = self.actors(obs, carry["hidden"], avail, reset=starts)
        dist = policy_dist(out)
        actions = dist.sample()
        return StepOutput(actions, dist.log_prob(actions), self.value(state), {"hidden": hidden})

    def _agent_log_prob(self, mb: Rollout, i: int) -> tuple[Tensor, Tensor]:
        recurrent = self.actors.config.recurrent
        out = self.actors.agent(i, mb.obs, mb.carry0["hidden"] if recurrent else None,
                                mb.starts if recurrent else None, recurrent, mb.avail)
        dist = policy_dist(out)  # batch (..., 1): agent i alone
        actions = mb.actions[..., i:i + 1, :] if self.spec.continuous else mb.actions[..., i:i + 1]
        return dist.log_prob(actions)[..., 0], dist.entropy()[..., 0]

    def policy_loss(self, mb: Rollout) -> tuple[Tensor, dict[str, Tensor]]:
        """Agent ``self._agent``'s HAPPO loss; the compounded ratio is ``mb.extras["factor"]``."""
        assert mb.advantages is not None
        i = self._agent
        logp, entropy = self._agent_log_prob(mb, i)
        log_ratio = logp - mb.log_prob[..., i]
        ratio = torch.exp(log_ratio)
        adv = mb.advantages
        surr = torch.minimum(ratio * adv, ratio.clamp(1 - self.config.clip, 1 + self.config.clip) * adv)
        loss = -(mb.extras["factor"] * surr).mean() - self.config.entropy_coef * entropy.mean()
        _, clip_frac = clipped_surrogate(log_ratio, adv, self.config.clip)
        return loss, {"entropy": entropy.mean().detach(), "clip_frac": clip_frac,
                      "approx_kl": ((ratio - 1) - log_ratio).mean().detach()}

    def _step(self, key: str, loss: Tensor, params: list[nn.Parameter]) -> Tensor:
        if not bool(torch.isfinite(loss)):
            raise NonFiniteError(f"non-finite {key} loss {float(loss.detach())}")
        self.optimizers[key].zero_grad(set_to_none=True)
        loss.backward()
        norm = clip_grad_norm(params, self.config.max_grad_norm)
        if not bool(torch.isfinite(norm)):
            raise NonFiniteError(f"non-finite {key} gradient norm")
        self.optimizers[key].step()
        return norm

    def update(self, batch: Rollout) -> dict[str, float]:
        cfg = self.config
        self.prepare(batch)
        sums: dict[str, float] = {}
        count = 0
        critic_params = list(self.critic.parameters())
        for _ in range(cfg.epochs):
            for idx in minibatch_indices(batch.num_envs, cfg.num_minibatches):
                v_loss = self.value_loss(batch.env_slice(idx))
                self._step("ppo", cfg.value_coef * v_loss, critic_params)
                sums["value_loss"] = sums.get("value_loss", 0.0) + float(v_loss.detach())
                count += 1
        out = {"value_loss": sums.pop("value_loss") / count}
        factor = torch.ones_like(batch.rewards)
        count = 0
        for i in torch.randperm(self.spec.num_agents).tolist():
            self._agent = i
            batch.extras["factor"] = factor
            params = list(self.actors.agents[i].parameters())
            for _ in range(cfg.epochs):
                for idx in minibatch_indices(batch.num_envs, cfg.num_minibatches):
                    loss, metrics = self.policy_loss(batch.env_slice(idx))
                    norm = self._step(f"actor{i}", loss, params)
                    for k, v in {**metrics, "policy_loss": loss.detach(), "grad_norm": norm}.items():
                        sums[k] = sums.get(k, 0.0) + float(v)
                    count += 1
            with torch.no_grad():
                new_logp, _ = self._agent_log_prob(batch, i)
                factor = factor * torch.exp(new_logp - batch.log_prob[..., i])
        batch.extras.pop("factor")
        out.update({k: v / count for k, v in sums.items()})
        out["factor_mean"] = float(factor.mean())
        return out
