"""Time series as supervised windows, and scaling of numeric sequences inside a Pipeline."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from ._sequences import as_ragged, check_numeric_sequences, materialize, reject_unsupported


def make_windows(series, lookback, horizon=1, stride=1, target=None):
    """Turn a series into supervised windows: ``lookback`` steps in, ``horizon`` steps out.

    Window ``i`` reads ``series[t - lookback : t]`` and predicts
    ``series[t : t + horizon]`` (direct multi-step forecasting: one output per
    horizon step), with ``t = lookback + i * stride``. Windows are in time
    order, so ``TimeSeriesSplit`` splits them by time; use
    ``TimeSeriesSplit(gap=horizon - 1)`` so that no training window's
    targets reach into the test period.

    Parameters
    ----------
    series : array-like of shape (n_steps,) or (n_steps, n_features)
        The series, oldest first (a pandas Series/DataFrame works too).
    lookback : int
        Steps of history each window reads.
    horizon : int, default=1
        Steps ahead to predict.
    stride : int, default=1
        Steps between the starts of two windows.
    target : int, list of int or None, default=None
        Columns to predict; None predicts every column.

    Returns
    -------
    X : ndarray of shape (n_windows, lookback, n_features), float32
    y : ndarray of shape (n_windows, horizon) for one target column (or a 1-D
        series), else (n_windows, horizon * n_targets), step-major.

    Examples
    --------
    >>> X, y = make_windows(np.arange(6.0), lookback=3, horizon=2)
    >>> X[:, :, 0]
    array([[0., 1., 2.],
           [1., 2., 3.]], dtype=float32)
    >>> y
    array([[3., 4.],
           [4., 5.]])
    """
    for name, value, low in (
        ("lookback", lookback, 1),
        ("horizon", horizon, 1),
        ("stride", stride, 1),
    ):
        if not isinstance(value, Integral) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")
    values = np.asarray(series, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise ValueError(f"series must be 1-D or 2-D (n_steps, n_features); got {values.ndim}-D.")
    if not np.isfinite(values).all():
        step = int(np.flatnonzero(~np.isfinite(values).all(axis=1))[0])
        raise ValueError(f"series holds NaN or infinite values (first at step {step}).")
    n_steps = len(values)
    if lookback + horizon > n_steps:
        raise ValueError(
            f"lookback + horizon = {lookback + horizon} steps, but the series has only "
            f"{n_steps}: no window fits."
        )
    columns = list(range(values.shape[1])) if target is None else np.atleast_1d(target).tolist()
    starts = np.arange(lookback, n_steps - horizon + 1, stride)
    X = np.stack([values[t - lookback : t] for t in starts]).astype(np.float32)
    y = np.stack([values[t : t + horizon][:, columns].reshape(-1) for t in starts])
    return X, y


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
        self.scaler_.fit(np.concatenate(seqs))
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
        scaled = [self.scaler_.transform(s).astype(np.float32) for s in seqs]
        if isinstance(X, np.ndarray) and X.dtype != object:
            return np.stack(scaled).reshape(X.shape)
        return as_ragged(scaled)

    def inverse_transform(self, X):
        """Undo the scaling."""
        check_is_fitted(self, "scaler_")
        X, seqs = self._steps(X)
        out = [self.scaler_.inverse_transform(s).astype(np.float32) for s in seqs]
        if isinstance(X, np.ndarray) and X.dtype != object:
            return np.stack(out).reshape(X.shape)
        return as_ragged(out)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
