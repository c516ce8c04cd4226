"""Atomic training checkpoints of :mod:`learners.neural.trainer`.

A checkpoint is one ``torch.save`` file holding everything needed to continue a run bit for bit on
CPU: the algorithm's parameters, optimizer states and value normaliser, the RNG states (python
``random``, numpy's global generator, torch's CPU generator, the evaluation generator), both
environments' :meth:`~games.envs.BatchedEnv.get_state`, the rollout position (current observation,
state, carry and episode-start flags), the counters and every metrics row written so far (so a
resumed run rewrites ``metrics.csv`` up to the checkpoint: appends are idempotent).

Writes go to a temporary file in the same directory, are flushed and fsync'ed, then ``os.replace``d
over the target: a run killed mid-write leaves the previous checkpoint intact. Loading uses
``torch.load(weights_only=False)`` (the payload holds numpy RNG states): load only checkpoints you
wrote yourself.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch

from learners.neural.errors import ConfigError

__all__ = ["CHECKPOINT_NAME", "atomic_write", "atomic_write_text", "capture_rng", "load_checkpoint",
           "restore_rng", "save_checkpoint"]

CHECKPOINT_NAME = "checkpoint.pt"
"""File name of the latest checkpoint inside a run directory."""


def capture_rng() -> dict[str, Any]:
    """The global RNG states of python ``random``, numpy and torch (CPU)."""
    numpy_state = np.random.get_state()  # noqa: NPY002 - the legacy global stream, saved on purpose
    return {"python": random.getstate(), "numpy": numpy_state, "torch": torch.get_rng_state()}


def restore_rng(state: dict[str, Any]) -> None:
    """Undo :func:`capture_rng`."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])  # noqa: NPY002
    torch.set_rng_state(state["torch"])


def atomic_write(path: str | Path, write: Callable[[BinaryIO], None]) -> Path:
    """Write ``path`` atomically: ``write`` fills a temporary file in the same directory, which is
    flushed, fsync'ed and ``os.replace``d over the target. Temporary files of writers that were
    killed mid-write (``.<name>.<pid>.tmp``) are removed first, so none is ever left behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for orphan in path.parent.glob(f".{path.name}.*.tmp"):
        orphan.unlink(missing_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """:func:`atomic_write` of UTF-8 text."""
    return atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` to ``path`` atomically (:func:`atomic_write`)."""
    return atomic_write(path, lambda fh: torch.save(payload, fh))


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (ConfigError if missing or unreadable)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no checkpoint at {str(path)!r}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise ConfigError(f"cannot read checkpoint {str(path)!r}: {exc}") from None
    if not isinstance(payload, dict) or "algo" not in payload:
        raise ConfigError(f"{str(path)!r} is not an agentmixer training checkpoint")
    return payload
