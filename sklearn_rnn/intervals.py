"""Prediction intervals whose width adapts online to the misses observed so far.

A model's spread is calibrated on data before its forecasts (the Gaussian
head's ``std_scale_`` on its early-stopping windows); when the errors of the
forecast period differ from those, its intervals stay too wide or too narrow
for the whole period. Adaptive conformal inference (Gibbs & Candes, 2021,
"Adaptive conformal inference under distribution shift") watches the outcomes
as they arrive and moves the interval's level after each one: a miss widens
the next intervals, a hit narrows them, so that the share of misses over a
period approaches the nominal one whatever the model's calibration.
:class:`AdaptiveIntervals` draws them around a model's predicted spread;
:class:`ConformalIntervals` takes their width from the model's own past
errors, for models that predict no spread.
"""

import math
from numbers import Integral, Real

import numpy as np
from scipy.stats import norm
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval

#: The widest interval drawn, in standard deviations: the central 99.8% of a
#: Gaussian (a working miss rate of 0.002 or below). Wider caps cost interval
#: score on the forecasting panels for no more series in range (study 41).
MAX_Z = float(norm.ppf(1 - 0.002 / 2))


class _AdaptiveLevel(BaseEstimator):
    """The working miss rate that both kinds of adaptive intervals move."""

    def _start(self):
        if not hasattr(self, "alpha_"):
            self._validate_params()
            self.alpha_ = 1.0 - self.coverage
            self.n_updates_ = 0
            self.n_misses_ = 0

    def _move(self, missed):
        """Move the level by the outcomes of intervals given earlier (a boolean per outcome)."""
        # Each outcome moves the level by step_size * (target - miss); the
        # intervals were given already, so the moves simply add up.
        target = 1.0 - self.coverage
        self.alpha_ += float(self.step_size * (target * len(missed) - missed.sum()))
        self.n_updates_ += len(missed)
        self.n_misses_ += int(missed.sum())


class AdaptiveIntervals(_AdaptiveLevel):
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
        _check_order(y_lower, y_upper)
        self._move(~((y_lower <= y_true) & (y_true <= y_upper)))
        return self


class ConformalIntervals(_AdaptiveLevel):
    """Intervals from a model's own past errors, their level adapting to the misses seen so far.

    For a forecaster that predicts no spread (Ridge on lagged windows, the
    last value, a combination of such). Its intervals are ``y_pred -+ q``,
    ``q`` the ``ceil((n + 1) * (1 - alpha_))``-th smallest of the ``n``
    absolute errors observed so far: the quantile of split conformal
    prediction, which holds at least ``1 - alpha_`` of a new error drawn like
    the past ones (online split conformal prediction). There is one history
    of errors per ``step`` (the steps ahead of a multi-step forecaster, whose
    errors grow with the step). The working miss rate ``alpha_`` starts at ``1 - coverage`` and
    moves as in :class:`AdaptiveIntervals` (Gibbs & Candes 2021): a miss
    widens the next intervals, a hit narrows them, so the share of misses
    approaches ``1 - coverage`` as the errors drift, as long as the largest
    past error (the widest interval drawn) holds the outcomes.

    Until a step has ``min_errors`` past errors its intervals are NaN: no
    interval is drawn for a model's first forecasts. Their outcomes add
    their errors and do not move the level. :func:`~sklearn_rnn.backtest`
    scores these intervals for every model without a spread (its
    ``adaptive_coverage``, over the values that have one, and
    ``adaptive_drawn``, the share that do).

    Parameters
    ----------
    coverage : float, default=0.8
        The share of outcomes the intervals should hold, in (0, 1).
    step_size : float, default=0.02
        How far one outcome moves the level (Gibbs & Candes' gamma), as in
        :class:`AdaptiveIntervals`. On the forecasting panels (study 42) it
        put Ridge's 80% intervals at 75-85% coverage on 18 of 22 series (all
        13 development series), against 13 for a step of 1e-6 (near the
        plain quantile of its past errors); 0.05 put 18 in range too, 12 of
        13 development series, at a 2% higher interval score there.
    min_errors : int, default=5
        Past errors a step needs before its intervals are drawn (study 42: 3
        put more development series in range and fewer held-out ones, 10
        fewer of both).

    Attributes
    ----------
    alpha_ : float
        The working miss rate (may leave [0, 1]: below ``2 / (n + 1)`` the
        half-width is the largest of the step's ``n`` past errors, at
        ``n / (n + 1)`` or above the smallest).
    errors_ : dict of int to list of float
        The absolute errors observed at each step, in the order fed.
    n_updates_ : int
        Outcomes that had an interval (those that moved the level).
    n_misses_ : int
        Of those, outcomes outside their interval.

    Examples
    --------
    Errors whose scale doubles halfway: over the second half, the plain
    quantile of the past errors (a step size near 0) holds 56% of the
    outcomes, the adapted one 79%.

    >>> rng = np.random.default_rng(0)
    >>> y = rng.normal(size=2000) * np.repeat([1.0, 2.0], 1000)
    >>> def coverage(calibrator):
    ...     inside = []
    ...     for t in range(2000):
    ...         lower, upper = calibrator.interval(0.0)
    ...         if not np.isnan(lower):
    ...             inside.append(lower <= y[t] <= upper)
    ...         _ = calibrator.update(y[t], lower, upper, y_pred=0.0)
    ...     return round(float(np.mean(inside[1000:])), 2)
    >>> coverage(ConformalIntervals(step_size=1e-6)), coverage(ConformalIntervals())
    (0.56, 0.79)
    """

    _parameter_constraints = {
        "coverage": [Interval(Real, 0, 1, closed="neither")],
        "step_size": [Interval(Real, 0, None, closed="neither")],
        "min_errors": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, coverage=0.8, *, step_size=0.02, min_errors=5):
        self.coverage = coverage
        self.step_size = step_size
        self.min_errors = min_errors

    def _start(self):
        if not hasattr(self, "alpha_"):
            super()._start()
            self.errors_ = {}

    def _half_width(self, errors):
        n = len(errors)
        if n < self.min_errors:
            return np.nan
        k = min(max(math.ceil((n + 1) * (1.0 - self.alpha_)), 1), n)
        return float(np.partition(errors, k - 1)[k - 1])

    def interval(self, y_pred, step=None):
        """The lower and upper ends of the intervals at the current level.

        Parameters
        ----------
        y_pred : float or array-like
            Forecasts.
        step : int or array-like of int, default=None
            Which history of errors each forecast's interval comes from (its
            steps ahead), broadcast to ``y_pred``'s shape; None: one history.

        Returns
        -------
        lower, upper : ndarray (0-d for scalars)
            NaN where the step has fewer than ``min_errors`` past errors.
        """
        self._start()
        (y_pred,) = _floats(y_pred=y_pred)
        step = _steps(step, y_pred.shape)
        half = np.empty(y_pred.shape)
        for h in np.unique(step):
            half[step == h] = self._half_width(self.errors_.get(int(h), []))
        return y_pred - half, y_pred + half

    def update(self, y_true, y_lower, y_upper, *, y_pred, step=None):
        """Record the errors of forecasts given earlier and move the level by their misses.

        Parameters
        ----------
        y_true, y_lower, y_upper : float or array-like of one shape
            Outcomes and the intervals that :meth:`interval` gave for them
            (NaN, both ends, where it gave none); arrays are read in C order,
            one outcome after the other.
        y_pred : float or array-like of that shape
            The forecasts of those outcomes.
        step : int or array-like of int, default=None
            Their steps, as given to :meth:`interval`.

        Returns
        -------
        self
        """
        self._start()
        y_true, y_pred = _floats(y_true=y_true, y_pred=y_pred)
        y_lower, y_upper = _floats(y_lower=y_lower, y_upper=y_upper, allow_nan=True)
        if y_lower.shape != y_true.shape:
            raise ValueError(
                f"y_true, y_lower, y_upper must have one shape; got {y_true.shape}, "
                f"{y_lower.shape}, {y_upper.shape}."
            )
        step = _steps(step, y_true.shape).ravel()
        y_true, y_pred, y_lower, y_upper = (a.ravel() for a in (y_true, y_pred, y_lower, y_upper))
        if np.any(np.isnan(y_lower) != np.isnan(y_upper)):
            i = int(np.argmax(np.isnan(y_lower) != np.isnan(y_upper)))
            raise ValueError(
                "y_lower and y_upper must be NaN together (no interval given); outcome "
                f"{i} has the interval [{y_lower[i]:g}, {y_upper[i]:g}]."
            )
        _check_order(y_lower, y_upper)
        for h, error in zip(step.tolist(), np.abs(y_true - y_pred).tolist()):
            self.errors_.setdefault(h, []).append(error)
        given = ~np.isnan(y_lower)
        inside = (y_lower[given] <= y_true[given]) & (y_true[given] <= y_upper[given])
        self._move(~inside)
        return self


def _steps(step, shape):
    """``step`` as integers of ``shape``: zeros for None."""
    if step is None:
        return np.zeros(shape, dtype=np.int64)
    step = np.asarray(step)
    if step.dtype.kind not in "iu":
        raise TypeError(f"step must be integers (the steps ahead); got dtype {step.dtype}.")
    try:
        return np.broadcast_to(step, shape)
    except ValueError:
        raise ValueError(
            f"step of shape {step.shape} does not match the forecasts' shape {shape}."
        ) from None


def _check_order(y_lower, y_upper):
    wrong = y_lower > y_upper
    if np.any(wrong):
        i = int(np.argmax(wrong))
        raise ValueError(
            f"y_lower must not exceed y_upper; outcome {i} has the interval "
            f"[{y_lower[i]:g}, {y_upper[i]:g}]."
        )


def _floats(allow_nan=False, **arrays):
    """The named arrays as float64, checked: one shape, no NaN (unless allowed)."""
    out = {name: np.asarray(a, dtype=np.float64) for name, a in arrays.items()}
    if len({a.shape for a in out.values()}) > 1:
        raise ValueError(
            f"{', '.join(out)} must have one shape; got "
            + ", ".join(str(a.shape) for a in out.values())
            + "."
        )
    for name, a in out.items():
        if not allow_nan and np.isnan(a).any():
            raise ValueError(f"{name} holds NaN.")
    return list(out.values())
