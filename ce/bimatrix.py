"""Every Nash equilibrium of a two-player game, degenerate or not, in exact arithmetic.

For payoffs A (row player) and B (column player), shifted to be positive, the best-response
polytopes are (B. von Stengel, "Equilibrium computation for two-player games in strategic and
extensive form", ch. 3 of Algorithmic Game Theory, CUP 2007, sec. 3.2)

    P = {x ∈ R^m : x >= 0, Bᵀx <= 1},        Q = {y ∈ R^n : A y <= 1, y >= 0},

with labels 0..m-1 for the row actions and m..m+n-1 for the column actions: x has label i when
x_i = 0 and label m+j when column j is a best response to x (row j of Bᵀx <= 1 is tight); y has
label m+j when y_j = 0 and label i when row i is a best response to y. The pairs of vertices
(x, y) ≠ (0, 0) whose labels cover all m+n are exactly the *extreme equilibria* (rescaled to
probability vectors). Both polytopes are enumerated exactly (:mod:`ce.exact_pivoting`).

The game is *nondegenerate* iff no vertex of P has more than m labels and no vertex of Q more
than n (equivalently, no mixed strategy with support size k has more than k pure best
responses); then every equilibrium is extreme and isolated. In a degenerate game the equilibria
form finitely many *maximal Nash subsets* — products conv(X') × conv(Y') of extreme strategies in
which every pair is an equilibrium (the maximal complete bipartite subgraphs of the graph of
extreme equilibria; Winkels 1979, Audet, Hansen, Jaumard & Savard 2001) — and the *components* of
the equilibrium set are the unions of maximal subsets that share an extreme strategy (the
connected components of that graph). These are the "cliques" Gambit's ``gambit-enummixed -c``
reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ce.exact_pivoting import MAX_BASES, Basis, exact_integers, lex_feasible_bases
from games.errors import ConfigError
from games.normal_form.game import NormalFormGame

__all__ = ["BimatrixEquilibria", "NashSubset", "enumerate_bimatrix"]


@dataclass(frozen=True)
class NashSubset:
    """A maximal Nash subset conv(X') × conv(Y'): indices into the extreme strategies."""

    row_strategies: tuple[int, ...]
    column_strategies: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class BimatrixEquilibria:
    """All extreme equilibria of a two-player game and how they form the equilibrium set.

    Attributes:
        row_strategies, column_strategies: the distinct extreme strategies that occur in some
            equilibrium, exact (tuples of Fractions summing to 1).
        pairs: the extreme equilibria as (row index, column index), in lexicographic order.
        degenerate: whether the game is degenerate (decided exactly, see the module doc).
        maximal_subsets: the maximal Nash subsets (a single pair each when nondegenerate).
        components: the components of the equilibrium set, as lists of indices into
            ``maximal_subsets``.
        vertices: the number of vertices of P and Q (including the origins).
    """

    row_strategies: tuple[tuple[Fraction, ...], ...]
    column_strategies: tuple[tuple[Fraction, ...], ...]
    pairs: tuple[tuple[int, int], ...]
    degenerate: bool
    maximal_subsets: tuple[NashSubset, ...]
    components: tuple[tuple[int, ...], ...]
    vertices: tuple[int, int]

    def profiles(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The extreme equilibria as pairs of float probability vectors."""
        rows = [np.array([float(v) for v in x]) for x in self.row_strategies]
        cols = [np.array([float(v) for v in y]) for y in self.column_strategies]
        return [(rows[i], cols[j]) for i, j in self.pairs]


def _positive_integers(matrix: np.ndarray) -> np.ndarray:
    """Exact positive integers equal to ``matrix`` up to one positive scale and one shift."""
    ints = exact_integers(matrix)
    return ints - min(ints.ravel()) + 1


def _polytope_vertices(mat: np.ndarray, label_of_col: list[int], point_cols: list[int],
                       max_bases: int) -> dict[tuple[int, ...], tuple[tuple[Fraction, ...], int]]:
    """Vertices of {z >= 0 : [mat | I] z = 1}: point (over ``point_cols``) -> (point, labels mask).

    ``label_of_col[c]`` is the label carried by variable c when it is zero.
    """
    rows, cols = mat.shape
    tab = [[int(v) for v in mat[r]] + [int(r == k) for k in range(rows)] + [1] for r in range(rows)]
    start = Basis(list(range(cols, cols + rows)), tab, 1)
    out: dict[tuple[int, ...], tuple[tuple[Fraction, ...], int]] = {}
    for basis in lex_feasible_bases(start, max_bases=max_bases):
        nums, _den = basis.values(cols + rows)
        key = tuple(nums[c] for c in point_cols)
        if key in out:
            continue
        mask = 0
        for c, v in enumerate(nums):
            if v == 0:
                mask |= 1 << label_of_col[c]
        total = sum(key)
        point = tuple(Fraction(v, total) for v in key) if total else tuple(Fraction(0) for _ in key)
        out[key] = (point, mask)
    return out


def _maximal_bicliques(edges: dict[int, int]) -> list[tuple[int, int]]:
    """Maximal complete bipartite subgraphs (as bitmask pairs) of a graph given as x -> N(x) mask.

    The column sides are the nonempty intersections of neighbourhoods (closed under
    intersection); each gives the biclique (all x adjacent to all of it, it).
    """
    closed: set[int] = set()
    for nbrs in edges.values():
        new = {nbrs} | {nbrs & c for c in closed}
        closed |= {c for c in new if c}
    out = []
    for ys in closed:
        xs = 0
        for x, nbrs in edges.items():
            if nbrs & ys == ys:
                xs |= 1 << x
        # keep only closed pairs: ys must be exactly the common neighbourhood of xs
        common = -1
        for x in edges:
            if xs >> x & 1:
                common &= edges[x]
        if common == ys:
            out.append((xs, ys))
    return sorted(set(out))


def _complementary_pairs(xmasks: list[int], ymasks: list[int], labels: int) -> list[tuple[int, int]]:
    """All (i, j) whose label sets cover all ``labels`` labels (one matrix product of the misses)."""
    if not xmasks or not ymasks:
        return []
    bits = np.arange(labels)
    miss_x = (~(np.array(xmasks, dtype=object)[:, None] >> bits) & 1).astype(np.int32)
    miss_y = (~(np.array(ymasks, dtype=object)[:, None] >> bits) & 1).astype(np.int32)
    return [(int(i), int(j)) for i, j in np.argwhere(miss_x @ miss_y.T == 0)]


def _bits(mask: int) -> tuple[int, ...]:
    return tuple(k for k in range(mask.bit_length()) if mask >> k & 1)


def enumerate_bimatrix(game: NormalFormGame, *, max_bases: int = MAX_BASES) -> BimatrixEquilibria:
    """All extreme equilibria, the maximal Nash subsets and degeneracy of a 2-player game.

    Exact: payoffs are read as the binary fractions they are, and no tolerance is used. The work
    grows with the number of vertices of the best-response polytopes; more than ``max_bases``
    lexicographic bases on either side raises :class:`~ce.errors.SolverError`.
    """
    if game.num_players != 2:
        raise ConfigError(f"enumerate_bimatrix needs a 2-player game; {game!r} has "
                          f"{game.num_players} players")
    m, n = game.num_actions
    a, b = _positive_integers(game.payoffs[0]), _positive_integers(game.payoffs[1])
    # P: rows j (one per column action), variables x_0..x_{m-1} (labels 0..m-1), s_j (m+j)
    p_verts = _polytope_vertices(b.T, list(range(m + n)), list(range(m)), max_bases)
    # Q: rows i, variables y_0..y_{n-1} (labels m..m+n-1), r_i (labels 0..m-1)
    q_verts = _polytope_vertices(a, [*range(m, m + n), *range(m)], list(range(n)), max_bases)
    degenerate = (any(bin(mask).count("1") > m for _, mask in p_verts.values())
                  or any(bin(mask).count("1") > n for _, mask in q_verts.values()))
    xs = sorted(((pt, mask) for key, (pt, mask) in p_verts.items() if any(key)),
                key=lambda v: [float(c) for c in v[0]])
    ys = sorted(((pt, mask) for key, (pt, mask) in q_verts.items() if any(key)),
                key=lambda v: [float(c) for c in v[0]])
    pairs_all = _complementary_pairs([mask for _, mask in xs], [mask for _, mask in ys], m + n)
    used_x = sorted({i for i, _ in pairs_all})
    used_y = sorted({j for _, j in pairs_all})
    rx, ry = {i: k for k, i in enumerate(used_x)}, {j: k for k, j in enumerate(used_y)}
    pairs = tuple(sorted((rx[i], ry[j]) for i, j in pairs_all))
    edges: dict[int, int] = {}
    for i, j in pairs:
        edges[i] = edges.get(i, 0) | 1 << j
    subsets = tuple(NashSubset(_bits(xm), _bits(ym)) for xm, ym in _maximal_bicliques(edges))
    return BimatrixEquilibria(
        row_strategies=tuple(xs[i][0] for i in used_x),
        column_strategies=tuple(ys[j][0] for j in used_y),
        pairs=pairs, degenerate=degenerate, maximal_subsets=subsets,
        components=_components(subsets), vertices=(len(p_verts), len(q_verts)))


def _components(subsets: tuple[NashSubset, ...]) -> tuple[tuple[int, ...], ...]:
    """Group maximal subsets that share a row or a column strategy (union-find)."""
    parent = list(range(len(subsets)))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    owner: dict[tuple[str, int], int] = {}
    for k, sub in enumerate(subsets):
        for key in [("x", i) for i in sub.row_strategies] + [("y", j) for j in sub.column_strategies]:
            if key in owner:
                parent[find(k)] = find(owner[key])
            else:
                owner[key] = k
    groups: dict[int, list[int]] = {}
    for k in range(len(subsets)):
        groups.setdefault(find(k), []).append(k)
    return tuple(sorted(tuple(g) for g in groups.values()))
