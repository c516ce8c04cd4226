"""The one name grammar of agentmixer: games, Dec-POMDPs and environments are named alike.

A name is ``name`` or ``name(key=value, ...)`` in OpenSpiel's style (``penalty(k=-50)``,
``dec_tiger(horizon=4)``, ``predator-prey(penalty=-0.5)``); names may contain letters, digits,
``_``, ``-`` and ``.``. A name that wraps a python object takes it as one leading positional
``package.module:attribute`` token (``pettingzoo(mpe2.simple_spread_v3:parallel_env, N=3)``,
:func:`parse_call`); :func:`parse_spec` accepts no positional token.
Values are read as ``true``/``false``, integers, floats, or else strings,
and then checked against the type of the factory's default (:class:`CatalogEntry`). Unknown names
raise :class:`~games.errors.GameNotFoundError` listing the closest known ones.
"""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from games.errors import GameError, GameNotFoundError

__all__ = ["MAX_TABLE_ENTRIES", "CatalogEntry", "check_table_size", "coerce_params", "parse_call",
           "parse_spec", "registrar", "unknown_name_error"]

MAX_TABLE_ENTRIES = 10**8
"""The most numbers a parametric catalog model may tabulate (about 0.8 GB of float64); a larger
request is refused before anything is allocated."""


def check_table_size(entries: int, what: str) -> None:
    """A :class:`~games.errors.GameError` when ``entries`` numbers exceed :data:`MAX_TABLE_ENTRIES`."""
    if entries > MAX_TABLE_ENTRIES:
        raise GameError(f"{what} would tabulate {entries:.3g} numbers, more than the "
                        f"{MAX_TABLE_ENTRIES:.0e} allowed")

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


_TARGET = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def parse_call(spec: str) -> tuple[str, str | None, dict[str, object]]:
    """Split ``"name(pkg.mod:attr, k=v, ...)"`` into ``(name, "pkg.mod:attr", {k: v})``; the
    ``module:attribute`` token is optional (None when absent) and only first. Typed error if malformed."""
    m = _SPEC.match(spec)
    if m is None:
        raise GameError(f"cannot parse game specification {spec!r}; expected name or name(k=v,...)")
    name, body = m.group(1), m.group(2)
    params: dict[str, object] = {}
    target: str | None = None
    if body and body.strip():
        for pos, item in enumerate(body.split(",")):
            key, sep, value = item.partition("=")
            if not sep and pos == 0 and _TARGET.match(item.strip()):
                target = item.strip()
                continue
            if not sep or not key.strip():
                raise GameError(f"parameter {item.strip()!r} in {spec!r} is not of the form key=value"
                                + ("" if pos else " (or a leading package.module:factory)"))
            params[key.strip()] = _parse_value(value)
    return name, target, params


def parse_spec(spec: str) -> tuple[str, dict[str, object]]:
    """Split ``"penalty(k=-50)"`` into ``("penalty", {"k": -50})``; typed error if malformed."""
    name, target, params = parse_call(spec)
    if target is not None:
        raise GameError(f"{name!r} takes no positional {target!r}; parameters are key=value")
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


F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class CatalogEntry:
    """A named model factory and a one-line description (its first docstring line)."""

    name: str
    factory: Callable[..., Any]

    @property
    def description(self) -> str:
        return (inspect.getdoc(self.factory) or "").splitlines()[0]

    @property
    def parameters(self) -> dict[str, object]:
        sig = inspect.signature(self.factory)
        return {p.name: p.default for p in sig.parameters.values()}

    def build(self, what: str = "game", **params: object) -> Any:
        """Call the factory; a typed error names any parameter it does not take."""
        return self.factory(**coerce_params(params, self.parameters, f"{what} {self.name!r}"))


def coerce_params(params: Mapping[str, object], defaults: Mapping[str, object],
                  where: str) -> dict[str, object]:
    """Check ``params`` against the names and default types of ``defaults`` (bool, int, float).

    An int is accepted where a float is expected; nothing else is converted. Raises
    :class:`~games.errors.GameError` naming ``where`` and the offending parameter.
    """
    out: dict[str, object] = {}
    for key, value in params.items():
        if key not in defaults:
            raise GameError(f"{where} has no parameter {key!r}; parameters: {list(defaults)}")
        out[key] = _coerce(value, defaults[key], f"{where} parameter {key!r}")
    return out


def _coerce(value: object, default: object, where: str) -> object:
    """Check a parameter value against the type of its default (bool, int, float)."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise GameError(f"{where} must be true or false, got {value!r}")
    if isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise GameError(f"{where} must be an integer, got {value!r}")
    if isinstance(default, float):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise GameError(f"{where} must be a number, got {value!r}")
    return value


def registrar(registry: dict[str, CatalogEntry]) -> Callable[[str], Callable[[F], F]]:
    """A decorator factory that registers model factories under a name in ``registry``."""

    def register(name: str) -> Callable[[F], F]:
        def deco(fn: F) -> F:
            registry[name] = CatalogEntry(name, fn)
            return fn

        return deco

    return register


