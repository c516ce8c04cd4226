"""The typed errors of every agentmixer package: one root, one branch per kind of failure.

::

    AgentmixerError
    ├── GameError            a model is malformed: payoffs, a Dec-POMDP, a policy or distribution on it
    │   └── GameNotFoundError   a model name or file could not be resolved (also a KeyError)
    ├── ParseError           a file could not be parsed (names the source, line and column)
    ├── ConfigError          a setting is invalid: an argument, a learner's config, an objective
    ├── SolverError          a solver did not deliver (see :mod:`ce.errors`)
    └── TrainingError        training failed (see :mod:`learners.neural.errors`)

Every class also derives from the closest builtin (``ValueError``, ``KeyError``, ``RuntimeError``)
so ordinary ``except ValueError`` code keeps working. The CLI prints any ``AgentmixerError`` as one
line and exits with status 2.
"""

from __future__ import annotations

__all__ = ["AgentmixerError", "ConfigError", "GameError", "GameNotFoundError", "ParseError",
           "SolverError", "TrainingError"]


class AgentmixerError(Exception):
    """Base class of every error agentmixer raises on purpose."""


class GameError(AgentmixerError, ValueError):
    """A model is malformed: payoff shape, non-finite entry, bad action names, a policy or a
    distribution that does not fit its model, ..."""


class ConfigError(AgentmixerError, ValueError):
    """A setting is invalid: unknown key, wrong type or out-of-range value of an argument, a
    learner's configuration, an objective or method name."""


class ParseError(AgentmixerError, ValueError):
    """A file could not be parsed; the message names the line and column.

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


class GameNotFoundError(GameError, KeyError):
    """A model name or file could not be resolved; the message lists the closest known names."""

    def __str__(self) -> str:  # KeyError would otherwise print the repr of the message
        return str(self.args[0]) if self.args else ""


class SolverError(AgentmixerError, RuntimeError):
    """A solver did not return what was asked (status named in the message)."""

    def __init__(self, message: str, status: str | None = None) -> None:
        self.status = status
        super().__init__(message)


class TrainingError(AgentmixerError, RuntimeError):
    """Training could not go on (a diverged loss, a run directory that cannot be resumed)."""
