"""Typed errors shared by every agentmixer package.

All errors raised on bad input derive from :class:`AgentmixerError` so that the CLI (and users)
can catch one type; each also derives from the closest builtin (``ValueError``, ``KeyError``) so
ordinary ``except ValueError`` code keeps working.
"""

from __future__ import annotations


class AgentmixerError(Exception):
    """Base class of every error agentmixer raises on purpose."""


class GameError(AgentmixerError, ValueError):
    """A game model is malformed (payoff shape, non-finite entry, bad action names, ...)."""


class ParseError(AgentmixerError, ValueError):
    """A game file could not be parsed; the message names the line and column.

    Attributes:
        line: 1-based line number of the offending token (``None`` if unknown).
        column: 1-based column of the offending token (``None`` if unknown).
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 source: str | None = None) -> None:
        self.line = line
        self.column = column
        self.source = source
        where = ""
        if source is not None:
            where += f"{source}:"
        if line is not None:
            where += f"{line}:" + (f"{column}:" if column is not None else "")
        super().__init__(f"{where} {message}" if where else message)


class GameNotFoundError(AgentmixerError, KeyError):
    """A game name could not be resolved; the message lists the closest known names."""

    def __str__(self) -> str:  # KeyError would otherwise print the repr of the message
        return str(self.args[0]) if self.args else ""
