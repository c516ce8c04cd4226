"""Independent reference computations for the Dec-POMDP catalog tests: brute force over
decentralized policies, explicit experts, distillation and evaluation by enumeration."""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict

import numpy as np

from games.dec_pomdp.model import DecPOMDP

Hist = tuple[int, ...]
Policy = dict[Hist, object]  # observation history -> own action (int) or distribution (array)
YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")

def _tables(dp: DecPOMDP) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    ja = list(itertools.product(*(range(m) for m in dp.num_actions)))  # C order: last fastest
    jo = list(itertools.product(*(range(m) for m in dp.num_observations)))
    return ja, jo


def _dist(policy: Policy, hist: Hist, m: int) -> np.ndarray:
    if hist not in policy:
        return np.full(m, 1.0 / m)
    v = policy[hist]
    if isinstance(v, (int, np.integer)):
        return np.eye(m)[int(v)]
    return np.asarray(v, dtype=float)


def _marginal(dp: DecPOMDP, joint: np.ndarray, i: int) -> np.ndarray:
    axes = tuple(k for k in range(dp.num_agents) if k != i)
    return joint.reshape(dp.num_actions).sum(axis=axes)


def _evaluate(dp: DecPOMDP, policies: list[Policy], horizon: int) -> float:
    n = dp.num_agents
    ja_tab, jo_tab = _tables(dp)
    dist: dict[tuple[int, tuple[Hist, ...]], float] = {
        (int(s), ((),) * n): float(dp.initial[s]) for s in np.flatnonzero(dp.initial)}
    total = 0.0
    for t in range(horizon):
        new: dict[tuple[int, tuple[Hist, ...]], float] = defaultdict(float)
        for (s, hs), p in dist.items():
            pis = [_dist(policies[i], hs[i], dp.num_actions[i]) for i in range(n)]
            for ja, acts in enumerate(ja_tab):
                q = p * math.prod(pis[i][acts[i]] for i in range(n))
                if q == 0.0:
                    continue
                total += dp.discount**t * q * dp.reward[s, ja]
                if t + 1 == horizon:
                    continue
                for s2 in np.flatnonzero(dp.transition[s, ja]):
                    for jo in np.flatnonzero(dp.observation[ja, s2]):
                        key = (int(s2), tuple((*h, o) for h, o in zip(hs, jo_tab[jo], strict=True)))
                        new[key] += q * dp.transition[s, ja, s2] * dp.observation[ja, s2, jo]
        dist = new
    return total


def _expert(dp: DecPOMDP, horizon: int) -> tuple[list[np.ndarray], float]:
    """Optimal fully observable joint policy pi[t][s, ja] (uniform over ties) and its value."""
    v = np.zeros(dp.num_states)
    pis: list[np.ndarray] = [np.empty(0)] * horizon
    for t in reversed(range(horizon)):
        q = dp.reward + dp.discount * dp.transition @ v
        best = q.max(axis=1)
        opt = (q >= best[:, None] - 1e-9).astype(float)
        pis[t] = opt / opt.sum(axis=1, keepdims=True)
        v = best
    return pis, float(dp.initial @ v)


def _distill(dp: DecPOMDP, pis: list[np.ndarray], horizon: int) -> list[Policy]:
    """Each agent's posterior average of the expert's marginal, along the expert's trajectories."""
    n = dp.num_agents
    _, jo_tab = _tables(dp)
    weights: list[dict[Hist, np.ndarray]] = [defaultdict(lambda: 0.0) for _ in range(n)]
    dist = {(int(s), ((),) * n): float(dp.initial[s]) for s in np.flatnonzero(dp.initial)}
    for t in range(horizon):
        new: dict[tuple[int, tuple[Hist, ...]], float] = defaultdict(float)
        for (s, hs), p in dist.items():
            for i in range(n):
                weights[i][hs[i]] = weights[i][hs[i]] + p * _marginal(dp, pis[t][s], i)
            for ja in np.flatnonzero(pis[t][s]):
                q = p * pis[t][s, ja]
                for s2 in np.flatnonzero(dp.transition[s, ja]):
                    for jo in np.flatnonzero(dp.observation[ja, s2]):
                        key = (int(s2), tuple((*h, o) for h, o in zip(hs, jo_tab[jo], strict=True)))
                        new[key] += q * dp.transition[s, ja, s2] * dp.observation[ja, s2, jo]
        dist = new
    return [{h: w / w.sum() for h, w in weights[i].items()} for i in range(n)]


def _policy_trees(dp: DecPOMDP, i: int, horizon: int) -> list[dict[Hist, int]]:
    """All deterministic policies of agent i, up to actions at unreachable or inert histories."""
    ja_tab, jo_tab = _tables(dp)
    own = np.array([acts[i] for acts in ja_tab])
    seen = np.array([o[i] for o in jo_tab])
    obs_i = np.stack([dp.observation[..., seen == o].sum(axis=-1) for o in range(dp.num_observations[i])],
                     axis=-1) > 0  # (JA, S, O_i): may agent i see o after ja ending in s'
    others = [tuple(ja_tab[j][:i] + ja_tab[j][i + 1:]) for j in range(len(ja_tab))]
    partner = {(own[j], others[j]): j for j in range(len(ja_tab))}

    def inert(supp: np.ndarray) -> bool:
        for j in range(len(ja_tab)):
            k = partner[(0, others[j])]
            if not (np.array_equal(dp.transition[supp, j], dp.transition[supp, k])
                    and np.array_equal(dp.reward[supp, j], dp.reward[supp, k])
                    and np.array_equal(dp.observation[j], dp.observation[k])):
                return False
        return True

    def node(t: int, hist: Hist, supp: np.ndarray) -> list[dict[Hist, int]]:
        if t == horizon:
            return [{}]
        out: list[dict[Hist, int]] = []
        for a in ([0] if inert(supp) else range(dp.num_actions[i])):
            cols = own == a
            reach = dp.transition[supp][:, cols, :].sum(axis=0) > 0  # (JA_a, S')
            kids = []
            for o in range(dp.num_observations[i]):
                child = (reach & obs_i[cols, :, o]).any(axis=0)
                if child.any():
                    kids.append(node(t + 1, (*hist, o), child))
            for combo in itertools.product(*kids):
                tree = {hist: a}
                for sub in combo:
                    tree.update(sub)
                out.append(tree)
        return out

    return node(0, (), dp.initial > 0)


def _dec_optimum(dp: DecPOMDP, horizon: int) -> tuple[float, list[tuple[dict[Hist, int], ...]]]:
    trees = [_policy_trees(dp, i, horizon) for i in range(dp.num_agents)]
    values = [(_evaluate(dp, list(combo), horizon), combo) for combo in itertools.product(*trees)]
    best = max(v for v, _ in values)
    return best, [c for v, c in values if v >= best - 1e-9]


def _best_response_optimum(dp: DecPOMDP, horizon: int) -> float:
    """max over agent 0's trees of agent 1's exact best response (two agents only)."""
    assert dp.num_agents == 2
    ja_tab, jo_tab = _tables(dp)
    m1 = dp.num_actions[1]
    index = {acts: ja for ja, acts in enumerate(ja_tab)}
    succ = {(s, ja): [(int(s2), int(jo), dp.transition[s, ja, s2] * dp.observation[ja, s2, jo])
                      for s2 in np.flatnonzero(dp.transition[s, ja])
                      for jo in np.flatnonzero(dp.observation[ja, s2])]
            for s in range(dp.num_states) for ja in range(len(ja_tab))}

    def br(t: int, dist: dict[tuple[int, Hist], float], pol0: dict[Hist, int]) -> float:
        if t == horizon:
            return 0.0
        best = -math.inf
        for a1 in range(m1):
            val = 0.0
            kids: dict[int, dict[tuple[int, Hist], float]] = defaultdict(lambda: defaultdict(float))
            for (s, h0), p in dist.items():
                ja = index[(pol0.get(h0, 0), a1)]
                val += dp.discount**t * p * dp.reward[s, ja]
                if t + 1 == horizon:
                    continue
                for s2, jo, w in succ[(s, ja)]:
                    o0, o1 = jo_tab[jo]
                    kids[o1][(s2, (*h0, o0))] += p * w
            best = max(best, val + sum(br(t + 1, kid, pol0) for kid in kids.values()))
        return best

    start = {(int(s), ()): float(dp.initial[s]) for s in np.flatnonzero(dp.initial)}
    return max(br(0, start, pol0) for pol0 in _policy_trees(dp, 0, horizon))
