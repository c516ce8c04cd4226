"""Finite-horizon planning for Dec-POMDPs (Bernstein, Givan, Immerman & Zilberstein, Math. OR 2002).

Horizons count decision steps and values are E[Σ_{t<H} γ^t R(s_t, a_t)] from b0. H and γ resolve
by the model's one rule (:meth:`~games.dec_pomdp.model.DecPOMDP.resolve_horizon`,
:meth:`~games.dec_pomdp.model.DecPOMDP.resolve_discount`): the argument when given, else the model's
own (a ``.dpomdp`` file's ``discount:`` line), else a typed error. Planners:

* :func:`solve_optimal` — the optimal deterministic decentralized policy by GMAA*-ICE (Oliehoek,
  Spaan, Amato & Whiteson, "Incremental clustering and expansion for faster optimal planning in
  Dec-POMDPs", JAIR 46, 2013): A* over partial policies with stage Bayesian games, lossless
  clustering of histories (Oliehoek, Whiteson & Spaan, AAMAS 2009), incremental expansion, and the
  Q_BG / Q_POMDP heuristics (Oliehoek, Spaan & Vlassis, JAIR 32, 2008) in a hybrid tree / vector
  form. It returns a :class:`ClusteredPolicy` (actions per cluster of histories and the cluster
  transitions), checked by :func:`evaluate_clustered`. Implementation: :mod:`ce.planning.gmaa`,
  :mod:`ce.planning.heuristic`, :mod:`ce.planning.bg`, :mod:`ce.planning.clustered`.
* :func:`solve_jesp` — JESP (Nair, Tambe, Yokoo, Pynadath & Marsella, IJCAI 2003): alternating
  exact best responses; fixed points are Nash equilibria in deterministic policies.
* :func:`solve_mmdp` — the fully observable MMDP optimum (Boutilier, TARK 1996), an upper bound on
  every Dec-POMDP policy; :func:`qmdp_values` gives its Q-values (the Q_MDP heuristic).
* :func:`solve_brute_force` — every deterministic joint policy evaluated (tiny models; a test oracle).
* :func:`evaluate_deterministic` / :func:`evaluate_clustered` — exact values of deterministic
  decentralized policies on histories / on clusters of histories.

Every planner returns a :class:`PlanResult`; a bad model raises :class:`~games.errors.GameError`, a
bad or missing horizon or discount :class:`~games.errors.ConfigError`.
"""

from __future__ import annotations

from ce.planning.clustered import ClusteredPolicy, evaluate_clustered
from ce.planning.common import (
    PlanResult,
    evaluate_deterministic,
    qmdp_values,
    random_deterministic_policy,
    solve_mmdp,
)
from ce.planning.gmaa import HEURISTICS, solve_gmaa_ice
from ce.planning.jesp import MAX_BRUTE_FORCE, jesp_best_response, solve_brute_force, solve_jesp
from games.dec_pomdp.model import DecPOMDP
from games.errors import ConfigError

__all__ = [
    "HEURISTICS",
    "MAX_BRUTE_FORCE",
    "METHODS",
    "ClusteredPolicy",
    "PlanResult",
    "evaluate_clustered",
    "evaluate_deterministic",
    "jesp_best_response",
    "qmdp_values",
    "random_deterministic_policy",
    "solve",
    "solve_brute_force",
    "solve_jesp",
    "solve_mmdp",
    "solve_optimal",
]


def solve_optimal(model: DecPOMDP, horizon: int | None = None, discount: float | None = None, *,
                  time_limit: float | None = None, heuristic: str = "auto") -> PlanResult:
    """The optimal deterministic decentralized policy for ``horizon`` decision steps (GMAA*-ICE).

    Deterministic policies suffice for optimality in finite-horizon Dec-POMDPs, so ``value`` is the
    Dec-POMDP optimum, recomputed by :func:`evaluate_clustered` on the returned
    :class:`ClusteredPolicy` (``policy.to_deterministic(...)`` expands it to histories when they are
    few enough). ``heuristic`` is one of :data:`HEURISTICS` (``"auto"``: Q_BG for two agents with
    small one-step Bayesian games, else Q_POMDP; both fall back to Q_MDP at stages where the table
    of reachable joint beliefs would be too large).

    Anytime use: with ``time_limit`` (seconds) the search may stop early; then ``optimal`` is
    ``False``, ``value`` is the best policy found (a lower bound), ``upper_bound`` a proven upper
    bound on the optimum and ``stats["gap"]`` their difference. A proven optimum has
    ``upper_bound == value``.
    """
    return solve_gmaa_ice(model, horizon, discount, time_limit=time_limit, heuristic=heuristic)


METHODS = ("exact", "jesp", "mmdp")
"""The planners :func:`solve` dispatches to: GMAA*-ICE, JESP, and the MMDP upper bound."""


def solve(model: DecPOMDP, horizon: int | None = None, discount: float | None = None, *,
          method: str = "exact", time_limit: float | None = None, seed: int = 0,
          restarts: int = 1) -> PlanResult:
    """Plan with ``method`` (one of :data:`METHODS`): the one entry the CLI calls.

    ``time_limit`` applies to ``"exact"``, ``seed`` and ``restarts`` to ``"jesp"``; horizon and
    discount resolve by the model's rule.
    """
    if method == "exact":
        return solve_optimal(model, horizon, discount, time_limit=time_limit)
    if method == "jesp":
        return solve_jesp(model, horizon, discount, seed=seed, restarts=restarts)
    if method == "mmdp":
        return solve_mmdp(model, horizon, discount)
    raise ConfigError(f"unknown planning method {method!r}; choose one of {', '.join(METHODS)}")
