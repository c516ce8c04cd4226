"""A thin, typed wrapper over HiGHS (Huangfu & Hall, Math. Prog. Comp. 2018) for our LPs.

Problems are ``min c·x`` subject to ``row_lower <= A x <= row_upper`` and column
bounds, with A given in CSR arrays. The wrapper reports HiGHS's own ``run()`` time so benchmarks
can separate model building from solving, and turns every non-optimal status into a SolverError.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import highspy
import numpy as np

from ce.errors import SolverError, SolverWarning

__all__ = ["HighsSolution", "solve_highs"]

INF = highspy.kHighsInf


@dataclass(frozen=True)
class HighsSolution:
    """Primal x, row duals (HiGHS sign convention for minimisation), objective and timing."""

    x: np.ndarray
    row_dual: np.ndarray
    objective: float
    status: str
    run_seconds: float


def solve_highs(cost: np.ndarray, col_lower: np.ndarray, col_upper: np.ndarray,
                row_lower: np.ndarray, row_upper: np.ndarray, indptr: np.ndarray,
                indices: np.ndarray, data: np.ndarray, *,
                options: dict[str, object] | None = None) -> HighsSolution:
    """Minimise ``cost·x`` over the polyhedron; typed errors for every non-optimal status."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for key, value in (options or {}).items():
        if h.setOptionValue(key, value) != highspy.HighsStatus.kOk:
            raise SolverError(f"HiGHS rejected option {key}={value!r}")
    n, k = len(cost), len(row_lower)
    f64 = np.float64
    status = h.passModel(
        n, k, len(data), int(highspy.MatrixFormat.kRowwise), int(highspy.ObjSense.kMinimize), 0.0,
        np.asarray(cost, f64), np.asarray(col_lower, f64), np.asarray(col_upper, f64),
        np.asarray(row_lower, f64), np.asarray(row_upper, f64),
        np.asarray(indptr[:-1], np.int32), np.asarray(indices, np.int32), np.asarray(data, f64),
        np.zeros(n, np.int32),  # all columns continuous
    )
    if status != highspy.HighsStatus.kOk:
        raise SolverError("HiGHS rejected the model (bad CSR arrays or bounds)")
    t0 = time.perf_counter()
    h.run()
    run_seconds = time.perf_counter() - t0
    model_status = h.getModelStatus()
    name = h.modelStatusToString(model_status)
    if model_status != highspy.HighsModelStatus.kOptimal:
        raise SolverError(f"HiGHS did not find an optimum: model status {name!r}", status=name)
    sol = h.getSolution()
    info = h.getInfo()
    if info.max_primal_infeasibility > 1e-6:
        warnings.warn(f"HiGHS solution violates a constraint by {info.max_primal_infeasibility:.3g}",
                      SolverWarning, stacklevel=3)
    return HighsSolution(np.array(sol.col_value), np.array(sol.row_dual),
                         float(info.objective_function_value), name, run_seconds)
