"""Why the hand-written loop of ``bench_train`` is so slow on an Intel Xeon: subnormal floats.

Stop 69 ran ``bench_train``'s grid on a 2-core Intel Xeon (Ice Lake, AVX-512;
every earlier run kept in ``results/`` is from an AMD EPYC): the plain PyTorch
loop there trained 4-27x slower than our fit, against 2.1-3.6x on the AMD EPYC
of stop 63. This script times that hand-written loop
(``bench_train.hand_loop``, pre-padded batches of 128 reviews of 500 steps,
Adam) with torch's default arithmetic and with subnormal results flushed to
zero (``torch.set_flush_denormal(True)``, what our fits do,
:func:`sklearn_rnn._nets.flush_denormal`), alternating, median epoch of
``EPOCHS`` after the first, for a few cells of the grid. Flushing explains part
of the gap (1.4-2.4x), not all of it (``hand_loop_flush_output.txt``).

    python hand_loop_flush.py   # from this folder; about 5 minutes on 2 cores

Prints one line per cell: samples/s without and with flushing, and their ratio.
Nothing in the package uses it.
"""

import os
import sys

import numpy as np
import pandas as pd
import torch
from sklearn.feature_extraction.text import strip_tags

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from bench_train import DEFAULT_DATA, MAXLEN, VOCAB, cpu_description, hand_loop  # noqa: E402

from sklearn_rnn import SequencePadder, TextTokenizer  # noqa: E402

EPOCHS, N = 3, 512
CELLS = [("rnn", 128, False), ("lstm", 32, False), ("lstm", 128, False), ("gru", 128, False)]

frame = pd.read_csv(os.environ.get("SKLEARN_RNN_IMDB", DEFAULT_DATA))
train = frame[frame["split"] == "train"]
tok = TextTokenizer(preprocessor=strip_tags, max_tokens=VOCAB).fit(train["text"])
pick = np.random.default_rng(0).choice(len(train), size=N, replace=False)
X = SequencePadder(maxlen=MAXLEN).fit_transform(tok.transform(train["text"].iloc[pick]))
X = X.astype(np.int64)
y = train["label"].to_numpy()[pick].astype(np.int64)
cpu = cpu_description()
print(f"{cpu['model']} ({cpu['family_model']}), {cpu['cpus']} CPUs, torch {torch.__version__}")
print(f"{'cell':12s} {'default s/s':>12s} {'flushed s/s':>12s} {'flushed/default':>16s}")
for cell, hidden, bi in CELLS:
    default, flushed = [], []
    for _ in range(2):  # alternating
        torch.set_flush_denormal(False)
        default.append(N / hand_loop(X, y, cell, hidden, bi, EPOCHS)["epoch_s"])
        torch.set_flush_denormal(True)
        flushed.append(N / hand_loop(X, y, cell, hidden, bi, EPOCHS)["epoch_s"])
    torch.set_flush_denormal(False)
    name = f"{'bi' if bi else ''}{cell} {hidden}"
    d, f_ = np.median(default), np.median(flushed)
    print(f"{name:12s} {d:12.0f} {f_:12.0f} {f_ / d:15.2f}x", flush=True)
