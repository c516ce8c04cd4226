"""Paths the tests share: the repository root and the MADP corpus beside it (``../shared/dpomdp``,
GPL-3 data read in place, never copied into the repository)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DPOMDP = REPO.parent / "shared" / "dpomdp"
