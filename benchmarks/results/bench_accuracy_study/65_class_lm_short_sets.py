"""Study 65 (stop 67): a language model per class beside the stack's bags, on the short-text panel.

On the IMDB development split ``RNNLMClassifier`` (one recurrent language
model per class, Mesnil et al. 2014) lifted the stack where no discriminative
network had (``65_imdb_dev_class_lm.json``). This script asks the same
question on the panel's two-class short-text sets, stratified 10-fold CV with
the folds of ``benchmarks/bench_accuracy.py``: the language models alone (the
pipeline of ``bench_stacking.py --extra lm``), the stack's four bags of
n-grams stacked as ``stacked`` stacks them (logistic regression on two-fold
out-of-fold probabilities, no network), and the same with the language
models as a fifth member. Rerun with ``python 65_class_lm_short_sets.py
cr,subj,mpqa,sms`` from this folder (``OUT`` names the JSON, into which the
sets' results are merged); nothing in the package uses it.
"""

import json
import os
import sys

import numpy as np
from sklearn.ensemble import StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from bench_accuracy import evaluate, load  # noqa: E402
from bench_stacking import EXTRAS  # noqa: E402

from sklearn_rnn.named_models import make_model  # noqa: E402


def stack(with_lm, seed=0):
    members = dict(make_model("stacked", mode="full", random_state=seed).estimators)
    del members["bilstm"]
    if with_lm:
        members["lm"] = EXTRAS["lm"](seed)
    return StackingClassifier(
        list(members.items()),
        final_estimator=LogisticRegression(),
        cv=StratifiedKFold(2, shuffle=True, random_state=seed),
        stack_method="predict_proba",
    )


def models():
    return {"lm": EXTRAS["lm"](0), "bags": stack(False), "bags+lm": stack(True)}


path = os.environ.get("OUT", "65_class_lm_short_sets.json")
out = json.load(open(path)) if os.path.exists(path) else {}
for name in sys.argv[1].split(","):
    X, y, _, _ = load(name, imdb_full=True, imdb_n=None)
    folds = list(StratifiedKFold(10, shuffle=True, random_state=0).split(X, y))
    X, y = np.asarray(X, dtype=object), np.asarray(y)
    res = {}
    for m, model in models().items():
        scores, fit_s, _, _ = evaluate(model, X, y, None, None, folds)
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
