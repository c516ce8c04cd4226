"""Load a model by name or file: normal-form games and Dec-POMDPs, in the one name grammar of
:mod:`games.spec`.

Games: an existing file (``.nfg`` Gambit, ``.json`` agentmixer), else the built-in catalog, else
OpenSpiel's registry. Dec-POMDPs: a MADP ``.dpomdp[.gz]`` file, else the built-in catalog. Unknown
names raise :class:`~games.errors.GameNotFoundError` listing the closest known names.
"""

from __future__ import annotations

from pathlib import Path

from games.dec_pomdp.catalog import make_dpomdp
from games.dec_pomdp.madp_format import read_dpomdp
from games.dec_pomdp.model import DecPOMDP
from games.errors import GameNotFoundError
from games.normal_form.catalog import CATALOG, make_game
from games.normal_form.game import NormalFormGame
from games.normal_form.json_format import read_json
from games.normal_form.nfg import read_nfg
from games.spec import parse_spec, unknown_name_error

__all__ = ["load_dpomdp", "load_game", "parse_spec", "unknown_name_error"]

DPOMDP_SUFFIXES = (".dpomdp", ".dpomdp.gz")


def load_game(spec: str | Path) -> NormalFormGame:
    """Load a normal-form game from a catalog name, a ``.nfg``/``.json`` file or OpenSpiel."""
    path = Path(spec)
    if isinstance(spec, Path) or path.suffix.lower() in (".nfg", ".json"):
        if not path.is_file():
            raise GameNotFoundError(f"game file {str(path)!r} does not exist")
        return read_json(path) if path.suffix.lower() == ".json" else read_nfg(path)
    name, params = parse_spec(str(spec))
    if name in CATALOG:
        return make_game(name, **params)
    # OpenSpiel is imported only when a name is not ours: loading pyspiel costs a noticeable delay.
    import pyspiel

    known = {g.short_name for g in pyspiel.registered_games()}
    if name not in known:
        raise unknown_name_error(name, [*CATALOG, *known])
    from games.normal_form.openspiel_io import from_openspiel

    return from_openspiel(str(spec))


def load_dpomdp(spec: str | Path) -> DecPOMDP:
    """A Dec-POMDP from a built-in name (``"dec_tiger"``, ``"bridge_crossing(congestion=5)"``) or
    a MADP ``.dpomdp`` / ``.dpomdp.gz`` file."""
    text = str(spec)
    if isinstance(spec, Path) or text.endswith(DPOMDP_SUFFIXES):
        if not Path(text).is_file():
            raise GameNotFoundError(f"model file {text!r} does not exist")
        return read_dpomdp(Path(text))
    name, params = parse_spec(text)
    return make_dpomdp(name, **params)
