"""Test accuracy and fit time with length buckets on and off (the rest identical), several seeds.

The quick-mode LSTM and GRU of ``sklearn-rnn compare`` on stratified IMDB subsets
(``--n`` training and ``--n`` test reviews), seeds 0..``--seeds``-1, buckets off and
on alternating. Length buckets change which reviews share a batch, so the check is
that accuracy does not drop beyond the seed-to-seed spread.

    python benchmarks/bench_buckets_accuracy.py [--n 5000] [--seeds 3]

Prints a table and writes benchmarks/results/bench_buckets_accuracy.json.
"""

import argparse
import json
import os
import time

import numpy as np
from sklearn.model_selection import train_test_split

from sklearn_rnn.compare import make_model
from sklearn_rnn.datasets import load_imdb

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared", "data", "imdb", "imdb_50k.csv.gz")


def _subset(imdb, split, n):
    mask = imdb.split == split
    X, _, y, _ = train_test_split(
        imdb.data[mask], imdb.target[mask], train_size=n, stratify=imdb.target[mask],
        random_state=0,
    )  # fmt: skip
    return X, y


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--out", default=os.path.join(HERE, "results", "bench_buckets_accuracy.json")
    )
    args = parser.parse_args()
    path = None if os.environ.get("SKLEARN_RNN_IMDB") or not os.path.exists(SHARED) else SHARED
    imdb = load_imdb(path=path)
    X_train, y_train = _subset(imdb, "train", args.n)
    X_test, y_test = _subset(imdb, "test", args.n)
    results = {}
    print(f"IMDB {args.n}/{args.n} stratified subsets, seeds 0..{args.seeds - 1}")
    print(f"{'model':6s} {'buckets':8s} {'test accuracy':>22s} {'fit s':>7s}")
    for name in ("lstm", "gru"):
        runs = {False: {"accuracy": [], "fit_s": []}, True: {"accuracy": [], "fit_s": []}}
        for seed in range(args.seeds):
            for bucket in (False, True):
                model = make_model(name, random_state=seed)
                model.set_params(rnnclassifier__bucket_by_length=bucket)
                start = time.perf_counter()
                model.fit(X_train, y_train)
                runs[bucket]["fit_s"].append(time.perf_counter() - start)
                runs[bucket]["accuracy"].append(float(model.score(X_test, y_test)))
        for bucket, run in runs.items():
            acc = np.array(run["accuracy"])
            print(
                f"{name:6s} {'on' if bucket else 'off':8s} {acc.mean():12.4f} +- {acc.std():.4f} "
                f"{np.mean(run['fit_s']):7.1f}"
            )
        results[name] = {"buckets_off": runs[False], "buckets_on": runs[True]}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"n": args.n, "seeds": args.seeds, "results": results}, f, indent=2)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
