"""RNNTagger() fits of two epochs with the fused optimizer and torch's default, alternating."""

import os
import time

from sklearn_rnn import RNNTagger, _nets
from sklearn_rnn.datasets import load_ud_english_ewt

X, y = load_ud_english_ewt("train", path="/work/shared/data/ud_english_ewt")
for _ in range(2):
    for kind in ("default", "fused"):
        os.environ[_nets.FUSED_OPTIMIZER_ENV] = "1" if kind == "fused" else "0"
        t = RNNTagger(max_epochs=2, early_stopping=False, random_state=0)
        start = time.perf_counter()
        t.fit(X, y)
        fit = round(time.perf_counter() - start, 1)
        epochs = [round(h["dur"], 1) for h in t.history_]
        print(kind, (fit, epochs, round(t.history_[-1]["train_loss"], 6)), flush=True)
