"""Several series and known-future covariates: global against per-series models, calendars.

Two studies of issue 18, item 4, each scored with :func:`sklearn_rnn.backtest`
(rolling origin, ``n_splits=3``, a gap of ``horizon - 1``, the same folds for
every model).

``global``: one model of many series against one model per series, on real
panels shipped offline with statsmodels:

- ``fertility``: World Bank fertility rates of the 192 countries with no gap,
  1960-2011 (52 years each); ``lookback=10``, ``horizon=5``, test folds of 5
  years.
- ``macro``: eight quarterly US macro series (real GDP, consumption,
  investment, government spending, disposable income, CPI, M1, population),
  1959-2009, as 100 x log levels; ``lookback=12``, ``horizon=4``.

Models: ``last`` (the last value), ``ridge`` and ``lstm`` (the defaults of
:func:`sklearn_rnn.backtest.default_forecasters`), each fitted per series
(``-local``, one backtest per series on the same time folds) and on every
series at once (``-global``, one backtest of the list). MASE is the mean over
series of each one's MASE (scaled by its own in-sample one-step naive error).

``calendar``: the seasonal series of ``bench_forecast.py`` with and without the
position in the season (one-hot: month of the year, quarter, half-hour of the
day) as a known-future covariate (``make_windows(future_covariates=...)``),
for Ridge and the default LSTM.

    python benchmarks/bench_forecast_panel.py [--part global,calendar] [--seeds 0]
        [--out benchmarks/results/bench_forecast_panel.json]

Prints, per panel or series, each model's MASE, MAE relative to the
reference (``ridge-local`` or ``ridge``), and fit seconds per fold; writes the
figures to ``--out``.
"""

import argparse
import json
import os
import platform
import sys
import time
import warnings

import numpy as np
import pandas as pd
import torch

from sklearn_rnn import backtest
from sklearn_rnn.backtest import default_forecasters

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_forecast import SERIES, load_series  # noqa: E402
from run_all import cpu_description  # noqa: E402  benchmarks/run_all.py, beside this script

CALENDAR_SERIES = ("co2-monthly", "elnino", "airpassengers", "wineind", "ausbeer", "woolyrnq")


def load_panel(name):
    """``(list of series, lookback, horizon, test_size)``."""
    import statsmodels.api as sm

    if name == "fertility":
        data = sm.datasets.fertility.load_pandas().data
        years = [c for c in data.columns if c.isdigit() and int(c) <= 2011]
        values = data[years].to_numpy(dtype=np.float64)
        return [row for row in values[np.isfinite(values).all(axis=1)]], 10, 5, 5
    if name == "macro":
        data = sm.datasets.macrodata.load_pandas().data
        columns = ["realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1", "pop"]
        return [100 * np.log(data[c].to_numpy()) for c in columns], 12, 4, None
    raise KeyError(name)


def _models(seed, names):
    reference = default_forecasters(1, random_state=seed)
    pick = {"last": "last value", "ridge": "ridge", "lstm": "lstm"}
    return {n: reference[pick[n]] for n in names}


def run_global(name, seeds):
    series, lookback, horizon, test_size = load_panel(name)
    settings = dict(lookback=lookback, horizon=horizon, n_splits=3, test_size=test_size)
    rows = []
    for seed in seeds:
        names = ["last", "ridge", "lstm"] if seed == seeds[0] else ["lstm"]
        start = time.perf_counter()
        result = backtest(series, _models(seed, names), **settings)
        rows.append(result.assign(seed=seed, model=result["model"] + "-global"))
        print(f"  {name} global, seed {seed}: {time.perf_counter() - start:.0f} s", flush=True)
        names = [n for n in names if n != "last"]
        start = time.perf_counter()
        for i, s in enumerate(series):
            # One series at a time on the same time folds (the series end together).
            local = backtest(s, _models(seed, names), **settings)
            rows.append(local.assign(seed=seed, series=i, model=local["model"] + "-local"))
        print(f"  {name} local, seed {seed}: {time.perf_counter() - start:.0f} s", flush=True)
    runs = pd.concat(rows, ignore_index=True)
    # A local model's MASE of a fold is the mean over series, as the global backtest's is.
    by_fold = (
        runs.groupby(["model", "seed", "fold"])
        .agg(mase=("mase", "mean"), mae=("mae", "mean"), fit_seconds=("fit_seconds", "sum"))
        .reset_index()
    )
    return summarise(by_fold, reference="ridge-local"), {
        "n_series": len(series),
        "n_steps": [len(s) for s in series][:1] + [max(len(s) for s in series)],
        "lookback": lookback,
        "horizon": horizon,
    }


def _calendar(n_steps, season):
    return np.eye(season)[np.arange(n_steps) % season]


def run_calendar(name, seeds):
    _, season, lookback, horizon, max_train = SERIES[name]
    values = load_series(name)
    settings = dict(
        lookback=lookback, horizon=horizon, season=season, max_train_size=max_train, n_splits=3
    )
    calendar = _calendar(len(values), season)
    rows = []
    for seed in seeds:
        names = ["ridge", "lstm"] if seed == seeds[0] else ["lstm"]
        for suffix, covariates in (("", None), ("+calendar", calendar)):
            result = backtest(
                values, _models(seed, names), future_covariates=covariates, **settings
            )
            rows.append(result.assign(seed=seed, model=result["model"] + suffix))
    by_fold = pd.concat(rows, ignore_index=True)
    print(f"  {name} done", flush=True)
    return summarise(by_fold, reference="ridge"), {"season": season, "n_steps": len(values)}


def summarise(by_fold, reference):
    """Per model: MASE, MAE relative to the reference (fold by fold), fit seconds per fold."""
    ref = by_fold[by_fold["model"] == reference].groupby("fold")["mae"].mean()
    by_fold = by_fold.assign(mae_vs_ref=by_fold["mae"] / by_fold["fold"].map(ref))
    order = list(dict.fromkeys(by_fold["model"]))
    table = by_fold.groupby("model")[["mase", "mae_vs_ref", "fit_seconds"]].mean().loc[order]
    spread = by_fold.groupby(["model", "seed"])["mase"].mean().groupby("model").agg(["min", "max"])
    table["mase_seed_min"] = spread["min"]
    table["mase_seed_max"] = spread["max"]
    return table


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default="global,calendar")
    parser.add_argument("--panels", default="fertility,macro")
    parser.add_argument("--series", default=",".join(CALENDAR_SERIES))
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "bench_forecast_panel.json"))
    args = parser.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    warnings.simplefilter("ignore", FutureWarning)
    seeds = [int(s) for s in args.seeds.split(",")]
    parts = args.part.split(",")
    unknown = set(parts) - {"global", "calendar"}
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; choose from global, calendar")
    out = {"global": {}, "calendar": {}}
    for part, names, run in (
        ("global", args.panels, run_global),
        ("calendar", args.series, run_calendar),
    ):
        if part not in parts:
            continue
        for name in names.split(","):
            table, info = run(name, seeds)
            ref = "ridge-local" if part == "global" else "ridge"
            print(f"\n{part}: {name} {info}  (MAE ratio against {ref}, fold by fold)")
            print(table.round(3).to_string())
            out[part][name] = {"info": info, "table": table.round(4).to_dict(orient="index")}
    if "calendar" in parts and out["calendar"]:
        print("\ncalendar: MAE with the calendar / without, per series (mean over folds, seeds)")
        for model in ("ridge", "lstm"):
            ratios = {
                n: r["table"][f"{model}+calendar"]["mae_vs_ref"] / r["table"][model]["mae_vs_ref"]
                for n, r in out["calendar"].items()
            }
            gm = float(np.exp(np.mean(np.log(list(ratios.values())))))
            worse = [n for n, v in ratios.items() if v > 1]
            print(
                f"  {model}: geometric mean {gm:.3f} ({min(ratios.values()):.2f}-"
                f"{max(ratios.values()):.2f}), worse on {len(worse)}/{len(ratios)} {worse}"
            )
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(
            {
                "command": "python benchmarks/bench_forecast_panel.py "
                + " ".join(
                    f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k != "out"
                ),
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                f"torch {torch.__version__}",
                "cpu": cpu_description(),
                **out,
            },
            f,
            indent=1,
        )


if __name__ == "__main__":
    main()
