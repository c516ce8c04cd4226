"""Game models: normal-form games, the catalog and file formats (imports nothing from ce/learners)."""

from games.catalog import CATALOG, make_game, random_game
from games.errors import AgentmixerError, GameError, GameNotFoundError, ParseError
from games.loading import load_game, parse_spec
from games.normal_form import NormalFormGame

__all__ = [
    "CATALOG",
    "AgentmixerError",
    "GameError",
    "GameNotFoundError",
    "NormalFormGame",
    "ParseError",
    "load_game",
    "make_game",
    "parse_spec",
    "random_game",
]
