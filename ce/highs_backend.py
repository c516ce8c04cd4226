"""A thin, typed wrapper over HiGHS (Huangfu & Hall, Math. Prog. Comp. 2018) for our LPs and QPs.

Problems are ``min c·x (+ ½ xᵀQx)`` subject to ``row_lower <= A x <= row_upper`` and column
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
                indices: np.ndarray, data: np.ndarray, *, hessian_diag: np.ndarray | None = None,
                options: dict[str, object] | None = None) -> HighsSolution:
    """Minimise ``cost·x (+ ½ Σ_k hessian_diag[k] x_k²)`` over the polyhedron; typed errors."""
    lp = highspy.HighsLp()
    lp.num_col_ = len(cost)
    lp.num_row_ = len(row_lower)
    lp.col_cost_ = np.asarray(cost, dtype=np.float64)
    lp.col_lower_ = np.asarray(col_lower, dtype=np.float64)
    lp.col_upper_ = np.asarray(col_upper, dtype=np.float64)
    lp.row_lower_ = np.asarray(row_lower, dtype=np.float64)
    lp.row_upper_ = np.asarray(row_upper, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.asarray(indptr, dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(indices, dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray(data, dtype=np.float64)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for key, value in (options or {}).items():
        if h.setOptionValue(key, value) != highspy.HighsStatus.kOk:
            raise SolverError(f"HiGHS rejected option {key}={value!r}")
    if h.passModel(lp) != highspy.HighsStatus.kOk:
        raise SolverError("HiGHS rejected the model (bad CSR arrays or bounds)")
    if hessian_diag is not None:
        n = len(cost)
        status = h.passHessian(n, n, highspy.HessianFormat.kTriangular,
                               np.arange(n + 1, dtype=np.int32), np.arange(n, dtype=np.int32),
                               np.asarray(hessian_diag, dtype=np.float64))
        if status != highspy.HighsStatus.kOk:
            raise SolverError("HiGHS rejected the Hessian")
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
