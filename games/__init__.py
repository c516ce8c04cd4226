"""Game models: normal-form games and Dec-POMDPs, catalogs, file formats, policies and exact
evaluation (imports nothing from ce/learners)."""

from games.catalog import CATALOG, make_game, random_game
from games.dec_pomdp import DecPOMDP
from games.dpomdp_catalog import DPOMDP_CATALOG, make_dpomdp
from games.errors import AgentmixerError, GameError, GameNotFoundError, ParseError
from games.evaluation import evaluate
from games.loading import load_dpomdp, load_game, parse_spec
from games.normal_form import NormalFormGame
from games.policies import CorrelatedPolicy, DeterministicPolicy, ReactivePolicy, StochasticPolicy

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
