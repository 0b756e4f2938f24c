"""Study 20: 80% intervals from two quantile models against the Gaussian head's, same folds.

Run from the repository root: ``python benchmarks/results/bench_forecast_study/20_quantile_pair.py``
(seed 0, the 12 series of the backtest without taylor; writes ``20_quantile_pair_12series.json``
beside this file). For each series and rolling-origin fold of ``benchmarks/bench_forecast.py``:
``LSTMRegressor(loss='quantile')`` at 0.1 and at 0.9 (the interval between them), and
``LSTMRegressor(loss='gaussian_nll', validation_split='last')`` (its calibrated 80% interval,
the best setting of studies 8-9), each with every other parameter at its default.
"""

import json
import os
import sys

import numpy as np
from scipy.stats import norm
from sklearn.pipeline import make_pipeline

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))

from bench_forecast import DEVELOPMENT, backtest_series  # noqa: E402

from sklearn_rnn import LSTMRegressor, SequenceScaler  # noqa: E402

NAMES = [n for n in DEVELOPMENT if n != "taylor"]


def model(**params):
    return make_pipeline(SequenceScaler(), LSTMRegressor(random_state=0, **params))


def main():
    z = norm.ppf(0.9)
    rows = {}
    for name in NAMES:
        models = {
            "q10": model(loss="quantile", quantile=0.1),
            "q90": model(loss="quantile", quantile=0.9),
            "gaussian": model(loss="gaussian_nll", validation_split="last"),
        }
        result, fc = backtest_series(name, models, return_forecasts=True)
        keys = ["fold", "origin", "step"]
        lo = fc[fc.model == "q10"].set_index(keys)
        hi = fc[fc.model == "q90"].set_index(keys)
        ga = fc[fc.model == "gaussian"].set_index(keys)
        y = lo["y_true"]
        pair = ((lo["y_pred"] <= y) & (y <= hi["y_pred"])).mean()
        crossed = (lo["y_pred"] > hi["y_pred"]).mean()
        gauss = ((y - ga["y_pred"]).abs() <= z * ga["y_std"]).mean()
        width_pair = (hi["y_pred"] - lo["y_pred"]).mean()
        width_gauss = (2 * z * ga["y_std"]).mean()
        fit = result.groupby("model")["fit_seconds"].mean()
        rows[name] = {
            "n_values": int(len(y)),
            "coverage80_quantile_pair": float(pair),
            "coverage80_gaussian_last": float(gauss),
            "crossed_share": float(crossed),
            "mean_width_quantile_pair": float(width_pair),
            "mean_width_gaussian_last": float(width_gauss),
            "fit_seconds": {k: round(float(v), 2) for k, v in fit.items()},
        }
        print(
            f"{name:14s} n {len(y):5d}  pair {pair:.3f}  gaussian {gauss:.3f}  "
            f"crossed {crossed:.3f}  width pair/gaussian {width_pair / width_gauss:.2f}",
            flush=True,
        )
    for key in ("coverage80_quantile_pair", "coverage80_gaussian_last"):
        cov = np.array([r[key] for r in rows.values()])
        print(
            f"{key}: 75-85% on {int(((cov >= 0.75) & (cov <= 0.85)).sum())} of {len(cov)}, "
            f"mean distance from 0.80 {np.abs(cov - 0.8).mean():.3f}, range "
            f"{cov.min():.3f}-{cov.max():.3f}"
        )
    out = os.path.join(HERE, "20_quantile_pair_12series.json")
    with open(out, "w") as f:
        json.dump({"command": "python " + os.path.relpath(__file__), "series": rows}, f, indent=1)


if __name__ == "__main__":
    main()
