"""Accuracy of recurrent text classifiers against bag-of-words baselines across data sets.

The development panel of the classifier's defaults: SUBJ, CR and MPQA (short
sentences; stratified 10-fold CV as the literature reports, the same folds for
every model), SMS spam (short messages, the same protocol), ``ewt-genre`` (the
16,622 sentences of the Universal Dependencies English Web Treebank labelled with
the genre of the document they come from: answers, email, newsgroup, reviews,
weblog; five classes, the one multi-class set; 10 folds stratified and grouped
by document, so that no document has sentences on both sides) and IMDB (long
reviews; stratified subsets of the official train and test splits, or the
whole split with ``--imdb-full``; ``imdb-dev`` is a stratified 20k/5k split
of the official training reviews, for IMDB choices that must not read the
test reviews) and ``imdb-rating`` (IMDB's reviews labelled with their star
rating, 1-4 or 7-10: eight classes, the panel's long multi-class set,
imbalanced as the ratings are; subsets stratified by rating, or the whole
split). Every model is a Pipeline from raw text, so
a recurrent model and a bag of words see the same documents; recurrent models
split their early-stopping data from each fold's training part only.

Models are the named models of :mod:`sklearn_rnn.named_models`, ``default``
(``make_pipeline(TextTokenizer(), RNNClassifier())``, what a user writes
first), ``glove`` (``make_pipeline(PretrainedEmbedding(), RNNClassifier())``,
GloVe 6B-50d from the ``glove`` extra), and candidates given as
``--candidate name='{"param": value}'`` (RNNClassifier parameters on top of the
defaults, behind ``TextTokenizer()``; ``glove-NAME`` puts the same
parameters behind ``PretrainedEmbedding()``; ``MODEL@NAME`` sets them on the
classifier of the named model ``MODEL`` instead; a name with ``__`` sets that
Pipeline step's parameter, e.g. ``texttokenizer__max_tokens``). A candidate runs after the
models of ``--models``, unless ``--models`` names it (as NAME or glove-NAME)
and so says where.

    python benchmarks/bench_accuracy.py [--sets subj,cr,mpqa,sms,ewt-genre,imdb,imdb-rating]
        [--models default,bow-bigram,nb-bigram] [--folds 10] [--use-folds K]
        [--candidate NAME=JSON ...] [--imdb-full] [--mode quick|full]
        [--out benchmarks/results/bench_accuracy.json]

``--use-folds K`` scores only the first K of the folds (a quicker study; the
table says so). Prints one table per data set: mean +- sd over folds (or
the test accuracy), fit seconds per fold, the difference to the best
bag-of-words model of the same run, and the published figure where there is
one; then the mean difference over the data sets per model. Writes the
figures (every fold's score) to ``--out``.
"""

import argparse
import gzip
import json
import os
import platform
import shlex
import sys
import time

import numpy as np
import torch
from run_all import cpu_description  # benchmarks/run_all.py, beside this script
from sklearn.base import clone
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline

from sklearn_rnn import PretrainedEmbedding, RNNClassifier, TextTokenizer
from sklearn_rnn.datasets import load_imdb, load_sentence_polarity, load_sms_spam
from sklearn_rnn.named_models import make_model

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared", "data")
BOW = ("bow-unigram", "bow-bigram", "nb-bigram")

#: Published accuracies (%), 10-fold CV for the sentence sets, official split for IMDB.
PUBLISHED = {
    "subj": "CNN-rand 89.6, NBSVM 93.2, CNN 93.4 (Kim 2014; Wang & Manning 2012)",
    "cr": "CNN-rand 79.8, NBSVM 81.8, CNN 85.0",
    "mpqa": "CNN-rand 83.4, NBSVM 86.3, CNN 89.6",
    "sms": "none standard",
    "ewt-genre": "none (a set of this benchmark)",
    "imdb-dev": "none (20k/5k of the official training reviews)",
    "imdb-rating": "none (eight star ratings of the official split)",
    "imdb": "NBSVM-bi 91.2 (Wang & Manning 2012), oh-2LSTMp 91.9 (Johnson & Zhang 2016)",
}


def load_ewt_genre():
    """Sentences of UD English EWT (all three files), their genres, and their documents.

    The genre and the document are read from each sentence's ``sent_id``
    (``weblog-juancole.com_..._063000-0001``: genre ``weblog``, document all
    but the last ``-NNNN``), the text from its ``# text =`` line.
    """
    folder = os.environ.get("SKLEARN_RNN_UD_EWT", os.path.join(SHARED, "ud_english_ewt"))
    X, y, groups = [], [], []
    for subset in ("train", "dev", "test"):
        with gzip.open(os.path.join(folder, f"en_ewt-ud-{subset}.conllu.gz"), "rt") as f:
            sent_id = None
            for line in f:
                if line.startswith("# sent_id = "):
                    sent_id = line[len("# sent_id = ") :].strip()
                elif line.startswith("# text = "):
                    X.append(line[len("# text = ") :].strip())
                    y.append(sent_id.split("-", 1)[0])
                    groups.append(sent_id.rsplit("-", 1)[0])
    return np.array(X, dtype=object), np.array(y), np.array(groups)


def load(name, imdb_full, imdb_n):
    """(X, y, X_test, y_test): test parts None for the cross-validated sets."""
    if name in ("subj", "cr", "mpqa"):
        folder = os.environ.get(
            "SKLEARN_RNN_SENTENCE_POLARITY", os.path.join(SHARED, "sentence_polarity")
        )
        file = {"subj": "subj.all", "cr": "custrev.all", "mpqa": "mpqa.all"}[name]
        X, y = load_sentence_polarity(name, path=os.path.join(folder, file), return_X_y=True)
        return X, y, None, None
    if name == "sms":
        path = os.environ.get(
            "SKLEARN_RNN_SMS_SPAM", os.path.join(SHARED, "sms_spam", "SMSSpamCollection")
        )
        X, y = load_sms_spam(path=path, return_X_y=True)
        return X, y, None, None
    path = os.environ.get("SKLEARN_RNN_IMDB", os.path.join(SHARED, "imdb", "imdb_50k.csv.gz"))
    data = load_imdb(path=path, as_frame=True).frame
    train, test = data.split == "train", data.split == "test"
    target = "rating" if name == "imdb-rating" else "label"
    X, X_test = data.text[train].to_numpy(object), data.text[test].to_numpy(object)
    y, y_test = data[target][train].to_numpy(), data[target][test].to_numpy()
    if name == "imdb-dev":
        # Development split for IMDB choices: 20k/5k of the official training
        # reviews, stratified; the official test reviews are never read.
        X, X_dev, y, y_dev = train_test_split(X, y, test_size=5000, stratify=y, random_state=0)
        return X, y, X_dev, y_dev
    if not imdb_full:
        X, _, y, _ = train_test_split(X, y, train_size=imdb_n, stratify=y, random_state=0)
        X_test, _, y_test, _ = train_test_split(
            X_test, y_test, train_size=imdb_n, stratify=y_test, random_state=0
        )
    return X, y, X_test, y_test


def _with(model, params):
    """``model`` with ``params`` set on its last step; a key with "__" names a
    step's parameter itself (e.g. texttokenizer__min_frequency)."""
    step = model.steps[-1][0]
    return model.set_params(**{k if "__" in k else f"{step}__{k}": v for k, v in params.items()})


def build(name, candidates, mode):
    default = make_pipeline(TextTokenizer(), RNNClassifier(random_state=0))
    glove = make_pipeline(PretrainedEmbedding(random_state=0), RNNClassifier(random_state=0))
    if name == "default":
        return default
    if name == "glove":
        return glove
    if name.startswith("glove-") and name[len("glove-") :] in candidates:
        return _with(glove, candidates[name[len("glove-") :]])
    if name in candidates and "@" in name:  # a named model, its classifier's parameters changed
        return _with(make_model(name.split("@")[0], mode=mode, random_state=0), candidates[name])
    if name in candidates:
        return _with(default, candidates[name])
    return make_model(name, mode=mode, random_state=0)


def evaluate(model, X, y, X_test, y_test, folds):
    """Scores (one per fold, or the test score), fit seconds, parts' scores, validation losses.

    For a stacking model, the parts are its base models refitted on all the
    training data: the same fits as those models alone with the same seed.
    For a network that stops early, each fit's validation loss per epoch
    (what its patience reads); otherwise an empty list.
    """
    scores, fit_s, parts, valid_loss = [], [], {}, []
    splits = folds if X_test is None else [(np.arange(len(X)), None)]
    for train, valid in splits:
        fitted = clone(model)
        start = time.perf_counter()
        fitted.fit(X[train], y[train])
        fit_s.append(time.perf_counter() - start)
        network = fitted.steps[-1][1] if hasattr(fitted, "steps") else fitted
        history = getattr(network, "history_", None)
        if history is not None and "valid_loss" in history[-1]:
            valid_loss.append([float(v) for v in history[:, "valid_loss"]])
        if X_test is None:
            scores.append(float(fitted.score(X[valid], y[valid])))
        else:
            scores.append(float(fitted.score(X_test, y_test)))
        X_eval, y_eval = (X[valid], y[valid]) if X_test is None else (X_test, y_test)
        for name, part in getattr(fitted, "named_estimators_", {}).items():
            # The stack fits its parts on label-encoded targets: decode their predictions.
            labels = fitted.classes_[part.predict(X_eval)]
            parts.setdefault(name, []).append(float(np.mean(labels == np.asarray(y_eval))))
    return scores, fit_s, parts, valid_loss


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="subj,cr,mpqa,sms,ewt-genre,imdb,imdb-rating")
    parser.add_argument("--models", default="default,bow-bigram,nb-bigram")
    parser.add_argument("--candidate", action="append", default=[], metavar="NAME=JSON")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--use-folds", type=int, default=None)
    parser.add_argument("--imdb-full", action="store_true")
    parser.add_argument("--imdb-n", type=int, default=5000)
    parser.add_argument("--mode", default="quick", choices=["quick", "full"])
    parser.add_argument("--out", default=os.path.join(HERE, "results", "bench_accuracy.json"))
    args = parser.parse_args()

    candidates = {}
    for entry in args.candidate:
        name, _, params = entry.partition("=")
        candidates[name] = json.loads(params)
    models = [m for m in args.models.split(",") if m]
    # Candidates not named in --models (as NAME or glove-NAME) run after them.
    models += [c for c in candidates if c not in models and f"glove-{c}" not in models]
    record = {
        "command": shlex.join(["python", os.path.relpath(sys.argv[0]), *sys.argv[1:]]),
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs, torch {torch.__version__}",
        "cpu": cpu_description(),
        "folds": args.folds,
        "use_folds": args.use_folds,
        "candidates": candidates,
        "sets": {},
    }
    for set_name in args.sets.split(","):
        if set_name == "ewt-genre":
            X, y, groups = load_ewt_genre()
            X_test = y_test = None
            cv = StratifiedGroupKFold(args.folds, shuffle=True, random_state=0)
            folds = list(cv.split(X, y, groups))[: args.use_folds]
        else:
            X, y, X_test, y_test = load(set_name, args.imdb_full, args.imdb_n)
            cv = StratifiedKFold(args.folds, shuffle=True, random_state=0)
            folds = list(cv.split(X, y))[: args.use_folds]
        protocol = (
            f"{len(folds)} of {args.folds} stratified folds"
            + (", grouped by document" if set_name == "ewt-genre" else "")
            if X_test is None
            else f"train {len(X)} / test {len(X_test)}"
        )
        print(f"\n{set_name}: {len(X)} documents, {protocol}; published: {PUBLISHED[set_name]}")
        results = {}
        for model_name in models:
            scores, fit_s, parts, valid_loss = evaluate(
                build(model_name, candidates, args.mode), X, y, X_test, y_test, folds
            )
            results[model_name] = {"scores": scores, "fit_s": fit_s}
            if valid_loss:
                results[model_name]["valid_loss"] = valid_loss
            if parts:
                results[model_name]["part_scores"] = parts
                for part, part_scores in parts.items():
                    print(f"    part {part:19s} {100 * np.mean(part_scores):6.2f}")
            print(
                f"  {model_name:24s} {100 * np.mean(scores):6.2f} +- {100 * np.std(scores):4.2f}"
                f"   fit {np.mean(fit_s):7.1f} s",
                flush=True,
            )
        best_bow = max(
            (np.mean(r["scores"]) for m, r in results.items() if m in BOW), default=np.nan
        )
        print(f"  {'model':24s} {'accuracy %':>14s} {'fit s':>9s} {'vs best BoW':>12s}")
        for model_name, r in results.items():
            mean = np.mean(r["scores"])
            # None (JSON null, "n/a" here) when the run has no bag-of-words model.
            r["vs_best_bow"] = None if np.isnan(best_bow) else float(mean - best_bow)
            versus = "n/a" if r["vs_best_bow"] is None else f"{100 * r['vs_best_bow']:+.2f}"
            print(
                f"  {model_name:24s} {100 * mean:7.2f} +-{100 * np.std(r['scores']):5.2f}"
                f" {np.mean(r['fit_s']):9.1f} {versus:>11s}"
            )
        record["sets"][set_name] = {"protocol": protocol, "published": PUBLISHED[set_name]}
        record["sets"][set_name]["results"] = results
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(record, f, indent=1)
    print("\nmean difference to the best bag-of-words model, in points (min, max over sets)")
    for model_name in models:
        diffs = [
            100 * s["results"][model_name]["vs_best_bow"]
            for s in record["sets"].values()
            if model_name in s["results"] and s["results"][model_name]["vs_best_bow"] is not None
        ]
        if not diffs:  # a two-class model and no two-class set, or no bag of words to compare
            continue
        print(f"  {model_name:24s} {np.mean(diffs):+6.2f}   ({min(diffs):+.2f}, {max(diffs):+.2f})")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
