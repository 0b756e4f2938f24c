"""Study 65 (stop 67): a language model per class in the stack, IMDB development split.

Reads ``bench_stacking.py``'s caches on ``--set imdb-dev`` (20k/5k of the
official training reviews; the test reviews are never read): STACK, the
stack's five members, and LM, ``RNNLMClassifier``'s predictions (``--extra
lm``: the cache ``bench_stacking.py`` writes beside STACK with ``_lm`` in its
name). With PROTOTYPE (the ``.npz`` of ``65_class_lm_prototype.py``), its
log-likelihood ratios are scored too, turned into probabilities by a logistic
regression fitted on the out-of-fold ratios of the training reviews.

Two measures of each stack, both with the logistic regression on probabilities
that ``StackingClassifier`` fits:

- ``held_out``: fitted on the 20k training reviews' out-of-fold probabilities,
  scored on the 5k held-out reviews with the members refitted on all 20k (what
  ``bench_stacking.py`` scores); stacks compared review by review;
- ``oof_10fold``: the combiner cross-validated (10 folds) on the 20k
  out-of-fold probabilities alone: four times the reviews, each scored by
  members that never saw it (trained on the other half).

    python benchmarks/bench_stacking.py --set imdb-dev --extra lm --cache STACK.npz
    python benchmarks/results/bench_accuracy_study/65_imdb_dev_class_lm.py \\
        STACK.npz STACK_lm.npz [--prototype PROTOTYPE.npz] [--out FILE.json]
"""

import argparse
import json
import os
import sys

import numpy as np
from scipy.stats import binomtest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from bench_stacking import _load, combine, compare_stacks  # noqa: E402

BAGS = ["nb_bigram", "nb_char", "nb_char_across", "nb_negation"]


def sign_test(right_a, right_b):
    won, lost = int(np.sum(right_a & ~right_b)), int(np.sum(~right_a & right_b))
    p = binomtest(won, won + lost).pvalue if won + lost else 1.0
    return {"won": won, "lost": lost, "sign_test_p": float(f"{p:.2g}")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stack")
    parser.add_argument("lm")
    parser.add_argument("--prototype", default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    pred, lm = _load(args.stack), _load(args.lm)
    np.testing.assert_array_equal(pred["y"], lm["y"])
    np.testing.assert_array_equal(pred["y_test"], lm["y_test"])
    y = pred["y"]
    pred["lm_oof"], pred["lm_test"] = lm["lm_oof"], lm["lm_test"]
    stacks = {
        "shipped": ["bilstm", *BAGS],
        "shipped+lm": ["bilstm", "lm", *BAGS],
        "lm-for-network": ["lm", *BAGS],
        "bags": BAGS,
        "nb_bigram+lm": ["nb_bigram", "lm"],
    }
    pairs = [
        ("shipped+lm", "shipped"),
        ("lm-for-network", "shipped"),
        ("lm-for-network", "bags"),
        ("shipped", "bags"),
    ]
    if args.prototype:
        proto = np.load(args.prototype)
        np.testing.assert_array_equal(proto["y"], y)
        to_proba = LogisticRegression().fit(proto["oof"][:, None], y)
        pred["prototype_oof"] = to_proba.predict_proba(proto["oof"][:, None])[:, 1]
        pred["prototype_test"] = to_proba.predict_proba(proto["test"][:, None])[:, 1]
        stacks["shipped+prototype"] = ["bilstm", "prototype", *BAGS]
        pairs.append(("shipped+prototype", "shipped"))
    members = ["bilstm", "lm", *BAGS] + (["prototype"] if args.prototype else [])
    out = {
        "alone": {
            n: {
                "held_out": float(np.mean((pred[f"{n}_test"] > 0.5) == pred["y_test"])),
                "oof": float(np.mean((pred[f"{n}_oof"] > 0.5) == y)),
            }
            for n in members
        },
        "held_out": {},
        "oof_10fold": {},
        "paired_held_out": {},
        "paired_oof_10fold": {},
    }
    right = {}
    cv = StratifiedKFold(10, shuffle=True, random_state=1)
    for label, names in stacks.items():
        out["held_out"][label] = combine(pred, names)
        P = np.column_stack([pred[f"{n}_oof"] for n in names])
        right[label] = cross_val_predict(LogisticRegression(), P, y, cv=cv) == y
        out["oof_10fold"][label] = float(right[label].mean())
        print(f"{label:18s} held out {out['held_out'][label]['proba']:.4f}", end=" ")
        print(f"out-of-fold 10-fold {out['oof_10fold'][label]:.4f}")
    for a, b in pairs:
        key = f"{a} vs {b}"
        out["paired_held_out"][key] = compare_stacks(pred, stacks[a], stacks[b])
        out["paired_oof_10fold"][key] = sign_test(right[a], right[b])
        print(key, out["paired_held_out"][key], out["paired_oof_10fold"][key])
    out["correlation_with_nb_negation"] = {
        n: round(float(np.corrcoef(pred[f"{n}_test"], pred["nb_negation_test"])[0, 1]), 3)
        for n in members
        if n != "nb_negation"
    }
    out["fit_s"] = {k: float(v) for k, v in (pred["fit_s"] | lm["fit_s"]).items()}
    print(out["correlation_with_nb_negation"], out["fit_s"])
    if args.out:
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
