import pickle
import sys
import time

import numpy as np
import torch

sys.path.insert(0, "/work/main/benchmarks")
from bench_tagging import CRFTagger, score

from sklearn_rnn import RNNTagger
from sklearn_rnn.datasets import load_ud_english_ewt

torch.set_num_threads(2)
D = "/work/shared/data/ud_english_ewt"
Xtr, ytr = load_ud_english_ewt("train", path=D)
Xdv, ydv = load_ud_english_ewt("dev", path=D)
Xte, yte = load_ud_english_ewt("test", path=D)
seen = {w.lower() for s in Xtr for w in s}
out = {}
which = sys.argv[1:]
for name in which:
    t = time.perf_counter()
    if name == "crf":
        m = CRFTagger().fit(Xtr, ytr)
    elif name == "rnn":
        m = RNNTagger(random_state=0).fit(Xtr, ytr)
    elif name == "rnn-devstop":
        mask = np.r_[np.zeros(len(Xtr), bool), np.ones(len(Xdv), bool)]
        m = RNNTagger(random_state=0).fit(Xtr + Xdv, ytr + ydv, validation_mask=mask)
    s = time.perf_counter() - t
    acc, un = score(m, Xte, yte, seen)
    ep = len(m.history_) if hasattr(m, "history_") else None
    print(name, f"{acc:.4f} {un:.4f} {s:.0f}s epochs={ep}", flush=True)
    pred = m.predict(Xte)
    pickle.dump([list(p) for p in pred], open(f"/tmp/tag19/pred_{name}.pkl", "wb"))
