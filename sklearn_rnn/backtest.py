"""Rolling-origin backtests of forecasters on a series, and the naive forecasts they must beat.

:func:`backtest` cuts a series into supervised windows
(:func:`~sklearn_rnn.make_windows`), splits them into time-ordered folds
(``TimeSeriesSplit`` with ``gap=horizon - 1``, so no training window's
targets reach into the test period), fits every model on each fold's past
and scores its forecasts of the fold: MAE, RMSE, MASE (scaled by the
in-sample one-step seasonal-naive error of the fold's training series) and,
for models that predict their spread (``predict(X, return_std=True)``), the
coverage of their central intervals as predicted; and the coverage of
intervals that adapt to the misses seen along the test periods, around the
spread (:class:`~sklearn_rnn.AdaptiveIntervals`) or, for models without
one, from their past errors (:class:`~sklearn_rnn.ConformalIntervals`).
The same folds serve every model.
:func:`forecast` then fits the same models on the whole series and forecasts
past its end.

:class:`LastValueForecaster` and :class:`SeasonalNaiveForecaster` are the
reference forecasts as scikit-learn regressors on windows, so they go
through the same backtest, Pipeline and cross-validation as any model.
"""

import heapq
import time
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils import metadata_routing
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted

from .intervals import AdaptiveIntervals, ConformalIntervals
from .regressor import LSTMRegressor
from .timeseries import (
    RollingOriginSplit,
    SequenceScaler,
    _as_series_list,
    forecast_windows,
    make_windows,
)


def _check_windows(X):
    X = np.asarray(X)
    if X.ndim != 3 or X.dtype == object:
        raise ValueError(
            "Expected windows as a 3-D float array (n_windows, lookback, n_features), as "
            f"make_windows returns; got an array of shape {X.shape} and dtype {X.dtype}."
        )
    return X.astype(np.float64)


class _NaiveForecaster(RegressorMixin, BaseEstimator):
    """What the naive forecasters share: the target column and the outputs' shape."""

    _parameter_constraints = {"target": [Interval(Integral, 0, None, closed="left")]}

    def fit(self, X, y):
        """Learn the number of outputs (horizon steps) from y; nothing else is learned."""
        self._validate_params()
        X = _check_windows(X)
        y = np.asarray(y, dtype=np.float64)
        if len(y) != len(X):
            raise ValueError(f"X holds {len(X)} windows but y holds {len(y)} targets.")
        if self.target >= X.shape[2]:
            raise ValueError(f"target={self.target} but the windows have {X.shape[2]} feature(s).")
        self.n_features_in_ = X.shape[2]
        self.lookback_ = X.shape[1]
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        self._y_ndim = y.ndim
        return self

    def predict(self, X):
        """The forecast of each window, in the shape of the training targets."""
        check_is_fitted(self, "n_outputs_")
        X = _check_windows(X)
        if X.shape[2] != self.n_features_in_:
            raise ValueError(
                f"The windows have {X.shape[2]} feature(s); fitted on {self.n_features_in_}."
            )
        pred = self._forecast(X[:, :, self.target])
        return pred.ravel() if self._y_ndim == 1 else pred


class LastValueForecaster(_NaiveForecaster):
    """Repeat each window's last value for every step ahead (the naive forecast).

    Parameters
    ----------
    target : int, default=0
        The feature (column of the windows) to repeat.

    Examples
    --------
    >>> from sklearn_rnn import make_windows
    >>> X, y = make_windows(np.arange(6.0), lookback=3, horizon=2)
    >>> LastValueForecaster().fit(X, y).predict(X)
    array([[2., 2.],
           [3., 3.]])
    """

    def __init__(self, *, target=0):
        self.target = target

    def _forecast(self, values):
        return np.repeat(values[:, -1:], self.n_outputs_, axis=1)


class SeasonalNaiveForecaster(_NaiveForecaster):
    """Forecast each step ahead by the value one season earlier.

    Step ``h`` ahead (1-based) of a window is its value at ``h - season``
    steps from its end, going back a further season while that lies in the
    future: the window must hold at least one season.

    Parameters
    ----------
    season : int
        Steps per season (12 for monthly data with a yearly cycle); 1 is the
        last-value forecast.
    target : int, default=0
        The feature (column of the windows) to forecast.

    Examples
    --------
    >>> X, y = make_windows(np.array([1.0, 5, 1, 5, 1, 5]), lookback=4, horizon=2)
    >>> SeasonalNaiveForecaster(season=2).fit(X, y).predict(X)
    array([[1., 5.]])
    """

    _parameter_constraints = {
        **_NaiveForecaster._parameter_constraints,
        "season": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, season, target=0):
        self.season = season
        self.target = target

    def _forecast(self, values):
        lookback = values.shape[1]
        if lookback < self.season:
            raise ValueError(
                f"The windows hold {lookback} steps, fewer than one season ({self.season})."
            )
        steps = lookback - self.season + np.arange(self.n_outputs_) % self.season
        return values[:, steps]


class RebasedRegressor(RegressorMixin, BaseEstimator):
    """A regressor on windows fitted to the change since each window's last value.

    Before fitting and predicting, each window's last value of the target
    column is subtracted from that column and from the window's targets; the
    prediction gets it back, so it is in the targets' units. The regressor so
    learns how the series moves from where it stands, not where it stands: a
    level or trend beyond the training range needs nothing extrapolated, and
    a regularised model (Ridge, the linear path of :class:`LSTMRegressor`,
    which starts at a ridge fit) shrinks towards repeating the last value
    instead of towards the training mean. The other columns (other features,
    known-future covariates) pass as they are. It is the re-basing on the
    last value that forecasting libraries apply to a series before a model
    (a difference from the forecast origin), here as a scikit-learn
    meta-estimator, as :class:`~sklearn.compose.TransformedTargetRegressor`
    is for transforms of the targets alone.

    When it helps, by the forecasting studies (``benchmarks/results/
    bench_forecast_study/``, studies 22 and 23, seeds 0 and 1): on series
    that trend out of their training range (CO2, air passengers) it cut the
    default LSTM's MASE by 8-26%, on mean-reverting ones (El Nino, real GDP,
    wine sales) it raised it by 5-6%; over 12 series 0.985 times Ridge's MAE
    (geometric mean) against 1.015, better on 6. With the month or quarter as
    a known-future covariate the re-based LSTM beat the seasonal naive
    forecast on all six seasonal series (wine sales: MASE 0.951), 0.983 times
    Ridge's MAE against 1.021 for the LSTM with the calendar alone.

    ``rebased_weight`` below 1 combines the two: a second clone of the
    regressor is fitted on the windows as they are, and the forecast is
    ``rebased_weight`` times the re-based model's plus the rest times the
    plain one's. The plain model shrinks towards the training mean, the
    re-based one towards the last value, so they err on different series,
    and their mean is a forecast combination (Bates & Granger 1969). Study 31
    (the 13 series of ``benchmarks/bench_forecast.py``; seeds 0-4,
    half-hourly electricity seed 0): the mean beat both of its parts on 7
    series and lay between them on the other 6; the default LSTM pipeline
    at ``rebased_weight=0.5`` scored 0.874 times
    Ridge's MAE (geometric mean) against 0.932 plain and 0.914 re-based,
    ahead of Ridge on 7 of the 13 series against 4 and 6; on the 12 short
    series 0.942-0.963 for each seed alone against 0.995-1.036 plain. Ridge
    itself at 0.5 scored 0.950 (9 series won). It costs the fit of both
    models.

    Parameters
    ----------
    regressor : estimator
        A regressor on windows (3-D arrays, as :func:`~sklearn_rnn.make_windows`
        returns), e.g. ``make_pipeline(SequenceScaler(), LSTMRegressor())``;
        cloned at fit.
    target : int, default=0
        The column of the windows the targets are future values of.
    rebased_weight : float in [0, 1], default=1.0
        The share of the re-based model in the forecast; the rest comes from
        a clone of ``regressor`` fitted on the windows as they are. 1: the
        re-based model alone; 0.5: the mean of the two.

    Attributes
    ----------
    regressor_ : estimator or None
        The fitted clone of ``regressor`` on the re-based windows (None when
        ``rebased_weight=0``).
    plain_regressor_ : estimator or None
        The fitted clone on the windows as they are (None when
        ``rebased_weight=1``).
    n_features_in_ : int
        Columns of the windows.

    Examples
    --------
    A trend past every training window (the last window reads 15, 16, 17):

    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from sklearn_rnn import make_windows
    >>> X, y = make_windows(np.arange(20.0), lookback=3, horizon=2)
    >>> flatten = FunctionTransformer(lambda X: X.reshape(len(X), -1))
    >>> ridge = make_pipeline(flatten, Ridge(alpha=10.0))
    >>> ridge.fit(X[:10], y[:10]).predict(X[-1:]).round(2)
    array([[17.59, 18.59]], dtype=float32)
    >>> RebasedRegressor(ridge).fit(X[:10], y[:10]).predict(X[-1:]).round(2)
    array([[18., 19.]])

    Half re-based, the mean of the two forecasts:

    >>> half = RebasedRegressor(ridge, rebased_weight=0.5).fit(X[:10], y[:10])
    >>> half.predict(X[-1:]).round(2)
    array([[17.8, 18.8]])
    """

    _parameter_constraints = {
        "regressor": [HasMethods(["fit", "predict"])],
        "target": [Interval(Integral, 0, None, closed="left")],
        "rebased_weight": [Interval(Real, 0, 1, closed="both")],
    }
    # return_std is an option of predict, not metadata to route.
    __metadata_request__predict = {"return_std": metadata_routing.UNUSED}

    def __init__(self, regressor, *, target=0, rebased_weight=1.0):
        self.regressor = regressor
        self.target = target
        self.rebased_weight = rebased_weight

    def _rebase(self, X):
        """The windows with the target column re-based, each window's last value, the windows.

        The third is the windows as given (a float64 copy) when a plain model
        reads them too (``rebased_weight < 1``), else None.
        """
        X = _check_windows(X)  # a float64 copy, ours to change
        if self.target >= X.shape[2]:
            raise ValueError(f"target={self.target} but the windows have {X.shape[2]} feature(s).")
        if X.shape[1] == 0:
            raise ValueError("The windows hold no steps; there is no last value to re-base on.")
        plain = X.copy() if self.rebased_weight < 1 else None
        last = X[:, -1, self.target].copy()
        X[:, :, self.target] -= last[:, None]
        return X, last, plain

    @staticmethod
    def _shift(values, last):
        values = np.asarray(values, dtype=np.float64)
        return values + (last if values.ndim == 1 else last[:, None])

    def fit(self, X, y, **fit_params):
        """Fit a clone of the regressor on the re-based windows and targets.

        With ``rebased_weight`` below 1, also a clone on the windows and
        targets as they are.

        Parameters
        ----------
        X : array-like of shape (n_windows, lookback, n_features)
        y : array-like of shape (n_windows,) or (n_windows, n_outputs)
            Future values of the ``target`` column.
        **fit_params
            Passed to the regressor's ``fit`` (e.g. ``sample_weight``).

        Returns
        -------
        self
        """
        self._validate_params()
        X, last, plain = self._rebase(X)
        y = np.asarray(y, dtype=np.float64)
        if y.ndim not in (1, 2) or len(y) != len(X):
            raise ValueError(
                f"X holds {len(X)} windows; y must hold one target row per window, got an "
                f"array of shape {y.shape}."
            )
        self.n_features_in_ = X.shape[2]
        weight = self.rebased_weight
        self.plain_regressor_ = None
        if weight < 1:
            self.plain_regressor_ = clone(self.regressor).fit(plain, y, **fit_params)
        self.regressor_ = None
        if weight > 0:
            self.regressor_ = clone(self.regressor).fit(X, self._shift(y, -last), **fit_params)
        return self

    def predict(self, X, return_std=False):
        """The forecast of each window, in the targets' units; with its spread if asked.

        Parameters
        ----------
        X : array-like of shape (n_windows, lookback, n_features)
        return_std : bool, default=False
            Also return the regressor's standard deviations (unchanged by the
            shift; the regressor must predict them, e.g.
            ``LSTMRegressor(loss='gaussian_nll')``).

        Returns
        -------
        y_pred : ndarray
        y_std : ndarray, only with ``return_std``
        """
        check_is_fitted(self, "regressor_")
        X, last, plain = self._rebase(X)
        if X.shape[2] != self.n_features_in_:
            raise ValueError(
                f"The windows have {X.shape[2]} feature(s); fitted on {self.n_features_in_}."
            )
        parts = []  # (weight, prediction, spread or None)
        if self.regressor_ is not None:
            pred, std = self._predict(self.regressor_, X, return_std)
            parts.append((self.rebased_weight, self._shift(pred, last), std))
        if self.plain_regressor_ is not None:
            pred, std = self._predict(self.plain_regressor_, plain, return_std)
            parts.append((1 - self.rebased_weight, np.asarray(pred, dtype=np.float64), std))
        if len(parts) == 1:
            _, pred, std = parts[0]
            return (pred, std) if return_std else pred
        shape = parts[0][1].shape
        parts = [(w, p.reshape(shape), s) for w, p, s in parts]
        mean = sum(w * p for w, p, _ in parts)
        if not return_std:
            return mean
        # The spread of the mixture of the two forecasts: their own and their disagreement.
        var = sum(
            w * (np.asarray(s, np.float64).reshape(shape) ** 2 + (p - mean) ** 2)
            for w, p, s in parts
        )
        return mean, np.sqrt(var)

    @staticmethod
    def _predict(model, X, return_std):
        if return_std:
            return model.predict(X, return_std=True)
        return model.predict(X), None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class HoltWintersForecaster(BaseEstimator):
    """Holt-Winters exponential smoothing (statsmodels), the classical baseline of :func:`backtest`.

    Additive (optionally damped) trend and, with ``season`` > 1, an additive
    season: statsmodels' ``ExponentialSmoothing``, its smoothing parameters
    and initial states estimated on the series :meth:`fit` is given, then
    run with them fixed over the series up to each forecast origin
    (:meth:`forecast`). It is not a regressor on windows: its states start
    at the series' first step and carry every step since, and a window of a
    few seasons stands in for them poorly (restarted on each window, its
    initial states estimated there, it scored 1.069 times the MASE, worse
    on 17 of 21 real series; study 36 of the forecasting benchmark). :func:`backtest`
    so fits it on each fold's training series and forecasts each test window
    from the whole series before its origin, reading the target column alone.

    Parameters
    ----------
    season : int, default=1
        Steps per season; 1 fits no season. The season is also left out when
        the series holds fewer than ``2 * season + 2`` steps (too few to
        estimate it): ``seasonal_`` says whether it was fitted.
    damped_trend : bool, default=True
        Damp the trend (Gardner & McKenzie 1985), so long forecasts level off.
    n_paths : int, default=1000
        Simulated paths behind ``return_std``.
    random_state : int or None, default=0
        Seed of the simulated paths: with an int, each origin's paths are
        drawn from their own stream (the seed and the origin), so a
        forecast's spread does not depend on which other origins are asked
        for; None draws fresh ones.

    Attributes
    ----------
    params_ : dict
        The smoothing parameters and initial states statsmodels estimated.
    seasonal_ : bool
        Whether a season was fitted.
    n_steps_fit_ : int
        Steps of the series the parameters were estimated on.

    Examples
    --------
    >>> t = np.arange(120)
    >>> series = 10 + 0.1 * t + np.sin(2 * np.pi * t / 12)
    >>> hw = HoltWintersForecaster(season=12).fit(series[:96])
    >>> hw.forecast(series, origins=[96, 108], horizon=3).shape
    (2, 3)
    """

    _parameter_constraints = {
        "season": [Interval(Integral, 1, None, closed="left")],
        "damped_trend": ["boolean"],
        "n_paths": [Interval(Integral, 2, None, closed="left")],
        "random_state": [Interval(Integral, 0, None, closed="left"), None],
    }

    def __init__(self, *, season=1, damped_trend=True, n_paths=1000, random_state=0):
        self.season = season
        self.damped_trend = damped_trend
        self.n_paths = n_paths
        self.random_state = random_state

    @staticmethod
    def _check_series(series):
        try:
            values = np.asarray(series, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"The series must hold numbers: {exc}") from None
        if values.ndim == 2 and values.shape[1] == 1:
            values = values[:, 0]
        if values.ndim != 1:
            raise ValueError(f"Expected one series (1-D); got an array of shape {values.shape}.")
        if not np.isfinite(values).all():
            raise ValueError("The series holds NaN or infinite values.")
        return values

    def _spec(self):
        return dict(
            trend="add",
            damped_trend=self.damped_trend,
            seasonal="add" if self.seasonal_ else None,
            seasonal_periods=self.season if self.seasonal_ else None,
        )

    def fit(self, series, y=None):
        """Estimate the smoothing parameters and initial states on ``series`` (oldest first).

        Parameters
        ----------
        series : array-like of shape (n_steps,)
            The training series; at least 10 steps.
        y : None
            Ignored.

        Returns
        -------
        self : HoltWintersForecaster
        """
        self._validate_params()
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        values = self._check_series(series)
        if len(values) < 10:
            raise ValueError(
                "Holt-Winters needs at least 10 steps to estimate its parameters; got "
                f"{len(values)}."
            )
        self.seasonal_ = self.season > 1 and len(values) >= 2 * self.season + 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # statsmodels' convergence chatter on short series
            fitted = ExponentialSmoothing(
                values, initialization_method="estimated", **self._spec()
            ).fit()
        self.params_ = dict(fitted.params)
        self.n_steps_fit_ = len(values)
        return self

    def forecast(self, series, origins, horizon, return_std=False):
        """Forecast ``horizon`` steps from each origin, the parameters fixed at the fit's.

        Parameters
        ----------
        series : array-like of shape (n_steps,)
            The series, starting at the same step as the one :meth:`fit`
            was given (the initial states are that step's); what lies at or
            after an origin is not read for its forecast.
        origins : array-like of int
            The steps forecast first: each forecast reads ``series[:origin]``.
        horizon : int
            Steps ahead.
        return_std : bool, default=False
            Also return each forecast's standard deviation: that of
            ``n_paths`` paths simulated from the origin with Gaussian errors
            of the residual spread (statsmodels' ``simulate``).

        Returns
        -------
        forecasts : ndarray of shape (n_origins, horizon)
        std : ndarray of shape (n_origins, horizon), only with ``return_std``
        """
        check_is_fitted(self, "params_")
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        values = self._check_series(series)
        origins = np.asarray(origins)
        if origins.ndim != 1 or not np.issubdtype(origins.dtype, np.integer):
            raise ValueError("origins must be a 1-D array of integer steps.")
        if len(origins) and (origins.min() < 2 or origins.max() > len(values)):
            raise ValueError(
                f"origins must lie in [2, {len(values)}] (the steps of the series); got "
                f"{origins.min()} to {origins.max()}."
            )
        if isinstance(horizon, bool) or not isinstance(horizon, Integral) or horizon < 1:
            raise ValueError(f"horizon must be an integer >= 1; got {horizon!r}.")
        p = self.params_
        known = dict(
            initialization_method="known",
            initial_level=p["initial_level"],
            initial_trend=p["initial_trend"],
            initial_seasonal=p["initial_seasons"] if self.seasonal_ else None,
        )
        smoothing = dict(smoothing_level=p["smoothing_level"], smoothing_trend=p["smoothing_trend"])
        if self.damped_trend:
            smoothing["damping_trend"] = p["damping_trend"]
        if self.seasonal_:
            smoothing["smoothing_seasonal"] = p["smoothing_seasonal"]
        shared = np.random.default_rng() if self.random_state is None else None
        out, std = [], []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for t in origins:
                model = ExponentialSmoothing(values[:t], **self._spec(), **known)
                result = model.fit(optimized=False, **smoothing)
                out.append(result.forecast(horizon))
                if return_std:
                    rng = shared or np.random.default_rng([self.random_state, int(t)])
                    paths = result.simulate(horizon, repetitions=self.n_paths, rng=rng)
                    std.append(np.asarray(paths).reshape(horizon, -1).std(axis=1, ddof=1))
        out = np.asarray(out, dtype=np.float64).reshape(len(origins), horizon)
        if return_std:
            return out, np.asarray(std, dtype=np.float64).reshape(out.shape)
        return out


class ForecastCombination(BaseEstimator):
    """The mean of other models' forecasts in a :func:`backtest`, named by their keys.

    A forecast combination (Bates & Granger 1969): models that err on
    different series do better averaged than either alone, and the winners
    of the M4 competition were combinations. It fits nothing of its own:
    :func:`backtest` fits the models it names, as it would anyway, and
    averages their forecasts window by window, so the combination costs no
    extra fit; its ``fit_seconds`` is the sum of its parts'.
    :func:`default_forecasters` combines Holt-Winters with the half re-based
    LSTM and with the half re-based Ridge.

    Where it helps, by study 40 (``benchmarks/results/bench_forecast_study/``;
    21 series, the development and held-out panels of
    ``benchmarks/bench_forecast.py``, seeds 0 and 1): Holt-Winters tracks the
    level of the latest steps, the learned models the shape of the windows.
    The mean of the half re-based LSTM and Holt-Winters scored 0.913 times
    Ridge's MAE (geometric mean over the series; 0.911 and 0.915 for each
    seed alone), ahead of Ridge on 17 of 21 series, against 0.951 (12) for
    the half re-based LSTM and 0.986 (13) for Holt-Winters; on the
    random-walk-like series of the held-out panel it lost to the last value
    on 3 series (by at most 8%) where the half re-based LSTM lost on 5 (by
    up to 25%). The classical pair, the half re-based Ridge with
    Holt-Winters, scored 0.915 (18).

    Where it hurts: a mean is only as good as its weaker part lets it be.
    On the one long, complex series of the panels (half-hourly electricity
    demand, seed 0), where the half re-based LSTM is far ahead of
    Holt-Winters (MASE 0.240 against 1.250), the mean scored 0.667, 2.8
    times the LSTM's error; over all 22 series the half re-based LSTM alone
    has the better geometric mean (0.903 times Ridge's MAE against 0.910),
    the mean is ahead of Ridge on more series (18 against 13). Backtest both.

    Parameters
    ----------
    models : sequence of str
        Keys of at least two other models of the same ``backtest`` (not
        combinations themselves).
    weights : sequence of float or None, default=None
        One positive weight per model, normalised to sum to 1; None: equal
        weights.

    Notes
    -----
    When every model it names predicts its spread, the combination's is
    the weighted mean of their standard deviations: the spread of the mean
    forecast if the models' errors were perfectly correlated, an upper bound
    otherwise (forecast errors of models of one series are strongly but not
    perfectly correlated). Otherwise it has no spread, and its coverage is
    NaN. Its intervals are no better than its parts': in study 40 those of
    the half re-based LSTM + Holt-Winters (both with their spread, as
    ``default_forecasters(intervals=True)`` fits them) covered 75-85% of the
    held-out values on 6 of 21 series, against 11 for the half re-based
    LSTM's own and 5 for Holt-Winters'; the other rules tried (root mean
    square, the mixture of the forecasts, independent errors) put 6-7 series
    in range. Take the point forecast from the combination and the
    intervals from the half re-based LSTM.

    Examples
    --------
    >>> t = np.arange(200)
    >>> series = np.sin(2 * np.pi * t / 12) + 0.02 * t
    >>> models = {
    ...     "last value": LastValueForecaster(),
    ...     "seasonal naive": SeasonalNaiveForecaster(season=12),
    ...     "mean": ForecastCombination(["last value", "seasonal naive"]),
    ... }
    >>> result = backtest(series, models, lookback=24, horizon=3, season=12)
    >>> list(result.groupby("model", sort=False)["mase"].mean().round(2))
    [2.57, 1.0, 1.33]
    """

    def __init__(self, models, *, weights=None):
        self.models = models
        self.weights = weights

    def fit(self, *args, **kwargs):
        raise TypeError(
            "ForecastCombination fits nothing of its own: it averages, inside backtest(), "
            f"the forecasts of the models it names ({self.models!r}). Put it beside them in "
            "backtest's models."
        )

    def _weights(self, available):
        """The names and normalised weights, checked against the other models' keys."""
        names = self.models
        if isinstance(names, str) or not hasattr(names, "__iter__"):
            raise TypeError(
                f"ForecastCombination's models must be a list of model names; got {names!r}."
            )
        names = list(names)
        if len(names) < 2 or len(set(names)) != len(names):
            raise ValueError(
                "ForecastCombination needs at least two different model names; "
                f"got {self.models!r}."
            )
        for name in names:
            if name not in available:
                raise ValueError(
                    f"ForecastCombination names {name!r}, which is not one of the backtest's "
                    f"other models: {sorted(available)}."
                )
        if self.weights is None:
            return names, np.full(len(names), 1 / len(names))
        try:
            weights = np.asarray(self.weights, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"weights must be numbers; got {self.weights!r}.") from None
        if weights.shape != (len(names),) or not np.all(np.isfinite(weights) & (weights > 0)):
            raise ValueError(
                f"weights must be {len(names)} positive numbers, one per model; "
                f"got {self.weights!r}."
            )
        return names, weights / weights.sum()


def _flatten(X):
    return np.asarray(X).reshape(len(X), -1)


def default_forecasters(season=1, random_state=None, target=0, intervals=False):
    """The models :func:`backtest` compares by default: naive, Holt-Winters, Ridge, LSTM, mixes.

    Ridge and the LSTM come twice: as they are, and half re-based
    (:class:`RebasedRegressor` with ``rebased_weight=0.5``: the mean of the
    model's forecast and that of a clone fitted to the change since each
    window's last value), which beat them on the forecasting panel (study 31,
    13 series: 0.874 times Ridge's MAE for the half re-based LSTM against
    0.932 for the LSTM alone, geometric mean, ahead of Ridge on 7 series
    against 4; the half re-based Ridge 0.950), and in
    ``benchmarks/results/bench_forecast.json`` (seeds 0-2: 0.882 against
    0.943, 7 series against 4). The half re-based Ridge is the model to beat
    on short series: the half re-based LSTM led it only on half-hourly
    electricity and unemployment. The half re-based models cost two fits
    each.

    Each half re-based model comes once more, averaged with Holt-Winters
    (:class:`ForecastCombination`; no extra fit). On the 21 short series of
    the forecasting panels ``'half-rebased lstm + holt-winters'`` beat the
    half re-based LSTM (study 40, seeds 0 and 1: 0.913 times Ridge's MAE,
    geometric mean, ahead of Ridge on 17 series, against 0.951 and 12); on
    the long half-hourly electricity demand, where Holt-Winters is far
    behind, it had 2.8 times the half re-based LSTM's error (MASE 0.667
    against 0.240), so over all 22 series the two are level (0.910 and
    0.903). ``'half-rebased ridge + holt-winters'`` (0.915 on the 21, 18
    series) is the classical model they must beat.

    Parameters
    ----------
    season : int, default=1
        Steps per season, for the seasonal-naive forecast.
    random_state : int or None, default=None
        Seed of the LSTM.
    target : int, default=0
        The column of the windows that the targets are future values of (the
        naive forecasts repeat it, the half re-based models re-base it).
    intervals : bool, default=False
        Whether both LSTMs also predict their spread, for 80% intervals:
        ``loss='gaussian_nll'``, calibrated on the latest training windows
        (``validation_split='last'``), which covered closest to 80% on the
        forecasting panel (studies 9 and 32: the half re-based LSTM within
        75-85% on 8 of 12 series). What ``sklearn-rnn backtest --intervals``
        runs.

    Returns
    -------
    dict of str to estimator
        ``'last value'``, ``'seasonal naive'``, ``'holt-winters'``
        (:class:`HoltWintersForecaster`: damped additive trend, additive
        season, run over the whole series), ``'ridge'`` (RidgeCV on the
        standardised lagged window), ``'half-rebased ridge'``, ``'lstm'``
        (``LSTMRegressor()`` with its defaults behind a ``SequenceScaler``),
        ``'half-rebased lstm'``, ``'half-rebased ridge + holt-winters'`` and
        ``'half-rebased lstm + holt-winters'`` (the half re-based Ridge and LSTM, each averaged with
        Holt-Winters).
    """

    def ridge():
        return make_pipeline(
            FunctionTransformer(_flatten), StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13))
        )

    spread = {"loss": "gaussian_nll", "validation_split": "last"} if intervals else {}

    def lstm():
        return make_pipeline(SequenceScaler(), LSTMRegressor(random_state=random_state, **spread))

    return {
        "last value": LastValueForecaster(target=target),
        "seasonal naive": SeasonalNaiveForecaster(season=season, target=target),
        "holt-winters": HoltWintersForecaster(season=season),
        "ridge": ridge(),
        "half-rebased ridge": RebasedRegressor(ridge(), target=target, rebased_weight=0.5),
        "lstm": lstm(),
        "half-rebased lstm": RebasedRegressor(lstm(), target=target, rebased_weight=0.5),
        "half-rebased ridge + holt-winters": ForecastCombination(
            ["half-rebased ridge", "holt-winters"]
        ),
        "half-rebased lstm + holt-winters": ForecastCombination(
            ["half-rebased lstm", "holt-winters"]
        ),
    }


def rolling_origin_cv(n_windows, *, horizon=1, n_splits=3, test_size=None, max_train_size=None):
    """The folds of :func:`backtest`: time-ordered, no training target inside a test period.

    Parameters
    ----------
    n_windows : int
        Windows of the series, in time order (as :func:`~sklearn_rnn.make_windows`
        cuts them); for several series, the time steps their windows cover.
    horizon, n_splits, test_size, max_train_size :
        As in :func:`backtest`.

    Returns
    -------
    RollingOriginSplit
        ``TimeSeriesSplit`` with ``gap=horizon - 1`` (by the windows' times
        when ``split`` is given them as ``groups``); use it as ``cv=`` in
        ``GridSearchCV`` to tune on the folds a backtest scores.
    """
    test_size = test_size or max(horizon, n_windows // 10)
    if n_windows < (n_splits + 1) * test_size:
        raise ValueError(
            f"{n_windows} windows cannot make {n_splits} test folds of {test_size} windows "
            "after a training part; use a longer series, fewer or smaller folds."
        )
    return RollingOriginSplit(
        n_splits=n_splits, horizon=horizon, test_size=test_size, max_train_size=max_train_size
    )


def _predict_with_spread(model, X):
    """``(prediction, std or None)``: the spread where the model predicts one."""
    try:
        return model.predict(X, return_std=True)
    except (TypeError, ValueError) as exc:
        if "return_std" not in str(exc):
            raise
        return model.predict(X), None


def _series_forecasts(model, histories, index, train, test, end, lookback, horizon, longest):
    """A series model's forecasts of the test windows and their spread, one fit per series.

    Each series is fitted on what the fold may read of it (from its earliest
    training window to ``end``, the fold's last training target, in aligned
    time) and forecast from each test window's origin with the series up to it.
    """
    series_id = index["series"].to_numpy()
    origin = index["origin"].to_numpy()
    pred = np.empty((len(test), horizon))
    std = np.empty((len(test), horizon))
    for i in np.unique(series_id[test]):
        history = histories[i]
        mine = test[series_id[test] == i]
        seen = origin[train[series_id[train] == i]]
        first = seen.min() - lookback if len(seen) else 0
        last = end - (longest - len(history))
        fitted = clone(model).fit(history[first:last])
        where = series_id[test] == i
        pred[where], std[where] = fitted.forecast(
            history[first:], origin[mine] - first, horizon, return_std=True
        )
    return pred, std


def _check_coverage(coverage):
    if not isinstance(coverage, Real) or not 0 < coverage < 1:
        raise ValueError(f"coverage must be in (0, 1); got {coverage!r}.")


def _check_adaptive_step_size(step_size, none=True):
    if step_size is None and none:
        return
    if isinstance(step_size, bool) or not isinstance(step_size, Real) or not 0 < step_size < np.inf:
        raise ValueError(
            f"adaptive_step_size must be a finite number > 0{', or None' if none else ''}; "
            f"got {step_size!r}."
        )


#: What ``adaptive_intervals`` takes: around the spread where a model has one
#: (its past errors otherwise), or every model's from its past errors.
_ADAPTIVE_INTERVALS = ("spread", "errors")


def _check_adaptive_intervals(adaptive_intervals):
    if adaptive_intervals not in _ADAPTIVE_INTERVALS:
        raise ValueError(
            f"adaptive_intervals must be 'spread' or 'errors'; got {adaptive_intervals!r}."
        )


def _calibrator(std, adaptive_intervals, coverage, step_size):
    """The adaptive calibrator of one model: around its spread, or from its past errors."""
    if std is not None and adaptive_intervals == "spread":
        return AdaptiveIntervals(coverage, step_size=step_size)
    return ConformalIntervals(coverage, step_size=step_size)


class _AdaptiveTrack:
    """One model's adaptive intervals on one series: the calibrator and the outcomes to come.

    An :class:`AdaptiveIntervals` draws them around the spread, a
    :class:`ConformalIntervals` (``std`` None) from the past errors of each
    step ahead.
    """

    def __init__(self, calibrator):
        self.calibrator = calibrator
        # heap of (step observed, order issued, y, lower, upper, prediction, step ahead)
        self.pending = []
        self.issued = 0

    def observe_before(self, step):
        """Feed the calibrator every pending outcome observed before ``step``."""
        seen = []
        while self.pending and self.pending[0][0] < step:
            seen.append(heapq.heappop(self.pending)[2:])
        if seen:
            y, lower, upper, pred, ahead = np.asarray(seen).T
            if isinstance(self.calibrator, ConformalIntervals):
                self.calibrator.update(y, lower, upper, y_pred=pred, step=ahead.astype(np.int64))
            else:
                self.calibrator.update(y, lower, upper)

    def issue(self, origin, y_true, pred, std):
        """The window's intervals at the current level; its outcomes wait until observed."""
        self.observe_before(origin)
        ahead = np.arange(1, len(pred) + 1)
        if isinstance(self.calibrator, ConformalIntervals):
            lower, upper = self.calibrator.interval(pred, step=ahead)
        else:
            lower, upper = self.calibrator.interval(pred, std)
        for h in range(len(pred)):
            heapq.heappush(
                self.pending,
                (origin + h, self.issued, y_true[h], lower[h], upper[h], pred[h], ahead[h]),
            )
            self.issued += 1
        return lower, upper


def _adaptive_intervals(tracks, name, series_id, origins, y_true, pred, std, calibrator):
    """Adaptive intervals of one model's test windows, each series' windows in time order.

    ``tracks`` holds each (model, series) calibrator and its unobserved
    outcomes from fold to fold; ``calibrator`` starts the missing ones
    (:class:`AdaptiveIntervals`, which reads ``std``, or
    :class:`ConformalIntervals`). NaN where a conformal step has too few
    past errors.
    """
    lower, upper = np.empty_like(pred), np.empty_like(pred)
    for i in np.unique(series_id):
        track = tracks.setdefault((name, i), _AdaptiveTrack(clone(calibrator)))
        rows = np.flatnonzero(series_id == i)
        for r in rows[np.argsort(origins[rows], kind="stable")]:
            lower[r], upper[r] = track.issue(
                origins[r], y_true[r], pred[r], None if std is None else std[r]
            )
    return lower, upper


def _split_combinations(models):
    """``(names of the models to fit, {combination: (names, weights)})``, all checked."""
    if not isinstance(models, dict) or not models:
        raise ValueError(
            f"models must be a non-empty dict of name to estimator, or None; got {models!r}."
        )
    for name, model in models.items():
        if not (hasattr(model, "fit") and hasattr(model, "get_params")):
            raise TypeError(f"models[{name!r}] is not a scikit-learn estimator: {model!r}.")
    fitted = [n for n, m in models.items() if not isinstance(m, ForecastCombination)]
    combinations = {
        n: m._weights(fitted) for n, m in models.items() if isinstance(m, ForecastCombination)
    }
    return fitted, combinations


def _target_column(values, target):
    """The column forecast: ``target``, required when the series has several columns."""
    n_columns = values[0].shape[1]
    if n_columns > 1 and target is None:
        raise ValueError(f"The series has {n_columns} columns; say which to forecast with target=.")
    return 0 if target is None else target


def _output(pred, std, shape, start):
    """``(prediction, spread or None, seconds since start)``, as float64 arrays of ``shape``."""
    pred = np.asarray(pred, dtype=np.float64).reshape(shape)
    if std is not None:
        std = np.asarray(std, dtype=np.float64).reshape(shape)
    return pred, std, time.perf_counter() - start


def _combine(outputs, combinations):
    """Add each combination's ``(prediction, spread or None, seconds)`` to ``outputs``."""
    for name, (names, weights) in combinations.items():
        parts = [outputs[n] for n in names]
        pred = sum(w * part[0] for w, part in zip(weights, parts))
        std = None
        if all(part[1] is not None for part in parts):
            std = sum(w * part[1] for w, part in zip(weights, parts))
        outputs[name] = (pred, std, sum(part[2] for part in parts))


def backtest(
    series,
    models=None,
    *,
    lookback,
    horizon=1,
    season=1,
    target=None,
    future_covariates=None,
    n_splits=3,
    test_size=None,
    max_train_size=None,
    coverage=0.8,
    adaptive_step_size=0.02,
    adaptive_intervals="spread",
    return_forecasts=False,
):
    """Score forecasters on a series, or several, by rolling origin, the same folds for every model.

    A list of series is forecast by one model of all of them (a global
    model): each fold trains on the windows of every series up to a time and
    tests on the windows of every series after it (:class:`RollingOriginSplit`
    on the series aligned at their ends, as :func:`~sklearn_rnn.make_windows`
    aligns them).

    Parameters
    ----------
    series : array-like of shape (n_steps,) or (n_steps, n_features), or a list of them
        The series, oldest first (a pandas Series or DataFrame works too).
    models : dict of str to estimator, default=None
        Regressors on windows (3-D arrays), cloned for every fold;
        :class:`HoltWintersForecaster`, fitted on each fold's training series
        and run over the whole series to each test window's origin (the
        target column alone); or :class:`ForecastCombination`, the mean of
        the forecasts of other models it names. None is
        :func:`default_forecasters` (``season``, ``target``).
    lookback : int
        Steps of history each window reads.
    horizon : int, default=1
        Steps ahead each window forecasts (one output per step).
    season : int, default=1
        Steps per season: the scale of MASE is the in-sample error of the
        forecast one season back (1: the last value).
    target : int or None, default=None
        The column to forecast when the series has several (required then).
    future_covariates : array-like of shape (n_steps, n_covariates), or a list of them
        Covariates known ahead (calendar features), one row per step of each
        series; the windows hold them as :func:`~sklearn_rnn.make_windows`
        places them, after the series' own features.
    n_splits : int, default=3
        Folds, each later in time than the one before.
    test_size : int or None, default=None
        Time steps per fold; None is a tenth of them (at least ``horizon``).
    max_train_size : int or None, default=None
        At most this many of the latest time steps train each fold; None: all.
    coverage : float, default=0.8
        Nominal coverage of the central intervals scored for models that
        predict their spread.
    adaptive_step_size : float or None, default=0.02
        Also score intervals that adapt to the misses (this ``step_size``):
        those :class:`~sklearn_rnn.AdaptiveIntervals` draws around the
        forecasts of models that predict their spread, and those
        :class:`~sklearn_rnn.ConformalIntervals` takes from the past errors
        of the others (one history per step ahead; none drawn until a step
        has 5 past errors). One calibrator per model and series, run through
        the test windows of every fold in time order, each window's interval
        at the level (and from the errors) that the outcomes known at its
        origin have set (the targets before it, of earlier windows and
        folds). This is how the intervals would fare if each outcome were fed
        back as it came in; the forecasts themselves are unchanged. None: not
        scored.
    adaptive_intervals : {'spread', 'errors'}, default='spread'
        Where a model predicts its spread, draw its adaptive intervals around
        it (``'spread'``: :class:`~sklearn_rnn.AdaptiveIntervals`, every
        value gets one, wider where the model is less sure) or from its past
        errors like the others' (``'errors'``). On the forecasting panels
        (study 42) the errors put more series in 75-85% for Holt-Winters (15
        of 22 against 12) and the LSTM (17 against 15), not for the half
        re-based LSTM (17 against 18); on the 13 development series the two
        tied.
    return_forecasts : bool, default=False
        Also return every test forecast.

    Returns
    -------
    result : pandas.DataFrame
        One row per model and fold: ``model``, ``fold``, ``n_train``,
        ``n_test`` (windows), ``mae``, ``rmse``, ``mase``, ``coverage`` (NaN
        for models without a spread), ``adaptive_coverage`` (over the values
        that have an adaptive interval), ``adaptive_drawn`` (the share of
        the fold's values that have one: 1 for models with a spread, less
        where a model without one had too few past errors) and
        ``fit_seconds``. For several series, ``mae``, ``rmse`` and the
        coverages pool the windows of all of them and
        ``mase`` is the mean over series of each one's MASE (each scaled by
        its own seasonal-naive error). Average over folds with
        ``result.groupby("model").mean()``.
    forecasts : pandas.DataFrame, only with ``return_forecasts``
        One row per model, test window and step ahead: ``model``, ``fold``,
        ``series`` (its position in the list; 0 for one series), ``origin``
        (the step of that series the window forecasts first), ``step`` (1 to
        ``horizon``), ``y_true``, ``y_pred``, ``y_std`` (NaN without a
        spread) and the adaptive interval ``adaptive_lower``,
        ``adaptive_upper`` (NaN where none was drawn). Feeding a model's
        outcomes and adaptive intervals to the calibrator's ``update`` in the
        order they were observed (``origin + step``) gives the level to carry
        on with; :func:`forecast` does it with ``adaptive_from``.

    Examples
    --------
    >>> t = np.arange(300)
    >>> series = np.sin(2 * np.pi * t / 12) + 0.01 * t
    >>> models = {
    ...     "last value": LastValueForecaster(),
    ...     "seasonal naive": SeasonalNaiveForecaster(season=12),
    ... }
    >>> result = backtest(series, models, lookback=24, horizon=6, season=12)
    >>> result.groupby("model")["mase"].mean().round(2).to_dict()
    {'last value': 7.66, 'seasonal naive': 1.0}
    """
    values, _ = _as_series_list(series, "series")
    column = _target_column(values, target)
    _check_coverage(coverage)
    _check_adaptive_step_size(adaptive_step_size)
    _check_adaptive_intervals(adaptive_intervals)
    if isinstance(season, bool) or not isinstance(season, Integral) or season < 1:
        raise ValueError(f"season must be an integer >= 1 (steps per season); got {season!r}.")
    X, y, index = make_windows(
        series,
        lookback=lookback,
        horizon=horizon,
        target=column,
        future_covariates=future_covariates,
        return_index=True,
    )
    histories = [v[:, column] for v in values]
    longest = max(len(v) for v in values)
    if models is None:
        models = default_forecasters(season, target=column)
    fitted_names, combinations = _split_combinations(models)
    times = index["time"].to_numpy()
    cv = rolling_origin_cv(
        len(np.unique(times)),
        horizon=horizon,
        n_splits=n_splits,
        test_size=test_size,
        max_train_size=max_train_size,
    )
    z = norm.ppf((1 + coverage) / 2)
    rows, forecasts = [], []
    series_id = index["series"].to_numpy()
    origins = index["origin"].to_numpy()
    tracks = {}  # (model, series) -> _AdaptiveTrack, carried from fold to fold
    for fold, (train, test) in enumerate(cv.split(X, groups=times)):
        # Each series up to the fold's last training target: what the fold may
        # read, and the in-sample scale of its MASE.
        end = times[train].max() + horizon
        scales = {}
        for i in np.unique(series_id[test]):
            history = histories[i][: end - (longest - len(histories[i]))]
            lag = season if len(history) > season else 1
            scales[i] = np.mean(np.abs(history[lag:] - history[:-lag])) if len(history) > 1 else 0
        outputs = {}  # name -> (prediction, spread or None, seconds), in y[test]'s shape
        for name in fitted_names:
            model = models[name]
            start = time.perf_counter()
            if isinstance(model, HoltWintersForecaster):
                pred, std = _series_forecasts(
                    model, histories, index, train, test, end, lookback, horizon, longest
                )
            else:
                fitted = clone(model).fit(X[train], y[train])
                pred, std = _predict_with_spread(fitted, X[test])
            outputs[name] = _output(pred, std, y[test].shape, start)
        _combine(outputs, combinations)
        for name in models:
            pred, std, seconds = outputs[name]
            err = pred - y[test]
            covered = adaptive = drawn = np.nan
            lower = upper = np.full(err.shape, np.nan)
            if std is not None:
                covered = float(np.mean(np.abs(err) <= z * std))
            if adaptive_step_size is not None:
                lower, upper = _adaptive_intervals(
                    tracks,
                    name,
                    series_id[test],
                    origins[test],
                    y[test],
                    pred,
                    std,
                    _calibrator(std, adaptive_intervals, coverage, adaptive_step_size),
                )
                given = ~np.isnan(lower)
                drawn = float(given.mean())
                if given.any():
                    inside = (lower <= y[test]) & (y[test] <= upper)
                    adaptive = float(inside[given].mean())
            abs_err = np.abs(err).mean(axis=1)
            mase = [
                abs_err[series_id[test] == i].mean() / s if s > 0 else np.nan
                for i, s in scales.items()
            ]
            if return_forecasts:
                n, steps = err.shape
                forecasts.append(
                    pd.DataFrame(
                        {
                            "model": name,
                            "fold": fold,
                            "series": np.repeat(series_id[test], steps),
                            "origin": np.repeat(origins[test], steps),
                            "step": np.tile(np.arange(1, steps + 1), n),
                            "y_true": y[test].ravel(),
                            "y_pred": (y[test] + err).ravel(),
                            "y_std": np.nan if std is None else std.ravel(),
                            "adaptive_lower": lower.ravel(),
                            "adaptive_upper": upper.ravel(),
                        }
                    )
                )
            rows.append(
                {
                    "model": name,
                    "fold": fold,
                    "n_train": len(train),
                    "n_test": len(test),
                    "mae": float(abs_err.mean()),
                    "rmse": float(np.sqrt((err**2).mean())),
                    "mase": float(np.mean(mase)),
                    "coverage": covered,
                    "adaptive_coverage": adaptive,
                    "adaptive_drawn": drawn,
                    "fit_seconds": seconds,
                }
            )
    result = pd.DataFrame(rows)
    if return_forecasts:
        return result, pd.concat(forecasts, ignore_index=True)
    return result


def forecast(
    series,
    models=None,
    *,
    lookback,
    horizon=1,
    season=1,
    target=None,
    future_covariates=None,
    adaptive_from=None,
    coverage=0.8,
    adaptive_step_size=0.02,
    adaptive_intervals="spread",
):
    """Fit forecasters on the whole series and forecast the ``horizon`` steps after its end.

    What follows a :func:`backtest`: the same ``models`` dict (regressors on
    windows, :class:`HoltWintersForecaster`, :class:`ForecastCombination`),
    each now fitted on every window of the series and asked for the future,
    so the model the backtest chose, a combination included, gives its
    forecast. Regressors on windows are fitted on
    :func:`~sklearn_rnn.make_windows` of the series and predict from
    :func:`~sklearn_rnn.forecast_windows`; Holt-Winters is fitted on each
    series' target column and forecasts from its end.

    Parameters
    ----------
    series : array-like of shape (n_steps,) or (n_steps, n_features), or a list of them
        The series, oldest first; a list is forecast by one model of all of
        them, as in :func:`backtest`.
    models : dict of str to estimator, default=None
        As in :func:`backtest`; None is :func:`default_forecasters`
        (``season``, ``target``).
    lookback : int
        Steps of history each window reads.
    horizon : int, default=1
        Steps forecast after the end.
    season : int, default=1
        Steps per season, for the default models.
    target : int or None, default=None
        The column to forecast when the series has several (required then).
    future_covariates : array-like of shape (n_steps + horizon, n_covariates), or a list of them
        Covariates known ahead, one row per step of each series and of the
        ``horizon`` steps after its end (as :func:`~sklearn_rnn.forecast_windows`
        takes them).
    adaptive_from : pandas.DataFrame or None, default=None
        The forecasts of a :func:`backtest` of these models on these series
        (``return_forecasts=True``), run with the same ``coverage`` and
        ``adaptive_step_size``. For each model, the outcomes of its adaptive
        intervals there are fed, in the order they were observed, to a
        calibrator per series (:class:`~sklearn_rnn.AdaptiveIntervals` for
        a model with a spread, :class:`~sklearn_rnn.ConformalIntervals`,
        which also keeps the errors of each step ahead, for one without),
        and its forecasts here get intervals at the level reached. A model
        without a spread gets them from its errors there even where the
        backtest drew none (a short test period, or none scored).
    coverage : float, default=0.8
        Nominal coverage of the adaptive intervals (with ``adaptive_from``).
    adaptive_step_size : float, default=0.02
        Their step size (with ``adaptive_from``).
    adaptive_intervals : {'spread', 'errors'}, default='spread'
        As in the backtest (with ``adaptive_from``): around the spread of a
        model that predicts one, or from its past errors.

    Returns
    -------
    pandas.DataFrame
        One row per model, series and step ahead: ``model``, ``series`` (its
        position in the list; 0 for one series), ``step`` (1 to ``horizon``:
        the step after the series' end that it forecasts), ``y_pred`` and
        ``y_std`` (NaN for models without a spread); with ``adaptive_from``
        also ``adaptive_lower`` and ``adaptive_upper`` (NaN for a step
        beyond the backtest's horizon, or one with fewer past errors than
        :class:`~sklearn_rnn.ConformalIntervals` needs, for a model without
        a spread). Each step's interval is at the level reached by the end of
        the series; as new values arrive, feed them back (the calibrator's
        ``update``) to move it.

    Examples
    --------
    >>> t = np.arange(120)
    >>> series = 10 + np.sin(2 * np.pi * t / 12) + 0.05 * t
    >>> models = {
    ...     "seasonal naive": SeasonalNaiveForecaster(season=12),
    ...     "holt-winters": HoltWintersForecaster(season=12),
    ...     "mean": ForecastCombination(["seasonal naive", "holt-winters"]),
    ... }
    >>> future = forecast(series, models, lookback=24, horizon=3)
    >>> future.pivot(index="step", columns="model", values="y_pred").round(2)
    model  holt-winters   mean  seasonal naive
    step
    1             16.00  15.70           15.40
    2             16.55  16.25           15.95
    3             16.96  16.67           16.37
    """
    values, is_list = _as_series_list(series, "series")
    column = _target_column(values, target)
    if isinstance(horizon, bool) or not isinstance(horizon, Integral) or horizon < 1:
        raise ValueError(f"horizon must be an integer >= 1; got {horizon!r}.")
    if adaptive_from is not None:
        _check_adaptive_from(adaptive_from, len(values))
        _check_coverage(coverage)
        _check_adaptive_step_size(adaptive_step_size, none=False)
        _check_adaptive_intervals(adaptive_intervals)
    past = None
    if future_covariates is not None:
        covariates, _ = _as_series_list(future_covariates, "future_covariates")
        if len(covariates) != len(values):
            raise ValueError(
                f"future_covariates holds {len(covariates)} series; the series {len(values)}."
            )
        for i, (c, v) in enumerate(zip(covariates, values)):
            if len(c) != len(v) + horizon:
                raise ValueError(
                    f"future_covariates[{i}] has {len(c)} rows; it needs one per step of its "
                    f"series and of the horizon after it: {len(v)} + {horizon} = "
                    f"{len(v) + horizon}."
                )
        past = [c[: len(v)] for c, v in zip(covariates, values)]
        past = past if is_list else past[0]
    X, y = make_windows(
        series,
        lookback=lookback,
        horizon=horizon,
        target=column,
        future_covariates=past,
    )
    X_future = forecast_windows(series, lookback, horizon, future_covariates=future_covariates)
    if models is None:
        models = default_forecasters(season, target=column)
    fitted_names, combinations = _split_combinations(models)
    outputs = {}
    for name in fitted_names:
        model = models[name]
        start = time.perf_counter()
        if isinstance(model, HoltWintersForecaster):
            parts = [
                clone(model)
                .fit(v[:, column])
                .forecast(v[:, column], [len(v)], horizon, return_std=True)
                for v in values
            ]
            pred = np.concatenate([p for p, _ in parts])
            std = np.concatenate([sd for _, sd in parts])
        else:
            fitted = clone(model).fit(X, y)
            pred, std = _predict_with_spread(fitted, X_future)
        outputs[name] = _output(pred, std, (len(values), horizon), start)
    _combine(outputs, combinations)
    frames = []
    for name in models:
        pred, std, _ = outputs[name]
        frame = pd.DataFrame(
            {
                "model": name,
                "series": np.repeat(np.arange(len(values)), horizon),
                "step": np.tile(np.arange(1, horizon + 1), len(values)),
                "y_pred": pred.ravel(),
                "y_std": np.nan if std is None else std.ravel(),
            }
        )
        if adaptive_from is not None:
            calibrator = _calibrator(std, adaptive_intervals, coverage, adaptive_step_size)
            lower, upper = _adapted(adaptive_from, name, pred, std, calibrator)
            frame["adaptive_lower"], frame["adaptive_upper"] = lower.ravel(), upper.ravel()
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


#: The columns of a backtest's forecasts that replaying its adaptive intervals reads.
_ADAPTIVE_COLUMNS = [
    "model",
    "series",
    "origin",
    "step",
    "y_true",
    "y_pred",
    "adaptive_lower",
    "adaptive_upper",
]


def _check_adaptive_from(forecasts, n_series):
    if not isinstance(forecasts, pd.DataFrame):
        raise TypeError(
            "adaptive_from must be the forecasts DataFrame of a backtest "
            f"(return_forecasts=True); got {type(forecasts).__name__}."
        )
    missing = [c for c in _ADAPTIVE_COLUMNS if c not in forecasts]
    if missing:
        raise ValueError(
            f"adaptive_from lacks the column(s) {missing}: pass the forecasts of a backtest "
            "run with return_forecasts=True."
        )
    extra = sorted(set(forecasts["series"]) - set(range(n_series)))
    if extra:
        raise ValueError(
            f"adaptive_from holds series {extra}, which the {n_series} series given here "
            "do not have: pass the forecasts of a backtest of these series."
        )


def _adapted(forecasts, name, pred, std, calibrator):
    """``name``'s intervals around ``pred`` (series x steps), each series' calibrator replayed."""
    lower, upper = np.full(pred.shape, np.nan), np.full(pred.shape, np.nan)
    mine = forecasts[forecasts["model"] == name]
    # Intervals around the spread cover every value of a backtest that scored
    # them. Those from past errors leave the first values without (too few
    # errors), or all of them on a short series: the errors still count.
    ends = mine[["adaptive_lower", "adaptive_upper"]]
    spread = isinstance(calibrator, AdaptiveIntervals)
    if mine.empty or (spread and ends.isna().any().any()):
        raise ValueError(
            f"adaptive_from has no adaptive intervals of the model {name!r}"
            + (" around its spread" if spread and not mine.empty else "")
            + ": pass the forecasts of a backtest of the same models with adaptive_step_size "
            "set and the same adaptive_intervals."
        )
    steps = np.arange(1, pred.shape[1] + 1)
    for i in range(len(pred)):
        rows = mine[mine["series"] == i]
        rows = rows.iloc[np.argsort((rows["origin"] + rows["step"]).to_numpy(), kind="stable")]
        outcomes = rows["y_true"], rows["adaptive_lower"], rows["adaptive_upper"]
        if not spread:
            step = rows["step"].to_numpy(dtype=np.int64)
            aci = clone(calibrator).update(*outcomes, y_pred=rows["y_pred"], step=step)
            lower[i], upper[i] = aci.interval(pred[i], step=steps)
        else:
            aci = clone(calibrator).update(*outcomes)
            lower[i], upper[i] = aci.interval(pred[i], std[i])
    return lower, upper


def summarize_backtest(result, reference="seasonal naive"):
    """One row per model: fold means, and MAE relative to ``reference`` (when it was run).

    Parameters
    ----------
    result : pandas.DataFrame
        What :func:`backtest` returns.
    reference : str, default='seasonal naive'
        The model whose MAE the others are divided by, fold by fold.

    Returns
    -------
    pandas.DataFrame
        Indexed by model (in the order run): ``mae``, ``rmse``, ``mase``,
        ``coverage``, ``adaptive_coverage``, ``adaptive_drawn``,
        ``fit_seconds`` (means over folds; a result without the adaptive
        columns has none) and, with the
        reference, ``mae_vs_<reference>`` (the mean over folds of the ratio).
    """
    order = list(dict.fromkeys(result["model"]))
    columns = [
        "mae",
        "rmse",
        "mase",
        "coverage",
        "adaptive_coverage",
        "adaptive_drawn",
        "fit_seconds",
    ]
    columns = [c for c in columns if c in result]
    summary = result.groupby("model")[columns].mean().loc[order]
    if reference in order:
        ref = result[result["model"] == reference].set_index("fold")["mae"]
        ratio = result["mae"] / result["fold"].map(ref)
        summary[f"mae_vs_{reference.replace(' ', '_')}"] = ratio.groupby(result["model"]).mean()
    return summary


def plot_backtest(
    forecasts, series=None, *, coverage=0.8, series_index=0, models=None, intervals="predicted"
):
    """Two figures: the last fold's one-step forecasts (with intervals) and MAE by step ahead.

    Parameters
    ----------
    forecasts : pandas.DataFrame
        The forecasts of :func:`backtest` (``return_forecasts=True``).
    series : array-like of shape (n_steps,), default=None
        The observed series, drawn behind the forecasts (for a backtest of
        several series, the one at ``series_index``).
    coverage : float, default=0.8
        The coverage of the intervals drawn for models with a spread.
    series_index : int, default=0
        For a backtest of several series: the one whose forecasts are drawn
        (the error by step ahead pools all of them).
    models : list of str or None, default=None
        The models drawn in both figures, in the order given; None: every
        model of ``forecasts`` (nine for :func:`default_forecasters`, which
        crowds the first figure).
    intervals : {'predicted', 'adaptive'}, default='predicted'
        The intervals drawn: the models' own (``coverage`` around their
        spread), or the adaptive intervals of the backtest
        (``adaptive_lower``, ``adaptive_upper``, at the backtest's coverage:
        ``coverage`` is then not read), drawn for models without a spread
        too.

    Returns
    -------
    dict of str to matplotlib Figure
        ``'forecasts'`` and ``'error_by_step'``.
    """
    import matplotlib.pyplot as plt

    z = norm.ppf((1 + coverage) / 2)
    if intervals not in ("predicted", "adaptive"):
        raise ValueError(f"intervals must be 'predicted' or 'adaptive'; got {intervals!r}.")
    if intervals == "adaptive" and "adaptive_lower" not in forecasts:
        raise ValueError(
            "intervals='adaptive' draws the adaptive_lower and adaptive_upper columns of a "
            "backtest's forecasts; these forecasts have none (adaptive_step_size=None?)."
        )
    if models is not None:
        names = [models] if isinstance(models, str) else list(models)
        present = list(dict.fromkeys(forecasts["model"]))
        missing = [m for m in names if m not in present]
        if missing or not names:
            raise ValueError(
                f"models={models!r}: {missing or 'none given'}; the forecasts hold {present}."
            )
        forecasts = forecasts[forecasts["model"].isin(names)]
        order = {m: i for i, m in enumerate(names)}
        forecasts = forecasts.sort_values("model", key=lambda c: c.map(order), kind="stable")
    shown = forecasts
    if "series" in forecasts:
        if series_index not in set(forecasts["series"]):
            raise ValueError(f"series_index={series_index!r}: no forecasts of that series.")
        shown = forecasts[forecasts["series"] == series_index]
    last = shown[(shown["fold"] == shown["fold"].max()) & (shown["step"] == 1)]
    fig, ax = plt.subplots(figsize=(11, 4.5))
    if series is not None:
        start = max(0, int(last["origin"].min()) - 3 * len(last["origin"].unique()) // 2)
        end = int(last["origin"].max()) + 1
        ax.plot(range(start, end), np.asarray(series)[start:end], color="black", label="observed")
    for name, rows in last.groupby("model", sort=False):
        line = ax.plot(rows["origin"], rows["y_pred"], label=name, alpha=0.8)[0]
        if intervals == "adaptive" and rows["adaptive_lower"].notna().any():
            lower, upper = rows["adaptive_lower"], rows["adaptive_upper"]
            label = f"{name} interval, adapted"
        elif intervals == "predicted" and rows["y_std"].notna().any():
            lower = rows["y_pred"] - z * rows["y_std"]
            upper = rows["y_pred"] + z * rows["y_std"]
            label = f"{name} {coverage:.0%} interval"
        else:
            continue
        ax.fill_between(
            rows["origin"], lower, upper, color=line.get_color(), alpha=0.2, label=label
        )
    ax.set_xlabel("step of the series")
    ax.set_title("One-step forecasts in the last fold")
    # Beside the axes: with the default nine models a legend inside hides the forecasts.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    fig.tight_layout()
    errors = forecasts.assign(abs_error=(forecasts["y_pred"] - forecasts["y_true"]).abs())
    by_step = errors.groupby(["model", "step"], sort=False)["abs_error"].mean().unstack(0)
    fig2, ax2 = plt.subplots(figsize=(8, 4))
    by_step.plot(ax=ax2, marker="o")
    ax2.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    ax2.set_xlabel("steps ahead")
    ax2.set_ylabel("MAE (all folds)")
    ax2.set_title("Error by step ahead")
    fig2.tight_layout()
    return {"forecasts": fig, "error_by_step": fig2}
