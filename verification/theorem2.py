"""AgentMixer Theorem 2: the decentralized policy AgentMixer executes is an ε-correlated equilibrium.

For every instance (cooperative catalog games as one-step Dec-POMDPs, and the built-in
Dec-POMDPs) this trains, with exact updates and no sampling, tabular AgentMixer (its default, the
coupled IGC joint, from the uniform and a random start; the paper's construction from the uniform
start), independent decentralized learners (same starts) and AIL, and measures for each executed
decentralized policy φ its value V(φ) and exact ε-CE gap (Def. 3, :func:`ce.dec_gaps.dec_ce_gap`),
beside the exact decentralized optimum V*_dec (GMAA*-ICE) and, for AgentMixer, the trained joint
value J(π_θ), the identifiability KL (Def. 5) and the per-step divergences between π_θ and φ.

Verdicts:

* ``thm2/premise``: where the premise holds (J within ``JOINT_TOL`` of the fully observable
  optimum, identifiability KL ≤ ``KL_TOL``), AgentMixer's mode execution is an ε-CE with
  ε ≤ ``EPS_TOL``. Reproduced if it holds on every such instance (and there is one), refuted if
  some instance with the premise has a larger ε, not reproduced if no instance meets the premise.
* ``thm2/quantitative``: the bound derived in docs/claims/theorem2.md,

      ε_CE(φ) ≤ (V*_dec − J(π_θ)) + ΔR Σ_{u<H} (H − u) τ_u,
      τ_u = E_{(s,h) ~ ρ^φ_u} TV(π_θ,u(·|s,h), φ_u(·|h)),

  and its Pinsker form τ_u ≤ sqrt(D_u / 2) (D_u = E_{ρ^φ_u} KL(π_θ,u || φ_u), Def. 5 per step) for
  sampled execution, with ΔR the range of R. Reproduced if it holds for every AgentMixer policy
  on every instance (its tightness ε / bound is reported), refuted otherwise.
* ``thm2/executed_is_ce``: the stronger reading, that AgentMixer's executed modes are an ε-CE
  with ε ≤ ``EPS_TOL`` on every instance, premise or not (reported for the default construction).
* ``defs/gap_ordering``: Defs. 1-3 on Dec-POMDP policies: ε_NE = ε_CCE = ε_CE for product
  (decentralized) policies and ε_CCE ≤ ε_CE for correlated ones, on seeded random Dec-POMDPs.

Soundness check per instance: 0 ≤ ε_CE(φ) ≤ V*_dec − V(φ) for every learner's executed φ (a
recommendation-aware deviation of one agent is itself a decentralized policy, which cannot beat
V*_dec), tying the best-response DP to the optimal planner; and J(π_θ) ≤ V*_MMDP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ce.dec_gaps import dec_cce_gap, dec_ce_gap, dec_nash_gap
from ce.planning import solve_mmdp, solve_optimal
from games.dec_pomdp.catalog import bridge_crossing, bridge_crossing_observed, dec_tiger, random_dpomdp
from games.dec_pomdp.model import DecPOMDP
from games.dec_pomdp.policies import CorrelatedPolicy, StochasticPolicy
from games.normal_form.catalog import climbing, coordination, penalty, sum_to_ten
from learners.exact.agentmixer import (
    AgentMixerConfig,
    AgentMixerResult,
    joint_divergences,
    joint_identifiability,
    run_agentmixer,
)
from learners.exact.ail import run_ail
from learners.exact.decentralized import DecentralizedConfig, run_decentralized
from verification.result import Check, ClaimResult, ClaimRule, Rule, Verdict

__all__ = ["CHECKS", "CLAIMS", "EPS_TOL", "INSTANCES", "KL_TOL", "Instance", "bounds", "gap_ordering",
           "judge", "measure", "run"]

EPS_TOL = 1e-6
"""ε-CE gap counted as 0 (the executed modes are deterministic: gaps are exact differences)."""
KL_TOL = 0.05
"""Identifiability KL under which the trained joint counts as executed (Thm 2's premise)."""
JOINT_TOL = 0.01
"""J(π_θ) within this of the fully observable (MMDP) optimum counts as an optimal joint."""
BOUND_SLACK = 1e-9
ITERATIONS = 150
"""Training steps of every learner (the coupled joint's soft policy iteration settles within them)."""
AGENTMIXERS = ("agentmixer_uniform", "agentmixer_random", "agentmixer_paper_uniform")
"""The AgentMixer runs per instance: the default from the uniform and a random start, the paper's
construction from the uniform start."""


@dataclass(frozen=True)
class Instance:
    name: str
    build: Callable[[], DecPOMDP]
    horizon: int


INSTANCES: tuple[Instance, ...] = (
    Instance("climbing", lambda: DecPOMDP.from_normal_form(climbing()), 1),
    Instance("penalty", lambda: DecPOMDP.from_normal_form(penalty()), 1),
    Instance("coordination", lambda: DecPOMDP.from_normal_form(coordination()), 1),
    Instance("sum_to_10", lambda: DecPOMDP.from_normal_form(sum_to_ten()), 1),
    Instance("bridge_crossing", bridge_crossing, 2),
    Instance("bridge_crossing_observed", bridge_crossing_observed, 2),
    Instance("dec_tiger_h2", dec_tiger, 2),
    Instance("dec_tiger_h3", dec_tiger, 3),
)


def bounds(model: DecPOMDP, result: AgentMixerResult, dec_optimum: float) -> dict[str, float]:
    """The quantitative Theorem 2 bounds for mode and sampled execution (module docstring)."""
    h = result.horizon
    spread = float(model.reward.max() - model.reward.min())
    weights = np.arange(h, 0, -1, dtype=float)                # H - u for u = 0..H-1
    d = joint_divergences(model, result)
    base = dec_optimum - result.final_joint_value
    return {"bound_mode": base + spread * float(weights @ np.array(d["tv_mode"])),
            "bound_sampled": base + spread * float(weights @ np.array(d["tv_sampled"])),
            "bound_sampled_pinsker": base + spread * float(weights @ np.sqrt(np.array(d["kl_sampled"]) / 2))}


def measure(inst: Instance, iterations: int = ITERATIONS) -> dict[str, float]:
    """Every learner's executed value and ε-CE gap on ``inst`` (keys: docs/claims/theorem2.md)."""
    model, h = inst.build(), inst.horizon
    out: dict[str, float] = {"dec_optimum": float(solve_optimal(model, h).value),
                             "mmdp_optimum": float(solve_mmdp(model, h).value)}

    def gap(policy: object) -> float:
        return float(dec_ce_gap(model, policy, horizon=h).epsilon)  # type: ignore[arg-type]

    configs = {"agentmixer_uniform": AgentMixerConfig(iterations=iterations, record_every=iterations),
               "agentmixer_random": AgentMixerConfig(iterations=iterations, init="random",
                                                     record_every=iterations),
               "agentmixer_paper_uniform": AgentMixerConfig.paper(iterations=iterations,
                                                                  record_every=iterations)}
    for tag, cfg in configs.items():
        am = run_agentmixer(model, cfg, horizon=h)
        out[f"{tag}/joint"] = am.final_joint_value
        out[f"{tag}/mode"] = am.mode_values[-1]
        out[f"{tag}/mode_eps"] = gap(am.decentralized_policy(deterministic=True))
        out[f"{tag}/sampled"] = am.sampled_values[-1]
        out[f"{tag}/sampled_eps"] = gap(am.decentralized_policy())
        out[f"{tag}/kl"] = joint_identifiability(model, am)
        out.update({f"{tag}/{k}": v for k, v in bounds(model, am, out["dec_optimum"]).items()})
    for init in ("uniform", "random"):
        ind = run_decentralized(model, DecentralizedConfig(iterations=iterations, init=init), horizon=h)
        out[f"independent_{init}"] = ind.final_value
        out[f"independent_{init}_eps"] = gap(ind.policy)
    ail = run_ail(model, horizon=h)
    out["ail"] = ail.final_value
    out["ail_eps"] = gap(ail.student.policy)
    return out


def _pairs(m: Mapping[str, float]) -> list[tuple[float, float]]:
    """(value, ε) of every executed policy."""
    pairs = [(m["ail"], m["ail_eps"])]
    pairs += [(m[f"independent_{i}"], m[f"independent_{i}_eps"]) for i in ("uniform", "random")]
    for tag in AGENTMIXERS:
        pairs += [(m[f"{tag}/mode"], m[f"{tag}/mode_eps"]), (m[f"{tag}/sampled"], m[f"{tag}/sampled_eps"])]
    return pairs


def premise(m: Mapping[str, float], tag: str = "agentmixer_uniform") -> bool:
    """Theorem 2's premise for one AgentMixer run (``tag``): an optimal joint that is what is executed."""
    return m[f"{tag}/kl"] <= KL_TOL and m["mmdp_optimum"] - m[f"{tag}/joint"] <= JOINT_TOL


def bound_ratios(m: Mapping[str, float]) -> list[tuple[float, float]]:
    """(ε, bound) for every AgentMixer execution and bound form on one instance."""
    out = []
    for tag in AGENTMIXERS:
        out += [(m[f"{tag}/mode_eps"], m[f"{tag}/bound_mode"]),
                (m[f"{tag}/sampled_eps"], m[f"{tag}/bound_sampled"]),
                (m[f"{tag}/sampled_eps"], m[f"{tag}/bound_sampled_pinsker"])]
    return out


CHECKS: dict[str, Rule] = {
    "bound": Rule(
        "0 <= eps_CE(φ) <= V*_dec - V(φ) for every learner's executed φ, and J(π_θ) <= V*_MMDP",
        lambda m: all(-BOUND_SLACK <= eps <= m["dec_optimum"] - v + BOUND_SLACK for v, eps in _pairs(m))
        and all(m[f"{t}/joint"] <= m["mmdp_optimum"] + BOUND_SLACK for t in AGENTMIXERS),
        "a recommendation-aware deviation of one agent is itself a decentralized policy: the "
        "best-response DP and the optimal planner must agree on this bound"),
}


def _premise_verdict(m: Mapping[str, Any]) -> str:
    if m["premise_runs"] == 0:
        return "not reproduced"
    return "reproduced" if m["max_eps_under_premise"] <= EPS_TOL else "refuted"


CLAIMS: dict[str, ClaimRule] = {
    "thm2/premise": ClaimRule(
        statement="Theorem 2: if the joint policy is optimal and identifiable, the executed "
                  "decentralized policy is an ε-correlated equilibrium (ε = 0 in the limit)",
        criterion=f"over the AgentMixer runs (both constructions) with J >= V*_MMDP - {JOINT_TOL} and "
                  f"KL <= {KL_TOL}: reproduced if every mode execution has eps <= {EPS_TOL:g}, refuted if "
                  "one has more, not reproduced if no run meets the premise",
        decide=_premise_verdict),
    "thm2/quantitative": ClaimRule(
        statement="quantitative Theorem 2 (derived in docs/claims/theorem2.md): eps_CE(φ) <= "
                  "(V*_dec - J) + ΔR Σ_u (H - u) E_ρφ TV(π_u, φ_u) <= (V*_dec - J) + ΔR Σ_u (H - u) "
                  "sqrt(D_u / 2)",
        criterion="reproduced if eps <= bound + 1e-9 for every AgentMixer execution on every "
                  "instance, else refuted; max_ratio = max eps / bound over positive bounds (tightness)",
        decide=lambda m: "reproduced" if m["violations"] == 0 else "refuted"),
    "thm2/executed_is_ce": ClaimRule(
        statement="AgentMixer's executed (mode) policy is an exact correlated equilibrium on every "
                  "instance, whether or not the premise of Theorem 2 holds",
        criterion=f"reproduced if max eps over instances <= {EPS_TOL:g} (the default construction, "
                  "both starts), else not reproduced (the theorem does not promise it)",
        decide=lambda m: "reproduced" if m["max_mode_eps"] <= EPS_TOL else "not reproduced"),
    "defs/gap_ordering": ClaimRule(
        statement="Defs. 1-3 nest on Dec-POMDP policies: for a product policy eps_NE = eps_CCE = eps_CE; "
                  "for a correlated one eps_CCE <= eps_CE (every CE is a CCE)",
        criterion="reproduced if no violation beyond 1e-9 on the random instances, else refuted",
        decide=lambda m: "reproduced" if m["violations"] == 0 else "refuted",
        assumptions="seeded random Dec-POMDPs (2 agents, 2 states, 2 actions, 2 observations, "
                    "horizon 2 and 3); random product policies and 2-seed correlated policies"),
}


def gap_ordering(seeds: int = 6, tol: float = 1e-9) -> dict[str, float]:
    """ε_NE, ε_CCE and ε_CE of random product and correlated policies on random Dec-POMDPs."""
    violations, cases, widest = 0, 0, 0.0
    for seed in range(seeds):
        h = 2 + seed % 2
        model = random_dpomdp(states=2, seed=seed, horizon=h)
        pols = [StochasticPolicy.random(model.num_actions, model.num_observations, h, 100 + seed + k)
                for k in range(2)]
        prod = pols[0]
        ne, cce, ce = (f(model, prod).epsilon for f in (dec_nash_gap, dec_cce_gap, dec_ce_gap))
        violations += int(abs(ne - cce) > tol) + int(abs(ce - cce) > tol)
        corr = CorrelatedPolicy(np.array([0.3, 0.7]), tuple(pols))
        ccor, cecor = dec_cce_gap(model, corr).epsilon, dec_ce_gap(model, corr).epsilon
        violations += int(ccor > cecor + tol)
        widest = max(widest, cecor - ccor)
        cases += 2
    return {"policies": cases, "violations": violations, "max_ce_minus_cce_correlated": widest}


def judge(instances: tuple[Instance, ...], data: list[Mapping[str, float]],
          ordering: Mapping[str, float]) -> tuple[tuple[Check, ...], tuple[Verdict, ...]]:
    checks = tuple(CHECKS["bound"].check(f"{inst.name}/h{inst.horizon}", m)
                   for inst, m in zip(instances, data, strict=True))
    under = [(f"{i.name}:{tag.removeprefix('agentmixer_')}", m[f"{tag}/mode_eps"])
             for i, m in zip(instances, data, strict=True) for tag in AGENTMIXERS if premise(m, tag)]
    prem = {"premise_runs": len(under), "which": " ".join(n for n, _ in under) or "none",
            "max_eps_under_premise": max((e for _, e in under), default=0.0)}
    pairs = [p for m in data for p in bound_ratios(m)]
    quant = {"executions": len(pairs), "violations": sum(e > b + BOUND_SLACK for e, b in pairs),
             "max_ratio": max((e / b for e, b in pairs if b > BOUND_SLACK), default=0.0),
             "min_slack": min(b - e for e, b in pairs)}
    executed = {"instances": len(data),
                "max_mode_eps": max(max(m["agentmixer_uniform/mode_eps"], m["agentmixer_random/mode_eps"])
                                    for m in data),
                "max_paper_mode_eps": max(m["agentmixer_paper_uniform/mode_eps"] for m in data)}
    verdicts = (CLAIMS["thm2/premise"].verdict("thm2/premise", prem),
                CLAIMS["thm2/quantitative"].verdict("thm2/quantitative", quant),
                CLAIMS["thm2/executed_is_ce"].verdict("thm2/executed_is_ce", executed),
                CLAIMS["defs/gap_ordering"].verdict("defs/gap_ordering", ordering))
    return checks, verdicts


def _plot(names: list[str], data: list[dict[str, float]], out_dir: Path) -> Path | None:
    """theorem2_values.png: executed values (bars) against the exact optima, ε-CE on top."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    series = (("AgentMixer (mode)", "agentmixer_uniform/mode"),
              ("AgentMixer paper (mode)", "agentmixer_paper_uniform/mode"),
              ("independent", "independent_uniform"), ("AIL", "ail"))
    cols = (len(names) + 1) // 2
    fig, axes = plt.subplots(2, cols, figsize=(2.8 * cols, 6.4), squeeze=False)
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    for ax, name, m in zip(axes.ravel(), names, data, strict=False):
        for j, (label, key) in enumerate(series):
            eps = m[f"{key}_eps"]
            ax.bar(j, m[key], color=f"C{j}", label=label)
            ax.annotate(f"ε={eps:.2g}", (j, m[key]), ha="center", va="bottom", fontsize=7)
        ax.axhline(m["dec_optimum"], color="k", lw=1, label="V*_dec")
        ax.axhline(m["mmdp_optimum"], color="grey", ls=":", lw=1, label="V*_MMDP")
        ax.set_title(name, fontsize=8)
        ax.set_xticks([])
    axes[0, 0].legend(fontsize=6, loc="lower left")
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "theorem2_values.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def run(iterations: int = ITERATIONS, instances: tuple[Instance, ...] = INSTANCES,
        out_dir: str | Path | None = None, ordering_seeds: int = 6) -> ClaimResult:
    """Theorem 2's verdicts and soundness checks on every instance (module docstring); with
    ``out_dir`` also a PNG of the executed values against the exact optima."""
    data = [measure(inst, iterations) for inst in instances]
    if out_dir is not None:
        _plot([f"{i.name} h{i.horizon}" for i in instances], data, Path(out_dir))
    return ClaimResult("theorem2", *judge(instances, data, gap_ordering(ordering_seeds)))
