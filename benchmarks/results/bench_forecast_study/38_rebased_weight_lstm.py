"""Study 38: the re-based weight of the half re-based LSTM on both panels of bench_forecast.py.

Study 37's question for the LSTM. ``RebasedRegressor(pipeline,
rebased_weight=w)`` predicts ``w`` times the re-based network's forecast plus
``1 - w`` times the plain one's, so one fit of each per fold and seed serves
every weight: the plain pipeline (``make_pipeline(SequenceScaler(),
LSTMRegressor(random_state=seed))``) and the same re-based
(``rebased_weight=1``), their forecasts mixed afterwards at each weight.
Scored as bench_forecast.py scores (MAE per fold, averaged over seeds, over
Ridge's; geometric mean over series), per panel: the development panel
without the half-hourly electricity demand (taylor: 18 minutes a seed) and
the held-out panel.

    python 38_rebased_weight_lstm.py [--seeds 0,1] [--weights 0,0.25,0.5,0.75,1] [--out FILE.json]
"""

import argparse
import json
import os
import sys

import numpy as np
from sklearn.pipeline import make_pipeline

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))

from bench_forecast import (  # noqa: E402
    DEVELOPMENT,
    HELD_OUT,
    SERIES,
    backtest_series,
    summarise_weights,
)

from sklearn_rnn import LSTMRegressor, RebasedRegressor, SequenceScaler  # noqa: E402
from sklearn_rnn.backtest import default_forecasters  # noqa: E402


def series_scores(name, seeds, weights):
    """{model: [MAE per fold, mean over seeds]} for the last value, Ridge and each weight."""
    reference = default_forecasters(SERIES[name][1])
    base, _ = backtest_series(
        name, {"last": reference["last value"], "ridge": reference["ridge"]}, return_forecasts=True
    )
    scores = {m: part["mae"].tolist() for m, part in base.groupby("model", sort=False)}
    per_seed = []
    for seed in seeds:
        plain = make_pipeline(SequenceScaler(), LSTMRegressor(random_state=seed))
        _, fc = backtest_series(
            name, {"plain": plain, "rebased": RebasedRegressor(plain)}, return_forecasts=True
        )
        keys = ["fold", "series", "origin", "step"]
        p = fc[fc["model"] == "plain"].set_index(keys).sort_index()
        r = fc[fc["model"] == "rebased"].set_index(keys).sort_index()
        by_weight = {}
        for w in weights:
            err = (w * r["y_pred"] + (1 - w) * p["y_pred"] - p["y_true"]).abs()
            by_weight[f"w={w:g}"] = err.groupby(level="fold").mean().tolist()
        per_seed.append(by_weight)
        print(f"  {name} seed {seed}: " + ", ".join(
            f"{k} {np.mean(np.divide(v, scores['ridge'])):.3f}" for k, v in by_weight.items()
        ), flush=True)  # fmt: skip
    for key in per_seed[0]:
        scores[key] = np.mean([s[key] for s in per_seed], axis=0).tolist()
    return scores


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--weights", default="0,0.25,0.5,0.75,1")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    weights = [float(w) for w in args.weights.split(",")]
    panels = {
        "development": tuple(n for n in DEVELOPMENT if n != "taylor"),
        "held-out": tuple(HELD_OUT),
    }
    scores = {}
    for panel, names in panels.items():
        scores[panel] = {n: series_scores(n, seeds, weights) for n in names}
    panels["both"] = panels["development"] + panels["held-out"]
    scores["both"] = {**scores["development"], **scores["held-out"]}
    heading = "{panel} panel ({n} series, seeds " + args.seeds + ")"
    summary = summarise_weights(scores, panels, weights, heading=heading)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"seeds": seeds, "weights": weights, "summary": summary, "mae": scores},
                      f, indent=1)  # fmt: skip


if __name__ == "__main__":
    main()
