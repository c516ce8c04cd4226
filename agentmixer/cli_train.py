"""``agentmixer train`` and ``agentmixer evaluate``: the neural training tier on the command line.

``train --algo NAME --env NAME [--seed S] [--steps N] [--envs B] [--config FILE.yaml]
[--out DIR] [--set key=value ...] [--resume RUN_DIR]`` runs :func:`learners.neural.trainer.train`
(precedence: defaults < ``--config`` < the explicit flags < ``--set``). ``--resume RUN_DIR``
continues a run from its checkpoint with its saved config (``--steps`` may extend it; schedules
that depend on the training fraction, such as AIL's β, then follow the new total).
``evaluate RUN_DIR [--episodes N]`` loads the last checkpoint and evaluates the executed policy
(the actors alone, or "centralized execution" for MAT, ARMAPPO and MAVEN), printing deterministic
and sampled returns. Needs torch (the ``neural`` extra).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

import yaml

from games.errors import ConfigError, ParseError

__all__ = ["add_train_parsers", "cmd_evaluate", "cmd_train"]

ENV_HELP = ("climbing, penalty, bridge, predator-prey, predator-prey-small, quadratic-coordination, any "
            "catalog game or Dec-POMDP name, a .dpomdp file, 'pettingzoo(package.module:factory, k=v)' "
            "or 'mamujoco(scenario=Ant, conf=2x4, agent_obsk=0)'")


def _torch_needed() -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        raise ConfigError("training needs torch: pip install 'agentmixer[neural]'") from None


def cmd_train(args: argparse.Namespace) -> int:
    _torch_needed()
    from learners.neural.trainer import load_run_config, make_config, train

    sets = list(args.set or [])
    if args.resume:
        fixed = [flag for flag, value in (("--algo", args.algo), ("--env", args.env), ("--seed", args.seed),
                                          ("--envs", args.envs), ("--config", args.config),
                                          ("--out", args.out), ("--set", sets or None))
                 if value is not None]
        if fixed:
            raise ConfigError(f"{', '.join(fixed)} cannot change a resumed run (its config.yaml is "
                              f"fixed; only --steps may extend it)")
        cfg = load_run_config(args.resume)
        cfg = dataclasses.replace(cfg, out=str(args.resume), progress=not args.json)
        if args.steps is not None:
            cfg = dataclasses.replace(cfg, total_steps=args.steps)
    else:
        data: dict[str, Any] = {}
        if args.config:
            path = Path(args.config)
            if not path.is_file():
                raise ConfigError(f"config file {args.config!r} does not exist")
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                raise ParseError(f"{args.config}: invalid YAML: {str(exc).splitlines()[0]}") from None
            if not isinstance(data, dict):
                raise ConfigError(f"{args.config}: expected a mapping of config keys")
            data.pop("agentmixer_version", None)
        for key, value in (("algo", args.algo), ("env", args.env), ("seed", args.seed),
                           ("total_steps", args.steps), ("num_envs", args.envs), ("out", args.out)):
            if value is not None:
                data[key] = value
        data.setdefault("progress", not args.json)
        cfg = make_config(data, sets)
    result = train(cfg, resume=bool(args.resume))
    last = result.last_eval
    from learners.neural.algorithms import algorithm_class

    execution = "centralized" if algorithm_class(cfg.algo).executes_centrally else "decentralized"
    payload = {"run_dir": str(result.run_dir), "updates": result.updates, "env_steps": result.env_steps,
               "deterministic_return": last.get("deterministic"), "sampled_return": last.get("sampled"),
               "execution": execution}
    if args.json:
        print(json.dumps(payload, indent=1))
    else:
        print(f"{cfg.algo} on {cfg.env}: {result.updates} updates, {result.env_steps} env steps -> "
              f"{result.run_dir}")
        if last:
            print(f"{execution} evaluation: deterministic {last['deterministic']:.4f}, "
                  f"sampled {last['sampled']:.4f}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    _torch_needed()
    from learners.neural.evaluate import evaluate_run

    if args.episodes is not None and args.episodes < 1:
        raise ConfigError(f"--episodes must be >= 1, got {args.episodes}")
    res = evaluate_run(args.run_dir, args.episodes)
    if args.json:
        print(json.dumps({k: v for k, v in res.items() if k != "deterministic_returns"}, indent=1))
    else:
        print(f"{res['algo']} on {res['env']} (update {res['update']}, {res['env_steps']} env steps), "
              f"{res['episodes']} episodes, {res['execution']} execution:")
        print(f"  deterministic return  {res['deterministic_return']:.4f}")
        print(f"  sampled return        {res['sampled_return']:.4f}")
        if "exact_deterministic_return" in res:
            print(f"  exact values (the actors tabulated over histories): deterministic "
                  f"{res['exact_deterministic_return']:.6f}, sampled {res['exact_sampled_return']:.6f}")
    return 0


def add_train_parsers(sub: Any, json_flag: argparse.ArgumentParser) -> None:
    """Register ``train`` and ``evaluate`` on the subparsers ``sub``."""
    p = sub.add_parser("train", parents=[json_flag], help="train a neural CTDE learner (needs torch)")
    p.add_argument("--algo", help="a registered algorithm: agentmixer, mappo, ail, ... (an unknown name "
                                   "lists them all)")
    p.add_argument("--env", help=ENV_HELP)
    p.add_argument("--seed", type=int)
    p.add_argument("--steps", type=int, help="total environment steps (summed over copies)")
    p.add_argument("--envs", type=int, help="parallel environment copies B")
    p.add_argument("--config", metavar="FILE.yaml", help="YAML with TrainConfig keys (and algo_config)")
    p.add_argument("--out", metavar="DIR", help="run directory (default runs/<algo>_<env>_s<seed>)")
    p.add_argument("--set", action="append", metavar="key=value",
                   help="override a setting, e.g. lr=1e-3, actor.hidden_sizes=[32,32], eval_every=5")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its checkpoint")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", parents=[json_flag], help="decentralized evaluation of a trained run")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--episodes", type=int, help="episodes (default: the run's eval_episodes)")
    p.set_defaults(func=cmd_evaluate)
