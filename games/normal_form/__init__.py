"""Normal-form games: the model, the built-in catalog, Gambit ``.nfg`` and agentmixer JSON files,
and OpenSpiel interop (:mod:`games.normal_form.openspiel_io`, imported on demand)."""

from games.normal_form.catalog import CATALOG, make_game, random_game
from games.normal_form.game import NormalFormGame, check_names
from games.normal_form.json_format import read_json, write_json
from games.normal_form.nfg import read_nfg, write_nfg

__all__ = ["CATALOG", "NormalFormGame", "check_names", "make_game", "random_game", "read_json",
           "read_nfg", "write_json", "write_nfg"]
