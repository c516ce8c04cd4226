"""Dec-POMDPs built to put the papers' claims to the test, registered in the one Dec-POMDP catalog
(:data:`games.dec_pomdp.catalog.DPOMDP_CATALOG`): ``private_signals`` (a hidden state that is
nevertheless identifiable, for Theorem 1), ``fork`` (where Eq. 6's fixed point is not the best
product policy) and ``swing`` (where iterating Eq. 8 with stationary policies cycles). Each
docstring derives the values the verification suite checks.
"""

from __future__ import annotations

import itertools

import numpy as np

from games.dec_pomdp.catalog import _register
from games.dec_pomdp.model import DecPOMDP
from games.errors import GameError

__all__ = ["fork", "private_signals", "swing"]


@_register("private_signals")
def private_signals(noise_states: int = 2) -> DecPOMDP:
    """Private signals: a hidden state that is identifiable (AgentMixer, Li et al. AAAI 2025, Def. 5).

    Built here to give Theorem 1 a genuinely partially observable identifiable instance. At t = 0
    (state ``briefing``) nature draws two private bits x, y and a nuisance z ∈ {0..noise_states-1},
    all uniform and independent, and they persist. Agent 0 observes x, agent 1 observes y, nobody
    observes z: neither agent knows the state (the other's bit, z). At t = 1 each agent picks a bit;
    the team earns (1 + z) (1[a_0 = x] + 1[a_1 = y]). The optimal joint action (x, y) is unique in
    every state and each of its components is a function of one agent's own history, so the
    deterministic optimal joint policy is a product the agents can compute: identifiable, although
    the state is hidden. Value (γ = 1, horizon 2): 2 E[1 + z] = 1 + noise_states (3 for the default),
    both decentralized and fully observable.
    """
    if int(noise_states) < 1:
        raise GameError(f"private_signals needs noise_states >= 1, got {noise_states}")
    k = int(noise_states)
    draws = list(itertools.product(range(2), range(2), range(k)))
    s_count, ja = 1 + len(draws), 4
    t = np.zeros((s_count, ja, s_count))
    t[0, :, 1:] = 1.0 / len(draws)
    o = np.full((ja, s_count, 4), 0.25)
    r = np.zeros((s_count, ja))
    for idx, (x, y, z) in enumerate(draws, start=1):
        t[idx, :, idx] = 1.0
        o[:, idx, :] = 0.0
        o[:, idx, 2 * x + y] = 1.0                      # agent 0 sees x, agent 1 sees y
        for a0, a1 in itertools.product(range(2), repeat=2):
            r[idx, 2 * a0 + a1] = (1 + z) * ((a0 == x) + (a1 == y))
    bits = ("0", "1")
    label = "private_signals" if k == 2 else f"private_signals(noise_states={k})"
    return DecPOMDP(
        transition=t, observation=o, reward=r, initial=np.eye(s_count)[0], num_actions=(2, 2),
        num_observations=(2, 2), discount=1.0, horizon=2,
        state_names=("briefing", *(f"x{x}-y{y}-z{z}" for x, y, z in draws)),
        action_names=(bits, bits), observation_names=(bits, bits), agent_names=("agent0", "agent1"),
        name=label,
    )


@_register("fork")
def fork() -> DecPOMDP:
    """A fork whose branches differ in identifiability: for AgentMixer's Eq. 6 (Li et al. AAAI 2025).

    Built here to test whether β-mixture distillation with a policy-dependent occupancy (Eq. 6) is
    solved by the implicit product policy (Eq. 7). At t = 0 (state ``start``) agent 0's action
    takes the team to branch ``A`` (action 0) or ``B`` (action 1); agent 1's action is irrelevant
    and nothing is earned. Both agents then observe the branch. At t = 1, in ``A`` only (0, 0) pays
    1; in ``B`` both (0, 0) and (1, 1) pay 1 (a correlated tie no product reproduces). Every joint
    action at t = 0 is optimal (value 1 either way), so the expert that is uniform over optimal
    actions goes to each branch with probability 1/2. The implicit product policy copies that
    1/2, while lowering the identifiability KL (log 2 in ``B``, 0 in ``A``) rewards steering
    towards ``A``: the two disagree for every β < 1.
    """
    t = np.zeros((3, 4, 3))
    t[0, 0:2, 1] = 1.0                                  # agent 0 plays 0: branch A
    t[0, 2:4, 2] = 1.0                                  # agent 0 plays 1: branch B
    t[1, :, 1] = t[2, :, 2] = 1.0
    o = np.zeros((4, 3, 4))
    o[:, 0, :] = 0.25
    o[:, 1, 0] = 1.0                                    # both see A
    o[:, 2, 3] = 1.0                                    # both see B
    r = np.zeros((3, 4))
    r[1, 0] = 1.0
    r[2, 0] = r[2, 3] = 1.0
    return DecPOMDP(
        transition=t, observation=o, reward=r, initial=np.eye(3)[0], num_actions=(2, 2),
        num_observations=(2, 2), discount=1.0, horizon=2, state_names=("start", "A", "B"),
        action_names=(("0", "1"),) * 2, observation_names=(("A", "B"),) * 2,
        agent_names=("agent0", "agent1"), name="fork",
    )


@_register("swing")
def swing(discount: float = 0.9) -> DecPOMDP:
    """Swing: blind agents and an expert that alternates, for AgentMixer's Eq. 8 (Li et al. AAAI 2025).

    Built here to test Eq. 8 (distil the joint policy under the occupancy of the current product
    policy, repeat) with *stationary* policies on a discounted problem. Two states ``L``, ``R``
    (start uniform); the next state is ``L`` when both agents play 0 and ``R`` otherwise; the
    agents observe nothing (one observation each). The team earns 1 for (1, 1) in ``L`` and for
    (0, 0) in ``R``, so the fully observable optimum alternates L -> (1, 1) -> R -> (0, 0) -> L,
    value 1 / (1 - γ). Under blind agents that play 1 with probability p the team is in ``L`` with
    probability (1 - p)² from t = 2 on, so distilling the alternating expert maps p to about
    (1 - γ) c + γ (1 - p)²: a map whose slope at its fixed point is below -1 for γ = 0.9, so the
    iteration settles on a 2-cycle instead. ``horizon`` is a nominal 10 for finite-horizon tools;
    the claim concerns γ < 1 and stationary policies.
    """
    if not 0.0 < discount < 1.0:
        raise GameError(f"swing needs 0 < discount < 1, got {discount}")
    t = np.zeros((2, 4, 2))
    t[:, 0, 0] = 1.0                                   # both play 0: L
    t[:, 1:, 1] = 1.0                                  # otherwise: R
    r = np.zeros((2, 4))
    r[0, 3] = 1.0
    r[1, 0] = 1.0
    label = "swing" if discount == 0.9 else f"swing(discount={discount:g})"
    return DecPOMDP(
        transition=t, observation=np.ones((4, 2, 1)), reward=r, initial=np.full(2, 0.5),
        num_actions=(2, 2), num_observations=(1, 1), discount=float(discount), horizon=10,
        state_names=("L", "R"), action_names=(("0", "1"),) * 2, observation_names=(("none",),) * 2,
        agent_names=("agent0", "agent1"), name=label,
    )
