"""Study 28: a series of bench_forecast.SERIES scored with longer lookbacks.

    python benchmarks/results/bench_forecast_study/28_wine_lookback.py wineind 24,36,48

For each lookback, bench_forecast's rolling origin (3 folds over that lookback's
windows, so the test periods move a little with it) scores the seasonal naive,
Ridge, Holt-Winters and the default LSTM pipeline (seeds 0 and 1), and prints
each model's MASE (mean over folds and seeds) as one JSON line.
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import bench_forecast as bf  # noqa: E402

MODELS = ["snaive", "ridge", "ets", "lstm"]


def main():
    name, lookbacks = sys.argv[1], [int(k) for k in sys.argv[2].split(",")]
    loader, season, _, horizon, max_train = bf.SERIES[name]
    for lookback in lookbacks:
        bf.SERIES[name] = (loader, season, lookback, horizon, max_train)
        result = bf.run_series(name, MODELS, {"lstm": {}}, seeds=[0, 1])
        mase = {
            m: round(
                float(
                    np.mean(
                        [
                            np.mean([run["mae"] for run in fold["models"][m]]) / fold["mase_scale"]
                            for fold in result["folds"]
                        ]
                    )
                ),
                3,
            )
            for m in MODELS
        }
        row = {"series": name, "lookback": lookback, "n_windows": result["n_windows"], **mase}
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
