"""Stop 65: new views of a review as members of the ``stacked`` named model, on the IMDB
development split (20k/5k of the official training reviews; the test reviews are not read).

Each candidate is ``nb-bigram``'s pipeline (binary word 1-2-grams, Naive-Bayes weighting,
logistic regression) on another view of the review, computed as ``StackingClassifier``
computes its members (out-of-fold probabilities with the stack's two folds, then a refit on
all 20k) and combined with the stack's own four members, read from the cache that
``benchmarks/bench_stacking.py --set imdb-dev --cache CACHE`` writes:

- ``negation``: words after a negation (not, no, never, ...n't, ...) up to the next
  punctuation mark carry a ``not_`` prefix (Das & Chen 2001; Pang et al. 2002), so that
  "not good" and "good" are different words, also in the unigrams: ``NGramVectorizer``'s
  ``negation=True``, the ``stacked`` model's fifth member since this stop;
- ``ending``: the review's last three sentences only (where the verdict usually is);
- ``opening``: its first two sentences only.

    python benchmarks/results/bench_accuracy_study/62_imdb_dev_stack_views.py CACHE [--out FILE]
    python benchmarks/results/bench_accuracy_study/62_imdb_dev_stack_views.py \
        subj,cr,mpqa,sms,ewt-genre,imdb-rating --short [--out FILE]

``--short``: the panel's other sets, bags of n-grams only (no network): see
:func:`short_sets`.

Prints, for each candidate: its accuracy alone, the stack with it as a fifth member against
the stack as shipped (the same predictions otherwise), the reviews won and lost, and the
two-sided sign test.
"""

import argparse
import json
import os
import re
import sys
import time

import numpy as np
from scipy.stats import binomtest
from sklearn.base import clone
from sklearn.ensemble import StackingClassifier
from sklearn.feature_extraction.text import strip_tags
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from bench_accuracy import evaluate, load, load_ewt_genre  # noqa: E402

from sklearn_rnn import NGramVectorizer  # noqa: E402
from sklearn_rnn.named_models import _nb_char, _nb_negation, _nb_pipeline, make_model  # noqa: E402

MEMBERS = ("bilstm", "nb_bigram", "nb_char", "nb_char_across")
SENTENCE = re.compile(r"(?<=[.!?])\s+")


def ending(text, n=3):
    return " ".join(SENTENCE.split(strip_tags(text).strip())[-n:])


def opening(text, n=2):
    return " ".join(SENTENCE.split(strip_tags(text).strip())[:n])


VIEWS = {"ending": ending, "opening": opening}


def member(view):
    if view == "negation":
        return _nb_negation()
    return _nb_pipeline(
        NGramVectorizer(ngram_range=(1, 2), output_mode="binary", preprocessor=VIEWS[view])
    )


def stack_score(P, y, P_test, y_test):
    final = LogisticRegression().fit(P, y)
    return final.predict(P_test), final.coef_.ravel().round(3).tolist()


def bags_stack(*extra):
    """``stacked`` without its network, with ``extra`` members after its three bags."""
    return StackingClassifier(
        [
            ("nb_bigram", make_model("nb-bigram")),
            ("nb_char", _nb_char()),
            ("nb_char_across", _nb_char(analyzer="char", ngram_range=(1, 5))),
            *extra,
        ],
        final_estimator=LogisticRegression(),
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
        stack_method="predict_proba",
    )


def short_sets(names, out):
    """Bags of n-grams only, the panel's 10 folds (``imdb-rating``: its 5k/5k
    subsets): nb-bigram against the negation view alone, and the stack's bags
    with and without it."""
    record = {}
    models = {
        "nb-bigram": lambda: make_model("nb-bigram"),
        "negation": lambda: member("negation"),
        "bags": bags_stack,
        "bags+negation": lambda: bags_stack(("negation", member("negation"))),
    }
    for name in names:
        X_test = y_test = folds = None
        if name == "imdb-rating":  # eight classes, the panel's 5k/5k subsets
            X, y, X_test, y_test = load(name, imdb_full=False, imdb_n=5000)
        elif name == "ewt-genre":  # the panel's folds: stratified, grouped by document
            X, y, groups = load_ewt_genre()
            X, y = np.asarray(X, dtype=object), np.asarray(y)
            folds = list(StratifiedGroupKFold(10, shuffle=True, random_state=0).split(X, y, groups))
        else:
            X, y, _, _ = load(name, imdb_full=True, imdb_n=None)
            X, y = np.asarray(X, dtype=object), np.asarray(y)
            folds = list(StratifiedKFold(10, shuffle=True, random_state=0).split(X, y))
        res = {}
        for m, make in models.items():
            scores, fit_s, _, _ = evaluate(make(), X, y, X_test, y_test, folds)
            res[m] = {
                "scores": scores,
                "mean": float(np.mean(scores)),
                "fit_s": float(np.sum(fit_s)),
            }
            print(name, m, f"{100 * np.mean(scores):.2f} +- {100 * np.std(scores):.2f}", flush=True)
        for a, b in (("negation", "nb-bigram"), ("bags+negation", "bags")):
            d = np.array(res[a]["scores"]) - np.array(res[b]["scores"])
            res[f"{a} - {b}"] = {
                "mean": float(d.mean()),
                "better": int((d > 0).sum()),
                "worse": int((d < 0).sum()),
            }
            print(
                name,
                f"{a} - {b}: {100 * d.mean():+.2f}, better on {(d > 0).sum()}/{len(d)},",
                f"worse {(d < 0).sum()}",
                flush=True,
            )
        record[name] = res
    if out:
        with open(out, "w") as f:
            json.dump(record, f, indent=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cache", help="bench_stacking's cache, or --short SETS")
    parser.add_argument("--short", action="store_true")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.short:
        return short_sets(args.cache.split(","), args.out)
    cached = np.load(args.cache, allow_pickle=True)
    X, y, X_test, y_test = load("imdb-dev", imdb_full=True, imdb_n=None)
    np.testing.assert_array_equal(cached["y"], y)
    np.testing.assert_array_equal(cached["y_test"], y_test)
    cv = StratifiedKFold(2, shuffle=True, random_state=0)  # the stack's folds
    P = np.column_stack([cached[f"{m}_oof"] for m in MEMBERS])
    P_test = np.column_stack([cached[f"{m}_test"] for m in MEMBERS])
    base, base_coef = stack_score(P, y, P_test, y_test)
    base_right = base == y_test
    record = {"stack": {"accuracy": float(base_right.mean()), "coef": base_coef}}
    print(f"stack as shipped: {100 * base_right.mean():.2f}  coef {base_coef}")
    for view in ("negation", *VIEWS):
        start = time.perf_counter()
        model = member(view)
        oof = cross_val_predict(clone(model), X, y, cv=cv, method="predict_proba")[:, 1]
        test = clone(model).fit(X, y).predict_proba(X_test)[:, 1]
        seconds = time.perf_counter() - start
        alone = float(np.mean((test > 0.5) == y_test))
        pred, coef = stack_score(
            np.column_stack([P, oof]), y, np.column_stack([P_test, test]), y_test
        )
        right = pred == y_test
        won, lost = int(np.sum(right & ~base_right)), int(np.sum(~right & base_right))
        p = binomtest(won, won + lost).pvalue if won + lost else 1.0
        record[view] = {
            "alone": alone,
            "stack_with": float(right.mean()),
            "won": won,
            "lost": lost,
            "sign_test_p": float(p),
            "coef": coef,
            "fit_s": seconds,
        }
        print(
            f"{view:9s} alone {100 * alone:.2f}  stack {100 * right.mean():.2f} "
            f"(won {won}, lost {lost}, p={p:.2f})  coef {coef}  {seconds:.0f} s",
            flush=True,
        )
    if args.out:
        with open(args.out, "w") as f:
            json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
