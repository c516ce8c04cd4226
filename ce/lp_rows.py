"""Constraint-row assembly for the CE/CCE LPs of :mod:`ce.lp`, as compressed-row pieces.

:class:`Rows` accumulates ``lo <= A x <= hi`` blocks without per-row Python work;
:func:`lifted_cce_rows` writes the CCE incentive rows in a sparse lifted form;
:func:`linear_weights` and :func:`target_vector` turn objective arguments into flat vectors;
:func:`normalised_payoffs` and :func:`scale_of` make the LPs independent of the payoff scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ce.distributions import as_joint
from ce.errors import ConfigError
from ce.highs_backend import INF
from ce.polytope import player_blocks
from games.normal_form.game import NormalFormGame

__all__ = ["LINEAR_OBJECTIVES", "Rows", "ScaledObjective", "lifted_cce_rows", "linear_weights",
           "normalised_payoffs", "scale_of", "scaled_objective", "target_vector"]

LINEAR_OBJECTIVES = ("welfare", "linear", "feasibility")


class Rows:
    """Accumulates constraint rows ``lo <= A x <= hi`` as CSR pieces (no per-row Python work)."""

    def __init__(self) -> None:
        self.lengths: list[np.ndarray] = []
        self.idx: list[np.ndarray] = []
        self.val: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []

    @property
    def count(self) -> int:
        return int(sum(len(x) for x in self.lengths))

    def csr(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, lo: float,
            hi: float) -> None:
        rows = len(indptr) - 1
        self.lengths.append(np.diff(indptr))
        self.idx.append(np.asarray(indices, np.int32))
        self.val.append(np.asarray(data, np.float64))
        self.lo.append(np.full(rows, lo))
        self.hi.append(np.full(rows, hi))

    def dense(self, idx: np.ndarray, val: np.ndarray, lo: float | np.ndarray,
              hi: float | np.ndarray) -> None:
        """Rows of equal length: ``idx`` and ``val`` of shape (rows, length)."""
        idx, val = np.atleast_2d(idx), np.atleast_2d(val)
        rows = idx.shape[0]
        self.lengths.append(np.full(rows, idx.shape[1]))
        self.idx.append(idx.astype(np.int32).ravel())
        self.val.append(np.broadcast_to(val, idx.shape).astype(np.float64).ravel())
        self.lo.append(np.broadcast_to(np.asarray(lo, float), (rows,)))
        self.hi.append(np.broadcast_to(np.asarray(hi, float), (rows,)))

    def build(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        indptr = np.zeros(self.count + 1, dtype=np.int64)
        np.cumsum(np.concatenate(self.lengths), out=indptr[1:])
        return (indptr, np.concatenate(self.idx), np.concatenate(self.val),
                np.concatenate(self.lo), np.concatenate(self.hi))


def lifted_cce_rows(game: NormalFormGame, rows: Rows
                     ) -> tuple[int, list[tuple[np.ndarray, np.ndarray]]]:
    """CCE incentive rows in a sparse lifted form; returns the number of auxiliary columns.

    With m_i(a_-i) = Σ_{a_i} μ(a_i, a_-i) and v_i = E_μ[u_i] as extra columns, the CCE row of
    (i, a') reads Σ_{a_-i} m_i(a_-i) u_i(a', a_-i) - v_i <= 0: |A_-i| + 1 nonzeros instead of
    |A|. The definitions of m_i and v_i add 2|A| nonzeros per player. The incentive rows are
    appended to ``rows`` (in IncentiveConstraints' order, so their duals line up); the equality
    rows defining m_i and v_i are returned as (indices, data) blocks with the number of auxiliary
    columns, for the caller to append after the normalisation row.
    """
    n = game.num_joint_actions
    col = n
    defs: list[tuple[np.ndarray, np.ndarray]] = []
    for i in range(game.num_players):
        m = game.num_actions[i]
        u, cols = player_blocks(game, i)
        width = u.shape[1]
        marg = col + np.arange(width)
        value_col = col + width
        rows.dense(np.hstack([np.broadcast_to(marg, (m, width)), np.full((m, 1), value_col)]),
                   np.hstack([u, -np.ones((m, 1))]), -INF, 0.0)
        defs.append((np.hstack([cols.T, marg[:, None]]),
                     np.hstack([np.ones((width, m)), -np.ones((width, 1))])))
        defs.append((np.append(np.arange(n), value_col)[None, :],
                     np.append(game.payoffs[i].ravel(), -1.0)[None, :]))
        col = value_col + 1
    return col - n, defs


def linear_weights(game: NormalFormGame, objective: str, weights: np.ndarray | None) -> np.ndarray:
    """The flat objective vector w of a linear objective (welfare, linear, feasibility)."""
    if objective == "feasibility":
        return np.zeros(game.num_joint_actions)
    if objective == "welfare":
        return game.welfare.ravel()
    if weights is None:
        raise ConfigError("objective 'linear' needs weights of the joint-action shape")
    try:
        w = np.asarray(weights, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(f"weights must be numbers of shape {game.num_actions}") from None
    if w.shape != game.num_actions or not np.all(np.isfinite(w)):
        raise ConfigError(f"weights need finite entries of shape {game.num_actions}")
    return w.ravel()


def target_vector(game: NormalFormGame, target: np.ndarray | Sequence | None) -> np.ndarray:
    """The flat target q of the l1/l2 objectives (default: uniform), validated as a joint μ."""
    if target is None:
        return np.full(game.num_joint_actions, 1.0 / game.num_joint_actions)
    return as_joint(game, target).ravel()


def normalised_payoffs(game: NormalFormGame) -> tuple[NormalFormGame, np.ndarray]:
    """``game`` with u_i' = (u_i - min u_i) / range_i per player, and the ranges.

    The CE and CCE polytopes are invariant under positive affine maps of each player's payoffs, so
    the incentive rows are built from u' (entries in [0, 1] whatever the payoff scale); a player
    with constant payoffs keeps range 1 (its rows are all zero either way).
    """
    flat = game.payoffs.reshape(game.num_players, -1)
    lo = flat.min(axis=1)
    ranges = flat.max(axis=1) - lo
    ranges = np.where(ranges > 0, ranges, 1.0)
    shape = (game.num_players,) + (1,) * len(game.num_actions)
    scaled = (game.payoffs - lo.reshape(shape)) / ranges.reshape(shape)
    return game.with_payoffs(scaled), ranges


def scale_of(values: np.ndarray) -> float:
    """max |values| (1 if all are 0): the common factor that objective coefficients are divided by."""
    top = float(np.abs(values).max(initial=0.0))
    return top if top > 0 else 1.0


@dataclass(frozen=True)
class ScaledObjective:
    """An objective in the LP's scaled units: the original objective is ``scale · it + offset``.

    Linear objectives may drop a constant c (w·μ and (w - c)·μ differ by c on the simplex) and be
    divided by their range, so that neither a common offset nor the payoff scale reaches HiGHS.
    """

    name: str
    weights: np.ndarray | None = None   # linear objectives: (w - offset) / scale
    payoffs: np.ndarray | None = None   # egalitarian: (payoffs - offset) / scale, (N, |A|)
    target: np.ndarray | None = None    # l1, l2: q
    scale: float = 1.0
    offset: float = 0.0


def scaled_objective(game: NormalFormGame, objective: str, weights: np.ndarray | None,
               target: np.ndarray | Sequence | None) -> ScaledObjective:
    if objective in LINEAR_OBJECTIVES:
        w = linear_weights(game, objective, weights)
        offset = float(w.min()) if objective != "feasibility" else 0.0
        scale = scale_of(w - offset)
        return ScaledObjective(objective, weights=(w - offset) / scale, scale=scale, offset=offset)
    if objective == "egalitarian":
        pay = game.payoffs.reshape(game.num_players, -1)
        offset = float(pay.min())
        scale = scale_of(pay - offset)
        return ScaledObjective(objective, payoffs=(pay - offset) / scale, scale=scale, offset=offset)
    if objective in ("l1", "l2"):
        return ScaledObjective(objective, target=target_vector(game, target))
    return ScaledObjective(objective)
