"""Study 22 (stop 45): the network trained on windows and targets re-based on the last value.

Kept so that the study can be rerun; nothing in the package uses it. It wraps
``benchmarks/bench_forecast.py`` (same series, folds, tables and output) and adds
candidates given as ``--candidate 'NAME={"rebase": "last", ...}'``: each window and its
targets have the window's last value (of the target, column 0) subtracted before the
model sees them, and the forecast gets it back. The model is today's
``make_pipeline(SequenceScaler(), LSTMRegressor(**rest))``, or with ``"linear": true``
the benchmark's Ridge (``default_forecasters()['ridge']``) on the re-based windows.

Why: Ridge on the re-based problem shrinks towards repeating the last value instead of
towards the training mean; as a linear model alone (``/tmp`` check before this study)
it scored 0.965 times Ridge's MASE over the 13 series (geometric mean), better on 7,
with CO2 monthly 0.359 against 0.474 and air passengers 0.553 against 0.708. The
network's linear path starts at that ridge fit, so the question is whether the network
started there keeps the gain.
"""

import os
import sys

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import bench_forecast as bf  # noqa: E402

from sklearn_rnn.backtest import default_forecasters  # noqa: E402


class Rebased(RegressorMixin, BaseEstimator):
    def __init__(self, params=None, linear=False, random_state=None):
        self.params = params
        self.linear = linear
        self.random_state = random_state

    def fit(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        self.y_ndim_ = y.ndim
        last = X[:, -1:, :]
        offset = X[:, -1, 0]
        target = y - (offset if y.ndim == 1 else offset[:, None])
        if self.linear:
            self.model_ = clone(default_forecasters()["ridge"])
        else:
            self.model_ = bf.orig_lstm(self.params or {}, self.random_state)
        self.model_.fit(X - last, target)
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=np.float64)
        offset = X[:, -1, 0]
        pred = np.asarray(self.model_.predict(X - X[:, -1:, :]))
        return pred + (offset if pred.ndim == 1 else offset[:, None])


bf.orig_lstm = bf._lstm


def _lstm(params, seed):
    if params.get("rebase") == "last":
        rest = {k: v for k, v in params.items() if k not in ("rebase", "linear")}
        return Rebased(rest, params.get("linear", False), random_state=seed)
    return bf.orig_lstm(params, seed)


bf._lstm = _lstm
if __name__ == "__main__":
    bf.main()
