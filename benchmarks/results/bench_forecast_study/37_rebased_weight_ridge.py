"""Study 37: the re-based weight of the half re-based Ridge on both panels of bench_forecast.py.

``RebasedRegressor(ridge, rebased_weight=w)`` for w in 0 (Ridge), 0.25, 0.5
(what ``default_forecasters`` ships), 0.75 and 1 (re-based alone), on the
development panel and on the held-out panel, the folds of
``bench_forecast.py``. Ridge is deterministic, so one run says it all. Prints,
per panel and weight, the MAE relative to Ridge (fold ratios averaged per
series, geometric mean over series, range), the series where it is ahead of
Ridge, and those where it loses to the last value.

    python 37_rebased_weight_ridge.py [--weights 0,0.25,0.5,0.75,1] [--out FILE.json]
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))

from bench_forecast import (  # noqa: E402
    DEVELOPMENT,
    HELD_OUT,
    SERIES,
    backtest_series,
    summarise_weights,
)

from sklearn_rnn import RebasedRegressor  # noqa: E402
from sklearn_rnn.backtest import default_forecasters  # noqa: E402


def series_scores(name, weights):
    """{model: [MAE per fold]} for the last value, Ridge and each weight."""
    reference = default_forecasters(SERIES[name][1])
    models = {"last": reference["last value"], "ridge": reference["ridge"]}
    for w in weights:
        models[f"w={w:g}"] = RebasedRegressor(reference["ridge"], rebased_weight=w)
    result = backtest_series(name, models)
    return {m: part["mae"].tolist() for m, part in result.groupby("model", sort=False)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="0,0.25,0.5,0.75,1")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    weights = [float(w) for w in args.weights.split(",")]
    panels = {"development": DEVELOPMENT, "held-out": tuple(HELD_OUT)}
    scores = {p: {n: series_scores(n, weights) for n in names} for p, names in panels.items()}
    panels["both"] = panels["development"] + panels["held-out"]
    scores["both"] = {**scores["development"], **scores["held-out"]}
    # w=0 is Ridge itself, up to float32 rounding (4e-6): ahead means by more than 0.01%.
    summary = summarise_weights(scores, panels, weights, tol=1e-4)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"weights": weights, "summary": summary, "mae": scores}, f, indent=1)


if __name__ == "__main__":
    main()
