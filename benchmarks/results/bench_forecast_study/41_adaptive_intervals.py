"""Study 41: 80% intervals that adapt online to the misses (``AdaptiveIntervals``).

Studies 32-34 and 40 calibrated spreads on data before the forecasts (the
validation windows, Holt-Winters' fitted errors); the 80% intervals of the
best of them still covered 75-85% of the held-out values on about half the
series, because the test period's errors differ from the calibration
period's. Adaptive conformal inference (Gibbs & Candes 2021) moves the
interval's level after each outcome instead. This script re-scores the
forecasts that ``40_combined_with_holt_winters.py --intervals --forecasts
FILE`` saved: for every model with a spread, one ``AdaptiveIntervals`` per
series runs through the test windows of the three folds in time order, as
``backtest`` runs it (``sklearn_rnn.backtest._adaptive_intervals``, the code
that ships). The forecasts are not refitted or changed.

Variants: the step size (gamma), the widest interval drawn (``MAX_Z``), and
a working level kept in [1 - 0.998, 1] (anti-windup) instead of free.
Prints, per model and variant, for the development and held-out panels: the
series whose coverage (folds averaged, then seeds) lies in 75-85%, the mean
distance from 0.80, and the interval score (width plus 2/0.2 times the miss,
Gneiting & Raftery 2007) relative to the model's own intervals (geometric
mean over series and seeds).

    python 41_adaptive_intervals.py FORECASTS.csv.gz [FORECASTS2.csv.gz ...] [--out FILE.json]
"""

import argparse
import json
import os
import sys
from unittest import mock

import numpy as np
import pandas as pd
from scipy.stats import norm

from sklearn_rnn import AdaptiveIntervals, intervals
from sklearn_rnn.backtest import _adaptive_intervals

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from bench_forecast import HELD_OUT  # noqa: E402

COVERAGE = 0.8


class _Clamped(AdaptiveIntervals):
    """The working miss rate kept in [0.002, 1]: no wind-up past the widest interval."""

    def update(self, y_true, y_lower, y_upper):
        super().update(y_true, y_lower, y_upper)
        self.alpha_ = min(max(self.alpha_, 0.002), 1.0)
        return self


def adaptive(rows, step_size, max_z=None, clamped=False):
    """Adaptive lower and upper ends of one model's forecasts (one name and seed), all folds."""
    cls = _Clamped if clamped else AdaptiveIntervals
    calibrator = cls(COVERAGE, step_size=step_size)
    lower = pd.Series(np.nan, index=rows.index)
    upper = lower.copy()
    tracks = {}
    patch = mock.patch.object(intervals, "MAX_Z", max_z or intervals.MAX_Z)
    with patch:
        for _, fold in rows.groupby("fold", sort=True):
            wide = fold.pivot_table(
                index=["series", "origin"], columns="step", values=["y_true", "y_pred", "y_std"]
            )
            ids = wide.index.get_level_values("series").to_numpy()
            origins = wide.index.get_level_values("origin").to_numpy()
            lo, up = _adaptive_intervals(
                tracks, "m", ids, origins, wide["y_true"].to_numpy(), wide["y_pred"].to_numpy(),
                wide["y_std"].to_numpy(), calibrator,
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


def score(rows, lower, upper):
    y = rows["y_true"]
    inside = (lower <= y) & (y <= upper)
    coverage = inside.groupby(rows["fold"]).mean().mean()
    width = upper - lower
    miss = np.maximum(lower - y, 0) + np.maximum(y - upper, 0)
    return coverage, float(np.mean(width + 2 / (1 - COVERAGE) * miss))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("forecasts", nargs="+")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    fc = pd.concat([pd.read_csv(f) for f in args.forecasts], ignore_index=True)
    fc = fc[fc["y_std"].notna()]
    z = norm.ppf((1 + COVERAGE) / 2)
    variants = {"own": None}
    for gamma in (0.005, 0.01, 0.02, 0.05, 0.1):
        variants[f"step {gamma}"] = {"step_size": gamma}
    for gamma in (0.02, 0.05):
        for max_z in (2.576, 3.891):
            variants[f"step {gamma}, widest {max_z:.2f}"] = {"step_size": gamma, "max_z": max_z}
        variants[f"step {gamma}, clamped"] = {"step_size": gamma, "clamped": True}
    records = []
    for (model, name, seed), rows in fc.groupby(["model", "name", "seed"]):
        for variant, kwargs in variants.items():
            if kwargs is None:
                lower, upper = (
                    rows["y_pred"] - z * rows["y_std"],
                    rows["y_pred"] + z * rows["y_std"],
                )
            else:
                lower, upper = adaptive(rows, **kwargs)
            coverage, interval_score = score(rows, lower, upper)
            records.append(
                {
                    "model": model,
                    "name": name,
                    "seed": int(seed),
                    "variant": variant,
                    "coverage": float(coverage),
                    "interval_score": interval_score,
                }
            )
        print(f"{model} {name} {seed}: done", file=sys.stderr, flush=True)
    table = pd.DataFrame(records)
    own = table[table["variant"] == "own"].set_index(["model", "name", "seed"])["interval_score"]
    table["score_vs_own"] = (
        table["interval_score"].to_numpy()
        / own.loc[list(zip(table["model"], table["name"], table["seed"]))].to_numpy()
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
                "score_vs_own": float(np.exp(np.log(sub["score_vs_own"]).mean())),
                "per_series": cov.round(4).to_dict(),
            }
            summary.setdefault(model, {}).setdefault(variant, {})[panel] = entry
            line.append(
                f"{panel} {len(inside):>2}/{len(cov):<2} d {entry['distance']:.3f} "
                f"score {entry['score_vs_own']:.3f}"
            )
        print(f"{model:>24} {variant:>26}: " + " | ".join(line))
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"command": "python " + " ".join(sys.argv), "summary": summary}, f, indent=1)


if __name__ == "__main__":
    main()
