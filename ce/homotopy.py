"""Complex homotopy continuation for square polynomial systems, batched over many paths.

H(z, t) = (1 - t) γ G(z) + t F(z) is followed from the known roots of a start system G (t = 0) to
the roots of the target F (t = 1) with an Euler predictor and Newton corrector under adaptive step
control, every path at once. With a random complex γ ("gamma trick") the paths avoid
singularities for t < 1 with probability one, and when G has the target's multihomogeneous
structure, every isolated root of F is the end of some path (A. J. Sommese & C. W. Wampler, The
Numerical Solution of Systems of Polynomials Arising in Engineering and Science, World Scientific
2005, ch. 8). Paths whose norm blows up go to roots at infinity and are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["PathResult", "suspicious_paths", "track"]

System = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
"""(z (P, D), the paths' indices (P,)) -> (values (P, D), Jacobians (P, D, D)), all complex."""

MAX_STEP = 0.1
MIN_STEP = 1e-9
NEWTON_STEPS = 5
"""At most this many corrector steps per step of t; each must at least halve the previous one."""
ACCEPT_TOL = 1e-6
"""A step of t is accepted when the last corrector step is below this (relative to 1 + |z|)."""
DIVERGED_NORM = 1e8
"""Paths whose norm exceeds this are taken to end at infinity (no finite root)."""
CORRECTOR_TOL = 1e-9
MAX_ITERATIONS = 20_000


@dataclass(frozen=True)
class PathResult:
    """End points of the tracked paths.

    Attributes:
        points: ``(P, D)`` complex end points at t = 1 (meaningful where ``finished``).
        finished: the path reached t = 1 with a finite point.
        diverged: the path went to infinity.
        failed: the step size collapsed before t = 1 (a near-singular path).
    """

    points: np.ndarray
    finished: np.ndarray
    diverged: np.ndarray
    failed: np.ndarray


def _solve(jac: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batched J x = rhs; rows with a singular J get NaN (and ok = False)."""
    ok = np.isfinite(jac).all(axis=(1, 2)) & np.isfinite(rhs).all(axis=1)
    out = np.full(rhs.shape, np.nan, dtype=complex)
    if ok.any():
        try:
            out[ok] = np.linalg.solve(jac[ok], rhs[ok][..., None])[..., 0]
        except np.linalg.LinAlgError:
            for k in np.flatnonzero(ok):
                try:
                    out[k] = np.linalg.solve(jac[k], rhs[k])
                except np.linalg.LinAlgError:
                    ok[k] = False
    ok &= np.isfinite(out).all(axis=1)
    return out, ok


def track(start: System, target: System, z0: np.ndarray, *, seed: int = 0,
          max_step: float = MAX_STEP) -> PathResult:
    """Follow every start root in ``z0`` (P, D) from G = ``start`` to F = ``target``.

    Steps in t never exceed ``max_step`` (smaller steps guard against jumping between paths).
    """
    rng = np.random.default_rng(seed)
    gamma = np.exp(2j * np.pi * rng.uniform())
    z = np.array(z0, dtype=complex)
    p = z.shape[0]
    t = np.zeros(p)
    h = np.full(p, max_step / 4)
    active = np.ones(p, dtype=bool)
    diverged = np.zeros(p, dtype=bool)
    failed = np.zeros(p, dtype=bool)

    def homotopy(zz: np.ndarray, tt: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        g, jg = start(zz, idx)
        f, jf = target(zz, idx)
        a, b = ((1 - tt) * gamma)[:, None], tt[:, None]
        return a * g + b * f, a[..., None] * jg + b[..., None] * jf, f - gamma * g

    for _ in range(MAX_ITERATIONS):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        zz, tt, hh = z[idx], t[idx], h[idx]
        _, jac, ht = homotopy(zz, tt)
        dz, ok = _solve(jac, -ht)
        t_new = np.minimum(tt + hh, 1.0)
        zp = zz + (t_new - tt)[:, None] * np.where(ok[:, None], dz, 0.0)
        converged = ok.copy()
        last = np.full(idx.size, np.inf)
        target_size = ACCEPT_TOL * (1 + np.linalg.norm(zp, axis=1))
        for _k in range(NEWTON_STEPS):
            val, jac, _ = homotopy(zp, t_new)
            step, good = _solve(jac, -val)
            size = np.linalg.norm(np.where(good[:, None], step, 0.0), axis=1)
            converged &= good & (size <= np.maximum(last / 2, CORRECTOR_TOL))  # contracting
            zp = zp + np.where(good[:, None], step, 0.0)
            last = size
            if np.all(~converged | (last <= target_size)):
                break
        accept = converged & (last <= target_size)
        z[idx[accept]] = zp[accept]
        t[idx[accept]] = t_new[accept]
        h[idx] = np.where(accept, np.minimum(hh * 1.6, max_step), hh / 2)
        big = np.linalg.norm(z[idx], axis=1) > DIVERGED_NORM
        diverged[idx[big]] = True
        failed[idx[~accept & (hh / 2 < MIN_STEP)]] = True
        done = (t[idx] >= 1.0) | big | failed[idx]
        active[idx[done]] = False
    failed |= active  # out of iterations
    finished = (t >= 1.0) & ~diverged & ~failed
    return PathResult(z, finished, diverged, failed)


def suspicious_paths(result: PathResult, system_of_path: np.ndarray, atol: float = 1e-8) -> np.ndarray:
    """Paths that failed, or that ended where another path of the same system ended.

    A nonsingular root is the end of exactly one path, so two paths of one system meeting at a
    root mean that one of them jumped to its neighbour (or that the root is singular, which
    re-tracking leaves as it is).
    """
    bad = result.failed.copy()
    for system in np.unique(system_of_path):
        paths = np.flatnonzero((system_of_path == system) & result.finished)
        pts = result.points[paths]
        for a in range(len(paths)):
            near = np.abs(pts[a + 1:] - pts[a]).max(axis=1) <= atol * (1 + np.abs(pts[a]).max())
            if near.any():
                bad[paths[a]] = True
                bad[paths[a + 1:][near]] = True
    return bad
