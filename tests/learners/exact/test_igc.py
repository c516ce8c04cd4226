"""Tests of learners/exact/igc.py: IGC (AgentMixer Def. 6) held exactly, discrete and continuous.

Distributions are drawn both from small integer weights (exact ties and zeros, the cases the tie
rule is about) and from continuous weights; logits reach ±1e3 so σ saturates.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from games.errors import GameError
from learners.exact.igc import (
    DEFAULT_BASE_CAP,
    gaussian_igc,
    gaussian_log_density,
    igc_cap,
    igc_cap_vjp,
    igc_joint,
    igc_modify,
    igc_modify_logits,
    igc_uncap,
    joint_mode,
    mode,
    softmax_modifier,
    softmax_modifier_counterexample,
)

SETTINGS = settings(max_examples=60, deadline=None)
LOGIT = st.floats(-1e3, 1e3, allow_nan=False)


@st.composite
def distribution(draw, size: int, full_support: bool = False) -> np.ndarray:
    low = 1 if full_support else 0
    if draw(st.booleans()):  # integer weights: exact ties and (unless full_support) zeros
        w = np.array(draw(st.lists(st.integers(low, 4), min_size=size, max_size=size)), dtype=float)
    else:
        w = np.array(draw(st.lists(st.floats(1e-3, 1.0), min_size=size, max_size=size)))
    assume(w.sum() > 0)
    return w / w.sum()


@st.composite
def batch_and_logits(draw, full_support: bool = False) -> tuple[np.ndarray, np.ndarray]:
    n_actions = draw(st.integers(1, 6))
    rows = draw(st.integers(1, 4))
    alpha = np.stack([draw(distribution(n_actions, full_support)) for _ in range(rows)])
    logits = np.array(draw(st.lists(LOGIT, min_size=alpha.size, max_size=alpha.size))).reshape(alpha.shape)
    return alpha, logits


def _assert_strict_mode(beta: np.ndarray, k: np.ndarray) -> None:
    top = np.take_along_axis(beta, k[..., None], axis=-1)
    others = beta.copy()
    np.put_along_axis(others, k[..., None], -np.inf, axis=-1)
    assert np.all(others < top)


@SETTINGS
@given(batch_and_logits())
def test_igc_modify_keeps_the_mode_strictly(case) -> None:
    alpha, logits = case
    beta = igc_modify(alpha, logits)
    assert beta.shape == alpha.shape
    assert np.all(beta >= 0) and np.allclose(beta.sum(axis=-1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(mode(beta), mode(alpha))
    np.testing.assert_array_equal(mode(beta), np.argmax(alpha, axis=-1))  # lowest index among ties
    _assert_strict_mode(beta, mode(alpha))
    assert np.all(beta[alpha == 0] == 0)  # the support never grows


@SETTINGS
@given(batch_and_logits(), st.floats(0.05, 1 - 1e-12))
def test_every_ratio_cap_keeps_the_mode(case, cap) -> None:
    alpha, logits = case
    beta = igc_modify(alpha, logits, ratio_cap=cap, base_cap=min(0.9, cap))
    k = mode(alpha)
    _assert_strict_mode(beta, k)
    top = np.take_along_axis(beta, k[..., None], axis=-1)
    off = np.ones(beta.shape, dtype=bool)
    np.put_along_axis(off, k[..., None], False, axis=-1)
    assert np.all((beta / top)[off] < cap * (1 + 1e-12))


def _zero_logit_reference(alpha: np.ndarray, q: float = DEFAULT_BASE_CAP) -> np.ndarray:
    """igc_modify(α, 0): ratios to the mode min(α_j / α_k, q), renormalised."""
    k = mode(alpha)[..., None]
    ratio = np.minimum(alpha / np.take_along_axis(alpha, k, axis=-1), q)
    np.put_along_axis(ratio, k, 1.0, axis=-1)
    return ratio / ratio.sum(axis=-1, keepdims=True)


@SETTINGS
@given(batch_and_logits())
def test_zero_logits_are_the_identity_below_the_base_cap(case) -> None:
    alpha, _ = case
    beta = igc_modify(alpha, np.zeros_like(alpha))
    np.testing.assert_allclose(beta, _zero_logit_reference(alpha), rtol=1e-12, atol=1e-15)
    k = mode(alpha)[..., None]
    ratio = alpha / np.take_along_axis(alpha, k, axis=-1)
    np.put_along_axis(ratio, k, 0.0, axis=-1)
    rows = ratio.max(axis=-1) <= DEFAULT_BASE_CAP
    np.testing.assert_allclose(beta[rows], alpha[rows], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("n_actions", [2, 3, 5])
def test_the_modifier_is_well_conditioned_at_uniform_alpha(n_actions) -> None:
    """A uniform α (every action tied) is the usual initialisation: ∂β/∂ε must not vanish there."""
    alpha = np.full(n_actions, 1.0 / n_actions)
    h = 1e-6
    for j in range(1, n_actions):
        step = np.zeros(n_actions)
        step[j] = h
        grad = (igc_modify(alpha, step) - igc_modify(alpha, -step)) / (2 * h)
        assert abs(grad[j]) > 0.01


@st.composite
def reachable_target(draw, full_support_alpha: bool = True):
    """α and a random β with the same support and a strict mode at mode(α) (ratios < 0.999)."""
    size = draw(st.integers(1, 6))
    alpha = draw(distribution(size, full_support_alpha))
    k = int(mode(alpha))
    w = np.array(draw(st.lists(st.floats(1e-3, 1.0), min_size=size, max_size=size)))
    w[alpha == 0] = 0
    w[k] = 0
    top = w.max() / draw(st.floats(0.01, 0.999)) if w.max() > 0 else 1.0
    w[k] = top
    return alpha, w / w.sum()


@SETTINGS
@given(reachable_target(full_support_alpha=False))
def test_surjectivity_any_strict_mode_target_is_reached(case) -> None:
    alpha, target = case
    eps = igc_modify_logits(alpha, target)
    assert np.all(np.isfinite(eps))
    np.testing.assert_allclose(igc_modify(alpha, eps), target, rtol=1e-9, atol=1e-14)


@SETTINGS
@given(batch_and_logits(full_support=True))
def test_logits_round_trip(case) -> None:
    alpha, logits = case
    logits = np.clip(logits, -15, 15)  # away from σ's saturation, where ε is not identifiable in floats
    beta = igc_modify(alpha, logits)
    eps = igc_modify_logits(alpha, beta)
    off = np.ones(alpha.shape, dtype=bool)
    np.put_along_axis(off, mode(alpha)[..., None], False, axis=-1)
    np.testing.assert_allclose(eps[off], logits[off], atol=1e-5)
    np.testing.assert_allclose(igc_modify(alpha, eps), beta, rtol=1e-10, atol=1e-15)


def test_unreachable_targets_are_rejected() -> None:
    alpha = np.array([0.5, 0.3, 0.2])
    with pytest.raises(GameError):
        igc_modify_logits(alpha, np.array([0.3, 0.5, 0.2]))  # wrong mode
    with pytest.raises(GameError):
        igc_modify_logits(alpha, np.array([0.5, 0.5, 0.0]))  # a tie, and a support change
    with pytest.raises(GameError):
        igc_modify_logits(np.array([0.5, 0.5, 0.0]), np.array([0.4, 0.3, 0.3]))  # support grows


def test_bad_inputs_are_rejected() -> None:
    alpha = np.array([0.5, 0.3, 0.2])
    with pytest.raises(GameError):
        igc_modify(alpha, np.zeros(2))
    with pytest.raises(GameError):
        igc_modify(np.array([0.5, 0.6, 0.2]), np.zeros(3))
    with pytest.raises(GameError):
        igc_modify(alpha, np.array([0.0, np.nan, 0.0]))
    with pytest.raises(GameError):
        igc_modify(alpha, np.zeros(3), ratio_cap=1.0)
    with pytest.raises(GameError):
        igc_joint([alpha, alpha], np.zeros((3, 2)))
    with pytest.raises(GameError):
        igc_joint([])


def test_softmax_modifier_counterexample() -> None:
    ce = softmax_modifier_counterexample()
    np.testing.assert_allclose(ce.alpha, [0.5, 0.3, 0.2])
    assert ce.temperature == 1.0 and ce.logits[1] == ce.logits.max() > 0
    assert ce.alpha_mode == 0 and ce.softmax_mode == 1
    assert ce.igc_mode == 0
    np.testing.assert_allclose(ce.softmax_beta, np.array([0.5, 0.3 * np.e**2, 0.2]) / (0.7 + 0.3 * np.e**2))
    np.testing.assert_array_equal(ce.igc_beta, igc_modify(ce.alpha, ce.logits))
    # the unconstrained construction fails for larger ε too, the IGC one never does
    for big in (2.0, 5.0, 50.0):
        eps = np.array([0.0, big, 0.0])
        assert mode(softmax_modifier(ce.alpha, eps)) == 1 and mode(igc_modify(ce.alpha, eps)) == 0


@st.composite
def joint_case(draw, batch: tuple[int, ...] = ()):
    n = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 4)) for _ in range(n)]
    rows = int(np.prod(batch, dtype=int))
    alphas = [np.stack([draw(distribution(a)) for _ in range(rows)]).reshape((*batch, a)) for a in sizes]
    logits = [np.array(draw(st.lists(LOGIT, min_size=a.size, max_size=a.size))).reshape(a.shape)
              for a in alphas]
    shape = batch + tuple(sizes)
    size = int(np.prod(shape))
    coupling = np.array(draw(st.lists(LOGIT, min_size=size, max_size=size))).reshape(shape)
    return alphas, logits, coupling


@SETTINGS
@given(joint_case())
def test_joint_mode_is_the_tuple_of_individual_modes(case) -> None:
    alphas, logits, coupling = case
    joint = igc_joint(alphas, coupling, logits)
    assert joint.shape == tuple(a.shape[-1] for a in alphas)
    assert np.all(joint >= 0) and np.isclose(joint.sum(), 1.0, atol=1e-12)
    modes = tuple(int(mode(a)) for a in alphas)
    assert joint_mode(joint) == modes
    rest = joint.copy()
    rest[modes] = -np.inf
    assert np.all(rest < joint[modes])  # strict: no tie for decentralized execution to break


@SETTINGS
@given(joint_case(batch=(2, 3)))
def test_batched_joint_matches_row_by_row(case) -> None:
    alphas, logits, coupling = case
    joint = igc_joint(alphas, coupling, logits)
    for idx in np.ndindex(2, 3):
        row = igc_joint([a[idx] for a in alphas], coupling[idx], [e[idx] for e in logits])
        np.testing.assert_allclose(joint[idx], row, rtol=1e-12, atol=1e-300)
        assert joint_mode(joint[idx]) == tuple(int(mode(a[idx])) for a in alphas)


@SETTINGS
@given(joint_case())
def test_zero_coupling_is_the_product_of_modified_marginals(case) -> None:
    alphas, logits, _ = case
    joint = igc_joint(alphas, None, logits)
    product = np.ones(())
    for a, e in zip(alphas, logits, strict=True):
        product = np.multiply.outer(product, igc_modify(a, e))
    expected = _zero_logit_reference(product.ravel()).reshape(product.shape)  # ratios above q start at q
    np.testing.assert_allclose(joint, expected, rtol=1e-9, atol=1e-300)
    ratios = product / product.max()
    if np.sort(ratios.ravel())[-2:-1].max(initial=0) <= DEFAULT_BASE_CAP:
        np.testing.assert_allclose(joint, product, rtol=1e-9, atol=1e-300)


@SETTINGS
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3), st.data())
def test_joint_surjectivity_any_correlated_target(sizes, data) -> None:
    alphas = [data.draw(distribution(a, full_support=True)) for a in sizes]
    modes = tuple(int(mode(a)) for a in alphas)
    shape = tuple(sizes)
    w = np.array(data.draw(st.lists(st.floats(1e-3, 1.0), min_size=int(np.prod(shape)),
                                    max_size=int(np.prod(shape))))).reshape(shape)
    w[modes] = 0
    w[modes] = w.max() / data.draw(st.floats(0.01, 0.999)) if w.size > 1 else 1.0
    target = w / w.sum()
    product = igc_joint(alphas)
    coupling = igc_modify_logits(product.ravel(), target.ravel()).reshape(shape)
    np.testing.assert_allclose(igc_joint(alphas, coupling), target, rtol=1e-8, atol=1e-14)


def test_coupling_correlates_agents() -> None:
    """Two agents, modes (0, 0): a coordination joint far from any product is reachable."""
    alphas = [np.array([0.6, 0.4]), np.array([0.7, 0.3])]
    target = np.array([[0.5, 0.01], [0.01, 0.48]])
    coupling = igc_modify_logits(igc_joint(alphas).ravel(), target.ravel()).reshape(2, 2)
    joint = igc_joint(alphas, coupling)
    np.testing.assert_allclose(joint, target, rtol=1e-9)
    assert joint_mode(joint) == (0, 0)
    assert not np.allclose(joint, np.outer(joint.sum(1), joint.sum(0)), atol=0.1)


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 5), st.data())
def test_gaussian_igc_mode_is_the_stacked_individual_means(n, d, m, data) -> None:
    finite = st.floats(-5, 5, allow_nan=False)
    means = np.array(data.draw(st.lists(finite, min_size=n * d, max_size=n * d))).reshape(n, d)
    factor = np.array(data.draw(st.lists(finite, min_size=n * d * m, max_size=n * d * m))).reshape(n * d, m)
    mean, cov = gaussian_igc(means, factor, jitter=1e-2)
    np.testing.assert_array_equal(mean, means.ravel())
    np.testing.assert_allclose(cov, cov.T)
    assert np.linalg.eigvalsh(cov).min() > 0
    np.testing.assert_allclose(cov, factor @ factor.T + 1e-2 * np.eye(n * d))
    for i in range(n):  # each agent's marginal mean (= its marginal mode) is its own mean
        np.testing.assert_array_equal(mean[i * d:(i + 1) * d], means[i])
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    points = mean + rng.normal(scale=rng.uniform(1e-3, 3), size=(32, n * d))
    assert np.all(gaussian_log_density(points, mean, cov) < gaussian_log_density(mean, mean, cov))


def test_gaussian_log_density_matches_the_closed_form() -> None:
    mean, cov = gaussian_igc(np.array([[1.0], [-2.0]]), np.array([[1.0, 0.0], [0.5, 1.0]]), jitter=0.5)
    x = np.array([0.3, 0.1])
    diff = x - mean
    expected = -0.5 * (diff @ np.linalg.solve(cov, diff) + np.log(np.linalg.det(cov)) + 2 * np.log(2 * np.pi))
    assert np.isclose(gaussian_log_density(x, mean, cov), expected)
    with pytest.raises(GameError):
        gaussian_igc(np.zeros(3), np.eye(3))
    with pytest.raises(GameError):
        gaussian_igc(np.zeros((2, 2)), np.eye(3))
    with pytest.raises(GameError):
        gaussian_igc(np.zeros((2, 2)), np.eye(4), jitter=0.0)


# --------------------------------------------------------------------------- igc_cap (any mode)


@st.composite
def logits_and_mode(draw) -> tuple[np.ndarray, np.ndarray]:
    n_actions = draw(st.integers(1, 6))
    rows = draw(st.integers(1, 4))
    logits = np.array(draw(st.lists(LOGIT, min_size=rows * n_actions, max_size=rows * n_actions)))
    logits = logits.reshape(rows, n_actions)
    k = np.array(draw(st.lists(st.integers(0, n_actions - 1), min_size=rows, max_size=rows)))
    if draw(st.booleans()) and n_actions > 1:   # some zero-probability actions off the mode
        off = (np.arange(n_actions)[None, :] != k[:, None]) & (logits < 0)
        logits = np.where(off, -np.inf, logits)
    return logits, k


@SETTINGS
@given(logits_and_mode(), st.floats(0.05, 1 - 1e-9))
def test_igc_cap_puts_a_strict_mode_anywhere(case, cap) -> None:
    logits, k = case
    beta = igc_cap(logits, k, ratio_cap=cap)
    assert np.all(beta >= 0) and np.allclose(beta.sum(axis=-1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(mode(beta), k)
    _assert_strict_mode(beta, k)
    assert np.all(beta[np.isneginf(logits)] == 0)


@SETTINGS
@given(logits_and_mode())
def test_igc_cap_round_trips_and_tracks_the_uncapped_odds(case) -> None:
    logits, k = case
    finite = np.where(np.isneginf(logits), -50.0, np.clip(logits, -15, 15))
    beta = igc_cap(finite, k, ratio_cap=0.9)
    back = igc_uncap(beta, k, ratio_cap=0.9)
    np.testing.assert_allclose(igc_cap(back, k, ratio_cap=0.9), beta, atol=1e-9)
    # far below the cap the odds to the mode are the uncapped ones
    top = np.take_along_axis(finite, k[:, None], axis=1)
    low = finite - top < -20
    ratio = beta / np.take_along_axis(beta, k[:, None], axis=1)
    np.testing.assert_allclose(ratio[low], np.exp(finite - top)[low], rtol=1e-6)


def test_igc_cap_vjp_matches_finite_differences() -> None:
    rng = np.random.default_rng(4)
    logits, k = rng.normal(scale=3.0, size=(5, 4)), rng.integers(0, 4, size=5)
    g = rng.normal(size=logits.shape)
    got = igc_cap_vjp(logits, k, g)
    fd = np.zeros_like(logits)
    for idx in np.ndindex(*logits.shape):
        up, down = logits.copy(), logits.copy()
        up[idx] += 1e-6
        down[idx] -= 1e-6
        fd[idx] = ((igc_cap(up, k) - igc_cap(down, k)) * g).sum() / 2e-6
    np.testing.assert_allclose(got, fd, atol=1e-7)


def test_igc_cap_rejects_bad_modes() -> None:
    with pytest.raises(GameError):
        igc_cap(np.zeros(3), 3)
    with pytest.raises(GameError):
        igc_cap(np.array([0.0, -np.inf]), 1)          # the mode needs positive probability
    with pytest.raises(GameError):
        igc_uncap(np.array([0.5, 0.5]), 0)            # a tie is not a strict mode
