"""Stop 64: ``nb-bigram`` (one-vs-rest since this stop) and stacked bags of n-grams on the
panel's two multi-class sets, scored without any network.

    python benchmarks/results/bench_accuracy_study/61_multiclass_nb.py ewt-genre
    python benchmarks/results/bench_accuracy_study/61_multiclass_nb.py imdb-rating [--full]
    python benchmarks/results/bench_accuracy_study/61_multiclass_nb.py bags-stacked

``ewt-genre``: the panel's 10 folds (stratified, grouped by document);
``imdb-rating``: the 5k/5k stratified subsets, or with ``--full`` the 25k/25k split;
``bags-stacked``: the ``stacked`` named model without its network (its three bags of
n-grams, its combiner and folds) on the first 3 ewt-genre folds and on imdb-rating 5k/5k.
"""

import os
import sys
import time

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import StackingClassifier
from sklearn.model_selection import StratifiedGroupKFold

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from bench_accuracy import load, load_ewt_genre  # noqa: E402

from sklearn_rnn.named_models import make_model  # noqa: E402

MODELS = ("bow-unigram", "bow-bigram", "nb-bigram")


def ewt_folds(n=10):
    X, y, groups = load_ewt_genre()
    X, y = np.asarray(X, dtype=object), np.asarray(y)
    folds = list(StratifiedGroupKFold(10, shuffle=True, random_state=0).split(X, y, groups))
    return X, y, folds[:n]


def _points(scores, decimals):
    return np.round(100 * np.array(scores), decimals).tolist()


def main(which, full=False):
    if which == "ewt-genre":
        X, y, folds = ewt_folds()
        for name in MODELS:
            start, scores = time.perf_counter(), []
            for train, test in folds:
                scores.append(make_model(name).fit(X[train], y[train]).score(X[test], y[test]))
            print(
                f"{which} {name:12s} {100 * np.mean(scores):.2f} +- {100 * np.std(scores):.2f}"
                f"  {time.perf_counter() - start:.0f} s  folds {_points(scores, 1)}",
                flush=True,
            )
    elif which == "imdb-rating":
        X, y, X_test, y_test = load("imdb-rating", full, 5000)
        for name in MODELS:
            start = time.perf_counter()
            score = make_model(name).fit(X, y).score(X_test, y_test)
            print(
                f"{which} {name:12s} {100 * score:.2f}  {time.perf_counter() - start:.0f} s",
                flush=True,
            )
    else:
        stack = make_model("stacked")
        bags = StackingClassifier(
            stack.estimators[1:],
            final_estimator=clone(stack.final_estimator),
            cv=stack.cv,
            stack_method="predict_proba",
        )
        X, y, folds = ewt_folds(3)
        scores = [clone(bags).fit(X[tr], y[tr]).score(X[te], y[te]) for tr, te in folds]
        print(f"ewt-genre bags stacked {_points(scores, 2)} {100 * np.mean(scores):.2f}")
        X, y, X_test, y_test = load("imdb-rating", False, 5000)
        print(
            f"imdb-rating 5k bags stacked {100 * clone(bags).fit(X, y).score(X_test, y_test):.2f}"
        )


if __name__ == "__main__":
    main(sys.argv[1], full="--full" in sys.argv)
