"""Predator-prey with miscoordination penalty (DICG, Li et al. 2020): hand-derived rule checks on a
5 x 5 grid with positions set through get_state / set_state, observation layout, and hypothesis
invariants (no shared cells, prey count non-increasing within an episode, bounded rewards)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from games.envs import PredatorPreyConfig, PredatorPreyEnv
from games.errors import GameError

STAY, UP, DOWN, LEFT, RIGHT = range(5)


def _placed(pred: list[tuple[int, int]], prey: list[tuple[int, int]], alive: list[bool] | None = None,
            seed: int = 0, **cfg: float) -> PredatorPreyEnv:
    """A one-copy 5 x 5 environment with the given predator and prey cells."""
    config = PredatorPreyConfig(**{"grid": 5, "predators": len(pred), "prey": len(prey),
                                   "episode_limit": 50, **cfg})
    env = PredatorPreyEnv(config, 1, seed=seed)
    snap = env.get_state()
    snap["arrays"]["_pred"][0] = pred
    snap["arrays"]["_prey"][0] = prey
    snap["arrays"]["_alive"][0] = [True] * len(prey) if alive is None else alive
    env.set_state(snap)
    return env


def _positions(env: PredatorPreyEnv) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = env.get_state()["arrays"]
    return a["_pred"][0], a["_prey"][0], a["_alive"][0]


def test_two_adjacent_predators_capture() -> None:
    env = _placed([(1, 2), (3, 2)], [(2, 2)])
    ts = env.step(np.array([[STAY, STAY]]))
    assert ts.reward[0] == pytest.approx(10 - 0.1)
    assert ts.done[0] and not ts.truncated[0]  # the only prey is gone: terminal
    assert ts.episode_return[0] == pytest.approx(9.9)


def test_capture_after_moving_next_to_the_prey() -> None:
    env = _placed([(0, 2), (2, 3), (4, 4)], [(2, 2), (4, 0)])
    ts = env.step(np.array([[DOWN, STAY, STAY]]))  # predator 0 -> (1, 2): two neighbours
    assert ts.reward[0] == pytest.approx(10 - 0.1)
    assert not ts.done[0]
    _, _, alive = _positions(env)
    assert alive.tolist() == [False, True]
    np.testing.assert_array_equal(ts.state[0, 6 + 4: 6 + 6], [0, 1])  # alive flags in the state


def test_single_adjacent_predator_costs_the_penalty_and_prey_survives() -> None:
    env = _placed([(1, 2), (4, 4)], [(2, 2)])
    ts = env.step(np.array([[STAY, STAY]]))
    assert ts.reward[0] == pytest.approx(-0.1 - 0.5)
    assert not ts.done[0]
    assert _positions(env)[2].tolist() == [True]
    env = _placed([(1, 2), (4, 4)], [(2, 2)], penalty=-2.0)
    assert env.step(np.array([[STAY, STAY]])).reward[0] == pytest.approx(-2.1)


def test_penalties_and_captures_add_up() -> None:
    # prey 0 captured by predators 0 and 1; prey 1 has predator 2 alone next to it
    env = _placed([(0, 1), (1, 0), (3, 4)], [(0, 0), (4, 4)])
    ts = env.step(np.array([[STAY, STAY, STAY]]))
    assert ts.reward[0] == pytest.approx(-0.1 + 10 - 0.5)


def test_walls_block_moves() -> None:
    env = _placed([(0, 0), (4, 4)], [(2, 2)])
    env.step(np.array([[UP, DOWN]]))
    pred, _, _ = _positions(env)
    assert pred.tolist() == [[0, 0], [4, 4]]
    env.step(np.array([[LEFT, RIGHT]]))
    assert _positions(env)[0].tolist() == [[0, 0], [4, 4]]
    env.step(np.array([[RIGHT, UP]]))
    assert _positions(env)[0].tolist() == [[0, 1], [3, 4]]


def test_occupied_cells_block_moves_in_index_order() -> None:
    # predator 0 moves first: predator 1 still holds (2, 2), so 0 stays; 1 then moves away
    env = _placed([(2, 1), (2, 2)], [(4, 4)])
    env.step(np.array([[RIGHT, RIGHT]]))
    assert _positions(env)[0].tolist() == [[2, 1], [2, 3]]
    # predator 0 vacates (2, 2) first, so predator 1 may enter it in the same step
    env = _placed([(2, 2), (2, 1)], [(4, 4)])
    env.step(np.array([[RIGHT, RIGHT]]))
    assert _positions(env)[0].tolist() == [[2, 3], [2, 2]]
    # a live prey blocks; a captured one does not
    env = _placed([(0, 0), (4, 0)], [(0, 1), (4, 4)], alive=[True, True])
    env.step(np.array([[RIGHT, STAY]]))
    assert _positions(env)[0][0].tolist() == [0, 0]
    env = _placed([(0, 0), (4, 0)], [(0, 1), (4, 4)], alive=[False, True])
    env.step(np.array([[RIGHT, STAY]]))
    assert _positions(env)[0][0].tolist() == [0, 1]


def test_cornered_prey_stays_and_free_prey_moves_uniformly() -> None:
    for seed in range(10):  # prey 0 (moving first) is boxed in by predator 0 and prey 1
        env = _placed([(0, 1), (3, 3)], [(0, 0), (1, 0)], seed=seed)
        ts = env.step(np.array([[STAY, STAY]]))
        assert _positions(env)[1][0].tolist() == [0, 0]
        assert ts.reward[0] == pytest.approx(-0.6)
    counts = np.zeros(5)
    env = PredatorPreyEnv(PredatorPreyConfig(grid=5, predators=1, prey=1), 4000, seed=1)
    snap = env.get_state()
    snap["arrays"]["_pred"][:] = [(0, 0)]
    snap["arrays"]["_prey"][:] = [(2, 2)]
    env.set_state(snap)
    env.step(np.zeros((4000, 1), dtype=int))
    moved = env.get_state()["arrays"]["_prey"][:, 0] - [2, 2]
    for k, d in enumerate([(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]):
        counts[k] = np.all(moved == d, axis=1).sum()
    assert counts.sum() == 4000
    # each of the 5 options with p = 0.2: 5 standard errors = 5 * sqrt(0.16 / 4000) = 0.032
    assert np.all(np.abs(counts / 4000 - 0.2) < 0.032), counts


def test_observation_layout() -> None:
    env = _placed([(0, 0), (1, 0)], [(0, 1), (4, 4)])
    obs = env.current().obs[0]
    assert env.obs_dim == 53 and obs.shape == (2, 53)
    np.testing.assert_array_equal(obs[0, :2], [0, 0])
    np.testing.assert_allclose(obs[1, :2], [0.25, 0])
    prey0, pred0 = obs[0, 2:27].reshape(5, 5), obs[0, 27:52].reshape(5, 5)
    expect_prey = np.zeros((5, 5))
    expect_prey[2, 3] = 1  # prey at (0, 1) is one column right of predator 0 at the centre (2, 2)
    np.testing.assert_array_equal(prey0, expect_prey)
    expect_pred = np.zeros((5, 5))
    expect_pred[3, 2] = 1  # predator 1 one row below; the agent itself (centre) is excluded
    np.testing.assert_array_equal(pred0, expect_pred)
    pred1 = obs[1, 27:52].reshape(5, 5)
    assert pred1[1, 2] == 1 and pred1[2, 2] == 0
    assert obs[0, -1] == 0
    state = env.current().state[0]
    np.testing.assert_allclose(state, [0, 0, 0.25, 0, 0, 0.25, 1, 1, 1, 1, 0], atol=1e-7)


def test_config_validation_and_small_preset() -> None:
    small = PredatorPreyConfig.small()
    assert (small.grid, small.predators, small.prey, small.episode_limit) == (5, 2, 1, 50)
    default = PredatorPreyConfig()
    assert (default.grid, default.predators, default.prey, default.episode_limit, default.view) == (
        10, 8, 8, 200, 5)
    with pytest.raises(GameError, match="penalty"):
        PredatorPreyConfig(penalty=0.5)
    with pytest.raises(GameError, match="do not fit"):
        PredatorPreyConfig(grid=3, predators=5, prey=5)
    with pytest.raises(GameError, match="odd"):
        PredatorPreyConfig(view=4)


@settings(max_examples=25, deadline=None)
@given(grid=st.integers(3, 6), predators=st.integers(1, 4), prey=st.integers(1, 3),
       num_envs=st.integers(1, 4), seed=st.integers(0, 2**31 - 1),
       penalty=st.sampled_from([0.0, -0.5, -3.0]))
def test_invariants_under_random_play(grid: int, predators: int, prey: int, num_envs: int, seed: int,
                                      penalty: float) -> None:
    cfg = PredatorPreyConfig(grid=grid, predators=predators, prey=prey, episode_limit=12,
                             penalty=penalty)
    env = PredatorPreyEnv(cfg, num_envs, seed=seed)
    rng = np.random.default_rng(seed)
    low = cfg.step_reward + prey * cfg.penalty
    high = cfg.step_reward + prey * cfg.capture_reward
    prev_alive = env.get_state()["arrays"]["_alive"].sum(axis=1)
    for _ in range(30):
        ts = env.step(rng.integers(0, 5, (num_envs, predators)))
        a = env.get_state()["arrays"]
        for b in range(num_envs):
            cells = [tuple(p) for p in a["_pred"][b]] + [
                tuple(q) for q, live in zip(a["_prey"][b], a["_alive"][b], strict=True) if live]
            assert len(set(cells)) == len(cells), "two entities share a cell"
            assert all(0 <= r < grid and 0 <= c < grid for r, c in cells)
        alive = a["_alive"].sum(axis=1)
        assert np.all(alive[~ts.done] <= prev_alive[~ts.done]), "alive prey increased mid-episode"
        assert np.all(alive[ts.done] == prey), "a new episode starts with every prey alive"
        assert np.all((ts.reward >= low - 1e-9) & (ts.reward <= high + 1e-9))
        prev_alive = alive
