"""Training and inference throughput of RNNClassifier against a hand-written PyTorch loop,
plain skorch and Keras 3 (TensorFlow backend), on IMDB reviews.

The setting is the course's: vocabulary 10k, embedding 32, hidden 32, maxlen 500
(pre-padding and pre-truncation, as Keras' ``pad_sequences``), batch 128, Adam,
forward + backward + step. The hand-written loop and plain skorch train on the
pre-padded (n, 500) tensor; RNNClassifier reads the same padded ids and trains
on each review's true length, with random batches (``bucket_by_length=False``)
or length-bucketed batches (the default). Each figure is the time of the second
training epoch (the first includes Keras' graph tracing), over ``--n-train``
reviews drawn at random, median of ``--repeats`` runs in which all methods
alternate. Keras runs in a subprocess with ``KERAS_BACKEND=tensorflow`` and is
skipped when TensorFlow is not installed (``pip install tensorflow-cpu``).
RNNClassifier flushes subnormal floats to zero while it trains on the CPU (as
TensorFlow does in its threads); the hand-written loop is also timed with that
one change, to show how much of a difference is that alone.

    python benchmarks/bench_train.py [--n-train 4096] [--repeats 3] [--threads N]

Prints tables and writes benchmarks/results/bench_train.json.
"""

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import pandas as pd
import torch
from sklearn.feature_extraction.text import strip_tags
from skorch import NeuralNetClassifier
from torch import nn

from sklearn_rnn import RNNClassifier, SequencePadder, TextTokenizer
from sklearn_rnn._nets import flush_denormal

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "..", "..", "shared", "data", "imdb", "imdb_50k.csv.gz")
VOCAB, EMB, HIDDEN, MAXLEN, BATCH = 10_000, 32, 32, 500, 128

KERAS_CHILD = r"""
import json, sys, time
import numpy as np
import keras
X = np.load(sys.argv[1]); y = np.load(sys.argv[2]); cell = sys.argv[3]; hidden = int(sys.argv[4])
bidirectional = sys.argv[5] == "1"
keras.utils.set_random_seed(0)
layer = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[cell]
rnn = layer(hidden)
model = keras.Sequential([keras.Input((X.shape[1],), dtype="int32"),
                          keras.layers.Embedding(int(X.max()) + 1, 32),
                          keras.layers.Bidirectional(rnn) if bidirectional else rnn,
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy")
times = []
class T(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None): self.t = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None): times.append(time.perf_counter() - self.t)
model.fit(X, y, batch_size=128, epochs=2, shuffle=True, verbose=0, callbacks=[T()])
print(json.dumps({"epoch_s": times[-1], "backend": keras.backend.backend()}))
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


def hand_loop(X, y, cell, hidden, bidirectional, flush=False):
    """The floor: a minimal PyTorch training loop over random batches of the padded tensor.

    ``flush``: the same loop with subnormal floats flushed to zero on this thread
    (``torch.set_flush_denormal``), what RNNClassifier does on the CPU.
    """
    if flush:
        with flush_denormal():
            return hand_loop(X, y, cell, hidden, bidirectional)
    torch.manual_seed(0)
    model = PaddedRNNModule(cell, hidden, bidirectional)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(2):
        start = time.perf_counter()
        for idx in torch.randperm(len(X)).split(BATCH):
            opt.zero_grad()
            loss_fn(model(X[idx]), y[idx]).backward()
            opt.step()
        elapsed = time.perf_counter() - start
    return elapsed


def plain_skorch(X, y, cell, hidden, bidirectional):
    net = NeuralNetClassifier(
        PaddedRNNModule,
        module__cell=cell,
        module__hidden_size=hidden,
        module__bidirectional=bidirectional,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=2,
        batch_size=BATCH,
        train_split=None,
        iterator_train__shuffle=True,
        verbose=0,
    )
    torch.manual_seed(0)
    net.fit(X, y)
    return net.history[-1, "dur"]


def ours(X, y, cell, hidden, bidirectional, bucket, pooling="max"):
    clf = RNNClassifier(
        cell=cell,
        pooling=pooling,
        embedding_dim=EMB,
        hidden_size=hidden,
        bidirectional=bidirectional,
        batch_size=BATCH,
        max_epochs=2,
        early_stopping=False,
        bucket_by_length=bucket,
        random_state=0,
    )
    clf.fit(X, y)
    return clf.history_[-1, "dur"]


def keras_tf(X, y, cell, hidden, bidirectional):
    with tempfile.TemporaryDirectory() as tmp:
        xp, yp = os.path.join(tmp, "X.npy"), os.path.join(tmp, "y.npy")
        np.save(xp, X.astype(np.int32))
        np.save(yp, y.astype(np.float32))
        env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
        out = subprocess.run(
            [sys.executable, "-c", KERAS_CHILD, xp, yp, cell, str(hidden), str(int(bidirectional))],
            capture_output=True,
            text=True,
            env=env,
        )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr else "failed")
    record = json.loads(out.stdout.strip().splitlines()[-1])
    if record["backend"] != "tensorflow":
        raise RuntimeError(f"Keras ran on {record['backend']}, not tensorflow")
    return record["epoch_s"]


def _has_tensorflow():
    return importlib.util.find_spec("tensorflow") is not None


class PeakRSS:
    """Peak resident memory above the starting point, sampled every 5 ms (all allocators)."""

    def __enter__(self):
        self._stop = threading.Event()
        self.start = self.peak = self._rss()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _rss(self):
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _watch(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.005)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())
        self.increase_mb = (self.peak - self.start) / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SKLEARN_RNN_IMDB", DEFAULT_DATA))
    parser.add_argument("--n-train", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    parser.add_argument("--no-keras", action="store_true")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "bench_train.json"))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    frame = pd.read_csv(args.data)
    train = frame[frame["split"] == "train"]
    test = frame[frame["split"] == "test"]
    tok = TextTokenizer(preprocessor=strip_tags, max_tokens=VOCAB).fit(train["text"])
    padder = SequencePadder(maxlen=MAXLEN)  # Keras' defaults: pre-padding, pre-truncation
    rng = np.random.default_rng(0)
    pick = rng.choice(len(train), size=min(args.n_train, len(train)), replace=False)
    X = padder.fit_transform(tok.transform(train["text"].iloc[pick])).astype(np.int64)
    y = train["label"].to_numpy()[pick].astype(np.int64)
    lengths = (X != 0).sum(axis=1)
    print(
        f"IMDB: {len(X)} training reviews, vocabulary {VOCAB}, maxlen {MAXLEN} "
        f"(true lengths: median {int(np.median(lengths))}, mean {lengths.mean():.0f}; "
        f"{1 - lengths.mean() / MAXLEN:.0%} of the padded steps are padding); "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    keras = not args.no_keras and _has_tensorflow()
    if not args.no_keras and not keras:
        print("TensorFlow is not installed: Keras is skipped (pip install tensorflow-cpu keras).")

    settings = [("rnn", HIDDEN, False), ("lstm", HIDDEN, False), ("gru", 128, True)]
    methods = {
        "hand-written loop (padded, last state)": hand_loop,
        "hand-written loop, subnormals flushed": lambda *a: hand_loop(*a, flush=True),
        "plain skorch (padded, last state)": plain_skorch,
        "RNNClassifier last state, buckets off": lambda *a: ours(*a, bucket=False, pooling="last"),
        "RNNClassifier last state, buckets on": lambda *a: ours(*a, bucket=True, pooling="last"),
        "RNNClassifier defaults (max, buckets on)": lambda *a: ours(*a, bucket=True),
    }
    if keras:
        methods["Keras 3, TensorFlow (padded, last state)"] = keras_tf
    results = {}
    for cell, hidden, bi in settings:
        name = f"{'bi' if bi else ''}{cell} hidden {hidden}"
        # The wide bidirectional GRU is ~10x slower: a quarter of the reviews keeps it short.
        n = len(X) // 4 if bi else len(X)
        times = {m: [] for m in methods}
        for _ in range(args.repeats):
            for method, fn in methods.items():
                try:
                    times[method].append(fn(X[:n], y[:n], cell, hidden, bi))
                except RuntimeError as exc:
                    print(f"{method} failed: {exc}")
        ref = n / np.median(times["hand-written loop (padded, last state)"])
        print(f"\n{name}, {n} reviews: samples/s of the second epoch (median of {args.repeats})")
        print(f"{'method':42s} {'samples/s':>10s} {'vs hand loop':>13s}")
        results[name] = {}
        for method, t in times.items():
            if not t:
                continue
            rate = n / np.median(t)
            results[name][method] = {"samples_per_s": rate, "epoch_s": t, "n": n}
            print(f"{method:42s} {rate:10.0f} {rate / ref:12.2f}x")
        keras_name = "Keras 3, TensorFlow (padded, last state)"
        if keras and times[keras_name]:
            kr = results[name][keras_name]["samples_per_s"]
            for method in (
                "RNNClassifier last state, buckets on",
                "RNNClassifier defaults (max, buckets on)",
            ):
                ratio = results[name][method]["samples_per_s"] / kr
                results[name][f"{method} vs Keras"] = ratio
                print(f"{method + ' vs Keras':52s} {ratio:12.2f}x")

    # Inference on the test reviews: length-sorted batches vs input order.
    X_test = padder.transform(tok.transform(test["text"]))
    clf = RNNClassifier(
        embedding_dim=EMB, hidden_size=HIDDEN, batch_size=BATCH, max_epochs=1,
        early_stopping=False, random_state=0,
    ).fit(X, y)  # fmt: skip
    print(f"\npredict_proba on {len(X_test)} test reviews (LSTM, hidden {HIDDEN})")
    print(f"{'batches':40s} {'samples/s':>10s} {'peak MB':>8s} {'vs input order':>15s}")
    inference = {}
    runs = {"input order (buckets off)": False, "sorted by length (default)": True}
    times = {k: [] for k in runs}
    peaks = {k: [] for k in runs}
    probas = {}
    for _ in range(args.repeats):
        for label, bucket in runs.items():
            clf.set_params(bucket_by_length=bucket)
            with PeakRSS() as mem:
                start = time.perf_counter()
                probas[label] = clf.predict_proba(X_test)
                times[label].append(time.perf_counter() - start)
            peaks[label].append(mem.increase_mb)
    same = np.allclose(*probas.values(), atol=1e-5)
    ref = len(X_test) / np.median(times["input order (buckets off)"])
    for label in runs:
        rate = len(X_test) / np.median(times[label])
        inference[label] = {"samples_per_s": rate, "peak_rss_increase_mb": max(peaks[label])}
        print(f"{label:40s} {rate:10.0f} {max(peaks[label]):8.0f} {rate / ref:14.2f}x")
    print(f"same probabilities in both orders: {same}")

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(
            {
                "machine": f"{platform.platform()}, {os.cpu_count()} CPUs, "
                f"{torch.get_num_threads()} torch threads",
                "torch": torch.__version__,
                "n_train": len(X),
                "repeats": args.repeats,
                "training": results,
                "inference": inference,
                "inference_same_probabilities": bool(same),
            },
            f,
            indent=2,
        )
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
