import numpy as np
import pytest
from scipy.stats import norm
from sklearn.base import clone

from sklearn_rnn import AdaptiveIntervals
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
