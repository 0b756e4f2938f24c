import pickle
import sys
from collections import Counter

import numpy as np

from sklearn_rnn.datasets import load_ud_english_ewt

D = "/work/shared/data/ud_english_ewt"
Xtr, ytr = load_ud_english_ewt("train", path=D)
Xte, yte = load_ud_english_ewt("test", path=D)
seen = {w.lower() for s in Xtr for w in s}
words = [w for s in Xte for w in s]
gold = np.array([t for s in yte for t in s])
un = np.array([w.lower() not in seen for w in words])
preds = {
    n: np.array([t for s in pickle.load(open(f"/tmp/tag19/pred_{n}.pkl", "rb")) for t in s])
    for n in sys.argv[1:]
}


def shape(w):
    if any(c.isdigit() for c in w):
        return "digit"
    if not any(c.isalpha() for c in w):
        return "punct/sym"
    if w[0].isupper():
        return "Capital"
    if "-" in w:
        return "hyphen"
    return "lower"


print("unseen tokens", un.sum())
for key, f in [("gold", lambda i: gold[i]), ("shape", lambda i: shape(words[i]))]:
    groups = Counter(f(i) for i in np.where(un)[0])
    print(f"\nby {key}: n", *[f"{n:>12s}" for n in preds])
    for g, n in groups.most_common():
        idx = [i for i in np.where(un)[0] if f(i) == g]
        print(f"{g:10s} {n:5d}", *[f"{(preds[m][idx] == gold[idx]).mean():12.3f}" for m in preds])
a, b = list(preds)[:2]
diff = [i for i in np.where(un)[0] if preds[a][i] == gold[i] and preds[b][i] != gold[i]]
print(f"\n{a} right, {b} wrong: {len(diff)}")
print(Counter((gold[i], preds[b][i]) for i in diff).most_common(15))
print([words[i] for i in diff][:80])
diff2 = [i for i in np.where(un)[0] if preds[b][i] == gold[i] and preds[a][i] != gold[i]]
print(f"\n{b} right, {a} wrong: {len(diff2)}")
print(Counter((gold[i], preds[a][i]) for i in diff2).most_common(15))
