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

from ce.distributions import SUM_ATOL, as_joint, as_strategy, marginals, product_distribution
from ce.errors import DistributionError
from games.normal_form.game import NormalFormGame

__all__ = [
    "PRODUCT_ATOL",
    "GapReport",
    "cce_gap",
    "ce_gap",
    "deviation_matrices",
    "equilibrium_gaps",
    "ne_gap",
    "payoff_ranges",
    "relative_epsilon",
]


@dataclass(frozen=True)
class GapReport:
    """Per-player regrets of a distribution for one solution concept.

    The field names are shared with :class:`ce.dec_gaps.DecGapReport` (the same report for
    Dec-POMDP policies): ``concept, epsilon, regrets, values, deviation_values, best_deviations``.

    Attributes:
        concept: ``"ne"``, ``"cce"`` or ``"ce"``.
        epsilon: max(0, max_i regrets[i]) — the distribution is an ε-``concept``.
        regrets: ``(N,)`` best deviation gain per player (may be < 0 for CCE/NE: strict slack).
        values: ``(N,)`` E_μ[u_i].
        deviation_values: ``(N,)`` the value of each player's best deviation (values + regrets).
        best_deviations: per player; for NE/CCE the index of the best fixed action a'_i, for CE the
            modification f_i as an int array ``(|A_i|,)`` with f_i(r) = r where no move gains.
        recommendation_gains: per player ``(|A_i|,)`` gain of f_i at each recommendation (CE only;
            they sum to the regret), else ``None``.
        relative_epsilon: max(0, max_i regrets[i] / range_i) with range_i = max u_i - min u_i
            (players with constant payoffs count 0): ε in units of each player's payoff range,
            unchanged when a player's payoffs are scaled. ``None`` if the game is not known.
    """

    concept: str
    epsilon: float
    regrets: np.ndarray
    values: np.ndarray
    deviation_values: np.ndarray
    best_deviations: tuple[int | np.ndarray, ...]
    recommendation_gains: tuple[np.ndarray, ...] | None = None
    relative_epsilon: float | None = None

    @property
    def best_deviation(self) -> tuple[int | np.ndarray, ...]:
        """Former name of :attr:`best_deviations`."""
        return self.best_deviations

    @property
    def worst_player(self) -> int:
        return int(np.argmax(self.regrets))

    def describe(self, game: NormalFormGame) -> list[str]:
        """Human-readable lines naming each player's maximising deviation."""
        lines = []
        for i, dev in enumerate(self.best_deviations):
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

    def to_dict(self, game: NormalFormGame) -> dict[str, object]:
        """JSON-ready fields, deviations by action name (CE: recommendation -> replacement)."""
        devs: list[object] = []
        for i, d in enumerate(self.best_deviations):
            names = game.action_names[i]
            if isinstance(d, np.ndarray):
                devs.append({names[r]: names[int(t)] for r, t in enumerate(d)})
            else:
                devs.append(names[int(d)])
        return {"epsilon": self.epsilon, "relative_epsilon": self.relative_epsilon,
                "regrets": self.regrets.tolist(), "values": self.values.tolist(),
                "deviation_values": self.deviation_values.tolist(), "best_deviation": devs}


def payoff_ranges(game: NormalFormGame) -> np.ndarray:
    """``(N,)`` max u_i - min u_i per player (the unit of :attr:`GapReport.relative_epsilon`)."""
    flat = game.payoffs.reshape(game.num_players, -1)
    return flat.max(axis=1) - flat.min(axis=1)


def relative_epsilon(game: NormalFormGame, regrets: np.ndarray) -> float:
    """max(0, max_i regrets[i] / range_i); a player with constant payoffs contributes 0."""
    ranges = payoff_ranges(game)
    rel = np.where(ranges > 0, np.asarray(regrets) / np.where(ranges > 0, ranges, 1.0), 0.0)
    return float(max(0.0, rel.max()))


def deviation_matrices(game: NormalFormGame, mu: np.ndarray) -> list[np.ndarray]:
    """M_i[r, a'] = Σ_{a_-i} μ(r, a_-i) u_i(a', a_-i) for each player: ``(|A_i|, |A_i|)``."""
    out = []
    for i in range(game.num_players):
        m_i = game.num_actions[i]
        mu_i = np.moveaxis(mu, i, 0).reshape(m_i, -1)
        u_i = np.moveaxis(game.payoffs[i], i, 0).reshape(m_i, -1)
        out.append(mu_i @ u_i.T)
    return out


def _fixed_deviation_report(game: NormalFormGame, concept: str, mats: list[np.ndarray]) -> GapReport:
    values = np.array([np.trace(m) for m in mats])
    dev_values = [m.sum(axis=0) for m in mats]  # E_μ[u_i(a', a_-i)] for every a'
    best = tuple(int(np.argmax(d)) for d in dev_values)
    best_values = np.array([d.max() for d in dev_values])
    regrets = best_values - values
    return GapReport(concept, float(max(0.0, regrets.max())), regrets, values, best_values, best,
                     relative_epsilon=relative_epsilon(game, regrets))


def cce_gap(game: NormalFormGame, dist: np.ndarray | Sequence,
            atol: float = SUM_ATOL) -> GapReport:
    """Def. 2: the ε-CCE gap of a joint distribution and each player's best fixed deviation."""
    return _fixed_deviation_report(game, "cce", deviation_matrices(game, as_joint(game, dist, atol)))


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
    reg, vals = np.array(regrets), np.array(values)
    return GapReport("ce", float(reg.max()), reg, vals, vals + reg, tuple(mods), tuple(gains_all),
                     relative_epsilon(game, reg))


def ne_gap(game: NormalFormGame, strategies: Sequence[np.ndarray | Sequence],
           atol: float = SUM_ATOL) -> GapReport:
    """Def. 1: the ε-NE gap of a product of mixed strategies σ_1 × ... × σ_N."""
    mu = product_distribution(game, strategies, atol)
    return _fixed_deviation_report(game, "ne", deviation_matrices(game, mu))


PRODUCT_ATOL = 1e-9
"""A joint μ counts as a product distribution (so that its ε-NE is defined) when no entry differs
from the product of its marginals by more than this."""


def equilibrium_gaps(game: NormalFormGame, joint: np.ndarray | Sequence | None = None, *,
                     strategies: Sequence[np.ndarray | Sequence] | None = None,
                     atol: float = SUM_ATOL) -> dict[str, GapReport | None]:
    """The ε-NE, ε-CCE and ε-CE reports of one profile, keyed ``"ne"``, ``"cce"``, ``"ce"``.

    Give either a joint distribution μ or a product of mixed ``strategies``. The NE gap is
    defined for products only: for ``strategies`` it is :func:`ne_gap`; for a joint μ it is the NE
    gap of μ's marginals when μ equals their product within :data:`PRODUCT_ATOL` (then its value
    is μ's CCE gap, since for a product the two definitions coincide), and ``None`` otherwise.
    """
    if (joint is None) == (strategies is None):
        raise DistributionError("give exactly one of a joint distribution and strategies")
    if strategies is not None:
        ne = ne_gap(game, strategies, atol)
        mu = product_distribution(game, strategies, atol)
    else:
        mu = as_joint(game, joint, atol)
        margs = marginals(mu)
        product = product_distribution(game, [as_strategy(game, i, m, np.inf)
                                              for i, m in enumerate(margs)], np.inf)
        is_product = float(np.abs(product - mu).max()) <= PRODUCT_ATOL
        ne = _fixed_deviation_report(game, "ne", deviation_matrices(game, product)) if is_product \
            else None
    return {"ne": ne, "cce": cce_gap(game, mu, atol), "ce": ce_gap(game, mu, atol)}
