"""One validation rule for the exact learners' configuration dataclasses.

Every ``*Config`` of :mod:`learners.exact` calls :func:`check_config` from its ``__post_init__``
with the names of its fields grouped by the condition they must meet; a violation raises
:class:`~games.errors.ConfigError` naming the class, the field and the offending value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from games.errors import ConfigError

__all__ = ["check_config"]


def check_config(config: Any, *, positive: Iterable[str] = (), nonnegative: Iterable[str] = (),
                 at_least_one: Iterable[str] = (), unit_interval: Iterable[str] = (),
                 choices: Mapping[str, Iterable[object]] | None = None,
                 optional: Iterable[str] = ()) -> None:
    """Validate the fields of ``config`` (a dataclass instance).

    ``positive``: finite and > 0; ``nonnegative``: finite and >= 0; ``at_least_one``: integers
    >= 1; ``unit_interval``: in [0, 1]; ``choices[name]``: one of the listed values. Fields named
    in ``optional`` may also be ``None`` (then nothing else is checked for them).
    """
    cls = type(config).__name__
    skip = {name for name in optional if getattr(config, name) is None}

    def value(name: str) -> Any:
        return getattr(config, name)

    def fail(name: str, rule: str) -> None:
        raise ConfigError(f"{cls}.{name} must be {rule}, got {value(name)!r}")

    def number(name: str) -> float:
        v = value(name)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            fail(name, "a finite number")
        return float(v)

    for name in (n for n in positive if n not in skip):
        if not number(name) > 0:
            fail(name, "> 0")
    for name in (n for n in nonnegative if n not in skip):
        if not number(name) >= 0:
            fail(name, ">= 0")
    for name in (n for n in at_least_one if n not in skip):
        if not (isinstance(value(name), int) and not isinstance(value(name), bool) and value(name) >= 1):
            fail(name, "an integer >= 1")
    for name in (n for n in unit_interval if n not in skip):
        if not 0.0 <= number(name) <= 1.0:
            fail(name, "in [0, 1]")
    for name, allowed in (choices or {}).items():
        allowed = tuple(allowed)
        if name not in skip and value(name) not in allowed:
            fail(name, "one of " + ", ".join(repr(a) for a in allowed))
