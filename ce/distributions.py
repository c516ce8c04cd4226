"""Joint (correlated) distributions over joint actions, and product strategies as a special case.

A joint distribution μ is an array of the game's joint-action shape ``(|A_1|, ..., |A_N|)``
(C order, last player fastest); a product strategy is one mixed strategy per player, and its joint
distribution is the outer product μ(a) = Π_i σ_i(a_i). Validation never renormalises: a bad input
raises :class:`~ce.errors.DistributionError` naming the offending entry.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ce.errors import DistributionError
from games.normal_form.game import NormalFormGame

__all__ = ["SUM_ATOL", "as_joint", "as_strategy", "marginals", "product_distribution"]

SUM_ATOL = 1e-6
"""Default tolerance: entries must be >= -SUM_ATOL and sum to 1 within SUM_ATOL."""


def _check_simplex(p: np.ndarray, what: str, atol: float,
                   label: Sequence[str] | None = None) -> None:
    if not np.all(np.isfinite(p)):
        k = int(np.flatnonzero(~np.isfinite(p.ravel()))[0])
        raise DistributionError(f"{what} entry {_entry(p, k, label)} is {p.ravel()[k]} (not finite)")
    if p.size and p.min() < -atol:
        k = int(np.argmin(p.ravel()))
        raise DistributionError(f"{what} entry {_entry(p, k, label)} is negative: {p.ravel()[k]!r}")
    total = float(p.sum())
    if abs(total - 1.0) > atol:
        raise DistributionError(f"{what} sums to {total!r}, not 1 (tolerance {atol:g})")


def _entry(p: np.ndarray, flat: int, label: Sequence[str] | None) -> str:
    idx = np.unravel_index(flat, p.shape)
    text = str(tuple(int(x) for x in idx)) if p.ndim > 1 else str(int(idx[0]))
    if label is not None:
        text += f" ({','.join(label[k][int(i)] for k, i in enumerate(idx))})"  # type: ignore[index]
    return text


def as_joint(game: NormalFormGame, dist: np.ndarray | Sequence, atol: float = SUM_ATOL) -> np.ndarray:
    """Validate a joint distribution μ for ``game``; a flat vector in C order is reshaped.

    Returns a float64 array of shape ``game.num_actions``.
    """
    try:
        mu = np.array(dist, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DistributionError(f"distribution is not a numeric array: {exc}") from None
    shape = game.num_actions
    if mu.shape != shape:
        if mu.ndim == 1 and mu.size == game.num_joint_actions:
            mu = mu.reshape(shape)
        else:
            raise DistributionError(
                f"distribution has shape {mu.shape}; game {game.name!r} needs {shape} "
                f"(or a flat vector of {game.num_joint_actions} entries in C order)"
            )
    _check_simplex(mu, "joint distribution", atol, game.action_names)
    return mu


def as_strategy(game: NormalFormGame, player: int, sigma: np.ndarray | Sequence,
                atol: float = SUM_ATOL) -> np.ndarray:
    """Validate player ``player``'s mixed strategy σ_i (shape ``(|A_i|,)``)."""
    try:
        s = np.array(sigma, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DistributionError(f"strategy of player {player} is not numeric: {exc}") from None
    m = game.num_actions[player]
    if s.shape != (m,):
        raise DistributionError(f"strategy of player {player} has shape {s.shape}, needs ({m},)")
    _check_simplex(s, f"strategy of player {player}", atol, [game.action_names[player]])
    return s


def product_distribution(game: NormalFormGame, strategies: Sequence[np.ndarray | Sequence],
                         atol: float = SUM_ATOL) -> np.ndarray:
    """μ(a) = Π_i σ_i(a_i): the joint distribution of independent mixed strategies."""
    if len(strategies) != game.num_players:
        raise DistributionError(f"{len(strategies)} strategies given for {game.num_players} players")
    mu = np.ones(())
    for i, s in enumerate(strategies):
        mu = np.multiply.outer(mu, as_strategy(game, i, s, atol))
    return mu


def marginals(mu: np.ndarray) -> list[np.ndarray]:
    """Each player's marginal of a joint distribution (no validation)."""
    axes = range(mu.ndim)
    return [mu.sum(axis=tuple(k for k in axes if k != i)) for i in axes]
