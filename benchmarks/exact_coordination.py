"""Which mechanism makes tabular AgentMixer coordinate? Exact study on four problems.

Mechanisms (all exact, :mod:`learners.exact.agentmixer`):

* ``paper``: the paper's construction, a product of per-agent modified marginals (Adam);
* ``paper + learned prior``: the same with K = 8 shared seeds ω and a learned seed distribution,
  executed with a shared seed (each seed starts at the problem's start plus N(0, 0.5²) logits);
* ``paper + lenient``: one-step games only: negative advantages R(a) − J scaled by 1 − 0.9 in the
  gradient (lenient learners, Panait et al. 2006), the optimistic reading of a miscoordination;
* ``coupled``: a correlated IGC joint over joint actions, trained by Adam or by exact soft policy
  iteration (npg), without or with mode hand-offs (:mod:`learners.exact.agentmixer_coupled`).

Problems: the climbing game and penalty(k = −100) from the 100-start grid of ``verify climbing``
(fraction of starts whose executed value is the optimum, 11 and 10), bridge crossing from 10 random
starts (fraction at the decentralized optimum −3) and Dec-Tiger h = 3 from the uniform start and 10
random ones (mean executed value; optimum 5.1908).

Usage: python benchmarks/exact_coordination.py   (a few minutes on 2 cores)
"""

from __future__ import annotations

import time

import numpy as np

from games.dec_pomdp.catalog import bridge_crossing, dec_tiger
from games.dec_pomdp.evaluation import evaluate
from games.dec_pomdp.model import DecPOMDP
from games.normal_form.catalog import climbing, penalty
from games.normal_form.game import NormalFormGame
from learners.exact.agentmixer import AgentMixerConfig, run_agentmixer, run_agentmixer_batch
from learners.exact.agentmixer_product import RATIO_CAP, ProductMixer
from learners.exact.gradients import Adam, softmax, softmax_vjp
from learners.exact.igc import DEFAULT_BASE_CAP, igc_modify, igc_modify_vjp, mode
from verification.climbing import simplex_grid

GRID_ITERATIONS = 3000
DEC_ITERATIONS = 300
PRIOR_SEEDS, PRIOR_ITERATIONS, PRIOR_NOISE = 8, 1000, 0.5
LENIENCY = 0.9

COUPLED = {
    "coupled, adam, no hand-off": AgentMixerConfig(optimizer="adam", handoff_margin=None),
    "coupled, npg, no hand-off": AgentMixerConfig(handoff_margin=None),
    "coupled, adam, hand-off": AgentMixerConfig(optimizer="adam"),
    "coupled, npg, hand-off (default)": AgentMixerConfig(),
}


def _grid() -> list[np.ndarray]:
    g = simplex_grid(6)
    return [np.log(np.repeat(g, len(g), axis=0)), np.log(np.tile(g, (len(g), 1)))]


def _lenient_batch(game: NormalFormGame, starts: list[np.ndarray], iterations: int) -> np.ndarray:
    """The paper's construction at ε = 0 fixed is independent softmax learners; here both α and ε
    are trained through the modifier as in run_agentmixer_batch, with lenient advantages."""
    reward = np.asarray(game.common_reward("lenient"), dtype=float)
    phi = [x.copy() for x in starts]
    eps = [np.zeros_like(z) for z in phi]
    opt = Adam(phi + eps, 0.1)
    caps = {"ratio_cap": RATIO_CAP, "base_cap": DEFAULT_BASE_CAP, "base": "scale"}
    for _ in range(iterations):
        alphas = [softmax(z) for z in phi]
        betas = [igc_modify(a, e, **caps) for a, e in zip(alphas, eps, strict=True)]
        joint = np.einsum("bi,bj->bij", betas[0], betas[1])
        value = np.einsum("bij,ij->b", joint, reward)
        adv = reward[None] - value[:, None, None]
        adv = np.where(adv > 0, adv, (1 - LENIENCY) * adv)
        qs = [np.einsum("bij,bj->bi", adv, betas[1]), np.einsum("bij,bi->bj", adv, betas[0])]
        back = [igc_modify_vjp(a, e, q, **caps) for a, e, q in zip(alphas, eps, qs, strict=True)]
        opt.ascend(phi + eps, [softmax_vjp(a, ga) for a, (ga, _) in zip(alphas, back, strict=True)]
                   + [ge for _, ge in back])
    alphas = [softmax(z) for z in phi]
    return reward[mode(alphas[0]), mode(alphas[1])]


def _prior_grid(game: NormalFormGame, starts: list[np.ndarray]) -> np.ndarray:
    """The paper's construction with a learned 8-seed prior, one start at a time."""
    model = DecPOMDP.from_normal_form(game)
    out = []
    for b in range(len(starts[0])):
        rng = np.random.default_rng(b)
        phi = [[[starts[i][b][None] + PRIOR_NOISE * rng.standard_normal((1, starts[i].shape[1]))]
                for i in range(2)] for _ in range(PRIOR_SEEDS)]
        mixer = ProductMixer(model, 1, phi, 0.1, learn_prior=True)
        for _ in range(PRIOR_ITERATIONS):
            mixer.step()
        reward = model.reward[0].reshape(game.num_actions)
        modes = mixer.modes()
        out.append(float(sum(p * reward[modes[w][0][0][0], modes[w][1][0][0]]
                             for w, p in enumerate(mixer.prior))))
    return np.array(out)


def one_step(game: NormalFormGame, optimum: float) -> dict[str, float]:
    starts = _grid()
    reached = {"paper": run_agentmixer_batch(game, AgentMixerConfig.paper(iterations=GRID_ITERATIONS), starts)
               .mode_values[-1],
               "paper + learned prior": _prior_grid(game, starts),
               "paper + lenient": _lenient_batch(game, starts, GRID_ITERATIONS)}
    for name, cfg in COUPLED.items():
        cfg = AgentMixerConfig(**{**cfg.__dict__, "iterations": GRID_ITERATIONS})
        reached[name] = run_agentmixer_batch(game, cfg, starts).mode_values[-1]
    return {k: float(np.mean(np.abs(v - optimum) < 0.1)) for k, v in reached.items()}


def dec(model: DecPOMDP, horizon: int, seeds: int, uniform: bool) -> dict[str, list[float]]:
    configs = {"paper": AgentMixerConfig.paper(),
               "paper + learned prior": AgentMixerConfig.paper(num_seeds=PRIOR_SEEDS, prior="learned"),
               **COUPLED}
    out = {}
    for name, base in configs.items():
        values = []
        for seed in ([-1] if uniform else []) + list(range(seeds)):
            init = {"init": "uniform"} if seed < 0 else {"init": "random", "seed": seed}
            cfg = AgentMixerConfig(**{**base.__dict__, "iterations": DEC_ITERATIONS, **init})
            res = run_agentmixer(model, cfg, horizon=horizon)
            values.append(evaluate(model, res.decentralized_policy(deterministic=True), horizon))
        out[name] = values
    return out


def main() -> None:
    t0 = time.perf_counter()
    climb = one_step(climbing(), 11.0)
    pen = one_step(penalty(-100.0), 10.0)
    bridge = dec(bridge_crossing(), 2, 10, uniform=False)
    tiger = dec(dec_tiger(), 3, 10, uniform=True)
    print(f"exact tabular AgentMixer, {GRID_ITERATIONS} steps on the grids, {DEC_ITERATIONS} on the "
          f"Dec-POMDPs ({time.perf_counter() - t0:.0f} s)\n")
    print("| mechanism | climbing: starts at 11 | penalty(k=-100): at 10 | bridge: seeds at -3 | "
          "Dec-Tiger h=3: uniform start | Dec-Tiger h=3: mean of 10 random starts |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in climb:
        b = bridge.get(name)
        t = tiger.get(name)
        cells = [f"{climb[name]:.2f}", f"{pen[name]:.2f}",
                 "n/a" if b is None else f"{sum(abs(v + 3) < 1e-9 for v in b)}/{len(b)}",
                 "n/a" if t is None else f"{t[0]:.3f}", "n/a" if t is None else f"{np.mean(t[1:]):.3f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
