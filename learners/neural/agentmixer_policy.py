"""Neural AgentMixer policy (Li, Zhao, Wu & Pajarinen, AAAI 2025): actors + Policy Modifier + IGC head.

Training-time acting uses the correlated joint policy

    π_joint(a | s, o, ω) = Π_i β_i(a_i),   β_i = IGC(α_i, ε_i),   ε = PM(s, φ_1..φ_N, ω)   (Eq. 5, Def. 6)

where α_i = π_φ^i(· | o^i or h^i) are the decentralized actors (:mod:`learners.neural.actors`), PM is
the MLP-Mixer Policy Modifier (:mod:`learners.neural.modifier`) and IGC the mode-preserving head
(:mod:`learners.neural.heads`). Test-time execution uses the actors alone
(:meth:`AgentMixerPolicy.decentralized_dist`): no state, no PM, no ω. By IGC the joint mode equals
the tuple of the actors' modes, so greedy joint and greedy decentralized execution coincide.
Continuous actions: the joint is a diagonal Gaussian with the actors' means and the PM's log-std.
No training loop lives here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn
from torch.distributions import Categorical, Independent, Normal

from games.errors import GameError
from learners.neural.actors import ActorConfig, ActorOutput, Actors
from learners.neural.heads import (
    DEFAULT_BASE_CAP,
    DEFAULT_TORCH_RATIO_CAP,
    CoupledJointCategorical,
    GaussianIGCHead,
    JointCategorical,
    JointNormal,
    igc_cap_torch,
    igc_joint_categorical,
)
from learners.neural.modifier import ModifierConfig, PolicyModifier

__all__ = ["ActResult", "AgentMixerPolicy"]

JointDist = JointCategorical | JointNormal | CoupledJointCategorical
DecentralizedDist = Categorical | Independent


@dataclass(frozen=True, eq=False)
class ActResult:
    """Output of :meth:`AgentMixerPolicy.act`.

    Attributes:
        actions: (..., N) long (discrete) or (..., N, d) (continuous).
        log_prob: per-agent log-probabilities (..., N) under the distribution acted with; their
            sum over agents is the joint log-probability (both distributions are products).
        hidden: the actors' new hidden state (..., N, H).
    """

    actions: Tensor
    log_prob: Tensor
    hidden: Tensor


class AgentMixerPolicy(nn.Module):
    """Actors + Policy Modifier + IGC head.

    Args:
        n_agents: N.
        obs_dim: per-agent observation length.
        state_dim: global state length (read by the PM only).
        action_counts: discrete: A_i per agent (or one int); unequal counts are padded and masked.
        action_dim: continuous: d per agent. Exactly one of the two.
        actor_config, modifier_config: architectures (defaults if ``None``).
        ratio_cap, base_cap: c and q of the discrete IGC head (:func:`igc_modify_torch`).
        log_std_bounds: clamp of the PM's continuous log-std.
        action_bounds: continuous: the (N, d) box (low, high) that bounds the actors' means.
        joint: discrete: ``"product"`` (the paper's per-agent modifier, Π_i IGC(α_i, ε_i)) or
            ``"coupled"`` (free logits over the Π_i A_i joint actions, IGC by
            :func:`~learners.neural.heads.igc_cap_torch` at the actors' modes).
    """

    def __init__(self, n_agents: int, obs_dim: int, state_dim: int,
                 action_counts: int | Sequence[int] | None = None, action_dim: int | None = None,
                 actor_config: ActorConfig | None = None, modifier_config: ModifierConfig | None = None,
                 ratio_cap: float = DEFAULT_TORCH_RATIO_CAP, base_cap: float = DEFAULT_BASE_CAP,
                 log_std_bounds: tuple[float, float] = (-5.0, 2.0),
                 action_bounds: tuple[Sequence[Sequence[float]], Sequence[Sequence[float]]] | None = None,
                 joint: str = "product") -> None:
        super().__init__()
        if not 0.0 < base_cap < ratio_cap < 1.0:
            raise GameError(f"need 0 < base_cap < ratio_cap < 1, got {base_cap}, {ratio_cap}")
        self.actors = Actors(n_agents, obs_dim, action_counts, action_dim, actor_config, action_bounds)
        if joint not in ("product", "coupled") or (joint == "coupled" and not self.actors.discrete):
            raise GameError(f"joint must be 'product' or (discrete actions) 'coupled', got {joint!r}")
        self.joint = joint
        self.counts = tuple(int(a) for a in self.actors.action_counts) if self.actors.discrete else ()
        out = self.actors.output_size
        policy_in = out if self.actors.discrete else 2 * out
        self.modifier = PolicyModifier(n_agents, state_dim, policy_in, out, modifier_config,
                                       joint_actions=math.prod(self.counts) if joint == "coupled" else 0)
        self.gaussian_head = None if self.actors.discrete else GaussianIGCHead(*log_std_bounds)
        self.ratio_cap = float(ratio_cap)
        self.base_cap = float(base_cap)

    @property
    def n_agents(self) -> int:
        return self.actors.n_agents

    @property
    def discrete(self) -> bool:
        return self.actors.discrete

    @property
    def num_seeds(self) -> int:
        return int(self.modifier.config.num_seeds)

    def initial_hidden(self, batch_size: int) -> Tensor:
        """The actors' initial hidden state (B, N, H) (H = 0 for feed-forward actors)."""
        return self.actors.initial_hidden(batch_size)

    def sample_seed(self, batch_size: int, generator: torch.Generator | None = None) -> Tensor | None:
        """ω ~ Uniform{0, ..., num_seeds - 1}, shape (B,), to draw once per episode (None without seeds)."""
        if self.num_seeds == 0:
            return None
        return torch.randint(self.num_seeds, (batch_size,), generator=generator,
                             device=self.actors.agent_ids.device)

    def modify(self, actor_out: ActorOutput, state: Tensor, seed_omega: Tensor | None = None) -> JointDist:
        """The joint distribution from precomputed actor outputs (e.g. of :meth:`Actors.unroll`)."""
        if self.joint == "coupled":
            return self._coupled(actor_out, state, seed_omega)
        pm = self.modifier(state, actor_out.policy_features(), seed_omega)
        if actor_out.logits is not None:
            return igc_joint_categorical(actor_out.logits, pm, self.ratio_cap, self.base_cap, actor_out.avail)
        assert self.gaussian_head is not None and actor_out.mean is not None
        return self.gaussian_head(actor_out.mean, pm)

    def _coupled(self, actor_out: ActorOutput, state: Tensor,
                 seed_omega: Tensor | None) -> CoupledJointCategorical:
        """The correlated joint: free logits z over the joint actions (unavailable ones at −inf),
        capped at the flat index of the actors' argmaxes."""
        assert actor_out.logits is not None
        z = self.modifier.joint_logits(state, actor_out.policy_features(), seed_omega)
        avail = actor_out.logits > float("-inf")
        if actor_out.avail is not None:
            avail = avail & actor_out.avail.bool()
        lead, n = z.shape[:-1], len(self.counts)
        joint_ok = torch.ones(lead + self.counts, dtype=torch.bool, device=z.device)
        for i, a in enumerate(self.counts):
            shape = [*lead, *([1] * n)]
            shape[len(lead) + i] = a
            joint_ok = joint_ok & avail[..., i, :a].reshape(shape)
        z = z.masked_fill(~joint_ok.reshape(*lead, -1), float("-inf"))
        mode = actor_out.logits.masked_fill(~avail, float("-inf")).argmax(dim=-1)      # (..., N)
        strides = torch.tensor([math.prod(self.counts[i + 1:]) for i in range(n)], device=z.device)
        log_beta = igc_cap_torch(z, (mode * strides).sum(dim=-1), self.ratio_cap)
        return CoupledJointCategorical(log_beta, self.counts, mode, z)

    def joint_dist(self, obs: Tensor, state: Tensor, hidden: Tensor | None = None,
                   seed_omega: Tensor | None = None, avail: Tensor | None = None,
                   reset: Tensor | None = None) -> tuple[JointDist, Tensor]:
        """Training-time joint policy: obs (..., N, obs_dim), state (..., state_dim), ω (...) long.

        Returns (:class:`JointCategorical` or :class:`JointNormal`, new hidden (..., N, H)).
        """
        actor_out, hidden = self.actors(obs, hidden, avail, reset)
        return self.modify(actor_out, state, seed_omega), hidden

    @staticmethod
    def actor_dist(actor_out: ActorOutput) -> DecentralizedDist:
        """Per-agent distributions of the actors alone: Categorical with batch (..., N), or
        Independent(Normal) with batch (..., N) and event (d,)."""
        if actor_out.logits is not None:
            return Categorical(logits=actor_out.logits, validate_args=False)
        assert actor_out.mean is not None and actor_out.log_std is not None
        return Independent(Normal(actor_out.mean, actor_out.log_std.exp(), validate_args=False), 1)

    def decentralized_dist(self, obs: Tensor, hidden: Tensor | None = None, avail: Tensor | None = None,
                           reset: Tensor | None = None) -> tuple[DecentralizedDist, Tensor]:
        """Test-time execution: each agent's own policy from its own observation (no PM, no state)."""
        actor_out, hidden = self.actors(obs, hidden, avail, reset)
        return self.actor_dist(actor_out), hidden

    def act(self, obs: Tensor, state: Tensor | None = None, hidden: Tensor | None = None,
            seed_omega: Tensor | None = None, avail: Tensor | None = None, reset: Tensor | None = None,
            mode: Literal["joint", "decentralized"] = "joint", deterministic: bool = False) -> ActResult:
        """Pick actions with the joint (needs ``state``) or the decentralized policy.

        ``deterministic`` takes the mode, which is the same in both modes (IGC). No gradients.
        """
        with torch.no_grad():
            if mode == "joint":
                if state is None:
                    raise GameError("mode='joint' needs the global state")
                dist, hidden = self.joint_dist(obs, state, hidden, seed_omega, avail, reset)
                actions = dist.mode if deterministic else dist.sample()
                log_prob = dist.log_prob_per_agent(actions)
            elif mode == "decentralized":
                actor_out, hidden = self.actors(obs, hidden, avail, reset)
                dec = self.actor_dist(actor_out)
                if not deterministic:
                    actions = dec.sample()
                else:  # argmax of the raw logits: the tie rule of the IGC head (first maximum)
                    actions = actor_out.logits.argmax(dim=-1) if actor_out.logits is not None \
                        else actor_out.mean
                log_prob = dec.log_prob(actions)
            else:
                raise GameError(f"mode must be 'joint' or 'decentralized', got {mode!r}")
        return ActResult(actions, log_prob, hidden)
