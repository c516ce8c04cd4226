"""MADP .dpomdp files, second file: exact write/read round trips of random models and a fuzz of
mutated files (only ParseError or GameError may escape the reader)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from dpomdp_reference import assert_same_model as _same
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paths import SHARED_DPOMDP

from games.dec_pomdp.madp_format import read_dpomdp, write_dpomdp
from games.dec_pomdp.model import DecPOMDP
from games.errors import ParseError

SHARED = SHARED_DPOMDP
needs_corpus = pytest.mark.skipif(not SHARED.is_dir(), reason="shared/dpomdp corpus not present")

# --------------------------------------------------------------------------- round trips
def _names(draw: st.DrawFn, n: int, prefix: str) -> tuple[str, ...]:
    if draw(st.booleans()):
        return tuple(f"{prefix}{k}" for k in range(n))  # generated defaults -> written as a count
    name = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,6}", fullmatch=True).filter(
        lambda s: s not in ("agents", "discount", "actions", "observations", "T", "O", "R"))
    return tuple(draw(st.lists(name, min_size=n, max_size=n, unique=True)))


@st.composite
def _models(draw: st.DrawFn) -> DecPOMDP:
    n = draw(st.integers(2, 3))
    S = draw(st.integers(1, 4))
    acts = tuple(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)))
    obs = tuple(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    JA, JO = int(np.prod(acts)), int(np.prod(obs))

    def rows(shape: tuple[int, ...]) -> np.ndarray:
        p = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
        if draw(st.booleans()):  # sparse rows exercise the single-entry form
            p = np.where(rng.random(p.shape) < 0.6, 0.0, p)
            p[..., 0] += (p.sum(-1) == 0)
            p /= p.sum(-1, keepdims=True)
        return p

    T, Ob = rows((S, JA, S)), rows((JA, S, JO))
    if draw(st.booleans()):
        T[:, 0, :] = np.eye(S)
    if draw(st.booleans()):
        Ob[0] = 1.0 / JO
    R = np.round(rng.normal(size=(S, JA)) * 10, int(draw(st.integers(0, 17))))
    R[rng.random(R.shape) < 0.3] = 0.0
    if draw(st.booleans()):
        R[0] = R[0, 0]
    return DecPOMDP(T, Ob, R, rows((S,)), acts, obs,
                    discount=draw(st.sampled_from([1.0, 0.95, 0.9, 1 / 3, 1e-3])),
                    state_names=_names(draw, S, "s"),
                    action_names=tuple(_names(draw, m, "a") for m in acts),
                    observation_names=tuple(_names(draw, m, "o") for m in obs),
                    agent_names=_names(draw, n, "agent"),
                    reward_type=draw(st.sampled_from(["reward", "cost"])))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_models())
def test_random_models_round_trip_exactly(model: DecPOMDP) -> None:
    _same(model, read_dpomdp(write_dpomdp(model)))


# --------------------------------------------------------------------------- fuzz
_FRAGMENTS = ["\n", " ", ":", "*", "#", "\t", "0", "1", "7", "0.5", "-", "+", ".", "e", "T", "O", "R",
              "uniform", "identity", "listen", "tiger-left", "hear-left", "start", "include", "é",
              "\r", "1e999", "agents", "99"]


@needs_corpus
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_dectiger_raises_only_parse_error(data: st.DataObject) -> None:
    text = (SHARED / "dectiger.dpomdp").read_text()
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["delete", "insert", "replace", "token"]))
        k = data.draw(st.integers(0, len(text)))
        if op == "delete":
            text = text[:k] + text[k + data.draw(st.integers(1, 20)):]
        elif op == "insert":
            text = text[:k] + data.draw(st.sampled_from(_FRAGMENTS)) + text[k:]
        elif op == "replace":
            text = text[:k] + data.draw(st.sampled_from(_FRAGMENTS)) + text[k + 1:]
        else:  # replace one whole token by another fragment
            spans = [m.span() for m in re.finditer(r"[^\s:]+|:", text)]
            a, b = spans[data.draw(st.integers(0, len(spans) - 1))]
            text = text[:a] + data.draw(st.sampled_from(_FRAGMENTS)) + text[b:]
    try:
        model = read_dpomdp(text if "\n" in text else text + "\n")
    except ParseError as exc:
        assert str(exc)
    else:
        assert isinstance(model, DecPOMDP)
