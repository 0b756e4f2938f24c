"""Prediction intervals whose width adapts online to the misses observed so far.

A model's spread is calibrated on data before its forecasts (the Gaussian
head's ``std_scale_`` on its early-stopping windows); when the errors of the
forecast period differ from those, its intervals stay too wide or too narrow
for the whole period. Adaptive conformal inference (Gibbs & Candes, 2021,
"Adaptive conformal inference under distribution shift") watches the outcomes
as they arrive and moves the interval's level after each one: a miss widens
the next intervals, a hit narrows them, so that the share of misses over a
period approaches the nominal one whatever the model's calibration.
"""

from numbers import Real

import numpy as np
from scipy.stats import norm
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval

#: The widest interval drawn, in standard deviations: the central 99.8% of a
#: Gaussian (a working miss rate of 0.002 or below). Wider caps cost interval
#: score on the forecasting panels for no more series in range (study 41).
MAX_Z = float(norm.ppf(1 - 0.002 / 2))


class AdaptiveIntervals(BaseEstimator):
    """Central Gaussian intervals whose level adapts to the misses seen so far.

    Keeps a working miss rate ``alpha_``, starting at ``1 - coverage``. Its
    intervals are ``y_pred -+ z * y_std`` with ``z = norm.ppf(1 - alpha_ /
    2)``. Each outcome passed to :meth:`update` moves it by ``step_size *
    ((1 - coverage) - miss)``: a miss (the value outside the interval that
    was given for it) lowers it and widens the next intervals, a hit raises
    it a little. Over a run of ``T`` outcomes the share of misses comes
    within about ``(1 + step_size) / (step_size * T)`` of ``1 - coverage``
    (Gibbs & Candes 2021), whatever the spread's calibration, as long as the
    widest interval drawn (``MAX_Z``: 3.09 standard deviations, a Gaussian's
    central 99.8%) holds the outcomes; the spread still sets the intervals'
    shape (wider where the model is less sure).

    It works beside any model that predicts a standard deviation
    (``predict(X, return_std=True)`` of ``LSTMRegressor(loss='gaussian_nll')``,
    :class:`HoltWintersForecaster`, a :class:`ForecastCombination` whose parts
    all have one), and :func:`~sklearn_rnn.backtest` scores it for every such
    model (its ``adaptive_coverage``).

    Parameters
    ----------
    coverage : float, default=0.8
        The share of outcomes the intervals should hold, in (0, 1).
    step_size : float, default=0.02
        How far one outcome moves the level (Gibbs & Candes' gamma): larger
        adapts faster and wanders more. On the forecasting panels (study 41)
        0.02 was the smallest that put the half re-based LSTM's 80%
        intervals at 75-85% coverage on all 13 development series (0.01:
        10); 0.05 did as well there and better on the held-out series (7 of
        9 against 5), at an interval score 16% above that of the model's own
        intervals on the development series, against 10.5% for 0.02.

    Attributes
    ----------
    alpha_ : float
        The working miss rate (may leave [0, 1]: at 0.002 or below the
        interval is the widest drawn, ``MAX_Z`` standard deviations; at 1 or
        above it is the forecast alone).
    n_updates_ : int
        Outcomes seen.
    n_misses_ : int
        Outcomes outside their interval.

    Examples
    --------
    A model whose spread is half the true one: its 80% intervals hold about
    half the outcomes; adapted, close to 80%.

    >>> rng = np.random.default_rng(0)
    >>> y = rng.normal(size=2000)
    >>> pred, std = np.zeros(2000), np.full(2000, 0.5)
    >>> aci = AdaptiveIntervals(coverage=0.8)
    >>> inside = []
    >>> for t in range(2000):
    ...     lower, upper = aci.interval(pred[t], std[t])
    ...     inside.append(lower <= y[t] <= upper)
    ...     _ = aci.update(y[t], lower, upper)
    >>> round(float(np.mean(np.abs(y) <= 1.2816 * 0.5)), 2), round(float(np.mean(inside)), 2)
    (0.47, 0.8)
    """

    _parameter_constraints = {
        "coverage": [Interval(Real, 0, 1, closed="neither")],
        "step_size": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, coverage=0.8, *, step_size=0.02):
        self.coverage = coverage
        self.step_size = step_size

    def _start(self):
        if not hasattr(self, "alpha_"):
            self._validate_params()
            self.alpha_ = 1.0 - self.coverage
            self.n_updates_ = 0
            self.n_misses_ = 0

    @property
    def z_(self):
        """The half-width of the next intervals, in standard deviations."""
        self._start()
        if self.alpha_ <= 0:
            return MAX_Z
        if self.alpha_ >= 1:
            return 0.0
        return min(float(norm.ppf(1 - self.alpha_ / 2)), MAX_Z)

    def interval(self, y_pred, y_std):
        """The lower and upper ends of the intervals at the current level.

        Parameters
        ----------
        y_pred, y_std : float or array-like of one shape
            Forecasts and their standard deviations (non-negative).

        Returns
        -------
        lower, upper : ndarray (0-d for scalars)
        """
        y_pred, y_std = _floats(y_pred=y_pred, y_std=y_std)
        if np.any(y_std < 0):
            raise ValueError("y_std must be non-negative (standard deviations).")
        half = self.z_ * y_std
        return y_pred - half, y_pred + half

    def update(self, y_true, y_lower, y_upper):
        """Move the level by the outcomes of intervals given earlier, in the order they came.

        Parameters
        ----------
        y_true, y_lower, y_upper : float or array-like of one shape
            Outcomes and the intervals that :meth:`interval` gave for them;
            arrays are read in C order, one outcome after the other.

        Returns
        -------
        self
        """
        self._start()
        arrays = _floats(y_true=y_true, y_lower=y_lower, y_upper=y_upper)
        y_true, y_lower, y_upper = (a.ravel() for a in arrays)
        if np.any(y_lower > y_upper):
            i = int(np.argmax(y_lower > y_upper))
            raise ValueError(
                f"y_lower must not exceed y_upper; outcome {i} has the interval "
                f"[{y_lower[i]:g}, {y_upper[i]:g}]."
            )
        missed = ~((y_lower <= y_true) & (y_true <= y_upper))
        target = 1.0 - self.coverage
        # Each outcome moves the level by step_size * (target - miss); the
        # intervals were given already, so the moves simply add up.
        self.alpha_ += float(self.step_size * (target * len(missed) - missed.sum()))
        self.n_updates_ += len(missed)
        self.n_misses_ += int(missed.sum())
        return self


def _floats(**arrays):
    """The named arrays as float64, checked: one shape, no NaN."""
    out = {name: np.asarray(a, dtype=np.float64) for name, a in arrays.items()}
    if len({a.shape for a in out.values()}) > 1:
        raise ValueError(
            f"{', '.join(out)} must have one shape; got "
            + ", ".join(str(a.shape) for a in out.values())
            + "."
        )
    for name, a in out.items():
        if np.isnan(a).any():
            raise ValueError(f"{name} holds NaN.")
    return list(out.values())
