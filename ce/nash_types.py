"""The Nash equilibrium record shared by the Nash methods, and the helpers they share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ce.errors import DistributionError
from games.errors import GameError
from games.normal_form.game import NormalFormGame

__all__ = ["DEDUP_ATOL", "NashEquilibrium", "bimatrix", "make_equilibrium", "payoff_scale",
           "product_regret"]

DEDUP_ATOL = 1e-7
"""Two equilibria whose strategies agree entrywise within this are reported once."""


@dataclass(frozen=True, eq=False)
class NashEquilibrium:
    """A profile of mixed strategies (one per player) and each player's expected payoff."""

    strategies: tuple[np.ndarray, ...]
    values: np.ndarray

    @property
    def joint(self) -> np.ndarray:
        """The product distribution s_1 x ... x s_N, shape ``(A_1, ..., A_N)``."""
        operands: list[object] = []
        for i, s in enumerate(self.strategies):
            operands += [s, [i]]
        return np.einsum(*operands, list(range(len(self.strategies))))

    @property
    def welfare(self) -> float:
        """Social welfare sum_i u_i(s)."""
        return float(np.sum(self.values))

    @property
    def supports(self) -> tuple[tuple[int, ...], ...]:
        """Per player, the actions played with positive probability."""
        return tuple(tuple(int(a) for a in np.flatnonzero(s > 0)) for s in self.strategies)

    def allclose(self, other: NashEquilibrium, atol: float = 1e-9) -> bool:
        """True when both profiles agree strategy by strategy up to ``atol``."""
        return len(self.strategies) == len(other.strategies) and all(
            s.shape == t.shape and np.allclose(s, t, rtol=0.0, atol=atol)
            for s, t in zip(self.strategies, other.strategies, strict=True))


def _deviation_payoffs(game: NormalFormGame, strategies: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Per player i, the vector u_i(a_i, s_{-i}) over i's pure actions (shape errors typed)."""
    n = game.num_players
    if len(strategies) != n:
        raise DistributionError(f"{len(strategies)} strategies given for {n} players")
    for i, s in enumerate(strategies):
        if np.shape(s) != (game.num_actions[i],):
            raise DistributionError(f"strategy of player {i} has shape {np.shape(s)}, expected "
                                    f"({game.num_actions[i]},)")
    return game.deviation_payoffs(strategies)


def product_regret(game: NormalFormGame, strategies: Sequence[np.ndarray]) -> float:
    """Nash gap: max_i (max_{a_i} u_i(a_i, s_{-i}) - u_i(s)) of a product of mixed strategies."""
    dev = _deviation_payoffs(game, strategies)
    return max(float(d.max() - d @ np.asarray(s, dtype=float))
               for d, s in zip(dev, strategies, strict=True))


def make_equilibrium(game: NormalFormGame, strategies: Sequence[np.ndarray]) -> NashEquilibrium:
    """A read-only NashEquilibrium of ``strategies`` (clipped at 0, renormalised) with its values."""
    strats = []
    for s in strategies:
        s = np.clip(np.asarray(s, dtype=float), 0.0, None)
        s = s / s.sum()
        s.setflags(write=False)
        strats.append(s)
    dev = _deviation_payoffs(game, strats)
    values = np.array([d @ s for d, s in zip(dev, strats, strict=True)])
    values.setflags(write=False)
    return NashEquilibrium(tuple(strats), values)


def payoff_scale(game: NormalFormGame) -> float:
    """max(1, max |u|): the unit of the absolute tolerances of the floating-point Nash methods."""
    return max(1.0, float(np.abs(game.payoffs).max()))


def bimatrix(game: NormalFormGame, method: str) -> tuple[np.ndarray, np.ndarray]:
    """(A, B) of a 2-player game; typed error naming ``method`` otherwise."""
    if game.num_players != 2:
        raise GameError(f"{method} needs a 2-player game; {game!r} has {game.num_players} players")
    return game.payoffs[0], game.payoffs[1]
