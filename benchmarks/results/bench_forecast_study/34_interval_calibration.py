"""Study 34 (stop 72): how the Gaussian head's spread is calibrated on the validation windows.

``LSTMRegressor(loss='gaussian_nll')`` scales the spread its Gaussian head
predicts by ``std_scale_``, computed after fitting on the early-stopping
windows (``validation_split='last'``: the latest tenth of the training
windows): today the root mean square of the residuals in units of their
predicted standard deviations (``z``). That makes the one-sigma spread right
on average, but the intervals the backtest scores are 80% ones: on a series
whose ``z`` has heavy tails (a few large misses) the root mean square is
pulled up by them and the 80% interval comes out too wide, where the 80th
percentile of ``|z|`` would not be. Study 32 left wine and wool too wide
(0.911 and 0.888) and real GDP too narrow (0.674).

One fit serves every variant: the fit's ``z`` on its validation windows is
kept, and the same fitted model predicts again with each variant's
``std_scale_`` (for the half re-based LSTM, both of its networks get theirs;
its spread is their mixture's). Variants:

- ``none``: no calibration (``std_scale_ = 1``);
- ``rms``: today's, ``sqrt(mean(z**2))``;
- ``q80``: the 80th percentile of ``|z|`` over ``norm.ppf(0.9)``: right for
  the 80% interval on the validation windows, whatever the tails;
- ``mad``: the median of ``|z|`` over ``norm.ppf(0.75)`` (right for the 50%
  interval; robust to the tails).

Models are those ``sklearn-rnn backtest --intervals`` runs
(``default_forecasters(season, random_state=seed, intervals=True)``): the
LSTM pipeline and the half re-based LSTM. Folds, windows and series as in
``bench_forecast.py``. Prints, per series, each model's and variant's 80%
coverage (mean over folds and seeds) and, per variant, how many series land in
0.75-0.85, the mean distance from 0.80, and the interval score (Gneiting &
Raftery 2007: width plus 2/alpha times the miss) relative to ``rms``,
geometric mean over folds and seeds: lower is better; it rewards coverage
only where the width it costs pays.

    python 34_interval_calibration.py SERIES SEEDS OUT.json ['{"param": value}']

The optional fourth argument sets parameters of every ``LSTMRegressor``
(e.g. ``'{"validation_fraction": 0.2}'``: calibrated on more windows).
"""

import json
import os
import platform
import shlex
import sys
import time

import numpy as np
from scipy.stats import norm
from sklearn.base import clone
from sklearn.metrics import mean_pinball_loss

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))
from bench_forecast import SERIES, load_series  # noqa: E402
from run_all import cpu_description  # noqa: E402

from sklearn_rnn import make_windows  # noqa: E402
from sklearn_rnn.backtest import default_forecasters, rolling_origin_cv  # noqa: E402
from sklearn_rnn.metrics import interval_coverage_score  # noqa: E402
from sklearn_rnn.regressor import LSTMRegressor  # noqa: E402

LEVEL = 0.8
Z = norm.ppf((1 + LEVEL) / 2)
VARIANTS = {
    "none": lambda z: 1.0,
    "rms": lambda z: float(np.sqrt(np.mean(z**2))),
    "q80": lambda z: float(np.quantile(np.abs(z), LEVEL) / Z),
    "mad": lambda z: float(np.median(np.abs(z)) / norm.ppf(0.75)),
}
MODELS = ("lstm", "half-rebased lstm")

_after_fit = LSTMRegressor._after_fit


def _after_fit_keeping_z(self, valid):
    """Today's calibration, and the validation ``z`` kept as ``valid_z_``."""
    _after_fit(self, valid)
    self.valid_z_ = None
    if self.loss == "gaussian_nll" and valid is not None and len(valid):
        outputs = self._forward(list(valid.sequences))[0].astype(np.float64)
        k = self.n_outputs_
        z = (valid.targets - outputs[:, :k]) * np.exp(-0.5 * outputs[:, k:])
        self.valid_z_ = np.asarray(z, dtype=np.float64).ravel()


LSTMRegressor._after_fit = _after_fit_keeping_z


def _networks(fitted):
    """The fitted LSTMRegressors inside a pipeline or a RebasedRegressor of one."""
    parts = [getattr(fitted, a, None) for a in ("regressor_", "plain_regressor_")]
    parts = [p for p in parts if p is not None] or [fitted]
    return [p[-1] for p in parts]


def interval_score(y, lower, upper):
    """Gneiting & Raftery's interval score: 2 / alpha times the two ends' pinball losses."""
    alpha = 1 - LEVEL
    pinball = mean_pinball_loss(y, lower, alpha=alpha / 2)
    pinball += mean_pinball_loss(y, upper, alpha=1 - alpha / 2)
    return 2 / alpha * pinball


def run(names, seeds, params=None):
    records = []
    for name in names:
        _, season, lookback, horizon, max_train = SERIES[name]
        values = load_series(name)
        X, y = make_windows(values, lookback=lookback, horizon=horizon)
        cv = rolling_origin_cv(len(X), horizon=horizon, max_train_size=max_train)
        for seed in seeds:
            start = time.perf_counter()
            models = default_forecasters(season, random_state=seed, intervals=True)
            for key, value in (params or {}).items():
                models["lstm"].set_params(**{f"lstmregressor__{key}": value})
                half = models["half-rebased lstm"]
                half.set_params(**{f"regressor__lstmregressor__{key}": value})
            for fold, (train, test) in enumerate(cv.split(X)):
                for model_name in MODELS:
                    fitted = clone(models[model_name]).fit(X[train], y[train])
                    nets = _networks(fitted)
                    rms = [net.std_scale_ for net in nets]
                    for variant, scale in VARIANTS.items():
                        for net in nets:
                            net.std_scale_ = scale(net.valid_z_)
                        pred, std = fitted.predict(X[test], return_std=True)
                        pred = np.asarray(pred, np.float64).reshape(y[test].shape)
                        std = np.asarray(std, np.float64).reshape(y[test].shape)
                        lower, upper = pred - Z * std, pred + Z * std
                        records.append(
                            {
                                "series": name,
                                "seed": seed,
                                "fold": fold,
                                "model": model_name,
                                "variant": variant,
                                "n_test": int(y[test].size),
                                "n_valid": [int(len(net.valid_z_)) for net in nets],
                                "std_scale": [net.std_scale_ for net in nets],
                                "mae": float(np.mean(np.abs(y[test] - pred))),
                                "coverage": interval_coverage_score(y[test], lower, upper),
                                "interval_score": float(interval_score(y[test], lower, upper)),
                            }
                        )
                    assert np.allclose(rms, [VARIANTS["rms"](n.valid_z_) for n in nets])
            print(f"{name} seed {seed}: {time.perf_counter() - start:.0f} s", flush=True)
    return records


def summarise(records):
    out = {}
    for model in MODELS:
        rows = [r for r in records if r["model"] == model]
        series = sorted({r["series"] for r in rows}, key=list(SERIES).index)
        rms_score = {
            (r["series"], r["seed"], r["fold"]): r["interval_score"]
            for r in rows
            if r["variant"] == "rms"
        }
        table = {}
        for variant in VARIANTS:
            mine = [r for r in rows if r["variant"] == variant]
            cov = {s: np.mean([r["coverage"] for r in mine if r["series"] == s]) for s in series}
            cov = {s: float(c) for s, c in cov.items()}
            ratios = [
                r["interval_score"] / rms_score[(r["series"], r["seed"], r["fold"])]
                for r in rows
                if r["variant"] == variant
            ]
            table[variant] = {
                "coverage": cov,
                "in_75_85": int(sum(0.75 <= c <= 0.85 for c in cov.values())),
                "mean_distance": float(np.mean([abs(c - LEVEL) for c in cov.values()])),
                "interval_score_vs_rms": float(np.exp(np.mean(np.log(ratios)))),
            }
        out[model] = table
        print(f"\n{model}: 80% coverage, mean over folds and seeds")
        print(f"{'series':16s}" + "".join(f"{v:>8s}" for v in VARIANTS))
        for s in series:
            print(f"{s:16s}" + "".join(f"{table[v]['coverage'][s]:8.3f}" for v in VARIANTS))
        for key in ("in_75_85", "mean_distance", "interval_score_vs_rms"):
            print(f"{key:16s}" + "".join(f"{table[v][key]:8.3f}" for v in VARIANTS))
    return out


def main():
    names, seeds, path = sys.argv[1].split(","), sys.argv[2].split(","), sys.argv[3]
    seeds = [int(s) for s in seeds]
    params = json.loads(sys.argv[4]) if len(sys.argv) > 4 else None
    start = time.perf_counter()
    records = run(names, seeds, params)
    summary = summarise(records)
    with open(path, "w") as f:
        json.dump(
            {
                "command": shlex.join(["python", os.path.basename(__file__), *sys.argv[1:]]),
                "cpu": cpu_description(),
                "platform": platform.platform(),
                "seconds": round(time.perf_counter() - start),
                "summary": summary,
                "records": records,
            },
            f,
            indent=1,
        )
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
