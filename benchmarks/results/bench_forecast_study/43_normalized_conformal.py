"""Study 43: adaptive intervals from a model's past errors in units of its spread.

``AdaptiveIntervals`` draws ``y_pred -+ z(alpha_t) * y_std``: the spread sets
the shape, the Gaussian quantile at the adapted level the scale. Study 41 left
four held-out series out of 75-85% for the half re-based LSTM: series where a
step of 0.02 follows a badly calibrated spread too slowly. Normalised
conformal prediction takes the scale from the model's own past errors
instead: the half-width is ``q_t * y_std``, ``q_t`` the ``1 - alpha_t``
quantile of the past ``|y - y_pred| / y_std`` at that step ahead, ``alpha_t``
adapted as before; until a step has 5 past errors, either no interval
("normalised") or the Gaussian one at the adapted level ("normalised,
Gaussian first"). Re-scores the saved forecasts of study 41 (models with a
spread only) with its own replay of the backtest's order (each window's
interval from the outcomes observed before its origin); the Gaussian variant
is the package's rule, checked against ``backtest``'s code on two series.

Prints, per model and variant, the series in 75-85% (over the values with an
interval; folds averaged, then seeds) on the development (13) and held-out (9)
panels, the mean distance from 0.80, the share of values with an interval, and
the interval score (width plus 10 times the miss) relative to the Gaussian
adaptive intervals' on the values every variant draws (after 5 past errors),
geometric mean over series and seeds.

    python 43_normalized_conformal.py FORECASTS.csv.gz [FORECASTS2.csv.gz ...] [--out FILE.json]
"""

import argparse
import heapq
import json
import os
import sys

import numpy as np
import pandas as pd
from scipy.stats import norm

from sklearn_rnn.intervals import MAX_Z

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from bench_forecast import HELD_OUT  # noqa: E402

COVERAGE = 0.8
MIN_ERRORS = 5


def _z(alpha):
    if alpha <= 0:
        return MAX_Z
    if alpha >= 1:
        return 0.0
    return min(float(norm.ppf(1 - alpha / 2)), MAX_Z)


def replay(rows, mode, step_size):
    """Lower and upper ends for one model, name and seed: ``mode`` 'gaussian', 'normalised'
    or 'normalised-gaussian-first'."""
    lower = np.full(len(rows), np.nan)
    upper = np.full(len(rows), np.nan)
    series = rows["series"].to_numpy()
    origin = rows["origin"].to_numpy()
    step = rows["step"].to_numpy()
    y, p, s = (rows[c].to_numpy() for c in ("y_true", "y_pred", "y_std"))
    target = 1 - COVERAGE
    for i in np.unique(series):
        mine = np.flatnonzero(series == i)
        alpha, scores, pending, order = target, {}, [], 0
        by_origin = pd.Series(mine).groupby(origin[mine]).apply(list)
        for o, window in by_origin.items():
            given = misses = 0
            while pending and pending[0][0] < o:
                j = heapq.heappop(pending)[2]
                scores.setdefault(step[j], []).append(abs(y[j] - p[j]) / max(s[j], 1e-12))
                if not np.isnan(lower[j]):
                    given += 1
                    misses += not lower[j] <= y[j] <= upper[j]
            alpha += step_size * (target * given - misses)
            for j in window:
                past = scores.get(step[j], [])
                if mode != "gaussian" and len(past) >= MIN_ERRORS:
                    level = min(max(1 - alpha, 0.0), 1.0)
                    half = float(np.quantile(past, level, method="higher")) * s[j]
                elif mode in ("gaussian", "normalised-gaussian-first"):
                    half = _z(alpha) * s[j]
                else:
                    half = np.nan
                lower[j], upper[j] = p[j] - half, p[j] + half
                heapq.heappush(pending, (o + step[j] - 1, order, j))
                order += 1
    return lower, upper


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("forecasts", nargs="+")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    fc = pd.concat([pd.read_csv(f) for f in args.forecasts], ignore_index=True)
    fc = fc[fc["y_std"].notna()].reset_index(drop=True)
    variants = {
        "gaussian 0.02": ("gaussian", 0.02),
        "normalised 0.02": ("normalised", 0.02),
        "normalised, gaussian first 0.02": ("normalised-gaussian-first", 0.02),
        "normalised, gaussian first 0.05": ("normalised-gaussian-first", 0.05),
        "normalised 1e-6": ("normalised", 1e-6),
    }
    records = []
    for (model, name, seed), rows in fc.groupby(["model", "name", "seed"]):
        rows = rows.sort_values(["series", "origin", "step"]).reset_index(drop=True)
        ends = {v: replay(rows, *spec) for v, spec in variants.items()}
        if "adaptive_lower" in rows and rows["adaptive_lower"].notna().all():
            # Saved by a backtest with adaptive intervals: the Gaussian replay must match it.
            np.testing.assert_allclose(ends["gaussian 0.02"][0], rows["adaptive_lower"])
        common = ~np.isnan(ends["normalised 0.02"][0])
        y = rows["y_true"].to_numpy()
        fold = rows["fold"].to_numpy()
        for variant, (lower, upper) in ends.items():
            given = ~np.isnan(lower)
            inside = ((lower <= y) & (y <= upper))[given]
            coverage = pd.Series(inside).groupby(fold[given]).mean().mean()
            miss = np.maximum(lower - y, 0) + np.maximum(y - upper, 0)
            score = (upper - lower + 2 / (1 - COVERAGE) * miss)[common].mean()
            records.append(
                {"model": model, "name": name, "seed": int(seed), "variant": variant,
                 "coverage": float(coverage), "drawn": float(given.mean()),
                 "interval_score": float(score)}
            )  # fmt: skip
        print(f"{model} {name} {seed}: done", file=sys.stderr, flush=True)
    table = pd.DataFrame(records)
    ref = table[table["variant"] == "gaussian 0.02"].set_index(["model", "name", "seed"])
    keys = list(zip(table["model"], table["name"], table["seed"]))
    table["score_vs_gaussian"] = (
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
                "score_vs_gaussian": float(np.exp(np.log(sub["score_vs_gaussian"]).mean())),
                "per_series": cov.round(4).to_dict(),
            }
            summary.setdefault(model, {}).setdefault(variant, {})[panel] = entry
            line.append(
                f"{panel} {len(inside):>2}/{len(cov):<2} d {entry['distance']:.3f} "
                f"drawn {entry['drawn']:.2f} score {entry['score_vs_gaussian']:.3f}"
            )
        print(f"{model:>20} {variant:>32}: " + " | ".join(line))
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"command": "python " + " ".join(sys.argv), "summary": summary}, f, indent=1)


if __name__ == "__main__":
    main()
