"""Mixed Nash equilibria of small N-player games: support enumeration with a polynomial solve.

For each profile of supports S_1, ..., S_N, an equilibrium with exactly these supports makes each
player indifferent among its support actions:

    u_i(a, σ_-i) = u_i(a_0, σ_-i)   for every player i and a ∈ S_i \\ {a_0},

a square system in the free probabilities (σ_j(a) for a ∈ S_j \\ {a_0}, σ_j(a_0) = 1 - Σ) that is
multilinear: player i's equations have degree one in each other player's strategy and none in its
own. Its isolated roots are found by homotopy continuation (:mod:`ce.homotopy`) from a start system
with the same multihomogeneous structure, G_{i,a} = Π_{j≠i} ℓ_{i,a,j}(σ_j) with random complex
linear forms ℓ: choosing one vanishing factor per equation, so that player j's strategy is
pinned by exactly |S_j| - 1 of them, gives the start roots, as many as the multihomogeneous
Bézout number (for 2x2x2 games, 2: McKelvey & McLennan, "The maximal number of regular totally
mixed Nash equilibria", J. Econ. Theory 72, 1997). Real roots with σ >= 0 on the supports and no
better pure deviation outside them are equilibria (Porter, Nudelman & Shoham, "Simple search
methods for finding a Nash equilibrium", Games Econ. Behav. 63, 2008, use the same feasibility
program); each is polished by Newton's method and certified by its exact ε-NE gap. Supports on
which some action is conditionally strictly dominated are skipped.

In a generic (nondegenerate) game every equilibrium is a regular root of its support's system,
so the list is complete with probability one. A support whose indifference equations vanish
identically, or a path ending at a singular root, shows degeneracy: equilibria may then form
continua, and the list holds the isolated ones found.
"""

from __future__ import annotations

import itertools
import string
from dataclasses import dataclass, field

import numpy as np

from ce.errors import SolverError
from ce.gaps import ne_gap
from ce.homotopy import MAX_STEP, PathResult, System, suspicious_paths, track
from ce.nash_types import DEDUP_ATOL
from games.normal_form.game import NormalFormGame

__all__ = ["NPlayerEquilibria", "mixed_equilibria"]

CERTIFY_RTOL = 1e-9
"""A profile is returned only if its ε-NE gap is at most this times each player's payoff range."""
IMAG_TOL = 1e-6
"""Roots whose imaginary part exceeds this (relative to 1 + |z|) are not real."""
SUPPORT_TOL = 1e-9
"""Probabilities in [-SUPPORT_TOL, 0) are rounding; below that a root is outside the simplex."""
NEAR_SIMPLEX = 1e-3
"""Real roots farther than this outside the probability simplex are discarded before polishing."""
SINGULAR_COND = 1e10
"""A root whose Jacobian has condition number above this is singular (degeneracy)."""
MAX_SUPPORT_PROFILES = 100_000
"""Games with more support profiles than this are refused (the work grows with their number)."""
DOMINANCE_MARGIN = 1e-12
"""An action is conditionally dominated when another beats it by more than this (normalised
payoffs) against every opponents' profile of the supports."""
RETRACK_ATTEMPTS = 2
"""Systems whose paths look wrong (failed, or two ending at one root) are re-tracked this often,
each time with a quarter of the previous largest step."""
NEWTON_POLISH_STEPS = 8
"""At most this many Newton steps polish a real root (they stop once a step is below 1e-15)."""
_AXES = "".join(c for c in string.ascii_lowercase if c not in "pa")


@dataclass(frozen=True)
class NPlayerEquilibria:
    """Equilibria of an N-player game found by :func:`mixed_equilibria`.

    Attributes:
        strategies: one tuple of mixed strategies per equilibrium.
        degenerate: evidence of degeneracy was found (see the module doc): the list may miss
            continua of equilibria.
        supports_solved: the number of support profiles whose systems were solved.
        paths: the number of homotopy paths tracked; ``failed_paths`` of them did not finish.
        notes: what was seen (degenerate supports, failed paths).
    """

    strategies: tuple[tuple[np.ndarray, ...], ...]
    degenerate: bool
    supports_solved: int
    paths: int
    failed_paths: int
    notes: tuple[str, ...] = field(default=())


def _normalised(game: NormalFormGame) -> np.ndarray:
    flat = game.payoffs.reshape(game.num_players, -1)
    lo, span = flat.min(axis=1), np.ptp(flat, axis=1)
    span = np.where(span > 0, span, 1.0)
    shape = (-1,) + (1,) * game.num_players
    return (game.payoffs - lo.reshape(shape)) / span.reshape(shape)


def _dominated(pay: np.ndarray, supports: tuple[tuple[int, ...], ...]) -> bool:
    """Some support action is strictly worse than another action against every S_-i profile."""
    for i, s_i in enumerate(supports):
        sub = np.moveaxis(pay[i], i, 0)[np.ix_(range(pay.shape[i + 1]),
                                               *[s for j, s in enumerate(supports) if j != i])]
        sub = sub.reshape(pay.shape[i + 1], -1)
        for a in s_i:
            if np.any(np.all(sub > sub[a] + DOMINANCE_MARGIN, axis=1)):
                return True
    return False


def _assignments(groups: list[list[int]], capacity: dict[int, int]) -> list[list[int]]:
    """Choices of one group per equation (from its allowed ``groups``) using each group j exactly
    ``capacity[j]`` times."""
    out: list[list[int]] = []
    left = dict(capacity)

    def rec(k: int, chosen: list[int]) -> None:
        if k == len(groups):
            if all(v == 0 for v in left.values()):
                out.append(list(chosen))
            return
        for j in groups[k]:
            if left[j] > 0:
                left[j] -= 1
                chosen.append(j)
                rec(k + 1, chosen)
                chosen.pop()
                left[j] += 1

    rec(0, [])
    return out


class _SupportBatch:
    """The indifference systems of all support profiles with one tuple of support sizes.

    Unknowns are homogeneous: player j's strategy on its support is a vector σ_j ∈ C^{|S_j|}
    normalised by a random complex linear equation c_j·σ_j = 1 (an affine patch of projective
    space) instead of Σσ_j = 1, so that roots with Σσ_j = 0 (at infinity in the probability
    chart) stay finite and no path diverges; σ_j / Σσ_j is the strategy at the end.
    """

    def __init__(self, pay: np.ndarray, profiles: list[tuple[tuple[int, ...], ...]],
                 rng: np.random.Generator) -> None:
        self.n = pay.shape[0]
        self.sizes = tuple(len(s) for s in profiles[0])
        self.free = [j for j in range(self.n) if self.sizes[j] > 1]
        self.offset = {}
        d = 0
        for j in self.free:
            self.offset[j] = d
            d += self.sizes[j]
        self.dim = d
        # diff[i]: (B, k_i - 1, *sizes of all players but i): u_i(S_i[a]) - u_i(S_i[0]) on S_-i
        self.diff = []
        for i in range(self.n):
            blocks = []
            for prof in profiles:
                sub = np.moveaxis(pay[i][np.ix_(*prof)], i, 0)
                blocks.append(sub[1:] - sub[:1])
            self.diff.append(np.stack(blocks))
        self.eqs = [(i, a) for i in self.free for a in range(self.sizes[i] - 1)]
        self.forms = {(i, a, j): _complex_normal(rng, self.sizes[j])
                      for i, a in self.eqs for j in self.free if j != i}
        self.patch = {j: _complex_normal(rng, self.sizes[j]) for j in self.free}

    def _block(self, z: np.ndarray, j: int) -> np.ndarray:
        return z[:, self.offset[j]:self.offset[j] + self.sizes[j]]

    def sigmas(self, z: np.ndarray) -> list[np.ndarray]:
        """Homogeneous σ_j per player (a column of ones for players with one support action)."""
        return [self._block(z, j) if j in self.offset else np.ones((z.shape[0], 1), dtype=z.dtype)
                for j in range(self.n)]

    def _patch_rows(self, z: np.ndarray, patch: dict[int, np.ndarray], vals: np.ndarray,
                    jac: np.ndarray) -> None:
        for r, j in enumerate(self.free, start=len(self.eqs)):
            vals[:, r] = self._block(z, j) @ patch[j] - 1.0
            jac[:, r, self.offset[j]:self.offset[j] + self.sizes[j]] = patch[j]

    def target(self, which: np.ndarray, patch: dict[int, np.ndarray] | None = None) -> System:
        """F for paths whose k-th belongs to the support profile ``which[k]``."""
        patch = self.patch if patch is None else patch

        def system(z: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            sig = self.sigmas(z)
            sel = which[idx]
            vals = np.zeros((z.shape[0], self.dim), dtype=complex)
            jac = np.zeros((z.shape[0], self.dim, self.dim), dtype=complex)
            row = 0
            for i in self.free:
                others = [j for j in range(self.n) if j != i]
                subs = ["pa" + "".join(_AXES[j] for j in others)] + ["p" + _AXES[j] for j in others]
                ops = [self.diff[i][sel]] + [sig[j] for j in others]
                k = self.sizes[i] - 1
                vals[:, row:row + k] = np.einsum(",".join(subs) + "->pa", *ops)
                for pos, j in enumerate(others, start=1):
                    if j in self.offset:
                        rest = [x for q, x in enumerate(subs) if q != pos]
                        rest_ops = [x for q, x in enumerate(ops) if q != pos]
                        jac[:, row:row + k, self.offset[j]:self.offset[j] + self.sizes[j]] = \
                            np.einsum(",".join(rest) + "->pa" + _AXES[j], *rest_ops)
                row += k
            self._patch_rows(z, patch, vals, jac)
            return vals, jac
        return system

    def start(self, z: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """G: each indifference equation replaced by a product of random linear forms."""
        vals = np.ones((z.shape[0], self.dim), dtype=complex)
        jac = np.zeros((z.shape[0], self.dim, self.dim), dtype=complex)
        for r, (i, a) in enumerate(self.eqs):
            factors = {j: self._block(z, j) @ self.forms[(i, a, j)] for j in self.free if j != i}
            for j, f in factors.items():
                vals[:, r] *= f
                rest = np.ones(z.shape[0], dtype=complex)
                for jj, ff in factors.items():
                    if jj != j:
                        rest *= ff
                jac[:, r, self.offset[j]:self.offset[j] + self.sizes[j]] = \
                    rest[:, None] * self.forms[(i, a, j)]
        self._patch_rows(z, self.patch, vals, jac)
        return vals, jac

    def start_roots(self) -> np.ndarray:
        """One root of G per way of pinning each σ_j by |S_j| - 1 of the factors."""
        groups = [[j for j in self.free if j != i] for i, _ in self.eqs]
        roots = []
        for choice in _assignments(groups, {j: self.sizes[j] - 1 for j in self.free}):
            z = np.zeros(self.dim, dtype=complex)
            for j in self.free:
                rows = [self.forms[(i, a, j)] for (i, a), c in zip(self.eqs, choice, strict=True)
                        if c == j]
                mat = np.array([*rows, self.patch[j]])
                rhs = np.zeros(self.sizes[j], dtype=complex)
                rhs[-1] = 1.0
                z[self.offset[j]:self.offset[j] + self.sizes[j]] = np.linalg.solve(mat, rhs)
            roots.append(z)
        return np.array(roots).reshape(-1, self.dim)


def _complex_normal(rng: np.random.Generator, size: int) -> np.ndarray:
    return rng.normal(size=size) + 1j * rng.normal(size=size)


def _track_checked(batch: _SupportBatch, which: np.ndarray, z0: np.ndarray,
                   rng: np.random.Generator) -> PathResult:
    """Track all paths; re-track the systems with a failed path or two paths meeting, with
    smaller steps and a new γ (up to RETRACK_ATTEMPTS times)."""
    res = track(batch.start, batch.target(which), z0, seed=int(rng.integers(2**31)))
    for attempt in range(1, RETRACK_ATTEMPTS + 1):
        bad = suspicious_paths(res, which)
        if not bad.any():
            break
        redo = np.flatnonzero(np.isin(which, np.unique(which[bad])))
        sub = track(batch.start, batch.target(which[redo]), z0[redo],
                    seed=int(rng.integers(2**31)), max_step=MAX_STEP / 4 ** attempt)
        points, finished = res.points.copy(), res.finished.copy()
        diverged, failed = res.diverged.copy(), res.failed.copy()
        points[redo], finished[redo] = sub.points, sub.finished
        diverged[redo], failed[redo] = sub.diverged, sub.failed
        res = PathResult(points, finished, diverged, failed)
    return res


def _polish(system: System, z: np.ndarray) -> tuple[np.ndarray, float]:
    """Newton's method on the real root ``z`` (1, D); returns it and its Jacobian's condition."""
    cond = 1.0
    for _ in range(NEWTON_POLISH_STEPS):
        val, jac = system(z, np.zeros(1, dtype=np.intp))
        cond = float(np.linalg.cond(jac[0])) if z.shape[1] else 1.0
        try:
            step = np.linalg.solve(jac[0], -val[0])
        except np.linalg.LinAlgError:
            return z, np.inf
        z = z + step.real
        if np.abs(step).max(initial=0.0) <= 1e-15:
            break
    return z, cond


def mixed_equilibria(game: NormalFormGame, *, seed: int = 0,
                     max_support_profiles: int = MAX_SUPPORT_PROFILES) -> NPlayerEquilibria:
    """The Nash equilibria of a small N-player game (see the module doc), each one certified."""
    counts = [2 ** m - 1 for m in game.num_actions]
    if int(np.prod(counts, dtype=float)) > max_support_profiles:
        raise SolverError(f"{game!r} has {int(np.prod(counts, dtype=float))} support profiles > "
                          f"max_support_profiles={max_support_profiles}", status="too_large")
    pay = _normalised(game)
    rng = np.random.default_rng(seed)
    per_player = [[c for k in range(1, m + 1) for c in itertools.combinations(range(m), k)]
                  for m in game.num_actions]
    by_sizes: dict[tuple[int, ...], list[tuple[tuple[int, ...], ...]]] = {}
    for prof in itertools.product(*per_player):
        if not _dominated(pay, prof):
            by_sizes.setdefault(tuple(len(s) for s in prof), []).append(prof)
    found: list[tuple[np.ndarray, ...]] = []
    notes: list[str] = []
    degenerate = False
    paths = failed = solved = 0

    def consider(prof: tuple[tuple[int, ...], ...], sig: list[np.ndarray]) -> None:
        strategies = []
        for j, (s, w) in enumerate(zip(prof, sig, strict=True)):
            if w.min() < -SUPPORT_TOL:
                return
            full = np.zeros(game.num_actions[j])
            full[list(s)] = np.clip(w, 0.0, None)
            strategies.append(full / full.sum())
        if ne_gap(game, strategies).relative_epsilon > CERTIFY_RTOL:
            return
        if not any(all(np.allclose(a, b, atol=DEDUP_ATOL) for a, b in zip(eq, strategies, strict=True))
                   for eq in found):
            found.append(tuple(strategies))

    for _sizes, profiles in sorted(by_sizes.items()):
        solved += len(profiles)
        batch = _SupportBatch(pay, profiles, rng)
        if batch.dim == 0 or any(not [j for j in batch.free if j != i] for i in batch.free):
            # no unknowns, or a mixing player facing pure opponents: its equations are constants
            for b, prof in enumerate(profiles):
                consts = [batch.diff[i][b] for i in batch.free]
                if all(np.all(np.abs(c) <= 1e-12) for c in consts) and batch.dim:
                    degenerate = True
                    notes.append(f"supports {prof}: a player is indifferent among its support "
                                 "against pure opponents (a continuum of candidates)")
                if batch.dim == 0:
                    consider(prof, [np.ones(1)] * game.num_players)
            continue
        roots = batch.start_roots()
        if roots.size == 0:
            continue
        which = np.repeat(np.arange(len(profiles)), len(roots))
        z0 = np.tile(roots, (len(profiles), 1))
        res = _track_checked(batch, which, z0, rng)
        paths += len(z0)
        failed += int(res.failed.sum())
        ones = {j: np.ones(batch.sizes[j]) for j in batch.free}
        for k in np.flatnonzero(res.finished):
            sig = batch.sigmas(res.points[k:k + 1])
            sums = [s_.sum() for s_ in sig]
            if any(abs(t) <= IMAG_TOL * (1 + np.abs(s_).max()) for t, s_ in zip(sums, sig, strict=True)):
                continue  # a root at infinity of the probability chart
            z = np.concatenate([(s_ / t)[0] for j, (s_, t) in enumerate(zip(sig, sums, strict=True))
                                if j in batch.offset])
            if np.abs(z.imag).max(initial=0.0) > IMAG_TOL * (1 + np.abs(z).max(initial=0.0)):
                continue
            if z.real.min(initial=0.0) < -NEAR_SIMPLEX or z.real.max(initial=0.0) > 1 + NEAR_SIMPLEX:
                continue  # far from the simplex: not an equilibrium, however conditioned
            system = batch.target(which[k:k + 1], ones)
            zr, cond = _polish(system, z.real[None, :])
            if cond > SINGULAR_COND:
                degenerate = True
            consider(profiles[which[k]], [s_[0].real for s_ in batch.sigmas(zr.astype(complex))])
    if failed:
        notes.append(f"{failed} of {paths} homotopy paths did not finish (near-singular systems)")
    if degenerate:
        notes.append("the game is degenerate: equilibria may form continua; the list holds the "
                     "isolated ones found")
    return NPlayerEquilibria(tuple(found), degenerate or failed > 0, solved, paths, failed,
                             tuple(notes))
