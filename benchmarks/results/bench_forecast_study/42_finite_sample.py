"""Study 42, aside: the finite-sample correction of split conformal prediction.

``ConformalIntervals`` first took numpy's "higher" ``1 - alpha`` quantile of
the ``n`` past errors of a step ("higher": the ``ceil((1 - alpha) (n - 1)) +
1``-th smallest), as studies 41-42 measured it. Split conformal prediction
takes the ``ceil((n + 1) (1 - alpha))``-th smallest ("textbook"), which holds
at least ``1 - alpha`` of a new exchangeable error (Vovk et al. 2005;
Angelopoulos & Bates 2021): the same or one above (at 0.8, one above for 57
of the 96 sizes from 5 to 100). ``ConformalIntervals`` now takes the
textbook's, after this aside. A first
version of this aside took the "higher" quantile at level ``ceil((n + 1) (1 -
alpha)) / n`` ("textbook + 1": one above the textbook's for 92 of the 96).
Where ``n`` is small, as on the short held-out series whose coverage study
42 left at 0.70-0.75, one order statistic matters. Re-scores the models
without a spread on the saved forecasts of study 41 (same replay and summary
as ``42_recent_errors.py``; interval score relative to "higher").

    python 42_finite_sample.py FORECASTS.csv.gz [FORECASTS2.csv.gz ...]
"""

import math
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


class Higher(ConformalIntervals):
    """numpy's "higher" ``1 - alpha`` quantile (the first rule)."""

    def _half_width(self, errors):
        if len(errors) < self.min_errors:
            return np.nan
        level = min(max(1.0 - self.alpha_, 0.0), 1.0)
        return float(np.quantile(errors, level, method="higher"))


class Textbook(ConformalIntervals):
    """The ``ceil((n + 1) (1 - alpha))``-th smallest error (kept in 1..n), written out
    here as a check on the package's."""

    def _half_width(self, errors):
        n = len(errors)
        if n < self.min_errors:
            return np.nan
        k = min(max(math.ceil((n + 1) * (1.0 - self.alpha_)), 1), n)
        return float(np.sort(errors)[k - 1])


class TextbookPlusOne(ConformalIntervals):
    """The first version: "higher" quantile at ``ceil((n + 1) (1 - alpha)) / n``."""

    def _half_width(self, errors):
        n = len(errors)
        if n < self.min_errors:
            return np.nan
        level = min(max(math.ceil((n + 1) * (1.0 - self.alpha_)) / n, 0.0), 1.0)
        return float(np.quantile(errors, level, method="higher"))


def main():
    fc = pd.concat([pd.read_csv(f) for f in sys.argv[1:]], ignore_index=True)
    records = []
    for (model, name, seed), rows in fc.groupby(["model", "name", "seed"]):
        if rows["y_std"].notna().all():
            continue
        ends = {}
        for step in (0.02, 0.05):
            ends[f"step {step}"] = study.adaptive(
                rows, Higher(COVERAGE, step_size=step), spread=False
            )
            for label, cls in (("textbook", Textbook), ("textbook + 1", TextbookPlusOne)):
                ends[f"step {step}, {label}"] = study.adaptive(
                    rows, cls(COVERAGE, step_size=step), spread=False
                )
            shipped = study.adaptive(rows, ConformalIntervals(COVERAGE, step_size=step), False)
            for end, mine in zip(shipped, ends[f"step {step}, textbook"]):
                np.testing.assert_allclose(end, mine)  # the package's rule is the textbook's
        y = rows["y_true"]
        common = ends["step 0.02"][0].notna()
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
    ref = table[table["variant"] == "step 0.02"].set_index(["model", "name", "seed"])
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
        print(f"{model:>24} {variant:>22}: " + " | ".join(line))


if __name__ == "__main__":
    main()
