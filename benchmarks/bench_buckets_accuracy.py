"""Test accuracy with length buckets on and off (the rest identical), paired over seeds.

Two settings:

- ``--setting course`` (default): the issue's setting on the official IMDB split
  (all 25,000 training and 25,000 test reviews unless ``--n`` is given):
  ``TextTokenizer(max_tokens=10_000)``, ``SequencePadder(maxlen=500)`` and
  ``RNNClassifier(cell, embedding_dim=32, hidden_size=32, batch_size=128)``,
  one network (``ensemble_size=1``), every other parameter at its default
  (max pooling, early stopping).
- ``--setting quick``: the quick-mode LSTM and GRU of ``sklearn-rnn compare`` on
  stratified subsets of ``--n`` training and ``--n`` test reviews.

Each seed fits the same model twice, buckets off then on: the same seed gives the
same initial weights and validation split, so the pair differs only in which
reviews share a batch. The verdict is a paired one: the mean accuracy difference
(on - off) with a 95% t interval; buckets are "no worse" at a margin when the
interval's lower end lies above minus that margin.

    python benchmarks/bench_buckets_accuracy.py [--setting course] [--cells lstm] [--seeds 5]

Prints a table and writes benchmarks/results/bench_buckets_accuracy_<setting>.json.
"""

import argparse
import json
import os
import platform
import time

import numpy as np
import torch
from run_all import cpu_description  # benchmarks/run_all.py, beside this script
from scipy import stats
from sklearn.feature_extraction.text import strip_tags
from sklearn.model_selection import train_test_split

from sklearn_rnn import RNNClassifier, SequencePadder, TextTokenizer
from sklearn_rnn.compare import make_model
from sklearn_rnn.datasets import load_imdb

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared", "data", "imdb", "imdb_50k.csv.gz")


def _split(imdb, split, n):
    mask = imdb.split == split
    X, y = imdb.data[mask], imdb.target[mask]
    if not n or n >= len(y):
        return X, y
    X, _, y, _ = train_test_split(X, y, train_size=n, stratify=y, random_state=0)
    return X, y


def _course_runs(cell, X_train, y_train, X_test, y_test):
    """Fits on padded ids computed once (the text steps do not depend on the seed)."""
    tokenizer = TextTokenizer(preprocessor=strip_tags, max_tokens=10_000).fit(X_train)
    padder = SequencePadder(maxlen=500)
    P_train = padder.fit_transform(tokenizer.transform(X_train))
    P_test = padder.transform(tokenizer.transform(X_test))

    def run(seed, bucket):
        model = RNNClassifier(
            cell=cell, embedding_dim=32, hidden_size=32, batch_size=128,
            bucket_by_length=bucket, ensemble_size=1, linear_ngrams=0, random_state=seed,
        )  # fmt: skip
        return model, lambda: model.fit(P_train, y_train), lambda: model.score(P_test, y_test)

    return run


def _quick_runs(cell, X_train, y_train, X_test, y_test):
    def run(seed, bucket):
        model = make_model(cell, random_state=seed)
        model.set_params(rnnclassifier__bucket_by_length=bucket)
        return model, lambda: model.fit(X_train, y_train), lambda: model.score(X_test, y_test)

    return run


def paired_summary(off, on, margin):
    """Mean difference on - off, its 95% t interval, and the no-worse verdict."""
    diff = np.asarray(on) - np.asarray(off)
    mean = float(diff.mean())
    if len(diff) > 1:
        half = float(stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff)))
    else:
        half = float("inf")
    return {
        "mean_difference": mean,
        "ci95": [mean - half, mean + half],
        "margin": margin,
        "no_worse": bool(mean - half > -margin),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setting", choices=("course", "quick"), default="course")
    parser.add_argument(
        "--cells", nargs="+", default=None, help="default: lstm (course), lstm gru (quick)"
    )
    parser.add_argument(
        "--n", type=int, default=None, help="reviews per split; course default: all"
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--margin", type=float, default=0.01, help="no-worse margin (accuracy)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    cells = args.cells or (["lstm"] if args.setting == "course" else ["lstm", "gru"])
    n = args.n if args.n is not None else (0 if args.setting == "course" else 5000)
    out = args.out or os.path.join(HERE, "results", f"bench_buckets_accuracy_{args.setting}.json")

    path = None if os.environ.get("SKLEARN_RNN_IMDB") or not os.path.exists(SHARED) else SHARED
    imdb = load_imdb(path=path)
    X_train, y_train = _split(imdb, "train", n)
    X_test, y_test = _split(imdb, "test", n)
    make_runs = _course_runs if args.setting == "course" else _quick_runs
    print(
        f"IMDB {len(y_train)} training / {len(y_test)} test reviews, setting {args.setting!r}, "
        f"seeds 0..{args.seeds - 1}, torch threads {torch.get_num_threads()}"
    )
    print(
        f"{'cell':5s} {'seed':>4s} {'off':>7s} {'on':>7s} {'on-off':>7s} "
        f"{'fit s off/on':>14s} {'epochs off/on':>14s}"
    )
    results = {}
    for cell in cells:
        run = make_runs(cell, X_train, y_train, X_test, y_test)
        rows = {False: {"accuracy": [], "fit_s": [], "epochs": []}}
        rows[True] = {"accuracy": [], "fit_s": [], "epochs": []}
        for seed in range(args.seeds):
            for bucket in (False, True):
                model, fit, score = run(seed, bucket)
                start = time.perf_counter()
                fit()
                rows[bucket]["fit_s"].append(time.perf_counter() - start)
                rows[bucket]["accuracy"].append(float(score()))
                final = model.steps[-1][1] if hasattr(model, "steps") else model
                rows[bucket]["epochs"].append(len(final.history_))
            off, on = rows[False], rows[True]
            print(
                f"{cell:5s} {seed:4d} {off['accuracy'][-1]:7.4f} {on['accuracy'][-1]:7.4f} "
                f"{on['accuracy'][-1] - off['accuracy'][-1]:+7.4f} "
                f"{off['fit_s'][-1]:6.0f}/{on['fit_s'][-1]:<6.0f} "
                f"{off['epochs'][-1]:6d}/{on['epochs'][-1]:<6d}",
                flush=True,
            )
        summary = paired_summary(rows[False]["accuracy"], rows[True]["accuracy"], args.margin)
        lo, hi = summary["ci95"]
        print(
            f"{cell}: off {np.mean(rows[False]['accuracy']):.4f}, "
            f"on {np.mean(rows[True]['accuracy']):.4f}, "
            f"on-off {summary['mean_difference']:+.4f} (95% CI {lo:+.4f} .. {hi:+.4f}): "
            f"{'no worse' if summary['no_worse'] else 'not shown no worse'} at margin {args.margin}"
        )
        results[cell] = {"buckets_off": rows[False], "buckets_on": rows[True], "paired": summary}
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(
            {
                "setting": args.setting, "n_train": len(y_train), "n_test": len(y_test),
                "seeds": args.seeds, "torch_threads": torch.get_num_threads(),
                "machine": platform.processor() or platform.machine(), "results": results,
                "cpu": cpu_description(),
            },
            f, indent=2,
        )  # fmt: skip
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
