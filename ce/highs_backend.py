"""A thin, typed wrapper over HiGHS (Huangfu & Hall, Math. Prog. Comp. 2018) for our LPs.

Problems are ``min c·x`` subject to ``row_lower <= A x <= row_upper`` and column
bounds, with A given in CSR arrays. The wrapper reports HiGHS's own ``run()`` time so benchmarks
can separate model building from solving, turns every non-optimal status into a SolverError and
every HiGHS warning into a :class:`SolverWarning`.

Console output: some highspy releases (1.16 among them) print a "Running HiGHS ... Copyright"
banner on the process's *stdout* file descriptor when the first ``Highs()`` object is
constructed, before any option can be set. :func:`new_highs` constructs every HiGHS object with
file descriptor 1 pointed at ``os.devnull`` for the duration of the constructor, so that
``agentmixer ... --json`` output stays pure JSON whatever highspy version is installed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import highspy
import numpy as np

from ce.errors import SolverError, SolverWarning

__all__ = ["SMALL_MATRIX_VALUE", "HighsSolution", "new_highs", "solve_highs"]

INF = highspy.kHighsInf

SMALL_MATRIX_VALUE = 1e-12
"""Matrix entries of magnitude at most this are dropped before the model reaches HiGHS (whose own
default, 1e-9, would drop them with a warning). The LPs of :mod:`ce.lp` are built from payoffs
normalised to a unit range per player, so this is a relative size; the closed-form gap of every
returned solution certifies what the dropped entries could have changed."""

PRIMAL_INFEASIBILITY_WARN = 1e-6
"""A returned HiGHS solution violating a constraint by more than this raises a SolverWarning."""

_CONSTRUCT_LOCK = threading.Lock()


def _libc_fflush() -> None:
    """Flush C stdio buffers (so that nothing written by C code crosses a file-descriptor swap)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).fflush(None)


@contextlib.contextmanager
def _stdout_fd_silenced() -> Iterator[None]:
    """Point file descriptor 1 at ``os.devnull`` for the duration of the block (C-level prints)."""
    try:
        saved = os.dup(1)
    except OSError:  # no stdout descriptor at all: nothing to protect
        yield
        return
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    _libc_fflush()
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        yield
    finally:
        _libc_fflush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def new_highs() -> highspy.Highs:
    """A silent ``highspy.Highs`` object: no banner on stdout, ``output_flag`` off."""
    with _CONSTRUCT_LOCK, _stdout_fd_silenced():
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    return h


@dataclass(frozen=True)
class HighsSolution:
    """Primal x, row duals (HiGHS sign convention for minimisation), objective and timing."""

    x: np.ndarray
    row_dual: np.ndarray
    objective: float
    status: str
    run_seconds: float


def _drop_tiny(indptr: np.ndarray, indices: np.ndarray,
               data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    keep = np.abs(data) > SMALL_MATRIX_VALUE
    if keep.all():
        return indptr, indices, data
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    counts = np.bincount(rows[keep], minlength=len(indptr) - 1)
    new_ptr = np.zeros(len(indptr), dtype=np.int64)
    np.cumsum(counts, out=new_ptr[1:])
    return new_ptr, indices[keep], data[keep]


def solve_highs(cost: np.ndarray, col_lower: np.ndarray, col_upper: np.ndarray,
                row_lower: np.ndarray, row_upper: np.ndarray, indptr: np.ndarray,
                indices: np.ndarray, data: np.ndarray, *,
                options: dict[str, object] | None = None) -> HighsSolution:
    """Minimise ``cost·x`` over the polyhedron; typed errors for every non-optimal status.

    A HiGHS status of ``kWarning`` (from passing the model or from solving) is reported as a
    :class:`SolverWarning` and the solution is used; only ``kError`` is a :class:`SolverError`.
    """
    h = new_highs()
    h.setOptionValue("small_matrix_value", SMALL_MATRIX_VALUE)
    for key, value in (options or {}).items():
        if h.setOptionValue(key, value) != highspy.HighsStatus.kOk:
            raise SolverError(f"HiGHS rejected option {key}={value!r}")
    indptr, indices, data = _drop_tiny(np.asarray(indptr, np.int64), np.asarray(indices),
                                       np.asarray(data, np.float64))
    n, k = len(cost), len(row_lower)
    f64 = np.float64
    status = h.passModel(
        n, k, len(data), int(highspy.MatrixFormat.kRowwise), int(highspy.ObjSense.kMinimize), 0.0,
        np.asarray(cost, f64), np.asarray(col_lower, f64), np.asarray(col_upper, f64),
        np.asarray(row_lower, f64), np.asarray(row_upper, f64),
        np.asarray(indptr[:-1], np.int32), np.asarray(indices, np.int32), np.asarray(data, f64),
        np.zeros(n, np.int32),  # all columns continuous
    )
    if status == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the model (bad CSR arrays or bounds)", status="error")
    if status == highspy.HighsStatus.kWarning:
        warnings.warn("HiGHS accepted the model with a warning (e.g. tiny or huge matrix "
                      "entries); the closed-form gap certifies the result", SolverWarning,
                      stacklevel=3)
    t0 = time.perf_counter()
    run_status = h.run()
    run_seconds = time.perf_counter() - t0
    model_status = h.getModelStatus()
    name = h.modelStatusToString(model_status)
    if run_status == highspy.HighsStatus.kError or model_status != highspy.HighsModelStatus.kOptimal:
        raise SolverError(f"HiGHS did not find an optimum: model status {name!r}", status=name)
    sol = h.getSolution()
    info = h.getInfo()
    if info.max_primal_infeasibility > PRIMAL_INFEASIBILITY_WARN:
        warnings.warn(f"HiGHS solution violates a constraint by {info.max_primal_infeasibility:.3g}",
                      SolverWarning, stacklevel=3)
    return HighsSolution(np.array(sol.col_value), np.array(sol.row_dual),
                         float(info.objective_function_value), name, run_seconds)
