"""The default classifier pipeline with the fused optimizer and torch's default, alternating.

python classifier_ab.py subj,cr,sms 2    (sets of benchmarks/bench_accuracy.py, repeats)
"""

import os
import sys
import time

import numpy as np
from sklearn.pipeline import make_pipeline

from sklearn_rnn import RNNClassifier, TextTokenizer, _nets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from bench_accuracy import load  # noqa: E402  (benchmarks/bench_accuracy.py)

for name in sys.argv[1].split(","):
    X, y, _, _ = load(name, False, 5000)
    res = {True: [], False: []}
    for _ in range(int(sys.argv[2])):
        for fuse in (False, True):
            os.environ[_nets.FUSED_OPTIMIZER_ENV] = "1" if fuse else "0"
            model = make_pipeline(TextTokenizer(), RNNClassifier(random_state=0))
            start = time.perf_counter()
            model.fit(X, y)
            fit = time.perf_counter() - start
            history = model[-1].history_
            epoch = sum(h["dur"] for h in history) / len(history)
            res[fuse].append((round(fit, 1), len(history), round(epoch, 2)))
    fused = np.median([r[2] for r in res[True]])
    default = np.median([r[2] for r in res[False]])
    print(name, "default", res[False], "fused", res[True], end=" ")
    print(f"epoch ratio default/fused {default / fused:.2f}x", flush=True)
