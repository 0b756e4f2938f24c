"""Does Keras run a bidirectional layer's two directions at once? (issue 22, stop 71)

On the AMD EPYC the bidirectional simple RNN of 128 units is the grid cell
where Keras runs furthest ahead of the hand-written PyTorch loop (2.35-2.45x,
against 0.5-1.4x on the one-direction cells), and the one cell our fit has
trailed by 1.5x in most full runs. TensorFlow's executor can run independent
ops at once on its inter-op thread pool, and the two directions of
``keras.layers.Bidirectional`` are two independent loops. This script times
Keras' epoch (``bench_train``'s child, same data and setting) with TensorFlow's
default inter-op pool and with one inter-op thread
(``TF_NUM_INTEROP_THREADS=1``), alternating, on a few 128-unit cells.

    python keras_directions.py --keras-python /work/kvenv/bin/python [--repeats 3]

Prints a table and writes keras_directions.json beside this script; nothing
in the package uses it.
"""

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))
from bench_train import DEFAULT_DATA, cell_size, grid_data, keras_tf  # noqa: E402
from run_all import cpu_description  # noqa: E402

CELLS = [("rnn", 128, True), ("rnn", 128, False), ("lstm", 128, True), ("gru", 128, True)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keras-python", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    data = os.environ.get("SKLEARN_RNN_IMDB", DEFAULT_DATA)
    X, y, X_test = grid_data(data, 2048, 2048)  # bench_train's reviews
    cpu = cpu_description()
    print(f"CPU: {cpu['model']} (family/model {cpu['family_model']}), {cpu['cpus']} CPUs")
    os.environ.pop("TF_NUM_INTEROP_THREADS", None)  # "default": TensorFlow's own pool
    rows = []
    for cell, hidden, bi in CELLS:
        n = cell_size(2048, hidden, bi)
        times = {"default": [], "one": []}
        for _ in range(args.repeats):
            for name in ("default", "one"):
                one = {"TF_NUM_INTEROP_THREADS": "1"} if name == "one" else None
                r = keras_tf(
                    X[:n], y[:n], X_test[:n], cell, hidden, bi, args.epochs, args.keras_python, one
                )
                times[name].append((r["epoch_s"], r["predict_s"]))
        row = {"cell": f"{'bi' if bi else ''}{cell} {hidden}", "n": n}
        for name, ts in times.items():
            row[f"epoch_s_{name}"] = float(np.median([t[0] for t in ts]))
            row[f"predict_s_{name}"] = float(np.median([t[1] for t in ts]))
            row[f"epochs_{name}"] = [t[0] for t in ts]
        row["epoch_one_over_default"] = row["epoch_s_one"] / row["epoch_s_default"]
        row["predict_one_over_default"] = row["predict_s_one"] / row["predict_s_default"]
        rows.append(row)
        print(
            f"{row['cell']:<10} n={n}: epoch {row['epoch_s_default']:.2f} s (default pool) "
            f"vs {row['epoch_s_one']:.2f} s (one inter-op thread): "
            f"{row['epoch_one_over_default']:.2f}x slower; predict "
            f"{row['predict_one_over_default']:.2f}x",
            flush=True,
        )
    record = {
        "what": __doc__.splitlines()[0],
        "cpu": cpu,
        "repeats": args.repeats,
        "epochs": args.epochs,
        "command": "python keras_directions.py --keras-python /work/kvenv/bin/python",
        "cells": rows,
    }
    with open(os.path.join(HERE, "keras_directions.json"), "w") as f:
        json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
