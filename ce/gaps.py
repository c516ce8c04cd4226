"""Exact ε-NE, ε-CCE and ε-CE gaps in closed form (vectorised numpy, no LP).

Definitions 1-3 of Li, Zhao, Wu & Pajarinen, "AgentMixer", AAAI 2025 (after Aumann 1974 and
Moulin & Vial 1978). For a joint distribution μ and player i with utility u_i:

* ε-CCE: E_μ[u_i(a)] >= E_μ[u_i(a'_i, a_-i)] - ε for every fixed action a'_i;
* ε-CE:  E_μ[u_i(a)] >= E_μ[u_i(f(a_i), a_-i)] - ε for every strategy modification f: A_i -> A_i;
* ε-NE:  an ε-CCE (equivalently ε-CE) that is a product of independent strategies.

With M_i[r, a'] = Σ_{a_-i} μ(r, a_-i) u_i(a', a_-i) (one matrix product per player), the best
modification is chosen per recommendation, f(r) = argmax_a' M_i[r, a'], so the CE regret is
Σ_r max_a' (M_i[r, a'] - M_i[r, r]) and the CCE regret is max_a' Σ_r M_i[r, a'] - tr M_i.
The reported ε is max(0, max_i regret_i): the smallest ε >= 0 for which μ satisfies the definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ce.distributions import SUM_ATOL, as_joint, product_distribution
from games.normal_form.game import NormalFormGame

__all__ = ["GapReport", "cce_gap", "ce_gap", "deviation_matrices", "ne_gap"]


@dataclass(frozen=True)
class GapReport:
    """Per-player regrets of a distribution for one solution concept.

    Attributes:
        concept: ``"ne"``, ``"cce"`` or ``"ce"``.
        epsilon: max(0, max_i regrets[i]) — the distribution is an ε-``concept``.
        regrets: ``(N,)`` best deviation gain per player (may be < 0 for CCE/NE: strict slack).
        values: ``(N,)`` E_μ[u_i].
        best_deviation: per player; for NE/CCE the index of the best fixed action a'_i, for CE the
            modification f_i as an int array ``(|A_i|,)`` with f_i(r) = r where no move gains.
        recommendation_gains: per player ``(|A_i|,)`` gain of f_i at each recommendation (CE only;
            they sum to the regret), else ``None``.
    """

    concept: str
    epsilon: float
    regrets: np.ndarray
    values: np.ndarray
    best_deviation: tuple[int | np.ndarray, ...]
    recommendation_gains: tuple[np.ndarray, ...] | None = None

    @property
    def worst_player(self) -> int:
        return int(np.argmax(self.regrets))

    def describe(self, game: NormalFormGame) -> list[str]:
        """Human-readable lines naming each player's maximising deviation."""
        lines = []
        for i, dev in enumerate(self.best_deviation):
            names = game.action_names[i]
            head = f"{game.player_names[i]}: regret {self.regrets[i]:.6g}"
            if isinstance(dev, np.ndarray):
                gains = self.recommendation_gains[i] if self.recommendation_gains else None
                moves = [f"{names[r]}->{names[int(t)]} (+{gains[r]:.3g})"  # type: ignore[index]
                         for r, t in enumerate(dev) if int(t) != r]
                lines.append(head + (f"; deviate {', '.join(moves)}" if moves else "; no gain"))
            else:
                lines.append(head + f"; best fixed deviation {names[int(dev)]}")
        return lines


def deviation_matrices(game: NormalFormGame, mu: np.ndarray) -> list[np.ndarray]:
    """M_i[r, a'] = Σ_{a_-i} μ(r, a_-i) u_i(a', a_-i) for each player: ``(|A_i|, |A_i|)``."""
    out = []
    for i in range(game.num_players):
        m_i = game.num_actions[i]
        mu_i = np.moveaxis(mu, i, 0).reshape(m_i, -1)
        u_i = np.moveaxis(game.payoffs[i], i, 0).reshape(m_i, -1)
        out.append(mu_i @ u_i.T)
    return out


def _fixed_deviation_report(concept: str, mats: list[np.ndarray]) -> GapReport:
    values = np.array([np.trace(m) for m in mats])
    dev_values = [m.sum(axis=0) for m in mats]  # E_μ[u_i(a', a_-i)] for every a'
    best = tuple(int(np.argmax(d)) for d in dev_values)
    regrets = np.array([d.max() for d in dev_values]) - values
    return GapReport(concept, float(max(0.0, regrets.max())), regrets, values, best)


def cce_gap(game: NormalFormGame, dist: np.ndarray | Sequence,
            atol: float = SUM_ATOL) -> GapReport:
    """Def. 2: the ε-CCE gap of a joint distribution and each player's best fixed deviation."""
    return _fixed_deviation_report("cce", deviation_matrices(game, as_joint(game, dist, atol)))


def ce_gap(game: NormalFormGame, dist: np.ndarray | Sequence, atol: float = SUM_ATOL) -> GapReport:
    """Def. 3: the ε-CE gap (best strategy modification per recommendation) of a joint μ."""
    mats = deviation_matrices(game, as_joint(game, dist, atol))
    values, regrets, mods, gains_all = [], [], [], []
    for m in mats:
        diag = np.diag(m)
        gains = m - diag[:, None]
        f = np.argmax(gains, axis=1)
        best = gains[np.arange(len(f)), f]
        f = np.where(best > 0, f, np.arange(len(f)))  # keep the recommendation when nothing gains
        best = np.maximum(best, 0.0)
        values.append(diag.sum())
        regrets.append(best.sum())
        mods.append(f)
        gains_all.append(best)
    reg = np.array(regrets)
    return GapReport("ce", float(reg.max()), reg, np.array(values), tuple(mods), tuple(gains_all))


def ne_gap(game: NormalFormGame, strategies: Sequence[np.ndarray | Sequence],
           atol: float = SUM_ATOL) -> GapReport:
    """Def. 1: the ε-NE gap of a product of mixed strategies σ_1 × ... × σ_N."""
    mu = product_distribution(game, strategies, atol)
    return _fixed_deviation_report("ne", deviation_matrices(game, mu))
