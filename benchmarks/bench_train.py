"""Training and inference throughput of RNNClassifier against a hand-written PyTorch loop
and Keras 3 (TensorFlow backend), on IMDB reviews, over a grid of recurrent layers.

The grid: cell (simple RNN, LSTM, GRU) x direction (uni, bi) x hidden size
(32, 128, 256). The setting around it is the course's: vocabulary 10k,
embedding 32, maxlen 500 (pre-padding and pre-truncation, as Keras'
``pad_sequences``), batch 128, Adam, forward + backward + step. The
hand-written loop and Keras train on the pre-padded (n, 500) tensor and read
the last state; RNNClassifier reads the same padded ids with its defaults
(each review's true length, length-bucketed batches, max pooling). Each run
trains ``--epochs`` epochs and predicts three times; its training figure is the
median time of the epochs after the first (which includes Keras' graph tracing),
its inference figure the median of the last two ``predict_proba`` calls (Keras:
``predict``, batch 128) over ``--n-test`` test reviews. The table gives the
median of ``--repeats`` runs in which the methods alternate. A cell's epoch is a
few batches, and Keras' speed on one cell moved by up to 2x from one run of the
grid to the next (``results/bench_train_single_epoch.json``, one epoch per run,
against stop 54's run, ``results/bench_train_stop54.json``). Wider and bidirectional cells train on
fewer reviews (printed) so that every cell takes about as long.

For our rows a profiled epoch splits the time between the recurrent kernel
(the forward call of torch's RNN/LSTM/GRU and the backward nodes it created)
and everything else (embedding, pooling, loss, optimizer, batching). The CPU
model, its instruction-set flags and torch's CPU capability are printed:
relative speed depends on the CPU kind.

Keras runs in a subprocess with ``KERAS_BACKEND=tensorflow``, from the Python
given by ``--keras-python`` (or ``SKLEARN_RNN_KERAS_PYTHON``; default: this one),
and is skipped when that Python has no TensorFlow (``pip install tensorflow-cpu``).

``--bf16`` adds our fit under bfloat16 autocast (``mixed_precision='bf16'``)
to each cell, reported as its speed over our float32 fit of the same run.
``--memory`` adds our fit with the C library handing freed memory back to the
system between batches (``SKLEARN_RNN_KEEP_MEMORY=0``: glibc's own policy),
reported as the speed of our default (freed memory kept for reuse during a
fit, ``sklearn_rnn._nets.keep_freed_memory``) over it. Those fits run in the
same process after kept ones, which leave glibc's thresholds at the ceiling
its dynamic rule climbs to, so the reference is glibc at its best, not a
fresh process. ``--adam`` adds our fit with torch's default Adam, reported as
the speed of our default (the fused kernel on the CPU) over it.

    python benchmarks/bench_train.py [--n-train 2048] [--repeats 3] [--cells rnn,lstm,gru]
        [--directions uni,bi] [--hidden 32,128,256] [--keras-python PATH] [--bf16] [--memory]
        [--adam]

Prints tables and writes benchmarks/results/bench_train.json.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import torch
from run_all import cpu_description  # benchmarks/run_all.py, beside this script
from sklearn.feature_extraction.text import strip_tags
from torch import nn
from torch.profiler import ProfilerActivity, profile

from sklearn_rnn import RNNClassifier, SequencePadder, TextTokenizer, _nets, _recurrence

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "..", "..", "shared", "data", "imdb", "imdb_50k.csv.gz")
VOCAB, EMB, HIDDEN, MAXLEN, BATCH = 10_000, 32, 32, 500, 128

KERAS_CHILD = r"""
import json, sys, time
import numpy as np
import keras
X = np.load(sys.argv[1]); y = np.load(sys.argv[2]); X_test = np.load(sys.argv[3])
cell = sys.argv[4]; hidden = int(sys.argv[5]); bidirectional = sys.argv[6] == "1"
epochs = int(sys.argv[7])
keras.utils.set_random_seed(0)
layer = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[cell]
rnn = layer(hidden)
model = keras.Sequential([keras.Input((X.shape[1],), dtype="int32"),
                          keras.layers.Embedding(10000, 32),
                          keras.layers.Bidirectional(rnn) if bidirectional else rnn,
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy")
times = []
class T(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None): self.t = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None): times.append(time.perf_counter() - self.t)
model.fit(X, y, batch_size=128, epochs=epochs, shuffle=True, verbose=0, callbacks=[T()])
predict = []
for _ in range(3):
    start = time.perf_counter()
    model.predict(X_test, batch_size=128, verbose=0)
    predict.append(time.perf_counter() - start)
print(json.dumps({"epoch_s": float(np.median(times[1:])),
                  "predict_s": float(np.median(predict[1:])),
                  "backend": keras.backend.backend(), "keras": keras.__version__}))
"""


class PaddedRNNModule(nn.Module):
    """The course's model on pre-padded ids: embedding, one recurrent layer, last step, linear."""

    def __init__(self, cell="lstm", hidden_size=HIDDEN, bidirectional=False, n_outputs=2):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMB, padding_idx=0)
        rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = rnn(EMB, hidden_size, batch_first=True, bidirectional=bidirectional)
        self.output = nn.Linear(hidden_size * (2 if bidirectional else 1), n_outputs)

    def forward(self, x):
        out, _ = self.rnn(self.embedding(x))
        return self.output(out[:, -1])


def hand_loop(X, y, cell, hidden, bidirectional, epochs):
    """The reference: a minimal PyTorch training loop over random batches of the padded tensor."""
    torch.manual_seed(0)
    model = PaddedRNNModule(cell, hidden, bidirectional)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        for idx in torch.randperm(len(X)).split(BATCH):
            opt.zero_grad()
            loss_fn(model(X[idx]), y[idx]).backward()
            opt.step()
        times.append(time.perf_counter() - start)
    return {"epoch_s": float(np.median(times[1:]))}


def _classifier(cell, hidden, bidirectional, max_epochs, precision="no"):
    return RNNClassifier(
        linear_ngrams=0,  # the recurrent layers alone, as the Keras model and the hand loop
        mixed_precision=precision,
        cell=cell,
        embedding_dim=EMB,
        hidden_size=hidden,
        bidirectional=bidirectional,
        batch_size=BATCH,
        max_epochs=max_epochs,
        early_stopping=False,
        ensemble_size=1,  # one network against one Keras model
        random_state=0,
    )


def ours(
    X,
    y,
    X_test,
    cell,
    hidden,
    bidirectional,
    epochs,
    fused=True,
    precision="no",
    keep="1",
    fuse_adam=True,
):
    """RNNClassifier with its defaults: the median epoch after the first, then of two predicts.

    ``fused=False``: torch's own simple RNN or GRU module instead of the fused recurrence.
    ``precision='bf16'``: under bfloat16 autocast (``mixed_precision='bf16'``).
    ``keep='0'``: freed memory handed back between batches (``SKLEARN_RNN_KEEP_MEMORY=0``).
    ``fuse_adam=False``: torch's default Adam (a loop of elementwise operations per
    parameter) instead of its fused kernel (``sklearn_rnn._nets.optimizer_params``).
    """
    os.environ[_recurrence.FUSED_RECURRENCE_ENV] = "1" if fused else "0"
    os.environ[_nets.FUSED_OPTIMIZER_ENV] = "1" if fuse_adam else "0"
    os.environ[_nets.KEEP_MEMORY_ENV] = keep
    try:
        clf = _classifier(cell, hidden, bidirectional, epochs, precision=precision).fit(X, y)
        predict = []
        for _ in range(3):
            start = time.perf_counter()
            clf.predict_proba(X_test)
            predict.append(time.perf_counter() - start)
    finally:
        os.environ.pop(_recurrence.FUSED_RECURRENCE_ENV)
        os.environ.pop(_nets.FUSED_OPTIMIZER_ENV)
        os.environ.pop(_nets.KEEP_MEMORY_ENV)
    return {
        "epoch_s": float(np.median(clf.history_[1:, "dur"])),
        "predict_s": float(np.median(predict[1:])),
    }


# torch's recurrent operators, and our fused recurrence (sklearn_rnn._recurrence).
RECURRENT_OPS = (
    "aten::rnn_tanh",
    "aten::rnn_relu",
    "aten::lstm",
    "aten::gru",
    "_TanhLayer",
    "_GRURecurrence",
)


def profile_ours(X, y, cell, hidden, bidirectional):
    """One profiled epoch: seconds in the recurrent kernel (forward, backward) and in all.

    The recurrent forward is every call of torch's RNN/LSTM/GRU operator (or
    of our fused recurrence); its backward is every autograd node those calls
    created (matched by sequence number). The input projection of the fused
    recurrence, a product outside it, counts as everything else. The
    profiler's own overhead inflates small operations, so the shares are the
    figures to read, not the seconds.
    """
    clf = _classifier(cell, hidden, bidirectional, max_epochs=1)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        clf.fit(X, y)
        total = time.perf_counter() - start
    events = prof.events()
    seqs, forward = set(), 0.0

    def collect(event):
        if event.sequence_nr >= 0:
            seqs.add(event.sequence_nr)
        for child in event.cpu_children:
            collect(child)

    for event in events:
        if event.name in RECURRENT_OPS:
            forward += event.cpu_time_total
            collect(event)
    backward = sum(
        e.cpu_time_total
        for e in events
        if e.name.startswith("autograd::engine::evaluate_function") and e.sequence_nr in seqs
    )
    return {
        "fit_s": total,
        "recurrent_forward_s": forward / 1e6,
        "recurrent_backward_s": backward / 1e6,
        "recurrent_share": (forward + backward) / 1e6 / total,
    }


def keras_tf(X, y, X_test, cell, hidden, bidirectional, epochs, python, env=None):
    """Keras' epoch and predict times in a child process; ``env``: variables set for it."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = [os.path.join(tmp, f"{name}.npy") for name in ("X", "y", "X_test")]
        np.save(paths[0], X.astype(np.int32))
        np.save(paths[1], y.astype(np.float32))
        np.save(paths[2], X_test.astype(np.int32))
        env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3", **(env or {}))
        out = subprocess.run(
            [
                python,
                "-c",
                KERAS_CHILD,
                *paths,
                cell,
                str(hidden),
                str(int(bidirectional)),
                str(epochs),
            ],
            capture_output=True,
            text=True,
            env=env,
        )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr else "failed")
    record = json.loads(out.stdout.strip().splitlines()[-1])
    if record["backend"] != "tensorflow":
        raise RuntimeError(f"Keras ran on {record['backend']}, not tensorflow")
    return record


def _has_tensorflow(python):
    probe = (
        "import importlib.util as u; "
        "print(bool(u.find_spec('tensorflow') and u.find_spec('keras')))"
    )
    out = subprocess.run([python, "-c", probe], capture_output=True, text=True)
    return out.returncode == 0 and out.stdout.strip() == "True"


def grid_data(path, n_train, n_test):
    """The grid's reviews: (X, y, X_test), ids pre-padded to MAXLEN as Keras' pad_sequences."""
    frame = pd.read_csv(path)
    train = frame[frame["split"] == "train"]
    test = frame[frame["split"] == "test"]
    tok = TextTokenizer(preprocessor=strip_tags, max_tokens=VOCAB).fit(train["text"])
    padder = SequencePadder(maxlen=MAXLEN)  # Keras' defaults: pre-padding, pre-truncation
    rng = np.random.default_rng(0)
    pick = rng.choice(len(train), size=min(n_train, len(train)), replace=False)
    X = padder.fit_transform(tok.transform(train["text"].iloc[pick])).astype(np.int64)
    y = train["label"].to_numpy()[pick].astype(np.int64)
    pick_test = rng.choice(len(test), size=min(n_test, len(test)), replace=False)
    X_test = padder.transform(tok.transform(test["text"].iloc[pick_test])).astype(np.int64)
    return X, y, X_test


def cell_size(n_train, hidden, bidirectional):
    """Reviews for one grid cell: fewer for wide and bidirectional layers, at least 512."""
    scale = max(1, hidden // HIDDEN) * (2 if bidirectional else 1)
    return max(512, n_train // scale)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SKLEARN_RNN_IMDB", DEFAULT_DATA))
    parser.add_argument("--n-train", type=int, default=2048)
    parser.add_argument("--n-test", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--epochs",
        type=int,
        default=4,
        help="epochs per run; the run's figure is the median of those after the first",
    )
    parser.add_argument("--cells", default="rnn,lstm,gru")
    parser.add_argument("--directions", default="uni,bi")
    parser.add_argument("--hidden", default="32,128,256")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    parser.add_argument("--no-keras", action="store_true")
    parser.add_argument(
        "--keras-python",
        default=os.environ.get("SKLEARN_RNN_KERAS_PYTHON", sys.executable),
        help="the Python that runs Keras (a separate environment with tensorflow-cpu)",
    )
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument(
        "--bf16",
        action="store_true",
        help="also time RNNClassifier(mixed_precision='bf16') (the ours_bf16 rows)",
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="also time our fit with freed memory handed back (the ours_memory_returned rows)",
    )
    parser.add_argument(
        "--adam",
        action="store_true",
        help="also time our fit with torch's default, unfused Adam (the ours_unfused_adam rows)",
    )
    parser.add_argument(
        "--profile-only",
        action="store_true",
        help="only the profiled epochs, merged into the cells of an existing --out file",
    )
    parser.add_argument("--out", default=os.path.join(HERE, "results", "bench_train.json"))
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch is not timed")
    if args.threads:
        torch.set_num_threads(args.threads)

    cpu = cpu_description()
    print(
        f"CPU: {cpu['model']} (family/model {cpu['family_model']}), {cpu['cpus']} CPUs; "
        f"flags: {' '.join(cpu['flags']) or 'none'}; "
        f"torch {torch.__version__} ({cpu['torch_capability']}), {cpu['torch_threads']} threads"
    )
    X, y, X_test = grid_data(args.data, args.n_train, args.n_test)
    lengths = (X != 0).sum(axis=1)
    print(
        f"IMDB: up to {len(X)} training and {len(X_test)} test reviews, vocabulary {VOCAB}, "
        f"maxlen {MAXLEN} (true lengths: median {int(np.median(lengths))}, mean "
        f"{lengths.mean():.0f}; {1 - lengths.mean() / MAXLEN:.0%} of the padded steps are padding)"
    )
    grid = [
        (cell, hidden, direction == "bi")
        for cell in args.cells.split(",")
        for direction in args.directions.split(",")
        for hidden in map(int, args.hidden.split(","))
    ]
    if args.profile_only:
        with open(args.out) as f:
            record = json.load(f)
        for cell, hidden, bi in grid:
            name = f"{'bi' if bi else ''}{cell} {hidden}"
            n = min(len(X), cell_size(args.n_train, hidden, bi))
            record["cells"][name]["profile"] = profile_ours(X[:n], y[:n], cell, hidden, bi)
            print(f"{name:12s} kernel {record['cells'][name]['profile']['recurrent_share']:.0%}")
        with open(args.out, "w") as f:
            json.dump(record, f, indent=2)
        return

    keras = not args.no_keras and _has_tensorflow(args.keras_python)
    if not args.no_keras and not keras:
        print(
            f"{args.keras_python} has no TensorFlow: Keras is skipped "
            "(pip install tensorflow-cpu, or pass --keras-python)."
        )

    rows = {}
    for cell, hidden, bi in grid:
        name = f"{'bi' if bi else ''}{cell} {hidden}"
        n = min(len(X), cell_size(args.n_train, hidden, bi))
        runs = {"hand": [], "ours": [], "keras": []}
        if cell in ("rnn", "gru"):  # what the fused recurrence is worth: the same fit without it
            runs["ours_unfused"] = []
        if args.bf16:
            runs["ours_bf16"] = []
        if args.memory:
            runs["ours_memory_returned"] = []
        if args.adam:
            runs["ours_unfused_adam"] = []
        for _ in range(args.repeats):
            data = (X[:n], y[:n], X_test, cell, hidden, bi, args.epochs)
            runs["hand"].append(hand_loop(X[:n], y[:n], cell, hidden, bi, args.epochs))
            runs["ours"].append(ours(*data))
            if "ours_unfused" in runs:
                runs["ours_unfused"].append(ours(*data, fused=False))
            if "ours_bf16" in runs:
                runs["ours_bf16"].append(ours(*data, precision="bf16"))
            if "ours_memory_returned" in runs:
                runs["ours_memory_returned"].append(ours(*data, keep="0"))
            if "ours_unfused_adam" in runs:
                runs["ours_unfused_adam"].append(ours(*data, fuse_adam=False))
            if keras:
                try:
                    runs["keras"].append(keras_tf(*data, args.keras_python))
                except RuntimeError as exc:
                    print(f"{name}: Keras failed: {exc}")
        row = {"n_train": n, "runs": runs}
        for method, records in runs.items():
            if records:
                row[f"{method}_train_per_s"] = n / np.median([r["epoch_s"] for r in records])
                if "predict_s" in records[0]:
                    row[f"{method}_predict_per_s"] = len(X_test) / np.median(
                        [r["predict_s"] for r in records]
                    )
        if not args.no_profile:
            row["profile"] = profile_ours(X[:n], y[:n], cell, hidden, bi)
        rows[name] = row
        line = (
            f"{name:12s} {n:5d} {row['hand_train_per_s']:8.0f} "
            f"{row['ours_train_per_s'] / row['hand_train_per_s']:8.2f}x"
        )
        if "keras_train_per_s" in row:
            line += (
                f" {row['keras_train_per_s'] / row['hand_train_per_s']:8.2f}x"
                f" {row['ours_train_per_s'] / row['keras_train_per_s']:8.2f}x"
                f" {row['ours_predict_per_s'] / row['keras_predict_per_s']:8.2f}x"
            )
        if "profile" in row:
            line += f" {row['profile']['recurrent_share']:7.0%}"
        if "ours_unfused_train_per_s" in row:
            fused = row["ours_train_per_s"] / row["ours_unfused_train_per_s"]
            fused_predict = row["ours_predict_per_s"] / row["ours_unfused_predict_per_s"]
            line += (
                f"  (fused recurrence vs torch's module: training {fused:.2f}x, "
                f"predict {fused_predict:.2f}x)"
            )
        if "ours_bf16_train_per_s" in row:
            bf16 = row["ours_bf16_train_per_s"] / row["ours_train_per_s"]
            bf16_predict = row["ours_bf16_predict_per_s"] / row["ours_predict_per_s"]
            line += f"  (bf16 vs float32: training {bf16:.2f}x, predict {bf16_predict:.2f}x)"
        if "ours_memory_returned_train_per_s" in row:
            kept = row["ours_train_per_s"] / row["ours_memory_returned_train_per_s"]
            line += f"  (memory kept vs returned: training {kept:.2f}x)"
        if "ours_unfused_adam_train_per_s" in row:
            adam = row["ours_train_per_s"] / row["ours_unfused_adam_train_per_s"]
            line += f"  (fused vs default Adam: training {adam:.2f}x)"
        if len(rows) == 1:
            print(
                f"\ntraining: samples/s of an epoch after the first ({args.epochs} per run), "
                f"median of {args.repeats} runs; "
                "predict: samples/s of predict_proba / Keras predict"
            )
            print(
                f"{'cell':12s} {'n':>5s} {'hand s/s':>8s} {'ours/hand':>9s} {'keras/hand':>9s} "
                f"{'ours/keras':>9s} {'predict':>9s} {'kernel':>7s}"
            )
        print(line, flush=True)

    if args.bf16:
        bf16 = {k: r["ours_bf16_train_per_s"] / r["ours_train_per_s"] for k, r in rows.items()}
        print(
            f"\nbf16 vs float32, training: min {min(bf16.values()):.2f}x, median "
            f"{np.median(list(bf16.values())):.2f}x, max {max(bf16.values()):.2f}x; slower in: "
            f"{', '.join(k for k, r in bf16.items() if r < 1) or 'none'}"
        )
    if args.memory:
        kept = {
            k: r["ours_train_per_s"] / r["ours_memory_returned_train_per_s"]
            for k, r in rows.items()
        }
        print(
            f"\nmemory kept vs returned, training: min {min(kept.values()):.2f}x, median "
            f"{np.median(list(kept.values())):.2f}x, max {max(kept.values()):.2f}x; slower in: "
            f"{', '.join(k for k, r in kept.items() if r < 1) or 'none'}"
        )
    if args.adam:
        adam = {
            k: r["ours_train_per_s"] / r["ours_unfused_adam_train_per_s"] for k, r in rows.items()
        }
        print(
            f"\nfused vs default Adam, training: min {min(adam.values()):.2f}x, median "
            f"{np.median(list(adam.values())):.2f}x, max {max(adam.values()):.2f}x; slower in: "
            f"{', '.join(k for k, r in adam.items() if r < 1) or 'none'}"
        )
    if keras:
        ratios = [r["ours_train_per_s"] / r["keras_train_per_s"] for r in rows.values()]
        predict = [r["ours_predict_per_s"] / r["keras_predict_per_s"] for r in rows.values()]
        print(
            f"\nours vs Keras, training: min {min(ratios):.2f}x, median {np.median(ratios):.2f}x, "
            f"max {max(ratios):.2f}x; cells below 1.5x: "
            f"{', '.join(k for k, r in zip(rows, ratios) if r < 1.5) or 'none'}"
        )
        print(
            f"ours vs Keras, predict: min {min(predict):.2f}x, median {np.median(predict):.2f}x, "
            f"max {max(predict):.2f}x"
        )

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(
            {
                "machine": f"{platform.platform()}",
                "cpu": cpu,
                "torch": torch.__version__,
                "n_train": len(X),
                "n_test": len(X_test),
                "repeats": args.repeats,
                "epochs": args.epochs,
                "command": " ".join(["python", *sys.argv]),
                "cells": rows,
            },
            f,
            indent=2,
        )
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
