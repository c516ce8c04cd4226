"""Where the B simulator instances behind a :class:`~games.envs.pettingzoo_env.PettingZooEnv` run:
in this process (:class:`LocalCopies`) or split over worker processes (:class:`WorkerCopies`).

Both hold B instances made by one factory and answer the same three requests, so the
environment above them is the same code either way:

* ``reset([(b, seed), ...])``: reset those copies with those seeds;
* ``step(joints)``: step every copy b with ``joints[b]`` (a dict agent -> action);
* ``save(b)`` / ``load(b, saved)``: the simulator state of copy b, by the ``saver`` / ``loader``
  functions given at construction (for simulators that can save one, e.g. MuJoCo).

Each answer for a copy is a :data:`CopyResult`: ``(obs, rewards, terminations, truncations,
infos, live agents, state)`` — rewards / terminations / truncations empty after a reset, state
``None`` unless the environment implements ``state()``. The seeds of every reset are drawn by the
environment above (one generator), so a run gives the same numbers with or without workers.

Workers (``workers=W`` > 0): copy b lives in process ``b * W // B``; each step sends every worker
its copies' actions, then collects the answers, so the W slices step in parallel (the gain needs
a simulator whose step costs more than the round trip, about 0.1 ms: MuJoCo, not the numpy
built-ins). Processes are *spawned* (not forked: torch and JAX keep threads), so the factory,
saver and loader must be picklable — module-level functions or ``functools.partial`` of them; a
lambda is refused with a ConfigError. A worker's exception comes back as a GameError naming the
copy's worker and the exception.
"""

from __future__ import annotations

import multiprocessing as mp
import pickle
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from games.errors import ConfigError, GameError

__all__ = ["CopyResult", "LocalCopies", "WorkerCopies", "make_copies"]

CopyResult = tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any],
                   list[str], "np.ndarray | None"]
"""(obs, rewards, terminations, truncations, infos, live agents, state or None) of one copy."""

Saver = Callable[[Any], Any]
Loader = Callable[[Any, Any], None]


def _reset_one(env: Any, seed: int, with_state: bool) -> CopyResult:
    obs, infos = env.reset(seed=seed)
    return obs, {}, {}, {}, infos or {}, list(env.agents), _state(env, with_state)


def _step_one(env: Any, joint: dict[str, Any], with_state: bool) -> CopyResult:
    obs, rew, term, trunc, infos = env.step(joint)
    return obs, rew, term, trunc, infos or {}, list(env.agents), _state(env, with_state)


def _state(env: Any, with_state: bool) -> np.ndarray | None:
    return np.asarray(env.state(), dtype=np.float32).reshape(-1) if with_state else None


class LocalCopies:
    """B instances in this process, stepped one after the other."""

    def __init__(self, factory: Callable[[], Any], num_envs: int, with_state: bool,
                 saver: Saver | None = None, loader: Loader | None = None) -> None:
        self.envs = [factory() for _ in range(num_envs)]
        self.with_state, self.saver, self.loader = with_state, saver, loader

    def reset(self, items: Sequence[tuple[int, int]]) -> list[CopyResult]:
        return [_reset_one(self.envs[b], seed, self.with_state) for b, seed in items]

    def step(self, joints: Sequence[dict[str, Any]]) -> list[CopyResult]:
        return [_step_one(env, j, self.with_state) for env, j in zip(self.envs, joints, strict=True)]

    def save(self, b: int) -> Any:
        assert self.saver is not None
        return self.saver(self.envs[b])

    def load(self, b: int, saved: Any) -> None:
        assert self.loader is not None
        self.loader(self.envs[b], saved)

    def close(self) -> None:
        for env in self.envs:
            env.close()


def _serve(conn: Any, factory: Callable[[], Any], count: int, with_state: bool,
           saver: Saver | None, loader: Loader | None) -> None:
    """A worker's loop: own ``count`` copies, answer requests until ``close``."""
    local: LocalCopies | None = None
    while True:
        cmd, arg = conn.recv()
        try:
            if local is None:
                local = LocalCopies(factory, count, with_state, saver, loader)
            if cmd == "close":
                local.close()
                conn.send(("ok", None))
                return
            out = {"reset": local.reset, "step": local.step, "save": local.save}[cmd](arg) \
                if cmd != "load" else local.load(*arg)
            conn.send(("ok", out))
        except Exception as exc:  # sent back and raised in the main process
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class WorkerCopies:
    """B instances split over ``workers`` spawned processes (see the module docstring)."""

    def __init__(self, factory: Callable[[], Any], num_envs: int, with_state: bool, workers: int,
                 saver: Saver | None = None, loader: Loader | None = None) -> None:
        for name, obj in (("factory", factory), ("saver", saver), ("loader", loader)):
            try:
                pickle.dumps(obj)
            except Exception as exc:
                raise ConfigError(f"workers need a picklable {name} (a module-level function or a "
                                  f"functools.partial of one), got {obj!r}: {exc}") from None
        self.num_envs, self.workers = num_envs, min(int(workers), num_envs)
        self.owner = np.arange(num_envs) * self.workers // num_envs  # copy b -> its worker
        self.first = [int(np.searchsorted(self.owner, w)) for w in range(self.workers)]
        ctx = mp.get_context("spawn")
        self.conns, self.procs = [], []
        for w in range(self.workers):
            parent, child = ctx.Pipe()
            count = int((self.owner == w).sum())
            proc = ctx.Process(target=_serve, args=(child, factory, count, with_state, saver, loader),
                               daemon=True)
            proc.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(proc)
        self._closed = False

    def _ask(self, requests: dict[int, tuple[str, Any]]) -> dict[int, Any]:
        for w, req in requests.items():
            self.conns[w].send(req)
        answers = {}
        for w in requests:
            try:
                status, out = self.conns[w].recv()
            except EOFError:
                raise GameError(f"environment worker {w} died") from None
            if status != "ok":
                raise GameError(f"environment worker {w}: {out}")
            answers[w] = out
        return answers

    def reset(self, items: Sequence[tuple[int, int]]) -> list[CopyResult]:
        per: dict[int, list[tuple[int, int]]] = {}
        for b, seed in items:
            w = int(self.owner[b])
            per.setdefault(w, []).append((b - self.first[w], seed))
        answers = self._ask({w: ("reset", lst) for w, lst in per.items()})
        cursor = dict.fromkeys(answers, 0)
        out = []
        for b, _ in items:
            w = int(self.owner[b])
            out.append(answers[w][cursor[w]])
            cursor[w] += 1
        return out

    def step(self, joints: Sequence[dict[str, Any]]) -> list[CopyResult]:
        bounds = [*self.first, self.num_envs]
        answers = self._ask({w: ("step", list(joints[bounds[w]:bounds[w + 1]])) for w in range(self.workers)})
        return [r for w in range(self.workers) for r in answers[w]]

    def save(self, b: int) -> Any:
        w = int(self.owner[b])
        return self._ask({w: ("save", b - self.first[w])})[w]

    def load(self, b: int, saved: Any) -> None:
        w = int(self.owner[b])
        self._ask({w: ("load", (b - self.first[w], saved))})

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for w in range(self.workers):
            try:
                self._ask({w: ("close", None)})
            except (GameError, OSError, BrokenPipeError):
                pass
        for proc in self.procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


def make_copies(factory: Callable[[], Any], num_envs: int, with_state: bool, workers: int = 0,
                saver: Saver | None = None, loader: Loader | None = None) -> LocalCopies | WorkerCopies:
    """:class:`LocalCopies` for ``workers`` = 0, else :class:`WorkerCopies`."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ConfigError(f"workers must be an integer >= 0, got {workers!r}")
    if workers == 0:
        return LocalCopies(factory, num_envs, with_state, saver, loader)
    return WorkerCopies(factory, num_envs, with_state, workers, saver, loader)
