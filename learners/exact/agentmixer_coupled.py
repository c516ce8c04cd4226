"""Tabular AgentMixer that coordinates: a correlated IGC joint over joint actions and mode hand-offs.

Per shared seed ω and step t the joint policy is a free table of logits z_t[s, h, a] over *joint*
actions (any correlation between the agents given the state s, the joint history h and ω), made
IGC by :func:`learners.exact.igc.igc_cap` at the tuple of the decentralized modes:

    π_θ,t(· | s, h, ω) = igc_cap(z_{ω,t}[s, h], k_ω,t(h) = (k^1_{ω,t}(h_1), ..., k^N_{ω,t}(h_N))),

so the joint mode *is* the tuple of modes (Def. 6) at every step, by construction. The logits are
trained by exact soft policy iteration, z += η Q^{π_θ} (``optimizer="npg"``: the natural policy
gradient of a tabular softmax policy, Kakade 2001), or by Adam on the exact gradient of J through
the cap (``optimizer="adam"``). z itself is not constrained: its softmax π̃ (the *uncapped* joint)
may prefer a joint action other than the mode, which the cap holds below c times the mode.

**Hand-off** (the rule that moves the decentralized modes). For agent i and each history h_i that
the joint reaches, the score of a_i is agent i's implicit product policy (Eq. 7) of the uncapped
joint under the joint's own occupancy ρ_t(s, h), given the agents before i at their proposed modes
k'^j (agent by agent, as an autoregressive decoding of the joint):

    w^i(a_i | h_i) ∝ Σ_{s, h_-i} ρ_t(s, h) Σ_{a_>i} π̃_t(k'^{<i}(h_{<i}), a_i, a_>i | s, h).

When the best action's score reaches (1 + margin) times the mode's, the mode of α^i at h_i is
handed to it. z is kept as it is, so the joint is re-expressed at the new modes by the same cap:
nothing else moves, IGC holds right after the hand-off, and moving back needs the scores to turn
by a factor (1 + margin)² (hysteresis against chattering). A hand-off is kept only if the executed
policy (every agent at its mode) is worth no less than before; a rejected joint proposal is tried
agent by agent. On a one-state game this is exactly "the joint action the joint policy prefers
becomes the executed one"; on a Dec-POMDP each agent's mode follows what the joint does *over its
own history*, weighted by where the joint goes, and never at the price of the executed value.

The executed decentralized policies α^i(· | h_i) are the implicit product policies of the capped
joint, capped at the modes (so deterministic execution plays the modes and sampled execution
imitates the joint).
"""

from __future__ import annotations

import numpy as np

from games.dec_pomdp.evaluation import evaluate, occupancies
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import StochasticPolicy
from learners.exact.gradients import Adam, ProductTables, joint_tables, softmax
from learners.exact.igc import igc_cap, igc_cap_vjp, mode

__all__ = ["RATIO_CAP", "CoupledMixer", "agent_scores", "flat_modes", "propose_modes"]

RATIO_CAP = 1.0 - 1e-6
"""c: a non-mode joint action keeps < c times the probability of the tuple of modes."""

_TOL = 1e-12


def flat_modes(modes: list[np.ndarray], num_actions: tuple[int, ...]) -> np.ndarray:
    """The joint mode's index in C order over (A_1, ..., A_N) for every joint history: ``modes[i]``
    is (H_i,); returns (H_1, ..., H_N)."""
    n = len(modes)
    flat = np.zeros([len(m) for m in modes], dtype=np.intp)
    stride = 1
    for i in reversed(range(n)):
        shape = [1] * n
        shape[i] = len(modes[i])
        flat = flat + modes[i].reshape(shape) * stride
        stride *= num_actions[i]
    return flat


def agent_scores(weighted: np.ndarray, n: int, i: int) -> np.ndarray:
    """Σ over everything but (h_i, a_i) of a table (S, H_1..H_N, A_1..A_N): shape (H_i, A_i)."""
    axes = tuple(k for k in range(weighted.ndim) if k not in (1 + i, 1 + n + i))
    return weighted.sum(axis=axes)


def propose_modes(scores: np.ndarray, current: np.ndarray, margin: float) -> np.ndarray:
    """New modes where the best score reaches (1 + margin) times the current mode's score.

    ``scores`` (..., A) (non-negative; an all-zero row is an unreached history and keeps its mode),
    ``current`` (...) ints. Ties among the best go to the lowest index.
    """
    best = np.argmax(scores, axis=-1)
    top = np.take_along_axis(scores, best[..., None], axis=-1)[..., 0]
    now = np.take_along_axis(scores, current[..., None], axis=-1)[..., 0]
    move = (top > 0) & (top >= (1.0 + margin) * now) & (best != current)
    return np.where(move, best, current)


def _one_hot(model: DecPOMDP, modes: list[list[np.ndarray]]) -> StochasticPolicy:
    return StochasticPolicy(tuple(tuple(np.eye(m)[k] for k in agent)
                                  for m, agent in zip(model.num_actions, modes, strict=True)))


class CoupledMixer:
    """State and one training step of the coupled construction (module docstring)."""

    def __init__(self, model: DecPOMDP, horizon: int, phi: list[list[list[np.ndarray]]], lr: float,
                 optimizer: str, margin: float | None, learn_prior: bool) -> None:
        self.model, self.horizon, self.lr = model, horizon, float(lr)
        self.optimizer, self.margin, self.learn_prior = optimizer, margin, learn_prior
        n = model.num_agents
        self.current: list[list[list[np.ndarray]]] = []
        self.z: list[list[np.ndarray]] = []
        for seed_phi in phi:
            alphas = [[softmax(x) for x in agent] for agent in seed_phi]
            self.current.append([[mode(a) for a in agent] for agent in alphas])
            steps = []
            for t in range(horizon):
                with np.errstate(divide="ignore"):
                    logs = [np.log(alphas[i][t]) for i in range(n)]
                z = np.zeros((model.num_states, *(len(x) for x in logs), *model.num_actions))
                for i, lg in enumerate(logs):   # z = Σ_i log α_i(a_i | h_i): the product policy
                    shape = [1] * z.ndim
                    shape[1 + i], shape[1 + n + i] = lg.shape
                    z = z + lg.reshape(shape)
                steps.append(z)
            self.z.append(steps)
        self._memo: dict[bytes, float] = {}           # exact values of the mode policies tried
        self._occupancy: dict[bytes, list[np.ndarray]] = {}   # of the current modes (one entry)
        self.prior_logits = np.zeros(len(phi))
        self.opt = Adam([x for seed in self.z for x in seed] + [self.prior_logits], lr) \
            if optimizer == "adam" else None

    # ------------------------------------------------------------------ the joint and its pieces
    @property
    def prior(self) -> np.ndarray:
        return softmax(self.prior_logits)

    def _joint(self, w: int, t: int) -> np.ndarray:
        z = self.z[w][t]
        s_count, ja = z.shape[0], int(np.prod(self.model.num_actions))
        k = np.broadcast_to(flat_modes([m[t] for m in self.current[w]], self.model.num_actions),
                            (s_count, *z.shape[1:1 + self.model.num_agents]))
        flat = igc_cap(z.reshape(*z.shape[:1 + self.model.num_agents], ja), k, ratio_cap=RATIO_CAP)
        return flat.reshape(z.shape)

    def joints(self) -> list[list[np.ndarray]]:
        """π_θ per seed and step, each (S, H_1, ..., H_N, A_1, ..., A_N)."""
        return [[self._joint(w, t) for t in range(self.horizon)] for w in range(len(self.z))]

    def _tables(self, w: int):
        return joint_tables(self.model, [self._joint(w, t) for t in range(self.horizon)], self.horizon)

    def alphas(self) -> list[list[list[np.ndarray]]]:
        """α^i: the capped joint's implicit product policy over h_i, capped at the modes."""
        n = self.model.num_agents
        out = []
        for w in range(len(self.z)):
            tab = self._tables(w)
            seed = []
            for i in range(n):
                steps = []
                for t in range(self.horizon):
                    pi = self._joint(w, t)
                    scores = agent_scores(tab.rhos[t].reshape(*tab.rhos[t].shape, *([1] * n)) * pi, n, i)
                    reach = scores.sum(axis=1, keepdims=True)
                    with np.errstate(divide="ignore"):
                        logits = np.where(reach > 0, np.log(scores / np.where(reach > 0, reach, 1.0)), 0.0)
                    steps.append(igc_cap(logits, self.current[w][i][t], ratio_cap=RATIO_CAP))
                seed.append(steps)
            out.append(seed)
        return out

    def modes(self) -> list[list[list[np.ndarray]]]:
        """The decentralized modes k^i_{ω,t}(h_i) (copies)."""
        return [[[k.copy() for k in agent] for agent in seed] for seed in self.current]

    @staticmethod
    def _key(modes: list[list[np.ndarray]]) -> bytes:
        return b"".join(k.tobytes() for agent in modes for k in agent)

    def mode_value(self, w: int, modes: list[list[np.ndarray]] | None = None) -> float:
        """Exact value of the executed deterministic policy at seed w (the current modes, cached)."""
        modes = self.current[w] if modes is None else modes
        key = self._key(modes)
        if key not in self._memo:
            self._memo[key] = evaluate(self.model, _one_hot(self.model, modes), self.horizon)
        return self._memo[key]

    # ------------------------------------------------------------------ training
    def step(self) -> tuple[float, bool]:
        """Update the logits (and the prior), then hand off; returns (J before the step, handed off)."""
        n, p = self.model.num_agents, self.prior
        act_axes = tuple(range(-n, 0))
        values, grads, tables = [], [], []
        for w in range(len(self.z)):
            joints = [self._joint(w, t) for t in range(self.horizon)]
            tab = joint_tables(self.model, joints, self.horizon)
            values.append(tab.value)
            tables.append(tab)
            for t in range(self.horizon):
                if self.optimizer == "npg":
                    z = self.z[w][t] + self.lr * tab.qs[t]
                    self.z[w][t] = z - z.max(axis=act_axes, keepdims=True)
                else:
                    g = p[w] * tab.rhos[t].reshape(*tab.rhos[t].shape, *([1] * n)) * tab.qs[t]
                    z = self.z[w][t]
                    ja = int(np.prod(self.model.num_actions))
                    lead = z.shape[:1 + n]
                    k = np.broadcast_to(flat_modes([m[t] for m in self.current[w]], self.model.num_actions),
                                        lead)
                    grads.append(igc_cap_vjp(z.reshape(*lead, ja), k, g.reshape(*lead, ja),
                                             ratio_cap=RATIO_CAP).reshape(z.shape))
        v = np.array(values)
        value = float(p @ v)
        if self.opt is not None:
            g_prior = p * (v - value) if self.learn_prior else np.zeros_like(p)
            self.opt.ascend([x for seed in self.z for x in seed] + [self.prior_logits], [*grads, g_prior])
        elif self.learn_prior:
            self.prior_logits += self.lr * v
            self.prior_logits -= self.prior_logits.max()
        handed = False
        if self.margin is not None:
            for w in range(len(self.z)):
                handed |= self.hand_off(w, tables[w])
        return value, handed

    def proposal(self, w: int, rhos: list[np.ndarray]) -> list[list[np.ndarray]]:
        """Every agent's proposed modes at seed ω = w (the hand-off rule of the module docstring),
        decoded agent by agent: agent i's scores condition on agents j < i playing their proposed
        modes, so a tie between correlated optima is broken consistently."""
        n = self.model.num_agents
        out: list[list[np.ndarray]] = [[] for _ in range(n)]
        for t in range(self.horizon):
            z = self.z[w][t]
            lead = z.shape[:1 + n]
            uncapped = softmax(z.reshape(*lead, -1)).reshape(z.shape)
            weighted = rhos[t].reshape(*rhos[t].shape, *([1] * n)) * uncapped
            for i in range(n):
                new = propose_modes(agent_scores(weighted, n, i), self.current[w][i][t], float(self.margin))
                out[i].append(new)
                keep = np.zeros((new.size, z.shape[1 + n + i]))
                keep[np.arange(new.size), new] = 1.0           # condition on agent i's proposed mode
                shape = [1] * z.ndim
                shape[1 + i], shape[1 + n + i] = keep.shape
                weighted = weighted * keep.reshape(shape)
        return out

    def critic_proposal(self, w: int, i: int, tab: ProductTables) -> list[np.ndarray]:
        """Agent i's best action at each h_i its mode policy reaches, against the others' modes,
        valued by the joint's critic: argmax_a Σ_{s, h_-i} ρ^k_t(s, h) Q_t(s, h, (a, k^{-i}(h_-i))),
        with ρ^k the occupancy of the executed modes and Q that of the joint (ties keep the mode)."""
        n = self.model.num_agents
        key = self._key(self.current[w])
        if key not in self._occupancy:
            pol = _one_hot(self.model, self.current[w])
            self._occupancy = {key: occupancies(self.model, pol, self.horizon)}
        rhos = self._occupancy[key]
        out = []
        for t in range(self.horizon):
            q, rho = tab.qs[t], rhos[t]
            for j in range(n):                      # fix every other agent's action at its mode
                if j == i:
                    continue
                pick = np.eye(q.shape[1 + n + j])[self.current[w][j][t]]          # (H_j, A_j)
                shape = [1] * q.ndim
                shape[1 + j], shape[1 + n + j] = pick.shape
                q = (q * pick.reshape(shape)).sum(axis=1 + n + j, keepdims=True)
            scores = agent_scores(rho.reshape(*rho.shape, *([1] * n)) * q, n, i)   # (H_i, A_i)
            now = np.take_along_axis(scores, self.current[w][i][t][:, None], axis=1)[:, 0]
            best = np.argmax(scores, axis=1)
            gain = scores[np.arange(len(best)), best] - now
            out.append(np.where(gain > _TOL * (1.0 + np.abs(now)), best, self.current[w][i][t]))
        return out

    def _try(self, w: int, trial: list[list[np.ndarray]], strict: bool) -> bool:
        """Keep ``trial`` as the modes of seed w if the executed value does not drop (rises, ``strict``)."""
        base, value = self.mode_value(w), self.mode_value(w, trial)
        if value > base + _TOL * (1.0 + abs(base)) if strict else value >= base - _TOL:
            self.current[w] = trial
            return True
        return False

    def hand_off(self, w: int, tab: ProductTables) -> bool:
        """Apply the accepted part of the proposals at seed w; True if some mode moved.

        First the joint's proposal (kept if the executed value does not drop; a rejected one is tried
        agent by agent); if no mode moved, each agent's critic proposal (kept if the executed value
        strictly rises, so it cannot cycle).
        """
        n = self.model.num_agents
        new = self.proposal(w, tab.rhos)
        changed = [any(not np.array_equal(a, b) for a, b in zip(new[i], self.current[w][i], strict=True))
                   for i in range(n)]
        if any(changed):
            if self._try(w, new, strict=False):
                return True
            moved = False
            for i in (i for i, c in enumerate(changed) if c):
                trial = [new[j] if j == i else self.current[w][j] for j in range(n)]
                moved |= self._try(w, trial, strict=False)
            if moved:
                return True
        moved = False
        for i in range(n):
            best = self.critic_proposal(w, i, tab)
            if not all(np.array_equal(a, b) for a, b in zip(best, self.current[w][i], strict=True)):
                moved |= self._try(w, [best if j == i else self.current[w][j] for j in range(n)], strict=True)
        return moved

    def value(self) -> float:
        return float(self.prior @ np.array([self._tables(w).value for w in range(len(self.z))]))
