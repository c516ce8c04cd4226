"""Fuzzing the command line with malformed inputs of every kind it reads: Gambit .nfg files, MADP
.dpomdp files, distribution JSON, policy JSON, YAML training configs, ``--set`` values, model names
and numeric flags. Every case must be refused with one line naming the entry (exit 2) or accepted
with a valid result (exit 0); no other exception may escape (see ``fuzz.py``). Each campaign is
seeded, so a failure names a reproducible input; both outcomes must occur, so a campaign whose
mutations never reach the parser (or never produce valid input) fails too."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from fuzz import JUNK, campaign, mutate_json, mutate_text

from games import load_game
from games.dec_pomdp.catalog import dec_tiger
from games.dec_pomdp.madp_format import write_dpomdp
from games.dec_pomdp.policies import StochasticPolicy
from games.dec_pomdp.policy_json import policy_to_dict
from games.normal_form.nfg import write_nfg

COUNTS: dict[str, dict[str, int]] = {}


def _check(kind: str, counts: dict[str, int]) -> None:
    COUNTS[kind] = counts
    print(f"fuzz {kind}: {counts}")
    assert counts["refused"] > 0 and counts["accepted"] > 0, counts


def test_nfg_files(tmp_path: Path) -> None:
    seeds = [write_nfg(load_game(g)) for g in ("chicken", "climbing", "random(players=3,actions=2,seed=4)")]

    def case(rng: random.Random, k: int) -> tuple[list[str], str]:
        text = mutate_text(rng.choice(seeds), rng)
        path = tmp_path / f"g{k}.nfg"
        path.write_text(text)
        return ["solve", str(path), "--concept", rng.choice(["ce", "cce"]), "--json"], f"nfg {text!r}"

    _check("nfg", campaign(400, 1, case))


def test_dpomdp_files(tmp_path: Path) -> None:
    seeds = [write_dpomdp(dec_tiger(2))]

    def case(rng: random.Random, k: int) -> tuple[list[str], str]:
        text = seeds[0]
        for _ in range(rng.randrange(1, 3)):
            text = mutate_text(text, rng)
        path = tmp_path / f"m{k}.dpomdp"
        path.write_text(text)
        return ["dpomdp", "info", str(path), "--json"], f"dpomdp {text[:300]!r}"

    _check("dpomdp", campaign(400, 2, case))


def test_distribution_files(tmp_path: Path) -> None:
    seeds: list[Any] = [[[0.0, 0.5], [0.5, 0.0]], [0.25, 0.25, 0.25, 0.25], {"joint": [[0, 1], [0, 0]]},
                        {"strategies": [[0.5, 0.5], [1.0, 0.0]]}]

    def case(rng: random.Random, k: int) -> tuple[list[str], str]:
        doc = rng.choice(seeds)
        doc = mutate_json(doc, rng) if rng.random() < 0.8 else doc
        path = tmp_path / f"d{k}.json"
        path.write_text(json.dumps(doc) if rng.random() < 0.9 else mutate_text(json.dumps(doc), rng))
        return ["gap", "chicken", str(path), "--json"], f"distribution {path.read_text()!r}"

    _check("distribution", campaign(600, 3, case))


def test_policy_files(tmp_path: Path) -> None:
    model = dec_tiger(2)
    seeds = [policy_to_dict(StochasticPolicy.uniform(model.num_actions, model.num_observations, 2)),
             {"kind": "deterministic", "actions": [[["listen"], ["listen", "open-left"]]] * 2},
             {"kind": "correlated", "weights": [0.5, 0.5],
              "policies": [{"kind": "deterministic", "actions": [[[0], [0, 0]]] * 2}] * 2}]

    def case(rng: random.Random, k: int) -> tuple[list[str], str]:
        doc = rng.choice(seeds)
        doc = mutate_json(doc, rng) if rng.random() < 0.7 else doc
        path = tmp_path / f"p{k}.json"
        path.write_text(json.dumps(doc))
        horizon = rng.choice(["2", "2", "3", "0", "-1", "x"])
        return (["dpomdp", "evaluate", "dec_tiger(horizon=2)", str(path), "--horizon", horizon, "--json"],
                f"policy {json.dumps(doc)[:300]} --horizon {horizon}")

    _check("policy", campaign(400, 4, case))


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """The configs are what is fuzzed: training itself is replaced by a stub that checks it got a
    validated config and returns an empty result."""
    pytest.importorskip("torch")
    import learners.neural.trainer as trainer

    def fake_train(cfg: Any, resume: bool = False) -> Any:
        assert isinstance(cfg, trainer.TrainConfig) and cfg.algo_config is not None
        return trainer.TrainResult(cfg.run_dir, 0, 0, [])

    monkeypatch.setattr(trainer, "train", fake_train)


def test_yaml_configs_and_set_values(tmp_path: Path, no_training: None) -> None:
    base = ("algo: mappo\nenv: climbing\nseed: 3\ntotal_steps: 1024\nnum_envs: 8\nalgo_config:\n  lr: 0.001\n"
            "  actor:\n    hidden_sizes: [16, 16]\n  clip: 0.2\n")
    keys = ["lr", "clip", "epochs", "seed", "num_envs", "algo", "env", "actor.hidden_sizes", "gamma",
            "ratio", "bogus", "eval_every", "horizon", "modifier.num_seeds", "critic.hidden_sizes"]

    def case(rng: random.Random, k: int) -> tuple[list[str], str]:
        argv = ["train", "--out", str(tmp_path / f"r{k}"), "--json"]
        if k % 2:
            path = tmp_path / f"c{k}.yaml"
            path.write_text(mutate_text(base, rng))
            argv += ["--config", str(path)]
            return argv, f"config {path.read_text()!r}"
        value = rng.choice([*JUNK, "[32, x]", "[16]", "0.5", "3", "agentmixer", "ail", "bridge", "{a: 1}"])
        setting = f"{rng.choice(keys)}={value}"
        return [*argv, "--set", setting], f"--set {setting!r}"

    _check("train config", campaign(400, 5, case))


def test_model_names_and_numeric_flags() -> None:
    """Names in the one grammar, and the planner's flags. Huge but valid horizons are left out:
    planning at horizon 10^11 is a question of cost, not of input validity."""
    names = ["climbing", "penalty(k={v})", "random(players={v},actions=2)", "random(actions={v})",
             "sum_to_10(agents=2,actions={v})", "chicken({v})", "matrix_rps", "nfg_game", "{v}", "matrix_pd"]
    dnames = ["dec_tiger(horizon={v})", "bridge_crossing(congestion={v})", "random(states={v},horizon=2)",
              "{v}", "dec_tiger({v})"]
    values = [*JUNK, "2", "3", "-50", "0.5", "true", "(", "k=1"]

    def case(rng: random.Random, k: int) -> tuple[list[str], str]:
        v = rng.choice(values)
        if k % 3 == 0:
            name = rng.choice(names).replace("{v}", v)
            return ["solve", name, "--json"], f"game name {name!r}"
        if k % 3 == 1:
            name = rng.choice(dnames).replace("{v}", v)
            return ["dpomdp", "info", name, "--json"], f"Dec-POMDP name {name!r}"
        v = rng.choice([x for x in values if x not in ("99999999999",)])
        method = rng.choice(["exact", "jesp", "mmdp", v])
        flags = rng.choice([["--horizon", v], ["--discount", v], ["--method", method], ["--time-limit", v]])
        return (["dpomdp", "solve", "dec_tiger(horizon=2)", *flags, "--json"],
                f"dpomdp solve dec_tiger(horizon=2) {flags}")

    _check("names and flags", campaign(450, 6, case))
