"""Study 41, aside: adaptive intervals for models without a spread, from their past errors.

``AdaptiveIntervals`` needs a model's standard deviation. A model without one
(Ridge, the last value, the Ridge + Holt-Winters mean) can take the half-width
of its interval from its own errors instead, as split conformal prediction
does: for a window's step ``h``, the ``1 - alpha_t`` quantile of the absolute
errors at step ``h`` observed before the window's origin (from the first test
fold on), with ``alpha_t`` moved after each outcome as ``AdaptiveIntervals``
moves it (``gamma`` 0: plain online conformal). No interval is drawn until a
step has ``MIN_SCORES`` past errors, so coverage is over the windows that have
one ("drawn"). Re-scores the saved forecasts of study 40 (the 21 short series,
seeds 0 and 1) and of the electricity demand (seed 0). A sketch outside the
package.

    python 41_conformal_scores.py FORECASTS.csv.gz [FORECASTS2.csv.gz ...]
"""

import heapq
import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from bench_forecast import HELD_OUT  # noqa: E402

MODELS = ["ridge", "half-rebased ridge", "last value", "ridge-half+hw", "half-rebased lstm"]
A = 0.2
MIN_SCORES = 5


def run(g, gamma):
    """Lower and upper ends of one model's forecasts (one series and seed), all folds."""
    g = g.sort_values(["origin", "step"])
    origins, steps = g["origin"].to_numpy(), g["step"].to_numpy()
    y, p = g["y_true"].to_numpy(), g["y_pred"].to_numpy()
    scores = {h: [] for h in np.unique(steps)}
    a, pending, issued = A, [], 0
    lower, upper = np.full(len(g), np.nan), np.full(len(g), np.nan)
    by_origin = {}
    for i, o in enumerate(origins):
        by_origin.setdefault(o, []).append(i)
    for o in sorted(by_origin):
        while pending and pending[0][0] < o:  # outcomes observed before this origin
            _, _, j = heapq.heappop(pending)
            if not np.isnan(lower[j]):
                a += gamma * (A - float(not lower[j] <= y[j] <= upper[j]))
            scores[steps[j]].append(abs(y[j] - p[j]))
        for i in by_origin[o]:
            past = scores[steps[i]]
            if len(past) >= MIN_SCORES:
                q = (
                    max(past)
                    if a <= 0
                    else np.quantile(past, min(max(1 - a, 0.0), 1.0), method="higher")
                )
                lower[i], upper[i] = p[i] - q, p[i] + q
            heapq.heappush(pending, (o + steps[i] - 1, issued, i))
            issued += 1
    return g, lower, upper


def main():
    fc = pd.concat([pd.read_csv(f) for f in sys.argv[1:]], ignore_index=True)
    fc = fc[fc["model"].isin(MODELS)]
    rows = []
    for (m, name, _), g in fc.groupby(["model", "name", "seed"]):
        for gamma in (0.0, 0.02, 0.05):
            gg, lo, up = run(g, gamma)
            drawn, yt = ~np.isnan(lo), gg["y_true"].to_numpy()
            inside = ((lo <= yt) & (yt <= up))[drawn]
            cov = pd.Series(inside).groupby(gg["fold"].to_numpy()[drawn]).mean().mean()
            rows.append(
                {"model": m, "name": name, "gamma": gamma, "cov": cov, "drawn": drawn.mean()}
            )
    r = pd.DataFrame(rows)
    held = r["name"].isin(list(HELD_OUT))
    for (m, gamma), q in r.groupby(["model", "gamma"], sort=False):
        c = q.groupby("name")["cov"].mean()
        dev = q[~held.loc[q.index]].groupby("name")["cov"].mean().between(0.75, 0.85).sum()
        out = q[held.loc[q.index]].groupby("name")["cov"].mean().between(0.75, 0.85).sum()
        print(
            f"{m:>20}, gamma {gamma}: 75-85% on {c.between(0.75, 0.85).sum()}/{len(c)} "
            f"(development {dev}, held-out {out}), mean distance {np.mean(np.abs(c - 0.8)):.3f}, "
            f"intervals drawn for {q['drawn'].mean():.0%} of the values"
        )


if __name__ == "__main__":
    main()
