"""The list arguments of ``agentmixer sweep``: environment names with parameters keep their commas,
bad lists are one-line errors with exit status 2."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentmixer.cli_experiments import _names
from games.errors import ConfigError

_plain = st.text("abcxyz_-0123456789.", min_size=1, max_size=8)
_param = st.builds(lambda k, v: f"{k}={v}", _plain, _plain)
_env = st.one_of(_plain, st.builds(lambda b, ps: f"{b}({', '.join(ps)})", _plain,
                                   st.lists(_param, min_size=1, max_size=3)))


@given(st.lists(_env, min_size=1, max_size=4))
def test_split_on_top_level_commas_only(names: list[str]) -> None:
    assert _names(",".join(names), "--envs") == names


def test_the_papers_environments() -> None:
    text = "mamujoco(scenario=Ant, conf=2x4, agent_obsk=0), smax(map=3m),climbing"
    assert _names(text, "--envs") == ["mamujoco(scenario=Ant, conf=2x4, agent_obsk=0)", "smax(map=3m)",
                                      "climbing"]


@pytest.mark.parametrize(("text", "match"), [("a,,b", "without empty entries"), ("", "without empty"),
                                             ("smax(map=3m", r"unbalanced '\('"),
                                             ("a),b(", r"unbalanced '\)' at character 2")])
def test_bad_lists(text: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        _names(text, "--envs")


def test_cli_exit_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    from agentmixer.cli import main

    assert main(["sweep", "--algos", "mappo", "--envs", "smax(map=3m", "--seeds", "0", "--out", "x"]) == 2
    err = capsys.readouterr().err
    assert "unbalanced" in err and "Traceback" not in err
