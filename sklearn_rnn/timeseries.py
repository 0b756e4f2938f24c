"""Time series as supervised windows, and scaling of numeric sequences inside a Pipeline."""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.model_selection import BaseCrossValidator, TimeSeriesSplit
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, validate_parameter_constraints
from sklearn.utils.validation import check_is_fitted

from ._sequences import as_ragged, check_numeric_sequences, materialize, reject_unsupported


def _as_series_list(series, name):
    """``(values, is_list)``: each series as a float 2-D array (n_steps, n_features)."""
    # Several series come as a list of arrays; nested lists of numbers are one 2-D series.
    is_list = (
        isinstance(series, (list, tuple))
        and len(series) > 0
        and all(isinstance(s, (np.ndarray, pd.Series, pd.DataFrame)) for s in series)
    )
    items = list(series) if is_list else [series]
    out = []
    for i, s in enumerate(items):
        where = f"{name}[{i}]" if is_list else name
        try:
            values = np.asarray(s, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where} must hold numbers: {exc}") from None
        if values.ndim == 1:
            values = values[:, None]
        if values.ndim != 2:
            raise ValueError(
                f"{where} must be 1-D or 2-D (n_steps, n_features); got {values.ndim}-D."
            )
        if not np.isfinite(values).all():
            step = int(np.flatnonzero(~np.isfinite(values).all(axis=1))[0])
            raise ValueError(f"{where} holds NaN or infinite values (first at step {step}).")
        out.append(values)
    return out, is_list


def make_windows(
    series,
    lookback,
    horizon=1,
    stride=1,
    target=None,
    *,
    future_covariates=None,
    return_index=False,
):
    """Turn a series, or several, into supervised windows: ``lookback`` steps in, ``horizon`` out.

    Window ``i`` reads ``series[t - lookback : t]`` and predicts
    ``series[t : t + horizon]`` (direct multi-step forecasting: one output per
    horizon step), with ``t = lookback + i * stride``. Windows are in time
    order, so ``TimeSeriesSplit`` splits them by time; use
    ``TimeSeriesSplit(gap=horizon - 1)`` so that no training window's
    targets reach into the test period.

    A list of series gives the windows of all of them, for one model of every
    series (a *global* model). The series are aligned at their last step (they
    end together, as the series of a panel do; a shorter one starts later) and
    the windows are ordered by the time of their first forecast step, so a
    split by time needs the windows' times as groups: pass
    ``index["time"]`` (``return_index=True``) as ``groups`` to
    :class:`~sklearn_rnn.RollingOriginSplit`.

    Known-future covariates (calendar features, holidays, planned prices)
    are values known ahead of time. With ``future_covariates`` each step of a
    window also holds the covariates of the step ``horizon`` steps later, so
    the window's last ``horizon`` steps hold those of the steps it forecasts,
    and any model of the windows reads them beside the past values.

    Parameters
    ----------
    series : array-like of shape (n_steps,) or (n_steps, n_features), or a list of them
        The series, oldest first (a pandas Series/DataFrame works too).
        Several series are a list of arrays (numpy or pandas; a nested list
        of numbers is one 2-D series), with the same number of features.
    lookback : int
        Steps of history each window reads.
    horizon : int, default=1
        Steps ahead to predict.
    stride : int, default=1
        Steps between the starts of two windows of a series.
    target : int, list of int or None, default=None
        Columns to predict; None predicts every column.
    future_covariates : array-like of shape (n_steps, n_covariates), or a list of them
        Covariates known ahead, one row per step of the series (one array per
        series of a list). They become the last ``n_covariates`` features of
        the windows; they are never targets.
    return_index : bool, default=False
        Also return where each window comes from.

    Returns
    -------
    X : ndarray of shape (n_windows, lookback, n_features + n_covariates), float32
    y : ndarray of shape (n_windows, horizon) for one target column (or a 1-D
        series), else (n_windows, horizon * n_targets), step-major.
    index : pandas.DataFrame, only with ``return_index``
        One row per window: ``series`` (its position in the list; 0 for one
        series), ``origin`` (the step of that series the window forecasts
        first) and ``time`` (that step on the common timeline of the series
        aligned at their ends: the longest series' steps).

    Examples
    --------
    >>> X, y = make_windows(np.arange(6.0), lookback=3, horizon=2)
    >>> X[:, :, 0]
    array([[0., 1., 2.],
           [1., 2., 3.]], dtype=float32)
    >>> y
    array([[3., 4.],
           [4., 5.]])

    Two series, one of them two steps shorter, and a covariate known ahead:

    >>> X, y, index = make_windows(
    ...     [np.arange(6.0), np.arange(4.0)],
    ...     lookback=3,
    ...     future_covariates=[np.arange(6.0) * 10, np.arange(4.0) * 10],
    ...     return_index=True,
    ... )
    >>> X[-1]  # the second series' window: its values 0-2, the covariates of steps 1-3
    array([[ 0., 10.],
           [ 1., 20.],
           [ 2., 30.]], dtype=float32)
    >>> index
       series  origin  time
    0       0       3     3
    1       0       4     4
    2       0       5     5
    3       1       3     5
    """
    for name, value, low in (
        ("lookback", lookback, 1),
        ("horizon", horizon, 1),
        ("stride", stride, 1),
    ):
        if not isinstance(value, Integral) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")
    values, is_list = _as_series_list(series, "series")
    n_features = values[0].shape[1]
    covariates = _check_covariates(values, is_list, future_covariates, extra_steps=0)
    columns = list(range(n_features)) if target is None else np.atleast_1d(target).tolist()
    for c in columns:
        if not isinstance(c, Integral) or not 0 <= c < n_features:
            raise ValueError(f"target column {c!r} is not among the {n_features} feature(s).")
    longest = max(len(v) for v in values)
    Xs, ys, rows = [], [], []
    for i, v in enumerate(values):
        if lookback + horizon > len(v) and not is_list:
            raise ValueError(
                f"lookback + horizon = {lookback + horizon} steps, but the series has only "
                f"{len(v)}: no window fits."
            )
        starts = np.arange(lookback, len(v) - horizon + 1, stride)
        if len(starts) == 0:
            continue
        inputs = _with_covariates(v, None if covariates is None else covariates[i], horizon)
        Xs.append(np.stack([inputs[t - lookback : t] for t in starts]))
        ys.append(np.stack([v[t : t + horizon][:, columns].reshape(-1) for t in starts]))
        time = starts + longest - len(v)
        rows.append(pd.DataFrame({"series": i, "origin": starts, "time": time}))
    if not Xs:
        raise ValueError(
            f"lookback + horizon = {lookback + horizon} steps, but the longest series has "
            f"only {longest}: no window fits."
        )
    index = pd.concat(rows, ignore_index=True)
    # Time order across series (stable: series order within a time step).
    order = np.argsort(index["time"].to_numpy(), kind="stable")
    X = np.concatenate(Xs)[order].astype(np.float32)
    y = np.concatenate(ys)[order]
    if return_index:
        return X, y, index.iloc[order].reset_index(drop=True)
    return X, y


def _check_covariates(values, is_list, future_covariates, extra_steps):
    """The covariates as 2-D arrays, ``len(series) + extra_steps`` rows each; None if none."""
    n_features = values[0].shape[1]
    for i, v in enumerate(values):
        if v.shape[1] != n_features:
            raise ValueError(
                f"series[{i}] has {v.shape[1]} features per step; series[0] has {n_features}."
            )
    if future_covariates is None:
        return None
    covariates, cov_list = _as_series_list(future_covariates, "future_covariates")
    if cov_list != is_list or len(covariates) != len(values):
        raise ValueError(
            "future_covariates must match series: one array for one series, a list of "
            f"{len(values)} arrays for a list of {len(values)} series."
        )
    width = covariates[0].shape[1]
    for i, (v, c) in enumerate(zip(values, covariates)):
        if len(c) != len(v) + extra_steps or c.shape[1] != width:
            where = f"future_covariates[{i}]" if is_list else "future_covariates"
            rows = "one row per step of the series" + (
                f" and of the {extra_steps} steps to forecast" if extra_steps else ""
            )
            raise ValueError(
                f"{where} has shape {c.shape}; expected ({len(v) + extra_steps}, {width}): {rows}."
            )
    return covariates


def _with_covariates(values, covariates, horizon):
    """The series' steps, each beside the covariates of the step ``horizon`` later.

    Where those are not known (the last ``horizon`` steps of a series whose
    covariates end with it) they are 0; no window with a target reads them.
    """
    if covariates is None:
        return values
    lead = np.zeros((len(values), covariates.shape[1]))
    known = covariates[horizon : horizon + len(values)]
    lead[: len(known)] = known
    return np.concatenate([values, lead], axis=1)


def forecast_windows(series, lookback, horizon=1, *, future_covariates=None):
    """The window of each series that forecasts the ``horizon`` steps after its end.

    The input of ``model.predict`` for a forecast of the future, cut as
    :func:`make_windows` cuts its training windows: the last ``lookback``
    steps of each series, beside (with ``future_covariates``) the covariates
    ``horizon`` steps later, which so reach ``horizon`` steps past the end.

    Parameters
    ----------
    series : array-like of shape (n_steps,) or (n_steps, n_features), or a list of them
        As in :func:`make_windows`.
    lookback : int
        Steps of history each window reads.
    horizon : int, default=1
        Steps ahead the model forecasts.
    future_covariates : array-like of shape (n_steps + horizon, n_covariates), or a list
        The covariates of every step of the series and of the ``horizon``
        steps after it.

    Returns
    -------
    X : ndarray of shape (n_series, lookback, n_features + n_covariates), float32
        One window per series (1 for one series).

    Examples
    --------
    >>> forecast_windows(np.arange(6.0), lookback=3, horizon=2,
    ...                  future_covariates=np.arange(8.0) * 10)[0]
    array([[ 3., 50.],
           [ 4., 60.],
           [ 5., 70.]], dtype=float32)
    """
    for name, value in (("lookback", lookback), ("horizon", horizon)):
        if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1; got {value!r}.")
    values, is_list = _as_series_list(series, "series")
    covariates = _check_covariates(values, is_list, future_covariates, extra_steps=horizon)
    windows = []
    for i, v in enumerate(values):
        if len(v) < lookback:
            where = f"series[{i}]" if is_list else "The series"
            raise ValueError(f"{where} has {len(v)} steps, fewer than lookback={lookback}.")
        inputs = _with_covariates(v, None if covariates is None else covariates[i], horizon)
        windows.append(inputs[-lookback:])
    return np.stack(windows).astype(np.float32)


class SequenceScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Standardise each feature of numeric sequences with statistics of the training data.

    scikit-learn's scalers expect 2-D input; this one fits a ``StandardScaler``
    on every time step of the training sequences (so, in a Pipeline inside
    cross-validation, never on the test period) and applies it to each step,
    keeping the input's form: a 3-D array stays 3-D, ragged stays ragged.

    Parameters
    ----------
    with_mean : bool, default=True
        Centre each feature on its training mean.
    with_std : bool, default=True
        Scale each feature to unit training variance.

    Attributes
    ----------
    scaler_ : StandardScaler
        Fitted on all training steps, one column per feature.
    n_features_in_ : int
        Features per time step.

    Examples
    --------
    >>> X = np.arange(12, dtype="float32").reshape(2, 3, 2)
    >>> SequenceScaler().fit_transform(X).mean(axis=(0, 1))
    array([0., 0.], dtype=float32)
    """

    _parameter_constraints = {"with_mean": ["boolean"], "with_std": ["boolean"]}

    def __init__(self, *, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    def _steps(self, X):
        X = materialize(X)
        reject_unsupported(X)
        seqs = [s.reshape(len(s), -1) for s in check_numeric_sequences(X)]
        return X, seqs

    def fit(self, X, y=None):
        """Learn the mean and spread of each feature over all training steps."""
        self._validate_params()
        _, seqs = self._steps(X)
        self.scaler_ = StandardScaler(with_mean=self.with_mean, with_std=self.with_std)
        # In float64: scikit-learn divides float32 input by scale_ cast to float32,
        # and a spread in float32's subnormal range (e.g. 7e-46) becomes 0 there.
        self.scaler_.fit(np.concatenate(seqs).astype(np.float64))
        self.n_features_in_ = self.scaler_.n_features_in_
        return self

    def transform(self, X):
        """Scale every step of every sequence."""
        check_is_fitted(self, "scaler_")
        X, seqs = self._steps(X)
        for i, s in enumerate(seqs):
            if s.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"Sequence {i} has {s.shape[1]} features per step; SequenceScaler was "
                    f"fitted on {self.n_features_in_}."
                )
        scaled = [self.scaler_.transform(s.astype(np.float64)).astype(np.float32) for s in seqs]
        if isinstance(X, np.ndarray) and X.dtype != object:
            return np.stack(scaled).reshape(X.shape)
        return as_ragged(scaled)

    def inverse_transform(self, X):
        """Undo the scaling."""
        check_is_fitted(self, "scaler_")
        X, seqs = self._steps(X)
        out = [
            self.scaler_.inverse_transform(s.astype(np.float64)).astype(np.float32) for s in seqs
        ]
        if isinstance(X, np.ndarray) and X.dtype != object:
            return np.stack(out).reshape(X.shape)
        return as_ragged(out)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


class RollingOriginSplit(BaseCrossValidator):
    """Time-ordered folds of forecast windows, one series or several: ``TimeSeriesSplit`` by time.

    Without ``groups`` it is ``TimeSeriesSplit(gap=horizon - 1)`` over the
    windows of one series, in order. With ``groups``, the time of each
    window (``index["time"]`` of :func:`make_windows` with a list of series),
    it splits the *times*: every window of a time step falls in the same
    fold, each test fold is later than its training part for every series,
    and the ``horizon - 1`` time steps before each test fold are left out, so
    that no training window's targets reach into the test period.

    Parameters
    ----------
    n_splits : int, default=3
        Folds, each later in time than the one before.
    horizon : int, default=1
        Steps each window forecasts; the gap is ``horizon - 1`` time steps.
    test_size : int or None, default=None
        Time steps per test fold; None: as ``TimeSeriesSplit`` chooses.
    max_train_size : int or None, default=None
        At most this many of the latest time steps train each fold; None: all.

    Examples
    --------
    >>> from sklearn_rnn import make_windows
    >>> X, y, index = make_windows(
    ...     [np.arange(8.0), np.arange(6.0)], lookback=2, return_index=True
    ... )
    >>> cv = RollingOriginSplit(n_splits=2, test_size=2)
    >>> for train, test in cv.split(X, groups=index["time"]):
    ...     print(index["time"][train].tolist(), index["time"][test].tolist())
    [2, 3] [4, 4, 5, 5]
    [2, 3, 4, 4, 5, 5] [6, 6, 7, 7]
    """

    # groups (the windows' times) reach split() under metadata routing too.
    __metadata_request__split = {"groups": True}

    _parameter_constraints = {
        "n_splits": [Interval(Integral, 1, None, closed="left")],
        "horizon": [Interval(Integral, 1, None, closed="left")],
        "test_size": [Interval(Integral, 1, None, closed="left"), None],
        "max_train_size": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, n_splits=3, *, horizon=1, test_size=None, max_train_size=None):
        self.n_splits = n_splits
        self.horizon = horizon
        self.test_size = test_size
        self.max_train_size = max_train_size

    def _time_split(self):
        validate_parameter_constraints(
            self._parameter_constraints, self._get_params_for_check(), type(self).__name__
        )
        return TimeSeriesSplit(
            n_splits=self.n_splits,
            test_size=self.test_size,
            gap=self.horizon - 1,
            max_train_size=self.max_train_size,
        )

    def _get_params_for_check(self):
        return {k: getattr(self, k) for k in self._parameter_constraints}

    def get_n_splits(self, X=None, y=None, groups=None):
        """The number of folds: ``n_splits``."""
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Yield ``(train, test)`` indices of the windows, fold by fold, oldest first.

        Parameters
        ----------
        X : array-like of length n_windows
        y : ignored
        groups : array-like of shape (n_windows,), default=None
            The time step of each window; None: the windows' order.
        """
        cv = self._time_split()
        n = len(X)
        if groups is None:
            yield from cv.split(np.zeros(n))
            return
        times = np.asarray(groups)
        if times.shape != (n,):
            raise ValueError(
                f"groups holds {times.size} times for {n} windows; pass one time per window."
            )
        unique, position = np.unique(times, return_inverse=True)
        for train, test in cv.split(unique):
            yield (
                np.flatnonzero(np.isin(position, train)),
                np.flatnonzero(np.isin(position, test)),
            )
