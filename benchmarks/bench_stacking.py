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

``--extra NAME`` (repeatable) adds a third model's predictions, computed the
same way with the stack's own folds and cached beside the others: each
combiner is then also scored on the network with ``NAME`` in place of
``nb-bigram``, on all three, and on the two bag-of-words models without the
network (what the network adds). The extra models are bag-of-words models
defined here, not named models of the package:

- ``nb-trigram``: ``nb-bigram`` with word trigrams too (NBSVM-trigram, Mesnil
  et al. 2014);
- ``nb-char``: ``nb-bigram``'s pipeline on character 2-5-grams within words.

``--set imdb-dev`` (the default) trains on 20k of the official training
reviews and scores the other 5k, so the choice never reads the test reviews;
``--set imdb`` is the official 25k/25k split (score it once, after choosing).
The predictions are kept in ``--cache`` (an ``.npz``), so ``--cache`` alone
rescoring them costs nothing.

    python benchmarks/bench_stacking.py [--set imdb-dev|imdb] [--network stacked|bilstm]
        [--extra nb-trigram] [--cache /tmp/stacking_imdb-dev.npz] [--out FILE.json]
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
from sklearn.feature_extraction.text import strip_tags
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import make_pipeline

from sklearn_rnn import NGramVectorizer
from sklearn_rnn.naive_bayes import NaiveBayesWeighting
from sklearn_rnn.named_models import make_model

EPS = 1e-6


def logit(p):
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)


def extra_model(name):
    """A bag-of-words model for ``--extra``."""
    if name == "nb-trigram":
        vectorizer = NGramVectorizer(
            ngram_range=(1, 3), output_mode="binary", preprocessor=strip_tags
        )
    elif name == "nb-char":
        vectorizer = NGramVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), output_mode="binary", preprocessor=strip_tags
        )
    else:
        raise ValueError(f"unknown --extra {name!r}")
    return make_pipeline(vectorizer, NaiveBayesWeighting(), LogisticRegression(C=1, max_iter=1000))


def predictions(set_name, network, extra=None):
    """Out-of-fold probabilities on the training reviews and refitted ones on the scored reviews.

    With ``extra``, that bag-of-words model's only (with the stack's folds).
    """
    X, y, X_test, y_test = load(set_name, imdb_full=True, imdb_n=None)
    stack = make_model("stacked", mode="full", random_state=0)
    estimators = dict(stack.estimators)
    if network == "bilstm":
        estimators["bilstm"] = make_model("bilstm", mode="full", random_state=0)
    if extra is not None:
        estimators = {extra.replace("-", "_"): extra_model(extra)}
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


def _load(path):
    """Cached predictions, as :func:`predictions` returned them."""
    data = np.load(path, allow_pickle=True)
    pred = {k: data[k] for k in data.files}
    pred["fit_s"] = pred["fit_s"].item()
    return pred


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="imdb-dev", choices=["imdb-dev", "imdb"])
    parser.add_argument("--network", default="stacked", choices=["stacked", "bilstm"])
    parser.add_argument("--extra", action="append", default=[], choices=["nb-trigram", "nb-char"])
    parser.add_argument("--cache", default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    cache = args.cache or f"/tmp/stacking_{args.set}_{args.network}.npz"
    if os.path.exists(cache):
        pred = _load(cache)
    else:
        pred = predictions(args.set, args.network)
        np.savez(cache, **pred)
    sets = {"bilstm+nb_bigram": ["bilstm", "nb_bigram"]}
    for extra in args.extra:
        path = cache.replace(".npz", f"_{extra}.npz")
        if os.path.exists(path):
            more = _load(path)
        else:
            more = predictions(args.set, args.network, extra=extra)
            np.savez(path, **more)
        np.testing.assert_array_equal(more["y"], pred["y"])
        key = extra.replace("-", "_")
        pred.update({k: v for k, v in more.items() if k.startswith(key)})
        pred["fit_s"][key] = more["fit_s"][key]
        sets[f"bilstm+{key}"] = ["bilstm", key]
        sets[f"bilstm+nb_bigram+{key}"] = ["bilstm", "nb_bigram", key]
        sets[f"nb_bigram+{key}"] = ["nb_bigram", key]
    scores = {}
    for label, names in sets.items():
        scores[label] = combine(pred, names)
        print(label)
        for k, v in scores[label].items():
            print(f"{k:>14}: {v}")
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
