"""Study 23 (stop 40): does the character n-gram model add to nb-bigram beyond IMDB?

Bags of n-grams only (no network), stratified 10-fold CV with the folds of
``benchmarks/bench_accuracy.py``: ``nb-bigram``, the character model of the
``stacked`` named model alone, and the two stacked as ``stacked`` stacks
(logistic regression on two-fold out-of-fold probabilities). Kept so that the
study can be rerun (``python 23_nb_char_short_sets.py subj,cr,mpqa,sms`` from
this folder, ``OUT`` naming the JSON it writes); nothing in the package uses it.
"""

import json
import os
import sys
import time

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from bench_accuracy import load  # noqa: E402

from sklearn_rnn.named_models import _nb_char, make_model  # noqa: E402


def models():
    nb = make_model("nb-bigram")
    return {
        "nb-bigram": nb,
        "nb-char": _nb_char(),
        "stack-bigram+char": StackingClassifier(
            [("nb_bigram", nb), ("nb_char", _nb_char())],
            final_estimator=LogisticRegression(),
            cv=StratifiedKFold(2, shuffle=True, random_state=0),
            stack_method="predict_proba",
        ),
    }


out = {}
for name in sys.argv[1].split(","):
    # Two-class sets only: Naive-Bayes weighting is two-class.
    X, y, _, _ = load(name, imdb_full=True, imdb_n=None)
    folds = list(StratifiedKFold(10, shuffle=True, random_state=0).split(X, y))
    X, y = np.asarray(X, dtype=object), np.asarray(y)
    res = {}
    for m, model in models().items():
        t = time.perf_counter()
        scores = [clone(model).fit(X[tr], y[tr]).score(X[te], y[te]) for tr, te in folds]
        res[m] = {
            "scores": scores,
            "mean": float(np.mean(scores)),
            "fit_s": time.perf_counter() - t,
        }
        print(
            name,
            m,
            f"{100 * np.mean(scores):.2f} +- {100 * np.std(scores):.2f}",
            f"{res[m]['fit_s']:.0f} s",
            flush=True,
        )
    d = np.array(res["stack-bigram+char"]["scores"]) - np.array(res["nb-bigram"]["scores"])
    print(
        name,
        f"stack - nb-bigram: {100 * d.mean():+.2f},",
        f"better on {(d > 0).sum()}/10, worse {(d < 0).sum()}",
        flush=True,
    )
    out[name] = res
json.dump(out, open(os.environ.get("OUT", "23_nb_char_short_sets.json"), "w"), indent=1)
