"""Exact values and policy gradients of state-conditioned product policies on Dec-POMDPs.

A *state-conditioned product policy* acts at step t with

    μ_t(a | s, h) = Π_i β^i_t(a_i | s, h_i),

agent i's factor seeing the hidden state s and its own action-observation history (AOH) h_i. It
covers the decentralized product policies of independent learners (β^i constant in s) and
AgentMixer's joint policy, whose Policy Modifier sees the state (AgentMixer, Li et al. AAAI 2025,
Eq. 5; each factor's mode is the agent's own by IGC, Def. 6).

Because the histories evolve by the agents' own actions and observations, (s, h) is a Markov
state and μ a Markov policy on it, so the policy gradient theorem (Sutton et al. 2000) holds on it:

    ∂J/∂μ_t(a | s, h) = γ^t ρ_t(s, h) Q_t(s, h, a),
    Q_t(s, h, a) = R(s, a) + γ Σ_{s', o} T(s, a, s') O(a, s', o) V_{t+1}(s', h ⊕ (a, o)),

with ρ_t the occupancy of (s, h) under μ and V_t(s, h) = Σ_a μ_t(a | s, h) Q_t(s, h, a). The chain
rule through the product gives each factor's gradient

    ∂J/∂β^i_t(a_i | s, h_i) = γ^t Σ_{h_-i, a_-i} ρ_t(s, h) Q_t(s, h, a) Π_{j≠i} β^j_t(a_j | s, h_j).

Everything is one forward pass (ρ) and one backward pass (Q) of einsums over the joint AOH space,
whose size is S Π_i (|A_i||O_i|)^t: meant for the small problems the exact tier studies. The
gradients are checked against central finite differences in the tests.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from games.dec_pomdp.model import DecPOMDP
from games.errors import GameError

__all__ = [
    "Adam",
    "Factors",
    "ProductGradient",
    "ProductTables",
    "einsum",
    "joint_tables",
    "product_gradient",
    "product_tables",
    "resolve_horizon",
    "softmax",
    "softmax_vjp",
]

Factors = Sequence[Sequence[np.ndarray]]
"""``factors[i][t]``: β^i_t as an array of shape (S, (|A_i||O_i|)^t, |A_i|)."""

_POOL = [c for c in string.ascii_letters if c not in "sz"]


def resolve_horizon(model: DecPOMDP, horizon: int | None) -> int:
    """The model's one horizon rule (:meth:`~games.dec_pomdp.model.DecPOMDP.resolve_horizon`)."""
    return model.resolve_horizon(horizon)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis (stable)."""
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_vjp(probs: np.ndarray, grad_probs: np.ndarray) -> np.ndarray:
    """∂L/∂logits from ∂L/∂p for p = softmax(logits): p ⊙ (g − ⟨g, p⟩)."""
    return probs * (grad_probs - (grad_probs * probs).sum(axis=-1, keepdims=True))


@functools.lru_cache(maxsize=1024)
def _einsum_path(spec: str, shapes: tuple[tuple[int, ...], ...]) -> list:
    return np.einsum_path(spec, *(np.broadcast_to(0.0, sh) for sh in shapes), optimize="greedy")[0]


def einsum(spec: str, *operands: np.ndarray) -> np.ndarray:
    """``np.einsum`` with an optimised contraction order, found once per (spec, shapes) and reused
    (the exact learners contract the same shapes thousands of times)."""
    return np.einsum(spec, *operands, optimize=_einsum_path(spec, tuple(np.shape(x) for x in operands)))


class _Letters:
    """einsum letters: s (state), z (next state), per agent h, a, o."""

    def __init__(self, n: int) -> None:
        if 3 * n > len(_POOL):
            raise GameError(f"{n} agents exceed the einsum alphabet")
        self.h, self.a, self.o = _POOL[:n], _POOL[n:2 * n], _POOL[2 * n:3 * n]

    def factors(self, skip: int | None = None) -> str:
        return ",".join("s" + h + a for i, (h, a) in enumerate(zip(self.h, self.a, strict=True))
                        if i != skip)

    @property
    def hs(self) -> str:
        return "".join(self.h)

    @property
    def acts(self) -> str:
        return "".join(self.a)

    @property
    def obs(self) -> str:
        return "".join(self.o)

    def extended(self) -> str:
        return "".join(h + a + o for h, a, o in zip(self.h, self.a, self.o, strict=True))


@dataclass(frozen=True)
class ProductGradient:
    """Value and exact gradient of a state-conditioned product policy.

    Attributes:
        value: J = E[Σ_{t<H} γ^t R(s_t, a_t)].
        grads: ``grads[i][t]`` = ∂J/∂β^i_t, shaped like the factor (S, H_i(t), A_i).
        reach: ``reach[i][t]`` = P(h_i at step t), shape (H_i(t),): agent i's history occupancy.
    """

    value: float
    grads: list[list[np.ndarray]]
    reach: list[list[np.ndarray]]


def _check_rows(p: np.ndarray, what: str, axes: tuple[int, ...] = (-1,)) -> None:
    """Finite, non-negative distributions over ``axes`` (sums within 1e-9 of 1), naming the first bad row."""
    sums = p.sum(axis=axes)
    bad = ~np.isfinite(sums) | (np.abs(sums - 1.0) > 1e-9)
    neg = np.isfinite(p) & (p < -1e-12)
    if neg.any():
        raise GameError(f"{what}: negative probability {p[tuple(np.argwhere(neg)[0])]!r} at "
                        f"{tuple(int(x) for x in np.argwhere(neg)[0])}")
    if bad.any():
        row = tuple(int(x) for x in np.argwhere(bad)[0])
        raise GameError(f"{what}: row {row} sums to {sums[row]!r}, not 1 (or is not finite)")


def _check_factors(model: DecPOMDP, factors: Factors, horizon: int,
                   validate: bool = True) -> list[list[np.ndarray]]:
    n = model.num_agents
    if len(factors) != n:
        raise GameError(f"{len(factors)} factor lists for {n} agents")
    out = []
    for i, steps in enumerate(factors):
        if len(steps) < horizon:
            raise GameError(f"agent {i} has {len(steps)} steps, need {horizon}")
        m, q = model.num_actions[i], model.num_observations[i]
        agent = []
        for t in range(horizon):
            f = np.asarray(steps[t], dtype=float)
            want = (model.num_states, (m * q) ** t, m)
            if f.shape != want:
                raise GameError(f"agent {i} step {t}: factor shape {f.shape}, expected {want}")
            if validate:
                _check_rows(f, f"agent {i} step {t} factor (state, history)")
            agent.append(f)
        out.append(agent)
    return out


@dataclass(frozen=True)
class ProductTables:
    """ρ_t(s, h) (S, H_1(t), ..., H_N(t)) and Q_t(s, h, a) (S, H_1(t), ..., A_1, ..., A_N) for t < H."""

    value: float
    rhos: list[np.ndarray]
    qs: list[np.ndarray]


def joint_tables(model: DecPOMDP, joint: Sequence[np.ndarray], horizon: int,
                 discount: float | None = None) -> ProductTables:
    """ρ and Q of a general joint policy μ_t(a | s, h), ``joint[t]`` of shape (S, H_1(t).., A_1..A_N)."""
    steps = [np.asarray(j, dtype=float) for j in joint]
    n = model.num_agents
    if len(steps) < int(horizon):
        raise GameError(f"joint policy has {len(steps)} steps, need {horizon}")
    for t, j in enumerate(steps[:int(horizon)]):
        if j.ndim != 1 + 2 * n or j.shape[0] != model.num_states or j.shape[1 + n:] != model.num_actions:
            raise GameError(f"joint policy step {t}: shape {j.shape}, expected (S, H_1..H_N, A_1..A_N)")
        _check_rows(j, f"joint policy step {t}", tuple(range(1 + n, 1 + 2 * n)))
    return _tables(model, int(horizon), model.resolve_discount(discount), joint=steps)


def _tables(model: DecPOMDP, horizon: int, discount: float,
            factors: list[list[np.ndarray]] | None = None,
            joint: Sequence[np.ndarray] | None = None) -> ProductTables:
    """Forward ρ and backward Q for either per-agent ``factors`` or a general ``joint`` policy."""
    n, s_count = model.num_agents, model.num_states
    acts, obs = model.num_actions, model.num_observations
    tr = model.transition.reshape(s_count, *acts, s_count)
    ob = model.observation.reshape(*acts, s_count, *obs)
    rw = model.reward.reshape(s_count, *acts)
    L = _Letters(n)
    pol = L.factors() if factors is not None else f"s{L.hs}{L.acts}"

    def policy(t: int) -> list[np.ndarray]:
        return [factors[i][t] for i in range(n)] if factors is not None else [joint[t]]  # type: ignore[index]

    def sizes(t: int) -> list[int]:
        if factors is not None:
            return [factors[i][t].shape[1] for i in range(n)]
        return list(joint[t].shape[1:1 + n])  # type: ignore[index]

    step = f"s{L.hs},{pol},s{L.acts}z,{L.acts}z{L.obs}->z{L.extended()}"
    rho = model.initial.reshape(s_count, *([1] * n))
    rhos = [rho]
    for t in range(horizon - 1):
        nxt = einsum(step, rho, *policy(t), tr, ob)
        rho = nxt.reshape(s_count, *(sizes(t)[i] * acts[i] * obs[i] for i in range(n)))
        rhos.append(rho)
    back = f"s{L.acts}z,{L.acts}z{L.obs},z{L.extended()}->s{L.hs}{L.acts}"
    mean = f"s{L.hs}{L.acts},{pol}->s{L.hs}"
    qs: list[np.ndarray] = [np.empty(0)] * horizon
    v_next: np.ndarray | None = None
    for t in reversed(range(horizon)):
        sz = sizes(t)
        q = np.broadcast_to(rw.reshape(s_count, *([1] * n), *acts), (s_count, *sz, *acts)).copy()
        if v_next is not None:
            v = v_next.reshape(s_count, *(x for i in range(n) for x in (sz[i], acts[i], obs[i])))
            q += discount * einsum(back, tr, ob, v)
        qs[t] = q
        v_next = einsum(mean, q, *policy(t))
    assert v_next is not None
    return ProductTables(float(model.initial @ v_next.reshape(s_count)), rhos, qs)


def product_gradient(model: DecPOMDP, factors: Factors, horizon: int,
                     discount: float | None = None, *,
                     validate: bool = True) -> ProductGradient:
    """J and ∂J/∂β^i_t for μ_t(a | s, h) = Π_i β^i_t(a_i | s, h_i) (module docstring).

    Every factor row must be a probability vector (GameError naming the row otherwise);
    ``validate=False`` evaluates the multilinear J off the simplex too (finite differences).
    """
    horizon = int(horizon)
    if horizon < 1:
        raise GameError(f"horizon must be >= 1, got {horizon}")
    n, s_count = model.num_agents, model.num_states
    beta = _check_factors(model, factors, horizon, validate)
    discount = model.resolve_discount(discount)
    tab = _tables(model, horizon, discount, factors=beta)
    L = _Letters(n)
    grads: list[list[np.ndarray]] = [[np.empty(0)] * horizon for _ in range(n)]
    for t in range(horizon):
        sizes = [beta[i][t].shape[1] for i in range(n)]
        weighted = (discount ** t) * tab.rhos[t].reshape(s_count, *sizes, *([1] * n)) * tab.qs[t]
        for i in range(n):
            spec = f"s{L.hs}{L.acts},{L.factors(skip=i)}->s{L.h[i]}{L.a[i]}"
            others = [beta[j][t] for j in range(n) if j != i]
            grads[i][t] = einsum(spec, weighted, *others)
    reach = [[r.sum(axis=tuple(k for k in range(n + 1) if k != 1 + i)) for r in tab.rhos] for i in range(n)]
    return ProductGradient(tab.value, grads, reach)


def product_tables(model: DecPOMDP, factors: Factors, horizon: int,
                   discount: float | None = None) -> ProductTables:
    """ρ and Q of a state-conditioned product policy (the tables behind :func:`product_gradient`)."""
    return _tables(model, int(horizon), model.resolve_discount(discount),
                   factors=_check_factors(model, factors, int(horizon)))


class Adam:
    """Adam (Kingma & Ba 2015) on a list of numpy arrays, maximising (ascent); deterministic."""

    def __init__(self, params: Sequence[np.ndarray], lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        if not lr > 0:
            raise GameError(f"learning rate must be positive, got {lr}")
        self.lr, self.b1, self.b2, self.eps = float(lr), betas[0], betas[1], eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.k = 0

    def ascend(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """In place: p += lr m̂ / (√v̂ + eps)."""
        self.k += 1
        c1, c2 = 1 - self.b1 ** self.k, 1 - self.b2 ** self.k
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * g * g
            p += self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)
