"""Study 36: Holt-Winters restarted on each window against Holt-Winters run over the whole series.

Why ``HoltWintersForecaster`` is not a regressor on windows. For each series
and fold of ``bench_forecast.py``, the smoothing parameters are estimated on
the fold's training series; then each test window is forecast (a) as
``backtest`` does, the fitted model run over the whole series up to the
window's origin, and (b) from the window alone (``lookback`` steps), the
smoothing parameters fixed and the initial states estimated on the window
(statsmodels' ``initialization_method='estimated'``; ``'legacy-heuristic'``
with ``--init legacy-heuristic``). Prints MASE per series (mean over folds).

    python 36_holt_winters_on_windows.py [--series wineind,elec-equip,...] [--init estimated]

The output beside it ran every series of both panels but the half-hourly
electricity demand (``taylor``: 49 initial states to estimate per window).
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))

from bench_forecast import SERIES, load_series  # noqa: E402
from statsmodels.tsa.holtwinters import ExponentialSmoothing  # noqa: E402

from sklearn_rnn import HoltWintersForecaster, make_windows  # noqa: E402
from sklearn_rnn.backtest import rolling_origin_cv  # noqa: E402


def on_windows(fitted, windows, horizon, init):
    """Each window forecast alone: the fit's smoothing parameters, the window's own start."""
    p = fitted.params_
    spec = fitted._spec()
    smoothing = dict(smoothing_level=p["smoothing_level"], smoothing_trend=p["smoothing_trend"])
    smoothing["damping_trend"] = p["damping_trend"]
    if fitted.seasonal_:
        smoothing["smoothing_seasonal"] = p["smoothing_seasonal"]
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for w in windows:
            model = ExponentialSmoothing(w, initialization_method=init, **spec)
            result = (
                model.fit(**smoothing)
                if init == "estimated"
                else model.fit(optimized=False, **smoothing)
            )
            out.append(result.forecast(horizon))
    return np.asarray(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default=",".join(n for n in SERIES if n != "taylor"))
    parser.add_argument("--init", default="estimated")
    args = parser.parse_args()
    print(f"{'series':<12} {'whole series':>13} {'window alone':>13} {'s/fold':>7}")
    ratios = []
    for name in args.series.split(","):
        _, season, lookback, horizon, max_train = SERIES[name]
        values = load_series(name)
        n_windows = len(values) - lookback - horizon + 1
        cv = rolling_origin_cv(n_windows, horizon=horizon, max_train_size=max_train)
        X, y = make_windows(values, lookback=lookback, horizon=horizon)
        origins = np.arange(lookback, lookback + n_windows)
        whole, alone, seconds = [], [], []
        for train, test in cv.split(np.arange(n_windows)):
            first, end = origins[train[0]] - lookback, origins[test[0]]
            history = values[first:end]
            lag = season if end > season else 1  # MASE's scale as backtest's: the whole past
            scale = np.mean(np.abs(values[lag:end] - values[: end - lag]))
            truth = y[test].reshape(len(test), -1)
            fitted = HoltWintersForecaster(season=season).fit(history)
            pred = fitted.forecast(values[first:], origins[test] - first, horizon)
            whole.append(np.abs(pred - truth).mean() / scale)
            start = time.perf_counter()
            pred = on_windows(fitted, X[test][:, :, 0], horizon, args.init)
            seconds.append(time.perf_counter() - start)
            alone.append(np.abs(pred.reshape(truth.shape) - truth).mean() / scale)
        print(
            f"{name:<12} {np.mean(whole):>13.3f} {np.mean(alone):>13.3f} {np.mean(seconds):>7.1f}",
            flush=True,
        )
        ratios.append(np.mean(alone) / np.mean(whole))
    worse = sum(r > 1 for r in ratios)
    print(
        f"window alone / whole series, MASE: geometric mean {np.exp(np.mean(np.log(ratios))):.3f}"
        f" ({min(ratios):.2f}-{max(ratios):.2f}); worse on {worse} of {len(ratios)} series"
    )


if __name__ == "__main__":
    main()
