"""Study 24 (stop 46): the calendar covariate left out of the LSTM's window normalisation.

Kept so that the study can be rerun; nothing in the package uses it. The six seasonal
series of ``bench_forecast.py``, scored as ``bench_forecast_panel.py --part calendar``
scores them (``sklearn_rnn.backtest``, 3 rolling-origin folds, the position in the season
one-hot as a known-future covariate in every row). ``window_normalization='last'`` re-bases
every input feature on the window's last step, the calendar columns too, so the recurrent
layers read "this month minus the last window step's month". The candidates re-base only the
series' own column (``normalized_features=[0]``). Models: Ridge; the default LSTM (``lstm``);
the LSTM with the covariates left as they are (``lstm-cov``); both wrapped in
``RebasedRegressor`` (``rb-``).

    python benchmarks/results/bench_forecast_study/24_covariates_not_rebased.py [--seeds 0,1]
        [--series co2-monthly,...] [--out FILE]

``normalized_features`` was an experiment parameter of commit f766281, removed in the next
commit (it changed nothing: see the study README); rerun the study at that commit.
"""

import argparse
import json
import os
import shlex
import sys

import numpy as np
import pandas as pd
from sklearn.pipeline import make_pipeline

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import bench_forecast as bf  # noqa: E402
import bench_forecast_panel as bp  # noqa: E402

from sklearn_rnn import LSTMRegressor, RebasedRegressor, SequenceScaler, backtest  # noqa: E402
from sklearn_rnn.backtest import default_forecasters  # noqa: E402


def models(seed, first):
    lstm = make_pipeline(SequenceScaler(), LSTMRegressor(random_state=seed))
    lstm_cov = make_pipeline(
        SequenceScaler(), LSTMRegressor(normalized_features=[0], random_state=seed)
    )
    out = {
        "lstm": lstm,
        "lstm-cov": lstm_cov,
        "rb-lstm": RebasedRegressor(lstm),
        "rb-lstm-cov": RebasedRegressor(lstm_cov),
    }
    if first:  # deterministic: one seed is enough
        out = {"ridge": default_forecasters()["ridge"], **out}
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--series", default="co2-monthly,elnino,airpassengers,wineind,ausbeer,woolyrnq"
    )
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--out", default="24_covariates_not_rebased.json")
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
            result = backtest(
                values, models(seed, seed == seeds[0]), future_covariates=calendar, **settings
            )
            rows.append(result.assign(seed=seed, model=result["model"] + "+calendar"))
        table = bp.summarise(pd.concat(rows, ignore_index=True), reference="ridge+calendar")
        out[name] = table.round(4).to_dict(orient="index")
        print(name, table["mase"].round(3).to_dict(), flush=True)
    mase = pd.DataFrame({n: {m: r["mase"] for m, r in t.items()} for n, t in out.items()}).T
    print(mase.round(3).to_string())
    mae = pd.DataFrame({n: {m: r["mae_vs_ref"] for m, r in t.items()} for n, t in out.items()}).T
    print(
        "MAE relative to ridge+calendar, geometric mean:",
        np.exp(np.log(mae).mean()).round(3).to_dict(),
    )
    command = shlex.join(["python", os.path.relpath(sys.argv[0]), *sys.argv[1:]])
    with open(args.out, "w") as f:
        json.dump({"command": command, "seeds": seeds, "series": out}, f, indent=1)


if __name__ == "__main__":
    main()
