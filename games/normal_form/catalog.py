"""The catalog of built-in normal-form games, each with its source.

Every entry is a factory ``(**params) -> NormalFormGame`` registered under a short name. The
catalog names double as the CLI's game names; parameters are given OpenSpiel-style, e.g.
``penalty(k=-50)`` or ``random(players=3,actions=4,seed=7,cooperative=true)``.
"""

from __future__ import annotations

import numpy as np

from games.errors import GameError
from games.normal_form.game import NormalFormGame
from games.spec import CatalogEntry, check_table_size, registrar, unknown_name_error

__all__ = ["CATALOG", "make_game", "random_game"]

CATALOG: dict[str, CatalogEntry] = {}

_register = registrar(CATALOG)


def _two(a: list[list[float]], b: list[list[float]], rows: tuple[str, ...], cols: tuple[str, ...],
         name: str) -> NormalFormGame:
    return NormalFormGame.from_bimatrix(a, b, action_names=(rows, cols), name=name)


@_register("climbing")
def climbing() -> NormalFormGame:
    """Climbing game (Claus & Boutilier, AAAI 1998): cooperative 3x3, optimum 11 at (a1, b1).

    R = [[11, -30, 0], [-30, 7, 6], [0, 0, 5]]. Pure NE: (a1, b1) with 11 and (a2, b2) with 7;
    independent learners typically climb to (a2, b2) or (a3, b3) because of the -30 penalties.
    """
    r = [[11, -30, 0], [-30, 7, 6], [0, 0, 5]]
    return NormalFormGame.cooperative(r, action_names=(("a1", "a2", "a3"), ("b1", "b2", "b3")),
                                      name="climbing")


@_register("penalty")
def penalty(k: float = -10.0) -> NormalFormGame:
    """Penalty game (Claus & Boutilier, AAAI 1998): cooperative 3x3 with miscoordination cost k <= 0.

    R = [[10, 0, k], [0, 2, 0], [k, 0, 10]]: two optimal equilibria (a1, b1), (a3, b3) worth 10,
    and choosing between them risks the penalty k.
    """
    if not k <= 0:
        raise GameError(f"penalty game needs a miscoordination cost k <= 0, got k={k:g}")
    r = [[10, 0, k], [0, 2, 0], [k, 0, 10]]
    return NormalFormGame.cooperative(r, action_names=(("a1", "a2", "a3"), ("b1", "b2", "b3")),
                                      name="penalty" if k == -10.0 else f"penalty(k={k:g})")


@_register("coordination")
def coordination() -> NormalFormGame:
    """Pareto-ranked 2x2 coordination game (Fudenberg & Tirole, Game Theory, 1991, ch. 1).

    Both players get 2 at (A, A), 1 at (B, B), 0 otherwise: two strict pure NE and a mixed NE
    in which each player plays A with probability 1/3, worth 2/3 to each.
    """
    a = [[2, 0], [0, 1]]
    return _two(a, a, ("A", "B"), ("A", "B"), "coordination")


@_register("stag_hunt")
def stag_hunt() -> NormalFormGame:
    """Stag hunt (Skyrms, The Stag Hunt and the Evolution of Social Structure, 2004).

    (stag, stag) = 4 each, hunting hare alone or together gives 3, stag alone 0. Pure NE at
    (stag, stag) (payoff dominant) and (hare, hare) (risk dominant).
    """
    a = [[4, 0], [3, 3]]
    return _two(a, np.transpose(a).tolist(), ("stag", "hare"), ("stag", "hare"), "stag_hunt")


@_register("prisoners_dilemma")
def prisoners_dilemma() -> NormalFormGame:
    """Prisoner's dilemma with Axelrod's payoffs (The Evolution of Cooperation, 1984): T5 R3 P1 S0.

    Defect strictly dominates; the unique NE (D, D) = (1, 1) is also the unique CE and CCE.
    """
    a = [[3, 0], [5, 1]]
    return _two(a, np.transpose(a).tolist(), ("C", "D"), ("C", "D"), "prisoners_dilemma")


@_register("chicken")
def chicken() -> NormalFormGame:
    """Chicken, Aumann's example of a correlated equilibrium (J. Math. Econ. 1974, sec. 4).

    Actions (dare, chicken): (D, D) = (0, 0), (D, C) = (7, 2), (C, D) = (2, 7), (C, C) = (6, 6).
    NE: the two pure ones (welfare 9) and the mixed one, daring with 1/3 (welfare 28/3). Aumann's
    CE puts 1/3 on (C, C), (D, C), (C, D) (welfare 10); the max-welfare CE puts 1/2 on (C, C) and
    1/4 on each of (D, C), (C, D): welfare 21/2.
    """
    a = [[0, 7], [2, 6]]
    return _two(a, np.transpose(a).tolist(), ("dare", "chicken"), ("dare", "chicken"), "chicken")


@_register("rock_paper_scissors")
def rock_paper_scissors() -> NormalFormGame:
    """Rock-paper-scissors (zero-sum; von Neumann & Morgenstern 1944): the unique NE is uniform."""
    a = [[0, -1, 1], [1, 0, -1], [-1, 1, 0]]
    names = ("rock", "paper", "scissors")
    return _two(a, (-np.asarray(a)).tolist(), names, names, "rock_paper_scissors")


@_register("matching_pennies")
def matching_pennies() -> NormalFormGame:
    """Matching pennies (zero-sum; von Neumann & Morgenstern 1944): the row player wins 1 on a match.

    The unique NE (and unique CE) is uniform, worth 0 to both players.
    """
    a = [[1, -1], [-1, 1]]
    return _two(a, (-np.asarray(a)).tolist(), ("heads", "tails"), ("heads", "tails"),
                "matching_pennies")


@_register("sum_to_10")
def sum_to_ten(agents: int = 3, actions: int = 10, target: int = 10) -> NormalFormGame:
    """MAGPO's one-shot coordination game: agents pick integers, reward 1 iff they sum to target.

    Li, Xie & Lu, "Multi-Agent Guided Policy Optimization" (2025), Fig. 1 and its CoordSum
    benchmark (``mava/coordsum`` in the authors' code: each of N agents picks 0..actions-1 and the
    team is rewarded when the actions sum to the target). Here the one-step version with the
    defaults N = 3, actions 0..9, target 10: common reward 1 if a_1 + a_2 + a_3 = 10, else 0.
    Many joint actions are optimal (63 for the defaults), so a centralized (autoregressive) policy
    can mix over them while any product of independent policies that mixes loses reward: only
    the deterministic optima are optimal decentralized policies. The paper's figure was not
    available to us verbatim; the reward rule follows the CoordSum code, without its bonus term.
    """
    if agents < 1 or actions < 1:
        raise GameError(f"sum_to_10 needs agents >= 1 and actions >= 1, got {agents}, {actions}")
    check_table_size(actions**agents * (agents + 1), f"sum_to_10(agents={agents}, actions={actions})")
    grids = np.indices((actions,) * agents).sum(axis=0)
    reward = (grids == target).astype(float)
    names = tuple(str(k) for k in range(actions))
    label = "sum_to_10" if (agents, actions, target) == (3, 10, 10) else (
        f"sum_to_10(agents={agents},actions={actions},target={target})")
    return NormalFormGame.cooperative(reward, action_names=(names,) * agents, name=label)


@_register("random")
def random_game(players: int = 2, actions: int = 3, seed: int = 0, cooperative: bool = False,
                low: float = 0.0, high: float = 1.0) -> NormalFormGame:
    """Seeded random game: payoffs i.i.d. uniform on [low, high) (shared when cooperative).

    ``actions`` is the number of actions of every player. The same arguments always give the
    same game (numpy's PCG64 seeded with ``seed``).
    """
    if players < 1 or actions < 1:
        raise GameError(f"random game needs players >= 1 and actions >= 1, got {players}, {actions}")
    if seed < 0:
        raise GameError(f"random game needs a seed >= 0, got {seed}")
    if not high > low:
        raise GameError(f"random game needs high > low, got low={low}, high={high}")
    check_table_size(players * actions**players, f"random(players={players}, actions={actions})")
    rng = np.random.default_rng(seed)
    shape = (actions,) * players
    name = f"random(players={players},actions={actions},seed={seed},cooperative={cooperative})"
    if cooperative:
        return NormalFormGame.cooperative(rng.uniform(low, high, size=shape), name=name)
    return NormalFormGame(rng.uniform(low, high, size=(players, *shape)), name=name)


def make_game(name: str, **params: object) -> NormalFormGame:
    """Build the catalog game ``name`` with keyword ``params`` (typed error on unknown ones)."""
    if name not in CATALOG:
        raise unknown_name_error(name, list(CATALOG))
    return CATALOG[name].build("game", **params)
