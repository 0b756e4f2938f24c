"""Study 39: shrink a forecast towards the last value, by a weight chosen on recent windows.

The held-out panel of ``bench_forecast.py`` (stop 75) showed every learned
model losing to the last value on its random-walk-like series. This study
wraps a regressor on windows in ``ShrunkToLast``: the forecast becomes
``last + lam * (model - last)``, with ``lam`` in [0, 1] chosen at fit on the
latest ``fraction`` of the training windows by a clone of the model fitted on
the windows before them (a gap of ``horizon - 1`` windows, so that no early
target lies in the validation period), then the model is refitted on every
window. ``lam`` is a single weight or one per step ahead (``per_step``),
chosen from a grid of 0, 0.1, ..., 1 by the validation MAE.

Prints, per panel, MAE relative to Ridge and the series lost to the last value
and saves the chosen weights (``lambda``: one list per fold, per series and model).

    python 39_shrink_to_last_value.py [--models ridge,ridge-half] [--out FILE.json]

``--models`` also takes ``lstm`` and ``lstm-half`` (the default pipeline, plain and
half re-based, seeded by ``--seed``).
"""

import argparse
import json
import os
import sys

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))

from bench_forecast import (  # noqa: E402
    DEVELOPMENT,
    HELD_OUT,
    SERIES,
    _lstm,
    backtest_series,
)

from sklearn_rnn import RebasedRegressor  # noqa: E402
from sklearn_rnn.backtest import default_forecasters  # noqa: E402

GRID = np.linspace(0, 1, 11)
CHOSEN = []


class ShrunkToLast(RegressorMixin, BaseEstimator):
    def __init__(self, regressor, target=0, fraction=0.2, per_step=False, tag=""):
        self.regressor = regressor
        self.target = target
        self.fraction = fraction
        self.per_step = per_step
        self.tag = tag

    def fit(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        y2 = y.reshape(len(y), -1)
        n, h = len(X), y2.shape[1]
        v = max(1, int(round(self.fraction * n)))
        early = clone(self.regressor).fit(X[: n - v - (h - 1)], y[: n - v - (h - 1)])
        p = np.asarray(early.predict(X[n - v :]), dtype=np.float64).reshape(v, h)
        last = X[n - v :, -1, self.target][:, None]
        err = np.stack([np.abs(last + a * (p - last) - y2[n - v :]) for a in GRID])  # (grid, v, h)
        if self.per_step:
            self.lam_ = GRID[np.argmin(err.mean(axis=1), axis=0)]  # (h,)
        else:
            self.lam_ = np.full(h, GRID[np.argmin(err.mean(axis=(1, 2)))])
        CHOSEN.append((self.tag, self.lam_.tolist()))
        self.regressor_ = clone(self.regressor).fit(X, y)
        self.ndim_ = y.ndim
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=np.float64)
        p = np.asarray(self.regressor_.predict(X), dtype=np.float64).reshape(len(X), -1)
        last = X[:, -1, self.target][:, None]
        out = last + self.lam_ * (p - last)
        return out.ravel() if self.ndim_ == 1 else out


def series_scores(name, kinds, seed):
    reference = default_forecasters(SERIES[name][1])
    ridge = reference["ridge"]
    base = {
        "ridge-half": RebasedRegressor(ridge, rebased_weight=0.5),
        "lstm-half": _lstm({"rebased_weight": 0.5}, seed),
        "lstm": _lstm({}, seed),
    }
    models = {"last": reference["last value"], "ridge": ridge}
    for kind in kinds:
        model = ridge if kind == "ridge" else base[kind]
        if kind != "ridge":
            models[kind] = model
        for per_step in (False, True):
            tag = f"{kind}>last{'/step' if per_step else ''}"
            models[tag] = ShrunkToLast(model, per_step=per_step, tag=f"{name}|{tag}")
    result = backtest_series(name, models)
    return {m: part["mae"].tolist() for m, part in result.groupby("model", sort=False)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="ridge,ridge-half")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--series", default=None, help="comma-separated; default both panels")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    kinds = args.models.split(",")
    panels = {"development": DEVELOPMENT, "held-out": tuple(HELD_OUT)}
    if args.series:
        wanted = args.series.split(",")
        panels = {p: tuple(n for n in names if n in wanted) for p, names in panels.items()}
        panels = {p: names for p, names in panels.items() if names}
    scores = {
        p: {n: series_scores(n, kinds, args.seed) for n in names} for p, names in panels.items()
    }
    if len(panels) == 2:
        panels["both"] = panels["development"] + panels["held-out"]
        scores["both"] = {**scores["development"], **scores["held-out"]}
    models = [
        m for m in next(iter(next(iter(scores.values())).values())) if m not in ("last", "ridge")
    ]
    summary = summarise(scores, panels, models)
    lams = {}
    for tag, lam in CHOSEN:
        lams.setdefault(tag, []).append(lam)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(
                {"command": " ".join(sys.argv), "summary": summary, "lambda": lams, "mae": scores},
                f,
                indent=1,
            )


def summarise(scores, panels, models):
    summary = {}
    for panel, names in panels.items():
        print(f"\n{panel} panel ({len(names)} series)")
        for m in models:
            s = scores[panel]
            rel = {n: float(np.mean(np.divide(s[n][m], s[n]["ridge"]))) for n in names}
            vs_last = {n: float(np.mean(np.divide(s[n][m], s[n]["last"]))) for n in names}
            gm = float(np.exp(np.mean(np.log(list(rel.values())))))
            gl = float(np.exp(np.mean(np.log(list(vs_last.values())))))
            won = [n for n, r in rel.items() if r < 1 - 1e-4]
            lost = [n for n, r in vs_last.items() if r > 1 + 1e-4]
            summary.setdefault(panel, {})[m] = {
                "vs_ridge": gm,
                "vs_last": gl,
                "per_series_vs_ridge": rel,
                "per_series_vs_last": vs_last,
                "won": won,
                "lost_to_last_value": lost,
            }
            print(
                f"  {m:>22}: {gm:.3f} x Ridge ({min(rel.values()):.2f}-{max(rel.values()):.2f}), "
                f"ahead {len(won)}/{len(names)}; {gl:.3f} x last; loses to last on {len(lost)}: "
                + ", ".join(f"{n} {vs_last[n]:.3f}" for n in lost)
            )
    return summary


if __name__ == "__main__":
    main()
