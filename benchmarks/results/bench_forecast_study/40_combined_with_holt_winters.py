"""Study 40: the mean of a learned model's forecast and Holt-Winters', on both panels.

Study 39 chose, per fit, how far to shrink a forecast towards the last value,
and the choice on the latest training windows was too noisy to pay. A fixed
combination needs no choice: forecast combinations (Bates & Granger 1969; the
M4 competition's winners) average models that err on different series.
Holt-Winters (``HoltWintersForecaster``, damped trend) tracks the level of the
latest steps and lost to the last value by at most 2% on the held-out panel,
where every learned model lost by up to 22%. Here each model runs once in
``backtest`` on the folds of ``bench_forecast.py``, and the combinations are
averaged window by window by ``ForecastCombination`` (no extra fit).
``--intervals`` fits the LSTMs as ``default_forecasters(intervals=True)`` does
and also prints the coverage of 80% intervals (a combination's spread is the
mean of its parts' standard deviations).

Prints, per panel and model, the MAE relative to Ridge (fold ratios averaged
per series, geometric mean over series, range), the series ahead of Ridge and
those lost to the last value; saves the per-fold MAEs.

    python 40_combined_with_holt_winters.py [--seeds 0,1] [--skip taylor] [--intervals]
        [--out FILE.json]
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))

from bench_forecast import DEVELOPMENT, HELD_OUT, SERIES, backtest_series  # noqa: E402

from sklearn_rnn import ForecastCombination  # noqa: E402
from sklearn_rnn.backtest import default_forecasters  # noqa: E402

#: study name -> the models it averages (ForecastCombination). The first two are what
#: default_forecasters() calls 'half-rebased ridge + holt-winters' and
#: 'half-rebased lstm + holt-winters'.
COMBINATIONS = {
    "ridge-half+hw": ("half-rebased ridge", "holt-winters"),
    "lstm-half+hw": ("half-rebased lstm", "holt-winters"),
    "lstm+hw": ("lstm", "holt-winters"),
    "lstm-half+ridge-half": ("half-rebased lstm", "half-rebased ridge"),
    "lstm-half+ridge-half+hw": ("half-rebased lstm", "half-rebased ridge", "holt-winters"),
}


def fold_scores(name, seed, intervals=False, keep=None):
    """{model: [MAE per fold]} and {model: [80% coverage per fold]}, one seed.

    ``keep``: a list that gets the backtest's forecasts (with ``name`` and ``seed``).
    """
    models = default_forecasters(SERIES[name][1], random_state=seed, intervals=intervals)
    for key in list(models):  # the study's own names for default_forecasters' means
        if key == "seasonal naive" or isinstance(models[key], ForecastCombination):
            del models[key]
    models.update({c: ForecastCombination(list(parts)) for c, parts in COMBINATIONS.items()})
    result, forecasts = backtest_series(name, models, return_forecasts=True)
    if keep is not None:
        keep.append(forecasts.assign(name=name, seed=seed))
    by_model = result.groupby("model", sort=False)
    mae = {m: part["mae"].tolist() for m, part in by_model}
    coverage = {
        m: part["coverage"].tolist() for m, part in by_model if part["coverage"].notna().all()
    }
    return mae, coverage


def summarise(scores, names, models):
    out = {}
    for m in models:
        rel = {n: float(np.mean(np.divide(scores[n][m], scores[n]["ridge"]))) for n in names}
        vs_last = {
            n: float(np.mean(np.divide(scores[n][m], scores[n]["last value"]))) for n in names
        }
        gm = float(np.exp(np.mean(np.log(list(rel.values())))))
        won = [n for n, r in rel.items() if r < 1 - 1e-4]
        lost = [n for n, r in vs_last.items() if r > 1 + 1e-4]
        out[m] = {
            "vs_ridge": gm,
            "per_series": rel,
            "vs_last": vs_last,
            "won": won,
            "lost_to_last": lost,
        }
        print(
            f"  {m:>24}: {gm:.3f} x Ridge ({min(rel.values()):.2f}-{max(rel.values()):.2f}), "
            f"ahead {len(won):>2}/{len(names)}; loses to last on {len(lost)}: "
            + ", ".join(f"{n} {vs_last[n]:.3f}" for n in lost)
        )
    return out


def summarise_coverage(per_seed, panels, seeds):
    """Per panel and model: the series whose 80% intervals cover 75-85% (folds and seeds pooled)."""
    out = {}
    for panel, names in panels.items():
        print(f"\n{panel} panel: 80% interval coverage")
        models = per_seed[names[0]][seeds[0]]
        for m in models:
            cov = {n: float(np.mean(sum((per_seed[n][s][m] for s in seeds), []))) for n in names}
            inside = [n for n, c in cov.items() if 0.75 <= c <= 0.85]
            distance = float(np.mean([abs(c - 0.8) for c in cov.values()]))
            out.setdefault(panel, {})[m] = {
                "per_series": cov,
                "inside": inside,
                "distance": distance,
            }
            print(
                f"  {m:>24}: {min(cov.values()):.2f}-{max(cov.values()):.2f}, 75-85% on "
                f"{len(inside)}/{len(names)}, mean distance from 0.80 {distance:.3f}"
            )
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--skip", default="taylor", help="comma-separated series to leave out")
    parser.add_argument(
        "--intervals",
        action="store_true",
        help="the LSTMs as default_forecasters(intervals=True) fits them; report 80%% coverage",
    )
    parser.add_argument("--out", default=None)
    parser.add_argument(
        "--forecasts", default=None, help="also save every forecast to this .csv.gz (large)"
    )
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    skip = set(filter(None, args.skip.split(",")))
    panels = {
        "development": [n for n in DEVELOPMENT if n not in skip],
        "held-out": [n for n in HELD_OUT if n not in skip],
    }
    panels["both"] = panels["development"] + panels["held-out"]
    panels = {panel: names for panel, names in panels.items() if names}  # --skip may empty one
    start = time.time()
    per_seed, coverage_per_seed, kept = {}, {}, []
    for name in panels["both"]:
        for seed in seeds:
            mae, coverage = fold_scores(name, seed, args.intervals, kept)
            per_seed.setdefault(name, {})[seed] = mae
            coverage_per_seed.setdefault(name, {})[seed] = coverage
        print(f"{name}: done at {time.time() - start:.0f} s", flush=True)
    if args.forecasts:  # first, so that a failure in the summaries loses no fit
        pd.concat(kept, ignore_index=True).to_csv(args.forecasts, index=False)
    # Folds of every seed, side by side: the ratios average over folds and seeds.
    scores = {
        n: {m: sum((per_seed[n][s][m] for s in seeds), []) for m in per_seed[n][seeds[0]]}
        for n in per_seed
    }
    models = [m for m in scores[panels["both"][0]] if m not in ("ridge", "last value")]
    summary = {}
    for panel, names in panels.items():
        print(f"\n{panel} panel ({len(names)} series, seeds {args.seeds})")
        summary[panel] = summarise(scores, names, models)
    coverage = {}
    if args.intervals:
        coverage = summarise_coverage(coverage_per_seed, panels, seeds)
    print(f"\n{time.time() - start:.0f} s")
    if args.out:
        record = {
            "command": "python " + " ".join(sys.argv),
            "seconds": round(time.time() - start),
            "summary": summary,
            "mae_per_seed": per_seed,
        }
        if args.intervals:
            record["coverage"] = coverage
            record["coverage_per_seed"] = coverage_per_seed
        with open(args.out, "w") as f:
            json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
