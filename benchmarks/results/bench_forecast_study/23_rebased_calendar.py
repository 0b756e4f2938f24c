"""Study 23 (stop 45): re-based targets (study 22) with and without the calendar as a covariate.

Kept so that the study can be rerun; nothing in the package uses it. The seasonal
series of ``bench_forecast.py``, scored as ``bench_forecast_panel.py --part calendar``
scores them (``sklearn_rnn.backtest``, 3 rolling-origin folds, the position in the
season one-hot as a known-future covariate for the ``+calendar`` rows). Models: the
benchmark's Ridge and default LSTM, and both re-based on each window's last value of the
series (``rb-``: column 0 of the window and the targets have it subtracted, the forecast
gets it back; the covariate columns are left as they are).

    python benchmarks/results/bench_forecast_study/23_rebased_calendar.py [--seeds 0,1]
        [--series co2-monthly,...] [--out FILE]
"""

import argparse
import json
import os
import shlex
import sys

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import bench_forecast as bf  # noqa: E402
import bench_forecast_panel as bp  # noqa: E402

from sklearn_rnn import backtest  # noqa: E402
from sklearn_rnn.backtest import default_forecasters  # noqa: E402


class Rebased(RegressorMixin, BaseEstimator):
    def __init__(self, estimator=None):
        self.estimator = estimator

    def _rebase(self, X):
        X = np.array(X, dtype=np.float64)
        last = X[:, -1, 0].copy()
        X[:, :, 0] -= last[:, None]
        return X, last

    def fit(self, X, y):
        X, last = self._rebase(X)
        y = np.asarray(y, dtype=np.float64)
        self.model_ = clone(self.estimator).fit(X, y - (last if y.ndim == 1 else last[:, None]))
        return self

    def predict(self, X):
        X, last = self._rebase(X)
        pred = np.asarray(self.model_.predict(X))
        return pred + (last if pred.ndim == 1 else last[:, None])


def models(seed, first):
    ref = default_forecasters(random_state=seed)
    out = {"lstm": ref["lstm"], "rb-lstm": Rebased(ref["lstm"])}
    if first:  # deterministic: one seed is enough
        out = {"ridge": ref["ridge"], "rb-ridge": Rebased(ref["ridge"]), **out}
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--series", default="co2-monthly,elnino,airpassengers,wineind,ausbeer,woolyrnq"
    )
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--out", default="23_rebased_calendar.json")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    out = {}
    for name in args.series.split(","):
        _, season, lookback, horizon, max_train = bf.SERIES[name]
        values = bf.load_series(name)
        settings = dict(
            lookback=lookback, horizon=horizon, season=season, max_train_size=max_train, n_splits=3
        )
        calendar = bp._calendar(len(values), season)
        rows = []
        for seed in seeds:
            for suffix, covariates in (("", None), ("+calendar", calendar)):
                result = backtest(
                    values, models(seed, seed == seeds[0]), future_covariates=covariates, **settings
                )
                rows.append(result.assign(seed=seed, model=result["model"] + suffix))
        table = bp.summarise(pd.concat(rows, ignore_index=True), reference="ridge")
        out[name] = table.round(4).to_dict(orient="index")
        print(name, table["mase"].round(3).to_dict(), flush=True)
    mase = pd.DataFrame({n: {m: r["mase"] for m, r in t.items()} for n, t in out.items()}).T
    print(mase.round(3).to_string())
    ratio = mase.div(mase["ridge"], axis=0)
    print(
        "MASE relative to ridge, geometric mean:", np.exp(np.log(ratio).mean()).round(3).to_dict()
    )
    command = shlex.join(["python", os.path.relpath(sys.argv[0]), *sys.argv[1:]])
    with open(args.out, "w") as f:
        json.dump({"command": command, "seeds": seeds, "series": out}, f, indent=1)


if __name__ == "__main__":
    main()
