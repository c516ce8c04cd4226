"""Typed errors of the neural training tier (:mod:`learners.neural.trainer`).

Both derive from :class:`games.errors.GameError` (hence ``AgentmixerError`` and ``ValueError``), so
the CLI prints them as one line and exits with status 2.
"""

from __future__ import annotations

from games.errors import GameError

__all__ = ["ConfigError", "TrainingDiverged"]


class ConfigError(GameError):
    """A training configuration is invalid: unknown key, wrong type or out-of-range value."""


class TrainingDiverged(GameError):
    """A loss, gradient or parameter became NaN / inf; the last good checkpoint is kept.

    Attributes:
        iteration: the update at which the non-finite value appeared.
        checkpoint: path of the last good checkpoint (``None`` if none was written yet).
    """

    def __init__(self, message: str, iteration: int, checkpoint: str | None) -> None:
        self.iteration = iteration
        self.checkpoint = checkpoint
        kept = f"; last good checkpoint kept at {checkpoint}" if checkpoint else "; no checkpoint yet"
        super().__init__(f"training diverged at update {iteration}: {message}{kept}")
