"""Study 41, aside: dynamically-tuned adaptive intervals (DtACI) against one step size.

Gibbs & Candes (2022, "Conformal inference for online prediction with
arbitrary distribution shifts") run several adaptive-interval experts with
different step sizes (here 0.005, 0.01, 0.02, 0.05, 0.1) and weight them by
their recent pinball loss (rate ``eta``, mixing ``sigma``), so that the step
follows how fast the errors change. Re-scores the saved forecasts of study 40
(the 21 short series, seeds 0 and 1) and of the electricity demand (seed 0)
for four models with a spread, against one step size of 0.02 and 0.05. This
replay is a sketch, not the package's code: an expert's miss is judged on its
own level (a level at or below 0.002 never misses, as in the paper), where
``AdaptiveIntervals`` judges the interval it drew, capped at 3.09 standard
deviations; the single-step rows therefore differ slightly from
``41_adaptive_intervals_22series_output.txt``.

    python 41_dtaci.py FORECASTS.csv.gz [FORECASTS2.csv.gz ...]
"""

import heapq
import os
import sys

import numpy as np
import pandas as pd
from scipy.stats import norm

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from bench_forecast import HELD_OUT  # noqa: E402

MODELS = ["half-rebased lstm", "holt-winters", "lstm-half+hw", "lstm"]
A = 0.2
ZMAX = norm.ppf(1 - 0.002 / 2)


def z_of(a):
    return 0.0 if a >= 1 else (ZMAX if a <= 0.002 else norm.ppf(1 - a / 2))


def run(g, gammas, eta, sigma):
    """Lower and upper ends of one model's forecasts (one series and seed), all folds."""
    g = g.sort_values(["origin", "step"])
    origins, steps = g["origin"].to_numpy(), g["step"].to_numpy()
    y, p, s = g["y_true"].to_numpy(), g["y_pred"].to_numpy(), g["y_std"].to_numpy()
    gam = np.array(gammas)
    alph, w = np.full(len(gam), A), np.ones(len(gam))
    lower, upper = np.empty(len(g)), np.empty(len(g))
    pending, issued = [], 0
    by_origin = {}
    for i, o in enumerate(origins):
        by_origin.setdefault(o, []).append(i)
    for o in sorted(by_origin):
        while pending and pending[0][0] < o:  # outcomes observed before this origin
            _, _, j, at_issue = heapq.heappop(pending)
            beta = 2 * (1 - norm.cdf(abs(y[j] - p[j]) / s[j])) if s[j] > 0 else 0.0
            loss = A * (beta - at_issue) - np.minimum(0, beta - at_issue)
            wb = w * np.exp(-eta * loss)
            w = (1 - sigma) * wb / wb.sum() + sigma / len(gam)
            alph = alph + gam * (A - (beta < at_issue))
        z = z_of(float(w / w.sum() @ alph))
        for i in by_origin[o]:
            lower[i], upper[i] = p[i] - z * s[i], p[i] + z * s[i]
            heapq.heappush(pending, (o + steps[i] - 1, issued, i, alph.copy()))
            issued += 1
    return g, lower, upper


def main():
    fc = pd.concat([pd.read_csv(f) for f in sys.argv[1:]], ignore_index=True)
    fc = fc[fc["y_std"].notna() & fc["model"].isin(MODELS)]
    variants = {"one step 0.02": ([0.02], 0, 0), "one step 0.05": ([0.05], 0, 0)}
    for eta in (10, 30, 100):
        for sigma in (0.01, 0.05):
            variants[f"DtACI eta {eta}, sigma {sigma}"] = (
                [0.005, 0.01, 0.02, 0.05, 0.1],
                eta,
                sigma,
            )
    z, rows = norm.ppf(0.9), []
    for (m, name, _), g in fc.groupby(["model", "name", "seed"]):
        err = np.abs(g["y_true"] - g["y_pred"]).to_numpy()
        half = z * g["y_std"].to_numpy()
        own = np.mean(2 * half + 10 * np.maximum(err - half, 0))
        for v, (gammas, eta, sigma) in variants.items():
            gg, lo, up = run(g, gammas, eta, sigma)
            yt = gg["y_true"].to_numpy()
            inside = (lo <= yt) & (yt <= up)
            cov = pd.Series(inside).groupby(gg["fold"].to_numpy()).mean().mean()
            score = np.mean((up - lo) + 10 * (np.maximum(lo - yt, 0) + np.maximum(yt - up, 0)))
            rows.append({"model": m, "name": name, "v": v, "cov": cov, "rel": score / own})
    r = pd.DataFrame(rows)
    r["panel"] = np.where(r["name"].isin(list(HELD_OUT)), "held-out", "development")
    for (m, v), q in r.groupby(["model", "v"], sort=False):
        out = []
        for panel in ("development", "held-out"):
            qq = q[q["panel"] == panel]
            c = qq.groupby("name")["cov"].mean()
            inside, distance = c.between(0.75, 0.85).sum(), np.mean(np.abs(c - 0.8))
            score = np.exp(np.log(qq["rel"]).mean())
            out.append(f"{panel} {inside:>2}/{len(c)} d {distance:.3f} score {score:.3f}")
        c = q.groupby("name")["cov"].mean()
        score = np.exp(np.log(q["rel"]).mean())
        out.append(f"all {c.between(0.75, 0.85).sum()}/{len(c)} score {score:.3f}")
        print(f"{m:>18} {v:>28}: " + " | ".join(out))


if __name__ == "__main__":
    main()
