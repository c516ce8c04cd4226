"""Independent softmax policy-gradient learners on cooperative normal-form games, exact gradients.

Each agent i holds logits θ_i and plays π_i = softmax(θ_i); the common value is
V(θ) = Σ_a R(a) Π_i π_i(a_i). With Q_i(a_i) = E_{a_-i ~ π_-i} R(a_i, a_-i) (the expected reward of
a_i against the others' current policies) the exact gradient is

    ∂V/∂θ_i(b) = Σ_{a_i} Q_i(a_i) π_i(a_i) (1[a_i = b] − π_i(b)) = π_i(b) (Q_i(b) − V),

since V = Σ_{a_i} π_i(a_i) Q_i(a_i) for every i. Each agent ascends its own gradient
simultaneously (θ_i += α ∂V/∂θ_i): the classical "independent learners" of Claus & Boutilier
(1998), here without sampling noise. The dynamics climb to a local maximum of V over the product
of simplices (in generic games a pure NE), not necessarily the global optimum: on the climbing game
the −30 miscoordination penalties make (a1, b1) = 11 hard to reach.

:func:`run_independent` runs one initialisation (Q by ``np.tensordot``);
:func:`run_independent_batch` runs many initialisations at once (vectorised over a batch axis).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from games.errors import GameError
from games.normal_form.game import NormalFormGame
from learners.exact.config import check_config
from learners.exact.gradients import softmax

__all__ = [
    "IndependentBatchResult",
    "IndependentConfig",
    "IndependentResult",
    "policy_gradient",
    "q_values",
    "run_independent",
    "run_independent_batch",
    "value",
]


@dataclass(frozen=True)
class IndependentConfig:
    """Hyper-parameters of independent policy-gradient ascent.

    Attributes:
        lr: step size α > 0 of θ_i ← θ_i + α ∂V/∂θ_i.
        iterations: maximum number of (simultaneous) gradient steps.
        tol: stop once every agent's gradient has max-norm ≤ ``tol`` (0 runs all iterations).
    """

    lr: float = 0.5
    iterations: int = 2000
    tol: float = 1e-10

    def __post_init__(self) -> None:
        check_config(self, positive=("lr",), nonnegative=("iterations", "tol"))


@dataclass(frozen=True, eq=False)
class IndependentResult:
    """Record of :func:`run_independent` (K = number of steps taken).

    Attributes:
        values: V(θ_0) .. V(θ_K), shape (K + 1,).
        logits: the final logits, one array per agent.
        policies: the final softmax policies, one array per agent.
        gradient_norm: max-norm of the final gradient (over all agents).
        converged: whether the run stopped on ``tol`` before ``iterations``.
    """

    values: np.ndarray
    logits: tuple[np.ndarray, ...]
    policies: tuple[np.ndarray, ...]
    gradient_norm: float
    converged: bool

    @property
    def final_value(self) -> float:
        return float(self.values[-1])

    @property
    def joint_action(self) -> tuple[int, ...]:
        """Each agent's most likely action under the final policy."""
        return tuple(int(np.argmax(p)) for p in self.policies)


@dataclass(frozen=True, eq=False)
class IndependentBatchResult:
    """Record of :func:`run_independent_batch` over B initialisations.

    Attributes:
        values: V per step and initialisation, shape (K + 1, B).
        policies: final policies per agent, each shape (B, A_i).
        gradient_norm: final gradient max-norm per initialisation, shape (B,).
    """

    values: np.ndarray
    policies: tuple[np.ndarray, ...]
    gradient_norm: np.ndarray

    @property
    def final_values(self) -> np.ndarray:
        return self.values[-1]


# ----------------------------------------------------------------------------- exact quantities
def _reward(game: NormalFormGame) -> np.ndarray:
    return np.asarray(game.common_reward("independent learners"), dtype=float)


def q_values(reward: np.ndarray, policies: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Q_i(a_i) = E_{a_-i ~ π_-i} R(a_i, a_-i) for every agent i (the deviation payoffs of the
    common-payoff game R, :meth:`NormalFormGame.deviation_payoffs`)."""
    return NormalFormGame.cooperative(reward).deviation_payoffs(policies)


def value(reward: np.ndarray, policies: Sequence[np.ndarray]) -> float:
    """V(π) = E_{a ~ Π_i π_i} R(a)."""
    t = np.asarray(reward, dtype=float)
    for j in reversed(range(t.ndim)):
        t = np.tensordot(t, policies[j], axes=([j], [0]))
    return float(t)


def policy_gradient(reward: np.ndarray, logits: Sequence[np.ndarray]) -> tuple[list[np.ndarray], float]:
    """(∂V/∂θ_i for every agent, V) at ``logits``: ∂V/∂θ_i(a) = π_i(a) (Q_i(a) − V)."""
    pols = [softmax(z) for z in logits]
    qs = q_values(reward, pols)
    v = float(qs[0] @ pols[0])
    return [p * (q - v) for p, q in zip(pols, qs, strict=True)], v


def _check_logits(game: NormalFormGame, init_logits: Sequence[np.ndarray] | None) -> list[np.ndarray]:
    if init_logits is None:
        return [np.zeros(m) for m in game.num_actions]
    if len(init_logits) != game.num_players:
        raise GameError(f"init_logits needs {game.num_players} per-agent arrays, got {len(init_logits)}")
    out = []
    for i, (z, m) in enumerate(zip(init_logits, game.num_actions, strict=True)):
        arr = np.array(z, dtype=float)
        if arr.shape != (m,) or not np.all(np.isfinite(arr)):
            raise GameError(f"init_logits[{i}] must be {m} finite numbers, got {z!r}")
        out.append(arr)
    return out


# ----------------------------------------------------------------------------- the loops
def run_independent(game: NormalFormGame, config: IndependentConfig | None = None,
                    init_logits: Sequence[np.ndarray] | None = None) -> IndependentResult:
    """Simultaneous exact gradient ascent of every agent's logits (default start: uniform policies)."""
    config = config or IndependentConfig()
    reward = _reward(game)
    theta = _check_logits(game, init_logits)
    grads, v = policy_gradient(reward, theta)
    values = [v]
    norm = max(float(np.max(np.abs(g))) for g in grads)
    converged = norm <= config.tol
    for _ in range(int(config.iterations)):
        if converged:
            break
        theta = [z + config.lr * g for z, g in zip(theta, grads, strict=True)]
        grads, v = policy_gradient(reward, theta)
        values.append(v)
        norm = max(float(np.max(np.abs(g))) for g in grads)
        converged = norm <= config.tol
    return IndependentResult(
        values=np.array(values),
        logits=tuple(theta),
        policies=tuple(softmax(z) for z in theta),
        gradient_norm=norm,
        converged=bool(converged),
    )


def batch_q(reward: np.ndarray, pols: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Q_i for a batch: pols[j] has shape (B, A_j); returns (B, A_i) per agent."""
    return NormalFormGame.cooperative(reward).deviation_payoffs(pols)


def batch_logits(game: NormalFormGame, init_logits: Sequence[np.ndarray] | None) -> list[np.ndarray]:
    """Validated copies of B starts' logits, ``init_logits[i]`` of shape (B, A_i), for the batched runs."""
    if init_logits is None or len(init_logits) != game.num_players:
        raise GameError(f"init_logits needs {game.num_players} arrays of shape (B, A_i)")
    out = [np.array(z, dtype=float) for z in init_logits]
    batch = out[0].shape[0] if out[0].ndim else 0
    for i, (z, m) in enumerate(zip(out, game.num_actions, strict=True)):
        if z.shape != (batch, m) or not np.all(np.isfinite(z)):
            raise GameError(f"init_logits[{i}] must be finite with shape ({batch}, {m}), got {z.shape}")
    return out


def run_independent_batch(game: NormalFormGame, config: IndependentConfig | None = None,
                          init_logits: Sequence[np.ndarray] | None = None) -> IndependentBatchResult:
    """:func:`run_independent` for B initialisations at once; ``init_logits[i]`` has shape (B, A_i).

    All B runs take the same number of steps: the loop stops when every run's gradient is below
    ``tol`` (or after ``iterations``); a converged run barely moves in the extra steps.
    """
    config = config or IndependentConfig()
    reward = _reward(game)
    theta = batch_logits(game, init_logits)

    def grad(th: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
        pols = [softmax(z) for z in th]
        qs = batch_q(reward, pols)
        v = np.einsum("ba,ba->b", qs[0], pols[0])
        gs = [p * (q - v[:, None]) for p, q in zip(pols, qs, strict=True)]
        return gs, v, np.max([np.abs(g).max(axis=1) for g in gs], axis=0)

    grads, v, norm = grad(theta)
    values = [v]
    for _ in range(int(config.iterations)):
        if np.all(norm <= config.tol):
            break
        theta = [z + config.lr * g for z, g in zip(theta, grads, strict=True)]
        grads, v, norm = grad(theta)
        values.append(v)
    return IndependentBatchResult(values=np.array(values), policies=tuple(softmax(z) for z in theta),
                                  gradient_norm=norm)
