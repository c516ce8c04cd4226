"""The CLI contract: text and --json output, exit codes, typed one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
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
    # 3 players with 10 actions: ~1e9 support profiles, so "auto" lists the pure equilibria only.
    assert code == 0 and "only pure equilibria" in data["notes"][0]
    assert data["method"] == "pure" and data["complete"] is False
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


# ----------------------------------------------------------------------------- Nash equilibria
# Gambit's contrib/games/perfect1.nfg (gambitproject/gambit), a degenerate 3x3 game whose
# equilibrium set has 9 extreme points.
PERFECT1 = """NFG 1 R "Game with no dominated strategies, and dominated equilibrium" { "Player 1" "Player 2" }
{ { "1" "2" "3" } { "1" "2" "3" } }
""
{ { "11" 3, 1 } { "12" 0, 0 } { "13" 0, 1 } { "21" 3/2, 1 } { "22" 2, 2 } { "23" 3/2, 1 }
  { "31" 0, 1 } { "32" 0, 0 } { "33" 3, 1 } }
1 4 7 2 5 8 3 6 9
"""


def test_solve_ne_says_method_completeness_and_certifies(capsys):
    code, out, _ = run(capsys, "solve", "chicken", "--concept", "ne", "--json")
    data = json.loads(out)
    assert code == 0 and data["method"] == "enumeration"
    assert data["complete"] is True and data["degenerate"] is False
    assert [round(e["welfare"], 9) for e in data["equilibria"]] == [round(28 / 3, 9), 9.0, 9.0]
    assert all(e["epsilon"] <= 1e-12 for e in data["equilibria"])
    code, out, _ = run(capsys, "solve", "chicken", "--concept", "ne", "--method", "lemke_howson",
                       "--json")
    data = json.loads(out)
    assert code == 0 and len(data["equilibria"]) == 1 and data["complete"] is False


def test_solve_ne_degenerate_game_lists_extreme_equilibria_and_subsets(capsys, tmp_path: Path):
    path = tmp_path / "perfect1.nfg"
    path.write_text(PERFECT1)
    code, out, _ = run(capsys, "solve", str(path), "--concept", "ne", "--json")
    data = json.loads(out)
    assert code == 0 and data["degenerate"] is True and data["complete"] is True
    assert len(data["equilibria"]) == 9
    covered = sorted({k for s in data["maximal_subsets"] for k in s})
    assert covered == list(range(9))
    _, text, _ = run(capsys, "solve", str(path), "--concept", "ne")
    assert "maximal Nash subsets" in text and "degenerate" in text


def test_solve_ne_three_players_mixed(capsys):
    code, out, _ = run(capsys, "solve", "matching_pennies_3p", "--concept", "ne", "--json")
    data = json.loads(out)
    # Jordan's three-player matching pennies: the unique equilibrium is uniform.
    assert code == 0 and data["method"] == "polynomial" and data["complete"] is True
    assert len(data["equilibria"]) == 1
    np.testing.assert_allclose(data["equilibria"][0]["strategies"], [[0.5, 0.5]] * 3, atol=1e-12)


def test_two_player_method_on_three_players_is_a_typed_error(capsys):
    code, out, err = run(capsys, "solve", "matching_pennies_3p", "--concept", "ne", "--method",
                         "enumeration")
    assert code == 2 and out == "" and "needs a 2-player game" in err


# ----------------------------------------------------------------------------- inputs
def test_target_accepts_inline_json_and_files(capsys, tmp_path: Path):
    inline = "[[0.25, 0.25], [0.25, 0.25]]"
    code, out, _ = run(capsys, "solve", "chicken", "--objective", "l2", "--target", inline, "--json")
    first = json.loads(out)
    assert code == 0
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"joint": json.loads(inline)}))
    _, out, _ = run(capsys, "solve", "chicken", "--objective", "l2", "--target", str(path), "--json")
    np.testing.assert_allclose(json.loads(out)["distribution"], first["distribution"], atol=1e-12)
    code, _, err = run(capsys, "solve", "chicken", "--objective", "l2", "--target", "[[0.5, 0.5]")
    assert code == 2 and "invalid JSON" in err


@pytest.mark.parametrize(("text", "needle"), [
    ('{"strategies": null}', "got null"),
    ('{"strategies": 5}', "got 5 (a number)"),
    ('["0.5", "0", "0", "0.5"]', "entry [0] is '0.5' (a string)"),
    ('{"joint": [[true, 0], [0, 0]]}', "entry [0][0] is true (a boolean)"),
    ('{"strategies": [[0.5, "0.5"], [1, 0]]}', "strategy of player 0"),
    ('{"joint": [[1, 0], [0, 0]], "strategies": [[1, 0], [1, 0]]}', "exactly one key"),
    ('{"joint": [[0.5, 0.5], [0]]}', "rectangular"),
])
def test_bad_distributions_are_typed_errors_naming_the_entry(capsys, tmp_path: Path, text, needle):
    path = tmp_path / "d.json"
    path.write_text(text)
    for arg in (str(path), text):
        code, out, err = run(capsys, "gap", "chicken", arg)
        assert code == 2 and out == "" and needle in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(("argv", "needle"), [
    (["solve", "nfg_game"], "filename"),
    (["solve", "penalty(k=5)"], "k <= 0"),
    (["solve", "chicken", "--objective", "l1", "--target", "missing.json"], "does not exist"),
])
def test_more_bad_inputs_are_one_line_errors(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and needle in err and len(err.strip().splitlines()) == 1


# ----------------------------------------------------------------------------- strict JSON on stdout
def _strict_json(text: str) -> object:
    def reject(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=reject)


@pytest.mark.parametrize("argv", [
    ["games"],
    ["solve", "chicken"],                                   # HiGHS (a fresh process: first Highs())
    ["solve", "chicken", "--concept", "cce", "--objective", "egalitarian"],
    ["solve", "chicken", "--concept", "ne"],
    ["gap", "chicken", '{"strategies": [[0.5, 0.5], [0.5, 0.5]]}'],
])
def test_json_output_of_a_fresh_process_is_strict_json(argv):
    # A new interpreter, as `agentmixer ... --json | python -m json.tool` would run: highspy 1.16
    # prints a banner on file descriptor 1 when the first Highs() is built unless silenced.
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    proc = subprocess.run([sys.executable, "-m", "agentmixer.cli", *argv, "--json"], cwd=repo,
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert isinstance(_strict_json(proc.stdout), dict)
