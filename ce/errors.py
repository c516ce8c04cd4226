"""Typed errors and warnings of the equilibrium package (branches of :mod:`games.errors`)."""

from __future__ import annotations

from games.errors import ConfigError, GameError, SolverError

__all__ = ["ConfigError", "DegenerateGameError", "DistributionError", "SolverError", "SolverWarning"]


class DistributionError(GameError):
    """A (joint or product) distribution is malformed: wrong shape, negative, not summing to 1."""


class SolverWarning(UserWarning):
    """A solver returned a solution of reduced quality (e.g. optimal only to a loose tolerance)."""


class DegenerateGameError(SolverError):
    """Support enumeration found evidence that a bimatrix game is degenerate.

    In a degenerate game equilibria may form continua, so the finite list that support enumeration
    returns is not the whole set; the message names the witnessing supports.
    """
