"""Exact evaluation of trained neural actors on Dec-POMDPs: the bridge from the neural to the exact tier.

On :class:`games.envs.DecPOMDPEnv` a feed-forward actor sees ``[one-hot(last own observation) |
one-hot(t)]`` (zeros before the first observation), so its policy is a function of (t, last
observation): a decentralized policy over action-observation histories that
:func:`games.dec_pomdp.evaluation.evaluate` values exactly and :func:`ce.dec_gaps.dec_ce_gap` can audit. This
module tabulates it — every history h_i at step t is mapped to the observation the environment
would show (the last observation of h_i is ``h_i mod |O_i|``, see :mod:`games.dec_pomdp.policies`) and pushed
through the actors — instead of estimating the value from sampled episodes.
"""

from __future__ import annotations

import numpy as np
import torch

from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import StochasticPolicy
from games.errors import GameError
from learners.neural.actors import Actors

__all__ = ["tabulate_actors"]


def tabulate_actors(actors: Actors, model: DecPOMDP, horizon: int,
                    deterministic: bool = False) -> StochasticPolicy:
    """The decentralized policy the actors execute on ``model`` for ``horizon`` steps, as a table.

    ``deterministic`` takes the argmax of the logits (lowest index on ties, as the evaluation
    does); otherwise the softmax probabilities. Recurrent actors are refused (their policy depends
    on the whole history through the GRU state, not on the observation the table indexes).
    """
    if actors.config.recurrent:
        raise GameError("tabulate_actors needs feed-forward actors (recurrent=False)")
    n = model.num_agents
    q_max = max(model.num_observations)
    if actors.obs_dim != q_max + horizon or actors.n_agents != n:
        raise GameError(f"actors expect obs_dim {actors.obs_dim} for {actors.n_agents} agents; "
                        f"{model.name} with horizon {horizon} gives {q_max + horizon} for {n}")
    per_agent: list[list[np.ndarray]] = [[] for _ in range(n)]
    with torch.no_grad():
        for t in range(horizon):
            for i, (m, q) in enumerate(zip(model.num_actions, model.num_observations, strict=True)):
                count = (m * q) ** t
                obs = torch.zeros(count, n, actors.obs_dim)
                if t > 0:
                    obs[torch.arange(count), i, torch.arange(count) % q] = 1.0
                obs[:, :, q_max + t] = 1.0
                out, _ = actors(obs)
                logits = out.logits[:, i, :m].double()
                if deterministic:
                    probs = torch.nn.functional.one_hot(logits.argmax(dim=-1), m).double()
                else:
                    probs = torch.softmax(logits, dim=-1)
                per_agent[i].append(probs.numpy())
    return StochasticPolicy(tuple(tuple(p) for p in per_agent))
