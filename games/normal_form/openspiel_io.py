"""Interop with OpenSpiel (Lanctot et al. 2019, "OpenSpiel: A Framework for Reinforcement Learning
in Games", arXiv:1908.09453): convert OpenSpiel normal-form games to :class:`NormalFormGame` and
back.

A pyspiel game is *normal-form* here when its root state is a simultaneous-move node (not a chance
node, not a single player's turn) and every joint legal action leads straight to a terminal state.
``pyspiel.MatrixGame`` / ``pyspiel.TensorGame`` objects are read through their utility accessors
(``row_utilities``/``col_utilities``, ``player_utilities``); any other game (e.g. ``blotto``) is
enumerated from its initial state over the joint *legal* actions, in C order (last player fastest),
with ``state.returns()`` as the payoffs. ``pyspiel.extensive_to_tensor_game`` is not used: it gives
the same payoffs but is orders of magnitude slower (1.6 s vs 14 ms on default blotto, 44 s vs 0.07 s
on 3-player blotto) and names actions by observation strings.

OpenSpiel has no player names, so players come back as ``player0, player1, ...``; action names and
the game name survive a round trip (:func:`to_openspiel` then :func:`from_openspiel`).
"""

from __future__ import annotations

import difflib
import itertools
import math
import time
from collections import Counter
from collections.abc import Iterator, Sequence

import numpy as np
import pyspiel

from games.errors import GameError, GameNotFoundError
from games.normal_form.game import NormalFormGame

__all__ = [
    "MAX_JOINT_ACTIONS",
    "from_openspiel",
    "is_normal_form",
    "normal_form_game_names",
    "to_openspiel",
]

#: Largest joint action space :func:`from_openspiel` enumerates (and
#: :func:`normal_form_game_names` lists) by default.
MAX_JOINT_ACTIONS = 10**6
_SLOW_LOAD_S = 2.0  # normal_form_game_names skips games whose default load takes longer


def _label(game: pyspiel.Game) -> str:
    """The game string of ``game``, without the empty ``()`` of a parameterless game."""
    text = str(game)
    return text[:-2] if text.endswith("()") else text


def _load(game_or_string: pyspiel.Game | str) -> tuple[pyspiel.Game, str]:
    if isinstance(game_or_string, pyspiel.Game):
        return game_or_string, _label(game_or_string)
    if not isinstance(game_or_string, str):
        raise GameError(f"expected a pyspiel.Game or a game string, got {type(game_or_string)}")
    text = game_or_string.strip()
    short = text.split("(", 1)[0].strip()
    known = list(pyspiel.registered_names())
    if short not in known:  # checked first: pyspiel would print its whole registry to stderr
        close = difflib.get_close_matches(short, known, n=5, cutoff=0.5)
        hint = (f"; did you mean {', '.join(close)}?" if close
                else "; see pyspiel.registered_names()")
        raise GameNotFoundError(f"unknown OpenSpiel game {short!r}{hint}")
    try:
        return pyspiel.load_game(text), text
    except pyspiel.SpielError as exc:
        raise GameError(f"OpenSpiel could not load {text!r}: {exc}") from None
    except (IndexError, KeyError, RuntimeError, ValueError) as exc:  # C++ exceptions, e.g. map::at
        needs = _required_parameters(short)
        hint = (f"; it needs the parameter(s) {', '.join(needs)}, e.g. {short}({needs[0]}=...)"
                if needs else "")
        raise GameError(f"OpenSpiel could not load {text!r} ({type(exc).__name__}: {exc}){hint}"
                        ) from None


def _required_parameters(short: str) -> list[str]:
    """Parameters of a registered game whose default is empty (a file name, a game string)."""
    for gtype in pyspiel.registered_games():
        if gtype.short_name == short:
            return [k for k, v in gtype.parameter_specification.items() if v in ("", None)]
    return []


def _root(game: pyspiel.Game, label: str) -> pyspiel.State:
    """The initial state, or a GameError saying why ``game`` is not normal-form."""
    state = game.new_initial_state()
    why = None
    if state.is_chance_node():
        why = "it starts with a chance node"
    elif state.is_terminal():
        why = "its initial state is already terminal"
    elif not state.is_simultaneous_node():
        player = state.current_player()
        why = (f"it is sequential (player {player} moves alone at the root)" if player >= 0
               else f"its root is not a simultaneous-move node (current player {player})")
    if why:
        raise GameError(f"OpenSpiel game {label!r} is not normal-form: {why}")
    return state


def _unique(raw: Sequence[str], ids: Sequence[int]) -> tuple[str, ...]:
    """Make action names unique: a repeated (or empty) name gets its action id, ``name#id``."""
    counts = Counter(raw)
    names = [s if s and counts[s] == 1 else f"{s or 'a'}#{a}"
             for s, a in zip(raw, ids, strict=True)]
    out: dict[str, None] = {}
    for s in names:  # guards the rare clash of a suffixed name with an original one
        t, k = s, 1
        while t in out:
            t, k = f"{s}~{k}", k + 1
        out[t] = None
    return tuple(out)


def _returns(state: pyspiel.State, legal: list[list[int]], label: str) -> Iterator[list[float]]:
    """``returns()`` after each joint legal action (C order); GameError on a non-terminal child."""
    for joint in itertools.product(*legal):
        child = state.clone()
        child.apply_actions(list(joint))
        if not child.is_terminal():
            what = "a chance node" if child.is_chance_node() else "further moves"
            raise GameError(f"OpenSpiel game {label!r} is not normal-form: joint action "
                            f"{list(joint)} leads to {what}, not to a terminal state")
        yield child.returns()


def from_openspiel(game_or_string: pyspiel.Game | str, *, name: str | None = None,
                   max_joint_actions: int = MAX_JOINT_ACTIONS) -> NormalFormGame:
    """Convert an OpenSpiel normal-form game (object or game string) to a :class:`NormalFormGame`.

    Raises:
        GameNotFoundError: the game string names no registered OpenSpiel game.
        GameError: the game cannot be loaded, is not normal-form (sequential, chance, more than
            one move), or has more than ``max_joint_actions`` joint actions.
    """
    game, label = _load(game_or_string)
    state = _root(game, label)
    n = game.num_players()
    legal = [list(state.legal_actions(p)) for p in range(n)]
    shape = tuple(len(acts) for acts in legal)
    if 0 in shape:
        raise GameError(f"OpenSpiel game {label!r}: player {shape.index(0)} has no legal action")
    size = math.prod(shape)
    if size > max_joint_actions:
        raise GameError(f"OpenSpiel game {label!r} has {size} joint actions "
                        f"(> max_joint_actions={max_joint_actions})")
    names = tuple(_unique([state.action_to_string(p, a) for a in acts], acts)
                  for p, acts in enumerate(legal))
    full = all(acts == list(range(m)) for acts, m in zip(legal, shape, strict=True))
    if isinstance(game, pyspiel.MatrixGame) and full:
        pay = np.stack([game.row_utilities(), game.col_utilities()])
    elif isinstance(game, pyspiel.TensorGame) and full:
        pay = np.stack([np.asarray(game.player_utilities(p), dtype=float) for p in range(n)])
    else:
        flat = np.fromiter(itertools.chain.from_iterable(_returns(state, legal, label)),
                           dtype=float, count=size * n)
        pay = flat.reshape(size, n).T.reshape((n, *shape))
    return NormalFormGame(pay.reshape((n, *shape)), names, name=name or label)


def to_openspiel(game: NormalFormGame) -> pyspiel.Game:
    """``game`` as a ``pyspiel.MatrixGame`` (2 players) or ``pyspiel.TensorGame`` (otherwise).

    The short and long names are ``game.name``; action names are kept, player names are not.
    ``create_tensor_game`` takes one flat utility list per player in C order (last player fastest),
    which is exactly ``payoffs[i].ravel()``.
    """
    names = [list(acts) for acts in game.action_names]
    pay = game.payoffs
    if game.num_players == 2:
        return pyspiel.create_matrix_game(game.name, game.name, names[0], names[1],
                                          pay[0].tolist(), pay[1].tolist())
    return pyspiel.create_tensor_game(game.name, game.name, names,
                                      pay.reshape(game.num_players, -1).tolist())


def is_normal_form(game: pyspiel.Game | str) -> bool:
    """True when ``game``'s root is a simultaneous node whose every joint action ends the game.

    A game declaring ``max_game_length() == 1`` and no chance nodes is accepted without
    enumerating its joint actions; any other game is enumerated until a non-terminal child.
    """
    game, label = _load(game)
    try:
        state = _root(game, label)
        if game.max_game_length() == 1 and game.max_chance_nodes_in_history() == 0:
            return True
        legal = [list(state.legal_actions(p)) for p in range(game.num_players())]
        for _ in _returns(state, legal, label):
            pass
    except GameError:
        return False
    return True


def normal_form_game_names(max_joint_actions: int = MAX_JOINT_ACTIONS) -> list[str]:
    """Sorted short names of the registered OpenSpiel games that are normal-form by default.

    Rule: a registered game is listed when it is ``default_loadable``, has simultaneous dynamics
    and a deterministic chance mode (cheap filters on ``pyspiel.registered_games()``), loads without
    error within ~2 s, has at most ``max_joint_actions`` joint legal actions at the root, and passes
    :func:`is_normal_form`. With open_spiel 2.0.2 this gives ``blotto``, ``matching_pennies_3p``
    and the ten ``matrix_*`` games.
    """
    simultaneous = pyspiel.GameType.Dynamics.SIMULTANEOUS
    deterministic = pyspiel.GameType.ChanceMode.DETERMINISTIC
    out = []
    for gtype in pyspiel.registered_games():
        if not (gtype.default_loadable and gtype.dynamics == simultaneous
                and gtype.chance_mode == deterministic):
            continue
        start = time.perf_counter()
        try:
            game = pyspiel.load_game(gtype.short_name)
            state = game.new_initial_state()
        except pyspiel.SpielError:
            continue
        if time.perf_counter() - start > _SLOW_LOAD_S or not state.is_simultaneous_node():
            continue
        size = math.prod(len(state.legal_actions(p)) for p in range(game.num_players()))
        if size <= max_joint_actions and is_normal_form(game):
            out.append(gtype.short_name)
    return sorted(out)
