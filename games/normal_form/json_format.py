"""agentmixer's JSON format for normal-form games.

``{"format": "agentmixer.nfg/1", "name": str, "players": [str, ...], "actions": [[str, ...], ...],
"payoffs": nested list of shape (N, |A_1|, ..., |A_N|)}``. For a cooperative game ``"reward"`` of
shape (|A_1|, ..., |A_N|) may replace ``"payoffs"``. Only ``payoffs`` (or ``reward``) is required.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from games.errors import GameError, ParseError
from games.normal_form.game import NormalFormGame

__all__ = ["FORMAT_TAG", "game_from_dict", "game_to_dict", "read_json", "write_json"]

FORMAT_TAG = "agentmixer.nfg/1"


def game_to_dict(game: NormalFormGame) -> dict[str, Any]:
    """The JSON-ready dictionary of ``game`` (payoffs as nested lists of floats)."""
    return {
        "format": FORMAT_TAG,
        "name": game.name,
        "players": list(game.player_names),
        "actions": [list(a) for a in game.action_names],
        "payoffs": game.payoffs.tolist(),
    }


def game_from_dict(data: dict[str, Any], source: str = "<dict>") -> NormalFormGame:
    """Inverse of :func:`game_to_dict`; typed errors name the offending key."""
    if not isinstance(data, dict):
        raise ParseError(f"top level must be a JSON object, got {type(data).__name__}", source=source)
    known = {"format", "name", "players", "actions", "payoffs", "reward"}
    extra = sorted(set(data) - known)
    if extra:
        raise ParseError(f"unknown keys {extra}; known keys are {sorted(known)}", source=source)
    if ("payoffs" in data) == ("reward" in data):
        raise ParseError("exactly one of 'payoffs' and 'reward' is required", source=source)
    fmt = data.get("format", FORMAT_TAG)
    if fmt != FORMAT_TAG:
        raise ParseError(f"format {fmt!r} is not {FORMAT_TAG!r}", source=source)
    kwargs: dict[str, Any] = {"name": data.get("name", "game")}
    if "players" in data:
        kwargs["player_names"] = tuple(_strings(data["players"], "players", source))
    if "actions" in data:
        acts = data["actions"]
        if not isinstance(acts, list):
            raise ParseError(f"'actions' must be a list of lists of names, got {acts!r}", source=source)
        kwargs["action_names"] = tuple(tuple(_strings(a, f"actions[{i}]", source))
                                       for i, a in enumerate(acts))
    try:
        if "reward" in data:
            return NormalFormGame.cooperative(np.array(data["reward"], dtype=float), **kwargs)
        return NormalFormGame(np.array(data["payoffs"], dtype=float), **kwargs)
    except (ValueError, TypeError) as exc:
        if isinstance(exc, GameError):
            raise GameError(f"{source}: {exc}") from None
        raise ParseError(f"payoffs are not a rectangular numeric array: {exc}", source=source) from None


def _strings(value: Any, key: str, source: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ParseError(f"'{key}' must be a list of names (strings), got {value!r}", source=source)
    return value


def read_json(path: str | Path) -> NormalFormGame:
    """Read a game written by :func:`write_json` (or by hand in the same schema)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise ParseError(exc.msg, exc.lineno, exc.colno, source=str(p)) from None
    return game_from_dict(data, source=str(p))


def write_json(game: NormalFormGame, path: str | Path | None = None) -> str:
    """Serialise ``game``; floats use Python's shortest exact repr, so reading back is exact."""
    text = json.dumps(game_to_dict(game), indent=1)
    if path is not None:
        Path(path).write_text(text + "\n")
    return text
