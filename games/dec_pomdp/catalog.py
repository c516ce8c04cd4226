"""The catalog of built-in Dec-POMDPs, each with its source and the values its numbers produce.

Every entry is a factory ``(**params) -> DecPOMDP`` registered under a short name, in the style
of :mod:`games.normal_form.catalog`. Two entries are small, hand-designed illustrations of the *asymmetric
learning failure* that motivates AgentMixer (Li, Zhao, Wu & Pajarinen, AAAI 2025, arXiv
2401.08728): an optimal fully observable (state-conditioned, joint) policy π*, imitated by
partially observable agents, is averaged over the states each agent cannot tell apart. The
imitator ("distilled" or implicit product policy) of agent i is

    π^i_t(a_i | h_i) = Σ_s P_{π*}(s | h_i) Σ_{a_-i} π*_t(a_i, a_-i | s),

the posterior taken under the expert's own trajectory distribution, and it can be much worse than
the best decentralized policy. Throughout, π* picks uniformly among the optimal joint actions when
there are ties (the values quoted in the docstrings use that rule; ``tests/games/
test_dpomdp_catalog.py`` re-derives every one by brute force over decentralized policies).

Joint indices follow :class:`~games.dec_pomdp.model.DecPOMDP` (MADP order, last agent fastest).
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

from games.dec_pomdp.model import DecPOMDP
from games.errors import GameError
from games.normal_form import catalog as nf_catalog
from games.spec import CatalogEntry, check_table_size, registrar, unknown_name_error

__all__ = [
    "DPOMDP_CATALOG",
    "DPOMDPEntry",
    "bridge_crossing",
    "bridge_crossing_observed",
    "dec_tiger",
    "ice_with_pits",
    "make_dpomdp",
    "random_dpomdp",
]


DPOMDPEntry = CatalogEntry  # same record as the normal-form catalog's
DPOMDP_CATALOG: dict[str, CatalogEntry] = {}
_register = registrar(DPOMDP_CATALOG)


# ----------------------------------------------------------------------------- bridge crossing
_SMALL, _BIG = 0, 1
_TRAVEL = np.array([[1.0, 3.0], [0.5, 1.5]])  # _TRAVEL[physique, passage]: length / speed
_LOAD = (1, 2)  # a small agent fills one unit of a passage, a big one two; capacity is 2


@_register("bridge_crossing")
def bridge_crossing(congestion: float = 10.0) -> DecPOMDP:
    """Bridge crossing (AgentMixer, Li et al. AAAI 2025, Fig. 1): physique-dependent passage choice.

    The paper's story: two agents whose physique (small or big) is redrawn every episode; each
    sees only its own; passage 1 is short, passage 2 long; a passage holds two small agents or
    one big one and congestion is penalised. The fully observable optimum sends two small agents
    through passage 1, while decentralized agents must stagger. The paper gives no numbers (and
    its figure was not available to us verbatim); these were chosen so that (a)-(c) below hold
    with a large margin.

    Model (horizon 2, γ = 1). State 0 ``briefing``: whatever the agents do, nature draws both
    physiques independently and uniformly (states ``small-small``, ``small-big``, ``big-small``,
    ``big-big``, agent 0 first; they persist) and each agent observes its own physique exactly.
    At step 1 each agent picks ``passage1`` (length 1) or ``passage2`` (length 3). Small agents
    walk at speed 1, big ones at speed 2 (longer strides), so the travel times are small 1 / 3 and
    big 0.5 / 1.5; the reward is minus the summed travel time, minus ``congestion`` when a
    passage carries more than two load units (small = 1, big = 2). Big agents being faster is
    what makes the joint optimum unique off the big-big state: the long passage costs a big
    agent only 1 extra, a small one 2 extra.

    (a) Fully observable optimum (cost per state): small-small -> both passage 1 (2); small-big
    and big-small -> the small agent takes passage 1, the big one passage 2 (2.5); big-big ->
    separate, either way round (2, a tie). Value -2.25.
    (b) Decentralized optimum (each agent sees only its own physique): stagger, one agent always
    in passage 1 and the other always in passage 2, whatever their physiques: cost 4, 2.5, 3.5, 2,
    value -3. The physique-dependent rules lose to it whenever ``congestion`` > 4 (the best of
    them, "agent 0 always 1; agent 1 small -> 1, big -> 2", costs 2 + congestion / 4; "small -> 1,
    big -> 2" for both costs 2.5 + congestion / 4).
    (c) Distilled policy: a small agent's expert always takes passage 1 (small-small and the small
    side of a mixed pair), a big agent's takes passage 2 except in big-big, where it is 50/50, so
    the imitator plays small -> 1, big -> 2 with probability 3/4. It congests in a quarter of the
    mixed states and 10/16 of the big-big ones: cost 2.25 + 9 congestion / 32, value -5.0625 for
    the default ``congestion`` = 10, well below -3 (for every tie-break in big-big, not only the
    uniform one: the cost is then at least 2.25 + congestion / 4). Its mode (small -> 1,
    big -> 2) is no better (-5).
    """
    if not congestion >= 0:
        raise GameError(f"bridge_crossing needs congestion >= 0, got {congestion}")
    phys = list(itertools.product((_SMALL, _BIG), repeat=2))
    s_count, ja_count = 1 + len(phys), 4
    t = np.zeros((s_count, ja_count, s_count))
    t[0, :, 1:] = 0.25  # the briefing draws the physiques
    for k in range(1, s_count):
        t[k, :, k] = 1.0  # physiques persist
    o = np.full((ja_count, s_count, 4), 0.25)  # the briefing state is never an end state
    r = np.zeros((s_count, ja_count))
    for k, (x0, x1) in enumerate(phys, start=1):
        o[:, k, :] = 0.0
        o[:, k, 2 * x0 + x1] = 1.0  # each agent sees its own physique
        for p0, p1 in itertools.product(range(2), repeat=2):
            load = [0, 0]
            load[p0] += _LOAD[x0]
            load[p1] += _LOAD[x1]
            jam = congestion if max(load) > 2 else 0.0
            r[k, 2 * p0 + p1] = -(_TRAVEL[x0, p0] + _TRAVEL[x1, p1]) - jam
    names = ("small", "big")
    label = "bridge_crossing" if congestion == 10.0 else f"bridge_crossing(congestion={congestion:g})"
    return DecPOMDP(
        transition=t, observation=o, reward=r, initial=np.eye(s_count)[0], num_actions=(2, 2),
        num_observations=(2, 2), discount=1.0, horizon=2,
        state_names=("briefing", *(f"{names[a]}-{names[b]}" for a, b in phys)),
        action_names=(("passage1", "passage2"),) * 2, observation_names=(names, names),
        agent_names=("agent0", "agent1"), name=label,
    )


@_register("bridge_crossing_observed")
def bridge_crossing_observed(congestion: float = 10.0) -> DecPOMDP:
    """Bridge crossing with every agent observing both physiques: the identifiable variant.

    Derived here from :func:`bridge_crossing` (AgentMixer, Li et al. AAAI 2025, Fig. 1) to give
    Theorem 1 an instance where identifiability (Def. 5) holds: same states, transitions and
    rewards, but each agent has four observations ``small-small`` .. ``big-big``, the name of the
    end state (uniform noise after the briefing, which is never an end state). From step 1 every
    agent's history names the state, so the fully observable optimum -2.25 is also the
    decentralized optimum; a deterministic optimal joint policy is a product of point masses each
    agent can compute, so its distillation loses nothing.
    """
    base = bridge_crossing(congestion)
    s_count = base.num_states
    k = s_count - 1  # the four physique states
    obs = np.zeros((base.num_joint_actions, s_count, k * k))
    obs[:, 0, :] = 1.0 / (k * k)
    for s in range(1, s_count):
        obs[:, s, (s - 1) * k + (s - 1)] = 1.0  # both agents see state s
    names = base.state_names[1:]
    label = ("bridge_crossing_observed" if congestion == 10.0
             else f"bridge_crossing_observed(congestion={congestion:g})")
    return dataclasses.replace(base, observation=obs, num_observations=(k, k),
                               observation_names=(names, names), name=label)


# ----------------------------------------------------------------------------- ice with pits
_POS = ("start", "west", "east", "shore1", "shore2", "shore3", "goal", "pit")
_START, _WEST, _EAST, _GOAL, _PIT = 0, 1, 2, 6, 7
_ICE_ACTIONS = ("wait", "west", "east", "around")


def _walk(pos: int, action: int) -> int:
    """Where an agent would step (before the ice is checked): only ``start`` offers a choice."""
    if pos == _START:
        return (_START, _WEST, _EAST, 3)[action]
    if pos in (_WEST, _EAST, 5):
        return _GOAL
    if pos in (3, 4):
        return pos + 1
    return pos  # goal and pit are absorbing


@_register("ice_with_pits")
def ice_with_pits(pit_penalty: float = 10.0, horizon: int = 5) -> DecPOMDP:
    """Ice with pits: a two-agent frozen lake whose one rotten ice bridge only the expert knows.

    After the frozen-lake example of Warrington, Lavington, Scibior, Schmidt & Wood, "Robust
    Asymmetric Learning in POMDPs" (ICML 2021), a single-agent form of what AgentMixer (Li et al.,
    AAAI 2025) calls the asymmetric learning failure: an expert that knows where the weak ice is
    takes the short way around it, and an imitator that cannot see the ice averages the expert's
    choices into an unsafe one. (With discrete moves "averaging left and right" is a coin flip between the
    sides rather than a straight line, and the coin lands on the rotten side half the time.)

    Map (per agent; both agents share the lake): from ``start`` an agent may ``wait``, step onto
    the ``west`` or ``east`` ice bridge (then to ``goal`` next step: 2 steps), or walk ``around``
    the lake (``shore1`` -> ``shore2`` -> ``shore3`` -> ``goal``: 4 steps). Everywhere except
    ``start`` the action is ignored. One bridge is rotten (hidden state ``pitW`` / ``pitE``, each
    with probability 1/2): stepping onto it drops the agent into the ``pit``. A bridge holds one
    agent: two agents stepping onto the same bridge together break it and both fall. ``goal``
    and ``pit`` are absorbing. Each agent observes only its own position, never the pit side.
    States are (pit side, position of agent 0, position of agent 1), 2 x 8 x 8 = 128, pit side
    most significant. Reward per step: -1 for every agent still walking (not in ``goal`` or
    ``pit``), and ``-pit_penalty`` for every agent that falls in on that step. γ = 1, horizon 5,
    so a walk around (cost 4) fits and waiting forever (cost 5) is worse than it.

    Values for the defaults: the fully observable optimum crosses the safe bridge at once with
    one agent while the other waits one step and follows it (cost 2 + 3; which agent waits is a
    tie), value -5. The decentralized optimum is for both agents to walk around, value -8, as
    soon as pit_penalty > 5: a bridge chosen without knowing the pit side costs its agent
    0.5 (1 + pit_penalty) + 0.5 * 2, and the best gamble, sending the agents over opposite
    bridges (exactly one falls), costs 3 + pit_penalty. The distilled policy never walks around
    (the expert never does): at the start it waits with probability 1/2 and otherwise picks each
    bridge with probability 1/4; after waiting it picks each bridge with probability 1/2. Each
    agent falls in with probability 5/8 (1/2 on the rotten bridge, 1/8 from both agents stepping
    onto the safe one together; at least 1/2 whatever the tie-break), and the value is
    -(3.75 + 1.25 pit_penalty) = -16.25, far below -8.
    """
    if not pit_penalty >= 0:
        raise GameError(f"ice_with_pits needs pit_penalty >= 0, got {pit_penalty}")
    if int(horizon) < 1:
        raise GameError(f"ice_with_pits needs horizon >= 1, got {horizon}")
    npos, nact = len(_POS), len(_ICE_ACTIONS)
    shape = (2, npos, npos)
    s_count, ja_count = 2 * npos * npos, nact * nact
    t = np.zeros((s_count, ja_count, s_count))
    o = np.zeros((ja_count, s_count, npos * npos))
    r = np.zeros((s_count, ja_count))
    for side, p0, p1 in itertools.product(range(2), range(npos), range(npos)):
        s = int(np.ravel_multi_index((side, p0, p1), shape))
        o[:, s, p0 * npos + p1] = 1.0  # each agent sees its own position
        rotten = (_WEST, _EAST)[side]
        walking = sum(p not in (_GOAL, _PIT) for p in (p0, p1))
        for a0, a1 in itertools.product(range(nact), repeat=2):
            n0, n1 = _walk(p0, a0), _walk(p1, a1)
            onto = [p == _START and n in (_WEST, _EAST) for p, n in ((p0, n0), (p1, n1))]
            crash = onto[0] and onto[1] and n0 == n1
            nxt = [_PIT if step and (n == rotten or crash) else n
                   for step, n in zip(onto, (n0, n1), strict=True)]
            falls = sum(n == _PIT and p != _PIT for p, n in zip((p0, p1), nxt, strict=True))
            ja = a0 * nact + a1
            t[s, ja, int(np.ravel_multi_index((side, *nxt), shape))] = 1.0
            r[s, ja] = -walking - pit_penalty * falls
    b0 = np.zeros(s_count)
    for side in range(2):
        b0[int(np.ravel_multi_index((side, _START, _START), shape))] = 0.5
    states = tuple(f"pit{'WE'[side]}/{_POS[p0]}/{_POS[p1]}"
                   for side, p0, p1 in itertools.product(range(2), range(npos), range(npos)))
    default = pit_penalty == 10.0 and int(horizon) == 5
    label = "ice_with_pits" if default else f"ice_with_pits(pit_penalty={pit_penalty:g},horizon={horizon})"
    return DecPOMDP(
        transition=t, observation=o, reward=r, initial=b0, num_actions=(nact, nact),
        num_observations=(npos, npos), discount=1.0, horizon=int(horizon), state_names=states,
        action_names=(_ICE_ACTIONS, _ICE_ACTIONS), observation_names=(_POS, _POS),
        agent_names=("agent0", "agent1"), name=label,
    )


# ----------------------------------------------------------------------------- Dec-Tiger
@_register("dec_tiger")
def dec_tiger(horizon: int = 3) -> DecPOMDP:
    """Dec-Tiger (Nair, Tambe, Yokoo, Pynadath & Marsella, IJCAI 2003), with the standard numbers.

    A tiger is behind the left or the right door (uniform prior). Each agent may ``listen``,
    ``open-left`` or ``open-right``. If both listen the state is unchanged and each hears the
    tiger's side correctly with probability 0.85, independently (so e.g. P(hear-left, hear-left |
    tiger-left) = 0.7225); any opening resets the tiger uniformly and both observations are
    uniform. Rewards: both listen -2; both open the treasure door +20; both open the tiger door
    -50; they open different doors -100; one opens the tiger door while the other listens -101;
    one opens the treasure door while the other listens +9. γ = 1. Known optimal values
    (Szer, Charpillet & Zilberstein, UAI 2005; MASPlan's table): -4 at horizon 2, 5.190812 at 3,
    4.802755 at 4.
    Written from this definition; it equals MADP's ``dectiger.dpomdp`` array for array.
    """
    t = np.full((2, 9, 2), 0.5)
    t[:, 0, :] = np.eye(2)  # joint action 0 = (listen, listen)
    o = np.full((9, 2, 4), 0.25)
    hear = np.array([[0.85, 0.15], [0.15, 0.85]])  # hear[tiger, heard side]
    for s in range(2):
        o[0, s, :] = np.outer(hear[s], hear[s]).ravel()
    r = np.zeros((2, 9))
    for s, a0, a1 in itertools.product(range(2), range(3), range(3)):
        tiger_door = 1 + s  # open-left = 1 is the tiger's door when s = tiger-left = 0
        opened = [a for a in (a0, a1) if a != 0]
        if not opened:
            v = -2.0
        elif len(opened) == 2:
            v = -100.0 if a0 != a1 else (-50.0 if a0 == tiger_door else 20.0)
        else:
            v = -101.0 if opened[0] == tiger_door else 9.0
        r[s, a0 * 3 + a1] = v
    acts = ("listen", "open-left", "open-right")
    obs = ("hear-left", "hear-right")
    return DecPOMDP(
        transition=t, observation=o, reward=r, initial=np.full(2, 0.5), num_actions=(3, 3),
        num_observations=(2, 2), discount=1.0, horizon=int(horizon),
        state_names=("tiger-left", "tiger-right"), action_names=(acts, acts),
        observation_names=(obs, obs), agent_names=("agent0", "agent1"), name="dec_tiger",
    )


# ----------------------------------------------------------------------------- one-step games
@_register("climbing")
def climbing() -> DecPOMDP:
    """Climbing game (Claus & Boutilier, AAAI 1998) as a one-step Dec-POMDP: optimum 11.

    ``DecPOMDP.from_normal_form(games.normal_form.catalog.climbing())``: one state, one dummy observation per
    agent, horizon 1, R = the 3x3 payoff matrix.
    """
    return DecPOMDP.from_normal_form(nf_catalog.climbing())


@_register("penalty")
def penalty(k: float = -10.0) -> DecPOMDP:
    """Penalty game (Claus & Boutilier, AAAI 1998) as a one-step Dec-POMDP: optimum 10.

    ``DecPOMDP.from_normal_form(games.normal_form.catalog.penalty(k))``; miscoordinating on the two optima
    costs k <= 0.
    """
    return DecPOMDP.from_normal_form(nf_catalog.penalty(k))


@_register("sum_to_10")
def sum_to_10(agents: int = 3, actions: int = 10, target: int = 10) -> DecPOMDP:
    """MAGPO's CoordSum game (Li, Xie & Lu 2025) as a one-step Dec-POMDP: reward 1 iff Σ a = target.

    ``DecPOMDP.from_normal_form(games.normal_form.catalog.sum_to_ten(agents, actions, target))``.
    """
    return DecPOMDP.from_normal_form(nf_catalog.sum_to_ten(agents, actions, target))


# ----------------------------------------------------------------------------- random
@_register("random")
def random_dpomdp(agents: int = 2, states: int = 3, actions: int = 2, observations: int = 2,
                  seed: int = 0, horizon: int = 3) -> DecPOMDP:
    """Seeded random Dec-POMDP: flat-Dirichlet b0, T and O rows, rewards i.i.d. uniform on [0, 1).

    Every agent has ``actions`` actions and ``observations`` observations; γ = 1. Draw order
    (numpy PCG64 seeded with ``seed``): b0, then T rows in (s, ja) order, O rows in (ja, s')
    order, then R[s, ja]; the same arguments always give the same model.
    """
    sizes = {"agents": agents, "states": states, "actions": actions, "observations": observations,
             "horizon": horizon}
    bad = {k: v for k, v in sizes.items() if int(v) < 1}
    if bad:
        raise GameError(f"random Dec-POMDP needs every size >= 1, got {bad}")
    ja, jo = actions**agents, observations**agents
    check_table_size(ja * states * (states + jo + 1), f"random Dec-POMDP {sizes}")
    rng = np.random.default_rng(seed)
    ja, jo = actions**agents, observations**agents
    b0 = rng.dirichlet(np.ones(states))
    t = rng.dirichlet(np.ones(states), size=(states, ja))
    o = rng.dirichlet(np.ones(jo), size=(ja, states))
    r = rng.uniform(0.0, 1.0, size=(states, ja))
    return DecPOMDP(
        transition=t, observation=o, reward=r, initial=b0, num_actions=(actions,) * agents,
        num_observations=(observations,) * agents, discount=1.0, horizon=int(horizon),
        name=(f"random(agents={agents},states={states},actions={actions},"
              f"observations={observations},seed={seed},horizon={horizon})"),
    )


def make_dpomdp(name: str, **params: object) -> DecPOMDP:
    """Build the catalog Dec-POMDP ``name`` with keyword ``params`` (typed error on unknown ones)."""
    if name not in DPOMDP_CATALOG:
        raise unknown_name_error(
            name, list(DPOMDP_CATALOG), "Dec-POMDP",
            f"built-in models: {', '.join(DPOMDP_CATALOG)}; or a .dpomdp[.gz] file")
    return DPOMDP_CATALOG[name].build("Dec-POMDP", **params)
