"""Paired epochs: max pooling's backward of stop 63 (new) against the one before (old).

Run from the repository root, beside ``bench_train.py``'s data:

    python benchmarks/results/max_pool_backward/paired_epochs.py 1024 [BEFORE_COMMIT]

The old ``_MaskedMax`` comes from ``sklearn_rnn/modules.py`` at BEFORE_COMMIT
(default f9a4b2f, stop 62's last commit). Each cell fits three times per
version, alternating, three epochs each on N reviews; the figure is the
median epoch after the first, and the predictions of both versions are
compared on 64 reviews.
"""

import importlib.util
import json
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

sys.path.insert(0, "benchmarks")
import bench_train as bt  # noqa: E402

from sklearn_rnn import SequencePadder, TextTokenizer, modules  # noqa: E402

before = sys.argv[2] if len(sys.argv) > 2 else "f9a4b2f"
old_source = tempfile.NamedTemporaryFile("w", suffix=".py", delete=False)
old_source.write(
    subprocess.check_output(["git", "show", f"{before}:sklearn_rnn/modules.py"], text=True)
)
old_source.close()
spec = importlib.util.spec_from_file_location("sklearn_rnn.modules_old", old_source.name)
old = importlib.util.module_from_spec(spec)
spec.loader.exec_module(old)
NEW = (modules._MaskedMax.forward, modules._MaskedMax.backward)
OLD = (old._MaskedMax.forward, old._MaskedMax.backward)


def use(fb):
    modules._MaskedMax.forward = staticmethod(fb[0])
    modules._MaskedMax.backward = staticmethod(fb[1])


frame = pd.read_csv(bt.DEFAULT_DATA)
train = frame[frame.split == "train"]
tok = TextTokenizer(preprocessor=bt.strip_tags, max_tokens=bt.VOCAB).fit(train.text)
pad = SequencePadder(maxlen=bt.MAXLEN)
rng = np.random.default_rng(0)
pick = rng.choice(len(train), int(sys.argv[1]), replace=False)
X = pad.fit_transform(tok.transform(train.text.iloc[pick])).astype(np.int64)
y = train.label.to_numpy()[pick]
res = {}
for cell, H, bi in [
    ("rnn", 128, True),
    ("rnn", 32, False),
    ("rnn", 256, True),
    ("gru", 128, True),
    ("lstm", 128, True),
]:
    r = {"old": [], "new": []}
    for rnd in range(3):
        for name, fb in (
            (("old", OLD), ("new", NEW)) if rnd % 2 == 0 else (("new", NEW), ("old", OLD))
        ):
            use(fb)
            clf = bt._classifier(cell, H, bi, 3).fit(X, y)
            r[name].append(float(np.median(clf.history_[1:, "dur"])))
            if name == "old":
                p_old = clf.predict_proba(X[:64])
            else:
                p_new = clf.predict_proba(X[:64])
        same = np.array_equal(p_old, p_new)
    key = f"{'Bi' if bi else ''}{cell.upper()} {H}"
    res[key] = r
    old, new = np.median(r["old"]), np.median(r["new"])
    rounds = [round(a / b, 2) for a, b in zip(r["old"], r["new"])]
    print(
        f"{key}: old {old:.3f}s new {new:.3f}s epoch; new speed {old / new:.2f}x; "
        f"per round {rounds}; same probabilities: {same}",
        flush=True,
    )
print(json.dumps(res))
