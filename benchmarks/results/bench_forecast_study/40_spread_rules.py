"""Study 40, intervals: how a combination's spread is best built from its parts' spreads.

Reads the forecasts that ``40_combined_with_holt_winters.py --intervals
--forecasts FILE`` saved (every test window of both panels, seeds 0 and 1) and
scores the 80% intervals of the two LSTM + Holt-Winters means under several
rules for their standard deviation: the mean of the parts' (what
``ForecastCombination`` ships), their root mean square, the spread of the mean
of independent errors, the mixture of the two forecasts (which adds their
disagreement), the geometric mean, the smaller one, and each part's alone.
Prints, per rule, the series whose coverage (folds averaged, then seeds) lies
in 75-85%, the mean distance from 0.80 and the range.

    python 40_spread_rules.py FORECASTS.csv.gz [--out TABLE.csv]
"""

import argparse

import numpy as np
import pandas as pd
from scipy.stats import norm

HELD_OUT = [
    "elec-equip",
    "austres",
    "heartrate",
    "msft",
    "cpi",
    "realinv",
    "tbilrate",
    "infl",
    "m1",
]
PAIRS = {
    "half re-based LSTM + HW": ("half-rebased lstm", "holt-winters"),
    "LSTM + HW": ("lstm", "holt-winters"),
}


def coverage(pred, std, truth, z):
    inside = (np.abs(pred - truth) <= z * std).groupby(level=["name", "seed", "fold"]).mean()
    return inside.groupby(level="name").mean()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("forecasts")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    fc = pd.read_csv(args.forecasts)
    z = norm.ppf(0.9)
    key = ["name", "seed", "fold", "series", "origin", "step"]
    wide = fc.pivot_table(index=key, columns="model", values=["y_pred", "y_std"])
    truth = fc.groupby(key)["y_true"].first().loc[wide.index]
    table = {}
    for combo, (a, b) in PAIRS.items():
        ma, mb = wide["y_pred"][a], wide["y_pred"][b]
        sa, sb = wide["y_std"][a], wide["y_std"][b]
        mean = (ma + mb) / 2
        rules = {
            "mean of sds (shipped)": (sa + sb) / 2,
            "root mean square": np.sqrt((sa**2 + sb**2) / 2),
            "independent errors": np.sqrt(sa**2 + sb**2) / 2,
            "mixture": np.sqrt((sa**2 + sb**2) / 2 + ((ma - mb) / 2) ** 2),
            "geometric mean": np.sqrt(sa * sb),
            "smaller sd": np.minimum(sa, sb),
            "the learned model's sd": sa,
            "Holt-Winters' sd": sb,
        }
        for rule, sd in rules.items():
            table[(combo, rule)] = coverage(mean, sd, truth, z)
    for part in ("half-rebased lstm", "lstm", "holt-winters"):
        table[(part, "its own")] = coverage(wide["y_pred"][part], wide["y_std"][part], truth, z)
    table = pd.DataFrame(table)
    development = [n for n in table.index if n not in HELD_OUT]
    for (model, rule), cov in table.items():
        inside = cov.between(0.75, 0.85)
        print(
            f"{model:>24}, {rule:>22}: 75-85% on {inside.sum():>2}/{len(cov)} (development "
            f"{inside[development].sum()}, held-out {inside[HELD_OUT].sum()}), mean distance "
            f"from 0.80 {np.mean(np.abs(cov - 0.8)):.3f}, {cov.min():.2f}-{cov.max():.2f}"
        )
    if args.out:
        table.to_csv(args.out)


if __name__ == "__main__":
    main()
