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

__all__ = ["SUM_ATOL", "as_joint", "as_strategy", "marginals", "numeric_array", "parse_profile",
           "product_distribution"]

SUM_ATOL = 1e-6
"""Default tolerance: entries must be >= -SUM_ATOL and sum to 1 within SUM_ATOL."""


def _describe(value: object) -> str:
    """A short description of a JSON-like value, in JSON's words (null, true, a string ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool | np.bool_):
        return f"{str(bool(value)).lower()} (a boolean)"
    if isinstance(value, str):
        return f"{_short(value)} (a string)"
    if isinstance(value, int | float | np.integer | np.floating):
        return f"{_short(value)} (a number)"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _first_bad_leaf(value: object, path: str = "") -> tuple[str, object] | None:
    """The path and value of the first leaf of a nested list that is not a real number."""
    if isinstance(value, list | tuple):
        for k, item in enumerate(value):
            if (bad := _first_bad_leaf(item, f"{path}[{k}]")) is not None:
                return bad
        return None
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(
            value, bool | np.bool_):
        return None
    return path, value


def numeric_array(value: object, what: str) -> np.ndarray:
    """``value`` (nested lists of numbers, or a numeric array) as float64; typed errors otherwise.

    Booleans, strings, ``null`` and other objects are refused (numpy would read ``"0.5"`` as 0.5
    and ``true`` as 1), naming the first offending entry by its index path.
    """
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        return value.astype(np.float64)
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, list | tuple):
        raise DistributionError(f"{what} is not a numeric array: got {_describe(value)}, "
                                "expected a list of numbers")
    if (bad := _first_bad_leaf(value)) is not None:
        path, leaf = bad
        raise DistributionError(f"{what} is not a numeric array: entry {path or '[]'} is "
                                f"{_describe(leaf)}, not a number")
    try:
        return np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise DistributionError(f"{what} is not a rectangular numeric array (rows of different "
                                "lengths)") from None


def _short(value: object) -> str:
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_simplex(p: np.ndarray, what: str, atol: float,
                   label: Sequence[str] | None = None) -> None:
    if not np.all(np.isfinite(p)):
        k = int(np.flatnonzero(~np.isfinite(p.ravel()))[0])
        raise DistributionError(f"{what} entry {_entry(p, k, label)} is {float(p.ravel()[k])} "
                                "(not finite)")
    if p.size and p.min() < -atol:
        k = int(np.argmin(p.ravel()))
        raise DistributionError(f"{what} entry {_entry(p, k, label)} is negative: "
                                f"{float(p.ravel()[k])!r}")
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
    mu = numeric_array(dist, "distribution")
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
    s = numeric_array(sigma, f"strategy of player {player}")
    m = game.num_actions[player]
    if s.shape != (m,):
        raise DistributionError(f"strategy of player {player} has shape {s.shape}, needs ({m},)")
    _check_simplex(s, f"strategy of player {player}", atol, [game.action_names[player]])
    return s


def product_distribution(game: NormalFormGame, strategies: Sequence[np.ndarray | Sequence],
                         atol: float = SUM_ATOL) -> np.ndarray:
    """μ(a) = Π_i σ_i(a_i): the joint distribution of independent mixed strategies."""
    if not isinstance(strategies, list | tuple | np.ndarray):
        raise DistributionError(f"strategies must be a list with one mixed strategy per player, "
                                f"got {_describe(strategies)}")
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


def parse_profile(game: NormalFormGame, data: object, source: str = "distribution"
                  ) -> tuple[np.ndarray | None, list[np.ndarray] | None]:
    """Read the JSON value of a distribution file for ``game``.

    Accepted: a joint distribution (a nested list of the joint-action shape or a flat list in C
    order, bare or as ``{"joint": ...}``), or ``{"strategies": [[...], ...]}`` with one mixed
    strategy per player. Returns ``(μ, None)`` or ``(None, strategies)``, validated; anything else
    raises :class:`DistributionError` naming ``source`` and the offending entry.
    """
    if isinstance(data, dict):
        keys = set(data)
        if keys not in ({"joint"}, {"strategies"}):
            raise DistributionError(f"{source}: expected an object with exactly one key, 'joint' "
                                    f"(a joint distribution) or 'strategies' (one per player); "
                                    f"got keys {sorted(keys)}")
        if "strategies" in data:
            strategies = data["strategies"]
            try:
                product_distribution(game, strategies)
            except DistributionError as exc:
                raise DistributionError(f"{source}: {exc}") from None
            return None, [as_strategy(game, i, s) for i, s in enumerate(strategies)]
        data = data["joint"]
    try:
        return as_joint(game, data), None
    except DistributionError as exc:
        raise DistributionError(f"{source}: {exc}") from None
