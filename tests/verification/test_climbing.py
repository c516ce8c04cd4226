"""Tests of verification/climbing.py: the climbing-game claim and its vertex enumeration."""

from __future__ import annotations

import numpy as np
import pytest

from ce import cce_gap, ce_gap, solve_correlated
from games.normal_form.catalog import climbing
from games.normal_form.game import NormalFormGame
from verification import climbing as claim
from verification.result import Check, ClaimResult


@pytest.fixture(scope="module")
def result() -> ClaimResult:
    return claim.run()


def _checks(result: ClaimResult) -> dict[str, Check]:
    return {c.name: c for c in result.checks}


def test_climbing_is_sound_with_its_numbers(result: ClaimResult) -> None:
    assert result.sound, "\n".join(result.table_lines())
    checks = _checks(result)
    assert checks["nash/pure"].measured["pure_ne"] == "a1,b1; a2,b2"
    assert checks["nash/all"].measured["count"] == 3
    ce, cce = checks["ce/vertices"].measured, checks["cce/vertices"].measured
    assert (ce["vertices"], cce["vertices"]) == (45, 101)
    assert ce["max_welfare"] == pytest.approx(22.0, abs=1e-9)
    assert cce["max_welfare"] == pytest.approx(22.0, abs=1e-9)
    assert ce["min_welfare"] == pytest.approx(ce["lp_min"], abs=1e-6)
    basins = checks["dynamics/basins"].measured
    for learner in claim.LEARNERS:
        total = sum(float(basins[f"{learner}_{k}"]) for k in ("11", "7", "6", "5", "other"))
        assert total == pytest.approx(1.0, abs=1e-12)
    # measured with lr 0.5 and 3000 exact steps from the 10 x 10 grid (pinned)
    assert (basins["independent_11"], basins["independent_7"], basins["independent_6"]) == (0.15, 0.42, 0.43)
    assert (basins["magpo_11"], basins["magpo_7"]) == (0.16, 0.84)
    # the paper's construction, Adam lr 0.1, 3000 exact steps, value of the executed mode (pinned)
    assert (basins["agentmixer_paper_11"], basins["agentmixer_paper_7"], basins["agentmixer_paper_6"]) == (
        0.22, 0.64, 0.1)
    # the default (coupled IGC joint with hand-offs): every start reaches (a1, b1)
    assert basins["agentmixer_11"] == 1.0
    assert basins["starts"] == 100


def test_climbing_verdicts(result: ClaimResult) -> None:
    verdicts = {v.name: v for v in result.verdicts}
    assert verdicts["coordination/agentmixer"].verdict == "reproduced"
    assert verdicts["coordination/agentmixer"].numbers["agentmixer_11"] == 1.0
    assert verdicts["coordination/agentmixer_paper"].verdict == "not reproduced"
    assert verdicts["coordination/agentmixer_paper"].numbers["agentmixer_paper_11"] == 0.22
    assert verdicts["miscoordination/independent"].verdict == "reproduced"


def _measured(result: ClaimResult) -> dict[str, dict]:
    checks = _checks(result)
    out = {name: dict(c.measured) for name, c in checks.items()}
    out["basins"] = out.pop("dynamics/basins")
    return out


DOCTORED_CHECKS = {
    "nash/pure": ("nash/pure", {"pure_ne": "a1,b1; a2,b2; a2,b3"}),
    "nash/all": ("nash/all", {"count": 4}),
    "ce/welfare_optimum": ("ce/welfare_optimum", {"mass_on_a1_b1": 0.9}),
    "cce/vertices": ("cce/vertices", {"lp_min": 2.0}),
    "dynamics/basins": ("basins", {"agentmixer_11": 0.5}),
}


@pytest.mark.parametrize("check", sorted(DOCTORED_CHECKS))
def test_every_check_fails_on_doctored_numbers(result: ClaimResult, check: str) -> None:
    key, change = DOCTORED_CHECKS[check]
    measured = _measured(result)
    assert _checks(ClaimResult("climbing", claim.judge(measured)[0]))[check].passed
    measured[key] = {**measured[key], **change}
    assert not _checks(ClaimResult("climbing", claim.judge(measured)[0]))[check].passed


def test_every_verdict_turns_on_doctored_numbers(result: ClaimResult) -> None:
    basins = _measured(result)["basins"]
    assert claim.CLAIMS["coordination/agentmixer"].decide(
        {**basins, "agentmixer_11": 0.89}) == "not reproduced"
    assert claim.CLAIMS["coordination/agentmixer_paper"].decide(
        {**basins, "agentmixer_paper_11": 0.95}) == "reproduced"
    assert claim.CLAIMS["miscoordination/independent"].decide({**basins, "independent_11": 0.6}) == "refuted"


@pytest.mark.parametrize("concept", ["ce", "cce"])
def test_vertices_are_equilibria_and_span_every_linear_optimum(concept: str) -> None:
    game = climbing()
    verts = claim.polytope_vertices(game, concept)
    gap = ce_gap if concept == "ce" else cce_gap
    for v in verts:
        assert gap(game, v.reshape(3, 3), atol=1e-6).epsilon <= 1e-9
    rng = np.random.default_rng(0)
    for _ in range(10):  # an LP over a polytope attains its optimum at a vertex
        w = rng.normal(size=(3, 3))
        lp = solve_correlated(game, concept, "linear", weights=w)
        assert float((verts @ w.ravel()).max()) == pytest.approx(lp.objective_value, abs=1e-6)


def test_vertices_of_a_tiny_polytope() -> None:
    # matching pennies: the CE polytope is the single point uniform/4
    game = NormalFormGame(np.array([[[1.0, -1.0], [-1.0, 1.0]], [[-1.0, 1.0], [1.0, -1.0]]]))
    verts = claim.polytope_vertices(game, "ce")
    np.testing.assert_allclose(verts, np.full((1, 4), 0.25), atol=1e-12)


def test_simplex_grid_has_full_support() -> None:
    grid = claim.simplex_grid(6)
    assert grid.shape == (10, 3)
    assert np.all(grid > 0)
    np.testing.assert_allclose(grid.sum(axis=1), 1.0)


def test_plot_is_optional(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    claim.run(out_dir=tmp_path)
    assert (tmp_path / "climbing_basins.png").exists()
    assert (tmp_path / "climbing_curves.png").exists()
