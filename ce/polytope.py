"""Sparse incentive constraints of the correlated (CE) and coarse correlated (CCE) polytopes.

For player i write U_i[r, j] = u_i(r, a_-i^(j)) with the opponents' joint actions a_-i^(j)
enumerated in C order. A joint distribution μ (flattened in C order) is

* a CE  iff  for all i and r != a':  Σ_j μ(r, j) (U_i[a', j] - U_i[r, j]) <= 0   (Def. 3), and
* a CCE iff  for all i and a':       Σ_r Σ_j μ(r, j) (U_i[a', j] - U_i[r, j]) <= 0   (Def. 2).

Both are built here directly in compressed-row form from broadcast differences
U_i[a', j] - U_i[r, j] per player: no Python loop over rows or joint actions.
CE rows whose coefficients are all <= 0 (deviation a' weakly dominated by r against every a_-i)
are always satisfied and are dropped; CE rows have |A|/|A_i| nonzeros, CCE rows |A|.

This module is the one place that defines the incentive coefficients: :func:`player_blocks` (U_i
and the column of μ(r, j)) and :func:`cce_gain_matrix` (the dense CCE rows) are what the sparse
rows here, the explicit CCE dual and the lifted CCE rows of :mod:`ce.lp` are built from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ce.errors import ConfigError
from games.normal_form.game import NormalFormGame

__all__ = ["IncentiveConstraints", "cce_gain_matrix", "incentive_blocks", "incentive_constraints",
           "player_blocks"]


@dataclass(frozen=True)
class IncentiveConstraints:
    """The rows ``A μ <= 0`` of a CE or CCE polytope, in CSR arrays.

    Attributes:
        concept: ``"ce"`` or ``"cce"``.
        indptr, indices, data: CSR of A with shape ``(num_rows, |A|)``.
        player: ``(num_rows,)`` the deviating player of each row.
        recommended: ``(num_rows,)`` the recommendation r (CE), -1 for CCE rows.
        deviation: ``(num_rows,)`` the deviation a'.
        num_joint: |A|, the number of columns.
    """

    concept: str
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    player: np.ndarray
    recommended: np.ndarray
    deviation: np.ndarray
    num_joint: int

    @property
    def num_rows(self) -> int:
        return len(self.player)

    @property
    def nnz(self) -> int:
        return len(self.data)

    def matrix(self) -> sp.csr_array:
        """A as a scipy CSR array (shares memory with the fields)."""
        return sp.csr_array((self.data, self.indices, self.indptr),
                            shape=(self.num_rows, self.num_joint))


def player_blocks(game: NormalFormGame | np.ndarray, i: int) -> tuple[np.ndarray, np.ndarray]:
    """(U_i[r, j], column index of μ(r, j) as int32) for player i, both ``(|A_i|, |A|/|A_i|)``.

    ``game`` may also be a bare payoff array ``(N, |A_1|, ..., |A_N|)`` of any numeric dtype
    (exact integers included).
    """
    pay = game.payoffs if isinstance(game, NormalFormGame) else game
    shape = pay.shape[1:]
    m = shape[i]
    u = np.moveaxis(pay[i], i, 0).reshape(m, -1)
    cols = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    return u, np.moveaxis(cols, i, 0).reshape(m, -1)


def cce_gain_matrix(game: NormalFormGame | np.ndarray) -> np.ndarray:
    """The CCE rows as a dense ``(Σ_i |A_i|, |A|)`` array: G[(i, a'), a] = u_i(a', a_-i) - u_i(a).

    Rows are ordered by player, then by the deviation a'; columns are joint actions in C order.
    ``game`` may be a bare payoff array, as for :func:`player_blocks`.
    """
    pay = game.payoffs if isinstance(game, NormalFormGame) else game
    blocks = []
    for i, m in enumerate(pay.shape[1:]):
        u = pay[i]
        dev = np.expand_dims(np.moveaxis(u, i, 0), i + 1)       # u_i(a', a_-i): (a', *joint)
        blocks.append((dev - u[None]).reshape(m, -1))
    return np.vstack(blocks)


def incentive_blocks(payoffs: np.ndarray, concept: str
                     ) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per player i: (i, recommendations r, deviations a', coefficient block, its μ columns).

    CE rows (i, r, a') have coefficients U_i[a', j] - U_i[r, j] on the columns of μ(r, j), and
    rows whose coefficients are all <= 0 are left out (always satisfied); CCE rows (i, a') have
    u_i(a', a_-i) - u_i(a) on every joint action (r = -1). Works on any numeric dtype.
    """
    if concept not in ("ce", "cce"):
        raise ConfigError(f"concept must be 'ce' or 'cce', got {concept!r}")
    shape = payoffs.shape[1:]
    gains = cce_gain_matrix(payoffs) if concept == "cce" else None
    offsets = np.concatenate([[0], np.cumsum(shape)])
    all_cols = np.arange(int(np.prod(shape)), dtype=np.int32)
    for i, m in enumerate(shape):
        if gains is None:
            u, cols = player_blocks(payoffs, i)
            r, a = np.nonzero(~np.eye(m, dtype=bool))
            block = u[a] - u[r]                               # (rows_i, width)
            keep = (block > 0).any(axis=1)                    # drop always-satisfied rows
            if not keep.all():
                r, a, block = r[keep], a[keep], block[keep]
            yield i, r, a, block, cols[r]
        else:
            block = gains[offsets[i]:offsets[i + 1]]          # row a', all joint actions
            yield i, np.full(m, -1), np.arange(m), block, np.broadcast_to(all_cols, block.shape)


def incentive_constraints(game: NormalFormGame, concept: str = "ce") -> IncentiveConstraints:
    """Build the CE (``concept="ce"``) or CCE (``"cce"``) incentive rows of ``game``."""
    datas, idxs, counts, players, recs, devs = [], [], [], [], [], []
    for i, r, a, block, col_block in incentive_blocks(game.payoffs, concept):
        if block.all():
            datas.append(block.ravel())
            idxs.append(col_block.ravel())
            counts.append(np.full(len(a), block.shape[1]))
        else:
            nz = block != 0
            datas.append(block[nz])
            idxs.append(col_block[nz])
            counts.append(nz.sum(axis=1))
        players.append(np.full(len(a), i))
        recs.append(r)
        devs.append(a)
    count = np.concatenate(counts)
    indptr = np.zeros(len(count) + 1, dtype=np.int64)
    np.cumsum(count, out=indptr[1:])
    return IncentiveConstraints(
        concept=concept,
        indptr=indptr,
        indices=np.concatenate(idxs),
        data=np.concatenate(datas),
        player=np.concatenate(players),
        recommended=np.concatenate(recs),
        deviation=np.concatenate(devs),
        num_joint=game.num_joint_actions,
    )
