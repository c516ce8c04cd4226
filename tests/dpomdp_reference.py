"""Independent, deliberately naive reference implementations for the Dec-POMDP tests.

Everything here enumerates explicitly (Python loops over states, joint actions, observations and
history tuples) and is written from the documented conventions only, never from the package's
vectorised code — so agreement between the two is evidence, not tautology.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np

from games.dec_pomdp.model import DecPOMDP

Hist = tuple[tuple[int, int], ...]               # own AOH ((a_0, o_1), (a_1, o_2), ...)
DistFn = Callable[[int, int, Hist], np.ndarray]  # (agent, t, own AOH) -> action distribution


def random_model(rng: np.random.Generator, acts: tuple[int, ...], obs: tuple[int, ...], states: int,
                 discount: float = 1.0, horizon: int | None = None) -> DecPOMDP:
    """Dirichlet rows, uniform rewards in [-1, 1)."""
    ja, jo = math.prod(acts), math.prod(obs)
    return DecPOMDP(
        transition=rng.dirichlet(np.ones(states), size=(states, ja)),
        observation=rng.dirichlet(np.ones(jo), size=(ja, states)),
        reward=rng.uniform(-1.0, 1.0, size=(states, ja)),
        initial=rng.dirichlet(np.ones(states)),
        num_actions=acts, num_observations=obs, discount=discount, horizon=horizon,
    )


def aoh_index(hist: Hist, m: int, q: int) -> int:
    """games.dec_pomdp.policies convention, from its docstring: C order over digits a_k |O_i| + o_{k+1}."""
    if not hist:
        return 0
    return int(np.ravel_multi_index(tuple(a * q + o for a, o in hist), (m * q,) * len(hist)))


def oh_index(hist: Hist, q: int) -> int:
    """Observation-history index (C order, earliest observation most significant)."""
    if not hist:
        return 0
    return int(np.ravel_multi_index(tuple(o for _, o in hist), (q,) * len(hist)))


def tables(model: DecPOMDP) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """Joint actions and joint observations as tuples, in C order (last agent fastest)."""
    ja = list(itertools.product(*(range(m) for m in model.num_actions)))
    jo = list(itertools.product(*(range(q) for q in model.num_observations)))
    return ja, jo


def naive_value(model: DecPOMDP, fn: DistFn, horizon: int, gamma: float = 1.0) -> float:
    """E[Σ_t γ^t R] by recursion over every (state, joint history) path."""
    ja_tab, jo_tab = tables(model)
    n, s_n = model.num_agents, model.num_states

    def rec(t: int, s: int, hists: tuple[Hist, ...]) -> float:
        pis = [fn(i, t, hists[i]) for i in range(n)]
        v = 0.0
        for ja, acts in enumerate(ja_tab):
            p = math.prod(float(pis[i][acts[i]]) for i in range(n))
            if p == 0.0:
                continue
            v += p * float(model.reward[s, ja])
            if t + 1 == horizon:
                continue
            for s2 in range(s_n):
                pt = float(model.transition[s, ja, s2])
                for jo, os in enumerate(jo_tab):
                    po = float(model.observation[ja, s2, jo])
                    if pt * po == 0.0:
                        continue
                    nxt = tuple(hists[i] + ((acts[i], os[i]),) for i in range(n))
                    v += gamma * p * pt * po * rec(t + 1, s2, nxt)
        return v

    return sum(float(model.initial[s]) * rec(0, s, ((),) * n) for s in range(s_n)
               if model.initial[s] > 0)


def assert_same_model(a: DecPOMDP, b: DecPOMDP) -> None:
    """Exactly the same model (arrays bit for bit, names, discount, value type)."""
    for attr in ("transition", "observation", "reward", "initial"):
        x, y = getattr(a, attr), getattr(b, attr)
        assert x.shape == y.shape and np.array_equal(x, y), attr
    for attr in ("num_actions", "num_observations", "state_names", "action_names",
                 "observation_names", "agent_names", "discount", "reward_type"):
        assert getattr(a, attr) == getattr(b, attr), attr
