"""Paired predict_proba in bench_train.py's setting.

The top layer pooled as the recurrence runs (new), or its states kept, then pooled (old).

Stop 63. bench_train.py's setting: each cell fitted one epoch on 512 IMDB
reviews (padded to 500, its defaults otherwise), then predict_proba over
2,048 test reviews, six rounds alternating, the median of the last five of
each. The old path is ``modules.pools`` answering False.

    python benchmarks/results/pooled_inference/predict_pairs.py rnn,gru OUT.json
"""

import json
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, "benchmarks")
import bench_train as bt

from sklearn_rnn import SequencePadder, TextTokenizer, modules

frame = pd.read_csv(bt.DEFAULT_DATA)
train = frame[frame.split == "train"]
test = frame[frame.split == "test"]
tok = TextTokenizer(preprocessor=bt.strip_tags, max_tokens=bt.VOCAB).fit(train.text)
pad = SequencePadder(maxlen=bt.MAXLEN)
rng = np.random.default_rng(0)
pick = rng.choice(len(train), 512, replace=False)
X = pad.fit_transform(tok.transform(train.text.iloc[pick])).astype(np.int64)
y = train.label.to_numpy()[pick]
pt = rng.choice(len(test), 2048, replace=False)
Xt = pad.transform(tok.transform(test.text.iloc[pt])).astype(np.int64)
NEW = modules.pools
res = {}
for cell in sys.argv[1].split(","):
    for bi in (False, True):
        for H in (32, 128, 256):
            clf = bt._classifier(cell, H, bi, 1).fit(X, y)
            t = {"old": [], "new": []}
            outs = {}
            for rnd in range(6):
                for name in ("old", "new") if rnd % 2 == 0 else ("new", "old"):
                    modules.pools = NEW if name == "new" else (lambda layer, x: False)
                    t0 = time.perf_counter()
                    outs[name] = clf.predict_proba(Xt)
                    t[name].append(time.perf_counter() - t0)
            modules.pools = NEW
            key = f"{'Bi' if bi else ''}{cell.upper()} {H}"
            o, n = np.median(t["old"][1:]), np.median(t["new"][1:])
            res[key] = {
                "old_s": t["old"],
                "new_s": t["new"],
                "max_abs_diff": float(np.abs(outs["old"] - outs["new"]).max()),
            }
            print(
                f"{key:10s} old {o:.3f}s new {n:.3f}s -> {o / n:.2f}x  "
                f"(max prob diff {res[key]['max_abs_diff']:.1e})",
                flush=True,
            )
json.dump(res, open(sys.argv[2], "w"), indent=1)
