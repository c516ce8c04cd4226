"""QMIX (Rashid, Samvelyan, de Witt, Farquhar, Foerster & Whiteson, "Monotonic Value Function
Factorisation for Deep Multi-Agent Reinforcement Learning", JMLR 2020): per-agent utilities
Q_i(o^i, a^i) mixed monotonically by hypernetworks of the state,

    Q_tot = W_2(s)ᵀ elu(W_1(s)ᵀ Q + b_1(s)) + V(s),   W_1, W_2 ≥ 0,
    L = E[(r + γ (1 - d) Q_tot^-(o', argmax Q(o'), s') - Q_tot(o, a, s))²],

from a replay buffer, with ε-greedy behaviour and target networks (the machinery is in
:mod:`learners.neural.algorithms.value_based`). Discrete actions only, as in the original. Execution is
decentralized: agent i plays argmax_a Q_i(o^i, a).
"""

from __future__ import annotations

from dataclasses import dataclass

from learners.neural.algorithms.base import EnvSpec, register
from learners.neural.algorithms.value_based import QLearner, QLearnerConfig

__all__ = ["QMIX", "QMIXConfig"]


@dataclass(frozen=True)
class QMIXConfig(QLearnerConfig):
    """QMIX's settings: those of :class:`~learners.neural.algorithms.value_based.QLearnerConfig`."""


@register
class QMIX(QLearner):
    """Monotonic value factorisation, double Q-learning from replay, ε-greedy."""

    name = "qmix"
    config_class = QMIXConfig
    config: QMIXConfig

    def __init__(self, spec: EnvSpec, config: QMIXConfig) -> None:
        super().__init__(spec, config)
        self._assemble()
