"""Typed errors of the neural training tier (:mod:`learners.neural.trainer`).

``ConfigError`` is the configuration branch of :mod:`games.errors`; ``TrainingDiverged`` is a
``TrainingError``. The CLI prints both as one line and exits with status 2.
"""

from __future__ import annotations

from games.errors import ConfigError, TrainingError

__all__ = ["ConfigError", "TrainingDiverged"]


class TrainingDiverged(TrainingError):
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
