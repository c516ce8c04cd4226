"""Admissible heuristics for GMAA*: Q_BG and Q_POMDP on the joint beliefs reachable from b0.

Q_POMDP and Q_BG (Oliehoek, Spaan & Vlassis, "Optimal and approximate Q-value functions for
decentralized POMDPs", JAIR 32, 2008) upper-bound the optimal Q-value of every joint
action-observation history, Q* ≤ Q_BG ≤ Q_POMDP ≤ Q_MDP, so they are admissible A* heuristics:

    Q^t(b, a) = R(b, a) + γ Σ_o P(o | b, a) V^{t+1}(b^{ao}),                         (Q_POMDP)
    Q^t(b, a) = R(b, a) + γ max_β Σ_o P(o | b, a) Q^{t+1}(b^{ao}, β(o)),             (Q_BG)

where β ranges over the one-step Bayesian-game policies (o_1 -> a_1, ..., o_N -> a_N).

The representation is the hybrid of Oliehoek, Spaan, Amato & Whiteson (JAIR 46, 2013, Sect. 5):

* stages 0..c-1 are a *tree* of the beliefs reachable under any joint actions — here a DAG, since
  equal beliefs (to 12 decimals) are one entry whose successors are computed once. When the
  belief set of a stage repeats the previous one, every later stage holds the same set, so
  problems whose reachable beliefs saturate (BroadcastChannel, Recycling, Dec-Tiger, Mars,
  Grid3x3corners) keep a table of bounded size at any horizon;
* stage c is *vectors*, one per joint action: the reward R(·, a) when c = H - 1 (exact: the last
  stage needs no beliefs, which removes the largest level of the tree), else Q_MDP^c(·, a) (an upper
  bound, used when the tree would exceed its budget).

Values are only looked up by the search for beliefs of stages < c; later stages use Q_MDP.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from games.dec_pomdp.model import DecPOMDP
from games.errors import SolverError

__all__ = ["BeliefTable", "solve_bg_batch"]

DECIMALS = 12
"""Beliefs equal to this many decimals are one table entry."""

TREE_BUDGET = 4e8
"""Most floating-point work (beliefs x joint actions x joint observations x states) the forward
pass may spend on one stage of the tree."""

LEAF_BUDGET = 4e9
"""Most work (beliefs x JA x |S| x JO x JA) the backup of the deepest tree stage against the
stage-c vectors may take."""

_CHUNK = 8_000_000


def solve_bg_batch(m: np.ndarray) -> np.ndarray:
    """Optimal values of a batch of 2-agent Bayesian games: max over the policies β0 of one agent of
    Σ_θ1 max_a1 Σ_θ0 m[θ0, β0(θ0), θ1, a1].

    ``m`` has shape (K, n0, n1, A0, A1): payoff of joint type (θ0, θ1) and joint action. The agent
    with fewer policies is enumerated; the sums over θ0 are built type by type, so every partial
    policy's sum is computed once.
    """
    k, n0, n1, a0, a1 = m.shape
    if a1 ** n1 < a0 ** n0:
        m = m.transpose(0, 2, 1, 4, 3)
        k, n0, n1, a0, a1 = m.shape
    # layout (n0, A0, n1, A1, K): the maxima and sums over a1 and θ1 run over leading axes
    mt = np.ascontiguousarray(m.transpose(1, 3, 2, 4, 0))
    best = np.empty(k)
    chunk = max(1, int(_CHUNK // max(1, a0 ** n0 * n1 * a1)))
    for lo in range(0, k, chunk):
        sub = mt[..., lo:lo + chunk]
        kk = sub.shape[-1]
        w = np.zeros((n1, a1, kk, 1))
        for th in range(n0):
            w = (w[..., None] + sub[th].transpose(1, 2, 3, 0)[:, :, :, None, :]).reshape(n1, a1, kk, -1)
        best[lo:lo + chunk] = w.max(axis=1).sum(axis=0).max(axis=1)
    return best


class _Registry:
    """Distinct beliefs (rows rounded to :data:`DECIMALS`) with global ids, and their successors."""

    def __init__(self, model: DecPOMDP) -> None:
        self.model = model
        self.ids: dict[bytes, int] = {}
        self.rows: list[np.ndarray] = []
        self.count = 0
        ja, jo = model.num_joint_actions, model.num_joint_observations
        self.succ = np.full((0, ja, jo), -2, dtype=np.int64)   # -2: not expanded, -1: P(jo) = 0
        self.prob = np.zeros((0, ja, jo))
        self.salt = np.random.default_rng(0).random((model.num_states, 2))
        t = model.transition.reshape(model.num_states, -1)
        # b @ T for all joint actions at once; sparse when T is (FireFighting: 8 of 432 entries)
        self.t_flat = sp.csr_matrix(t) if np.count_nonzero(t) < 0.1 * t.size else t

    def register(self, rows: np.ndarray) -> np.ndarray:
        """Global ids of ``rows`` (new rows get new ids).

        Rows are grouped by two fixed random projections of their rounded values, and each group
        is checked to hold only equal rows (else the exact byte comparison decides)."""
        key = np.round(rows, DECIMALS) + 0.0
        proj = np.ascontiguousarray(key @ self.salt)
        void = proj.view(np.dtype((np.void, 16))).ravel()
        _, first, inv = np.unique(void, return_index=True, return_inverse=True)
        inv = inv.reshape(-1)
        if not np.array_equal(key, key[first][inv]):           # a projection collision
            void = np.ascontiguousarray(key).view(np.dtype((np.void, 8 * key.shape[1]))).ravel()
            _, first, inv = np.unique(void, return_index=True, return_inverse=True)
            inv = inv.reshape(-1)
        out = np.empty(first.size, dtype=np.int64)
        new = []
        for j, f in enumerate(first):
            b = key[f].tobytes()
            g = self.ids.get(b)
            if g is None:
                g = self.ids[b] = self.count
                self.count += 1
                new.append(f)
            out[j] = g
        if new:
            self.rows.append(rows[np.array(new)])
        return out[inv]

    def beliefs(self) -> np.ndarray:
        return np.concatenate(self.rows) if self.rows else np.zeros((0, self.model.num_states))

    def _grow(self) -> None:
        grow = self.count - self.succ.shape[0]
        if grow > 0:
            ja_n, jo_n = self.succ.shape[1:]
            self.succ = np.concatenate([self.succ, np.full((grow, ja_n, jo_n), -2, dtype=np.int64)])
            self.prob = np.concatenate([self.prob, np.zeros((grow, ja_n, jo_n))])

    def unexpanded(self, gids: np.ndarray) -> np.ndarray:
        self._grow()
        return gids[self.succ[gids, 0, 0] == -2]

    def expand(self, gids: np.ndarray, cap: float = math.inf) -> bool:
        """Successors and P(jo | b, ja) of the given beliefs (each computed once); ``False`` (and
        the expansion left unfinished) as soon as more than ``cap`` new beliefs appear."""
        model = self.model
        before = self.count
        s, ja_n, jo_n = model.num_states, model.num_joint_actions, model.num_joint_observations
        gids = self.unexpanded(gids)
        table = self.beliefs()
        step = max(1, int(_CHUNK // max(1, ja_n * jo_n * s)))
        for lo in range(0, gids.size, step):
            g = gids[lo:lo + step]
            pred = np.asarray(table[g] @ self.t_flat).reshape(g.size, ja_n, s)  # (K, JA, S')
            joint = pred[:, :, :, None] * model.observation[None]             # (K, JA, S', JO)
            p = joint.sum(axis=2)                                              # (K, JA, JO)
            pf = p.reshape(-1)
            pos = pf > 0
            nxt = joint.transpose(0, 1, 3, 2).reshape(-1, s)[pos] / pf[pos, None]
            idx = np.full(pf.size, -1, dtype=np.int64)
            idx[pos] = self.register(nxt)
            self._grow()
            self.succ[g] = idx.reshape(p.shape)
            self.prob[g] = p
            if self.count - before > cap:
                return False
        return True


@dataclass
class BeliefTable:
    """Reachable joint beliefs of stages 0..c-1 and heuristic values Q^t(b, ja) on them.

    Attributes:
        beliefs: (G, S) every distinct belief of the table (global ids index its rows).
        stage_ids: ``stage_ids[t]`` global ids of the beliefs reachable at stage t (t < c).
        succ: (G', JA, JO) global id after (ja, jo) from each expanded belief (-1: P(jo) = 0).
        q: ``q[t]`` (G, JA) values at stage t, rows indexed by global id (NaN off stage t).
        kind: ``"qbg"`` or ``"qpomdp"``.
        tail: what stage c is: ``"reward"`` (c = H - 1, exact) or ``"qmdp"`` (the tree was cut).
    """

    beliefs: np.ndarray
    stage_ids: list[np.ndarray]
    succ: np.ndarray
    q: list[np.ndarray]
    kind: str
    tail: str

    @property
    def stages(self) -> int:
        return len(self.stage_ids)

    @classmethod
    def build(cls, model: DecPOMDP, horizon: int, discount: float, kind: str,
              qmdp: np.ndarray, deadline: float = math.inf) -> BeliefTable:
        """The table for ``kind`` (``"qbg"`` / ``"qpomdp"``); the tree stops growing when the
        budgets or ``deadline`` (a ``time.perf_counter()`` value) would be exceeded."""
        s, ja_n, jo_n = model.num_states, model.num_joint_actions, model.num_joint_observations
        reg = _Registry(model)
        stage_ids = [reg.register(model.initial[None, :])]
        deepest = max(1, horizon - 1)          # the tree never holds the last stage (it is R)
        stationary = False
        # ----- forward: reachable beliefs, each expanded once
        while len(stage_ids) < deepest and not stationary:
            cur = stage_ids[-1]
            todo = reg.unexpanded(cur)
            if todo.size * ja_n * jo_n * s > TREE_BUDGET or time.perf_counter() > deadline:
                break
            # the next stage must at least fit the leaf budget (its backup against the vectors)
            if not reg.expand(todo, cap=LEAF_BUDGET / (ja_n * s * jo_n * ja_n)):
                break
            nxt = reg.succ[cur].reshape(-1)
            nxt = np.unique(nxt[nxt >= 0])
            if (nxt.size * ja_n * jo_n * s > TREE_BUDGET
                    or (len(stage_ids) + 1 == deepest and horizon >= 2
                        and nxt.size * ja_n * s * jo_n * ja_n > LEAF_BUDGET)):
                break
            stationary = np.array_equal(nxt, cur)
            stage_ids.append(nxt)
        while len(stage_ids) < deepest and stationary:
            stage_ids.append(stage_ids[-1])
        c = len(stage_ids)
        beliefs = reg.beliefs()
        g_total = beliefs.shape[0]
        # ----- backward
        q: list[np.ndarray] = [np.empty(0)] * c
        tail = "reward" if (c == horizon - 1 or horizon == 1) else "qmdp"
        imm_all = beliefs @ model.reward                                        # (G, JA)
        for t in range(c - 1, -1, -1):
            if time.perf_counter() > deadline:
                raise SolverError(f"the time limit ran out while building the heuristic's table "
                                  f"({c - 1 - t} of {c} stages backed up); allow more time or plan a "
                                  f"shorter horizon")
            ids = stage_ids[t]
            out = np.full((g_total, ja_n), np.nan)
            if horizon == 1:
                out[ids] = imm_all[ids]
            elif t == c - 1:
                w = model.reward if tail == "reward" else qmdp[c]
                out[ids] = imm_all[ids] + discount * _backup_vectors(model, beliefs[ids], w, kind)
            else:
                out[ids] = imm_all[ids] + discount * _backup_tree(model, reg.prob[ids], reg.succ[ids],
                                                                  q[t + 1], kind)
            q[t] = out
        return cls(beliefs=beliefs, stage_ids=stage_ids, succ=reg.succ, q=q, kind=kind, tail=tail)


def _future(model: DecPOMDP, pay: np.ndarray, kind: str) -> np.ndarray:
    """(K, JO, JA') probability-weighted next-stage values of one joint action -> (K,) backed-up
    future value: Σ_o max_a' (Q_POMDP) or the value of the one-step Bayesian game (Q_BG)."""
    if kind == "qpomdp":
        return pay.max(axis=2).sum(axis=1)
    o0, o1 = model.num_observations
    a0 = model.num_actions[0]
    return solve_bg_batch(pay.reshape(pay.shape[0], o0, o1, a0, pay.shape[2] // a0))


def _backup_tree(model: DecPOMDP, prob: np.ndarray, succ: np.ndarray, q_next: np.ndarray,
                 kind: str) -> np.ndarray:
    """Future values from the next stage's table: prob, succ (K, JA, JO); q_next (G, JA')."""
    k, ja_n, jo_n = prob.shape
    out = np.empty((k, ja_n))
    step = max(1, int(_CHUNK // max(1, jo_n * ja_n)))
    for a in range(ja_n):
        for lo in range(0, k, step):
            sc = succ[lo:lo + step, a]
            pay = prob[lo:lo + step, a, :, None] * np.nan_to_num(q_next[np.maximum(sc, 0)])
            out[lo:lo + step, a] = _future(model, pay, kind)
    return out


def _backup_vectors(model: DecPOMDP, beliefs: np.ndarray, w: np.ndarray, kind: str) -> np.ndarray:
    """Future values when the next stage is one vector per joint action, ``w`` (S, JA'):
    Σ_s' P(s', o | b, a) w(s', a') without forming the next beliefs (one matrix product per a)."""
    s, ja_n, jo_n = model.num_states, model.num_joint_actions, model.num_joint_observations
    ow = (model.observation[:, :, :, None] * w[None, :, None, :]).reshape(ja_n, s, jo_n * ja_n)
    out = np.empty((beliefs.shape[0], ja_n))
    step = max(1, int(_CHUNK // max(1, jo_n * ja_n)))
    for a in range(ja_n):
        t_a = np.ascontiguousarray(model.transition[:, a, :])
        for lo in range(0, beliefs.shape[0], step):
            pay = (beliefs[lo:lo + step] @ t_a) @ ow[a]
            out[lo:lo + step, a] = _future(model, pay.reshape(-1, jo_n, ja_n), kind)
    return out
