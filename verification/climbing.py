"""The climbing game (Claus & Boutilier 1998), studied analytically and against learning dynamics.

R = [[11, −30, 0], [−30, 7, 6], [0, 0, 5]] is paid to both agents (welfare = 2R).

Soundness checks (the solvers against answers derived by hand, and each other):

* ``nash/pure`` and ``nash/all``: the pure NE are exactly (a1, b1) (11 each) and (a2, b2) (7 each);
  support enumeration finds those and one mixed NE, x = y = (5/16, 0, 11/16), worth 55/16 each.
* ``ce/welfare_optimum`` and ``cce/welfare_optimum``: the welfare-maximising CE and CCE put all mass
  on (a1, b1): welfare 22.
* ``ce/vertices`` and ``cce/vertices``: the vertices of {μ ≥ 0, Σμ = 1, Aμ ≤ 0} ⊂ R^9 enumerated
  exactly as basic feasible solutions (:func:`ce.polytope_vertices`); the max/min welfare over
  vertices equals the welfare LP's (max) and the negated-welfare LP's (min).
* ``dynamics/basins``: the outcome fractions of every learner sum to 1.

Verdicts, from a product grid of full-support starts (resolution 1/6 on each agent's simplex:
10 × 10 = 100), classifying the final value of the *executed* policy as 11, 7, 6 (the
non-equilibrium plateau (a2, b3)), 5 or other:

* ``coordination/agentmixer``: AgentMixer (its default: the coupled IGC joint with mode hand-offs,
  :mod:`learners.exact.agentmixer_coupled`) coordinates on (a1, b1) from at least 90 % of the starts;
* ``coordination/agentmixer_paper``: the same claim for the paper's construction (a product of
  per-agent modified marginals, :mod:`learners.exact.agentmixer_product`), which cannot express the
  correlation needed to leave (a2, b2);
* ``miscoordination/independent``: independent learners fail to coordinate from most starts (the
  climbing game's raison d'être); reverse-KL MAGPO's fractions are reported beside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ce import (
    polytope_vertices,
    pure_nash_equilibria,
    solve_cce,
    solve_ce,
    support_enumeration,
)
from games.normal_form.catalog import climbing
from games.normal_form.game import NormalFormGame
from learners.exact import MagpoConfig, run_magpo
from learners.exact.agentmixer import AgentMixerConfig, run_agentmixer_batch
from learners.exact.independent import IndependentConfig, run_independent_batch
from verification.result import Check, ClaimResult, ClaimRule, Rule, Verdict

__all__ = ["CHECKS", "CLAIMS", "basins", "polytope_vertices", "run", "simplex_grid"]

TOL = 1e-9
OUTCOMES = (11.0, 7.0, 6.0, 5.0)
"""Values whose basins are reported (11: (a1, b1), 7: (a2, b2), 6: (a2, b3), 5: (a3, b3)); the rest is
"other". Only 11 and 7 are NE: softmax gradient ascent lingers for thousands of steps near the
non-equilibrium vertex (a2, b3) (the escaping action's probability, hence its gradient, is tiny)."""
OUTCOME_TOL = 0.1
COORDINATION_GOAL = 0.9
"""The fraction of starts from which a learner must reach 11 for "coordinates" to be reproduced."""
INDEPENDENT = IndependentConfig(lr=0.5, iterations=3000, tol=1e-10)
MAGPO = MagpoConfig(eta=1.0, projection="reverse", iterations=30)
AGENTMIXER = AgentMixerConfig(iterations=300)
AGENTMIXER_PAPER = AgentMixerConfig.paper(iterations=3000, lr=0.1)
LEARNERS = ("independent", "agentmixer", "agentmixer_paper", "magpo")


def simplex_grid(resolution: int) -> np.ndarray:
    """Full-support points of the 3-action simplex with coordinates in (1/resolution)ℕ."""
    r = resolution
    return np.array([(i, j, r - i - j) for i in range(1, r) for j in range(1, r - i)], dtype=float) / r


def _classify(values: np.ndarray) -> dict[str, float]:
    out, hit = {}, np.zeros(len(values), dtype=bool)
    for v in OUTCOMES:
        near = np.abs(values - v) < OUTCOME_TOL
        out[f"{v:g}"] = float(near.mean())
        hit |= near
    out["other"] = float((~hit).mean())
    return out


def _padded_mean(curves: list[np.ndarray]) -> np.ndarray:
    """Mean of curves of unequal length, each extended by its last value (a run that stopped early)."""
    n = max(len(c) for c in curves)
    return np.mean([np.concatenate([c, np.full(n - len(c), c[-1])]) for c in curves], axis=0)


def basins(game: NormalFormGame, resolution: int = 6) -> dict[str, object]:
    """Final executed values of independent learners, tabular AgentMixer (default and the paper's
    construction, each at its modes) and reverse-MAGPO over the product grid of starts, with the
    mean learning curves."""
    grid = simplex_grid(resolution)
    x = np.repeat(grid, len(grid), axis=0)
    y = np.tile(grid, (len(grid), 1))
    starts = [np.log(x), np.log(y)]
    ind = run_independent_batch(game, INDEPENDENT, starts)
    am = run_agentmixer_batch(game, AGENTMIXER, starts)
    paper = run_agentmixer_batch(game, AGENTMIXER_PAPER, starts)
    mags = [run_magpo(game, MAGPO, init=(p, q)) for p, q in zip(x, y, strict=True)]
    mag = np.array([m.final_value for m in mags])
    finals = {"independent": ind.final_values, "agentmixer": am.mode_values[-1],
              "agentmixer_paper": paper.mode_values[-1], "magpo": mag}
    return {"starts_x": x, "starts_y": y, **finals,
            "independent_gradient": ind.gradient_norm,
            "agentmixer_handoffs": am.handoffs,
            "curves": {"independent": ind.values.mean(axis=1),
                       "agentmixer (mode)": am.mode_values.mean(axis=1),
                       "agentmixer (joint)": am.joint_values.mean(axis=1),
                       "agentmixer paper (mode)": paper.mode_values.mean(axis=1),
                       "magpo": _padded_mean([m.learner_values for m in mags])},
            **{f"{k}_fractions": _classify(v) for k, v in finals.items()}}


def _close(a: float, b: float, tol: float = 1e-6) -> bool:
    return abs(float(a) - float(b)) <= tol


CHECKS: dict[str, Rule] = {
    "nash/pure": Rule(
        "exactly (a1,b1) with 11 each and (a2,b2) with 7 each",
        lambda m: m["pure_ne"] == "a1,b1; a2,b2" and m["values"] == "11, 7",
        "every agent's best-response mask of the common payoff R"),
    "nash/all": Rule(
        "3 NE: (a1,b1) 22, (a2,b2) 14, mixed x = y = (5/16, 0, 11/16) with welfare 55/8",
        lambda m: m["count"] == 3 and m["welfare"] == "22, 14, 6.875" and m["mixed_matches"] == 1,
        "support enumeration (nondegenerate: no witness raised), welfare = sum of both payoffs"),
    "optimum": Rule(
        "welfare 22 with all mass on (a1,b1)",
        lambda m: _close(m["welfare"], 22.0) and m["mass_on_a1_b1"] >= 1 - 1e-6,
        "welfare-maximising LP (HiGHS)"),
    "vertices": Rule(
        "max vertex welfare = 22 = LP max; min vertex welfare = LP min (within 1e-6)",
        lambda m: _close(m["max_welfare"], 22.0, 1e-9) and _close(m["max_welfare"], m["lp_max"])
        and _close(m["min_welfare"], m["lp_min"]),
        "the polytope's vertices by ce.polytope_vertices (exact vertex enumeration of small games), "
        "checked against the welfare LP and the negated-welfare LP"),
    "dynamics/basins": Rule(
        "the outcome fractions of every learner sum to 1",
        lambda m: all(abs(sum(float(m[f"{k}_{o}"]) for o in (*(f"{v:g}" for v in OUTCOMES), "other")) - 1)
                      <= 1e-12 for k in LEARNERS)),
}
"""The soundness rules, by check name (``ce/`` and ``cce/`` share ``optimum`` and ``vertices``)."""


def _coordinates(key: str) -> ClaimRule:
    return ClaimRule(
        statement="AgentMixer's joint policy, correlated under IGC, coordinates the agents on the "
                  "optimal joint action (a1, b1) that independent learners miss (AgentMixer, "
                  "Sec. 4 and Thm 2)",
        criterion=f"reproduced if {key}_11 >= {COORDINATION_GOAL:g} (the fraction of the 100 starts "
                  "whose executed modes end at 11), else not reproduced",
        decide=lambda m: "reproduced" if m[f"{key}_11"] >= COORDINATION_GOAL else "not reproduced",
        keys=("starts", *(f"{key}_{o}" for o in ("11", "7", "6", "5", "other"))))


CLAIMS: dict[str, ClaimRule] = {
    "coordination/agentmixer": _coordinates("agentmixer"),
    "coordination/agentmixer_paper": _coordinates("agentmixer_paper"),
    "miscoordination/independent": ClaimRule(
        statement="independent learners miscoordinate on the climbing game: the -30 penalties keep "
                  "them from (a1, b1) from most starts (Claus & Boutilier 1998)",
        criterion="reproduced if independent_11 < 0.5, else refuted",
        decide=lambda m: "reproduced" if m["independent_11"] < 0.5 else "refuted",
        keys=("starts", "independent_11", "independent_7", "independent_6", "magpo_11", "magpo_7")),
}
"""The verdict rules, by claim name."""


def _nash_measure(game: NormalFormGame) -> tuple[dict[str, Any], dict[str, Any]]:
    pure = pure_nash_equilibria(game)
    r = game.payoffs[0]
    values = [float(r[a]) for a in pure]
    ne = sorted(support_enumeration(game), key=lambda e: -e.welfare)
    mixed = [e for e in ne if max(len(s) for s in e.supports) > 1]
    expected_mixed = np.array([5 / 16, 0, 11 / 16])
    mixed_ok = len(mixed) == 1 and all(np.allclose(s, expected_mixed, atol=1e-12)
                                       for s in mixed[0].strategies)
    pure_m = {"pure_ne": "; ".join(game.joint_action_name(a) for a in pure),
              "values": ", ".join(f"{v:g}" for v in values),
              "welfare": ", ".join(f"{2 * v:g}" for v in values)}
    all_m = {"count": len(ne), "welfare": ", ".join(f"{round(e.welfare, 12):.10g}" for e in ne),
             "mixed": "; ".join(str(np.round(e.strategies[0], 6).tolist()) for e in mixed),
             "mixed_matches": int(mixed_ok)}
    return pure_m, all_m


def _optimum_measure(game: NormalFormGame, concept: str) -> dict[str, Any]:
    res = (solve_ce if concept == "ce" else solve_cce)(game)
    return {"welfare": res.welfare, "mass_on_a1_b1": float(res.distribution[0, 0]), "gap": res.gap.epsilon}


def _vertex_measure(game: NormalFormGame, concept: str) -> dict[str, Any]:
    solve = solve_ce if concept == "ce" else solve_cce
    verts = polytope_vertices(game, concept)
    vw = verts @ game.welfare.ravel()
    return {"vertices": len(verts), "pure_vertices": int(np.sum(verts.max(axis=1) > 1 - TOL)),
            "max_welfare": float(vw.max()), "min_welfare": float(vw.min()), "lp_max": solve(game).welfare,
            "lp_min": -solve(game, "linear", weights=-game.welfare).objective_value}


def basin_numbers(data: Mapping[str, object]) -> dict[str, float | str]:
    """The measured basin fractions (``{learner}_{outcome}``) and the run's key figures."""
    out: dict[str, float | str] = {"starts": len(data["independent"])}  # type: ignore[arg-type]
    for k in LEARNERS:
        out.update({f"{k}_{o}": v for o, v in data[f"{k}_fractions"].items()})  # type: ignore[union-attr]
    out["agentmixer_mean_handoffs"] = float(np.mean(data["agentmixer_handoffs"]))  # type: ignore[arg-type]
    out["independent_max_final_gradient"] = float(data["independent_gradient"].max())  # type: ignore[union-attr]
    return out


BASIN_DETAIL = (f"product grid of full-support starts (1/6 resolution per simplex); independent: lr "
                f"{INDEPENDENT.lr:g}, {INDEPENDENT.iterations} exact gradient steps; AgentMixer: coupled "
                f"IGC joint, soft policy iteration eta {AGENTMIXER.lr:g}, {AGENTMIXER.iterations} steps, "
                f"hand-off margin {AGENTMIXER.handoff_margin:g}; the paper's construction: Adam lr "
                f"{AGENTMIXER_PAPER.lr:g}, {AGENTMIXER_PAPER.iterations} steps; both executed at their "
                f"modes; MAGPO: reverse projection, eta {MAGPO.eta:g}, {MAGPO.iterations} iterations; "
                f"outcome = final value within {OUTCOME_TOL:g} of 11 / 7 / 6 / 5")


def judge(measured: Mapping[str, Mapping[str, Any]]) -> tuple[tuple[Check, ...], tuple[Verdict, ...]]:
    """Checks and verdicts from the measured numbers, keyed by check name (``basins`` for the basins)."""
    checks = [CHECKS["nash/pure"].check("nash/pure", measured["nash/pure"]),
              CHECKS["nash/all"].check("nash/all", measured["nash/all"])]
    for concept in ("ce", "cce"):
        name = f"{concept}/welfare_optimum"
        checks.append(CHECKS["optimum"].check(name, measured[name]))
        checks.append(CHECKS["vertices"].check(f"{concept}/vertices", measured[f"{concept}/vertices"]))
    basins_m = measured["basins"]
    checks.append(CHECKS["dynamics/basins"].check("dynamics/basins", basins_m, BASIN_DETAIL))
    verdicts = [rule.verdict(name, basins_m, assumptions=BASIN_DETAIL) for name, rule in CLAIMS.items()]
    return tuple(checks), tuple(verdicts)


def _plot(data: dict[str, object], out_dir: Path) -> list[Path]:
    """climbing_basins.png (final value per start and learner) and climbing_curves.png."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    x, y = data["starts_x"], data["starts_y"]
    assert isinstance(x, np.ndarray) and isinstance(y, np.ndarray)
    out_dir.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, len(LEARNERS), figsize=(17, 4), sharey=True)
    for ax, key in zip(axes, LEARNERS, strict=True):
        vals = np.asarray(data[key])
        sc = ax.scatter(x[:, 0] + 0.02 * y[:, 1], y[:, 0] + 0.02 * x[:, 1], c=vals, cmap="viridis",
                        vmin=5, vmax=11, s=25)
        ax.set_title(f"{key}: final value")
        ax.set_xlabel("pi_1(a1) (jittered by pi_2(b2))")
    axes[0].set_ylabel("pi_2(b1) (jittered by pi_1(a2))")
    fig.colorbar(sc, ax=axes, label="final value")
    basins_path = out_dir / "climbing_basins.png"
    fig.savefig(basins_path, dpi=100)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 4))
    curves = data["curves"]
    assert isinstance(curves, dict)
    for name, curve in curves.items():
        ax.plot(np.arange(len(curve)), curve, label=name)
    ax.set_xscale("symlog")
    ax.set_xlabel("iteration (MAGPO: outer iteration)")
    ax.set_ylabel("mean value over the 100 starts")
    ax.axhline(11, color="grey", ls=":", lw=1)
    ax.legend()
    curves_path = out_dir / "climbing_curves.png"
    fig.savefig(curves_path, dpi=100)
    plt.close(fig)
    return [basins_path, curves_path]


def run(out_dir: str | Path | None = None) -> ClaimResult:
    """The climbing game's verdicts and soundness checks; with ``out_dir`` also PNGs of the basins
    and the learning curves (if matplotlib is installed)."""
    game = climbing()
    data = basins(game)
    pure_m, all_m = _nash_measure(game)
    measured: dict[str, Mapping[str, Any]] = {"nash/pure": pure_m, "nash/all": all_m,
                                               "basins": basin_numbers(data)}
    for concept in ("ce", "cce"):
        measured[f"{concept}/welfare_optimum"] = _optimum_measure(game, concept)
        measured[f"{concept}/vertices"] = _vertex_measure(game, concept)
    checks, verdicts = judge(measured)
    if out_dir is not None:
        _plot(data, Path(out_dir))
    return ClaimResult("climbing", checks, verdicts)
