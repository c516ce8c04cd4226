"""Benchmark: all Nash equilibria, ours against nashpy and (when installed) Gambit.

Two-player games: ``ce.bimatrix.enumerate_bimatrix`` (exact, degenerate games included) against

* nashpy's ``vertex_enumeration`` (floating point; a dev dependency of this package), and
* Gambit's ``enummixed`` with rational and with floating-point arithmetic (pygambit, optional).

N-player games: ``ce.nplayer.mixed_equilibria`` against Gambit's ``enumpoly`` (optional).

Games: Gambit's own test games with stated equilibrium counts (gambitproject/gambit,
``contrib/games``: perfect1, wink3, winkels, stengel [von Stengel's 6x6 game with 75 equilibria],
2x2x2 [McKelvey-McLennan, 9], 3x3x3 [5], 2x2x2x2 [3]) and seeded random games (normal payoffs). Each
time is the best of ``--repeats`` runs (``time.perf_counter``); "count" is the number of extreme
equilibria reported.

pygambit is not a dependency (its source build takes minutes); a binary wheel can be installed
aside, e.g. ``pip install --no-deps --target /tmp/gbt pygambit pandas click python-dateutil pytz
tzdata six`` and ``PYTHONPATH=/tmp/gbt python benchmarks/nash_enum.py``.

Run from the repository root::

    python benchmarks/nash_enum.py                  # all games (about a minute)
    python benchmarks/nash_enum.py --sizes 4,6 --repeats 1
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
import time
import warnings
from collections.abc import Callable

import numpy as np

from ce.bimatrix import enumerate_bimatrix
from ce.nplayer import mixed_equilibria
from games.normal_form.game import NormalFormGame
from games.normal_form.nfg import read_nfg, write_nfg

TWO_PLAYER = {
    "perfect1 (9)": """NFG 1 R "perfect1" { "1" "2" } { { "1" "2" "3" } { "1" "2" "3" } } ""
{ { "" 3, 1 } { "" 0, 0 } { "" 0, 1 } { "" 3/2, 1 } { "" 2, 2 } { "" 3/2, 1 } { "" 0, 1 }
  { "" 0, 0 } { "" 3, 1 } }
1 4 7 2 5 8 3 6 9""",
    "wink3 (4)": """NFG 1 R "wink3" { "1" "2" } { 3 3 }
1 3 1 2 0 4 3 4 3 1 2 3 4 2 2 1 3 3""",
    "winkels (12)": """NFG 1 R "winkels" { "1" "2" } { 6 2 }
1 1 1 0 3 -2 3 4 5/2 -1 5/2 6 3 2 3 -1 1 2 1 -1 5/2 6 5/2 -1""",
    "stengel (75)": """NFG 1 R "stengel" { "1" "2" } { 6 6 }
9504 72336 -111771 -461736 397584 1227336 171204 -1718376 1303104 1303104 737154 -453420 -660
48081 31680 -300036 -113850 774576 -45936 -1039236 -453420 737154 -227040 -227040 19976 29216
-130944 -178761 451176 451176 208626 -586476 1227336 397584 774576 -113850 -20526 14124 168124
-84436 -586476 208626 -263076 -263076 -1718376 171204 -1039236 -45936 1776 1776 -8514 -8976
29216 19976 14124 -20526 72336 9504 48081 -660 -8976 -8514 52764 52764 -178761 -130944 -84436
168124 -461736 -111771 -300036 31680""",
}

N_PLAYER = {
    "2x2x2 McKelvey-McLennan (9)": """NFG 1 R "2x2x2" { "1" "2" "3" } { 2 2 2 }
9 8 12 0 0 0 0 0 0 9 8 2 0 0 0 3 4 6 3 4 6 0 0 0""",
    "3x3x3 (5)": """NFG 1 R "3x3x3" { "1" "2" "3" } { 3 3 3 }
1.131 1.210 2.426 1.358 2.234 2.238 1.655 1.347 2.747 1.576 5.634 5.675 1.478 2.544 1.973
1.436 4.864 5.267 1.735 4.043 7.247 3.830 1.335 1.734 1.428 1.521 4.248 2.429 2.326 2.422
5.255 5.334 2.643 2.243 3.518 3.062 2.455 6.523 4.225 7.486 4.483 5.764 7.566 4.655 7.076
4.943 7.362 4.382 4.434 4.271 4.120 4.533 5.231 5.458 3.222 3.024 1.223 2.873 4.452 4.549
4.564 4.326 1.762 5.277 4.837 5.645 4.995 5.754 4.383 4.423 1.759 2.705 4.642 1.897 4.042
4.976 7.324 7.723 4.486 4.882 2.537""",
    "2x2x2x2 (3)": """NFG 1 R "2x2x2x2" { "1" "2" "3" "4" } { 2 2 2 2 }
1.131 1.210 2.426 2.429 4.225 5.277 4.837 5.645 4.452 4.549 1.655 1.347 7.566 4.655 7.076 4.423
1.223 1.358 2.234 2.238 4.483 5.764 4.995 5.754 4.564 4.326 1.762 1.576 7.247 4.943 7.362 4.382
2.326 2.422 3.222 3.024 1.478 2.544 1.973 7.486 2.747 2.243 3.518 3.062 1.759 2.705 1.735 4.043
5.255 5.334 2.643 2.873 4.383 1.436 4.864 5.267 5.634 5.675 2.455 6.523 4.642 1.897 4.042 3.830""",
}


def best_of(fn: Callable[[], int], repeats: int) -> tuple[float, int]:
    best, count = float("inf"), -1
    for _ in range(repeats):
        t0 = time.perf_counter()
        count = fn()
        best = min(best, time.perf_counter() - t0)
    return best, count


def nashpy_count(game: NormalFormGame) -> int:
    import nashpy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sum(1 for _ in nashpy.Game(game.payoffs[0], game.payoffs[1]).vertex_enumeration())


def gambit_solver(kind: str) -> Callable[[NormalFormGame], int] | None:
    if importlib.util.find_spec("pygambit") is None:
        return None
    import pygambit as gbt

    def solve(game: NormalFormGame) -> int:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "g.nfg")
            write_nfg(game, path)
            g = gbt.read_nfg(path)
        if kind == "enumpoly":
            return len(gbt.nash.enumpoly_solve(g).equilibria)
        return len(gbt.nash.enummixed_solve(g, rational=(kind == "rational")).equilibria)

    return solve


def fmt(seconds: float | None, count: int | None) -> str:
    return "—" if seconds is None else f"{seconds * 1e3:9.1f} ms ({count})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="4,6,8,10", help="random square 2-player game sizes")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    games = {name: read_nfg(text) for name, text in TWO_PLAYER.items()}
    for size in (int(s) for s in args.sizes.split(",")):
        games[f"random {size}x{size}"] = NormalFormGame(
            np.random.default_rng(size).normal(size=(2, size, size)))
    solvers: dict[str, Callable[[NormalFormGame], int] | None] = {
        "ours (exact)": lambda g: len(enumerate_bimatrix(g).pairs),
        "nashpy vertex": nashpy_count,
        "gambit rational": gambit_solver("rational"),
        "gambit float": gambit_solver("float"),
    }
    print("two-player games: time (count of extreme equilibria)")
    print(f"{'game':<24}" + "".join(f"{name:>22}" for name in solvers))
    for name, game in games.items():
        cells = []
        for solver in solvers.values():
            if solver is None:
                cells.append(fmt(None, None))
                continue
            seconds, count = best_of(lambda s=solver, g=game: s(g), args.repeats)
            cells.append(fmt(seconds, count))
        print(f"{name:<24}" + "".join(f"{c:>22}" for c in cells))
    enumpoly = gambit_solver("enumpoly")
    print("\nN-player games: time (count of equilibria)")
    print(f"{'game':<30}{'ours (homotopy)':>22}{'gambit enumpoly':>22}")
    for name, text in N_PLAYER.items():
        game = read_nfg(text)
        ours = best_of(lambda g=game: len(mixed_equilibria(g).strategies), args.repeats)
        theirs = best_of(lambda g=game: enumpoly(g), args.repeats) if enumpoly else (None, None)
        print(f"{name:<30}{fmt(*ours):>22}{fmt(*theirs):>22}")


if __name__ == "__main__":
    main()
