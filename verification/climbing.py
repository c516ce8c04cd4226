"""The climbing game (Claus & Boutilier 1998), studied analytically and against learning dynamics.

R = [[11, −30, 0], [−30, 7, 6], [0, 0, 5]] is paid to both agents (welfare = 2R):

* ``nash/pure`` and ``nash/all``: the pure NE are exactly (a1, b1) (11 each) and (a2, b2) (7 each);
  support enumeration finds those and one mixed NE, x = y = (5/16, 0, 11/16), worth 55/16 each.
* ``ce/welfare_optimum`` and ``cce/welfare_optimum``: the welfare-maximising CE and CCE put all mass
  on (a1, b1): welfare 22.
* ``ce/vertices`` and ``cce/vertices``: the vertices of {μ ≥ 0, Σμ = 1, Aμ ≤ 0} ⊂ R^9 enumerated
  exactly as basic feasible solutions (every choice of 8 of the incentive rows and the 9
  nonnegativity rows, solved with Σμ = 1, batched; singularity decided exactly by the integer
  determinant): their count and the max/min welfare over vertices, cross-checked against the
  welfare LP (max) and the negated-welfare LP (min).
* ``dynamics/basins``: from a product grid of full-support initialisations (resolution 1/6 on each
  agent's simplex: 10 × 10 = 100 starts), the fraction of starts from which exact independent
  softmax gradient ascent (:mod:`learners.exact.independent`), tabular AgentMixer
  (:func:`learners.exact.agentmixer.run_agentmixer_batch`, value of the executed mode) and tabular
  MAGPO with the reverse projection (:func:`learners.exact.run_magpo`) end at value 11, 7, 6 (the
  non-equilibrium plateau (a2, b3)), 5 or elsewhere. The measured truth: independent learners
  reach the optimum 11 from a strict minority of starts (0.15 of them; 0.42 reach (a2, b2) = 7 and
  0.43 are still on the (a2, b3) plateau after 3000 steps), AgentMixer from 0.22 (0.64 reach 7,
  0.10 still at 6 after 3000 Adam steps), reverse MAGPO from 0.16 (0.84 reach 7). With one state
  and no shared seed, AgentMixer's joint policy is a product of mode-pinned marginals: it cannot
  express the correlation the climbing game would need to escape (a2, b2).
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np

from ce import incentive_constraints, pure_nash_equilibria, solve_cce, solve_ce, support_enumeration
from games.normal_form.catalog import climbing
from games.normal_form.game import NormalFormGame
from learners.exact import MagpoConfig, run_magpo
from learners.exact.agentmixer import AgentMixerConfig, run_agentmixer_batch
from learners.exact.independent import IndependentConfig, run_independent_batch
from verification.result import Check, ClaimResult

__all__ = ["basins", "polytope_vertices", "run", "simplex_grid"]

TOL = 1e-9
OUTCOMES = (11.0, 7.0, 6.0, 5.0)
"""Values whose basins are reported (11: (a1, b1), 7: (a2, b2), 6: (a2, b3), 5: (a3, b3)); the rest is
"other". Only 11 and 7 are NE: softmax gradient ascent lingers for thousands of steps near the
non-equilibrium vertex (a2, b3) (the escaping action's probability, hence its gradient, is tiny)."""
OUTCOME_TOL = 0.1
INDEPENDENT = IndependentConfig(lr=0.5, iterations=3000, tol=1e-10)
MAGPO = MagpoConfig(eta=1.0, projection="reverse", iterations=30)
AGENTMIXER = AgentMixerConfig(iterations=3000, lr=0.1)
LEARNERS = ("independent", "agentmixer", "magpo")


def polytope_vertices(game: NormalFormGame, concept: str = "ce", tol: float = TOL) -> np.ndarray:
    """All vertices of {μ ≥ 0, Σμ = 1, Aμ ≤ 0} (A: the ``concept`` incentive rows), shape (V, |A|).

    A vertex is a basic feasible solution: n − 1 linearly independent inequality rows (of the
    incentive rows and −I) held with equality, together with Σμ = 1 (n = |A| columns). Every
    choice of n − 1 rows is solved at once (batched ``np.linalg.solve`` on the nonsingular ones;
    with integer payoff differences, as in the climbing game, singularity is decided exactly by
    |det| ≥ 1, else by the singular values); the feasible solutions (violations ≤ ``tol`` times the
    row's scale) are deduplicated by rounding, and the deduplication is verified unambiguous.
    """
    a = incentive_constraints(game, concept).matrix().toarray()
    n = a.shape[1]
    rows = np.vstack([a, -np.eye(n)])                      # all inequalities: rows @ μ <= 0
    scale = np.abs(rows).max(axis=1)
    count = math.comb(len(rows), n - 1)
    combos = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(len(rows)), n - 1)),
                         dtype=np.intp, count=count * (n - 1)).reshape(count, n - 1)
    mats = np.empty((count, n, n))
    mats[:, :-1] = rows[combos]
    mats[:, -1] = 1.0
    if np.array_equal(rows, np.round(rows)):
        ok = np.abs(np.linalg.det(mats)) >= 0.5            # integer matrices: |det| is 0 or >= 1
    else:
        sv = np.linalg.svd(mats, compute_uv=False)
        ok = sv[:, -1] > 1e-9 * sv[:, 0]
    rhs = np.zeros(n)
    rhs[-1] = 1.0
    sols = np.linalg.solve(mats[ok], np.broadcast_to(rhs, (int(ok.sum()), n))[..., None])[..., 0]
    feasible = np.all(sols @ rows.T <= tol * scale, axis=1)
    sols = np.clip(sols[feasible], 0.0, None)
    sols /= sols.sum(axis=1, keepdims=True)
    _, first, inverse = np.unique(np.round(sols / (1e3 * tol)).astype(np.int64), axis=0,
                                  return_index=True, return_inverse=True)
    verts = sols[first]
    # the rounding must merge exactly the coincident solutions: each solution lies within tol of a
    # vertex and distinct vertices are far apart
    near = np.abs(sols - verts[inverse.ravel()]).max(axis=1)
    apart = np.abs(verts[:, None, :] - verts[None, :, :]).max(axis=2) + np.eye(len(verts))
    if not (np.all(near <= tol) and np.all(apart > 1e4 * tol)):
        raise ArithmeticError("vertex deduplication is ambiguous at this tolerance")
    return verts[np.lexsort(verts.T[::-1])]


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
    """Final values of independent learners, tabular AgentMixer (executed at its mode) and
    reverse-MAGPO over the product grid of starts, with the mean learning curves."""
    grid = simplex_grid(resolution)
    x = np.repeat(grid, len(grid), axis=0)
    y = np.tile(grid, (len(grid), 1))
    ind = run_independent_batch(game, INDEPENDENT, [np.log(x), np.log(y)])
    am = run_agentmixer_batch(game, AGENTMIXER, [np.log(x), np.log(y)])
    mags = [run_magpo(game, MAGPO, init=(p, q)) for p, q in zip(x, y, strict=True)]
    mag = np.array([m.final_value for m in mags])
    finals = {"independent": ind.final_values, "agentmixer": am.mode_values[-1], "magpo": mag}
    return {"starts_x": x, "starts_y": y, **finals,
            "independent_gradient": ind.gradient_norm,
            "agentmixer_joint": am.joint_values[-1],
            "curves": {"independent": ind.values.mean(axis=1),
                       "agentmixer (mode)": am.mode_values.mean(axis=1),
                       "agentmixer (joint)": am.joint_values.mean(axis=1),
                       "magpo": _padded_mean([m.learner_values for m in mags])},
            **{f"{k}_fractions": _classify(v) for k, v in finals.items()}}


def _nash_checks(game: NormalFormGame) -> list[Check]:
    pure = pure_nash_equilibria(game)
    r = game.payoffs[0]
    pure_values = [float(r[a]) for a in pure]
    ne = sorted(support_enumeration(game), key=lambda e: -e.welfare)
    mixed = [e for e in ne if max(len(s) for s in e.supports) > 1]
    expected_mixed = np.array([5 / 16, 0, 11 / 16])
    mixed_ok = len(mixed) == 1 and all(np.allclose(s, expected_mixed, atol=1e-12)
                                       for s in mixed[0].strategies)
    return [
        Check(
            name="nash/pure",
            passed=pure == [(0, 0), (1, 1)] and pure_values == [11.0, 7.0],
            measured={"pure_ne": "; ".join(game.joint_action_name(a) for a in pure),
                      "values": ", ".join(f"{v:g}" for v in pure_values),
                      "welfare": ", ".join(f"{2 * v:g}" for v in pure_values)},
            expected="exactly (a1,b1) with 11 each and (a2,b2) with 7 each",
            detail="every agent's best-response mask of the common payoff R",
        ),
        Check(
            name="nash/all",
            passed=len(ne) == 3 and mixed_ok and [round(e.welfare, 12) for e in ne] == [22.0, 14.0, 6.875],
            measured={"count": len(ne), "welfare": ", ".join(f"{e.welfare:.10g}" for e in ne),
                      "mixed": "; ".join(str(np.round(e.strategies[0], 6).tolist()) for e in mixed)},
            expected="3 NE: (a1,b1) 22, (a2,b2) 14, mixed x = y = (5/16, 0, 11/16) with welfare 55/8",
            detail="support enumeration (nondegenerate: no witness raised), welfare = sum of both payoffs",
        ),
    ]


def _optimum_checks(game: NormalFormGame) -> list[Check]:
    out = []
    for concept, solve in (("ce", solve_ce), ("cce", solve_cce)):
        res = solve(game)
        mass = float(res.distribution[0, 0])
        out.append(Check(
            name=f"{concept}/welfare_optimum",
            passed=abs(res.welfare - 22.0) <= 1e-6 and mass >= 1 - 1e-6,
            measured={"welfare": res.welfare, "mass_on_a1_b1": mass, "gap": res.gap.epsilon},
            expected="welfare 22 with all mass on (a1,b1)",
            detail=f"welfare-maximising {concept.upper()} LP (HiGHS)",
        ))
    return out


def _vertex_checks(game: NormalFormGame) -> list[Check]:
    out = []
    w = game.welfare.ravel()
    for concept, solve in (("ce", solve_ce), ("cce", solve_cce)):
        verts = polytope_vertices(game, concept)
        vw = verts @ w
        lp_max = solve(game).welfare
        lp_min = -solve(game, "linear", weights=-game.welfare).objective_value
        pure = int(np.sum(verts.max(axis=1) > 1 - TOL))
        out.append(Check(
            name=f"{concept}/vertices",
            passed=abs(vw.max() - 22.0) <= 1e-9 and abs(vw.max() - lp_max) <= 1e-6
            and abs(vw.min() - lp_min) <= 1e-6,
            measured={"vertices": len(verts), "pure_vertices": pure, "max_welfare": float(vw.max()),
                      "min_welfare": float(vw.min()), "lp_max": lp_max, "lp_min": lp_min},
            expected="max vertex welfare = 22 = LP max; min vertex welfare = LP min (within 1e-6)",
            detail=f"basic feasible solutions of the {concept.upper()} polytope in R^9, enumerated by "
                   "solving every choice of 8 active inequalities with sum = 1",
        ))
    return out


def _basin_check(data: dict[str, object]) -> Check:
    fr = {k: data[f"{k}_fractions"] for k in LEARNERS}
    sums_ok = all(abs(sum(f.values()) - 1) <= 1e-12 for f in fr.values())  # type: ignore[attr-defined]
    measured: dict[str, float | str] = {"starts": len(data["independent"])}  # type: ignore[arg-type]
    for k, f in fr.items():
        measured.update({f"{k}_{o}": v for o, v in f.items()})  # type: ignore[attr-defined]
    measured["independent_max_final_gradient"] = float(data["independent_gradient"].max())  # type: ignore[union-attr]
    return Check(
        name="dynamics/basins",
        passed=sums_ok and fr["independent"]["11"] < 0.5,  # type: ignore[index]
        measured=measured,
        expected="fractions sum to 1 per learner; independent learners reach 11 from < 0.5 of starts",
        detail=(f"product grid of full-support starts (1/6 resolution per simplex); independent: "
                f"lr {INDEPENDENT.lr:g}, {INDEPENDENT.iterations} exact gradient steps; "
                f"AgentMixer: Adam lr {AGENTMIXER.lr:g}, {AGENTMIXER.iterations} exact "
                f"steps, K = 1, value of the executed mode; MAGPO: reverse projection, eta "
                f"{MAGPO.eta:g}, {MAGPO.iterations} iterations; outcome = final value within "
                f"{OUTCOME_TOL:g} of 11 / 7 / 6 / 5 (6 and 5 are not NE: slow plateaus)"),
    )


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
    fig, axes = plt.subplots(1, len(LEARNERS), figsize=(13, 4), sharey=True)
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
    """All checks of the climbing-game claim; with ``out_dir`` also PNGs of the basins and the
    learning curves (if matplotlib is installed)."""
    game = climbing()
    data = basins(game)
    checks = [*_nash_checks(game), *_optimum_checks(game), *_vertex_checks(game), _basin_check(data)]
    if out_dir is not None:
        _plot(data, Path(out_dir))
    return ClaimResult("climbing", tuple(checks))
