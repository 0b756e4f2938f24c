"""Study 31 (stop 70): the default LSTM, the same re-based, and the mean of the two forecasts.

Study 22 found that fitting to the change since each window's last value
(``RebasedRegressor``) helps on series that trend out of their training range
and hurts on series that revert to a mean, because a regularised model then
shrinks towards repeating the last value instead of towards the training
mean. A linear check (Ridge alone, all 13 series) found that the mean of the
two Ridge forecasts beat either: 0.945 times Ridge's MAE, better on 9 of 13.
This script asks whether the same holds for the default LSTM pipeline
(``make_pipeline(SequenceScaler(), LSTMRegressor())``): per seed it backtests
that pipeline and ``RebasedRegressor`` of it on the benchmark's folds
(``bench_forecast.py``'s series settings), keeps every forecast, and scores
their mean (``blend``), the forecast of ``RebasedRegressor(pipeline,
rebased_weight=0.5)``: its two clones are the two fits here, with the same
seed on the same windows. Ridge and the re-based Ridge run once
(deterministic).

    python 31_half_rebased.py run SERIES SEEDS FORECASTS.pkl   # the fits (pickle of forecasts)
    python 31_half_rebased.py summarise OUT.json FORECASTS.pkl [...]

Stop 70 ran ``run co2-weekly,co2-monthly,sunspots,nile,elnino,realgdp,unemp,airpassengers,
ausbeer,wineind,woolyrnq,lynx 0,1,2,3,4`` (18 min) and ``run taylor 0``, then
``summarise 31_half_rebased.json`` on both pickles.
"""

import json
import os
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))
from bench_forecast import SERIES, _lstm, load_series  # noqa: E402

from sklearn_rnn import RebasedRegressor, backtest  # noqa: E402
from sklearn_rnn.backtest import default_forecasters, rolling_origin_cv  # noqa: E402


def run(names, seeds, out):
    frames = []
    for name in names:
        _, season, lookback, horizon, max_train = SERIES[name]
        values = load_series(name)
        n_windows = len(values) - lookback - horizon + 1
        cv = rolling_origin_cv(n_windows, horizon=horizon, max_train_size=max_train)
        settings = dict(
            lookback=lookback, horizon=horizon, season=season, max_train_size=max_train,
            test_size=cv.test_size, return_forecasts=True,
        )  # fmt: skip
        ridge = default_forecasters(season)["ridge"]
        batches = [(None, {"ridge": ridge, "rb-ridge": RebasedRegressor(ridge)})]
        batches += [
            (s, {"lstm": _lstm({}, s), "rb-lstm": RebasedRegressor(_lstm({}, s))}) for s in seeds
        ]
        for seed, models in batches:
            start = time.perf_counter()
            res, fc = backtest(values, models, **settings)
            scale = (res.mae / res.mase).groupby(res.fold).first()  # the fold's MASE scale
            fc = fc.assign(seed=-1 if seed is None else seed, name=name)
            frames.append(fc.assign(scale=fc.fold.map(scale)))
            mase = res.groupby("model").mase.mean().round(3).to_dict()
            print(name, seed, mase, f"{time.perf_counter() - start:.0f} s", flush=True)
            pd.concat(frames).to_pickle(out)  # after every batch: a stopped run keeps what ran


def summarise(out, paths):
    fc = pd.concat([pd.read_pickle(p) for p in paths])
    key = ["name", "fold", "origin", "step"]
    fold_mae = {}  # model -> seed -> Series over (name, fold)
    for seed, part in fc.groupby("seed"):
        preds = {m: rows.set_index(key) for m, rows in part.groupby("model")}
        pairs = {"ridge-half": ("ridge", "rb-ridge"), "lstm-half": ("lstm", "rb-lstm")}
        for half, (a, b) in pairs.items():
            if a in preds:
                mean = (preds[a].y_pred + preds[b].y_pred) / 2
                preds[half] = preds[a].assign(y_pred=mean)
        for m, rows in preds.items():
            err = (rows.y_pred - rows.y_true).abs()
            fold_mae.setdefault(m, {})[seed] = err.groupby(["name", "fold"]).mean()
    scale = fc.groupby(["name", "fold"]).scale.first()
    ridge = fold_mae["ridge"][-1]
    record = {"series": {}, "summary": {}, "by_seed": {}}
    rel = {}  # model -> Series over name: MAE / Ridge's, mean over folds and seeds
    for m, by_seed in fold_mae.items():
        ratios = pd.concat([(v / ridge).dropna() for v in by_seed.values()], keys=list(by_seed))
        rel[m] = ratios.groupby(level="name").mean()
        mase = pd.concat([v / scale for v in by_seed.values()]).groupby(level="name").mean()
        for name in mase.index:
            series = record["series"].setdefault(name, {})
            series[m] = {
                "mase": round(float(mase[name]), 4),
                "mae_vs_ridge": round(float(rel[m][name]), 4),
            }
            series[m]["seeds"] = sorted(int(s) for s in by_seed if s >= 0) or None
        if all(s >= 0 for s in by_seed):
            per_seed = {}
            for seed, v in by_seed.items():
                r = (v / ridge).dropna().groupby(level="name").mean()
                per_seed[int(seed)] = {
                    "vs_ridge_geo": round(float(np.exp(np.log(r).mean())), 4),
                    "series_won": int((r < 1).sum()),
                    "series": sorted(r.index),
                }
            record["by_seed"][m] = per_seed
    for m, r in rel.items():
        record["summary"][m] = {
            "vs_ridge_geo": round(float(np.exp(np.log(r).mean())), 4),
            "range": [round(float(r.min()), 4), round(float(r.max()), 4)],
            "series_won": int((r < 1).sum()),
            "won_by_over_half_percent": int((r < 0.995).sum()),
            "lost_by_over_half_percent": int((r > 1.005).sum()),
            "n_series": int(len(r)),
        }
    record["command"] = " ".join(["python", *sys.argv])
    json.dump(record, open(out, "w"), indent=1)
    table = pd.DataFrame(
        {
            m: pd.Series({n: s[m]["mase"] for n, s in record["series"].items() if m in s})
            for m in rel
        }
    )
    print(table.round(3).to_string())
    print(json.dumps(record["summary"], indent=1))


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(sys.argv[2].split(","), [int(s) for s in sys.argv[3].split(",")], sys.argv[4])
    else:
        summarise(sys.argv[2], sys.argv[3:])
