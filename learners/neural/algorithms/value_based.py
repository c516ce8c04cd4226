"""Value-based CTDE machinery shared by QMIX and MAVEN: per-agent utilities Q_i(o^i, a^i), the
monotonic mixing network, a transition replay buffer and the Q-learning update.

QMIX (Rashid, Samvelyan, de Witt, Farquhar, Foerster & Whiteson, JMLR 2020, Sec. 4 / Eq. 7):

    Q_tot(o, a, s) = W_2(s)ᵀ elu(W_1(s)ᵀ [Q_1(o^1, a^1) .. Q_N(o^N, a^N)] + b_1(s)) + V(s),

with W_1, W_2 = |hypernetwork(s)| (non-negative, so ∂Q_tot/∂Q_i ≥ 0 and the per-agent argmaxes
form the argmax of Q_tot), b_1 a hypernetwork of s and V(s) a two-layer MLP; trained on replayed
transitions by

    L = E[(r + γ (1 - d) Q_tot^-(o', ā', s') - Q_tot(o, a, s))²],   ā'_i = argmax Q_i(o'^i, ·)

(double Q-learning: the online agents pick ā', the target networks ^- value it; the targets are
hard copies refreshed every ``target_update_interval`` updates). Behaviour is ε-greedy with ε
annealed linearly over the training fraction; execution is each agent's argmax of its own Q_i.

The trainer hands over rollouts of T steps; a rollout's last transition waits (``pending``) until
the next rollout supplies its next observation, and the pending transition, the replay contents
and the counters are checkpointed so that a resumed run continues bit for bit. The replay holds
single transitions, so the agents are feed-forward (recurrent agents need episode replay). Actions
are discrete only: a continuous environment raises a ConfigError when the learner is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from games.errors import ConfigError
from learners.neural.actors import ActorConfig, Actors
from learners.neural.algorithms.base import (
    Algorithm,
    AlgorithmConfig,
    EnvSpec,
    NonFiniteError,
    StepOutput,
    adam,
    clip_grad_norm,
)
from learners.neural.buffer import Rollout
from learners.neural.critic import mlp

__all__ = ["QLearner", "QLearnerConfig", "QMixer", "Replay"]


@dataclass(frozen=True)
class QLearnerConfig(AlgorithmConfig):
    """Hyper-parameters of QMIX-style learning (pymarl's defaults where they apply).

    Attributes:
        lr: Adam learning rate of the agents and the mixer.
        gamma: discount.
        buffer_size: replay capacity in transitions.
        batch_size: transitions per gradient step.
        gradient_steps: gradient steps per rollout (once the replay holds ``batch_size``).
        target_update_interval: refresh the target networks every this many updates.
        epsilon_start, epsilon_finish: ε-greedy exploration, annealed linearly ...
        epsilon_anneal_fraction: ... over this fraction of training, then held.
        double_q: double Q-learning targets.
        mixer_embed: width of the mixing network.
        hypernet_hidden: width of the hypernetworks' hidden layer.
        max_grad_norm: global gradient-norm clip.
        agent: the per-agent utility networks (feed-forward; ``output_gain`` scales the initial Q).
    """

    lr: float = 5e-4
    gamma: float = 0.99
    buffer_size: int = 5000
    batch_size: int = 128
    gradient_steps: int = 4
    target_update_interval: int = 20
    epsilon_start: float = 1.0
    epsilon_finish: float = 0.05
    epsilon_anneal_fraction: float = 0.5
    double_q: bool = True
    mixer_embed: int = 32
    hypernet_hidden: int = 64
    max_grad_norm: float = 10.0
    agent: ActorConfig = field(default_factory=lambda: ActorConfig(output_gain=1.0))

    def __post_init__(self) -> None:
        if self.agent.recurrent:
            raise ConfigError("the value-based learners replay single transitions: "
                              "agent.recurrent must be false")
        if not (self.lr > 0 and 0 <= self.gamma <= 1 and self.max_grad_norm > 0):
            raise ConfigError("need lr > 0, gamma in [0, 1] and max_grad_norm > 0")
        if min(self.buffer_size, self.batch_size, self.gradient_steps, self.target_update_interval,
               self.mixer_embed, self.hypernet_hidden) < 1 or self.batch_size > self.buffer_size:
            raise ConfigError("buffer, batch, step, interval and width settings must be >= 1 and "
                              "batch_size <= buffer_size")
        if not (0 <= self.epsilon_finish <= self.epsilon_start <= 1
                and 0 <= self.epsilon_anneal_fraction <= 1):
            raise ConfigError("need 0 <= epsilon_finish <= epsilon_start <= 1 and the anneal "
                              "fraction in [0, 1]")


class QMixer(nn.Module):
    """The monotonic mixing network: (Q_i (..., N), state (..., S)) -> Q_tot (...)."""

    def __init__(self, num_agents: int, state_dim: int, embed: int, hidden: int) -> None:
        super().__init__()
        self.n, self.embed = int(num_agents), int(embed)
        self.hyper_w1 = mlp(state_dim, (hidden,), self.n * self.embed, "relu")
        self.hyper_b1 = nn.Linear(state_dim, self.embed)
        self.hyper_w2 = mlp(state_dim, (hidden,), self.embed, "relu")
        self.v = mlp(state_dim, (self.embed,), 1, "relu")

    def forward(self, qs: Tensor, state: Tensor) -> Tensor:
        w1 = self.hyper_w1(state).abs().reshape(*state.shape[:-1], self.n, self.embed)
        h = nn.functional.elu((qs[..., None, :] @ w1).squeeze(-2) + self.hyper_b1(state))
        w2 = self.hyper_w2(state).abs()
        return (h * w2).sum(-1) + self.v(state).squeeze(-1)


class Replay:
    """A circular buffer of transitions (tensors with leading capacity axis), checkpointable."""

    def __init__(self, capacity: int) -> None:
        self.capacity, self.size, self.pos = int(capacity), 0, 0
        self.data: dict[str, Tensor] = {}

    def add(self, items: dict[str, Tensor]) -> None:
        count = next(iter(items.values())).shape[0]
        if not self.data:
            self.data = {k: torch.zeros(self.capacity, *v.shape[1:], dtype=v.dtype) for k, v in items.items()}
        idx = (self.pos + torch.arange(count)) % self.capacity
        for k, v in items.items():
            self.data[k][idx] = v
        self.pos = int((self.pos + count) % self.capacity)
        self.size = min(self.capacity, self.size + count)

    def sample(self, batch_size: int) -> dict[str, Tensor]:
        idx = torch.randint(self.size, (batch_size,))
        return {k: v[idx] for k, v in self.data.items()}

    def state_dict(self) -> dict[str, Any]:
        return {"size": self.size, "pos": self.pos, "data": {k: v.clone() for k, v in self.data.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.size, self.pos = int(state["size"]), int(state["pos"])
        self.data = {k: v.clone() for k, v in state["data"].items()}


class QLearner(Algorithm):
    """QMIX's learner; MAVEN extends the agents' input, the carry and the losses."""

    config: QLearnerConfig
    supports_action_masks = True

    def __init__(self, spec: EnvSpec, config: QLearnerConfig, extra_input: int = 0) -> None:
        super().__init__(spec, config)
        if spec.continuous:  # the utilities Q_i(o^i, ·) are one output per action
            raise ConfigError(f"{self.name} does not train on continuous actions (its Q_i needs a finite "
                              "action set)")
        width = spec.obs_dim + extra_input
        self.actors = Actors(spec.num_agents, width, spec.num_actions, config=config.agent)
        self.mixer = QMixer(spec.num_agents, spec.state_dim, config.mixer_embed, config.hypernet_hidden)
        self.target_actors = Actors(spec.num_agents, width, spec.num_actions, config=config.agent)
        self.target_mixer = QMixer(spec.num_agents, spec.state_dim, config.mixer_embed,
                                   config.hypernet_hidden)
        self.target_actors.load_state_dict(self.actors.state_dict())
        self.target_mixer.load_state_dict(self.mixer.state_dict())
        self.replay = Replay(config.buffer_size)
        self.pending: dict[str, Tensor] | None = None
        self.updates = 0

    def _assemble(self, **others: nn.Module) -> None:
        self.modules = nn.ModuleDict({"agents": self.actors, "mixer": self.mixer,
                                      "target_agents": self.target_actors,
                                      "target_mixer": self.target_mixer, **others})
        params = [p for m in (self.actors, self.mixer, *others.values()) for p in m.parameters()]
        self.optimizers = {"q": adam(params, self.config.lr)}

    # -------------------------------------------------------------- acting
    @property
    def epsilon(self) -> float:
        cfg = self.config
        anneal = cfg.epsilon_anneal_fraction
        frac = 1.0 if anneal <= 0 else min(1.0, self.progress / anneal)
        return cfg.epsilon_start + frac * (cfg.epsilon_finish - cfg.epsilon_start)

    def agent_input(self, obs: Tensor, latent: Tensor | None) -> Tensor:
        """What the utilities read: the observation (MAVEN appends the latent)."""
        return obs

    def _egreedy(self, q: Tensor, eps: float,
                 generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """ε-greedy actions over the available slots and their behaviour log-probabilities."""
        avail = torch.isfinite(q)
        greedy = q.argmax(-1)
        uniform = avail.to(q.dtype) / avail.sum(-1, keepdim=True)
        probs = eps * uniform + (1 - eps) * nn.functional.one_hot(greedy, q.shape[-1]).to(q.dtype)
        flat = probs.reshape(-1, q.shape[-1])
        actions = torch.multinomial(flat, 1, generator=generator).reshape(greedy.shape)
        return actions, probs.gather(-1, actions[..., None]).squeeze(-1).log()

    def value(self, state: Tensor) -> Tensor:
        return torch.zeros(state.shape[0])

    @torch.no_grad()
    def act(self, obs: Tensor, state: Tensor, carry: dict[str, Tensor], starts: Tensor,
            avail: Tensor | None = None) -> StepOutput:
        q, _ = self.actors(self.agent_input(obs, None), None, avail)
        actions, logp = self._egreedy(q.logits, self.epsilon)
        return StepOutput(actions, logp, self.value(state), carry)

    @torch.no_grad()
    def act_decentralized(self, obs: Tensor, hidden: Tensor | None, deterministic: bool,
                          generator: torch.Generator | None = None,
                          avail: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Each agent's argmax of its own Q_i; sampled: ε-greedy with ``epsilon_finish``."""
        q, hidden = self.actors(self.agent_input(obs, hidden), None, avail)
        assert q.logits is not None
        if deterministic:
            return q.logits.argmax(-1), hidden
        return self._egreedy(q.logits, self.config.epsilon_finish, generator)[0], hidden

    # -------------------------------------------------------------- learning
    def transitions(self, batch: Rollout) -> dict[str, Tensor]:
        """The rollout's transitions with their next observations (the last one kept pending)."""
        steps = {"obs": batch.obs, "state": batch.state, "actions": batch.actions, "reward": batch.rewards,
                 "done": batch.dones.to(torch.float32), "start": batch.starts, **batch.extras}
        if batch.avail is not None:
            steps["avail"] = batch.avail
        carried = {k: v for k, v in steps.items() if k in ("avail", *batch.extras)}
        nxt = {"next_obs": batch.obs[1:], "next_state": batch.state[1:],
               **{f"next_{k}": v[1:] for k, v in carried.items()}}
        out = {k: v[:-1] for k, v in steps.items()}
        out.update(nxt)
        if self.pending is not None:
            first = {"next_obs": batch.obs[0], "next_state": batch.state[0],
                     **{f"next_{k}": v[0] for k, v in carried.items()}}
            out = {k: torch.cat([{**self.pending, **first}[k][None], v]) for k, v in out.items()}
        self.pending = {k: v[-1] for k, v in steps.items()}
        return {k: v.reshape(-1, *v.shape[2:]) for k, v in out.items()}

    def td_loss(self, mb: dict[str, Tensor]) -> tuple[Tensor, dict[str, Tensor]]:
        cfg = self.config
        q, _ = self.actors(self.agent_input(mb["obs"], mb.get("latent")))
        chosen = q.logits.gather(-1, mb["actions"][..., None]).squeeze(-1)
        q_tot = self.mixer(chosen, mb["state"])
        with torch.no_grad():
            nxt = self.agent_input(mb["next_obs"], mb.get("next_latent"))
            tq, _ = self.target_actors(nxt, None, mb.get("next_avail"))
            pick = (self.actors(nxt, None, mb.get("next_avail"))[0].logits if cfg.double_q
                    else tq.logits).argmax(-1)
            target_q = self.target_mixer(tq.logits.gather(-1, pick[..., None]).squeeze(-1), mb["next_state"])
            y = mb["reward"] + cfg.gamma * (1.0 - mb["done"]) * target_q
        loss = ((q_tot - y) ** 2).mean()
        return loss, {"td_loss": loss.detach(), "q_tot": q_tot.mean().detach()}

    def extra_loss(self, mb: dict[str, Tensor]) -> tuple[Tensor, dict[str, Tensor]]:
        """Further terms (MAVEN's mutual-information loss); QMIX: none."""
        return torch.zeros(()), {}

    def update(self, batch: Rollout) -> dict[str, float]:
        cfg = self.config
        self.replay.add(self.transitions(batch))
        params = [p for g in self.optimizers["q"].param_groups for p in g["params"]]
        sums: dict[str, float] = {}
        steps = cfg.gradient_steps if self.replay.size >= cfg.batch_size else 0
        for _ in range(steps):
            mb = self.replay.sample(cfg.batch_size)
            loss, metrics = self.td_loss(mb)
            extra, more = self.extra_loss(mb)
            total = loss + extra
            if not bool(torch.isfinite(total)):
                raise NonFiniteError(f"non-finite Q-learning loss {float(total.detach())}")
            self.optimizers["q"].zero_grad(set_to_none=True)
            total.backward()
            norm = clip_grad_norm(params, cfg.max_grad_norm)
            if not bool(torch.isfinite(norm)):
                raise NonFiniteError("non-finite gradient norm")
            self.optimizers["q"].step()
            for k, v in {**metrics, **more, "grad_norm": norm}.items():
                sums[k] = sums.get(k, 0.0) + float(v)
        self.updates += 1
        if self.updates % cfg.target_update_interval == 0:
            self.target_actors.load_state_dict(self.actors.state_dict())
            self.target_mixer.load_state_dict(self.mixer.state_dict())
        out = {k: v / steps for k, v in sums.items()}
        out.update(epsilon=self.epsilon, replay_size=float(self.replay.size))
        return out

    # -------------------------------------------------------------- persistence
    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "replay": self.replay.state_dict(), "pending": self.pending,
                "updates": self.updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.replay.load_state_dict(state["replay"])
        self.pending, self.updates = state["pending"], int(state["updates"])

    def tabulate(self, model: Any, horizon: int, deterministic: bool) -> Any:
        """The greedy table, or its ε-greedy mixture with ``epsilon_finish`` (what is executed)."""
        table = super().tabulate(model, horizon, True)
        if deterministic or table is None:
            return table
        from games.dec_pomdp.policies import StochasticPolicy

        eps = self.config.epsilon_finish
        return StochasticPolicy(tuple(tuple((1 - eps) * p + eps / p.shape[-1] for p in agent)
                                      for agent in table.probs))
