"""Resolve a game specification (catalog name, file, or OpenSpiel string) to a NormalFormGame.

Specifications follow OpenSpiel's ``name(key=value,...)`` syntax. Resolution order: an existing
file (``.nfg`` Gambit, ``.json`` agentmixer), then the built-in catalog, then OpenSpiel's registry.
Unknown names raise :class:`GameNotFoundError` listing the closest known names.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path

from games.dec_pomdp import DecPOMDP
from games.errors import GameError, GameNotFoundError
from games.normal_form import NormalFormGame

__all__ = ["load_dpomdp", "load_game", "parse_spec", "unknown_name_error"]

_SPEC = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*(?:\((.*)\))?\s*$", re.DOTALL)


def _parse_value(text: str) -> object:
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text.strip()


def parse_spec(spec: str) -> tuple[str, dict[str, object]]:
    """Split ``"penalty(k=-50)"`` into ``("penalty", {"k": -50})``; typed error if malformed."""
    m = _SPEC.match(spec)
    if m is None:
        raise GameError(f"cannot parse game specification {spec!r}; expected name or name(k=v,...)")
    name, body = m.group(1), m.group(2)
    params: dict[str, object] = {}
    if body and body.strip():
        for item in body.split(","):
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise GameError(f"parameter {item.strip()!r} in {spec!r} is not of the form key=value")
            params[key.strip()] = _parse_value(value)
    return name, params


_GAME_HINT = ("`agentmixer games` lists the catalog; OpenSpiel game strings and .nfg/.json files "
              "are accepted too")


def unknown_name_error(name: str, candidates: Iterable[str], what: str = "game",
                       hint: str = _GAME_HINT) -> GameNotFoundError:
    """A GameNotFoundError for ``name`` that lists the close matches among ``candidates``."""
    pool = sorted(set(candidates))
    close = difflib.get_close_matches(name, pool, n=5, cutoff=0.5)
    maybe = f"; did you mean {', '.join(close)}?" if close else ""
    return GameNotFoundError(f"unknown {what} {name!r}{maybe} ({hint})")


def load_game(spec: str | Path) -> NormalFormGame:
    """Load a normal-form game from a catalog name, a ``.nfg``/``.json`` file or OpenSpiel."""
    from games.catalog import CATALOG, make_game

    path = Path(spec)
    if isinstance(spec, Path) or path.suffix.lower() in (".nfg", ".json"):
        if not path.is_file():
            raise GameNotFoundError(f"game file {str(path)!r} does not exist")
        if path.suffix.lower() == ".json":
            from games.json_format import read_json

            return read_json(path)
        from games.nfg import read_nfg

        return read_nfg(path)
    name, params = parse_spec(str(spec))
    if name in CATALOG:
        return make_game(name, **params)
    try:
        import pyspiel
    except ImportError:  # pragma: no cover - open_spiel is a core dependency
        raise unknown_name_error(name, CATALOG) from None
    known = {g.short_name for g in pyspiel.registered_games()}
    if name not in known:
        raise unknown_name_error(name, [*CATALOG, *known])
    from games.openspiel_io import from_openspiel

    return from_openspiel(str(spec))


def load_dpomdp(spec: str | Path) -> DecPOMDP:
    """A Dec-POMDP from a built-in name (``"dec_tiger"``, ``"bridge_crossing(congestion=5)"``) or
    a MADP ``.dpomdp`` / ``.dpomdp.gz`` file."""
    from games.dpomdp_catalog import make_dpomdp
    from games.dpomdp_format import read_dpomdp

    text = str(spec)
    if isinstance(spec, Path) or text.endswith((".dpomdp", ".dpomdp.gz")):
        if not Path(text).is_file():
            raise GameNotFoundError(f"model file {text!r} does not exist")
        return read_dpomdp(Path(text))
    name, params = parse_spec(text)
    return make_dpomdp(name, **params)
