"""Game models in two families, :mod:`games.normal_form` and :mod:`games.dec_pomdp`, loaded by name
or file through one grammar (:mod:`games.spec`, :mod:`games.loading`), and batched simulators
(:mod:`games.envs`). Imports nothing from ce or learners."""

from games.dec_pomdp import (
    DPOMDP_CATALOG,
    CorrelatedPolicy,
    DecPOMDP,
    DeterministicPolicy,
    ReactivePolicy,
    StochasticPolicy,
    evaluate,
    make_dpomdp,
)
from games.errors import AgentmixerError, GameError, GameNotFoundError, ParseError
from games.loading import load_dpomdp, load_game, parse_spec
from games.normal_form import CATALOG, NormalFormGame, make_game, random_game

__all__ = [
    "CATALOG",
    "DPOMDP_CATALOG",
    "AgentmixerError",
    "CorrelatedPolicy",
    "DecPOMDP",
    "DeterministicPolicy",
    "GameError",
    "GameNotFoundError",
    "NormalFormGame",
    "ParseError",
    "ReactivePolicy",
    "StochasticPolicy",
    "evaluate",
    "load_dpomdp",
    "load_game",
    "make_dpomdp",
    "make_game",
    "parse_spec",
    "random_game",
]
