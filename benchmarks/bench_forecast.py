"""Forecast accuracy of LSTMRegressor against classical baselines across real series.

The development panel of the forecaster's defaults: real series shipped
offline with statsmodels (CO2 weekly and monthly, sunspots, Nile, El Nino sea
temperatures, US real GDP and unemployment) and with pmdarima (air passengers,
Australian beer, wine and wool, lynx, half-hourly electricity demand). Each
series is cut into supervised windows (:func:`sklearn_rnn.make_windows`:
``lookback`` steps in, ``horizon`` steps out) and scored by rolling origin
with :func:`sklearn_rnn.backtest` (``TimeSeriesSplit(n_splits=3,
gap=horizon - 1)`` over the windows, the same folds for every model), each
fold trained on every window whose targets end before its test period
(``co2-weekly`` on the last 1,000 of them: the setting of issue 18).

``--series held-out`` runs the held-out panel instead: nine offline series
that no default was chosen on, cut by the same rules (two seasons in and one
out, or ten steps in and one out without a season): monthly euro-area
electrical equipment orders (statsmodels' ``elec_equip``), quarterly
Australian residents (pmdarima's ``austres``), a heart rate (``heartrate``),
Microsoft's daily closing price (``msft``, the last 1,000 windows before each
test period) and five quarterly US series of statsmodels' ``macrodata``
(``cpi``, ``realinv``, ``tbilrate``, ``infl``, ``m1``). It tells whether the
choices made on the development panel carry over to series they never saw.

Models: ``last`` (repeat the last value), ``snaive`` (the value one season
earlier), ``ridge`` (RidgeCV on the standardised lagged window),
``ridge-half`` (the same half re-based: ``RebasedRegressor(ridge,
rebased_weight=0.5)``, the mean of Ridge's forecast and that of a Ridge fitted
to the change since each window's last value), ``ets``
(:class:`sklearn_rnn.HoltWintersForecaster`, statsmodels' Holt-Winters:
damped additive trend, additive season, fitted on the fold's training series,
then run with those parameters to each test origin; its 80% intervals from
simulated paths) and LSTM candidates: ``make_pipeline(SequenceScaler(),
LSTMRegressor(...))`` with the defaults (``lstm``), half re-based as
``default_forecasters`` has it (``lstm-half``), or with parameters given as
``--candidate NAME='{"param": value}'`` (``"rebased_weight": w`` wraps the
pipeline in ``RebasedRegressor(..., rebased_weight=w)``). ``A+B`` (or
``A+B+C``) is the mean of those models' forecasts, window by window
(:class:`sklearn_rnn.ForecastCombination`, as ``default_forecasters`` has
``ridge-half+ets`` and ``lstm-half+ets``); with a network among its parts it
runs once per seed.

    python benchmarks/bench_forecast.py [--series co2-monthly,...|held-out] [--models last,...]
        [--candidate NAME=JSON ...] [--seeds 0] [--average]
        [--out benchmarks/results/bench_forecast.json]

Prints one row per series: each model's MASE (mean absolute error over every
test forecast and horizon step, divided by the in-sample one-step seasonal
naive MAE of the fold's training series; averaged over folds), then per
model the mean and spread of its MAE relative to the seasonal naive and to
Ridge, and the series where it loses to them; the coverage of the 80%
intervals of the models that predict a spread (Holt-Winters, and LSTMs with
``loss='gaussian_nll'``), as predicted, and of every model as adapted along the
test periods (``backtest``'s ``adaptive_coverage``: ``AdaptiveIntervals``
around the spread, ``ConformalIntervals`` from the past errors of the models
without one, over the values that have an interval); with several seeds, how far
one seed's figure lands from another's (each seed scored alone: the mean,
standard deviation and range of its MAE relative to Ridge, and of the series
it wins). ``--average`` adds, for each
candidate, ``NAME-avg``: the mean of its seeds' forecasts, scored as one model
(what an ensemble of those networks would score; its fit time is theirs
summed). Writes every fold's figures to ``--out``.
"""

import argparse
import json
import os
import platform
import shlex
import sys

import numpy as np
import pandas as pd
import torch
from run_all import cpu_description  # benchmarks/run_all.py, beside this script
from sklearn.pipeline import make_pipeline

from sklearn_rnn import (
    ForecastCombination,
    LSTMRegressor,
    RebasedRegressor,
    SequenceScaler,
    backtest,
)
from sklearn_rnn.backtest import default_forecasters, rolling_origin_cv

HERE = os.path.dirname(os.path.abspath(__file__))
BASELINES = ("last", "snaive", "ridge", "ridge-half", "ets")


def _statsmodels(name):
    import statsmodels.api as sm

    if name == "co2-weekly":
        return sm.datasets.co2.load_pandas().data["co2"].interpolate().to_numpy()
    if name == "co2-monthly":
        weekly = sm.datasets.co2.load_pandas().data["co2"]
        return weekly.resample("MS").mean().interpolate().to_numpy()
    if name == "sunspots":
        return sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy()
    if name == "nile":
        return sm.datasets.nile.load_pandas().data["volume"].to_numpy()
    if name == "elnino":
        return sm.datasets.elnino.load_pandas().data.iloc[:, 1:].to_numpy().ravel()
    if name in ("realgdp", "unemp", "cpi", "realinv", "tbilrate", "infl", "m1"):
        return sm.datasets.macrodata.load_pandas().data[name].to_numpy()
    if name == "elec-equip":
        from statsmodels.datasets import elec_equip

        return elec_equip.load().data.iloc[:, 0].to_numpy(dtype=np.float64)
    raise KeyError(name)


def _pmdarima(name):
    try:
        from pmdarima import datasets
    except ImportError:
        raise SystemExit(
            f"series {name!r} comes from pmdarima: pip install -e '.[benchmarks]', "
            "or leave it out of --series"
        ) from None

    if name == "msft":  # daily closing prices, 1986-2017
        return datasets.load_msft()["Close"].to_numpy(dtype=np.float64)
    return np.asarray(getattr(datasets, f"load_{name}")(), dtype=np.float64)


#: name -> (loader, season, lookback, horizon, max training windows)
SERIES = {
    "co2-weekly": (_statsmodels, 52, 104, 1, 1000),
    "co2-monthly": (_statsmodels, 12, 24, 12, None),
    "sunspots": (_statsmodels, 11, 22, 1, None),
    "nile": (_statsmodels, 1, 10, 1, None),
    "elnino": (_statsmodels, 12, 24, 12, None),
    "realgdp": (_statsmodels, 4, 12, 4, None),
    "unemp": (_statsmodels, 4, 12, 4, None),
    "airpassengers": (_pmdarima, 12, 24, 12, None),
    "ausbeer": (_pmdarima, 4, 12, 4, None),
    "wineind": (_pmdarima, 12, 24, 12, None),
    "woolyrnq": (_pmdarima, 4, 12, 4, None),
    "lynx": (_pmdarima, 10, 20, 1, None),
    "taylor": (_pmdarima, 48, 96, 48, None),
}
#: The development panel: the series every study in results/bench_forecast_study chose on.
DEVELOPMENT = tuple(SERIES)
#: The held-out panel: offline series no default was chosen on, cut by the development
#: panel's rules (two seasons in, a season out; ten steps in and one out without a season).
HELD_OUT = {
    "elec-equip": (_statsmodels, 12, 24, 12, None),
    "austres": (_pmdarima, 4, 12, 4, None),
    "heartrate": (_pmdarima, 1, 10, 1, None),
    "msft": (_pmdarima, 1, 10, 1, 1000),
    "cpi": (_statsmodels, 4, 12, 4, None),
    "realinv": (_statsmodels, 4, 12, 4, None),
    "tbilrate": (_statsmodels, 4, 12, 4, None),
    "infl": (_statsmodels, 4, 12, 4, None),
    "m1": (_statsmodels, 4, 12, 4, None),
}
SERIES.update(HELD_OUT)


def load_series(name):
    loader = SERIES[name][0]
    values = loader(name)
    values = values[np.isfinite(values)] if name == "ausbeer" else values  # trailing NaN
    return values


def _lstm(params, seed):
    params = dict(params)
    weight = params.pop("rebased_weight", None)
    model = make_pipeline(SequenceScaler(), LSTMRegressor(random_state=seed, **params))
    return model if weight is None else RebasedRegressor(model, rebased_weight=weight)


def _records(result, seed):
    """backtest() rows as {fold: {model: run}}."""
    out = {}
    for row in result.itertuples(index=False):
        run = {
            "seed": seed,
            "mae": row.mae,
            "rmse": row.rmse,
            "fit_seconds": round(row.fit_seconds, 2),
        }
        if not np.isnan(row.coverage):
            run["coverage80"] = row.coverage
        if not np.isnan(row.adaptive_coverage):
            run["adaptive80"] = row.adaptive_coverage
        out.setdefault(row.fold, {})[row.model] = (run, row)
    return out


def _folds(name):
    """The named series, its number of windows and the benchmark's folds of them."""
    _, _, lookback, horizon, max_train = SERIES[name]
    values = load_series(name)
    n_windows = len(values) - lookback - horizon + 1
    cv = rolling_origin_cv(n_windows, horizon=horizon, max_train_size=max_train)
    return values, n_windows, cv


def backtest_series(name, models, **kwargs):
    """``sklearn_rnn.backtest`` of the models on the named series, cut as this benchmark cuts it.

    ``kwargs`` go to ``backtest`` (``return_forecasts=True``, for one).
    """
    _, season, lookback, horizon, max_train = SERIES[name]
    values, _, cv = _folds(name)
    return backtest(
        values,
        models,
        lookback=lookback,
        horizon=horizon,
        season=season,
        max_train_size=max_train,
        test_size=cv.test_size,
        **kwargs,
    )


def summarise_weights(scores, panels, weights, tol=0.0, heading="{panel} panel ({n} series)"):
    """Print and return, per panel and re-based weight, the MAE against Ridge and the last value.

    ``scores[panel][series]`` maps ``'ridge'``, ``'last'`` and ``'w=W'`` to the
    MAE of each fold (studies 37 and 38). A model is ahead of Ridge, or
    behind the last value, by more than ``tol`` (relative).
    """
    summary = {}
    for panel, names in panels.items():
        print("\n" + heading.format(panel=panel, n=len(names)))
        for w in weights:
            model = f"w={w:g}"
            s = scores[panel]
            rel = {n: float(np.mean(np.divide(s[n][model], s[n]["ridge"]))) for n in names}
            vs_last = {n: float(np.mean(np.divide(s[n][model], s[n]["last"]))) for n in names}
            gm = float(np.exp(np.mean(np.log(list(rel.values())))))
            won = [n for n, r in rel.items() if r < 1 - tol]
            lost_to_last = [n for n, r in vs_last.items() if r > 1 + tol]
            summary.setdefault(panel, {})[model] = {
                "vs_ridge": gm,
                "range": [min(rel.values()), max(rel.values())],
                "per_series": rel,
                "won": won,
                "lost_to_last_value": lost_to_last,
            }
            print(
                f"  {model:>7}: {gm:.3f} times Ridge's MAE ({min(rel.values()):.2f}-"
                f"{max(rel.values()):.2f}), ahead on {len(won)}/{len(names)}; loses to the "
                f"last value on {len(lost_to_last)}: {', '.join(lost_to_last) or '-'}"
            )
    return summary


def run_series(name, models, candidates, seeds, average=False):
    """Every model on the series' folds: ``sklearn_rnn.backtest``, once per seed for the LSTMs.

    With ``average``, each candidate also gets a row ``NAME-avg`` scored on
    the mean of its seeds' forecasts (an ensemble of the seeds' networks).
    """
    _, season, lookback, horizon, _ = SERIES[name]
    values, n_windows, cv = _folds(name)
    reference = default_forecasters(season)
    naive = {"last": reference["last value"], "snaive": reference["seasonal naive"]}
    naive["ridge"] = reference["ridge"]
    naive["ridge-half"] = reference["half-rebased ridge"]
    naive["ets"] = reference["holt-winters"]
    runs = {}  # fold -> model -> list of runs
    scales = {}
    batches = [(None, {m: naive[m] for m in models if m in naive})]
    batches += [
        (seed, {m: _lstm(candidates[m], seed) for m in models if m in candidates}) for seed in seeds
    ]
    for combo in (m for m in models if "+" in m):
        parts = combo.split("+")
        if not any(p in candidates for p in parts):  # deterministic: once, with the baselines
            batches[0][1].update({p: naive[p] for p in parts})
            batches[0][1][combo] = ForecastCombination(parts)
            continue
        for seed, batch in batches[1:]:  # each seed's networks, beside copies of the baselines
            names = [p if p in candidates else f"_{p}" for p in parts]
            for p in parts:  # the seed's own network; a baseline again (refitted per seed)
                if p in candidates:
                    batch.setdefault(p, _lstm(candidates[p], seed))
                else:
                    batch.setdefault(f"_{p}", naive[p])
            batch[combo] = ForecastCombination(names)
    forecasts = []
    for seed, batch in batches:
        if not batch:
            continue
        result, fc = backtest_series(name, batch, return_forecasts=True)
        forecasts.append(fc.assign(seed=seed))
        for fold, by_model in _records(result, seed).items():
            for model, (run, row) in by_model.items():
                runs.setdefault(fold, {}).setdefault(model, []).append(run)
                scales[fold] = row.mae / row.mase
    if average:
        fc = pd.concat(forecasts)
        for m in (m for m in models if m in candidates):
            mine = fc[fc["model"] == m]
            mean = mine.groupby(["fold", "origin", "step"])[["y_true", "y_pred"]].mean()
            for fold, part in mean.groupby(level="fold"):
                err = part["y_pred"] - part["y_true"]
                fit_s = sum(r["fit_seconds"] for r in runs[fold][m])
                runs[fold][f"{m}-avg"] = [
                    {
                        "seed": None,
                        "mae": float(err.abs().mean()),
                        "rmse": float(np.sqrt((err**2).mean())),
                        "fit_seconds": round(fit_s, 2),
                    }
                ]
    averaged = [f"{m}-avg" for m in models if m in candidates] if average else []
    folds = []
    for fold, (train, test) in enumerate(cv.split(np.arange(n_windows))):
        record = {
            "n_train": len(train),
            "n_test": len(test),
            "mase_scale": float(scales.get(fold, np.nan)),
            "models": {m: runs[fold][m] for m in models + averaged},
        }
        folds.append(record)
        scale = record["mase_scale"]
        print(
            f"  {name} fold {fold}: "
            + ", ".join(
                f"{k} {np.mean([r['mae'] for r in v]) / scale:.3f}"
                for k, v in record["models"].items()
            ),
            flush=True,
        )
    return {
        "n_steps": len(values),
        "season": season,
        "lookback": lookback,
        "horizon": horizon,
        "n_windows": n_windows,
        "folds": folds,
    }


def summarise(results, models):
    """Per series and model: MASE, MAE relative to snaive and ridge (mean over folds, seeds)."""
    table = {}
    for name, res in results.items():
        row = {}
        for model in models:
            mase, rel_snaive, rel_ridge, secs = [], [], [], []
            for fold in res["folds"]:
                mae = np.mean([r["mae"] for r in fold["models"][model]])
                mase.append(mae / fold["mase_scale"])
                if "snaive" in fold["models"]:
                    rel_snaive.append(mae / fold["models"]["snaive"][0]["mae"])
                if "ridge" in fold["models"]:
                    rel_ridge.append(mae / fold["models"]["ridge"][0]["mae"])
                secs.append(np.mean([r["fit_seconds"] for r in fold["models"][model]]))
            cover, adaptive = (
                [r[key] for fold in res["folds"] for r in fold["models"][model] if key in r]
                for key in ("coverage80", "adaptive80")
            )
            row[model] = {
                "coverage80": float(np.mean(cover)) if cover else None,
                "adaptive80": float(np.mean(adaptive)) if adaptive else None,
                "mase": float(np.mean(mase)),
                "mae_vs_snaive": float(np.mean(rel_snaive)) if rel_snaive else None,
                "mae_vs_ridge": float(np.mean(rel_ridge)) if rel_ridge else None,
                "fit_seconds": float(np.mean(secs)),
            }
        # Held-out values the coverage is measured on: every fold's windows x horizon.
        row["_n_values"] = sum(fold["n_test"] for fold in res["folds"]) * res["horizon"]
        table[name] = row
    return table


def seed_spread(results, models):
    """Per network candidate and seed: MAE relative to Ridge, geometric mean over series; wins.

    Each seed scored alone (the table averages the seeds' MAE first), so the
    spread says how far one seed's panel can land from another's: a candidate
    whose difference to the default is within it has not shown one. Only for
    models run with more than one seed, beside ``ridge``.
    """
    spread = {}
    for model in models:
        by_seed = {}
        for name, res in results.items():
            for fold in res["folds"]:
                runs = fold["models"].get(model, [])
                if "ridge" not in fold["models"] or len(runs) < 2:
                    continue
                ridge = fold["models"]["ridge"][0]["mae"]
                for run in runs:
                    by_seed.setdefault(run["seed"], {}).setdefault(name, []).append(
                        run["mae"] / ridge
                    )
        if len(by_seed) < 2:
            continue
        means = {seed: [np.mean(r) for r in series.values()] for seed, series in by_seed.items()}
        geo = [float(np.exp(np.mean(np.log(m)))) for m in means.values()]
        spread[model] = {
            "seeds": list(means),
            "vs_ridge": geo,
            "series_won": [int(sum(r < 1 for r in m)) for m in means.values()],
        }
    return spread


def print_seed_spread(spread):
    if not spread:
        return
    print(
        "\nEach seed alone: MAE relative to Ridge, geometric mean over series (mean, sd, "
        "min-max over seeds); series won per seed"
    )
    for model, s in spread.items():
        geo, won = np.array(s["vs_ridge"]), s["series_won"]
        print(
            f"  {model}: {geo.mean():.3f} (sd {geo.std(ddof=1):.3f}, {geo.min():.3f}-"
            f"{geo.max():.3f}, {len(geo)} seeds); won {min(won)}-{max(won)}"
        )


def calibrated_coverage(n, level=0.8, low=0.75, high=0.85):
    """How a perfectly calibrated ``level`` interval's coverage varies on ``n`` held-out values.

    Returns the central 95% range of its coverage and the probability that it
    lands in [low, high], with the values independent (binomial). The steps of
    one multi-step window are correlated, so the real spread is wider: these
    are the most favourable figures.
    """
    from scipy.stats import binom

    lo, hi = binom.ppf([0.025, 0.975], n, level) / n
    inside = binom.cdf(np.floor(high * n + 1e-9), n, level) - binom.cdf(
        np.ceil(low * n - 1e-9) - 1, n, level
    )
    return float(lo), float(hi), float(inside)


def print_tables(table, models):
    width = max(8, *(len(m) for m in models))
    print("\nMASE (lower is better; < 1 beats the in-sample seasonal naive)")
    print(f"{'series':14s}" + "".join(f"{m:>{width + 1}s}" for m in models))
    for name, row in table.items():
        print(f"{name:14s}" + "".join(f"{row[m]['mase']:>{width + 1}.3f}" for m in models))
    print(
        "\nMAE relative to the seasonal naive and to Ridge: geometric mean over series "
        "(spread: min-max); series where the model loses"
    )
    for m in models:
        line = f"{m:>{width}s}"
        for ref in ("snaive", "ridge"):
            ratios = [row[m][f"mae_vs_{ref}"] for row in table.values()]
            if None in ratios or m == ref:
                continue
            gm = float(np.exp(np.mean(np.log(ratios))))
            lost = [n for n, row in table.items() if row[m][f"mae_vs_{ref}"] > 1]
            line += (
                f"  vs {ref}: {gm:.3f} ({min(ratios):.2f}-{max(ratios):.2f}), "
                f"loses on {len(lost)}/{len(ratios)}" + (f" ({', '.join(lost)})" if lost else "")
            )
        secs = np.mean([row[m]["fit_seconds"] for row in table.values()])
        print(line + f"  [fit {secs:.1f} s per fold]")
    for key, whose in (
        ("coverage80", "as the models predict them"),
        (
            "adaptive80",
            "adapted to the misses seen so far (AdaptiveIntervals around the spread, "
            "ConformalIntervals from past errors without one: over the values with an "
            "interval, after 5 past errors; steered by the outcomes it is scored on, so the "
            "'calibrated' range of a fixed interval does not bound it)",
        ),
    ):
        print_coverage(table, models, key, whose, width)


def print_coverage(table, models, key, whose, width):
    covered = [m for m in models if all(row[m].get(key) is not None for row in table.values())]
    if covered:
        print(
            f"\nCoverage of the central 80% intervals, {whose} (target 0.75-0.85); "
            "'calibrated': the range a perfectly\ncalibrated interval reaches 95% of the time "
            "on that many held-out values, and how often it lands in 0.75-0.85"
        )
        print(
            f"{'series':14s}"
            + "".join(f"{m:>{width + 1}s}" for m in covered)
            + f"{'values':>8s}  calibrated"
        )
        calibrated = {name: calibrated_coverage(row["_n_values"]) for name, row in table.items()}
        chance = float(np.prod([inside for _, _, inside in calibrated.values()]))
        for name, row in table.items():
            lo, hi, inside = calibrated[name]
            print(
                f"{name:14s}"
                + "".join(f"{row[m][key]:>{width + 1}.3f}" for m in covered)
                + f"{row['_n_values']:>8d}  {lo:.2f}-{hi:.2f}, in target {inside:.0%}"
            )
        for m in covered:
            within = [
                n for n, row in table.items() if calibrated[n][0] <= row[m][key] <= calibrated[n][1]
            ]
            print(
                f"{m}: in 0.75-0.85 on "
                f"{sum(0.75 <= row[m][key] <= 0.85 for row in table.values())}"
                f"/{len(table)}; within the calibrated range on {len(within)}/{len(table)}"
            )
        print(
            f"A calibrated interval lands in 0.75-0.85 on all {len(table)} series with "
            f"probability {chance:.1%} at most (independent values)."
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--series",
        default="development",
        help="comma-separated series, or 'development' (the default: the 13 series the "
        "defaults were chosen on) or 'held-out' (9 series no default was chosen on)",
    )
    parser.add_argument(
        "--models",
        default="last,snaive,ridge,ridge-half,ets,lstm,lstm-half,ridge-half+ets,lstm-half+ets",
        help="comma-separated; A+B is the mean of A's and B's forecasts (ForecastCombination)",
    )
    parser.add_argument("--candidate", action="append", default=[], metavar="NAME=JSON")
    parser.add_argument("--seeds", default="0")
    parser.add_argument(
        "--average",
        action="store_true",
        help="also score each candidate's mean forecast over the seeds (NAME-avg)",
    )
    parser.add_argument("--out", default=os.path.join(HERE, "results", "bench_forecast.json"))
    args = parser.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    candidates = {"lstm": {}, "lstm-half": {"rebased_weight": 0.5}}
    for spec in args.candidate:
        key, _, params = spec.partition("=")
        candidates[key] = json.loads(params)
    models = args.models.split(",")
    models += [c for c in candidates if c not in models and c not in ("lstm", "lstm-half")]
    unknown = [
        m
        for m in models
        if any(p not in BASELINES and p not in candidates for p in m.split("+"))
        or len(set(m.split("+"))) != len(m.split("+"))
    ]
    if unknown:
        parser.error(f"unknown models {unknown}; baselines are {BASELINES}, or use --candidate")
    seeds = [int(s) for s in args.seeds.split(",")]
    results = {}
    panels = {"development": DEVELOPMENT, "held-out": tuple(HELD_OUT)}
    names = panels.get(args.series) or args.series.split(",")
    for name in names:
        if name not in SERIES:
            parser.error(f"unknown series {name!r}; choose from {', '.join(SERIES)}")
        results[name] = run_series(name, models, candidates, seeds, args.average)
    if args.average:
        models += [f"{m}-avg" for m in models if m in candidates]
    table = summarise(results, models)
    print_tables(table, models)
    spread = seed_spread(results, models)
    print_seed_spread(spread)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(
            {
                # As typed (the script that ran it, each --candidate quoted).
                "command": shlex.join(["python", os.path.relpath(sys.argv[0]), *sys.argv[1:]]),
                "candidates": candidates,
                "seeds": seeds,
                "torch": torch.__version__,
                "platform": platform.platform(),
                "cpu": cpu_description(),
                "summary": table,
                "seed_spread": spread,
                "series": results,
            },
            f,
            indent=1,
        )
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
