"""Typed errors and warnings of the equilibrium package."""

from __future__ import annotations

from games.errors import AgentmixerError

__all__ = ["DegenerateGameError", "DistributionError", "SolverError", "SolverWarning"]


class DistributionError(AgentmixerError, ValueError):
    """A (joint or product) distribution is malformed: wrong shape, negative, not summing to 1."""


class SolverError(AgentmixerError, RuntimeError):
    """An LP/QP/conic solver did not return an optimal solution (status named in the message)."""

    def __init__(self, message: str, status: str | None = None) -> None:
        self.status = status
        super().__init__(message)


class SolverWarning(UserWarning):
    """A solver returned a solution of reduced quality (e.g. optimal only to a loose tolerance)."""


class DegenerateGameError(AgentmixerError, ValueError):
    """Support enumeration found evidence that a bimatrix game is degenerate.

    In a degenerate game equilibria may form continua, so the finite list that support enumeration
    returns is not the whole set; the message names the witnessing supports.
    """
