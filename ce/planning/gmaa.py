"""GMAA*-ICE: exact finite-horizon Dec-POMDP planning (see :func:`ce.planning.solve_optimal`).

Generalized multiagent A* (Szer, Charpillet & Zilberstein, "MAA*: a heuristic search algorithm for
solving decentralized POMDPs", UAI 2005; Oliehoek, Spaan & Vlassis, JAIR 32, 2008) searches partial
joint policies φ^t = (δ^0, ..., δ^{t-1}) best first. A node's value is V(φ^t) + the best value of its
stage-t collaborative Bayesian game (CBG), whose payoffs are an admissible heuristic Q̂^t(θ, a)
weighted by P(θ): here Q_BG or Q_POMDP on the reachable joint beliefs (hybrid with Q_MDP
beyond a size limit), and the exact reward at the last stage, so last-stage nodes yield complete
policies and a lower bound v*.

GMAA*-ICE (Oliehoek, Spaan, Amato & Whiteson, "Incremental clustering and expansion for faster
optimal planning in Dec-POMDPs", JAIR 46, 2013) adds

* lossless incremental clustering (Oliehoek, Whiteson & Spaan, AAMAS 2009): a node's types are
  built from its parent's types extended by one observation, then histories of agent i whose
  conditional distributions P(s, θ_{-i} | θ_i) coincide are merged (repeated over agents until
  stable); zero-probability histories are dropped;
* incremental expansion: a node hands out its children one at a time, best first (the
  :class:`~ce.planning.bg.BGEnumerator`), and stays in the open list with the value of its next
  child, so children worse than v* are never generated.

Occupancies P(θ, s) over clustered joint types are numpy arrays; the initial v* comes from JESP.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field

import numpy as np

from ce.planning.bg import BGEnumerator, best_bg_solution
from ce.planning.common import (
    BeliefTable,
    PlanResult,
    action_strides,
    check_model,
    evaluate_deterministic,
    qmdp_values,
)
from ce.planning.jesp import jesp_work, solve_jesp
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import DeterministicPolicy
from games.errors import GameError

__all__ = ["HEURISTICS", "solve_gmaa_ice"]

HEURISTICS = ("auto", "qbg", "qpomdp", "qmdp")
_QBG_MAX_POLICIES = 4096


@dataclass(eq=False)
class _Node:
    t: int
    g: float
    type_of: list[np.ndarray]              # per agent: observation history -> type (-1: unreachable)
    occ: np.ndarray                        # (n_1, ..., n_N, S) occupancy of clustered joint types
    bidx: np.ndarray | None                # (n_1, ..., n_N) belief-table index (stages < table size)
    parent: _Node | None = None
    rule: tuple[np.ndarray, ...] | None = None   # parent's decision rule that produced this node
    enum: BGEnumerator | None = field(default=None, repr=False)


def _cluster(occ: np.ndarray, bidx: np.ndarray | None,
             decimals: int = 12) -> tuple[np.ndarray, np.ndarray | None, list[np.ndarray]]:
    """Lossless clustering of every agent's types; returns occ, bidx and per-agent maps old -> new."""
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
            cond = np.round(flat[keep] / p[keep, None], decimals)
            _, first, inv = np.unique(cond, axis=0, return_index=True, return_inverse=True)
            inv = inv.reshape(-1)
            if first.size == m.shape[0]:
                continue
            changed = True
            ind = np.zeros((first.size, keep.size))
            ind[inv, np.arange(keep.size)] = 1.0
            new = (ind @ flat[keep]).reshape((first.size, *m.shape[1:]))
            occ = np.moveaxis(new, 0, i)
            if bidx is not None:
                bidx = np.moveaxis(np.moveaxis(bidx, i, 0)[keep[first]], 0, i)
            old_to_new = np.full(m.shape[0], -1, dtype=np.int64)
            old_to_new[keep] = inv
            maps[i] = np.where(maps[i] >= 0, old_to_new[np.maximum(maps[i], 0)], -1)
    return occ, bidx, maps


class _Search:
    def __init__(self, model: DecPOMDP, horizon: int, discount: float, heuristic: str) -> None:
        self.model, self.h, self.gamma = model, horizon, discount
        self.n = model.num_agents
        self.strides = action_strides(model)
        self.qmdp = qmdp_values(model, horizon, discount)
        if heuristic == "auto":
            small = (self.n == 2 and min(m ** q for m, q in zip(model.num_actions, model.num_observations,
                                                                 strict=True)) <= _QBG_MAX_POLICIES)
            # each Q_BG backup solves one-step BGs whose types are the last individual observations
            heuristic = "qbg" if small else "qpomdp"
        if heuristic == "qbg" and self.n != 2:
            raise GameError("the Q_BG heuristic is implemented for two agents; use 'qpomdp'")
        self.heuristic = heuristic
        self.table = (None if heuristic == "qmdp"
                      else BeliefTable.build(model, horizon, discount, heuristic, self.qmdp))
        self.table_stages = 0 if self.table is None else len(self.table.beliefs)
        self.stats = {"heuristic": heuristic, "table_stages": self.table_stages, "nodes": 0,
                      "last_stage_bgs": 0, "children": 0,
                      "max_types": [1] + [0] * (horizon - 1)}

    def root(self) -> _Node:
        occ = self.model.initial.reshape((1,) * self.n + (self.model.num_states,)).copy()
        bidx = np.zeros((1,) * self.n, dtype=np.int64) if self.table_stages > 0 else None
        return _Node(t=0, g=0.0, type_of=[np.zeros(1, dtype=np.int64) for _ in range(self.n)],
                     occ=occ, bidx=bidx)

    def joint_actions(self, shape: tuple[int, ...], rule: tuple[np.ndarray, ...]) -> np.ndarray:
        ja = np.zeros(shape, dtype=np.int64)
        for i, r in enumerate(rule):
            view = [1] * self.n
            view[i] = shape[i]
            ja = ja + (r * self.strides[i]).reshape(view)
        return ja

    def child(self, parent: _Node, rule: tuple[np.ndarray, ...]) -> _Node:
        model, n, t = self.model, self.n, parent.t
        s = model.num_states
        shape = parent.occ.shape[:-1]
        ja = self.joint_actions(shape, rule).ravel()
        flat = parent.occ.reshape(-1, s)
        reward = float(np.einsum("ks,ks->", flat, model.reward[:, ja].T))
        x = np.empty_like(flat)
        for a in np.unique(ja):
            sel = ja == a
            x[sel] = flat[sel] @ model.transition[:, a, :]
        y = (x[:, :, None] * model.observation[ja]).reshape(*shape, s, *model.num_observations)
        perm = [ax for i in range(n) for ax in (i, n + 1 + i)] + [n]
        new_shape = tuple(shape[i] * model.num_observations[i] for i in range(n))
        occ = y.transpose(perm).reshape(*new_shape, s)
        bidx = None
        if t + 1 < self.table_stages:
            assert self.table is not None and parent.bidx is not None
            nb = self.table.succ[t][parent.bidx.ravel(), ja].reshape(*shape, *model.num_observations)
            bidx = nb.transpose([ax for i in range(n) for ax in (i, n + i)]).reshape(new_shape)
        occ, bidx, maps = _cluster(occ, bidx)
        type_of = []
        for i in range(n):
            q = model.num_observations[i]
            prev = parent.type_of[i]
            pre = np.where(prev[:, None] >= 0, prev[:, None] * q + np.arange(q)[None, :], -1).ravel()
            type_of.append(np.where(pre >= 0, maps[i][np.maximum(pre, 0)], -1))
        self.stats["max_types"][t + 1] = max(self.stats["max_types"][t + 1], int(np.prod(occ.shape[:-1])))
        return _Node(t=t + 1, g=parent.g + self.gamma ** t * reward, type_of=type_of, occ=occ, bidx=bidx,
                     parent=parent, rule=rule)

    def payoffs(self, node: _Node) -> np.ndarray:
        model = self.model
        flat = node.occ.reshape(-1, model.num_states)
        if node.t == self.h - 1:
            u = flat @ model.reward
        elif node.t < self.table_stages:
            assert self.table is not None and node.bidx is not None
            u = flat.sum(axis=1)[:, None] * self.table.q[node.t][np.maximum(node.bidx.ravel(), 0)]
        else:
            u = flat @ self.qmdp[node.t]
        return u.reshape(*node.occ.shape[:-1], *model.num_actions)

    def policy(self, leaf: _Node, rule: tuple[np.ndarray, ...]) -> DeterministicPolicy:
        acts = [[np.zeros(q ** t, dtype=np.int64) for t in range(self.h)]
                for q in self.model.num_observations]
        node: _Node | None = leaf
        cur: tuple[np.ndarray, ...] | None = rule
        while node is not None:
            assert cur is not None
            for i in range(self.n):
                ty = node.type_of[i]
                ok = ty >= 0
                acts[i][node.t][ok] = cur[i][ty[ok]]
            cur, node = node.rule, node.parent
        return DeterministicPolicy(tuple(tuple(a) for a in acts))


def solve_gmaa_ice(model: DecPOMDP, horizon: int | None = None, discount: float | None = None, *,
                   time_limit: float | None = None, heuristic: str = "auto",
                   initial_policy: bool = True) -> PlanResult:
    """GMAA*-ICE search; see the module docstring and :func:`ce.planning.solve_optimal`."""
    start = time.perf_counter()
    model = check_model(model)
    horizon = model.resolve_horizon(horizon)
    discount = model.resolve_discount(discount)
    if heuristic not in HEURISTICS:
        raise GameError(f"heuristic must be one of {HEURISTICS}, got {heuristic!r}")
    if time_limit is not None and (isinstance(time_limit, bool) or not isinstance(time_limit, int | float)
                                   or not time_limit > 0):
        raise GameError(f"time_limit must be a positive number of seconds or None, got {time_limit!r}")
    deadline = math.inf if time_limit is None else start + float(time_limit)
    search = _Search(model, horizon, discount, heuristic)
    stats = search.stats
    best_val, best_pol = -math.inf, None
    if initial_policy and jesp_work(model, horizon) <= 2e7:
        jr = solve_jesp(model, horizon, discount, seed=0, restarts=2)
        best_val, best_pol = jr.value, jr.policy
        stats["initial_lower_bound"] = jr.value
    best_leaf: tuple[_Node, tuple[np.ndarray, ...]] | None = None

    def tol() -> float:
        return 1e-9 * max(1.0, abs(best_val)) if math.isfinite(best_val) else 0.0

    counter = 0
    heap: list[tuple[float, int, int, int, object]] = []

    def push(f: float, t: int, kind: int, obj: object) -> None:
        nonlocal counter
        counter += 1
        heapq.heappush(heap, (-f, -t, counter, kind, obj))

    def open_node(node: _Node) -> None:
        nonlocal best_val, best_leaf
        stats["nodes"] += 1
        scale = discount ** node.t
        tau = (best_val + tol() - node.g) / scale if math.isfinite(best_val) else -math.inf
        u = search.payoffs(node)
        if node.t == horizon - 1:
            stats["last_stage_bgs"] += 1
            sol = best_bg_solution(u, tau)
            if sol is not None:
                value = node.g + scale * sol[0]
                if value > best_val:
                    best_val, best_leaf = value, (node, sol[1])
            return
        node.enum = BGEnumerator(u, tau)
        nxt = node.enum.peek()
        if nxt is not None:
            push(node.g + scale * nxt, node.t, 1, node)

    open_node(search.root())
    upper = math.inf
    timed_out = False
    while heap:
        f = -heap[0][0]
        if f <= best_val + tol():
            break
        if time.perf_counter() > deadline:
            timed_out, upper = True, f
            break
        _, _, _, kind, obj = heapq.heappop(heap)
        if kind == 0:
            parent, rule = obj  # type: ignore[misc]
            open_node(search.child(parent, rule))
            continue
        node = obj
        assert isinstance(node, _Node) and node.enum is not None
        val, rule = node.enum.pop()
        stats["children"] += 1
        push(node.g + discount ** node.t * val, node.t + 1, 0, (node, rule))
        nxt = node.enum.peek()
        if nxt is not None:
            push(node.g + discount ** node.t * nxt, node.t, 1, node)
    if best_leaf is not None:
        best_pol = search.policy(*best_leaf)
    if best_pol is None:
        raise GameError(f"no policy found within the time limit of {time_limit} s")
    # re-evaluate independently unless the joint observation histories are too many to enumerate
    rows = sum(float(model.num_joint_observations) ** t for t in range(horizon)) * model.num_states
    value = evaluate_deterministic(model, best_pol, discount) if rows <= 2e7 else best_val
    stats["open_left"] = len(heap)
    return PlanResult(value=value, policy=best_pol, method=f"gmaa-ice({search.heuristic})", horizon=horizon,
                      seconds=time.perf_counter() - start, optimal=not timed_out,
                      upper_bound=max(upper, value) if timed_out else value, stats=stats)
