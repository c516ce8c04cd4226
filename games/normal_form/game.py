"""Normal-form (strategic-form) games with N >= 1 players.

A game is a payoff tensor ``payoffs`` of shape ``(N, |A_1|, ..., |A_N|)``: ``payoffs[i, a_1, ...,
a_N]`` is player i's utility u_i(a) at the joint action a (the notation of Defs. 1-3 of Li, Zhao,
Wu & Pajarinen, "AgentMixer", AAAI 2025). Cooperative (common-payoff) games have all N slices
equal. Everything is validated at construction and the arrays are made read-only, so a game is a
value that can be shared freely.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from games.errors import GameError

__all__ = ["NormalFormGame", "check_names"]


def check_names(names: Sequence[str], what: str) -> tuple[str, ...]:
    out = tuple(names)
    for k, name in enumerate(out):
        if not isinstance(name, str) or not name:
            raise GameError(f"{what}[{k}] must be a non-empty string, got {name!r}")
    seen: dict[str, int] = {}
    for k, name in enumerate(out):
        if name in seen:
            raise GameError(f"duplicate name {name!r} in {what} (positions {seen[name]} and {k})")
        seen[name] = k
    return out


@dataclass(frozen=True, eq=False)
class NormalFormGame:
    """A finite N-player normal-form game.

    Attributes:
        payoffs: ``(N, A_1, ..., A_N)`` float array, ``payoffs[i][a]`` = u_i(a).
        action_names: per player, the names of its actions (unique within the player).
        player_names: one name per player (unique).
        name: a short identifier used by the catalog, files and the CLI.
    """

    payoffs: np.ndarray
    action_names: tuple[tuple[str, ...], ...] = field(default=())
    player_names: tuple[str, ...] = field(default=())
    name: str = "game"

    def __post_init__(self) -> None:
        try:
            pay = np.array(self.payoffs, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise GameError(f"payoffs must be a numeric array: {exc}") from None
        if pay.ndim < 2:
            raise GameError(
                f"payoffs must have shape (N, |A_1|, ..., |A_N|) with N >= 1; got shape {pay.shape}"
            )
        n = pay.ndim - 1
        if pay.shape[0] != n:
            raise GameError(
                f"payoffs has shape {pay.shape}: the leading axis must equal the number of players "
                f"(ndim - 1 = {n}), got {pay.shape[0]}"
            )
        for i, size in enumerate(pay.shape[1:]):
            if size == 0:
                raise GameError(f"player {i} has an empty action set")
        bad = ~np.isfinite(pay)
        if bad.any():
            idx = tuple(int(x) for x in np.argwhere(bad)[0])
            raise GameError(
                f"payoff of player {idx[0]} at joint action {idx[1:]} is {pay[idx]} (must be finite)"
            )
        pay.setflags(write=False)
        object.__setattr__(self, "payoffs", pay)

        players = self.player_names or tuple(f"player{i}" for i in range(n))
        players = check_names(players, "player_names")
        if len(players) != n:
            raise GameError(f"{len(players)} player names given for {n} players")
        object.__setattr__(self, "player_names", players)

        if self.action_names:
            if len(self.action_names) != n:
                raise GameError(f"action_names has {len(self.action_names)} entries for {n} players")
            acts = tuple(
                check_names(names, f"action_names[{i}]") for i, names in enumerate(self.action_names)
            )
            for i, names in enumerate(acts):
                if len(names) != pay.shape[i + 1]:
                    raise GameError(
                        f"player {i} ({players[i]!r}) has {len(names)} action names but the payoff "
                        f"tensor has {pay.shape[i + 1]} actions on axis {i + 1}"
                    )
        else:
            acts = tuple(tuple(f"a{k}" for k in range(m)) for m in pay.shape[1:])
        object.__setattr__(self, "action_names", acts)
        if not isinstance(self.name, str) or not self.name:
            raise GameError(f"name must be a non-empty string, got {self.name!r}")

    # ----------------------------------------------------------------- constructors
    @classmethod
    def from_bimatrix(cls, row: np.ndarray | Sequence, col: np.ndarray | Sequence,
                      **kwargs: object) -> NormalFormGame:
        """Two-player game from the row player's matrix A and the column player's matrix B."""
        a, b = np.asarray(row, dtype=float), np.asarray(col, dtype=float)
        if a.ndim != 2 or a.shape != b.shape:
            raise GameError(f"bimatrix needs two matrices of equal 2-D shape, got {a.shape}, {b.shape}")
        return cls(np.stack([a, b]), **kwargs)  # type: ignore[arg-type]

    @classmethod
    def cooperative(cls, reward: np.ndarray | Sequence, **kwargs: object) -> NormalFormGame:
        """Common-payoff game: every player receives ``reward[a]`` (shape ``(A_1, ..., A_N)``)."""
        r = np.asarray(reward, dtype=float)
        if r.ndim < 1:
            raise GameError("a cooperative reward tensor needs at least one axis")
        return cls(np.broadcast_to(r, (r.ndim, *r.shape)).copy(), **kwargs)  # type: ignore[arg-type]

    # ----------------------------------------------------------------- properties
    @property
    def num_players(self) -> int:
        return int(self.payoffs.shape[0])

    @cached_property
    def num_actions(self) -> tuple[int, ...]:
        return tuple(int(m) for m in self.payoffs.shape[1:])

    @cached_property
    def num_joint_actions(self) -> int:
        return int(np.prod(self.num_actions))

    @property
    def is_cooperative(self) -> bool:
        """True when all players share one payoff tensor (exactly)."""
        return bool(np.all(self.payoffs == self.payoffs[0]))

    def common_reward(self, what: str = "this computation") -> np.ndarray:
        """The shared payoff tensor R = u_i of a cooperative game; typed error otherwise."""
        if not self.is_cooperative:
            raise GameError(f"{what} needs a cooperative (common-payoff) game; {self.name!r} is not")
        return self.payoffs[0]

    @property
    def welfare(self) -> np.ndarray:
        """Social welfare sum_i u_i(a), shape ``(A_1, ..., A_N)``."""
        return self.payoffs.sum(axis=0)

    def joint_actions(self) -> Iterator[tuple[int, ...]]:
        """All joint actions in C order (the last player varies fastest)."""
        return itertools.product(*(range(m) for m in self.num_actions))

    def joint_action_name(self, joint: Sequence[int]) -> str:
        return ",".join(self.action_names[i][a] for i, a in enumerate(joint))

    def action_index(self, player: int, action: str | int) -> int:
        """Index of ``action`` (a name or an index) of ``player``; typed error if unknown."""
        names = self.action_names[player]
        if isinstance(action, int | np.integer):
            if not 0 <= int(action) < len(names):
                raise GameError(f"player {player} has no action index {action} (has {len(names)})")
            return int(action)
        try:
            return names.index(action)
        except ValueError:
            raise GameError(
                f"player {player} ({self.player_names[player]!r}) has no action {action!r}; "
                f"actions are {list(names)}"
            ) from None

    def expected_payoffs(self, dist: np.ndarray) -> np.ndarray:
        """E_{a~dist}[u_i(a)] for every player i, shape ``(N,)``; ``dist`` has the joint shape."""
        d = np.asarray(dist, dtype=float)
        if d.shape != self.num_actions:
            raise GameError(f"distribution shape {d.shape} != joint action shape {self.num_actions}")
        return self.payoffs.reshape(self.num_players, -1) @ d.reshape(-1)

    def deviation_payoffs(self, strategies: Sequence[np.ndarray | Sequence[float]]) -> list[np.ndarray]:
        """Each pure action's payoff against the others' mixed strategies, for every player.

        ``out[i][a_i] = u_i(a_i, s_-i) = Σ_{a_-i} u_i(a_i, a_-i) Π_{j≠i} s_j(a_j)``: the payoffs
        of i's unilateral deviations (the Q-values of independent learners in a cooperative game;
        ``out[i] @ s_i`` is u_i(s)). Strategies are ``(|A_j|,)`` vectors, or all ``(B, |A_j|)`` for
        B profiles at once (then ``out[i]`` has shape ``(B, |A_i|)``). Shapes are checked; the
        entries are used as given (no simplex check).
        """
        n = self.num_players
        if len(strategies) != n:
            raise GameError(f"{len(strategies)} strategies given for {n} players")
        strats = [np.asarray(s, dtype=float) for s in strategies]
        batch = strats[0].shape[:-1] if strats[0].ndim == 2 else ()
        for i, s in enumerate(strats):
            if s.shape != (*batch, self.num_actions[i]):
                want = ", ".join(str(d) for d in (*batch, self.num_actions[i]))
                raise GameError(f"strategy of player {i} has shape {s.shape}, expected ({want},)")
        out = []
        for i in range(n):
            if batch:
                t = np.broadcast_to(self.payoffs[i], (*batch, *self.num_actions))
                for j in reversed(range(n)):  # batch axis first; contract the last axes first
                    if j != i:
                        t = np.einsum("b...k,bk->b...", np.moveaxis(t, j + 1, -1), strats[j])
            else:
                t = self.payoffs[i]
                for j in reversed(range(n)):  # contract from the last axis: lower axes keep place
                    if j != i:
                        t = np.tensordot(t, strats[j], axes=([j], [0]))
            out.append(np.asarray(t, dtype=float))
        return out

    # ----------------------------------------------------------------- transforms
    def with_payoffs(self, payoffs: np.ndarray, name: str | None = None) -> NormalFormGame:
        """Same players and actions, new payoff tensor."""
        return NormalFormGame(payoffs, self.action_names, self.player_names, name or self.name)

    def permute_actions(self, player: int, perm: Sequence[int]) -> NormalFormGame:
        """Relabel ``player``'s actions: new action k is old action ``perm[k]``."""
        p = np.asarray(perm, dtype=int)
        if sorted(p.tolist()) != list(range(self.num_actions[player])):
            raise GameError(f"{list(perm)} is not a permutation of player {player}'s actions")
        pay = np.take(self.payoffs, p, axis=player + 1)
        names = list(self.action_names)
        names[player] = tuple(self.action_names[player][k] for k in p)
        return NormalFormGame(pay, tuple(names), self.player_names, self.name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NormalFormGame):
            return NotImplemented
        return (self.payoffs.shape == other.payoffs.shape
                and bool(np.array_equal(self.payoffs, other.payoffs))
                and self.action_names == other.action_names
                and self.player_names == other.player_names and self.name == other.name)

    def __hash__(self) -> int:
        return hash((self.name, self.payoffs.shape, (self.payoffs + 0.0).tobytes()))  # -0.0 == 0.0

    def __repr__(self) -> str:
        shape = "x".join(str(m) for m in self.num_actions)
        return f"NormalFormGame(name={self.name!r}, players={self.num_players}, actions={shape})"
