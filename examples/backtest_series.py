"""Backtest an LSTM against naive forecasts, Holt-Winters, Ridge and intervals on three real series.
=================================================================================================

:func:`sklearn_rnn.backtest` scores forecasters by rolling origin: every model
is fitted on each fold's past and forecasts the fold, on the same time-ordered
folds. Three series that ship with statsmodels, of different kinds:

- monthly Mauna Loa CO2 (a trend and a yearly season; 12 months ahead),
- yearly sunspot activity (a cycle of about 11 years; 1 year ahead),
- quarterly US unemployment (no season, 4 quarters ahead).

The models: the last value, the seasonal naive forecast, statsmodels'
Holt-Winters exponential smoothing (``HoltWintersForecaster``, run over the
whole series to each origin), Ridge on the standardised lagged window and
``LSTMRegressor(loss='gaussian_nll', validation_split='last')`` with its
other defaults (window re-basing and the linear path); the 80% intervals of
Holt-Winters and of the LSTMs are scored too, as predicted and as
``AdaptiveIntervals`` adapts them to the misses seen along the test periods
(``adaptive_coverage``), and every other model's intervals from its past
errors (``ConformalIntervals``, the same column); Ridge and the LSTM also
half re-based (the mean of the model's forecast and that of a clone fitted to
the change since each window's last value, ``RebasedRegressor(model,
rebased_weight=0.5)``), and each half re-based model averaged with
Holt-Winters (``ForecastCombination``, no extra fit). MASE below 1 beats the
in-sample seasonal naive forecast. The plots draw four of the nine models.

Run it::

    python examples/backtest_series.py [--out results] [--folds 3]
"""

import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import statsmodels.api as sm  # noqa: E402

from sklearn_rnn.backtest import (  # noqa: E402
    backtest,
    default_forecasters,
    plot_backtest,
    summarize_backtest,
)

#: The models drawn: nine lines would hide each other.
SHOWN = ["seasonal naive", "holt-winters", "half-rebased lstm", "half-rebased lstm + holt-winters"]
HERE = os.path.dirname(os.path.abspath(globals().get("__file__", sys.argv[0])))


def series():
    """name -> (values, lookback, horizon, season)."""
    weekly = sm.datasets.co2.load_pandas().data["co2"]
    co2 = weekly.resample("MS").mean().interpolate().to_numpy()
    sunspots = sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy()
    unemp = sm.datasets.macrodata.load_pandas().data["unemp"].to_numpy()
    return {
        "CO2 (monthly)": (co2, 24, 12, 12),
        "sunspots (yearly)": (sunspots, 22, 1, 11),
        "unemployment (quarterly)": (unemp, 12, 4, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__ and __doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "..", "results"))
    parser.add_argument("--folds", type=int, default=3)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    for name, (values, lookback, horizon, season) in series().items():
        models = default_forecasters(season, random_state=0, intervals=True)
        result, forecasts = backtest(
            values,
            models,
            lookback=lookback,
            horizon=horizon,
            season=season,
            n_splits=args.folds,
            return_forecasts=True,
        )
        summary = summarize_backtest(result)
        print(f"\n{name}: {len(values)} steps, {lookback} in, {horizon} ahead, season {season}")
        columns = ["mae", "mase", "mae_vs_seasonal_naive", "coverage", "adaptive_coverage"]
        print(summary[columns].round(3).to_string())
        figures = plot_backtest(forecasts, values, models=SHOWN)
        figures["forecasts"].axes[0].set_title(f"{name}: one-step forecasts in the last fold")
        slug = name.split()[0].lower()
        path = os.path.join(args.out, f"backtest_{slug}.png")
        figures["forecasts"].savefig(path, dpi=100)
        plt.close(figures["error_by_step"])  # the forecasts stay open for the gallery
        print(f"plot saved to {path}")


if __name__ == "__main__":
    main()
