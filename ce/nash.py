"""Nash equilibria of finite normal-form games: one entry point and the methods behind it.

A Nash equilibrium (Nash, "Non-cooperative games", Annals of Mathematics 54, 1951) is a profile of
mixed strategies s = (s_1, ..., s_N) such that no player gains by a unilateral deviation:
u_i(s) >= u_i(a_i, s_{-i}) for every player i and every pure action a_i.

:func:`nash_equilibria` picks a method (``method="auto"``) and says what its list means:

* ``"enumeration"`` (2 players) -- every extreme equilibrium and the maximal Nash subsets, exact,
  degenerate games included (:mod:`ce.bimatrix`);
* ``"support"`` (2 players) -- support enumeration, for nondegenerate games
  (:mod:`ce.support_enumeration`);
* ``"lemke_howson"`` (2 players) -- one equilibrium by complementary pivoting
  (:mod:`ce.lemke_howson`);
* ``"polynomial"`` (any number of players) -- support enumeration with a polynomial solve per
  support profile, each equilibrium certified (:mod:`ce.nplayer`);
* ``"pure"`` -- the pure equilibria only (:func:`pure_nash_equilibria`).

``"auto"`` uses exact enumeration for 2 players and the polynomial method otherwise, and falls
back to Lemke-Howson (2 players) or pure equilibria (more) when the game is too large for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ce.bimatrix import BimatrixEquilibria, enumerate_bimatrix
from ce.errors import SolverError
from ce.lemke_howson import lemke_howson, lemke_howson_all_labels
from ce.nash_types import NashEquilibrium, make_equilibrium, product_regret
from ce.nplayer import mixed_equilibria
from ce.support_enumeration import support_enumeration
from games.errors import ConfigError
from games.normal_form.game import NormalFormGame

__all__ = [
    "METHODS",
    "NashEquilibrium",
    "NashResult",
    "lemke_howson",
    "lemke_howson_all_labels",
    "nash_equilibria",
    "pure_nash_equilibria",
    "support_enumeration",
]

METHODS = ("auto", "enumeration", "support", "lemke_howson", "polynomial", "pure")

AUTO_MAX_BASES = 5_000
"""``auto`` gives exact enumeration of a 2-player game this many lexicographic bases per
best-response polytope (a random 10x10 game needs about 1,000, 12x12 about 4,000; a few seconds)
before it falls back to one equilibrium by Lemke-Howson."""
AUTO_MAX_SMALLER_SIDE = 15
"""``auto`` does not try exact enumeration when both players have more actions than this (the
vertex count grows exponentially with the smaller side): one equilibrium by Lemke-Howson."""
AUTO_MAX_SUPPORT_PROFILES = 1_000
"""``auto`` uses the polynomial method for games with at most this many support profiles
(Π_i (2^|A_i| - 1): 343 for 3x3x3, seconds), else only the pure equilibria."""
PURE_TOL = 1e-12
"""Absolute slack of the best-response masks of :func:`pure_nash_equilibria`."""

_product_regret = product_regret  # the name the tests of earlier releases import


@dataclass(frozen=True)
class NashResult:
    """Nash equilibria of a game and what the list means.

    Attributes:
        equilibria: the equilibria, highest welfare first.
        method: the method that produced them (see :data:`METHODS`).
        complete: the list is every equilibrium (nondegenerate games), or every *extreme*
            equilibrium with ``maximal_subsets`` describing the whole set (degenerate 2-player
            games by enumeration); ``False`` for one equilibrium or pure ones only.
        degenerate: whether the game is degenerate, ``None`` when the method cannot tell.
        maximal_subsets: for 2-player enumeration, the maximal Nash subsets, each as the indices
            (into ``equilibria``) of its extreme points: the subset is the convex hull of the row
            strategies times that of the column strategies of those equilibria.
        components: groups of maximal subsets (indices into ``maximal_subsets``) that share an
            extreme strategy: the connected components of the equilibrium set.
        notes: how the method was chosen and what the list leaves out.
    """

    equilibria: tuple[NashEquilibrium, ...]
    method: str
    complete: bool
    degenerate: bool | None
    maximal_subsets: tuple[tuple[int, ...], ...] | None = None
    components: tuple[tuple[int, ...], ...] | None = None
    notes: tuple[str, ...] = field(default=())


def pure_nash_equilibria(game: NormalFormGame, tol: float = PURE_TOL) -> list[tuple[int, ...]]:
    """All pure NE of an N-player game, in C order of the joint actions.

    Player i's best-response mask is ``payoffs[i] >= payoffs[i].max(axis=i) - tol`` (broadcast over
    the other players' actions); a joint action is a pure NE iff every player's mask holds there.
    """
    mask = np.ones(game.num_actions, dtype=bool)
    for i in range(game.num_players):
        u = game.payoffs[i]
        mask &= u >= u.max(axis=i, keepdims=True) - tol
    return [tuple(int(a) for a in row) for row in np.argwhere(mask)]


def _pure_profiles(game: NormalFormGame) -> list[NashEquilibrium]:
    return [make_equilibrium(game, [np.eye(m)[a] for m, a in zip(game.num_actions, joint, strict=True)])
            for joint in pure_nash_equilibria(game)]


def _by_welfare(eqs: list[NashEquilibrium]) -> tuple[list[NashEquilibrium], list[int]]:
    """Equilibria sorted by welfare (descending, stable) and the new position of each old index."""
    order = sorted(range(len(eqs)), key=lambda k: -eqs[k].welfare)
    where = [0] * len(eqs)
    for new, old in enumerate(order):
        where[old] = new
    return [eqs[k] for k in order], where


def _from_enumeration(game: NormalFormGame, exact: BimatrixEquilibria) -> NashResult:
    eqs, where = _by_welfare([make_equilibrium(game, p) for p in exact.profiles()])
    index = {pair: where[k] for k, pair in enumerate(exact.pairs)}
    subsets = tuple(tuple(sorted(index[(i, j)] for i in s.row_strategies for j in s.column_strategies))
                    for s in exact.maximal_subsets)
    notes = []
    if exact.degenerate:
        notes.append(f"degenerate game: the equilibria form {len(exact.components)} component(s) "
                     f"made of {len(subsets)} maximal Nash subset(s); listed are their "
                     f"{len(eqs)} extreme equilibria")
    return NashResult(tuple(eqs), "enumeration", True, exact.degenerate, subsets,
                      exact.components, tuple(notes))


def _two_player(game: NormalFormGame, method: str) -> NashResult:
    if method == "support":
        eqs, _ = _by_welfare(support_enumeration(game))
        return NashResult(tuple(eqs), "support", True, False)
    if method == "lemke_howson":
        return NashResult((lemke_howson(game),), "lemke_howson", False, None,
                          notes=("one equilibrium by Lemke-Howson",))
    limit = AUTO_MAX_BASES if method == "auto" else None
    m, n = game.num_actions
    if method == "auto" and min(m, n) > AUTO_MAX_SMALLER_SIDE:
        return NashResult((lemke_howson(game),), "lemke_howson", False, None,
                          notes=(f"{m}x{n} game too large for exact enumeration (both players "
                                 f"have more than {AUTO_MAX_SMALLER_SIDE} actions); one "
                                 "equilibrium by Lemke-Howson",))
    try:
        exact = enumerate_bimatrix(game, **({"max_bases": limit} if limit else {}))
    except SolverError as exc:
        if method != "auto" or exc.status != "too_large":
            raise
        return NashResult((lemke_howson(game),), "lemke_howson", False, None,
                          notes=(f"{m}x{n} game too large for exact enumeration ({exc}); one "
                                 "equilibrium by Lemke-Howson",))
    return _from_enumeration(game, exact)


def _n_player(game: NormalFormGame, method: str) -> NashResult:
    profiles = math.prod(2 ** m - 1 for m in game.num_actions)
    if method == "pure" or (method == "auto" and profiles > AUTO_MAX_SUPPORT_PROFILES):
        eqs, _ = _by_welfare(_pure_profiles(game))
        note = "only pure equilibria are listed"
        if method == "auto":
            note = (f"{game.num_players}-player game with {profiles} support profiles (more than "
                    f"{AUTO_MAX_SUPPORT_PROFILES}): {note}")
        return NashResult(tuple(eqs), "pure", False, None, notes=(note,))
    res = mixed_equilibria(game)
    eqs, _ = _by_welfare([make_equilibrium(game, s) for s in res.strategies])
    return NashResult(tuple(eqs), "polynomial", not res.degenerate, res.degenerate,
                      notes=res.notes)


def nash_equilibria(game: NormalFormGame, method: str = "auto") -> NashResult:
    """Nash equilibria of ``game`` by ``method`` (one of :data:`METHODS`; see the module doc).

    Every returned profile is an equilibrium to floating-point accuracy (the exact methods round
    exact rationals, the others are checked by their Nash regret).
    """
    if method not in METHODS:
        raise ConfigError(f"unknown Nash method {method!r}; choose from {', '.join(METHODS)}")
    two_only = ("enumeration", "support", "lemke_howson")
    if method in two_only and game.num_players != 2:
        raise ConfigError(f"method {method!r} needs a 2-player game; {game.name!r} has "
                          f"{game.num_players} players (use 'polynomial' or 'pure')")
    if game.num_players == 2 and method in ("auto", *two_only):
        return _two_player(game, method)
    return _n_player(game, method)
