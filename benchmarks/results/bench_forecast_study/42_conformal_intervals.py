"""Study 42: intervals from a forecaster's own past errors (``ConformalIntervals``).

Study 41 gave the models that predict a spread intervals that adapt to their
misses; Ridge on lagged windows, the last value and their combinations had
none. Its second aside sketched online split conformal prediction for them:
the half-width for step ``h`` is the ``1 - alpha_t`` quantile of the absolute
errors at step ``h`` observed before the window's origin, ``alpha_t`` moved
by each outcome as ``AdaptiveIntervals`` moves it. This script re-scores the
same saved forecasts (``40_combined_with_holt_winters.py --intervals
--forecasts FILE``) through the code that ships: ``ConformalIntervals``, one
per model and series, run through the three folds' test windows in time
order by ``sklearn_rnn.backtest._adaptive_intervals`` (what ``backtest``
runs). The forecasts are not refitted or changed.

Variants: the step size (1e-6 stands for the plain quantile of the past
errors, no adaptation) and ``min_errors`` (past errors a step needs before
its intervals are drawn). For the models with a spread it also scores
``AdaptiveIntervals`` (step 0.02) on the same values, to check which of the
two ``backtest`` should use for them. Prints, per model and variant, for the
development and held-out panels: the series whose coverage (over the values
with an interval; folds averaged, then seeds) lies in 75-85%, the mean
distance from 0.80, the share of values with an interval, and the interval
score (width plus 2/0.2 times the miss, Gneiting & Raftery 2007) relative to
the plain quantile's, geometric mean over series and seeds, on the values
that every variant gives an interval (those after 10 past errors).

    python 42_conformal_intervals.py FORECASTS.csv.gz [FORECASTS2.csv.gz ...] [--out FILE.json]
"""

import argparse
import json
import os
import sys

import numpy as np
import pandas as pd

from sklearn_rnn import AdaptiveIntervals, ConformalIntervals
from sklearn_rnn.backtest import _adaptive_intervals

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from bench_forecast import HELD_OUT  # noqa: E402

COVERAGE = 0.8
REFERENCE = "plain, min 5"


def adaptive(rows, calibrator, spread):
    """Adaptive lower and upper ends of one model's forecasts (one name and seed), all folds."""
    lower = pd.Series(np.nan, index=rows.index)
    upper = lower.copy()
    tracks = {}
    for _, fold in rows.groupby("fold", sort=True):
        wide = fold.pivot_table(
            index=["series", "origin"], columns="step", values=["y_true", "y_pred", "y_std"],
            dropna=False,
        )  # fmt: skip
        ids = wide.index.get_level_values("series").to_numpy()
        origins = wide.index.get_level_values("origin").to_numpy()
        std = wide["y_std"].to_numpy() if spread else None
        lo, up = _adaptive_intervals(
            tracks, "m", ids, origins, wide["y_true"].to_numpy(), wide["y_pred"].to_numpy(),
            std, calibrator,
        )  # fmt: skip
        steps = wide["y_true"].columns.to_numpy()
        key = pd.MultiIndex.from_arrays(
            [np.repeat(ids, len(steps)), np.repeat(origins, len(steps)),
             np.tile(steps, len(ids))], names=["series", "origin", "step"],
        )  # fmt: skip
        where = pd.Series(fold.index, index=pd.MultiIndex.from_frame(
            fold[["series", "origin", "step"]]))[key].to_numpy()  # fmt: skip
        lower[where], upper[where] = lo.ravel(), up.ravel()
    return lower, upper


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("forecasts", nargs="+")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    fc = pd.concat([pd.read_csv(f) for f in args.forecasts], ignore_index=True)
    variants = {REFERENCE: ("conformal", {"step_size": 1e-6})}
    for gamma in (0.01, 0.02, 0.05):
        variants[f"step {gamma}, min 5"] = ("conformal", {"step_size": gamma})
    for min_errors in (3, 10):
        variants[f"step 0.02, min {min_errors}"] = (
            "conformal",
            {"step_size": 0.02, "min_errors": min_errors},
        )
    records = []
    for (model, name, seed), rows in fc.groupby(["model", "name", "seed"]):
        ends = {}
        todo = dict(variants)
        if rows["y_std"].notna().all():
            todo["gaussian, step 0.02"] = ("gaussian", {"step_size": 0.02})
        for variant, (kind, kwargs) in todo.items():
            if kind == "gaussian":
                calibrator = AdaptiveIntervals(COVERAGE, **kwargs)
            else:
                calibrator = ConformalIntervals(COVERAGE, **kwargs)
            ends[variant] = adaptive(rows, calibrator, spread=kind == "gaussian")
        # The values every variant has an interval for: after 10 past errors.
        common = ends["step 0.02, min 10"][0].notna()
        y = rows["y_true"]
        for variant, (lower, upper) in ends.items():
            given = lower.notna()
            inside = ((lower <= y) & (y <= upper))[given]
            coverage = inside.groupby(rows["fold"][given]).mean().mean()
            width = (upper - lower)[common]
            miss = (np.maximum(lower - y, 0) + np.maximum(y - upper, 0))[common]
            records.append(
                {
                    "model": model,
                    "name": name,
                    "seed": int(seed),
                    "variant": variant,
                    "coverage": float(coverage),
                    "drawn": float(given.mean()),
                    "interval_score": float(np.mean(width + 2 / (1 - COVERAGE) * miss)),
                }
            )
        print(f"{model} {name} {seed}: done", file=sys.stderr, flush=True)
    table = pd.DataFrame(records)
    ref = table[table["variant"] == REFERENCE].set_index(["model", "name", "seed"])
    keys = list(zip(table["model"], table["name"], table["seed"]))
    table["score_vs_plain"] = (
        table["interval_score"].to_numpy() / ref["interval_score"].loc[keys].to_numpy()
    )
    table["panel"] = np.where(table["name"].isin(list(HELD_OUT)), "held-out", "development")
    summary = {}
    for (model, variant), part in table.groupby(["model", "variant"], sort=False):
        line = []
        for panel in ("development", "held-out", "all"):
            sub = part if panel == "all" else part[part["panel"] == panel]
            cov = sub.groupby("name")["coverage"].mean()
            inside = sorted(cov[cov.between(0.75, 0.85)].index)
            entry = {
                "series": len(cov),
                "inside": inside,
                "distance": float(np.mean(np.abs(cov - COVERAGE))),
                "drawn": float(sub["drawn"].mean()),
                "score_vs_plain": float(np.exp(np.log(sub["score_vs_plain"]).mean())),
                "per_series": cov.round(4).to_dict(),
            }
            summary.setdefault(model, {}).setdefault(variant, {})[panel] = entry
            line.append(
                f"{panel} {len(inside):>2}/{len(cov):<2} d {entry['distance']:.3f} "
                f"drawn {entry['drawn']:.2f} score {entry['score_vs_plain']:.3f}"
            )
        print(f"{model:>24} {variant:>20}: " + " | ".join(line))
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"command": "python " + " ".join(sys.argv), "summary": summary}, f, indent=1)


if __name__ == "__main__":
    main()
