import numpy as np
import pytest
from scipy.stats import norm
from sklearn.base import clone

from sklearn_rnn import AdaptiveIntervals, ConformalIntervals
from sklearn_rnn.intervals import MAX_Z


def _run(aci, y, pred, std):
    """Issue each interval at the current level, then feed its outcome back: the share inside."""
    inside = []
    for t in range(len(y)):
        lower, upper = aci.interval(pred[t], std[t])
        inside.append(lower <= y[t] <= upper)
        aci.update(y[t], lower, upper)
    return np.mean(inside)


def test_adaptive_intervals_start_at_the_nominal_gaussian_interval():
    aci = AdaptiveIntervals(coverage=0.9)
    lower, upper = aci.interval([1.0, 2.0], [1.0, 0.5])
    z = norm.ppf(0.95)
    np.testing.assert_allclose(lower, [1 - z, 2 - 0.5 * z])
    np.testing.assert_allclose(upper, [1 + z, 2 + 0.5 * z])
    assert aci.alpha_ == pytest.approx(0.1) and aci.n_updates_ == 0


def test_adaptive_intervals_a_miss_widens_and_a_hit_narrows():
    aci = AdaptiveIntervals(coverage=0.8, step_size=0.05)
    aci.update(5.0, -1.0, 1.0)  # a miss
    assert aci.alpha_ == pytest.approx(0.2 + 0.05 * (0.2 - 1))
    assert aci.z_ > norm.ppf(0.9)
    aci.update(0.0, -1.0, 1.0)  # a hit
    assert aci.alpha_ == pytest.approx(0.16 + 0.05 * 0.2)
    assert (aci.n_updates_, aci.n_misses_) == (2, 1)


def test_adaptive_intervals_update_of_an_array_equals_one_by_one():
    rng = np.random.default_rng(1)
    y, lower = rng.normal(size=(2, 30))
    upper = lower + rng.uniform(0, 2, size=30)
    together = AdaptiveIntervals(step_size=0.02).update(
        y.reshape(5, 6), lower.reshape(5, 6), upper.reshape(5, 6)
    )
    alone = AdaptiveIntervals(step_size=0.02)
    for a, b, c in zip(y, lower, upper):
        alone.update(a, b, c)
    assert together.alpha_ == pytest.approx(alone.alpha_)
    assert together.n_misses_ == alone.n_misses_ == int(np.sum((y < lower) | (y > upper)))


@pytest.mark.parametrize("scale", [0.6, 3.0])
@pytest.mark.parametrize("step_size", [0.01, 0.05])
def test_adaptive_intervals_reach_the_nominal_coverage_whatever_the_spread(scale, step_size):
    # The spread is off by a factor (too narrow, too wide) and, halfway, the
    # noise grows by 30%. The model's own intervals miss badly; the adapted ones
    # hold the nominal share within Gibbs & Candes' bound.
    rng = np.random.default_rng(0)
    n = 4000
    noise = np.where(np.arange(n) < n // 2, 1.0, 1.3)
    y = rng.normal(size=n) * noise
    pred, std = np.zeros(n), np.full(n, scale)
    own = np.mean(np.abs(y) <= norm.ppf(0.9) * scale)
    assert abs(own - 0.8) > 0.15
    adapted = _run(AdaptiveIntervals(0.8, step_size=step_size), y, pred, std)
    assert abs(adapted - 0.8) <= (1 + step_size) / (step_size * n)


def test_adaptive_intervals_widest_and_narrowest():
    aci = AdaptiveIntervals(coverage=0.8, step_size=1.0)
    aci.update(5.0, -1.0, 1.0)  # alpha 0.2 - 0.8 < 0: the widest interval drawn
    assert aci.alpha_ < 0 and aci.z_ == MAX_Z
    np.testing.assert_allclose(aci.interval(0.0, 2.0), (-2 * MAX_Z, 2 * MAX_Z))
    aci = AdaptiveIntervals(coverage=0.8, step_size=5.0)
    aci.update(0.0, -1.0, 1.0)  # alpha 0.2 + 1.0 > 1: the forecast alone
    assert aci.z_ == 0.0
    np.testing.assert_allclose(aci.interval(3.0, 2.0), (3.0, 3.0))


def test_adaptive_intervals_clone_keeps_parameters_not_state():
    aci = AdaptiveIntervals(coverage=0.9, step_size=0.01).update(5.0, 0.0, 1.0)
    fresh = clone(aci)
    assert fresh.get_params() == {"coverage": 0.9, "step_size": 0.01}
    assert not hasattr(fresh, "alpha_") and fresh.z_ == pytest.approx(norm.ppf(0.95))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"coverage": 1.0}, "'coverage' parameter of AdaptiveIntervals must be a float"),
        (
            {"coverage": 0.8, "step_size": 0},
            "'step_size' parameter of AdaptiveIntervals must be a float",
        ),
        (
            {"coverage": 0.8, "step_size": np.inf},
            r"must be a float in the range \(0.0, inf\). Got inf",
        ),
    ],
)
def test_adaptive_intervals_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        AdaptiveIntervals(**params).interval(0.0, 1.0)


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda a: a.interval([0.0, 1.0], [1.0]),
            "y_pred, y_std must have one shape; got \\(2,\\)",
        ),
        (lambda a: a.interval(0.0, -1.0), "y_std must be non-negative"),
        (lambda a: a.interval(np.nan, 1.0), "y_pred holds NaN"),
        (lambda a: a.update([1.0], [0.0], [np.nan]), "y_upper holds NaN"),
        (
            lambda a: a.update([1.0, 2.0], [0.0, 3.0], [2.0, 1.0]),
            r"outcome 1 has the interval \[3, 1\]",
        ),
        (lambda a: a.update([1.0, 2.0], [0.0], [2.0]), "y_true, y_lower, y_upper must"),
    ],
)
def test_adaptive_intervals_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call(AdaptiveIntervals())


def _run_conformal(calibrator, y, pred):
    """Conformal intervals issued and fed back one by one: the share inside, over those drawn."""
    inside = []
    for t in range(len(y)):
        lower, upper = calibrator.interval(pred[t])
        if not np.isnan(lower):
            inside.append(lower <= y[t] <= upper)
        calibrator.update(y[t], lower, upper, y_pred=pred[t])
    return np.mean(inside), len(inside)


def test_conformal_intervals_wait_for_past_errors_then_take_their_quantile():
    calibrator = ConformalIntervals(min_errors=3)
    lower, upper = calibrator.interval([1.0, 2.0])
    assert np.isnan(lower).all() and np.isnan(upper).all()
    # Errors 1 and 2 (no interval given: they do not move the level), then a third.
    calibrator.update([1.0, 4.0], [np.nan] * 2, [np.nan] * 2, y_pred=[0.0, 2.0])
    assert np.isnan(calibrator.interval(0.0)[0])
    calibrator.update(13.0, np.nan, np.nan, y_pred=10.0)
    assert calibrator.n_updates_ == 0 and calibrator.alpha_ == pytest.approx(0.2)
    assert calibrator.errors_ == {0: [1.0, 2.0, 3.0]}
    # Of 3 errors, the ceil(4 * 0.8) = 4th smallest, kept to the largest: 3.
    lower, upper = calibrator.interval(10.0)
    assert (lower, upper) == (7.0, 13.0)
    # A miss widens: the level falls to 0.2 - 0.02 * 0.8; a run of hits narrows.
    calibrator.update(20.0, lower, upper, y_pred=10.0)
    assert calibrator.alpha_ == pytest.approx(0.2 - 0.016) and calibrator.n_misses_ == 1
    assert calibrator.errors_[0][-1] == 10.0


def test_conformal_intervals_keep_one_history_per_step():
    calibrator = ConformalIntervals(min_errors=2)
    nan = np.full(6, np.nan)
    pred = np.zeros(6)
    y_true = np.array([1.0, 10.0, 2.0, 20.0, 3.0, 30.0])
    step = np.array([1, 2, 1, 2, 1, 2])
    calibrator.update(y_true, nan, nan, y_pred=pred, step=step)
    assert calibrator.errors_ == {1: [1.0, 2.0, 3.0], 2: [10.0, 20.0, 30.0]}
    lower, upper = calibrator.interval(np.zeros((2, 3)), step=np.array([1, 2, 3]))
    np.testing.assert_array_equal(upper, [[3.0, 30.0, np.nan]] * 2)
    np.testing.assert_array_equal(lower, -upper)
    # A scalar step for every forecast; None is its own history (no errors there yet).
    assert calibrator.interval([0.0, 1.0], step=2)[1].tolist() == [30.0, 31.0]
    assert np.isnan(calibrator.interval(0.0)[1])


def test_conformal_intervals_update_of_an_array_equals_one_by_one():
    rng = np.random.default_rng(1)
    y, pred = rng.normal(size=50), rng.normal(size=50) * 0.1
    lower = np.where(np.arange(50) < 5, np.nan, pred - 1.0)
    upper = np.where(np.arange(50) < 5, np.nan, pred + 1.0)
    together = ConformalIntervals().update(y, lower, upper, y_pred=pred)
    alone = ConformalIntervals()
    for t in range(50):
        alone.update(y[t], lower[t], upper[t], y_pred=pred[t])
    assert together.alpha_ == pytest.approx(alone.alpha_)
    assert together.errors_ == alone.errors_
    assert (together.n_updates_, together.n_misses_) == (alone.n_updates_, alone.n_misses_)
    assert together.n_updates_ == 45


@pytest.mark.parametrize("step_size", [0.02, 0.05])
def test_conformal_intervals_follow_errors_that_grow(step_size):
    """Errors whose scale triples halfway: the plain quantile of the past errors falls far
    short in the second half, the adapted one comes near the nominal coverage."""
    rng = np.random.default_rng(0)
    y = rng.normal(size=3000) * np.repeat([1.0, 3.0], 1500)
    pred = np.zeros(3000)
    plain, _ = _run_conformal(ConformalIntervals(step_size=1e-6), y[:3000], pred)
    adapted, drawn = _run_conformal(ConformalIntervals(step_size=step_size), y, pred)
    assert drawn == 3000 - 5
    assert plain < 0.7
    assert abs(adapted - 0.8) < 0.02


def test_conformal_intervals_widest_and_narrowest():
    calibrator = ConformalIntervals(min_errors=1)
    calibrator.update([1.0, 5.0, 2.0], [np.nan] * 3, [np.nan] * 3, y_pred=[0.0] * 3)
    calibrator.alpha_ = -0.5
    assert calibrator.interval(0.0)[1] == 5.0
    calibrator.alpha_ = 1.5
    assert calibrator.interval(0.0)[1] == 1.0


def test_conformal_intervals_clone_keeps_parameters_not_state():
    calibrator = ConformalIntervals(coverage=0.9, step_size=0.01, min_errors=2)
    calibrator.update([1.0, 2.0], [np.nan] * 2, [np.nan] * 2, y_pred=[0.0, 0.0])
    fresh = clone(calibrator)
    assert fresh.get_params() == {"coverage": 0.9, "step_size": 0.01, "min_errors": 2}
    assert not hasattr(fresh, "errors_") and np.isnan(fresh.interval(0.0)[0])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"coverage": 0.0}, "'coverage' parameter of ConformalIntervals must be a float"),
        ({"step_size": -1.0}, "'step_size' parameter of ConformalIntervals must be a float"),
        ({"min_errors": 0}, "'min_errors' parameter of ConformalIntervals must be an int"),
        ({"min_errors": 2.5}, "'min_errors' parameter of ConformalIntervals must be an int"),
    ],
)
def test_conformal_intervals_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        ConformalIntervals(**params).interval(0.0)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda c: c.interval(np.nan), ValueError, "y_pred holds NaN"),
        (lambda c: c.interval([0.0, 1.0], step=[1, 2, 3]), ValueError, r"step of shape \(3,\)"),
        (lambda c: c.interval(0.0, step=1.5), TypeError, "step must be integers"),
        (lambda c: c.update(1.0, 0.0, 2.0), TypeError, "y_pred"),
        (lambda c: c.update(np.nan, 0.0, 2.0, y_pred=1.0), ValueError, "y_true holds NaN"),
        (lambda c: c.update(1.0, 0.0, 2.0, y_pred=np.nan), ValueError, "y_pred holds NaN"),
        (
            lambda c: c.update([1.0, 1.0], [0.0, np.nan], [2.0, 3.0], y_pred=[1.0, 1.0]),
            ValueError,
            r"NaN together \(no interval given\); outcome 1 has the interval \[nan, 3\]",
        ),
        (
            lambda c: c.update([1.0], [3.0], [2.0], y_pred=[1.0]),
            ValueError,
            r"outcome 0 has the interval \[3, 2\]",
        ),
        (
            lambda c: c.update([1.0, 2.0], [0.0], [2.0], y_pred=[1.0, 2.0]),
            ValueError,
            "y_true, y_lower, y_upper must have one shape",
        ),
        (
            lambda c: c.update([1.0, 2.0], [0.0, 0.0], [2.0, 2.0], y_pred=[1.0]),
            ValueError,
            "y_true, y_pred must have one shape",
        ),
    ],
)
def test_conformal_intervals_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call(ConformalIntervals())
