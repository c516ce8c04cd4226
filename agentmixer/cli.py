"""The ``agentmixer`` command line: a thin layer that parses, calls one public function, prints.

Every command takes ``--json`` for machine-readable output (strict JSON: no NaN or Infinity).
Errors that agentmixer raises on purpose (bad names, files, distributions, solver failures) print
one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from agentmixer import __version__
from ce import (
    NASH_METHODS,
    OBJECTIVES,
    DistributionError,
    NashResult,
    equilibrium_gaps,
    nash_equilibria,
    ne_gap,
    parse_profile,
    product_distribution,
    solve_correlated,
)
from games import CATALOG, AgentmixerError, NormalFormGame, load_game


def _emit(args: argparse.Namespace, payload: dict[str, Any], lines: Sequence[str]) -> None:
    if args.json:
        print(json.dumps(payload, indent=1, allow_nan=False))
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


def _json_argument(text: str, what: str) -> Any:
    """Inline JSON (text starting with ``[`` or ``{``) or the JSON content of a file."""
    inline = text.lstrip()[:1] in ("[", "{")
    source = what if inline else text
    if not inline:
        path = Path(text)
        if not path.is_file():
            raise DistributionError(f"{what} file {text!r} does not exist (inline JSON starts "
                                    "with '[' or '{')")
        text = path.read_text()
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DistributionError(f"{source}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None


def cmd_games(args: argparse.Namespace) -> int:
    rows = [{"name": e.name, "description": e.description, "parameters": e.parameters}
            for e in CATALOG.values()]
    lines = ["Built-in games (OpenSpiel game strings and .nfg/.json files are accepted too):"]
    for r in rows:
        params = ", ".join(f"{k}={v}" for k, v in r["parameters"].items())
        lines += [f"  {r['name']}" + (f"({params})" if params else ""), f"      {r['description']}"]
    _emit(args, {"games": rows}, lines)
    return 0


def _print_nash(args: argparse.Namespace, game: NormalFormGame, res: NashResult) -> int:
    payload: dict[str, Any] = {
        "game": game.name, "concept": "ne", "method": res.method, "complete": res.complete,
        "degenerate": res.degenerate, "notes": list(res.notes), "equilibria": [],
        "maximal_subsets": None if res.maximal_subsets is None else [list(s) for s in res.maximal_subsets],
        "components": None if res.components is None else [list(c) for c in res.components]}
    what = ("all" if res.complete else "some") + f" {len(res.equilibria)}"
    if res.degenerate is not None:
        what += "; degenerate" if res.degenerate else "; nondegenerate"
    lines = [f"{game.name}: Nash equilibria by {res.method} ({what})",
             *(f"note: {n}" for n in res.notes)]
    if not res.equilibria:
        lines.append("none found")
    for k, eq in enumerate(res.equilibria):
        eps = ne_gap(game, eq.strategies).epsilon
        payload["equilibria"].append({
            "strategies": [s.tolist() for s in eq.strategies], "values": eq.values.tolist(),
            "welfare": float(eq.welfare), "epsilon": eps, "support": _support(game, eq.joint)})
        lines.append(f"NE {k + 1}: welfare {eq.welfare:.6g} (certified ε-NE = {eps:.2g})")
        for i, s in enumerate(eq.strategies):
            mix = ", ".join(f"{game.action_names[i][a]}:{p:.4g}" for a, p in enumerate(s) if p > 1e-12)
            lines.append(f"  {game.player_names[i]:<12} {mix}   value {eq.values[i]:.6g}")
    if res.maximal_subsets is not None and res.degenerate:
        lines.append("maximal Nash subsets (convex hulls of the listed NE): " + "; ".join(
            "{" + ", ".join(str(k + 1) for k in s) + "}" for s in res.maximal_subsets))
    _emit(args, payload, lines)
    return 0


def cmd_solve(args: argparse.Namespace) -> int:
    game = load_game(args.game)
    if args.concept == "ne":
        return _print_nash(args, game, nash_equilibria(game, args.method))
    target = None
    if args.target is not None:
        joint, strategies = parse_profile(game, _json_argument(args.target, "--target"), "--target")
        target = joint if joint is not None else product_distribution(game, strategies or [])
    res = solve_correlated(game, args.concept, args.objective, target=target)
    concept = args.concept.upper()
    payload = {
        "game": game.name, "concept": args.concept, "objective": args.objective,
        "objective_value": res.objective_value, "values": res.values.tolist(),
        "welfare": res.welfare, "epsilon": res.gap.epsilon,
        "relative_epsilon": res.gap.relative_epsilon, "status": res.status,
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


def cmd_gap(args: argparse.Namespace) -> int:
    game = load_game(args.game)
    source = args.dist if args.dist.lstrip()[:1] not in ("[", "{") else "inline JSON"
    joint, strategies = parse_profile(game, _json_argument(args.dist, "distribution"), source)
    reports = equilibrium_gaps(game, joint, strategies=strategies)
    payload: dict[str, Any] = {"game": game.name}
    lines = [f"{game.name}: gaps of the given distribution"]
    for concept, rep in reports.items():
        if rep is None:
            payload[concept] = None
            lines.append("ε-NE: undefined (the distribution is not a product of its marginals)")
            continue
        payload[concept] = rep.to_dict(game)
        lines.append(f"ε-{concept.upper()} = {rep.epsilon:.6g}")
        lines += [f"  {line}" for line in rep.describe(game)]
    _emit(args, payload, lines)
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse with agentmixer's error contract: one line on stderr naming the command, status 2
    (subcommands' parsers are of this class too)."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("agentmixer").strip()
        self.exit(2, f"agentmixer: error: {command + ': ' if command else ''}{message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
    p.add_argument("--target", help="joint distribution for --objective l1/l2: a JSON file, or "
                                    "inline JSON such as '[[0.25, 0.25], [0.25, 0.25]]'")
    p.add_argument("--method", choices=NASH_METHODS, default="auto",
                   help="Nash method for --concept ne (auto: exact enumeration of all equilibria "
                        "for 2 players, support enumeration with a polynomial solve for more; "
                        "Lemke-Howson / pure equilibria when the game is too large)")
    p.add_argument("--top", type=int, default=20, help="joint actions to print (text output)")
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser("gap", parents=[json_flag], help="ε-NE/CCE/CE of a given distribution")
    p.add_argument("game", help="as for solve")
    p.add_argument("dist", help="JSON file or inline JSON: a joint distribution (nested or flat "
                                "list, or {'joint': ...}) or {'strategies': [[...], ...]}")
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

