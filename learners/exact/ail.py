"""Asymmetric imitation learning (AIL), AgentMixer's ablation: learn the joint expert on the state,
then distil it into decentralized policies.

1. Expert: :func:`learners.exact.centralized.run_centralized` (soft policy iteration on the MMDP).
2. Student: the β-mixture distillation of AgentMixer Eq. 6 (DAgger-style behaviour β_k π_θ +
   (1 − β_k) π_η, β annealed linearly from ``beta0`` to 0 over the first ``anneal`` iterations),
   each step the exact forward-KL argmin — the implicit product policy (Eqs. 7–9), see
   :func:`learners.exact.implicit.distillation`.

The student inherits the expert's state-dependent coordination only where each agent can infer
the state (identifiability, Def. 5); where it cannot, AIL converges to a worse decentralized
policy: the asymmetric learning failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from games.dec_pomdp.model import DecPOMDP
from learners.exact.centralized import CentralizedConfig, CentralizedResult, run_centralized
from learners.exact.config import check_config
from learners.exact.implicit import DistillationResult, distillation

__all__ = ["AilConfig", "AilResult", "run_ail"]


@dataclass(frozen=True)
class AilConfig:
    """Expert training, then ``iterations`` distillation steps with β annealed from ``beta0``."""

    expert: CentralizedConfig = field(default_factory=CentralizedConfig)
    iterations: int = 10
    beta0: float = 1.0
    anneal: int = 5

    def __post_init__(self) -> None:
        check_config(self, nonnegative=("iterations", "anneal"), unit_interval=("beta0",))


@dataclass(frozen=True)
class AilResult:
    expert: CentralizedResult
    student: DistillationResult

    @property
    def final_value(self) -> float:
        """Value of the decentralized student."""
        return self.student.values[-1]


def run_ail(model: DecPOMDP, config: AilConfig | None = None, horizon: int | None = None) -> AilResult:
    cfg = config or AilConfig()
    expert = run_centralized(model, cfg.expert, horizon)

    def beta(k: int) -> float:
        return cfg.beta0 * max(0.0, 1.0 - k / cfg.anneal) if cfg.anneal > 0 else 0.0

    student = distillation(model, expert.policy, cfg.iterations, beta_schedule=beta,
                           horizon=expert.policy.shape[0])
    return AilResult(expert, student)
