"""How the ``stacked`` named model should combine its two models, on IMDB.

``stacked`` is scikit-learn's ``StackingClassifier``: a logistic regression
fitted on the out-of-fold predictions of a bidirectional LSTM and of
``nb-bigram``. This script computes those predictions once, exactly as the
``StackingClassifier`` does (``cross_val_predict`` with the model's own folds
for the training reviews; each model refitted on all of them for the scored
reviews), and then scores several ways of combining the same predictions, so
that the combiners differ in nothing else:

- ``proba``: a logistic regression on the two positive-class probabilities
  (what ``StackingClassifier(stack_method='predict_proba')`` does);
- ``logit``: a logistic regression on their log-odds;
- ``mean-proba`` / ``mean-logit``: the plain average (nothing fitted).

``--set imdb-dev`` (the default) trains on 20k of the official training
reviews and scores the other 5k, so the choice never reads the test reviews;
``--set imdb`` is the official 25k/25k split (score it once, after choosing).
The predictions are kept in ``--cache`` (an ``.npz``), so ``--cache`` alone
rescoring them costs nothing.

    python benchmarks/bench_stacking.py [--set imdb-dev|imdb] [--network stacked|bilstm]
        [--cache /tmp/stacking_imdb-dev.npz] [--out FILE.json]
"""

import argparse
import json
import os
import platform
import time

import numpy as np
import torch
from bench_accuracy import load
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict

from sklearn_rnn.named_models import make_model

EPS = 1e-6


def logit(p):
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)


def predictions(set_name, network):
    """Out-of-fold probabilities on the training reviews and refitted ones on the scored reviews."""
    X, y, X_test, y_test = load(set_name, imdb_full=True, imdb_n=None)
    stack = make_model("stacked", mode="full", random_state=0)
    estimators = dict(stack.estimators)
    if network == "bilstm":
        estimators["bilstm"] = make_model("bilstm", mode="full", random_state=0)
    out = {"y": np.asarray(y), "y_test": np.asarray(y_test), "fit_s": {}}
    for name, model in estimators.items():
        start = time.perf_counter()
        oof = cross_val_predict(clone(model), X, y, cv=stack.cv, method="predict_proba")
        fitted = clone(model).fit(X, y)
        out[f"{name}_oof"] = oof[:, 1]
        out[f"{name}_test"] = fitted.predict_proba(X_test)[:, 1]
        out["fit_s"][name] = time.perf_counter() - start
        print(f"{name}: {out['fit_s'][name]:.0f} s", flush=True)
    return out


def combine(pred, names):
    y, y_test = pred["y"], pred["y_test"]
    P = np.column_stack([pred[f"{n}_oof"] for n in names])
    P_test = np.column_stack([pred[f"{n}_test"] for n in names])
    scores = {n: float(np.mean((P_test[:, i] > 0.5) == y_test)) for i, n in enumerate(names)}
    for kind, f in (("proba", lambda p: p), ("logit", logit)):
        final = LogisticRegression().fit(f(P), y)
        scores[kind] = float(final.score(f(P_test), y_test))
        scores[f"{kind}_coef"] = final.coef_.ravel().round(4).tolist()
    scores["mean-proba"] = float(np.mean((P_test.mean(axis=1) > 0.5) == y_test))
    scores["mean-logit"] = float(np.mean((logit(P_test).mean(axis=1) > 0) == y_test))
    return scores


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="imdb-dev", choices=["imdb-dev", "imdb"])
    parser.add_argument("--network", default="stacked", choices=["stacked", "bilstm"])
    parser.add_argument("--cache", default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    cache = args.cache or f"/tmp/stacking_{args.set}_{args.network}.npz"
    if os.path.exists(cache):
        data = np.load(cache, allow_pickle=True)
        pred = {k: data[k] for k in data.files}
        pred["fit_s"] = pred["fit_s"].item()
    else:
        pred = predictions(args.set, args.network)
        np.savez(cache, **pred)
    scores = combine(pred, ["bilstm", "nb_bigram"])
    for k, v in scores.items():
        print(f"{k:>12}: {v}")
    if args.out:
        record = {
            "machine": f"{platform.platform()}, {os.cpu_count()} CPUs, torch {torch.__version__}",
            "set": args.set,
            "network": args.network,
            "fit_s": {k: float(v) for k, v in pred["fit_s"].items()},
            "scores": scores,
        }
        with open(args.out, "w") as f:
            json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
