"""Wrapper overhead on a GPU: RNNClassifier's fit and predict_proba against a bare PyTorch
loop doing the same arithmetic, over bench_train's grid of recurrent layers.

The setting is bench_train's (IMDB reviews, vocabulary 10k, embedding 32,
maxlen 500, batch 128, Adam, gradient-norm clipping at 1 as ours), on CUDA,
under mixed precision (``--precision``, default bfloat16 autocast). For each
cell (simple RNN, LSTM, GRU) x (uni, bi) x hidden size:

- ``ours``: ``RNNClassifier(device='cuda', mixed_precision=...)`` with one
  network and no validation split; an epoch's time is skorch's ``dur``.
- ``bare``: the cuDNN loop a PyTorch user would write around the same module
  (a copy of ours), the same batches (the ones our first epoch trained on,
  copied to the GPU before timing), the same optimizer, clipping and
  autocast: zero_grad, forward, loss, backward, clip, step, and no
  synchronisation until the epoch ends. The floor the wrapper is measured
  against.
- ``bare_loader``: the bare loop reading batches from our DataLoader
  (length buckets, padding and pinning on the CPU, non-blocking copies): what
  the input pipeline costs over GPU-resident batches.
- ``--on-device`` adds ``ours_on_device``: our fit and ``predict_proba`` with
  batches built on the GPU from the ids copied there once
  (``sklearn_rnn._batching.BATCHES_ON_DEVICE``), no padding or copy per batch
  on the host.
- ``--pinned`` adds ``ours_pinned`` and ``bare_loader_pinned``: our fit and
  the loader loop with batches collated into page-locked memory, as the
  estimators did before stop 47 (pinning is a copy on the host, which pays
  only if the copy to the GPU overlaps work; the estimators no longer pin).
- ``--item`` adds ``bare_loader_item``: that loop also reading each batch's
  loss as a Python float (``loss.item()``, as skorch records it): what
  waiting for the GPU once a batch costs.

Wrapper overhead is ``ours / bare - 1`` (epoch seconds; median of the timed
epochs after the first). Inference compares our second ``predict_proba``
over ``--n-test`` reviews with the module over the same length-sorted
batches already on the GPU. ``--profile`` writes the CPU-side operator table
of one of our epochs for one cell.

    python benchmarks/bench_gpu.py [--n-train 8192] [--epochs 3] [--precision bf16]
        [--cells rnn,lstm,gru] [--directions uni,bi] [--hidden 32,128,256]
        [--ids FILE.npz | --data imdb_50k.csv.gz] [--save-ids FILE.npz] [--profile 'bilstm 128']

``--save-ids`` tokenizes and pads IMDB once (on any machine) into an .npz that
``--ids`` reads, so the GPU machine spends no time tokenizing. Prints a table
and writes benchmarks/results/bench_gpu.json (``--out``), rewritten after each cell.
"""

import argparse
import copy
import json
import os
import platform
import time

import numpy as np
import torch
from run_all import cpu_description  # benchmarks/run_all.py, beside this script
from skorch.callbacks import Callback

import sklearn_rnn
from sklearn_rnn import RNNClassifier, _batching
from sklearn_rnn._batching import collate_sequences
from sklearn_rnn._nets import to_device

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "..", "..", "shared", "data", "imdb", "imdb_50k.csv.gz")
VOCAB, EMB, MAXLEN, BATCH = 10_000, 32, 500, 128
DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "no": None}


def load_ids(args):
    """IMDB as pre-padded ids (as bench_train), from --ids or tokenized from --data."""
    if args.ids:
        data = np.load(args.ids)
        return data["X"].astype(np.int64), data["y"].astype(np.int64), data["X_test"]
    import pandas as pd
    from sklearn.feature_extraction.text import strip_tags

    from sklearn_rnn import SequencePadder, TextTokenizer

    frame = pd.read_csv(args.data)
    train, test = frame[frame["split"] == "train"], frame[frame["split"] == "test"]
    tok = TextTokenizer(preprocessor=strip_tags, max_tokens=VOCAB).fit(train["text"])
    padder = SequencePadder(maxlen=MAXLEN)
    X = padder.fit_transform(tok.transform(train["text"])).astype(np.uint16)
    X_test = padder.transform(tok.transform(test["text"])).astype(np.uint16)
    y = train["label"].to_numpy().astype(np.int8)
    if args.save_ids:
        np.savez_compressed(args.save_ids, X=X, y=y, X_test=X_test)
        print(f"wrote {args.save_ids}")
    return X.astype(np.int64), y.astype(np.int64), X_test


class Pinned(Callback):
    """Training batches collated into page-locked memory (the estimators do not pin them)."""

    def on_train_begin(self, net, **kwargs):
        net.iterator_train__pin_memory = True


class CaptureBatches(Callback):
    """Keeps the training batches of the first epoch and the training dataset."""

    def __init__(self):
        self.batches, self.dataset = [], None

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        self.dataset = dataset_train

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training and len(net.history) == 1:
            self.batches.append(batch)


#: Where the cells run: 'cuda'; '--device cpu' runs the same code on the CPU
#: (a check of the script itself, not a measurement of anything).
DEVICE = "cuda"


def _sync():
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def _autocast(dtype):
    return torch.autocast(DEVICE, dtype=dtype, enabled=dtype is not None)


def bare_epochs(module, batches, epochs, precision, *, loader=None, item=False):
    """Seconds per epoch of the hand-written loop over ``batches`` (or ``loader``'s)."""
    opt = torch.optim.Adam(module.parameters(), lr=1e-3)
    dtype = DTYPES[precision]
    scaler = torch.amp.GradScaler(DEVICE, enabled=precision == "fp16")
    module.train()
    times = []
    for _ in range(epochs):
        _sync()
        start = time.perf_counter()
        for X, y in loader if loader is not None else batches:
            if loader is not None:
                X, y = to_device((X, y), DEVICE, non_blocking=True)
            opt.zero_grad(set_to_none=True)
            with _autocast(dtype):
                out = module(X["x"], X["lengths"])
                loss = torch.nn.functional.cross_entropy(out.float(), y)
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(module.parameters(), 1.0)
            scaler.step(opt)
            scaler.update()
            if item:
                loss.item()
        _sync()
        times.append(time.perf_counter() - start)
    return times


def bare_predict(module, batches, precision):
    dtype = DTYPES[precision]
    module.eval()
    times = []
    for _ in range(2):
        _sync()
        start = time.perf_counter()
        with torch.no_grad(), _autocast(dtype):
            outs = [torch.softmax(module(X["x"], X["lengths"]).float(), -1) for X, _ in batches]
        torch.cat(outs).cpu()
        times.append(time.perf_counter() - start)
    return times[-1]


def held_out_batches(X_test, num_embeddings):
    """Length-sorted batches of the test reviews, post-padded as our collate does, on the GPU.

    Ids the model never saw read as out-of-vocabulary (1), as in ``predict_proba``.
    """
    seqs = [np.where(row >= num_embeddings, 1, row)[row != 0] for row in X_test]
    order = np.argsort([len(s) for s in seqs], kind="stable")
    batches = []
    for i in range(0, len(order), BATCH):
        items = [(seqs[j].astype(np.int64), None, 1.0) for j in order[i : i + BATCH]]
        batches.append(to_device(collate_sequences(items), DEVICE))
    return batches


def _epoch_seconds(model):
    """skorch's duration of each epoch after the first."""
    return [model.history_[i, "dur"] for i in range(1, len(model.history_))]


def _predict_seconds(model, X_test):
    """The time of a second predict_proba (the first warms up)."""
    times = []
    for _ in range(2):
        _sync()
        start = time.perf_counter()
        model.predict_proba(X_test)
        times.append(time.perf_counter() - start)
    return times[-1]


def run_cell(X, y, X_test, cell, hidden, bi, args, profile=False):
    capture = CaptureBatches()
    clf = RNNClassifier(
        cell=cell,
        embedding_dim=EMB,
        hidden_size=hidden,
        bidirectional=bi,
        batch_size=BATCH,
        ensemble_size=1,
        linear_ngrams=0,  # the recurrent layers alone, as the bare cuDNN loop
        early_stopping=False,
        max_epochs=args.epochs,
        device=DEVICE,
        mixed_precision=args.precision,
        random_state=0,
        callbacks=[capture],
    )
    clf.fit(X, y)
    ours = _epoch_seconds(clf)
    module = copy.deepcopy(clf.net_.module_)
    resident = [to_device(b, DEVICE) for b in capture.batches]
    bare = bare_epochs(module, resident, args.epochs, args.precision)[1:]
    loader = clf.net_.get_iterator(capture.dataset, training=True)
    bare_loader = bare_epochs(module, None, args.epochs, args.precision, loader=loader)[1:]
    row = {
        "n_train": len(X),
        "batches": len(capture.batches),
        "ours_epoch_s": ours,
        "bare_epoch_s": bare,
        "bare_loader_epoch_s": bare_loader,
        "ours_predict_s": _predict_seconds(clf, X_test),
        "bare_predict_s": bare_predict(
            module, held_out_batches(X_test, clf.num_embeddings_), args.precision
        ),
    }
    if args.item:
        row["bare_loader_item_epoch_s"] = bare_epochs(
            module, None, args.epochs, args.precision, loader=loader, item=True
        )[1:]
    if args.pinned:
        # The same loops with batches collated into page-locked memory.
        clf.net_.iterator_train__pin_memory = True
        pinned = clf.net_.get_iterator(capture.dataset, training=True)
        row["bare_loader_pinned_epoch_s"] = bare_epochs(
            module, None, args.epochs, args.precision, loader=pinned
        )[1:]
        params = {**clf.get_params(deep=False), "callbacks": [Pinned()]}
        refit = RNNClassifier(**params).fit(X, y)
        row["ours_pinned_epoch_s"] = _epoch_seconds(refit)
    if args.on_device:
        # The same fit and predict with batches built on the GPU from the ids
        # copied there once (sklearn_rnn._batching.BATCHES_ON_DEVICE).
        _batching.BATCHES_ON_DEVICE = True
        try:
            params = {**clf.get_params(deep=False), "callbacks": None}
            packed = RNNClassifier(**params).fit(X, y)
            row["ours_on_device_epoch_s"] = _epoch_seconds(packed)
            row["ours_on_device_predict_s"] = _predict_seconds(packed, X_test)
        finally:
            _batching.BATCHES_ON_DEVICE = False
    row["overhead"] = float(np.median(ours) / np.median(bare) - 1)
    row["predict_overhead"] = row["ours_predict_s"] / row["bare_predict_s"] - 1
    if profile:
        from torch.profiler import ProfilerActivity
        from torch.profiler import profile as torch_profile

        clf.set_params(max_epochs=1, callbacks=None)
        with torch_profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            clf.fit(X, y)
        table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=30)
        row["profile_table"] = table
        print(table)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SKLEARN_RNN_IMDB", DEFAULT_DATA))
    parser.add_argument("--ids", help="pre-padded ids written by --save-ids")
    parser.add_argument("--save-ids", help="write the pre-padded ids here (needs --data)")
    parser.add_argument("--n-train", type=int, default=8192)
    parser.add_argument("--n-test", type=int, default=4096)
    parser.add_argument("--epochs", type=int, default=3, help="the first is not timed")
    parser.add_argument("--precision", default="bf16", choices=sorted(DTYPES))
    parser.add_argument("--cells", default="rnn,lstm,gru")
    parser.add_argument("--directions", default="uni,bi")
    parser.add_argument("--hidden", default="32,128,256")
    parser.add_argument("--item", action="store_true", help="also the bare_loader_item loop")
    parser.add_argument(
        "--on-device",
        action="store_true",
        help="also our fit and predict with batches built on the GPU (ours_on_device rows)",
    )
    parser.add_argument(
        "--pinned", action="store_true", help="also our fit and the loader loop with pinning"
    )
    parser.add_argument("--profile", default="", help="a cell to profile, e.g. 'bilstm 128'")
    parser.add_argument("--device", default="cuda", help="'cpu': check the script, no figures")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "bench_gpu.json"))
    args = parser.parse_args()

    global DEVICE
    DEVICE = args.device
    X, y, X_test = load_ids(args)
    if args.save_ids and not torch.cuda.is_available():
        return
    if DEVICE == "cuda" and not torch.cuda.is_available():
        raise SystemExit("bench_gpu needs a CUDA GPU (torch.cuda.is_available() is False).")
    rng = np.random.default_rng(0)
    pick = rng.choice(len(X), size=min(args.n_train, len(X)), replace=False)
    X, y = X[pick], y[pick]
    X_test = X_test[rng.choice(len(X_test), size=min(args.n_test, len(X_test)), replace=False)]
    X_test = X_test.astype(np.int64)
    gpu = torch.cuda.get_device_properties(0) if DEVICE == "cuda" else None
    record = {
        "machine": platform.platform(),
        "cpu": cpu_description(),
        "gpu": gpu.name if gpu else DEVICE,
        "gpu_memory_gib": round(gpu.total_memory / 2**30, 1) if gpu else None,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
        "precision": args.precision,
        "n_train": len(X),
        "n_test": len(X_test),
        "epochs": args.epochs,
        "cells": {},
    }
    print(
        f"GPU: {record['gpu']}, torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN "
        f"{record['cudnn']}; mixed_precision={args.precision}; {len(X)} training reviews, "
        f"{len(X_test)} test reviews; epoch seconds, median of epochs 2..{args.epochs}; "
        f"sklearn_rnn from {os.path.dirname(sklearn_rnn.__file__)}"
    )
    print(
        f"{'cell':12s} {'bare s':>7s} {'ours s':>7s} {'overhead':>8s} {'loader':>7s} "
        f"{'+item' if args.item else '':>7s} {'predict':>8s}"
    )
    grid = [
        (cell, hidden, direction == "bi")
        for cell in args.cells.split(",")
        for direction in args.directions.split(",")
        for hidden in map(int, args.hidden.split(","))
    ]
    for cell, hidden, bi in grid:
        name = f"{'bi' if bi else ''}{cell} {hidden}"
        row = run_cell(X, y, X_test, cell, hidden, bi, args, profile=name == args.profile)
        record["cells"][name] = row
        bare = np.median(row["bare_epoch_s"])
        item = row.get("bare_loader_item_epoch_s")
        line = (
            f"{name:12s} {bare:7.3f} {np.median(row['ours_epoch_s']):7.3f} "
            f"{row['overhead']:8.1%} "
            f"{np.median(row['bare_loader_epoch_s']) / bare - 1:7.1%} "
            f"{np.median(item) / bare - 1 if item else float('nan'):7.1%} "
            f"{row['predict_overhead']:8.1%}"
        )
        if args.pinned:
            line += (
                f"  (pinned: ours {np.median(row['ours_pinned_epoch_s']):.3f} s, loader "
                f"{np.median(row['bare_loader_pinned_epoch_s']) / bare - 1:+.1%})"
            )
        if args.on_device:
            line += (
                f"  (on device: ours {np.median(row['ours_on_device_epoch_s']):.3f} s, "
                f"predict {row['ours_on_device_predict_s'] / row['bare_predict_s'] - 1:+.0%})"
            )
        print(line, flush=True)
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(record, f, indent=2)
    overheads = {k: r["overhead"] for k, r in record["cells"].items()}
    print(
        f"\nwrapper overhead over the bare loop, training: min {min(overheads.values()):.1%}, "
        f"median {np.median(list(overheads.values())):.1%}, max {max(overheads.values()):.1%}; "
        f"cells over 10%: {', '.join(k for k, o in overheads.items() if o > 0.10) or 'none'}"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
