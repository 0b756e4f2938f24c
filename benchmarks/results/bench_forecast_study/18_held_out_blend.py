"""Study 18 (stop 40): the default network blended with Ridge, weighted on held-out windows.

Kept so that the study can be rerun; nothing in the package uses it. It wraps
``benchmarks/bench_forecast.py`` (same series, folds, tables and output) and adds
candidates given as ``--candidate 'NAME={"variant": ..., "net": ...}'``. For each fold
and seed it fits, once (cached across the candidates):

- ``vlast``: ``LSTMRegressor(validation_split='last')``, which trains without the latest
  10% of the fold's training windows and early-stops on them;
- ``default``: ``LSTMRegressor()`` (random validation windows, trains on the rest);
- Ridge (``default_forecasters()['ridge']``) on the windows before the latest 10%, and
  on all of them.

The weight ``alpha`` of the network in ``alpha * network + (1 - alpha) * Ridge`` is
chosen on the latest 10% from the ``vlast`` network and the early Ridge, which neither
trained on them: ``grid-mse`` / ``grid-mae`` (the best of 0, 0.1, ..., 1), ``ls`` (least
squares, clipped to [0, 1]) or ``half`` (0.5). ``net`` names the network that is then
blended with the Ridge fitted on all windows (``variant='net'``: the network alone).
Run from the repository root with the command in ``18_held_out_blend_13series.json``;
``ALPHAS_OUT`` names the file of the chosen weights (default ``alphas.json``).
"""

import hashlib
import os
import sys

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import bench_forecast as bf  # noqa: E402

from sklearn_rnn.backtest import default_forecasters  # noqa: E402

CACHE = {}
ALPHAS = np.linspace(0, 1, 11)
LOG = []


def _ridge():
    return clone(default_forecasters()["ridge"])


def _parts(X, y, seed):
    key = (hashlib.sha1(np.ascontiguousarray(X).tobytes()).hexdigest(), X.shape, seed)
    if key in CACHE:
        return CACHE[key]
    n = len(X)
    v = max(1, int(round(0.1 * n)))
    vlast = bf._lstm({"validation_split": "last"}, seed).fit(X, y)
    default = bf._lstm({}, seed).fit(X, y)
    early = _ridge().fit(X[: n - v], y[: n - v])
    pn = vlast.predict(X[n - v :]).reshape(len(X[n - v :]), -1)
    pr = early.predict(X[n - v :]).reshape(pn.shape)
    yv = np.asarray(y[n - v :]).reshape(pn.shape)
    mse = [np.mean((a * pn + (1 - a) * pr - yv) ** 2) for a in ALPHAS]
    mae = [np.mean(np.abs(a * pn + (1 - a) * pr - yv)) for a in ALPHAS]
    d = (pn - pr).ravel()
    ls = float(np.clip(np.dot(d, (yv - pr).ravel()) / max(np.dot(d, d), 1e-12), 0, 1))
    alpha = {
        "grid-mse": float(ALPHAS[int(np.argmin(mse))]),
        "grid-mae": float(ALPHAS[int(np.argmin(mae))]),
        "ls": ls,
        "half": 0.5,
    }
    parts = dict(vlast=vlast, default=default, ridge=_ridge().fit(X, y), alpha=alpha, n=n, v=v)
    LOG.append({"n": n, "v": v, "seed": seed, **alpha})
    print("   alphas", n, v, alpha, flush=True)
    CACHE[key] = parts
    return parts


class Blend(RegressorMixin, BaseEstimator):
    def __init__(self, variant="grid-mse", net="vlast", random_state=None):
        self.variant = variant
        self.net = net
        self.random_state = random_state

    def fit(self, X, y):
        self.parts_ = _parts(np.asarray(X), np.asarray(y), self.random_state)
        return self

    def predict(self, X):
        p = self.parts_
        net = p[self.net].predict(X)
        if self.variant == "net":
            return net
        a = p["alpha"][self.variant]
        return a * net + (1 - a) * p["ridge"].predict(X).reshape(net.shape)


orig = bf._lstm


def _lstm(params, seed):
    if "variant" in params:
        return Blend(random_state=seed, **params)
    return orig(params, seed)


bf._lstm = _lstm
if __name__ == "__main__":
    bf.main()
    import json

    json.dump(LOG, open(os.environ.get("ALPHAS_OUT", "alphas.json"), "w"))
