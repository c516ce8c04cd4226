"""The centralized joint learner: a softmax policy over joint actions given the state, trained exactly.

π_t(a | s) on the fully observable MMDP of a Dec-POMDP (every agent sees s), updated by soft policy
iteration — the natural policy gradient of the softmax tabular policy (Kakade 2001; Agarwal et al.
2021), i.e. mirror descent with a KL proximal term:

    π_{k+1,t}(a | s) ∝ π_{k,t}(a | s) exp(η Q^{π_k}_t(s, a)),

with Q^{π_k} by exact backward induction. It converges to an optimal joint policy π_θ* (the MMDP
optimum, an upper bound on every decentralized value); from the uniform start the mass of tied
optimal joint actions stays equal (they receive identical updates), so the limit is uniform over
the optimal ones — the expert AIL and Theorem 1 distil.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from games.dec_pomdp.evaluation import evaluate_joint
from games.dec_pomdp.model import DecPOMDP
from learners.exact.config import check_config
from learners.exact.gradients import resolve_horizon

__all__ = ["CentralizedConfig", "CentralizedResult", "joint_q_values", "run_centralized"]


@dataclass(frozen=True)
class CentralizedConfig:
    """Soft policy iteration: ``iterations`` steps of size ``eta``, from the uniform joint policy."""

    iterations: int = 100
    eta: float = 1.0

    def __post_init__(self) -> None:
        check_config(self, positive=("eta",), nonnegative=("iterations",))


@dataclass(frozen=True)
class CentralizedResult:
    """``policy`` (H, S, JA); ``values[k]`` = J(π_k), k = 0..iterations."""

    policy: np.ndarray = field(repr=False)
    values: list[float]

    @property
    def final_value(self) -> float:
        return self.values[-1]


def joint_q_values(model: DecPOMDP, policy: np.ndarray, discount: float | None = None) -> np.ndarray:
    """Q^π_t(s, a) of a time-dependent joint policy ``policy`` (H, S, JA), by backward induction."""
    h = policy.shape[0]
    discount = model.resolve_discount(discount)
    q = np.empty(policy.shape)
    v = np.zeros(model.num_states)
    for t in reversed(range(h)):
        q[t] = model.reward + discount * (model.transition @ v)
        v = np.einsum("sa,sa->s", policy[t], q[t])
    return q


def run_centralized(model: DecPOMDP, config: CentralizedConfig | None = None,
                    horizon: int | None = None) -> CentralizedResult:
    """Train the joint policy on the MMDP of ``model`` (module docstring)."""
    cfg = config or CentralizedConfig()
    h = resolve_horizon(model, horizon)
    pi = np.full((h, model.num_states, model.num_joint_actions), 1.0 / model.num_joint_actions)
    values = [evaluate_joint(model, pi, h)]
    for _ in range(cfg.iterations):
        q = joint_q_values(model, pi)
        logits = np.log(np.maximum(pi, 1e-300)) + cfg.eta * (q - q.max(axis=-1, keepdims=True))
        logits -= logits.max(axis=-1, keepdims=True)
        pi = np.exp(logits)
        pi /= pi.sum(axis=-1, keepdims=True)
        values.append(evaluate_joint(model, pi, h))
    return CentralizedResult(pi, values)
