"""How the ``stacked`` named model should combine its models, on IMDB.

``stacked`` is scikit-learn's ``StackingClassifier``: a logistic regression
fitted on the out-of-fold predictions of a bidirectional LSTM, of
``nb-bigram``, of the same pipeline on character 2-5-grams within words
(``nb_char``) and on character 1-5-grams across them (``nb_char_across``,
since stop 61), of ``nb-bigram`` with the words after a negation marked
(``nb_negation``, since stop 65), and of a recurrent language model per class
(``lm``, ``RNNLMClassifier`` on the network's tokens, since stop 68). This
script computes those predictions once, exactly as the ``StackingClassifier``
does (``cross_val_predict`` with the model's own folds
for the training reviews; each model refitted on all of them for the scored
reviews), and then scores several ways of combining the same predictions, so
that the combiners differ in nothing else:

- ``proba``: a logistic regression on the positive-class probabilities
  (what ``StackingClassifier(stack_method='predict_proba')`` does);
- ``logit``: a logistic regression on their log-odds;
- ``mean-proba`` / ``mean-logit``: the plain average (nothing fitted).

Each combiner is scored on the stack as shipped, on the stack before ``lm``
joined it, before ``nb_negation`` did and before ``nb_char_across`` did, on
the network with ``nb-bigram`` (before the character models joined), on the
stack without the network (what the network adds; with ``lm``, the language
models in the network's place) and on the four bags of n-grams alone. The
stack as shipped is compared review by review (the logistic regression on
probabilities, as ``StackingClassifier`` combines) with the stack before
``lm`` joined and with the stack without the network: reviews won, lost and
the two-sided sign test.
``--extra nb-trigram`` adds ``nb-bigram`` with word trigrams too
(NBSVM-trigram, Mesnil et al. 2014), computed the same way with the stack's
own folds and cached beside the others: scored beside the network, in place
of ``nb-bigram``, and as a fourth model. ``--extra bilstm-glove`` does the
same with the ``bilstm-glove`` named model (full sizes; needs ``[glove]``).
(The runs of stop 61 that chose ``nb_char_across`` had it as ``--extra
nb-char15``, the same pipeline; the runs of stop 67 that chose ``lm`` had it as
``--extra lm``, the same pipeline, cached in a file of its own.)

``--folds K`` computes every out-of-fold prediction with K stratified folds
instead of the stack's two (the refitted predictions are the same).
``--seed S`` (default 0) is the named models' ``random_state``: the network's
seed and the stack's two folds, so that a run per seed shows how far the
scores move with them alone. A cache holds one seed's predictions: another
seed's cache is refused (caches written before ``--seed`` hold seed 0's).

``--network stacked-ngrams`` gives the stack's network the linear n-gram path
(``linear_ngrams=2``, as in ``bilstm-ngrams``); ``--network bilstm`` puts the
``bilstm`` named model in its place; ``--network stacked-ensemble`` makes it two
of the stack's networks trained side by side and averaged (``ensemble_size=2``,
as in ``bilstm-ensemble``); ``--network stacked-negation`` has the stack's
network read the words after a negation marked (``texttokenizer__negation=True``).

``--set imdb-dev`` (the default) trains on 20k of the official training
reviews and scores the other 5k, so the choice never reads the test reviews;
``--set imdb`` is the official 25k/25k split (score it once, after choosing).
The predictions are kept in ``--cache`` (an ``.npz``), so ``--cache`` alone
rescoring them costs nothing; a cache without a member of the stack (written
before it joined) gets that member's predictions added.

    python benchmarks/bench_stacking.py [--set imdb-dev|imdb]
        [--network stacked|bilstm|stacked-ngrams|stacked-ensemble|stacked-negation]
        [--extra nb-trigram]
        [--extra bilstm-glove] [--folds K] [--seed S]
        [--cache /tmp/stacking_imdb-dev.npz]
        [--out FILE.json]
"""

import argparse
import json
import os
import platform
import time

import numpy as np
import torch
from bench_accuracy import load
from run_all import cpu_description  # benchmarks/run_all.py, beside this script
from scipy.stats import binomtest
from sklearn.base import clone
from sklearn.feature_extraction.text import strip_tags
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from sklearn_rnn import NGramVectorizer
from sklearn_rnn.named_models import _nb_pipeline, make_model

EPS = 1e-6


def logit(p):
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)


#: The bag-of-words models of ``--extra``, by the name of their predictions.
EXTRAS = {
    "nb_trigram": lambda seed: _nb_pipeline(  # deterministic: no seed to set
        NGramVectorizer(ngram_range=(1, 3), output_mode="binary", preprocessor=strip_tags)
    ),
    "bilstm_glove": lambda seed: make_model("bilstm-glove", mode="full", random_state=seed),
}


def predictions(set_name, network, names, folds=None, seed=0):
    """Out-of-fold probabilities on the training reviews and refitted ones on the scored reviews.

    ``names``: members of the stack or ``EXTRAS`` (each with the stack's
    folds, or ``folds`` stratified folds). ``seed`` is the named models'
    ``random_state``: the networks' seed and the stack's folds.
    """
    X, y, X_test, y_test = load(set_name, imdb_full=True, imdb_n=None)
    stack = make_model("stacked", mode="full", random_state=seed)
    if folds is not None:
        stack.set_params(cv=StratifiedKFold(folds, shuffle=True, random_state=seed))
    estimators = dict(stack.estimators)
    if network == "bilstm":
        estimators["bilstm"] = make_model("bilstm", mode="full", random_state=seed)
    if network == "stacked-ngrams":  # the stack's network with the linear n-gram path
        estimators["bilstm"].set_params(rnnclassifier__linear_ngrams=2)
    if network == "stacked-ensemble":  # two of the stack's networks, averaged
        estimators["bilstm"].set_params(rnnclassifier__ensemble_size=2)
    if network == "stacked-negation":  # the stack's network reading negation-marked words
        estimators["bilstm"].set_params(texttokenizer__negation=True)
    estimators |= {name: make(seed) for name, make in EXTRAS.items()}
    out = {"y": np.asarray(y), "y_test": np.asarray(y_test), "fit_s": {}}
    for name in names:
        model = estimators[name]
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


def compare_stacks(pred, names, reference):
    """Reviews the stack of ``names`` gets right and ``reference``'s gets wrong, and back.

    Both combined by a logistic regression on the probabilities (the
    ``proba`` combiner); the p-value is the two-sided sign test on the
    reviews where they differ.
    """
    right = {}
    for key, members in (("new", names), ("reference", reference)):
        P = np.column_stack([pred[f"{n}_oof"] for n in members])
        P_test = np.column_stack([pred[f"{n}_test"] for n in members])
        right[key] = LogisticRegression().fit(P, pred["y"]).predict(P_test) == pred["y_test"]
    won = int(np.sum(right["new"] & ~right["reference"]))
    lost = int(np.sum(~right["new"] & right["reference"]))
    p = binomtest(won, won + lost).pvalue if won + lost else 1.0
    return {"won": won, "lost": lost, "sign_test_p": round(float(p), 4)}


def _load(path):
    """Cached predictions, as :func:`predictions` returned them."""
    data = np.load(path, allow_pickle=True)
    pred = {k: data[k] for k in data.files}
    pred["fit_s"] = pred["fit_s"].item()
    return pred


def _cached(path, set_name, network, names, folds=None, seed=0):
    """The predictions of ``names`` from the cache at ``path``, computing (and caching) any missing.

    A cache written before a model joined the stack gets that model added.
    """
    pred = _load(path) if os.path.exists(path) else {"fit_s": {}, "seed": np.array(seed)}
    # Caches written before --seed existed hold seed 0's predictions.
    cached_seed = int(pred.get("seed", 0))
    if cached_seed != seed:
        raise ValueError(f"{path} holds the predictions of seed {cached_seed}, not {seed}.")
    missing = [name for name in names if f"{name}_oof" not in pred]
    if missing:
        more = predictions(set_name, network, missing, folds, seed)
        if "y" in pred:
            np.testing.assert_array_equal(more["y"], pred["y"])
        pred["fit_s"] |= more.pop("fit_s")
        pred |= more
        pred["seed"] = np.array(seed)
        np.savez(path, **pred)
    return pred


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="imdb-dev", choices=["imdb-dev", "imdb"])
    parser.add_argument(
        "--network",
        default="stacked",
        choices=["stacked", "bilstm", "stacked-ngrams", "stacked-ensemble", "stacked-negation"],
    )
    parser.add_argument(
        "--extra", action="append", default=[], choices=[k.replace("_", "-") for k in EXTRAS]
    )
    parser.add_argument("--folds", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    folds = f"_cv{args.folds}" if args.folds else ""
    seed = f"_seed{args.seed}" if args.seed else ""
    cache = args.cache or f"/tmp/stacking_{args.set}_{args.network}{folds}{seed}.npz"
    members = [name for name, _ in make_model("stacked").estimators]

    def cached(path, names):
        try:
            return _cached(path, args.set, args.network, names, args.folds, args.seed)
        except ValueError as error:  # a cache of another seed
            parser.error(str(error))

    pred = cached(cache, members)
    sets = {
        "+".join(members): members,
        "+".join(members[:-1]): members[:-1],
        "+".join(members[:-2]): members[:-2],
        "bilstm+nb_bigram+nb_char": ["bilstm", "nb_bigram", "nb_char"],
        "bilstm+nb_bigram": ["bilstm", "nb_bigram"],
        "+".join(members[1:]): members[1:],
        "+".join(members[1:-1]): members[1:-1],
    }
    for extra in args.extra:
        key = extra.replace("-", "_")
        more = cached(cache.replace(".npz", f"_{extra}.npz"), [key])
        np.testing.assert_array_equal(more["y"], pred["y"])
        pred[f"{key}_oof"], pred[f"{key}_test"] = more[f"{key}_oof"], more[f"{key}_test"]
        pred["fit_s"][key] = more["fit_s"][key]
        sets[f"bilstm+{key}"] = ["bilstm", key]
        sets[f"bilstm+nb_bigram+{key}"] = ["bilstm", "nb_bigram", key]
        sets["+".join([*members, key])] = [*members, key]
        sets[f"nb_bigram+{key}"] = ["nb_bigram", key]
        sets["+".join([key, *members[1:]])] = [key, *members[1:]]  # in the network's place
    scores = {}
    for label, names in sets.items():
        scores[label] = combine(pred, names)
        print(label)
        for k, v in scores[label].items():
            print(f"{k:>14}: {v}")
    pairs = [(members, members[:-1]), (members, members[1:])]
    for extra in args.extra:  # the stack with it, and with it in the network's place
        key = extra.replace("-", "_")
        pairs += [([*members, key], members), ([key, *members[1:]], members)]
    paired = {}
    for new, reference in pairs:
        label = f"{'+'.join(new)} vs {'+'.join(reference)}"
        paired[label] = compare_stacks(pred, new, reference)
        print(f"{label}: {paired[label]}")
    if args.out:
        record = {
            "machine": f"{platform.platform()}, {os.cpu_count()} CPUs, torch {torch.__version__}",
            "cpu": cpu_description(),
            "set": args.set,
            "network": args.network,
            "folds": args.folds or 2,
            "seed": args.seed,
            "fit_s": {k: float(v) for k, v in pred["fit_s"].items()},
            "scores": scores,
            "paired": paired,
        }
        with open(args.out, "w") as f:
            json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
