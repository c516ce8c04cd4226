"""Run-directory logging of :mod:`learners.neural.trainer`: ``metrics.csv``, TensorBoard and a
progress display on stderr.

``metrics.csv`` has one row per update with a fixed column order (the first row's keys); floats
are written with ``repr`` so they round-trip exactly (resume tests compare rows as text). Wall-clock
quantities (steps/s) go to TensorBoard and the progress line only, never to the CSV, so the CSV of
a resumed run equals that of an uninterrupted one. TensorBoard (``torch.utils.tensorboard``) is
imported lazily and skipped with a warning when the ``tensorboard`` package is missing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from tqdm import tqdm

from learners.neural.checkpoint import atomic_write_text
from learners.neural.errors import ConfigError

__all__ = ["EPISODE_COLUMNS", "EpisodeLog", "MetricsLog", "Progress", "format_progress", "open_tensorboard",
           "open_wandb"]


class MetricsLog:
    """Appends rows to ``run_dir/metrics.csv``; :meth:`rewrite` resets it to given rows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.columns: list[str] | None = None

    def rewrite(self, rows: list[dict[str, Any]]) -> None:
        """Replace the file by exactly ``rows`` (atomically)."""
        self.columns = list(rows[0]) if rows else None
        buf = io.StringIO(newline="")
        if self.columns is not None:
            writer = csv.writer(buf)
            writer.writerow(self.columns)
            writer.writerows([[_fmt(r.get(c)) for c in self.columns] for r in rows])
        atomic_write_text(self.path, buf.getvalue())

    def append(self, row: dict[str, Any]) -> None:
        new = self.columns is None
        if new:
            self.columns = list(row)
        assert self.columns is not None
        with open(self.path, "w" if new else "a", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            if new:
                writer.writerow(self.columns)
            writer.writerow([_fmt(row.get(c)) for c in self.columns])


EPISODE_COLUMNS = ("update", "env_steps", "mode", "episode", "return", "length", "won")
"""Columns of ``eval_episodes.csv``: one row per evaluation episode (``mode`` is deterministic or
sampled; ``won`` is empty where the environment reports no win)."""


class EpisodeLog:
    """Every evaluation episode of a run: ``eval_episodes.csv`` (one row per episode) and
    ``eval_episodes.json`` (one record per evaluation, with the per-episode lists), both rewritten
    atomically from the records, so a resumed run's files equal an uninterrupted run's."""

    def __init__(self, run_dir: Path) -> None:
        self.csv_path = run_dir / "eval_episodes.csv"
        self.json_path = run_dir / "eval_episodes.json"

    def write(self, records: list[dict[str, Any]]) -> None:
        buf = io.StringIO(newline="")
        writer = csv.writer(buf)
        writer.writerow(EPISODE_COLUMNS)
        for rec in records:
            wins = rec.get("won") or [None] * len(rec["returns"])
            for k, (ret, length, won) in enumerate(zip(rec["returns"], rec["lengths"], wins, strict=True)):
                writer.writerow([rec["update"], rec["env_steps"], rec["mode"], k, _fmt(float(ret)), length,
                                 "" if won is None else int(won)])
        atomic_write_text(self.csv_path, buf.getvalue())
        atomic_write_text(self.json_path, json.dumps(records, indent=1, allow_nan=False))


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def open_tensorboard(run_dir: Path, purge_step: int | None) -> Any:
    """A SummaryWriter on ``run_dir`` (dropping events after ``purge_step`` on resume), or None."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as exc:  # tensorboard not installed
        warnings.warn(f"TensorBoard logging skipped: {exc}", stacklevel=2)
        return None
    return SummaryWriter(log_dir=str(run_dir), purge_step=purge_step)


def open_wandb(run_dir: Path, config: dict[str, Any]) -> Any:
    """A Weights & Biases run for ``run_dir`` (the optional ``wandb`` sink), resumed when the run
    directory is resumed: its id is derived from the directory's path.

    The mode is ``$WANDB_MODE`` and **offline** when unset (nothing leaves the machine; ``wandb
    sync`` uploads later); set ``WANDB_MODE=online`` after ``wandb login`` to stream.
    """
    try:
        import wandb
    except ImportError:
        raise ConfigError("wandb=true needs the wandb package: pip install wandb") from None
    run_id = hashlib.sha1(str(run_dir.resolve()).encode()).hexdigest()[:16]
    return wandb.init(project=os.environ.get("WANDB_PROJECT", "agentmixer"), name=run_dir.name, id=run_id,
                      dir=str(run_dir), config=config, resume="allow",
                      mode=os.environ.get("WANDB_MODE", "offline"))


def format_progress(env_steps: int, sps: float, det: float | None, sampled: float | None) -> str:
    """The progress line's text after the bar."""
    text = f"{env_steps} steps | {sps:,.0f} steps/s"
    if det is not None and not math.isnan(det):
        text += f" | eval det {det:.3f} sampled {sampled:.3f}"
    return text


class Progress:
    """The progress display on stderr (tqdm): redrawn in place on a terminal and silent when
    stderr is not one (a captured log gets no carriage-return lines) or when ``enabled`` is off."""

    def __init__(self, total: int, initial: int, enabled: bool) -> None:
        self.bar = tqdm(total=total, initial=initial, file=sys.stderr, unit="update",
                        disable=None if enabled else True, dynamic_ncols=True)

    def step(self, text: str) -> None:
        """One more update done; ``text`` follows the bar."""
        self.bar.set_postfix_str(text, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()
