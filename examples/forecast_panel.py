"""One model of many series: fertility rates of 192 countries, global against per-country.
=======================================================================================

A series of 52 yearly values is too short to learn from on its own; 192 of
them are not. :func:`sklearn_rnn.make_windows` cuts the windows of every
country (a list of series), :func:`sklearn_rnn.backtest` scores one model of
all countries (a *global* model) by rolling origin on the same time folds as
one model per country, and :func:`sklearn_rnn.forecast_windows` cuts the
windows that forecast past the data's end.

Data: World Bank fertility rates (births per woman), 1960-2011, shipped with
statsmodels; the 192 countries without gaps. Windows: 10 years in, 5 ahead.

Run it::

    python examples/forecast_panel.py [--out results] [--folds 3] [--max-epochs 300]
"""

import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import statsmodels.api as sm  # noqa: E402

from sklearn_rnn import forecast_windows, make_windows  # noqa: E402
from sklearn_rnn.backtest import backtest, default_forecasters  # noqa: E402

HERE = os.path.dirname(os.path.abspath(globals().get("__file__", sys.argv[0])))
LOOKBACK, HORIZON = 10, 5


def fertility():
    """(countries, years, list of series): the countries with a value every year to 2011."""
    data = sm.datasets.fertility.load_pandas().data
    years = [c for c in data.columns if c.isdigit() and int(c) <= 2011]
    complete = data[data[years].notna().all(axis=1)]
    values = complete[years].to_numpy(dtype=np.float64)
    return complete["Country Name"].tolist(), [int(y) for y in years], list(values)


def main():
    parser = argparse.ArgumentParser(description=__doc__ and __doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "..", "results"))
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--max-epochs", type=int, default=300)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    countries, years, series = fertility()
    print(f"{len(series)} countries, {years[0]}-{years[-1]}")

    models = default_forecasters(random_state=0)
    models["lstm"].set_params(lstmregressor__max_epochs=args.max_epochs)
    settings = dict(lookback=LOOKBACK, horizon=HORIZON, n_splits=args.folds, test_size=5)

    # One model of all countries: each fold trains on every country's past.
    result = backtest(series, {k: models[k] for k in ("last value", "ridge", "lstm")}, **settings)
    table = result.groupby("model", sort=False)[["mae", "mase"]].mean().add_suffix(" (global)")

    # One Ridge per country, on the same time folds (the series end together).
    local = pd.concat([backtest(s, {"ridge": models["ridge"]}, **settings) for s in series])
    per_country = local[["mae", "mase"]].mean().to_numpy()
    table.loc["ridge", ["mae (per country)", "mase (per country)"]] = per_country
    print("\nMAE (births per woman, all forecasts) and MASE (mean over countries):")
    print(table.round(3).to_string())

    # The global LSTM on every window, forecasting 2012-2016 for a few countries.
    X, y = make_windows(series, lookback=LOOKBACK, horizon=HORIZON)
    lstm = models["lstm"].fit(X, y)
    shown = [c for c in ("India", "Brazil", "Nigeria", "Germany") if c in countries]
    picked = [series[countries.index(c)] for c in shown]
    future = lstm.predict(forecast_windows(picked, lookback=LOOKBACK, horizon=HORIZON))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ahead = np.arange(years[-1] + 1, years[-1] + 1 + HORIZON)
    for name, values, forecast in zip(shown, picked, future):
        line = ax.plot(years, values, label=name)[0]
        ax.plot(
            np.r_[years[-1], ahead],
            np.r_[values[-1], forecast],
            linestyle="--",
            marker="o",
            markevery=list(range(1, HORIZON + 1)),
            color=line.get_color(),
        )
    ax.set_ylabel("births per woman")
    ax.set_title("Fertility rates and the global LSTM's forecasts of 2012-2016 (dashed)")
    ax.legend()
    fig.tight_layout()
    path = os.path.join(args.out, "forecast_panel.png")
    fig.savefig(path, dpi=100)  # left open: the gallery shows it
    print(f"plot saved to {path}")


if __name__ == "__main__":
    main()
