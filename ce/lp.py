"""Correlated (CE) and coarse correlated (CCE) equilibria by linear and conic programming.

The CE/CCE sets of a finite game are polytopes (Aumann 1987; Hart & Schmeidler 1989), so an
optimal equilibrium for a linear objective is an LP over μ >= 0, Σμ = 1 and the incentive rows of
:mod:`ce.polytope` (Defs. 2-3 of the AgentMixer paper). Objectives:

* ``welfare``      max Σ_i E_μ[u_i]                  (LP, HiGHS)
* ``egalitarian``  max min_i E_μ[u_i]                (LP with one extra variable t)
* ``linear``       max Σ_a w(a) μ(a) for given weights w  (LP)
* ``feasibility``  any point of the polytope         (LP with zero cost)
* ``l1``           min ||μ - q||_1 to a target q     (LP with |A| auxiliaries)
* ``l2``           min ½||μ - q||_2² to a target q   (conic, cvxpy + Clarabel)
* ``entropy``      max -Σ_a μ(a) log μ(a)            (exponential cone, cvxpy + Clarabel)

Every result carries its certified gap (recomputed in closed form by :mod:`ce.gaps`) and, for LPs,
the multipliers λ >= 0 of the incentive constraints and of Σμ = 1 (by LP duality the latter equals
the optimal objective when the objective is linear, since every other right-hand side is 0).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ce.distributions import SUM_ATOL
from ce.errors import ConfigError, SolverError, SolverWarning
from ce.gaps import GapReport, cce_gap, ce_gap
from ce.highs_backend import INF, solve_highs
from ce.lp_rows import (
    LINEAR_OBJECTIVES,
    Rows,
    ScaledObjective,
    lifted_cce_rows,
    normalised_payoffs,
    scaled_objective,
)
from ce.polytope import IncentiveConstraints, cce_gain_matrix, incentive_constraints
from games.normal_form.game import NormalFormGame

__all__ = ["HIGHS_DEFAULTS", "OBJECTIVES", "EquilibriumResult", "solve_cce", "solve_ce", "solve_correlated"]

OBJECTIVES = ("welfare", "egalitarian", "linear", "feasibility", "l1", "l2", "entropy")

GAP_WARN = 1e-6
"""A SolverWarning is issued when the certified gap of a returned μ exceeds this, relative to each
player's payoff range (:attr:`ce.gaps.GapReport.relative_epsilon`)."""

HIGHS_DEFAULTS: dict[str, dict[str, object]] = {
    # Two-player CE LPs have many sparse rows: dual simplex (IPM is 30x slower on 2x100); with
    # few dense rows (>= 3 players) solve_correlated switches to IPM.
    "ce": {"solver": "simplex", "presolve": "off", "primal_feasibility_tolerance": 1e-9},
    # Lifted CCE LPs (>= 20 actions): IPM + crossover; few-row CCEs go through the explicit dual,
    # which always uses simplex.
    "cce": {"solver": "ipm", "presolve": "off", "primal_feasibility_tolerance": 1e-9},
}
"""HiGHS options used unless the caller overrides them (measured in benchmarks/ce_lp.py).
Presolve is off: it removes nothing from these LPs but took 16 of 24 s on 2x200 CE. The
tolerances are relative: every LP is built from payoffs normalised to a unit range per player."""

CLARABEL_TOLERANCES = {"tol_gap_abs": 1e-11, "tol_gap_rel": 1e-11, "tol_feas": 1e-11,
                       "tol_ktratio": 1e-9}
"""Clarabel's defaults (1e-8) left l2 projections onto a vertex ~4e-5 away from it."""
CLARABEL_RETRY_FACTORS = (1.0, 10.0, 100.0)
"""When Clarabel ends "almost solved" (optimal_inaccurate) at CLARABEL_TOLERANCES, it is run again
with the tolerances multiplied by the next factor (seen on entropy problems: 1e-11 is at the edge
of what its interior-point iterations reach)."""

LIFT_CCE_MIN_ACTIONS = 20
"""CCE LPs switch to the sparse lifted rows (``ce.lp_rows.lifted_cce_rows``) when some player has at least
this many actions: on 2x100 that is 10x faster, while on 6x5 (few actions, many opponents'
profiles) the extra equality rows make it 5-10x slower than the plain dense rows."""

IPM_MIN_JOINT_PER_ROW = 50
"""CE LPs with at least this many joint actions per incentive row (few dense rows: many players)
are solved by HiGHS's IPM instead of simplex unless the caller picks a solver: 6x5 CE 0.41 s vs
0.71 s."""

POLISH_THRESHOLDS = (1e-9, 1e-7, 1e-5)
"""Active-face guesses of :func:`_polish_projection`: entries above the threshold are free, rows
within it of binding are tight."""
POLISH_FEASIBILITY = 1e-12
"""A polished l2 projection is kept only if it is feasible to this (normalised units)."""

SUPPORT_TOL = 1e-9
"""Probabilities above this count as the support of a returned distribution."""


@dataclass(frozen=True)
class EquilibriumResult:
    """An optimal point of the CE or CCE polytope.

    Attributes:
        concept, objective: what was solved.
        distribution: μ, shape ``(|A_1|, ..., |A_N|)``.
        values: ``(N,)`` E_μ[u_i].
        objective_value: the optimum in the objective's own units (maximised quantities positive).
        gap: the closed-form ε-gap of ``distribution`` for ``concept`` (a certificate).
        incentive_duals: per player, λ >= 0 of the incentive rows — ``(|A_i|, |A_i|)`` indexed
            [r, a'] for CE, ``(|A_i|,)`` indexed [a'] for CCE; ``None`` when not available.
        normalization_dual: multiplier of Σμ = 1; equals ``objective_value`` for the linear
            objectives (welfare, linear, egalitarian) by strong duality.
        build_seconds: time to build the model; solve_seconds: the solver's own run time.
    """

    game: NormalFormGame
    concept: str
    objective: str
    distribution: np.ndarray
    values: np.ndarray
    objective_value: float
    gap: GapReport
    incentive_duals: tuple[np.ndarray, ...] | None
    normalization_dual: float | None
    status: str
    build_seconds: float
    solve_seconds: float

    @property
    def welfare(self) -> float:
        return float(self.values.sum())

    def support(self, tol: float = SUPPORT_TOL) -> list[tuple[tuple[int, ...], float]]:
        """Joint actions with probability > tol, most likely first."""
        flat = self.distribution.ravel()
        order = np.argsort(-flat, kind="stable")
        keep = order[flat[order] > tol]
        shape = self.distribution.shape
        return [(tuple(int(x) for x in np.unravel_index(k, shape)), float(flat[k])) for k in keep]


def _row_players(game: NormalFormGame, concept: str,
                 cons: IncentiveConstraints | None) -> np.ndarray:
    """The deviating player of every incentive row (CCE rows: by player, then a')."""
    if cons is not None:
        return cons.player
    return np.repeat(np.arange(game.num_players), game.num_actions)


def _split_duals(game: NormalFormGame, concept: str, lam: np.ndarray,
                 cons: IncentiveConstraints | None) -> tuple[np.ndarray, ...]:
    """Per player: λ[r, a'] (CE) or λ[a'] (CCE rows come in order a' = 0..|A_i|-1)."""
    if concept == "cce":
        return tuple(np.split(lam, np.cumsum(game.num_actions)[:-1]))
    assert cons is not None
    out = []
    for i, m in enumerate(game.num_actions):
        rows = cons.player == i
        mat = np.zeros((m, m))
        mat[cons.recommended[rows], cons.deviation[rows]] = lam[rows]
        out.append(mat)
    return tuple(out)


def _solve_cce_dual(rows_game: NormalFormGame, w: np.ndarray,
                    options: dict[str, object]) -> tuple[np.ndarray, float, np.ndarray, str, float]:
    """max w·μ over the CCE polytope through its LP dual, solved explicitly by simplex.

    Dual: min v s.t. Σ_r λ_r G[r, a] + v >= w(a) for every joint action a, λ >= 0, v free, with G
    the CCE rows (:func:`ce.polytope.cce_gain_matrix`). With few dense CCE rows (many players, few
    actions) this LP has k + 1 columns and HiGHS's simplex solves it 2-4x faster than the primal
    (benchmarks/ce_lp.py). μ is read off the row duals, and the dual's own solution (λ, v) gives
    the multipliers of the primal's rows.
    """
    n, k = rows_game.num_joint_actions, sum(rows_game.num_actions)
    dense = np.hstack([cce_gain_matrix(rows_game).T, np.ones((n, 1))])     # [Gᵀ | 1]
    indptr = np.arange(n + 1, dtype=np.int64) * (k + 1)
    indices = np.tile(np.arange(k + 1, dtype=np.int32), n)
    sol = solve_highs(np.append(np.zeros(k), 1.0), np.append(np.zeros(k), -INF), np.full(k + 1, INF),
                      w, np.full(n, INF), indptr, indices, dense.ravel(),
                      options={**options, "solver": "simplex"})
    mu = np.clip(sol.row_dual, 0.0, None)
    return mu, sol.objective, sol.x, sol.status, sol.run_seconds


def _solve_lp(rows_game: NormalFormGame, cons: IncentiveConstraints | None, obj: ScaledObjective,
              options: dict[str, object] | None) -> tuple[np.ndarray, float, np.ndarray, str, float]:
    """``cons=None`` selects the lifted CCE rows (see :func:`ce.lp_rows.lifted_cce_rows`).

    Returns μ, the optimum in scaled units (maximised quantities positive), the multipliers of
    the incentive rows and of Σμ = 1 (scaled units), the status and HiGHS's run time.
    """
    n = rows_game.num_joint_actions
    k = sum(rows_game.num_actions) if cons is None else cons.num_rows
    rows = Rows()
    defs: list[tuple[np.ndarray, np.ndarray]] = []
    if cons is None:
        n_aux, defs = lifted_cce_rows(rows_game, rows)
    else:
        n_aux = 0
        rows.csr(cons.indptr, cons.indices, cons.data, -INF, 0.0)
    rows.dense(np.arange(n), np.ones(n), 1.0, 1.0)                      # Σ μ = 1
    for idx, val in defs:
        rows.dense(idx, val, 0.0, 0.0)
    ncol = n + n_aux                                                     # objective columns follow
    col_lo = np.concatenate([np.zeros(n), np.full(n_aux, -INF)])
    col_hi = np.full(ncol, INF)
    cost = np.zeros(ncol)
    sign = -1.0  # objective_value = sign * (HiGHS minimum)
    if obj.weights is not None:                                          # welfare, linear, feasibility
        cost[:n] = -obj.weights
    elif obj.payoffs is not None:                                        # max t, E u_i(μ) >= t
        cost = np.append(cost, -1.0)
        col_lo, col_hi = np.append(col_lo, -INF), np.append(col_hi, INF)
        players = obj.payoffs.shape[0]
        idx = np.broadcast_to(np.append(np.arange(n), ncol), (players, n + 1))
        rows.dense(idx, np.hstack([obj.payoffs, -np.ones((players, 1))]), 0.0, INF)
    elif obj.name == "l1":                                               # min Σ d, |μ - q| <= d
        q = obj.target
        cost = np.concatenate([cost, np.ones(n)])
        col_lo, col_hi = np.concatenate([col_lo, np.zeros(n)]), np.concatenate([col_hi, np.full(n, INF)])
        pairs = np.stack([np.arange(n), ncol + np.arange(n)], axis=1)
        rows.dense(pairs, np.array([[1.0, -1.0]]), -INF, q)           # μ_a - d_a <= q_a
        rows.dense(pairs, np.array([[1.0, 1.0]]), q, INF)             # μ_a + d_a >= q_a
        sign = 1.0
    else:
        raise ConfigError(f"unknown objective {obj.name!r}; choose from {OBJECTIVES}")
    indptr, indices, data, row_lo, row_hi = rows.build()
    sol = solve_highs(cost, col_lo, col_hi, row_lo, row_hi, indptr, indices, data,
                      options=options)
    value = 0.0 if obj.name == "feasibility" else sign * sol.objective
    lam = -sol.row_dual[: k + 1]  # λ >= 0 for "<=" rows of a minimisation
    return sol.x[:n], value, lam, sol.status, sol.run_seconds


def _solve_conic(cons: IncentiveConstraints, obj: ScaledObjective
                 ) -> tuple[np.ndarray, float, np.ndarray, str, float]:
    """``entropy`` (exponential cone) and ``l2`` (second-order cone) with cvxpy + Clarabel.

    The l2 projection runs here rather than in HiGHS's active-set QP solver, which failed or did
    not terminate on a sizeable fraction of small random games (see tests/ce/test_lp.py).
    """
    import cvxpy as cp

    n = cons.num_joint
    x = cp.Variable(n, nonneg=True)
    incent = cons.matrix() @ x <= 0
    norm = cp.sum(x) == 1
    if obj.name == "entropy":
        goal = cp.Maximize(cp.sum(cp.entr(x)))
    else:
        goal = cp.Minimize(0.5 * cp.sum_squares(x - obj.target))
    prob = cp.Problem(goal, [incent, norm])
    t0 = time.perf_counter()
    for loosen in CLARABEL_RETRY_FACTORS:  # tighter than Clarabel can reach: retry looser
        tols = {k: v * loosen for k, v in CLARABEL_TOLERANCES.items()}
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Solution may be inaccurate")
                prob.solve(solver=cp.CLARABEL, **tols)
        except cp.error.SolverError as exc:
            raise SolverError(f"Clarabel failed on the {obj.name} problem: {exc}") from None
        if prob.status != cp.OPTIMAL_INACCURATE:
            break
    run = time.perf_counter() - t0
    if prob.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise SolverError(f"{obj.name} problem status {prob.status!r}", status=prob.status)
    if prob.status == cp.OPTIMAL_INACCURATE:
        warnings.warn("Clarabel: optimal_inaccurate", SolverWarning, stacklevel=3)
    mu = np.clip(np.asarray(x.value).ravel(), 0.0, None)
    mu /= mu.sum()  # interior-point output: clip round-off below 0; the gap below certifies it
    lam = np.append(np.asarray(incent.dual_value).ravel(), -float(norm.dual_value))
    if obj.name == "entropy":
        value = float(-(mu[mu > 0] * np.log(mu[mu > 0])).sum())
    else:
        mu = _polish_projection(cons.matrix(), obj.target, mu)
        value = 0.5 * float(((mu - obj.target) ** 2).sum())
    return mu, value, lam, str(prob.status), run


def _polish_projection(a: sp.csr_array, q: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Refine an interior-point projection of q onto {μ >= 0, Aμ <= 0, Σμ = 1} on its active face.

    Guess the face (entries of μ above a threshold are free, rows within it of binding are
    tight), solve the equality-constrained least squares there exactly (KKT system, lstsq), and
    keep the result only if it is feasible to POLISH_FEASIBILITY and no farther from q than μ. By
    strict convexity a feasible point at least as close as a near-optimal one is at least as near
    the optimum, so polishing can only help.
    """
    best, best_obj = mu, float(((mu - q) ** 2).sum())
    rows = a @ mu
    tiny = POLISH_FEASIBILITY
    for tol in POLISH_THRESHOLDS:
        free = mu > tol
        tight = rows > -tol
        c = np.vstack([a[tight][:, free].toarray(), np.ones((1, int(free.sum())))])
        d = np.zeros(c.shape[0])
        d[-1] = 1.0
        nu = np.linalg.lstsq(c @ c.T, c @ q[free] - d, rcond=None)[0]
        x = np.zeros_like(mu)
        x[free] = q[free] - c.T @ nu
        obj = float(((x - q) ** 2).sum())
        if (x.min() >= -tiny and (a @ x).max(initial=0.0) <= tiny and abs(x.sum() - 1) <= tiny
                and obj <= best_obj):
            best, best_obj = np.clip(x, 0.0, None), obj
    return best


def solve_correlated(game: NormalFormGame, concept: str = "ce", objective: str = "welfare", *,
                     weights: np.ndarray | None = None, target: np.ndarray | Sequence | None = None,
                     options: dict[str, object] | None = None) -> EquilibriumResult:
    """An optimal CE (``concept="ce"``) or CCE (``"cce"``) of ``game`` for ``objective``.

    ``target`` (l1/l2; default uniform) is a joint distribution; ``weights`` (linear) has the
    joint-action shape; ``options`` are passed to HiGHS for the LP objectives (e.g.
    ``{"solver": "ipm"}``) and ignored by the conic ones (entropy, l2).

    Scale: the incentive rows are built from each player's payoffs normalised to the unit
    interval (the polytopes do not change), objective coefficients are divided by their largest
    magnitude, and the multipliers are mapped back to the original units; the returned μ is
    certified by its closed-form gap in the original payoffs, and a :class:`SolverWarning` is
    issued when that gap exceeds GAP_WARN relative to a player's payoff range.
    """
    if objective not in OBJECTIVES:
        raise ConfigError(f"unknown objective {objective!r}; choose from {OBJECTIVES}")
    if concept not in HIGHS_DEFAULTS:
        raise ConfigError(f"concept must be 'ce' or 'cce', got {concept!r}")
    t0 = time.perf_counter()
    obj = scaled_objective(game, objective, weights, target)
    rows_game, ranges = normalised_payoffs(game)
    opts = {**HIGHS_DEFAULTS[concept], **(options or {})}
    scale = obj.scale
    if objective in ("entropy", "l2"):
        cons = incentive_constraints(rows_game, concept)
        flat, value, lam, status, run = _solve_conic(cons, obj)
    elif concept == "cce" and max(game.num_actions) >= LIFT_CCE_MIN_ACTIONS:
        cons = None  # many actions: sparse lifted rows
        flat, value, lam, status, run = _solve_lp(rows_game, None, obj, opts)
    elif concept == "cce" and objective in LINEAR_OBJECTIVES:
        cons = None  # few dense rows: the explicit dual
        assert obj.weights is not None
        flat, value, lam, status, run = _solve_cce_dual(rows_game, obj.weights, opts)
        value = 0.0 if objective == "feasibility" else value
    else:
        cons = incentive_constraints(rows_game, concept)
        if (concept == "ce" and IPM_MIN_JOINT_PER_ROW * cons.num_rows <= game.num_joint_actions
                and "solver" not in (options or {})):
            opts["solver"] = "ipm"
        flat, value, lam, status, run = _solve_lp(rows_game, cons, obj, opts)
    build = time.perf_counter() - t0 - run
    mu = flat.reshape(game.num_actions)
    gap = (ce_gap if concept == "ce" else cce_gap)(game, mu, atol=SUM_ATOL)
    if gap.relative_epsilon is not None and gap.relative_epsilon > GAP_WARN:
        warnings.warn(f"solver returned an {gap.epsilon:.3g}-{concept.upper()} ({gap.relative_epsilon:.3g} "
                      "of a player's payoff range), not an exact one", SolverWarning, stacklevel=2)
    # back to the original units: row (i, ·) was divided by range_i, the objective shifted by
    # `offset` (which moves the optimum and the multiplier of Σμ = 1 alike) and divided by `scale`
    incentive = lam[:-1] * scale / ranges[_row_players(game, concept, cons)]
    duals = _split_duals(game, concept, incentive, cons)
    offset = obj.offset if objective != "feasibility" else 0.0
    return EquilibriumResult(game, concept, objective, mu, game.expected_payoffs(mu),
                             value * scale + offset, gap, duals, float(lam[-1]) * scale + offset,
                             status, build, run)


def solve_ce(game: NormalFormGame, objective: str = "welfare", **kwargs: object) -> EquilibriumResult:
    """Def. 3: an optimal correlated equilibrium (see :func:`solve_correlated`)."""
    return solve_correlated(game, "ce", objective, **kwargs)  # type: ignore[arg-type]


def solve_cce(game: NormalFormGame, objective: str = "welfare", **kwargs: object) -> EquilibriumResult:
    """Def. 2: an optimal coarse correlated equilibrium (see :func:`solve_correlated`)."""
    return solve_correlated(game, "cce", objective, **kwargs)  # type: ignore[arg-type]
