import pickle

import numpy as np

from sklearn_rnn.datasets import load_ud_english_ewt

D = "/work/shared/data/ud_english_ewt"
Xtr, _ = load_ud_english_ewt("train", path=D)
Xte, yte = load_ud_english_ewt("test", path=D)
seen = {w.lower() for s in Xtr for w in s}
P = {n: pickle.load(open(f"/tmp/tag19/pred_{n}.pkl", "rb")) for n in ("crf", "rnn")}
# per sentence: unseen tokens, right for each model
n_un = np.array([sum(w.lower() not in seen for w in s) for s in Xte])
right = {
    m: np.array(
        [
            sum(p == t for w, p, t in zip(s, ps, ts) if w.lower() not in seen)
            for s, ps, ts in zip(Xte, P[m], yte)
        ]
    )
    for m in P
}
d = (right["rnn"].sum() - right["crf"].sum()) / n_un.sum()
rng = np.random.default_rng(0)
B = []
for _ in range(5000):
    i = rng.integers(len(Xte), size=len(Xte))
    B.append((right["rnn"][i].sum() - right["crf"][i].sum()) / n_un[i].sum())
print(
    f"rnn - crf on unseen: {d:+.4f}, 95% bootstrap over sentences "
    f"[{np.percentile(B, 2.5):+.4f}, {np.percentile(B, 97.5):+.4f}], "
    f"P(rnn>crf)={np.mean(np.array(B) > 0):.3f}"
)
