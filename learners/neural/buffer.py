"""Rollout storage over (T steps, B environment copies) and generalised advantage estimation
(GAE, Schulman et al. ICLR 2016, Eq. 16):

    δ_t = r_t + γ (1 - d_t) V(s_{t+1}) - V(s_t),       Â_t = δ_t + γ λ (1 - d_t) Â_{t+1},

with ``R_t = Â_t + V(s_t)`` the value targets. ``d_t`` is the ``done`` flag of the transition taken
at step t: the environments of :mod:`games.envs` reset finished copies inside ``step``, so after a
done the next stored state belongs to a *new* episode and must not be bootstrapped from.

Truncation: a copy that hit its time limit (``truncated``) should bootstrap with V of the final
state of the ended episode. Environments that report it (``TimeStep.final_state``: PettingZoo,
MaMuJoCo) get it: the trainer adds γ V(s_final) to the reward of each truncated transition
(:func:`learners.neural.trainer.collect`), which with the cut d_t = 1 gives exactly
δ_t = r_t + γ V(s_final) - V(s_t). The built-in numpy tasks report no final state; there truncation
is treated like termination (no bootstrap). That biases values near the time limit downwards for
tasks whose limit is not part of the task; those tasks either have a true horizon (matrix games,
Dec-POMDPs: ``limit_is_terminal``) or include the step fraction in the state, so V can learn the
cut-off.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import torch
from torch import Tensor

__all__ = ["Rollout", "compute_gae", "minibatch_indices"]


def compute_gae(rewards: Tensor, values: Tensor, dones: Tensor, last_value: Tensor,
                gamma: float, lam: float) -> tuple[Tensor, Tensor]:
    """Advantages and returns (both (T, B)) from rewards, values, dones (T, B) and V(s_T) (B,).

    ``dones[t]`` True cuts the recursion after step t (termination or truncation alike, see the
    module docstring).
    """
    steps = rewards.shape[0]
    adv = torch.zeros_like(rewards)
    running = torch.zeros_like(last_value)
    next_value = last_value
    for t in reversed(range(steps)):
        live = 1.0 - dones[t].to(rewards.dtype)
        delta = rewards[t] + gamma * live * next_value - values[t]
        running = delta + gamma * lam * live * running
        adv[t] = running
        next_value = values[t]
    return adv, adv + values


@dataclass
class Rollout:
    """One batch of experience, every tensor with leading axes (T, B).

    Attributes:
        obs: (T, B, N, obs_dim) the agents' observations at each step.
        state: (T, B, state_dim) the global state.
        actions: (T, B, N) long joint actions taken, or (T, B, N, d) float (continuous).
        log_prob: (T, B, N) per-agent log-probabilities under the behaviour policy.
        rewards: (T, B) team rewards.
        dones: (T, B) bool, the transition ended the episode (terminal or truncated).
        starts: (T, B) bool, step t is the first of an episode (resets recurrent state).
        values: (T, B) V(s_t), denormalised.
        last_value: (B,) V(s_T), denormalised, for bootstrapping.
        carry0: the algorithm's per-copy carry before step 0 (e.g. ``"hidden"`` (B, N, H), the
            actors' recurrent state), each tensor with leading axis B.
        extras: algorithm-specific (T, B, ...) tensors (e.g. the episode seed ω, expert flags).
        avail: (T, B, N, A_max) bool action masks of each step, or None (no masks).
        advantages, returns: filled by :meth:`finish`.
    """

    obs: Tensor
    state: Tensor
    actions: Tensor
    log_prob: Tensor
    rewards: Tensor
    dones: Tensor
    starts: Tensor
    values: Tensor
    last_value: Tensor
    carry0: dict[str, Tensor]
    extras: dict[str, Tensor] = field(default_factory=dict)
    avail: Tensor | None = None
    advantages: Tensor | None = None
    returns: Tensor | None = None

    @property
    def num_steps(self) -> int:
        return int(self.rewards.shape[0])

    @property
    def num_envs(self) -> int:
        return int(self.rewards.shape[1])

    def finish(self, gamma: float, lam: float) -> Rollout:
        """Fill ``advantages`` and ``returns`` by GAE(γ, λ); returns self."""
        self.advantages, self.returns = compute_gae(self.rewards, self.values, self.dones,
                                                    self.last_value, gamma, lam)
        return self

    def env_slice(self, idx: Tensor) -> Rollout:
        """The sub-batch of the environment copies ``idx`` (all T steps: sequences stay whole)."""
        out: dict[str, object] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "last_value":
                out[f.name] = v[idx]
            elif f.name == "carry0":
                out[f.name] = {k: t[idx] for k, t in v.items()}
            elif f.name == "extras":
                out[f.name] = {k: t[:, idx] for k, t in v.items()}
            else:
                out[f.name] = None if v is None else v[:, idx]
        return Rollout(**out)  # type: ignore[arg-type]


def minibatch_indices(num_envs: int, num_minibatches: int, generator: torch.Generator | None = None
                      ) -> list[Tensor]:
    """A random split of the B environment copies into ``num_minibatches`` near-equal groups."""
    perm = torch.randperm(num_envs, generator=generator)
    k = max(1, min(int(num_minibatches), num_envs))
    return list(torch.tensor_split(perm, k))
