"""Study 35 (stop 74): the half re-based models of ``default_forecasters`` with the calendar.

Kept so that the study can be rerun; nothing in the package uses it. Study 23 put the
position in the season (one-hot, a known-future covariate) beside Ridge, the default
LSTM and both fully re-based; since stop 70 ``backtest`` reports the half re-based Ridge
and LSTM (``RebasedRegressor(model, rebased_weight=0.5)``), which study 23 predates. The
seasonal series of ``bench_forecast.py``, scored as ``bench_forecast_panel.py --part
calendar`` scores them (``sklearn_rnn.backtest``, 3 rolling-origin folds). Models: the four
of ``default_forecasters`` that learn (``ridge``, ``half-rebased ridge``, ``lstm``,
``half-rebased lstm``), each without and with the calendar (``+calendar``; the re-basing
touches the series' column only, the covariate columns pass as they are).
``--intervals``: the LSTMs as ``sklearn-rnn backtest --intervals`` fits them
(``default_forecasters(intervals=True)``), and the coverage of their 80% intervals.

    python benchmarks/results/bench_forecast_study/35_half_rebased_calendar.py [--seeds 0,1]
        [--series co2-monthly,...] [--intervals] [--out FILE]
"""

import argparse
import json
import os
import shlex
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import bench_forecast as bf  # noqa: E402
import bench_forecast_panel as bp  # noqa: E402

from sklearn_rnn import backtest  # noqa: E402
from sklearn_rnn.backtest import default_forecasters  # noqa: E402

LEARNED = ("ridge", "half-rebased ridge", "lstm", "half-rebased lstm")
DETERMINISTIC = ("ridge", "half-rebased ridge")


def models(seed, first, intervals=False):
    ref = default_forecasters(random_state=seed, intervals=intervals)
    # Ridge is deterministic: one seed is enough.
    return {m: ref[m] for m in LEARNED if first or m not in DETERMINISTIC}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--series", default="co2-monthly,elnino,airpassengers,wineind,ausbeer,woolyrnq"
    )
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--intervals", action="store_true")
    parser.add_argument("--out", default="35_half_rebased_calendar.json")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    out, by_fold = {}, {}
    for name in args.series.split(","):
        _, season, lookback, horizon, max_train = bf.SERIES[name]
        values = bf.load_series(name)
        settings = dict(
            lookback=lookback, horizon=horizon, season=season, max_train_size=max_train, n_splits=3
        )
        calendar = bp._calendar(len(values), season)
        rows = []
        for seed in seeds:
            for suffix, covariates in (("", None), ("+calendar", calendar)):
                batch = models(seed, seed == seeds[0], args.intervals)
                result = backtest(values, batch, future_covariates=covariates, **settings)
                rows.append(result.assign(seed=seed, model=result["model"] + suffix))
        frame = pd.concat(rows, ignore_index=True)
        by_fold[name] = frame[
            ["model", "seed", "fold", "mae", "mase", "coverage", "fit_seconds"]
        ].to_dict(orient="records")
        table = bp.summarise(frame, reference="ridge")
        table["coverage80"] = frame.groupby("model")["coverage"].mean()
        out[name] = table.round(4).to_dict(orient="index")
        print(name, table["mase"].round(3).to_dict(), flush=True)
    mase = pd.DataFrame({n: {m: r["mase"] for m, r in t.items()} for n, t in out.items()}).T
    print("\nMASE (mean over folds and seeds)\n" + mase.round(3).to_string())
    for ref in ("ridge", "ridge+calendar"):
        ratio = mase.div(mase[ref], axis=0)
        geo = np.exp(np.log(ratio).mean()).round(3).to_dict()
        won = (ratio < 1).sum().to_dict()
        print(f"\nMASE relative to {ref}, geometric mean over series: {geo}\nseries won: {won}")
    print("\nseries with MASE >= 1:", {m: list(mase.index[mase[m] >= 1]) for m in mase})
    if args.intervals:
        cover = pd.DataFrame(
            {n: {m: r["coverage80"] for m, r in t.items() if "lstm" in m} for n, t in out.items()}
        ).T
        print("\n80% interval coverage (mean over folds and seeds)\n" + cover.round(3).to_string())
        inside = ((cover >= 0.75) & (cover <= 0.85)).sum().to_dict()
        print(
            "series in 0.75-0.85:",
            inside,
            "mean distance from 0.80:",
            (cover - 0.8).abs().mean().round(3).to_dict(),
        )
    command = shlex.join(["python", os.path.relpath(sys.argv[0]), *sys.argv[1:]])
    with open(args.out, "w") as f:
        json.dump(
            {"command": command, "seeds": seeds, "series": out, "folds": by_fold},
            f,
            indent=1,
        )


if __name__ == "__main__":
    main()
