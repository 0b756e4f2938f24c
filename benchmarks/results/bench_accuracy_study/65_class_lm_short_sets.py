"""Study 65 (stop 67): a language model per class beside the stack's bags, on the short-text panel.

On the IMDB development split ``RNNLMClassifier`` (one recurrent language
model per class, Mesnil et al. 2014) lifted the stack where no discriminative
network had (``65_imdb_dev_class_lm.json``). This script asks the same
question on the panel's two-class short-text sets, stratified 10-fold CV with
the folds of ``benchmarks/bench_accuracy.py``: the language models alone (the
pipeline of stop 67's ``bench_stacking.py --extra lm``, since stop 68 the
``stacked`` named model's ``lm`` member), the stack's four bags of n-grams
stacked as ``stacked`` stacks them (logistic regression on two-fold
out-of-fold probabilities, no network), and the same with the language
models as a fifth member. Also the panel's multi-class sets: the EWT genres
(folds grouped by document) and the IMDB star ratings (the 5k/5k subsets, one
test score). Rerun with ``python 65_class_lm_short_sets.py
cr,subj,mpqa,sms,ewt-genre,imdb-rating`` from this folder (``OUT`` names the
JSON, into which the sets' results are merged; ``MODELS=bags,bags+lm`` leaves
out the language models alone); nothing in the package uses it.
"""

import json
import os
import sys

import numpy as np
from sklearn.ensemble import StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from bench_accuracy import evaluate, load, load_ewt_genre  # noqa: E402

from sklearn_rnn.named_models import make_model  # noqa: E402


def stack(with_lm, seed=0):
    # The stacked named model's members (since stop 68 it holds the language
    # models: the same pipeline as stop 67's bench_stacking --extra lm).
    members = dict(make_model("stacked", mode="full", random_state=seed).estimators)
    del members["bilstm"]
    lm = members.pop("lm")
    if with_lm:
        members["lm"] = lm
    return StackingClassifier(
        list(members.items()),
        final_estimator=LogisticRegression(),
        cv=StratifiedKFold(2, shuffle=True, random_state=seed),
        stack_method="predict_proba",
    )


def models():
    return {
        "lm": dict(make_model("stacked", mode="full", random_state=0).estimators)["lm"],
        "bags": stack(False),
        "bags+lm": stack(True),
    }


path = os.environ.get("OUT", "65_class_lm_short_sets.json")
out = json.load(open(path)) if os.path.exists(path) else {}
for name in sys.argv[1].split(","):
    X_test = y_test = folds = None
    if name == "imdb-rating":  # eight classes, the panel's 5k/5k subsets (one test score)
        X, y, X_test, y_test = load(name, imdb_full=False, imdb_n=5000)
    elif name == "ewt-genre":  # the panel's folds: stratified, grouped by document
        X, y, groups = load_ewt_genre()
        folds = list(StratifiedGroupKFold(10, shuffle=True, random_state=0).split(X, y, groups))
    else:
        X, y, _, _ = load(name, imdb_full=True, imdb_n=None)
        folds = list(StratifiedKFold(10, shuffle=True, random_state=0).split(X, y))
    X, y = np.asarray(X, dtype=object), np.asarray(y)
    res = {}
    only = os.environ.get("MODELS")  # e.g. MODELS=bags,bags+lm: not the language models alone
    for m, model in models().items():
        if only and m not in only.split(","):
            continue
        scores, fit_s, _, _ = evaluate(model, X, y, X_test, y_test, folds)
        res[m] = {"scores": scores, "mean": float(np.mean(scores)), "fit_s": float(np.sum(fit_s))}
        print(
            name,
            m,
            f"{100 * np.mean(scores):.2f} +- {100 * np.std(scores):.2f}",
            f"{res[m]['fit_s']:.0f} s",
            flush=True,
        )
    d = np.array(res["bags+lm"]["scores"]) - np.array(res["bags"]["scores"])
    res["bags+lm - bags"] = {
        "mean": float(d.mean()),
        "better": int((d > 0).sum()),
        "worse": int((d < 0).sum()),
    }
    print(name, "bags+lm - bags:", res["bags+lm - bags"], flush=True)
    out[name] = res
    json.dump(out, open(path, "w"), indent=1)
