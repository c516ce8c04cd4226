"""The paper's construction of tabular AgentMixer: a per-agent Policy Modifier, product joint policy.

Parameters, for every shared seed ω ∈ {0..K-1}, agent i and step t: decentralized logits φ,
α^i_{ω,t}(· | h_i) = softmax(φ^i_{ω,t}[h_i]), and modifier logits ε^i_{ω,t}[s] seen with the
hidden state s. The joint policy (Eq. 5's role, here a table) is the state-conditioned product

    π_θ,t(a | s, h, ω) = Π_i β^i,   β^i = igc_modify(α^i_{ω,t}(· | h_i), ε^i_{ω,t}[s], base="scale"),

so IGC holds exactly (Def. 6): argmax_a π_θ = (mode α^1, ..., mode α^N) for every input. The
``scale`` base keeps β_j / β_k = q α_j / α_k at ε = 0, so ∂β/∂α never vanishes and the
decentralized policies learn *through* the modifier. Training is Adam on the exact gradient of
J(π_θ) = Σ_ω p_ω J_ω (:func:`learners.exact.gradients.product_gradient`, then the chain rule
through igc_modify and the softmax); the seed prior p is uniform or learned (∂J/∂w_ω = p_ω (J_ω − J)).

With one state and one seed the joint is a product of mode-pinned marginals: it cannot express the
correlation a game like climbing needs, and the modes move only where the decentralized gradients
take them (:mod:`learners.exact.agentmixer_coupled` is the construction that coordinates).
"""

from __future__ import annotations

import numpy as np

from games.dec_pomdp.model import DecPOMDP
from learners.exact.gradients import Adam, product_gradient, softmax, softmax_vjp
from learners.exact.igc import DEFAULT_BASE_CAP, igc_modify, igc_modify_vjp, mode

__all__ = ["RATIO_CAP", "ProductMixer", "joint_factors", "joint_table"]

RATIO_CAP = 1.0 - 1e-6
"""c: a non-mode action keeps < c times the mode's probability under the joint policy."""

_CAPS = {"ratio_cap": RATIO_CAP, "base_cap": DEFAULT_BASE_CAP, "base": "scale"}


def joint_factors(alpha: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """β(· | s, h) = igc_modify(α(· | h), ε[s]) for α (H, A) and ε (S, A): shape (S, H, A)."""
    s, (h, a) = eps.shape[0], alpha.shape
    return igc_modify(np.broadcast_to(alpha, (s, h, a)), np.broadcast_to(eps[:, None, :], (s, h, a)), **_CAPS)


def joint_table(factors: list[np.ndarray]) -> np.ndarray:
    """Π_i β^i(a_i | s, h_i) as one table (S, H_1, ..., H_N, A_1, ..., A_N) from β^i (S, H_i, A_i)."""
    n = len(factors)
    letters = "abcdefghijklmnopqrstuvwxy"
    hs, acts = letters[:n], letters[n:2 * n].upper()
    spec = ",".join(f"z{h}{a}" for h, a in zip(hs, acts, strict=True))
    return np.einsum(f"{spec}->z{hs}{acts}", *factors)


class ProductMixer:
    """State and one training step of the paper's construction (module docstring)."""

    def __init__(self, model: DecPOMDP, horizon: int, phi: list[list[list[np.ndarray]]], lr: float,
                 learn_prior: bool) -> None:
        self.model, self.horizon = model, horizon
        self.phi = phi
        self.eps = [[[np.zeros((model.num_states, m)) for _ in range(horizon)] for m in model.num_actions]
                    for _ in phi]
        self.prior_logits = np.zeros(len(phi))
        self.learn_prior = learn_prior
        self.params = [x for seed in self.phi for agent in seed for x in agent] + \
                      [x for seed in self.eps for agent in seed for x in agent] + [self.prior_logits]
        self.opt = Adam(self.params, lr)

    @property
    def prior(self) -> np.ndarray:
        return softmax(self.prior_logits)

    def alphas(self) -> list[list[list[np.ndarray]]]:
        return [[[softmax(x) for x in agent] for agent in seed] for seed in self.phi]

    def modes(self) -> list[list[list[np.ndarray]]]:
        """The executed modes: argmax of the probabilities α (not of the logits φ)."""
        return [[[mode(a) for a in agent] for agent in seed] for seed in self.alphas()]

    def factors(self, w: int, alphas: list[list[np.ndarray]] | None = None) -> list[list[np.ndarray]]:
        alphas = alphas if alphas is not None else [[softmax(x) for x in agent] for agent in self.phi[w]]
        return [[joint_factors(a, e) for a, e in zip(alphas[i], self.eps[w][i], strict=True)]
                for i in range(self.model.num_agents)]

    def joints(self) -> list[list[np.ndarray]]:
        """π_θ per seed and step, each (S, H_1, ..., H_N, A_1, ..., A_N)."""
        out = []
        for w in range(len(self.phi)):
            f = self.factors(w)
            out.append([joint_table([f[i][t] for i in range(self.model.num_agents)])
                        for t in range(self.horizon)])
        return out

    def gradient(self) -> tuple[float, list[np.ndarray]]:
        """J(π_θ) and its gradient in the order of ``self.params``."""
        p = self.prior
        values, g_phi, g_eps = [], [], []
        for w in range(len(self.phi)):
            alphas = [[softmax(x) for x in agent] for agent in self.phi[w]]
            res = product_gradient(self.model, self.factors(w, alphas), self.horizon)
            values.append(res.value)
            for i in range(self.model.num_agents):
                for t in range(self.horizon):
                    a, e = alphas[i][t], self.eps[w][i][t]
                    s, (h, m) = e.shape[0], a.shape
                    ga, ge = igc_modify_vjp(np.broadcast_to(a, (s, h, m)),
                                            np.broadcast_to(e[:, None, :], (s, h, m)), p[w] * res.grads[i][t],
                                            **_CAPS)
                    g_phi.append(softmax_vjp(a, ga.sum(axis=0)))
                    g_eps.append(ge.sum(axis=1))
        v = np.array(values)
        value = float(p @ v)
        g_prior = p * (v - value) if self.learn_prior else np.zeros_like(p)
        return value, [*g_phi, *g_eps, g_prior]

    def step(self) -> tuple[float, bool]:
        """One Adam step; returns (J before the step, False: the modes move only by gradient)."""
        value, grads = self.gradient()
        self.opt.ascend(self.params, grads)
        return value, False

    def value(self) -> float:
        return self.gradient()[0]
