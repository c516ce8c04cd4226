"""The CLI contract: text and --json output, exit codes, typed one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentmixer.cli import main
from games.normal_form.catalog import CATALOG, chicken
from games.normal_form.nfg import write_nfg


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_games_lists_the_whole_catalog(capsys):
    code, out, _ = run(capsys, "games", "--json")
    assert code == 0
    names = [g["name"] for g in json.loads(out)["games"]]
    assert names == list(CATALOG)
    code, out, _ = run(capsys, "games")
    assert "climbing" in out and "Claus & Boutilier" in out


def test_solve_climbing_ce_is_the_optimum(capsys):
    code, out, _ = run(capsys, "solve", "climbing", "--json")
    data = json.loads(out)
    assert code == 0
    # Cooperative game: the max-welfare CE is the global optimum 11 + 11 at (a1, b1).
    assert data["welfare"] == pytest.approx(22.0)
    assert data["support"] == [{"joint_action": ["a1", "b1"], "index": [0, 0], "probability": 1.0}]
    assert data["epsilon"] <= 1e-9


def test_solve_text_output_names_actions_values_and_welfare(capsys):
    code, out, _ = run(capsys, "solve", "chicken")
    assert code == 0
    assert "(chicken, chicken)" in out and "0.500000" in out and "welfare      10.5" in out


def test_solve_ne_climbing_lists_pure_equilibria(capsys):
    _, out, _ = run(capsys, "solve", "climbing", "--concept", "ne", "--json")
    eqs = json.loads(out)["equilibria"]
    welfare = sorted(e["welfare"] for e in eqs)
    # Two pure NE (11 and 7 each) and the mixed one found by support enumeration.
    assert welfare[-1] == pytest.approx(22) and welfare[-2] == pytest.approx(14)


def test_solve_ne_three_players_reports_pure_only(capsys):
    code, out, _ = run(capsys, "solve", "sum_to_10", "--concept", "ne", "--json")
    data = json.loads(out)
    assert code == 0 and "only pure NE" in data["notes"][0]
    # Every joint action summing to 10 is a pure NE worth 1 to each of the 3 agents (63 of them).
    assert sum(e["welfare"] == pytest.approx(3.0) for e in data["equilibria"]) == 63


@pytest.mark.parametrize("objective", ["welfare", "egalitarian", "entropy", "l1", "l2",
                                       "feasibility"])
def test_every_objective_gives_an_exact_ce(capsys, objective):
    code, out, _ = run(capsys, "solve", "chicken", "--objective", objective, "--json")
    assert code == 0 and json.loads(out)["epsilon"] <= 1e-7


def test_openspiel_string_and_nfg_file(capsys, tmp_path: Path):
    code, out, _ = run(capsys, "solve", "matrix_rps", "--json")
    dist = json.loads(out)["distribution"]
    # The CE of RPS is unique: uniform (every CE of a zero-sum game has the game's value).
    assert all(p == pytest.approx(1 / 9) for row in dist for p in row)
    path = tmp_path / "chicken.nfg"
    write_nfg(chicken(), path, form="outcome")
    code, out, _ = run(capsys, "solve", str(path), "--json")
    assert code == 0 and json.loads(out)["welfare"] == pytest.approx(10.5)


def test_gap_of_joint_and_product_distributions(capsys, tmp_path: Path):
    joint = tmp_path / "joint.json"
    joint.write_text(json.dumps({"joint": [[0, 1 / 3], [1 / 3, 1 / 3]]}))
    code, out, _ = run(capsys, "gap", "chicken", str(joint), "--json")
    data = json.loads(out)
    # Aumann's CE: no NE (not a product) but exact CE and CCE.
    assert data["ne"] is None and data["ce"]["epsilon"] == pytest.approx(0, abs=1e-12)
    prod = tmp_path / "prod.json"
    prod.write_text(json.dumps({"strategies": [[1, 0, 0], [0, 0, 1]]}))
    code, out, _ = run(capsys, "gap", "climbing", str(prod), "--json")
    assert code == 0
    data = json.loads(out)
    # (a1, b3) earns R[0][2] = 0. Against b3 player 0's column is (0, 6, 5): best a2, gain 6;
    # against a1 player 1's row is (11, -30, 0): best b1, gain 11.
    assert data["ne"]["regrets"] == pytest.approx([6.0, 11.0])
    assert data["ne"]["best_deviation"] == ["a2", "b1"]
    _, out, _ = run(capsys, "gap", "climbing", str(prod))
    assert "ε-NE = 11" in out


@pytest.mark.parametrize(("argv", "needle"), [
    (["solve", "climbin"], "did you mean climbing"),
    (["solve", "penalty(q=1)"], "no parameter 'q'"),
    (["solve", "missing.nfg"], "does not exist"),
    (["solve", "tic_tac_toe"], "tic_tac_toe"),
    (["gap", "chicken", "nope.json"], "does not exist"),
])
def test_errors_are_one_line_with_exit_code_2(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("agentmixer: error:") and needle in err
    assert "Traceback" not in err


def test_bad_distribution_file_names_the_entry(capsys, tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([[0.5, -0.25], [0.5, 0.25]]))
    code, _, err = run(capsys, "gap", "chicken", str(bad))
    assert code == 2 and "(0, 1)" in err and "negative" in err
    bad.write_text("[[0.5, 0.5]")
    code, _, err = run(capsys, "gap", "chicken", str(bad))
    assert code == 2 and "invalid JSON" in err
