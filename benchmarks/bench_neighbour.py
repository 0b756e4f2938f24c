"""A fit beside a busy neighbour: how much a second process on the same cores slows our training.

Each measurement runs our fit (one epoch of ``RNNClassifier`` on ``--n``
IMDB reviews, then ``predict_proba`` on them) in a fresh process, alone and
then beside a neighbour started a few seconds before it: another process
fitting the same model in a loop (a second torch job on the machine), or a
Python loop spinning on one core (any other busy program). Our process and
the torch neighbour run either with the fair thread policy
(``SKLEARN_RNN_FAIR_THREADS=1``: each epoch uses no more torch threads than
the cores other processes leave free; the default for unseeded fits, and
these fits are seeded) or without it (``SKLEARN_RNN_FAIR_THREADS=0``: torch's
thread count whatever the load, the behaviour before the policy and that of a
seeded fit by default).

    python benchmarks/bench_neighbour.py [--n 1500] [--models rnn-32,bilstm-128]

Prints seconds alone and beside each neighbour and the slowdown ratio;
writes ``benchmarks/results/bench_neighbour.json``. The machine must be quiet
apart from the neighbours this script starts.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

from run_all import cpu_description  # benchmarks/run_all.py, beside this script

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "..", "..", "shared", "data", "imdb", "imdb_50k.csv.gz")
MODELS = {
    "rnn-32": {"cell": "rnn", "hidden_size": 32},
    "bilstm-128": {"cell": "lstm", "hidden_size": 128, "bidirectional": True},
}
OFF = {"SKLEARN_RNN_FAIR_THREADS": "0"}
ON = {"SKLEARN_RNN_FAIR_THREADS": "1"}

CHILD = r"""
import json, sys, time
import numpy as np, torch
from sklearn_rnn import RNNClassifier
from sklearn_rnn._sequences import as_ragged
data = np.load(sys.argv[1], allow_pickle=True)
X, y = as_ragged(list(data["X"])), data["y"]
params = json.loads(sys.argv[2])
while True:
    clf = RNNClassifier(**{"ensemble_size": 1, "linear_ngrams": 0, **params}, max_epochs=1,
                        early_stopping=False, random_state=0)
    start = time.perf_counter(); clf.fit(X, y); fit = time.perf_counter() - start
    start = time.perf_counter(); clf.predict_proba(X); predict = time.perf_counter() - start
    if sys.argv[3] == "once":
        print(json.dumps({"fit": fit, "predict": predict})); break
"""


def measure(data, params, env, neighbour=None, neighbour_env=None):
    """Our fit and predict seconds, in a fresh process, beside ``neighbour`` if any."""
    other = None
    if neighbour == "torch":
        other = subprocess.Popen(
            [sys.executable, "-c", CHILD, data, json.dumps(params), "loop"],
            env={**os.environ, **neighbour_env},
        )
        time.sleep(8)  # imported, and its first fit under way
    elif neighbour == "spin":
        other = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(1)
    try:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, data, json.dumps(params), "once"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        if other is not None:
            other.kill()
            other.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SKLEARN_RNN_IMDB", DEFAULT_DATA))
    parser.add_argument("--n", type=int, default=1500)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--out", default=os.path.join(HERE, "results", "bench_neighbour.json"))
    args = parser.parse_args()

    import numpy as np

    from sklearn_rnn import TextTokenizer
    from sklearn_rnn.datasets import load_imdb

    imdb = load_imdb(path=args.data)
    train = np.flatnonzero(imdb.split == "train")
    rows = np.random.default_rng(0).choice(train, size=args.n, replace=False)
    X = TextTokenizer(max_tokens=10_000).fit_transform(imdb.data[rows])
    data = os.path.join(os.path.dirname(os.path.abspath(args.out)), ".bench_neighbour_data.npz")
    os.makedirs(os.path.dirname(data), exist_ok=True)
    np.savez(data, X=np.asarray(X, dtype=object), y=np.asarray(imdb.target[rows]))

    cases = [
        ("no policy, beside a torch fit without it", OFF, "torch", OFF),
        ("fair threads, beside a torch fit without it", ON, "torch", OFF),
        ("fair threads, beside a torch fit with it", ON, "torch", ON),
        ("no policy, beside a spinning loop", OFF, "spin", None),
        ("fair threads, beside a spinning loop", ON, "spin", None),
    ]
    record = {
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs",
        "cpu": cpu_description(),
        "n": args.n,
        "results": [],
    }
    try:
        for model in args.models.split(","):
            params = MODELS[model]
            print(f"\n{model} ({params}), one epoch on {args.n} reviews, then predict_proba")
            print(
                f"  {'case':45s} {'alone s':>8s} {'beside s':>9s} {'slowdown':>9s} {'predict':>8s}"
            )
            for name, env, neighbour, neighbour_env in cases:
                alone = measure(data, params, env)
                busy = measure(data, params, env, neighbour, neighbour_env)
                row = {"model": model, "case": name, "alone": alone, "beside": busy}
                record["results"].append(row)
                print(
                    f"  {name:45s} {alone['fit']:8.2f} {busy['fit']:9.2f} "
                    f"{busy['fit'] / alone['fit']:8.1f}x "
                    f"{busy['predict'] / alone['predict']:7.1f}x",
                    flush=True,
                )
    finally:
        os.remove(data)
    with open(args.out, "w") as f:
        json.dump(record, f, indent=1)
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
