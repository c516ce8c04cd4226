"""``agentmixer dpomdp info|solve|evaluate``: Dec-POMDP commands (thin wrappers, ``--json``)."""

from __future__ import annotations

import argparse
import itertools
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from ce import planning
from ce.dec_gaps import dec_gaps
from ce.planning.clustered import ClusteredPolicy, clustered_from_dict, clustered_to_dict
from games.dec_pomdp.evaluation import evaluate
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import DeterministicPolicy
from games.dec_pomdp.policy_json import policy_from_dict, policy_to_dict
from games.errors import ParseError
from games.loading import load_dpomdp

__all__ = ["add_dpomdp_parser"]

HORIZON_HELP = "decision steps; default: the model's own (MADP files set none, so they need it)"
DISCOUNT_HELP = "γ in (0, 1]; default: the model's own (a .dpomdp file's discount: line)"
GAP_HISTORIES = 100_000
"""ε-gaps of a clustered policy are computed on its history form up to this many
action-observation histories per agent."""


def _emit(args: argparse.Namespace, payload: dict[str, Any], lines: list[str]) -> None:
    print(json.dumps(payload, indent=1) if args.json else "\n".join(lines))


def _history_name(model: DecPOMDP, agent: int, t: int, index: int) -> str:
    q = model.num_observations[agent]
    digits = np.unravel_index(index, (q,) * t) if t else ()
    return "(" + ", ".join(model.observation_names[agent][int(d)] for d in digits) + ")"


def cmd_info(args: argparse.Namespace) -> int:
    model = load_dpomdp(args.model)
    t_dev = float(np.abs(model.transition.sum(axis=2) - 1).max())
    o_dev = float(np.abs(model.observation.sum(axis=2) - 1).max())
    payload = {
        "name": model.name, "agents": list(model.agent_names), "states": model.num_states,
        "actions": [list(a) for a in model.action_names],
        "observations": [list(o) for o in model.observation_names],
        "joint_actions": model.num_joint_actions, "joint_observations": model.num_joint_observations,
        "discount": model.discount, "horizon": model.horizon, "reward_type": model.reward_type,
        "reward_range": [float(model.reward.min()), float(model.reward.max())],
        "validation": {"valid": True, "max_transition_row_error": t_dev,
                       "max_observation_row_error": o_dev},
    }
    lines = [f"{model.name}: {model.num_agents} agents, {model.num_states} states, "
             f"{model.num_joint_actions} joint actions, {model.num_joint_observations} joint "
             f"observations, discount {model.discount:g}, horizon {model.horizon}"]
    for i, name in enumerate(model.agent_names):
        lines.append(f"  {name}: actions {list(model.action_names[i])}; "
                     f"observations {list(model.observation_names[i])}")
    lines += [f"rewards ({model.reward_type}) in [{model.reward.min():g}, {model.reward.max():g}]",
              f"valid: T rows sum to 1 within {t_dev:.1e}, O rows within {o_dev:.1e}"]
    _emit(args, payload, lines)
    return 0


def cmd_solve(args: argparse.Namespace) -> int:
    model = load_dpomdp(args.model)
    horizon, gamma = model.resolve_horizon(args.horizon), model.resolve_discount(args.discount)
    start = time.perf_counter()
    res = planning.solve(model, horizon, gamma, method=args.method, time_limit=args.time_limit,
                         seed=args.seed, restarts=args.restarts)
    seconds = time.perf_counter() - start
    payload: dict[str, Any] = {"model": model.name, "method": args.method, "horizon": horizon,
                               "discount": gamma, "value": res.value, "seconds": seconds}
    lines = [f"{model.name} h={horizon} γ={gamma:g} ({args.method}): value {res.value:.6f} "
             f"in {seconds:.3f} s"]
    if args.method == "exact":
        gap = res.upper_bound - res.value
        payload.update(optimal=res.optimal, upper_bound=res.upper_bound, gap=gap)
        lines.append("  proven optimal (upper bound = value)" if res.optimal else
                     f"  stopped at the time limit: lower bound {res.value:.6f}, upper bound "
                     f"{res.upper_bound:.6f}, gap {gap:.6g}")
    if isinstance(res.policy, ClusteredPolicy):
        payload["policy"] = clustered_to_dict(res.policy, model)
        runs = itertools.groupby("x".join(map(str, n)) for n in res.policy.num_types())
        lines.append("  types per stage: " + " ".join(f"{k}" + (f" (x{c})" if (c := len(list(g))) > 1 else "")
                                                     for k, g in runs))
        for i, agent in enumerate(res.policy.actions):
            lines.append(f"  {model.agent_names[i]}: action of each type, then type after each observation")
            for t, step in enumerate(agent[: args.max_rows]):
                nxt = (" -> " + " ".join(str(r) for r in res.policy.successors[i][t].tolist())
                       if t < len(agent) - 1 else "")
                lines.append(f"    t={t}: " + " ".join(model.action_names[i][a] for a in step) + nxt)
            if len(agent) > args.max_rows:
                lines.append(f"    ... (+{len(agent) - args.max_rows} stages)")
    elif isinstance(res.policy, DeterministicPolicy):
        payload["policy"] = policy_to_dict(res.policy, model)
        for i, agent in enumerate(res.policy.actions):
            lines.append(f"  {model.agent_names[i]}:")
            for t, step in enumerate(agent):
                shown = [f"{_history_name(model, i, t, k)}->{model.action_names[i][a]}"
                         for k, a in enumerate(step[: args.max_rows])]
                more = f" ... (+{len(step) - args.max_rows})" if len(step) > args.max_rows else ""
                lines.append(f"    t={t}: " + "  ".join(shown) + more)
    if isinstance(res.policy, ClusteredPolicy | DeterministicPolicy) and args.save:
        Path(args.save).write_text(json.dumps(payload["policy"], indent=1))
        lines.append(f"policy written to {args.save}")
    if not isinstance(res.policy, ClusteredPolicy | DeterministicPolicy):
        table = np.asarray(res.policy)
        payload["policy"] = table.tolist()
        lines.append(f"  joint policy pi[t, s] over joint actions, shape {table.shape}")
    _emit(args, payload, lines)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    model = load_dpomdp(args.model)
    path = Path(args.policy)
    if not path.is_file():
        raise ParseError(f"policy file {args.policy!r} does not exist")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ParseError(exc.msg, exc.lineno, exc.colno, source=args.policy) from None
    horizon, gamma = model.resolve_horizon(args.horizon), model.resolve_discount(args.discount)
    if isinstance(data, dict) and data.get("kind") == "clustered":
        clustered = clustered_from_dict(data, model, args.policy)
        value = planning.evaluate_clustered(model, clustered, horizon, gamma)
        few = all((horizon - 1) * math.log(m * q) <= math.log(GAP_HISTORIES)
                  for m, q in zip(model.num_actions, model.num_observations, strict=True))
        policy = clustered.to_deterministic(model.num_observations) if few else None
    else:
        policy = policy_from_dict(data, model, args.policy)
        value = evaluate(model, policy, horizon, gamma)
    payload: dict[str, Any] = {"model": model.name, "horizon": horizon, "discount": gamma, "value": value}
    lines = [f"{model.name} h={horizon} γ={gamma:g}: value {value:.6f}"]
    if policy is None:
        lines.append(f"ε-gaps skipped: more than {GAP_HISTORIES} action-observation histories per agent")
        _emit(args, payload, lines)
        return 0
    reports = dec_gaps(model, policy, horizon=horizon, discount=gamma)
    for concept, rep in sorted(reports.items(), key=lambda kv: kv[0] != "ne"):
        payload[f"epsilon_{concept}"] = rep.epsilon
        payload[f"best_response_values_{concept}"] = rep.best_response_values.tolist()
        lines.append(f"ε-{concept.upper()} = {rep.epsilon:.6g} (best responses: "
                     + ", ".join(f"{v:.6g}" for v in rep.best_response_values) + ")")
    _emit(args, payload, lines)
    return 0


def add_dpomdp_parser(sub: argparse._SubParsersAction, json_flag: argparse.ArgumentParser) -> None:
    """Register ``dpomdp info|solve|evaluate`` under the main parser's subcommands."""
    top = sub.add_parser("dpomdp", help="tabular Dec-POMDPs: info, exact solve, evaluate")
    dsub = top.add_subparsers(dest="dpomdp_command", required=True)
    model_help = "built-in name (dec_tiger, bridge_crossing, ...) or a .dpomdp[.gz] file"

    p = dsub.add_parser("info", parents=[json_flag], help="sizes and validation report")
    p.add_argument("model", help=model_help)
    p.set_defaults(func=cmd_info)

    p = dsub.add_parser("solve", parents=[json_flag], help="optimal / JESP / MMDP policy")
    p.add_argument("model", help=model_help)
    p.add_argument("--horizon", type=int, default=None, help=HORIZON_HELP)
    p.add_argument("--method", choices=planning.METHODS, default="exact")
    p.add_argument("--discount", type=float, default=None, help=DISCOUNT_HELP)
    p.add_argument("--time-limit", type=float, default=None,
                   help="seconds (exact method); when reached, report the best policy found, a "
                        "proven upper bound and their gap")
    p.add_argument("--seed", type=int, default=0, help="JESP initialisation seed")
    p.add_argument("--restarts", type=int, default=1, help="JESP restarts")
    p.add_argument("--save", help="write the decentralized policy as JSON")
    p.add_argument("--max-rows", type=int, default=8, help="histories printed per step")
    p.set_defaults(func=cmd_solve)

    p = dsub.add_parser("evaluate", parents=[json_flag], help="value and ε-NE / ε-CE gaps")
    p.add_argument("model", help=model_help)
    p.add_argument("policy", help="policy JSON (as written by solve --save)")
    p.add_argument("--horizon", type=int, default=None, help=HORIZON_HELP)
    p.add_argument("--discount", type=float, default=None, help=DISCOUNT_HELP)
    p.set_defaults(func=cmd_evaluate)
