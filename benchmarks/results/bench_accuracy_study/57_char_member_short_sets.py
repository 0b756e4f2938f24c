"""Study 57 (stop 61): the stack's character model on 1-5-grams across words, beyond IMDB.

``stacked``'s third member is ``nb-bigram``'s pipeline on character 2-5-grams
within words (``analyzer="char_wb"``, study 23). On the IMDB development split
the same pipeline on character 1-5-grams across word boundaries
(``analyzer="char"``) scored 91.30 alone against 89.68, and in its place in
the stack 92.46 against 92.24. This script asks the same question on the
panel's two-class short-text sets, bags of n-grams only (no network),
stratified 10-fold CV with the folds of ``benchmarks/bench_accuracy.py``:
each character model alone and each stacked with ``nb-bigram`` as
``stacked`` stacks (logistic regression on two-fold out-of-fold
probabilities); ``stack-both`` stacks both character models with
``nb-bigram``. Rerun with ``python 57_char_member_short_sets.py
subj,cr,mpqa,sms [MODELS]`` from this folder (``MODELS``: comma-separated,
all by default; ``OUT`` names the JSON, into which the models' results are
merged; ``fit_s`` is the ten fits' training time: the committed run, with
the loop written out before it called ``bench_accuracy.evaluate``, counted the
scoring too); nothing in the package uses it.
"""

import json
import os
import sys

import numpy as np
from sklearn.ensemble import StackingClassifier
from sklearn.feature_extraction.text import strip_tags
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from bench_accuracy import evaluate, load  # noqa: E402

from sklearn_rnn import NGramVectorizer  # noqa: E402
from sklearn_rnn.named_models import _nb_char, _nb_pipeline, make_model  # noqa: E402


def char15():
    return _nb_pipeline(
        NGramVectorizer(
            analyzer="char", ngram_range=(1, 5), output_mode="binary", preprocessor=strip_tags
        )
    )


def stack(*chars):
    return StackingClassifier(
        [("nb_bigram", make_model("nb-bigram"))]
        + [(f"nb_char{i}", char) for i, char in enumerate(chars)],
        final_estimator=LogisticRegression(),
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
        stack_method="predict_proba",
    )


def models():
    return {
        "nb-char-wb25": _nb_char(),
        "nb-char15": char15(),
        "stack-wb25": stack(_nb_char()),
        "stack-char15": stack(char15()),
        "stack-both": stack(_nb_char(), char15()),
    }


path = os.environ.get("OUT", "57_char_member_short_sets.json")
out = json.load(open(path)) if os.path.exists(path) else {}
chosen = sys.argv[2].split(",") if len(sys.argv) > 2 else list(models())
for name in sys.argv[1].split(","):
    X, y, _, _ = load(name, imdb_full=True, imdb_n=None)
    folds = list(StratifiedKFold(10, shuffle=True, random_state=0).split(X, y))
    X, y = np.asarray(X, dtype=object), np.asarray(y)
    res = out.get(name, {})
    for m, model in models().items():
        if m not in chosen:
            continue
        scores, fit_s, _, _ = evaluate(model, X, y, None, None, folds)
        res[m] = {"scores": scores, "mean": float(np.mean(scores)), "fit_s": float(np.sum(fit_s))}
        print(
            name,
            m,
            f"{100 * np.mean(scores):.2f} +- {100 * np.std(scores):.2f}",
            f"{res[m]['fit_s']:.0f} s",
            flush=True,
        )
    for m in ("stack-char15", "stack-both"):
        if m in res and "stack-wb25" in res:
            d = np.array(res[m]["scores"]) - np.array(res["stack-wb25"]["scores"])
            print(
                name,
                f"{m} - stack-wb25: {100 * d.mean():+.2f},",
                f"better on {(d > 0).sum()}/10, worse {(d < 0).sum()}",
                flush=True,
            )
    out[name] = res
json.dump(out, open(path, "w"), indent=1)
