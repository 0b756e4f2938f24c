"""Study 63: the stacked model's network against another network, IMDB development split.

Reads two caches of ``bench_stacking.py`` on ``--set imdb-dev`` (20k/5k of the
official training reviews; the test reviews are never read): SHIPPED, whose
``bilstm`` predictions are the stack's own network, and CANDIDATE, written with
another ``--network`` (the four bags of n-grams are deterministic, so both hold
the same; this is checked). Scores, with the logistic regression on
probabilities that ``StackingClassifier`` fits:

- ``shipped``: the stack as shipped (its network and the four bags of n-grams);
- ``candidate``: the candidate network in its place;
- ``both``: the two networks beside the four bags;
- ``bags``: the four bags without a network;

and compares them review by review (won, lost, two-sided sign test).

    python benchmarks/results/bench_accuracy_study/63_imdb_dev_stack_networks.py \
        SHIPPED.npz CANDIDATE.npz [--out FILE.json]

As it ran (stop 66): SHIPPED was stop 64's ``/tmp/s64/dev_stacked.npz`` (the
stack's network and three bags; ``nb_negation`` came from CANDIDATE, where
``bench_stacking.py`` computed it), and each CANDIDATE a copy of it without the
network, completed by ``python benchmarks/bench_stacking.py --set imdb-dev
--network bilstm|stacked-negation --cache CANDIDATE.npz``.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from bench_stacking import _load, combine, compare_stacks  # noqa: E402

BAGS = ["nb_bigram", "nb_char", "nb_char_across", "nb_negation"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shipped")
    parser.add_argument("candidate")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    old, new = _load(args.shipped), _load(args.candidate)
    np.testing.assert_array_equal(old["y"], new["y"])
    np.testing.assert_array_equal(old["y_test"], new["y_test"])
    for name in BAGS:
        if f"{name}_test" in old:
            np.testing.assert_allclose(old[f"{name}_test"], new[f"{name}_test"])
    pred = dict(new)
    pred["candidate_oof"], pred["candidate_test"] = new["bilstm_oof"], new["bilstm_test"]
    pred["shipped_oof"], pred["shipped_test"] = old["bilstm_oof"], old["bilstm_test"]
    stacks = {
        "shipped": ["shipped", *BAGS],
        "candidate": ["candidate", *BAGS],
        "both": ["shipped", "candidate", *BAGS],
        "bags": BAGS,
    }
    out = {"scores": {}, "paired": {}}
    for label, names in stacks.items():
        out["scores"][label] = combine(pred, names)
        print(label, out["scores"][label])
    for a, b in (("candidate", "shipped"), ("candidate", "bags"), ("shipped", "bags")):
        out["paired"][f"{a} vs {b}"] = compare_stacks(pred, stacks[a], stacks[b])
        print(f"{a} vs {b}", out["paired"][f"{a} vs {b}"])
    out["correlation_with_nb_negation"] = {
        n: round(float(np.corrcoef(pred[f"{n}_test"], pred["nb_negation_test"])[0, 1]), 3)
        for n in ("shipped", "candidate")
    }
    out["fit_s"] = {"shipped_network": float(old["fit_s"]["bilstm"])} | {
        k: float(v) for k, v in new["fit_s"].items()
    }
    print(out["correlation_with_nb_negation"], out["fit_s"])
    if args.out:
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
