"""Forecast monthly atmospheric CO2 (Mauna Loa, shipped with statsmodels) 12 months ahead.
==========================================================================================

An LSTMRegressor on supervised windows (24 months in, 12 out, direct multi-step)
against a seasonal-naive forecast and a Ridge regression on the same windows. The
last 5 years are held out: every model is fitted on windows whose targets end
before them, and is scored on every 12-month forecast made from inside them.

The test period lies above every level seen in training. ``LSTMRegressor``
handles that itself, with its defaults: its recurrent layers read each window
re-based on its last value (``window_normalization='last'``), and a linear
path from the window's steps (``linear_lags='all'``) carries the level, so the
windows go in as they are, in ppm.

Run it::

    python examples/forecast_co2.py [--out results] [--max-epochs N]
"""

import argparse
import os
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import statsmodels.api as sm  # noqa: E402
from sklearn.linear_model import RidgeCV  # noqa: E402
from sklearn.metrics import mean_absolute_error, root_mean_squared_error  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_rnn import LSTMRegressor, SequenceScaler, make_windows  # noqa: E402

# The docs gallery runs this file without __file__; its argv[0] is the file.
HERE = os.path.dirname(os.path.abspath(globals().get("__file__", sys.argv[0])))
LOOKBACK, HORIZON, TEST_MONTHS = 24, 12, 60


def main():
    parser = argparse.ArgumentParser(description=__doc__ and __doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "..", "results"))
    parser.add_argument(
        "--max-epochs", type=int, default=None, help="default: LSTMRegressor's (300)"
    )
    args = parser.parse_args()

    weekly = sm.datasets.co2.load_pandas().data["co2"]
    monthly = weekly.resample("MS").mean().interpolate()
    values = monthly.to_numpy()
    X, y = make_windows(values, lookback=LOOKBACK, horizon=HORIZON)
    origin = np.arange(LOOKBACK, LOOKBACK + len(X))  # index of each window's first target
    test_start = len(values) - TEST_MONTHS
    train = origin + HORIZON <= test_start  # targets end before the test period
    test = origin >= test_start
    print(
        f"CO2 monthly {monthly.index[0]:%Y-%m} to {monthly.index[-1]:%Y-%m}: "
        f"{train.sum()} training windows, {test.sum()} test forecasts of {HORIZON} months"
    )

    forecasts, times = {}, {}
    forecasts["seasonal naive"] = X[test, LOOKBACK - 12 :, 0].astype(np.float64)
    times["seasonal naive"] = 0.0

    start = time.perf_counter()
    ridge = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))
    ridge.fit(X[train].reshape(train.sum(), -1), y[train])
    forecasts["Ridge"] = ridge.predict(X[test].reshape(test.sum(), -1))
    times["Ridge"] = time.perf_counter() - start

    start = time.perf_counter()
    epochs = {} if args.max_epochs is None else {"max_epochs": args.max_epochs}
    lstm = make_pipeline(SequenceScaler(), LSTMRegressor(random_state=0, **epochs))
    lstm.fit(X[train], y[train])
    forecasts["LSTM"] = lstm.predict(X[test])
    times["LSTM"] = time.perf_counter() - start

    print(f"\n{'model':16s} {'MAE ppm':>8s} {'RMSE ppm':>9s} {'fit s':>7s}")
    for name, pred in forecasts.items():
        mae = mean_absolute_error(y[test], pred)
        rmse = root_mean_squared_error(y[test], pred)
        print(f"{name:16s} {mae:8.3f} {rmse:9.3f} {times[name]:7.1f}")
    print(f"\nLSTM trained {len(lstm[-1].history_)} epochs (early stopping)")

    os.makedirs(args.out, exist_ok=True)
    fig, ax = plt.subplots(figsize=(9, 4))
    dates = monthly.index
    ax.plot(dates[test_start - 36 :], values[test_start - 36 :], color="black", label="observed")
    for i in range(0, test.sum(), 12):  # one 12-month forecast per year of the test period
        at = origin[test][i]
        for name, color in (
            ("seasonal naive", "tab:gray"),
            ("Ridge", "tab:blue"),
            ("LSTM", "tab:red"),
        ):
            ax.plot(
                dates[at : at + HORIZON],
                forecasts[name][i],
                color=color,
                label=name if i == 0 else None,
                alpha=0.8,
            )
    ax.axvline(dates[test_start], linestyle="--", color="black", linewidth=0.8)
    ax.set_ylabel("CO2 (ppm)")
    ax.set_title("12-month forecasts in the held-out final 5 years")
    ax.legend()
    fig.tight_layout()
    path = os.path.join(args.out, "forecast_co2.png")
    fig.savefig(path, dpi=110)
    print(f"plot saved to {path}")


if __name__ == "__main__":
    main()
