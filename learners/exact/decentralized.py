"""Independent decentralized learners on Dec-POMDPs with exact policy gradients.

The tabular analogue of IPPO/MAPPO with a centralized critic (Yu et al. 2022): every agent i runs
softmax policy-gradient ascent on its own logits θ^i_t[h_i] (one row per action-observation
history), each with the exact gradient of the common return, which a perfect centralized critic
would estimate:

    ∂J/∂π^i_t(a_i | h_i) = Σ_{s, h_-i, a_-i} ρ_t(s, h) Q_t(s, h, a) Π_{j≠i} π^j_t(a_j | h_j)

(:func:`learners.exact.gradients.product_gradient` with factors constant in s), then the softmax
chain rule; Adam steps, as PPO's optimiser. Starts uniform (θ = 0) or random (θ ~ N(0, σ²)).
No sampling: the dynamics are those of infinitely large batches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import StochasticPolicy
from learners.exact.config import check_config
from learners.exact.gradients import Adam, product_gradient, resolve_horizon, softmax, softmax_vjp

__all__ = ["DecentralizedConfig", "DecentralizedResult", "run_decentralized"]


@dataclass(frozen=True)
class DecentralizedConfig:
    """Independent exact policy-gradient learners.

    Attributes:
        iterations: Adam steps.
        lr: Adam step size.
        init: ``"uniform"`` or ``"random"`` (θ ~ N(0, init_scale²), seeded by ``seed``).
        init_scale: standard deviation of random logits.
        seed: seeds the random initialisation.
    """

    iterations: int = 300
    lr: float = 0.1
    init: str = "uniform"
    init_scale: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        check_config(self, positive=("lr",), nonnegative=("iterations", "init_scale"),
                     choices={"init": ("uniform", "random")})


@dataclass(frozen=True)
class DecentralizedResult:
    """Outcome of :func:`run_decentralized`: ``values[k]`` = J before update k, and at the end."""

    logits: list[list[np.ndarray]] = field(repr=False)
    values: list[float]
    horizon: int

    @property
    def policy(self) -> StochasticPolicy:
        return StochasticPolicy(tuple(tuple(softmax(x) for x in agent) for agent in self.logits))

    @property
    def final_value(self) -> float:
        return self.values[-1]


def initial_logits(model: DecPOMDP, horizon: int, init: str, scale: float,
                   seed: int) -> list[list[np.ndarray]]:
    """θ^i_t of shape ((|A_i||O_i|)^t, |A_i|): zeros (uniform) or seeded N(0, scale²)."""
    rng = np.random.default_rng(seed)
    out = []
    for m, q in zip(model.num_actions, model.num_observations, strict=True):
        shapes = [((m * q) ** t, m) for t in range(horizon)]
        out.append([scale * rng.standard_normal(sh) if init == "random" else np.zeros(sh) for sh in shapes])
    return out


def decentralized_gradient(model: DecPOMDP, logits: list[list[np.ndarray]],
                           horizon: int) -> tuple[float, list[list[np.ndarray]]]:
    """J(Π_i softmax(θ^i)) and ∂J/∂θ^i_t, exactly."""
    probs = [[softmax(x) for x in agent] for agent in logits]
    factors = [[np.broadcast_to(p, (model.num_states, *p.shape)) for p in agent] for agent in probs]
    res = product_gradient(model, factors, horizon)
    grads = [[softmax_vjp(p, g.sum(axis=0)) for p, g in zip(probs[i], res.grads[i], strict=True)]
             for i in range(model.num_agents)]
    return res.value, grads


def run_decentralized(model: DecPOMDP, config: DecentralizedConfig | None = None,
                      horizon: int | None = None) -> DecentralizedResult:
    """Train independent exact-gradient learners on ``model`` (module docstring)."""
    cfg = config or DecentralizedConfig()
    h = resolve_horizon(model, horizon)
    logits = initial_logits(model, h, cfg.init, cfg.init_scale, cfg.seed)
    flat = [x for agent in logits for x in agent]
    opt = Adam(flat, cfg.lr)
    values = []
    for _ in range(cfg.iterations):
        value, grads = decentralized_gradient(model, logits, h)
        values.append(value)
        opt.ascend(flat, [g for agent in grads for g in agent])
    values.append(decentralized_gradient(model, logits, h)[0])
    return DecentralizedResult(logits, values, h)
