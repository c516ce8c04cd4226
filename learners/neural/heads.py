"""IGC heads of neural AgentMixer: Individual-Global-Consistency (AgentMixer Def. 6) by construction.

The Policy Modifier (Eq. 5, :mod:`learners.neural.modifier`) outputs unconstrained per-agent
numbers; a head turns them and the actors' outputs into the joint policy used at training time,
such that the joint policy's mode is the tuple of the actors' modes (IGC), for every input and
every parameter value.

* Discrete, :func:`igc_modify_torch`: the exact-tier construction
  :func:`learners.exact.igc.igc_modify` with ``base="scale"``, in log space. With α = softmax(l),
  k = argmax α (lowest index on ties, as ``torch.argmax`` returns the first maximum),
  log ρ_j = l_j - l_k ≤ 0, u_j = q ρ_j / c, b_j = logit(u_j),

      log r_k = 0,   log r_j = log c + log σ(b_j + ε_j) (j ≠ k),   log β = log r - logsumexp(log r),

  so β_j / β_k = r_j < c < 1: β's mode is k, strictly. Masked actions get log β = -inf. Gradients
  reach both l (through ρ; not through the index k) and ε; every intermediate is finite, so no NaN
  leaks from masked slots. :class:`JointCategorical` is the product of the per-agent β_i given the
  PM's inputs (state, all agents' features, ω): the joint log-probability is Σ_i log β_i(a_i) and
  the joint mode is the tuple of the actors' argmaxes. Correlation between agents comes from the
  common conditioning (and from mixing over the seed ω), not from a non-product factor.
* Discrete, correlated, :func:`igc_cap_torch` and :class:`CoupledJointCategorical`: the
  exact tier's :func:`learners.exact.igc.igc_cap` over the *flattened joint action*, in log space:
  free joint logits z (any correlation between the agents), k the flat index of the tuple of the
  actors' argmaxes, log r_k = 0, log r_j = log c + log σ(z_j − z_k − log c), log β = log r −
  logsumexp(log r): the joint's strict mode is the tuple of the actors' modes whatever z is.
  softmax(z) itself (the *uncapped* joint) is what the actors are distilled towards
  (:mod:`learners.neural.algorithms.agentmixer`), so their modes follow the joint's preference.
* Continuous, :class:`GaussianIGCHead`: the joint is a diagonal Gaussian whose mean is *exactly* the
  stacked actor means (graph kept) and whose std is exp(PM log-std), clamped: its mode is the
  stack of the individual modes (the continuous analogue, :func:`learners.exact.igc.gaussian_igc`).
* :func:`naive_softmax_modifier`: softmax((log α + ε)/τ), the paper's public code construction, kept
  only to show that it breaks IGC (α = (0.5, 0.3, 0.2), ε = (0, 2, 0) moves the mode to 1).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.distributions import Categorical, Normal

from games.errors import GameError

__all__ = [
    "DEFAULT_BASE_CAP",
    "DEFAULT_TORCH_RATIO_CAP",
    "CoupledJointCategorical",
    "GaussianIGCHead",
    "JointCategorical",
    "JointNormal",
    "decode_joint_targets",
    "igc_cap_torch",
    "igc_joint_categorical",
    "igc_modify_torch",
    "naive_softmax_modifier",
]

DEFAULT_TORCH_RATIO_CAP = 1.0 - 1e-4
"""c for float32: the exact tier's 1 - 1e-9 rounds to 1 in float32."""

DEFAULT_BASE_CAP = 0.9
"""q: at ε = 0 the non-mode ratios are β_j / β_k = q α_j / α_k (``base="scale"``)."""


def _log1mexp(x: Tensor) -> Tensor:
    """log(1 - exp(x)) for x < 0, accurate on both sides of -log 2 (both branches finite)."""
    near = x > -math.log(2.0)
    x_near = torch.where(near, x, torch.full_like(x, -1.0))
    x_far = torch.where(near, torch.full_like(x, -1.0), x)
    return torch.where(near, torch.log(-torch.expm1(x_near)), torch.log1p(-torch.exp(x_far)))


def _available(logits: Tensor, mask: Tensor | None) -> Tensor:
    avail = logits > float("-inf")
    return avail if mask is None else avail & mask.bool()


def igc_modify_torch(logits_alpha: Tensor, eps: Tensor, ratio_cap: float = DEFAULT_TORCH_RATIO_CAP,
                     base_cap: float = DEFAULT_BASE_CAP, mask: Tensor | None = None) -> Tensor:
    """log β: the mode-preserving modification of α = softmax(logits_alpha) by ε, shape (..., A).

    ``mask`` (..., A) bool, True = available (logits already at -inf count as unavailable; every
    row needs one available action). ``argmax β == argmax α`` (lowest index on ties), β_j < c β_k
    for j ≠ k, and log β = -inf exactly on the unavailable actions. Requires 0 < q < c < 1
    (q = c, allowed by the exact tier, would make the base logit +inf at ties).
    """
    if not 0.0 < ratio_cap < 1.0:
        raise GameError(f"ratio_cap must lie in (0, 1), got {ratio_cap}")
    if not 0.0 < base_cap < ratio_cap:
        raise GameError(f"base_cap must lie in (0, ratio_cap), got {base_cap}")
    if eps.shape != logits_alpha.shape:
        raise GameError(f"eps shape {tuple(eps.shape)} must equal the logits' {tuple(logits_alpha.shape)}")
    avail = _available(logits_alpha, mask)
    masked = logits_alpha.masked_fill(~avail, float("-inf"))
    k = masked.argmax(dim=-1, keepdim=True)
    l_k = masked.gather(-1, k)
    log_rho = torch.where(avail, logits_alpha, l_k) - l_k  # finite everywhere; 0 at k and off-support
    log_u = log_rho + math.log(base_cap / ratio_cap)
    b = log_u - _log1mexp(log_u)
    log_r = math.log(ratio_cap) + F.logsigmoid(b + eps)
    is_k = torch.zeros_like(avail).scatter(-1, k, True)
    log_r = torch.where(is_k, torch.zeros_like(log_r), log_r).masked_fill(~avail, float("-inf"))
    return log_r - torch.logsumexp(log_r, dim=-1, keepdim=True)


def naive_softmax_modifier(logits_alpha: Tensor, eps: Tensor, temperature: float = 1.0) -> Tensor:
    """log softmax((log α + ε)/τ) with α = softmax(logits_alpha): the construction in the paper's
    public code. It does **not** keep the mode (see the module docstring); here for comparison only."""
    if not temperature > 0:
        raise GameError(f"temperature must be positive, got {temperature}")
    return torch.log_softmax((torch.log_softmax(logits_alpha, dim=-1) + eps) / temperature, dim=-1)


class JointCategorical:
    """The joint policy over N discrete agents: the product of the modified marginals β_i.

    ``log_beta`` (..., N, A_max) (unavailable slots -inf); ``mode`` (..., N), the actors' argmax
    (default: argmax of ``log_beta``, equal to it under IGC). Joint actions have shape (..., N).
    """

    def __init__(self, log_beta: Tensor, mode: Tensor | None = None) -> None:
        self.log_beta = log_beta
        self._mode = log_beta.argmax(dim=-1) if mode is None else mode
        self.marginals = Categorical(logits=log_beta, validate_args=False)

    @property
    def probs(self) -> Tensor:
        """β, shape (..., N, A_max)."""
        return self.marginals.probs

    @property
    def mode(self) -> Tensor:
        """The joint mode (..., N): the tuple of the individual actors' argmaxes (IGC)."""
        return self._mode

    def log_prob_per_agent(self, actions: Tensor) -> Tensor:
        """log β_i(a_i), shape (..., N)."""
        return self.marginals.log_prob(actions.long())

    def log_prob(self, actions: Tensor) -> Tensor:
        """Joint log-probability Σ_i log β_i(a_i), shape (...)."""
        return self.log_prob_per_agent(actions).sum(dim=-1)

    def entropy_per_agent(self) -> Tensor:
        """H(β_i), shape (..., N) (0 · log 0 = 0 on masked slots)."""
        return self.marginals.entropy()

    def entropy(self) -> Tensor:
        """Joint entropy Σ_i H(β_i) (exact: the joint is a product given the PM's inputs), shape (...)."""
        return self.entropy_per_agent().sum(dim=-1)

    def sample(self, sample_shape: torch.Size | tuple[int, ...] = ()) -> Tensor:
        """Joint actions of shape (*sample_shape, ..., N)."""
        return self.marginals.sample(torch.Size(sample_shape))


def igc_joint_categorical(logits_alpha: Tensor, eps: Tensor, ratio_cap: float = DEFAULT_TORCH_RATIO_CAP,
                          base_cap: float = DEFAULT_BASE_CAP, mask: Tensor | None = None) -> JointCategorical:
    """:class:`JointCategorical` of :func:`igc_modify_torch` with its mode = the actors' argmax."""
    log_beta = igc_modify_torch(logits_alpha, eps, ratio_cap, base_cap, mask)
    k = logits_alpha.masked_fill(~_available(logits_alpha, mask), float("-inf")).argmax(dim=-1)
    return JointCategorical(log_beta, k)


def igc_cap_torch(joint_logits: Tensor, mode: Tensor, ratio_cap: float = DEFAULT_TORCH_RATIO_CAP) -> Tensor:
    """log β over K joint actions with the strict mode ``mode`` (..., long) from logits z (..., K).

    log r_k = 0, log r_j = log c + log σ(z_j − z_k − log c), log β = log r − logsumexp(log r); z_j =
    −inf gives log β_j = −inf. β_j / β_k < c for every j ≠ k, for every z (the mode's own logit
    must be finite).
    """
    if not 0.0 < ratio_cap < 1.0:
        raise GameError(f"ratio_cap must lie in (0, 1), got {ratio_cap}")
    k = mode.long()[..., None]
    top = joint_logits.gather(-1, k)
    finite = torch.isfinite(joint_logits)
    x = torch.where(finite, joint_logits - top, torch.zeros_like(joint_logits)) - math.log(ratio_cap)
    log_r = math.log(ratio_cap) + F.logsigmoid(x)
    is_k = torch.zeros_like(finite).scatter(-1, k, True)
    log_r = torch.where(is_k, torch.zeros_like(log_r), log_r).masked_fill(~finite & ~is_k, float("-inf"))
    return log_r - torch.logsumexp(log_r, dim=-1, keepdim=True)


def _strides(num_actions: tuple[int, ...]) -> list[int]:
    out, stride = [], 1
    for a in reversed(num_actions):
        out.insert(0, stride)
        stride *= a
    return out


class CoupledJointCategorical:
    """A correlated joint policy over N discrete agents: one categorical over the flattened joint
    action (C order, last agent fastest), IGC by :func:`igc_cap_torch` at the actors' modes.

    ``log_beta`` (..., K) with K = Π_i A_i; ``num_actions`` the per-agent counts; ``mode`` (..., N)
    the actors' argmaxes; ``uncapped_logits`` (..., K) the free logits z. Joint actions are (..., N).
    The joint has one log-probability per joint action: :meth:`log_prob_per_agent` spreads it evenly
    over the agents (so their sum, the joint PPO ratio's input, is exact; a per-agent ratio is not
    defined for it) and :meth:`entropy_per_agent` likewise.
    """

    def __init__(self, log_beta: Tensor, num_actions: tuple[int, ...], mode: Tensor,
                 uncapped_logits: Tensor) -> None:
        self.log_beta = log_beta
        self.num_actions = tuple(int(a) for a in num_actions)
        self._mode = mode
        self.uncapped_logits = uncapped_logits
        self.flat = Categorical(logits=log_beta, validate_args=False)
        self._strides = torch.tensor(_strides(self.num_actions), device=log_beta.device)

    @property
    def mode(self) -> Tensor:
        """(..., N): the actors' argmaxes, the joint's strict mode."""
        return self._mode

    @property
    def n_agents(self) -> int:
        return len(self.num_actions)

    def _unravel(self, flat: Tensor) -> Tensor:
        sizes = torch.tensor(self.num_actions, device=flat.device)
        return (flat[..., None] // self._strides) % sizes

    def _ravel(self, actions: Tensor) -> Tensor:
        return (actions.long() * self._strides).sum(dim=-1)

    def sample(self, sample_shape: torch.Size | tuple[int, ...] = ()) -> Tensor:
        return self._unravel(self.flat.sample(torch.Size(sample_shape)))

    def log_prob(self, actions: Tensor) -> Tensor:
        return self.flat.log_prob(self._ravel(actions))

    def log_prob_per_agent(self, actions: Tensor) -> Tensor:
        lp = self.log_prob(actions) / self.n_agents
        return lp[..., None].expand(*lp.shape, self.n_agents)

    def entropy(self) -> Tensor:
        return self.flat.entropy()

    def entropy_per_agent(self) -> Tensor:
        h = self.entropy() / self.n_agents
        return h[..., None].expand(*h.shape, self.n_agents)


def decode_joint_targets(joint_probs: Tensor, num_actions: tuple[int, ...], a_max: int) -> Tensor:
    """Per-agent targets decoded from a joint distribution (..., K), agent by agent: agent i's
    target is its marginal given agents j < i at their decoded (argmax) actions. Returns
    (..., N, a_max), zero-padded; every row sums to 1."""
    lead = joint_probs.shape[:-1]
    p = joint_probs.reshape(*lead, *num_actions)
    n = len(num_actions)
    out = joint_probs.new_zeros(*lead, n, a_max)
    for i in range(n):
        marg = p.sum(dim=tuple(range(len(lead) + 1, len(lead) + n - i))) if n - i > 1 else p
        marg = marg / marg.sum(dim=-1, keepdim=True).clamp_min(1e-30)
        out[..., i, :num_actions[i]] = marg
        pick = marg.argmax(dim=-1)
        index = pick.reshape(*lead, 1, *([1] * (n - i - 1))).expand(*lead, 1, *num_actions[i + 1:])
        p = p.gather(len(lead), index).squeeze(len(lead))
    return out


class JointNormal:
    """A diagonal joint Gaussian over N agents' d-dimensional actions, mean (..., N, d), log-std likewise.

    Joint actions have shape (..., N, d); the mode is the mean.
    """

    def __init__(self, mean: Tensor, log_std: Tensor) -> None:
        self.log_std = log_std
        self.marginals = Normal(mean, log_std.exp(), validate_args=False)

    @property
    def mean(self) -> Tensor:
        return self.marginals.mean

    @property
    def stddev(self) -> Tensor:
        return self.marginals.stddev

    @property
    def mode(self) -> Tensor:
        """The stacked individual means (..., N, d)."""
        return self.marginals.mean

    def log_prob_per_agent(self, actions: Tensor) -> Tensor:
        """log N(a_i; μ_i, diag σ_i²), shape (..., N)."""
        return self.marginals.log_prob(actions).sum(dim=-1)

    def log_prob(self, actions: Tensor) -> Tensor:
        """Joint log-density, shape (...)."""
        return self.log_prob_per_agent(actions).sum(dim=-1)

    def entropy_per_agent(self) -> Tensor:
        return self.marginals.entropy().sum(dim=-1)

    def entropy(self) -> Tensor:
        return self.entropy_per_agent().sum(dim=-1)

    def sample(self, sample_shape: torch.Size | tuple[int, ...] = ()) -> Tensor:
        return self.marginals.sample(torch.Size(sample_shape))

    def rsample(self, sample_shape: torch.Size | tuple[int, ...] = ()) -> Tensor:
        return self.marginals.rsample(torch.Size(sample_shape))


class GaussianIGCHead(nn.Module):
    """Continuous IGC: joint mean = the actors' means exactly, std = exp(clamp(PM log-std)).

    The clamp is a hard one (no gradient outside [log_std_min, log_std_max]).
    """

    def __init__(self, log_std_min: float = -5.0, log_std_max: float = 2.0) -> None:
        super().__init__()
        if not log_std_min < log_std_max:
            raise GameError(f"need log_std_min < log_std_max, got {log_std_min}, {log_std_max}")
        self.log_std_min = float(log_std_min)
        self.log_std_max = float(log_std_max)

    def forward(self, actor_mean: Tensor, modifier_log_std: Tensor) -> JointNormal:
        if actor_mean.shape != modifier_log_std.shape:
            raise GameError(f"mean {tuple(actor_mean.shape)} and log-std "
                            f"{tuple(modifier_log_std.shape)} differ")
        return JointNormal(actor_mean, modifier_log_std.clamp(self.log_std_min, self.log_std_max))
