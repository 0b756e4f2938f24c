"""Study 42, aside: intervals from the latest past errors only (a sliding window).

``ConformalIntervals`` takes the quantile of every past error at a step. Where
the errors grow along the series (CPI, inflation: study 41), the old errors
hold the quantile back and only the level's adaptation catches up. This
aside keeps the latest ``window`` errors of each step instead (25, 50, 100)
and re-scores the models without a spread on the saved forecasts of study 41
as ``42_conformal_intervals.py`` does (same replay, same summary: the
interval score is relative to all past errors at the same step size).
Measured with the first quantile rule of ``ConformalIntervals`` (numpy's
"higher" ``1 - alpha`` quantile; see ``42_finite_sample.py``); rerun now, it
uses the textbook's.

    python 42_recent_errors.py FORECASTS.csv.gz [FORECASTS2.csv.gz ...]
"""

import os
import sys

import numpy as np
import pandas as pd

from sklearn_rnn import ConformalIntervals

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from bench_forecast import HELD_OUT  # noqa: E402

study = __import__("42_conformal_intervals")
COVERAGE = 0.8


class RecentErrors(ConformalIntervals):
    """The quantile of the latest ``window`` errors of the step."""

    def __init__(self, coverage=0.8, *, step_size=0.02, min_errors=5, window=None):
        super().__init__(coverage, step_size=step_size, min_errors=min_errors)
        self.window = window

    def _half_width(self, errors):
        return super()._half_width(errors[-self.window :] if self.window else errors)


def main():
    fc = pd.concat([pd.read_csv(f) for f in sys.argv[1:]], ignore_index=True)
    records = []
    for (model, name, seed), rows in fc.groupby(["model", "name", "seed"]):
        if rows["y_std"].notna().all():
            continue
        ends = {
            f"window {w}": study.adaptive(rows, RecentErrors(COVERAGE, window=w), spread=False)
            for w in (None, 100, 50, 25)
        }
        y = rows["y_true"]
        common = ends["window None"][0].notna()
        for variant, (lower, upper) in ends.items():
            inside = ((lower <= y) & (y <= upper))[common]
            coverage = inside.groupby(rows["fold"][common]).mean().mean()
            miss = (np.maximum(lower - y, 0) + np.maximum(y - upper, 0))[common]
            score = float(np.mean((upper - lower)[common] + 2 / (1 - COVERAGE) * miss))
            records.append((model, name, seed, variant, float(coverage), score))
        print(f"{model} {name} {seed}: done", file=sys.stderr, flush=True)
    table = pd.DataFrame(
        records, columns=["model", "name", "seed", "variant", "coverage", "interval_score"]
    )
    ref = table[table["variant"] == "window None"].set_index(["model", "name", "seed"])
    keys = list(zip(table["model"], table["name"], table["seed"]))
    table["score"] = table["interval_score"].to_numpy() / ref["interval_score"].loc[keys].to_numpy()
    for (model, variant), part in table.groupby(["model", "variant"], sort=False):
        held = part["name"].isin(list(HELD_OUT))
        line = []
        for panel, sub in (("development", part[~held]), ("held-out", part[held]), ("all", part)):
            cov = sub.groupby("name")["coverage"].mean()
            score = float(np.exp(np.log(sub["score"]).mean()))
            line.append(
                f"{panel} {cov.between(0.75, 0.85).sum():>2}/{len(cov):<2} "
                f"d {np.mean(np.abs(cov - COVERAGE)):.3f} score {score:.3f}"
            )
        print(f"{model:>24} {variant:>12}: " + " | ".join(line))


if __name__ == "__main__":
    main()
