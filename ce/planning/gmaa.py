"""GMAA*-ICE: exact finite-horizon Dec-POMDP planning (see :func:`ce.planning.solve_optimal`).

Generalized multiagent A* (Szer, Charpillet & Zilberstein, "MAA*: a heuristic search algorithm for
solving decentralized POMDPs", UAI 2005; Oliehoek, Spaan & Vlassis, JAIR 32, 2008) searches partial
joint policies φ^t = (δ^0, ..., δ^{t-1}) best first. A node's value is V(φ^t) + the best value of its
stage-t collaborative Bayesian game (CBG), whose payoffs are an admissible heuristic Q̂^t(θ, a)
weighted by P(θ) (:mod:`ce.planning.heuristic`: Q_BG or Q_POMDP on the reachable joint beliefs, Q_MDP
beyond them) and the exact reward at the last stage, so last-stage nodes yield complete policies
and a lower bound v*.

GMAA*-ICE (Oliehoek, Spaan, Amato & Whiteson, "Incremental clustering and expansion for faster
optimal planning in Dec-POMDPs", JAIR 46, 2013) adds

* lossless incremental clustering (Oliehoek, Whiteson & Spaan, AAMAS 2009): a node's types are its
  parent's types extended by one observation, and histories of agent i whose conditional
  distributions P(s, θ_{-i} | θ_i) coincide are merged (repeated over agents until stable);
  zero-probability histories are dropped. A node stores only the occupancy P(θ, s) over its
  clustered joint types and, per agent, the map (parent type, observation) -> type; nothing is
  indexed by observation histories, so problems whose histories collapse (BroadcastChannel) cost
  the same per stage at any horizon;
* incremental expansion: a node hands out its children one at a time, best first (the
  :class:`~ce.planning.bg.BGEnumerator`), and stays in the open list with the value of its next
  child, so children worse than v* are never generated.

Before the search a greedy dive (the best child of each node down to the last stage) and, where
it is cheap, JESP give the first lower bound. The result is a
:class:`~ce.planning.clustered.ClusteredPolicy` whose value is recomputed by exact forward
evaluation of the clustered form.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field

import numpy as np

from ce.planning.bg import BGEnumerator, best_bg_solution
from ce.planning.clustered import ClusteredPolicy, evaluate_clustered, joint_action_grid, propagate
from ce.planning.common import PlanResult, check_model, qmdp_values
from ce.planning.heuristic import BeliefTable
from ce.planning.jesp import jesp_work, solve_jesp
from games.dec_pomdp.model import DecPOMDP
from games.errors import ConfigError, SolverError

__all__ = ["HEURISTICS", "solve_gmaa_ice"]

HEURISTICS = ("auto", "qbg", "qpomdp", "qmdp")
_QBG_MAX_POLICIES = 4096
_JESP_WORK = 2e6
"""JESP supplies a second first lower bound only when its largest best-response array is this
small (elements); beyond that it costs more than the search it would save."""
_DECIMALS = 12


@dataclass(eq=False)
class _Node:
    t: int
    g: float
    occ: np.ndarray                        # (n_1, ..., n_N, S) occupancy of clustered joint types
    bidx: np.ndarray | None                # (n_1, ..., n_N) belief-table id (stages < table size)
    parent: _Node | None = None
    rule: tuple[np.ndarray, ...] | None = None   # the parent's decision rule (type -> action)
    succ: tuple[np.ndarray, ...] | None = None   # per agent (parent type, observation) -> type
    enum: BGEnumerator | None = field(default=None, repr=False)


def _cluster(occ: np.ndarray, bidx: np.ndarray | None,
             decimals: int = _DECIMALS) -> tuple[np.ndarray, np.ndarray | None, list[np.ndarray]]:
    """Lossless clustering of every agent's types; returns occ, bidx and per-agent maps old -> new
    (-1 for zero-probability types)."""
    n = occ.ndim - 1
    maps = [np.arange(occ.shape[i]) for i in range(n)]
    changed = True
    while changed:
        changed = False
        for i in range(n):
            m = np.moveaxis(occ, i, 0)
            flat = m.reshape(m.shape[0], -1)
            p = flat.sum(axis=1)
            keep = np.flatnonzero(p > 0)
            cond = np.round(flat[keep] / p[keep, None], decimals) + 0.0
            void = np.ascontiguousarray(cond).view(np.dtype((np.void, 8 * cond.shape[1]))).ravel()
            _, first, inv = np.unique(void, return_index=True, return_inverse=True)
            inv = inv.reshape(-1)
            if first.size == m.shape[0]:
                continue
            changed = True
            merged = np.zeros((first.size, flat.shape[1]))
            np.add.at(merged, inv, flat[keep])
            occ = np.moveaxis(merged.reshape((first.size, *m.shape[1:])), 0, i)
            if bidx is not None:
                bidx = np.moveaxis(np.moveaxis(bidx, i, 0)[keep[first]], 0, i)
            old_to_new = np.full(m.shape[0], -1, dtype=np.int64)
            old_to_new[keep] = inv
            maps[i] = np.where(maps[i] >= 0, old_to_new[np.maximum(maps[i], 0)], -1)
    return occ, bidx, maps


class _Search:
    def __init__(self, model: DecPOMDP, horizon: int, discount: float, heuristic: str,
                 deadline: float = math.inf) -> None:
        self.model, self.h, self.gamma = model, horizon, discount
        self.n = model.num_agents
        self.qmdp = qmdp_values(model, horizon, discount)
        if heuristic == "auto":
            small = (self.n == 2 and min(m ** q for m, q in zip(model.num_actions, model.num_observations,
                                                                 strict=True)) <= _QBG_MAX_POLICIES)
            # each Q_BG backup solves one-step BGs whose types are the last individual observations
            heuristic = "qbg" if small else "qpomdp"
        if heuristic == "qbg" and self.n != 2:
            raise ConfigError("the Q_BG heuristic is implemented for two agents; use 'qpomdp'")
        self.heuristic = heuristic
        self.table = (None if heuristic == "qmdp"
                      else BeliefTable.build(model, horizon, discount, heuristic, self.qmdp, deadline))
        self.table_stages = 0 if self.table is None else self.table.stages
        self.stats: dict[str, object] = {
            "heuristic": heuristic, "table_stages": self.table_stages,
            "table_beliefs": 0 if self.table is None else int(self.table.beliefs.shape[0]),
            "nodes": 0, "last_stage_bgs": 0, "children": 0, "max_types": [1] + [0] * (horizon - 1)}

    def root(self) -> _Node:
        occ = self.model.initial.reshape((1,) * self.n + (self.model.num_states,)).copy()
        bidx = np.zeros((1,) * self.n, dtype=np.int64) if self.table_stages > 0 else None
        return _Node(t=0, g=0.0, occ=occ, bidx=bidx)

    def child(self, parent: _Node, rule: tuple[np.ndarray, ...]) -> _Node:
        model, n, t = self.model, self.n, parent.t
        s = model.num_states
        shape = parent.occ.shape[:-1]
        ja = joint_action_grid(model, rule).ravel()
        flat = parent.occ.reshape(-1, s)
        reward = float(np.einsum("ks,ks->", flat, model.reward[:, ja].T))
        y = propagate(model, flat, ja).reshape(*shape, s, *model.num_observations)
        perm = [ax for i in range(n) for ax in (i, n + 1 + i)] + [n]
        new_shape = tuple(shape[i] * model.num_observations[i] for i in range(n))
        occ = y.transpose(perm).reshape(*new_shape, s)
        bidx = None
        if t + 1 < self.table_stages:
            assert self.table is not None and parent.bidx is not None
            nb = self.table.succ[parent.bidx.ravel(), ja].reshape(*shape, *model.num_observations)
            bidx = nb.transpose([ax for i in range(n) for ax in (i, n + i)]).reshape(new_shape)
        occ, bidx, maps = _cluster(occ, bidx)
        succ = tuple(np.maximum(maps[i], 0).reshape(shape[i], model.num_observations[i]) for i in range(n))
        types = self.stats["max_types"]
        assert isinstance(types, list)
        types[t + 1] = max(types[t + 1], int(np.prod(occ.shape[:-1])))
        return _Node(t=t + 1, g=parent.g + self.gamma ** t * reward, occ=occ, bidx=bidx,
                     parent=parent, rule=rule, succ=succ)

    def payoffs(self, node: _Node) -> np.ndarray:
        model = self.model
        flat = node.occ.reshape(-1, model.num_states)
        if node.t == self.h - 1:
            u = flat @ model.reward
        elif node.t < self.table_stages:
            assert self.table is not None and node.bidx is not None
            b = node.bidx.ravel()     # -1: a joint type of probability zero
            u = np.where(b[:, None] >= 0, flat.sum(axis=1)[:, None] * self.table.q[node.t][b], 0.0)
        else:
            u = flat @ self.qmdp[node.t]
        return u.reshape(*node.occ.shape[:-1], *model.num_actions)

    def policy(self, leaf: _Node, rule: tuple[np.ndarray, ...]) -> ClusteredPolicy:
        acts: list[list[np.ndarray]] = [[np.zeros(0, dtype=np.int64)] * self.h for _ in range(self.n)]
        succ: list[list[np.ndarray]] = [[np.zeros(0, dtype=np.int64)] * (self.h - 1) for _ in range(self.n)]
        node: _Node | None = leaf
        cur: tuple[np.ndarray, ...] | None = rule
        while node is not None:
            assert cur is not None
            for i in range(self.n):
                acts[i][node.t] = np.asarray(cur[i], dtype=np.int64)
                if node.succ is not None:
                    succ[i][node.t - 1] = node.succ[i]
            cur, node = node.rule, node.parent
        return ClusteredPolicy(tuple(tuple(a) for a in acts), tuple(tuple(s) for s in succ))

    def dive(self) -> tuple[float, ClusteredPolicy]:
        """Greedy descent: each node's best child by the heuristic, then the best last-stage rule."""
        node = self.root()
        while True:
            u = self.payoffs(node)
            sol = best_bg_solution(u)
            assert sol is not None
            if node.t == self.h - 1:
                return node.g + self.gamma ** node.t * sol[0], self.policy(node, sol[1])
            node = self.child(node, sol[1])


def solve_gmaa_ice(model: DecPOMDP, horizon: int | None = None, discount: float | None = None, *,
                   time_limit: float | None = None, heuristic: str = "auto",
                   initial_policy: bool = True) -> PlanResult:
    """GMAA*-ICE search; see the module docstring and :func:`ce.planning.solve_optimal`.

    ``initial_policy=False`` skips the greedy dive and JESP (the search alone must find the
    optimum; the tests use it).
    """
    start = time.perf_counter()
    model = check_model(model)
    horizon = model.resolve_horizon(horizon)
    discount = model.resolve_discount(discount)
    if heuristic not in HEURISTICS:
        raise ConfigError(f"heuristic must be one of {HEURISTICS}, got {heuristic!r}")
    if time_limit is not None and (isinstance(time_limit, bool) or not isinstance(time_limit, int | float)
                                   or not time_limit > 0):
        raise ConfigError(f"time_limit must be a positive number of seconds or None, got {time_limit!r}")
    deadline = math.inf if time_limit is None else start + float(time_limit)
    search = _Search(model, horizon, discount, heuristic, deadline)
    stats = search.stats
    stats["heuristic_seconds"] = time.perf_counter() - start
    best_val, best_pol = -math.inf, None
    if initial_policy:
        best_val, best_pol = search.dive()
        stats["dive_lower_bound"] = best_val
        if jesp_work(model, horizon) <= _JESP_WORK:
            jr = solve_jesp(model, horizon, discount, seed=0, restarts=2)
            stats["jesp_lower_bound"] = jr.value
            if jr.value > best_val:
                best_val = jr.value
                best_pol = ClusteredPolicy.from_deterministic(jr.policy, model.num_observations)
    best_leaf: tuple[_Node, tuple[np.ndarray, ...]] | None = None
    # f-values are compared on a grid this fine, so float noise does not reorder ties (deeper first)
    scale = max(1.0, float(np.abs(model.reward).max()) * horizon)
    grid = 1e-11 * scale

    def tol() -> float:
        return 1e-9 * max(1.0, abs(best_val)) if math.isfinite(best_val) else 0.0

    counter = 0
    heap: list[tuple[float, int, int, float, int, object]] = []

    def push(f: float, t: int, kind: int, obj: object) -> None:
        nonlocal counter
        counter += 1
        heapq.heappush(heap, (-round(f / grid), -t, counter, f, kind, obj))

    def open_node(node: _Node) -> None:
        nonlocal best_val, best_leaf
        stats["nodes"] = int(stats["nodes"]) + 1  # type: ignore[call-overload]
        weight = discount ** node.t
        tau = (best_val + tol() - node.g) / weight if math.isfinite(best_val) else -math.inf
        u = search.payoffs(node)
        if node.t == horizon - 1:
            stats["last_stage_bgs"] = int(stats["last_stage_bgs"]) + 1  # type: ignore[call-overload]
            sol = best_bg_solution(u, tau)
            if sol is not None:
                value = node.g + weight * sol[0]
                if value > best_val:
                    best_val, best_leaf = value, (node, sol[1])
            return
        node.enum = BGEnumerator(u, tau)
        nxt = node.enum.peek()
        if nxt is not None:
            push(node.g + weight * nxt, node.t, 1, node)

    open_node(search.root())
    upper = math.inf
    timed_out = False
    while heap:
        f = heap[0][3]
        if f <= best_val + tol():
            break
        if time.perf_counter() > deadline:
            timed_out, upper = True, f
            break
        *_, kind, obj = heapq.heappop(heap)
        if kind == 0:
            parent, rule = obj  # type: ignore[misc]
            open_node(search.child(parent, rule))
            continue
        node = obj
        assert isinstance(node, _Node) and node.enum is not None
        val, rule = node.enum.pop()
        stats["children"] = int(stats["children"]) + 1  # type: ignore[call-overload]
        push(node.g + discount ** node.t * val, node.t + 1, 0, (node, rule))
        nxt = node.enum.peek()
        if nxt is not None:
            push(node.g + discount ** node.t * nxt, node.t, 1, node)
        else:
            node.enum = None
    if best_leaf is not None:
        best_pol = search.policy(*best_leaf)
    if best_pol is None:
        raise SolverError(f"no policy found within the time limit of {time_limit} s")
    value = evaluate_clustered(model, best_pol, horizon, discount)
    stats["open_left"] = len(heap)
    stats["policy_types"] = best_pol.num_types()
    upper_bound = max(upper, value) if timed_out else value
    stats["gap"] = upper_bound - value
    return PlanResult(value=value, policy=best_pol, method=f"gmaa-ice({search.heuristic})", horizon=horizon,
                      seconds=time.perf_counter() - start, optimal=not timed_out,
                      upper_bound=upper_bound, stats=stats)
