"""The ``agentmixer`` command line: a thin layer that parses, calls one public function, prints.

Every command takes ``--json`` for machine-readable output. Errors that agentmixer raises on
purpose (bad names, files, distributions, solver failures) print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agentmixer import __version__
from ce import (
    OBJECTIVES,
    DegenerateGameError,
    DistributionError,
    cce_gap,
    ce_gap,
    lemke_howson,
    ne_gap,
    pure_nash_equilibria,
    solve_correlated,
    support_enumeration,
)
from ce.distributions import as_joint, marginals
from ce.gaps import GapReport
from ce.nash import NashEquilibrium
from games import CATALOG, AgentmixerError, NormalFormGame, load_game

SUPPORT_ENUM_LIMIT = 12
"""Two-player games with at most this many actions per player get all NE by support enumeration."""


def _emit(args: argparse.Namespace, payload: dict[str, Any], lines: Sequence[str]) -> None:
    if args.json:
        print(json.dumps(payload, indent=1))
    else:
        print("\n".join(lines))


def _support(game: NormalFormGame, mu: np.ndarray, tol: float = 1e-9) -> list[dict[str, Any]]:
    flat = mu.ravel()
    order = np.argsort(-flat, kind="stable")
    rows = []
    for k in order[flat[order] > tol]:
        idx = tuple(int(x) for x in np.unravel_index(k, mu.shape))
        names = [game.action_names[i][a] for i, a in enumerate(idx)]
        rows.append({"joint_action": names, "index": list(idx), "probability": float(flat[k])})
    return rows


def _support_lines(game: NormalFormGame, mu: np.ndarray, top: int) -> list[str]:
    rows = _support(game, mu)
    lines = [f"  {'(' + ', '.join(r['joint_action']) + ')':<28} {r['probability']:.6f}"
             for r in rows[:top]]
    if len(rows) > top:
        lines.append(f"  ... {len(rows) - top} more joint actions with positive probability")
    return lines


def _value_lines(game: NormalFormGame, values: np.ndarray) -> list[str]:
    lines = [f"  {name:<12} {v:.6g}" for name, v in zip(game.player_names, values, strict=True)]
    return [*lines, f"  {'welfare':<12} {values.sum():.6g}"]


def cmd_games(args: argparse.Namespace) -> int:
    rows = [{"name": e.name, "description": e.description, "parameters": e.parameters}
            for e in CATALOG.values()]
    lines = ["Built-in games (OpenSpiel game strings and .nfg/.json files are accepted too):"]
    for r in rows:
        params = ", ".join(f"{k}={v}" for k, v in r["parameters"].items())
        lines += [f"  {r['name']}" + (f"({params})" if params else ""), f"      {r['description']}"]
    _emit(args, {"games": rows}, lines)
    return 0


def _nash(game: NormalFormGame) -> tuple[list[NashEquilibrium], str, list[str]]:
    """All NE where we can enumerate them, else one; returns (equilibria, method, notes)."""
    notes: list[str] = []
    if game.num_players == 2 and max(game.num_actions) <= SUPPORT_ENUM_LIMIT:
        try:
            return support_enumeration(game), "support enumeration (all NE)", notes
        except DegenerateGameError as exc:
            notes.append(f"degenerate game ({exc}); the list below may be incomplete")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found = support_enumeration(game, on_degenerate="warn")
            return found, "support enumeration (degenerate: incomplete)", notes
    if game.num_players == 2:
        return [lemke_howson(game)], "Lemke-Howson (one NE)", notes
    pure = pure_nash_equilibria(game)
    eqs = []
    for joint in pure:
        strategies = [np.eye(m)[a] for m, a in zip(game.num_actions, joint, strict=True)]
        eqs.append(NashEquilibrium(tuple(strategies), game.payoffs[(slice(None), *joint)].copy()))
    notes.append(f"{game.num_players}-player game: only pure NE are enumerated")
    return eqs, "pure NE enumeration", notes


def _solve_ne(args: argparse.Namespace, game: NormalFormGame) -> int:
    eqs, method, notes = _nash(game)
    payload: dict[str, Any] = {"game": game.name, "concept": "ne", "method": method, "notes": notes,
                               "equilibria": []}
    lines = [f"{game.name}: Nash equilibria by {method}", *(f"note: {n}" for n in notes)]
    if not eqs:
        lines.append("no pure NE")
    for k, eq in enumerate(sorted(eqs, key=lambda e: -e.welfare)):
        payload["equilibria"].append({
            "strategies": [s.tolist() for s in eq.strategies],
            "values": eq.values.tolist(), "welfare": float(eq.welfare),
            "support": _support(game, eq.joint)})
        lines.append(f"NE {k + 1}: welfare {eq.welfare:.6g}")
        for i, s in enumerate(eq.strategies):
            mix = ", ".join(f"{game.action_names[i][a]}:{p:.4g}" for a, p in enumerate(s) if p > 1e-12)
            lines.append(f"  {game.player_names[i]:<12} {mix}   value {eq.values[i]:.6g}")
    _emit(args, payload, lines)
    return 0


def _read_dist_file(path: str) -> Any:
    p = Path(path)
    if not p.is_file():
        raise DistributionError(f"distribution file {path!r} does not exist")
    try:
        return json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise DistributionError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None


def cmd_solve(args: argparse.Namespace) -> int:
    game = load_game(args.game)
    if args.concept == "ne":
        return _solve_ne(args, game)
    target = None
    if args.target is not None:
        data = _read_dist_file(args.target)
        target = as_joint(game, data["joint"] if isinstance(data, dict) else data)
    res = solve_correlated(game, args.concept, args.objective, target=target)
    concept = args.concept.upper()
    payload = {
        "game": game.name, "concept": args.concept, "objective": args.objective,
        "objective_value": res.objective_value, "values": res.values.tolist(),
        "welfare": res.welfare, "epsilon": res.gap.epsilon, "status": res.status,
        "solve_seconds": res.solve_seconds, "build_seconds": res.build_seconds,
        "support": _support(game, res.distribution), "distribution": res.distribution.tolist(),
    }
    lines = [f"{game.name}: {args.objective}-optimal {concept} "
             f"(objective {res.objective_value:.6g}; certified ε-{concept} = {res.gap.epsilon:.2g})",
             "distribution:", *_support_lines(game, res.distribution, args.top),
             "values:", *_value_lines(game, res.values),
             f"solved in {res.build_seconds + res.solve_seconds:.3f} s ({res.status})"]
    _emit(args, payload, lines)
    return 0


def _report_dict(game: NormalFormGame, rep: GapReport) -> dict[str, Any]:
    devs: list[Any] = []
    for i, d in enumerate(rep.best_deviation):
        names = game.action_names[i]
        if isinstance(d, np.ndarray):
            devs.append({names[r]: names[int(t)] for r, t in enumerate(d)})
        else:
            devs.append(names[int(d)])
    return {"epsilon": rep.epsilon, "regrets": rep.regrets.tolist(), "values": rep.values.tolist(),
            "best_deviation": devs}


def cmd_gap(args: argparse.Namespace) -> int:
    game = load_game(args.game)
    data = _read_dist_file(args.dist)
    if isinstance(data, dict) and "strategies" in data:
        rep_ne = ne_gap(game, data["strategies"])
        from ce.distributions import product_distribution

        mu = product_distribution(game, data["strategies"])
    else:
        raw = data.get("joint") if isinstance(data, dict) else data
        if raw is None:
            raise DistributionError(f"{args.dist}: expected a list, or an object with key "
                                    f"'joint' (joint distribution) or 'strategies' (one per player)")
        mu = as_joint(game, raw)
        product = np.ones(())
        for m in marginals(mu):
            product = np.multiply.outer(product, m)
        distance = float(np.abs(product - mu).max())
        rep_ne = cce_gap(game, mu) if distance <= 1e-9 else None
    reports = {"ne": rep_ne, "cce": cce_gap(game, mu), "ce": ce_gap(game, mu)}
    payload: dict[str, Any] = {"game": game.name}
    lines = [f"{game.name}: gaps of the given distribution"]
    for concept, rep in reports.items():
        if rep is None:
            payload[concept] = None
            lines.append("ε-NE: undefined (the distribution is not a product of its marginals)")
            continue
        payload[concept] = _report_dict(game, rep)
        lines.append(f"ε-{concept.upper()} = {rep.epsilon:.6g}")
        lines += [f"  {line}" for line in rep.describe(game)]
    _emit(args, payload, lines)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agentmixer", description="Exact equilibria, gaps and learners for cooperative MARL.")
    parser.add_argument("--version", action="version", version=f"agentmixer {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    json_flag = argparse.ArgumentParser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("games", parents=[json_flag], help="list the built-in game catalog")
    p.set_defaults(func=cmd_games)

    p = sub.add_parser("solve", parents=[json_flag], help="solve a game for a CE, CCE or NE")
    p.add_argument("game", help="catalog name (e.g. climbing, 'penalty(k=-50)'), OpenSpiel "
                                "game string (e.g. matrix_rps, blotto) or a .nfg/.json file")
    p.add_argument("--concept", choices=("ce", "cce", "ne"), default="ce")
    p.add_argument("--objective", choices=[o for o in OBJECTIVES if o != "linear"], default="welfare",
                   help="what to optimise over the CE/CCE polytope (l1/l2: closest point to "
                        "--target, default uniform)")
    p.add_argument("--target", help="JSON joint distribution for --objective l1/l2")
    p.add_argument("--top", type=int, default=20, help="joint actions to print (text output)")
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser("gap", parents=[json_flag], help="ε-NE/CCE/CE of a given distribution")
    p.add_argument("game", help="as for solve")
    p.add_argument("dist", help="JSON file: a joint distribution (nested or flat list, or "
                                "{'joint': ...}) or {'strategies': [[...], ...]}")
    p.set_defaults(func=cmd_gap)

    from agentmixer.cli_dpomdp import add_dpomdp_parser
    from agentmixer.cli_experiments import add_experiment_parsers
    from agentmixer.cli_train import add_train_parsers
    from agentmixer.cli_verify import add_verify_parser

    add_dpomdp_parser(sub, json_flag)
    add_verify_parser(sub, json_flag)
    add_train_parsers(sub, json_flag)
    add_experiment_parsers(sub, json_flag)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except AgentmixerError as exc:
        print(f"agentmixer: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into head
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

